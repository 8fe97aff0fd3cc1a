//! Turns, hand-offs and resumes applied to stored conversations, one at a time per
//! conversation, many conversations at once.
//!
//! A change runs: this process's lock for the conversation → the store's lock → read the
//! stored version (reload when another server changed it) → compute the change on a copy →
//! commit it with a version check → only then answer. A refused commit is recomputed on the
//! fresh state; a failed one is answered with an error and nothing is acknowledged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use deskbot::{Bot, BuiltinActions, Conversation};
use dst::HandoffSummary;
use serde::Serialize;
use serde_json::Value;

use crate::actions::ActionWebhooks;
use crate::api_error::ApiError;
use crate::events::{Appended, Event, EventKind, turn_events};
use crate::metrics::Metrics;
use crate::store::{Commit, Store, StoreError, Stored};
use crate::stored_state;

/// How often a change is recomputed after its commit was refused.
const ATTEMPTS: usize = 5;
/// Conversations whose state this process keeps in memory between turns.
const CACHE_LIMIT: usize = 10_000;

#[derive(Clone)]
struct Cached {
    version: u64,
    conversation: Conversation,
    /// The fingerprint of the domain it was stored under (`None`: before fingerprints).
    domain: Option<String>,
}

type Entry = Arc<tokio::sync::Mutex<Option<Cached>>>;

pub struct Conversations {
    bot: Arc<Bot>,
    store: Store,
    webhooks: Arc<ActionWebhooks>,
    pub metrics: Metrics,
    /// Whether a turn may block or compute for long (action webhooks, a language model): it
    /// then runs on the blocking pool. Otherwise (well under a millisecond) it runs in place.
    may_block: bool,
    /// Turns that may run the language model at once (one per core), when there is one.
    model_slots: Option<tokio::sync::Semaphore>,
    entries: Mutex<HashMap<String, Entry>>,
}

/// One reply of a turn.
#[derive(Debug, Clone, Serialize)]
pub struct TurnReply {
    pub text: String,
    pub response: String,
    /// Whether the model reworded the template's text.
    pub rephrased: bool,
}

/// What a turn gives back to the channel.
pub struct TurnAnswer {
    pub replies: Vec<TurnReply>,
    pub handoff: Option<HandoffSummary>,
}

/// Whether a change may create the conversation.
#[derive(Clone, Copy, PartialEq)]
enum Missing {
    Create,
    NotFound,
}

impl Conversations {
    pub fn new(bot: Bot, store: Store, webhooks: ActionWebhooks) -> Self {
        let may_block = bot.has_model() || webhooks.any();
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let model_slots = bot.has_model().then(|| tokio::sync::Semaphore::new(cores));
        let webhooks = Arc::new(webhooks);
        Self { bot: Arc::new(bot), store, webhooks, metrics: Metrics::new(), may_block, model_slots, entries: Mutex::new(HashMap::new()) }
    }

    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// One user message: understood, answered, recorded; acknowledged only once durable.
    pub async fn turn(&self, sender: &str, message: String, metadata: Option<Value>) -> Result<TurnAnswer, ApiError> {
        let started = Instant::now();
        let blank = message.trim().is_empty();
        let webhooks = self.webhooks.clone();
        let id = sender.to_string();
        let answer = self
            .change(sender, Missing::Create, move |bot, conversation| {
                let index = conversation.state.turns.len();
                let mut actions = webhooks.runner(BuiltinActions { today: bot.today() }, &id, index, &message);
                let result = bot.respond_with(conversation, &message, &mut actions);
                for (action, error) in &result.outcome.failed_actions {
                    tracing::error!("conversation {id}: action {action} failed: {error}");
                }
                for error in &result.errors {
                    tracing::error!("conversation {id}: reply not rendered: {error}");
                }
                let events = turn_events(&message, metadata.clone(), &result);
                let replies =
                    result.replies.iter().map(|r| TurnReply { text: r.text.clone(), response: r.response.clone(), rephrased: r.rephrased }).collect();
                let failures = (result.outcome.failed_actions.len(), result.errors.len());
                Ok((events, (TurnAnswer { replies, handoff: result.handoff }, failures)))
            })
            .await;
        let (answer, (failed_actions, render_errors)) = answer?;
        if !blank {
            self.metrics.turns.inc();
        }
        self.metrics.turn_seconds.observe(started.elapsed().as_secs_f64());
        self.metrics.errors.with_label_values(&["action"]).inc_by(failed_actions as u64);
        self.metrics.errors.with_label_values(&["render"]).inc_by(render_errors as u64);
        if answer.handoff.is_some() {
            self.metrics.handoffs.inc();
        }
        Ok(answer)
    }

    /// A support desk takes the conversation over.
    pub async fn hand_off(&self, id: &str, reason: String) -> Result<HandoffSummary, ApiError> {
        let summary = self
            .change(id, Missing::NotFound, move |bot, conversation| {
                if let Some(already) = &conversation.state.handed_off {
                    return Err(ApiError::conflict(format!("conversation is already handed off ({already})")));
                }
                let summary = bot.hand_off(conversation, &reason);
                Ok((vec![Event::now(EventKind::Handoff { summary: summary.clone() })], summary))
            })
            .await?;
        self.metrics.handoffs.inc();
        Ok(summary)
    }

    /// The bot answers the conversation again.
    pub async fn resume(&self, id: &str) -> Result<(), ApiError> {
        self.change(id, Missing::NotFound, |_, conversation| {
            if !conversation.state.resume_bot() {
                return Err(ApiError::conflict("conversation is not handed off"));
            }
            Ok((vec![Event::now(EventKind::Resumed)], ()))
        })
        .await
    }

    /// Events a desk appends: each applied in order, all committed at once or none (a value
    /// a slot refuses is a 400 that names it).
    pub async fn append(&self, id: &str, appended: Vec<Appended>) -> Result<(), ApiError> {
        self.change(id, Missing::Create, move |bot, conversation| {
            let mut events = Vec::new();
            for event in &appended {
                let kind = match event {
                    Appended::Slot { name, value } => {
                        bot.set_slot(conversation, name, value).map_err(|why| ApiError::bad_request(format!("slot `{name}`: {why}")))?;
                        let shown = conversation.state.slot(name).or(conversation.state.settled.get(name)).map(|v| v.value.clone());
                        EventKind::Slot { name: name.clone(), value: shown.unwrap_or_default(), entity: "desk".into() }
                    }
                    Appended::Pause {} if conversation.state.handed_off.is_none() => {
                        EventKind::Handoff { summary: bot.hand_off(conversation, "paused by the desk") }
                    }
                    Appended::Resume {} if conversation.state.resume_bot() => EventKind::Resumed,
                    Appended::Pause {} | Appended::Resume {} => continue,
                };
                events.push(Event::now(kind));
            }
            Ok((events, ()))
        })
        .await
    }

    /// The stored conversation and its events.
    pub async fn tracker(&self, id: &str) -> Result<(Stored, Conversation, Vec<Value>), ApiError> {
        let stored = self.store.load(id).await.map_err(ApiError::store)?.ok_or_else(|| unknown(id))?;
        let conversation = decode(id, &stored.state)?.conversation;
        let events = self.store.events(id).await.map_err(ApiError::store)?;
        Ok((stored, conversation, events))
    }

    fn entry(&self, id: &str) -> Entry {
        let mut entries = self.entries.lock().expect("conversation map");
        if entries.len() >= CACHE_LIMIT && !entries.contains_key(id) {
            // Forget conversations nobody is using right now.
            entries.retain(|_, entry| Arc::strong_count(entry) > 1);
        }
        entries.entry(id.to_string()).or_default().clone()
    }

    /// Applies `change` to the conversation under its locks and commits what it returns.
    async fn change<T, F>(&self, id: &str, missing: Missing, change: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Fn(&Bot, &mut Conversation) -> Result<(Vec<Event>, T), ApiError> + Send + Sync + 'static,
    {
        let entry = self.entry(id);
        let mut cached = entry.lock().await;
        let token = self.store.lock(id).await.inspect_err(|e| self.count(e)).map_err(ApiError::store)?;
        let result = self.change_locked(id, missing, &mut cached, Arc::new(change)).await;
        if let Err(error) = self.store.unlock(id, token).await {
            tracing::warn!("releasing the lock of conversation {id}: {error}");
        }
        result
    }

    async fn change_locked<T, F>(&self, id: &str, missing: Missing, cached: &mut Option<Cached>, change: Arc<F>) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Fn(&Bot, &mut Conversation) -> Result<(Vec<Event>, T), ApiError> + Send + Sync + 'static,
    {
        for _ in 0..ATTEMPTS {
            let stored_version = self.store.version(id).await.inspect_err(|e| self.count(e)).map_err(ApiError::store)?;
            if cached.as_ref().map(|c| c.version) != stored_version {
                *cached = match self.store.load(id).await.inspect_err(|e| self.count(e)).map_err(ApiError::store)? {
                    Some(stored) => {
                        let loaded = decode(id, &stored.state)?;
                        Some(Cached { version: stored.version, conversation: loaded.conversation, domain: loaded.domain })
                    }
                    None => None,
                };
            }
            // Taken out of the cache: if anything below fails, the next turn reloads it.
            let domain = &self.bot.domain.fingerprint;
            let (version, conversation, stored_domain) = match cached.take() {
                Some(c) => (c.version, c.conversation, c.domain),
                None if missing == Missing::Create => (0, Conversation::new(id), Some(domain.clone())),
                None => return Err(unknown(id)),
            };
            let (conversation, changed) = if self.may_block {
                // The language model is CPU-bound: as many turns at once as there are cores;
                // more only slows every one of them down (and each holds its activations).
                let _permit = match &self.model_slots {
                    Some(slots) => Some(slots.acquire().await.map_err(ApiError::internal)?),
                    None => None,
                };
                let (bot, change) = (self.bot.clone(), change.clone());
                tokio::task::spawn_blocking(move || {
                    let mut conversation = conversation;
                    let changed = change(&bot, &mut conversation);
                    (conversation, changed)
                })
                .await
                .map_err(ApiError::internal)?
            } else {
                let mut conversation = conversation;
                let changed = change(&self.bot, &mut conversation);
                (conversation, changed)
            };
            let (mut new_events, value) = changed?;
            if stored_domain.as_ref() != Some(domain) {
                new_events.insert(0, Event::now(EventKind::DomainChanged { from: stored_domain, to: domain.clone() }));
            }
            let state = stored_state::encode(&conversation, domain).map_err(ApiError::internal)?;
            let commit = Commit { expected: version, state, events: new_events.iter().map(Event::to_json).collect() };
            match self.store.commit(id, commit).await {
                Ok(()) => {
                    *cached = Some(Cached { version: version + 1, conversation, domain: Some(domain.clone()) });
                    return Ok(value);
                }
                Err(StoreError::Conflict) => self.metrics.error("conflict"),
                Err(error) => {
                    self.count(&error);
                    return Err(ApiError::store(error));
                }
            }
        }
        Err(ApiError::store(StoreError::Busy))
    }

    fn count(&self, error: &StoreError) {
        self.metrics.error(match error {
            StoreError::Busy => "busy",
            StoreError::Conflict => "conflict",
            StoreError::Backend(_) => "store",
        });
    }
}

fn unknown(id: &str) -> ApiError {
    ApiError::not_found(format!("no conversation `{id}`"))
}

fn decode(id: &str, state: &str) -> Result<stored_state::Loaded, ApiError> {
    stored_state::decode(id, state).map_err(ApiError::internal)
}
