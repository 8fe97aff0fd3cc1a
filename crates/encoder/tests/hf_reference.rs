//! A Hugging Face directory (a tiny random XLM-RoBERTa saved by transformers, with a Unigram
//! `tokenizer.json`) loads unchanged; ids and pooled vectors agree with transformers to 1e-4 on
//! every backend, batched with padding, and a text longer than the window is cut the same way.

mod common;

use std::path::{Path, PathBuf};

use encoder::Encoder;
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny-xlmr")
}

#[test]
fn ids_and_vectors_match_transformers() {
    let json: Value = serde_json::from_str(&std::fs::read_to_string(fixture().join("reference.json")).unwrap()).unwrap();
    let cases = json["cases"].as_array().unwrap();
    let texts: Vec<&str> = cases.iter().map(|c| c["text"].as_str().unwrap()).collect();
    for (name, device) in common::backends() {
        let encoder = Encoder::load(&fixture(), &device).expect("the HF directory loads");
        let vectors = encoder.embed(&texts).unwrap();
        for (case, got) in cases.iter().zip(&vectors) {
            let ids: Vec<u32> = case["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
            assert_eq!(encoder.token_ids(case["text"].as_str().unwrap()).unwrap(), ids, "{name}: ids of {}", case["text"]);
            let expected: Vec<f32> = case["vector"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
            let diff = expected.iter().zip(got).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(diff < 1e-4, "{name}: {} differs by {diff}", case["text"]);
        }
    }
}

#[test]
fn a_damaged_directory_names_the_file_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["config.json", "tokenizer.json"] {
        std::fs::copy(fixture().join(file), dir.path().join(file)).unwrap();
    }
    let weights = std::fs::read(fixture().join("model.safetensors")).unwrap();
    std::fs::write(dir.path().join("model.safetensors"), &weights[..weights.len() / 2]).unwrap();
    let message = Encoder::load(dir.path(), &burn::prelude::Device::flex()).err().unwrap().to_string();
    assert!(message.contains("model.safetensors") && message.contains("truncated"), "{message}");
    std::fs::write(dir.path().join("model.safetensors"), &weights).unwrap();
    std::fs::write(dir.path().join("config.json"), r#"{"vocab_size": 83, "hidden_size": 30, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 40}"#).unwrap();
    let message = Encoder::load(dir.path(), &burn::prelude::Device::flex()).err().unwrap().to_string();
    assert!(message.contains("config.json") && message.contains("hidden_size"), "{message}");
}
