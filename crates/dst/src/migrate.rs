//! A stored conversation meets the flows it is now run with — a desk renamed a flow, removed
//! a step or a slot, or changed a slot's type between two runs of the server. What still
//! exists is kept, the rest is closed or dropped, and each change is a [`Rule`] of the turn:
//!
//! - a flow that is gone is closed (the user is told, and may start again);
//! - a slot the flow no longer collects, or whose value its new type refuses, is dropped (and
//!   asked for again if the flow still needs it);
//! - the step the flow waited at is found again (the question it asked, its confirmation), or
//!   the nearest one that still exists.

use crate::flows::Op;
use crate::state::{DialogueState, Frame};
use crate::tracker::{Rule, Tracker};
use crate::validate::convert;

impl Tracker {
    /// Brings `state` in line with the current flows; returns what changed (empty when the
    /// state already fits, which is every turn of a conversation the same flows began).
    pub fn migrate(&self, state: &mut DialogueState) -> Vec<Rule> {
        let mut changes = Vec::new();
        state.frames.retain(|frame| {
            let known = self.flows.programs.contains_key(&frame.flow);
            if !known {
                changes.push(Rule::FlowRetired { flow: frame.flow.clone() });
            }
            known
        });
        for frame in &mut state.frames {
            self.migrate_frame(frame, &mut changes);
        }
        state.settled.retain(|slot, value| match self.slot_problem(slot, &value.normalized) {
            Some(reason) => {
                changes.push(Rule::SlotDropped { slot: slot.clone(), reason });
                false
            }
            None => true,
        });
        changes
    }

    fn migrate_frame(&self, frame: &mut Frame, changes: &mut Vec<Rule>) {
        let collected: Vec<String> = self.flows.flow_slots(&frame.flow).into_iter().map(str::to_string).collect();
        let collects = |slot: &str| collected.iter().any(|s| s == slot);
        // Values an action returned are the flow's own results, not collected slots: kept.
        let dropped: Vec<(String, String)> = frame
            .slots
            .iter()
            .filter(|(_, value)| !value.source.starts_with("action:"))
            .filter_map(|(slot, value)| match self.slot_problem(slot, &value.normalized) {
                Some(reason) => Some((slot.clone(), reason)),
                None if !collects(slot) => Some((slot.clone(), format!("the flow `{}` no longer collects it", frame.flow))),
                None => None,
            })
            .collect();
        // A dropped value the flow still needs is asked for again: back to its question (the
        // confirmation, if one was waiting, comes again with the new value).
        let mut back_to = frame.pc;
        for (slot, reason) in dropped {
            frame.slots.remove(&slot);
            if let Some(at) = self.flows.collect_step(&frame.flow, &slot) {
                back_to = back_to.min(at);
            }
            changes.push(Rule::SlotDropped { slot, reason });
        }
        if back_to < frame.pc {
            (frame.requested, frame.confirming, frame.confirmed) = (None, false, false);
            changes.push(Rule::StepRefound { flow: frame.flow.clone(), from: frame.pc, to: back_to });
            frame.pc = back_to;
        }
        frame.retries.retain(|slot, _| collects(slot));
        frame.declined.retain(|slot| collects(slot));
        if frame.offered.as_deref().is_some_and(|slot| !collects(slot)) {
            frame.offered = None;
        }
        // The question the frame waited on is gone: its step is re-found even at the same index.
        let question_gone = frame.requested.as_deref().is_some_and(|slot| !collects(slot));
        if question_gone {
            frame.requested = None;
        }
        let found = self.step_now(frame);
        if found != frame.pc || question_gone {
            changes.push(Rule::StepRefound { flow: frame.flow.clone(), from: frame.pc, to: found });
            frame.pc = found;
        }
    }

    /// Why a stored value no longer fits `slot` (gone from the flows, or refused by its type,
    /// range or pattern), if it does not.
    fn slot_problem(&self, slot: &str, normalized: &serde_json::Value) -> Option<String> {
        if !self.flows.slots.contains_key(slot) {
            return Some("no such slot any more".into());
        }
        convert(&self.flows, slot, normalized, None).err()
    }

    /// The step a frame waits at in the current program: the question it asked, the
    /// confirmation it waits for, else its old index within the program's length.
    fn step_now(&self, frame: &mut Frame) -> usize {
        let program = self.flows.programs.get(&frame.flow).map_or(&[][..], Vec::as_slice);
        if let Some(at) = frame.requested.as_deref().and_then(|slot| self.flows.collect_step(&frame.flow, slot)) {
            return at;
        }
        if frame.confirming {
            if matches!(program.get(frame.pc), Some(Op::Confirm(_))) {
                return frame.pc;
            }
            match program.iter().position(|op| matches!(op, Op::Confirm(_))) {
                Some(at) => return at,
                None => frame.confirming = false,
            }
        }
        frame.pc.min(program.len())
    }
}
