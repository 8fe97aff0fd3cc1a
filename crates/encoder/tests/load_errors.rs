//! Damaged, truncated and foreign model files are clear errors that name the file — never a
//! panic, never a half-loaded encoder.

mod common;

use burn::prelude::Device;
use encoder::{Encoder, locate::E5_SHA256};

fn error_of(bytes: &[u8], digest: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bin");
    std::fs::write(&path, bytes).unwrap();
    let err = Encoder::load_checked(&path, digest, &Device::flex()).err().expect("must not load");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "the error names the file: {message}");
    message
}

#[test]
fn a_foreign_or_empty_file_is_refused() {
    assert!(error_of(b"{\"not\": \"a model\"}", None).contains("E5S1"));
    assert!(error_of(b"", None).contains("E5S1"));
    let missing = Encoder::load(std::path::Path::new("/nonexistent/e5.bin"), &Device::flex()).err().unwrap().to_string();
    assert!(missing.contains("/nonexistent/e5.bin") && missing.contains("missing"), "{missing}");
}

#[test]
fn truncated_files_and_a_wrong_digest_are_refused() {
    let Some(path) = common::installed_e5() else { return };
    let bytes = std::fs::read(path).unwrap();
    // Cut in the header, the pieces, the normalization map, the directory and the tensors.
    for cut in [6, 40, 5_000, 2_700_000, 4_630_000, 4_638_300, 30_000_000, bytes.len() - 1] {
        let message = error_of(&bytes[..cut], None);
        assert!(message.contains("truncated") || message.contains("out of range") || message.contains("piece"), "cut at {cut}: {message}");
    }
    let message = error_of(&bytes[..1000], Some(E5_SHA256));
    assert!(message.contains("sha256"), "{message}");
    // A flipped version number.
    let mut other = bytes.clone();
    other[4] = 9;
    assert!(error_of(&other, None).contains("version 9"));
}
