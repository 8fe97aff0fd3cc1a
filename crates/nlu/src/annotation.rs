//! Slot values marked inside example texts, in Rasa's inline form: `[wrong size](refund_reason)`,
//! `[NYC](city:New York)` or `[NYC]{"entity": "city", "value": "New York"}`. The one reader of
//! that syntax, for `nlu.ron` examples and the Rasa import alike.

use std::sync::LazyLock;

use regex::Regex;

use crate::slots::SlotSpan;

/// `[text](slot)`, `[text](slot:value)` or `[text]{json}`.
static ANNOTATION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[([^\]\[]+)\](?:\(([^)]+)\)|(\{[^}]*\}))").expect("a valid regex"));

/// One marked value: its span in the plain text (`value` is the text itself) and the value it
/// stands for (`[NYC](city:New York)` → "New York"; the text when none is given).
#[derive(Debug, Clone, PartialEq)]
pub struct Marked {
    pub span: SlotSpan,
    pub canonical: String,
}

/// The text without its marks, and the marks; an error says what is malformed (a `{json}`
/// form that is not an object with an `entity`, or a stray `](` left after reading).
pub fn read(line: &str) -> Result<(String, Vec<Marked>), String> {
    let mut plain = String::with_capacity(line.len());
    let mut marks = Vec::new();
    let mut last = 0;
    for caps in ANNOTATION.captures_iter(line) {
        let whole = caps.get(0).expect("group 0 always matches");
        plain.push_str(&line[last..whole.start()]);
        let text = &caps[1];
        let (slot, canonical) = match (caps.get(2), caps.get(3)) {
            (Some(short), _) => match short.as_str().split_once(':') {
                Some((slot, value)) => (slot.trim().to_string(), value.trim().to_string()),
                None => (short.as_str().trim().to_string(), text.to_string()),
            },
            (None, Some(json)) => {
                let value: serde_json::Value = serde_json::from_str(json.as_str()).map_err(|e| format!("annotation {}: {e}", json.as_str()))?;
                let slot = value["entity"].as_str().ok_or_else(|| format!("annotation {} names no \"entity\"", json.as_str()))?;
                (slot.to_string(), value["value"].as_str().unwrap_or(text).to_string())
            }
            (None, None) => unreachable!("the regex requires one of the two forms"),
        };
        if slot.is_empty() || slot.contains(char::is_whitespace) {
            return Err(format!("annotation [{text}]({slot}): a slot name is one word"));
        }
        let start = plain.chars().count();
        plain.push_str(text);
        let span = SlotSpan { slot, start, end: start + text.chars().count(), value: text.to_string() };
        marks.push(Marked { span, canonical });
        last = whole.end();
    }
    plain.push_str(&line[last..]);
    if !marks.is_empty() && (plain.contains("](") || plain.contains("]{")) {
        return Err("an annotation is not closed: write [text](slot)".into());
    }
    Ok((plain, marks))
}

/// `text` with `spans` marked in it again (the inverse of [`read`] for marks that give no
/// separate value); spans that overlap an earlier one or fall outside the text are left out.
pub fn write(text: &str, spans: &[SlotSpan]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut sorted: Vec<&SlotSpan> = spans.iter().collect();
    sorted.sort_by_key(|s| (s.start, s.end));
    let mut out = String::with_capacity(text.len() + 16 * spans.len());
    let mut at = 0;
    for span in sorted {
        if span.start < at || span.start >= span.end || span.end > chars.len() {
            continue;
        }
        out.extend(&chars[at..span.start]);
        out.push('[');
        out.extend(&chars[span.start..span.end]);
        out.push_str(&format!("]({})", span.slot));
        at = span.end;
    }
    out.extend(&chars[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_become_character_spans_of_the_plain_text() {
        let (plain, marks) = read("退款 order 12, [杯子碎了](refund_reason) and [NYC](city:New York)").unwrap();
        assert_eq!(plain, "退款 order 12, 杯子碎了 and NYC");
        let chars: Vec<char> = plain.chars().collect();
        let first = &marks[0].span;
        assert_eq!((first.slot.as_str(), chars[first.start..first.end].iter().collect::<String>()), ("refund_reason", "杯子碎了".to_string()));
        assert_eq!((marks[1].span.value.as_str(), marks[1].canonical.as_str()), ("NYC", "New York"));
    }

    #[test]
    fn written_marks_read_back() {
        let line = "退款 order 12, [杯子碎了](refund_reason) and [NYC](city)!";
        let (plain, marks) = read(line).unwrap();
        let spans: Vec<SlotSpan> = marks.into_iter().map(|m| m.span).collect();
        assert_eq!(write(&plain, &spans), line);
    }

    #[test]
    fn the_json_form_and_plain_brackets() {
        let (plain, marks) = read(r#"fly to [NYC]{"entity": "city", "value": "New York"} [soon]"#).unwrap();
        assert_eq!(plain, "fly to NYC [soon]");
        assert_eq!((marks[0].span.slot.as_str(), marks[0].canonical.as_str()), ("city", "New York"));
        assert!(read(r#"[x]{"value": "y"}"#).unwrap_err().contains("entity"));
        assert!(read("[two words](a b)").is_err());
    }
}
