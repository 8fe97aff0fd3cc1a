//! Conditions on slot values: the one type flows branch on (`If { when: … }`) and reply
//! variations are chosen by (`when: [ … ]` in templates), so both read a slot alike.
//!
//! A slot holding `null` is missing, and so is one holding `""` (an optional question the
//! user declined). Strings compare case-insensitively, numbers by value;
//! `Below` and `Above` read a number or a money amount (`{"amount": …}`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// A condition on one slot's value.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub enum Condition {
    Has(String),
    Missing(String),
    Equals(String, Value),
    OneOf(String, Vec<Value>),
    /// The slot's number (or money amount) is below the bound.
    Below(String, f64),
    Above(String, f64),
}

impl Condition {
    /// The slot the condition reads.
    pub fn slot(&self) -> &str {
        match self {
            Condition::Has(s)
            | Condition::Missing(s)
            | Condition::Equals(s, _)
            | Condition::OneOf(s, _)
            | Condition::Below(s, _)
            | Condition::Above(s, _) => s,
        }
    }

    /// Whether the condition holds for these slot values.
    pub fn holds(&self, slots: &BTreeMap<String, Value>) -> bool {
        let value = slots.get(self.slot()).filter(|v| !v.is_null() && v.as_str() != Some(""));
        let number = value.and_then(|v| v.get("amount").and_then(Value::as_f64).or_else(|| v.as_f64()));
        match self {
            Condition::Has(_) => value.is_some(),
            Condition::Missing(_) => value.is_none(),
            Condition::Equals(_, expected) => value.is_some_and(|v| loosely_equal(v, expected)),
            Condition::OneOf(_, options) => value.is_some_and(|v| options.iter().any(|o| loosely_equal(v, o))),
            Condition::Below(_, bound) => number.is_some_and(|n| n < *bound),
            Condition::Above(_, bound) => number.is_some_and(|n| n > *bound),
        }
    }
}

/// Strings compare case-insensitively; numbers by value.
fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn slots(value: Value) -> BTreeMap<String, Value> {
        BTreeMap::from([("x".to_string(), value)])
    }

    #[test]
    fn null_and_a_declined_answer_are_missing() {
        assert!(!Condition::Has("x".into()).holds(&slots(Value::Null)));
        assert!(!Condition::Has("x".into()).holds(&slots(json!(""))), "a declined optional question");
        assert!(Condition::Has("x".into()).holds(&slots(json!("the courier was kind"))));
        assert!(Condition::Missing("x".into()).holds(&slots(Value::Null)));
        assert!(Condition::Missing("x".into()).holds(&BTreeMap::new()));
    }

    #[test]
    fn equality_is_loose_and_bounds_read_money() {
        assert!(Condition::Equals("x".into(), json!("Travel")).holds(&slots(json!("travel"))));
        assert!(Condition::OneOf("x".into(), vec![json!(2.0), json!(3)]).holds(&slots(json!(2))));
        assert!(!Condition::Equals("x".into(), json!("2")).holds(&slots(json!(2))));
        let money = slots(json!({"amount": 12000.0, "currency": "USD"}));
        assert!(Condition::Above("x".into(), 10000.0).holds(&money));
        assert!(!Condition::Below("x".into(), 10000.0).holds(&money));
        assert!(!Condition::Below("x".into(), 1.0).holds(&slots(json!("cheap"))));
    }
}
