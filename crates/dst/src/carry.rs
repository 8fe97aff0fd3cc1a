//! Carried-over values: what a finished flow settled (an order number, a contract id) is
//! offered to a later flow that needs the same slot — "For order 48213?" — and used only on a
//! yes. SGD and MultiWOZ call this slot carry-over.

use serde_json::json;

use crate::state::{DialogueState, Frame, SlotValue};
use crate::tracker::{Rule, Tracker, Turn};
use crate::validate::display;

impl Tracker {
    /// Keeps a completed flow's carried slots for later flows.
    pub(crate) fn settle(&self, state: &mut DialogueState, done: &Frame) {
        for (name, value) in &done.slots {
            if self.flows.slots.get(name).is_some_and(|def| def.carry) {
                state.settled.insert(name.clone(), value.clone());
            }
        }
    }

    /// A value for `slot` the conversation already has: from a flow waiting beneath the active
    /// one, else from a completed flow.
    pub(crate) fn carried(&self, state: &DialogueState, slot: &str) -> Option<SlotValue> {
        if !self.flows.slots.get(slot).is_some_and(|def| def.carry) {
            return None;
        }
        let parked = state.frames.len().saturating_sub(1);
        state.frames[..parked].iter().rev().find_map(|f| f.slots.get(slot)).or_else(|| state.settled.get(slot)).cloned()
    }

    /// Asks whether the carried value is the one meant.
    pub(crate) fn offer(&self, state: &mut DialogueState, turn: &mut Turn, slot: &str, carried: SlotValue) {
        let Some(frame) = state.frames.last_mut() else { return };
        frame.offered = Some(slot.to_string());
        let mut values = frame.values();
        values.insert(slot.to_string(), carried.normalized.clone());
        values.insert("slot".into(), json!(self.flows.label(slot)));
        values.insert("value".into(), json!(display(&carried.normalized)));
        let response = self.flows.slots.get(slot).and_then(|d| d.offer.clone()).unwrap_or_else(|| "offer_value".into());
        turn.rule(Rule::CarriedOffered { slot: slot.to_string(), value: carried.value.clone() });
        turn.say(response, values);
    }

    /// The user said yes to the offered value: it fills the slot.
    pub(crate) fn accept_offer(&self, state: &mut DialogueState, turn: &mut Turn, slot: &str) {
        let Some(carried) = self.carried(state, slot) else { return };
        let Some(frame) = state.frames.last_mut() else { return };
        turn.out.filled.insert(slot.to_string(), (carried.value.clone(), "carried".into()));
        frame.slots.insert(slot.to_string(), SlotValue { turn: turn.index, source: "carried".into(), ..carried });
        turn.rule(Rule::CarriedAccepted { slot: slot.to_string() });
    }
}
