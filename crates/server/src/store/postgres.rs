//! Postgres: `deskbot_conversations`, `deskbot_events` and `deskbot_locks` tables. A commit is
//! one transaction (version check, events, state), durable when COMMIT returns (Postgres's
//! default `synchronous_commit = on`). A lock is a row with an owner and an expiry: taken when
//! absent or expired, released only by its owner. The locks table is UNLOGGED: taking a lock
//! costs no WAL flush, and a Postgres crash empties it, which is what locks should do.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::{Commit, LockSettings, LockToken, StoreError, Stored, acquire, new_token};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deskbot_conversations (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    event_count BIGINT NOT NULL,
    state TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS deskbot_events (
    conversation_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNLOGGED TABLE IF NOT EXISTS deskbot_locks (
    conversation_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
";

pub struct PostgresStore {
    pool: Pool,
    locks: LockSettings,
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::backend("Postgres", e)
}

/// A unique-key violation while committing means another server committed first.
fn commit_failed(e: tokio_postgres::Error) -> StoreError {
    if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) { StoreError::Conflict } else { failed(e) }
}

impl PostgresStore {
    pub async fn open(url: &str, locks: LockSettings) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| StoreError::backend(&format!("Postgres URL {}", super::redacted(url)), e))?;
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager).max_size(16).build().map_err(failed)?;
        let client = pool.get().await.map_err(|e| StoreError::backend(&format!("connecting to Postgres at {}", super::redacted(url)), e))?;
        // Two servers may start at once; CREATE TABLE IF NOT EXISTS can still race on the catalog.
        client.execute("SELECT pg_advisory_lock(727274)", &[]).await.map_err(failed)?;
        let created = client.batch_execute(SCHEMA).await.map_err(failed);
        client.execute("SELECT pg_advisory_unlock(727274)", &[]).await.map_err(failed)?;
        created?;
        Ok(Self { pool, locks })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(failed)
    }

    pub async fn lock(&self, id: &str) -> Result<LockToken, StoreError> {
        let token = new_token();
        let ttl_ms = self.locks.ttl.as_millis() as f64;
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "INSERT INTO deskbot_locks (conversation_id, owner, expires_at)
                 VALUES ($1, $2, now() + $3 * interval '1 millisecond')
                 ON CONFLICT (conversation_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
                 WHERE deskbot_locks.expires_at < now()",
            )
            .await
            .map_err(failed)?;
        acquire(self.locks.wait, || {
            let (client, statement, token) = (&client, &statement, &token);
            async move { Ok(client.execute(statement, &[&id, token, &ttl_ms]).await.map_err(failed)? == 1) }
        })
        .await?;
        Ok(LockToken(token))
    }

    pub async fn unlock(&self, id: &str, token: &LockToken) -> Result<(), StoreError> {
        let client = self.client().await?;
        client.execute("DELETE FROM deskbot_locks WHERE conversation_id = $1 AND owner = $2", &[&id, &token.0]).await.map_err(failed)?;
        Ok(())
    }

    pub async fn version(&self, id: &str) -> Result<Option<u64>, StoreError> {
        let client = self.client().await?;
        let row = client.query_opt("SELECT version FROM deskbot_conversations WHERE id = $1", &[&id]).await.map_err(failed)?;
        Ok(row.map(|r| r.get::<_, i64>(0) as u64))
    }

    pub async fn load(&self, id: &str) -> Result<Option<Stored>, StoreError> {
        let client = self.client().await?;
        let row = client.query_opt("SELECT version, state FROM deskbot_conversations WHERE id = $1", &[&id]).await.map_err(failed)?;
        Ok(row.map(|r| Stored { version: r.get::<_, i64>(0) as u64, state: r.get(1) }))
    }

    pub async fn commit(&self, id: &str, commit: Commit) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(failed)?;
        let row =
            transaction.query_opt("SELECT version, event_count FROM deskbot_conversations WHERE id = $1 FOR UPDATE", &[&id]).await.map_err(failed)?;
        let (version, event_count) = row.map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1))).unwrap_or((0, 0));
        if version as u64 != commit.expected {
            return Err(StoreError::Conflict);
        }
        let insert =
            transaction.prepare_cached("INSERT INTO deskbot_events (conversation_id, seq, event) VALUES ($1, $2, $3)").await.map_err(failed)?;
        for (i, event) in commit.events.iter().enumerate() {
            transaction.execute(&insert, &[&id, &(event_count + i as i64), event]).await.map_err(commit_failed)?;
        }
        let total = event_count + commit.events.len() as i64;
        // A new conversation's first commits from two servers race on the INSERTs: the loser's
        // primary-key violation aborts its transaction and is reported as a conflict.
        transaction
            .execute(
                "INSERT INTO deskbot_conversations (id, version, event_count, state) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, event_count = excluded.event_count,
                   state = excluded.state, updated_at = now()",
                &[&id, &(version + 1), &total, &commit.state],
            )
            .await
            .map_err(commit_failed)?;
        transaction.commit().await.map_err(commit_failed)
    }

    pub async fn ids(&self) -> Result<Vec<String>, StoreError> {
        let client = self.client().await?;
        let rows = client.query("SELECT id FROM deskbot_conversations", &[]).await.map_err(failed)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub async fn events(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let client = self.client().await?;
        let rows = client.query("SELECT event FROM deskbot_events WHERE conversation_id = $1 ORDER BY seq", &[&id]).await.map_err(failed)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
