//! Raw intent scores: the TF-IDF featurizer, the burn-trained classifier and the intent
//! centroids, fitted together on (masked) example texts.
//!
//! The classifier separates intents well but is confident even far from anything it was
//! trained on; the similarity to each intent's centroid says how close the text is. An
//! intent's raw score is their geometric mean. Raw scores rank well but are not probabilities:
//! [`crate::calibration`] maps them to ones.

use crate::classifier::{LinearClassifier, TrainOptions};
use crate::features::{Featurizer, Vector, cosine};

#[derive(Debug, Clone)]
pub(crate) struct Scorer {
    pub(crate) featurizer: Featurizer,
    pub(crate) classifier: LinearClassifier,
    /// Per intent, the normalised mean of its examples' vectors.
    pub(crate) centroids: Vec<Vector>,
}

impl Scorer {
    /// Fits on `texts` labelled `0..classes`.
    pub(crate) fn fit(texts: &[String], labels: &[usize], classes: usize) -> Self {
        let featurizer = Featurizer::fit(texts);
        let vectors: Vec<Vector> = texts.iter().map(|t| featurizer.transform(t)).collect();
        let classifier = LinearClassifier::train(&vectors, labels, featurizer.len(), classes, &TrainOptions::default());
        let centroids = centroids(&vectors, labels, classes);
        Self { featurizer, classifier, centroids }
    }

    /// Each intent's raw score for a (masked) text, in label order.
    pub(crate) fn scores(&self, masked: &str) -> Vec<f32> {
        let vector = self.featurizer.transform(masked);
        let probabilities = self.classifier.probabilities(&vector);
        probabilities.iter().zip(&self.centroids).map(|(p, c)| (p * cosine(&vector, c).max(0.0)).sqrt()).collect()
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
