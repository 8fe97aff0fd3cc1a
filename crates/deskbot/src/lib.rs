//! The deskbot engine: NLU, dialogue state and templates wired together.
//!
//! ```no_run
//! use deskbot::{Bot, Conversation, Domain};
//! let bot = Bot::new(Domain::bundled()?)?;
//! let mut conversation = Conversation::new("demo");
//! for reply in bot.respond(&mut conversation, "where is my order 12345?").replies {
//!     println!("{}", reply.text);
//! }
//! # Ok::<(), deskbot::Error>(())
//! ```
//!
//! - [`Domain`]: the bundled domain (compiled in from `intents/` and `templates/`) or one
//!   loaded from disk; cross-checked so that every response a flow uses has a template.
//! - [`Bot::respond`]: one user utterance in, the replies out; the conversation's state is
//!   updated. [`Bot::with_model`] adds GPT-2 reply ranking, guarded rephrasing and sentence
//!   features offered to the intent recognizer; [`Bot::with_models`] also takes a pretrained
//!   sentence encoder ([`PretrainedEncoder`], multilingual-e5-small), which the recognizer is
//!   offered instead of GPT-2's features. A reply is reworded only while the guard lets
//!   enough of that response's rewordings through ([`rewording`]).
//! - [`corpus`]: training text for the domain language model (`deskbot corpus`).
//! - [`replay`]: scripted dialogues with expectations (conversation tests).
//! - [`outcomes`]: conversations judged by how they end (fresh-phrasing test sets).
//! - [`parser_cache`]: trained recognizers kept between runs, per domain, model and build.

mod actions;
pub mod check;
pub mod corpus;
mod domain;
mod engine;
mod model;
pub mod outcomes;
pub mod parser_cache;
pub mod rasa;
pub mod replay;
pub mod rewording;
mod sentence;

pub use actions::{BuiltinActions, StubbedActions};
pub use domain::{Domain, Error};
pub use engine::{Bot, Conversation, Reply, TurnResult};
pub use model::ModelHooks;
pub use sentence::{Gpt2Sentences, PretrainedEncoder};
pub use templates::Rejection;
