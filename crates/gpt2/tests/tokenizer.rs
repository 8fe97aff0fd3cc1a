//! The real GPT-2 vocabulary (shared/gpt2) through our tokenizer pipeline.

mod common;

use gpt2::Gpt2Tokenizer;

fn gpt2_tokenizer() -> Gpt2Tokenizer {
    let dir = common::shared_gpt2_dir();
    Gpt2Tokenizer::from_vocab_and_merges(&dir.join("encoder.json"), &dir.join("vocab.bpe")).expect("shared/gpt2 vocabulary")
}

#[test]
fn gpt2_ids_are_the_published_ones() {
    let tokenizer = gpt2_tokenizer();
    assert_eq!(tokenizer.encode("Hello world").unwrap(), vec![15496, 995]);
    assert_eq!(
        tokenizer.encode("Hello world, I'd like a refund for order #12345.").unwrap(),
        vec![15496, 995, 11, 314, 1549, 588, 257, 12929, 329, 1502, 1303, 10163, 2231, 13]
    );
    assert_eq!(tokenizer.encode("<|endoftext|>").unwrap(), vec![50256]);
    assert_eq!(tokenizer.vocab_size(), 50257);
}

#[test]
fn round_trips_are_exact() {
    let tokenizer = gpt2_tokenizer();
    for text in [
        "我想查询我的订单，退款需要多久？",
        "emoji 🙂👍🏽 and flags 🇨🇳",
        "  leading, trailing  \t tabs\n\nand\r\nnewlines   ",
        "",
        " ",
        "mixed 中文 and English, $4,000.00 and ¥500",
        "<|endoftext|>in the middle<|endoftext|>",
    ] {
        let ids = tokenizer.encode(text).unwrap();
        assert_eq!(tokenizer.decode(&ids).unwrap(), text, "ids {ids:?}");
    }
}

#[test]
fn missing_vocabulary_is_named() {
    let error = Gpt2Tokenizer::from_vocab_and_merges("no/vocab.json".as_ref(), "no/merges.txt".as_ref()).unwrap_err();
    assert!(error.to_string().contains("no/vocab.json"), "{error}");
    let error = Gpt2Tokenizer::from_dir("no-such-dir".as_ref()).unwrap_err();
    assert!(error.to_string().contains("tokenizer.json"), "{error}");
}
