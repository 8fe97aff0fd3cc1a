//! [`Encoder`]: tokenizer + network + word table on a device — texts in, unit vectors out.

use std::path::Path;

use burn::prelude::*;
use sha2::{Digest, Sha256};

use crate::config::EncoderConfig;
use crate::e5file;
use crate::error::{Error, Result};
use crate::hf;
use crate::model::{EncoderBatch, EncoderModel, mean_pool};
use crate::tokenizer::SentenceTokenizer;
use crate::weights::WordTable;

/// Texts per forward pass; texts are sorted by length first so that little is padding.
pub const BATCH: usize = 32;
/// What e5 expects before a text that is matched against others (its model card).
pub const QUERY_PREFIX: &str = "query: ";
/// A window of tokens never needs more characters than this many per token.
const CHARS_PER_TOKEN_BOUND: usize = 16;

/// A sentence encoder ready to run.
pub struct Encoder {
    pub config: EncoderConfig,
    model: EncoderModel,
    words: WordTable,
    tokenizer: SentenceTokenizer,
    device: Device,
    prefix: String,
    fingerprint: String,
}

/// The lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl Encoder {
    /// Loads an e5 `E5S1` file or a Hugging Face model directory.
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        Self::load_checked(path, None, device)
    }

    /// Like [`Encoder::load`]; a file must also have the sha256 `digest` (lowercase hex).
    pub fn load_checked(path: &Path, digest: Option<&str>, device: &Device) -> Result<Self> {
        if path.is_dir() {
            return Self::load_hf(path, device);
        }
        let bytes = std::fs::read(path).map_err(Error::read(path, "the encoder model file"))?;
        let actual = sha256_hex(&bytes);
        if let Some(expected) = digest.filter(|d| *d != actual) {
            return Err(Error::format(path, format!("sha256 is {actual}, expected {expected}: a damaged or different file")));
        }
        if !e5file::is_e5(&bytes) {
            return Err(Error::format(path, "not an e5 model file (no E5S1 magic) nor a model directory"));
        }
        let file = e5file::parse(path, &bytes)?;
        drop(bytes);
        let tokenizer = SentenceTokenizer::from_pieces(file.pieces, file.config.max_tokens());
        let mut tensors = file.tensors;
        let model = EncoderModel::from_host(&file.config, &mut tensors, device)?;
        Self::assemble(path, file.config, model, file.words, tokenizer, format!("e5s1-{}", &actual[..16]), device)
    }

    fn load_hf(dir: &Path, device: &Device) -> Result<Self> {
        let loaded = hf::load(dir)?;
        let mut tensors = loaded.tensors;
        let model = EncoderModel::from_host(&loaded.config, &mut tensors, device)?;
        if let Some(extra) = tensors.remaining().next() {
            return Err(Error::format(tensors.path(), format!("tensor `{extra}` does not belong to an encoder of this config.json")));
        }
        let tokenizer_path = dir.join(hf::TOKENIZER_FILE);
        let tokenizer = SentenceTokenizer::from_file(&tokenizer_path, loaded.config.max_tokens())?;
        let fingerprint = format!("hf-{}", &loaded.sha256[..16]);
        Self::assemble(&tokenizer_path, loaded.config, model, loaded.words, tokenizer, fingerprint, device)
    }

    fn assemble(
        path: &Path,
        config: EncoderConfig,
        model: EncoderModel,
        words: WordTable,
        tokenizer: SentenceTokenizer,
        fingerprint: String,
        device: &Device,
    ) -> Result<Self> {
        if tokenizer.vocab_size() > words.vocab() {
            return Err(Error::Tokenizer {
                path: path.into(),
                message: format!("{} tokens, but the model embeds only {}", tokenizer.vocab_size(), words.vocab()),
            });
        }
        Ok(Self { config, model, words, tokenizer, device: device.clone(), prefix: QUERY_PREFIX.into(), fingerprint })
    }

    /// Puts `prefix` before every text instead of `query: `.
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Identifies the weights: their sha256, shortened.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Length of the vectors.
    pub fn dim(&self) -> usize {
        self.config.hidden_size
    }

    /// Token ids of `text` as the model sees it (prefix and special tokens included).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        let limit = self.config.max_tokens() * CHARS_PER_TOKEN_BOUND;
        let text = match text.char_indices().nth(limit) {
            Some((cut, _)) => &text[..cut],
            None => text,
        };
        self.tokenizer.encode(&format!("{}{text}", self.prefix))
    }

    /// One L2-normalised vector per text, in order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let ids = texts.iter().map(|t| self.token_ids(t)).collect::<Result<Vec<_>>>()?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH) {
            let rows: Vec<&[u32]> = chunk.iter().map(|&i| ids[i].as_slice()).collect();
            for (&i, vector) in chunk.iter().zip(self.embed_batch(&rows)) {
                out[i] = vector;
            }
        }
        Ok(out)
    }

    /// One forward pass over `rows` of token ids, right-padded.
    fn embed_batch(&self, rows: &[&[u32]]) -> Vec<Vec<f32>> {
        let (batch, seq, d) = (rows.len(), rows.iter().map(|r| r.len()).max().unwrap_or(0), self.dim());
        let offset = self.config.position_offset() as i64;
        let (mut ids, mut positions, mut padding) =
            (Vec::with_capacity(batch * seq), Vec::with_capacity(batch * seq), Vec::with_capacity(batch * seq));
        for row in rows {
            for p in 0..seq {
                ids.push(row.get(p).or(row.first()).copied().unwrap_or(0));
                positions.push(offset + p.min(row.len().saturating_sub(1)) as i64);
                padding.push(p >= row.len());
            }
        }
        let words = Tensor::from_data(TensorData::new(self.words.lookup(&ids), [batch, seq, d]), &self.device);
        let batch_data = EncoderBatch {
            words,
            positions: Tensor::from_data(TensorData::new(positions, [batch, seq]), &self.device),
            padding: Tensor::from_data(TensorData::new(padding, [batch, seq]), &self.device),
        };
        let padding = batch_data.padding.clone();
        let pooled = mean_pool(self.model.forward(batch_data), padding);
        let values = pooled.into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default();
        values.chunks(d.max(1)).map(<[f32]>::to_vec).collect()
    }
}
