//! Shared by the integration tests: the tiny fixture, its reference outputs, the backends.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use burn::prelude::Device;
use gpt2::Backend;
use serde_json::Value;

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny-gpt2")
}

/// What Hugging Face transformers computed on the fixture (tools/reference/make_gpt2_fixture.py).
pub fn reference() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("reference.json")).expect("reference.json");
    serde_json::from_str(&text).expect("reference.json parses")
}

pub fn ids(value: &Value) -> Vec<u32> {
    value.as_array().expect("id array").iter().map(|v| v.as_u64().expect("id") as u32).collect()
}

pub fn floats(value: &Value) -> Vec<f32> {
    value.as_array().expect("float array").iter().map(|v| v.as_f64().expect("float") as f32).collect()
}

/// The CPU backend, and wgpu (lavapipe where there is no GPU). Setting DESKBOT_SKIP_WGPU=1
/// leaves wgpu out explicitly; otherwise a missing wgpu adapter fails the test.
pub fn backends() -> Vec<(&'static str, Device)> {
    let mut out = vec![("cpu", Backend::Cpu.device().expect("cpu backend").device)];
    if std::env::var("DESKBOT_SKIP_WGPU").as_deref() == Ok("1") {
        eprintln!("DESKBOT_SKIP_WGPU=1: wgpu checks skipped");
    } else {
        let wgpu = Backend::Wgpu.device().expect("wgpu backend (install mesa-vulkan-drivers, or set DESKBOT_SKIP_WGPU=1)");
        out.push(("wgpu", wgpu.device));
    }
    out
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// The real GPT-2 vocabulary (`encoder.json`, `vocab.bpe`) in the shared folder beside the repo.
pub fn shared_gpt2_dir() -> PathBuf {
    match std::env::var("DESKBOT_SHARED") {
        Ok(dir) => PathBuf::from(dir).join("gpt2"),
        Err(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/gpt2"),
    }
}
