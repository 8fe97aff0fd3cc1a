//! The bundled domain's actions, against built-in demo data. A real deployment replaces them
//! (the server issue adds HTTP webhooks); they are deterministic so that replays can assert on them.
//!
//! Demo data: order numbers ending in 0–2 are processing, 3–5 shipped, 6–8 out for delivery,
//! 9 delivered; order 99999 simulates an order service outage (the action fails). The rule
//! `in_directory` checks a person's name against the demo company's directory (a desk checks
//! its own, through its action server).

use std::collections::BTreeMap;
use std::hash::Hasher;

use chrono::{Duration, NaiveDate};
use dst::{ActionAnswer, ActionRunner};
use serde_json::{Value, json};

/// Actions and slot rules of the bundled domain.
#[derive(Debug, Clone)]
pub struct BuiltinActions {
    pub today: NaiveDate,
}

type Slots = BTreeMap<String, Value>;

fn text(slots: &Slots, name: &str) -> String {
    slots.get(name).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// A stable 4-digit number derived from the slots, for reference numbers.
fn reference(prefix: &str, slots: &Slots) -> Value {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(serde_json::to_string(slots).expect("slots serialize").as_bytes());
    json!(format!("{prefix}-{:04}", hasher.finish() % 10_000))
}

impl BuiltinActions {
    /// The actions the demo data answers (`deskbot check` reports any other a flow calls).
    pub const HANDLED: [&str; 13] = [
        "lookup_order",
        "create_refund",
        "escalate_complaint",
        "log_complaint",
        "submit_contract",
        "submit_expense",
        "submit_leave",
        "list_pending",
        "request_status",
        "change_address",
        "record_feedback",
        "approve_request",
        "reject_request",
    ];

    /// The demo company's staff, who may approve requests.
    pub const DIRECTORY: [&str; 12] = [
        "Jane Smith",
        "Wei Zhang",
        "Carlos Diaz",
        "Priya Patel",
        "Maria Garcia",
        "Tom Becker",
        "Aisha Khan",
        "Kenji Sato",
        "Olivia Brown",
        "Samuel Okafor",
        "Li Na",
        "Lucas Martin",
    ];
}

/// Whether `name` is one person of the directory: a whole name, or a first or last name only
/// one person has (case aside); else why not, with the nearest names.
fn in_directory(name: &str) -> Result<(), String> {
    let wanted = name.trim().to_lowercase();
    let matches = |person: &&&str| {
        let person = person.to_lowercase();
        person == wanted || person.split_whitespace().any(|part| part == wanted)
    };
    match BuiltinActions::DIRECTORY.iter().filter(matches).count() {
        1 => Ok(()),
        0 => {
            let similar = |p: &&&str| strsim::jaro_winkler(&p.to_lowercase(), &wanted) >= 0.85;
            match BuiltinActions::DIRECTORY.iter().find(similar) {
                Some(near) => Err(format!("I can't find {} in the company directory (did you mean {near}?)", name.trim())),
                None => Err(format!("I can't find {} in the company directory", name.trim())),
            }
        }
        _ => Err(format!("several people are called {} — please give the full name", name.trim())),
    }
}

/// Actions answered with fixed fields while a domain is being written (`deskbot chat --action
/// NAME=JSON`); any other action goes to the built-in demo actions.
pub struct StubbedActions {
    pub stubs: BTreeMap<String, Slots>,
    pub builtin: BuiltinActions,
}

impl ActionRunner for StubbedActions {
    fn run(&mut self, action: &str, flow: &str, slots: &Slots) -> Result<ActionAnswer, String> {
        match self.stubs.get(action) {
            Some(fields) => Ok(fields.clone().into()),
            None => self.builtin.run(action, flow, slots),
        }
    }

    fn check(&mut self, rule: &str, slot: &str, value: &Value) -> Result<(), String> {
        self.builtin.check(rule, slot, value)
    }
}

impl ActionRunner for BuiltinActions {
    fn run(&mut self, action: &str, _flow: &str, slots: &Slots) -> Result<ActionAnswer, String> {
        let mut out = Slots::new();
        match action {
            "lookup_order" => {
                let id = text(slots, "order_id");
                if id.ends_with("99999") {
                    return Err("order service unavailable".into());
                }
                let digit = id.chars().last().and_then(|c| c.to_digit(10)).unwrap_or(0);
                let status = match digit {
                    0..=2 => "being processed",
                    3..=5 => "shipped",
                    6..=8 => "out for delivery",
                    _ => "delivered",
                };
                let eta = if digit == 9 { self.today } else { self.today + Duration::days(digit as i64 % 5 + 1) };
                out.insert("status".into(), json!(status));
                out.insert("eta".into(), json!(eta.format("%Y-%m-%d").to_string()));
            }
            "create_refund" => {
                out.insert("reference".into(), reference("RF", slots));
            }
            "escalate_complaint" | "log_complaint" => {
                out.insert("case_id".into(), reference("CS", slots));
            }
            "submit_contract" => {
                out.insert("request_id".into(), reference("CTR", slots));
            }
            "submit_expense" => {
                out.insert("request_id".into(), reference("EXP", slots));
            }
            "submit_leave" => {
                out.insert("request_id".into(), reference("LV", slots));
            }
            "list_pending" => {
                out.insert("count".into(), json!(3));
                out.insert(
                    "pending".into(),
                    json!("APR-1001 (contract C-2024-001 with Acme Corp, $12,000.00), EXP-2002 (travel, $340.00), LV-3003 (5 days annual leave)"),
                );
            }
            "request_status" => {
                let id = text(slots, "request_id").to_uppercase();
                let state = match id.as_str() {
                    "APR-1001" => "waiting for Jane Smith's approval",
                    "EXP-2002" | "LV-3003" => "pending",
                    _ if id.ends_with('0') => "rejected",
                    _ => "approved",
                };
                out.insert("request_state".into(), json!(state));
            }
            "change_address" | "record_feedback" | "approve_request" | "reject_request" => {}
            other => return Err(format!("no handler for action `{other}`")),
        }
        Ok(out.into())
    }

    fn check(&mut self, rule: &str, _slot: &str, value: &Value) -> Result<(), String> {
        match rule {
            "future_date" => {
                let date = value.as_str().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
                match date {
                    Some(d) if d >= self.today => Ok(()),
                    Some(_) => Err("that date is in the past".into()),
                    None => Err("that is not a date".into()),
                }
            }
            "in_directory" => value.as_str().map_or(Err("that is not a name".into()), in_directory),
            other => Err(format!("unknown rule `{other}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handled_list_is_what_run_answers() {
        let mut actions = BuiltinActions { today: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap() };
        let slots = Slots::from([("order_id".to_string(), json!("12345"))]);
        for action in BuiltinActions::HANDLED {
            assert!(actions.run(action, "f", &slots).is_ok(), "{action}");
        }
        assert!(actions.run("submit_po", "f", &slots).unwrap_err().contains("no handler"));
    }

    #[test]
    fn approvers_are_checked_against_the_directory() {
        let mut actions = BuiltinActions { today: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap() };
        for name in ["Maria Garcia", "kenji sato", "Okafor", "li na"] {
            assert!(actions.check("in_directory", "approver", &json!(name)).is_ok(), "{name}");
        }
        let error = actions.check("in_directory", "approver", &json!("Maria Garcya")).unwrap_err();
        assert!(error.contains("can't find Maria Garcya") && error.contains("did you mean Maria Garcia"), "{error}");
        assert!(actions.check("in_directory", "approver", &json!("my manager")).is_err());
    }
}
