//! Rasa stories and rules as deskbot replays (`tests/*.ron`): each user step becomes a turn
//! (the step's own text, or an example of its intent from the NLU data) that must be read as
//! that intent and answered with the first reply the story expects. A story stops being
//! replayed where it does something deskbot's policy does differently (a reply to yes, no or
//! cancel that no question asked for, or a form's inner turns); its converted part is kept.

use std::collections::BTreeMap;

use super::behaviour::{self, Act, Behaviour, StoryTurn};
use super::domain::Domain;
use super::flows::{Settings, ask_response};
use super::stories::Story;
use super::{Notes, q};

/// (file name, contents) of each replay.
pub(crate) fn write(
    domain: &Domain,
    nlu: &nlu::NluDomain,
    behaviour: &Behaviour,
    settings: &Settings,
    stories: &[Story],
    notes: &mut Notes,
) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for story in stories.iter().filter(|s| !s.conditioned) {
        let turns = behaviour::turns(domain, story, &mut Notes::default());
        let mut lines = Vec::new();
        let mut question: Option<&str> = None;
        for turn in &turns {
            let Some(user) = user_text(turn, nlu) else { break };
            let here = format!("{}:{}", story.file.display(), turn.line);
            let before = turn.form.as_ref().and_then(|f| behaviour.forms.get(f)).map(|f| f.before.as_slice()).unwrap_or_default();
            if let Some(action) = turn.acts.iter().chain(before).find_map(|a| if let Act::Action(name) = a { Some(name) } else { None }) {
                notes.add(
                    &here,
                    &format!("story \"{}\" from here on", story.name),
                    &format!(
                        "skipped: needs the custom action `{action}` (your action server: deskbot serve --action-endpoint URL --action-protocol rasa)"
                    ),
                );
                break;
            }
            let Some(expected) = expected(domain, behaviour, settings, turn, question) else {
                notes.add(
                    &here,
                    &format!("story \"{}\" from here on", story.name),
                    "replayed up to here: deskbot's policy answers this turn its own way",
                );
                break;
            };
            question = match turn.acts.last() {
                Some(Act::Say(name)) if behaviour.replies.get(&turn.intent).is_some_and(|(_, b)| b.as_ref().is_some_and(|b| b.question == *name)) => {
                    Some(name)
                }
                _ => None,
            };
            let intent = if turn.intent.is_empty() { String::new() } else { format!(", intent: Some({})", q(&turn.intent)) };
            let bot = match pattern(domain, &expected) {
                Some(pattern) => format!(", bot: Some(Regex({}))", q(&pattern)),
                None => String::new(),
            };
            lines.push(format!("        (user: {}{intent}{bot}),", q(&user)));
            if turn.form.is_some() {
                break;
            }
        }
        if lines.is_empty() {
            continue;
        }
        let slug: String = story.name.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
        let count = names.entry(slug.clone()).or_default();
        *count += 1;
        let file = if *count == 1 { format!("{slug}.ron") } else { format!("{slug}_{count}.ron") };
        let kind = if story.is_rule { "rule" } else { "story" };
        let header = format!("// From the Rasa {kind} \"{}\" ({}) by `deskbot import rasa`.\n", story.name, story.at());
        files.push((file, format!("{header}Dialogue(\n    name: {},\n    turns: [\n{}\n    ],\n)\n", q(&story.name), lines.join("\n"))));
    }
    files
}

/// The step's own text (annotations read out) or the first example of its intent that holds
/// the step's entity values.
fn user_text(turn: &StoryTurn, nlu: &nlu::NluDomain) -> Option<String> {
    if let Some(user) = &turn.user {
        return nlu::annotation::read(user).ok().map(|(plain, _)| plain);
    }
    let examples = &nlu.intents.get(&turn.intent)?.examples;
    let values: Vec<String> = turn.entities.iter().filter_map(|(_, v)| v.as_ref().map(|v| v.to_lowercase())).collect();
    examples.iter().find(|e| values.iter().all(|v| e.to_lowercase().contains(v))).or(examples.first()).cloned()
}

/// The response the bot must answer the turn with; `None` where deskbot's policy differs.
fn expected(domain: &Domain, behaviour: &Behaviour, settings: &Settings, turn: &StoryTurn, question: Option<&str>) -> Option<Option<String>> {
    let special = settings.special();
    if let Some(form) = &turn.form {
        // What the flow says before its first question, else that question.
        let said = behaviour.forms.get(form)?.before.iter().find_map(|a| if let Act::Say(name) = a { Some(name.clone()) } else { None });
        let first = domain.forms.get(form)?.required_slots.names().into_iter().next();
        return Some(said.or_else(|| first.and_then(|slot| ask_response(domain, &slot))));
    }
    let is_yes_no = turn.intent == special.yes || turn.intent == special.no;
    let first_say = || turn.acts.iter().find_map(|a| if let Act::Say(name) = a { Some(name.clone()) } else { None });
    if is_yes_no && question.is_some() || behaviour.replies.get(&turn.intent).is_some_and(|(acts, _)| *acts == turn.acts) {
        return Some(first_say());
    }
    (turn.acts.is_empty() && !is_yes_no && !turn.intent.is_empty()).then_some(None)
}

/// A pattern any variation of the response matches: each one's text up to its first slot.
fn pattern(domain: &Domain, response: &Option<String>) -> Option<String> {
    let variations = domain.responses.get(response.as_ref()?)?;
    let prefixes: Vec<String> =
        variations.iter().filter_map(|v| v.text.as_deref()).map(|t| t.split(['{', '\n']).next().unwrap_or_default().trim().to_string()).collect();
    if prefixes.is_empty() || prefixes.iter().any(String::is_empty) {
        return None;
    }
    Some(prefixes.iter().map(|p| regex::escape(p)).collect::<Vec<_>>().join("|"))
}
