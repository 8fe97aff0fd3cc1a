//! Importing Rasa NLU training data (`deskbot import rasa DIR`): every YAML file under a
//! directory with an `nlu:` section becomes one deskbot NLU domain.
//!
//! - `intent` → an intent with its examples; entity annotations (`[Berlin](city)`,
//!   `[NYC](city:New York)`, `[NYC]{"entity": "city", "value": "New York"}`) are reduced to
//!   their text, and their values feed a `Lookup` entity of that name (value ← the texts).
//! - `lookup` → `Lookup` values; `synonym` → variants of that value in every lookup that has
//!   it (or in a lookup named after the synonym's entity, if no lookup has the value yet);
//!   `regex` → a `Regex` entity.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::annotation::{self, Marked};
use crate::domain::{EntityDef, IntentDef, NluDomain, NluError};

#[derive(Deserialize)]
struct RasaFile {
    #[serde(default)]
    nlu: Vec<RasaItem>,
}

#[derive(Deserialize)]
struct RasaItem {
    intent: Option<String>,
    synonym: Option<String>,
    regex: Option<String>,
    lookup: Option<String>,
    #[serde(default)]
    examples: Examples,
}

/// Rasa writes examples as a block of `- ` lines, or (rarely) as a list of `{text: …}`.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Examples {
    Block(String),
    List(Vec<ListedExample>),
    #[default]
    None,
}

#[derive(Deserialize)]
struct ListedExample {
    text: String,
}

impl Examples {
    fn lines(&self) -> Vec<String> {
        match self {
            Examples::Block(block) => block
                .lines()
                .map(str::trim)
                .filter_map(|l| l.strip_prefix("- ").or_else(|| (l == "-").then_some("")))
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
            Examples::List(list) => list.iter().map(|e| e.text.trim().to_string()).collect(),
            Examples::None => Vec::new(),
        }
    }
}

/// What an import found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportReport {
    pub files: Vec<PathBuf>,
    pub intents: usize,
    pub examples: usize,
    pub entities: usize,
    /// Synonyms whose value no lookup or annotation has (kept as a lookup of their own).
    pub orphan_synonyms: usize,
}

/// Reads every `*.yml` / `*.yaml` under `dir` (recursively) that has an `nlu:` section.
pub fn import(dir: &Path) -> Result<(NluDomain, ImportReport), NluError> {
    let mut files = Vec::new();
    collect_yaml(dir, &mut files)?;
    files.sort();
    let mut intents: BTreeMap<String, IntentDef> = BTreeMap::new();
    let mut lookups: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut regexes: BTreeMap<String, String> = BTreeMap::new();
    let mut synonyms: Vec<(String, Vec<String>)> = Vec::new();
    let mut report = ImportReport::default();
    for file in &files {
        let text = ronfile::read(file)?;
        let parsed: RasaFile = serde_yaml_ng::from_str(&text).map_err(|e| {
            let at = e.location().map_or(String::new(), |l| format!(":{}:{}", l.line(), l.column()));
            NluError::Invalid { path: PathBuf::from(format!("{}{at}", file.display())), message: e.to_string() }
        })?;
        if parsed.nlu.is_empty() {
            continue;
        }
        report.files.push(file.clone());
        for item in parsed.nlu {
            let lines = item.examples.lines();
            if let Some(name) = item.intent {
                let intent = intents.entry(name).or_default();
                for line in lines {
                    let (plain, marks) = annotation::read(&line)
                        .map_err(|message| NluError::Invalid { path: file.clone(), message: format!("example {line:?}: {message}") })?;
                    for Marked { span, canonical } in marks {
                        let variants = lookups.entry(span.slot).or_default().entry(canonical.clone()).or_default();
                        if span.value != canonical && !variants.contains(&span.value) {
                            variants.push(span.value);
                        }
                    }
                    intent.examples.push(plain);
                }
            } else if let Some(name) = item.lookup {
                let values = lookups.entry(name).or_default();
                for line in lines {
                    values.entry(line).or_default();
                }
            } else if let Some(value) = item.synonym {
                synonyms.push((value, lines));
            } else if let Some(name) = item.regex
                && let Some(pattern) = lines.into_iter().next()
            {
                regexes.insert(name, pattern);
            }
        }
    }
    for (value, variants) in synonyms {
        let mut attached = false;
        for values in lookups.values_mut() {
            if let Some(existing) = values.get_mut(&value) {
                existing.extend(variants.iter().filter(|v| **v != value).cloned());
                attached = true;
            }
        }
        if !attached {
            report.orphan_synonyms += 1;
            lookups.entry(format!("synonym_{}", slug(&value))).or_default().insert(value, variants);
        }
    }
    let mut entities: BTreeMap<String, EntityDef> = lookups.into_iter().map(|(name, values)| (name, EntityDef::Lookup(values))).collect();
    for (name, pattern) in regexes {
        entities.entry(name).or_insert(EntityDef::Regex(pattern));
    }
    intents.retain(|_, intent| !intent.examples.is_empty());
    report.intents = intents.len();
    report.examples = intents.values().map(|i| i.examples.len()).sum();
    report.entities = entities.len();
    if report.intents == 0 {
        return Err(NluError::Invalid { path: dir.into(), message: "no Rasa NLU intents found (no *.yml with an `nlu:` section)".into() });
    }
    let domain = NluDomain { intents, entities, oos_threshold: crate::domain::default_threshold() };
    domain.validate().map_err(|message| NluError::Invalid { path: dir.into(), message })?;
    Ok((domain, report))
}

/// The domain as deskbot's `nlu.ron`.
pub fn to_ron(domain: &NluDomain) -> String {
    let config = ron::ser::PrettyConfig::new().struct_names(true);
    ron::ser::to_string_pretty(domain, config).expect("a domain serializes to RON")
}

fn collect_yaml(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), NluError> {
    let entries = std::fs::read_dir(dir).map_err(|e| NluError::Invalid { path: dir.into(), message: e.to_string() })?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_yaml(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            files.push(path);
        }
    }
    Ok(())
}

fn slug(text: &str) -> String {
    text.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_annotations_lookups_synonyms_and_regexes_convert() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(
            dir.path().join("data/nlu.yml"),
            r#"version: "3.1"
nlu:
- intent: book
  examples: |
    - a table in [Berlin](city)
    - a table in [NYC](city:New York) please
    - somewhere in [the big apple]{"entity": "city", "value": "New York"}
- intent: greet
  examples: |
    - hi
- lookup: city
  examples: |
    - Paris
- synonym: Paris
  examples: |
    - the city of light
- regex: zipcode
  examples: |
    - \d{5}
"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("data/stories.yml"), "version: \"3.1\"\nstories: []\n").unwrap();
        let (domain, report) = import(dir.path()).unwrap();
        assert_eq!((report.intents, report.examples, report.entities, report.files.len()), (2, 4, 2, 1));
        assert_eq!(domain.intents["book"].examples[1], "a table in NYC please");
        let EntityDef::Lookup(city) = &domain.entities["city"] else { panic!("city is a lookup") };
        assert_eq!(city["New York"], ["NYC", "the big apple"]);
        assert_eq!(city["Paris"], ["the city of light"]);
        assert!(matches!(&domain.entities["zipcode"], EntityDef::Regex(p) if p == r"\d{5}"));
        // The RON reads back as the same domain, and trains.
        let back = NluDomain::from_str(Path::new("nlu.ron"), &to_ron(&domain)).unwrap();
        assert_eq!(back, domain);
        let parsed = crate::Parser::train(&back).parse("a table in the city of light");
        assert_eq!(parsed.intent.name, "book");
        assert_eq!(parsed.entities[0].normalized, "Paris");
    }

    #[test]
    fn broken_yaml_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("nlu.yml"), "nlu:\n- intent: a\n  examples: [unclosed\n").unwrap();
        let error = import(dir.path()).unwrap_err().to_string();
        assert!(error.contains("nlu.yml:"), "{error}");
        let empty = tempfile::tempdir().unwrap();
        assert!(import(empty.path()).unwrap_err().to_string().contains("no Rasa NLU intents"));
    }
}
