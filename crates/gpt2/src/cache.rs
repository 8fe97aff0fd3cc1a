//! Key/value cache for incremental decoding.
//!
//! Each layer keeps the keys and values of every position seen so far, `[batch, heads, len, head_dim]`.
//! A decoding step then feeds only the new token(s) and attends over the cached past.

use burn::prelude::*;

/// Cached keys and values of one attention layer.
#[derive(Debug, Clone, Default)]
pub struct LayerCache {
    kv: Option<(Tensor<4>, Tensor<4>)>,
}

impl LayerCache {
    /// Appends this step's keys/values and returns the full past + present ones.
    pub fn extend(&mut self, key: Tensor<4>, value: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let (key, value) = match self.kv.take() {
            Some((past_key, past_value)) => (Tensor::cat(vec![past_key, key], 2), Tensor::cat(vec![past_value, value], 2)),
            None => (key, value),
        };
        self.kv = Some((key.clone(), value.clone()));
        (key, value)
    }
}

/// The cache of a whole model: one [`LayerCache`] per block, plus how many positions it holds.
#[derive(Debug, Clone)]
pub struct KvCache {
    pub(crate) layers: Vec<LayerCache>,
    len: usize,
}

impl KvCache {
    pub fn new(n_layer: usize) -> Self {
        Self { layers: vec![LayerCache::default(); n_layer], len: 0 }
    }

    /// Number of positions (tokens) cached.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn advance(&mut self, steps: usize) {
        self.len += steps;
    }

    /// Keeps (and duplicates) batch rows: row `i` of the new cache is row `rows[i]` of this one.
    /// Beam search uses it to follow the surviving beams.
    pub fn select_rows(&mut self, rows: &[usize]) {
        for layer in &mut self.layers {
            if let Some((key, value)) = layer.kv.take() {
                let index =
                    Tensor::<1, Int>::from_data(TensorData::new(rows.iter().map(|&r| r as i64).collect::<Vec<_>>(), [rows.len()]), &key.device());
                layer.kv = Some((key.select(0, index.clone()), value.select(0, index)));
            }
        }
    }
}
