//! `deskbot serve`: the bot over HTTP for support desks (Rasa REST channel compatible).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use server::{ActionProtocol, ActionWebhooks, LockSettings, ServeConfig, Store};

use super::{DomainArgs, ModelArgs};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    deskbot serve\n  \
    deskbot serve --addr 0.0.0.0:5005 --store postgres://deskbot@localhost/deskbot --token s3cret\n  \
    deskbot serve --store redis://127.0.0.1:6379 --action lookup_order=http://orders.internal/deskbot\n  \
    deskbot serve --action-endpoint http://localhost:5055/webhook --action-protocol rasa\n\n\
    curl -s localhost:5005/webhooks/rest/webhook -d '{\"sender\":\"c1\",\"message\":\"where is my order 12345\"}'")]
pub struct Args {
    /// Address to listen on (port 0 picks a free one; the chosen address is printed)
    #[arg(long, default_value = "127.0.0.1:5005", env = "DESKBOT_ADDR")]
    addr: String,
    /// Conversation store: sqlite:PATH, redis://HOST[:PORT][/DB] or postgres://USER[:PASS]@HOST[:PORT]/DB
    #[arg(long, default_value = "sqlite:deskbot.db", env = "DESKBOT_STORE")]
    store: String,
    /// Require `Authorization: Bearer TOKEN` (or ?token=TOKEN) on every route but /health
    #[arg(long, env = "DESKBOT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Largest request body accepted, in bytes (larger ones get 413)
    #[arg(long, default_value_t = 256 * 1024)]
    max_body: usize,
    /// Seconds a conversation's lock lives if its holder dies (Redis and Postgres stores)
    #[arg(long, default_value_t = 30)]
    lock_ttl: u64,
    /// Seconds a turn waits for its conversation's lock before answering 503
    #[arg(long, default_value_t = 10)]
    lock_wait: u64,
    /// Send a flow action to a webhook: NAME=URL (repeatable)
    #[arg(long = "action", value_name = "NAME=URL")]
    actions: Vec<String>,
    /// Send every other flow action to this webhook (otherwise the built-in demo handlers run)
    #[arg(long, value_name = "URL")]
    action_endpoint: Option<String>,
    /// How action webhooks are called: deskbot's JSON (slots in, fields out) or Rasa's action
    /// server protocol, so a rasa-sdk action server (`python -m rasa_sdk`) works unchanged
    #[arg(long, value_enum, default_value_t = Protocol::Deskbot)]
    action_protocol: Protocol,
    /// Milliseconds before an action webhook call is given up
    #[arg(long, default_value_t = 5000)]
    action_timeout_ms: u64,
    /// Retries of a failed action call (network error, 429, 5xx), with doubling back-off from 100 ms
    #[arg(long, default_value_t = 2)]
    action_retries: u32,
    #[command(flatten)]
    domain: DomainArgs,
    #[command(flatten)]
    model: ModelArgs,
}

/// `--action-protocol`'s values.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Protocol {
    Deskbot,
    Rasa,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    // Colour only for a terminal: a redirected log gets plain lines.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).with_ansi(ansi).init();
    let mut routes = BTreeMap::new();
    for action in &args.actions {
        let Some((name, url)) = action.split_once('=') else {
            bail!("--action {action}: expected NAME=URL");
        };
        routes.insert(name.to_string(), url.to_string());
    }
    let bot = args.model.bot(args.domain.load()?)?;
    let known = bot.domain.flows.action_names();
    if let Some(unknown) = routes.keys().find(|name| !known.contains(name)) {
        bail!("--action {unknown}=…: the domain's flows call no action `{unknown}` (they call: {})", known.join(", "));
    }
    let protocol = match args.action_protocol {
        Protocol::Deskbot => ActionProtocol::Deskbot,
        Protocol::Rasa => ActionProtocol::Rasa,
    };
    let webhooks = ActionWebhooks::new(routes, args.action_endpoint.clone(), Duration::from_millis(args.action_timeout_ms), args.action_retries)
        .with_protocol(protocol);
    let locks = LockSettings { ttl: Duration::from_secs(args.lock_ttl), wait: Duration::from_secs(args.lock_wait) };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(async {
        let store = Store::open(&args.store, locks).await.with_context(|| format!("opening store {}", server::redacted(&args.store)))?;
        let listener = tokio::net::TcpListener::bind(&args.addr).await.with_context(|| format!("listening on {}", args.addr))?;
        let address = listener.local_addr()?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "deskbot serve: listening on http://{address} (store {})", store.kind())?;
        out.flush()?;
        drop(out);
        let config = ServeConfig { token: args.token.clone(), max_body: args.max_body, webhooks };
        server::serve(listener, bot, store, config).await.context("serving")
    })
}
