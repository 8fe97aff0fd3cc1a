//! Sentence features from a language model, beside the n-gram features.
//!
//! A [`SentenceEncoder`] gives one vector per text (the bot offers a pretrained sentence
//! encoder, or its GPT-2's pooled states: deskbot's `sentence` module). [`DenseFeatures`] standardises those vectors on the training texts (GPT-2's hidden
//! states share a large common direction), normalises them and appends them, scaled by a
//! weight, to the unit-length n-gram vector. The weight is chosen on held-out folds
//! ([`crate::held_out`]); 0 means the model's features did not help this domain and are not used.

use serde::{Deserialize, Serialize};

use crate::features::Vector;

/// What the recognizer needs of a language model: one fixed-length vector per text.
pub trait SentenceEncoder: Send + Sync {
    /// Identifies the weights, so that a model trained on one encoder's features refuses another.
    fn fingerprint(&self) -> String;
    /// One vector per text, all of the same length.
    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String>;
}

/// How an encoder's vectors join a scorer's features (fitted on its training texts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DenseFeatures {
    /// Length of the dense part relative to the n-gram part's (which is 1).
    pub weight: f32,
    pub mean: Vec<f32>,
    /// 1 / standard deviation, per dimension.
    pub scale: Vec<f32>,
}

impl DenseFeatures {
    /// Standardisation fitted on `embeddings` (at least one, all the same length).
    pub fn fit(embeddings: &[Vec<f32>], weight: f32) -> Self {
        let dim = embeddings.first().map_or(0, Vec::len);
        let n = embeddings.len().max(1) as f32;
        let mut mean = vec![0.0f32; dim];
        for e in embeddings {
            for (m, x) in mean.iter_mut().zip(e) {
                *m += x / n;
            }
        }
        let mut variance = vec![0.0f32; dim];
        for e in embeddings {
            for ((v, x), m) in variance.iter_mut().zip(e).zip(&mean) {
                *v += (x - m) * (x - m) / n;
            }
        }
        let scale = variance.iter().map(|v| 1.0 / v.sqrt().max(1e-6)).collect();
        Self { weight, mean, scale }
    }

    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// `sparse` (unit length, ids below `offset`) followed by the standardised, normalised
    /// `embedding` times the weight at ids `offset..`, all rescaled to unit length. Without an
    /// embedding (the encoder failed on this text) the dense part is the training mean: zero.
    pub fn append(&self, sparse: Vector, offset: u32, embedding: Option<&[f32]>) -> Vector {
        let norm = (1.0 + self.weight * self.weight).sqrt();
        let mut vector: Vector = sparse.into_iter().map(|(id, v)| (id, v / norm)).collect();
        let Some(embedding) = embedding.filter(|e| e.len() == self.dim()) else { return vector };
        let standard: Vec<f32> = embedding.iter().zip(&self.mean).zip(&self.scale).map(|((x, m), s)| (x - m) * s).collect();
        let length = standard.iter().map(|x| x * x).sum::<f32>().sqrt();
        if length > 0.0 {
            let factor = self.weight / length / norm;
            vector.extend(standard.iter().enumerate().map(|(j, x)| (offset + j as u32, x * factor)));
        }
        vector
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_vectors_have_unit_length_and_the_weighted_share() {
        let embeddings = vec![vec![1.0, 10.0, 3.0], vec![3.0, 10.0, 5.0], vec![2.0, 10.0, 1.0]];
        let dense = DenseFeatures::fit(&embeddings, 0.5);
        let sparse: Vector = vec![(0, 0.6), (4, 0.8)];
        let vector = dense.append(sparse, 5, Some(&embeddings[0]));
        let length: f32 = vector.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        assert!((length - 1.0).abs() < 1e-5, "{vector:?}");
        // The dense part's share of the squared length is w² / (1 + w²) = 0.2.
        let dense_share: f32 = vector.iter().filter(|(id, _)| *id >= 5).map(|(_, v)| v * v).sum();
        assert!((dense_share - 0.2).abs() < 1e-5, "{vector:?}");
        // A constant dimension carries nothing (no division by a zero spread).
        assert!(vector.iter().all(|(id, v)| *id != 6 || v.abs() < 1e-6), "{vector:?}");
        // No embedding: the sparse part alone, scaled as when the dense part is the mean.
        assert_eq!(dense.append(vec![(0, 1.0)], 5, None).len(), 1);
    }
}
