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
//! - A [`Rephraser`] may reword the result; its text is used only if it keeps every inserted
//!   value exactly ([`keeps_values`]), half of the reply's content words ([`keeps_content`])
//!   and its negations ([`keeps_negation`]).
//!
//! This crate knows nothing of burn: ranking and rephrasing come in through the two traits.

mod format;
mod set;
mod text;

pub use format::{Format, format_value};
pub use set::{Condition, Ranker, RenderOptions, Rendered, Rephraser, Slots, TemplateError, TemplateSet, Variation, keeps_content, keeps_negation, keeps_values};
pub use text::{Piece, Template};
