//! The dialogue state: the active flow, the interrupted ones beneath it, their slots, and the
//! turn history. All of it serializes, so it can be inspected as JSON and stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A slot's value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotValue {
    /// The text it was read from.
    pub value: String,
    /// The typed value (money object, ISO date, number, canonical enum value, text).
    pub normalized: Value,
    /// Index of the user turn that set it.
    pub turn: usize,
    pub confidence: f32,
    /// Which entity (or `text` for a free-text answer, or an action) provided it.
    pub source: String,
}

/// A flow in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub flow: String,
    /// Index of the next step of the compiled flow.
    pub pc: usize,
    pub slots: BTreeMap<String, SlotValue>,
    /// The slot we last asked for.
    pub requested: Option<String>,
    /// Whether we are waiting for a yes/no to the confirmation at `pc`.
    pub confirming: bool,
    #[serde(default)]
    pub confirmed: bool,
    /// Asked for in the same utterance as another request; not begun yet.
    #[serde(default)]
    pub queued: bool,
    /// Failed attempts per slot.
    pub retries: BTreeMap<String, u32>,
    /// A slot for which a value settled earlier was offered ("For order 48213?"): a yes takes it.
    #[serde(default)]
    pub offered: Option<String>,
    /// Slots whose offered value the user turned down: asked plainly from then on.
    #[serde(default)]
    pub declined: Vec<String>,
}

impl Frame {
    pub fn new(flow: &str) -> Self {
        Self {
            flow: flow.into(),
            pc: 0,
            slots: BTreeMap::new(),
            requested: None,
            confirming: false,
            confirmed: false,
            queued: false,
            retries: BTreeMap::new(),
            offered: None,
            declined: Vec::new(),
        }
    }

    /// The slots' typed values, as templates and actions take them.
    pub fn values(&self) -> BTreeMap<String, Value> {
        self.slots.iter().map(|(k, v)| (k.clone(), v.normalized.clone())).collect()
    }
}

/// One user turn and what the bot did with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRecord {
    pub index: usize,
    pub user: String,
    pub intent: String,
    pub confidence: f32,
    /// Slots set this turn: slot → value text.
    pub filled: BTreeMap<String, String>,
    /// Response names the bot gave.
    pub responses: Vec<String>,
    pub actions: Vec<String>,
    /// The active flow after the turn.
    pub flow: Option<String>,
}

/// Everything the tracker knows about one conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DialogueState {
    /// Flows in progress; the last one is active, the others were interrupted.
    pub frames: Vec<Frame>,
    pub turns: Vec<TurnRecord>,
    /// Set when a human agent has the conversation; the bot then stays quiet.
    pub handed_off: Option<String>,
    /// Values of completed flows that later flows may be offered (slots marked `carry`).
    #[serde(default)]
    pub settled: BTreeMap<String, SlotValue>,
    /// Values of the last message that no flow took, for the flow the next message starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unclaimed: Vec<crate::tracker::TurnEntity>,
}

impl DialogueState {
    pub fn active(&self) -> Option<&Frame> {
        self.frames.last()
    }

    pub fn active_flow(&self) -> Option<&str> {
        self.frames.last().map(|f| f.flow.as_str())
    }

    /// The value of a slot in the active flow, or in the newest interrupted one that has it.
    pub fn slot(&self, name: &str) -> Option<&SlotValue> {
        self.frames.iter().rev().find_map(|f| f.slots.get(name))
    }

    /// Gives the conversation back to the bot after a hand-off: it answers again, the active
    /// flow continues where it was, and the retry counts start afresh (so the retry cap does
    /// not hand it straight back). Returns false when it was not handed off.
    pub fn resume_bot(&mut self) -> bool {
        if self.handed_off.take().is_none() {
            return false;
        }
        for frame in &mut self.frames {
            frame.retries.clear();
        }
        true
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("state serializes")
    }
}
