//! The policy's decisions for one user turn, by where the conversation stands: no flow, a
//! carried value offered, a confirmation, or a question waiting for a value. Each decision is a
//! general rule (a [`Rule`] names the ones worth explaining), never a list of phrases.

use std::collections::BTreeMap;

use serde_json::json;

use crate::state::{DialogueState, Frame};
use crate::tracker::{Mood, Rule, Tracker, Turn, TurnEntity, UserTurn, count_words, flow_slot};

/// What the turn's intent means to the policy.
struct Reading {
    /// The flow the intent starts, if any.
    flow: Option<String>,
    /// At least `digression_confidence`: may leave or interrupt the active flow.
    confident: bool,
    /// At least `request_confidence`: taken as a request where the bot waits for a value.
    sure: bool,
}

/// Words a message needs to be taken as an answer of its own to the question after an offer.
const ANSWER_WORDS: usize = 4;

pub(crate) const CANNOT_GIVE_A_VALUE: &str = "the customer could not give a valid value after repeated attempts";

impl Tracker {
    fn reading(&self, turn: &Turn) -> Reading {
        let settings = &self.flows.settings;
        Reading {
            flow: self.flows.flow_for_intent(&turn.input.intent).map(str::to_string),
            confident: turn.input.confidence >= settings.digression_confidence,
            sure: turn.input.confidence >= settings.request_confidence,
        }
    }

    fn is(&self, turn: &Turn, intent: impl Fn(&crate::Settings) -> &String) -> bool {
        turn.input.intent == *intent(&self.flows.settings)
    }

    fn is_yes_or_no(&self, turn: &Turn) -> bool {
        self.is(turn, |s| &s.affirm) || self.is(turn, |s| &s.deny)
    }

    pub(crate) fn decide(&self, state: &mut DialogueState, turn: &mut Turn) {
        let reading = self.reading(turn);
        let in_flow = !state.frames.is_empty();
        // Asking for a person, anywhere in the message, is never stored as an answer; it takes a
        // sure request, in a flow or not: a hand-off costs a person's time and silences the bot,
        // so a vague "can you help" is not one. Leaving a flow (cancel) takes a confident
        // intent, so that a vague match does not throw away what the user said.
        let settings = &self.flows.settings;
        let asks_for_a_person = |t: &UserTurn| t.intent == settings.handoff && t.confidence >= settings.request_confidence;
        if !self.states_an_answer(state, turn) && std::iter::once(turn.input).chain(&turn.input.more).any(asks_for_a_person) {
            return self.hand_off(state, turn, "the customer asked for a human");
        }
        if self.is(turn, |s| &s.cancel) && (reading.confident || !in_flow) && !self.gives_requested_value(state, turn) {
            return self.cancel(state, turn);
        }
        let Some(frame) = state.frames.last() else { return self.idle(state, turn, &reading) };
        if let Some(slot) = frame.offered.clone() {
            return self.answer_offer(state, turn, &reading, &slot);
        }
        if frame.confirming { self.confirming(state, turn, &reading) } else { self.collecting(state, turn, &reading) }
    }

    /// Cancel closes the active flow; with another request in the same message ("scratch
    /// that, I need to submit an expense") that request starts next, instead of the flow beneath.
    /// The task is dropped, not what the user said about it: its order number or request id is
    /// offered to the next flow that needs one ("forget the refund, change the address" — "For
    /// order 46631?").
    fn cancel(&self, state: &mut DialogueState, turn: &mut Turn) {
        let Some(frame) = state.frames.pop() else { return turn.say("nothing_to_cancel", BTreeMap::new()) };
        self.settle(state, &frame);
        turn.say("flow_cancelled", flow_slot(&self.flows.description(&frame.flow)));
        match turn.input.more.iter().find_map(|r| self.request_flow(r)) {
            Some(flow) => turn.rule(Rule::Switched { from: frame.flow, to: flow.to_string() }),
            None => self.resume(state, turn),
        }
    }

    /// No flow is active: start the one asked for, or say what the bot can do (keeping the
    /// message's values for a flow the next message may start).
    fn idle(&self, state: &mut DialogueState, turn: &mut Turn, reading: &Reading) {
        if let Some(referred) = self.referred_flow(state, turn, reading.flow.as_deref()) {
            let read_as = reading.flow.clone().unwrap_or_else(|| turn.input.intent.clone());
            turn.rule(Rule::ReferredFlow { read_as, flow: referred.clone() });
            return self.start(state, turn, &referred);
        }
        if let Some(flow) = &reading.flow {
            return self.start(state, turn, flow);
        }
        // A yes with nothing to confirm may still bring the value ("yes, 55120").
        if (!self.flows.settings.is_special(&turn.input.intent) || self.is(turn, |s| &s.affirm))
            && let Some((slot, flow)) = self.value_flow(turn)
        {
            turn.rule(Rule::ValueStarted { slot, flow: flow.clone() });
            return self.start(state, turn, &flow);
        }
        state.unclaimed = turn.input.entities.clone();
        if self.is_yes_or_no(turn) {
            return turn.say("nothing_to_confirm", BTreeMap::new());
        }
        // A second miss in a row: what the bot can do, with an example of each.
        let misses = 1 + state.turns.iter().rev().take_while(|t| t.flow.is_none() && t.responses.iter().any(|r| is_miss(r))).count();
        if misses >= 2 {
            turn.rule(Rule::Recovery { misses });
            return turn.say("capabilities", BTreeMap::new());
        }
        turn.say("out_of_scope", BTreeMap::new());
    }

    /// A value settled earlier was offered for `slot`: yes takes it, no asks plainly, a value
    /// fills the slot. A message that is none of these but answers the question after it, in
    /// words of its own ("For order 48213?" — "the jug came cracked on arrival"), takes the offer
    /// as read and answers that one; anything else ("that one yes") is handled as an answer to
    /// the offered slot's question.
    fn answer_offer(&self, state: &mut DialogueState, turn: &mut Turn, reading: &Reading, slot: &str) {
        let Some(frame) = state.frames.last_mut() else { return };
        frame.offered = None;
        if turn.input.entities.is_empty() && reading.sure {
            if self.is(turn, |s| &s.affirm) {
                self.accept_offer(state, turn, slot);
                return self.run(state, turn);
            }
            if self.is(turn, |s| &s.deny) || self.is(turn, |s| &s.dont_know) {
                frame.declined.push(slot.to_string());
                return self.run(state, turn);
            }
        }
        let elsewhere = reading.flow.as_ref().is_some_and(|f| *f != frame.flow && reading.confident);
        let own_words = count_words(&turn.input.text) >= ANSWER_WORDS;
        if own_words && !elsewhere && !self.is_yes_or_no(turn) && !self.gives_value_for(turn, slot) {
            let next = self.flows.question_after(&frame.flow, frame.pc, |s| frame.slots.contains_key(s));
            if let Some((at, next)) = next {
                self.accept_offer(state, turn, slot);
                if let Some(frame) = state.frames.last_mut() {
                    (frame.pc, frame.requested) = (at, Some(next.clone()));
                }
                turn.rule(Rule::OfferTakenAsRead { slot: slot.to_string(), next });
            }
        }
        self.collecting(state, turn, reading)
    }

    /// Whether the message holds a value that fits the slot asked for, one an entity gives (not
    /// the whole text), and no further request: "changed my mind about the blender, don't need
    /// it anymore. 49.99" asked for the amount answers it, whatever its words sound like
    /// ("forget that, I need to claim an expense - 45 taxi, yesterday" is a switch).
    fn gives_requested_value(&self, state: &DialogueState, turn: &Turn) -> bool {
        let Some(slot) = state.frames.last().and_then(|f| f.requested.as_deref()) else { return false };
        if turn.input.more.iter().any(|r| self.request_flow(r).is_some()) {
            return false;
        }
        turn.input.entities.iter().any(|e| self.reads_as_value(slot, e))
    }

    /// Whether the message holds a value for `slot`: a reading it takes, or (for a text slot)
    /// the whole message as a value it accepts.
    fn gives_value_for(&self, turn: &mut Turn, slot: &str) -> bool {
        let read = turn.input.entities.iter().any(|e| e.readings().any(|(kind, _)| self.accepts(slot, kind)));
        let text = json!(turn.input.text.clone());
        read || self.flows.slots.get(slot).is_some_and(|d| matches!(d.kind, crate::SlotType::Text)) && self.check(turn, slot, &text, None).is_ok()
    }

    /// Waiting for yes or no. A value changes the summary (with or without a "no"), and the
    /// confirmation is asked again; naming a value without giving one asks for it again.
    fn confirming(&self, state: &mut DialogueState, turn: &mut Turn, reading: &Reading) {
        let Some(frame) = state.frames.last_mut() else { return };
        // A confident request for another flow is a digression with its own values ("before I
        // say yes, where is order 10293999?"), not a correction of this one's.
        // One that needs nothing (thanks, an FAQ) leaves the values to this one ("ok thanks. 4 days").
        // A new value that only this flow takes, with none for the other, is a correction in
        // the other's words ("let's have Aisha Khan approve it instead" at a contract's summary).
        // So is one that changes a value of this flow and does not name the other ("sorry make
        // that EXP-5502, typo" at "Approve request EXP-5520?", read as a rejection).
        let unnamed_change = |flow: &str| self.changes_a_value(frame, turn) && !self.names_flow(flow, &turn.input.text);
        let own_values = |flow: &str| {
            (!self.flows.answers_at_once(flow) || turn.input.entities.is_empty()) && !self.corrects_only(frame, flow, turn) && !unnamed_change(flow)
        };
        if let Some(flow) = reading.flow.as_ref().filter(|f| **f != frame.flow && reading.confident && !self.is_yes_or_no(turn) && own_values(f)) {
            return self.interrupt(state, turn, flow);
        }
        // A free-text value said again with a part changed, with or without a yes or no (its
        // numbers are its own: "the 3 handles snapped" changes no amount).
        if let Some((slot, value)) = self.restated(frame, turn.input) {
            let _ = self.set(frame, turn, &slot, &value, &json!(value), "text");
            return self.run(state, turn);
        }
        let (changed, invalid) = self.fill(frame, turn, false);
        if changed || invalid {
            return self.run(state, turn);
        }
        if self.is(turn, |s| &s.affirm) {
            frame.confirming = false;
            frame.confirmed = true;
            return self.run(state, turn);
        }
        if self.is(turn, |s| &s.deny) {
            let flow = frame.flow.clone();
            state.frames.pop();
            turn.say("confirmation_denied", flow_slot(&self.flows.description(&flow)));
            return self.resume(state, turn);
        }
        if let Some(flow) =
            reading.flow.as_ref().filter(|f| **f != frame.flow && (reading.confident || reading.sure && self.flows.answers_at_once(f)))
        {
            return self.interrupt(state, turn, flow);
        }
        if let Some((slot, value)) = self.renamed(frame, &turn.input.text, false) {
            let _ = self.set(frame, turn, &slot, &value, &json!(value), "text");
            return self.run(state, turn);
        }
        if let Some(slot) = self.named_slot(&frame.flow, &turn.input.text, |s| frame.slots.contains_key(s)) {
            // Ask for it again; the new value brings the confirmation back (the old one is gone,
            // so it can never be submitted).
            frame.slots.remove(&slot);
            frame.confirming = false;
            frame.pc = self.flows.collect_step(&frame.flow, &slot).unwrap_or(frame.pc);
            frame.requested = Some(slot.clone());
            turn.asked = true;
            let values = frame.values();
            turn.say(self.flows.ask_response(&slot), values);
            return turn.rule(Rule::CorrectionAsked { slot });
        }
        // The flow's own request again, with nothing to change ("yes go ahead with the refund"),
        // asks for what the confirmation offers: a yes.
        if reading.flow.as_deref() == Some(frame.flow.as_str()) && reading.sure && turn.input.entities.is_empty() {
            turn.rule(Rule::Reasserted { flow: frame.flow.clone() });
            frame.confirming = false;
            frame.confirmed = true;
            return self.run(state, turn);
        }
        turn.say("please_confirm", BTreeMap::new());
        self.run(state, turn)
    }

    /// Waiting for a value (or nothing in particular). A confident request for another flow
    /// interrupts, with its own values; a request, yes/no or small talk is answered rather than
    /// stored as a free-text answer; only real attempts count towards the retry cap.
    fn collecting(&self, state: &mut DialogueState, turn: &mut Turn, reading: &Reading) {
        let states = self.states_an_answer(state, turn);
        let Some(frame) = state.frames.last_mut() else { return };
        let active = frame.flow.clone();
        let requested = frame.requested.clone();
        if let Some((slot, value)) = requested.as_deref().and_then(|slot| self.intent_value(slot, turn, reading)) {
            frame.slots.insert(
                slot.to_string(),
                crate::state::SlotValue {
                    value: turn.input.text.clone(),
                    normalized: value,
                    turn: turn.index,
                    confidence: turn.input.confidence,
                    source: "intent".into(),
                },
            );
            turn.out.filled.insert(slot.to_string(), (turn.input.text.clone(), "intent".into()));
            return self.run(state, turn);
        }
        // An answer to the question wins: another flow interrupts only when the message gives
        // no value the asked-for slot takes as read ("APR-1077" answers "Which request?"
        // whatever it sounds like) — or, read another way, when the message is nothing but
        // the value ("28500" answers "What's the amount?", "where is order 12346" does not).
        // A text slot of this flow named with its value ("ok. The reason is the machine makes
        // very loud noise" asked for the amount) is this flow's, whatever the words read as.
        let named = if self.is(turn, |s| &s.cancel) { None } else { self.renamed(frame, &turn.input.text, true) };
        if let Some((slot, value)) = named.filter(|(s, _)| requested.as_ref() != Some(s)) {
            let _ = self.set(frame, turn, &slot, &value, &json!(value), "text");
            return self.run(state, turn);
        }
        let bare = bare_value(turn.input);
        let answers = requested.as_deref().is_some_and(|slot| {
            turn.input.entities.iter().any(|e| e.readings().take(if bare { usize::MAX } else { 1 }).any(|(kind, _)| self.accepts(slot, kind)))
        });
        let free_text = requested.as_deref().is_some_and(|s| self.is_free_text(s));
        let describes = |flow: &str| free_text && self.describes_for_both(flow, &turn.input.text);
        // A statement where the user's own words are awaited is the answer, whatever it reads
        // as ("it's over the meal allowance" asked why a request is rejected); a question or a
        // request is not, nor (for a flow with questions of its own) a message that names the
        // flow it asks for ("ok, approve it then").
        let answered = |flow: &str| states && (self.flows.answers_at_once(flow) || !self.names_flow(flow, &turn.input.text));
        // A question or request that brings another flow's own value is that flow's, whatever
        // else it holds ("oh quick one — what's the status of LV-3003?" asked how many days).
        let brings_its_own = |flow: &str| turn.input.asks() && self.brings_own_value(flow, requested.as_deref(), turn);
        let leaves = |flow: &str| !answers || brings_its_own(flow);
        // The other way round, a question there need only be sure: "wait, what else is in my
        // queue?" is no reason for a rejection (a request may be: "please hire more staff").
        let asked = free_text && turn.input.mood == Mood::Question && reading.sure;
        let clear = reading.confident || asked;
        if let Some(flow) = reading.flow.as_ref().filter(|f| **f != active && clear && leaves(f) && !describes(f) && !answered(f)) {
            return self.interrupt(state, turn, flow);
        }
        // Where the user's own words are the answer ("wrong size", "ok thanks, the lamp was
        // dented", a company's name: "Hooli Inc"), only a confident question, yes or no is
        // taken as one.
        let own_words = requested.as_deref().is_some_and(|s| self.takes_any_text(s));
        let sure_enough = reading.confident || !own_words;
        let answers_at_once =
            (sure_enough || asked) && reading.flow.as_ref().is_some_and(|f| *f != active && self.flows.answers_at_once(f) && !answered(f));
        // At an optional question a short sure no (or cancel) declines it ("没有了", "nothing else").
        let optional = requested.as_deref().is_some_and(|s| self.flows.slots.get(s).is_some_and(|d| d.optional));
        // A short no, or a no followed by thanks or goodbye ("nope that's all, thanks").
        let closing = |m: &UserTurn| self.request_flow(m).is_some_and(|f| self.flows.answers_at_once(f));
        let short_no = count_words(&turn.input.text) < ANSWER_WORDS || (!turn.input.more.is_empty() && turn.input.more.iter().all(closing));
        let declines = optional && reading.sure && short_no && (self.is(turn, |s| &s.deny) || self.is(turn, |s| &s.cancel));
        // "ok, reason is the charger doesn't work" where a reason is awaited: the yes only leads
        // into the answer (the rest of the message, words enough for one, starts no flow).
        let rest = &turn.input.more;
        let lead_in = own_words
            && self.is(turn, |s| &s.affirm)
            && !rest.is_empty()
            && rest.iter().all(|m| self.request_flow(m).is_none() && count_words(&m.text) >= ANSWER_WORDS);
        let yes_no = (sure_enough && self.is_yes_or_no(turn) && !lead_in) || declines;
        let unknown = sure_enough && self.is(turn, |s| &s.dont_know);
        // Values the frame already holds add nothing: "yes, LV-3310" asked why LV-3310 is
        // rejected is a yes out of place, not the reason.
        let nothing_new = turn.input.entities.iter().all(|e| self.repeats_a_value(frame, e));
        let request = reading.sure && nothing_new && (answers_at_once || yes_no || unknown);
        let (changed, invalid) = self.fill(frame, turn, !request);
        if changed || invalid {
            if invalid && self.over_retry_cap(state) {
                return self.hand_off(state, turn, CANNOT_GIVE_A_VALUE);
            }
            return self.run(state, turn);
        }
        let Some(slot) = requested else {
            turn.say("out_of_scope", BTreeMap::new());
            return self.run(state, turn);
        };
        if reading.flow.as_deref() == Some(active.as_str()) {
            return self.run(state, turn);
        }
        if request && answers_at_once {
            turn.rule(Rule::RequestOverAnswer { intent: turn.input.intent.clone(), slot });
            let flow = reading.flow.clone().unwrap_or_default();
            return self.start(state, turn, &flow);
        }
        if request && (declines || self.is(turn, |s| &s.deny) || unknown) && optional {
            frame.slots.insert(
                slot.clone(),
                crate::state::SlotValue {
                    value: turn.input.text.clone(),
                    normalized: json!(""),
                    turn: turn.index,
                    confidence: turn.input.confidence,
                    source: "declined".into(),
                },
            );
            turn.rule(Rule::Declined { slot });
            return self.run(state, turn);
        }
        if request && unknown {
            return self.value_unknown(state, turn, &slot);
        }
        if request {
            turn.rule(Rule::OutOfPlace { intent: turn.input.intent.clone(), slot: slot.clone() });
            turn.say("still_need", BTreeMap::from([("slot".to_string(), json!(self.flows.label(&slot)))]));
            return self.run(state, turn);
        }
        self.not_understood(state, turn, &slot)
    }

    /// Another flow begins over the active one, with the turn's values: the active flow waits
    /// (the user is told when it has answers worth keeping) and resumes after it.
    fn interrupt(&self, state: &mut DialogueState, turn: &mut Turn, flow: &str) {
        if let Some(active) = state.frames.last()
            && !self.flows.answers_at_once(flow)
            && !active.slots.is_empty()
        {
            turn.rule(Rule::Parked { flow: active.flow.clone(), by: flow.to_string() });
            turn.say("flow_parked", flow_slot(&self.flows.description(&active.flow)));
        }
        self.start(state, turn, flow)
    }

    /// Whether a message given at a free-text question is a description that `flow` would
    /// take as its own first answer too ("I was charged twice" asked why a refund is wanted
    /// reads as a complaint, whose first question is what happened): it then answers the
    /// question asked, unless it names `flow` ("I'd rather file a complaint").
    fn describes_for_both(&self, flow: &str, text: &str) -> bool {
        let first_is_free_text = self.flows.flow_slots(flow).first().is_some_and(|slot| self.is_free_text(slot));
        first_is_free_text && !self.names_flow(flow, text)
    }

    /// Whether the message is a statement where the user's own words are awaited: the answer,
    /// whatever it reads as ("it's over the meal allowance" asked why a request is rejected),
    /// or a name written as one ("Blue Harbor Shipping" asked for the counterparty).
    fn states_an_answer(&self, state: &DialogueState, turn: &Turn) -> bool {
        let requested = state.frames.last().and_then(|f| f.requested.as_deref());
        let text = &turn.input.text;
        let own_words = requested.is_some_and(|s| self.is_free_text(s)) && count_words(text) >= ANSWER_WORDS;
        let a_name = requested.is_some_and(|s| self.takes_any_text(s)) && is_proper_name(text);
        !turn.input.asks() && (own_words || a_name)
    }

    /// The value a sure message's intent gives the asked-for slot (`from_intent`), if any.
    fn intent_value<'a>(&self, slot: &'a str, turn: &Turn, reading: &Reading) -> Option<(&'a str, serde_json::Value)> {
        let def = self.flows.slots.get(slot)?;
        reading.sure.then(|| def.from_intent.get(&turn.input.intent)).flatten().map(|v| (slot, v.clone()))
    }

    /// Whether the message brings a new value for one of `frame`'s slots and none that
    /// `other`'s slots take: it changes this flow, whatever flow its words sound like.
    fn corrects_only(&self, frame: &Frame, other: &str, turn: &Turn) -> bool {
        let theirs = self.flows.flow_slots(other);
        self.changes_a_value(frame, turn) && !turn.input.entities.iter().any(|e| self.fits(&theirs, e))
    }

    /// Whether the message brings a new value for one of `frame`'s slots.
    fn changes_a_value(&self, frame: &Frame, turn: &Turn) -> bool {
        let ours = self.flows.flow_slots(&frame.flow);
        turn.input.entities.iter().any(|e| self.fits(&ours, e) && !self.repeats_a_value(frame, e))
    }

    fn fits(&self, slots: &[&str], entity: &TurnEntity) -> bool {
        entity.readings().any(|(kind, _)| slots.iter().any(|s| self.accepts(s, kind)))
    }

    /// Whether the message holds a value one of `flow`'s slots takes that `requested` does not.
    fn brings_own_value(&self, flow: &str, requested: Option<&str>, turn: &Turn) -> bool {
        let slots = self.flows.flow_slots(flow);
        turn.input.entities.iter().any(|e| {
            let kind = e.entity.as_str();
            slots.iter().any(|s| self.accepts(s, kind)) && !requested.is_some_and(|r| self.accepts(r, kind))
        })
    }

    /// Whether the text names `flow` by a word of four letters or more of its name or
    /// description ("I'd rather file a complaint", "approve it then").
    pub(crate) fn names_flow(&self, flow: &str, text: &str) -> bool {
        let flow_words: Vec<String> = self.flow_words(flow).into_iter().filter(|w| w.chars().count() >= 4).collect();
        text.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|word| flow_words.iter().any(|w| same_stem(word, w)))
    }

    /// Nothing usable for the requested slot: say so, count the attempt, ask again.
    fn not_understood(&self, state: &mut DialogueState, turn: &mut Turn, slot: &str) {
        let problem = format!("I didn't catch {}", self.flows.label(slot));
        self.failed_attempt(state, turn, slot, None, "slot_not_understood", ("problem", problem));
    }

    /// The user cannot give the value ("I don't know it"): a real attempt, so it counts; the
    /// bot says what it needs and how to get a person, and asks again.
    fn value_unknown(&self, state: &mut DialogueState, turn: &mut Turn, slot: &str) {
        let rule = Rule::ValueUnknown { slot: slot.to_string() };
        self.failed_attempt(state, turn, slot, Some(rule), "value_unknown", ("slot", self.flows.label(slot)));
    }

    /// An attempt at `slot` that gave nothing: counted; at the retry cap a person takes over,
    /// otherwise the bot notes `rule`, says `response` (with its one placeholder) and asks again.
    fn failed_attempt(
        &self,
        state: &mut DialogueState,
        turn: &mut Turn,
        slot: &str,
        rule: Option<Rule>,
        response: &str,
        (name, value): (&str, String),
    ) {
        if let Some(frame) = state.frames.last_mut() {
            *frame.retries.entry(slot.to_string()).or_default() += 1;
        }
        if self.over_retry_cap(state) {
            return self.hand_off(state, turn, CANNOT_GIVE_A_VALUE);
        }
        if let Some(rule) = rule {
            turn.rule(rule);
        }
        turn.say(response, BTreeMap::from([(name.to_string(), json!(value))]));
        self.run(state, turn)
    }

    /// The words that name `flow`: those of its description and its name, lowercase.
    fn flow_words(&self, flow: &str) -> Vec<String> {
        let words = format!("{} {}", self.flows.description(flow), flow.replace('_', " ")).to_lowercase();
        words.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
    }

    /// The one slot of `flow` (among those `filled` says) that the text names by a word of its
    /// label ("the amount is wrong" → the contract amount) or one of its `names` ("审批人").
    pub(crate) fn named_slot(&self, flow: &str, text: &str, filled: impl Fn(&str) -> bool) -> Option<String> {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        // A slot is named by a word of its label of four letters or more ("order number" by
        // "order" or "number"; "new address" by "address", not "new") that does not name the
        // flow itself ("go ahead with the refund" names no refund amount).
        let flow_words = self.flow_words(flow);
        let mut named =
            self.flows.flow_slots(flow).into_iter().filter(|s| filled(s)).filter(|slot| self.says_slot(slot, &lower, &words, &flow_words));
        let first = named.next()?;
        named.next().is_none().then(|| first.to_string())
    }

    /// Whether a message (lowercase, and its words) names `slot` by a word of four letters or
    /// more of its label that is not among `except`, or by one of its `names`.
    pub(crate) fn says_slot(&self, slot: &str, text: &str, words: &[&str], except: &[String]) -> bool {
        let label = self.flows.label(slot).to_lowercase();
        let by_label = label.split_whitespace().filter(|w| w.chars().count() >= 4 && !except.iter().any(|e| e == w)).any(|w| words.contains(&w));
        by_label || self.flows.slots.get(slot).is_some_and(|def| def.names.iter().any(|name| says_name(text, words, &name.to_lowercase())))
    }
}

/// Whether a message (lowercase, and its words) says a name: as a part of the text where the
/// name is written in CJK characters (no spaces between words), else as whole words in a row.
fn says_name(text: &str, words: &[&str], name: &str) -> bool {
    if name.chars().any(words::is_cjk) {
        return text.contains(name);
    }
    let name: Vec<&str> = name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    !name.is_empty() && words.windows(name.len()).any(|run| run == name.as_slice())
}

/// Whether two words are forms of one ("complain", "complaint", "complaining"): equal, or
/// sharing their first six letters or more.
fn same_stem(a: &str, b: &str) -> bool {
    let shared = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    a == b || shared >= 6
}

/// Whether the text is written as a proper name: two capitalised words or more, and every word
/// of four letters or more capitalised ("Blue Harbor Shipping", "Bank of America"; not
/// "Shipping costs").
fn is_proper_name(text: &str) -> bool {
    let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '&').filter(|w| !w.is_empty()).collect();
    let capital = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    words.iter().filter(|w| capital(w)).count() >= 2 && words.iter().filter(|w| w.chars().count() >= 4).all(|w| capital(w))
}

/// Whether the message is its values and nothing else (spaces and punctuation aside).
fn bare_value(input: &UserTurn) -> bool {
    input.words_besides_values() == Some(0)
}

/// Responses that mean the bot did not understand.
fn is_miss(response: &str) -> bool {
    matches!(response, "out_of_scope" | "capabilities")
}

#[cfg(test)]
mod tests {
    use super::is_proper_name;

    #[test]
    fn names_written_as_names() {
        for name in ["Blue Harbor Shipping", "Bank of America", "Initech GmbH", "O'Brien & Sons Ltd"] {
            assert!(is_proper_name(name), "{name}");
        }
        for text in ["Shipping costs", "shipping", "Opening hours", "Northwind", "thanks", "蓝港航运"] {
            assert!(!is_proper_name(text), "{text}");
        }
    }
}
