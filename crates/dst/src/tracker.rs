//! The policy: one user turn in, responses and actions out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::flows::{Cond, FlowSet, Op, SlotType, cond_slot};
use crate::state::{DialogueState, Frame, SlotValue, TurnRecord};
use crate::validate::{convert, display};

/// An entity the recognizer found in the turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnEntity {
    pub entity: String,
    pub value: String,
    pub normalized: Value,
}

/// A recognised user turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserTurn {
    pub text: String,
    pub intent: String,
    pub confidence: f32,
    pub entities: Vec<TurnEntity>,
    /// Further requests in the same utterance, in order ("where is my order and can I change my
    /// address"): each is handled after this one (see [`Tracker::handle`]).
    pub more: Vec<UserTurn>,
}

/// Runs the flows' actions and custom slot rules (deskbot's engine implements it).
pub trait ActionRunner {
    /// Runs `action` for `flow` with the flow's slot values; returned fields become slots.
    fn run(&mut self, action: &str, flow: &str, slots: &BTreeMap<String, Value>) -> Result<BTreeMap<String, Value>, String>;
    /// Checks a slot value against a named rule; the error is a reason a user can read.
    fn check(&mut self, rule: &str, slot: &str, value: &Value) -> Result<(), String>;
}

/// What a human agent gets at hand-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffSummary {
    pub reason: String,
    /// What the customer was trying to do (the active flow's description).
    pub goal: Option<String>,
    pub filled: BTreeMap<String, Value>,
    /// Slots the active flow still needs.
    pub open_questions: Vec<String>,
    /// The last user turns, oldest first.
    pub last_turns: Vec<String>,
}

/// Something for the user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Output {
    /// Render this response with these slot values.
    Say { response: String, slots: BTreeMap<String, Value> },
    /// A human takes over; the bot stops answering.
    Handoff(HandoffSummary),
}

/// The result of one turn.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TurnOutcome {
    pub outputs: Vec<Output>,
    /// Actions called, in order.
    pub actions: Vec<String>,
    /// Actions that failed, with their error (logged by the caller; the user got a polite reply).
    pub failed_actions: Vec<(String, String)>,
    /// Slots set this turn: slot → (value text, entity).
    pub filled: BTreeMap<String, (String, String)>,
    /// Flows completed this turn.
    pub completed: Vec<String>,
}

/// The dialogue policy over a [`FlowSet`].
#[derive(Debug, Clone)]
pub struct Tracker {
    pub flows: FlowSet,
}

struct Turn<'a> {
    index: usize,
    input: &'a UserTurn,
    runner: &'a mut dyn ActionRunner,
    out: TurnOutcome,
}

impl Turn<'_> {
    fn say(&mut self, response: impl Into<String>, slots: BTreeMap<String, Value>) {
        self.out.outputs.push(Output::Say { response: response.into(), slots });
    }
}

impl Tracker {
    pub fn new(flows: FlowSet) -> Self {
        Self { flows }
    }

    /// Handles one user turn, updating `state`. Further requests of the utterance
    /// (`input.more`) follow the first: one that needs nothing from the user (an FAQ) is answered
    /// at once; a flow starts at once when nothing is waiting for the user, and otherwise waits
    /// beneath the active flow and starts when that one ends.
    pub fn handle(&self, state: &mut DialogueState, input: &UserTurn, runner: &mut dyn ActionRunner) -> TurnOutcome {
        let mut turn = Turn { index: state.turns.len(), input, runner, out: TurnOutcome::default() };
        if state.handed_off.is_none() {
            self.decide(state, &mut turn);
            for request in &input.more {
                if state.handed_off.is_some() {
                    break;
                }
                self.follow_up(state, &mut turn, request);
            }
        }
        let responses = turn
            .out
            .outputs
            .iter()
            .map(|o| match o {
                Output::Say { response, .. } => response.clone(),
                Output::Handoff(_) => "handoff".into(),
            })
            .collect();
        state.turns.push(TurnRecord {
            index: turn.index,
            user: input.text.clone(),
            intent: input.intent.clone(),
            confidence: input.confidence,
            filled: turn.out.filled.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect(),
            responses,
            actions: turn.out.actions.clone(),
            flow: state.active_flow().map(str::to_string),
        });
        turn.out
    }

    fn decide(&self, state: &mut DialogueState, turn: &mut Turn) {
        let settings = &self.flows.settings;
        let intent = turn.input.intent.as_str();
        // Leaving a flow (cancel, hand-off, another flow) takes a confident intent; a vague
        // match must not throw away what the user has told us so far.
        let confident = turn.input.confidence >= settings.digression_confidence;
        let in_flow = !state.frames.is_empty();
        if intent == settings.handoff && (confident || !in_flow) {
            return self.hand_off(state, turn, "the customer asked for a human");
        }
        if intent == settings.cancel && (confident || !in_flow) {
            match state.frames.pop() {
                Some(frame) => {
                    turn.say("flow_cancelled", flow_slot(&self.flows.description(&frame.flow)));
                    self.resume(state, turn);
                }
                None => turn.say("nothing_to_cancel", BTreeMap::new()),
            }
            return;
        }
        let new_flow = self.flows.flow_for_intent(intent).map(str::to_string);
        let Some(frame) = state.frames.last_mut() else {
            match new_flow {
                Some(flow) => self.start(state, turn, &flow),
                None if intent == settings.affirm || intent == settings.deny => turn.say("nothing_to_confirm", BTreeMap::new()),
                None => turn.say("out_of_scope", BTreeMap::new()),
            }
            return;
        };
        let active = frame.flow.clone();
        let digression = new_flow.as_ref().filter(|f| **f != active && confident).cloned();

        if frame.confirming {
            let (changed, invalid) = self.fill(frame, turn, false);
            if changed || invalid {
                return self.run(state, turn); // corrected (or a bad correction): ask to confirm again
            }
            if intent == settings.affirm {
                frame.confirming = false;
                frame.confirmed = true;
                return self.run(state, turn);
            }
            if intent == settings.deny {
                let frame = state.frames.pop().expect("active frame");
                turn.say("confirmation_denied", flow_slot(&self.flows.description(&frame.flow)));
                return self.resume(state, turn);
            }
            if let Some(flow) = digression {
                return self.start(state, turn, &flow);
            }
            turn.say("please_confirm", BTreeMap::new());
            return self.run(state, turn);
        }

        // A free-text answer is taken as it is, unless a confident new intent interrupts it.
        let (changed, invalid) = self.fill(frame, turn, digression.is_none());
        if changed || invalid {
            if invalid && self.over_retry_cap(state) {
                return self.hand_off(state, turn, "the customer could not give a valid value after repeated attempts");
            }
            return self.run(state, turn);
        }
        if let Some(flow) = digression {
            return self.start(state, turn, &flow);
        }
        if new_flow.as_deref() == Some(active.as_str()) {
            return self.run(state, turn);
        }
        // Nothing usable: say so, count a retry on the requested slot, ask again.
        let frame = state.frames.last_mut().expect("active frame");
        match frame.requested.clone() {
            Some(slot) => {
                *frame.retries.entry(slot.clone()).or_default() += 1;
                if self.over_retry_cap(state) {
                    return self.hand_off(state, turn, "the customer could not give a valid value after repeated attempts");
                }
                let problem = format!("I didn't catch {}", self.flows.label(&slot));
                turn.say("slot_not_understood", BTreeMap::from([("problem".to_string(), json!(problem))]));
            }
            None => turn.say("out_of_scope", BTreeMap::new()),
        }
        self.run(state, turn)
    }

    /// A further request from the same utterance.
    fn follow_up(&self, state: &mut DialogueState, turn: &mut Turn, request: &UserTurn) {
        let Some(flow) = self.flows.flow_for_intent(&request.intent).map(str::to_string) else { return };
        if request.confidence < self.flows.settings.digression_confidence || state.frames.iter().any(|f| f.flow == flow) {
            return;
        }
        // Values said elsewhere in the utterance count too ("where is my order 12345 and can I
        // change its address"), for kinds of entity this request does not name itself.
        let mut request = request.clone();
        let borrowed: Vec<TurnEntity> =
            turn.input.entities.iter().filter(|e| !request.entities.iter().any(|own| own.entity == e.entity)).cloned().collect();
        request.entities.extend(borrowed);
        let mut sub = Turn { index: turn.index, input: &request, runner: &mut *turn.runner, out: TurnOutcome::default() };
        let needs_nothing = self.flows.flow_slots(&flow).is_empty();
        if needs_nothing || state.frames.is_empty() {
            if !needs_nothing {
                sub.say("next_request", flow_slot(&self.flows.description(&flow)));
            }
            self.start(state, &mut sub, &flow);
        } else {
            let mut frame = Frame::new(&flow);
            frame.queued = true;
            self.fill(&mut frame, &mut sub, false);
            state.frames.insert(state.frames.len() - 1, frame);
            sub.say("request_queued", flow_slot(&self.flows.description(&flow)));
        }
        let out = sub.out;
        turn.out.outputs.extend(out.outputs);
        turn.out.actions.extend(out.actions);
        turn.out.failed_actions.extend(out.failed_actions);
        turn.out.filled.extend(out.filled);
        turn.out.completed.extend(out.completed);
    }

    fn over_retry_cap(&self, state: &DialogueState) -> bool {
        state.active().is_some_and(|f| f.retries.values().any(|&r| r >= self.flows.settings.max_retries))
    }

    /// Starts `flow` on top of the stack (the active one, if any, is interrupted).
    fn start(&self, state: &mut DialogueState, turn: &mut Turn, flow: &str) {
        let mut frame = Frame::new(flow);
        let (_, invalid) = self.fill(&mut frame, turn, false);
        state.frames.push(frame);
        if invalid && self.over_retry_cap(state) {
            return self.hand_off(state, turn, "the customer could not give a valid value after repeated attempts");
        }
        self.run(state, turn);
    }

    /// Fills the frame's slots from the turn's entities (and, if allowed, the free-text
    /// answer to the requested slot). Returns (something changed, something was invalid).
    fn fill(&self, frame: &mut Frame, turn: &mut Turn, free_text: bool) -> (bool, bool) {
        let slots = self.flows.flow_slots(&frame.flow);
        let accepts = |slot: &str, entity: &str| {
            let def = &self.flows.slots[slot];
            if def.entities.is_empty() { slot == entity } else { def.entities.iter().any(|e| e == entity) }
        };
        let mut used_slots: Vec<String> = Vec::new();
        let (mut changed, mut invalid) = (false, false);
        for entity in &turn.input.entities {
            // The requested slot first, then empty slots in order, then filled ones (a correction).
            let requested = frame.requested.iter().map(String::as_str);
            let empty = slots.iter().copied().filter(|s| !frame.slots.contains_key(*s));
            let filled = slots.iter().copied().filter(|s| frame.slots.contains_key(*s));
            let Some(slot) = requested
                .chain(empty)
                .chain(filled)
                .find(|s| accepts(s, &entity.entity) && !used_slots.iter().any(|u| u == s))
                .map(str::to_string)
            else {
                continue;
            };
            used_slots.push(slot.clone());
            match self.set(frame, turn, &slot, &entity.value, &entity.normalized, &entity.entity) {
                Ok(true) => changed = true,
                Ok(false) => {}
                Err(()) => invalid = true,
            }
        }
        if free_text
            && let Some(slot) = frame.requested.clone() {
                let is_text = matches!(self.flows.slots[&slot].kind, SlotType::Text | SlotType::Enum(_));
                if is_text && !used_slots.contains(&slot) && !frame.slots.contains_key(&slot) {
                    let text = turn.input.text.clone();
                    match self.set(frame, turn, &slot, &text, &json!(text), "text") {
                        Ok(c) => changed |= c,
                        Err(()) => invalid = true,
                    }
                }
            }
        (changed, invalid)
    }

    /// Validates and stores one value; Ok(changed) or Err after saying why it is invalid.
    fn set(&self, frame: &mut Frame, turn: &mut Turn, slot: &str, text: &str, normalized: &Value, source: &str) -> Result<bool, ()> {
        let previous = frame.slots.get(slot).map(|v| v.normalized.clone());
        let checked = convert(&self.flows, slot, normalized, previous.as_ref()).and_then(|value| {
            match &self.flows.slots[slot].rule {
                Some(rule) => turn.runner.check(rule, slot, &value).map(|()| value),
                None => Ok(value),
            }
        });
        match checked {
            Ok(value) => {
                if previous.as_ref() == Some(&value) {
                    return Ok(false);
                }
                turn.out.filled.insert(slot.into(), (text.into(), source.into()));
                frame.slots.insert(
                    slot.into(),
                    SlotValue { value: text.into(), normalized: value, turn: turn.index, confidence: turn.input.confidence, source: source.into() },
                );
                // A changed value needs a fresh confirmation.
                frame.confirming = false;
                frame.confirmed = false;
                Ok(true)
            }
            Err(problem) => {
                *frame.retries.entry(slot.into()).or_default() += 1;
                let response = self.flows.slots[slot].invalid.clone().unwrap_or_else(|| "slot_invalid".into());
                let mut slots = frame.values();
                slots.insert("problem".into(), json!(problem));
                slots.insert("given".into(), json!(text));
                turn.say(response, slots);
                Err(())
            }
        }
    }

    /// Runs the active flow until it needs the user (or ends).
    fn run(&self, state: &mut DialogueState, turn: &mut Turn) {
        loop {
            let Some(frame) = state.frames.last_mut() else { return };
            let program = &self.flows.programs[&frame.flow];
            let Some(op) = program.get(frame.pc).cloned() else {
                let done = state.frames.pop().expect("active frame");
                turn.out.completed.push(done.flow);
                return self.resume(state, turn);
            };
            match op {
                Op::Collect(slot) => {
                    if frame.slots.contains_key(&slot) {
                        frame.pc += 1;
                        frame.requested = None;
                    } else {
                        let values = frame.values();
                        frame.requested = Some(slot.clone());
                        turn.say(self.flows.ask_response(&slot), values);
                        return;
                    }
                }
                Op::Confirm(response) => {
                    if frame.confirmed {
                        frame.confirmed = false;
                        frame.pc += 1;
                    } else {
                        frame.confirming = true;
                        frame.requested = None;
                        let values = frame.values();
                        turn.say(response, values);
                        return;
                    }
                }
                Op::Action(action) => {
                    let flow = frame.flow.clone();
                    match turn.runner.run(&action, &flow, &frame.values()) {
                        Ok(result) => {
                            for (name, value) in result {
                                let text = display(&value);
                                frame.slots.insert(
                                    name,
                                    SlotValue { value: text, normalized: value, turn: turn.index, confidence: 1.0, source: format!("action:{action}") },
                                );
                            }
                            turn.out.actions.push(action);
                            frame.pc += 1;
                        }
                        Err(error) => {
                            turn.out.failed_actions.push((action.clone(), error));
                            state.frames.pop();
                            turn.say("action_failed", flow_slot(&self.flows.description(&flow)));
                            return self.resume(state, turn);
                        }
                    }
                }
                Op::Say(response) => {
                    let values = frame.values();
                    turn.say(response, values);
                    frame.pc += 1;
                }
                Op::Handoff(reason) => return self.hand_off(state, turn, &reason),
                Op::JumpUnless(cond, target) => {
                    frame.pc = if holds(&cond, &frame.values()) { frame.pc + 1 } else { target };
                }
                Op::Jump(target) => frame.pc = target,
            }
        }
    }

    /// Continues the interrupted flow, if there is one, with its slots as they were — or starts
    /// the one the user asked for next.
    fn resume(&self, state: &mut DialogueState, turn: &mut Turn) {
        if let Some(frame) = state.frames.last_mut() {
            let response = if std::mem::take(&mut frame.queued) { "next_request" } else { "resume_flow" };
            turn.say(response, flow_slot(&self.flows.description(&frame.flow)));
            self.run(state, turn);
        }
    }

    fn hand_off(&self, state: &mut DialogueState, turn: &mut Turn, reason: &str) {
        let summary = self.handoff_summary(state, reason, Some(&turn.input.text));
        state.handed_off = Some(reason.into());
        turn.out.outputs.push(Output::Handoff(summary));
    }

    /// Hands the conversation to a human agent outside a user turn (a support desk asked for
    /// it): the bot stays quiet until [`DialogueState::resume_bot`].
    pub fn hand_off_now(&self, state: &mut DialogueState, reason: &str) -> HandoffSummary {
        let summary = self.handoff_summary(state, reason, None);
        state.handed_off = Some(reason.into());
        summary
    }

    /// What the human agent needs: the goal, filled slots, open questions and the last user
    /// turns (`latest` is the turn being handled, not yet in the history).
    fn handoff_summary(&self, state: &DialogueState, reason: &str, latest: Option<&str>) -> HandoffSummary {
        let frame = state.frames.last();
        let history = if latest.is_some() { 4 } else { 5 };
        HandoffSummary {
            reason: reason.into(),
            goal: frame.map(|f| self.flows.description(&f.flow)),
            filled: frame.map(Frame::values).unwrap_or_default(),
            open_questions: frame
                .map(|f| self.flows.flow_slots(&f.flow).into_iter().filter(|s| !f.slots.contains_key(*s)).map(str::to_string).collect())
                .unwrap_or_default(),
            last_turns: state.turns.iter().rev().take(history).rev().map(|t| t.user.clone()).chain(latest.map(str::to_string)).collect(),
        }
    }
}

fn flow_slot(description: &str) -> BTreeMap<String, Value> {
    BTreeMap::from([("flow".to_string(), json!(description))])
}

fn holds(cond: &Cond, slots: &BTreeMap<String, Value>) -> bool {
    let value = slots.get(cond_slot(cond));
    let number = value.and_then(|v| v.get("amount").and_then(Value::as_f64).or_else(|| v.as_f64()));
    let same = |a: &Value, b: &Value| match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        _ => a.as_f64().is_some() && a.as_f64() == b.as_f64() || a == b,
    };
    match cond {
        Cond::Has(_) => value.is_some(),
        Cond::Missing(_) => value.is_none(),
        Cond::Equals(_, expected) => value.is_some_and(|v| same(v, expected)),
        Cond::OneOf(_, options) => value.is_some_and(|v| options.iter().any(|o| same(v, o))),
        Cond::Below(_, bound) => number.is_some_and(|n| n < *bound),
        Cond::Above(_, bound) => number.is_some_and(|n| n > *bound),
    }
}
