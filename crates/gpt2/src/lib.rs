//! GPT-2 in [burn](https://burn.dev), as deskbot uses it.
//!
//! - [`Gpt2Config`]: the shape, read from a Hugging Face `config.json`.
//! - [`Gpt2Model`]: the network (`init` from a config, `forward` with an optional [`KvCache`]).
//! - [`checkpoint`]: load/save a Hugging Face model directory (`config.json`,
//!   `model.safetensors`); real GPT-2, DistilGPT-2 and DialoGPT checkpoints load unchanged.
//! - [`Gpt2Tokenizer`]: byte-level BPE through the `tokenizers` crate.
//! - [`Gpt2`]: model + tokenizer + device, with [`Gpt2::generate`] (greedy, sampling, beam
//!   search), [`Gpt2::score`] (log-probability of continuations) and [`Gpt2::embed`] (pooled
//!   hidden states).
//! - [`Trainer`]: training with burn's autodiff (AdamW, warm-up + cosine decay, gradient
//!   clipping, checkpoints that resume exactly) over [`TrainingData`] packed from a corpus;
//!   [`Gpt2Tokenizer::train`] trains the byte-level BPE.
//! - [`Backend`]: `auto`, `wgpu` or `cpu`, chosen at run time.
//!
//! ```no_run
//! use gpt2::{Backend, Gpt2, GenerationConfig};
//! let device = Backend::Auto.device()?.device;
//! let model = Gpt2::load("path/to/model-dir".as_ref(), &device)?;
//! let reply = model.generate("Where is my order?", &GenerationConfig::default())?;
//! println!("{}", reply.text);
//! # Ok::<(), gpt2::Error>(())
//! ```

pub mod cache;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod device;
pub mod error;
pub mod generation;
pub mod host;
pub mod model;
pub mod pipeline;
pub mod sampling;
pub mod tokenizer;
pub mod training;

pub use cache::KvCache;
pub use config::Gpt2Config;
pub use data::{TokenWindows, TrainingData};
pub use device::{Backend, SelectedDevice};
pub use error::{Error, Result};
pub use generation::{Generation, GenerationConfig, StopReason};
pub use model::{Batch, Gpt2Model};
pub use pipeline::{Gpt2, Score};
pub use sampling::Sampler;
pub use tokenizer::Gpt2Tokenizer;
pub use training::{TrainSettings, Trainer};
