//! The `deskbot` binary as a user runs it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn deskbot(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_deskbot"))
        .env("DESKBOT_ENCODER", "off")
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("deskbot runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn replay_passes_on_the_bundled_dialogues_and_fails_with_exit_1() {
    let out = deskbot(&["replay", "tests/dialogues"], "");
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains(" passed, 0 failed"));

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("wrong.ron");
    std::fs::write(&script, r#"Dialogue(name: "wrong", turns: [(user: "hello", intent: Some("goodbye"))])"#).unwrap();
    let out = deskbot(&["replay", script.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("FAIL wrong") && stdout.contains("expected: goodbye") && stdout.contains("actual:   greet"), "{stdout}");

    std::fs::write(&script, r#"Dialogue(name: "typo", turns: [(user: "hello", intent: Some("greeet"))])"#).unwrap();
    let out = deskbot(&["replay", script.to_str().unwrap(), "--json"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("unknown intent `greeet`"), "{}", text(&out.stderr));
}

#[test]
fn chat_reads_stdin_and_answers_commands() {
    let out = deskbot(&["chat", "--explain"], "hello\nwhere is order 12345\n/state\n/explain\n/reset\n/quit\n");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("bot> Order 12345 is shipped"), "{stdout}");
    assert!(stdout.contains("\"turns\"") && stdout.contains("slot order_id ← \"12345\""), "{stdout}");
    assert!(stdout.contains("(conversation reset)"));
}

#[test]
fn parse_prints_json_for_chinese_text() {
    let out = deskbot(&["parse", "我想查询订单 12345", "--json"], "");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["intent"]["name"], "order_status");
    assert_eq!(json["entities"][0]["entity"], "order_id");
    assert_eq!((json["entities"][0]["start"].as_u64(), json["entities"][0]["end"].as_u64()), (Some(7), Some(12)));
}

#[test]
fn generate_matches_the_reference_greedy_continuation() {
    let model = repo().join("crates/gpt2/tests/fixtures/tiny-gpt2");
    let reference: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(model.join("reference.json")).unwrap()).unwrap();
    let out = deskbot(
        &[
            "generate",
            "--model",
            model.to_str().unwrap(),
            "--prompt",
            "Where is my",
            "--greedy",
            "--max-new-tokens",
            "20",
            "--json",
            "--backend",
            "cpu",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ids"], reference["greedy"][0]["ids"]);
    let out = deskbot(&["generate", "--model", "/no/such/model", "--prompt", "hi"], "");
    assert!(!out.status.success() && text(&out.stderr).contains("/no/such/model"));
}

#[test]
fn eval_nlu_reports_metrics_and_names_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.jsonl");
    let mut lines = String::new();
    for (text, intent) in [
        ("where is my parcel", "track"),
        ("track my package", "track"),
        ("has my order shipped", "track"),
        ("i want my money back", "refund"),
        ("refund please", "refund"),
        ("give me a refund", "refund"),
    ] {
        lines.push_str(&serde_json::json!({"text": text, "intent": intent}).to_string());
        lines.push('\n');
    }
    std::fs::write(&data, &lines).unwrap();
    let out = deskbot(&["eval", "nlu", "--train", data.to_str().unwrap(), "--cv", "2"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("mean over 2 folds: accuracy"), "{stdout}");
    assert!(stdout.contains("out-of-scope sweep skipped: no test utterance is labelled `oos`"), "{stdout}");
    // Weak intents come with what they were read as and the utterances they missed.
    let test = dir.path().join("test.jsonl");
    std::fs::write(&test, "{\"text\": \"refund please\", \"intent\": \"track\"}\n{\"text\": \"where is my parcel\", \"intent\": \"track\"}\n")
        .unwrap();
    let out = deskbot(&["eval", "nlu", "--train", data.to_str().unwrap(), "--test", test.to_str().unwrap(), "--no-encoder"], "");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("weak: track") && stdout.contains("read as refund ×1"), "{stdout}");
    assert!(stdout.contains("add examples like \"refund please\""), "{stdout}");
    let out = deskbot(&["eval", "nlu", "--train", data.to_str().unwrap(), "--test", data.to_str().unwrap(), "--no-encoder"], "");
    assert!(text(&out.stdout).contains("every intent reaches F1 0.90"), "{}", text(&out.stdout));
    // A domain directory is evaluated on its own examples, its out_of_scope ones as `oos`.
    let out = deskbot(&["eval", "nlu", "--domain", "intents", "--cv", "2"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("out-of-scope recall") && text(&out.stdout).contains("mean over 2 folds"), "{}", text(&out.stdout));
    // A missing domain is named once, with its cause once.
    let out = deskbot(&["eval", "nlu", "--domain", "no-such-dir", "--cv", "2"], "");
    let stderr = text(&out.stderr);
    assert!(!out.status.success() && stderr.contains("no-such-dir/nlu.ron") && stderr.matches("os error 2").count() == 1, "{stderr}");
    let out = deskbot(&["eval", "nlu", "--domain", "intents", "--cv", "2", "--oos-threshold", "0.5"], "");
    assert!(!out.status.success() && text(&out.stderr).contains("--oos-threshold"), "{}", text(&out.stderr));
    std::fs::write(&data, lines + "{\"text\": \"oops\"\n").unwrap();
    let out = deskbot(&["eval", "nlu", "--train", data.to_str().unwrap(), "--cv", "2"], "");
    assert!(!out.status.success() && text(&out.stderr).contains("data.jsonl:7:"), "{}", text(&out.stderr));
}

#[test]
fn train_nlu_saves_a_model_that_parse_loads_and_that_refuses_another_domain() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("nlu-model");
    let out = deskbot(&["train", "nlu", "--domain", "intents", "--out", model.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The author learns how well the examples teach their intents.
    assert!(text(&out.stdout).contains("held out while calibrating:") && text(&out.stdout).contains("top intent right for"), "{}", text(&out.stdout));
    let out = deskbot(&["parse", "--model", model.to_str().unwrap(), "--json", "refund $40 for order 12345"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed["intent"]["name"], "request_refund");
    assert!(parsed["entities"].as_array().unwrap().iter().any(|e| e["entity"] == "money" && e["normalized"]["amount"] == 40.0));

    // The same model against a changed domain: a clear error.
    let domain = dir.path().join("domain");
    std::fs::create_dir(&domain).unwrap();
    let nlu = std::fs::read_to_string(repo().join("intents/nlu.ron")).unwrap().replacen("\"hello\"", "\"hello\", \"hey there\"", 1);
    std::fs::write(domain.join("nlu.ron"), nlu).unwrap();
    std::fs::copy(repo().join("intents/flows.ron"), domain.join("flows.ron")).unwrap();
    let templates = repo().join("templates");
    let out = deskbot(
        &["parse", "--model", model.to_str().unwrap(), "--domain", domain.to_str().unwrap(), "--templates", templates.to_str().unwrap(), "hi"],
        "",
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("another domain"), "{}", text(&out.stderr));
}

#[test]
fn train_nlu_weighs_the_bundled_gpt2_features_and_names_a_bad_model_dir() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("nlu-model");
    let args = ["train", "nlu", "--domain", "intents", "--gpt2", "models/deskbot-mini", "--gpt2-backend", "cpu", "--out", model.to_str().unwrap()];
    let out = deskbot(&args, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The author sees what the held-out examples made of the model's features.
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("sentence features (encoder ") && stdout.contains("held-out top-intent accuracy without") && stdout.contains("at 0.5"),
        "{stdout}"
    );
    let out =
        deskbot(&["parse", "--model", model.to_str().unwrap(), "--gpt2", "models/deskbot-mini", "--gpt2-backend", "cpu", "where is my order"], "");
    assert!(out.status.success() && text(&out.stdout).contains("order_status"), "{}{}", text(&out.stdout), text(&out.stderr));

    let out = deskbot(&["parse", "--gpt2", "/nonexistent/gpt2", "hello"], "");
    assert!(!out.status.success() && text(&out.stderr).contains("/nonexistent/gpt2"), "{}", text(&out.stderr));
}

#[test]
fn a_rasa_bot_imports_trains_and_parses() {
    let shared = std::env::var("DESKBOT_SHARED").map(PathBuf::from).unwrap_or_else(|_| repo().join("../shared"));
    let moodbot = shared.join("data/rasa_examples/moodbot");
    let dir = tempfile::tempdir().unwrap();
    let (domain, model) = (dir.path().join("mood"), dir.path().join("mood-nlu"));
    let out = deskbot(&["import", "rasa", moodbot.to_str().unwrap(), "--out", domain.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("intents"), "{}", text(&out.stdout));
    let out = deskbot(&["import", "rasa", moodbot.to_str().unwrap(), "--out", domain.to_str().unwrap()], "");
    assert!(!out.status.success() && text(&out.stderr).contains("already exists"));
    let out = deskbot(&["train", "nlu", "--domain", domain.join("intents").to_str().unwrap(), "--out", model.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = deskbot(&["parse", "--model", model.to_str().unwrap(), "--json", "I am very sad today"], "");
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed["intent"]["name"], "mood_unhappy", "{parsed}");
}

#[test]
fn train_nlu_on_annotated_slots_tags_them_in_parse() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("flights.jsonl");
    let mut lines = String::new();
    for (i, city) in ["Paris", "Rome", "Oslo", "Lyon", "Kyoto", "Lima", "Cairo", "Perth"].iter().enumerate() {
        for text in [format!("fly to {city}"), format!("book a flight to {city} please"), format!("i need to get to {city}")] {
            let start = text.find(city).unwrap();
            let slot = serde_json::json!({"start": start, "end": start + city.len(), "slot": "city", "value": city});
            lines.push_str(&serde_json::json!({"text": text, "intent": "book_flight", "slots": [slot]}).to_string());
            lines.push('\n');
        }
        lines.push_str(&serde_json::json!({"text": format!("hello number {i}"), "intent": "greet"}).to_string());
        lines.push('\n');
    }
    std::fs::write(&data, lines).unwrap();
    let model = dir.path().join("model");
    let out = deskbot(&["train", "nlu", "--data", data.to_str().unwrap(), "--out", model.to_str().unwrap()], "");
    assert!(out.status.success() && text(&out.stdout).contains("slot tagger"), "{}{}", text(&out.stdout), text(&out.stderr));
    let out = deskbot(&["parse", "--model", model.to_str().unwrap(), "--json", "book a flight to Rome please"], "");
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entities = parsed["entities"].as_array().unwrap();
    assert!(entities.iter().any(|e| e["entity"] == "city" && e["value"] == "Rome" && e["extractor"] == "tagger"), "{parsed}");
}

#[test]
fn eval_rephrase_accounts_for_every_reply() {
    // The tiny random checkpoint writes gibberish: the guard must refuse all of it.
    let out = deskbot(
        &[
            "eval",
            "rephrase",
            "tests/dialogues/07_refund_happy_path.ron",
            "--model",
            "crates/gpt2/tests/fixtures/tiny-gpt2",
            "--seeds",
            "2",
            "--backend",
            "cpu",
        ],
        "",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let count = |line: &str| line.trim().split(' ').next().unwrap().parse::<usize>().unwrap();
    let replies: usize = stdout.lines().next().and_then(|l| l.split(": ").nth(1)).map(count).expect("a replies line");
    let parts: Vec<usize> = stdout.lines().filter(|l| l.contains(" %)  ")).map(count).collect();
    assert!(replies >= 6 && parts.iter().sum::<usize>() == replies, "{stdout}");
    assert!(stdout.contains("    0 (  0.0 %)  reworded"), "{stdout}");
    let out = deskbot(&["eval", "rephrase", "no/such/dialogues", "--model", "crates/gpt2/tests/fixtures/tiny-gpt2"], "");
    assert!(!out.status.success() && text(&out.stderr).contains("no/such/dialogues"), "{}", text(&out.stderr));
}

#[test]
fn chat_asks_the_bundled_model_for_rewordings_unless_told_not_to() {
    let script = "I want a refund for order 12345\nit arrived broken\n$40\n";
    let asked = |stdout: &str| stdout.contains("reworded by the model") || stdout.contains("the model's rewording");
    let out = deskbot(&["chat", "--explain", "--backend", "cpu", "--no-intent-features"], script);
    let stdout = text(&out.stdout);
    assert!(out.status.success() && asked(&stdout), "{stdout}{}", text(&out.stderr));
    // Whatever the model offered, the values reached the user.
    assert!(stdout.contains("$40.00") && stdout.contains("12345"), "{stdout}");
    let out = deskbot(&["chat", "--explain", "--backend", "cpu", "--no-intent-features", "--no-rephrase"], script);
    let stdout = text(&out.stdout);
    assert!(out.status.success() && !asked(&stdout) && stdout.contains("reply confirm_refund #"), "{stdout}");
}

/// A purchase-order bot with the four mistakes a new author makes: engine replies missing, a
/// Confirm step without yes/no intents, an action nothing handles, a placeholder typo.
fn purchase_order_domain(dir: &Path) -> (PathBuf, PathBuf) {
    let (intents, templates) = (dir.join("intents"), dir.join("templates"));
    std::fs::create_dir_all(&intents).unwrap();
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        intents.join("nlu.ron"),
        r#"Nlu(
    intents: {
        "greet": (examples: ["hi", "hello"]),
        "order_po": (examples: ["I need a purchase order", "raise a PO for [ten laptops](item)"]),
    },
    entities: { "money": Builtin(Money) },
)"#,
    )
    .unwrap();
    std::fs::write(
        intents.join("flows.ron"),
        r#"Flows(
    slots: {
        "item": (type: Text),
        "amount": (type: Money, entities: ["money"]),
        "approver": (type: Text),
    },
    flows: {
        "greet": (intent: "greet", steps: [Say("greet")]),
        "po": (intent: "order_po", steps: [
            Collect("item"), Collect("amount"), Collect("approver"),
            Confirm("confirm_po"), Action("submit_po"), Say("po_submitted"),
        ]),
    },
)"#,
    )
    .unwrap();
    std::fs::write(
        templates.join("po.ron"),
        r#"Templates(responses: {
    "greet": [(text: "Hi! I raise purchase orders.")],
    "ask_item": [(text: "What should we buy?")],
    "ask_amount": [(text: "How much is it?")],
    "ask_approver": [(text: "Who approves it?")],
    "confirm_po": [(text: "Order {item} for {amount} with {aprover} approving?")],
    "po_submitted": [(text: "Submitted.")],
})"#,
    )
    .unwrap();
    (intents, templates)
}

#[test]
fn check_names_every_problem_of_a_domain_at_once() {
    let out = deskbot(&["check"], "");
    assert!(out.status.success(), "the bundled domain checks clean: {}", text(&out.stdout));

    let dir = tempfile::tempdir().unwrap();
    let (intents, _) = purchase_order_domain(dir.path());
    let out = deskbot(&["check", "--domain", intents.to_str().unwrap()], "");
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let nlu = intents.join("nlu.ron").display().to_string();
    let flows = intents.join("flows.ron").display().to_string();
    let po = intents.join("../templates/po.ron").display().to_string();
    for expected in [
        "have no template".to_string(),
        "`nothing_to_cancel`".to_string(),
        format!("{nlu}:2:5: no intent `affirm`"),
        format!("{nlu}:2:5: no intent `deny`"),
        format!("{flows}:11:36: action `submit_po` has no handler"),
        format!("{po}:6:59: response `confirm_po` uses {{aprover}}, which is no slot"),
        "did you mean `approver`?".to_string(),
    ] {
        assert!(report.contains(&expected), "missing {expected:?} in:\n{report}");
    }
    // chat refuses the domain with the same report.
    let out = deskbot(&["chat", "--domain", intents.to_str().unwrap(), "--no-model"], "hi\n");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("did you mean `approver`?"), "{}", text(&out.stderr));
    // An action stubbed while writing a domain answers with the given fields.
    let stub = r#"lookup_order={"status": "held at customs", "eta": "2026-12-24"}"#;
    let out = deskbot(&["chat", "--no-model", "--action", stub], "where is order 12345\n");
    assert!(text(&out.stdout).contains("held at customs"), "{}{}", text(&out.stdout), text(&out.stderr));
    let out = deskbot(&["chat", "--no-model", "--action", "lookup_order=[1]"], "");
    assert!(!out.status.success() && text(&out.stderr).contains("no JSON object"), "{}", text(&out.stderr));
}

#[test]
fn new_makes_a_bot_that_chats_replays_and_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let bot = dir.path().join("supplies-bot");
    let bot_str = bot.to_str().unwrap();
    let out = deskbot(&["new", bot_str], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let intents = bot.join("intents");
    let intents_str = intents.to_str().unwrap();
    let out = deskbot(&["check", "--domain", intents_str], "");
    assert!(out.status.success(), "a new bot checks clean: {}", text(&out.stdout));
    let out = deskbot(&["chat", "--no-model", "--domain", intents_str], "hi\norder printer paper\n");
    let stdout = text(&out.stdout);
    assert!(out.status.success() && stdout.contains("office supplies") && stdout.contains("budget"), "{stdout}{}", text(&out.stderr));
    assert!(stdout.starts_with("Office supplies desk — orders printer paper"), "the banner is the domain's name: {stdout}");
    assert!(stdout.contains("this is the Office supplies desk!"), "the greeting says {{bot_name}}: {stdout}");
    let out = deskbot(&["replay", bot.join("tests").to_str().unwrap()], "");
    assert!(out.status.success(), "its tests run on its own domain: {}{}", text(&out.stdout), text(&out.stderr));
    assert!(std::fs::read_to_string(bot.join("README.md")).unwrap().contains("deskbot chat --domain supplies-bot/intents"));
    // Never over an existing bot.
    let out = deskbot(&["new", bot_str], "");
    assert!(!out.status.success() && text(&out.stderr).contains("not empty"), "{}", text(&out.stderr));
}
