//! The deskbot `flows.ron` of a Rasa bot: its slots (types, the entities that fill them, the
//! intents that give them a value while asked, their questions) and a flow per form and per
//! answered intent.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use super::behaviour::{Act, Behaviour, Branch, Special};
use super::domain::{Domain, OneOrMany, Slot};
use super::{Notes, q};

pub(crate) fn write(
    domain: &Domain,
    nlu: &nlu::NluDomain,
    behaviour: &Behaviour,
    special: &Settings,
    notes: &mut Notes,
    at: &dyn Fn(&str) -> String,
) -> String {
    let mut slots: BTreeMap<String, String> = BTreeMap::new();
    for (name, slot) in &domain.slots {
        slots.insert(name.clone(), slot_line(domain, nlu, name, slot, notes, &at(name)));
    }
    let mut flows = String::new();
    let unknown = |intent: &str, notes: &mut Notes| {
        let known = nlu.intents.contains_key(intent);
        if !known {
            notes.add(&at(intent), &format!("intent `{intent}`"), "no NLU examples, so nothing can start its flow");
        }
        !known
    };
    for (form, used) in &behaviour.forms {
        let Some(intent) = &used.intent else {
            notes.add(&at(form), &format!("form `{form}`"), "no rule or story starts it");
            continue;
        };
        if unknown(intent, notes) {
            continue;
        }
        let mut steps: Vec<String> = used.before.iter().map(step).collect();
        for slot in domain.forms[form].required_slots.names() {
            if !domain.slots.contains_key(&slot) {
                notes.add(&at(form), &format!("slot `{slot}` of form `{form}`"), "not declared under `slots:`");
                continue;
            }
            steps.push(format!("Collect({})", q(&slot)));
        }
        steps.extend(used.after.iter().map(step));
        let description = form.replace('_', " ");
        let _ =
            writeln!(flows, "        {}: (intent: {}, description: Some({}), steps: [{}]),", q(form), q(intent), q(&description), steps.join(", "));
    }
    for (intent, (acts, branch)) in &behaviour.replies {
        if !nlu.intents.contains_key(intent) {
            let retrieval = retrieval_flows(domain, nlu, intent, acts);
            if retrieval.is_empty() {
                unknown(intent, notes);
            }
            flows.push_str(&retrieval);
            continue;
        }
        let steps = match branch {
            Some(branch) if !branch.yes.is_empty() || !branch.no.is_empty() => {
                let slot = branch.slot();
                slots.entry(slot.clone()).or_insert_with(|| yes_no_slot(&branch.question, special));
                branch_steps(acts, &slot, branch)
            }
            _ => acts.iter().map(step).collect::<Vec<_>>().join(", "),
        };
        let _ = writeln!(flows, "        {}: (intent: {}, steps: [{steps}]),", q(intent), q(intent));
    }
    let mut out = String::from("// Imported from Rasa by `deskbot import rasa`: slots, forms and rules as flows.\nFlows(\n");
    let _ = writeln!(
        out,
        "    settings: (affirm: {}, deny: {}, cancel: {}, handoff: {}, dont_know: {}),",
        q(&special.yes),
        q(&special.no),
        q(&special.cancel),
        q(&special.handoff),
        q(&special.dont_know)
    );
    out.push_str("    slots: {\n");
    for (name, slot) in &slots {
        let _ = writeln!(out, "        {}: {slot},", q(name));
    }
    out.push_str("    },\n    flows: {\n");
    out.push_str(&flows);
    out.push_str("    },\n)\n");
    out
}

/// The intents the bot's settings name (those of the Rasa bot where it has them).
pub(crate) struct Settings {
    pub yes: String,
    pub no: String,
    pub cancel: String,
    pub handoff: String,
    pub dont_know: String,
}

impl Settings {
    pub fn of(domain: &Domain) -> Self {
        let intents: Vec<&str> = domain.intents.iter().filter_map(|i| i.name()).collect();
        let pick = |names: &[&str], default: &str| names.iter().find(|n| intents.contains(n)).unwrap_or(&default).to_string();
        Self {
            yes: pick(&["affirm", "yes"], "affirm"),
            no: pick(&["deny", "no"], "deny"),
            cancel: pick(&["cancel", "stop"], "cancel"),
            handoff: pick(&["human_handoff", "handoff", "human", "agent"], "human"),
            dont_know: pick(&["dont_know", "unknown"], "dont_know"),
        }
    }

    pub fn special(&self) -> Special<'_> {
        Special { yes: &self.yes, no: &self.no, others: vec![&self.cancel, &self.handoff, &self.dont_know] }
    }
}

/// A retrieval intent (`chitchat/ask_name` in the NLU data, `utter_chitchat/ask_name` among
/// the responses, a rule answering `chitchat` with `utter_chitchat`): a flow per sub-intent.
fn retrieval_flows(domain: &Domain, nlu: &nlu::NluDomain, intent: &str, acts: &[Act]) -> String {
    let base = format!("utter_{intent}");
    if !matches!(acts, [Act::Say(name) | Act::Action(name)] if *name == base) {
        return String::new();
    }
    let mut flows = String::new();
    for sub in nlu.intents.keys().filter(|name| name.strip_prefix(intent).is_some_and(|rest| rest.starts_with('/'))) {
        let response = format!("utter_{sub}");
        if domain.responses.contains_key(&response) {
            let _ = writeln!(flows, "        {}: (intent: {}, steps: [Say({})]),", q(sub), q(sub), q(&response));
        }
    }
    flows
}

fn step(act: &Act) -> String {
    match act {
        Act::Say(name) => format!("Say({})", q(name)),
        Act::Action(name) => format!("Action({})", q(name)),
    }
}

/// Rasa's slot as deskbot's, noting what does not carry over.
fn slot_line(domain: &Domain, nlu: &nlu::NluDomain, name: &str, slot: &Slot, notes: &mut Notes, at: &str) -> String {
    let mut fields = vec![format!("type: {}", slot_type(slot, notes, at))];
    let mut entities = Vec::new();
    let mut from_intent: BTreeMap<String, Value> = BTreeMap::new();
    for mapping in &slot.mappings {
        if mapping.conditions.iter().any(|c| c.requested_slot.as_deref().is_some_and(|r| r != name)) {
            notes.add(
                at,
                &format!("slot `{name}`: a mapping while another slot is asked"),
                "deskbot fills a slot from text or an intent only while it is asked",
            );
        }
        match mapping.kind.as_str() {
            "from_entity" => {
                // One the NLU data lacks is noted where the built-ins are added.
                entities.extend(mapping.entity.clone().filter(|e| nlu.entities.contains_key(e)));
                if !matches!(mapping.intent, OneOrMany::None) || !matches!(mapping.not_intent, OneOrMany::None) {
                    notes.add(
                        at,
                        &format!("slot `{name}`: intent / not_intent of its entity mapping"),
                        "the entity fills the slot whatever the intent",
                    );
                }
                if mapping.role.is_some() || mapping.group.is_some() {
                    notes.add(at, &format!("slot `{name}`: entity role/group"), "deskbot entities have no roles or groups; any such entity fills it");
                }
            }
            "from_text" => {}
            "from_intent" => {
                for intent in mapping.intent.names() {
                    from_intent.insert(intent, mapping.value.clone().unwrap_or(Value::Null));
                }
            }
            other => notes.add(at, &format!("slot `{name}`: `{other}` mapping"), "no deskbot equivalent (a custom action can set it)"),
        }
    }
    if !entities.is_empty() {
        fields.push(format!("entities: [{}]", entities.iter().map(|e| q(e)).collect::<Vec<_>>().join(", ")));
    }
    if let Some(ask) = ask_response(domain, name) {
        fields.push(format!("ask: Some({})", q(&ask)));
    }
    if let Some(min) = slot.min_value {
        fields.push(format!("min: Some({min:?})"));
    }
    if let Some(max) = slot.max_value {
        fields.push(format!("max: Some({max:?})"));
    }
    if !from_intent.is_empty() {
        let pairs: Vec<String> = from_intent.iter().map(|(k, v)| format!("{}: {}", q(k), ron_value(v))).collect();
        fields.push(format!("from_intent: {{{}}}", pairs.join(", ")));
    }
    format!("({})", fields.join(", "))
}

fn slot_type(slot: &Slot, notes: &mut Notes, at: &str) -> String {
    match slot.kind.as_str() {
        "float" => "Number".into(),
        "categorical" if !slot.values.is_empty() => {
            let values: Vec<String> = slot.values.iter().map(|v| q(&plain(v))).collect();
            format!("Enum([{}])", values.join(", "))
        }
        "text" | "bool" | "categorical" => "Text".into(),
        other => {
            notes.add(at, &format!("slot type `{other}`"), "kept as text");
            "Text".into()
        }
    }
}

/// The response asking for a slot: `utter_ask_<form>_<slot>` or `utter_ask_<slot>`.
pub(crate) fn ask_response(domain: &Domain, slot: &str) -> Option<String> {
    let form_specific = domain.forms.keys().map(|form| format!("utter_ask_{form}_{slot}"));
    form_specific.chain(std::iter::once(format!("utter_ask_{slot}"))).find(|name| domain.responses.contains_key(name))
}

fn yes_no_slot(question: &str, special: &Settings) -> String {
    format!("(type: Text, ask: Some({}), from_intent: {{{}: true, {}: false}})", q(question), q(&special.yes), q(&special.no))
}

/// The acts up to the question, the question as a slot, then the branch its answer takes.
fn branch_steps(acts: &[Act], slot: &str, branch: &Branch) -> String {
    let before: Vec<String> = acts[..acts.len().saturating_sub(1)].iter().map(step).collect();
    let list = |acts: &[Act]| acts.iter().map(step).collect::<Vec<_>>().join(", ");
    let mut steps = before;
    steps.push(format!("Collect({})", q(slot)));
    steps.push(format!("If(when: Equals({}, true), then: [{}], otherwise: [{}])", q(slot), list(&branch.yes), list(&branch.no)));
    steps.join(", ")
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn ron_value(value: &Value) -> String {
    match value {
        Value::String(s) => q(s),
        Value::Null => "()".into(),
        other => other.to_string(),
    }
}
