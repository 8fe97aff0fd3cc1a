//! Dialogue state tracking and policy for deskbot: what the user has told us, which flow we
//! are in, and what to say or do next. Knows nothing of burn, NLU internals or templates'
//! wording: it takes a recognised [`UserTurn`] and returns [`Output`]s (responses to render by
//! name, hand-offs) while calling actions through an [`ActionRunner`].
//!
//! - [`FlowSet`]: slots and flows declared in RON (`flows.ron`): collect slots (several from one
//!   utterance), validate them (type, range, enum, regex, custom rule), confirm before a
//!   transactional step, call actions, branch on slot values.
//! - [`Tracker::handle`]: one user turn. Handles corrections, yes/no confirmations, cancel,
//!   digressions (another flow mid-flow, then the interrupted one resumes with its slots),
//!   out-of-scope fallback, re-prompts with a reason and a retry cap, and hand-off.
//! - [`DialogueState`]: the whole state, serializable (inspect it as JSON); a state stored under
//!   other flows is brought in line with the current ones ([`Tracker::migrate`]).
//! - From outside a turn: a desk sets a slot ([`Tracker::set_slot`]); a blank message gets the
//!   waiting question again without becoming a turn ([`Tracker::reprompt`]).

mod carry;
mod condition;
mod desk;
mod fill;
mod flows;
mod migrate;
mod policy;
mod restate;
mod state;
mod tracker;
mod validate;

pub use condition::Condition;
pub use flows::{FlowDef, FlowError, FlowSet, Settings, SlotDef, SlotType, Step};
pub use state::{DialogueState, Frame, SlotValue, TurnRecord};
pub use tracker::{ActionAnswer, ActionRunner, HandoffSummary, Mood, Output, Rule, Tracker, TurnEntity, TurnOutcome, UserTurn};
