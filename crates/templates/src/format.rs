//! Formatting slot values for display: money (`$4,000.00`, `¥500.00`), dates, numbers.

use std::str::FromStr;

use serde_json::Value;

/// How a placeholder shows its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Strings as they are, numbers as written, money and dates in their display form.
    Plain,
    /// `{"amount": 4000, "currency": "USD"}` or a bare number → `$4,000.00`.
    Money,
    /// An ISO date `2026-12-12` → `December 12, 2026`.
    Date,
    /// A number with thousands separators.
    Number,
    Upper,
    Lower,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "plain" => Format::Plain,
            "money" => Format::Money,
            "date" => Format::Date,
            "number" => Format::Number,
            "upper" => Format::Upper,
            "lower" => Format::Lower,
            other => return Err(format!("unknown format `{other}` (money, date, number, upper, lower, plain)")),
        })
    }
}

/// Renders one slot value.
pub fn format_value(value: &Value, format: Format) -> String {
    match format {
        Format::Money => money(value).unwrap_or_else(|| plain(value)),
        Format::Date => value.as_str().and_then(long_date).unwrap_or_else(|| plain(value)),
        Format::Number => value.as_f64().map(|n| group_thousands(n, if n.fract() == 0.0 { 0 } else { 2 })).unwrap_or_else(|| plain(value)),
        Format::Upper => plain(value).to_uppercase(),
        Format::Lower => plain(value).to_lowercase(),
        Format::Plain => plain(value),
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Object(map) if map.contains_key("amount") => money(value).unwrap_or_else(|| value.to_string()),
        Value::Object(map) if map.contains_key("text") => plain(&map["text"]),
        other => other.to_string(),
    }
}

fn money(value: &Value) -> Option<String> {
    let (amount, currency) = match value {
        Value::Number(n) => (n.as_f64()?, "USD".to_string()),
        Value::Object(map) => (map.get("amount")?.as_f64()?, map.get("currency").and_then(Value::as_str).unwrap_or("USD").to_uppercase()),
        _ => return None,
    };
    let digits = group_thousands(amount.abs(), 2);
    let sign = if amount < 0.0 { "-" } else { "" };
    Some(match currency.as_str() {
        "USD" => format!("{sign}${digits}"),
        "EUR" => format!("{sign}€{digits}"),
        "GBP" => format!("{sign}£{digits}"),
        "CNY" | "JPY" | "RMB" => format!("{sign}¥{digits}"),
        other => format!("{sign}{digits} {other}"),
    })
}

fn group_thousands(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if value < 0.0 { "-" } else { "" };
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

fn long_date(iso: &str) -> Option<String> {
    const MONTHS: [&str; 12] =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    let mut parts = iso.splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?.parse::<usize>().ok()?, parts.next()?.parse::<u32>().ok()?);
    if year.len() != 4 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(format!("{} {day}, {year}", MONTHS[month - 1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn money_in_several_currencies() {
        assert_eq!(format_value(&json!({"amount": 4000, "currency": "USD"}), Format::Money), "$4,000.00");
        assert_eq!(format_value(&json!({"amount": 500, "currency": "CNY"}), Format::Money), "¥500.00");
        assert_eq!(format_value(&json!({"amount": 1234567.5, "currency": "EUR"}), Format::Money), "€1,234,567.50");
        assert_eq!(format_value(&json!({"amount": 12, "currency": "CHF"}), Format::Money), "12.00 CHF");
        assert_eq!(format_value(&json!(99.999), Format::Money), "$100.00");
        // Plain shows a money object as money too.
        assert_eq!(format_value(&json!({"amount": 4000, "currency": "USD"}), Format::Plain), "$4,000.00");
    }

    #[test]
    fn dates_and_numbers() {
        assert_eq!(format_value(&json!("2026-12-12"), Format::Date), "December 12, 2026");
        assert_eq!(format_value(&json!("next week"), Format::Date), "next week");
        assert_eq!(format_value(&json!(1234567), Format::Number), "1,234,567");
        assert_eq!(format_value(&json!("ab-12"), Format::Upper), "AB-12");
    }
}
