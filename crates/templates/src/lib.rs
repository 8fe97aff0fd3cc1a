//! Reply templates for deskbot, in RON.
//!
//! A template file maps response names to variations. A variation has text with slot
//! placeholders (`{amount|money}`), optional conditions on slots, and an optional channel:
//!
//! ```ron
//! Templates(responses: {
//!     "confirm_refund": [
//!         (text: "Refund {amount|money} for order {order_id}?"),
//!         (text: "Refund order {order_id}?", when: [Missing("amount")]),
//!         (text: "Refund {amount|money} for {order_id}? Reply YES or NO", channel: Some("sms")),
//!     ],
//! })
//! ```
//!
//! - [`TemplateSet::load`] reads a file or a directory of `*.ron` files; errors name the file,
//!   line and column, or the response and variation.
//! - [`TemplateSet::render`] (with [`RenderOptions`]) picks among the variations that apply (conditions hold, every
//!   placeholder has a value, channel matches) by seed, or by a [`Ranker`] (deskbot passes one
//!   backed by GPT-2), then fills the placeholders. Slot values are data: text a user typed is
//!   inserted as it is and never read as template syntax.
//! - A [`Rephraser`] may reword the result, unless the variation says `rephrase: false`; its
//!   text is used only if [`check_rewording`] passes: it keeps every inserted value exactly, half
//!   of the reply's content words and its negations, and brings in no word of its own (each
//!   word is a function word or found in the reply, another variation that applies, or the
//!   conversation) and repeats no content word. [`Rendered::refused`] tells what was refused
//!   and why.
//!
//! This crate knows nothing of burn: ranking and rephrasing come in through the two traits.

mod format;
mod guard;
mod set;
mod text;

pub use dst::Condition;
pub use format::{Format, format_value};
pub use guard::{Rejection, check_rewording, keeps_content, keeps_negation, new_word};
pub use set::{Ranker, RenderOptions, Rendered, Rephraser, Slots, TemplateError, TemplateSet, Variation};
pub use text::{Piece, Template};
