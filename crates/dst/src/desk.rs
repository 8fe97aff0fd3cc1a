//! Slots a support desk sets from outside a turn (Rasa's `slot` event appended to a
//! tracker): checked as a user's value would be, then held where the conversation uses it.

use serde_json::Value;

use crate::state::{DialogueState, SlotValue};
use crate::tracker::Tracker;
use crate::validate::{convert, display};

impl Tracker {
    /// Sets `slot` (clears it, with `null`) in the newest flow in progress that collects it,
    /// else among the settled values later flows are offered. A value the slot's type, range
    /// or pattern refuses is an error that says why; the state is then unchanged.
    pub fn set_slot(&self, state: &mut DialogueState, slot: &str, value: &Value) -> Result<(), String> {
        if !self.flows.slots.contains_key(slot) {
            let known: Vec<&str> = self.flows.slots.keys().map(String::as_str).collect();
            return Err(format!("there is no slot `{slot}`; the domain's slots are {}", known.join(", ")));
        }
        let turn = state.turns.len();
        let frame = state.frames.iter_mut().rev().find(|frame| self.flows.flow_slots(&frame.flow).contains(&slot));
        let Some(frame) = frame else {
            match value {
                Value::Null => state.settled.remove(slot),
                _ => state.settled.insert(slot.to_string(), self.desk_value(slot, value, None, turn)?),
            };
            return Ok(());
        };
        if value.is_null() {
            frame.slots.remove(slot);
            return Ok(());
        }
        let set = self.desk_value(slot, value, frame.slots.get(slot).map(|v| &v.normalized), turn)?;
        frame.slots.insert(slot.to_string(), set);
        if frame.requested.as_deref() == Some(slot) {
            // The question is answered: the flow goes on from it at the next turn.
            frame.requested = None;
        }
        Ok(())
    }

    fn desk_value(&self, slot: &str, value: &Value, previous: Option<&Value>, turn: usize) -> Result<SlotValue, String> {
        let normalized = convert(&self.flows, slot, value, previous)?;
        Ok(SlotValue { value: display(&normalized), normalized, turn, confidence: 1.0, source: "desk".into() })
    }
}
