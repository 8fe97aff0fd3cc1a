//! `deskbot serve` as a support desk uses it: the real binary on loopback, a real store.
//! Redis and Postgres tests run when `DESKBOT_TEST_REDIS` / `DESKBOT_TEST_POSTGRES` name a
//! server (scripts/test.sh starts both); with `DESKBOT_REQUIRE_SERVICES=1` a missing one fails.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

mod common;

use common::repo;

struct Server {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Server {
    fn start(store: &str, extra: &[&str]) -> Server {
        let log = std::env::temp_dir().join(format!("deskbot-serve-{}.log", rand::random::<u64>()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_deskbot"))
            .env("DESKBOT_ENCODER", "off")
            .args(["serve", "--addr", "127.0.0.1:0", "--no-model", "--store", store])
            .args(extra)
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("deskbot serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}; log: {}", std::fs::read_to_string(&log).unwrap_or_default()));
        Server { url: url.to_string(), child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no chance to flush or finish anything.
    fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(60))).build().into()
}

/// (status, body as JSON, or as a string when it is not JSON)
fn call(method: &str, url: &str, body: Option<&[u8]>, headers: &[(&str, &str)]) -> (u16, Value) {
    let agent = agent();
    let response = match (method, body) {
        ("GET", _) => {
            let mut request = agent.get(url);
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            request.call()
        }
        (_, body) => {
            let mut request = agent.post(url).header("content-type", "application/json");
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            request.send(body.unwrap_or_default())
        }
    };
    let mut response = response.expect("the server answers");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// POSTs with `Expect: 100-continue`, as curl does for large bodies: the body is sent only if
/// the server asks for it. (Sending a body the server has already refused races with its
/// closing the connection, and the client may see a reset instead of the answer.)
fn post_expecting_continue(url: &str, body: &[u8]) -> (u16, Value) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut status_line = String::new();
        reader.read_line(&mut status_line).unwrap();
        let status: u16 = status_line.split_whitespace().nth(1).unwrap().parse().unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        if status == 100 {
            stream.write_all(body).unwrap();
            continue;
        }
        let mut text = vec![0; length];
        reader.read_exact(&mut text).unwrap();
        return (status, serde_json::from_slice(&text).unwrap_or(Value::Null));
    }
}

fn say(server: &Server, sender: &str, message: &str) -> (u16, Value) {
    let body = json!({ "sender": sender, "message": message }).to_string();
    call("POST", &format!("{}/webhooks/rest/webhook", server.url), Some(body.as_bytes()), &[])
}

fn tracker(server: &Server, id: &str) -> (u16, Value) {
    call("GET", &format!("{}/conversations/{id}/tracker", server.url), None, &[])
}

fn texts(replies: &Value) -> Vec<String> {
    replies.as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap().to_string()).collect()
}

fn user_texts(tracker: &Value) -> Vec<String> {
    tracker["events"].as_array().unwrap().iter().filter(|e| e["event"] == "user").map(|e| e["text"].as_str().unwrap().to_string()).collect()
}

fn sqlite_store(dir: &tempfile::TempDir) -> String {
    format!("sqlite:{}", dir.path().join("deskbot.db").display())
}

/// A store URL from the environment, or None (the test is skipped) unless services are required.
fn service(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("DESKBOT_REQUIRE_SERVICES").is_ok_and(|v| v == "1") => panic!("{var} is not set (scripts/test.sh starts the service)"),
        _ => {
            eprintln!("skipped: {var} is not set");
            None
        }
    }
}

fn run_id() -> String {
    format!("{:08x}", rand::random::<u32>())
}

#[test]
fn a_turn_is_answered_in_rasa_shape_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&sqlite_store(&dir), &[]);
    let (status, replies) = say(&server, "c1", "where is my order 12345?");
    assert_eq!(status, 200, "{replies}");
    assert_eq!(replies[0]["recipient_id"], "c1");
    assert!(texts(&replies)[0].contains("Order 12345 is shipped"), "{replies}");

    let (status, tracked) = tracker(&server, "c1");
    assert_eq!(status, 200, "{tracked}");
    assert_eq!(tracked["version"], 1);
    assert_eq!(user_texts(&tracked), ["where is my order 12345?"]);
    let kinds: Vec<&str> = tracked["events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["user", "slot", "action", "bot"], "{tracked}");
    assert_eq!(tracked["events"][0]["intent"], "order_status");
    assert_eq!(tracked["events"][0]["parse_data"]["intent"]["name"], "order_status", "Rasa's parse_data on user events");
    assert_eq!(tracked["latest_message"]["text"], "where is my order 12345?");
    assert_eq!(tracked["latest_message"]["intent"]["name"], "order_status", "Rasa nests the intent");
    assert!(tracked["latest_message"]["intent"]["confidence"].as_f64().unwrap() > 0.5);

    let (status, parsed) = call("POST", &format!("{}/model/parse", server.url), Some(br#"{"text":"refund $40 for order 12345"}"#), &[]);
    assert_eq!(status, 200, "{parsed}");
    assert_eq!(parsed["intent"]["name"], "request_refund");
    assert_eq!(parsed["intent_ranking"], parsed["ranking"]);
    assert!(parsed["entities"].as_array().unwrap().iter().any(|e| e["entity"] == "money"), "{parsed}");

    let (status, health) = call("GET", &format!("{}/health", server.url), None, &[]);
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let (status, channel) = call("GET", &format!("{}/webhooks/rest/", server.url), None, &[]);
    assert_eq!((status, channel), (200, json!({ "status": "ok" })), "Rasa's REST channel status route");
    let (status, hello) = call("GET", &format!("{}/", server.url), None, &[]);
    assert!(status == 200 && hello.as_str().is_some_and(|h| h.starts_with("Hello from deskbot")), "{hello}");
    let (status, model) = call("GET", &format!("{}/status", server.url), None, &[]);
    assert_eq!((status, model["num_active_training_jobs"].as_u64()), (200, Some(0)), "{model}");
    assert_eq!(model["model_id"].as_str().map(str::len), Some(16), "{model}");
    // A numeric sender, as some Rasa clients send it, is the string "42".
    let (status, _) = call("POST", &format!("{}/webhooks/rest/webhook", server.url), Some(br#"{"sender": 42, "message": "hi"}"#), &[]);
    assert_eq!(status, 200);
    assert_eq!(tracker(&server, "42").0, 200);
}

/// Rasa's `POST /conversations/{id}/tracker/events`: a desk sets slots, pauses and resumes the
/// bot; a value the slot refuses changes nothing. A blank message is answered but is no turn.
#[test]
fn a_desk_appends_slot_pause_and_resume_events() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&sqlite_store(&dir), &[]);
    let events = format!("{}/conversations/d1/tracker/events", server.url);
    say(&server, "d1", "I want a refund for order 12345");
    let (status, tracked) = call("POST", &events, Some(br#"{"event": "slot", "name": "refund_reason", "value": "broken lid", "timestamp": 1}"#), &[]);
    assert_eq!(status, 200, "{tracked}");
    assert_eq!(tracked["slots"]["refund_reason"], "broken lid");
    let (status, replies) = say(&server, "d1", "$20");
    assert_eq!(status, 200);
    assert!(texts(&replies).join(" ").contains("$20"), "the flow went on past the reason the desk set: {replies}");

    let (status, error) = call("POST", &events, Some(br#"[{"event": "slot", "name": "refund_amount", "value": "lots"}]"#), &[]);
    assert!(status == 400 && error["error"].as_str().unwrap().contains("refund_amount"), "{status} {error}");
    let (status, error) = call("POST", &events, Some(br#"{"event": "restart"}"#), &[]);
    assert!(status == 400 && error["error"].as_str().unwrap().contains("restart"), "{status} {error}");

    let (status, tracked) = call("POST", &events, Some(br#"[{"event": "pause"}]"#), &[]);
    assert_eq!((status, &tracked["paused"]), (200, &json!(true)), "{tracked}");
    assert!(say(&server, "d1", "hello?").1.as_array().unwrap().is_empty(), "paused: the bot is quiet");
    let (status, tracked) = call("POST", &events, Some(br#"{"event": "resume"}"#), &[]);
    assert_eq!((status, &tracked["paused"]), (200, &json!(false)), "{tracked}");

    let turns = tracked["state"]["turns"].as_array().unwrap().len();
    let (status, replies) = say(&server, "d1", "   ");
    assert!(status == 200 && !texts(&replies).is_empty(), "a blank message is answered: {replies}");
    let (_, tracked) = tracker(&server, "d1");
    assert_eq!(tracked["state"]["turns"].as_array().unwrap().len(), turns, "but is no turn");
}

#[test]
fn bad_requests_get_json_errors_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&sqlite_store(&dir), &["--max-body", "200000"]);
    let webhook = format!("{}/webhooks/rest/webhook", server.url);
    let cases: [(&[u8], u16, &str); 7] = [
        (b"{\"sender\": \"b1\", \"message\": ", 400, "invalid JSON body: EOF while parsing"),
        (b"{\"sender\": \"b1\", \"message\": \"caf\xc3\x28\"}", 400, "not valid UTF-8 (invalid byte at offset 32)"),
        (b"{\"sender\": \"b1\"}", 400, "missing field `message`"),
        (b"{\"sender\": \"b1\", \"message\": 42}", 400, "field `message`: invalid type: integer `42`, expected a string"),
        (b"{\"sender\": \"\", \"message\": \"hi\"}", 400, "`sender` is empty"),
        (b"", 400, "request body is empty"),
        (b"[1, 2]", 400, "invalid JSON body: expected an object `{…}`, found `[`"),
    ];
    for (body, status, message) in cases {
        let (got, error) = call("POST", &webhook, Some(body), &[]);
        assert_eq!(got, status, "{error}");
        assert!(error["error"].as_str().unwrap().contains(message), "{} does not contain {message}", error["error"]);
    }
    let big = json!({ "sender": "b1", "message": "a".repeat(1_000_000) }).to_string();
    let (status, error) = post_expecting_continue(&webhook, big.as_bytes());
    assert_eq!(status, 413, "{error}");
    assert!(error["error"].as_str().unwrap().contains("larger than the limit of 200000 bytes"), "{error}");
    assert_eq!(tracker(&server, "b1").0, 404, "rejected requests must not create the conversation");

    let (status, error) = tracker(&server, "nobody");
    assert_eq!((status, error["error"].as_str()), (404, Some("no conversation `nobody`")));
    let (status, error) = call("GET", &format!("{}/no/such/route", server.url), None, &[]);
    assert_eq!((status, error["error"].as_str()), (404, Some("no route GET /no/such/route")));
    let (status, error) = call("GET", &webhook, None, &[]);
    assert_eq!(status, 405, "{error}");
    assert!(error["error"].is_string());

    // Odd but valid messages are answered and kept exactly as typed.
    let odd = ["", "我的订单12345在哪里？", "🙂🙂 where is my order 12345 🙂", &"where is my order 12345? ".repeat(4000)];
    for text in odd {
        let (status, replies) = say(&server, "odd", text);
        assert_eq!(status, 200, "{replies}");
        assert!(!texts(&replies).is_empty());
    }
    assert_eq!(user_texts(&tracker(&server, "odd").1), odd);
    // An access line per request, plain (stderr is a file here), never the message text.
    let log = server.log();
    assert!(log.contains("POST /webhooks/rest/webhook 400") && log.contains("POST /webhooks/rest/webhook 200"), "{log}");
    assert!(!log.contains('\u{1b}') && !log.contains("我的订单12345在哪里"), "{log}");
}

/// A random request body: bytes, broken and deeply nested JSON, or a well-formed turn whose
/// message is random (emoji, Chinese, control characters, 100 KB, yes/no/cancel).
fn random_body(rng: &mut ChaCha8Rng, sender: &str) -> Vec<u8> {
    const WORDS: [&str; 12] =
        ["yes", "no", "cancel", "我要退款", "where is order 12345", "🙂", "$1e400", "\u{0}", "refund 三千五", "human", "C-2024-001", "\""];
    match rng.random_range(0..10) {
        0 => (0..rng.random_range(0..200)).map(|_| rng.random::<u8>()).collect(),
        1 => format!("{}{}", "[".repeat(rng.random_range(1..20_000)), "]".repeat(rng.random_range(0..3))).into_bytes(),
        2 => format!("{{\"sender\": \"{sender}\", \"message\": {}}}", rng.random::<f64>() * 1e308).into_bytes(),
        _ => {
            let mut message = String::new();
            for _ in 0..rng.random_range(0..6) {
                match rng.random_range(0..3) {
                    0 => message.push_str(WORDS[rng.random_range(0..WORDS.len())]),
                    1 => message.extend((0..rng.random_range(1..5)).filter_map(|_| char::from_u32(rng.random_range(0..0x11_0000)))),
                    _ => message.push(' '),
                }
            }
            if rng.random_range(0..200) == 0 {
                message = "投诉 complaint 🙂 ".repeat(5_000);
            }
            json!({ "sender": sender, "message": message }).to_string().into_bytes()
        }
    }
}

/// 10,000 random requests over 100 conversations, 8 clients at once: no 5xx, and every turn
/// the server acknowledged is in the store, in order.
#[test]
fn a_soak_of_random_turns_gets_no_server_error_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&sqlite_store(&dir), &["--max-body", "300000"]);
    let webhook = format!("{}/webhooks/rest/webhook", server.url);
    let run = run_id();
    let (clients, per_client) = (8, 1250);
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let (webhook, run) = (webhook.clone(), run.clone());
            std::thread::spawn(move || {
                let mut rng = ChaCha8Rng::seed_from_u64(client as u64);
                let mut acked: Vec<(String, String)> = Vec::new();
                for _ in 0..per_client {
                    // Each client owns its conversations, so their order is the order sent.
                    let sender = format!("soak-{run}-{}", client + clients * rng.random_range(0..100 / clients));
                    let body = random_body(&mut rng, &sender);
                    let (status, answer) = call("POST", &webhook, Some(&body), &[]);
                    assert!(status < 500, "{status} {answer} for {:?}", String::from_utf8_lossy(&body[..body.len().min(200)]));
                    if status == 200 {
                        let sent: Value = serde_json::from_slice(&body).unwrap();
                        acked.push((sender, sent["message"].as_str().unwrap().to_string()));
                    }
                }
                acked
            })
        })
        .collect();
    let mut acked: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for thread in threads {
        for (sender, message) in thread.join().unwrap() {
            acked.entry(sender).or_default().push(message);
        }
    }
    let turns: usize = acked.values().map(Vec::len).sum();
    assert!(turns > clients * per_client / 2, "most requests are well-formed turns: {turns}");
    for (sender, messages) in &acked {
        let (status, tracked) = tracker(&server, sender);
        assert_eq!(status, 200);
        assert_eq!(&user_texts(&tracked), messages, "{sender}: every acknowledged turn stored, in order");
    }
    common::report("HTTP bodies and soak (requests; acknowledged turns all stored)", clients * per_client);
}

#[test]
fn a_token_guards_every_route_but_health() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&sqlite_store(&dir), &["--token", "s3cret"]);
    let webhook = format!("{}/webhooks/rest/webhook", server.url);
    let body = br#"{"sender":"t1","message":"hi"}"#;
    let (status, error) = call("POST", &webhook, Some(body), &[]);
    assert_eq!(status, 401, "{error}");
    assert!(error["error"].as_str().unwrap().contains("Bearer"));
    assert_eq!(call("POST", &webhook, Some(body), &[("authorization", "Bearer wrong")]).0, 401);
    assert_eq!(call("GET", &format!("{}/metrics", server.url), None, &[]).0, 401);
    assert_eq!(call("POST", &webhook, Some(body), &[("authorization", "Bearer s3cret")]).0, 200);
    assert_eq!(call("POST", &format!("{webhook}?token=s3cret"), Some(body), &[]).0, 200, "Rasa's ?token= works too");
    assert_eq!(call("GET", &format!("{}/health", server.url), None, &[]).0, 200);
}

#[test]
fn hand_off_stops_the_bot_until_resumed_and_metrics_count_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&sqlite_store(&dir), &[]);
    say(&server, "h1", "I want a refund for order 12345");
    let (_, replies) = say(&server, "h1", "let me talk to a human");
    let last = replies.as_array().unwrap().last().unwrap();
    assert_eq!(last["response"], "handoff", "{replies}");
    let summary = &last["custom"]["handoff"];
    assert_eq!(summary["goal"], "your refund");
    assert_eq!(summary["filled"]["order_id"], "12345");
    assert!(summary["open_questions"].as_array().unwrap().contains(&json!("refund_reason")), "{summary}");

    let (status, replies) = say(&server, "h1", "hello? is anyone there?");
    assert_eq!((status, replies.clone()), (200, json!([])), "a handed-off conversation gets no bot reply");
    let (_, tracked) = tracker(&server, "h1");
    assert_eq!(tracked["paused"], true);
    assert_eq!(user_texts(&tracked).last().unwrap(), "hello? is anyone there?", "the message is still recorded");

    let resume = format!("{}/conversations/h1/resume", server.url);
    assert_eq!(call("POST", &resume, None, &[]).0, 200);
    assert_eq!(call("POST", &resume, None, &[]).0, 409, "resuming twice is a conflict");
    let (_, replies) = say(&server, "h1", "it arrived broken");
    assert!(texts(&replies).join(" ").contains("How much"), "the refund flow continues: {replies}");

    // A desk can take a conversation over by itself.
    let handoff = format!("{}/conversations/h1/handoff", server.url);
    let (status, taken) = call("POST", &handoff, Some(br#"{"reason":"VIP customer"}"#), &[]);
    assert_eq!(status, 200, "{taken}");
    assert_eq!(taken["summary"]["reason"], "VIP customer");
    assert_eq!(taken["summary"]["filled"]["refund_reason"], "it arrived broken");
    assert_eq!(call("POST", &handoff, None, &[]).0, 409);
    assert_eq!(call("POST", &format!("{}/conversations/nobody/handoff", server.url), None, &[]).0, 404);
    let kinds: Vec<String> =
        tracker(&server, "h1").1["events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "handoff").count(), 2);
    assert_eq!(kinds.iter().filter(|k| *k == "resumed").count(), 1);

    let (status, metrics) = call("GET", &format!("{}/metrics", server.url), None, &[]);
    assert_eq!(status, 200);
    let metrics = metrics.as_str().unwrap().to_string();
    assert!(metrics.contains("deskbot_turns_total 4"), "{metrics}");
    assert!(metrics.contains("deskbot_handoffs_total 2"), "{metrics}");
    assert!(metrics.contains("deskbot_turn_duration_seconds_count 4"), "{metrics}");
}

/// (Idempotency-Key, JSON body) of each request a webhook peer got.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// A webhook peer on loopback: answers each request with the next (status, body), recording
/// what it was sent.
fn webhook_peer(answers: Vec<(u16, &'static str)>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/orders", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        let mut answers = answers.into_iter();
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut key, mut length) = (String::new(), 0);
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if lower.starts_with("idempotency-key:") {
                    key = line["idempotency-key:".len()..].trim().to_string();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            record.lock().unwrap().push((key, serde_json::from_slice(&body).unwrap()));
            let (status, text) = answers.next().unwrap_or((500, "{}"));
            let reply =
                format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}", text.len());
            stream.write_all(reply.as_bytes()).unwrap();
        }
    });
    (url, seen)
}

#[test]
fn actions_call_webhooks_with_retries_and_an_idempotency_key() {
    let dir = tempfile::tempdir().unwrap();
    let (url, seen) = webhook_peer(vec![(503, "{}"), (200, r#"{"status": "held at customs", "eta": "2030-01-02"}"#)]);
    let route = format!("lookup_order={url}");
    let server = Server::start(&sqlite_store(&dir), &["--action", &route, "--action-retries", "2"]);
    let (status, replies) = say(&server, "w1", "where is my order 12345?");
    assert_eq!(status, 200, "{replies}");
    assert_eq!(texts(&replies), ["Order 12345 is held at customs. Expected delivery: January 2, 2030."]);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "one failure, one retry");
    assert_eq!(seen[0].0, "w1:0:lookup_order");
    assert_eq!(seen[0].0, seen[1].0, "the retry carries the same idempotency key");
    assert_eq!(seen[1].1["slots"]["order_id"], "12345");
    assert_eq!(seen[1].1["flow"], "order_status");
    assert_eq!(seen[1].1["conversation_id"], "w1");

    // A webhook that keeps failing: a polite reply, a logged error, the turn kept.
    let (url, seen) = webhook_peer(vec![]);
    let route = format!("lookup_order={url}");
    let server = Server::start(&sqlite_store(&dir), &["--action", &route, "--action-retries", "1"]);
    let (status, replies) = say(&server, "w2", "where is my order 12345?");
    assert_eq!(status, 200);
    assert!(texts(&replies)[0].starts_with("Sorry, something went wrong with checking an order on our side"), "{replies}");
    assert_eq!(seen.lock().unwrap().len(), 2);
    let (_, tracked) = tracker(&server, "w2");
    let failed = tracked["events"].as_array().unwrap().iter().find(|e| e["event"] == "action_failed").expect("an action_failed event");
    assert!(failed["error"].as_str().unwrap().contains("answered 500"), "{failed}");
    assert!(server.log().contains("action lookup_order failed"), "{}", server.log());

    let out = Command::new(env!("CARGO_BIN_EXE_deskbot"))
        .env("DESKBOT_ENCODER", "off")
        .args(["serve", "--action", "launch_rocket=http://x"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("the domain's flows call no action `launch_rocket`"));
}

/// A Rasa action server's module: `lookup_order` reads the tracker, sets slots, says a text
/// with a button and hands on to `action_note` (a followup) which says one more line.
const RASA_ACTIONS: &str = r#"
from rasa_sdk import Action
from rasa_sdk.events import FollowupAction, SlotSet

class LookupOrder(Action):
    def name(self):
        return "lookup_order"

    def run(self, dispatcher, tracker, domain):
        order = tracker.get_slot("order_id")
        said = tracker.latest_message.get("text")
        dispatcher.utter_message(text=f"Rasa looked up {order} for: {said}", buttons=[{"title": "Refund it", "payload": "/refund"}])
        return [SlotSet("status", "held at customs"), SlotSet("eta", "2030-01-02"), FollowupAction("action_note")]

class Note(Action):
    def name(self):
        return "action_note"

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=f"Noted while {tracker.active_loop.get('name')} ran, status {tracker.get_slot('status')}.")
        return []
"#;

/// The python of a virtual environment with rasa-sdk (scripts/fetch_rasa_sdk.sh); `None` skips
/// the test unless `DESKBOT_REQUIRE_SERVICES=1` (scripts/test.sh) asks for it.
fn rasa_sdk_python() -> Option<String> {
    let python = std::env::var("DESKBOT_RASA_SDK_PYTHON").ok().filter(|p| !p.is_empty());
    let required = std::env::var("DESKBOT_REQUIRE_SERVICES").as_deref() == Ok("1");
    assert!(python.is_some() || !required, "DESKBOT_REQUIRE_SERVICES=1 but DESKBOT_RASA_SDK_PYTHON is unset: run scripts/fetch_rasa_sdk.sh");
    if python.is_none() {
        eprintln!("skipped: no rasa-sdk (set DESKBOT_RASA_SDK_PYTHON to the python printed by scripts/fetch_rasa_sdk.sh)");
    }
    python
}

#[test]
fn a_rasa_sdk_action_server_runs_the_flow_actions() {
    let Some(python) = rasa_sdk_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("actions.py"), RASA_ACTIONS).unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut sdk = Command::new(python)
        .args(["-m", "rasa_sdk", "--actions", "actions", "--port", &port.to_string()])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("sdk.log")).unwrap())
        .spawn()
        .expect("the rasa-sdk action server starts");
    let health = format!("http://127.0.0.1:{port}/health");
    let started = Instant::now();
    while agent().get(&health).call().map(|r| r.status() != 200).unwrap_or(true) {
        let log = std::fs::read_to_string(dir.path().join("sdk.log")).unwrap_or_default();
        assert!(started.elapsed() < Duration::from_secs(90) && sdk.try_wait().unwrap().is_none(), "rasa-sdk did not come up: {log}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let endpoint = format!("http://127.0.0.1:{port}/webhook");
    let server = Server::start(&sqlite_store(&dir), &["--action-endpoint", &endpoint, "--action-protocol", "rasa"]);
    let (status, replies) = say(&server, "r1", "where is my order 12345?");
    let _ = sdk.kill();
    let _ = sdk.wait();
    assert_eq!(status, 200, "{replies}");
    assert_eq!(
        texts(&replies),
        [
            "Rasa looked up 12345 for: where is my order 12345?\n- Refund it",
            "Noted while order_status ran, status held at customs.",
            "Order 12345 is held at customs. Expected delivery: January 2, 2030.",
        ],
        "{}",
        server.log()
    );
}

/// Two servers on one store, many clients sending to the same conversation through both: every
/// acknowledged message is stored exactly once, and each turn saw all the turns before it.
fn two_servers_one_conversation(store: &str) {
    let (a, b) = (Server::start(store, &[]), Server::start(store, &[]));
    let id = format!("shared-{}", run_id());
    let acked = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let urls = [a.url.clone(), b.url.clone()];
            let (id, acked) = (id.clone(), acked.clone());
            std::thread::spawn(move || {
                for i in 0..12 {
                    let message = format!("message {t}-{i}");
                    let body = json!({ "sender": id, "message": message }).to_string();
                    let (status, _) = call("POST", &format!("{}/webhooks/rest/webhook", urls[(t + i) % 2]), Some(body.as_bytes()), &[]);
                    if status == 200 {
                        acked.lock().unwrap().push(message);
                    } else {
                        assert_eq!(status, 503, "only 'busy, send again' may refuse a turn");
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let acked: BTreeSet<String> = acked.lock().unwrap().iter().cloned().collect();
    assert!(acked.len() >= 80, "most turns get through: {}", acked.len());
    let (_, tracked) = tracker(&a, &id);
    let stored = user_texts(&tracked);
    assert_eq!(stored.len(), acked.len(), "each acknowledged message once, nothing else");
    assert_eq!(stored.iter().cloned().collect::<BTreeSet<_>>(), acked);
    let turns = tracked["state"]["turns"].as_array().unwrap();
    assert_eq!(turns.len(), acked.len(), "every turn was applied to the state left by the one before");
    for (i, turn) in turns.iter().enumerate() {
        assert_eq!(turn["index"], i);
        assert_eq!(turn["user"], stored[i]);
    }
    assert_eq!(tracked["version"], acked.len());
}

/// Clients keep talking while the server is killed with SIGKILL; after a restart every
/// acknowledged turn is in the store, and the dead server's locks expire (a short --lock-ttl),
/// so the conversations take new turns.
fn kill_9_loses_no_acknowledged_turn(store: &str) {
    let lock_ttl = ["--lock-ttl", "2"];
    let mut server = Server::start(store, &lock_ttl);
    let run = run_id();
    let acked = Arc::new(Mutex::new(BTreeMap::<String, Vec<String>>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let (url, acked, stop) = (server.url.clone(), acked.clone(), stop.clone());
            let id = format!("k9-{run}-{}", t % 8);
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let message = format!("order {}{i:05} please", t);
                    let body = json!({ "sender": id, "message": message }).to_string();
                    let answer = agent()
                        .post(format!("{url}/webhooks/rest/webhook"))
                        .send(body.as_bytes())
                        .and_then(|mut r| r.body_mut().read_to_string().map(|_| r.status()));
                    match answer {
                        Ok(status) if status == 200 => acked.lock().unwrap().entry(id.clone()).or_default().push(message),
                        Ok(_) => {}
                        Err(_) => break, // the server is gone (or died mid-answer: not acknowledged)
                    }
                }
            })
        })
        .collect();
    let begin = Instant::now();
    while acked.lock().unwrap().values().map(Vec::len).sum::<usize>() < 300 && begin.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill_9();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    let server = Server::start(store, &lock_ttl);
    let acked = acked.lock().unwrap().clone();
    assert!(acked.values().map(Vec::len).sum::<usize>() >= 100, "load ran before the kill");
    for (id, messages) in acked {
        let (status, tracked) = tracker(&server, &id);
        assert_eq!(status, 200, "{tracked}");
        let stored = user_texts(&tracked);
        let missing: Vec<_> = messages.iter().filter(|m| !stored.contains(m)).collect();
        assert!(missing.is_empty(), "{id}: acknowledged but not stored: {missing:?}");
        assert_eq!(tracked["state"]["turns"].as_array().unwrap().len(), stored.len(), "{id}: state and events agree");
        let (status, answer) = say(&server, &id, "are you back?");
        assert_eq!(status, 200, "{id}: a lock left by the killed server must expire: {answer}");
        assert_eq!(user_texts(&tracker(&server, &id).1).last().unwrap(), "are you back?");
    }
}

/// How a desk changes its domain between two server runs, and what the next reply then says.
struct DomainChange {
    name: &'static str,
    /// (text in flows.ron, its replacement)
    edit: (&'static str, &'static str),
    /// A rule the turn records in its `policy` events.
    rule: &'static str,
    reply: &'static str,
}

const DOMAIN_CHANGES: [DomainChange; 4] = [
    DomainChange {
        name: "a renamed flow",
        edit: ("\"refund\": (intent:", "\"money_back\": (intent:"),
        rule: "flow_retired",
        reply: "no longer continue",
    },
    DomainChange {
        name: "a removed step",
        edit: (
            "Collect(\"order_id\"), Collect(\"refund_reason\"), Collect(\"refund_amount\"),",
            "Collect(\"order_id\"), Collect(\"refund_amount\"),",
        ),
        rule: "step_refound",
        reply: "",
    },
    DomainChange {
        name: "a slot the flow no longer collects",
        edit: (
            "Collect(\"order_id\"), Collect(\"refund_reason\"), Collect(\"refund_amount\"),",
            "Collect(\"refund_reason\"), Collect(\"refund_amount\"),",
        ),
        rule: "slot_dropped",
        reply: "How much",
    },
    DomainChange {
        name: "a slot whose type changed",
        edit: (
            "\"order_id\": (type: Text, entities: [\"order_id\"], pattern: Some(\"^(?i:ORD-\\\\d{4,8}|\\\\d{5,8})$\"),",
            "\"order_id\": (type: Date,",
        ),
        rule: "slot_dropped",
        reply: "order",
    },
];

/// A refund is half done; the desk changes the domain and restarts the server on it. The
/// customer's next message is answered, the change is recorded, nothing is lost.
fn a_conversation_survives_a_changed_domain(store: &str) {
    for change in &DOMAIN_CHANGES {
        let dir = tempfile::tempdir().unwrap();
        common::copy_bundled_domain(dir.path());
        let (intents, templates) = (dir.path().join("intents"), dir.path().join("templates"));
        let args = ["--domain", intents.to_str().unwrap(), "--templates", templates.to_str().unwrap()];
        let id = format!("migrated-{}-{}", change.rule, run_id());
        let mut server = Server::start(store, &args);
        let (status, replies) = say(&server, &id, "I want a refund for order 12345");
        assert_eq!(status, 200);
        assert!(texts(&replies).join(" ").contains("Why"), "{replies}");
        server.kill_9();
        let flows = intents.join("flows.ron");
        let text = std::fs::read_to_string(&flows).unwrap();
        assert!(text.contains(change.edit.0), "{}: the bundled flows.ron changed; update the edit", change.name);
        std::fs::write(&flows, text.replacen(change.edit.0, change.edit.1, 1)).unwrap();
        let server = Server::start(store, &args);
        let (status, replies) = say(&server, &id, "it arrived broken");
        assert_eq!(status, 200, "{}: {replies}; log: {}", change.name, server.log());
        assert!(texts(&replies).join(" ").contains(change.reply), "{}: {replies}", change.name);
        let (_, tracked) = tracker(&server, &id);
        assert_eq!(user_texts(&tracked), ["I want a refund for order 12345", "it arrived broken"], "{}", change.name);
        let events = tracked["events"].as_array().unwrap();
        let changed = events.iter().position(|e| e["event"] == "domain_changed");
        let rule = events.iter().position(|e| e["event"] == "policy" && e["rule"] == change.rule);
        assert!(changed.is_some() && rule.is_some(), "{}: {events:?}", change.name);
        assert!(changed < events.iter().position(|e| e["text"] == "it arrived broken"), "{}: recorded with the turn that migrated", change.name);
    }
}

#[test]
fn sqlite_conversation_survives_a_changed_domain() {
    let dir = tempfile::tempdir().unwrap();
    a_conversation_survives_a_changed_domain(&sqlite_store(&dir));
}

#[test]
fn redis_conversation_survives_a_changed_domain() {
    if let Some(url) = service("DESKBOT_TEST_REDIS") {
        a_conversation_survives_a_changed_domain(&url);
    }
}

#[test]
fn postgres_conversation_survives_a_changed_domain() {
    if let Some(url) = service("DESKBOT_TEST_POSTGRES") {
        a_conversation_survives_a_changed_domain(&url);
    }
}

#[test]
fn sqlite_two_servers_one_conversation() {
    let dir = tempfile::tempdir().unwrap();
    two_servers_one_conversation(&sqlite_store(&dir));
}

#[test]
fn sqlite_kill_9_loses_no_acknowledged_turn() {
    let dir = tempfile::tempdir().unwrap();
    kill_9_loses_no_acknowledged_turn(&sqlite_store(&dir));
}

#[test]
fn redis_two_servers_one_conversation() {
    if let Some(url) = service("DESKBOT_TEST_REDIS") {
        two_servers_one_conversation(&url);
    }
}

#[test]
fn redis_kill_9_loses_no_acknowledged_turn() {
    if let Some(url) = service("DESKBOT_TEST_REDIS") {
        kill_9_loses_no_acknowledged_turn(&url);
    }
}

#[test]
fn postgres_two_servers_one_conversation() {
    if let Some(url) = service("DESKBOT_TEST_POSTGRES") {
        two_servers_one_conversation(&url);
    }
}

#[test]
fn postgres_kill_9_loses_no_acknowledged_turn() {
    if let Some(url) = service("DESKBOT_TEST_POSTGRES") {
        kill_9_loses_no_acknowledged_turn(&url);
    }
}

/// `deskbot discover --store` lists the store's conversations (a shared Redis or PostgreSQL
/// holds other tests' too) and reads a message a desk took over (at `--oos-threshold 1` the
/// recognizer handles none of them, so every message read is clustered).
fn discover_reads_the_store(store: &str) {
    let id = format!("discover-{}", run_id());
    let message = format!("can i bring my dog to the office? ref {id}");
    let server = Server::start(store, &[]);
    assert_eq!(say(&server, &id, &message).0, 200);
    let (status, _) = call("POST", &format!("{}/conversations/{id}/handoff", server.url), Some(br#"{"reason": "VIP"}"#), &[]);
    assert_eq!(status, 200, "{}", server.log());
    drop(server);
    let out = Command::new(env!("CARGO_BIN_EXE_deskbot"))
        .env("DESKBOT_ENCODER", "off")
        .args(["discover", "--store", store, "--json", "--min-size", "1", "--oos-threshold", "1"])
        .current_dir(repo())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    let found: Value = serde_json::from_str(&stdout).unwrap();
    let members: Vec<&str> =
        found["clusters"].as_array().unwrap().iter().flat_map(|c| c["members"].as_array().unwrap()).filter_map(Value::as_str).collect();
    assert!(members.contains(&message.as_str()), "{message:?} not among {members:?}; {stderr}");
}

#[test]
fn sqlite_discover_reads_the_store() {
    let dir = tempfile::tempdir().unwrap();
    discover_reads_the_store(&sqlite_store(&dir));
}

#[test]
fn redis_discover_reads_the_store() {
    if let Some(url) = service("DESKBOT_TEST_REDIS") {
        discover_reads_the_store(&url);
    }
}

#[test]
fn postgres_discover_reads_the_store() {
    if let Some(url) = service("DESKBOT_TEST_POSTGRES") {
        discover_reads_the_store(&url);
    }
}

#[test]
fn an_unreachable_store_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_deskbot"))
        .env("DESKBOT_ENCODER", "off")
        .args(["serve", "--no-model", "--addr", "127.0.0.1:0", "--store", "postgres://nobody:hunter2@127.0.0.1:1/none"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("opening store postgres://nobody:***@127.0.0.1:1/none") && stderr.contains("connecting to Postgres"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the password must not be printed: {stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_deskbot"))
        .env("DESKBOT_ENCODER", "off")
        .args(["serve", "--no-model", "--store", "mysql://x"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown store `mysql://x`"));
}
