//! deskbot's ears: intent recognition and entity extraction.
//!
//! - [`NluDomain`]: intents (examples, regex patterns) and entities (regex, lookup lists with
//!   synonyms, built-in typed values), read from RON; errors name file, line and column.
//! - [`Parser`]: trained from the domain's examples; [`Parser::parse`] returns the top intent
//!   with a confidence, the ranked alternatives and the entities found, each with its
//!   character span, normalized value and extractor.
//!
//! The recognizer is a nearest-example classifier over TF-IDF character n-grams (2–4) and words,
//! with entity values masked, so it works for English and Chinese alike (no whitespace-only
//! tokenization). Below `oos_threshold` an utterance is `out_of_scope`.
//!
//! [`eval`] scores the recognizer on labelled JSON lines (`deskbot eval nlu`).
//!
//! Not built yet (see README): GPT-2 features and a burn-trained classifier, calibrated
//! confidences, multi-intent splitting, slot F1, saved models (`train nlu`).

mod builtin;
mod domain;
mod entities;
pub mod eval;
mod features;
mod parser;

pub use builtin::Builtin;
pub use domain::{EntityDef, IntentDef, NluDomain, NluError};
pub use entities::{Entity, EntityExtractor};
pub use parser::{IntentScore, ParseResult, Parser, OUT_OF_SCOPE};
