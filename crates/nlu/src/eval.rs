//! Evaluating the recognizer on labelled utterances (`{"text", "intent"}` JSON lines, the format
//! of the datasets in `shared/data`): accuracy, macro-F1, per-intent precision/recall/F1, the top
//! confusions, and out-of-scope recall / in-scope accuracy when the label `oos` is present.

use std::collections::BTreeMap;
use std::path::Path;

use ronfile::FileError;
use serde::{Deserialize, Serialize};

use crate::annotation;
use crate::domain::{IntentDef, NluDomain, NluError};
use crate::parser::{OUT_OF_SCOPE, Parser};
use crate::slots::{SlotSpan, SlotTagger, span_f1};

/// The label the public datasets give out-of-scope utterances.
pub const OOS_LABEL: &str = "oos";

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Example {
    pub text: String,
    pub intent: String,
    /// Slot values by character span, when the data is annotated (SNIPS).
    #[serde(default)]
    pub slots: Vec<SlotSpan>,
    /// The values a bot should take from the utterance, by slot name (`"order_id": "4471902"`,
    /// `"expense_amount": "1200"`): scored by `deskbot eval nlu --domain DIR --test FILE`.
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, serde_json::Value>,
}

impl Example {
    /// An utterance labelled with its intent alone.
    pub fn new(text: impl Into<String>, intent: impl Into<String>) -> Self {
        Self { text: text.into(), intent: intent.into(), slots: Vec::new(), values: Default::default() }
    }
}

/// Reads JSON lines; an error names the file and line. A test line labelled with the domain
/// intent's name `out_of_scope` counts as [`OOS_LABEL`], as the domain's own examples do.
pub fn load_jsonl(path: &Path) -> Result<Vec<Example>, NluError> {
    let text = ronfile::read(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let mut example: Example = serde_json::from_str(line)
                .map_err(|e| NluError::from(FileError::Syntax { path: path.into(), line: i + 1, column: e.column(), message: e.to_string() }))?;
            if example.intent == OUT_OF_SCOPE {
                example.intent = OOS_LABEL.into();
            }
            Ok(example)
        })
        .collect()
}

/// A domain whose intents are the examples' labels (no entities).
pub fn domain_from_examples(examples: &[Example], oos_threshold: f32) -> NluDomain {
    let mut intents: BTreeMap<String, IntentDef> = BTreeMap::new();
    for e in examples {
        intents.entry(e.intent.clone()).or_default().examples.push(e.text.clone());
    }
    NluDomain { intents, entities: BTreeMap::new(), oos_threshold }
}

/// A domain's own examples as labelled utterances (marks become `slots`); its `out_of_scope` examples are labelled
/// [`OOS_LABEL`], so that `eval nlu --domain` reports out-of-scope recall for them.
pub fn domain_examples(domain: &NluDomain) -> Vec<Example> {
    domain
        .intents
        .iter()
        .flat_map(|(intent, def)| {
            let label = if intent == OUT_OF_SCOPE { OOS_LABEL } else { intent.as_str() };
            def.annotated().map(move |(text, slots)| Example { slots, ..Example::new(text, label) })
        })
        .collect()
}

/// `domain` trained on `examples` only (as from [`domain_examples`]): the same intents,
/// patterns, entities and threshold, for held-out evaluation of a domain.
pub fn domain_with_examples(domain: &NluDomain, examples: &[Example]) -> NluDomain {
    let mut trained = domain.clone();
    for def in trained.intents.values_mut() {
        def.examples.clear();
    }
    for e in examples {
        let intent = if e.intent == OOS_LABEL && domain.intents.contains_key(OUT_OF_SCOPE) { OUT_OF_SCOPE } else { e.intent.as_str() };
        if let Some(def) = trained.intents.get_mut(intent) {
            def.examples.push(annotation::write(&e.text, &e.slots));
        }
    }
    trained
}

#[derive(Debug, Clone, Serialize)]
pub struct IntentMetrics {
    pub intent: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub examples: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// Share of `oos` utterances predicted out of scope (when the test set has `oos`).
    pub oos_recall: Option<f64>,
    /// Accuracy on the utterances that are not `oos`.
    pub in_scope_accuracy: Option<f64>,
    pub per_intent: Vec<IntentMetrics>,
    /// (gold, predicted, count), most frequent first.
    pub confusions: Vec<(String, String, usize)>,
    /// Exact-span slot F1 (micro), when the data has `slots`: set by [`evaluate_slots`].
    pub slot_f1: Option<f64>,
    /// When the test set has `oos`: what other thresholds would have given, to tune one on
    /// held-out data.
    pub oos_sweep: Vec<ThresholdPoint>,
    /// How well the top intent's confidence matches how often it is right (in-scope examples).
    pub calibration: Option<Reliability>,
    /// Every utterance given the wrong intent, in test order.
    pub missed: Vec<Missed>,
    /// The predicted label of every test utterance, in order (to pool folds).
    #[serde(skip)]
    pub predicted: Vec<String>,
}

/// An utterance given the wrong intent.
#[derive(Debug, Clone, Serialize)]
pub struct Missed {
    pub text: String,
    pub intent: String,
    pub predicted: String,
}

/// Reliability of the confidences: in-scope examples grouped by the top intent's confidence
/// into ten equal-width bins; the expected calibration error is the example-weighted mean gap
/// between each bin's mean confidence and its accuracy (0 = perfectly calibrated).
#[derive(Debug, Clone, Serialize)]
pub struct Reliability {
    pub ece: f64,
    pub mean_confidence: f64,
    pub accuracy: f64,
    /// (upper bound of the bin, examples, mean confidence, accuracy), for bins with examples.
    pub bins: Vec<(f64, usize, f64, f64)>,
}

/// Calibration of (confidence, correct) pairs; None when there are none.
pub fn calibration(predictions: &[(f32, bool)]) -> Option<Reliability> {
    const BINS: usize = 10;
    if predictions.is_empty() {
        return None;
    }
    let mut sums = [(0usize, 0f64, 0usize); BINS]; // examples, confidence sum, correct
    for &(confidence, correct) in predictions {
        let bin = ((confidence.clamp(0.0, 1.0) as f64 * BINS as f64) as usize).min(BINS - 1);
        sums[bin].0 += 1;
        sums[bin].1 += confidence as f64;
        sums[bin].2 += correct as usize;
    }
    let total = predictions.len() as f64;
    let bins: Vec<(f64, usize, f64, f64)> = sums
        .iter()
        .enumerate()
        .filter(|(_, s)| s.0 > 0)
        .map(|(i, &(n, confidence, correct))| ((i + 1) as f64 / BINS as f64, n, confidence / n as f64, correct as f64 / n as f64))
        .collect();
    Some(Reliability {
        ece: bins.iter().map(|&(_, n, confidence, accuracy)| n as f64 / total * (confidence - accuracy).abs()).sum(),
        mean_confidence: predictions.iter().map(|p| p.0 as f64).sum::<f64>() / total,
        accuracy: predictions.iter().filter(|p| p.1).count() as f64 / total,
        bins,
    })
}

/// Out-of-scope recall and in-scope accuracy at one confidence threshold.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdPoint {
    pub threshold: f32,
    pub oos_recall: f64,
    pub in_scope_accuracy: f64,
}

/// Thresholds tried in [`Report::oos_sweep`].
const SWEEP: [f32; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// Predicts every example (calling `tick` after each) and scores the predictions.
pub fn evaluate(parser: &Parser, test: &[Example], mut tick: impl FnMut()) -> Report {
    let parses: Vec<(String, Option<(String, f32)>)> = test
        .iter()
        .map(|e| {
            let parse = parser.parse(&e.text);
            tick();
            let name = if parse.intent.name == OUT_OF_SCOPE { OOS_LABEL.to_string() } else { parse.intent.name };
            (name, parse.ranking.first().map(|best| (best.name.clone(), best.confidence)))
        })
        .collect();
    let predicted: Vec<String> = parses.iter().map(|(name, _)| name.clone()).collect();
    let mut report = score(test, &predicted);
    let in_scope: Vec<(f32, bool)> = test
        .iter()
        .zip(&parses)
        .filter(|(example, _)| example.intent != OOS_LABEL)
        .filter_map(|(example, (_, best))| best.as_ref().map(|(name, confidence)| (*confidence, *name == example.intent)))
        .collect();
    report.calibration = calibration(&in_scope);
    if report.oos_recall.is_some() {
        report.oos_sweep = SWEEP
            .iter()
            .map(|&threshold| {
                let at: Vec<String> = parses
                    .iter()
                    .map(|(_, best)| match best {
                        Some((name, confidence)) if *confidence >= threshold && name != OOS_LABEL && name != OUT_OF_SCOPE => name.clone(),
                        _ => OOS_LABEL.to_string(),
                    })
                    .collect();
                let swept = score(test, &at);
                ThresholdPoint { threshold, oos_recall: swept.oos_recall.unwrap_or(0.0), in_scope_accuracy: swept.in_scope_accuracy.unwrap_or(0.0) }
            })
            .collect();
    }
    report
}

/// Scores predictions against the examples' labels.
pub fn score(test: &[Example], predicted: &[String]) -> Report {
    let mut counts: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new(); // tp, fp, fn
    let mut confusions: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut correct = 0;
    for (example, guess) in test.iter().zip(predicted) {
        if example.intent == *guess {
            correct += 1;
            counts.entry(&example.intent).or_default().0 += 1;
        } else {
            counts.entry(&example.intent).or_default().2 += 1;
            counts.entry(guess).or_default().1 += 1;
            *confusions.entry((example.intent.clone(), guess.clone())).or_default() += 1;
        }
    }
    let per_intent: Vec<IntentMetrics> = counts
        .iter()
        .filter(|(_, (tp, _, fn_))| tp + fn_ > 0)
        .map(|(intent, &(tp, fp, fn_))| {
            let precision = if tp + fp == 0 { 0.0 } else { tp as f64 / (tp + fp) as f64 };
            let recall = tp as f64 / (tp + fn_) as f64;
            let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
            IntentMetrics { intent: intent.to_string(), precision, recall, f1, support: tp + fn_ }
        })
        .collect();
    let in_scope: Vec<(&Example, &String)> = test.iter().zip(predicted).filter(|(e, _)| e.intent != OOS_LABEL).collect();
    let has_oos = in_scope.len() < test.len();
    let oos_total = test.len() - in_scope.len();
    let oos_hit = test.iter().zip(predicted).filter(|(e, p)| e.intent == OOS_LABEL && p.as_str() == OOS_LABEL).count();
    let mut confusions: Vec<(String, String, usize)> = confusions.into_iter().map(|((g, p), n)| (g, p, n)).collect();
    confusions.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    confusions.truncate(10);
    Report {
        examples: test.len(),
        accuracy: correct as f64 / test.len().max(1) as f64,
        macro_f1: per_intent.iter().map(|m| m.f1).sum::<f64>() / per_intent.len().max(1) as f64,
        oos_recall: has_oos.then(|| oos_hit as f64 / oos_total as f64),
        in_scope_accuracy: has_oos.then(|| in_scope.iter().filter(|(e, p)| e.intent == **p).count() as f64 / in_scope.len().max(1) as f64),
        per_intent,
        confusions,
        oos_sweep: Vec::new(),
        calibration: None,
        slot_f1: None,
        missed: test
            .iter()
            .zip(predicted)
            .filter(|(example, guess)| example.intent != **guess)
            .map(|(example, guess)| Missed { text: example.text.clone(), intent: example.intent.clone(), predicted: guess.clone() })
            .collect(),
        predicted: predicted.to_vec(),
    }
}

/// Scores slot spans on `test`, tagging each utterance under the intent `parser` predicts for
/// it, with the parser's own tagger (a domain's marks) or one trained on `train`'s annotated
/// slots; `None` when `test` has no slots or nothing trains a tagger.
pub fn evaluate_slots(parser: &Parser, train: &[Example], test: &[Example]) -> Option<f64> {
    if test.iter().all(|e| e.slots.is_empty()) {
        return None;
    }
    let trained;
    let tagger = match &parser.slot_tagger {
        Some(own) => own,
        None => {
            let annotated: Vec<(&str, &str, &[SlotSpan])> = train.iter().map(|e| (e.text.as_str(), e.intent.as_str(), e.slots.as_slice())).collect();
            trained = SlotTagger::train(&annotated)?;
            &trained
        }
    };
    let gold: Vec<Vec<SlotSpan>> = test.iter().map(|e| e.slots.clone()).collect();
    let predicted: Vec<Vec<SlotSpan>> = test.iter().map(|e| tagger.tag(&e.text, &parser.parse(&e.text).intent.name)).collect();
    Some(span_f1(&gold, &predicted))
}

/// Splits examples into `k` folds (every k-th example, after a seeded shuffle).
pub fn folds(examples: &[Example], k: usize, seed: u64) -> Vec<(Vec<Example>, Vec<Example>)> {
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    for i in (1..order.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    (0..k)
        .map(|fold| {
            let (mut train, mut test) = (Vec::new(), Vec::new());
            for (position, &index) in order.iter().enumerate() {
                if position % k == fold { test.push(examples[index].clone()) } else { train.push(examples[index].clone()) }
            }
            (train, test)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(text: &str, intent: &str) -> Example {
        Example::new(text, intent)
    }

    #[test]
    fn a_domain_splits_into_examples_and_back() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../intents/nlu.ron");
        let domain = NluDomain::load(&path).unwrap();
        let examples = domain_examples(&domain);
        assert!(examples.iter().any(|e| e.intent == OOS_LABEL) && !examples.iter().any(|e| e.intent == OUT_OF_SCOPE));
        assert_eq!(domain_with_examples(&domain, &examples), domain);
        // Held-out examples leave their intents, nothing else.
        let fewer = domain_with_examples(&domain, &examples[1..]);
        assert_eq!(fewer.intents.values().map(|i| i.examples.len()).sum::<usize>(), examples.len() - 1);
        assert_eq!((fewer.entities, fewer.oos_threshold), (domain.entities.clone(), domain.oos_threshold));
    }

    #[test]
    fn metrics_count_what_they_should() {
        let test = [ex("a", "x"), ex("b", "x"), ex("c", "y"), ex("d", OOS_LABEL)];
        let report = score(&test, &["x".into(), "y".into(), "y".into(), OOS_LABEL.into()]);
        assert_eq!(report.accuracy, 0.75);
        assert_eq!(report.oos_recall, Some(1.0));
        assert!((report.in_scope_accuracy.unwrap() - 2.0 / 3.0).abs() < 1e-12);
        let x = report.per_intent.iter().find(|m| m.intent == "x").unwrap();
        assert_eq!((x.precision, x.recall, x.support), (1.0, 0.5, 2));
        assert_eq!(report.confusions[0], ("x".to_string(), "y".to_string(), 1));
    }

    #[test]
    fn folds_partition_the_examples() {
        let examples: Vec<Example> = (0..10).map(|i| ex(&i.to_string(), "x")).collect();
        let folds = folds(&examples, 3, 1);
        assert_eq!(folds.len(), 3);
        assert_eq!(folds.iter().map(|f| f.1.len()).sum::<usize>(), 10);
        assert!(folds.iter().all(|(train, test)| train.len() + test.len() == 10));
    }

    #[test]
    fn the_recognizer_learns_from_examples() {
        let train =
            [ex("where is my parcel", "track"), ex("track my package", "track"), ex("i want my money back", "refund"), ex("refund please", "refund")];
        let parser = Parser::train(&domain_from_examples(&train, 0.1));
        let report = evaluate(&parser, &[ex("where is my package", "track"), ex("can i get a refund", "refund")], || {});
        assert_eq!(report.accuracy, 1.0);
    }

    #[test]
    fn calibration_compares_confidence_with_accuracy_per_bin() {
        // 0.95-confident and right 3 times in 4; 0.35-confident and right 1 time in 2.
        let predictions = [(0.95, true), (0.95, true), (0.95, true), (0.95, false), (0.35, true), (0.35, false)];
        let c = calibration(&predictions).unwrap();
        assert_eq!(c.bins.len(), 2);
        assert_eq!((c.bins[0].1, c.bins[1].1), (2, 4));
        let expected = 2.0 / 6.0 * (0.35f64 - 0.5).abs() + 4.0 / 6.0 * (0.95f64 - 0.75).abs();
        assert!((c.ece - expected).abs() < 1e-6, "{} vs {expected}", c.ece);
        assert!((c.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert!(calibration(&[]).is_none());
        let perfect = calibration(&[(1.0, true), (1.0, true)]).unwrap();
        assert!(perfect.ece.abs() < 1e-12);
    }
}
