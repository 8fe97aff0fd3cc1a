//! Slots and flows, declared in RON:
//!
//! ```ron
//! Flows(
//!     name: Some("Acme desk"),
//!     description: Some("refunds and order questions"),
//!     slots: {
//!         "order_id": (type: Text, entities: ["order_id"], pattern: Some("^[A-Z]{2}-\\d{4,}$")),
//!         "amount": (type: Money, entities: ["money", "number"], min: Some(1.0)),
//!         "rating": (type: Integer, entities: ["number"], min: Some(1.0), max: Some(5.0)),
//!     },
//!     flows: {
//!         "refund": (intent: "request_refund", description: Some("a refund"), steps: [
//!             Collect("order_id"), Collect("amount"), Confirm("confirm_refund"),
//!             Action("create_refund"), Say("refund_created"),
//!         ]),
//!     },
//! )
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use crate::condition::Condition;

/// What kind of value a slot holds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub enum SlotType {
    /// Free text; when the slot is asked for, the whole answer fills it.
    Text,
    Integer,
    Number,
    /// `{"amount": f64, "currency": "USD"}`; a bare number takes the previous or default currency.
    Money,
    /// An ISO date `YYYY-MM-DD`.
    Date,
    Email,
    /// One of these values (case-insensitive); when asked for, a typed answer is checked too.
    Enum(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotDef {
    #[serde(rename = "type")]
    pub kind: SlotType,
    /// Entities that can fill the slot (default: the slot's own name).
    #[serde(default)]
    pub entities: Vec<String>,
    /// Response asking for the slot (default `ask_<slot>`).
    #[serde(default)]
    pub ask: Option<String>,
    /// Response for an invalid value (default `slot_invalid`, with `{problem}`).
    #[serde(default)]
    pub invalid: Option<String>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// A regex the value must match.
    #[serde(default)]
    pub pattern: Option<String>,
    /// A named check the action runner performs (e.g. `future_date`).
    #[serde(default)]
    pub rule: Option<String>,
    /// How the slot is called in messages ("the amount"); default: the name with spaces.
    #[serde(default)]
    pub label: Option<String>,
    /// More words that name the slot in a message, in any language, beside its label's
    /// ("审批人" for the approver): "审批人改成 Li Na" corrects the approver.
    #[serde(default)]
    pub names: Vec<String>,
    /// A value settled by an earlier flow is offered to a later flow that collects this slot
    /// ("For order 48213?"), never used without a yes.
    #[serde(default)]
    pub carry: bool,
    /// Response offering such a value (default `offer_value`, with `{slot}` the label and
    /// `{value}` the value).
    #[serde(default)]
    pub offer: Option<String>,
    /// The question may be declined: "no" leaves the slot empty and the flow goes on.
    #[serde(default)]
    pub optional: bool,
    /// Values that a sure message of an intent gives the slot while it is asked for
    /// (`{"affirm": true, "deny": false}`: a yes/no question; Rasa's `from_intent`).
    #[serde(default)]
    pub from_intent: BTreeMap<String, serde_json::Value>,
}

/// One step of a flow.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub enum Step {
    Collect(String),
    /// Ask the response (a yes/no question) and go on only on "yes".
    Confirm(String),
    /// Call a named action; its result fields become slots.
    Action(String),
    Say(String),
    /// Hand the conversation to a human, with a reason.
    Handoff(String),
    If {
        when: Condition,
        then: Vec<Step>,
        #[serde(default)]
        otherwise: Vec<Step>,
    },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowDef {
    /// The intent that starts the flow.
    pub intent: String,
    /// What the flow is about, for messages and hand-off summaries.
    #[serde(default)]
    pub description: Option<String>,
    pub steps: Vec<Step>,
}

/// Names of the intents the policy treats specially, and limits.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub max_retries: u32,
    pub default_currency: String,
    /// A flow-starting intent at least this confident interrupts the active flow (which waits
    /// and resumes) or a free-text answer; cancel needs it too while a flow is active.
    pub digression_confidence: f32,
    /// A request at least this sure is taken as one where the bot waits for a value: a hand-off,
    /// a question the bot answers at once (a flow without slots), yes / no / small talk out of
    /// place (answered, not counted as a failed attempt).
    pub request_confidence: f32,
    pub affirm: String,
    pub deny: String,
    pub cancel: String,
    pub handoff: String,
    /// "I don't know" where a value is asked for: a real attempt that gives nothing (counted
    /// towards the retry cap), never stored as the value.
    pub dont_know: String,
}

impl Settings {
    /// Whether the policy reads the intent itself: yes, no, cancel, a person, "I don't know".
    pub fn is_special(&self, intent: &str) -> bool {
        [&self.affirm, &self.deny, &self.cancel, &self.handoff, &self.dont_know].iter().any(|s| *s == intent)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_retries: 3,
            default_currency: "USD".into(),
            digression_confidence: 0.6,
            request_confidence: 0.6,
            affirm: "affirm".into(),
            deny: "deny".into(),
            cancel: "cancel".into(),
            handoff: "human".into(),
            dont_know: "dont_know".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename = "Flows", deny_unknown_fields)]
struct FlowsFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    slots: BTreeMap<String, SlotDef>,
    #[serde(default)]
    flows: BTreeMap<String, FlowDef>,
}

/// A compiled step: branches become jumps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Collect(String),
    Confirm(String),
    Action(String),
    Say(String),
    Handoff(String),
    JumpUnless(Condition, usize),
    Jump(usize),
}

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    File(#[from] ronfile::FileError),
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The domain's slots and flows, checked and compiled.
#[derive(Debug, Clone)]
pub struct FlowSet {
    /// What the bot calls itself (the chat banner; `{bot_name}` in replies).
    pub name: Option<String>,
    /// What the bot is for, in a few words (the chat banner).
    pub description: Option<String>,
    pub settings: Settings,
    pub slots: BTreeMap<String, SlotDef>,
    pub flows: BTreeMap<String, FlowDef>,
    pub(crate) programs: BTreeMap<String, Vec<Op>>,
    pub(crate) patterns: BTreeMap<String, Regex>,
}

impl FlowSet {
    pub fn load(path: &Path) -> Result<Self, FlowError> {
        Self::from_str(path, &ronfile::read(path)?)
    }

    /// Parses and checks a RON document; `path` is used in errors.
    pub fn from_str(path: &Path, text: &str) -> Result<Self, FlowError> {
        let file: FlowsFile = ronfile::parse(path, text)?;
        let invalid = |message: String| FlowError::Invalid { path: path.into(), message };
        let mut patterns = BTreeMap::new();
        for (name, slot) in &file.slots {
            if let Some(pattern) = &slot.pattern {
                let regex = Regex::new(pattern).map_err(|e| invalid(format!("slot `{name}`, pattern {pattern:?}: {e}")))?;
                patterns.insert(name.clone(), regex);
            }
        }
        let mut programs = BTreeMap::new();
        for (name, flow) in &file.flows {
            let mut ops = Vec::new();
            compile(&flow.steps, &mut ops);
            for op in &ops {
                let slot = match op {
                    Op::Collect(slot) => Some(slot.as_str()),
                    Op::JumpUnless(cond, _) => Some(cond.slot()),
                    _ => None,
                };
                if let Some(slot) = slot
                    && !file.slots.contains_key(slot)
                {
                    return Err(invalid(format!("flow `{name}` uses slot `{slot}`, which `slots` does not declare")));
                }
            }
            programs.insert(name.clone(), ops);
        }
        let mut by_intent = BTreeMap::new();
        for (name, flow) in &file.flows {
            if let Some(other) = by_intent.insert(flow.intent.clone(), name.clone()) {
                return Err(invalid(format!("flows `{other}` and `{name}` are both started by intent `{}`", flow.intent)));
            }
        }
        Ok(Self { name: file.name, description: file.description, settings: file.settings, slots: file.slots, flows: file.flows, programs, patterns })
    }

    /// The flow an intent starts, if any.
    pub fn flow_for_intent(&self, intent: &str) -> Option<&str> {
        self.flows.iter().find(|(_, f)| f.intent == intent).map(|(name, _)| name.as_str())
    }

    /// Slots a flow collects, in step order.
    pub fn flow_slots(&self, flow: &str) -> Vec<&str> {
        self.programs
            .get(flow)
            .map(|ops| ops.iter().filter_map(|op| if let Op::Collect(s) = op { Some(s.as_str()) } else { None }).collect())
            .unwrap_or_default()
    }

    /// Every response name the flows and slots refer to (for checking against templates).
    pub fn response_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.slots.keys().map(|s| self.ask_response(s)).collect();
        names.extend(self.slots.values().filter_map(|s| s.invalid.clone()));
        names.extend(self.slots.values().filter_map(|s| s.offer.clone()));
        for ops in self.programs.values() {
            for op in ops {
                if let Op::Confirm(r) | Op::Say(r) = op {
                    names.push(r.clone());
                }
            }
        }
        names.sort();
        names.dedup();
        names
    }

    /// Every action name the flows call.
    pub fn action_names(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.programs.values().flatten().filter_map(|op| if let Op::Action(a) = op { Some(a.clone()) } else { None }).collect();
        names.sort();
        names.dedup();
        names
    }

    /// The step of `flow` that collects `slot`.
    /// Whether any flow has a `Confirm` step (which waits for the affirm and deny intents).
    pub fn has_confirm(&self) -> bool {
        self.programs.values().flatten().any(|op| matches!(op, Op::Confirm(_)))
    }

    /// Whether `flow` asks the user to confirm before it acts (it changes something; a flow
    /// without one looks something up).
    pub(crate) fn confirms(&self, flow: &str) -> bool {
        self.programs.get(flow).is_some_and(|ops| ops.iter().any(|op| matches!(op, Op::Confirm(_))))
    }

    pub(crate) fn collect_step(&self, flow: &str, slot: &str) -> Option<usize> {
        self.programs.get(flow)?.iter().position(|op| matches!(op, Op::Collect(s) if s == slot))
    }

    /// The next question of `flow` after step `pc` — (its step, its slot) — skipping slots
    /// `filled` says have values; none when another kind of step comes first.
    pub(crate) fn question_after(&self, flow: &str, pc: usize, filled: impl Fn(&str) -> bool) -> Option<(usize, String)> {
        let program = self.programs.get(flow)?;
        for (at, op) in program.iter().enumerate().skip(pc + 1) {
            match op {
                Op::Collect(slot) if filled(slot) => continue,
                Op::Collect(slot) => return Some((at, slot.clone())),
                _ => return None,
            }
        }
        None
    }

    /// A flow that needs nothing from the user (an FAQ answer, a greeting, a listing).
    pub fn answers_at_once(&self, flow: &str) -> bool {
        self.flow_slots(flow).is_empty()
    }

    pub(crate) fn ask_response(&self, slot: &str) -> String {
        self.slots.get(slot).and_then(|s| s.ask.clone()).unwrap_or_else(|| format!("ask_{slot}"))
    }

    pub(crate) fn label(&self, slot: &str) -> String {
        self.slots.get(slot).and_then(|s| s.label.clone()).unwrap_or_else(|| slot.replace('_', " "))
    }

    pub(crate) fn description(&self, flow: &str) -> String {
        self.flows.get(flow).and_then(|f| f.description.clone()).unwrap_or_else(|| flow.replace('_', " "))
    }
}

fn compile(steps: &[Step], ops: &mut Vec<Op>) {
    for step in steps {
        match step {
            Step::Collect(s) => ops.push(Op::Collect(s.clone())),
            Step::Confirm(r) => ops.push(Op::Confirm(r.clone())),
            Step::Action(a) => ops.push(Op::Action(a.clone())),
            Step::Say(r) => ops.push(Op::Say(r.clone())),
            Step::Handoff(r) => ops.push(Op::Handoff(r.clone())),
            Step::If { when, then, otherwise } => {
                let branch = ops.len();
                ops.push(Op::Jump(0)); // patched below
                compile(then, ops);
                let skip_else = ops.len();
                ops.push(Op::Jump(0));
                let else_start = ops.len();
                compile(otherwise, ops);
                let end = ops.len();
                ops[branch] = Op::JumpUnless(when.clone(), else_start);
                ops[skip_else] = Op::Jump(end);
            }
        }
    }
}
