//! The burn GPT-2 against Hugging Face transformers on the committed tiny checkpoint, on every
//! backend: logits, greedy and beam continuations, continuation scores, embeddings.

mod common;

use common::*;
use gpt2::{GenerationConfig, Gpt2, Sampler};

const TOLERANCE: f32 = 1e-4;

#[test]
fn logits_match_transformers_on_every_backend() {
    let reference = reference();
    for (name, device) in backends() {
        let model = Gpt2::load(&fixture_dir(), &device).unwrap();
        for case in reference["texts"].as_array().unwrap() {
            let text = case["text"].as_str().unwrap();
            let ids = model.tokenizer.encode(text).unwrap();
            assert_eq!(ids, common::ids(&case["ids"]), "{name}: token ids of {text:?}");
            let logits = model.logits(&ids).unwrap();
            for (position, (ours, theirs)) in logits.iter().zip(case["logits"].as_array().unwrap()).enumerate() {
                let diff = max_abs_diff(ours, &floats(theirs));
                assert!(diff <= TOLERANCE, "{name}: {text:?} position {position}: max |diff| {diff}");
            }
        }
    }
}

#[test]
fn greedy_and_beam_continuations_match_transformers() {
    let reference = reference();
    for (name, device) in backends() {
        let model = Gpt2::load(&fixture_dir(), &device).unwrap();
        for case in reference["greedy"].as_array().unwrap() {
            let config = GenerationConfig {
                max_new_tokens: case["max_new_tokens"].as_u64().unwrap() as usize,
                sampler: Sampler::greedy(),
                ..GenerationConfig::default()
            };
            let out = model.generate_ids(&ids(&case["prompt_ids"]), &config).unwrap();
            assert_eq!(out.ids, ids(&case["ids"]), "{name}: greedy");
        }
        for case in reference["beam"].as_array().unwrap() {
            let config = GenerationConfig {
                max_new_tokens: case["max_new_tokens"].as_u64().unwrap() as usize,
                sampler: Sampler::greedy(),
                num_beams: case["num_beams"].as_u64().unwrap() as usize,
                length_penalty: case["length_penalty"].as_f64().unwrap() as f32,
                ..GenerationConfig::default()
            };
            let out = model.generate_ids(&ids(&case["prompt_ids"]), &config).unwrap();
            assert_eq!(out.ids, ids(&case["ids"]), "{name}: beam search");
        }
    }
}

#[test]
fn scores_and_embeddings_match_transformers() {
    let reference = reference();
    for (name, device) in backends() {
        let model = Gpt2::load(&fixture_dir(), &device).unwrap();
        let cases = reference["scores"].as_array().unwrap();
        let context = ids(&cases[0]["context_ids"]);
        let candidates: Vec<Vec<u32>> = cases.iter().map(|c| ids(&c["candidate_ids"])).collect();
        // All candidates in one padded batch.
        let scores = model.score_ids(&context, &candidates).unwrap();
        for (score, case) in scores.iter().zip(cases) {
            let expected = case["logprob"].as_f64().unwrap();
            assert!((score.logprob - expected).abs() < 1e-3, "{name}: score {} vs {expected}", score.logprob);
        }
        let texts: Vec<Vec<u32>> = reference["embeddings"].as_array().unwrap().iter().map(|e| ids(&e["ids"])).collect();
        let embeddings = model.embed_ids(&texts).unwrap();
        for (ours, case) in embeddings.iter().zip(reference["embeddings"].as_array().unwrap()) {
            let diff = max_abs_diff(ours, &floats(&case["mean"]));
            assert!(diff <= TOLERANCE, "{name}: embedding max |diff| {diff}");
        }
    }
}
