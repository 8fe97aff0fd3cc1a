//! What the CLI's test binaries share: the fuzz and soak report, a copy of the bundled domain.

use std::io::Write;
use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled domain's `intents/` and `templates/` copied into `to`, to be changed by a test.
pub fn copy_bundled_domain(to: &Path) {
    for part in ["intents", "templates"] {
        std::fs::create_dir_all(to.join(part)).unwrap();
        for entry in std::fs::read_dir(repo().join(part)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(part).join(entry.file_name())).unwrap();
        }
    }
}

/// Appends "fuzz TARGET: N inputs, 0 panics" to `fuzz-report.txt` in cargo's test scratch
/// directory; scripts/test.sh prints the file after the run. Called once a target has tried
/// all its inputs without a panic or a server error.
pub fn report(target: &str, inputs: usize) {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-report.txt");
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("fuzz report opens");
    writeln!(file, "fuzz {target}: {inputs} inputs, 0 panics").expect("fuzz report written");
}
