//! Rasa responses as deskbot templates: variations, `{slot}` references, per-channel text and
//! slot conditions carry over; buttons become text options under the text; images and custom
//! payloads are reported. `utter_default` (Rasa's fallback) is also the engine's `out_of_scope`.

use std::collections::BTreeSet;
use std::fmt::Write;

use regex::Regex;

use super::domain::{Domain, Response};
use super::flows::{Settings, ask_response};
use super::{Notes, RasaError, q};

/// Placeholders the engine fills itself, which a response may use besides the slots.
const ENGINE_PLACEHOLDERS: [&str; 2] = ["bot_name", "flow"];

/// `templates/replies.ron`; a `{name}` that is no slot is an error at its file:line.
/// `said` are the responses the flows say (with the slots' questions): only their values must
/// be slots; another response may get its values from the custom action that sends it.
pub(crate) fn write(
    domain: &Domain,
    settings: &Settings,
    said: &BTreeSet<String>,
    extra_slots: &[String],
    notes: &mut Notes,
    at: &dyn Fn(&str) -> String,
) -> Result<String, RasaError> {
    let placeholder = Regex::new(r"\{([A-Za-z_][A-Za-z0-9_]*)\}").expect("a valid pattern");
    let mut out = String::from("// Imported from Rasa by `deskbot import rasa`: the bot's responses.\nTemplates(responses: {\n");
    for (name, variations) in &domain.responses {
        let mut written = Vec::new();
        for variation in variations {
            let Some(text) = text_of(variation, name, notes, &at(name)) else { continue };
            for caps in placeholder.captures_iter(&text) {
                let slot = &caps[1];
                if domain.slots.contains_key(slot) || ENGINE_PLACEHOLDERS.contains(&slot) || extra_slots.iter().any(|s| s == slot) {
                    continue;
                }
                let problem = format!("response `{name}` uses {{{slot}}}, which is no slot of the domain");
                if said.contains(name) || domain.slots.keys().any(|s| ask_response(domain, s).as_ref() == Some(name)) {
                    return Err(RasaError::Invalid { at: at(name), message: problem });
                }
                notes.add(
                    &at(name),
                    &problem,
                    "only a custom action sends it, with that value (deskbot renders it for the action server's `responses`)",
                );
            }
            written.push(variation_text(&text, variation));
        }
        if !written.is_empty() {
            let _ = writeln!(out, "    {}: [{}],", q(name), written.join(", "));
        }
    }
    // A slot Rasa asks for with a custom action (or never) still needs a question here.
    for slot in domain.slots.keys().filter(|s| ask_response(domain, s).is_none()) {
        let _ = writeln!(out, "    {}: [(text: {})],", q(&format!("ask_{slot}")), q(&format!("What is the {}?", slot.replace('_', " "))));
    }
    let fallback = domain.responses.get("utter_default").and_then(|v| v.first()).and_then(|v| v.text.clone());
    let fallback = fallback.unwrap_or_else(|| "Sorry, I didn't understand that.".into());
    let _ = writeln!(out, "    \"out_of_scope\": [(text: {})],", q(&fallback));
    let _ = writeln!(out, "    \"capabilities\": [(text: {})],", q(&capabilities(domain, settings)));
    out.push_str("})\n");
    Ok(out)
}

/// The text a variation says, its buttons as options under it; `None` (noted) for one with
/// no text.
fn text_of(variation: &Response, name: &str, notes: &mut Notes, at: &str) -> Option<String> {
    if variation.image.is_some() || variation.custom.is_some() || variation.attachment.is_some() {
        notes.add(at, &format!("image / custom / attachment in `{name}`"), "deskbot replies are text: only the text is kept");
    }
    let mut text = variation.text.clone()?;
    for button in &variation.buttons {
        let _ = write!(text, "\n- {}", button.title);
    }
    Some(text)
}

fn variation_text(text: &str, variation: &Response) -> String {
    let mut fields = vec![format!("text: {}", q(text))];
    if let Some(channel) = &variation.channel {
        fields.push(format!("channel: Some({})", q(channel)));
    }
    let conditions: Vec<String> = variation
        .condition
        .iter()
        .filter(|c| c.kind.as_deref().is_none_or(|k| k == "slot"))
        .map(|c| match &c.value {
            serde_json::Value::Null => format!("Missing({})", q(&c.name)),
            value => format!(
                "Equals({}, {})",
                q(&c.name),
                match value {
                    serde_json::Value::String(s) => q(s),
                    other => other.to_string(),
                }
            ),
        })
        .collect();
    if !conditions.is_empty() {
        fields.push(format!("when: [{}]", conditions.join(", ")));
    }
    format!("({})", fields.join(", "))
}

/// "I can help with: request restaurant, …" from the intents that start something.
fn capabilities(domain: &Domain, settings: &Settings) -> String {
    let special = [&settings.yes, &settings.no, &settings.cancel, &settings.handoff, &settings.dont_know];
    let names: Vec<String> =
        domain.intents.iter().filter_map(|i| i.name()).filter(|n| !special.iter().any(|s| s == n)).map(|n| n.replace('_', " ")).collect();
    format!("I can help with: {}.", names.join(", "))
}
