//! What the training examples say about examples the recognizer was not trained on.
//!
//! The examples are split into five folds; a scorer trained without a fold scores it, fold
//! after fold until 2,000 examples are scored (one fold of a large set, every fold of a small
//! one). Those held-out top scores fit the confidence [`Calibration`]. When a language model's
//! sentence features are offered, they also choose the features' weight: every candidate
//! weight gets its own fold scorers. A weight is taken only if, against no features, it fixes
//! significantly more held-out examples than it breaks (McNemar's test on the examples whose
//! outcome changed, z ≥ 2: a one-example gain is noise); among those, the best held-out
//! top-intent accuracy wins, the smaller weight on a tie. Folds train side by side, as many at
//! once as there are cores (with the final scorer when there is no weight to choose); each is
//! seeded, so the outcome is the same either way.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::calibration::{Calibration, top};
use crate::scorer::Scorer;

const FOLDS: usize = 5;
/// Stop scoring held-out folds once this many examples are scored.
const ENOUGH_SCORES: usize = 2000;
/// Fewer examples than this give too few held-out scores to learn from: raw scores are kept
/// and sentence features are not used.
const MIN_EXAMPLES: usize = 10;
/// Weights tried for sentence features, relative to the n-gram vector's length.
pub const FEATURE_WEIGHTS: [f32; 5] = [0.0, 0.5, 1.0, 2.0, 4.0];
/// How many standard errors a weight's net gain must reach (McNemar's z).
const MIN_Z: f64 = 2.0;

/// One candidate weight for sentence features and how the held-out examples fared with it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WeightTrial {
    pub weight: f32,
    pub held_out_accuracy: f32,
    /// Held-out examples right at this weight and wrong without the features…
    pub fixed: usize,
    /// …and the other way round.
    pub broken: usize,
}

impl WeightTrial {
    /// Whether the features' net gain is more than chance (see the module doc).
    pub fn significant(&self) -> bool {
        let (fixed, broken) = (self.fixed as f64, self.broken as f64);
        fixed > broken && fixed - broken >= MIN_Z * (fixed + broken).sqrt()
    }
}

/// The final scorer, its calibration, and the sentence-feature weights tried (empty without
/// an encoder).
pub(crate) struct Trained {
    pub scorer: Scorer,
    pub calibration: Calibration,
    pub trials: Vec<WeightTrial>,
}

enum Job {
    Fold { fold: usize, weight: usize },
    Final { weight: usize },
}

enum Done {
    Points { fold: usize, weight: usize, points: Vec<(f32, bool)> },
    Scorer(usize, Scorer),
}

/// Trains on `texts` labelled `0..classes`, with `embeddings` (one per text) as candidate
/// sentence features.
pub(crate) fn train(texts: &[String], embeddings: Option<&[Vec<f32>]>, labels: &[usize], classes: usize, seed: u64) -> Trained {
    if texts.len() < MIN_EXAMPLES {
        return Trained { scorer: Scorer::fit(texts, None, 0.0, labels, classes), calibration: Calibration::IDENTITY, trials: Vec::new() };
    }
    let weights: &[f32] = if embeddings.is_some() { &FEATURE_WEIGHTS } else { &[0.0] };
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    // Fold f holds the examples at positions f, f + FOLDS, …; take folds until enough.
    let mut folds = 0;
    let mut scored = 0;
    while folds < FOLDS && scored < ENOUGH_SCORES {
        scored += (texts.len() - folds).div_ceil(FOLDS);
        folds += 1;
    }
    let run = |job: &Job| -> Done {
        match *job {
            Job::Final { weight } => Done::Scorer(weight, Scorer::fit(texts, embeddings, weights[weight], labels, classes)),
            Job::Fold { fold, weight } => {
                let (mut train, mut held_out) = (Vec::new(), Vec::new());
                for (position, &index) in order.iter().enumerate() {
                    if position % FOLDS == fold { held_out.push(index) } else { train.push(index) }
                }
                let pick = |indices: &[usize]| embeddings.map(|e| indices.iter().map(|&i| e[i].clone()).collect::<Vec<_>>());
                let train_texts: Vec<String> = train.iter().map(|&i| texts[i].clone()).collect();
                let train_labels: Vec<usize> = train.iter().map(|&i| labels[i]).collect();
                let scorer = Scorer::fit(&train_texts, pick(&train).as_deref(), weights[weight], &train_labels, classes);
                let points = held_out
                    .iter()
                    .filter_map(|&i| {
                        let scores = scorer.scores(&texts[i], embeddings.map(|e| e[i].as_slice()));
                        top(&scores).map(|best| (scores[best], best == labels[i]))
                    })
                    .collect();
                Done::Points { fold, weight, points }
            }
        }
    };
    // Without candidates to choose from, the final scorer trains beside the folds; with them,
    // only the chosen weight's, after.
    let mut jobs: Vec<Job> = if weights.len() == 1 { vec![Job::Final { weight: 0 }] } else { Vec::new() };
    jobs.extend((0..folds).flat_map(|fold| (0..weights.len()).map(move |weight| Job::Fold { fold, weight })));
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Per weight, per fold: folds concatenate in order, so every weight's points are aligned.
    let mut by_fold: Vec<Vec<Vec<(f32, bool)>>> = vec![vec![Vec::new(); folds]; weights.len()];
    let mut finals: Vec<Option<Scorer>> = vec![None; weights.len()];
    for batch in jobs.chunks(workers) {
        let done: Vec<Done> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch.iter().map(|job| scope.spawn(|| run(job))).collect();
            handles.into_iter().map(|h| h.join().expect("a training job panicked")).collect()
        });
        for result in done {
            match result {
                Done::Points { fold, weight, points } => by_fold[weight][fold] = points,
                Done::Scorer(weight, scorer) => finals[weight] = Some(scorer),
            }
        }
    }
    let points: Vec<Vec<(f32, bool)>> = by_fold.into_iter().map(|folds| folds.concat()).collect();
    let trials: Vec<WeightTrial> = weights
        .iter()
        .zip(&points)
        .map(|(&weight, p)| {
            let changed = |was: bool| p.iter().zip(&points[0]).filter(|(now, before)| now.1 != before.1 && before.1 == was).count();
            let held_out_accuracy = p.iter().filter(|x| x.1).count() as f32 / p.len().max(1) as f32;
            WeightTrial { weight, held_out_accuracy, fixed: changed(false), broken: changed(true) }
        })
        .collect();
    // Weights are in increasing order: on a tie the smaller stays.
    let chosen = (1..weights.len())
        .filter(|&w| trials[w].significant())
        .fold(0, |best, w| if best == 0 || trials[w].held_out_accuracy > trials[best].held_out_accuracy { w } else { best });
    let scorer = finals[chosen].take().unwrap_or_else(|| Scorer::fit(texts, embeddings, weights[chosen], labels, classes));
    Trained { scorer, calibration: Calibration::fit(&points[chosen]), trials: if embeddings.is_some() { trials } else { Vec::new() } }
}
