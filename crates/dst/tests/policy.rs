//! The policy's rules, one branch at a time, on a small domain with a recording action runner
//! (no recognizer: each turn is written as the recognizer would hand it over).

use std::collections::BTreeMap;
use std::path::Path;

use dst::{ActionAnswer, ActionRunner, DialogueState, FlowSet, Mood, Output, Rule, Tracker, TurnEntity, TurnOutcome, UserTurn};
use serde_json::{Value, json};

const FLOWS: &str = r#"Flows(
    settings: (digression_confidence: 0.85, request_confidence: 0.7),
    slots: {
        "order_id": (type: Text, entities: ["order_id"], pattern: Some("^\\d{5}$"), label: Some("the order number"), names: ["单号"], carry: true, offer: Some("offer_order_id")),
        "reason": (type: Text, label: Some("the reason")),
        "amount": (type: Money, entities: ["money", "number"], max: Some(1000.0), label: Some("the amount")),
        "feedback": (type: Text, optional: true),
        "company": (type: Text, entities: ["company"], label: Some("the company")),
        "outside": (type: Text, entities: ["seating"], from_intent: {"affirm": true, "deny": false}),
        "approver": (type: Text, entities: ["approver"], rule: Some("in_directory"), label: Some("the approver")),
    },
    flows: {
        "hours": (intent: "faq_hours", steps: [Say("faq_hours")]),
        "status": (intent: "order_status", description: Some("checking an order"), steps: [Collect("order_id"), Action("lookup"), Say("status")]),
        "refund": (intent: "refund", description: Some("your refund"), steps: [
            Collect("order_id"), Collect("reason"), Collect("amount"), Confirm("confirm_refund"), Action("create_refund"), Say("done"),
        ]),
        "survey": (intent: "survey", steps: [Collect("feedback"), Action("record"), Say("thanks")]),
        "contract": (intent: "contract", steps: [Collect("company"), Action("sign"), Say("signed")]),
        "table": (intent: "book_table", steps: [Collect("outside"), Action("book")]),
        "deal": (intent: "deal", steps: [Collect("company"), Collect("approver"), Action("route")]),
        "claim": (intent: "claim", steps: [Collect("amount"), If(when: Above("amount", 500.0), then: [Handoff("large claim")], otherwise: [Action("pay")])]),
    },
)"#;

/// Records every action with the slots it was called with.
#[derive(Default)]
struct Recorder {
    calls: Vec<(String, BTreeMap<String, Value>)>,
    /// What an action answers (nothing, for one not named).
    answers: BTreeMap<String, ActionAnswer>,
}

impl ActionRunner for Recorder {
    fn run(&mut self, action: &str, _flow: &str, slots: &BTreeMap<String, Value>) -> Result<ActionAnswer, String> {
        self.calls.push((action.to_string(), slots.clone()));
        Ok(self.answers.get(action).cloned().unwrap_or_default())
    }
    fn check(&mut self, _rule: &str, _slot: &str, _value: &Value) -> Result<(), String> {
        Ok(())
    }
}

struct Chat {
    tracker: Tracker,
    state: DialogueState,
    actions: Recorder,
}

impl Chat {
    fn new() -> Self {
        let flows = FlowSet::from_str(Path::new("flows.ron"), FLOWS).expect("test flows load");
        Self { tracker: Tracker::new(flows), state: DialogueState::default(), actions: Recorder::default() }
    }

    fn say(&mut self, turn: UserTurn) -> TurnOutcome {
        self.tracker.handle(&mut self.state, &turn, &mut self.actions)
    }

    fn slot(&self, name: &str) -> Option<Value> {
        self.state.slot(name).map(|v| v.normalized.clone())
    }
}

fn turn(text: &str, intent: &str, confidence: f32) -> UserTurn {
    UserTurn {
        text: text.into(),
        intent: intent.into(),
        confidence,
        entities: Vec::new(),
        mood: Mood::Request,
        more: Vec::new(),
        alternatives: Vec::new(),
    }
}

/// A turn that states rather than asks (`nlu::mood`).
fn stating(text: &str, intent: &str, confidence: f32) -> UserTurn {
    UserTurn { mood: Mood::Statement, ..turn(text, intent, confidence) }
}

fn with(mut turn: UserTurn, entities: Vec<TurnEntity>) -> UserTurn {
    turn.entities = entities;
    turn
}

fn order(id: &str) -> TurnEntity {
    TurnEntity::new("order_id", id, json!(id))
}

fn number(text: &str, n: f64) -> TurnEntity {
    TurnEntity::new("number", text, json!(n))
}

fn responses(out: &TurnOutcome) -> Vec<String> {
    out.outputs
        .iter()
        .map(|o| match o {
            Output::Say { response, .. } => response.clone(),
            Output::Text { from, .. } => format!("text from {from}"),
            Output::Handoff(_) => "handoff".into(),
        })
        .collect()
}

/// A refund for order 12345 waiting for its reason.
fn at_reason() -> Chat {
    let mut chat = Chat::new();
    chat.say(with(turn("refund order 12345", "refund", 0.95), vec![order("12345")]));
    chat
}

/// A refund waiting at its confirmation: order 12345, "broken", $40.
fn at_confirmation() -> Chat {
    let mut chat = at_reason();
    chat.say(turn("it broke", "complaint", 0.5));
    let out = chat.say(with(turn("40", "inform", 0.5), vec![number("40", 40.0)]));
    assert_eq!(responses(&out), ["confirm_refund"]);
    chat
}

#[test]
fn idle_starts_a_flow_and_answers_yes_no_out_of_context() {
    let mut chat = Chat::new();
    assert_eq!(responses(&chat.say(turn("yes", "affirm", 1.0))), ["nothing_to_confirm"]);
    assert_eq!(responses(&chat.say(turn("where is my order", "order_status", 0.9))), ["ask_order_id"]);
}

#[test]
fn a_second_miss_in_a_row_says_what_the_bot_can_do() {
    let mut chat = Chat::new();
    assert_eq!(responses(&chat.say(turn("weather?", "out_of_scope", 0.9))), ["out_of_scope"]);
    let out = chat.say(turn("tell me a joke", "out_of_scope", 0.9));
    assert_eq!(responses(&out), ["capabilities"]);
    assert_eq!(out.rules, [Rule::Recovery { misses: 2 }]);
    // Anything understood in between starts the count again.
    chat.say(turn("when are you open", "faq_hours", 0.9));
    assert_eq!(responses(&chat.say(turn("hmm", "out_of_scope", 0.9))), ["out_of_scope"]);
}

#[test]
fn a_correction_at_the_confirmation_is_applied_without_a_no() {
    let mut chat = at_confirmation();
    // Text the recognizer read as an order number first, with a number reading too: the
    // message names the amount, so the amount takes the number.
    let mut fifty = order("00050");
    fifty.alternatives = vec![("number".into(), json!(50.0))];
    let out = chat.say(with(turn("actually the amount is 00050", "inform", 0.5), vec![fifty]));
    assert_eq!(responses(&out), ["confirm_refund"]);
    assert!(matches!(&out.rules[..], [Rule::CorrectionApplied { slot, .. }] if slot == "amount"), "{:?}", out.rules);
    chat.say(turn("yes", "affirm", 1.0));
    let (action, slots) = chat.actions.calls.last().expect("refund created");
    assert_eq!(action, "create_refund");
    assert_eq!(slots["amount"], json!({"amount": 50.0, "currency": "USD"}));
}

#[test]
fn a_chinese_correction_of_a_number_leaves_a_chinese_reason_alone() {
    // "不对不对，是 195" at the summary: the "不对" lines up with the reason's last characters,
    // which says no reason again; the number corrects the amount.
    let mut chat = at_reason();
    chat.say(stating("the size is wrong 尺码不对", "inform", 0.5));
    chat.say(with(turn("159", "inform", 0.9), vec![number("159", 159.0)]));
    let out = chat.say(with(stating("不对不对，是 195，我刚才打错了", "deny", 0.8), vec![number("195", 195.0)]));
    assert_eq!(responses(&out), ["confirm_refund"]);
    assert_eq!(chat.slot("reason"), Some(json!("the size is wrong 尺码不对")));
    chat.say(turn("yes", "affirm", 1.0));
    let (_, slots) = chat.actions.calls.last().expect("refund created");
    assert_eq!(slots["amount"], json!({"amount": 195.0, "currency": "USD"}));
}

#[test]
fn while_a_question_is_open_only_a_value_of_its_own_kind_corrects_another_slot_and_says_so() {
    let money = |text: &str, amount: f64| TurnEntity::new("money", text, json!({"amount": amount, "currency": "USD"}));
    let mut chat = Chat::new();
    let out = chat.say(with(turn("refund of $40", "refund", 0.95), vec![money("$40", 40.0)]));
    assert_eq!(responses(&out), ["ask_order_id"]);
    // A bare number that is no order number was a misread answer, not a new amount.
    let out = chat.say(with(turn("12", "inform", 0.6), vec![number("12", 12.0)]));
    assert_eq!(chat.slot("amount"), Some(json!({"amount": 40.0, "currency": "USD"})));
    assert!(!out.rules.iter().any(|r| matches!(r, Rule::CorrectionApplied { .. })), "{:?}", out.rules);
    // Money is the amount's own kind: it corrects it, and the bot says so before asking again.
    let out = chat.say(with(turn("sorry, make that $60", "inform", 0.6), vec![money("$60", 60.0)]));
    assert_eq!(chat.slot("amount"), Some(json!({"amount": 60.0, "currency": "USD"})));
    assert_eq!(responses(&out), ["value_corrected", "ask_order_id"]);
}

#[test]
fn beside_a_new_value_the_old_one_is_not_taken() {
    for text in ["45, not 40", "not 40 but 45"] {
        let mut chat = at_confirmation();
        let mut entities = vec![number("45", 45.0), number("40", 40.0)];
        if text.starts_with("not") {
            entities.reverse();
        }
        chat.say(with(turn(text, "deny", 0.8), entities));
        assert_eq!(chat.slot("amount"), Some(json!({"amount": 45.0, "currency": "USD"})), "{text}");
    }
}

#[test]
fn yes_submits_no_denies_and_anything_else_asks_again() {
    let mut chat = at_confirmation();
    assert_eq!(responses(&chat.say(turn("hmm", "out_of_scope", 0.3))), ["please_confirm", "confirm_refund"]);
    assert_eq!(responses(&chat.say(turn("yes", "affirm", 1.0))), ["done"]);
    assert_eq!(chat.actions.calls.len(), 1);

    let mut chat = at_confirmation();
    assert_eq!(responses(&chat.say(turn("no", "deny", 1.0))), ["confirmation_denied"]);
    assert!(chat.actions.calls.is_empty() && chat.state.frames.is_empty());
}

#[test]
fn naming_a_slot_at_the_confirmation_without_a_value_asks_for_it_again() {
    let mut chat = at_confirmation();
    let out = chat.say(turn("the amount is wrong", "out_of_scope", 0.4));
    assert_eq!(responses(&out), ["ask_amount"]);
    assert_eq!(out.rules, [Rule::CorrectionAsked { slot: "amount".into() }]);
    // The old value is gone: a "yes" now cannot submit it.
    assert_eq!(responses(&chat.say(turn("yes", "affirm", 1.0))), ["still_need", "ask_amount"]);
    assert!(chat.actions.calls.is_empty());
    assert_eq!(responses(&chat.say(with(turn("35", "inform", 0.5), vec![number("35", 35.0)]))), ["confirm_refund"]);
}

#[test]
fn a_question_at_the_confirmation_is_answered_then_the_confirmation_asked_again() {
    let mut chat = at_confirmation();
    let out = chat.say(turn("when are you open", "faq_hours", 0.75));
    assert_eq!(responses(&out), ["faq_hours", "resume_flow", "confirm_refund"]);
}

#[test]
fn a_free_text_answer_is_stored_unless_it_is_a_request() {
    let mut chat = at_reason();
    // A confident question the bot can answer at once is answered, and the reason asked again.
    let out = chat.say(turn("what are your hours", "faq_hours", 0.9));
    assert_eq!(responses(&out), ["faq_hours", "resume_flow", "ask_reason"]);
    assert_eq!(chat.slot("reason"), None);
    // Asking for a person (sure, not confident) hands off instead of becoming the reason.
    let out = chat.say(turn("could I speak to a person please", "human", 0.75));
    assert_eq!(responses(&out), ["handoff"]);
    assert_eq!(chat.slot("reason"), None);
    // Handed off: the bot says nothing more.
    assert!(chat.say(turn("hello?", "greet", 0.9)).outputs.is_empty());

    let mut chat = at_reason();
    // A vague match of another intent, or a question less than confident, is a reason like any other.
    chat.say(stating("the courier never rang, it sat in the rain", "order_status", 0.6));
    assert_eq!(chat.slot("reason"), Some(json!("the courier never rang, it sat in the rain")));
    let mut chat = at_reason();
    chat.say(stating("ok thanks, it came after opening hours and broken", "faq_hours", 0.75));
    assert_eq!(chat.slot("reason"), Some(json!("ok thanks, it came after opening hours and broken")));
    // A question there need only be sure.
    let mut chat = at_reason();
    let out = chat.say(UserTurn { mood: Mood::Question, ..turn("wait, is my other order on its way?", "order_status", 0.75) });
    assert!(out.rules.iter().any(|r| matches!(r, Rule::Parked { by, .. } if by == "status")), "{:?}", out.rules);
    assert_eq!(chat.slot("reason"), None);
    // A request only sure is still the reason ("please hire more staff").
    let mut chat = at_reason();
    chat.say(turn("please check your couriers more often", "order_status", 0.75));
    assert_eq!(chat.slot("reason"), Some(json!("please check your couriers more often")));
}

#[test]
fn a_description_another_flow_would_also_take_answers_the_question_asked() {
    // The survey's first question is free text too: a description read as the survey is the reason.
    let mut chat = at_reason();
    chat.say(turn("the lamp arrived dented", "survey", 0.95));
    assert_eq!(chat.slot("reason"), Some(json!("the lamp arrived dented")));
    // A message that names the flow asks for it.
    let mut chat = at_reason();
    let out = chat.say(turn("I'd rather fill in your survey", "survey", 0.95));
    assert!(out.rules.iter().any(|r| matches!(r, Rule::Parked { by, .. } if by == "survey")), "{:?}", out.rules);
    assert_eq!(chat.slot("reason"), None);
    // A flow that first asks for something else (an order number) is a request.
    let mut chat = at_reason();
    let out = chat.say(turn("never mind that, just tell me where it is", "order_status", 0.95));
    assert!(out.rules.iter().any(|r| matches!(r, Rule::Parked { by, .. } if by == "status")), "{:?}", out.rules);
    assert_eq!(chat.slot("reason"), None);
}

#[test]
fn a_statement_where_own_words_are_awaited_is_the_answer_whatever_it_reads_as() {
    // A confident other flow, or a question the bot could answer, said as a statement: the reason.
    for (text, intent) in
        [("item never arrived, tracking hasn't moved", "order_status"), ("you charged me express hours but it came late", "faq_hours")]
    {
        let mut chat = at_reason();
        let out = chat.say(stating(text, intent, 0.95));
        assert_eq!(chat.slot("reason"), Some(json!(text)), "{:?}", out.rules);
        assert_eq!(responses(&out), ["ask_amount"]);
    }
    // The same words asked, or a statement that names its flow, are requests.
    let mut chat = at_reason();
    let out = chat.say(turn("item never arrived, can you check on it", "order_status", 0.95));
    assert!(out.rules.iter().any(|r| matches!(r, Rule::Parked { by, .. } if by == "status")), "{:?}", out.rules);
    let mut chat = at_reason();
    let out = chat.say(stating("ok then, checking the order first", "order_status", 0.95));
    assert!(out.rules.iter().any(|r| matches!(r, Rule::Parked { by, .. } if by == "status")), "{:?}", out.rules);
    assert_eq!(chat.slot("reason"), None);
    // Nor is a statement a request for a person ("I hope you hire more human agents").
    let mut chat = at_reason();
    let out = chat.say(stating("I hope you hire more human agents", "human", 0.95));
    assert_eq!(responses(&out), ["ask_amount"]);
    // A few words are too few to be a statement of their own ("shipping costs").
    let mut chat = at_reason();
    let out = chat.say(stating("opening hours", "faq_hours", 0.95));
    assert_eq!(responses(&out), ["faq_hours", "resume_flow", "ask_reason"]);
}

#[test]
fn a_hand_off_step_that_ends_its_flow_closes_it_and_the_bot_resumes_idle() {
    let mut chat = Chat::new();
    chat.say(turn("I want to claim", "claim", 0.95));
    let out = chat.say(with(turn("900", "inform", 0.9), vec![number("900", 900.0)]));
    assert!(matches!(out.outputs.as_slice(), [Output::Handoff(summary)] if summary.reason == "large claim"), "{:?}", out.outputs);
    assert_eq!(out.completed, ["claim"]);
    assert!(chat.state.frames.is_empty() && chat.state.handed_off.is_some());
    // Resumed, the bot does not hand off again: the next request is a new one.
    assert!(chat.state.resume_bot());
    let out = chat.say(turn("what are your hours", "faq_hours", 0.9));
    assert_eq!(responses(&out), ["faq_hours"]);
    assert!(chat.actions.calls.is_empty());
}

#[test]
fn yes_or_no_where_a_value_is_needed_is_answered_and_not_counted() {
    let mut chat = Chat::new();
    chat.say(turn("where is my order", "order_status", 0.9));
    // A question the bot answers at once, sure but not confident, is answered too.
    let out = chat.say(turn("are you open today", "faq_hours", 0.75));
    assert_eq!(responses(&out), ["faq_hours", "resume_flow", "ask_order_id"]);
    assert_eq!(out.rules, [Rule::RequestOverAnswer { intent: "faq_hours".into(), slot: "order_id".into() }]);
    for _ in 0..4 {
        let out = chat.say(turn("yes that's right", "affirm", 0.9));
        assert_eq!(responses(&out), ["still_need", "ask_order_id"]);
        assert!(matches!(&out.rules[..], [Rule::OutOfPlace { .. }]));
    }
    assert!(chat.state.handed_off.is_none());
    assert_eq!(chat.state.active().map(|f| f.retries.len()), Some(0));
    chat.say(with(turn("12345", "inform", 0.5), vec![order("12345")]));
    assert_eq!(chat.actions.calls[0].0, "lookup");
}

#[test]
fn real_misses_reach_the_retry_cap_and_hand_off() {
    let mut chat = Chat::new();
    chat.say(turn("where is my order", "order_status", 0.9));
    assert_eq!(responses(&chat.say(turn("hmm", "out_of_scope", 0.2))), ["slot_invalid", "ask_order_id"]);
    assert_eq!(responses(&chat.say(with(turn("12", "inform", 0.5), vec![order("12")])))[0], "slot_invalid");
    assert_eq!(responses(&chat.say(turn("hmm", "out_of_scope", 0.2))), ["slot_invalid", "handoff"]);
}

#[test]
fn i_dont_know_is_never_the_value_and_counts_as_an_attempt() {
    let mut chat = at_reason();
    // At a free-text question ("Why would you like a refund?") it is no reason.
    let out = chat.say(turn("idk what to put here", "dont_know", 0.9));
    assert_eq!(responses(&out), ["value_unknown", "ask_reason"]);
    assert_eq!(out.rules, [Rule::ValueUnknown { slot: "reason".into() }]);
    assert_eq!(chat.slot("reason"), None);
    // Unsure, where any words answer, it is the answer.
    chat.say(turn("not sure it ever worked", "dont_know", 0.6));
    assert_eq!(chat.slot("reason"), Some(json!("not sure it ever worked")));
    // Three times where a value is needed: a person takes over.
    let mut chat = Chat::new();
    chat.say(turn("where is my order", "order_status", 0.9));
    assert_eq!(responses(&chat.say(turn("I don't know it", "dont_know", 0.95))), ["value_unknown", "ask_order_id"]);
    assert_eq!(responses(&chat.say(turn("no idea", "dont_know", 0.95))), ["value_unknown", "ask_order_id"]);
    assert_eq!(responses(&chat.say(turn("I forgot", "dont_know", 0.95))), ["handoff"]);
    assert!(chat.state.handed_off.is_some());
}

#[test]
fn an_optional_question_can_be_declined() {
    let mut chat = Chat::new();
    chat.say(turn("survey", "survey", 0.9));
    let out = chat.say(turn("no", "deny", 1.0));
    assert_eq!(out.rules, [Rule::Declined { slot: "feedback".into() }]);
    assert_eq!(chat.actions.calls[0].0, "record");
    // "I don't know" declines it too.
    let mut chat = Chat::new();
    chat.say(turn("survey", "survey", 0.9));
    let out = chat.say(turn("no idea", "dont_know", 0.95));
    assert_eq!(out.rules, [Rule::Declined { slot: "feedback".into() }]);
    // A short no or cancel only sure (not confident) declines it too; a longer one is feedback.
    for (text, intent) in [("没有了", "deny"), ("nothing else", "cancel")] {
        let mut chat = Chat::new();
        chat.say(turn("survey", "survey", 0.9));
        let out = chat.say(turn(text, intent, 0.8));
        assert_eq!(out.rules, [Rule::Declined { slot: "feedback".into() }], "{text}");
    }
    let mut chat = Chat::new();
    chat.say(turn("survey", "survey", 0.9));
    chat.say(turn("no but the box could be sturdier", "deny", 0.8));
    assert_eq!(chat.actions.calls[0].1.get("feedback"), Some(&json!("no but the box could be sturdier")));
}

#[test]
fn a_request_that_points_back_takes_the_settled_value_and_an_answer_takes_an_offer_as_read() {
    let mut chat = Chat::new();
    chat.say(with(turn("where is order 48213", "order_status", 0.95), vec![order("48213")]));
    let out = chat.say(turn("can I get my money back for it", "refund", 0.9));
    assert_eq!(responses(&out), ["ask_reason"]);
    assert!(matches!(&out.rules[..], [Rule::CarriedReferred { slot }] if slot == "order_id"), "{:?}", out.rules);

    // Offered, and answered with the next question's answer, in words of its own.
    let mut chat = Chat::new();
    chat.say(with(turn("where is order 48213", "order_status", 0.95), vec![order("48213")]));
    chat.say(turn("refund please", "refund", 0.9));
    let out = chat.say(turn("the jug came cracked on arrival", "out_of_scope", 0.5));
    assert_eq!(responses(&out), ["ask_amount"]);
    assert_eq!((chat.slot("order_id"), chat.slot("reason")), (Some(json!("48213")), Some(json!("the jug came cracked on arrival"))));
    assert!(out.rules.contains(&Rule::OfferTakenAsRead { slot: "order_id".into(), next: "reason".into() }), "{:?}", out.rules);
    // Two words are no answer of their own: the offer's question again.
    let mut chat = Chat::new();
    chat.say(with(turn("where is order 48213", "order_status", 0.95), vec![order("48213")]));
    chat.say(turn("refund please", "refund", 0.9));
    chat.say(turn("hmm what", "out_of_scope", 0.5));
    assert_eq!(chat.slot("reason"), None);
}

#[test]
fn a_cancel_before_a_request_for_another_flow_switches_to_it() {
    let mut chat = at_reason();
    // "no, scratch that. what are your hours?": the cancel alone is too unsure (0.75) to leave
    // a flow; the request after it makes it clear.
    let mut message = turn("no", "deny", 0.9);
    message.more = vec![turn("scratch that", "cancel", 0.75), turn("I need a survey", "survey", 0.95)];
    let out = chat.say(message);
    assert!(out.rules.contains(&Rule::Switched { from: "refund".into(), to: "survey".into() }), "{:?}", out.rules);
    assert_eq!(chat.state.active_flow(), Some("survey"));
    assert!(chat.state.frames.iter().all(|f| f.flow != "refund"));
    // A no alone before a request is filler (the request interrupts; the refund waits).
    let mut chat = at_reason();
    let mut message = turn("no", "deny", 0.9);
    message.more = vec![turn("I need a survey", "survey", 0.95)];
    chat.say(message);
    assert!(chat.state.frames.iter().any(|f| f.flow == "refund"));
}

#[test]
fn another_flow_interrupts_with_its_own_values_and_the_first_resumes_with_its_own() {
    let mut chat = at_reason();
    let out = chat.say(with(turn("where is order 67890", "order_status", 0.92), vec![order("67890")]));
    assert_eq!(responses(&out), ["flow_parked", "status", "resume_flow", "ask_reason"]);
    assert_eq!(chat.actions.calls[0].1["order_id"], json!("67890"));
    assert_eq!(chat.slot("order_id"), Some(json!("12345")));
}

#[test]
fn a_settled_value_is_offered_to_the_next_flow() {
    let mut chat = Chat::new();
    chat.say(with(turn("where is order 48213", "order_status", 0.95), vec![order("48213")]));
    let out = chat.say(turn("I'd like my money back", "refund", 0.9));
    assert_eq!(responses(&out), ["offer_order_id"]);
    assert!(matches!(&out.rules[..], [Rule::CarriedOffered { slot, value }] if slot == "order_id" && value == "48213"));
    let out = chat.say(turn("yes", "affirm", 1.0));
    assert_eq!(responses(&out), ["ask_reason"]);
    assert_eq!(chat.state.active().and_then(|f| f.slots.get("order_id")).map(|v| v.source.as_str()), Some("carried"));

    // "no" asks plainly; a number given instead fills the slot.
    let mut chat = Chat::new();
    chat.say(with(turn("where is order 48213", "order_status", 0.95), vec![order("48213")]));
    chat.say(turn("refund please", "refund", 0.9));
    assert_eq!(responses(&chat.say(turn("no", "deny", 1.0))), ["ask_order_id"]);
    let mut chat = Chat::new();
    chat.say(with(turn("where is order 48213", "order_status", 0.95), vec![order("48213")]));
    chat.say(turn("refund please", "refund", 0.9));
    chat.say(with(turn("no, 55555", "deny", 0.8), vec![order("55555")]));
    assert_eq!(chat.slot("order_id"), Some(json!("55555")));
}

#[test]
fn cancel_with_a_new_request_switches_flows() {
    let mut chat = at_reason();
    let mut scratch = turn("scratch that, where is order 67890", "cancel", 0.9);
    scratch.more = vec![with(turn("where is order 67890", "order_status", 0.9), vec![order("67890")])];
    let out = chat.say(scratch);
    assert_eq!(out.rules, [Rule::Switched { from: "refund".into(), to: "status".into() }]);
    assert_eq!(responses(&out), ["flow_cancelled", "next_request", "status"]);
    assert_eq!(chat.actions.calls.len(), 1);
    assert!(chat.state.frames.is_empty());
}

#[test]
fn a_cancel_leaves_the_cancelled_flows_words_behind() {
    // "never mind, the refund can wait. I need the contract signed": the middle part reads as
    // the refund (tagged as its reason); it goes with the refund, not into the contract.
    let mut chat = at_reason();
    let mut input = turn("never mind, the refund can wait. I need the contract signed", "cancel", 0.9);
    input.more = vec![
        with(turn("the refund can wait", "refund", 0.8), vec![TurnEntity::new("company", "the refund can wait", json!("the refund can wait"))]),
        turn("I need the contract signed", "contract", 0.95),
    ];
    let out = chat.say(input);
    assert_eq!(out.rules, [Rule::Switched { from: "refund".into(), to: "contract".into() }]);
    assert_eq!(chat.state.active_flow(), Some("contract"));
    assert_eq!(chat.slot("company"), None, "the cancelled request's words are no answer");
}

#[test]
fn stored_state_from_before_these_fields_loads() {
    let old = r#"{"frames":[{"flow":"refund","pc":1,"slots":{},"requested":"reason","confirming":false,"retries":{}}],"turns":[],"handed_off":null}"#;
    let state: DialogueState = serde_json::from_str(old).expect("an older state loads");
    assert_eq!(state.frames[0].offered, None);
    assert!(state.settled.is_empty());
}

#[test]
fn a_yes_nobody_asked_for_before_a_request_is_filler() {
    let mut chat = at_reason();
    // Waiting for a free-text reason: "actually first, where is order 67890?" read as a yes
    // and a request. The request is the turn; no yes is stored as the reason.
    let mut input = turn("actually first, where is order 67890?", "affirm", 0.9);
    input.more = vec![with(turn("where is order 67890?", "order_status", 0.95), vec![order("67890")])];
    let out = chat.say(input);
    assert_eq!(out.rules[0], Rule::Filler { intent: "affirm".into(), request: "order_status".into() });
    assert_eq!(chat.actions.calls[0], ("lookup".to_string(), BTreeMap::from([("order_id".to_string(), json!("67890"))])));
    assert_eq!(chat.slot("reason"), None);
    assert_eq!(chat.state.turns.last().map(|t| t.user.as_str()), Some("actually first, where is order 67890?"), "the whole text is kept");
    // At a confirmation the same yes is an answer.
    let mut chat = at_reason();
    chat.say(turn("it broke", "inform", 0.5));
    chat.say(with(turn("$20", "inform", 0.5), vec![TurnEntity::new("money", "$20", json!({"amount": 20.0, "currency": "USD"}))]));
    let mut input = turn("yes, and where is order 67890?", "affirm", 1.0);
    input.more = vec![with(turn("where is order 67890?", "order_status", 0.95), vec![order("67890")])];
    chat.say(input);
    assert_eq!(chat.actions.calls[0].0, "create_refund");
}

#[test]
fn at_a_confirmation_another_flow_is_a_digression_and_the_flow_itself_a_yes() {
    let confirming = || {
        let mut chat = at_reason();
        chat.say(turn("it broke", "inform", 0.5));
        chat.say(with(turn("$20", "inform", 0.5), vec![TurnEntity::new("money", "$20", json!({"amount": 20.0, "currency": "USD"}))]));
        assert!(chat.state.active().is_some_and(|f| f.confirming));
        chat
    };
    // Another order's status asked before answering: its number corrects nothing.
    let mut chat = confirming();
    chat.say(with(turn("before I say yes, where is order 67890?", "order_status", 0.95), vec![order("67890")]));
    assert_eq!(chat.actions.calls[0], ("lookup".to_string(), BTreeMap::from([("order_id".to_string(), json!("67890"))])));
    assert_eq!(chat.slot("order_id"), Some(json!("12345")));
    assert!(chat.state.active().is_some_and(|f| f.flow == "refund" && f.confirming), "back at the confirmation");
    // "go ahead with the refund": the flow's own request, and "refund" names no slot here.
    let mut chat = confirming();
    let out = chat.say(turn("ok yes go ahead with the refund", "refund", 0.9));
    assert_eq!(out.rules, [Rule::Reasserted { flow: "refund".into() }]);
    assert_eq!(chat.actions.calls[0].0, "create_refund");
    // Naming a slot still asks for it again.
    let mut chat = confirming();
    chat.say(turn("the amount is wrong", "inform", 0.8));
    assert_eq!(chat.slot("amount"), None);
}

/// The test flows with `edit` applied: a desk's change between two runs of the server.
fn changed(edit: impl Fn(&str) -> String) -> Tracker {
    Tracker::new(FlowSet::from_str(Path::new("flows.ron"), &edit(FLOWS)).expect("changed flows load"))
}

#[test]
fn a_stored_conversation_survives_changed_flows() {
    let half_done = || {
        let mut chat = at_reason();
        chat.say(turn("it broke", "inform", 0.5));
        // Stored and read back as a server does.
        serde_json::from_str::<DialogueState>(&serde_json::to_string(&chat.state).unwrap()).unwrap()
    };
    let amount = || with(turn("$20", "inform", 0.5), vec![TurnEntity::new("money", "$20", json!({"amount": 20.0, "currency": "USD"}))]);
    let mut actions = Recorder::default();

    // The flow renamed: closed with a reply that says so; the message is then handled afresh.
    let tracker = changed(|f| f.replace("\"refund\": (intent: \"refund\"", "\"money_back\": (intent: \"refund\""));
    let mut state = half_done();
    let out = tracker.handle(&mut state, &amount(), &mut actions);
    assert_eq!(out.rules[0], Rule::FlowRetired { flow: "refund".into() });
    assert_eq!(responses(&out)[0], "flow_retired");
    assert!(state.frames.is_empty() && state.turns.len() == 3, "history kept: {state:?}");

    // A step removed before the one waited at: the question is found at its new index.
    let tracker =
        changed(|f| f.replace("Collect(\"order_id\"), Collect(\"reason\"), Collect(\"amount\")", "Collect(\"reason\"), Collect(\"amount\")"));
    let mut state = half_done();
    let out = tracker.handle(&mut state, &amount(), &mut actions);
    assert!(out.rules.contains(&Rule::StepRefound { flow: "refund".into(), from: 2, to: 1 }), "{:?}", out.rules);
    assert!(out.rules.iter().any(|r| matches!(r, Rule::SlotDropped { slot, .. } if slot == "order_id")), "{:?}", out.rules);
    assert_eq!(state.slot("amount").map(|v| v.normalized["amount"].clone()), Some(json!(20.0)));
    assert_eq!(responses(&out), ["confirm_refund"]);

    // A slot's type changed so that its value no longer fits: dropped and asked again.
    let tracker = changed(|f| f.replace("\"reason\": (type: Text", "\"reason\": (type: Integer"));
    let mut state = half_done();
    let out = tracker.handle(&mut state, &amount(), &mut actions);
    assert!(out.rules.iter().any(|r| matches!(r, Rule::SlotDropped { slot, .. } if slot == "reason")), "{:?}", out.rules);
    assert_eq!(state.slot("reason"), None);
    assert_eq!(state.slot("order_id").map(|v| v.value.as_str()), Some("12345"));
    assert!(state.active().is_some_and(|f| f.requested.as_deref() == Some("reason")), "asked again: {:?}", responses(&out));

    // Unchanged flows: nothing to migrate.
    let mut state = half_done();
    assert!(Chat::new().tracker.migrate(&mut state).is_empty());
}

#[test]
fn a_hand_off_takes_a_sure_request_in_a_flow_or_not() {
    let mut chat = Chat::new();
    let out = chat.say(turn("can you help", "human", 0.69));
    assert!(chat.state.handed_off.is_none(), "a vague match is no hand-off: {:?}", responses(&out));
    chat.say(turn("I want to talk to a person", "human", 0.95));
    assert!(chat.state.handed_off.is_some());
}

#[test]
fn values_before_the_request_fill_the_flow_it_starts() {
    let mut chat = Chat::new();
    // "order 12345, $20" with no request the bot knows, then the request.
    chat.say(with(
        turn("order 12345, $20", "inform", 0.9),
        vec![order("12345"), TurnEntity::new("money", "$20", json!({"amount": 20.0, "currency": "USD"}))],
    ));
    let out = chat.say(turn("I'd like a refund", "refund", 0.95));
    assert_eq!(out.rules, [Rule::Remembered { slots: vec!["amount".into(), "order_id".into()] }]);
    assert_eq!(chat.slot("order_id"), Some(json!("12345")));
    assert_eq!(responses(&out), ["ask_reason"]);
    // Only the message just before: a value two messages back is not taken.
    let mut chat = Chat::new();
    chat.say(with(turn("order 12345", "inform", 0.9), vec![order("12345")]));
    chat.say(turn("hmm", "inform", 0.4));
    chat.say(turn("I'd like a refund", "refund", 0.95));
    assert_eq!(chat.slot("order_id"), None);
}

#[test]
fn a_free_text_value_said_again_with_a_part_changed_corrects_it_at_the_confirmation() {
    let mut chat = at_reason();
    chat.say(turn("the 2 handles snapped", "inform", 0.5));
    chat.say(with(turn("40", "inform", 0.5), vec![number("40", 40.0)]));
    // No slot named, no "no", and the number is no amount: the reason said again, changed.
    let out = chat.say(with(turn("oops, the 3 handles snapped", "inform", 0.6), vec![number("3", 3.0)]));
    assert_eq!(responses(&out), ["confirm_refund"]);
    assert!(
        matches!(&out.rules[..], [Rule::CorrectionApplied { slot, to, .. }] if slot == "reason" && to == "the 3 handles snapped"),
        "{:?}",
        out.rules
    );
    assert_eq!(chat.slot("amount"), Some(json!({"amount": 40.0, "currency": "USD"})));
    // The same words again are a plain yes.
    chat.say(turn("yes, the 3 handles snapped", "affirm", 0.9));
    assert_eq!(chat.actions.calls.last().map(|c| c.1["reason"].clone()), Some(json!("the 3 handles snapped")));
}

#[test]
fn a_further_request_that_only_gives_the_active_flows_values_corrects_it() {
    let mut chat = at_confirmation();
    // "no — 45 is what you should refund on this one": read as a no and a second request for
    // a flow that takes no amount; the amount is the refund's.
    let mut input = turn("no", "deny", 0.95);
    input.more = vec![with(turn("45 is what you should check", "order_status", 0.95), vec![number("45", 45.0)])];
    let out = chat.say(input);
    assert_eq!(responses(&out), ["confirm_refund"], "{:?}", out.rules);
    assert_eq!(chat.slot("amount"), Some(json!({"amount": 45.0, "currency": "USD"})));
    assert!(chat.state.frames.iter().all(|f| f.flow == "refund"), "no order check started");
}

#[test]
fn a_few_words_before_the_cancel_and_a_less_sure_request_after_it_still_switch() {
    let mut chat = at_reason();
    // "you know what, forget it, I'd rather do the survey": the lead-in reads as anything (here
    // an hours question), the request after the cancel is only 0.75 sure.
    let mut message = turn("you know what, forget it, I'd rather do the survey", "faq_hours", 0.9);
    message.more = vec![turn("forget it", "cancel", 0.9), turn("I'd rather do the survey", "survey", 0.75)];
    let out = chat.say(message);
    assert!(out.rules.contains(&Rule::Switched { from: "refund".into(), to: "survey".into() }), "{:?}", out.rules);
    assert_eq!(chat.state.active_flow(), Some("survey"));
    // Words with a value before the cancel are no lead-in: nothing is switched.
    let mut chat = at_reason();
    let mut message = with(turn("order 67890 and then forget it, the survey", "order_status", 0.9), vec![order("67890")]);
    message.more = vec![turn("forget it", "cancel", 0.9), turn("the survey", "survey", 0.75)];
    let out = chat.say(message);
    assert!(!out.rules.iter().any(|r| matches!(r, Rule::Switched { .. })), "{:?}", out.rules);
}

#[test]
fn with_no_flow_running_a_further_request_only_needs_to_be_sure() {
    let mut chat = Chat::new();
    let mut message = turn("when are you open? I'd also like to do the survey", "faq_hours", 0.99);
    message.more = vec![turn("I'd also like to do the survey", "survey", 0.8)];
    assert_eq!(responses(&chat.say(message))[0], "faq_hours");
    assert_eq!(chat.state.active_flow(), Some("survey"));
    // Inside a flow the same request is too unsure to interrupt it.
    let mut chat = at_reason();
    let mut message = turn("it broke. when are you open", "inform", 0.9);
    message.more = vec![turn("when are you open", "faq_hours", 0.8)];
    assert!(!responses(&chat.say(message)).contains(&"faq_hours".to_string()));
}

#[test]
fn a_name_that_reads_a_little_like_small_talk_answers_a_question_any_words_answer() {
    // "Hooli Inc" asked for the company reads as an hours question at 0.76: not sure enough
    // to be taken over the answer where any words are one.
    let mut chat = Chat::new();
    chat.say(turn("a contract please", "contract", 0.95));
    chat.say(turn("Hooli Inc", "faq_hours", 0.76));
    assert_eq!(chat.actions.calls.last().map(|c| c.1["company"].clone()), Some(json!("Hooli Inc")));
    // Where a pattern decides (an order number), the same reading is answered, not counted.
    let mut chat = Chat::new();
    chat.say(turn("where is my order", "order_status", 0.95));
    let out = chat.say(turn("when are you open", "faq_hours", 0.76));
    assert_eq!(responses(&out)[0], "faq_hours");
}

#[test]
fn a_question_that_brings_another_flows_value_digresses_though_a_word_answers_the_question() {
    let mut chat = at_reason();
    chat.say(turn("it broke", "complaint", 0.5));
    // "one" reads as an amount, but the question is about another order.
    let question = with(turn("oh quick one, where is order 54321?", "order_status", 0.9), vec![number("one", 1.0), order("54321")]);
    let out = chat.say(question);
    assert!(out.rules.iter().any(|r| matches!(r, Rule::Parked { by, .. } if by == "status")), "{:?}", out.rules);
    assert_eq!(chat.actions.calls[0].1.get("order_id"), Some(&json!("54321")));
    assert_eq!(chat.slot("amount"), None);
    // Said as a statement, the value answers the question.
    let mut chat = at_reason();
    chat.say(turn("it broke", "complaint", 0.5));
    chat.say(with(stating("one for order 54321", "order_status", 0.9), vec![number("one", 1.0), order("54321")]));
    assert_eq!(chat.slot("amount").map(|v| v["amount"].clone()), Some(json!(1.0)));
}

#[test]
fn at_the_confirmation_small_talk_leaves_its_values_to_the_summary() {
    let mut chat = at_confirmation();
    let out = chat.say(with(turn("ok thanks for the hours. 45 then", "faq_hours", 0.95), vec![number("45", 45.0)]));
    assert_eq!(chat.slot("amount").map(|v| v["amount"].clone()), Some(json!(45.0)), "{:?}", responses(&out));
    assert!(responses(&out).contains(&"confirm_refund".to_string()), "{:?}", responses(&out));
}

#[test]
fn a_slot_named_by_one_of_its_names_takes_the_value_at_a_confirmation() {
    // "单号改成 54321" (change the order number to 54321): read first as a plain number, which
    // the amount would take; the order number is named, so it is the order number.
    let mut chat = at_confirmation();
    let read_as_a_number = || TurnEntity { alternatives: vec![("order_id".into(), json!("54321"))], ..number("54321", 54321.0) };
    let out = chat.say(with(stating("单号改成 54321", "inform", 0.6), vec![read_as_a_number()]));
    assert_eq!(responses(&out), ["confirm_refund"], "{:?}", out.rules);
    assert_eq!(chat.slot("order_id"), Some(json!("54321")));
    assert_eq!(chat.slot("amount"), Some(json!({"amount": 40.0, "currency": "USD"})));
    // Unnamed, the same number is no order number.
    let mut chat = at_confirmation();
    chat.say(with(stating("改成 54321", "inform", 0.6), vec![read_as_a_number()]));
    assert_eq!(chat.slot("order_id"), Some(json!("12345")));
}

#[test]
fn at_a_confirmation_a_cancel_before_another_flows_request_switches_to_it() {
    // "forget approving that. what's the status of 67890?": the refund is dropped, never
    // created, and the order is looked up.
    let mut chat = at_confirmation();
    let mut message = turn("hmm wait, forget that", "cancel", 0.8);
    message.more = vec![with(turn("where is order 67890", "order_status", 0.98), vec![order("67890")])];
    let out = chat.say(message);
    assert!(out.rules.contains(&Rule::Switched { from: "refund".into(), to: "status".into() }), "{:?}", out.rules);
    assert_eq!(chat.actions.calls.len(), 1);
    assert_eq!((chat.actions.calls[0].0.as_str(), &chat.actions.calls[0].1["order_id"]), ("lookup", &json!("67890")));
    assert!(chat.state.frames.is_empty());
}

#[test]
fn a_value_of_a_slots_own_kind_goes_there_before_a_plain_number() {
    // "zero updates in 3 days, refund $40 for order 12345": the amount is the money, not a
    // number said before it.
    let mut chat = Chat::new();
    let money = TurnEntity::new("money", "$40", json!({"amount": 40.0, "currency": "USD"}));
    chat.say(with(turn("zero updates in 3 days, refund $40 for order 12345", "refund", 0.95), vec![number("zero", 0.0), money, order("12345")]));
    assert_eq!(chat.slot("amount"), Some(json!({"amount": 40.0, "currency": "USD"})));
}

#[test]
fn a_yes_with_a_value_the_flow_already_has_is_no_free_text_answer() {
    // "yes, 12345" asked why order 12345 is refunded: a yes out of place, not the reason.
    let mut chat = at_reason();
    let out = chat.say(with(turn("yes, 12345", "affirm", 0.9), vec![order("12345")]));
    assert_eq!(responses(&out), ["still_need", "ask_reason"]);
    assert_eq!(chat.slot("reason"), None);
}

#[test]
fn at_a_confirmation_a_new_value_only_this_flow_takes_corrects_it_whatever_flow_it_sounds_like() {
    let money = |text: &str, amount: f64| TurnEntity::new("money", text, json!({"amount": amount, "currency": "USD"}));
    // "contract" takes a company, not an amount: the amount is this refund's.
    let mut chat = at_confirmation();
    let out = chat.say(with(turn("let the contract say $60 instead", "contract", 0.92), vec![money("$60", 60.0)]));
    assert_eq!(chat.slot("amount"), Some(json!({"amount": 60.0, "currency": "USD"})));
    assert_eq!(responses(&out).last().map(String::as_str), Some("confirm_refund"));
    assert!(chat.state.active().is_some_and(|f| f.flow == "refund"));
    // A value the other flow takes too still makes it a digression ("claim" takes an amount).
    let mut chat = at_confirmation();
    chat.say(with(turn("and claim $60 for me", "claim", 0.92), vec![money("$60", 60.0)]));
    assert_eq!(chat.actions.calls[0].0, "pay");
}

#[test]
fn an_intent_gives_the_asked_slot_its_value_where_the_domain_says_so() {
    for (intent, value) in [("affirm", json!(true)), ("deny", json!(false))] {
        let mut chat = Chat::new();
        assert_eq!(responses(&chat.say(turn("book a table", "book_table", 0.95))), ["ask_outside"]);
        chat.say(turn("sure", intent, 0.9));
        assert_eq!(chat.actions.calls[0], ("book".to_string(), BTreeMap::from([("outside".to_string(), value)])));
    }
    // An unsure one gives no value of its own, and an entity still fills the slot.
    let mut chat = Chat::new();
    chat.say(turn("book a table", "book_table", 0.95));
    chat.say(turn("hmm yes?", "affirm", 0.3));
    assert_ne!(chat.actions.calls.first().map(|c| c.1["outside"].clone()), Some(json!(true)));
    let mut chat = Chat::new();
    chat.say(turn("book a table", "book_table", 0.95));
    chat.say(with(turn("on the terrace", "inform", 0.9), vec![TurnEntity::new("seating", "terrace", json!("terrace"))]));
    assert_eq!(chat.actions.calls[0].1["outside"], json!("terrace"));
}

#[test]
fn a_request_pointing_back_goes_to_the_runner_up_that_takes_the_settled_value() {
    let pointing = |text: &str, runner_up: f32| UserTurn { alternatives: vec![("order_status".into(), runner_up)], ..turn(text, "survey", 0.8) };
    let settled = || {
        let mut chat = Chat::new();
        chat.say(with(turn("where is order 12345", "order_status", 0.95), vec![order("12345")]));
        assert_eq!(chat.actions.calls.len(), 1);
        chat
    };
    // "its" points back at the order just looked up; the survey has nothing to point at.
    let mut chat = settled();
    let out = chat.say(pointing("and can you check its status again", 0.14));
    assert_eq!(
        out.rules,
        [Rule::ReferredFlow { read_as: "survey".into(), flow: "status".into() }, Rule::CarriedReferred { slot: "order_id".into() }]
    );
    assert_eq!(chat.actions.calls.len(), 2, "looked up again with the settled order");
    // No pointing back, or a runner-up too unsure: the first reading stands.
    for (text, score) in [("and can you check the status", 0.14), ("and can you check its status", 0.05)] {
        let mut chat = settled();
        chat.say(pointing(text, score));
        assert_eq!(chat.state.active().map(|f| f.flow.as_str()), Some("survey"), "{text}");
    }
}

#[test]
fn a_yes_with_the_request_it_allows_does_it_once() {
    let mut chat = at_confirmation();
    let mut message = turn("ok, yes", "affirm", 0.95);
    message.more = vec![with(turn("refund order 12345", "refund", 0.95), vec![order("12345")])];
    let out = chat.say(message);
    assert_eq!(responses(&out), ["done"]);
    assert_eq!(chat.actions.calls.iter().filter(|(a, _)| a == "create_refund").count(), 1);
    assert!(chat.state.frames.is_empty(), "no second refund started");
    // With a value of its own, the request is a new one.
    let mut chat = at_confirmation();
    let mut message = turn("ok, yes", "affirm", 0.95);
    message.more = vec![with(turn("and refund order 67890", "refund", 0.95), vec![order("67890")])];
    chat.say(message);
    assert_eq!(chat.state.active().map(|f| f.flow.as_str()), Some("refund"));
}

#[test]
fn words_without_a_reading_before_a_request_are_its_context_where_nothing_is_asked() {
    let mut chat = Chat::new();
    let mut message = turn("it's been over a week, honestly i just want a refund now", "out_of_scope", 0.6);
    message.more = vec![turn("honestly i just want a refund now", "refund", 0.9)];
    let out = chat.say(message.clone());
    assert_eq!(responses(&out), ["ask_order_id"]);
    assert!(out.rules.iter().any(|r| matches!(r, Rule::Filler { .. })));
    // Where a question waits, the same words may be its answer: they stay the turn.
    let mut chat = at_reason();
    let out = chat.say(message);
    assert!(!out.rules.iter().any(|r| matches!(r, Rule::Filler { .. })));
}

#[test]
fn a_question_pointing_back_that_reads_as_no_flow_goes_to_the_runner_up_that_takes_the_settled_value() {
    let mut chat = Chat::new();
    chat.say(with(turn("where is order 12345", "order_status", 0.95), vec![order("12345")]));
    let asked =
        |mood| UserTurn { mood, alternatives: vec![("order_status".into(), 0.23)], ..turn("它现在是什么状态？", "out_of_scope", 0.6) };
    let out = chat.say(asked(Mood::Question));
    assert_eq!(out.rules[0], Rule::ReferredFlow { read_as: "out_of_scope".into(), flow: "status".into() });
    assert_eq!(chat.actions.calls.len(), 2, "looked up again with the settled order");
    // A statement that reads as no flow is no request.
    let out = chat.say(asked(Mood::Statement));
    assert!(out.rules.is_empty() && chat.actions.calls.len() == 2, "{:?}", out.rules);
}

#[test]
fn a_slot_named_with_its_new_value_at_the_confirmation_takes_it() {
    let mut chat = at_confirmation();
    let out = chat.say(turn("actually put the reason as: it arrived scratched", "inform", 0.5));
    assert_eq!(responses(&out), ["confirm_refund"]);
    assert_eq!(chat.slot("reason"), Some(json!("it arrived scratched")));
    assert!(matches!(&out.rules[0], Rule::CorrectionApplied { slot, .. } if slot == "reason"));
    let out = chat.say(turn("sorry, the reason should be the lid snapped off", "inform", 0.5));
    assert_eq!(responses(&out), ["confirm_refund"]);
    assert_eq!(chat.slot("reason"), Some(json!("the lid snapped off")));
    // Named without a value: asked again.
    let mut chat = at_confirmation();
    let out = chat.say(turn("the reason is wrong", "inform", 0.5));
    assert_eq!(out.rules, [Rule::CorrectionAsked { slot: "reason".into() }]);
}

#[test]
fn an_action_answer_sets_and_clears_slots_and_says_its_own_text() {
    let mut chat = Chat::new();
    let said = Output::Text { text: "Checked by the action server.".into(), from: "lookup".into() };
    let fields = BTreeMap::from([("status".to_string(), json!("shipped")), ("order_id".to_string(), Value::Null)]);
    chat.actions.answers.insert("lookup".into(), ActionAnswer { fields, said: vec![said] });
    let out = chat.say(with(turn("where is order 67890", "order_status", 0.9), vec![order("67890")]));
    assert_eq!(responses(&out), ["text from lookup", "status"], "the action's text comes before the flow's next reply");
    let Output::Say { slots, .. } = &out.outputs[1] else { panic!("{out:?}") };
    assert_eq!(slots.get("status"), Some(&json!("shipped")));
    assert_eq!(slots.get("order_id"), None, "null cleared the slot");
}

#[test]
fn a_value_of_a_kept_thing_alone_starts_the_flow_that_looks_it_up() {
    // "status" and "refund" both ask first for the order: the one without a confirmation wins.
    let mut chat = Chat::new();
    let out = chat.say(with(stating("order 67890", "inform", 0.9), vec![order("67890")]));
    assert_eq!(out.rules, [Rule::ValueStarted { slot: "order_id".into(), flow: "status".into() }]);
    assert_eq!(chat.actions.calls[0], ("lookup".to_string(), BTreeMap::from([("order_id".to_string(), json!("67890"))])));
    // A value no kept slot takes, or one the slot refuses (not five digits), starts nothing.
    for value in [number("1234", 1234.0), order("1234")] {
        let mut chat = Chat::new();
        let out = chat.say(with(stating("order 1234", "inform", 0.9), vec![value]));
        assert_eq!(responses(&out), ["out_of_scope"]);
        assert!(chat.state.frames.is_empty());
    }
}

#[test]
fn a_value_for_the_slot_the_message_names_corrects_it_before_the_question_takes_it() {
    let mut chat = at_reason();
    chat.say(stating("the glass was shattered", "inform", 0.6));
    let mut corrected = order("67891");
    corrected.alternatives.push(("number".into(), json!(67891.0)));
    // The amount would take 67891 as a number (and refuse it); the message names the order.
    let out = chat.say(with(stating("sorry wrong order, it's 67891", "inform", 0.9), vec![corrected.clone()]));
    assert!(matches!(&out.rules[..], [Rule::CorrectionApplied { slot, to, .. }] if slot == "order_id" && to == "67891"), "{:?}", out.rules);
    assert_eq!(responses(&out), ["value_corrected", "ask_amount"]);
    // Unnamed, the same value is a (refused) answer to the question.
    let mut chat = at_reason();
    chat.say(stating("the glass was shattered", "inform", 0.6));
    chat.say(with(stating("67891", "inform", 0.9), vec![corrected]));
    assert_eq!(chat.slot("order_id"), Some(json!("12345")));
}

#[test]
fn a_value_outside_the_tagged_answer_fills_the_slot_it_fits() {
    let mut chat = at_reason();
    let reason = TurnEntity::new("reason", "the lid cracked on first use", json!("the lid cracked on first use"));
    let out = chat.say(with(stating("the lid cracked on first use, so 39.99 please", "inform", 0.6), vec![number("39.99", 39.99), reason]));
    assert_eq!(chat.slot("amount"), Some(json!({"amount": 39.99, "currency": "USD"})));
    assert_eq!(responses(&out), ["confirm_refund"]);
    // A number inside the answer is part of it: "I waited 5 days" gives no amount.
    let mut chat = at_reason();
    let reason = TurnEntity::new("reason", "I waited 5 days for it", json!("I waited 5 days for it"));
    chat.say(with(stating("I waited 5 days for it", "inform", 0.6), vec![number("5", 5.0), reason]));
    assert_eq!(chat.slot("amount"), None);
    assert_eq!(chat.slot("reason"), Some(json!("I waited 5 days for it")));
    // Nor does one before it: that is the story's ("Despite three follow-up emails, …").
    let mut chat = at_reason();
    let text = "Despite three follow-up emails, nobody has answered my warranty request";
    let reason = TurnEntity::new("reason", "nobody has answered my warranty request", json!("nobody has answered my warranty request"));
    chat.say(with(stating(text, "inform", 0.6), vec![number("three", 3.0), reason]));
    assert_eq!(chat.slot("amount"), None);
    assert_eq!(chat.slot("reason"), Some(json!(text)));
}

#[test]
fn a_text_slot_named_with_its_value_takes_it_while_another_question_is_open() {
    // Asked for the amount, "ok. The reason is …" restates the reason, whatever it reads as.
    let mut chat = at_reason();
    chat.say(stating("it broke", "inform", 0.6));
    let out = chat.say(stating("ok. The reason is the machine makes a very loud noise", "complaint", 0.9));
    assert_eq!(chat.slot("reason"), Some(json!("the machine makes a very loud noise")));
    assert_eq!(responses(&out), ["value_corrected", "ask_amount"]);
    // Said as a cancel, it is one.
    let mut chat = at_reason();
    chat.say(stating("it broke", "inform", 0.6));
    chat.say(stating("forget it, the reason is not worth the hassle", "cancel", 0.95));
    assert!(chat.state.frames.is_empty());
}

#[test]
fn a_value_said_for_a_named_slot_goes_there_or_nowhere() {
    // "approver is Suresh Kumar", the name read as a company: it is the approver (to be looked
    // up), and the company keeps its value.
    let mut chat = Chat::new();
    let first = chat.say(with(turn("route the deal with Acme", "deal", 0.95), vec![TurnEntity::new("company", "Acme", json!("Acme"))]));
    assert_eq!(responses(&first), ["ask_approver"], "{:?}", first.rules);
    chat.say(with(stating("approver is Suresh Kumar", "inform", 0.8), vec![TurnEntity::new("company", "Suresh Kumar", json!("Suresh Kumar"))]));
    let (action, slots) = chat.actions.calls.last().expect("the deal routed");
    assert_eq!(action, "route");
    assert_eq!((&slots["company"], &slots["approver"]), (&json!("Acme"), &json!("Suresh Kumar")));
}

#[test]
fn a_plain_number_that_fits_no_later_slot_is_passed_over_without_a_word() {
    let start = |value: TurnEntity| {
        let mut chat = Chat::new();
        let out = chat.say(with(turn("refund order 12345, I waited 2000 minutes", "refund", 0.95), vec![order("12345"), value]));
        (responses(&out), chat.slot("amount"))
    };
    // Not the next question and not of the amount's own kind: no "the amount must be …".
    assert_eq!(start(number("2000", 2000.0)), (vec!["ask_reason".to_string()], None));
    // Money is the amount's own kind: the bot says why it does not fit.
    let money = TurnEntity::new("money", "$2000", json!({"amount": 2000.0, "currency": "USD"}));
    assert_eq!(start(money).0, ["slot_invalid", "ask_reason"]);
}

#[test]
fn a_flow_named_before_a_colon_takes_the_words_after_it_as_its_first_free_text_answer() {
    let mut chat = Chat::new();
    chat.say(turn("survey: the app keeps crashing at login", "survey", 0.9));
    assert_eq!(chat.actions.calls[0].1.get("feedback"), Some(&json!("the app keeps crashing at login")));
    // One word after the colon, or a colon after no name of the flow, answers nothing.
    for text in ["survey: crashes", "hello: the app keeps crashing"] {
        let mut chat = Chat::new();
        let out = chat.say(turn(text, "survey", 0.9));
        assert_eq!(responses(&out), ["ask_feedback"], "{text}");
    }
}

#[test]
fn a_yes_leading_into_a_free_text_answer_is_no_yes_out_of_place() {
    let with_rest = |rest: &str| {
        let mut chat = at_reason();
        let more = vec![stating(rest, "inform", 0.8)];
        let out = chat.say(UserTurn { more, ..stating(&format!("ok, {rest}"), "affirm", 0.95) });
        (out.rules, chat.slot("reason"))
    };
    let (rules, reason) = with_rest("reason is the charger doesn't work at all");
    assert!(rules.is_empty(), "{rules:?}");
    assert_eq!(reason, Some(json!("ok, reason is the charger doesn't work at all")));
    // A rest too short to be the answer leaves the yes out of place.
    let (rules, reason) = with_rest("12345");
    assert!(matches!(&rules[..], [Rule::OutOfPlace { .. }]), "{rules:?}");
    assert_eq!(reason, None);
}

#[test]
fn a_value_alone_goes_to_the_flow_the_text_names_and_a_yes_may_bring_it() {
    let mut chat = Chat::new();
    let out = chat.say(with(stating("refund 67890", "inform", 0.9), vec![order("67890")]));
    assert_eq!(out.rules, [Rule::ValueStarted { slot: "order_id".into(), flow: "refund".into() }]);
    let mut chat = Chat::new();
    let out = chat.say(with(turn("yes, 67890", "affirm", 0.9), vec![order("67890")]));
    assert_eq!(out.rules, [Rule::ValueStarted { slot: "order_id".into(), flow: "status".into() }]);
}

#[test]
fn a_cancel_that_answers_the_question_is_the_answer_unless_another_request_follows() {
    let at_amount = || {
        let mut chat = at_reason();
        chat.say(stating("it broke", "inform", 0.6));
        chat
    };
    let mut chat = at_amount();
    let out = chat.say(with(turn("changed my mind about the blender, don't need it anymore. 49.99", "cancel", 0.95), vec![number("49.99", 49.99)]));
    assert_eq!(responses(&out), ["confirm_refund"]);
    // With a request after it, the cancel is a switch.
    let mut chat = at_amount();
    let more = vec![turn("book a table outside", "book_table", 0.95)];
    let out = chat.say(UserTurn { more, ..with(turn("forget it, 49.99. book a table outside", "cancel", 0.95), vec![number("49.99", 49.99)]) });
    assert_eq!(responses(&out)[0], "flow_cancelled");
}

#[test]
fn at_a_confirmation_a_new_value_read_as_another_flow_that_the_text_does_not_name_corrects_this_one() {
    let mut chat = at_confirmation();
    let out = chat.say(with(turn("sorry make that 67891, typo", "order_status", 0.95), vec![order("67891")]));
    assert!(matches!(&out.rules[..], [Rule::CorrectionApplied { slot, .. }] if slot == "order_id"), "{:?}", out.rules);
    assert_eq!(responses(&out).last().map(String::as_str), Some("confirm_refund"));
    // Named, the other flow is a digression with its own value.
    let mut chat = at_confirmation();
    let out = chat.say(with(turn("where is order 67891", "order_status", 0.95), vec![order("67891")]));
    assert!(matches!(&out.rules[..], [Rule::Parked { .. }]), "{:?}", out.rules);
    assert_eq!(chat.slot("order_id"), Some(json!("12345")), "the refund keeps its order");
}

#[test]
fn a_no_followed_by_what_closes_a_chat_declines_the_optional_question() {
    let mut chat = Chat::new();
    chat.say(turn("survey", "survey", 0.9));
    // A flow that answers at once (thanks, goodbye; here the opening hours) after the no.
    let more = vec![turn("and your hours", "faq_hours", 0.95)];
    let out = chat.say(UserTurn { more, ..turn("nope that's all, and your hours", "deny", 0.95) });
    assert!(out.rules.contains(&Rule::Declined { slot: "feedback".into() }), "{:?}", out.rules);
}

#[test]
fn a_cancelled_flows_order_number_is_offered_to_the_flow_after_it() {
    // "forget the refund, where is it now?": the task goes, the order number the user gave stays.
    let mut chat = at_reason();
    let mut scratch = turn("forget the refund, where is my order", "cancel", 0.9);
    scratch.more = vec![turn("where is my order", "order_status", 0.9)];
    let out = chat.say(scratch);
    assert_eq!(responses(&out), ["flow_cancelled", "next_request", "offer_order_id"]);
    assert!(out.rules.iter().any(|r| matches!(r, Rule::CarriedOffered { value, .. } if value == "12345")), "{:?}", out.rules);
}

#[test]
fn at_the_confirmation_words_beside_a_changed_value_explain_it_and_leave_the_reason() {
    let mut chat = at_confirmation();
    let why = "they already refunded the shipping separately";
    let input = with(
        turn("wait, they already refunded the shipping separately, so make it 35", "refund", 0.9),
        vec![TurnEntity::new("reason", why, json!(why)), number("35", 35.0)],
    );
    let out = chat.say(input);
    assert_eq!(chat.slot("reason"), Some(json!("it broke")), "{:?}", out.rules);
    assert_eq!(chat.slot("amount").and_then(|v| v["amount"].as_f64()), Some(35.0));
    // Named, the reason is changed.
    let mut chat = at_confirmation();
    let text = "the reason is they sent the wrong colour";
    chat.say(with(turn(text, "refund", 0.9), vec![TurnEntity::new("reason", "they sent the wrong colour", json!("they sent the wrong colour"))]));
    assert_eq!(chat.slot("reason"), Some(json!("they sent the wrong colour")));
}

#[test]
fn with_nothing_running_a_request_in_a_value_and_a_word_after_words_with_no_reading_is_the_request() {
    let mut chat = Chat::new();
    let mut input = with(turn("Third one today. Check 12345.", "inform", 0.96), vec![number("one", 1.0)]);
    input.more = vec![with(turn("Check 12345.", "order_status", 0.99), vec![order("12345")])];
    let out = chat.say(input);
    assert!(out.rules.iter().any(|r| matches!(r, Rule::Filler { request, .. } if request == "order_status")), "{:?}", out.rules);
    assert_eq!(chat.actions.calls.first().map(|c| c.0.as_str()), Some("lookup"));
}
