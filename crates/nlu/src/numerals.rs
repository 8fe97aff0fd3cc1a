//! Numbers written in words: English ("forty", "sixty-five", "twelve hundred", through the
//! `text2num` crate) and Chinese numerals ("三千五百", "五十万", "8万", through
//! `chinese-number`), each with its byte span, for the built-in number and money finders.
//!
//! Chinese speech drops the last unit: "三千五" is 3,500 and "一万二" 12,000 (not 3,005 or
//! 10,002, as a strict reading gives), so a final digit right after 万/千/百 takes the next
//! lower unit. Digits before a unit ("8万", "1.5千") multiply it.

use std::borrow::Cow;
use std::sync::LazyLock;

use chinese_number::{ChineseCountMethod, ChineseToNumber};
use regex::Regex;
use text2num::{Language, Token, find_numbers};

/// A number found in text: byte span and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Numeral {
    pub start: usize,
    pub end: usize,
    pub value: f64,
}

static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]").expect("word pattern"));
static CHINESE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d+(?:\.\d+)?)\s?([十百千万亿])|[零〇一二两三四五六七八九十百千万亿]*[一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*")
        .expect("numeral pattern")
});
static ENGLISH: LazyLock<Language> = LazyLock::new(Language::english);

/// A word of the text with its byte span, as `text2num` reads tokens.
struct Word<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

impl Token for &Word<'_> {
    fn text(&self) -> Cow<'_, str> {
        self.text.into()
    }

    fn text_lowercase(&self) -> Cow<'_, str> {
        self.text.to_lowercase().into()
    }

    fn nt_separated(&self, _previous: &Self) -> bool {
        false
    }
}

/// Words after which "one" stands for a thing, not a number ("this one", "the other one",
/// "which one"): English determiners and the adjectives that pick one of several.
const BEFORE_PRONOUN_ONE: [&str; 20] = [
    "this", "that", "the", "which", "each", "every", "any", "no", "another", "other", "a", "an", "some", "new", "old", "right", "wrong", "same",
    "last", "only",
];

/// Cardinal numbers spelled in English words ("forty two", "twelve hundred and five").
pub fn english(text: &str) -> Vec<Numeral> {
    let words: Vec<Word> = WORD.find_iter(text).map(|m| Word { text: m.as_str(), start: m.start(), end: m.end() }).collect();
    let pronoun = |start: usize, end: usize| {
        end == start + 1
            && words[start].text.eq_ignore_ascii_case("one")
            && start > 0
            && BEFORE_PRONOUN_ONE.contains(&words[start - 1].text.to_lowercase().as_str())
    };
    find_numbers(words.iter(), &*ENGLISH, 0.0)
        .into_iter()
        .filter(|o| !o.is_ordinal && o.end > o.start && o.end <= words.len() && !pronoun(o.start, o.end))
        .filter(|o| words[o.start..o.end].iter().any(|w| w.text.chars().any(char::is_alphabetic)))
        .map(|o| Numeral { start: words[o.start].start, end: words[o.end - 1].end, value: o.value })
        .collect()
}

/// Chinese numerals, alone or as digits times a unit.
pub fn chinese(text: &str) -> Vec<Numeral> {
    CHINESE
        .captures_iter(text)
        .filter_map(|c| {
            let m = c.get(0).expect("match");
            let value = match (c.get(1), c.get(2)) {
                (Some(digits), Some(unit)) => digits.as_str().parse::<f64>().ok()? * unit_value(unit.as_str())?,
                _ => spoken(m.as_str())?,
            };
            Some(Numeral { start: m.start(), end: m.end(), value })
        })
        .collect()
}

fn unit_value(unit: &str) -> Option<f64> {
    Some(match unit {
        "十" => 10.0,
        "百" => 100.0,
        "千" => 1e3,
        "万" => 1e4,
        "亿" => 1e8,
        _ => return None,
    })
}

/// A run of Chinese numerals, with the dropped final unit of speech restored.
fn spoken(run: &str) -> Option<f64> {
    let chars: Vec<char> = run.chars().collect();
    let lower = |unit: char| match unit {
        '亿' => Some('千'), // 一亿五 = 1.5 亿: 五千万
        '万' => Some('千'),
        '千' => Some('百'),
        '百' => Some('十'),
        _ => None,
    };
    let mut full = run.to_string();
    if let [.., unit, last] = chars[..] {
        let is_digit = "一二两三四五六七八九".contains(last);
        if is_digit && let Some(next) = lower(unit) {
            full.push(next);
            if unit == '亿' {
                full.push('万');
            }
        }
    }
    full.as_str().to_number(ChineseCountMethod::TenThousand).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(found: Vec<Numeral>) -> Vec<f64> {
        found.into_iter().map(|n| n.value).collect()
    }

    #[test]
    fn english_words_become_numbers_with_their_spans() {
        let text = "a refund of forty two dollars, sixty-five euros or twelve hundred";
        let found = english(text);
        assert_eq!(values(found.clone()), vec![42.0, 65.0, 1200.0]);
        assert_eq!(&text[found[0].start..found[0].end], "forty two");
        assert!(english("order 48213 is late").is_empty(), "digits are not words");
        assert!(english("my first order").is_empty(), "ordinals are dates' business");
        assert!(english("Priya should approve this one").is_empty(), "a thing, not a number");
        assert!(english("the other one, not that one").is_empty());
        assert_eq!(values(english("one day, and one more")), vec![1.0, 1.0]);
    }

    #[test]
    fn chinese_numerals_as_spoken() {
        assert_eq!(values(chinese("三千五")), vec![3500.0]);
        assert_eq!(values(chinese("金额五十万元")), vec![500_000.0]);
        assert_eq!(values(chinese("预算8万")), vec![80_000.0]);
        assert_eq!(values(chinese("一万二")), vec![12_000.0]);
        assert_eq!(values(chinese("两百")), vec![200.0]);
        assert_eq!(values(chinese("1.5千")), vec![1500.0]);
        assert!(chinese("我的包裹").is_empty());
    }
}
