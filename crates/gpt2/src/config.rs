//! The model's shape, read from (and written to) a Hugging Face `config.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Hyper-parameters of a GPT-2, named as Hugging Face's `GPT2Config` names them so that a
/// checkpoint's `config.json` deserializes unchanged. Fields we do not use are kept in `extra`
/// and written back on save.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gpt2Config {
    #[serde(default = "defaults::vocab_size")]
    pub vocab_size: usize,
    #[serde(default = "defaults::n_positions")]
    pub n_positions: usize,
    #[serde(default = "defaults::n_embd")]
    pub n_embd: usize,
    #[serde(default = "defaults::n_layer")]
    pub n_layer: usize,
    #[serde(default = "defaults::n_head")]
    pub n_head: usize,
    /// Width of the MLP's hidden layer; `None` means `4 * n_embd`.
    #[serde(default)]
    pub n_inner: Option<usize>,
    #[serde(default = "defaults::layer_norm_epsilon")]
    pub layer_norm_epsilon: f64,
    #[serde(default = "defaults::activation_function")]
    pub activation_function: String,
    #[serde(default = "defaults::yes")]
    pub scale_attn_weights: bool,
    #[serde(default)]
    pub scale_attn_by_inverse_layer_idx: bool,
    #[serde(default = "defaults::initializer_range")]
    pub initializer_range: f64,
    /// `null` in a few checkpoints; generation then falls back to `<|endoftext|>`.
    #[serde(default = "defaults::special_token")]
    pub bos_token_id: Option<u32>,
    #[serde(default = "defaults::special_token")]
    pub eos_token_id: Option<u32>,
    /// Fields of the checkpoint's config that this crate does not read (dropout rates,
    /// `architectures`, task parameters, ...), preserved for `save`.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

mod defaults {
    pub fn vocab_size() -> usize {
        50257
    }
    pub fn n_positions() -> usize {
        1024
    }
    pub fn n_embd() -> usize {
        768
    }
    pub fn n_layer() -> usize {
        12
    }
    pub fn n_head() -> usize {
        12
    }
    pub fn layer_norm_epsilon() -> f64 {
        1e-5
    }
    pub fn activation_function() -> String {
        "gelu_new".into()
    }
    pub fn yes() -> bool {
        true
    }
    pub fn initializer_range() -> f64 {
        0.02
    }
    pub fn special_token() -> Option<u32> {
        Some(50256)
    }
}

/// The MLP non-linearities a GPT-2 checkpoint may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `gelu_new`, `gelu_pytorch_tanh`, `gelu_fast`: the tanh approximation GPT-2 was trained with.
    GeluTanh,
    /// `gelu`: the exact, erf-based GELU.
    Gelu,
    Relu,
}

impl Gpt2Config {
    /// The 124M-parameter shape of the original GPT-2 ("gpt2" on the Hugging Face hub).
    pub fn gpt2_124m() -> Self {
        Self::with_shape(50257, 1024, 768, 12, 12)
    }

    /// A shape small enough for unit tests and smoke benchmarks.
    pub fn tiny() -> Self {
        Self::with_shape(50257, 256, 64, 2, 4)
    }

    /// A config with the given shape and every other field at GPT-2's defaults.
    pub fn with_shape(vocab_size: usize, n_positions: usize, n_embd: usize, n_layer: usize, n_head: usize) -> Self {
        let mut config: Self = serde_json::from_str("{}").expect("every field has a default");
        config.vocab_size = vocab_size;
        config.n_positions = n_positions;
        config.n_embd = n_embd;
        config.n_layer = n_layer;
        config.n_head = n_head;
        config.bos_token_id = Some((vocab_size - 1) as u32);
        config.eos_token_id = Some((vocab_size - 1) as u32);
        config
    }

    /// Reads and checks a `config.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::MissingFile { path: path.into(), what: "the model's config.json" },
            _ => Error::io(path, e),
        })?;
        let mut json = serde_json::Deserializer::from_str(&text);
        let config: Self = serde_path_to_error::deserialize(&mut json).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            let message = format!("line {}, column {}: {inner}", inner.line(), inner.column());
            let message = if field == "." { message } else { format!("field `{field}`: {message}") };
            Error::Config { path: path.into(), message }
        })?;
        config.validate().map_err(|message| Error::Config { path: path.into(), message })?;
        Ok(config)
    }

    /// Writes the config as Hugging Face writes it (`model_type` "gpt2").
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut value = serde_json::to_value(self).expect("config serializes");
        let map = value.as_object_mut().expect("config is an object");
        map.entry("model_type").or_insert_with(|| "gpt2".into());
        map.entry("architectures").or_insert_with(|| serde_json::json!(["GPT2LMHeadModel"]));
        let text = serde_json::to_string_pretty(&value).expect("config serializes");
        std::fs::write(path, text + "\n").map_err(|e| Error::io(path, e))
    }

    /// Checks the fields that must agree with each other; the message names the field.
    pub fn validate(&self) -> std::result::Result<(), String> {
        for (name, value) in [
            ("vocab_size", self.vocab_size),
            ("n_positions", self.n_positions),
            ("n_embd", self.n_embd),
            ("n_layer", self.n_layer),
            ("n_head", self.n_head),
        ] {
            if value == 0 {
                return Err(format!("field `{name}` must be positive"));
            }
        }
        if !((self.initializer_range as f32).is_finite() && self.initializer_range >= 0.0) {
            return Err(format!("field `initializer_range` must be a finite number ≥ 0, got {}", self.initializer_range));
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            return Err(format!("field `n_embd` ({}) must be a multiple of `n_head` ({})", self.n_embd, self.n_head));
        }
        if let Some(model_type) = self.extra.get("model_type").and_then(|v| v.as_str())
            && model_type != "gpt2"
        {
            return Err(format!("field `model_type` is {model_type:?}; only \"gpt2\" checkpoints load here"));
        }
        self.activation().map(|_| ())
    }

    /// The MLP activation named by `activation_function`.
    pub fn activation(&self) -> std::result::Result<Activation, String> {
        match self.activation_function.as_str() {
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Activation::GeluTanh),
            "gelu" => Ok(Activation::Gelu),
            "relu" => Ok(Activation::Relu),
            other => Err(format!("field `activation_function`: {other:?} is not supported (gelu_new, gelu, relu)")),
        }
    }

    pub fn head_dim(&self) -> usize {
        self.n_embd / self.n_head
    }

    pub fn inner_dim(&self) -> usize {
        self.n_inner.unwrap_or(4 * self.n_embd)
    }

    /// Number of parameters (the LM head is tied to the token embedding and not counted twice).
    pub fn num_params(&self) -> usize {
        let (d, f) = (self.n_embd, self.inner_dim());
        let block = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d);
        self.vocab_size * d + self.n_positions * d + self.n_layer * block + 2 * d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt2_124m_has_124m_parameters() {
        assert_eq!(Gpt2Config::gpt2_124m().num_params(), 124_439_808);
    }

    #[test]
    fn hf_config_deserializes_and_keeps_unknown_fields() {
        let text = r#"{"vocab_size": 1000, "n_embd": 64, "n_head": 4, "n_layer": 2,
            "resid_pdrop": 0.1, "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}"#;
        let config: Gpt2Config = serde_json::from_str(text).unwrap();
        assert_eq!((config.vocab_size, config.n_positions, config.head_dim()), (1000, 1024, 16));
        assert_eq!(config.extra["resid_pdrop"], 0.1);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn inconsistent_config_names_the_field() {
        let mut config = Gpt2Config::tiny();
        config.n_head = 5;
        assert!(config.validate().unwrap_err().contains("n_head"));
        config.n_head = 4;
        config.activation_function = "swish".into();
        assert!(config.validate().unwrap_err().contains("activation_function"));
        config.activation_function = "gelu_new".into();
        for bad in [-0.02, f64::NAN, 1e300] {
            config.initializer_range = bad;
            assert!(config.validate().unwrap_err().contains("initializer_range"), "{bad}");
        }
    }
}
