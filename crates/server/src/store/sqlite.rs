//! The embedded store: one SQLite file in WAL mode with `synchronous = FULL`, so a committed
//! turn survives a crash of the process or the machine.
//!
//! Writes go through one writer thread that commits whatever has queued up in one transaction
//! (group commit): one fsync acknowledges many turns, which is what lets a 2-core machine
//! serve thousands of durable turns per second. Reads use a small pool of connections.

use std::path::Path;
use std::sync::{Mutex, mpsc};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use tokio::sync::oneshot;

use super::{Commit, StoreError, Stored};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    event_count INTEGER NOT NULL,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS events (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
";

/// The most changes one transaction commits.
const MAX_BATCH: usize = 256;

struct WriteJob {
    id: String,
    commit: Commit,
    done: oneshot::Sender<Result<(), StoreError>>,
}

pub struct SqliteStore {
    writer: Mutex<mpsc::Sender<WriteJob>>,
    readers: Mutex<Vec<Connection>>,
    path: std::path::PathBuf,
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let context = format!("opening SQLite store {}", path.display());
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::backend(&context, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(|e| StoreError::backend(&context, e))?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;").map_err(|e| StoreError::backend(&context, e))?;
    Ok(conn)
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = connect(path)?;
        conn.execute_batch(SCHEMA).map_err(|e| StoreError::backend(&format!("creating tables in {}", path.display()), e))?;
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(conn, receiver))
            .map_err(|e| StoreError::backend("starting the SQLite writer", e))?;
        Ok(Self { writer: Mutex::new(sender), readers: Mutex::new(Vec::new()), path: path.to_path_buf() })
    }

    /// Runs `read` on a pooled read connection. In place, not on the blocking pool: these are
    /// primary-key lookups that take microseconds (WAL readers never wait for the writer), and
    /// handing them to another thread cost more than the read itself under load.
    fn read<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let pooled = self.readers.lock().expect("reader pool").pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => connect(&self.path)?,
        };
        let result = read(&conn).map_err(|e| StoreError::backend("reading the SQLite store", e));
        self.readers.lock().expect("reader pool").push(conn);
        result
    }

    pub async fn version(&self, id: &str) -> Result<Option<u64>, StoreError> {
        self.read(|conn| {
            conn.query_row("SELECT version FROM conversations WHERE id = ?1", [id], |row| row.get::<_, i64>(0))
                .optional()
                .map(|v| v.map(|v| v as u64))
        })
    }

    pub async fn load(&self, id: &str) -> Result<Option<Stored>, StoreError> {
        self.read(|conn| {
            conn.query_row("SELECT version, state FROM conversations WHERE id = ?1", [id], |row| {
                Ok(Stored { version: row.get::<_, i64>(0)? as u64, state: row.get(1)? })
            })
            .optional()
        })
    }

    pub async fn events(&self, id: &str) -> Result<Vec<String>, StoreError> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached("SELECT event FROM events WHERE conversation_id = ?1 ORDER BY seq")?;
            statement.query_map([id], |row| row.get(0))?.collect()
        })
    }

    pub async fn ids(&self) -> Result<Vec<String>, StoreError> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached("SELECT id FROM conversations")?;
            statement.query_map([], |row| row.get(0))?.collect()
        })
    }

    pub async fn commit(&self, id: &str, commit: Commit) -> Result<(), StoreError> {
        let (done, result) = oneshot::channel();
        let job = WriteJob { id: id.to_string(), commit, done };
        self.writer.lock().expect("writer channel").send(job).map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?;
        result.await.map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?
    }
}

/// Commits queued changes in batches until every sender is gone.
fn write_loop(mut conn: Connection, jobs: mpsc::Receiver<WriteJob>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = write_batch(&mut conn, &batch);
        for (job, result) in batch.into_iter().zip(results) {
            let _ = job.done.send(result);
        }
    }
}

/// One transaction for the whole batch; each change in its own savepoint, so a conflict or an
/// error in one leaves the others standing. Nothing is acknowledged before the COMMIT returns.
fn write_batch(conn: &mut Connection, batch: &[WriteJob]) -> Vec<Result<(), StoreError>> {
    let failed = |e: rusqlite::Error| StoreError::backend("writing the SQLite store", e);
    // The whole batch fails together when the transaction cannot begin or commit.
    let all_failed = |e: rusqlite::Error| {
        let message = failed(e).to_string();
        batch.iter().map(|_| Err(StoreError::Backend(message.clone()))).collect()
    };
    let mut transaction = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(t) => t,
        Err(e) => return all_failed(e),
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let result = (|| {
            let savepoint = transaction.savepoint().map_err(failed)?;
            let written = write_one(&savepoint, job);
            if written.is_ok() {
                savepoint.commit().map_err(failed)?;
            }
            written
        })();
        results.push(result);
    }
    if let Err(e) = transaction.commit() {
        return all_failed(e);
    }
    results
}

fn write_one(conn: &Connection, job: &WriteJob) -> Result<(), StoreError> {
    let failed = |e: rusqlite::Error| StoreError::backend("writing the SQLite store", e);
    let current: Option<(i64, i64)> = conn
        .prepare_cached("SELECT version, event_count FROM conversations WHERE id = ?1")
        .and_then(|mut s| s.query_row([&job.id], |row| Ok((row.get(0)?, row.get(1)?))).optional())
        .map_err(failed)?;
    let (version, event_count) = current.unwrap_or((0, 0));
    if version as u64 != job.commit.expected {
        return Err(StoreError::Conflict);
    }
    let mut insert = conn.prepare_cached("INSERT INTO events (conversation_id, seq, event) VALUES (?1, ?2, ?3)").map_err(failed)?;
    for (i, event) in job.commit.events.iter().enumerate() {
        insert.execute(params![job.id, event_count + i as i64, event]).map_err(failed)?;
    }
    conn.prepare_cached(
        "INSERT INTO conversations (id, version, event_count, state) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, event_count = excluded.event_count,
           state = excluded.state, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
    )
    .and_then(|mut s| s.execute(params![job.id, version + 1, event_count + job.commit.events.len() as i64, job.commit.state]))
    .map_err(failed)?;
    Ok(())
}
