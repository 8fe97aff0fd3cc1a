//! Bounded fuzzing on stable Rust: seeded random inputs against the bundled domain, each
//! target a fixed count so CI time stays flat. Nothing may panic; each target appends its
//! count to `fuzz-report.txt` in cargo's test scratch directory (scripts/test.sh prints it).
//!
//! - messages: random Unicode, huge and nested numbers, CJK, 100 KB texts, yes/no/cancel
//!   mixed into conversations (recognizer, entity and builtin parsers, tracker, templates);
//! - domain files: byte mutations of the bundled nlu.ron, flows.ron and templates;
//! - GPT-2 checkpoints: truncated and byte-changed model.safetensors, mutated config.json.
//!
//! HTTP bodies and the 10,000-turn soak are in `serve.rs` (they need the server).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use chrono::NaiveDate;
use deskbot::{Bot, Conversation, Domain};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod common;
use common::{repo, report};

const PIECES: [&str; 24] = [
    "yes",
    "no",
    "cancel",
    "refund",
    "order 12345",
    "$",
    "¥",
    "€",
    "1e309",
    "99999999999999999999999",
    "0.",
    "-",
    "三千五百万亿",
    "8万",
    "12月31日",
    "2026-02-30",
    "from Jan 5th to",
    "[x](refund_reason)",
    "((((",
    "C-2024-001",
    "APR-",
    "\u{0}",
    "\u{202e}",
    "🙂",
];

/// A message: pieces of the domain's vocabulary, numbers and dates at their edges, and random
/// characters from the whole Unicode range.
fn message(rng: &mut ChaCha8Rng) -> String {
    let mut text = String::new();
    for _ in 0..rng.random_range(0..8) {
        match rng.random_range(0..4) {
            0 => text.push_str(PIECES[rng.random_range(0..PIECES.len())]),
            1 => text.extend((0..rng.random_range(1..6)).filter_map(|_| char::from_u32(rng.random_range(0..0x11_0000)))),
            2 => text.push_str(&rng.random_range(0..u64::MAX).to_string()),
            _ => text.push(' '),
        }
    }
    if rng.random_range(0..100) == 0 {
        text = text.repeat(100_000 / text.len().max(1)).chars().take(100_000).collect();
    }
    text
}

#[test]
fn messages_never_panic_the_bot() {
    let bot = Bot::new(Domain::bundled().unwrap()).unwrap().with_today(NaiveDate::from_ymd_opt(2026, 11, 29).unwrap());
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let (conversations, turns) = (400, 12);
    for c in 0..conversations {
        let mut conversation = Conversation::new(format!("fuzz-{c}"));
        let mut blank = 0;
        for _ in 0..turns {
            let text = message(&mut rng);
            let answered = catch_unwind(AssertUnwindSafe(|| bot.respond(&mut conversation, &text)));
            assert!(answered.is_ok(), "the bot panicked on {text:?} in conversation {c}");
            assert!(!answered.unwrap().replies.is_empty() || conversation.state.handed_off.is_some(), "{text:?} got no reply");
            blank += usize::from(text.trim().is_empty());
        }
        assert_eq!(conversation.state.turns.len(), turns - blank, "every message with something in it is a turn");
    }
    report("messages (bot turns)", conversations * turns);
}

/// The bundled domain in a scratch directory, with `file` replaced by `text`.
fn load_with(dir: &Path, file: &str, text: &str) -> Result<Domain, deskbot::Error> {
    std::fs::write(dir.join(file), text).unwrap();
    Domain::load(&dir.join("intents"), &dir.join("templates"))
}

/// `text` with a few random edits: a byte range deleted, duplicated or swapped for random
/// punctuation RON cares about. The result is kept valid UTF-8 (the loader reads text).
fn mutate(rng: &mut ChaCha8Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..rng.random_range(1..4) {
        let at = rng.random_range(0..chars.len());
        let len = rng.random_range(1..12).min(chars.len() - at);
        match rng.random_range(0..3) {
            0 => drop(chars.drain(at..at + len)),
            1 => {
                let copy: Vec<char> = chars[at..at + len].to_vec();
                chars.splice(at..at, copy);
            }
            _ => chars[at] = ['(', ')', '[', ']', '{', '}', '"', ',', ':', '\\', '9', 'x'][rng.random_range(0..12)],
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mutated_domain_files_load_or_fail_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_bundled_domain(dir.path());
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let files = ["intents/nlu.ron", "intents/flows.ron", "templates/common.ron"];
    let per_file = 200;
    let (mut loaded, mut refused) = (0, 0);
    for file in files {
        let original = std::fs::read_to_string(dir.path().join(file)).unwrap();
        for _ in 0..per_file {
            let mutated = mutate(&mut rng, &original);
            match catch_unwind(AssertUnwindSafe(|| load_with(dir.path(), file, &mutated))) {
                Ok(Ok(_)) => loaded += 1,
                Ok(Err(error)) => {
                    refused += 1;
                    let message = error.to_string();
                    assert!(message.contains(".ron") || message.contains("templates"), "{file}: the error names no file: {message}");
                }
                Err(_) => panic!("loading panicked on a mutation of {file}:\n{mutated}"),
            }
        }
        std::fs::write(dir.path().join(file), original).unwrap();
    }
    assert!(refused > 0 && loaded + refused == files.len() * per_file);
    report("domain files (RON mutations)", files.len() * per_file);
}

#[test]
fn mutated_checkpoints_load_or_fail_with_an_error() {
    let fixture = repo().join("crates/gpt2/tests/fixtures/tiny-gpt2");
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(29);
    let weights = std::fs::read(fixture.join("model.safetensors")).unwrap();
    let config = std::fs::read_to_string(fixture.join("config.json")).unwrap();
    let per_file = 400;
    let mut refused = 0;
    for i in 0..2 * per_file {
        let (file, bytes) = if i % 2 == 0 {
            // Truncated, or bytes changed in the header (first 1 KB) or the tensor data.
            let mut bytes = weights.clone();
            match rng.random_range(0..3) {
                0 => bytes.truncate(rng.random_range(0..weights.len())),
                1 => (0..rng.random_range(1..8)).for_each(|_| bytes[rng.random_range(0..1024)] = rng.random()),
                _ => (0..rng.random_range(1..64)).for_each(|_| bytes[rng.random_range(0..weights.len())] = rng.random()),
            }
            ("model.safetensors", bytes)
        } else {
            ("config.json", mutate(&mut rng, &config).into_bytes())
        };
        std::fs::write(dir.path().join(file), &bytes).unwrap();
        match catch_unwind(AssertUnwindSafe(|| gpt2::Gpt2::load(dir.path(), &burn::prelude::Device::flex()))) {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => {
                refused += 1;
                assert!(error.to_string().contains(file) || error.to_string().contains(&dir.path().display().to_string()), "{error}");
            }
            Err(_) => panic!("loading panicked on a mutated {file} (mutation {i})"),
        }
        std::fs::copy(fixture.join(file), dir.path().join(file)).unwrap();
    }
    assert!(refused > 0);
    report("GPT-2 checkpoints (mutated safetensors and config.json)", 2 * per_file);
}
