//! `deskbot import rasa DIR --out OUT`: a whole Rasa project as a runnable deskbot bot —
//! `OUT/intents/nlu.ron` (the NLU data), `OUT/intents/flows.ron` (slots, forms and rules as
//! flows), `OUT/templates/` (responses, and the engine's own replies), `OUT/tests/` (stories
//! and rules as replays). What cannot be converted is listed with its file:line and why.
//!
//! One file per stage: [`yaml`] reads with positions, [`domain`] and [`stories`] are Rasa's
//! formats, [`behaviour`] reads what the bot does from the stories, [`flows`], [`responses`]
//! and [`replays`] write deskbot's files.

mod behaviour;
mod domain;
mod flows;
mod replays;
mod responses;
mod stories;
mod yaml;

use std::path::{Path, PathBuf};

/// Something the import could not carry over, where it stands and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// `file:line`.
    pub at: String,
    pub what: String,
    pub why: String,
}

/// The notes an import collects (each said once).
#[derive(Debug, Default)]
pub(crate) struct Notes(Vec<Skipped>);

impl Notes {
    pub fn add(&mut self, at: &str, what: &str, why: &str) {
        let note = Skipped { at: at.into(), what: what.into(), why: why.into() };
        if !self.0.contains(&note) {
            self.0.push(note);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RasaError {
    #[error("{at}: {message}")]
    Invalid { at: String, message: String },
    #[error(transparent)]
    Nlu(#[from] nlu::NluError),
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
}

impl RasaError {
    pub(crate) fn at(path: &Path, line: usize, message: String) -> Self {
        let at = if line > 0 { format!("{}:{line}", path.display()) } else { path.display().to_string() };
        RasaError::Invalid { at, message }
    }
}

/// A converted project: files by their path under OUT, and what was left behind.
#[derive(Debug)]
pub struct Converted {
    pub files: Vec<(PathBuf, String)>,
    pub skipped: Vec<Skipped>,
    pub flows: usize,
    pub replays: usize,
}

/// Converts the Rasa project in `dir` (its `domain.yml`, or `domain/*.yml`, and every YAML
/// file with `nlu:`, `stories:` or `rules:`).
pub fn import(dir: &Path) -> Result<Converted, RasaError> {
    let (mut nlu, _) = nlu::rasa::import(dir)?;
    let domain_path = dir.join("domain.yml");
    if !domain_path.exists() {
        return Err(RasaError::at(dir, 0, "no domain.yml: `deskbot import rasa` converts a whole Rasa project".into()));
    }
    let mut domain = yaml::read::<domain::Domain>(&domain_path)?;
    let renamed = domain.data.rename_slots();
    let mut story_list = Vec::new();
    for file in yaml_files(dir)? {
        let text = std::fs::read_to_string(&file).map_err(|e| RasaError::at(&file, 0, e.to_string()))?;
        if text.lines().any(|l| l.starts_with("stories:") || l.starts_with("rules:")) {
            story_list.extend(stories::read(&yaml::read(&file)?)?);
        }
    }
    let mut notes = Notes::default();
    let at = |key: &str| format!("{}:{}", domain_path.display(), domain.line_of(key, 1));
    for (old, new) in &renamed {
        notes.add(&at(old), &format!("slot name `{old}`"), &format!("written `{new}` (a slot name is letters, digits and `_`)"));
    }
    for form in domain.data.forms.values() {
        for slot in form.required_slots.names() {
            if !domain.data.slots.contains_key(&slot) {
                return Err(RasaError::Invalid { at: at(&slot), message: format!("a form asks for slot `{slot}`, which `slots:` does not declare") });
            }
        }
    }
    for action in &domain.data.actions {
        let used = story_list.iter().any(|s| s.events.iter().any(|(_, e)| matches!(e, stories::Event::Action(a) if a == action)));
        if action.starts_with("validate_") {
            notes.add(&at(action), action, "form validation runs in your action server; deskbot checks slot types, min / max and patterns itself");
        } else if !used {
            notes.add(&at(action), action, "declared, but no rule or story runs it");
        }
    }
    add_builtins(&mut nlu, &domain.data, &mut notes, &at);
    let settings = flows::Settings::of(&domain.data);
    let behaviour = behaviour::read(&domain.data, &story_list, &settings.special(), &mut notes);
    let flows_ron = flows::write(&domain.data, &nlu, &behaviour, &settings, &mut notes, &at);
    let branch_slots = behaviour::branch_slots(&behaviour);
    let said = behaviour::said(&behaviour);
    let replies = responses::write(&domain.data, &settings, &said, &branch_slots, &mut notes, &at)?;
    let replays = replays::write(&domain.data, &nlu, &behaviour, &settings, &story_list, &mut notes);
    let header = format!("// Imported from Rasa NLU data in {} by `deskbot import rasa`.\n", dir.display());
    let mut files = vec![
        (PathBuf::from("intents/nlu.ron"), header + &nlu::rasa::to_ron(&nlu)),
        (PathBuf::from("intents/flows.ron"), flows_ron),
        (PathBuf::from("templates/replies.ron"), replies),
        (PathBuf::from("templates/engine.ron"), crate::check::ENGINE_REPLIES.to_string()),
    ];
    let replay_count = replays.len();
    files.extend(replays.into_iter().map(|(name, text)| (PathBuf::from("tests").join(name), text)));
    let mut skipped = notes.0;
    skipped.sort_by_cached_key(|s| {
        let (file, line) = s.at.rsplit_once(':').unwrap_or((&s.at, ""));
        (file.to_string(), line.parse::<usize>().unwrap_or(0), s.what.clone())
    });
    Ok(Converted {
        files,
        skipped,
        flows: behaviour.forms.values().filter(|f| f.intent.is_some()).count() + behaviour.replies.len(),
        replays: replay_count,
    })
}

impl Converted {
    /// Writes every file under `out`; refuses when `out` already holds an import, unless `force`.
    pub fn write(&self, out: &Path, force: bool) -> Result<(), RasaError> {
        let io = |path: &Path, e: std::io::Error| RasaError::Io { path: path.to_path_buf(), message: e.to_string() };
        if let Some((existing, _)) = self.files.iter().find(|(p, _)| out.join(p).exists())
            && !force
        {
            return Err(RasaError::Io { path: out.join(existing), message: "already exists; pass --force to replace the import".into() });
        }
        for (path, text) in &self.files {
            let target = out.join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            std::fs::write(&target, text).map_err(|e| io(&target, e))?;
        }
        Ok(())
    }
}

/// Entities the slots read that the NLU data does not define: Duckling's and Rasa's usual
/// names become deskbot's built-in extractors; others are noted.
fn add_builtins(nlu: &mut nlu::NluDomain, domain: &domain::Domain, notes: &mut Notes, at: &dyn Fn(&str) -> String) {
    use nlu::{Builtin, EntityDef};
    for (slot, def) in &domain.slots {
        for entity in def.mappings.iter().filter_map(|m| m.entity.as_deref()) {
            if nlu.entities.contains_key(entity) {
                continue;
            }
            let builtin = match entity {
                "number" | "ordinal" => Builtin::Number,
                "money" | "amount-of-money" | "amount_of_money" | "amount" => Builtin::Money,
                "date" | "time" => Builtin::Date,
                "duration" => Builtin::Duration,
                "email" => Builtin::Email,
                "phone" | "phone-number" | "phone_number" => Builtin::Phone,
                _ => {
                    notes.add(
                        &at(slot),
                        &format!("entity `{entity}` of slot `{slot}`"),
                        "no example annotates it and deskbot has no built-in of that name",
                    );
                    continue;
                }
            };
            nlu.entities.insert(entity.to_string(), EntityDef::Builtin(builtin));
        }
    }
}

/// Every `*.yml` / `*.yaml` under `dir` but the domain, sorted.
fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, RasaError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current).map_err(|e| RasaError::at(&current, 0, e.to_string()))?;
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") && path.file_name().is_some_and(|n| n != "domain.yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A string as a RON literal.
pub(crate) fn q(text: &str) -> String {
    ron::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
}
