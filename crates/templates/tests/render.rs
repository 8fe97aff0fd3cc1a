//! Loading template files and rendering replies.

use std::path::Path;

use serde_json::json;
use templates::{Ranker, Rejection, RenderOptions, Rephraser, Slots, TemplateError, TemplateSet};

const FILE: &str = r#"
Templates(responses: {
    "confirm_refund": [
        (text: "Refund {amount|money} for order {order_id}?"),
        (text: "Shall I refund {amount|money} for order {order_id}?"),
        (text: "Refund order {order_id}?", when: [Missing("amount")]),
        (text: "Refund {amount|money} for {order_id}? Reply YES or NO", channel: Some("sms")),
    ],
    "feedback_thanks": [
        (text: "Sorry to hear that. A manager will call you.", when: [OneOf("rating", [1, 2])]),
        (text: "Thanks for rating us {rating}/5!", when: [OneOf("rating", [3, 4, 5])]),
        (text: "Thanks for your feedback!"),
    ],
    "echo": [(text: "You said: {reason}")],
})
"#;

fn set() -> TemplateSet {
    let mut set = TemplateSet::default();
    set.add_source(Path::new("replies.ron"), FILE).unwrap();
    set
}

fn slots(value: serde_json::Value) -> Slots {
    serde_json::from_value(value).unwrap()
}

#[test]
fn conditions_channels_and_formatting() {
    let set = set();
    let s = slots(json!({"order_id": "A-1001", "amount": {"amount": 4000, "currency": "USD"}}));
    let text = set.render("confirm_refund", &s, &RenderOptions::default()).unwrap().text;
    assert!(text.contains("$4,000.00") && text.contains("A-1001"), "{text}");
    let sms = set.render("confirm_refund", &s, &RenderOptions { channel: Some("sms"), ..RenderOptions::default() }).unwrap();
    assert_eq!(sms.text, "Refund $4,000.00 for A-1001? Reply YES or NO");
    let no_amount =
        set.render("confirm_refund", &slots(json!({"order_id": "A-1001"})), &RenderOptions { seed: 7, ..RenderOptions::default() }).unwrap();
    assert_eq!(no_amount.text, "Refund order A-1001?");
    let low = set.render("feedback_thanks", &slots(json!({"rating": 2})), &RenderOptions::default()).unwrap();
    assert!(low.text.starts_with("Sorry"), "{}", low.text);
    let high = set.render("feedback_thanks", &slots(json!({"rating": 5})), &RenderOptions::default()).unwrap();
    assert_eq!(high.text, "Thanks for rating us 5/5!");
    let unrated = set.render("feedback_thanks", &Slots::new(), &RenderOptions::default()).unwrap();
    assert_eq!(unrated.text, "Thanks for your feedback!");
    let error = set.render("echo", &Slots::new(), &RenderOptions::default()).unwrap_err();
    assert!(matches!(error, TemplateError::NoneApplies { .. }) && error.to_string().contains("reason"), "{error}");
}

#[test]
fn seeds_choose_and_repeat() {
    let set = set();
    let s = slots(json!({"order_id": "A-1", "amount": 5}));
    let pick = |seed| set.render("confirm_refund", &s, &RenderOptions { seed, ..RenderOptions::default() }).unwrap().variation;
    assert_eq!(pick(3), pick(3));
    let picks: std::collections::BTreeSet<usize> = (0..20).map(pick).collect();
    assert_eq!(picks, [0, 1].into_iter().collect(), "both general variations are used, never the sms one");
}

#[test]
fn user_text_is_data_not_template() {
    let set = set();
    let s = slots(json!({"reason": "it broke {amount|money} }} {{"}));
    assert_eq!(set.render("echo", &s, &RenderOptions::default()).unwrap().text, "You said: it broke {amount|money} }} {{");
}

struct PreferLonger;
impl Ranker for PreferLonger {
    fn rank(&self, _context: &str, candidates: &[String]) -> Vec<f64> {
        candidates.iter().map(|c| c.len() as f64).collect()
    }
}

struct Fixed(&'static str);
impl Rephraser for Fixed {
    fn rephrase(&self, _context: &str, _reply: &str, _seed: u64) -> Option<String> {
        Some(self.0.to_string())
    }
}

#[test]
fn ranking_and_guarded_rephrasing() {
    let set = set();
    let s = slots(json!({"order_id": "A-1", "amount": {"amount": 4000, "currency": "USD"}}));
    let ranked = set
        .render("confirm_refund", &s, &RenderOptions { context: "user: refund", ranker: Some(&PreferLonger), ..RenderOptions::default() })
        .unwrap();
    assert_eq!(ranked.variation, 1);
    // "shall" comes from the other variation that applies; "okay" is a function word.
    let kept = Fixed("Okay, shall I refund $4,000.00 for order A-1?");
    let r = set.render("confirm_refund", &s, &RenderOptions { rephraser: Some(&kept), ..RenderOptions::default() }).unwrap();
    assert!(r.rephrased && r.text.starts_with("Okay") && r.refused.is_none(), "{r:?}");
    // With a ranker, the rewording must score at least level with the reply it replaces.
    let shorter = Fixed("Refund $4,000.00, order A-1?");
    let r = set
        .render("confirm_refund", &s, &RenderOptions { ranker: Some(&PreferLonger), rephraser: Some(&shorter), ..RenderOptions::default() })
        .unwrap();
    assert_eq!((r.rephrased, r.refused.map(|r| r.1)), (false, Some(Rejection::LessLikely)));
    let r =
        set.render("confirm_refund", &s, &RenderOptions { ranker: Some(&PreferLonger), rephraser: Some(&kept), ..RenderOptions::default() }).unwrap();
    assert!(r.rephrased, "longer than the longer variation PreferLonger chose: {r:?}");
    let dropped_value = Fixed("Okay, shall I refund $4,000 for order A-1?");
    let r = set.render("confirm_refund", &s, &RenderOptions { rephraser: Some(&dropped_value), ..RenderOptions::default() }).unwrap();
    assert!(!r.rephrased && r.text.contains("$4,000.00"), "a rewording that changes a value is refused: {}", r.text);
    assert_eq!(r.refused, Some((dropped_value.0.to_string(), Rejection::Value("$4,000.00".into()))));
    let other_meaning = Fixed("Cancel everything about $4,000.00 and A-1 now.");
    let r = set.render("confirm_refund", &s, &RenderOptions { rephraser: Some(&other_meaning), ..RenderOptions::default() }).unwrap();
    assert!(!r.rephrased && r.refused.is_some(), "a rewording that keeps the values but not the words is refused: {}", r.text);
    let same = Fixed("You  said: broken");
    let r = set.render("echo", &slots(json!({"reason": "broken"})), &RenderOptions { rephraser: Some(&same), ..RenderOptions::default() }).unwrap();
    assert!(!r.rephrased && r.refused.is_none(), "the template's own words are no rewording: {r:?}");
}

#[test]
fn a_rewording_brings_in_no_word_of_its_own() {
    let set = set();
    let s = slots(json!({"order_id": "A-1", "amount": {"amount": 4000, "currency": "USD"}}));
    // What the bundled model offered for "Why would you like a refund?": fluent, another question.
    assert_eq!(
        templates::check_rewording("How much would you like to make a refund?", "Why would you like a refund?", &[], ""),
        Err(Rejection::NewWord("how".into()))
    );
    // What a model fine-tuned on paraphrase pairs offered: known words, stammered.
    assert_eq!(
        templates::check_rewording(
            "What is the order number of order number?",
            "Could you give me the order number?",
            &[],
            "What's your order number?"
        ),
        Err(Rejection::Repeats("numbe".into()))
    );
    // A new number is a new fact.
    let promise = Fixed("Shall I refund $4,000.00 for order A-1 within 24 hours?");
    let r = set.render("confirm_refund", &s, &RenderOptions { rephraser: Some(&promise), ..RenderOptions::default() }).unwrap();
    assert_eq!(r.refused.map(|r| r.1), Some(Rejection::NewWord("withi".into())));
    // Words the user said are known.
    let echo = Fixed("Shall I refund $4,000.00 for the broken order A-1?");
    let r = set
        .render(
            "confirm_refund",
            &s,
            &RenderOptions { context: "User: order A-1 arrived broken\nBot:", rephraser: Some(&echo), ..RenderOptions::default() },
        )
        .unwrap();
    assert!(r.rephrased, "{r:?}");
    let r = set.render("confirm_refund", &s, &RenderOptions { rephraser: Some(&echo), ..RenderOptions::default() }).unwrap();
    assert_eq!(r.refused.map(|r| r.1), Some(Rejection::NewWord("broke".into())));
    // Words of a variation whose conditions do not hold are not known: a 5/5 rating must not
    // be answered with the low rating's promise.
    let promise = Fixed("Thanks for rating us 5/5! A manager will call you.");
    let r = set
        .render("feedback_thanks", &slots(json!({"rating": 5})), &RenderOptions { rephraser: Some(&promise), ..RenderOptions::default() })
        .unwrap();
    assert_eq!((r.text.as_str(), r.refused.map(|r| r.1)), ("Thanks for rating us 5/5!", Some(Rejection::NewWord("manag".into()))));
}

#[test]
fn a_variation_can_forbid_rewording() {
    struct MustNotBeAsked;
    impl Rephraser for MustNotBeAsked {
        fn rephrase(&self, _context: &str, reply: &str, _seed: u64) -> Option<String> {
            panic!("asked to reword {reply:?}")
        }
    }
    let mut set = TemplateSet::default();
    set.add_source(Path::new("policy.ron"), r#"Templates(responses: {"returns": [(text: "Returns within 30 days.", rephrase: false)]})"#).unwrap();
    let r = set.render("returns", &Slots::new(), &RenderOptions { rephraser: Some(&MustNotBeAsked), ..RenderOptions::default() }).unwrap();
    assert_eq!((r.text.as_str(), r.rephrased), ("Returns within 30 days.", false));
    assert!(!set.variations("returns")[0].rephrase);
}

#[test]
fn a_rewording_keeps_half_the_content_words() {
    // What the bundled model offered for the greeting: fluent, and about something else.
    let greeting = "Hello! I can help with orders, refunds, complaints, and approvals for contracts, expenses and leave. What do you need?";
    assert!(!templates::keeps_content("You want a refund from your refund.", greeting));
    assert!(templates::keeps_content("Hi! I help with orders, refunds, complaints and approvals of contracts, expenses or leave.", greeting));
    assert!(templates::keeps_content("好的，退款已经提交。", "退款已提交。"));
    assert!(!templates::keeps_content("订单已取消。", "退款已提交。"));
    assert!(templates::keeps_content("Sure.", "OK."));
}

#[test]
fn a_rewording_keeps_its_negations() {
    let original = "Your refund is on its way.";
    assert!(!templates::keeps_negation("Your refund is not on its way.", original));
    assert!(!templates::keeps_negation("Your refund isn’t on its way.", original));
    assert!(templates::keeps_negation("Your refund is already on its way!", original));
    assert!(templates::keeps_negation("We can't find that order.", "We cannot find that order."));
    assert!(!templates::keeps_negation("退款没有提交。", "退款已提交。"));
}

#[test]
fn file_errors_name_file_line_and_response() {
    let mut set = TemplateSet::default();
    let error = set.add_source(Path::new("bad.ron"), "Templates(responses: {\n  \"a\": [(text: \"x\"),\n  ]\n").unwrap_err();
    assert!(error.to_string().starts_with("bad.ron:"), "{error}");
    let error = set.add_source(Path::new("bad.ron"), r#"Templates(responses: {"a": [(text: "Hi {name")]})"#).unwrap_err();
    assert!(error.to_string().contains("response `a`, variation 0") && error.to_string().contains("unclosed"), "{error}");
    let error = set.add_source(Path::new("bad.ron"), r#"Templates(responses: {"a": [(txt: "Hi")]})"#).unwrap_err();
    assert!(error.to_string().contains("bad.ron:1:") && error.to_string().contains("txt"), "{error}");
    set.add_source(Path::new("one.ron"), r#"Templates(responses: {"a": [(text: "Hi")]})"#).unwrap();
    let error = set.add_source(Path::new("two.ron"), r#"Templates(responses: {"a": [(text: "Hi")]})"#).unwrap_err();
    assert!(error.to_string().contains("one.ron"), "{error}");
    assert!(matches!(set.render("nope", &Slots::new(), &RenderOptions::default()), Err(TemplateError::Unknown(_))));
}
