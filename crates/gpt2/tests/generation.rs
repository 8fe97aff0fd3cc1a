//! Generation options on the tiny fixture: seeds, stop sequences, limits, bad options.

mod common;

use burn::prelude::Device;
use common::fixture_dir;
use gpt2::{GenerationConfig, Gpt2, Sampler, StopReason};

fn model() -> Gpt2 {
    Gpt2::load(&fixture_dir(), &Device::flex()).unwrap()
}

#[test]
fn same_seed_same_text_other_seed_other_text() {
    let model = model();
    let config = |seed| GenerationConfig { max_new_tokens: 24, seed, ..GenerationConfig::default() };
    let a = model.generate("Where is my", &config(1)).unwrap();
    assert_eq!(a, model.generate("Where is my", &config(1)).unwrap());
    let others: Vec<_> = (2..6).map(|s| model.generate("Where is my", &config(s)).unwrap().ids).collect();
    assert!(others.iter().any(|ids| *ids != a.ids), "four other seeds all gave {:?}", a.ids);
}

#[test]
fn top_k_one_sampling_is_greedy() {
    let model = model();
    let greedy = GenerationConfig { max_new_tokens: 16, sampler: Sampler::greedy(), ..GenerationConfig::default() };
    let top1 = GenerationConfig { sampler: Sampler { top_k: 1, ..Sampler::default() }, seed: 99, ..greedy.clone() };
    assert_eq!(model.generate("Hello", &greedy).unwrap().ids, model.generate("Hello", &top1).unwrap().ids);
}

#[test]
fn max_new_tokens_and_context_limits() {
    let model = model();
    let config = GenerationConfig { max_new_tokens: 5, sampler: Sampler::greedy(), ..GenerationConfig::default() };
    let out = model.generate("Hello", &config).unwrap();
    assert_eq!((out.ids.len(), out.stop_reason), (5, StopReason::MaxTokens));

    // 60 prompt tokens in a 64-position model leave room for 4.
    let prompt: Vec<u32> = (1..=60).collect();
    let config = GenerationConfig { max_new_tokens: 50, ..config };
    let out = model.generate_ids(&prompt, &config).unwrap();
    assert_eq!((out.ids.len(), out.stop_reason), (4, StopReason::Context));

    let too_long: Vec<u32> = (0..65).map(|i| i % 300 + 1).collect();
    assert!(model.generate_ids(&too_long, &config).unwrap_err().to_string().contains("n_positions"));
}

#[test]
fn stop_sequences_cut_the_text() {
    let model = model();
    let free = GenerationConfig { max_new_tokens: 20, sampler: Sampler::greedy(), ..GenerationConfig::default() };
    let full = model.generate("Where is my", &free).unwrap();
    // Stop at a piece of the greedy continuation that begins after its first character.
    let stop: String = full.text.chars().skip(3).take(2).collect();
    assert!(!stop.is_empty(), "greedy continuation {:?} too short", full.text);
    let cut = model.generate("Where is my", &GenerationConfig { stop: vec![stop.clone()], ..free }).unwrap();
    assert_eq!(cut.stop_reason, StopReason::Stop);
    assert!(!cut.text.contains(&stop), "{:?} still contains {stop:?}", cut.text);
    assert!(full.text.starts_with(&cut.text), "{:?} is not a prefix of {:?}", cut.text, full.text);
    assert!(cut.ids.len() < full.ids.len());
}

#[test]
fn beam_search_scores_at_least_as_well_as_greedy() {
    let model = model();
    let prompt = model.tokenizer.encode("Where is my").unwrap();
    let greedy = GenerationConfig { max_new_tokens: 6, sampler: Sampler::greedy(), ..GenerationConfig::default() };
    let beam = GenerationConfig { num_beams: 4, ..greedy.clone() };
    let g = model.generate_ids(&prompt, &greedy).unwrap();
    let b = model.generate_ids(&prompt, &beam).unwrap();
    let scores = model.score_ids(&prompt, &[g.ids.clone(), b.ids.clone()]).unwrap();
    // Equal lengths (no EOS), so total log-probabilities are comparable.
    assert_eq!((g.stop_reason, b.stop_reason), (StopReason::MaxTokens, StopReason::MaxTokens));
    assert!(scores[1].logprob >= scores[0].logprob - 1e-4, "beam {:?} worse than greedy {:?}", scores[1], scores[0]);
}

#[test]
fn empty_unicode_and_bad_options() {
    let model = model();
    let config = GenerationConfig { max_new_tokens: 3, ..GenerationConfig::default() };
    assert_eq!(model.generate("", &config).unwrap().ids.len(), 3);
    assert_eq!(model.generate("我想查询订单 🙂", &config).unwrap().ids.len(), 3);
    let bad = GenerationConfig { sampler: Sampler { temperature: 0.0, ..Sampler::default() }, ..config.clone() };
    assert!(model.generate("hi", &bad).unwrap_err().to_string().contains("temperature"));
    let bad = GenerationConfig { num_beams: 0, ..config };
    assert!(model.generate("hi", &bad).unwrap_err().to_string().contains("num-beams"));
}
