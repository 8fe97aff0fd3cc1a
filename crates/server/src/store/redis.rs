//! Redis: a hash per conversation (`version`, `events`, `state`), a list of its events, and a
//! lock key per conversation taken with `SET NX PX` and released only by its owner.
//!
//! A commit is one Lua script (checks the version, appends the events, writes the state), so
//! it is atomic. Durability is Redis's: run it with `appendonly yes` and `appendfsync always`
//! for turns to survive a crash of Redis itself (the test script does).

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::{Commit, LockSettings, LockToken, StoreError, Stored, acquire, new_token};

const COMMIT: &str = r#"
local current = redis.call('HGET', KEYS[1], 'version') or '0'
if current ~= ARGV[1] then return 0 end
local count = tonumber(redis.call('HGET', KEYS[1], 'events') or '0')
for i = 4, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'state', ARGV[3], 'events', count + #ARGV - 3)
return 1
"#;

const UNLOCK: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

pub struct RedisStore {
    connection: ConnectionManager,
    locks: LockSettings,
    commit: redis::Script,
    unlock: redis::Script,
}

fn failed(e: redis::RedisError) -> StoreError {
    StoreError::backend("Redis", e)
}

fn conversation_key(id: &str) -> String {
    format!("deskbot:conversation:{id}")
}

fn events_key(id: &str) -> String {
    format!("deskbot:events:{id}")
}

fn lock_key(id: &str) -> String {
    format!("deskbot:lock:{id}")
}

impl RedisStore {
    pub async fn open(url: &str, locks: LockSettings) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|e| StoreError::backend(&format!("Redis URL {}", super::redacted(url)), e))?;
        let connection =
            ConnectionManager::new(client).await.map_err(|e| StoreError::backend(&format!("connecting to Redis at {}", super::redacted(url)), e))?;
        Ok(Self { connection, locks, commit: redis::Script::new(COMMIT), unlock: redis::Script::new(UNLOCK) })
    }

    pub async fn lock(&self, id: &str) -> Result<LockToken, StoreError> {
        let token = new_token();
        let key = lock_key(id);
        let ttl = self.locks.ttl.as_millis() as u64;
        acquire(self.locks.wait, || {
            let mut connection = self.connection.clone();
            let (key, token) = (key.clone(), token.clone());
            async move {
                let set: Option<String> =
                    redis::cmd("SET").arg(&key).arg(&token).arg("NX").arg("PX").arg(ttl).query_async(&mut connection).await.map_err(failed)?;
                Ok(set.is_some())
            }
        })
        .await?;
        Ok(LockToken(token))
    }

    pub async fn unlock(&self, id: &str, token: &LockToken) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        let _: i64 = self.unlock.key(lock_key(id)).arg(&token.0).invoke_async(&mut connection).await.map_err(failed)?;
        Ok(())
    }

    pub async fn version(&self, id: &str) -> Result<Option<u64>, StoreError> {
        let mut connection = self.connection.clone();
        let version: Option<u64> = connection.hget(conversation_key(id), "version").await.map_err(failed)?;
        Ok(version)
    }

    pub async fn load(&self, id: &str) -> Result<Option<Stored>, StoreError> {
        let mut connection = self.connection.clone();
        let (version, state): (Option<u64>, Option<String>) = connection.hget(conversation_key(id), &["version", "state"]).await.map_err(failed)?;
        Ok(match (version, state) {
            (Some(version), Some(state)) => Some(Stored { version, state }),
            _ => None,
        })
    }

    pub async fn commit(&self, id: &str, commit: Commit) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        let mut invocation = self.commit.key(conversation_key(id));
        invocation.key(events_key(id)).arg(commit.expected).arg(commit.expected + 1).arg(&commit.state);
        for event in &commit.events {
            invocation.arg(event);
        }
        let applied: i64 = invocation.invoke_async(&mut connection).await.map_err(failed)?;
        if applied == 1 { Ok(()) } else { Err(StoreError::Conflict) }
    }

    pub async fn events(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let mut connection = self.connection.clone();
        connection.lrange(events_key(id), 0, -1).await.map_err(failed)
    }

    /// The conversations' ids, from their keys (SCAN: Redis stays responsive on a large store).
    pub async fn ids(&self) -> Result<Vec<String>, StoreError> {
        let mut connection = self.connection.clone();
        let pattern = conversation_key("*");
        let prefix = conversation_key("");
        let (mut cursor, mut ids) = (0u64, Vec::new());
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut connection)
                .await
                .map_err(failed)?;
            ids.extend(keys.into_iter().filter_map(|key| key.strip_prefix(&prefix).map(str::to_string)));
            if next == 0 {
                return Ok(ids);
            }
            cursor = next;
        }
    }
}
