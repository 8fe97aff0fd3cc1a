//! What the bot does after each intent, read from the rules and stories: which intent starts
//! each form and what follows the form, what every other intent is answered with, and where a
//! story's question is answered yes or no with different replies (a yes/no question in the flow).
//!
//! deskbot answers an intent the same way wherever it comes (its policy handles corrections,
//! cancels and digressions itself), so a story whose reply to an intent depends on what came
//! before is converted with the first reply found, and the others are reported.

use std::collections::BTreeMap;

use super::Notes;
use super::domain::Domain;
use super::stories::{Event, Story};

/// One thing the bot does.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Act {
    Say(String),
    Action(String),
}

/// A user turn of a story and the bot's acts after it (the form it starts is kept apart).
#[derive(Debug, Clone)]
pub(crate) struct StoryTurn {
    pub intent: String,
    pub user: Option<String>,
    pub entities: Vec<(String, Option<String>)>,
    pub line: usize,
    pub acts: Vec<Act>,
    pub form: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct FormUse {
    pub intent: Option<String>,
    pub before: Vec<Act>,
    pub after: Vec<Act>,
}

/// A reply ending in a question answered with different acts on yes and on no.
#[derive(Debug, Clone, Default)]
pub(crate) struct Branch {
    pub question: String,
    pub yes: Vec<Act>,
    pub no: Vec<Act>,
}

impl Branch {
    /// The slot holding the answer: the question's name without `utter_`.
    pub fn slot(&self) -> String {
        self.question.strip_prefix("utter_").unwrap_or(&self.question).to_string()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Behaviour {
    pub forms: BTreeMap<String, FormUse>,
    /// intent → the acts answering it, and a yes/no question those acts end with.
    pub replies: BTreeMap<String, (Vec<Act>, Option<Branch>)>,
}

/// The intents the policy itself answers (yes, no, cancel, hand-off): never a flow of their own.
pub(crate) struct Special<'a> {
    pub yes: &'a str,
    pub no: &'a str,
    pub others: Vec<&'a str>,
}

impl Special<'_> {
    fn contains(&self, intent: &str) -> bool {
        intent == self.yes || intent == self.no || self.others.contains(&intent)
    }
}

pub(crate) fn read(domain: &Domain, stories: &[Story], special: &Special, notes: &mut Notes) -> Behaviour {
    let mut behaviour = Behaviour::default();
    for name in domain.forms.keys() {
        behaviour.forms.insert(name.clone(), FormUse::default());
    }
    // Rules first: they say what always happens.
    let mut ordered: Vec<&Story> = stories.iter().filter(|s| s.is_rule).chain(stories.iter().filter(|s| !s.is_rule)).collect();
    ordered.dedup_by_key(|s| (s.file.clone(), s.line));
    for story in &ordered {
        read_follow_ups(domain, story, &mut behaviour, notes);
        if story.conditioned {
            continue;
        }
        let turns = turns(domain, story, notes);
        for (index, turn) in turns.iter().enumerate() {
            let at = format!("{}:{}", story.file.display(), turn.line);
            if turn.intent.is_empty() {
                continue;
            }
            if special.contains(&turn.intent) {
                let answers_a_question = index > 0 && matches!(turns[index - 1].acts.last(), Some(Act::Say(_))) && turn.form.is_none();
                let is_yes_no = turn.intent == special.yes || turn.intent == special.no;
                if !(turn.acts.is_empty() && turn.form.is_none() || is_yes_no && answers_a_question) {
                    notes.add(
                        &at,
                        &format!("the reply to `{}` in \"{}\"", turn.intent, story.name),
                        "deskbot's policy answers yes, no, cancel and hand-off itself",
                    );
                }
                continue;
            }
            if let Some(form) = &turn.form {
                let used = behaviour.forms.entry(form.clone()).or_default();
                match &used.intent {
                    None => (used.intent, used.before) = (Some(turn.intent.clone()), turn.acts.clone()),
                    Some(first) if *first != turn.intent => notes.add(
                        &at,
                        &format!("intent `{}` starting form `{form}`", turn.intent),
                        &format!("a flow starts on one intent; `{first}` starts it"),
                    ),
                    Some(_) => {}
                }
                continue;
            }
            if turn.acts.is_empty() {
                continue;
            }
            match behaviour.replies.get_mut(&turn.intent) {
                None => {
                    let branch = branch(&turns, index, special);
                    behaviour.replies.insert(turn.intent.clone(), (turn.acts.clone(), branch));
                }
                Some((first, known)) if *first == turn.acts => merge(known, branch(&turns, index, special)),
                Some((first, _)) => notes.add(
                    &at,
                    &format!("the reply to `{}` in \"{}\"", turn.intent, story.name),
                    &format!("it depends on what came before; deskbot answers `{}` one way everywhere: {}", turn.intent, describe(first)),
                ),
            }
        }
    }
    // A form's intent starts the form, whatever a story answers it with elsewhere.
    for used in behaviour.forms.values() {
        if let Some(intent) = &used.intent
            && let Some((acts, _)) = behaviour.replies.remove(intent)
        {
            let at = stories.first().map(Story::at).unwrap_or_default();
            notes.add(&at, &format!("the reply to `{intent}` ({})", describe(&acts)), "the intent starts a form, which deskbot runs instead");
        }
    }
    behaviour
}

/// Another story's answer to the same question fills the branch it lacks.
fn merge(known: &mut Option<Branch>, found: Option<Branch>) {
    match (known.as_mut(), found) {
        (None, found) => *known = found,
        (Some(known), Some(found)) if known.question == found.question => {
            if known.yes.is_empty() {
                known.yes = found.yes;
            }
            if known.no.is_empty() {
                known.no = found.no;
            }
        }
        _ => {}
    }
}

/// The story's user turns with the acts after each; acts before the first intent (a rule that
/// continues a form) form a turn with no intent.
pub(crate) fn turns(domain: &Domain, story: &Story, notes: &mut Notes) -> Vec<StoryTurn> {
    let mut turns: Vec<StoryTurn> = Vec::new();
    for (line, event) in &story.events {
        let at = format!("{}:{line}", story.file.display());
        match event {
            Event::Intent { name, user, entities } => turns.push(StoryTurn {
                intent: name.clone(),
                user: user.clone(),
                entities: entities.clone(),
                line: *line,
                acts: Vec::new(),
                form: None,
            }),
            Event::Action(action) => {
                if turns.is_empty() {
                    turns.push(StoryTurn { intent: String::new(), user: None, entities: Vec::new(), line: *line, acts: Vec::new(), form: None });
                }
                let turn = turns.last_mut().expect("a turn was pushed");
                if domain.forms.contains_key(action) {
                    turn.form.get_or_insert_with(|| action.clone());
                } else if let Some(act) = act(domain, action, &at, notes) {
                    turn.acts.push(act);
                }
            }
            Event::Loop(_) => {}
            // Said once per story: a story's `slot_was_set` steps are many and alike.
            Event::Other(key) => {
                notes.add(&story.at(), &format!("`{key}` steps in \"{}\"", story.name), "checkpoints, `or` and slot events are not modelled")
            }
        }
    }
    turns
}

/// `action: F`, `active_loop: null`, then acts: what follows form F once it is filled.
fn read_follow_ups(domain: &Domain, story: &Story, behaviour: &mut Behaviour, notes: &mut Notes) {
    let events = &story.events;
    for (i, (_, event)) in events.iter().enumerate() {
        let Event::Action(form) = event else { continue };
        if !domain.forms.contains_key(form) || !matches!(events.get(i + 1), Some((_, Event::Loop(None)))) {
            continue;
        }
        let used = behaviour.forms.entry(form.clone()).or_default();
        if !used.after.is_empty() {
            continue;
        }
        for (line, event) in &events[i + 2..] {
            match event {
                Event::Action(action) => {
                    let at = format!("{}:{line}", story.file.display());
                    used.after.extend(act(domain, action, &at, notes));
                }
                _ => break,
            }
        }
    }
}

/// The act a story's action becomes, if any (noted where it has no deskbot equivalent).
fn act(domain: &Domain, action: &str, at: &str, notes: &mut Notes) -> Option<Act> {
    if domain.responses.contains_key(action) {
        return Some(Act::Say(action.to_string()));
    }
    match action {
        "action_listen" | "action_session_start" => None,
        "action_deactivate_loop" => {
            notes.add(at, "action_deactivate_loop", "deskbot closes a flow on the cancel intent itself");
            None
        }
        "action_restart"
        | "action_back"
        | "action_default_fallback"
        | "action_two_stage_fallback"
        | "action_default_ask_affirmation"
        | "action_default_ask_rephrase"
        | "action_unlikely_intent"
        | "action_extract_slots" => {
            notes.add(at, action, "a Rasa built-in action without a deskbot step (the policy answers misunderstandings itself)");
            None
        }
        _ => Some(Act::Action(action.to_string())),
    }
}

/// Turn `index`'s acts end with a response the next turns answer yes or no to, with
/// different acts each: a yes/no question.
fn branch(turns: &[StoryTurn], index: usize, special: &Special) -> Option<Branch> {
    let Some(Act::Say(question)) = turns[index].acts.last() else { return None };
    let next = turns.get(index + 1)?;
    let mut branch = Branch { question: question.clone(), ..Branch::default() };
    if next.intent == special.yes {
        branch.yes = next.acts.clone();
    } else if next.intent == special.no {
        branch.no = next.acts.clone();
    } else {
        return None;
    }
    Some(branch)
}

pub(crate) fn describe(acts: &[Act]) -> String {
    let names: Vec<&str> = acts
        .iter()
        .map(|a| match a {
            Act::Say(name) | Act::Action(name) => name.as_str(),
        })
        .collect();
    if names.is_empty() { "nothing".into() } else { names.join(", ") }
}

/// The slots the yes/no questions become (named after the question, `utter_` dropped).
pub(crate) fn branch_slots(behaviour: &Behaviour) -> Vec<String> {
    behaviour.replies.values().filter_map(|(_, branch)| branch.as_ref()).filter(|b| !b.yes.is_empty() || !b.no.is_empty()).map(Branch::slot).collect()
}

/// Every response a flow says (not those only a custom action may send).
pub(crate) fn said(behaviour: &Behaviour) -> std::collections::BTreeSet<String> {
    let forms = behaviour.forms.values().flat_map(|f| f.before.iter().chain(&f.after));
    let replies = behaviour.replies.values().flat_map(|(acts, branch)| acts.iter().chain(branch.iter().flat_map(|b| b.yes.iter().chain(&b.no))));
    forms.chain(replies).filter_map(|a| if let Act::Say(name) = a { Some(name.clone()) } else { None }).collect()
}
