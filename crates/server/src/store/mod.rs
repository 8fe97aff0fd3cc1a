//! Where conversations live: their state and their events, in SQLite, Redis or Postgres.
//!
//! Every store keeps, per conversation, a `version` (one more per committed change), the state
//! as JSON, and an append-only list of events. [`Store::commit`] is atomic and succeeds only
//! when the stored version is still the one the change was computed from — so a turn computed
//! on a stale state (another process got there first, or a lock expired mid-turn) is refused
//! with [`StoreError::Conflict`] instead of overwriting the other turn. That check is the
//! safety net; the per-conversation lock ([`Store::lock`], with expiry, for the stores that
//! several servers share) is what keeps such conflicts rare.

mod postgres;
mod redis;
mod sqlite;

use std::time::Duration;

use serde_json::Value;

pub use self::postgres::PostgresStore;
pub use self::redis::RedisStore;
pub use self::sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The conversation changed since it was read; recompute the change on the new state.
    #[error("the conversation changed while this turn was computed")]
    Conflict,
    /// Another turn of the conversation holds its lock for longer than we wait.
    #[error("the conversation is busy with another turn")]
    Busy,
    #[error("{0}")]
    Backend(String),
}

impl StoreError {
    pub(crate) fn backend(context: &str, error: impl std::fmt::Display) -> Self {
        StoreError::Backend(format!("{context}: {error}"))
    }
}

/// A conversation as stored.
#[derive(Debug, Clone)]
pub struct Stored {
    pub version: u64,
    pub state: String,
}

/// One atomic change: the new state and the events that led to it.
#[derive(Debug, Clone)]
pub struct Commit {
    /// The version the change was computed from (0: a new conversation).
    pub expected: u64,
    pub state: String,
    pub events: Vec<String>,
}

/// Proof of holding a conversation's lock; given back to [`Store::unlock`].
#[derive(Debug)]
pub struct LockToken(pub(crate) String);

/// How long a lock lives unless released (a crashed server's locks expire), and how long a
/// turn waits for one.
#[derive(Debug, Clone, Copy)]
pub struct LockSettings {
    pub ttl: Duration,
    pub wait: Duration,
}

pub enum Store {
    Sqlite(SqliteStore),
    Redis(RedisStore),
    Postgres(PostgresStore),
}

impl Store {
    /// `sqlite:PATH`, `redis://…` or `postgres://…` (also `postgresql://…`).
    pub async fn open(url: &str, locks: LockSettings) -> Result<Store, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            return Ok(Store::Sqlite(SqliteStore::open(path.as_ref())?));
        }
        if url.starts_with("redis://") || url.starts_with("rediss://") {
            return Ok(Store::Redis(RedisStore::open(url, locks).await?));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Store::Postgres(PostgresStore::open(url, locks).await?));
        }
        Err(StoreError::Backend(format!("unknown store `{}`: expected sqlite:PATH, redis://HOST[:PORT] or postgres://USER@HOST/DB", redacted(url))))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Redis(_) => "redis",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Takes the conversation's lock, waiting for it. SQLite has no lock shared between
    /// processes: there, turns of one conversation are serialized by the server's own lock and,
    /// across processes, by the version check in [`Store::commit`].
    pub async fn lock(&self, id: &str) -> Result<LockToken, StoreError> {
        match self {
            Store::Sqlite(_) => Ok(LockToken(String::new())),
            Store::Redis(store) => store.lock(id).await,
            Store::Postgres(store) => store.lock(id).await,
        }
    }

    /// Releases a lock; a lock that already expired (and maybe belongs to another turn now) is
    /// left alone.
    pub async fn unlock(&self, id: &str, token: LockToken) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(_) => Ok(()),
            Store::Redis(store) => store.unlock(id, &token).await,
            Store::Postgres(store) => store.unlock(id, &token).await,
        }
    }

    /// The conversation's version, or None when it does not exist.
    pub async fn version(&self, id: &str) -> Result<Option<u64>, StoreError> {
        match self {
            Store::Sqlite(store) => store.version(id).await,
            Store::Redis(store) => store.version(id).await,
            Store::Postgres(store) => store.version(id).await,
        }
    }

    pub async fn load(&self, id: &str) -> Result<Option<Stored>, StoreError> {
        match self {
            Store::Sqlite(store) => store.load(id).await,
            Store::Redis(store) => store.load(id).await,
            Store::Postgres(store) => store.load(id).await,
        }
    }

    /// Writes the change durably and atomically, or refuses it with [`StoreError::Conflict`].
    pub async fn commit(&self, id: &str, commit: Commit) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(store) => store.commit(id, commit).await,
            Store::Redis(store) => store.commit(id, commit).await,
            Store::Postgres(store) => store.commit(id, commit).await,
        }
    }

    /// Every event of the conversation, oldest first.
    pub async fn events(&self, id: &str) -> Result<Vec<Value>, StoreError> {
        let raw = match self {
            Store::Sqlite(store) => store.events(id).await?,
            Store::Redis(store) => store.events(id).await?,
            Store::Postgres(store) => store.events(id).await?,
        };
        raw.iter().map(|e| serde_json::from_str(e).map_err(|e| StoreError::backend("stored event is not JSON", e))).collect()
    }

    /// Every stored conversation's id, sorted.
    pub async fn ids(&self) -> Result<Vec<String>, StoreError> {
        let mut ids = match self {
            Store::Sqlite(store) => store.ids().await?,
            Store::Redis(store) => store.ids().await?,
            Store::Postgres(store) => store.ids().await?,
        };
        // Redis's SCAN may return a key twice.
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Whether the store answers (for `/health`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.version("\u{0}health").await.map(|_| ())
    }
}

/// The store URL as it may be shown: a password in it becomes `***`.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((userinfo, host)) = rest.rsplit_once('@') else { return url.to_string() };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// A fresh random lock token.
pub(crate) fn new_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Polls `try_lock` with growing pauses until it succeeds or `wait` has passed.
pub(crate) async fn acquire<F, Fut>(wait: Duration, mut try_lock: F) -> Result<(), StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, StoreError>>,
{
    let deadline = tokio::time::Instant::now() + wait;
    let mut pause = Duration::from_millis(1);
    loop {
        if try_lock().await? {
            return Ok(());
        }
        if tokio::time::Instant::now() + pause > deadline {
            return Err(StoreError::Busy);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn passwords_in_store_urls_are_not_shown() {
        assert_eq!(redacted("postgres://desk:hunter2@db:5432/deskbot"), "postgres://desk:***@db:5432/deskbot");
        assert_eq!(redacted("redis://:hunter2@127.0.0.1:6379"), "redis://:***@127.0.0.1:6379");
        assert_eq!(redacted("postgres://desk@db/deskbot"), "postgres://desk@db/deskbot");
        assert_eq!(redacted("sqlite:deskbot.db"), "sqlite:deskbot.db");
    }
}
