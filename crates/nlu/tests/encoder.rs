//! Sentence features from an encoder: used when the held-out folds say they help, saved with
//! the model, and a saved model refuses to run without the encoder it was trained with.

use std::sync::Arc;

use nlu::eval::{Example, domain_from_examples};
use nlu::{Parser, SentenceEncoder};

const WORDS: [&str; 5] = ["alpha", "beta", "gamma", "delta", "omega"];

/// Texts of 1–6 words drawn from one shared vocabulary, labelled by whether the word count is
/// even: n-gram features cannot see it.
fn parity_text(seed: usize) -> (String, &'static str) {
    let mut state = seed as u64 * 0x9E37_79B9_7F4A_7C15 + 1;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let count = 1 + next(6);
    let text: Vec<&str> = (0..count).map(|_| WORDS[next(WORDS.len())]).collect();
    (text.join(" "), if count % 2 == 0 { "even" } else { "odd" })
}

/// Knows the parity, plus a dimension of deterministic noise.
struct ParityEncoder(&'static str);

impl SentenceEncoder for ParityEncoder {
    fn fingerprint(&self) -> String {
        self.0.to_string()
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        Ok(texts
            .iter()
            .map(|t| {
                let even = (t.split_whitespace().count() % 2 == 0) as u8 as f32;
                vec![even, 1.0 - even, (t.len() % 7) as f32 / 7.0]
            })
            .collect())
    }
}

/// Gives the same vector for every text: nothing to learn from.
struct ConstantEncoder;

impl SentenceEncoder for ConstantEncoder {
    fn fingerprint(&self) -> String {
        "constant".into()
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        Ok(texts.iter().map(|_| vec![0.5, -1.0, 2.0]).collect())
    }
}

fn parity_domain() -> nlu::NluDomain {
    let examples: Vec<Example> = (0..80)
        .map(|seed| {
            let (text, intent) = parity_text(seed);
            Example::new(text, intent)
        })
        .collect();
    domain_from_examples(&examples, 0.0)
}

fn accuracy(parser: &Parser) -> f32 {
    let fresh: Vec<(String, &str)> = (1000..1100).map(parity_text).collect();
    fresh.iter().filter(|(text, intent)| parser.parse(text).intent.name == *intent).count() as f32 / fresh.len() as f32
}

#[test]
fn helpful_features_are_weighed_in_and_saved_with_the_model() {
    let domain = parity_domain();
    let parser = Parser::train_with(&domain, Some(Arc::new(ParityEncoder("parity-v1")))).unwrap();
    let choice = parser.encoder_choice().unwrap().clone();
    assert_eq!(choice.fingerprint, "parity-v1");
    assert!(choice.weight > 0.0, "{choice:?}");
    let at = |w: f32| choice.trials.iter().find(|t| t.weight == w).unwrap().held_out_accuracy;
    assert!(at(choice.weight) > at(0.0) + 0.2, "{choice:?}");
    assert!(choice.trials.iter().all(|t| t.weight == 0.0 || t.significant()), "{choice:?}");
    let (with, without) = (accuracy(&parser), accuracy(&Parser::train(&domain)));
    assert!(with > 0.9 && with > without + 0.2, "with the encoder {with}, without {without}");

    let dir = tempfile::tempdir().unwrap();
    parser.save(dir.path()).unwrap();
    let error = Parser::load(dir.path()).err().unwrap().to_string();
    assert!(error.contains("nlu.json") && error.contains("--gpt2") && error.contains("parity-v1"), "{error}");
    let error = Parser::load_with(dir.path(), Some(Arc::new(ParityEncoder("parity-v2")))).err().unwrap().to_string();
    assert!(error.contains("another GPT-2") && error.contains("parity-v2"), "{error}");
    let loaded = Parser::load_with(dir.path(), Some(Arc::new(ParityEncoder("parity-v1")))).unwrap();
    for seed in 2000..2020 {
        let text = parity_text(seed).0;
        assert_eq!(loaded.parse(&text), parser.parse(&text));
    }
    assert_eq!(loaded.encoder_choice(), Some(&choice));

    // Features saved without the record of their encoder: refused, not read as n-grams alone.
    let meta = dir.path().join("nlu.json");
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&meta).unwrap()).unwrap();
    json["encoder"] = serde_json::Value::Null;
    std::fs::write(&meta, serde_json::to_vec(&json).unwrap()).unwrap();
    let error = Parser::load_with(dir.path(), Some(Arc::new(ParityEncoder("parity-v1")))).err().unwrap().to_string();
    assert!(error.contains("nlu.json") && error.contains("`encoder`"), "{error}");
}

#[test]
fn useless_features_get_no_weight_and_the_model_loads_without_them() {
    let domain = parity_domain();
    let parser = Parser::train_with(&domain, Some(Arc::new(ConstantEncoder))).unwrap();
    let choice = parser.encoder_choice().unwrap();
    assert_eq!(choice.weight, 0.0, "{choice:?}");
    assert_eq!(choice.trials.len(), nlu::held_out::FEATURE_WEIGHTS.len());
    // A changed example or two is chance, not a gain.
    assert!(choice.trials.iter().all(|t| !t.significant()), "{choice:?}");
    let dir = tempfile::tempdir().unwrap();
    parser.save(dir.path()).unwrap();
    let loaded = Parser::load(dir.path()).unwrap();
    assert_eq!(loaded.parse("alpha beta"), parser.parse("alpha beta"));
}

#[test]
fn a_failing_encoder_is_a_clear_error() {
    struct Broken;
    impl SentenceEncoder for Broken {
        fn fingerprint(&self) -> String {
            "broken".into()
        }
        fn encode(&self, _: &[&str]) -> Result<Vec<Vec<f32>>, String> {
            Err("token id 9999 is outside the vocabulary".into())
        }
    }
    let error = Parser::train_with(&parity_domain(), Some(Arc::new(Broken))).err().unwrap().to_string();
    assert!(error.contains("sentence encoder") && error.contains("9999"), "{error}");
}
