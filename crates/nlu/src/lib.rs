//! deskbot's ears: intent recognition and entity extraction.
//!
//! - [`NluDomain`]: intents (examples, regex patterns) and entities (regex, lookup lists with
//!   synonyms, built-in typed values), read from RON; errors name file, line and column.
//! - [`Parser`]: trained from the domain's examples; [`Parser::parse`] returns the top intent
//!   with a confidence, the ranked alternatives and the entities found, each with its
//!   character span, normalized value and extractor.
//!
//! The recognizer is a softmax regression trained with burn over TF-IDF character n-grams (2–4)
//! and words, with entity values masked, so it works for English and Chinese alike (no
//! whitespace-only tokenization). An intent's raw score is the geometric mean of the
//! classifier's probability and the text's cosine similarity to that intent's centroid: the
//! classifier separates intents, the similarity says whether the text is near any of them.
//! [`calibration`] turns raw scores into confidences that read as probabilities (Platt scaling
//! fitted on held-out folds of the training examples). Below `oos_threshold` an utterance is
//! `out_of_scope`; an intent named `out_of_scope` (or `oos`, as in CLINC150) is learned like
//! any other and also yields `out_of_scope`.
//!
//! [`encoder`]: a language model's sentence features (GPT-2's pooled hidden states,
//! [`Parser::train_with`]) join the n-grams at the weight held-out folds favour
//! ([`held_out`]), and only when they fix significantly more held-out examples than they break.
//!
//! [`model`]: a trained parser saves to / loads from a directory (versioned; a model trained
//! for another domain is refused by [`Parser::check_domain`]).
//!
//! [`rasa`]: Rasa NLU YAML (intents, annotated entities, lookups, synonyms, regexes) → a domain.
//!
//! [`slots`]: a BIO slot tagger trained on annotated spans — marked in a domain's examples
//! ([`annotation`]: `[it came broken](refund_reason)`) or given as `slots` in JSON lines; its
//! spans join the entities (extractor `tagger`) and are saved with the model.
//!
//! [`repair`]: a value taken back in the same message ("ORD-77346... sorry I meant ORD-77364")
//! gives way to the one after it.
//!
//! [`eval`] scores the recognizer on labelled JSON lines (`deskbot eval nlu`).
//!
//! [`discover`]: the messages the recognizer does not handle, clustered (average linkage over
//! n-gram and sentence-encoder vectors) into named candidate intents (`deskbot discover`).

pub mod annotation;
mod builtin;
pub mod calibration;
mod classifier;
pub mod discover;
mod domain;
pub mod encoder;
mod entities;
pub mod eval;
mod features;
pub mod held_out;
pub mod model;
pub mod mood;
mod numerals;
mod parser;
pub mod rasa;
mod repair;
mod scorer;
mod segments;
pub mod slots;

pub use builtin::Builtin;
pub use domain::{EntityDef, IntentDef, NluDomain, NluError};
pub use encoder::SentenceEncoder;
pub use entities::{Entity, EntityExtractor, Reading};
pub use parser::{EncoderChoice, IntentScore, IntentSpan, OUT_OF_SCOPE, ParseResult, Parser};
