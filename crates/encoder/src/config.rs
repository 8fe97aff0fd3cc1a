//! The encoder's shape: BERT / XLM-RoBERTa hyper-parameters, named as Hugging Face's
//! `config.json` names them, so a checkpoint's config deserializes unchanged.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// Hyper-parameters of a post-LayerNorm BERT-style encoder.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EncoderConfig {
    /// `bert`, `roberta`, `xlm-roberta`, ... (decides where position ids start).
    #[serde(default = "defaults::model_type")]
    pub model_type: String,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "defaults::type_vocab_size")]
    pub type_vocab_size: usize,
    #[serde(default = "defaults::layer_norm_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub pad_token_id: usize,
    #[serde(default = "defaults::hidden_act")]
    pub hidden_act: String,
}

mod defaults {
    pub fn model_type() -> String {
        "bert".into()
    }
    pub fn type_vocab_size() -> usize {
        2
    }
    pub fn layer_norm_eps() -> f64 {
        1e-12
    }
    pub fn hidden_act() -> String {
        "gelu".into()
    }
}

impl EncoderConfig {
    /// Reads and checks a Hugging Face `config.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(Error::read(path, "the model's config.json"))?;
        let config: Self = serde_json::from_str(&text).map_err(|e| Error::format(path, format!("not a BERT/XLM-R config: {e}")))?;
        config.check().map_err(|message| Error::format(path, message))?;
        Ok(config)
    }

    /// The row of the position table that the first token uses: RoBERTa-family models count
    /// positions from `pad_token_id + 1`, BERT from 0.
    pub fn position_offset(&self) -> usize {
        if self.model_type.contains("roberta") { self.pad_token_id + 1 } else { 0 }
    }

    /// The most tokens (specials included) one text may have.
    pub fn max_tokens(&self) -> usize {
        self.max_position_embeddings.saturating_sub(self.position_offset())
    }

    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads.max(1)
    }

    /// Whether the shape is one this crate can run (names the offending field).
    pub fn check(&self) -> std::result::Result<(), String> {
        let positive = [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("type_vocab_size", self.type_vocab_size),
        ];
        if let Some((field, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(format!("`{field}` must be positive"));
        }
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Err(format!("`hidden_size` {} is not a multiple of `num_attention_heads` {}", self.hidden_size, self.num_attention_heads));
        }
        if self.max_tokens() < 3 {
            return Err(format!("`max_position_embeddings` {} leaves no room for a text", self.max_position_embeddings));
        }
        if !matches!(self.hidden_act.as_str(), "gelu" | "gelu_python") {
            return Err(format!("`hidden_act` {:?} is not supported (gelu)", self.hidden_act));
        }
        if !(self.layer_norm_eps > 0.0 && self.layer_norm_eps < 1.0) {
            return Err(format!("`layer_norm_eps` {} is out of range", self.layer_norm_eps));
        }
        Ok(())
    }
}
