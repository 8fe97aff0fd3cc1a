//! `deskbot check`: every problem of a domain in one run, each where it is (file:line:column)
//! and what to do about it. `chat`, `serve` and `replay` run the same checks when they load a
//! domain: errors refuse it (with the whole report), warnings are printed.
//!
//! Errors: a flow started by an intent nlu.ron lacks, a slot filled by an undefined entity, a
//! marked value no slot takes, responses with no template (all of them, engine replies
//! included), a `Confirm` step without the yes/no intents it waits for, a template placeholder
//! that is a near miss of a slot (`{aprover}`: did you mean `{approver}`?).
//! Warnings: actions no handler answers (the demo actions aside), no cancel or hand-off intent,
//! slots no flow collects, examples two intents share.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use dst::FlowSet;
use nlu::NluDomain;
use templates::TemplateSet;

use crate::actions::BuiltinActions;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem: where (line 0 when the file, not a place in it, is meant), what, and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub severity: Severity,
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.line {
            // A file that does not parse: its error names the file, line and column itself.
            _ if self.path.as_os_str().is_empty() => write!(f, "{kind}: {}", self.message)?,
            0 => write!(f, "{kind}: {}: {}", self.path.display(), self.message)?,
            line => write!(f, "{kind}: {}:{line}:{}: {}", self.path.display(), self.column, self.message)?,
        }
        if !self.hint.is_empty() {
            write!(f, "\n  = help: {}", self.hint)?;
        }
        Ok(())
    }
}

/// Every problem found, errors first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.severity == Severity::Error).count()
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.severity == Severity::Warning)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        let warnings = self.problems.len() - self.errors();
        write!(f, "{} error(s), {warnings} warning(s)", self.errors())
    }
}

/// Templates for the engine's own replies but `out_of_scope` and `capabilities` (which say what
/// a bot is for), as `deskbot new` and `deskbot import rasa` write them (`templates/engine.ron`).
pub const ENGINE_REPLIES: &str = include_str!("engine_replies.ron");

/// Responses the engine itself may render, besides those the flows name.
const ENGINE_RESPONSES: [&str; 20] = [
    "out_of_scope",
    "flow_retired",
    "nothing_to_cancel",
    "nothing_to_confirm",
    "flow_cancelled",
    "confirmation_denied",
    "please_confirm",
    "resume_flow",
    "next_request",
    "request_queued",
    "slot_invalid",
    "slot_not_understood",
    "action_failed",
    "handoff",
    "still_need",
    "value_unknown",
    "value_corrected",
    "capabilities",
    "flow_parked",
    "offer_value",
];

/// Placeholders the engine fills besides the slots: the flow's description, the slot asked
/// about, why a value was refused, what was given, an offered value.
const ENGINE_PLACEHOLDERS: [&str; 6] = ["flow", "slot", "problem", "given", "value", "bot_name"];

/// The parts of a domain, with the text of each file so that problems can say where.
pub(crate) struct Parts<'a> {
    pub nlu: &'a NluDomain,
    pub flows: &'a FlowSet,
    pub templates: &'a TemplateSet,
    pub nlu_path: PathBuf,
    pub flows_path: PathBuf,
    pub templates_path: PathBuf,
    /// File → text, for locating names (files that cannot be read are located at line 0).
    pub texts: BTreeMap<PathBuf, String>,
}

impl Parts<'_> {
    fn problem(&self, severity: Severity, path: &Path, needle: &str, message: String, hint: String) -> Problem {
        let (line, column) = self.texts.get(path).and_then(|text| ronfile::locate(text, needle)).unwrap_or((0, 0));
        Problem { severity, path: path.into(), line, column, message, hint }
    }

    /// Every cross-file problem.
    pub fn check(&self) -> Report {
        let mut problems = Vec::new();
        self.intents(&mut problems);
        self.slots(&mut problems);
        self.responses(&mut problems);
        self.placeholders(&mut problems);
        self.actions(&mut problems);
        self.shared_examples(&mut problems);
        problems.sort_by_key(|p| p.severity);
        Report { problems }
    }

    fn intents(&self, problems: &mut Vec<Problem>) {
        let (nlu, flows) = (self.nlu, self.flows);
        let settings = &flows.settings;
        let special = [&settings.affirm, &settings.deny, &settings.cancel, &settings.handoff, &settings.dont_know];
        for (name, flow) in &flows.flows {
            if !nlu.intents.contains_key(&flow.intent) && !special.contains(&&flow.intent) {
                let message = format!("flow `{name}` is started by intent `{}`, which nlu.ron does not define", flow.intent);
                problems.push(self.problem(Severity::Error, &self.flows_path, &format!("\"{name}\""), message, "add the intent to nlu.ron".into()));
            }
        }
        let confirms = flows.has_confirm();
        for (intent, needed, why) in [
            (&settings.affirm, confirms, "a Confirm step waits for it: without it every \"yes\" is answered \"Please answer yes or no.\""),
            (&settings.deny, confirms, "a Confirm step waits for it: without it a \"no\" cannot stop a submission"),
            (&settings.cancel, false, "without it \"cancel\" is taken as an answer (stored as a value)"),
            (&settings.handoff, false, "without it nobody can ask for a person"),
            (&settings.dont_know, false, "without it \"I don't know\" is taken as an answer (stored as a value) and never counts as an attempt"),
        ] {
            if nlu.intents.contains_key(intent) {
                continue;
            }
            let severity = if needed { Severity::Error } else { Severity::Warning };
            let hint = format!("add an intent `{intent}` with examples to nlu.ron (or name another in flows.ron's settings)");
            problems.push(self.problem(severity, &self.nlu_path, "intents", format!("no intent `{intent}`: {why}"), hint));
        }
    }

    fn slots(&self, problems: &mut Vec<Problem>) {
        let (nlu, flows) = (self.nlu, self.flows);
        let collected: BTreeSet<&str> = flows.flows.keys().flat_map(|f| flows.flow_slots(f)).collect();
        for (slot, def) in &flows.slots {
            let at = format!("\"{slot}\"");
            for entity in def.entities.iter().filter(|e| !nlu.entities.contains_key(*e)) {
                let message = format!("slot `{slot}` is filled by entity `{entity}`, which nlu.ron does not define");
                problems.push(self.problem(Severity::Error, &self.flows_path, &at, message, "define the entity in nlu.ron's `entities`".into()));
            }
            if !collected.contains(slot.as_str()) {
                let message = format!("slot `{slot}` is collected by no flow");
                problems.push(self.problem(
                    Severity::Warning,
                    &self.flows_path,
                    &at,
                    message,
                    format!("add Collect(\"{slot}\") to a flow, or remove the slot"),
                ));
            }
        }
        let takes = |name: &str| flows.slots.iter().any(|(slot, def)| slot == name || def.entities.iter().any(|e| e == name));
        for (intent, def) in &nlu.intents {
            for (text, spans) in def.annotated() {
                for span in spans.iter().filter(|s| !takes(&s.slot)) {
                    let message = format!("intent `{intent}`, example {text:?} marks a value for `{}`, which no slot of flows.ron takes", span.slot);
                    problems.push(self.problem(
                        Severity::Error,
                        &self.nlu_path,
                        &format!("]({})", span.slot),
                        message,
                        did_you_mean(&span.slot, flows.slots.keys()),
                    ));
                }
            }
        }
    }

    fn responses(&self, problems: &mut Vec<Problem>) {
        for response in self.flows.response_names().iter().filter(|r| !self.templates.contains(r)) {
            let message = format!("no template for response `{response}`");
            let hint = format!("add `\"{response}\": [(text: \"…\")],` to a file in {}", self.templates_path.display());
            problems.push(self.problem(Severity::Error, &self.flows_path, &format!("\"{response}\""), message, hint));
        }
        let missing: Vec<&str> = ENGINE_RESPONSES.iter().copied().filter(|r| !self.templates.contains(r)).collect();
        if !missing.is_empty() {
            let message =
                format!("the engine's replies {} have no template", missing.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", "));
            let hint = "every domain defines them (`deskbot new DIR` writes a set to start from; docs/domain.md says what each is for)".to_string();
            problems.push(Problem { severity: Severity::Error, path: self.templates_path.clone(), line: 0, column: 0, message, hint });
        }
    }

    fn placeholders(&self, problems: &mut Vec<Problem>) {
        let known: BTreeSet<&str> = self.flows.slots.keys().map(String::as_str).chain(ENGINE_PLACEHOLDERS).collect();
        for (name, (response, path)) in self.templates.slot_references() {
            if known.contains(name.as_str()) {
                continue;
            }
            // A name far from every slot is an action's result ({reference}, {eta}); a near
            // miss is a typo that would make the reply fail every time.
            let hint = did_you_mean(&name, known.iter().copied());
            if !hint.is_empty() {
                let message = format!("response `{response}` uses {{{name}}}, which is no slot");
                problems.push(self.problem(Severity::Error, &path, &format!("{{{name}"), message, hint));
            }
        }
    }

    fn actions(&self, problems: &mut Vec<Problem>) {
        for action in self.flows.action_names().iter().filter(|a| !BuiltinActions::HANDLED.contains(&a.as_str())) {
            let message = format!("action `{action}` has no handler here: the flow would fail at it");
            let hint =
                format!("serve it with `deskbot serve --action-endpoint URL`, or stub it while writing: `deskbot chat --action {action}='{{}}'`");
            problems.push(self.problem(Severity::Warning, &self.flows_path, &format!("Action(\"{action}\")"), message, hint));
        }
    }

    fn shared_examples(&self, problems: &mut Vec<Problem>) {
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for (intent, def) in &self.nlu.intents {
            for text in def.plain_examples() {
                let key = text.trim().to_lowercase();
                match seen.get(&key) {
                    Some(other) if other != intent => {
                        let message = format!("example {text:?} is in intents `{other}` and `{intent}`");
                        problems.push(self.problem(Severity::Warning, &self.nlu_path, &format!("\"{text}\""), message, "keep it in one".into()));
                    }
                    _ => {
                        seen.insert(key, intent);
                    }
                }
            }
        }
    }
}

/// "did you mean `x`?" for the nearest name within two edits, or "".
fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a (impl AsRef<str> + 'a + ?Sized)>) -> String {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(name, c.as_ref()), c.as_ref()))
        .filter(|(d, c)| *d <= 2 && *c != name && name.chars().count() > 3)
        .min()
        .map_or(String::new(), |(_, c)| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_near_misses() {
        assert_eq!(ronfile::locate("a\nbc \"x\"", "\"x\""), Some((2, 4)));
        assert_eq!(ronfile::locate("abc", "z"), None);
        assert_eq!(did_you_mean("aprover", ["approver", "amount"]), "did you mean `approver`?");
        assert_eq!(did_you_mean("reference", ["approver", "amount"]), "");
    }
}
