//! The policy: one user turn in, responses and actions out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::flows::{FlowSet, Op};
use crate::state::{DialogueState, Frame, SlotValue, TurnRecord};
use crate::validate::display;

/// An entity the recognizer found in the turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnEntity {
    pub entity: String,
    pub value: String,
    pub normalized: Value,
    /// Other readings of the same text (entity, normalized value): "15000" is an order number
    /// and a number. A slot takes the first reading it accepts (see [`Tracker::handle`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<(String, Value)>,
}

impl TurnEntity {
    pub fn new(entity: impl Into<String>, value: impl Into<String>, normalized: Value) -> Self {
        Self { entity: entity.into(), value: value.into(), normalized, alternatives: Vec::new() }
    }

    /// The readings of the text, the recognizer's first.
    pub(crate) fn readings(&self) -> impl Iterator<Item = (&str, &Value)> {
        std::iter::once((self.entity.as_str(), &self.normalized)).chain(self.alternatives.iter().map(|(e, v)| (e.as_str(), v)))
    }
}

/// What a message does, by its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Mood {
    Statement,
    Request,
    Question,
}

/// A recognised user turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserTurn {
    pub text: String,
    pub intent: String,
    pub confidence: f32,
    pub entities: Vec<TurnEntity>,
    /// Whether the text states, requests or questions (`nlu::mood`): a statement given where
    /// the user's own words are awaited is the answer; a question there is not.
    pub mood: Mood,
    /// Further requests in the same utterance, in order ("where is my order and can I change my
    /// address"): each is handled after this one (see [`Tracker::handle`]).
    pub more: Vec<UserTurn>,
    /// The recognizer's other readings of the whole message, best first, with their scores.
    pub alternatives: Vec<(String, f32)>,
}

/// Runs the flows' actions and custom slot rules (deskbot's engine implements it).
pub trait ActionRunner {
    /// Runs `action` for `flow` with the flow's slot values: its fields become slots, its own
    /// messages are said.
    fn run(&mut self, action: &str, flow: &str, slots: &BTreeMap<String, Value>) -> Result<ActionAnswer, String>;
    /// Checks a slot value against a named rule; the error is a reason a user can read.
    fn check(&mut self, rule: &str, slot: &str, value: &Value) -> Result<(), String>;
}

/// What an action gave back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionAnswer {
    /// Fields that become slots of the flow (a reference number, a status).
    pub fields: BTreeMap<String, Value>,
    /// What the action says itself (an action server's messages), after the turn's replies so far.
    pub said: Vec<Output>,
}

impl From<BTreeMap<String, Value>> for ActionAnswer {
    fn from(fields: BTreeMap<String, Value>) -> Self {
        Self { fields, said: Vec::new() }
    }
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
    /// Text written elsewhere (an action server's message), said as it is; `from` names the
    /// action that wrote it.
    Text { text: String, from: String },
    /// A human takes over; the bot stops answering.
    Handoff(HandoffSummary),
}

/// A policy rule that shaped the turn (shown by `chat --explain` and in the tracker's events).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// A new value replaced a filled slot's (a correction, at a confirmation or later).
    CorrectionApplied { slot: String, from: String, to: String },
    /// At a confirmation the user named a slot without a value the bot could use: asked again.
    CorrectionAsked { slot: String },
    /// A request (a question the bot answers, yes/no, a hand-off) was taken as one, not stored
    /// as the free-text answer the bot waited for.
    RequestOverAnswer { intent: String, slot: String },
    /// yes / no / thanks where the bot waited for a value: answered, not counted as an attempt.
    OutOfPlace { intent: String, slot: String },
    /// "I don't know" where a value was asked for: counted as an attempt, asked again.
    ValueUnknown { slot: String },
    /// An optional question declined ("no"): left empty.
    Declined { slot: String },
    /// A value settled earlier in the conversation was offered for this flow.
    CarriedOffered { slot: String, value: String },
    /// The user took the offered value.
    CarriedAccepted { slot: String },
    /// The request pointed back at a value the conversation has ("a refund for it", "that
    /// order", "这个订单"): taken without offering it.
    CarriedReferred { slot: String },
    /// A request pointing back ("check its status too") went to the recognizer's runner-up,
    /// the flow that takes the value pointed at, not to its first reading.
    ReferredFlow { read_as: String, flow: String },
    /// Nothing asked for, but a value of a thing the bot keeps ("order 48213", "contract
    /// CTR-3012"): the flow that first asks for it started with it.
    ValueStarted { slot: String, flow: String },
    /// Neither yes, no nor a value for the offered slot, but an answer to the next question:
    /// the offer was taken as read.
    OfferTakenAsRead { slot: String, next: String },
    /// Another flow began over the active one, which waits and resumes after it.
    Parked { flow: String, by: String },
    /// Cancel and a new request in one message: the old flow closed, the new one began.
    Switched { from: String, to: String },
    /// Misses in a row: the bot said what it can do, with examples.
    Recovery { misses: usize },
    /// A yes or no that nothing asked for, before a request ("ok, where is order 12345?"): the
    /// request is the turn.
    Filler { intent: String, request: String },
    /// At its confirmation, the flow's own request again with nothing to change: taken as yes.
    Reasserted { flow: String },
    /// Values of the message before, which no flow took, filled the flow that started.
    Remembered { slots: Vec<String> },
    /// A stored conversation's flow no longer exists in the flows it is run with: closed.
    FlowRetired { flow: String },
    /// A stored value no longer fits the flows (slot gone, no longer collected, new type).
    SlotDropped { slot: String, reason: String },
    /// A stored conversation's place in its flow, found again in the changed flow.
    StepRefound { flow: String, from: usize, to: usize },
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::CorrectionApplied { slot, from, to } => write!(f, "correction applied: {slot} {from:?} → {to:?}"),
            Rule::CorrectionAsked { slot } => write!(f, "correction asked: {slot} named without a usable value, asked again"),
            Rule::RequestOverAnswer { intent, slot } => write!(f, "request over answer: {intent} taken as a request, not as {slot}"),
            Rule::OutOfPlace { intent, slot } => write!(f, "out of place: {intent} while waiting for {slot} (not counted as an attempt)"),
            Rule::ValueUnknown { slot } => write!(f, "value unknown: the user cannot give {slot} (counted as an attempt)"),
            Rule::Declined { slot } => write!(f, "declined: {slot} left empty"),
            Rule::CarriedOffered { slot, value } => write!(f, "carried-over value offered: {slot} = {value:?}"),
            Rule::CarriedAccepted { slot } => write!(f, "carried-over value taken: {slot}"),
            Rule::CarriedReferred { slot } => write!(f, "carried-over value taken: the request referred back to {slot}"),
            Rule::ReferredFlow { read_as, flow } => write!(f, "read as {read_as}, but it points back at a value only {flow} takes: {flow}"),
            Rule::ValueStarted { slot, flow } => write!(f, "no request, but a value for {slot}: {flow}, the flow that asks for it first"),
            Rule::OfferTakenAsRead { slot, next } => write!(f, "carried-over value taken as read: {slot} offered, the message answered {next}"),
            Rule::Parked { flow, by } => write!(f, "switch: {flow} on hold while {by} runs"),
            Rule::Switched { from, to } => write!(f, "switch: {from} cancelled, {to} started"),
            Rule::Recovery { misses } => write!(f, "recovery: {misses} misses in a row, said what the bot can do"),
            Rule::FlowRetired { flow } => write!(f, "migrated: flow {flow} no longer exists, closed"),
            Rule::SlotDropped { slot, reason } => write!(f, "migrated: {slot} dropped ({reason})"),
            Rule::StepRefound { flow, from, to } => write!(f, "migrated: {flow} continues at step {to} (was {from})"),
            Rule::Remembered { slots } => write!(f, "remembered: {} from the message before", slots.join(", ")),
            Rule::Reasserted { flow } => write!(f, "reasserted: {flow} asked for again at its confirmation, taken as yes"),
            Rule::Filler { intent, request } => write!(f, "filler: {intent} with no yes/no question open, {request} taken as the turn"),
        }
    }
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
    /// The policy's rules that fired, in order.
    pub rules: Vec<Rule>,
}

/// The dialogue policy over a [`FlowSet`].
#[derive(Debug, Clone)]
pub struct Tracker {
    pub flows: FlowSet,
}

pub(crate) struct Turn<'a> {
    pub(crate) index: usize,
    pub(crate) input: &'a UserTurn,
    pub(crate) runner: &'a mut dyn ActionRunner,
    pub(crate) out: TurnOutcome,
    /// The bot asked the user something this turn (a slot, a confirmation, an offered value).
    pub(crate) asked: bool,
    /// Values of the message before that no flow took ("10 days from 12月21日", then "annual
    /// leave"): the flow this turn starts is offered them.
    pub(crate) earlier: Vec<TurnEntity>,
}

impl Turn<'_> {
    pub(crate) fn say(&mut self, response: impl Into<String>, slots: BTreeMap<String, Value>) {
        self.out.outputs.push(Output::Say { response: response.into(), slots });
    }

    pub(crate) fn rule(&mut self, rule: Rule) {
        self.out.rules.push(rule);
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
        let migrated = self.migrate(state);
        let (input, filler) = self.without_filler(state, input);
        let active = state.active_flow().map(str::to_string);
        let claimed = self.with_unclaimed_values(active.as_deref(), &input);
        let earlier = std::mem::take(&mut state.unclaimed);
        let mut turn = Turn { index: state.turns.len(), input: &claimed, runner, out: TurnOutcome::default(), asked: false, earlier };
        for rule in migrated {
            if let Rule::FlowRetired { flow } = &rule {
                turn.say("flow_retired", flow_slot(&flow.replace('_', " ")));
            }
            turn.rule(rule);
        }
        turn.out.rules.extend(filler);
        if state.handed_off.is_none() {
            self.decide(state, &mut turn);
            for request in input.more.iter().filter(|r| !self.values_for_active(active.as_deref(), r)) {
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
                Output::Text { from, .. } => from.clone(),
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

    /// The turn without a leading yes or no that nothing asked for, when a request follows it
    /// in the message ("ok, where is order 12345?" while the bot waits for a reason), or without
    /// leading words the bot has no reading for where no flow runs: the request becomes the turn
    /// (the whole text kept), with the rule that says so.
    ///
    /// A change of mind is the other kind of lead-in: "no, scratch that. I need to claim $420",
    /// "算了，先帮我驳回EXP-2471", "forget approving that. what's the status of LV-3307?" at a
    /// confirmation — a cancel (with or without a no) before a request for another flow
    /// cancels the active flow and the request starts
    /// (the new request makes a cancel that would be too unsure alone a clear one).
    fn without_filler<'a>(&self, state: &DialogueState, input: &'a UserTurn) -> (std::borrow::Cow<'a, UserTurn>, Option<Rule>) {
        let settings = &self.flows.settings;
        // An optional question ("anything else you'd like to tell us?") takes a no as well.
        let optional = |f: &Frame| f.requested.as_ref().and_then(|s| self.flows.slots.get(s)).is_some_and(|d| d.optional);
        let asked_yes_no = state.frames.last().is_some_and(|f| f.confirming || f.offered.is_some() || optional(f));
        // Where a yes or no is awaited, the request after the cancel must be another flow's in
        // its values too: "no wait, Priya Patel should approve this one" corrects the contract.
        let speaks_of_another = |switch: &UserTurn| !asked_yes_no || !self.values_for_active(state.active_flow(), &switch.more[0]);
        if let Some(switch) = self.change_of_mind(state, input).filter(speaks_of_another) {
            return (std::borrow::Cow::Owned(switch), None);
        }
        let yes_no = input.intent == settings.affirm || input.intent == settings.deny;
        // Where nothing is asked, words the bot has no reading for are the request's context
        // ("it's been over a week, honestly i just want a refund now"), not a message to miss.
        let context = state.frames.is_empty() && self.flows.flow_for_intent(&input.intent).is_none() && !settings.is_special(&input.intent);
        // There a request in a value and a word is the message's only one ("Third one today.
        // Reject LV-2093."): no other request is there for the value to belong to.
        let starts = |next: &UserTurn| match context {
            true => self.flows.flow_for_intent(&next.intent).is_some() && next.confidence >= settings.digression_confidence,
            false => self.request_flow(next).is_some(),
        };
        match input.more.first().filter(|next| (yes_no && !asked_yes_no || context) && starts(next)) {
            Some(next) => {
                let mut promoted = UserTurn { text: input.text.clone(), more: input.more[1..].to_vec(), ..next.clone() };
                promoted.entities.extend(input.entities.iter().cloned());
                let rule = Rule::Filler { intent: input.intent.clone(), request: next.intent.clone() };
                (std::borrow::Cow::Owned(promoted), Some(rule))
            }
            None => (std::borrow::Cow::Borrowed(input), None),
        }
    }

    /// A further request from the same utterance.
    /// The turn as one cancel, sure as the request after it, when the message leads with
    /// cancel (and no / yes) before a request for a flow other than the active one.
    fn change_of_mind(&self, state: &DialogueState, input: &UserTurn) -> Option<UserTurn> {
        let settings = &self.flows.settings;
        let active = state.active_flow()?;
        let spans: Vec<&UserTurn> = std::iter::once(input).chain(&input.more).collect();
        // Besides yes, no and cancel, a few words with no value are a lead-in too ("you know
        // what, forget the complaint, I'd rather have a refund"), whatever they read as. (The
        // first span's text is the whole message's; its own words end where the next begins.)
        let own_text = |i: usize| match (i, input.more.first()) {
            (0, Some(next)) => input.text.find(next.text.as_str()).map_or(input.text.as_str(), |end| &input.text[..end]),
            _ => spans[i].text.as_str(),
        };
        let filler = |i: usize| spans[i].entities.is_empty() && count_words(own_text(i)) <= 3;
        // After a cancel, a request need only be sure enough to be taken where a value is
        // awaited; the switch then makes both clear.
        let flow_of = |s: &UserTurn| self.request_flow_at(s, settings.request_confidence);
        let cancel = spans.iter().position(|s| s.intent == settings.cancel && s.confidence >= settings.request_confidence)?;
        let at = (cancel + 1..spans.len()).find(|&i| flow_of(spans[i]).is_some())?;
        let lead = &spans[..at];
        let lead_in = |i: usize| [&settings.cancel, &settings.deny, &settings.affirm].contains(&&spans[i].intent) || filler(i);
        let request = spans[at];
        if !(0..at).all(lead_in) || flow_of(request) == Some(active) {
            return None;
        }
        let clear = request.confidence.max(settings.digression_confidence);
        let entities = lead.iter().flat_map(|s| s.entities.iter().cloned()).collect();
        let mut more: Vec<UserTurn> = spans[at..].iter().map(|s| UserTurn { more: Vec::new(), ..(*s).clone() }).collect();
        more[0].confidence = clear;
        Some(UserTurn {
            text: input.text.clone(),
            intent: settings.cancel.clone(),
            confidence: clear,
            entities,
            mood: input.mood,
            more,
            alternatives: Vec::new(),
        })
    }

    fn follow_up(&self, state: &mut DialogueState, turn: &mut Turn, request: &UserTurn) {
        // Where no flow runs, a further request interrupts nothing: sure enough is enough
        // ("Hi there, hope you're well. I'm starting to wonder where my boots have got to").
        let settings = &self.flows.settings;
        let min = if state.frames.is_empty() { settings.request_confidence } else { settings.digression_confidence };
        let Some(flow) = self.request_flow_at(request, min).map(str::to_string) else { return };
        if state.frames.iter().any(|f| f.flow == flow) || self.done_again(state, turn, &flow, request) {
            return;
        }
        // Values said elsewhere in the utterance count too ("where is my order 12345 and can I
        // change its address"), for kinds of entity this request does not name itself.
        let mut request = request.clone();
        let borrowed: Vec<TurnEntity> =
            turn.input.entities.iter().filter(|e| !request.entities.iter().any(|own| own.entity == e.entity)).cloned().collect();
        request.entities.extend(borrowed);
        let earlier = std::mem::take(&mut turn.earlier);
        let mut sub = Turn { index: turn.index, input: &request, runner: &mut *turn.runner, out: TurnOutcome::default(), asked: false, earlier };
        let needs_nothing = self.flows.flow_slots(&flow).is_empty();
        if needs_nothing || !turn.asked {
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
        turn.out.rules.extend(out.rules);
        turn.asked |= sub.asked;
    }

    /// Whether the request asks again for a flow this very message completed, with nothing new
    /// ("ok, yes approve APR-1555" at its confirmation): the yes did it.
    fn done_again(&self, state: &DialogueState, turn: &Turn, flow: &str, request: &UserTurn) -> bool {
        if !turn.out.completed.iter().any(|f| f == flow) {
            return false;
        }
        let mut done = Frame::new(flow);
        done.slots = state.settled.clone();
        request.entities.iter().all(|e| self.repeats_a_value(&done, e))
    }

    /// The flow a further request of the message starts on its own: a flow-starting intent at
    /// least `digression_confidence` sure, said in more than a value and one word ("订单12345",
    /// "order 12345" after "I want a refund" are the refund's order, not a request).
    pub(crate) fn request_flow(&self, request: &UserTurn) -> Option<&str> {
        self.request_flow_at(request, self.flows.settings.digression_confidence)
    }

    /// The flow a further request starts when it is at least `min` sure.
    fn request_flow_at(&self, request: &UserTurn, min: f32) -> Option<&str> {
        self.flows.flow_for_intent(&request.intent).filter(|_| request.confidence >= min && !value_and_a_word(request))
    }

    /// The turn with the values of the message's further spans that are no request of their
    /// own ("no, make it 45": a value; "我要退款，订单12345": a request too unsure to start a
    /// flow) or a request for the active flow ("no wait, Priya Patel should approve this one"
    /// at the contract's confirmation): the first request takes them, so that no value said is
    /// lost. A cancel takes none of the active flow's: they go with it ("never mind, the
    /// contract can wait. I need to reject LV-4410" gives the rejection no reason).
    fn with_unclaimed_values<'a>(&self, active: Option<&str>, input: &'a UserTurn) -> std::borrow::Cow<'a, UserTurn> {
        let cancelled = |r: &UserTurn| input.intent == self.flows.settings.cancel && self.flows.flow_for_intent(&r.intent) == active;
        let unclaimed = input
            .more
            .iter()
            .filter(|r| !cancelled(r))
            .filter(|r| self.request_flow(r).is_none_or(|flow| Some(flow) == active) || self.values_for_active(active, r))
            .flat_map(|r| r.entities.iter().cloned());
        let mut entities = input.entities.clone();
        entities.extend(unclaimed);
        if entities.len() == input.entities.len() {
            return std::borrow::Cow::Borrowed(input);
        }
        std::borrow::Cow::Owned(UserTurn { entities, ..input.clone() })
    }

    /// Whether a further span that reads as another flow's request only gives values the
    /// active flow takes and that flow does not ("no wait, Priya Patel should approve this one"
    /// at a contract's confirmation reads as approving a request, which takes no approver):
    /// then it speaks of the active flow, and its values are the active flow's.
    fn values_for_active(&self, active: Option<&str>, span: &UserTurn) -> bool {
        let (Some(active), Some(flow)) = (active, self.request_flow(span)) else { return false };
        let takes = |flow: &str, e: &TurnEntity| self.flows.flow_slots(flow).iter().any(|s| e.readings().any(|(kind, _)| self.accepts(s, kind)));
        flow != active && !span.entities.is_empty() && !span.entities.iter().any(|e| takes(flow, e)) && span.entities.iter().any(|e| takes(active, e))
    }

    pub(crate) fn over_retry_cap(&self, state: &DialogueState) -> bool {
        state.active().is_some_and(|f| f.retries.values().any(|&r| r >= self.flows.settings.max_retries))
    }

    /// Starts `flow` on top of the stack (the active one, if any, is interrupted).
    pub(crate) fn start(&self, state: &mut DialogueState, turn: &mut Turn, flow: &str) {
        let mut frame = Frame::new(flow);
        let (_, invalid) = self.fill(&mut frame, turn, false);
        self.fill_after_colon(&mut frame, turn);
        self.fill_from_earlier(&mut frame, turn);
        state.frames.push(frame);
        self.take_referred(state, turn);
        if invalid && self.over_retry_cap(state) {
            return self.hand_off(state, turn, crate::policy::CANNOT_GIVE_A_VALUE);
        }
        self.run(state, turn);
    }

    /// Empty slots of a starting flow take the values of the message before, which no flow
    /// took (only values that fit; nothing is asked or refused about them).
    fn fill_from_earlier(&self, frame: &mut Frame, turn: &mut Turn) {
        let earlier = std::mem::take(&mut turn.earlier);
        if earlier.is_empty() {
            return;
        }
        let before = frame.slots.len();
        let input = UserTurn {
            text: String::new(),
            intent: String::new(),
            confidence: 0.0,
            entities: earlier,
            mood: Mood::Statement,
            more: Vec::new(),
            alternatives: Vec::new(),
        };
        let mut sub =
            Turn { index: turn.index, input: &input, runner: &mut *turn.runner, out: TurnOutcome::default(), asked: false, earlier: Vec::new() };
        self.fill_empty(frame, &mut sub);
        if frame.slots.len() > before {
            let slots: Vec<String> = sub.out.filled.keys().cloned().collect();
            turn.out.filled.extend(sub.out.filled);
            turn.rule(Rule::Remembered { slots });
        }
    }

    /// Runs the active flow until it needs the user (or ends).
    pub(crate) fn run(&self, state: &mut DialogueState, turn: &mut Turn) {
        loop {
            let Some(frame) = state.frames.last_mut() else { return };
            let Some(program) = self.flows.programs.get(&frame.flow) else {
                // Only a state the flows were never migrated to can get here: close the flow.
                state.frames.pop();
                continue;
            };
            let Some(op) = program.get(frame.pc).cloned() else {
                let Some(done) = state.frames.pop() else { return };
                self.settle(state, &done);
                turn.out.completed.push(done.flow);
                return self.resume(state, turn);
            };
            match op {
                Op::Collect(slot) => {
                    if frame.slots.contains_key(&slot) {
                        frame.pc += 1;
                        frame.requested = None;
                        continue;
                    }
                    frame.requested = Some(slot.clone());
                    turn.asked = true;
                    if !frame.declined.contains(&slot)
                        && let Some(carried) = self.carried(state, &slot)
                    {
                        return self.offer(state, turn, &slot, carried);
                    }
                    let Some(frame) = state.frames.last() else { return };
                    turn.say(self.flows.ask_response(&slot), frame.values());
                    return;
                }
                Op::Confirm(response) => {
                    if frame.confirmed {
                        frame.confirmed = false;
                        frame.pc += 1;
                    } else {
                        frame.confirming = true;
                        frame.requested = None;
                        turn.asked = true;
                        let values = frame.values();
                        turn.say(response, values);
                        return;
                    }
                }
                Op::Action(action) => {
                    let flow = frame.flow.clone();
                    match turn.runner.run(&action, &flow, &frame.values()) {
                        Ok(answer) => {
                            for (name, value) in answer.fields {
                                // An action clears a slot with null (Rasa's `SlotSet(name, None)`).
                                if value.is_null() {
                                    frame.slots.remove(&name);
                                    continue;
                                }
                                let text = display(&value);
                                frame.slots.insert(
                                    name,
                                    SlotValue {
                                        value: text,
                                        normalized: value,
                                        turn: turn.index,
                                        confidence: 1.0,
                                        source: format!("action:{action}"),
                                    },
                                );
                            }
                            turn.out.actions.push(action);
                            turn.out.outputs.extend(answer.said);
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
                Op::Handoff(reason) => {
                    // The steps after it wait for the bot to resume; a flow with none left is
                    // done (a person took it over), and the summary still shows it.
                    frame.pc += 1;
                    while let Some(Op::Jump(target)) = program.get(frame.pc) {
                        frame.pc = *target;
                    }
                    let done = frame.pc >= program.len();
                    self.hand_off(state, turn, &reason);
                    if done && let Some(finished) = state.frames.pop() {
                        self.settle(state, &finished);
                        turn.out.completed.push(finished.flow);
                    }
                    return;
                }
                Op::JumpUnless(cond, target) => {
                    frame.pc = if cond.holds(&frame.values()) { frame.pc + 1 } else { target };
                }
                Op::Jump(target) => frame.pc = target,
            }
        }
    }

    /// Continues the interrupted flow, if there is one, with its slots as they were — or starts
    /// the one the user asked for next.
    pub(crate) fn resume(&self, state: &mut DialogueState, turn: &mut Turn) {
        if let Some(frame) = state.frames.last_mut() {
            let response = if std::mem::take(&mut frame.queued) { "next_request" } else { "resume_flow" };
            turn.say(response, flow_slot(&self.flows.description(&frame.flow)));
            self.run(state, turn);
        }
    }

    pub(crate) fn hand_off(&self, state: &mut DialogueState, turn: &mut Turn, reason: &str) {
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
    /// What to say to a message with nothing in it (empty or blank): the question waiting for
    /// the user again, else what the bot can do; nothing while a human has the conversation.
    /// The state is untouched: such a message is no turn.
    pub fn reprompt(&self, state: &DialogueState) -> Vec<Output> {
        if state.handed_off.is_some() {
            return Vec::new();
        }
        let waiting = state.frames.last().and_then(|frame| {
            let program = self.flows.programs.get(&frame.flow)?;
            let response = match (&frame.requested, program.get(frame.pc)) {
                (_, Some(Op::Confirm(response))) if frame.confirming => response.clone(),
                (Some(slot), _) => self.flows.ask_response(slot),
                _ => return None,
            };
            Some(Output::Say { response, slots: frame.values() })
        });
        vec![waiting.unwrap_or(Output::Say { response: "capabilities".into(), slots: BTreeMap::new() })]
    }

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

pub(crate) fn flow_slot(description: &str) -> BTreeMap<String, Value> {
    BTreeMap::from([("flow".to_string(), json!(description))])
}

/// Whether a span is its values and at most one word besides.
fn value_and_a_word(span: &UserTurn) -> bool {
    span.words_besides_values().is_some_and(|words| words <= 1)
}

impl UserTurn {
    /// Whether the message asks for something: a request or a question.
    pub(crate) fn asks(&self) -> bool {
        self.mood != Mood::Statement
    }

    /// How many words the text has besides its values (a run of Chinese characters counts a
    /// word per two characters), or `None` when it has no values.
    pub(crate) fn words_besides_values(&self) -> Option<usize> {
        if self.entities.is_empty() {
            return None;
        }
        let rest = self.entities.iter().fold(self.text.clone(), |text, e| text.replacen(&e.value, " ", 1));
        Some(count_words(&rest))
    }
}

/// Words in a text; a run of Chinese characters counts one word for every two.
pub(crate) fn count_words(text: &str) -> usize {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| if w.is_ascii() { 1 } else { w.chars().count().div_ceil(2) }).sum()
}
