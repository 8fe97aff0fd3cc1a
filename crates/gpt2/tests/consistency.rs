//! Properties that must hold on every backend: cached decoding equals the full forward (burn
//! issue #5257 reported wrong cached results on wgpu with fusion + autotune), padded batches
//! equal single rows, and saving then loading changes nothing.

mod common;

use burn::prelude::*;
use common::*;
use gpt2::host::HostPrecision;
use gpt2::{Batch, Gpt2, Gpt2Config, Gpt2Model, KvCache};

#[test]
fn cached_decoding_equals_full_forward_on_every_backend() {
    let ids: Vec<u32> = vec![5, 77, 120, 3, 399, 250, 18, 42, 42, 7, 300, 1];
    for (name, device) in backends() {
        let model = Gpt2::load(&fixture_dir(), &device).unwrap();
        let full = model.logits(&ids).unwrap();
        let mut cache = model.new_cache();
        // Prefill 5 tokens, then one token at a time.
        let step = model.next_logits(&[ids[..5].to_vec()], &mut cache).remove(0);
        assert!(max_abs_diff(&step, &full[4]) <= 1e-4, "{name}: prefill");
        for p in 5..ids.len() {
            let step = model.next_logits(&[vec![ids[p]]], &mut cache).remove(0);
            let diff = max_abs_diff(&step, &full[p]);
            assert!(diff <= 1e-4, "{name}: cached step at position {p}: max |diff| {diff}");
        }
        assert_eq!(cache.len(), ids.len());
    }
}

#[test]
fn cached_decoding_equals_full_forward_at_gpt2_width() {
    // The real 768-wide, 12-head attention shapes (2 layers to keep it quick), batch of 2.
    let config = Gpt2Config::with_shape(1000, 64, 768, 2, 12);
    for (name, device) in backends() {
        let model = Gpt2Model::init(&config, &device);
        let rows = vec![vec![1u32, 2, 3, 4, 5, 6, 7, 8], vec![9u32, 8, 7, 6, 5, 4, 3, 2]];
        let full = model.logits(model.forward(Batch::dense(&rows, 0, &device), None));
        let full: Vec<f32> = full.slice([0..2, 7..8, 0..1000]).into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
        let mut cache = KvCache::new(config.n_layer);
        let prefix: Vec<Vec<u32>> = rows.iter().map(|r| r[..6].to_vec()).collect();
        model.next_logits(Batch::dense(&prefix, 0, &device), &mut cache);
        model.next_logits(Batch::dense(&[vec![rows[0][6]], vec![rows[1][6]]], 6, &device), &mut cache);
        let last = model.next_logits(Batch::dense(&[vec![rows[0][7]], vec![rows[1][7]]], 7, &device), &mut cache);
        let last: Vec<f32> = last.into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
        let diff = max_abs_diff(&last, &full);
        assert!(diff <= 1e-4, "{name}: cached vs full at width 768: max |diff| {diff}");
    }
}

#[test]
fn host_decode_steps_equal_burns_full_forward_at_gpt2_width() {
    // The CPU decode path (`gpt2::host`: steps of up to 8 rows) against burn's own gemm on the
    // whole sequence, batch of 2, and against the same steps without host weights.
    let config = Gpt2Config::with_shape(1000, 64, 768, 2, 12);
    let device = Device::flex();
    let burn_only = Gpt2Model::init(&config, &device);
    let host = burn_only.clone().with_host_weights(HostPrecision::F32);
    assert!(host.host_weight_bytes().is_some_and(|b| b > 4 * 1000 * 768));
    let rows = vec![vec![1u32, 2, 3, 4, 5, 6, 7, 8, 9, 10], vec![9u32, 8, 7, 6, 5, 4, 3, 2, 1, 0]];
    let full = burn_only.logits(burn_only.forward(Batch::dense(&rows, 0, &device), None));
    let values = |t: Tensor<2>| t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
    let (mut with_host, mut without) = (KvCache::new(config.n_layer), KvCache::new(config.n_layer));
    let prefix: Vec<Vec<u32>> = rows.iter().map(|r| r[..6].to_vec()).collect();
    host.next_logits(Batch::dense(&prefix, 0, &device), &mut with_host);
    burn_only.next_logits(Batch::dense(&prefix, 0, &device), &mut without);
    for (p, (&first, &second)) in rows[0].iter().zip(&rows[1]).enumerate().skip(6) {
        let step = vec![vec![first], vec![second]];
        let got = values(host.next_logits(Batch::dense(&step, p, &device), &mut with_host));
        let plain = values(burn_only.next_logits(Batch::dense(&step, p, &device), &mut without));
        let want = values(full.clone().slice([0..2, p..p + 1, 0..1000]).reshape([2, 1000]));
        assert!(max_abs_diff(&got, &want) <= 1e-4, "host step at {p} vs full forward: {}", max_abs_diff(&got, &want));
        assert!(max_abs_diff(&got, &plain) <= 1e-4, "host step at {p} vs burn step: {}", max_abs_diff(&got, &plain));
    }
}

#[test]
fn bfloat16_host_weights_stay_near_f32() {
    // Reduced precision moves the logits, within bounds: the drift is measured and printed.
    let config = Gpt2Config::with_shape(1000, 64, 768, 2, 12);
    let device = Device::flex();
    let model = Gpt2Model::init(&config, &device);
    let (f32s, bf16s) = (model.clone().with_host_weights(HostPrecision::F32), model.with_host_weights(HostPrecision::Bf16));
    assert!(bf16s.host_weight_bytes().unwrap() < f32s.host_weight_bytes().unwrap() * 6 / 10);
    let values = |t: Tensor<2>| t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
    let (mut a, mut b) = (KvCache::new(config.n_layer), KvCache::new(config.n_layer));
    let (mut worst, mut spread) = (0.0f32, 0.0f32);
    for (p, id) in [11u32, 400, 7, 999, 3, 250].into_iter().enumerate() {
        let exact = values(f32s.next_logits(Batch::dense(&[vec![id]], p, &device), &mut a));
        let rounded = values(bf16s.next_logits(Batch::dense(&[vec![id]], p, &device), &mut b));
        worst = worst.max(max_abs_diff(&exact, &rounded));
        spread = spread.max(exact.iter().fold(0.0f32, |m, v| m.max(v.abs())));
    }
    eprintln!("bf16 host weights: max |logit drift| {worst:.2e} over logits up to {spread:.2e}");
    assert!(worst > 0.0 && worst <= 0.05 * spread.max(1.0), "drift {worst} for logits up to {spread}");
}

#[test]
fn padded_batches_equal_single_rows() {
    for (name, device) in backends() {
        let model = Gpt2::load(&fixture_dir(), &device).unwrap();
        let context = model.tokenizer.encode("Where is my").unwrap();
        let candidates: Vec<Vec<u32>> =
            [" order?", " refund for the broken lamp", "退款", ""].iter().map(|c| model.tokenizer.encode(c).unwrap()).collect();
        let batched = model.score_ids(&context, &candidates).unwrap();
        for (candidate, score) in candidates.iter().zip(&batched) {
            let single = model.score_ids(&context, std::slice::from_ref(candidate)).unwrap()[0];
            assert!((single.logprob - score.logprob).abs() < 1e-3, "{name}: batched {score:?} vs single {single:?}");
            assert_eq!(single.tokens, candidate.len());
        }
        assert_eq!(batched[3].logprob, 0.0, "{name}: an empty candidate has log-probability 0");
        let texts = ["Hello world, I'd like a refund", "hi", "我想查询订单 🙂"];
        let together = model.embed(&texts).unwrap();
        for (text, embedding) in texts.iter().zip(&together) {
            let alone = model.embed(&[text]).unwrap().remove(0);
            assert!(max_abs_diff(&alone, embedding) <= 1e-4, "{name}: embedding of {text:?}");
        }
    }
}

#[test]
fn save_then_load_gives_the_same_model() {
    let device = Device::flex();
    let model = Gpt2::load(&fixture_dir(), &device).unwrap();
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    let reloaded = Gpt2::load(dir.path(), &device).unwrap();
    let ids = model.tokenizer.encode("Thanks! 🙂").unwrap();
    assert_eq!(reloaded.tokenizer.encode("Thanks! 🙂").unwrap(), ids);
    let (a, b) = (model.logits(&ids).unwrap(), reloaded.logits(&ids).unwrap());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    // Saved under Hugging Face names, without the `transformer.` prefix, with `format: pt`.
    let bytes = std::fs::read(dir.path().join("model.safetensors")).unwrap();
    let (_, metadata) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let names: Vec<String> = metadata.tensors().into_keys().collect();
    assert!(names.iter().any(|n| n.as_str() == "h.0.ln_1.weight"), "{names:?}");
    assert!(names.iter().all(|n| !n.contains("gamma") && !n.starts_with("transformer.")), "{names:?}");
    assert_eq!(metadata.metadata().as_ref().unwrap()["format"], "pt");
}

#[test]
fn split_vocabulary_gives_the_same_logits() {
    // GPT-2's 147 MiB embedding is split in blocks on wgpu; the split must not change a thing.
    for (name, device) in backends() {
        let mut model = Gpt2::load(&fixture_dir(), &device).unwrap();
        let ids = model.tokenizer.encode("Where is my order #12345? 🙂").unwrap();
        let whole = model.logits(&ids).unwrap();
        model.model = model.model.with_vocab_blocks(150); // 400 tokens: blocks of 150, 150, 100
        let split = model.logits(&ids).unwrap();
        for (a, b) in whole.iter().zip(&split) {
            assert!(max_abs_diff(a, b) <= 1e-5, "{name}: split vocabulary changed the logits");
        }
        let embeddings = (model.embed(&["Where is"]).unwrap(), Gpt2::load(&fixture_dir(), &device).unwrap().embed(&["Where is"]).unwrap());
        assert!(max_abs_diff(&embeddings.0[0], &embeddings.1[0]) <= 1e-5, "{name}: split vocabulary changed the embeddings");
    }
}
