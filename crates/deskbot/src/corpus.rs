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
//!   separated by blank lines;
//! - paraphrase pairs, in the form the bot asks for a rewording (`Bot: …` then
//!   `Bot (rephrased): …`): two variations of one template filled with the same values, and two
//!   Schema-Guided Dialogue system turns doing the same dialogue acts on the same slots, the
//!   second with the first's values put in (so the pairs teach keeping values).
//!
//! Whitespace inside a turn is collapsed to single spaces; identical documents are kept once.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use templates::{Piece, Template, format_value};

use crate::domain::Error;
use crate::engine::{Bot, Conversation};
use crate::model::REWORDING_CUE;
use crate::replay;

/// Replays of each script, with different reply seeds.
const REPLAY_SEEDS: u64 = 8;
/// Value choices with which each pair of template variations is filled.
const TEMPLATE_PAIR_FILLS: usize = 3;
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
        let examples: Vec<String> = bot.domain.nlu.intents.values().flat_map(|i| i.plain_examples()).map(|e| user_line(&e)).collect();
        self.add_all("domain: NLU examples", examples);
        let mut slot_values: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        if let Some(dir) = scripts {
            let dialogues = replay_scripts(bot, dir, &mut slot_values)?;
            self.add_all(&format!("domain: replayed dialogues ({})", dir.display()), dialogues);
        }
        let filled = fill_templates(bot, &slot_values);
        self.add_all("domain: template variations", filled);
        let pairs = template_paraphrases(bot, &slot_values);
        self.add_all("domain: paraphrase pairs of template variations", pairs);
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
        let mut system_turns = Vec::new();
        for file in &files {
            match file.extension().and_then(|e| e.to_str()) {
                Some("json") => {
                    let text = std::fs::read_to_string(file).map_err(|e| io_error(file, e))?;
                    let (dialogues, turns) = sgd_dialogues(file, &text)?;
                    documents.extend(dialogues);
                    system_turns.extend(turns);
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
        if !system_turns.is_empty() {
            self.add_all(&format!("{}: paraphrase pairs of system turns", path.display()), sgd_paraphrases(system_turns));
        }
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

pub(crate) fn user_line(text: &str) -> String {
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
        let turns: Vec<String> = script.turns.iter().map(replay::ScriptTurn::user_text).collect();
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
            if let Some(text) = fill(&variation.template, slot_values, index) {
                documents.push(bot_line(&text));
            }
        }
    }
    documents
}

/// Every ordered pair of different variations of one response that need the same slots and
/// serve the same channel, filled with the same values (a few value choices each).
fn template_paraphrases(bot: &Bot, slot_values: &BTreeMap<String, Vec<Value>>) -> Vec<String> {
    let templates = &bot.domain.templates;
    let mut documents = Vec::new();
    for response in templates.names() {
        let variations = templates.variations(response);
        for choice in 0..TEMPLATE_PAIR_FILLS {
            let filled: Vec<(&templates::Variation, BTreeSet<&str>, String)> =
                variations.iter().filter_map(|v| Some((v, v.template.slot_names().collect(), fill(&v.template, slot_values, choice)?))).collect();
            for (a, a_slots, first) in &filled {
                for (b, b_slots, second) in &filled {
                    if a.text != b.text && a.channel == b.channel && a_slots == b_slots {
                        documents.push(paraphrase_document(None, first, second));
                    }
                }
            }
        }
    }
    documents
}

/// `template` with each placeholder filled by the `choice`-th value seen for its slot (cycling).
fn fill(template: &Template, slot_values: &BTreeMap<String, Vec<Value>>, choice: usize) -> Option<String> {
    template
        .pieces
        .iter()
        .map(|piece| match piece {
            Piece::Literal(text) => Some(text.clone()),
            Piece::Slot { name, format } => {
                let values = slot_values.get(name).filter(|v| !v.is_empty())?;
                Some(format_value(&values[choice % values.len()], *format))
            }
        })
        .collect()
}

/// A rewording as the bot asks for one: the reply, then `Bot (rephrased):` and the rewording.
fn paraphrase_document(user: Option<&str>, reply: &str, rewording: &str) -> String {
    let user = user.map(|u| format!("{}\n", user_line(u))).unwrap_or_default();
    format!("{user}{}\n{REWORDING_CUE} {}", bot_line(reply), one_line(rewording))
}

/// A Schema-Guided Dialogue system turn whose every act value occurs exactly once in its text.
struct SystemTurn {
    /// The service and the turn's (act, slot, number of values), sorted: turns with the same
    /// key say the same thing about different values.
    key: String,
    previous_user: Option<String>,
    utterance: String,
    /// Byte spans of the values in `utterance`, in the key's act order, with the value text.
    values: Vec<(usize, usize, String)>,
}

impl SystemTurn {
    /// The utterance with `other`'s values put in place of its own.
    fn with_values_of(&self, other: &SystemTurn) -> String {
        let mut spans: Vec<(usize, usize, &str)> =
            self.values.iter().zip(&other.values).map(|(own, theirs)| (own.0, own.1, theirs.2.as_str())).collect();
        spans.sort();
        let mut text = String::new();
        let mut at = 0;
        for (start, end, value) in spans {
            text.push_str(&self.utterance[at..start]);
            text.push_str(value);
            at = end;
        }
        text.push_str(&self.utterance[at..]);
        text
    }
}

/// The system turns of one SGD dialogue that can be paired (values found once, not overlapping).
fn sgd_system_turns(turns: &[Value]) -> Vec<SystemTurn> {
    let mut found = Vec::new();
    let mut previous_user = None;
    for turn in turns {
        let Some(utterance) = turn["utterance"].as_str() else { continue };
        if turn["speaker"] != "SYSTEM" {
            previous_user = Some(utterance.to_string());
            continue;
        }
        let Some(frame) = turn["frames"].as_array().and_then(|f| f.first()) else { continue };
        let Some(actions) = frame["actions"].as_array() else { continue };
        // Acts sorted by (act, slot), values in that order: two turns with the same key line
        // up value by value.
        let mut acts: Vec<(String, Vec<&str>)> = actions
            .iter()
            .map(|action| {
                let values: Vec<&str> = action["values"].as_array().map(|v| v.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
                (format!("{}({}×{})", action["act"].as_str().unwrap_or(""), action["slot"].as_str().unwrap_or(""), values.len()), values)
            })
            .collect();
        acts.sort();
        let mut values = Vec::new();
        let mut clean = true;
        for value in acts.iter().flat_map(|(_, values)| values) {
            match utterance.match_indices(value).collect::<Vec<_>>().as_slice() {
                [(start, _)] if !value.is_empty() => values.push((*start, start + value.len(), value.to_string())),
                _ => clean = false,
            }
        }
        let mut spans: Vec<(usize, usize)> = values.iter().map(|v| (v.0, v.1)).collect();
        spans.sort();
        if !clean || spans.windows(2).any(|w| w[0].1 > w[1].0) {
            continue;
        }
        let key: Vec<&str> = acts.iter().map(|(key, _)| key.as_str()).collect();
        found.push(SystemTurn {
            key: format!("{} {}", frame["service"].as_str().unwrap_or(""), key.join(" ")),
            previous_user: previous_user.clone(),
            utterance: utterance.to_string(),
            values,
        });
    }
    found
}

/// Each turn paired with another of its key (chosen by a fixed hash, so corpora are
/// reproducible), the second reworded with the first's values.
fn sgd_paraphrases(turns: Vec<SystemTurn>) -> Vec<String> {
    let mut groups: BTreeMap<String, Vec<SystemTurn>> = BTreeMap::new();
    for turn in turns {
        groups.entry(turn.key.clone()).or_default().push(turn);
    }
    let mut documents = Vec::new();
    for group in groups.values().filter(|g| g.len() > 1) {
        for (i, turn) in group.iter().enumerate() {
            let step = 1 + (i.wrapping_mul(2_654_435_761) >> 7) % (group.len() - 1);
            let other = &group[(i + step) % group.len()];
            if other.utterance != turn.utterance {
                documents.push(paraphrase_document(turn.previous_user.as_deref(), &turn.utterance, &other.with_values_of(turn)));
            }
        }
    }
    documents
}

/// Schema-Guided Dialogue: a JSON list of `{"turns": [{"speaker", "utterance", "frames"}]}`;
/// the dialogues as documents, and the system turns that can be paired as paraphrases.
fn sgd_dialogues(path: &Path, text: &str) -> Result<(Vec<String>, Vec<SystemTurn>), Error> {
    let value: Value = serde_json::from_str(text).map_err(|e| script_error(path, format!("line {}: not JSON ({e})", e.line())))?;
    let dialogues = value.as_array().ok_or_else(|| script_error(path, "expected a JSON list of dialogues (Schema-Guided Dialogue format)".into()))?;
    let mut documents = Vec::new();
    let mut system_turns = Vec::new();
    for (i, dialogue) in dialogues.iter().enumerate() {
        let turns = dialogue["turns"].as_array().ok_or_else(|| script_error(path, format!("dialogue {i}: no \"turns\" list")))?;
        let lines: Option<Vec<String>> = turns
            .iter()
            .map(|turn| {
                let utterance = turn["utterance"].as_str()?;
                Some(if turn["speaker"] == "SYSTEM" { bot_line(utterance) } else { user_line(utterance) })
            })
            .collect();
        let lines = lines.ok_or_else(|| script_error(path, format!("dialogue {i}: a turn without \"speaker\"/\"utterance\"")))?;
        documents.push(lines.join("\n"));
        system_turns.extend(sgd_system_turns(turns));
    }
    Ok((documents, system_turns))
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
        // Two variations of one response, filled with the same values, as a rewording.
        let pair = docs
            .iter()
            .find(|d| d.starts_with("Bot: To confirm: refund $") && d.contains("\nBot (rephrased): Refund $"))
            .expect("a paraphrase pair of the refund confirmation");
        let (first, second) = pair.split_once("\nBot (rephrased): ").unwrap();
        let amount = |text: &str| text.split(' ').find(|w| w.starts_with('$')).unwrap().to_string();
        assert_eq!(amount(first), amount(second), "{pair}");
    }

    #[test]
    fn sgd_system_turns_doing_the_same_acts_become_paraphrases_with_the_values_kept() {
        let turn = |utterance: &str, actions: &str| {
            format!(r#"{{"speaker": "SYSTEM", "utterance": "{utterance}", "frames": [{{"service": "Banks_1", "actions": [{actions}]}}]}}"#)
        };
        let inform = |slot: &str, value: &str| format!(r#"{{"act": "INFORM", "slot": "{slot}", "values": ["{value}"]}}"#);
        let dialogues = format!(
            r#"[{{"turns": [{{"speaker": "USER", "utterance": "my balance?"}}, {}]}}, {{"turns": [{{"speaker": "USER", "utterance": "how much is in savings"}}, {}, {}]}}]"#,
            turn("Your checking account has $12.", &[inform("account_type", "checking"), inform("balance", "$12")].join(", ")),
            turn("There is $3,000 in your savings account.", &[inform("balance", "$3,000"), inform("account_type", "savings")].join(", ")),
            turn("It says $5 and $5.", &inform("balance", "$5")),
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dialogues_001.json"), dialogues).unwrap();
        let mut corpus = Corpus::default();
        corpus.add_file(dir.path()).unwrap();
        let pairs: Vec<&String> = corpus.documents().iter().filter(|d| d.contains("Bot (rephrased)")).collect();
        // Acts are matched whatever their order; a value found twice ("$5") cannot be swapped.
        assert_eq!(
            pairs,
            [
                "User: my balance?\nBot: Your checking account has $12.\nBot (rephrased): There is $12 in your checking account.",
                "User: how much is in savings\nBot: There is $3,000 in your savings account.\nBot (rephrased): Your savings account has $3,000."
            ]
        );
        assert!(corpus.sources.iter().any(|s| s.source.ends_with("paraphrase pairs of system turns") && s.documents == 2), "{:?}", corpus.sources);
    }

    #[test]
    fn public_formats_are_read_and_deduplicated() {
        let dir = tempfile::tempdir().unwrap();
        let sgd = dir.path().join("dialogues_001.json");
        std::fs::write(&sgd, r#"[{"turns": [{"speaker": "USER", "utterance": "I need  a table"}, {"speaker": "SYSTEM", "utterance": "Where?"}]}]"#)
            .unwrap();
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
