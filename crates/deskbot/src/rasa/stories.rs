//! Rasa stories and rules (`stories:` / `rules:` in any YAML file) read as sequences of events
//! with their lines: what the user said (an intent, maybe its text and entities), what the bot
//! did (an action or response), and a form starting or stopping.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_yaml_ng::Value;

use super::RasaError;
use super::yaml::Source;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct StoryFile {
    #[serde(default)]
    pub stories: Vec<RawStory>,
    #[serde(default)]
    pub rules: Vec<RawStory>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawStory {
    #[serde(default)]
    story: Option<String>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    steps: Vec<BTreeMap<String, Value>>,
    #[serde(default)]
    condition: Vec<BTreeMap<String, Value>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event {
    Intent {
        name: String,
        user: Option<String>,
        entities: Vec<(String, Option<String>)>,
    },
    Action(String),
    /// `active_loop: NAME` (a form runs) or `active_loop: null` (it ended).
    Loop(Option<String>),
    /// A step the import does not model (`checkpoint`, `or`, `slot_was_set`, …), by its key.
    Other(String),
}

/// One story or rule.
#[derive(Debug, Clone)]
pub(crate) struct Story {
    pub name: String,
    pub file: PathBuf,
    pub line: usize,
    pub is_rule: bool,
    /// A rule that applies only under a condition (`active_loop`, a slot).
    pub conditioned: bool,
    pub events: Vec<(usize, Event)>,
}

impl Story {
    pub fn at(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

/// The stories and rules of one file, in order.
pub(crate) fn read(source: &Source<StoryFile>) -> Result<Vec<Story>, RasaError> {
    let mut stories = Vec::new();
    let mut line = 1;
    let all = source.data.stories.iter().map(|s| (s, false)).chain(source.data.rules.iter().map(|s| (s, true)));
    for (raw, is_rule) in all {
        let name = raw.story.clone().or_else(|| raw.rule.clone()).unwrap_or_default();
        line = source.line_of(if is_rule { "rule" } else { "story" }, line);
        let start = line;
        let mut events = Vec::new();
        for step in &raw.steps {
            let (key, event) = event(step).map_err(|message| RasaError::at(&source.path, line, message))?;
            line = source.line_of(&key, line + 1);
            events.push((line, event));
        }
        let conditioned = !raw.condition.is_empty();
        stories.push(Story { name, file: source.path.clone(), line: start, is_rule, conditioned, events });
    }
    Ok(stories)
}

fn event(step: &BTreeMap<String, Value>) -> Result<(String, Event), String> {
    let text = |key: &str| step.get(key).and_then(Value::as_str).map(str::to_string);
    if let Some(name) = text("intent") {
        let entities = step.get("entities").map(entities).unwrap_or_default();
        return Ok(("intent".into(), Event::Intent { name, user: text("user"), entities }));
    }
    if let Some(user) = text("user") {
        // An end-to-end story: the text alone, its intent left to the recognizer.
        return Ok(("user".into(), Event::Intent { name: String::new(), user: Some(user), entities: Vec::new() }));
    }
    if let Some(action) = text("action") {
        return Ok(("action".into(), Event::Action(action)));
    }
    if let Some(bot) = text("bot") {
        return Ok(("bot".into(), Event::Other(format!("bot: {bot}"))));
    }
    if let Some(value) = step.get("active_loop") {
        return Ok(("active_loop".into(), Event::Loop(value.as_str().map(str::to_string))));
    }
    match step.keys().next() {
        Some(key) => Ok((key.clone(), Event::Other(key.clone()))),
        None => Err("an empty step".into()),
    }
}

/// `[cuisine]`, `[{cuisine: italian}]` or `[{entity: cuisine, value: italian}]`.
fn entities(value: &Value) -> Vec<(String, Option<String>)> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let Some(list) = value.as_sequence() else { return Vec::new() };
    list.iter()
        .filter_map(|item| match item {
            Value::String(name) => Some((name.clone(), None)),
            Value::Mapping(map) => match (map.get("entity").and_then(Value::as_str), map.get("value")) {
                (Some(name), value) => Some((name.to_string(), value.and_then(scalar))),
                (None, _) => map.iter().next().and_then(|(k, v)| Some((k.as_str()?.to_string(), scalar(v)))),
            },
            _ => None,
        })
        .collect()
}
