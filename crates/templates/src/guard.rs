//! The rephrasing guard: when a model's rewording of a reply may replace it.
//!
//! A business reply is a commitment ("Your refund RF-3330 of $20.00 is on its way"), so a
//! rewording must say the same thing in other words, and checks that are cheap and certain
//! stand in for "the same thing": it keeps every inserted value exactly, half of the reply's
//! content words and its negations, and it brings in no word of its own — each of its words is
//! a common function word or appears in the reply, in another variation of the response that
//! applies, or in the conversation so far — and it repeats no content word more often than the
//! reply does. A small model's fluent mistakes ("How much would you like to make a refund?" for
//! "Why would you like a refund?") fail the check on new words.

use std::collections::BTreeSet;

use words::is_cjk;

/// Why a rewording was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// An inserted value (amount, order number, date) is missing or changed.
    Value(String),
    /// Fewer than half of the reply's content words are left.
    Content,
    /// It negates more or less often than the reply.
    Negation,
    /// It brings in a word nothing known has.
    NewWord(String),
    /// It says a content word more often than the reply ("the order number of order number").
    Repeats(String),
    /// The ranker scores it below the reply it would replace.
    LessLikely,
}

impl Rejection {
    /// The kind of refusal, without the word or value concerned (for counting refusals).
    pub fn summary(&self) -> &'static str {
        match self {
            Rejection::Value(_) => "loses or changes a value",
            Rejection::Content => "keeps under half the content words",
            Rejection::Negation => "changes a negation",
            Rejection::NewWord(_) => "brings in a word of its own",
            Rejection::Repeats(_) => "repeats a content word",
            Rejection::LessLikely => "less likely than the reply, by the model's score",
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::Value(value) => write!(f, "loses the value `{value}`"),
            Rejection::Content => f.write_str("keeps under half of the reply's content words"),
            Rejection::Negation => f.write_str("changes a negation"),
            Rejection::NewWord(word) => write!(f, "brings in the word `{word}`"),
            Rejection::Repeats(word) => write!(f, "repeats `{word}`"),
            Rejection::LessLikely => f.write_str("is less likely than the reply, by the model's score"),
        }
    }
}

/// Checks `rewording` against `reply` (whose inserted `values` it must keep); `known` is the
/// other text its words may come from (other variations that apply, the conversation).
pub fn check_rewording(rewording: &str, reply: &str, values: &[String], known: &str) -> Result<(), Rejection> {
    if let Some(value) = values.iter().find(|v| !rewording.contains(v.as_str())) {
        return Err(Rejection::Value(value.clone()));
    }
    if !keeps_content(rewording, reply) {
        return Err(Rejection::Content);
    }
    if !keeps_negation(rewording, reply) {
        return Err(Rejection::Negation);
    }
    if let Some(word) = new_word(rewording, &format!("{reply}\n{known}")) {
        return Err(Rejection::NewWord(word));
    }
    match repeated_word(rewording, reply) {
        Some(word) => Err(Rejection::Repeats(word)),
        None => Ok(()),
    }
}

/// A content word `text` says more often than `original` does: a small model's stammer.
fn repeated_word(text: &str, original: &str) -> Option<String> {
    let counts = |text: &str| {
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for word in words(text).filter(|w| w.content) {
            *counts.entry(word.key).or_default() += 1;
        }
        counts
    };
    let allowed = counts(original);
    counts(text).into_iter().find(|(word, n)| *n > 1 && *n > allowed.get(word).copied().unwrap_or(0)).map(|(word, _)| word)
}

/// Whether `text` keeps at least half of `original`'s content words: the guard against a fluent
/// rewording that says something else ("You want a refund from your refund." for a greeting).
/// Words of four letters or more count, compared by their first five letters (so "refunds"
/// keeps "refund"); in Chinese every character counts. A reply without content words passes.
pub fn keeps_content(text: &str, original: &str) -> bool {
    let wanted: BTreeSet<String> = words(original).filter(|w| w.content).map(|w| w.key).collect();
    let found: BTreeSet<String> = words(text).filter(|w| w.content).map(|w| w.key).collect();
    2 * wanted.intersection(&found).count() >= wanted.len()
}

/// Whether `text` negates as often as `original` ("not", "never", "n't", 不, 没, …): content
/// words survive "Your refund is not on its way", the meaning does not.
pub fn keeps_negation(text: &str, original: &str) -> bool {
    negations(text) == negations(original)
}

/// The first word of `text` that is neither a function word nor found in `known` (words of four
/// letters or more by their first five letters, shorter ones and numbers whole, Chinese
/// characters one by one).
pub fn new_word(text: &str, known: &str) -> Option<String> {
    let known: BTreeSet<String> = words(known).map(|w| w.key).collect();
    words(text).find(|w| !FUNCTION_WORDS.contains(&w.key.as_str()) && !known.contains(&w.key)).map(|w| w.key)
}

/// Words that carry no fact of their own (articles, pronouns, prepositions, conjunctions,
/// politeness), as [`words`] keys them. Modals and tenses ("will", "may", "was") are not among
/// them: "may be refunded" is not "will be refunded".
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "the", "i", "me", "my", "we", "us", "our", "you", "your", "yours", "it", "its", "they", "them", "their", "this", "that", "these",
    "those", "there", "here", "is", "are", "am", "be", "do", "to", "of", "in", "on", "at", "by", "for", "with", "from", "about", "as", "into", "and",
    "or", "but", "so", "if", "then", "than", "also", "ok", "okay", "sure", "alrig", "pleas", "thank", "great", "well", "let", "up", "too", "very",
    "oh", "hi", "hello",
    // What is left of a contraction once split at its apostrophe ("what's", "can't"); negations
    // are counted on their own.
    "s", "re", "ll", "ve", "m", "d", "t", "isn", "aren", "don", "doesn", "didn", "can", "won", "的", "了", "吗", "呢", "吧", "啊", "是", "我", "你",
    "您", "们", "这", "那", "个", "请", "好", "在", "和", "就", "也", "都",
];

struct Word {
    /// How words are compared: lower case, the first five letters of long words.
    key: String,
    /// Four letters or more, or a Chinese character.
    content: bool,
}

fn words(text: &str) -> impl Iterator<Item = Word> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).flat_map(|piece| {
        let piece = piece.to_lowercase();
        let (cjk, latin): (String, String) = piece.chars().partition(|c| is_cjk(*c));
        let long = latin.chars().count() >= 4;
        let latin = (!latin.is_empty()).then(|| Word { key: if long { latin.chars().take(5).collect() } else { latin }, content: long });
        cjk.chars().map(|c| Word { key: c.to_string(), content: true }).chain(latin).collect::<Vec<_>>()
    })
}

fn negations(text: &str) -> usize {
    const WORDS: [&str; 7] = ["not", "no", "never", "none", "nothing", "cannot", "without"];
    let lower = text.to_lowercase().replace('\u{2019}', "'");
    let words = lower.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|w| WORDS.contains(w) || w.ends_with("n't")).count();
    words + lower.chars().filter(|c| matches!(c, '不' | '没' | '别' | '未' | '无')).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_keyed_by_five_letters_and_characters() {
        let keys: Vec<String> = words("Refunds: 退款 OK, it’s order #12345!").map(|w| w.key).collect();
        assert_eq!(keys, ["refun", "退", "款", "ok", "it", "s", "order", "12345"]);
    }
}
