//! Finding entities: the domain's regexes and lookup lists, and the built-in typed values.
//! Overlapping finds are resolved longest-first, domain entities before built-ins; a find of
//! another kind over exactly the same text is kept as an alternative reading ("15000" is an
//! order number by the domain's regex and a number by the built-in), so that the dialogue
//! policy can take the reading the question or the slot being corrected needs.

use std::collections::HashMap;

use chrono::NaiveDate;
use regex::Regex;
use serde::Serialize;
use serde_json::{Value, json};

use crate::builtin::Builtin;
use crate::domain::{EntityDef, NluDomain};

/// An entity found in an utterance. `start`/`end` are character (code point) offsets, end
/// exclusive, so that `text.chars().skip(start).take(end - start)` is `value`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entity {
    pub entity: String,
    pub value: String,
    pub normalized: Value,
    pub start: usize,
    pub end: usize,
    pub extractor: String,
    /// Other kinds of entity found over exactly the same text, in order of precedence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Reading>,
}

/// Another reading of an entity's text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    pub entity: String,
    pub normalized: Value,
}

/// A find: start, end (bytes), finder order, entity, normalized value, extractor.
type Found = (usize, usize, usize, String, Value, String);

#[derive(Clone)]
pub(crate) enum Finder {
    Regex(Regex),
    Lookup { pattern: Regex, canonical: HashMap<String, String> },
    Builtin(Builtin),
}

/// Extracts every entity the domain declares.
#[derive(Clone)]
pub struct EntityExtractor {
    finders: Vec<(String, Finder)>,
}

impl EntityExtractor {
    pub fn new(domain: &NluDomain) -> Self {
        let mut finders: Vec<(String, Finder)> = Vec::new();
        // Every load path validates the domain (`NluDomain::validate`), so a pattern that does
        // not compile can only come from a domain built in code: it finds nothing.
        for (name, def) in &domain.entities {
            let finder = match def {
                EntityDef::Regex(pattern) => Regex::new(pattern).ok().map(Finder::Regex),
                EntityDef::Lookup(values) => lookup(values).ok(),
                EntityDef::Builtin(kind) => Some(Finder::Builtin(*kind)),
            };
            finders.extend(finder.map(|f| (name.clone(), f)));
        }
        // Domain entities are tried first so that they win ties against built-ins.
        finders.sort_by_key(|(_, f)| matches!(f, Finder::Builtin(_)));
        Self { finders }
    }

    pub fn extract(&self, text: &str, today: NaiveDate) -> Vec<Entity> {
        let mut found: Vec<Found> = Vec::new();
        for (order, (name, finder)) in self.finders.iter().enumerate() {
            match finder {
                Finder::Regex(pattern) => {
                    for c in pattern.captures_iter(text) {
                        let m = c.get(1).or(c.get(0)).expect("match");
                        found.push((m.start(), m.end(), order, name.clone(), json!(m.as_str()), "regex".into()));
                    }
                }
                Finder::Lookup { pattern, canonical } => {
                    for m in pattern.find_iter(text) {
                        let value = canonical.get(&m.as_str().to_lowercase()).cloned().unwrap_or_else(|| m.as_str().into());
                        found.push((m.start(), m.end(), order, name.clone(), json!(value), "lookup".into()));
                    }
                }
                Finder::Builtin(kind) => {
                    for f in kind.find(text, today) {
                        found.push((f.start, f.end, order, name.clone(), f.normalized, format!("builtin:{kind:?}").to_lowercase()));
                    }
                }
            }
        }
        found.sort_by_key(|f| (std::cmp::Reverse(f.1 - f.0), f.2, f.0));
        let mut kept: Vec<(Found, Vec<Reading>)> = Vec::new();
        for f in found {
            if f.0 >= f.1 {
                continue;
            }
            if let Some((k, alternatives)) = kept.iter_mut().find(|(k, _)| (k.0, k.1) == (f.0, f.1)) {
                if k.3 != f.3 && !alternatives.iter().any(|a| a.entity == f.3) {
                    alternatives.push(Reading { entity: f.3, normalized: f.4 });
                }
            } else if kept.iter().all(|(k, _)| f.1 <= k.0 || f.0 >= k.1) {
                kept.push((f, Vec::new()));
            }
        }
        kept.sort_by_key(|(f, _)| f.0);
        kept.into_iter()
            .map(|((start, end, _, entity, normalized, extractor), alternatives)| Entity {
                value: text[start..end].to_string(),
                start: text[..start].chars().count(),
                end: text[..end].chars().count(),
                entity,
                normalized,
                extractor,
                alternatives,
            })
            .collect()
    }

    /// The text with each entity replaced by its name in angle brackets, for featurizing.
    pub fn mask(&self, text: &str, entities: &[Entity]) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::new();
        let mut at = 0;
        for e in entities {
            out.extend(&chars[at..e.start]);
            out.push_str(&format!(" <{}> ", e.entity));
            at = e.end;
        }
        out.extend(&chars[at..]);
        out
    }
}

/// A lookup entity's finder; fails when its words make a regex beyond the regex crate's size
/// limit (a lookup list of hundreds of thousands of words).
pub(crate) fn lookup(values: &std::collections::BTreeMap<String, Vec<String>>) -> Result<Finder, regex::Error> {
    let mut canonical = HashMap::new();
    let mut words: Vec<String> = Vec::new();
    for (value, synonyms) in values {
        for word in std::iter::once(value).chain(synonyms) {
            canonical.insert(word.to_lowercase(), value.clone());
            words.push(word.clone());
        }
    }
    words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    let alternatives: Vec<String> = words
        .iter()
        .map(|w| {
            let escaped = regex::escape(w);
            // Word boundaries only make sense around ASCII words; CJK text has no spaces, and a
            // CJK character beside a Latin word bounds it ("审批人Wei Zhang", "Li Na吧").
            if w.is_ascii() { format!(r"(?-u:\b){escaped}(?-u:\b)") } else { escaped }
        })
        .collect();
    let pattern = Regex::new(&format!("(?i){}", alternatives.join("|")))?;
    Ok(Finder::Lookup { pattern, canonical })
}

#[cfg(test)]
mod tests {
    use super::{Finder, lookup};

    #[test]
    fn a_chinese_character_beside_a_latin_name_bounds_it() {
        let values = [("Li Na".to_string(), Vec::new()), ("Wei Zhang".to_string(), Vec::new())].into_iter().collect();
        let Ok(Finder::Lookup { pattern, .. }) = lookup(&values) else { panic!("a lookup finder") };
        let found: Vec<&str> = pattern.find_iter("审批人Wei Zhang，还有Li Na吧").map(|m| m.as_str()).collect();
        assert_eq!(found, ["Wei Zhang", "Li Na"]);
        assert!(pattern.find("OliLi Nah").is_none(), "inside Latin words it is no name");
    }
}
