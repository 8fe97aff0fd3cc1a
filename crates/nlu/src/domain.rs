//! The NLU part of a domain, in RON:
//!
//! ```ron
//! Nlu(
//!     intents: {
//!         "order_status": (examples: ["where is my order", "订单到哪了"], patterns: ["(?i)\\btrack\\b"]),
//!     },
//!     entities: {
//!         "order_id": Regex("\\b[A-Z]{2}-\\d{4,}\\b"),
//!         "currency": Lookup({"USD": ["dollars", "usd"], "CNY": ["元", "rmb", "yuan"]}),
//!         "amount": Builtin(Money),
//!     },
//!     oos_threshold: 0.5,
//! )
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ronfile::FileError;

use serde::{Deserialize, Serialize};

use crate::annotation;
use crate::builtin::Builtin;
use crate::slots::SlotSpan;

/// One intent: example utterances and optional regex patterns (a match decides the intent).
/// An example may mark slot values as Rasa does, `"refund order 12, [it came broken](refund_reason)"`:
/// the slot tagger learns from the marks ([`IntentDef::annotated`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IntentDef {
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
}

impl IntentDef {
    /// Each example as (its text without marks, the slot values it marks). An example whose
    /// marks do not read (only possible in data that skipped [`NluDomain::load`]) is taken as
    /// written, without marks.
    pub fn annotated(&self) -> impl Iterator<Item = (String, Vec<SlotSpan>)> + '_ {
        self.examples.iter().map(|example| match annotation::read(example) {
            Ok((text, marks)) => (text, marks.into_iter().map(|m| m.span).collect()),
            Err(_) => (example.clone(), Vec::new()),
        })
    }

    /// The example texts without marks.
    pub fn plain_examples(&self) -> impl Iterator<Item = String> + '_ {
        self.annotated().map(|(text, _)| text)
    }
}

/// How an entity is found.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum EntityDef {
    /// A regular expression; with a capture group, the group is the value.
    Regex(String),
    /// Canonical values and their synonyms; the canonical value is the normalized one.
    Lookup(BTreeMap<String, Vec<String>>),
    /// A typed value: money, number, date, duration, email, phone.
    Builtin(Builtin),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename = "Nlu", deny_unknown_fields)]
pub struct NluDomain {
    #[serde(default)]
    pub intents: BTreeMap<String, IntentDef>,
    #[serde(default)]
    pub entities: BTreeMap<String, EntityDef>,
    /// Below this confidence an utterance is `out_of_scope`. Confidences are calibrated (the
    /// share of utterances at that confidence whose intent is right), so 0.5 means "more
    /// likely wrong than right".
    #[serde(default = "default_threshold")]
    pub oos_threshold: f32,
}

pub(crate) fn default_threshold() -> f32 {
    0.5
}

/// Errors name the file (line and column) or the intent/entity at fault.
#[derive(Debug, thiserror::Error)]
pub enum NluError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("sentence encoder: {message}")]
    Encoder { message: String },
}

impl NluDomain {
    pub fn load(path: &Path) -> Result<Self, NluError> {
        Self::from_str(path, &ronfile::read(path)?)
    }

    /// Parses a RON document; `path` is used in errors.
    pub fn from_str(path: &Path, text: &str) -> Result<Self, NluError> {
        let domain: Self = ronfile::parse(path, text)?;
        if let Some((message, near)) = domain.problem() {
            return Err(match ronfile::invalid_at(path, text, &near, message.clone()) {
                Some(located) => NluError::File(located),
                None => NluError::Invalid { path: path.into(), message },
            });
        }
        Ok(domain)
    }

    /// Everything the parser compiles (patterns, entity regexes, lookup lists, marks) compiles;
    /// every path that loads a domain (RON, a saved model, a Rasa import) calls it.
    pub(crate) fn validate(&self) -> Result<(), String> {
        self.problem().map_or(Ok(()), |(message, _)| Err(message))
    }

    /// The first thing that does not compile, and the texts near it (as the file writes them)
    /// that say where.
    fn problem(&self) -> Option<(String, Vec<String>)> {
        let quoted = |text: &str| vec![format!("{text:?}")];
        for (name, intent) in &self.intents {
            let here = || quoted(name);
            if intent.examples.is_empty() && intent.patterns.is_empty() {
                return Some((format!("intent `{name}` has neither examples nor patterns"), here()));
            }
            for example in &intent.examples {
                if example.trim().is_empty() {
                    return Some((format!("intent `{name}` has an empty example"), [quoted(example), here()].concat()));
                }
                if let Err(e) = annotation::read(example) {
                    return Some((format!("intent `{name}`, example {example:?}: {e}"), [quoted(example), here()].concat()));
                }
            }
            for pattern in &intent.patterns {
                if let Err(e) = regex::Regex::new(pattern) {
                    return Some((format!("intent `{name}`, pattern {pattern:?}: {e}"), [quoted(pattern), here()].concat()));
                }
            }
        }
        for (name, entity) in &self.entities {
            let error = match entity {
                EntityDef::Regex(pattern) => regex::Regex::new(pattern).err().map(|e| format!("entity `{name}`, regex {pattern:?}: {e}")),
                EntityDef::Lookup(values) => {
                    crate::entities::lookup(values).err().map(|e| format!("entity `{name}`: its lookup words make no usable pattern: {e}"))
                }
                EntityDef::Builtin(_) => None,
            };
            if let Some(message) = error {
                return Some((message, quoted(name)));
            }
        }
        if !(0.0..=1.0).contains(&self.oos_threshold) {
            return Some((format!("oos_threshold must be within 0..1, got {}", self.oos_threshold), vec!["oos_threshold".into()]));
        }
        None
    }
}
