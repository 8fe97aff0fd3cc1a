//! A Hugging Face model directory: `config.json`, `model.safetensors`, `tokenizer.json` — the
//! original `intfloat/multilingual-e5-small` or any BERT / XLM-R sentence model, unchanged.
//! Tensor names may carry a `bert.`/`roberta.` prefix and LayerNorm's old `gamma`/`beta`;
//! the pooler and position-id buffers are not used. F32, F16 and BF16 tensors load (as f32).

use std::path::Path;

use half::{bf16, f16};
use safetensors::{Dtype, SafeTensors};

use crate::config::EncoderConfig;
use crate::error::{Error, Result};
use crate::weights::{HostTensor, HostTensors, WordTable};

pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const TOKENIZER_FILE: &str = "tokenizer.json";

const WORDS: &str = "embeddings.word_embeddings.weight";

/// What the directory's files hold.
pub struct HfModel {
    pub config: EncoderConfig,
    pub tensors: HostTensors,
    pub words: WordTable,
    /// The sha256 of `model.safetensors` (lowercase hex).
    pub sha256: String,
}

/// Tensors a checkpoint may carry that the encoder does not use.
fn is_ignorable(name: &str) -> bool {
    name.starts_with("pooler.") || name.starts_with("cls.") || name.starts_with("lm_head.") || name.ends_with("position_ids")
}

/// The name as [`crate::model::EncoderModel::from_host`] expects it.
fn canonical(name: &str) -> String {
    let bare = ["bert.", "roberta.", "model."].iter().find_map(|p| name.strip_prefix(p)).unwrap_or(name);
    if let Some(stem) = bare.strip_suffix(".gamma") {
        format!("{stem}.weight")
    } else if let Some(stem) = bare.strip_suffix(".beta") {
        format!("{stem}.bias")
    } else {
        bare.to_string()
    }
}

/// Reads `dir`'s config and weights (the tokenizer is read by [`crate::Encoder::load`]).
pub fn load(dir: &Path) -> Result<HfModel> {
    let config = EncoderConfig::load(&dir.join(CONFIG_FILE))?;
    let path = dir.join(WEIGHTS_FILE);
    let bytes = std::fs::read(&path).map_err(Error::read(&path, "the model weights (model.safetensors)"))?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| Error::format(&path, format!("not a valid safetensors file ({e}); is it truncated?")))?;
    let mut tensors = HostTensors::new(&path);
    for (name, view) in file.tensors() {
        if is_ignorable(&name) {
            continue;
        }
        let values = match view.dtype() {
            Dtype::F32 => view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            Dtype::F16 => view.data().chunks_exact(2).map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
            Dtype::BF16 => view.data().chunks_exact(2).map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
            other => return Err(Error::format(&path, format!("tensor `{name}` is {other:?}; F32, F16 or BF16 expected"))),
        };
        tensors.insert(canonical(&name), HostTensor { shape: view.shape().to_vec(), values });
    }
    let words = tensors.take(WORDS, &[config.vocab_size, config.hidden_size])?;
    Ok(HfModel { words: WordTable::Dense { dim: config.hidden_size, values: words.values }, config, tensors, sha256: crate::sha256_hex(&bytes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_old_layer_norm_names_are_mapped() {
        assert_eq!(canonical("bert.embeddings.LayerNorm.gamma"), "embeddings.LayerNorm.weight");
        assert_eq!(canonical("roberta.encoder.layer.0.output.LayerNorm.beta"), "encoder.layer.0.output.LayerNorm.bias");
        assert_eq!(canonical("encoder.layer.3.intermediate.dense.weight"), "encoder.layer.3.intermediate.dense.weight");
        assert!(is_ignorable("pooler.dense.weight") && is_ignorable("embeddings.position_ids"));
    }
}
