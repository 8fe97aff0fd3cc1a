//! Training text for the domain language model (`deskbot corpus`).
//!
//! Documents are written the way the bot shows a conversation to GPT-2 when it ranks or
//! rephrases replies (`User: …` / `Bot: …` lines), so the model learns the distribution it is
//! asked about. Sources:
//! - the domain: every NLU example as a user line; scripted dialogues replayed through the real
//!   engine under several seeds (so each template variation appears with real slot values in
//!   context); every template variation filled with slot values seen in those replays;
//! - public corpora: Schema-Guided Dialogue files (JSON lists of dialogues with `turns`),
//!   JSON lines with a `text` field (BANKING77, CLINC150, SNIPS), or plain text with documents
//!   separated by blank lines.
//!
//! Whitespace inside a turn is collapsed to single spaces; identical documents are kept once.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use templates::{Piece, format_value};

use crate::domain::Error;
use crate::engine::{Bot, Conversation};
use crate::replay;

/// Replays of each script, with different reply seeds.
const REPLAY_SEEDS: u64 = 8;
/// Scripted turns longer than this (stress tests of 100 KB inputs) are not language to learn.
const MAX_TURN_CHARS: usize = 500;

/// How many documents each source gave (after deduplication).
#[derive(Debug, Clone, Default)]
pub struct SourceCount {
    pub source: String,
    pub documents: usize,
    pub duplicates: usize,
}

/// A deduplicated list of documents, with per-source counts.
#[derive(Debug, Default)]
pub struct Corpus {
    documents: Vec<String>,
    seen: HashSet<String>,
    pub sources: Vec<SourceCount>,
}

impl Corpus {
    pub fn documents(&self) -> &[String] {
        &self.documents
    }

    /// NLU examples, replayed scripts (a directory of dialogue `.ron` files, optional) and
    /// filled template variations.
    pub fn add_domain(&mut self, bot: &mut Bot, scripts: Option<&Path>) -> Result<(), Error> {
        let examples: Vec<String> = bot.domain.nlu.intents.values().flat_map(|i| i.examples.iter()).map(|e| user_line(e)).collect();
        self.add_all("domain: NLU examples", examples);
        let mut slot_values: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        if let Some(dir) = scripts {
            let dialogues = replay_scripts(bot, dir, &mut slot_values)?;
            self.add_all(&format!("domain: replayed dialogues ({})", dir.display()), dialogues);
        }
        let filled = fill_templates(bot, &slot_values);
        self.add_all("domain: template variations", filled);
        Ok(())
    }

    /// A public corpus file or a directory of them; the format follows the extension
    /// (`.json`: Schema-Guided Dialogue, `.jsonl`: `{"text"}` lines, else plain text).
    pub fn add_file(&mut self, path: &Path) -> Result<(), Error> {
        let files = if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| io_error(path, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "jsonl" || e == "txt"))
                .filter(|p| p.file_name().is_some_and(|n| n != "schema.json"))
                .collect();
            files.sort();
            files
        } else {
            vec![path.to_path_buf()]
        };
        let mut documents = Vec::new();
        for file in &files {
            match file.extension().and_then(|e| e.to_str()) {
                Some("json") => {
                    let text = std::fs::read_to_string(file).map_err(|e| io_error(file, e))?;
                    documents.extend(sgd_dialogues(file, &text)?);
                }
                // JSON lines are utterances; plain text is already in documents.
                Some("jsonl") => documents.extend(gpt2::data::read_documents(file)?.iter().map(|t| user_line(t))),
                _ => documents.extend(gpt2::data::read_documents(file)?),
            }
        }
        if documents.is_empty() {
            return Err(script_error(path, "no documents found".into()));
        }
        self.add_all(&path.display().to_string(), documents);
        Ok(())
    }

    /// Documents separated by a blank line, as `train-lm` reads them.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let mut text = self.documents.join("\n\n");
        text.push('\n');
        std::fs::write(path, text).map_err(|e| io_error(path, e))
    }

    fn add_all(&mut self, source: &str, documents: Vec<String>) {
        let mut count = SourceCount { source: source.to_string(), ..SourceCount::default() };
        for document in documents {
            if document.trim().is_empty() {
                continue;
            }
            if self.seen.insert(document.clone()) {
                self.documents.push(document);
                count.documents += 1;
            } else {
                count.duplicates += 1;
            }
        }
        self.sources.push(count);
    }
}

/// One turn on one line: blank lines would split a document.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn user_line(text: &str) -> String {
    format!("User: {}", one_line(text))
}

fn bot_line(text: &str) -> String {
    format!("Bot: {}", one_line(text))
}

/// Every script of `dir` replayed under several seeds, as `User:`/`Bot:` documents; the slot
/// values the conversations reach are collected for filling templates.
fn replay_scripts(bot: &mut Bot, dir: &Path, slot_values: &mut BTreeMap<String, Vec<Value>>) -> Result<Vec<String>, Error> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io_error(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    paths.sort();
    let mut documents = Vec::new();
    for path in &paths {
        let script = replay::load(path)?;
        let turns: Vec<String> = script.turns.iter().map(|t| t.user.repeat(t.user_repeat.unwrap_or(1))).collect();
        if turns.iter().any(|t| t.chars().count() > MAX_TURN_CHARS) {
            continue;
        }
        bot.channel = script.channel.clone();
        for seed in 0..REPLAY_SEEDS {
            let mut conversation = Conversation::new(script.name.clone()).with_seed(seed);
            let mut lines = Vec::new();
            for user in &turns {
                let result = bot.respond(&mut conversation, user);
                lines.push(user_line(user));
                lines.extend(result.replies.iter().map(|r| bot_line(&r.text)));
                if let Some(frame) = conversation.state.active() {
                    for (name, value) in frame.values() {
                        let seen = slot_values.entry(name).or_default();
                        if !seen.contains(&value) {
                            seen.push(value);
                        }
                    }
                }
            }
            documents.push(lines.join("\n"));
        }
    }
    bot.channel = None;
    Ok(documents)
}

/// Each template variation with its placeholders filled by values seen for those slots
/// (cycling through them); variations needing a slot never seen are left out.
fn fill_templates(bot: &Bot, slot_values: &BTreeMap<String, Vec<Value>>) -> Vec<String> {
    let templates = &bot.domain.templates;
    let mut documents = Vec::new();
    for response in templates.names() {
        for (index, variation) in templates.variations(response).iter().enumerate() {
            let filled: Option<String> = variation
                .template
                .pieces
                .iter()
                .map(|piece| match piece {
                    Piece::Literal(text) => Some(text.clone()),
                    Piece::Slot { name, format } => {
                        let values = slot_values.get(name).filter(|v| !v.is_empty())?;
                        Some(format_value(&values[index % values.len()], *format))
                    }
                })
                .collect();
            if let Some(text) = filled {
                documents.push(bot_line(&text));
            }
        }
    }
    documents
}

/// Schema-Guided Dialogue: a JSON list of `{"turns": [{"speaker", "utterance"}]}`.
fn sgd_dialogues(path: &Path, text: &str) -> Result<Vec<String>, Error> {
    let value: Value = serde_json::from_str(text).map_err(|e| script_error(path, format!("line {}: not JSON ({e})", e.line())))?;
    let dialogues = value.as_array().ok_or_else(|| script_error(path, "expected a JSON list of dialogues (Schema-Guided Dialogue format)".into()))?;
    dialogues
        .iter()
        .enumerate()
        .map(|(i, dialogue)| {
            let turns = dialogue["turns"].as_array().ok_or_else(|| script_error(path, format!("dialogue {i}: no \"turns\" list")))?;
            let lines: Option<Vec<String>> = turns
                .iter()
                .map(|turn| {
                    let utterance = turn["utterance"].as_str()?;
                    Some(if turn["speaker"] == "SYSTEM" { bot_line(utterance) } else { user_line(utterance) })
                })
                .collect();
            lines.map(|l| l.join("\n")).ok_or_else(|| script_error(path, format!("dialogue {i}: a turn without \"speaker\"/\"utterance\"")))
        })
        .collect()
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    script_error(path, e.to_string())
}

fn script_error(path: &Path, message: String) -> Error {
    Error::Script { path: path.into(), message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Domain;

    #[test]
    fn the_bundled_domain_gives_examples_dialogues_and_filled_templates() {
        let mut bot = Bot::new(Domain::bundled().unwrap()).unwrap();
        let mut corpus = Corpus::default();
        let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/dialogues");
        corpus.add_domain(&mut bot, Some(&scripts)).unwrap();
        let docs = corpus.documents();
        assert!(docs.iter().any(|d| d.starts_with("User: ") && !d.contains('\n')));
        let dialogue = docs.iter().find(|d| d.contains("\nBot: ")).expect("a replayed dialogue");
        assert!(dialogue.lines().all(|l| l.starts_with("User: ") || l.starts_with("Bot: ")), "{dialogue}");
        // A filled template: no placeholder braces left, a money value formatted.
        assert!(docs.iter().any(|d| d.starts_with("Bot: ") && d.contains('$') && !d.contains('{')));
        assert!(corpus.sources.iter().all(|s| s.documents > 0), "{:?}", corpus.sources);
        let unique: HashSet<&String> = docs.iter().collect();
        assert_eq!(unique.len(), docs.len());
    }

    #[test]
    fn public_formats_are_read_and_deduplicated() {
        let dir = tempfile::tempdir().unwrap();
        let sgd = dir.path().join("dialogues_001.json");
        std::fs::write(&sgd, r#"[{"turns": [{"speaker": "USER", "utterance": "I need  a table"}, {"speaker": "SYSTEM", "utterance": "Where?"}]}]"#).unwrap();
        let lines = dir.path().join("train.jsonl");
        std::fs::write(&lines, "{\"text\": \"card lost\", \"intent\": \"x\"}\n{\"text\": \"card lost\", \"intent\": \"y\"}\n").unwrap();
        let mut corpus = Corpus::default();
        corpus.add_file(dir.path()).unwrap();
        assert_eq!(corpus.documents(), ["User: I need a table\nBot: Where?", "User: card lost"]);
        assert_eq!(corpus.sources[0].duplicates, 1);
        std::fs::write(&lines, "{\"intent\": \"x\"}\n").unwrap();
        let error = corpus.add_file(&lines).unwrap_err().to_string();
        assert!(error.contains("train.jsonl") && error.contains("line 1"), "{error}");
    }
}
