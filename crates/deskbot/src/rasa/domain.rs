//! The parts of a Rasa `domain.yml` the import reads (Rasa 3.x; 2.x forms' slot maps too).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Domain {
    #[serde(default)]
    pub intents: Vec<Named>,
    #[serde(default)]
    pub slots: BTreeMap<String, Slot>,
    #[serde(default)]
    pub responses: BTreeMap<String, Vec<Response>>,
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub forms: BTreeMap<String, Form>,
}

impl Domain {
    /// Slot names deskbot cannot write (`amount-of-money`) become `amount_of_money`, in the
    /// slots, the forms and the responses' `{…}`; the renamed pairs are returned.
    pub fn rename_slots(&mut self) -> Vec<(String, String)> {
        let renamed: Vec<(String, String)> = self
            .slots
            .keys()
            .filter(|name| !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .map(|name| (name.clone(), name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()))
            .collect();
        for (old, new) in &renamed {
            if let Some(slot) = self.slots.remove(old) {
                self.slots.insert(new.clone(), slot);
            }
            for form in self.forms.values_mut() {
                if let RequiredSlots::List(names) = &mut form.required_slots {
                    names.iter_mut().filter(|n| *n == old).for_each(|n| *n = new.clone());
                }
            }
            for variation in self.responses.values_mut().flatten() {
                if let Some(text) = &mut variation.text {
                    *text = text.replace(&format!("{{{old}}}"), &format!("{{{new}}}"));
                }
                variation.condition.iter_mut().filter(|c| c.name == *old).for_each(|c| c.name = new.clone());
            }
        }
        renamed
    }
}

/// `- greet` or `- greet: {use_entities: []}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Named {
    Name(String),
    Configured(BTreeMap<String, serde_yaml_ng::Value>),
}

impl Named {
    pub fn name(&self) -> Option<&str> {
        match self {
            Named::Name(name) => Some(name),
            Named::Configured(map) => map.keys().next().map(String::as_str),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Slot {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub values: Vec<Value>,
    #[serde(default)]
    pub mappings: Vec<Mapping>,
    #[serde(default)]
    pub min_value: Option<f64>,
    #[serde(default)]
    pub max_value: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Mapping {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub entity: Option<String>,
    #[serde(default)]
    pub intent: OneOrMany,
    #[serde(default)]
    pub not_intent: OneOrMany,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub conditions: Vec<MappingCondition>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MappingCondition {
    #[serde(default)]
    pub requested_slot: Option<String>,
}

/// `intent: affirm` or `intent: [inform, request_restaurant]`.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn names(&self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(name) => vec![name.clone()],
            OneOrMany::Many(names) => names.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Response {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub buttons: Vec<Button>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub condition: Vec<ResponseCondition>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub custom: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    pub attachment: Option<serde_yaml_ng::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Button {
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ResponseCondition {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub name: String,
    #[serde(default)]
    pub value: Value,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Form {
    #[serde(default)]
    pub required_slots: RequiredSlots,
}

/// Rasa 3 lists the slots; Rasa 2 maps each slot to its mappings (kept only as names here).
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
pub(crate) enum RequiredSlots {
    #[default]
    None,
    List(Vec<String>),
    Map(BTreeMap<String, serde_yaml_ng::Value>),
}

impl RequiredSlots {
    pub fn names(&self) -> Vec<String> {
        match self {
            RequiredSlots::None => Vec::new(),
            RequiredSlots::List(names) => names.clone(),
            RequiredSlots::Map(map) => map.keys().cloned().collect(),
        }
    }
}
