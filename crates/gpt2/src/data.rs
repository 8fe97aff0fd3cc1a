//! Language-model training data: corpus files → documents → one token stream per split →
//! fixed windows of `context + 1` tokens (inputs and their next-token targets), visited in a
//! new seeded order every epoch.
//!
//! Documents are split into training and validation *before* packing, so no validation text
//! leaks into a training window. Each document ends with `<|endoftext|>`.

use std::path::Path;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

/// Reads a corpus file into documents: a `.jsonl` file gives one document per line (its
/// `"text"` field); any other file gives one document per block of lines separated by a
/// blank line. Empty documents are dropped.
pub fn read_documents(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::MissingFile { path: path.into(), what: "a corpus file" },
        _ => Error::io(path, e),
    })?;
    if path.extension().is_some_and(|e| e == "jsonl") {
        return text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(n, line)| {
                let value: serde_json::Value =
                    serde_json::from_str(line).map_err(|e| Error::Invalid(format!("{}: line {}: not JSON ({e})", path.display(), n + 1)))?;
                value["text"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| Error::Invalid(format!("{}: line {}: no \"text\" string field", path.display(), n + 1)))
            })
            .filter(|doc| doc.as_ref().map_or(true, |d| !d.trim().is_empty()))
            .collect();
    }
    Ok(text.replace("\r\n", "\n").split("\n\n").map(str::trim).filter(|doc| !doc.is_empty()).map(str::to_string).collect())
}

/// Token windows over one packed stream: window `i` is `tokens[i * context ..= (i + 1) * context]`.
#[derive(Debug, Clone)]
pub struct TokenWindows {
    tokens: Vec<u32>,
    context: usize,
}

impl TokenWindows {
    /// Windows of `context` tokens (a context of 0 is taken as 1: a window holds a token).
    pub fn new(tokens: Vec<u32>, context: usize) -> Self {
        Self { tokens, context: context.max(1) }
    }

    /// Number of whole windows.
    pub fn len(&self) -> usize {
        self.tokens.len().saturating_sub(1) / self.context
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `context + 1` tokens: the inputs are the first `context`, the targets the last `context`.
    pub fn window(&self, index: usize) -> &[u32] {
        let start = index * self.context;
        &self.tokens[start..start + self.context + 1]
    }

    pub fn context(&self) -> usize {
        self.context
    }

    /// Tokens in the stream.
    pub fn tokens(&self) -> usize {
        self.tokens.len()
    }
}

/// The corpus, tokenized and divided.
#[derive(Debug, Clone)]
pub struct TrainingData {
    pub train: TokenWindows,
    pub validation: TokenWindows,
    /// Documents in each split.
    pub train_documents: usize,
    pub validation_documents: usize,
}

impl TrainingData {
    /// Holds out about `validation_fraction` of the documents (at least one, chosen by
    /// `seed`), packs each split into windows of `context + 1` tokens, and checks that both
    /// splits fill at least one window.
    pub fn split(documents: &[Vec<u32>], eos: u32, context: usize, validation_fraction: f64, seed: u64) -> Result<Self> {
        if documents.len() < 2 {
            return Err(Error::Invalid(format!(
                "the corpus has {} document(s); at least 2 are needed (one is held out for validation)",
                documents.len()
            )));
        }
        let mut order: Vec<usize> = (0..documents.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        let held_out = ((documents.len() as f64 * validation_fraction).round() as usize).clamp(1, documents.len() - 1);
        let pack = |indices: &[usize]| -> Vec<u32> {
            let mut stream = Vec::new();
            for &i in indices {
                stream.extend_from_slice(&documents[i]);
                stream.push(eos);
            }
            stream
        };
        let (mut validation_docs, mut train_docs) = (order[..held_out].to_vec(), order[held_out..].to_vec());
        validation_docs.sort_unstable();
        train_docs.sort_unstable();
        let data = Self {
            train: TokenWindows::new(pack(&train_docs), context),
            validation: TokenWindows::new(pack(&validation_docs), context),
            train_documents: train_docs.len(),
            validation_documents: validation_docs.len(),
        };
        for (name, split) in [("training", &data.train), ("validation", &data.validation)] {
            if split.is_empty() {
                return Err(Error::Invalid(format!(
                    "the corpus is too small: its {name} part has {} tokens, and one window needs --context + 1 = {}; \
                     give more text or a smaller --context",
                    split.tokens(),
                    context + 1
                )));
            }
        }
        Ok(data)
    }

    /// A fingerprint of the packed tokens, the split and the window length, so that `--resume` can refuse a
    /// changed corpus.
    pub fn fingerprint(&self) -> u64 {
        // FNV-1a over both streams: stable across runs and platforms (std's hasher is not).
        let mut hasher = fnv::FnvHasher::default();
        let context = self.train.context as u32;
        for token in [&context].into_iter().chain(&self.train.tokens).chain([&u32::MAX]).chain(&self.validation.tokens) {
            std::hash::Hasher::write(&mut hasher, &token.to_le_bytes());
        }
        std::hash::Hasher::finish(&hasher)
    }
}

/// Which windows make up each batch: epoch `e` visits all windows in an order drawn from
/// (`seed`, `e`), so batch `step` is the same whether training ran straight or was resumed.
#[derive(Debug, Clone)]
pub struct BatchOrder {
    seed: u64,
    windows: usize,
    epoch: Option<(usize, Vec<usize>)>,
}

impl BatchOrder {
    pub fn new(seed: u64, windows: usize) -> Self {
        assert!(windows > 0, "no windows to order");
        Self { seed, windows, epoch: None }
    }

    /// Window indices of batch `step` of `batch_size` rows.
    pub fn batch(&mut self, step: usize, batch_size: usize) -> Vec<usize> {
        (step * batch_size..(step + 1) * batch_size).map(|sample| self.window_at(sample)).collect()
    }

    fn window_at(&mut self, sample: usize) -> usize {
        let epoch = sample / self.windows;
        if self.epoch.as_ref().is_none_or(|(e, _)| *e != epoch) {
            let mut order: Vec<usize> = (0..self.windows).collect();
            let epoch_seed = self.seed ^ (epoch as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            order.shuffle(&mut ChaCha8Rng::seed_from_u64(epoch_seed));
            self.epoch = Some((epoch, order));
        }
        self.epoch.as_ref().expect("set above").1[sample % self.windows]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_overlap_by_one_token_and_cover_the_stream() {
        let windows = TokenWindows::new((0..10).collect(), 3);
        assert_eq!(windows.len(), 3);
        assert_eq!(windows.window(0), &[0, 1, 2, 3]);
        assert_eq!(windows.window(2), &[6, 7, 8, 9]);
        let one = TokenWindows::new((0..4).collect(), 0);
        assert_eq!((one.len(), one.window(0)), (3, &[0, 1][..]), "a context of 0 divides nothing by 0");
    }

    #[test]
    fn every_epoch_visits_each_window_once_in_a_new_order() {
        let mut order = BatchOrder::new(7, 10);
        let first: Vec<usize> = (0..5).flat_map(|s| order.batch(s, 2)).collect();
        let second: Vec<usize> = (5..10).flat_map(|s| order.batch(s, 2)).collect();
        let sorted = |mut v: Vec<usize>| {
            v.sort_unstable();
            v
        };
        assert_eq!(sorted(first.clone()), (0..10).collect::<Vec<_>>());
        assert_eq!(sorted(second.clone()), (0..10).collect::<Vec<_>>());
        assert_ne!(first, second);
        // A fresh order (as after --resume) gives the same batch for the same step.
        assert_eq!(BatchOrder::new(7, 10).batch(7, 2), second[4..6].to_vec());
    }

    #[test]
    fn validation_documents_never_reach_training_windows() {
        let documents: Vec<Vec<u32>> = (0..20).map(|d| vec![100 + d; 5]).collect();
        let data = TrainingData::split(&documents, 0, 4, 0.2, 1).unwrap();
        assert_eq!((data.train_documents, data.validation_documents), (16, 4));
        let held_out: Vec<u32> = data.validation.tokens.iter().copied().filter(|&t| t != 0).collect();
        assert!(held_out.iter().all(|t| !data.train.tokens.contains(t)));
    }

    #[test]
    fn a_corpus_smaller_than_a_window_is_an_error_naming_the_sizes() {
        let documents = vec![vec![1, 2], vec![3, 4]];
        let error = TrainingData::split(&documents, 0, 128, 0.5, 0).unwrap_err().to_string();
        assert!(error.contains("too small") && error.contains("129"), "{error}");
    }
}
