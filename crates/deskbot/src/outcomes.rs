//! Conversations judged by how they end, for fresh-phrasing test sets written without looking
//! at the domain: JSON lines of user turns, the actions that must be called (with which slot
//! values), the actions that must not, values that must never be submitted, and whether the
//! conversation must end with a human.
//!
//! ```json
//! {"id": "c01", "kind": "correction_at_confirmation",
//!  "turns": ["refund for order 55128", "cracked jug", "$45", "sorry, 40 not 45", "yes"],
//!  "expect": {"actions": {"create_refund": {"order_id": "55128", "refund_amount": "40"}},
//!             "no_actions": [], "handoff": false, "never_values": {"refund_amount": "45"}}}
//! ```
//!
//! Values compare by kind: money by amount (and currency when one is given, "80 EUR"), numbers
//! numerically, ISO dates exactly, text case-insensitively as a part of the stored value (a
//! value never to submit as whole words: "482" is not in "48217").

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use dst::{ActionAnswer, ActionRunner};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::actions::BuiltinActions;
use crate::domain::Error;
use crate::engine::{Bot, Conversation};

#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub id: String,
    #[serde(default)]
    pub kind: String,
    pub turns: Vec<String>,
    pub expect: Expect,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Expect {
    /// Action → slot values it must have been called with (a subset).
    pub actions: BTreeMap<String, BTreeMap<String, Value>>,
    pub no_actions: Vec<String>,
    pub handoff: Option<bool>,
    /// Slot → a value no action may be called with.
    pub never_values: BTreeMap<String, Value>,
}

/// What happened in one conversation, and what was wrong with it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    pub id: String,
    pub kind: String,
    pub problems: Vec<String>,
    /// (user, bot) per turn.
    pub transcript: Vec<(String, String)>,
}

impl CaseReport {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Reads a JSON-lines file of cases; errors name the file and line.
pub fn load(path: &Path) -> Result<Vec<Case>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Script { path: path.into(), message: e.to_string() })?;
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let case = serde_json::from_str(line).map_err(|e| Error::Script { path: path.into(), message: format!("line {}: {e}", i + 1) })?;
        cases.push(case);
    }
    Ok(cases)
}

/// Runs the built-in actions and records every call with its slot values.
struct Recorder {
    actions: BuiltinActions,
    calls: Vec<(String, BTreeMap<String, Value>)>,
}

impl ActionRunner for Recorder {
    fn run(&mut self, action: &str, flow: &str, slots: &BTreeMap<String, Value>) -> Result<ActionAnswer, String> {
        self.calls.push((action.to_string(), slots.clone()));
        self.actions.run(action, flow, slots)
    }
    fn check(&mut self, rule: &str, slot: &str, value: &Value) -> Result<(), String> {
        self.actions.check(rule, slot, value)
    }
}

/// Plays one case on a fresh conversation (`today` fixes relative dates).
pub fn run(bot: &Bot, case: &Case, today: NaiveDate) -> CaseReport {
    let mut conversation = Conversation::new(&case.id);
    let mut recorder = Recorder { actions: BuiltinActions { today }, calls: Vec::new() };
    let mut handed_off = false;
    for text in &case.turns {
        let result = bot.respond_with(&mut conversation, text, &mut recorder);
        handed_off |= result.handoff.is_some();
    }
    let mut problems = Vec::new();
    for (action, wanted) in &case.expect.actions {
        let calls: Vec<&BTreeMap<String, Value>> = recorder.calls.iter().filter(|(a, _)| a == action).map(|(_, s)| s).collect();
        if calls.is_empty() {
            problems.push(format!("`{action}` was not called"));
            continue;
        }
        let matching = calls.iter().any(|slots| wanted.iter().all(|(slot, value)| slots.get(slot).is_some_and(|v| same(v, value, Text::Part))));
        if !matching {
            let seen: Vec<String> = calls.iter().map(|s| serde_json::to_string(s).unwrap_or_default()).collect();
            problems.push(format!("`{action}` was called with {}, not {}", seen.join(" and "), serde_json::to_string(wanted).unwrap_or_default()));
        }
    }
    for action in &case.expect.no_actions {
        if recorder.calls.iter().any(|(a, _)| a == action) {
            problems.push(format!("`{action}` was called"));
        }
    }
    for (slot, value) in &case.expect.never_values {
        if let Some((action, _)) = recorder.calls.iter().find(|(_, s)| s.get(slot).is_some_and(|v| same(v, value, Text::Words))) {
            problems.push(format!("`{action}` was called with the corrected {slot} {value}"));
        }
    }
    if let Some(expected) = case.expect.handoff
        && expected != handed_off
    {
        problems.push(if expected { "not handed off".to_string() } else { "handed off".to_string() });
    }
    CaseReport { id: case.id.clone(), kind: case.kind.clone(), problems, transcript: conversation.transcript }
}

/// The slot values `bot` takes from `text` said as a conversation's first message: what the
/// actions it called were given and what its frames hold after the turn, by slot.
pub fn first_message_values(bot: &Bot, text: &str, today: NaiveDate) -> BTreeMap<String, Value> {
    let mut conversation = Conversation::new("values");
    let mut recorder = Recorder { actions: BuiltinActions { today }, calls: Vec::new() };
    bot.respond_with(&mut conversation, text, &mut recorder);
    let mut values: BTreeMap<String, Value> = recorder.calls.into_iter().flat_map(|(_, slots)| slots).collect();
    for frame in &conversation.state.frames {
        for (slot, value) in &frame.slots {
            values.entry(slot.clone()).or_insert_with(|| value.normalized.clone());
        }
    }
    values.retain(|_, v| v.as_str() != Some(""));
    values
}

/// How the values of labelled utterances were taken, per slot.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SlotScore {
    /// Values the utterances give for this slot.
    pub expected: usize,
    /// …taken with the right value,
    pub right: usize,
    /// …taken with another value,
    pub wrong: usize,
    /// and values taken where the utterance gives none.
    pub extra: usize,
}

impl SlotScore {
    pub fn precision(&self) -> f64 {
        self.right as f64 / (self.right + self.wrong + self.extra).max(1) as f64
    }

    pub fn recall(&self) -> f64 {
        self.right as f64 / self.expected.max(1) as f64
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
}

/// Scores the values `bot` takes from each `(text, expected values)` said as a first message
/// (`tick` after each): per slot, over the slots the utterances name.
pub fn score_values<'a>(
    bot: &Bot,
    cases: impl IntoIterator<Item = (&'a str, &'a BTreeMap<String, Value>)>,
    today: NaiveDate,
    mut tick: impl FnMut(),
) -> BTreeMap<String, SlotScore> {
    let cases: Vec<_> = cases.into_iter().collect();
    let mut scores: BTreeMap<String, SlotScore> = BTreeMap::new();
    for (_, expected) in &cases {
        for slot in expected.keys() {
            scores.entry(slot.clone()).or_default();
        }
    }
    for (text, expected) in cases {
        let taken = first_message_values(bot, text, today);
        for (slot, score) in scores.iter_mut() {
            match (expected.get(slot), taken.get(slot)) {
                (Some(want), Some(got)) if same(got, want, Text::Part) => score.right += 1,
                (Some(_), Some(_)) => score.wrong += 1,
                (None, Some(_)) => score.extra += 1,
                _ => {}
            }
            score.expected += usize::from(expected.contains_key(slot));
        }
        tick();
    }
    scores
}

/// How an expected text is found in a stored one.
#[derive(Clone, Copy)]
enum Text {
    /// Anywhere ("cracked" in "the jug was cracked"): a value the action must get.
    Part,
    /// As whole words ("482" is not in "48217"): a value that must never be submitted.
    Words,
}

/// Whether a value an action got matches the expected one (see the module doc).
fn same(actual: &Value, expected: &Value, text: Text) -> bool {
    let wanted = match expected {
        Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    };
    match actual {
        Value::Object(money) if money.contains_key("amount") => {
            let mut parts = wanted.split_whitespace();
            let amount = parts.next().and_then(|a| a.replace(',', "").parse::<f64>().ok());
            let currency = parts.next();
            let actual_amount = money.get("amount").and_then(Value::as_f64);
            let actual_currency = money.get("currency").and_then(Value::as_str);
            matches!((amount, actual_amount), (Some(a), Some(b)) if (a - b).abs() < 0.005)
                && currency.is_none_or(|c| actual_currency.is_some_and(|a| a.eq_ignore_ascii_case(c)))
        }
        Value::Number(n) => wanted.replace(',', "").parse::<f64>().is_ok_and(|w| n.as_f64().is_some_and(|a| (a - w).abs() < 0.005)),
        Value::String(s) => match text {
            Text::Part => s.to_lowercase().contains(&wanted.to_lowercase()),
            Text::Words => contains_words(&s.to_lowercase(), &wanted.to_lowercase()),
        },
        other => *other == wanted,
    }
}

/// Whether `part` occurs in `text` with no letter or digit right before or after it.
fn contains_words(text: &str, part: &str) -> bool {
    text.match_indices(part).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + part.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Text, same};
    use crate::{Bot, Domain};

    #[test]
    fn values_compare_by_kind() {
        let same = |actual, expected| same(&actual, &expected, Text::Part);
        assert!(same(json!({"amount": 15000.0, "currency": "USD"}), json!("15000")));
        assert!(same(json!({"amount": 80.0, "currency": "EUR"}), json!("80 EUR")));
        assert!(!same(json!({"amount": 80.0, "currency": "USD"}), json!("80 EUR")));
        assert!(!same(json!({"amount": 12000.0, "currency": "USD"}), json!("15000")));
        assert!(same(json!(5), json!("5")) && same(json!(5), json!(5)));
        assert!(same(json!("the handle snapped"), json!("Handle")));
        assert!(!same(json!("2026-12-15"), json!("2026-12-18")));
    }

    #[test]
    fn a_value_never_to_submit_is_found_as_whole_words() {
        let never = |actual: &str, expected: &str| super::same(&json!(actual), &json!(expected), Text::Words);
        assert!(!never("48217", "482") && never("482", "482") && never("order 482.", "482"));
        assert!(never("Tom Becker", "tom") && !never("Tomas Becker", "tom"));
        assert!(super::same(&json!("48217"), &json!("482"), Text::Part));
    }

    #[test]
    fn values_of_a_first_message_are_scored_per_slot() {
        let bot = Bot::new(Domain::bundled().unwrap()).unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let right = [("order_id".to_string(), json!("48213"))].into();
        let wrong = [("order_id".to_string(), json!("99999"))].into();
        let none = Default::default();
        let cases = [("where is order 48213?", &right), ("where is order 48214?", &wrong), ("where is my order 12345?", &none)];
        let scores = super::score_values(&bot, cases, today, || {});
        let order = &scores["order_id"];
        assert_eq!((order.expected, order.right, order.wrong, order.extra), (2, 1, 1, 1), "{order:?}");
        assert!((order.recall() - 0.5).abs() < 1e-9 && (order.precision() - 1.0 / 3.0).abs() < 1e-9);
    }
}
