//! `deskbot discover` as a desk runs it: on a file of messages, and on the conversations a real
//! `deskbot serve` stored in SQLite.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// New requests, several ways each.
const DOGS: [&str; 5] = [
    "can i bring my dog to the office",
    "is my dog allowed in the office",
    "dog in the office?",
    "are dogs allowed at the office",
    "may i bring my puppy to work",
];
const GYM: [&str; 5] = [
    "when does the office gym open",
    "is the gym open on sunday",
    "gym opening hours",
    "can i use the gym after work",
    "what time does the gym close",
];
const DESKS: [&str; 5] = [
    "how do i reserve a desk for tomorrow",
    "book me a desk on friday",
    "i need to reserve a hot desk",
    "reserve a desk next to my team",
    "where can i book a desk",
];
/// Requests of their own.
const STRAYS: [&str; 4] =
    ["what's the weather on mars", "my laptop screen is broken", "the coffee machine is out of order", "how do i change my password"];
/// Requests the recognizer trained on [`training`] handles.
const HANDLED: [&str; 5] = ["where is my order 12345", "i want a refund", "hello", "has my order shipped", "i want my money back"];

/// A small labelled training set: orders, refunds, greetings and out-of-scope examples.
fn training(dir: &Path) -> PathBuf {
    let intents = [
        (
            "order_status",
            &["where is my order", "track my order", "has my order shipped", "when will my order arrive", "status of my order", "where's my parcel"]
                [..],
        ),
        (
            "refund",
            &["i want a refund", "refund my order", "can i get my money back", "give me a refund", "how do i get a refund", "money back please"][..],
        ),
        ("greet", &["hello", "hi", "hey there", "good morning", "hi bot", "good afternoon"][..]),
        (
            "oos",
            &["what's the weather like", "tell me a joke", "sing a song", "who won the game", "what is the capital of france", "recommend a movie"][..],
        ),
    ];
    let lines: Vec<String> =
        intents.iter().flat_map(|(intent, texts)| texts.iter().map(move |text| json!({"text": text, "intent": intent}).to_string())).collect();
    let path = dir.join("train.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

fn deskbot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deskbot")).env("DESKBOT_ENCODER", "off").args(args).current_dir(repo()).output().expect("deskbot runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The clusters of `--json` output as (name, members), checked for shape, and the unclustered count.
fn clusters(out: &Output) -> (Vec<(String, Vec<String>)>, u64) {
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let found: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    let clusters = found["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let members: Vec<String> = c["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()).collect();
            assert_eq!(c["size"], json!(members.len()), "{c}");
            let examples = c["examples"].as_array().unwrap();
            assert!(!examples.is_empty() && examples.iter().all(|e| members.iter().any(|m| e == m)), "{c}");
            (c["name"].as_str().unwrap().to_string(), members)
        })
        .collect();
    (clusters, found["unclustered"].as_u64().unwrap())
}

#[test]
fn discover_groups_the_messages_the_recognizer_does_not_handle_into_named_intents() {
    let dir = tempfile::tempdir().unwrap();
    let train = training(dir.path());
    let file = dir.path().join("messages.txt");
    let lines: Vec<&str> = [&HANDLED[..2], &DOGS[..], &GYM[..], &HANDLED[2..], &DESKS[..], &STRAYS[..], &["   "][..]].concat();
    std::fs::write(&file, lines.join("\r\n")).unwrap();
    // A recognizer trained on so few examples is sure of little: it handles from 0.9 on.
    let args = ["discover", "--text", file.to_str().unwrap(), "--train", train.to_str().unwrap(), "--oos-threshold", "0.9"];

    let out = deskbot(&args);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.starts_with("24 messages: 5 handled by the recognizer, 19 not → "), "{stdout}");
    assert!(stdout.contains("nlu.ron:") && stdout.contains("(examples: ["), "{stdout}");

    let (found, unclustered) = clusters(&deskbot(&[&args[..], &["--json"]].concat()));
    assert_eq!(found.iter().map(|(_, m)| m.len() as u64).sum::<u64>() + unclustered, 19, "{found:?}");
    assert!(found.iter().all(|(_, members)| members.len() >= 3 && !members.iter().any(|m| HANDLED.contains(&m.as_str()))), "{found:?}");
    // Each new request comes back as a cluster named after it, holding only (or mostly) it.
    let named = |word: &str| found.iter().find(|(name, _)| name.contains(word)).unwrap_or_else(|| panic!("no `{word}` cluster: {found:?}"));
    assert!(named("dog").1.iter().all(|m| DOGS.contains(&m.as_str())), "{found:?}");
    assert!(named("desk").1.iter().all(|m| DESKS.contains(&m.as_str())), "{found:?}");
    let gym = &named("gym").1;
    assert!(gym.iter().filter(|m| GYM.contains(&m.as_str())).count() * 2 > gym.len(), "{found:?}");

    // A larger minimum size leaves every message unclustered.
    let (found, unclustered) = clusters(&deskbot(&[&args[..], &["--json", "--min-size", "20"]].concat()));
    assert_eq!((found.len(), unclustered), (0, 19));
}

#[test]
fn discover_refuses_bad_input_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n  \n").unwrap();
    let binary = dir.path().join("binary.txt");
    std::fs::write(&binary, b"hello\nab\xff\xfecd\n").unwrap();
    let cases = [
        (vec!["discover", "--text", empty.to_str().unwrap()], format!("{}: no messages in it", empty.display())),
        (vec!["discover", "--text", binary.to_str().unwrap()], format!("{}:2: the line is not UTF-8 text", binary.display())),
        (vec!["discover", "--text", "no/such/file.txt"], "reading no/such/file.txt".to_string()),
        (vec!["discover", "--store", "sqlite:no/such.db"], "store sqlite:no/such.db: no such file".to_string()),
        (vec!["discover", "--store", "mysql://db"], "unknown store `mysql://db`".to_string()),
        (vec!["discover", "--text", "x.txt", "--max-distance", "3"], "--max-distance 3: a cosine distance is within 0..2".to_string()),
    ];
    for (args, expected) in cases {
        let out = deskbot(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(&expected) && !stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// `deskbot serve` (the bundled bot) on a SQLite file, until dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(store: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_deskbot"))
            .env("DESKBOT_ENCODER", "off")
            .args(["serve", "--addr", "127.0.0.1:0", "--no-model", "--store", store])
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("deskbot serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("no address in {line:?}")).to_string();
        Server { child, url }
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(60))).build().into()
    }

    fn post(&self, path: &str, body: Value) {
        Self::agent().post(&format!("{}{path}", self.url)).send_json(body).unwrap_or_else(|e| panic!("POST {path}: {e}"));
    }

    /// The conversation's user events as (text, intent).
    fn user_events(&self, id: &str) -> Vec<(String, String)> {
        let mut response = Self::agent().get(&format!("{}/conversations/{id}/tracker", self.url)).call().unwrap();
        let tracker: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        let users = tracker["events"].as_array().unwrap().iter().filter(|e| e["event"] == "user");
        users.map(|e| (e["text"].as_str().unwrap().to_string(), e["intent"].as_str().unwrap().to_string())).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn discover_on_a_store_reads_what_was_out_of_scope_or_handed_off() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("deskbot.db").display());
    let server = Server::start(&store);
    let empty = deskbot(&["discover", "--store", &store]);
    assert_eq!(empty.status.code(), Some(1));
    assert!(text(&empty.stderr).contains("no conversations in it"), "{}", text(&empty.stderr));

    // One conversation per message, named so that they sort in the order said.
    let messages: Vec<&str> = [&DOGS[..], &DESKS[..], &GYM[..], &STRAYS[..], &HANDLED[..]].concat();
    let mut expected = Vec::new();
    for (n, message) in messages.iter().enumerate() {
        let id = format!("c{n:02}");
        server.post("/webhooks/rest/webhook", json!({"sender": id, "message": message}));
        expected.extend(server.user_events(&id).into_iter().filter(|(_, intent)| intent == "out_of_scope").map(|(text, _)| text));
    }
    // A request the bot handles, in a conversation a desk took over: read as well.
    server.post("/webhooks/rest/webhook", json!({"sender": "taken", "message": "where is my order 777"}));
    server.post("/conversations/taken/handoff", json!({"reason": "VIP"}));
    expected.push("where is my order 777".to_string());
    drop(server);

    let from_store = deskbot(&["discover", "--store", &store, "--json"]);
    let said = format!("({} conversations: {} messages out of scope or handed off)", messages.len() + 1, expected.len());
    assert!(text(&from_store.stderr).contains(&said), "{said}: {}", text(&from_store.stderr));
    let (found, _) = clusters(&from_store);
    assert!(!found.is_empty(), "{}", text(&from_store.stdout));
    // The same as discovering in those messages written to a file.
    let file = dir.path().join("taken.txt");
    std::fs::write(&file, expected.join("\n")).unwrap();
    let from_file = deskbot(&["discover", "--text", file.to_str().unwrap(), "--json"]);
    assert_eq!(text(&from_store.stdout), text(&from_file.stdout));

    // Nothing from the future: no message, no cluster.
    let out = deskbot(&["discover", "--store", &store, "--since", "2999-01-01", "--json"]);
    assert!(text(&out.stderr).contains("0 messages out of scope or handed off"), "{}", text(&out.stderr));
    assert_eq!(clusters(&out), (Vec::new(), 0));
}

/// The `nlu.ron:` entry printed after the first cluster, unindented.
fn first_snippet(stdout: &str) -> String {
    let lines = stdout.lines().skip_while(|l| l.trim() != "nlu.ron:").skip(1);
    lines.take_while(|l| l.starts_with("        ")).map(|l| &l[8..]).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_snippet_pasted_into_the_domain_trains_and_recognizes_those_messages() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("messages.txt");
    std::fs::write(&file, [&DOGS[..], &GYM[..], &DESKS[..]].concat().join("\n")).unwrap();
    let out = deskbot(&["discover", "--text", file.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let snippet = first_snippet(&stdout);
    let name = snippet.split('"').nth(1).unwrap_or_else(|| panic!("no snippet in {stdout}")).to_string();
    let examples: Vec<String> = snippet.lines().skip(1).filter_map(|l| l.trim().strip_suffix(',')).map(|l| l.trim_matches('"').to_string()).collect();
    assert!(examples.len() >= 3, "{snippet}");

    // Pasted at the top of the bundled domain's intents.
    let intents = dir.path().join("intents");
    std::fs::create_dir(&intents).unwrap();
    std::fs::copy(repo().join("intents/flows.ron"), intents.join("flows.ron")).unwrap();
    let nlu = std::fs::read_to_string(repo().join("intents/nlu.ron")).unwrap();
    let pasted = nlu.replacen("    intents: {\n", &format!("    intents: {{\n{snippet}\n"), 1);
    assert_ne!(pasted, nlu);
    std::fs::write(intents.join("nlu.ron"), pasted).unwrap();
    let templates = repo().join("templates");
    for example in &examples[..3] {
        let parsed = deskbot(&["parse", "--domain", intents.to_str().unwrap(), "--templates", templates.to_str().unwrap(), "--json", example]);
        assert!(parsed.status.success(), "{}", text(&parsed.stderr));
        let result: Value = serde_json::from_slice(&parsed.stdout).unwrap();
        assert_eq!(result["intent"]["name"], json!(name), "{example:?}: {result}");
    }
}
