//! Hugging Face model directories: `config.json` + `model.safetensors` (+ tokenizer files).
//!
//! GPT-2's Conv1D weights are stored `[in, out]`, which is exactly burn's `Linear` layout, so
//! tensors load as they are; only LayerNorm names differ (`weight`/`bias` ↔ `gamma`/`beta`).
//! The file is checked against the config before anything is loaded, so a truncated file, a
//! missing tensor or a wrong shape is an error naming the file and the tensor.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use safetensors::{Dtype, SafeTensors};

use crate::config::Gpt2Config;
use crate::error::{Error, Result};
use crate::model::Gpt2Model;

pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";

/// Tensors a checkpoint may carry that the model does not use: attention-mask buffers and
/// the LM head, which GPT-2 ties to `wte`.
fn is_ignorable(name: &str) -> bool {
    name == "lm_head.weight" || name.ends_with(".attn.bias") || name.ends_with(".attn.masked_bias")
}

/// Every tensor the config calls for, under its Hugging Face name, with its shape.
pub fn expected_tensors(config: &Gpt2Config) -> BTreeMap<String, Vec<usize>> {
    let (d, f) = (config.n_embd, config.inner_dim());
    let mut tensors = BTreeMap::new();
    tensors.insert("wte.weight".to_string(), vec![config.vocab_size, d]);
    tensors.insert("wpe.weight".to_string(), vec![config.n_positions, d]);
    tensors.insert("ln_f.weight".to_string(), vec![d]);
    tensors.insert("ln_f.bias".to_string(), vec![d]);
    for i in 0..config.n_layer {
        for (name, shape) in [
            ("ln_1.weight", vec![d]),
            ("ln_1.bias", vec![d]),
            ("attn.c_attn.weight", vec![d, 3 * d]),
            ("attn.c_attn.bias", vec![3 * d]),
            ("attn.c_proj.weight", vec![d, d]),
            ("attn.c_proj.bias", vec![d]),
            ("ln_2.weight", vec![d]),
            ("ln_2.bias", vec![d]),
            ("mlp.c_fc.weight", vec![d, f]),
            ("mlp.c_fc.bias", vec![f]),
            ("mlp.c_proj.weight", vec![f, d]),
            ("mlp.c_proj.bias", vec![d]),
        ] {
            tensors.insert(format!("h.{i}.{name}"), shape);
        }
    }
    tensors
}

/// Checks a safetensors buffer against the config; returns the key prefix in use
/// (`""` or `"transformer."`).
fn check_weights(path: &Path, bytes: &[u8], config: &Gpt2Config) -> Result<&'static str> {
    let err = |message: String| Error::Weights { path: path.into(), message };
    let file = SafeTensors::deserialize(bytes).map_err(|e| err(format!("not a valid safetensors file ({e}); is it truncated?")))?;
    let names = file.names();
    let prefix = if names.iter().any(|n| n.starts_with("transformer.")) { "transformer." } else { "" };
    let expected = expected_tensors(config);
    for (name, shape) in &expected {
        let stored = file
            .tensor(&format!("{prefix}{name}"))
            .map_err(|_| err(format!("tensor `{prefix}{name}` is missing (config.json: n_layer={}, n_embd={})", config.n_layer, config.n_embd)))?;
        if stored.shape() != shape.as_slice() {
            return Err(err(format!("tensor `{prefix}{name}` has shape {:?}, config.json implies {shape:?}", stored.shape())));
        }
        if stored.dtype() != Dtype::F32 {
            return Err(err(format!("tensor `{prefix}{name}` is {:?}; only F32 checkpoints are supported", stored.dtype())));
        }
    }
    for name in names {
        let bare = name.strip_prefix(prefix).unwrap_or(name);
        if !expected.contains_key(bare) && !is_ignorable(bare) {
            return Err(err(format!("tensor `{name}` does not belong to a GPT-2 of this config.json (n_layer={})", config.n_layer)));
        }
    }
    Ok(prefix)
}

/// Loads `config.json` and `model.safetensors` from a Hugging Face style directory.
pub fn load(dir: &Path, device: &Device) -> Result<(Gpt2Config, Gpt2Model)> {
    if !dir.is_dir() {
        return Err(Error::MissingFile { path: dir.into(), what: "a model directory" });
    }
    let config = Gpt2Config::load(&dir.join(CONFIG_FILE))?;
    let path = dir.join(WEIGHTS_FILE);
    let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::MissingFile { path: path.clone(), what: "the model weights" },
        _ => Error::io(&path, e),
    })?;
    let prefix = check_weights(&path, &bytes, &config)?;
    // A GPT-2-sized embedding is split for inference from these host bytes (see model.rs).
    let vocab_blocks =
        Gpt2Model::vocab_block_rows(config.vocab_size, config.n_embd).map(|rows| (rows, host_f32(&bytes, &format!("{prefix}wte.weight"))));
    let mut model = Gpt2Model::init(&config, device);
    let mut store = SafetensorsStore::from_bytes(Some(bytes))
        .with_key_remapping(format!("^{}", regex_escape(prefix)), "")
        .with_key_remapping(r"^(.*ln_[0-9a-z]+)\.weight$", "$1.gamma")
        .with_key_remapping(r"^(.*ln_[0-9a-z]+)\.bias$", "$1.beta")
        .allow_partial(true);
    let result = model.load_from(&mut store).map_err(|e| Error::Weights { path: path.clone(), message: e.to_string() })?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        return Err(Error::Weights { path, message: format!("could not apply weights: errors {:?}, missing {:?}", result.errors, result.missing) });
    }
    let model = match vocab_blocks {
        Some((rows, host)) => model.with_vocab_blocks_from(&host, rows),
        None => model,
    };
    Ok((config, model))
}

/// A checked F32 tensor of a safetensors buffer, as host values.
fn host_f32(bytes: &[u8], name: &str) -> Vec<f32> {
    let file = SafeTensors::deserialize(bytes).expect("checked by check_weights");
    let view = file.tensor(name).expect("checked by check_weights");
    view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn regex_escape(prefix: &str) -> String {
    prefix.replace('.', r"\.")
}

/// Writes `config.json` and `model.safetensors` (Hugging Face names, no `transformer.`
/// prefix, `format: pt` metadata so that `transformers` loads it).
pub fn save(dir: &Path, config: &Gpt2Config, model: &Gpt2Model) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    config.save(&dir.join(CONFIG_FILE))?;
    let path: PathBuf = dir.join(WEIGHTS_FILE);
    let mut store = SafetensorsStore::from_file(&path)
        .with_key_remapping(r"^(.*ln_[0-9a-z]+)\.gamma$", "$1.weight")
        .with_key_remapping(r"^(.*ln_[0-9a-z]+)\.beta$", "$1.bias")
        .metadata("format", "pt")
        .overwrite(true);
    model.save_into(&mut store).map_err(|e| Error::Weights { path, message: e.to_string() })
}
