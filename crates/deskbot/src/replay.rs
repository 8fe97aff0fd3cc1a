//! Scripted dialogues (conversation tests), in RON:
//!
//! ```ron
//! Dialogue(
//!     name: "refund, happy path",
//!     today: Some("2026-11-29"),
//!     turns: [
//!         (user: "I want a refund", intent: Some("request_refund"), flow: Some("refund"), bot: Some(Contains("order number"))),
//!         (user: "order 12345", slots: {"order_id": "12345"}),
//!         (user: "yes", actions: ["create_refund"], flow: Some("none")),
//!     ],
//! )
//! ```
//!
//! Per turn: `intent`, `slots` (subset; value text or normalized value), `bot` (`Exact`,
//! `Contains`, `NotContains` or `Regex` on all replies joined by newlines), `flow` (active flow
//! after the turn, `"none"` for none), `actions` (called this turn, in order), `handoff`.
//! `repeat: N` runs a turn N times; `user_repeat: N` sends the user text N times over (long input).
//! An expectation naming an unknown intent, slot, flow or action is an error, not a failure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::Error;
use crate::engine::{Bot, Conversation, TurnResult};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename = "Dialogue", deny_unknown_fields)]
pub struct Script {
    pub name: String,
    /// "Today" for relative dates and demo data (default 2026-11-29, so replays never drift).
    #[serde(default)]
    pub today: Option<String>,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub channel: Option<String>,
    pub turns: Vec<ScriptTurn>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptTurn {
    pub user: String,
    #[serde(default)]
    pub user_repeat: Option<usize>,
    #[serde(default)]
    pub repeat: Option<usize>,
    #[serde(default)]
    pub intent: Option<String>,
    #[serde(default)]
    pub slots: BTreeMap<String, String>,
    #[serde(default)]
    pub bot: Option<TextMatch>,
    #[serde(default)]
    pub flow: Option<String>,
    #[serde(default)]
    pub actions: Option<Vec<String>>,
    #[serde(default)]
    pub handoff: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum TextMatch {
    Exact(String),
    Contains(String),
    NotContains(String),
    Regex(String),
}

/// One failed expectation.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// 1-based turn number (counting repeats).
    pub turn: usize,
    pub user: String,
    pub what: String,
    pub expected: String,
    pub actual: String,
}

/// The result of one dialogue.
#[derive(Debug, Clone, Serialize)]
pub struct DialogueReport {
    pub name: String,
    pub path: PathBuf,
    pub turns: usize,
    pub failures: Vec<Failure>,
}

impl DialogueReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The default "today" of replays.
pub const DEFAULT_TODAY: &str = "2026-11-29";

pub fn load(path: &Path) -> Result<Script, Error> {
    Ok(ronfile::load(path)?)
}

/// Checks that every name in the script exists in the bot's domain.
fn check_names(bot: &Bot, path: &Path, script: &Script) -> Result<(), Error> {
    let flows = &bot.domain.flows;
    let actions = flows.action_names();
    for (i, turn) in script.turns.iter().enumerate() {
        let err = |message: String| Err(Error::Script { path: path.into(), message: format!("turn {}: {message}", i + 1) });
        if let Some(intent) = &turn.intent
            && intent != nlu::OUT_OF_SCOPE
            && !bot.parser().intents().contains(intent)
        {
            return err(format!("unknown intent `{intent}`"));
        }
        for slot in turn.slots.keys() {
            if !flows.slots.contains_key(slot) {
                return err(format!("unknown slot `{slot}`"));
            }
        }
        if let Some(flow) = &turn.flow
            && flow != "none"
            && !flows.flows.contains_key(flow)
        {
            return err(format!("unknown flow `{flow}`"));
        }
        for action in turn.actions.iter().flatten() {
            if !actions.contains(action) {
                return err(format!("unknown action `{action}`"));
            }
        }
        if let Some(TextMatch::Regex(pattern)) = &turn.bot {
            Regex::new(pattern).map_err(|e| Error::Script { path: path.into(), message: format!("turn {}: regex: {e}", i + 1) })?;
        }
    }
    Ok(())
}

/// Runs a script against a fresh conversation and reports every unmet expectation.
pub fn run(bot: Bot, path: &Path, script: &Script) -> Result<DialogueReport, Error> {
    let (bot, mut conversation) = prepare(bot, path, script)?;
    let mut failures = Vec::new();
    let mut number = 0;
    for turn in &script.turns {
        let user = turn.user_text();
        for _ in 0..turn.repeat.unwrap_or(1) {
            number += 1;
            let result = bot.respond(&mut conversation, &user);
            check(turn, &result, &conversation, number, &user, &mut failures);
        }
    }
    Ok(DialogueReport { name: script.name.clone(), path: path.into(), turns: number, failures })
}

/// The bot set up as `script` asks (its day, its channel; names checked against the domain)
/// and the conversation to play it in.
pub fn prepare(bot: Bot, path: &Path, script: &Script) -> Result<(Bot, Conversation), Error> {
    check_names(&bot, path, script)?;
    let today = script.today.as_deref().unwrap_or(DEFAULT_TODAY);
    let today =
        NaiveDate::parse_from_str(today, "%Y-%m-%d").map_err(|e| Error::Script { path: path.into(), message: format!("today {today:?}: {e}") })?;
    let mut bot = bot.with_today(today);
    bot.channel = script.channel.clone();
    Ok((bot, Conversation::new(script.name.clone()).with_seed(script.seed)))
}

impl ScriptTurn {
    /// What the user sends (`user` repeated `user_repeat` times).
    pub fn user_text(&self) -> String {
        self.user.repeat(self.user_repeat.unwrap_or(1))
    }
}

fn check(turn: &ScriptTurn, result: &TurnResult, conversation: &Conversation, number: usize, user: &str, failures: &mut Vec<Failure>) {
    let short: String = user.chars().take(60).collect::<String>() + if user.chars().count() > 60 { "…" } else { "" };
    let mut fail = |what: &str, expected: String, actual: String| {
        failures.push(Failure { turn: number, user: short.clone(), what: what.into(), expected, actual });
    };
    if let Some(intent) = &turn.intent
        && &result.parse.intent.name != intent
    {
        fail("intent", intent.clone(), format!("{} ({:.2})", result.parse.intent.name, result.parse.intent.confidence));
    }
    for (slot, expected) in &turn.slots {
        let mut seen = Vec::new();
        if let Some((text, _)) = result.outcome.filled.get(slot) {
            seen.push(text.clone());
        }
        if let Some(value) = conversation.state.slot(slot) {
            seen.push(value.value.clone());
            seen.extend(renderings(&value.normalized));
        }
        let wanted = expected.trim().to_lowercase();
        if !seen.iter().any(|s| s.trim().to_lowercase() == wanted) {
            fail(&format!("slot {slot}"), expected.clone(), if seen.is_empty() { "(not set)".into() } else { seen.join(" | ") });
        }
    }
    let text = result.text();
    if let Some(expected) = &turn.bot {
        let ok = match expected {
            TextMatch::Exact(s) => text == *s,
            TextMatch::Contains(s) => text.contains(s.as_str()),
            TextMatch::NotContains(s) => !text.contains(s.as_str()),
            TextMatch::Regex(p) => Regex::new(p).is_ok_and(|r| r.is_match(&text)),
        };
        if !ok {
            fail("bot", format!("{expected:?}"), text.clone());
        }
    }
    if let Some(flow) = &turn.flow {
        let actual = conversation.state.active_flow().unwrap_or("none");
        if actual != flow {
            fail("flow", flow.clone(), actual.into());
        }
    }
    if let Some(actions) = &turn.actions
        && &result.outcome.actions != actions
    {
        fail("actions", format!("{actions:?}"), format!("{:?}", result.outcome.actions));
    }
    if let Some(handoff) = turn.handoff {
        let actual = conversation.state.handed_off.is_some();
        if actual != handoff {
            fail("handoff", handoff.to_string(), actual.to_string());
        }
    }
}

/// Ways a normalized value may be written in an expectation.
fn renderings(value: &Value) -> Vec<String> {
    let number = |n: f64| if n.fract() == 0.0 { format!("{}", n as i64) } else { format!("{n}") };
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Number(n) => n.as_f64().map(|n| vec![number(n)]).unwrap_or_default(),
        Value::Object(m) if m.contains_key("amount") => {
            let amount = m["amount"].as_f64().map(number).unwrap_or_default();
            let currency = m.get("currency").and_then(Value::as_str).unwrap_or_default();
            vec![amount.clone(), format!("{amount} {currency}")]
        }
        other => vec![other.to_string()],
    }
}
