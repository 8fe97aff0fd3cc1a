//! No conversation submits a value the user corrected: every confirmation step of the bundled
//! domain is driven to its summary, corrected in words that do not start with "no", and
//! confirmed; the action must get the new value and never the old one.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use deskbot::outcomes::{Case, Expect, run};
use deskbot::{Bot, Domain};
use dst::Step;
use serde_json::{Value, json};

/// (flow, opening turns that reach the confirmation, correction, action, slot, new value, old value)
type Correction = (&'static str, &'static [&'static str], &'static str, &'static str, &'static str, Value, Value);

fn corrections() -> Vec<Correction> {
    vec![
        (
            "refund",
            &["I want a refund for order 12345", "the lamp arrived broken", "$40"],
            "actually it should be 45",
            "create_refund",
            "refund_amount",
            json!("45"),
            json!("40"),
        ),
        (
            "refund",
            &["I want a refund for order 12345", "the lamp arrived broken", "$40"],
            "wait, the order is 12346",
            "create_refund",
            "order_id",
            json!("12346"),
            json!("12345"),
        ),
        (
            "change_address",
            &["change the delivery address of order 12345", "1 Main Street, Springfield"],
            "sorry, it's order 12347 not 12345",
            "change_address",
            "order_id",
            json!("12347"),
            json!("12345"),
        ),
        (
            "contract_approval",
            &["submit contract C-2024-001 with Acme Corp for $12,000, approver Jane, due 2026-12-10"],
            "actually the amount is 15000",
            "submit_contract",
            "contract_amount",
            json!("15000"),
            json!("12000"),
        ),
        (
            "contract_approval",
            &["submit contract C-2024-001 with Acme Corp for $12,000, approver Jane, due 2026-12-10"],
            "make that the 18th",
            "submit_contract",
            "due_date",
            json!("2026-12-18"),
            json!("2026-12-10"),
        ),
        (
            "expense",
            &["I want to submit an expense", "$380", "meals", "2026-11-26"],
            "the amount is 308, I flipped the digits",
            "submit_expense",
            "expense_amount",
            json!("308"),
            json!("380"),
        ),
        ("leave", &["I'd like annual leave", "2026-12-21", "5 days"], "make it 3 days", "submit_leave", "leave_days", json!("3"), json!("5")),
        // A directory name the tagger may read as a counterparty (conversations11 p29).
        (
            "contract_approval",
            &["submit contract C-2024-001 with Acme Corp for $12,000, approver Jane, due 2026-12-10"],
            "actually Kenji Sato should approve this one",
            "submit_contract",
            "approver",
            json!("Kenji Sato"),
            json!("Jane Smith"),
        ),
        // In Chinese, where a "不对" lines up with the end of a Chinese reason (conversations16 s58).
        (
            "refund",
            &["我要退款，订单12345", "尺码不对", "40"],
            "不对不对，是 45，我刚才打错了",
            "create_refund",
            "refund_amount",
            json!("45"),
            json!("40"),
        ),
        ("leave", &["我想请年假", "12月21日", "5天"], "改成3天", "submit_leave", "leave_days", json!("3"), json!("5")),
        // A free-text value said again whole, most of it changed (conversations17 t48).
        (
            "change_address",
            &["change the delivery address of order 12345", "14 Oak Avenue, Leeds LS6 2AB"],
            "sorry, it's 27 Birch Close, Leeds LS6 3CD",
            "change_address",
            "new_address",
            json!("27 Birch Close, Leeds LS6 3CD"),
            json!("14 Oak"),
        ),
        ("approve", &["approve APR-1001"], "oh wait, I meant EXP-2002", "approve_request", "request_id", json!("EXP-2002"), json!("APR-1001")),
        ("reject", &["reject APR-1001", "over budget"], "it should be LV-3003", "reject_request", "request_id", json!("LV-3003"), json!("APR-1001")),
    ]
}

#[test]
fn every_confirmation_takes_a_correction_without_a_no() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    let domain = Domain::bundled().unwrap();
    let confirming: Vec<&String> =
        domain.flows.flows.iter().filter(|(_, f)| f.steps.iter().any(|s| matches!(s, Step::Confirm(_)))).map(|(n, _)| n).collect();
    let table = corrections();
    let covered: Vec<&str> = table.iter().map(|c| c.0).collect();
    for flow in &confirming {
        assert!(covered.contains(&flow.as_str()), "flow `{flow}` confirms, but no correction drives it");
    }
    let bot = Bot::new(domain.clone()).unwrap().with_today(today);
    let mut failures = Vec::new();
    for (flow, opening, correction, action, slot, new, old) in table {
        let mut turns: Vec<String> = opening.iter().map(|t| t.to_string()).collect();
        turns.push(correction.to_string());
        turns.push("yes".to_string());
        let case = Case {
            id: format!("{flow}: {correction}"),
            kind: String::new(),
            turns,
            expect: Expect {
                actions: BTreeMap::from([(action.to_string(), BTreeMap::from([(slot.to_string(), new)]))]),
                never_values: BTreeMap::from([(slot.to_string(), old)]),
                handoff: Some(false),
                ..Expect::default()
            },
        };
        let report = run(&bot, &case, today);
        if !report.passed() {
            failures.push(format!("{}: {}\n{:#?}", report.id, report.problems.join("; "), report.transcript));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
