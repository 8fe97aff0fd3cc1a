//! Raw intent scores: the TF-IDF featurizer (with a language model's sentence features when
//! they help), the burn-trained classifier and the intent centroids, fitted together on
//! (masked) example texts.
//!
//! The classifier separates intents well but is confident even far from anything it was
//! trained on; the similarity to each intent's centroid says how close the text is. An
//! intent's raw score is their geometric mean. Raw scores rank well but are not probabilities:
//! [`crate::calibration`] maps them to ones.

use crate::classifier::{LinearClassifier, TrainOptions};
use crate::encoder::DenseFeatures;
use crate::features::{Featurizer, Vector, cosine};

#[derive(Debug, Clone)]
pub(crate) struct Scorer {
    pub(crate) featurizer: Featurizer,
    /// Sentence features appended after the n-gram ids (none when their weight is 0).
    pub(crate) dense: Option<DenseFeatures>,
    pub(crate) classifier: LinearClassifier,
    /// Per intent, the normalised mean of its examples' vectors.
    pub(crate) centroids: Vec<Vector>,
}

impl Scorer {
    /// Fits on `texts` labelled `0..classes`; `embeddings` (one per text) join the features
    /// at `weight` when it is above 0.
    pub(crate) fn fit(texts: &[String], embeddings: Option<&[Vec<f32>]>, weight: f32, labels: &[usize], classes: usize) -> Self {
        let featurizer = Featurizer::fit(texts);
        let embeddings = embeddings.filter(|e| weight > 0.0 && !e.is_empty());
        let dense = embeddings.map(|e| DenseFeatures::fit(e, weight));
        let mut scorer = Self { featurizer, dense, classifier: LinearClassifier::default(), centroids: Vec::new() };
        let vectors: Vec<Vector> = texts.iter().enumerate().map(|(i, t)| scorer.vector(t, embeddings.map(|e| e[i].as_slice()))).collect();
        scorer.classifier = LinearClassifier::train(&vectors, labels, scorer.features(), classes, &TrainOptions::default());
        scorer.centroids = centroids(&vectors, labels, classes);
        scorer
    }

    /// Number of feature ids: n-grams, then the dense dimensions.
    pub(crate) fn features(&self) -> usize {
        self.featurizer.len() + self.dense.as_ref().map_or(0, DenseFeatures::dim)
    }

    /// Each intent's raw score for a (masked) text and its embedding, in label order.
    pub(crate) fn scores(&self, masked: &str, embedding: Option<&[f32]>) -> Vec<f32> {
        let vector = self.vector(masked, embedding);
        let probabilities = self.classifier.probabilities(&vector);
        probabilities.iter().zip(&self.centroids).map(|(p, c)| (p * cosine(&vector, c).max(0.0)).sqrt()).collect()
    }

    fn vector(&self, text: &str, embedding: Option<&[f32]>) -> Vector {
        let sparse = self.featurizer.transform(text);
        match &self.dense {
            Some(dense) => dense.append(sparse, self.featurizer.len() as u32, embedding),
            None => sparse,
        }
    }
}

/// The normalised mean vector of each label's examples.
fn centroids(vectors: &[Vector], labels: &[usize], classes: usize) -> Vec<Vector> {
    let mut sums: Vec<std::collections::BTreeMap<u32, f32>> = vec![Default::default(); classes];
    for (vector, &label) in vectors.iter().zip(labels) {
        for &(id, value) in vector {
            *sums[label].entry(id).or_default() += value;
        }
    }
    sums.into_iter()
        .map(|sum| {
            let norm = sum.values().map(|v| v * v).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
            sum.into_iter().map(|(id, v)| (id, v / norm)).collect()
        })
        .collect()
}
