//! `deskbot serve`: the bot behind HTTP, for support desks and business systems.
//!
//! - Routes ([`router`]): `POST /webhooks/rest/webhook` (Rasa's REST channel shape),
//!   `POST /model/parse`, `GET /conversations/{id}/tracker` (and `POST …/tracker/events`: slot,
//!   pause and resume events, as Rasa takes them), `POST /conversations/{id}/handoff`
//!   and `/resume`, `GET /health`, `GET /metrics` (Prometheus). Optional bearer token, a body
//!   size limit, and JSON errors that name the problem.
//! - [`Store`]: SQLite (embedded, group commit), Redis or Postgres. A turn is answered only
//!   after its events are durable; turns of one conversation are serialized (a lock with expiry
//!   shared by every server on a Redis/Postgres store, and a version check on every commit).
//! - [`ActionWebhooks`]: flow actions as HTTP calls with timeout, retries and an idempotency key,
//!   in deskbot's protocol or Rasa's action server protocol ([`ActionProtocol`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use server::{ActionWebhooks, LockSettings, ServeConfig};
//! let bot = deskbot::Bot::new(deskbot::Domain::bundled()?)?;
//! let locks = LockSettings { ttl: std::time::Duration::from_secs(30), wait: std::time::Duration::from_secs(10) };
//! let store = server::Store::open("sqlite:deskbot.db", locks).await?;
//! let webhooks = ActionWebhooks::new(Default::default(), None, std::time::Duration::from_secs(5), 2);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:5005").await?;
//! server::serve(listener, bot, store, ServeConfig { token: None, max_body: 1 << 20, webhooks }).await?;
//! # Ok(()) }
//! ```

mod actions;
mod api_error;
mod app;
mod body;
mod conversations;
mod events;
mod metrics;
mod rasa_actions;
mod store;
mod stored_state;

use std::sync::Arc;

pub use actions::{ActionProtocol, ActionWebhooks};
pub use app::router;
pub use store::{LockSettings, Store, StoreError, redacted};

/// How the server behaves, apart from the bot and the store.
pub struct ServeConfig {
    pub token: Option<String>,
    /// The largest request body accepted, in bytes.
    pub max_body: usize,
    pub webhooks: ActionWebhooks,
}

/// Serves until SIGTERM or Ctrl-C; turns in flight finish (and are stored) before it returns.
pub async fn serve(listener: tokio::net::TcpListener, bot: deskbot::Bot, store: Store, config: ServeConfig) -> std::io::Result<()> {
    let conversations = conversations::Conversations::new(bot, store, config.webhooks);
    let state = Arc::new(app::AppState { conversations, token: config.token, max_body: config.max_body });
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown_signal()).await
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
