//! [`Gpt2`]: a model, its tokenizer and its device, with the operations the rest of deskbot
//! calls: logits, continuation scoring, pooled embeddings (generation is in `generation.rs`).

use std::path::Path;

use burn::prelude::*;
use burn::tensor::activation::log_softmax;

use crate::cache::KvCache;
use crate::checkpoint;
use crate::config::Gpt2Config;
use crate::error::{Error, Result};
use crate::host::HostPrecision;
use crate::model::{Batch, Gpt2Model};
use crate::tokenizer::{END_OF_TEXT, Gpt2Tokenizer};

/// Rows per forward pass when scoring or embedding many texts.
const MAX_BATCH: usize = 16;

/// A loaded GPT-2, ready to run.
#[derive(Debug)]
pub struct Gpt2 {
    pub config: Gpt2Config,
    pub model: Gpt2Model,
    pub tokenizer: Gpt2Tokenizer,
    pub device: Device,
}

/// A candidate's log-probability given a context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Sum of the candidate tokens' log-probabilities.
    pub logprob: f64,
    /// Number of candidate tokens.
    pub tokens: usize,
}

impl Score {
    /// Log-probability per token, comparable across candidates of different lengths.
    pub fn mean(&self) -> f64 {
        if self.tokens == 0 { 0.0 } else { self.logprob / self.tokens as f64 }
    }
}

impl Gpt2 {
    /// Loads a Hugging Face style model directory onto `device`.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let (config, model) = checkpoint::load(dir, device)?;
        let tokenizer = Gpt2Tokenizer::from_dir(dir)?;
        Self::new(config, model, tokenizer, device.clone())
    }

    /// Puts parts together, checking that the tokenizer's ids fit the model's vocabulary. On
    /// the CPU backend the model keeps its weights a second time, laid out for decoding.
    pub fn new(config: Gpt2Config, model: Gpt2Model, tokenizer: Gpt2Tokenizer, device: Device) -> Result<Self> {
        if let Some(max_id) = tokenizer.max_id()
            && max_id as usize >= config.vocab_size
        {
            return Err(Error::Tokenizer {
                path: tokenizer.source().into(),
                message: format!("has token id {max_id}, but config.json's vocab_size is {}", config.vocab_size),
            });
        }
        // On the CPU backend decoding steps run on host copies of the weights (`crate::host`).
        let model = if device == Device::flex() { model.with_host_weights(HostPrecision::F32) } else { model };
        Ok(Self { config, model, tokenizer, device })
    }

    /// Writes `config.json`, `model.safetensors` and `tokenizer.json` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        checkpoint::save(dir, &self.config, &self.model)?;
        self.tokenizer.save(dir)
    }

    /// Token that starts an empty context: `bos_token_id`, else `<|endoftext|>`, else 0.
    pub fn bos_id(&self) -> u32 {
        self.config.bos_token_id.or_else(|| self.tokenizer.token_id(END_OF_TEXT)).unwrap_or(0)
    }

    /// Identifies these weights: a hash (FNV-1a) of the config and of the position embeddings
    /// and final LayerNorm, read back as stored, so the same checkpoint gives the same value on
    /// every backend. What a saved NLU model trained on this model's features checks.
    pub fn fingerprint(&self) -> String {
        let config = serde_json::to_vec(&self.config).expect("a config serializes");
        let mut parts = vec![self.model.wpe.weight.val(), self.model.ln_f.gamma.val().unsqueeze_dim(0)];
        parts.extend(self.model.ln_f.beta.as_ref().map(|beta| beta.val().unsqueeze_dim(0)));
        let bytes = parts.into_iter().flat_map(|t| rows(t).into_iter().flatten().flat_map(f32::to_le_bytes));
        let mut hasher = fnv::FnvHasher::default();
        config.into_iter().chain(bytes).for_each(|b| std::hash::Hasher::write_u8(&mut hasher, b));
        format!("{:016x}", std::hash::Hasher::finish(&hasher))
    }

    /// Token that ends generation: `eos_token_id`, else `<|endoftext|>`.
    pub fn eos_id(&self) -> Option<u32> {
        self.config.eos_token_id.or_else(|| self.tokenizer.token_id(END_OF_TEXT))
    }

    /// Checks ids against the vocabulary and the context length.
    pub fn check_ids(&self, ids: &[u32]) -> Result<()> {
        if ids.is_empty() {
            return Err(Error::Invalid("no token ids given".into()));
        }
        if let Some(&bad) = ids.iter().find(|&&id| id as usize >= self.config.vocab_size) {
            return Err(Error::Invalid(format!("token id {bad} is outside the vocabulary (vocab_size {})", self.config.vocab_size)));
        }
        if ids.len() > self.config.n_positions {
            return Err(Error::Invalid(format!(
                "{} tokens exceed the model's context of {} positions (n_positions)",
                ids.len(),
                self.config.n_positions
            )));
        }
        Ok(())
    }

    /// Logits at every position of one sequence: `[ids.len()][vocab_size]`.
    pub fn logits(&self, ids: &[u32]) -> Result<Vec<Vec<f32>>> {
        self.check_ids(ids)?;
        let hidden = self.model.forward(Batch::dense(&[ids.to_vec()], 0, &self.device), None);
        let logits = self.model.logits(hidden);
        Ok(rows(logits.reshape([ids.len(), self.config.vocab_size])))
    }

    /// Runs `rows` (equal length) through the model on top of `cache` and returns the
    /// next-token logits of each row's last position.
    pub fn next_logits(&self, rows_ids: &[Vec<u32>], cache: &mut KvCache) -> Vec<Vec<f32>> {
        let batch = Batch::dense(rows_ids, cache.len(), &self.device);
        rows(self.model.next_logits(batch, cache))
    }

    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.config.n_layer)
    }

    /// Log-probability of each candidate continuation after `context` (texts).
    pub fn score(&self, context: &str, candidates: &[&str]) -> Result<Vec<Score>> {
        let context = self.tokenizer.encode(context)?;
        let candidates = candidates.iter().map(|c| self.tokenizer.encode(c)).collect::<Result<Vec<_>>>()?;
        self.score_ids(&context, &candidates)
    }

    /// Log-probability of each candidate continuation after `context` (ids). An empty
    /// context starts from the BOS token; the candidates are scored in batches.
    pub fn score_ids(&self, context: &[u32], candidates: &[Vec<u32>]) -> Result<Vec<Score>> {
        let context = if context.is_empty() { vec![self.bos_id()] } else { context.to_vec() };
        let mut scores = Vec::with_capacity(candidates.len());
        for chunk in candidates.chunks(MAX_BATCH) {
            let full: Vec<Vec<u32>> = chunk.iter().map(|c| [context.as_slice(), c].concat()).collect();
            for row in &full {
                self.check_ids(row)?;
            }
            let (batch, lengths) = Batch::right_padded(&full, &self.device);
            let [b, s] = batch.ids.dims();
            // Target of position p is the token at p + 1; the last column has none (use 0).
            let targets: Vec<i64> = full.iter().flat_map(|row| (0..s).map(move |p| row.get(p + 1).map_or(0, |&t| t as i64))).collect();
            let targets = Tensor::<3, Int>::from_data(TensorData::new(targets, [b, s, 1]), &self.device);
            let logprobs = log_softmax(self.model.logits(self.model.forward(batch, None)), 2);
            let picked = logprobs.gather(2, targets).reshape([b, s]);
            for ((row, len), candidate) in rows(picked).iter().zip(&lengths).zip(chunk) {
                let first = context.len() - 1;
                let logprob = row[first..len - 1].iter().map(|&x| x as f64).sum();
                scores.push(Score { logprob, tokens: candidate.len() });
            }
        }
        Ok(scores)
    }

    /// Mean-pooled final hidden states (after `ln_f`), one `n_embd` vector per text. Texts
    /// longer than the context are cut to their first `n_positions` tokens; an empty text is
    /// the BOS token.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let ids = texts
            .iter()
            .map(|t| {
                let mut ids = self.tokenizer.encode(t)?;
                if ids.is_empty() {
                    ids.push(self.bos_id());
                }
                ids.truncate(self.config.n_positions);
                Ok(ids)
            })
            .collect::<Result<Vec<_>>>()?;
        self.embed_ids(&ids)
    }

    /// [`Gpt2::embed`] on token ids.
    pub fn embed_ids(&self, texts: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        let d = self.config.n_embd;
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(MAX_BATCH) {
            for row in chunk {
                self.check_ids(row)?;
            }
            let (batch, lengths) = Batch::right_padded(chunk, &self.device);
            let [b, s] = batch.ids.dims();
            let weights: Vec<f32> = lengths.iter().flat_map(|&len| (0..s).map(move |p| if p < len { 1.0 / len as f32 } else { 0.0 })).collect();
            let weights = Tensor::<3>::from_data(TensorData::new(weights, [b, s, 1]), &self.device);
            let hidden = self.model.forward(batch, None);
            let pooled = (hidden * weights).sum_dim(1).reshape([b, d]);
            out.extend(rows(pooled));
        }
        Ok(out)
    }
}

/// A `[rows, cols]` tensor as host vectors.
fn rows(tensor: Tensor<2>) -> Vec<Vec<f32>> {
    let [_, cols] = tensor.dims();
    let data = crate::host::host_values(tensor);
    data.chunks(cols.max(1)).map(<[f32]>::to_vec).collect()
}
