//! Names for discovered intents: the cluster's most distinctive words (frequent in the cluster,
//! rarer in the other messages), in the order its most typical message says them, in snake_case.

use std::collections::{HashMap, HashSet};

use crate::features::words;

/// Words that say how something is asked, not what: never part of a name.
const FUNCTION_WORDS: &[&str] = &[
    "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "by", "can", "could", "did", "do", "does", "for", "from", "get", "had",
    "has", "have", "hey", "hi", "how", "i", "i'd", "i'm", "if", "im", "in", "is", "it", "its", "just", "know", "let", "like", "me", "mine", "my",
    "need", "of", "ok", "on", "or", "our", "please", "s", "should", "so", "some", "tell", "that", "the", "there", "this", "to", "us", "want", "was",
    "we", "what", "whats", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
];

/// At most this many words in a name.
const MAX_WORDS: usize = 3;

/// A word joins the name if at least this share of the cluster's messages has it.
const MIN_SHARE: f32 = 0.25;

/// How many of a set of messages contain each word.
#[derive(Debug, Default)]
pub(crate) struct WordCounts {
    messages: f32,
    containing: HashMap<String, f32>,
}

impl WordCounts {
    /// Counts over `texts`, each standing for `weight` messages.
    pub(crate) fn of<'a>(texts: impl IntoIterator<Item = (&'a str, f32)>) -> Self {
        let mut counts = Self::default();
        for (text, weight) in texts {
            counts.messages += weight;
            let distinct: HashSet<String> = words(text).into_iter().collect();
            for word in distinct {
                *counts.containing.entry(word).or_default() += weight;
            }
        }
        counts
    }

    fn share(&self, word: &str) -> f32 {
        self.containing.get(word).copied().unwrap_or(0.0) / self.messages.max(1.0)
    }
}

/// A snake_case name for the cluster of `members` (text, weight; the most typical first) among
/// messages counted in `all`, different from every name in `taken` (a number is appended if
/// needed), which it joins.
pub(crate) fn name(members: &[(&str, f32)], all: &WordCounts, taken: &mut HashSet<String>) -> String {
    let chosen = distinctive_words(members, all);
    let base = if chosen.is_empty() { "new_intent".to_string() } else { in_spoken_order(&chosen, members).join("_") };
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

/// The cluster's content words that are most over-represented in it (share in the cluster ×
/// log of its share in the cluster over its share in all): the best one, and the next ones
/// that score at least half as well.
fn distinctive_words(members: &[(&str, f32)], all: &WordCounts) -> Vec<String> {
    let cluster = WordCounts::of(members.iter().copied());
    let mut scored: Vec<(String, f32)> = cluster
        .containing
        .keys()
        .filter(|w| !FUNCTION_WORDS.contains(&w.as_str()) && !w.chars().all(|c| c.is_numeric() || c == '_'))
        .map(|w| {
            let share = cluster.share(w);
            (w.clone(), share * (share / all.share(w).max(1e-6)).ln())
        })
        .filter(|(w, score)| cluster.share(w) >= MIN_SHARE && *score > 0.0)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let best = scored.first().map_or(0.0, |s| s.1);
    scored.into_iter().take(MAX_WORDS).filter(|(_, score)| *score >= best / 2.0).map(|(w, _)| w).collect()
}

/// The words in the order of the first message (most typical first) that has most of them;
/// the words it lacks follow, best first.
fn in_spoken_order(chosen: &[String], members: &[(&str, f32)]) -> Vec<String> {
    let said: Vec<Vec<String>> = members.iter().map(|(text, _)| words(text)).collect();
    let has = |message: &[String]| chosen.iter().filter(|w| message.contains(w)).count();
    let mut best: Option<&Vec<String>> = None;
    for message in &said {
        if best.is_none_or(|b| has(message) > has(b)) {
            best = Some(message);
        }
    }
    let message = best.map_or(&[][..], Vec::as_slice);
    let at = |word: &String| message.iter().position(|w| w == word).unwrap_or(usize::MAX);
    let mut ordered: Vec<(usize, usize, &String)> = chosen.iter().enumerate().map(|(rank, word)| (at(word), rank, word)).collect();
    ordered.sort();
    ordered.into_iter().map(|(_, _, w)| snake_case(w)).collect()
}

/// Letters and digits kept (lowercase), anything else an underscore.
fn snake_case(word: &str) -> String {
    word.chars().map(|c| if c.is_alphanumeric() { c } else { '_' }).collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weighted<'a>(texts: &[&'a str]) -> Vec<(&'a str, f32)> {
        texts.iter().map(|t| (*t, 1.0)).collect()
    }

    #[test]
    fn the_name_is_the_distinctive_words_in_the_order_they_are_said() {
        let pets = ["can i bring my dog to the office", "is my dog allowed in the office", "dog in the office ok?"];
        let parking = ["how do i renew my parking permit", "renew the parking permit please", "my parking permit expired"];
        let all = WordCounts::of(weighted(&[&pets[..], &parking[..]].concat()));
        let mut taken = HashSet::new();
        // "office" is in every message of the cluster too, but also rarer overall than "the".
        assert_eq!(name(&weighted(&pets), &all, &mut taken), "dog_office");
        // "renew" is in two of three messages: enough to join.
        assert_eq!(name(&weighted(&parking), &all, &mut taken), "renew_parking_permit");
        // A name already taken gets a number.
        assert_eq!(name(&weighted(&parking), &all, &mut taken), "renew_parking_permit_2");
    }

    #[test]
    fn function_words_numbers_and_rare_words_make_no_name() {
        let texts = ["what is 42", "what is 7?", "what is this"];
        let all = WordCounts::of(weighted(&texts));
        assert_eq!(name(&weighted(&texts), &all, &mut HashSet::new()), "new_intent");
        // Chinese: each character is a word.
        let chinese = ["我要开发票", "开发票", "怎么开发票"];
        let all = WordCounts::of(weighted(&[&chinese[..], &["我要退款"][..]].concat()));
        assert_eq!(name(&weighted(&chinese), &all, &mut HashSet::new()), "开_发_票");
    }
}
