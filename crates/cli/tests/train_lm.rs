//! `deskbot corpus`, `train-lm` and `eval lm` as a user runs them: a tiny model trained from
//! the bundled domain loads in `generate`; bad input fails clearly and leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn deskbot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deskbot")).args(args).current_dir(repo()).output().expect("deskbot runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

const TINY: [&str; 14] =
    ["--vocab-size", "400", "--layers", "1", "--dim", "32", "--heads", "2", "--context", "32", "--batch", "4", "--backend", "cpu"];

#[test]
fn corpus_train_eval_generate_from_a_clean_directory() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.txt");
    let out = deskbot(&["corpus", "--domain", "intents", "--templates", "templates", "--scripts", "tests/dialogues", "--out", path(&corpus)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("domain: replayed dialogues"), "{}", text(&out));

    let model = dir.path().join("mini");
    let mut args = vec!["train-lm", "--corpus", path(&corpus), "--out", path(&model), "--steps", "30", "--lr", "3e-3"];
    args.extend(TINY);
    let out = deskbot(&args);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("validation perplexity"), "{}", text(&out));
    for file in ["config.json", "model.safetensors", "tokenizer.json", "training.json"] {
        assert!(model.join(file).is_file(), "{file} missing");
    }
    assert!(!model.join("checkpoint").exists() && !dir.path().join("mini.partial").exists());
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(model.join("training.json")).unwrap()).unwrap();
    let perplexity = summary["validation_perplexity"].as_f64().unwrap();
    assert!(perplexity.is_finite() && perplexity < 400.0, "perplexity {perplexity} is no better than chance over 400 tokens");

    let out = deskbot(&["eval", "lm", "--model", path(&model), "--data", path(&corpus), "--backend", "cpu"]);
    assert!(out.status.success() && text(&out).contains("perplexity") && text(&out).contains("tokens/s"), "{}", text(&out));
    let out =
        deskbot(&["generate", "--model", path(&model), "--prompt", "User: where is my order?\nBot:", "--max-new-tokens", "8", "--backend", "cpu"]);
    assert!(out.status.success(), "{}", text(&out));

    // OUT exists: refused without --force.
    let mut again = vec!["train-lm", "--corpus", path(&corpus), "--out", path(&model), "--steps", "1"];
    again.extend(TINY);
    let out = deskbot(&again);
    assert!(!out.status.success() && text(&out).contains("already exists"), "{}", text(&out));
}

#[test]
fn bad_corpora_and_init_dirs_are_clear_errors_that_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n\n  \n").unwrap();
    let small = dir.path().join("small.txt");
    std::fs::write(&small, "User: hello\n\nUser: where is my order?\n").unwrap();
    let model = dir.path().join("m");
    let missing = dir.path().join("missing.txt");
    let cases: [(Vec<&str>, &str); 4] = [
        (vec!["--corpus", path(&missing)], "missing.txt"),
        (vec!["--corpus", path(&empty)], "has no text"),
        (vec!["--corpus", path(&small)], "too small"),
        (vec!["--corpus", path(&small), "--init", path(dir.path())], "not a GPT-2 checkpoint"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["train-lm", "--out", path(&model), "--steps", "2"];
        args.extend(extra);
        args.extend(TINY);
        let out = deskbot(&args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(text(&out).contains(expected), "{args:?}: expected {expected:?} in {}", text(&out));
        assert!(!model.exists() && !dir.path().join("m.partial").exists(), "{args:?} left files behind");
    }
    let out = deskbot(&["train-lm", "--corpus", path(&small), "--out", path(&model), "--resume"]);
    assert!(!out.status.success() && text(&out).contains("no checkpoint"), "{}", text(&out));
}

#[test]
fn an_interrupted_run_resumes_from_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.txt");
    assert!(deskbot(&["corpus", "--scripts", "tests/dialogues", "--out", path(&corpus)]).status.success());
    let model = dir.path().join("m");
    let mut args = vec!["train-lm", "--corpus", path(&corpus), "--out", path(&model), "--steps", "400", "--checkpoint-every", "10"];
    args.extend(TINY);
    let mut child = Command::new(env!("CARGO_BIN_EXE_deskbot")).args(&args).current_dir(repo()).spawn().unwrap();
    let state = dir.path().join("m.partial/checkpoint/trainer.json");
    let started = std::time::Instant::now();
    while !state.exists() && started.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(state.exists(), "no checkpoint appeared");
    assert!(!model.exists());

    // Starting afresh over the leftovers is refused; --resume continues.
    let out = deskbot(&args);
    assert!(!out.status.success() && text(&out).contains("--resume"), "{}", text(&out));
    args.push("--resume");
    let out = deskbot(&args);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("resuming at step"), "{}", text(&out));
    assert!(model.join("model.safetensors").is_file() && !dir.path().join("m.partial").exists());
}
