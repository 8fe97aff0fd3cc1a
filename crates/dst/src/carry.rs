//! Carried-over values: what a finished flow settled (an order number, a contract id) is
//! offered to a later flow that needs the same slot — "For order 48213?" — and used on a yes,
//! or at once when the request points back at it ("a refund for it", "that order", "这个订单").
//! An answer to the question after the offer takes the offer as read. SGD and MultiWOZ call
//! this slot carry-over.

use serde_json::json;

use crate::state::{DialogueState, Frame, SlotValue};
use crate::tracker::{Rule, Tracker, Turn};
use crate::validate::display;

/// How sure the recognizer must be of a flow a request points back at, as its runner-up.
const REFERRED_RUNNER_UP: f32 = 0.1;

impl Tracker {
    /// Keeps the carried slots of a flow that ended (completed or cancelled) for later flows.
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

    /// A starting flow's first empty carry slot takes the conversation's value for it when the
    /// request refers back ("can I get a refund for it?", "approve that one").
    pub(crate) fn take_referred(&self, state: &mut DialogueState, turn: &mut Turn) {
        let Some(frame) = state.frames.last() else { return };
        let empty = self.flows.flow_slots(&frame.flow).into_iter().find(|s| !frame.slots.contains_key(*s) && self.carried(state, s).is_some());
        let Some(slot) = empty.map(str::to_string) else { return };
        if refers_back(&turn.input.text, &self.flows.label(&slot)) {
            self.accept_offer(state, turn, &slot);
            if let Some(Rule::CarriedAccepted { .. }) = turn.out.rules.last() {
                turn.out.rules.pop();
            }
            turn.rule(Rule::CarriedReferred { slot });
        }
    }

    /// A request that points back ("can you check its status too", "它现在是什么状态？") and
    /// names no value means a flow whose first question a settled value answers: the
    /// recognizer's runner-up (at least [`REFERRED_RUNNER_UP`]) when its first reading is one
    /// with nothing to point back at, or (for a question or request) no flow and nothing the
    /// policy reads itself (a yes, a cancel).
    pub(crate) fn referred_flow(&self, state: &DialogueState, turn: &Turn, flow: Option<&str>) -> Option<String> {
        let settled = |f: &str| self.flows.flow_slots(f).first().is_some_and(|s| self.carried(state, s).is_some());
        let nothing_to_point_at = match flow {
            Some(flow) => !settled(flow),
            None => turn.input.asks() && !self.flows.settings.is_special(&turn.input.intent),
        };
        if !nothing_to_point_at || !turn.input.entities.is_empty() || !refers_back(&turn.input.text, "") {
            return None;
        }
        turn.input.alternatives.iter().filter(|(_, score)| *score >= REFERRED_RUNNER_UP).find_map(|(intent, _)| {
            let other = self.flows.flow_for_intent(intent)?;
            (Some(other) != flow && settled(other)).then(|| other.to_string())
        })
    }

    /// A message that asks for nothing but gives a value of a thing the bot keeps (a `carry`
    /// slot: "order 48213", "contract CTR-3012"): (that slot, the flow that asks for it first).
    /// Where the text names such slots (by a word of their label, or one of their names), only
    /// those ("request NW-2291", where NW-2291 is no request id, starts nothing). Among a slot's
    /// flows, one the text names ("帮我approve一下APR-3382"), then one that only looks the thing
    /// up (no confirmation) before one that changes it, then the recognizer's ranking.
    /// Every value of the message must be that one: "order 12345, $20" waits for the request
    /// (the amount is for something else), its values kept for it.
    pub(crate) fn value_flow(&self, turn: &Turn) -> Option<(String, String)> {
        let entities = &turn.input.entities;
        let given = |slot: &str| !entities.is_empty() && entities.iter().all(|e| self.reads_as_value(slot, e));
        let named: Vec<&String> =
            self.flows.slots.iter().filter(|(name, def)| def.carry && self.names_slot(name, &turn.input.text)).map(|(name, _)| name).collect();
        let rank = |flow: &str| turn.input.alternatives.iter().position(|(i, _)| self.flows.flow_for_intent(i) == Some(flow)).unwrap_or(usize::MAX);
        let mut best: Option<((bool, bool, usize), String, String)> = None;
        for flow in self.flows.flows.keys() {
            let Some(slot) = self.flows.flow_slots(flow).first().map(|s| s.to_string()) else { continue };
            let carried = self.flows.slots.get(&slot).is_some_and(|def| def.carry);
            if !carried || !given(&slot) || !(named.is_empty() || named.contains(&&slot)) {
                continue;
            }
            let key = (!self.names_flow(flow, &turn.input.text), self.flows.confirms(flow), rank(flow));
            if best.as_ref().is_none_or(|(k, ..)| key < *k) {
                best = Some((key, slot, flow.clone()));
            }
        }
        best.map(|(_, slot, flow)| (slot, flow))
    }

    /// Whether the text names `slot` by a word of four letters or more of its label ("order"
    /// for "the order number") or by one of its names ("合同号").
    fn names_slot(&self, slot: &str, text: &str) -> bool {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        self.says_slot(slot, &lower, &words, &[])
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

/// Whether a request points back at something said before: the pronoun "it" / "its", "the same", a
/// demonstrative before a word of the slot's label ("that order", "this request"), or a
/// Chinese pronoun or demonstrative with its measure word (它, 这个, 那笔, 该).
fn refers_back(text: &str, label: &str) -> bool {
    const CHINESE: [&str; 10] = ["它", "这个", "那个", "这笔", "那笔", "这单", "那单", "该单", "该笔", "同一"];
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let label_words: Vec<&str> = label.split_whitespace().filter(|w| w.chars().count() >= 4).collect();
    let demonstrative_before_label =
        words.windows(2).any(|pair| matches!(pair[0], "that" | "this" | "same") && label_words.iter().any(|l| l.eq_ignore_ascii_case(pair[1])));
    words.iter().any(|w| matches!(*w, "it" | "its" | "same")) || demonstrative_before_label || CHINESE.iter().any(|c| text.contains(c))
}

#[cfg(test)]
mod tests {
    use super::refers_back;

    #[test]
    fn requests_that_point_back() {
        for text in [
            "ok, can I get a refund for it?",
            "where is that order now?",
            "refund on that same order",
            "帮我把这个订单的地址改一下",
            "驳回它吧",
            "check its status too",
        ] {
            assert!(refers_back(text, "the order number"), "{text}");
        }
        for text in ["I want a refund", "that's all, change my address", "where is my order"] {
            assert!(!refers_back(text, "the order number"), "{text}");
        }
    }
}
