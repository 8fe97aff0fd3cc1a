//! Where one utterance may carry more than one request: at connectives ("and", "also", "then",
//! commas, semicolons, 以及 / 还有 / 然后 / 并且 / ，) and at the ends of sentences. The parser tries each and keeps a split only
//! when both sides are confidently different intents.

use std::sync::LazyLock;

use regex::Regex;

static CONNECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s+(?:and also|and then|and|also|then|plus)\s+|\s*[;,，；]\s*(?:(?:and|also|then)\s+)*|[.!?]+\s+|[。！？]+|以及|还有|然后|并且")
        .expect("a valid regex")
});

/// Words that negate what follows them: a part they open ("…, not reject") is no request of its
/// own but says which request was not meant.
static NEGATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:not|but not|rather than|instead of|never)\b|^(?:不是|而不是|不要)").expect("a valid regex"));

/// Whether `part` opens with a negation ("not reject", "rather than a refund", "不是退款").
pub fn negated(part: &str) -> bool {
    NEGATION.is_match(part.trim_start())
}

/// Connectives tried per utterance. Each costs two classifications, so a long text full of
/// "and"s must not multiply the parse time; real utterances join two or three requests.
const MAX_SPLITS: usize = 8;

/// Candidate splits as (end of the left part, start of the right part), byte offsets, in order
/// (the first [`MAX_SPLITS`]).
pub fn split_points(text: &str) -> Vec<(usize, usize)> {
    CONNECTIVE.find_iter(text).map(|m| (m.start(), m.end())).filter(|&(start, end)| start > 0 && end < text.len()).take(MAX_SPLITS).collect()
}

/// Moves `start` past connectives that open the rest of `text` ("，还有 …" → "…").
pub fn skip_connectives(text: &str, mut start: usize) -> usize {
    while let Some(m) = CONNECTIVE.find_at(text, start).filter(|m| m.start() == start && m.end() < text.len()) {
        start = m.end();
    }
    start
}

/// The most words of a letter's greeting or closing line.
const FORMULA_WORDS: usize = 5;

/// Whether `text[start..end]` is a letter's greeting or closing line: a few words that start a
/// line and end it with a comma ("Dear Customer Service Team,", "Kind regards,"). Such a line is
/// no request of its own, whatever its words read as.
pub fn formula_line(text: &str, start: usize, end: usize) -> bool {
    let before = &text[..start];
    let starts_line = before.trim_end_matches([' ', '\t']).is_empty() || before[before.trim_end().len()..].contains('\n');
    let after = text[end..].trim_start_matches([' ', '\t']);
    let ends_line = after.strip_prefix([',', '，']).is_some_and(|rest| rest.trim_start_matches([' ', '\t']).starts_with(['\n', '\r']));
    starts_line && ends_line && words::spans(&text[start..end]).len() <= FORMULA_WORDS
}

/// A byte offset of `text` as a character offset.
pub fn char_offset(text: &str, byte: usize) -> usize {
    text[..byte].chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connectives_split_english_and_chinese() {
        let text = "where is my order and can I change my address";
        let points = split_points(text);
        assert_eq!(points.len(), 1);
        assert_eq!((&text[..points[0].0], &text[points[0].1..]), ("where is my order", "can I change my address"));
        let text = "我要退款，还有我的订单在哪里";
        assert_eq!(split_points(text).len(), 2);
        assert!(split_points("and then").is_empty());
        assert_eq!(split_points(&"refund and ".repeat(100)).len(), MAX_SPLITS);
        let start = "我要退款，".len();
        assert_eq!(&text[skip_connectives(text, start)..], "我的订单在哪里");
    }

    #[test]
    fn greeting_and_closing_lines_of_a_letter() {
        let text = "Dear Customer Service Team,\n\nI am writing to request a refund.\n\nKind regards,\nKlaus";
        let line = |part: &str| {
            let start = text.find(part).expect("part");
            formula_line(text, start, start + part.len())
        };
        assert!(line("Dear Customer Service Team"));
        assert!(line("Kind regards"));
        assert!(!line("I am writing to request a refund"), "ends with a full stop");
        assert!(!formula_line("hi team, where is my order", 0, 7), "a comma inside the line");
    }

    #[test]
    fn a_part_opening_with_a_negation_is_negated() {
        assert!(negated("not reject"));
        assert!(negated(" rather than a refund"));
        assert!(negated("不是退款"));
        assert!(!negated("nothing arrived"), "a word that only starts like one");
        assert!(!negated("I want a refund"));
    }
}
