//! Softmax regression over sparse TF-IDF features, trained with burn.
//!
//! The weight matrix is `[features, intents]`; an utterance's logits are the TF-IDF-weighted sum
//! of its features' rows (an embedding bag) plus a bias. Training runs on burn's CPU backend with
//! autodiff and AdamW; prediction runs on the host (a few hundred rows summed), so parsing costs
//! microseconds and needs no device.

use burn::module::Param;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::module::embedding;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::features::Vector;

/// How the classifier is trained.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// Passes over the examples; more when that would give fewer than `min_steps` steps.
    pub epochs: usize,
    /// Small domains (a few examples per intent) need more passes to converge.
    pub min_steps: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f32,
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self { epochs: 10, min_steps: 400, batch_size: 64, learning_rate: 0.02, weight_decay: 0.0, seed: 7 }
    }
}

#[derive(Module, Debug)]
struct Bag {
    weights: Param<Tensor<2>>,
    bias: Param<Tensor<1>>,
}

impl Bag {
    fn forward(&self, ids: Tensor<2, Int>, values: Tensor<2>) -> Tensor<2> {
        let [rows, width] = ids.dims();
        let gathered = embedding(self.weights.val(), ids); // [rows, width, classes]
        let classes = gathered.dims()[2];
        let summed = (gathered * values.reshape([rows, width, 1])).sum_dim(1).reshape([rows, classes]);
        summed + self.bias.val().unsqueeze_dim(0)
    }
}

/// A trained classifier, held on the host.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinearClassifier {
    /// Row-major `[features, classes]`.
    weights: Vec<f32>,
    bias: Vec<f32>,
    classes: usize,
}

impl LinearClassifier {
    /// Trains on `examples` (sparse vectors over `features` ids) labelled `0..classes`.
    pub fn train(examples: &[Vector], labels: &[usize], features: usize, classes: usize, options: &TrainOptions) -> Self {
        assert_eq!(examples.len(), labels.len(), "one label per example");
        if examples.is_empty() || classes == 0 {
            return Self { weights: vec![0.0; features * classes], bias: vec![0.0; classes], classes };
        }
        let device = Device::flex().autodiff();
        let mut model = Bag {
            weights: Param::from_tensor(Tensor::zeros([features.max(1), classes], &device)),
            bias: Param::from_tensor(Tensor::zeros([classes], &device)),
        };
        let mut optimizer = AdamWConfig::new().with_weight_decay(options.weight_decay).init();
        let loss = CrossEntropyLossConfig::new().init(&device);
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        let batch_size = options.batch_size.max(1);
        let steps_per_epoch = examples.len().div_ceil(batch_size);
        let epochs = options.epochs.max(options.min_steps.div_ceil(steps_per_epoch));
        let steps = epochs * steps_per_epoch;
        let mut step = 0;
        for _ in 0..epochs {
            order.shuffle(&mut rng);
            for batch in order.chunks(batch_size) {
                let (ids, values) = sparse_batch(examples, batch, &device);
                let targets: Vec<i64> = batch.iter().map(|&i| labels[i] as i64).collect();
                let targets = Tensor::from_data(TensorData::new(targets, [batch.len()]), &device);
                let value = loss.forward(model.forward(ids, values), targets);
                let grads = GradientsParams::from_grads(value.backward(), &model);
                // Linear decay to a tenth: large steps first, then settle.
                let rate = options.learning_rate * (1.0 - 0.9 * step as f64 / steps as f64);
                model = optimizer.step(rate, model, grads);
                step += 1;
            }
        }
        let host = |t: Tensor<2>| t.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 weights");
        let bias = model.bias.val().into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 bias");
        Self { weights: host(model.weights.val()), bias, classes }
    }

    fn logits(&self, vector: &Vector) -> Vec<f32> {
        let mut logits = self.bias.clone();
        for &(id, value) in vector {
            let row = &self.weights[id as usize * self.classes..(id as usize + 1) * self.classes];
            for (logit, w) in logits.iter_mut().zip(row) {
                *logit += value * w;
            }
        }
        logits
    }

    /// Weights (`[features, classes]`, row-major) and bias: what a saved model stores.
    pub fn parts(&self) -> (&[f32], &[f32]) {
        (&self.weights, &self.bias)
    }

    /// Rebuilds a classifier from [`LinearClassifier::parts`]; `None` if the sizes disagree.
    pub fn from_parts(weights: Vec<f32>, bias: Vec<f32>) -> Option<Self> {
        let classes = bias.len();
        (classes > 0 && weights.len().is_multiple_of(classes)).then_some(Self { weights, bias, classes })
    }

    /// Class probabilities of one utterance.
    pub fn probabilities(&self, vector: &Vector) -> Vec<f32> {
        let mut logits = self.logits(vector);
        softmax(&mut logits);
        logits
    }
}

fn sparse_batch(examples: &[Vector], batch: &[usize], device: &Device) -> (Tensor<2, Int>, Tensor<2>) {
    let width = batch.iter().map(|&i| examples[i].len()).max().unwrap_or(1).max(1);
    let mut ids = vec![0i64; batch.len() * width];
    let mut values = vec![0f32; batch.len() * width];
    for (row, &i) in batch.iter().enumerate() {
        for (col, &(id, value)) in examples[i].iter().enumerate() {
            ids[row * width + col] = i64::from(id);
            values[row * width + col] = value;
        }
    }
    (Tensor::from_data(TensorData::new(ids, [batch.len(), width]), device), Tensor::from_data(TensorData::new(values, [batch.len(), width]), device))
}

fn softmax(logits: &mut [f32]) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for l in logits.iter_mut() {
        *l = (*l - max).exp();
        sum += *l;
    }
    for l in logits.iter_mut() {
        *l /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_classes_are_learned() {
        // Class 0 has feature 0, class 1 feature 1, class 2 both 2 and 3.
        let examples: Vec<Vector> = vec![vec![(0, 1.0)], vec![(1, 1.0)], vec![(2, 0.7), (3, 0.7)], vec![(0, 0.9), (3, 0.1)]];
        let labels = vec![0, 1, 2, 0];
        let options = TrainOptions { epochs: 60, batch_size: 2, ..TrainOptions::default() };
        let classifier = LinearClassifier::train(&examples, &labels, 4, 3, &options);
        for (x, &y) in examples.iter().zip(&labels) {
            let p = classifier.probabilities(x);
            let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            assert_eq!(best, y, "{p:?}");
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }
}
