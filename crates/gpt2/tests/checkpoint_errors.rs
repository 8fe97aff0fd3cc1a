//! Broken model directories give errors that name the file and the tensor or field; never a panic.

mod common;

use std::path::Path;

use burn::prelude::Device;
use common::fixture_dir;
use gpt2::Gpt2;

fn copy_fixture(to: &Path) {
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn load_error(dir: &Path) -> String {
    Gpt2::load(dir, &Device::flex()).expect_err("loading should fail").to_string()
}

fn edit_config(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("config.json");
    let mut config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut config);
    std::fs::write(path, config.to_string()).unwrap();
}

#[test]
fn missing_directory_and_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    assert!(load_error(&dir.path().join("nope")).contains("nope"));
    assert!(load_error(dir.path()).contains("config.json"));
    copy_fixture(dir.path());
    std::fs::remove_file(dir.path().join("model.safetensors")).unwrap();
    assert!(load_error(dir.path()).contains("model.safetensors"));
}

#[test]
fn truncated_weights_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let path = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let error = load_error(dir.path());
    assert!(error.contains("model.safetensors") && error.contains("truncated"), "{error}");
}

#[test]
fn config_weights_mismatch_names_the_tensor() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    edit_config(dir.path(), |c| c["n_layer"] = 3.into());
    let error = load_error(dir.path());
    assert!(error.contains("h.2.") && error.contains("missing"), "{error}");

    edit_config(dir.path(), |c| c["n_layer"] = 1.into());
    let error = load_error(dir.path());
    assert!(error.contains("h.1.") && error.contains("does not belong"), "{error}");

    edit_config(dir.path(), |c| {
        c["n_layer"] = 2.into();
        c["vocab_size"] = 500.into();
    });
    let error = load_error(dir.path());
    assert!(error.contains("wte.weight") && error.contains("shape"), "{error}");
}

#[test]
fn malformed_config_names_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    std::fs::write(dir.path().join("config.json"), "{\n  \"n_embd\": 32,\n  \"n_head\": \n}").unwrap();
    let error = load_error(dir.path());
    assert!(error.contains("config.json") && error.contains("line 4"), "{error}");

    std::fs::write(dir.path().join("config.json"), r#"{"n_embd": "wide"}"#).unwrap();
    assert!(load_error(dir.path()).contains("n_embd"));
}

#[test]
fn tokenizer_larger_than_the_vocabulary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    // A 400-entry tokenizer against a model that claims 300 tokens: the weights disagree first,
    // so shrink both consistently by pointing at a real GPT-2 tokenizer instead.
    std::fs::remove_file(dir.path().join("tokenizer.json")).unwrap();
    std::fs::copy(common::shared_gpt2_dir().join("encoder.json"), dir.path().join("vocab.json")).unwrap();
    std::fs::copy(common::shared_gpt2_dir().join("vocab.bpe"), dir.path().join("merges.txt")).unwrap();
    let error = load_error(dir.path());
    assert!(error.contains("vocab.json") && error.contains("vocab_size"), "{error}");
}

#[test]
fn vocab_and_merges_load_like_tokenizer_json() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    std::fs::remove_file(dir.path().join("tokenizer.json")).unwrap();
    let device = Device::flex();
    let from_pair = Gpt2::load(dir.path(), &device).unwrap();
    let from_json = Gpt2::load(&fixture_dir(), &device).unwrap();
    for text in ["Hello world, I'd like a refund for order #12345.", "我想查询订单 🙂", "  two  spaces\n"] {
        assert_eq!(from_pair.tokenizer.encode(text).unwrap(), from_json.tokenizer.encode(text).unwrap(), "{text:?}");
    }
}

#[test]
fn unprefixed_keys_with_attention_buffers_load() {
    // Hub GPT-2 files name tensors without `transformer.` and carry `h.N.attn.bias` buffers.
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let path = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mask = vec![1u8; 4 * 4];
    let mut views: Vec<(String, safetensors::tensor::TensorView)> =
        file.tensors().into_iter().map(|(name, view)| (name.trim_start_matches("transformer.").to_string(), view)).collect();
    views.push(("h.0.attn.bias".into(), safetensors::tensor::TensorView::new(safetensors::Dtype::U8, vec![1, 1, 4, 4], &mask).unwrap()));
    safetensors::serialize_to_file(views, None, &path).unwrap();
    let device = Device::flex();
    let model = Gpt2::load(dir.path(), &device).unwrap();
    let reference = Gpt2::load(&fixture_dir(), &device).unwrap();
    assert_eq!(model.logits(&[1, 2, 3]).unwrap(), reference.logits(&[1, 2, 3]).unwrap());
}
