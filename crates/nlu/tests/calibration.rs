//! Calibrated confidences on public data: BANKING77 utterances the recognizer was not trained on.

use std::path::{Path, PathBuf};

use nlu::Parser;
use nlu::eval::{domain_from_examples, evaluate, folds, load_jsonl};

fn shared_data() -> PathBuf {
    match std::env::var("DESKBOT_SHARED") {
        Ok(dir) => PathBuf::from(dir).join("data"),
        Err(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

#[test]
fn held_out_banking77_confidences_match_accuracy() {
    // 25 of the 77 intents (about 3,000 utterances) keep the test to a few seconds.
    let all = load_jsonl(&shared_data().join("banking77/train.jsonl")).expect("BANKING77 from ../shared/data");
    let mut intents: Vec<&str> = all.iter().map(|e| e.intent.as_str()).collect();
    intents.sort_unstable();
    intents.dedup();
    let kept: Vec<_> = all.iter().filter(|e| intents[..25].contains(&e.intent.as_str())).cloned().collect();
    let (train, test) = folds(&kept, 5, 1).swap_remove(0);
    let report = evaluate(&Parser::train(&domain_from_examples(&train, 0.0)), &test, || {});
    let reliability = report.calibration.expect("in-scope examples");
    // Uncalibrated, these scores averaged 0.62 against an accuracy of 0.90 (ECE 0.28).
    assert!(reliability.accuracy > 0.85, "{reliability:?}");
    assert!((reliability.mean_confidence - reliability.accuracy).abs() < 0.04, "{reliability:?}");
    assert!(reliability.ece < 0.06, "{reliability:?}");
}
