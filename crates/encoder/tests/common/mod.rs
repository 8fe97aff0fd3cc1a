//! Shared by the integration tests: backends, the installed e5 file, cosine.
#![allow(dead_code)]

use std::path::PathBuf;

use burn::prelude::Device;
use burn::tensor::DeviceKind;

/// The CPU backend, and wgpu (lavapipe where there is no GPU) unless DESKBOT_SKIP_WGPU=1.
pub fn backends() -> Vec<(&'static str, Device)> {
    let mut out = vec![("cpu", Device::flex())];
    if std::env::var("DESKBOT_SKIP_WGPU").as_deref() == Ok("1") {
        eprintln!("DESKBOT_SKIP_WGPU=1: wgpu checks skipped");
    } else {
        out.push(("wgpu", Device::wgpu(DeviceKind::DefaultDevice)));
    }
    out
}

/// The e5 file `scripts/setup.sh` installs, if it is there. With DESKBOT_REQUIRE_ENCODER=1 (as
/// `scripts/test.sh` sets) its absence fails the test instead of skipping it.
pub fn installed_e5() -> Option<PathBuf> {
    let located = encoder::locate::default_encoder().filter(|l| l.path.is_file());
    if located.is_none() {
        assert!(
            std::env::var("DESKBOT_REQUIRE_ENCODER").as_deref() != Ok("1"),
            "DESKBOT_REQUIRE_ENCODER=1 but no e5 file: run scripts/fetch_encoder.sh"
        );
        eprintln!("no e5 file installed (scripts/fetch_encoder.sh): skipped");
    }
    located.map(|l| l.path)
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b)).max(1e-12)
}
