//! Turning an entity or a free-text answer into a slot value, or a reason why not.

use serde_json::{Value, json};

use crate::flows::{FlowSet, SlotType};

/// Checks and converts `normalized` for `slot`; `previous` is the slot's old value (a bare
/// number keeps the old currency). The error is a reason a user can read.
pub(crate) fn convert(flows: &FlowSet, slot: &str, normalized: &Value, previous: Option<&Value>) -> Result<Value, String> {
    let Some(def) = flows.slots.get(slot) else { return Err(format!("there is no slot `{slot}`")) };
    let label = flows.label(slot);
    let value = match &def.kind {
        SlotType::Text => match normalized {
            Value::String(s) if s.trim().is_empty() => return Err(format!("{label} can't be empty")),
            Value::String(s) => json!(s.trim()),
            other => json!(display(other)),
        },
        SlotType::Integer => {
            let n = number(normalized).ok_or_else(|| format!("{label} must be a whole number"))?;
            if n.fract() != 0.0 {
                return Err(format!("{label} must be a whole number"));
            }
            json!(n as i64)
        }
        SlotType::Number => json!(number(normalized).ok_or_else(|| format!("{label} must be a number"))?),
        SlotType::Money => {
            let (amount, currency) = match normalized {
                Value::Object(m) => (m.get("amount").and_then(Value::as_f64), m.get("currency").and_then(Value::as_str).map(str::to_string)),
                other => (number(other), None),
            };
            let amount = amount.ok_or_else(|| format!("{label} must be an amount of money"))?;
            let currency = currency
                .or_else(|| previous.and_then(|p| p.get("currency")).and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| flows.settings.default_currency.clone());
            json!({"amount": amount, "currency": currency})
        }
        SlotType::Date => match normalized.as_str() {
            Some(s) if is_iso_date(s) => json!(s),
            _ => return Err(format!("{label} must be a date")),
        },
        SlotType::Email => match normalized.as_str() {
            Some(s) if s.contains('@') => json!(s),
            _ => return Err(format!("{label} must be an email address")),
        },
        SlotType::Enum(options) => {
            let text = display(normalized);
            match options.iter().find(|o| o.eq_ignore_ascii_case(text.trim())) {
                Some(option) => json!(option),
                None => return Err(format!("{label} must be one of: {}", options.join(", "))),
            }
        }
    };
    let magnitude = match &value {
        Value::Object(m) => m.get("amount").and_then(Value::as_f64),
        other => other.as_f64(),
    };
    if let Some(n) = magnitude {
        if let Some(min) = def.min.filter(|&min| n < min) {
            return Err(range(&label, min, def.max));
        }
        if let Some(max) = def.max.filter(|&max| n > max) {
            return Err(range(&label, def.min.unwrap_or(f64::MIN), Some(max)));
        }
    }
    if let Some(pattern) = flows.patterns.get(slot) {
        let text = display(&value);
        if !pattern.is_match(&text) {
            return Err(format!("I can't use {text:?} as {label}"));
        }
    }
    Ok(value)
}

fn range(label: &str, min: f64, max: Option<f64>) -> String {
    match max {
        Some(max) if min > f64::MIN => format!("{label} must be between {} and {}", trim(min), trim(max)),
        Some(max) => format!("{label} must be at most {}", trim(max)),
        None => format!("{label} must be at least {}", trim(min)),
    }
}

fn trim(n: f64) -> String {
    if n.fract() == 0.0 { format!("{}", n as i64) } else { format!("{n}") }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        Value::Object(m) => m.get("amount").or_else(|| m.get("days")).and_then(Value::as_f64),
        _ => None,
    }
}

/// A value as plain text (strings without quotes).
pub(crate) fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(m) if m.contains_key("amount") => {
            format!("{} {}", m["amount"], m.get("currency").and_then(Value::as_str).unwrap_or(""))
        }
        other => other.to_string(),
    }
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-' && s.chars().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}
