//! Filling slots from a turn: which value goes to which slot, validation, corrections.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::flows::SlotType;
use crate::state::{Frame, SlotValue};
use crate::tracker::{Rule, Tracker, Turn, TurnEntity, UserTurn};
use crate::validate::convert;

/// Which readings of a value a stage of [`Tracker::place`] considers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Readings {
    Any,
    /// The recognizer's own reading only.
    Primary,
    /// The recognizer's own reading, and only if it is the slot's own kind.
    Own,
    /// The value's own words, for a text slot, where the recognizer read them as the value of
    /// a slot that takes any text ("approver is Suresh Kumar", tagged as a counterparty, is an
    /// approver to look up, not a new counterparty).
    Words,
}

impl Tracker {
    /// Fills the frame's slots from the turn's entities (and, if allowed, the free-text
    /// answer to the requested slot). Returns (something changed, something was invalid).
    ///
    /// Values of a slot's own kind are placed before others. Each value goes to the first slot
    /// that takes one of its readings, in this order: the slot the bot asked for (the
    /// recognizer's own reading); the slot the message names ("the amount is …", any reading);
    /// the slot asked for (any reading); an empty slot that takes the recognizer's own
    /// reading; the slot the message names, as words ([`Readings::Words`]); then filled
    /// slots (a correction), own reading first — while a question is open, only a value of
    /// the filled slot's own kind corrects it. The whole text answers a free-text question
    /// only when no value went elsewhere. A value equal to a slot's current one is placed last:
    /// beside a new value it names the old one ("45, not 40").
    pub(crate) fn fill(&self, frame: &mut Frame, turn: &mut Turn, free_text: bool) -> (bool, bool) {
        let input = turn.input;
        let requested = frame.requested.clone();
        // Values of a slot's own kind go first, so that a plain number cannot take the slot a
        // value of its kind is given for ("zero updates … i'd rate it a 4": the rating is 4).
        let mut entities: Vec<&TurnEntity> = input.entities.iter().collect();
        let slots = self.flows.flow_slots(&frame.flow);
        entities.sort_by_cached_key(|e| (self.repeats_a_value(frame, e), !slots.iter().any(|s| self.own_kind(s, &e.entity))));
        let named = self.named_slot(&frame.flow, &input.text, |_| true);
        // A free-text question (a reason, an address) takes the whole message, and its values
        // fill no slot the message does not name: "I waited 5 days" is a complaint, not a
        // rating of 5, and the zip code of "14 Birch Lane, Portland OR 97205" corrects no order
        // number. A named slot still takes its value ("sorry, the order is 12346"), and so does
        // an empty slot a value of its own kind fits ("it broke, 1 out of 5": a rating), beside
        // the answer.
        // A value after the answer's own span, in a clause of its own (the tagger found "the
        // lid cracked on first use" in "the lid cracked on first use, so 39.99 please"), is no
        // part of it: it fills an empty slot it fits, of its own kind or not. One before it, or
        // in the span's own clause ("… charged my card twice when I paid for one order"),
        // belongs to the story ("Despite three follow-up emails, nobody has responded …" gives
        // no rating).
        let free_text_question = free_text && requested.as_deref().is_some_and(|s| self.is_free_text(s));
        let answer = input.entities.iter().find(|e| requested.as_deref() == Some(e.entity.as_str())).map(|e| e.value.as_str());
        let answer_end = answer.and_then(|a| input.text.find(a).map(|at| at + a.len()));
        let mut used: Vec<String> = Vec::new();
        let mut beside: Vec<String> = Vec::new();
        let (mut changed, mut invalid) = (false, false);
        for entity in entities {
            let Some((slot, (kind, reading), meant)) = self.place(frame, named.as_deref(), entity, &used) else { continue };
            if self.explains_a_change(frame, input, entity, &slot, named.as_deref()) {
                continue;
            }
            if free_text_question && Some(&slot) != named.as_ref() {
                let outside = answer != Some(entity.value.as_str()) && answer_end.is_some_and(|end| after_clause(&input.text[end..], &entity.value));
                if !(outside || self.own_kind(&slot, &kind)) || frame.slots.contains_key(&slot) {
                    continue;
                }
                beside.push(slot.clone());
            }
            // A value that does not fit a slot nobody asked about, named, filled or would ask
            // about next was not meant for it, unless it is of the slot's own kind ("complaint:
            // I waited forty minutes" gives no rating).
            let next = self.flows.flow_slots(&frame.flow).into_iter().find(|s| !frame.slots.contains_key(*s));
            let asked = [requested.as_deref(), named.as_deref(), next].contains(&Some(slot.as_str())) || frame.slots.contains_key(&slot);
            let meant = meant && (asked || self.own_kind(&slot, &kind));
            if !meant && self.check(turn, &slot, &reading, frame.slots.get(&slot).map(|v| &v.normalized)).is_err() {
                continue;
            }
            used.push(slot.clone());
            match self.set(frame, turn, &slot, &entity.value, &reading, &kind) {
                Ok(true) => changed = true,
                Ok(false) => {}
                Err(()) => invalid = true,
            }
        }
        // The whole text is the answer (validated: "ORD12345" gets a reason why not) only when
        // no value of the message went elsewhere.
        if free_text
            && used.iter().all(|slot| beside.contains(slot))
            && let Some(slot) = requested
            && self.flows.slots.get(&slot).is_some_and(|def| matches!(def.kind, SlotType::Text | SlotType::Enum(_)))
            && !frame.slots.contains_key(&slot)
        {
            let text = input.text.clone();
            match self.set(frame, turn, &slot, &text, &json!(text), "text") {
                Ok(c) => changed |= c,
                Err(()) => invalid = true,
            }
        }
        (changed, invalid)
    }

    /// Whether `entity`, a span of the user's own words for a filled free-text slot the message
    /// does not name, only says why another value changes ("wait, they already refunded the
    /// shipping separately, so make it 79.99"): beside a new value for a slot of another kind,
    /// such words are the reason for that change, not a new reason for the refund.
    fn explains_a_change(&self, frame: &Frame, input: &UserTurn, entity: &TurnEntity, slot: &str, named: Option<&str>) -> bool {
        let changes_another = |e: &TurnEntity| {
            !std::ptr::eq(e, entity)
                && !self.repeats_a_value(frame, e)
                && self.flows.flow_slots(&frame.flow).iter().any(|s| !self.is_free_text(s) && e.readings().any(|(kind, _)| self.accepts(s, kind)))
        };
        self.is_free_text(slot) && frame.slots.contains_key(slot) && named != Some(slot) && input.entities.iter().any(changes_another)
    }

    /// A message that starts its flow by name and a colon ("complaint: 客服电话一直打不通"):
    /// the words after the colon, two or more, answer the flow's first question when it is a
    /// free-text one nothing else filled.
    pub(crate) fn fill_after_colon(&self, frame: &mut Frame, turn: &mut Turn) {
        let text = turn.input.text.as_str();
        let Some((before, after)) = text.split_once([':', '：']) else { return };
        let after = after.trim();
        let first = self.flows.flow_slots(&frame.flow).first().map(|s| s.to_string());
        let Some(slot) = first.filter(|s| self.is_free_text(s) && !frame.slots.contains_key(s)) else { return };
        let content = words::spans(after).into_iter().filter(|r| words::is_content(&after[r.clone()])).count();
        if content >= 2 && self.names_flow(&frame.flow, before) {
            let _ = self.set(frame, turn, &slot, after, &json!(after), "text");
        }
    }

    /// Fills empty slots with the values that fit them, each in the first empty slot that takes
    /// one of its readings and accepts the value; a value that fits none is left, without a word.
    pub(crate) fn fill_empty(&self, frame: &mut Frame, turn: &mut Turn) {
        let entities = turn.input.entities.clone();
        for entity in &entities {
            let empty: Vec<String> =
                self.flows.flow_slots(&frame.flow).into_iter().filter(|s| !frame.slots.contains_key(*s)).map(str::to_string).collect();
            let mut fit = None;
            'slots: for slot in &empty {
                for (kind, value) in entity.readings() {
                    if self.accepts(slot, kind) && self.check(turn, slot, value, None).is_ok() {
                        fit = Some((slot.clone(), kind.to_string(), value.clone()));
                        break 'slots;
                    }
                }
            }
            if let Some((slot, kind, value)) = fit {
                let _ = self.set(frame, turn, &slot, &entity.value, &value, &kind);
            }
        }
    }

    /// A slot that takes any words as its value: text with no pattern or rule to pass (a
    /// reason, an address, a company's name).
    pub(crate) fn takes_any_text(&self, slot: &str) -> bool {
        self.flows.slots.get(slot).is_some_and(|def| def.kind == SlotType::Text && def.pattern.is_none() && def.rule.is_none())
    }

    /// A slot whose value is the user's own words: text that no entity fills.
    pub(crate) fn is_free_text(&self, slot: &str) -> bool {
        self.flows.slots.get(slot).is_some_and(|def| def.kind == SlotType::Text && def.entities.is_empty())
    }

    /// The slot (not in `used`) and reading an entity goes to, if any, and whether the slot was
    /// meant (asked for, named or being corrected) rather than merely empty.
    fn place(&self, frame: &Frame, named: Option<&str>, entity: &TurnEntity, used: &[String]) -> Option<(String, (String, Value), bool)> {
        let open = |slot: &&str| !used.iter().any(|u| u == slot);
        let (empty, filled): (Vec<&str>, Vec<&str>) =
            self.flows.flow_slots(&frame.flow).into_iter().filter(open).partition(|s| !frame.slots.contains_key(*s));
        let requested: Vec<&str> = frame.requested.as_deref().into_iter().filter(open).collect();
        let named: Vec<&str> = named.into_iter().filter(open).collect();
        // A value of a kind no slot of the flow takes may be another reading of an empty text
        // slot's (an id: "contract CTR-8812", where CTR- is also a request id's prefix).
        let own_kind_unused = !self.flows.flow_slots(&frame.flow).iter().any(|s| self.accepts(s, &entity.entity));
        let is_text = |slot: &str| self.flows.slots.get(slot).is_some_and(|d| matches!(d.kind, SlotType::Text));
        let empty_text: Vec<&str> = empty.iter().copied().filter(|s| own_kind_unused && is_text(s)).collect();
        // While a question is open, a value corrects an unnamed filled slot only in that slot's
        // own kind (or tagged as that slot): "$150k" may fix the amount while the bot asks for
        // the due date, a bare "12" may not (it was a misread answer to the question).
        let asking = frame.requested.is_some();
        let filled_any: Vec<&str> = if asking { Vec::new() } else { filled.clone() };
        // (slots, which readings count, whether the slot is meant), most wanted first. Another
        // reading must be asked for, named or correct a value: an order number is not read as a
        // rating nobody asked for.
        // The slot the message names comes before another reading for the question: "sorry wrong
        // order, it's 48271" at the amount question corrects the order number.
        let stages = [
            (&requested, Readings::Primary, true),
            (&named, Readings::Any, true),
            (&requested, Readings::Any, true),
            (&empty, Readings::Primary, true),
            (&empty_text, Readings::Any, false),
            (&named, Readings::Words, true),
            (&filled, if asking { Readings::Own } else { Readings::Primary }, true),
            (&filled_any, Readings::Any, true),
        ];
        let read_as_text = self.flows.flow_slots(&frame.flow).into_iter().any(|s| self.takes_any_text(s) && self.accepts(s, &entity.entity));
        stages.into_iter().find_map(|(slots, readings, meant)| {
            slots.iter().find_map(|slot| {
                if readings == Readings::Words {
                    return (is_text(slot) && read_as_text).then(|| (slot.to_string(), (entity.entity.clone(), json!(entity.value)), meant));
                }
                let mut candidates = entity.readings().take(if readings == Readings::Any { usize::MAX } else { 1 });
                candidates
                    .find(|(kind, _)| self.accepts(slot, kind) && (readings != Readings::Own || self.own_kind(slot, kind) || kind == slot))
                    .map(|(kind, value)| (slot.to_string(), (kind.to_string(), value.clone()), meant))
            })
        })
    }

    /// Whether `kind` is the first kind of value the slot takes: its own (a rating for a
    /// rating, not any number).
    fn own_kind(&self, slot: &str, kind: &str) -> bool {
        self.flows.slots.get(slot).is_some_and(|def| def.entities.first().is_some_and(|own| own == kind))
    }

    /// Whether one of the entity's readings is of a kind the slot takes and converts to its type
    /// (range and pattern checked; a named rule is not asked).
    pub(crate) fn reads_as_value(&self, slot: &str, entity: &TurnEntity) -> bool {
        entity.readings().any(|(kind, value)| self.accepts(slot, kind) && convert(&self.flows, slot, value, None).is_ok())
    }

    /// Whether a slot takes values of this entity kind (by default, the slot's own name).
    pub(crate) fn accepts(&self, slot: &str, entity: &str) -> bool {
        match self.flows.slots.get(slot) {
            Some(def) if def.entities.is_empty() => slot == entity,
            Some(def) => def.entities.iter().any(|e| e == entity),
            None => false,
        }
    }

    /// Whether the entity, read as any slot of the frame takes it, equals that slot's value.
    pub(crate) fn repeats_a_value(&self, frame: &Frame, entity: &TurnEntity) -> bool {
        frame.slots.iter().any(|(slot, current)| {
            entity.readings().any(|(kind, value)| {
                self.accepts(slot, kind) && convert(&self.flows, slot, value, Some(&current.normalized)).is_ok_and(|v| v == current.normalized)
            })
        })
    }

    /// The slot's typed value for `normalized`, or why it does not fit (type, range, pattern,
    /// then the slot's named rule).
    pub(crate) fn check(&self, turn: &mut Turn, slot: &str, normalized: &Value, previous: Option<&Value>) -> Result<Value, String> {
        convert(&self.flows, slot, normalized, previous).and_then(|value| match self.flows.slots.get(slot).and_then(|def| def.rule.as_ref()) {
            Some(rule) => turn.runner.check(rule, slot, &value).map(|()| value),
            None => Ok(value),
        })
    }

    /// Validates and stores one value; Ok(changed) or Err after saying why it is invalid.
    pub(crate) fn set(&self, frame: &mut Frame, turn: &mut Turn, slot: &str, text: &str, normalized: &Value, source: &str) -> Result<bool, ()> {
        let previous = frame.slots.get(slot).cloned();
        match self.check(turn, slot, normalized, previous.as_ref().map(|p| &p.normalized)) {
            Ok(value) => {
                if previous.as_ref().is_some_and(|p| p.normalized == value) {
                    return Ok(false);
                }
                if let Some(previous) = &previous {
                    turn.rule(Rule::CorrectionApplied { slot: slot.into(), from: previous.value.clone(), to: text.into() });
                    // At a confirmation the question asked again shows the new value; elsewhere
                    // the change is said, so a misread is seen before it is submitted.
                    if !frame.confirming {
                        let said = BTreeMap::from([("slot".to_string(), json!(self.flows.label(slot))), ("value".to_string(), json!(text))]);
                        turn.say("value_corrected", said);
                    }
                }
                turn.out.filled.insert(slot.into(), (text.into(), source.into()));
                frame.slots.insert(
                    slot.into(),
                    SlotValue { value: text.into(), normalized: value, turn: turn.index, confidence: turn.input.confidence, source: source.into() },
                );
                frame.offered = None;
                // A changed value needs a fresh confirmation.
                frame.confirming = false;
                frame.confirmed = false;
                Ok(true)
            }
            Err(problem) => {
                *frame.retries.entry(slot.into()).or_default() += 1;
                let response = self.flows.slots.get(slot).and_then(|def| def.invalid.clone()).unwrap_or_else(|| "slot_invalid".into());
                let mut slots = frame.values();
                slots.insert("problem".into(), json!(problem));
                slots.insert("given".into(), json!(text));
                turn.say(response, slots);
                Err(())
            }
        }
    }
}

/// Whether `value` follows in `rest` (the text after an answer's span) in a clause of its own
/// (after a punctuation mark, or at most one word — "so", "and" — after the span), and is no
/// count of something: a whole number before a content word counts it ("3 times", "one
/// order"; "40 please" is no count, courtesy words being no things).
fn after_clause(rest: &str, value: &str) -> bool {
    let Some(at) = rest.find(value) else { return false };
    let gap = &rest[..at];
    let apart = gap.chars().any(|c| matches!(c, ',' | ';' | '.' | '!' | '?' | '\n' | '，' | '。' | '；' | '！' | '？' | '、'))
        || gap.split_whitespace().count() <= 1;
    let after = &rest[at + value.len()..];
    let next = after.split_whitespace().next().unwrap_or("").trim_matches(|c: char| !c.is_alphanumeric());
    let courtesy = ["please", "thanks", "thank", "cheers"].contains(&next.to_lowercase().as_str());
    let counts = !value.contains(['.', ','])
        && after.starts_with(char::is_whitespace)
        && next.chars().next().is_some_and(char::is_alphabetic)
        && words::is_content(next)
        && !courtesy;
    apart && !counts
}
