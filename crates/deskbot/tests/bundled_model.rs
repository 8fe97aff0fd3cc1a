//! The bundled language model (models/deskbot-mini): small enough to ship, loads as a Hugging
//! Face checkpoint, has learned the domain's language, and ranks the bot's replies.

use std::path::{Path, PathBuf};

use deskbot::{Bot, Conversation, Domain, ModelHooks};
use gpt2::{Backend, Gpt2, TokenWindows};
use templates::Ranker;

fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/deskbot-mini")
}

fn shared_data() -> PathBuf {
    match std::env::var("DESKBOT_SHARED") {
        Ok(dir) => PathBuf::from(dir).join("data"),
        Err(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

#[test]
fn it_is_at_most_25_mb() {
    let bytes: u64 = std::fs::read_dir(model_dir()).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    assert!(bytes <= 25 * 1024 * 1024, "models/deskbot-mini is {bytes} bytes");
}

#[test]
fn it_prefers_real_replies_to_the_same_words_shuffled() {
    let hooks = ModelHooks::load(&model_dir(), Backend::Cpu).unwrap();
    let context = "User: I want a refund for order 12345\nBot:";
    for reply in [
        "Why would you like a refund?",
        "How much should we refund?",
        "Could you give me the order number?",
        "Thank you for your feedback. We'll do better.",
    ] {
        let mut words: Vec<&str> = reply.split(' ').collect();
        words.reverse();
        let shuffled = words.join(" ");
        let scores = hooks.rank(context, &[reply.to_string(), shuffled.clone()]);
        assert!(scores[0] > scores[1], "{reply:?} ({}) should beat {shuffled:?} ({})", scores[0], scores[1]);
    }
}

#[test]
fn its_perplexity_on_unseen_dialogues_is_low() {
    // Schema-Guided Dialogue *dev* dialogues: not in the training corpus (built from train).
    let path = shared_data().join("sgd/dev/dialogues_001.json");
    let dialogues: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let model = Gpt2::load(&model_dir(), &Backend::Cpu.device().unwrap().device).unwrap();
    let eos = model.eos_id().unwrap();
    let mut stream = Vec::new();
    for dialogue in dialogues.as_array().unwrap().iter().take(20) {
        for turn in dialogue["turns"].as_array().unwrap() {
            let speaker = if turn["speaker"] == "SYSTEM" { "Bot" } else { "User" };
            stream.extend(model.tokenizer.encode(&format!("{speaker}: {}\n", turn["utterance"].as_str().unwrap())).unwrap());
        }
        stream.push(eos);
    }
    let windows = TokenWindows::new(stream, model.config.n_positions);
    let perplexity = gpt2::training::evaluate(&model.model, &windows, usize::MAX, 8, |_| {}).exp();
    // A uniform guess over the 8,000-token vocabulary would be 8,000.
    assert!(perplexity < 40.0, "perplexity {perplexity} on SGD dev dialogues");
}

#[test]
fn the_bot_answers_with_the_model_in_the_loop() {
    let hooks = ModelHooks::load(&model_dir(), Backend::Cpu).unwrap();
    let fingerprint = hooks.model.fingerprint();
    let bot = Bot::with_model(Domain::bundled().unwrap(), hooks).unwrap();
    // The recognizer was offered the model's sentence features and weighed them on held-out
    // examples (the bundled domain's reject them: see the README).
    let choice = bot.parser().encoder_choice().expect("features offered");
    assert_eq!((choice.fingerprint.as_str(), choice.trials.len()), (fingerprint.as_str(), nlu::held_out::FEATURE_WEIGHTS.len()));
    let mut conversation = Conversation::new("t");
    let turn = bot.respond(&mut conversation, "I want a refund for order 12345");
    assert_eq!(turn.parse.intent.name, "request_refund");
    assert!(turn.text().contains("refund"), "{}", turn.text());
}

#[test]
fn it_is_a_sentence_encoder_for_the_recognizer() {
    use nlu::SentenceEncoder;
    let model = std::sync::Arc::new(Gpt2::load(&model_dir(), &Backend::Cpu.device().unwrap().device).unwrap());
    let sentences = deskbot::Gpt2Sentences(model.clone());
    let vectors = sentences.encode(&["where is my order", "我要退款", ""]).unwrap();
    assert!(vectors.iter().all(|v| v.len() == model.config.n_embd && v.iter().all(|x| x.is_finite())));
    assert_ne!(vectors[0], vectors[1]);
    let domain = nlu::NluDomain::load(&model_dir().join("../../intents/nlu.ron")).unwrap();
    let parser = nlu::Parser::train_with(&domain, Some(std::sync::Arc::new(sentences))).unwrap();
    assert_eq!(parser.encoder_choice().unwrap().fingerprint, model.fingerprint());
    assert_eq!(parser.parse("where is my order").intent.name, "order_status");
}
