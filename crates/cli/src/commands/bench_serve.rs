//! `deskbot bench serve`: many conversations at once against a server on loopback — turns/s,
//! latency percentiles and (for a server it starts itself) the server's peak memory.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::bench::{percentile, process_memory_mb};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A running server (default: start `deskbot serve` on a free port, with --store)
    #[arg(long)]
    url: Option<String>,
    /// Conversations talking at once (one client thread each)
    #[arg(long, default_value_t = 100)]
    conversations: usize,
    /// Turns per conversation
    #[arg(long, default_value_t = 20)]
    turns: usize,
    /// Store of the server this command starts (default: a fresh SQLite file in a temp dir)
    #[arg(long)]
    store: Option<String>,
    /// Let the server it starts rank and reword replies with the bundled language model
    #[arg(long)]
    with_model: bool,
    /// Let the server it starts understand messages with the sentence encoder too (without
    /// this flag it runs --no-encoder: n-grams alone)
    #[arg(long)]
    with_encoder: bool,
    /// Bearer token for --url
    #[arg(long, env = "DESKBOT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[arg(long)]
    json: bool,
}

/// What the simulated customers say, in turn: order status, a refund with a confirmation,
/// a complaint, FAQs — the mix a support desk sees.
const SCRIPT: &[&str] = &[
    "hi",
    "where is my order 12345?",
    "thanks",
    "I want a refund",
    "order 12346",
    "it arrived broken",
    "$40",
    "yes",
    "what are your opening hours?",
    "I want to complain",
    "the courier was rude",
    "2",
    "please train your couriers",
    "how long does shipping take",
    "change the address for order 55555",
    "12 Baker Street, London",
    "no",
    "do you take paypal",
    "bye",
    "hello again",
];

struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(store: Option<&str>, with_model: bool, with_encoder: bool) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let store = store.map(str::to_string).unwrap_or_else(|| format!("sqlite:{}", dir.path().join("bench.db").display()));
        let mut command = Command::new(std::env::current_exe()?);
        command.args(["serve", "--addr", "127.0.0.1:0", "--store", &store]);
        if !with_model {
            command.arg("--no-model");
        }
        if !with_encoder {
            command.arg("--no-encoder");
        }
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().context("starting deskbot serve")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line)?;
        let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) else {
            let _ = child.kill();
            bail!("deskbot serve did not start (it printed {line:?})");
        };
        Ok(Self { url: url.to_string(), child, _dir: dir })
    }

    /// Peak and current resident memory, in MB, from /proc.
    fn memory(&self) -> Option<(f64, f64)> {
        let pid = self.child.id().to_string();
        Some((process_memory_mb(&pid, "VmHWM")?, process_memory_mb(&pid, "VmRSS")?))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.conversations == 0 || args.turns == 0 {
        bail!("--conversations and --turns must be at least 1");
    }
    let server = match &args.url {
        Some(_) => None,
        None => Some(Server::start(args.store.as_deref(), args.with_model, args.with_encoder)?),
    };
    let base = args.url.clone().or_else(|| server.as_ref().map(|s| s.url.clone())).expect("a server");
    let endpoint = format!("{}/webhooks/rest/webhook", base.trim_end_matches('/'));
    let total = (args.conversations * args.turns) as u64;
    let progress = ProgressBar::new(total).with_style(ProgressStyle::with_template("{bar:40} {pos}/{len} turns {per_sec} ETA {eta}")?);
    let start = Arc::new(Barrier::new(args.conversations + 1));
    let run_id = format!("{:x}", rand::random::<u32>());
    let clients: Vec<_> = (0..args.conversations)
        .map(|c| {
            let (start, progress, endpoint, token) = (start.clone(), progress.clone(), endpoint.clone(), args.token.clone());
            let (sender, turns) = (format!("bench-{run_id}-{c}"), args.turns);
            std::thread::spawn(move || client(&endpoint, token.as_deref(), &sender, turns, &start, &progress))
        })
        .collect();
    start.wait();
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(total as usize);
    let mut errors = 0usize;
    for handle in clients {
        let (times, failed) = handle.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))?;
        latencies.extend(times);
        errors += failed;
    }
    let elapsed = started.elapsed();
    progress.finish_and_clear();
    let memory = server.as_ref().and_then(Server::memory);
    latencies.sort();
    let at = |q: f64| percentile(&latencies, q).unwrap_or_default();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let ok = latencies.len();
    let model = match (&args.url, args.with_model, args.with_encoder) {
        (Some(_), _, _) => "as configured",
        (None, true, true) => "bundled GPT-2 (reply ranking and rewording) and the sentence encoder",
        (None, true, false) => "bundled GPT-2 (reply ranking and rewording), no encoder",
        (None, false, true) => "the sentence encoder only (--no-model)",
        (None, false, false) => "none (--no-model --no-encoder)",
    };
    let report = json!({
        "server": base,
        "model": model,
        "conversations": args.conversations,
        "turns": ok,
        "errors": errors,
        "seconds": elapsed.as_secs_f64(),
        "turns_per_second": ok as f64 / elapsed.as_secs_f64(),
        "p50_ms": ms(at(0.50)),
        "p90_ms": ms(at(0.90)),
        "p99_ms": ms(at(0.99)),
        "max_ms": ms(latencies.last().copied().unwrap_or_default()),
        "server_peak_rss_mb": memory.map(|m| m.0),
        "server_rss_mb": memory.map(|m| m.1),
    });
    if args.json {
        println!("{report}");
        return Ok(());
    }
    println!("server {base} (language model: {model}): {} conversations × {} turns", args.conversations, args.turns);
    println!("{:<22} {:>10}", "turns acknowledged", ok);
    println!("{:<22} {:>10}", "errors", errors);
    println!("{:<22} {:>10.0}", "turns/s", report["turns_per_second"].as_f64().unwrap_or_default());
    for (name, key) in
        [("p50 latency (ms)", "p50_ms"), ("p90 latency (ms)", "p90_ms"), ("p99 latency (ms)", "p99_ms"), ("max latency (ms)", "max_ms")]
    {
        println!("{:<22} {:>10.2}", name, report[key].as_f64().unwrap_or_default());
    }
    match memory {
        Some((peak, now)) => println!("{:<22} {:>10.1}\n{:<22} {:>10.1}", "server peak RSS (MB)", peak, "server RSS now (MB)", now),
        None => println!("server memory: not measured (the server was not started by this command)"),
    }
    Ok(())
}

/// One conversation's turns, one after another: (latency of each acknowledged turn, failures).
fn client(endpoint: &str, token: Option<&str>, sender: &str, turns: usize, start: &Barrier, progress: &ProgressBar) -> (Vec<Duration>, usize) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(30))).build().into();
    let mut times = Vec::with_capacity(turns);
    let mut failed = 0;
    start.wait();
    for turn in 0..turns {
        let body = json!({ "sender": sender, "message": SCRIPT[turn % SCRIPT.len()] }).to_string();
        let mut request = agent.post(endpoint).header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let began = Instant::now();
        match request.send(body.as_str()).and_then(|mut r| r.body_mut().read_to_string().map(|_| r.status())) {
            Ok(status) if status.is_success() => times.push(began.elapsed()),
            _ => failed += 1,
        }
        progress.inc(1);
    }
    (times, failed)
}
