//! Rasa's action server protocol (`--action-protocol rasa`), so a team keeps its rasa-sdk
//! action server: the request is Rasa's `{"next_action", "sender_id", "tracker", "domain",
//! "version"}` and the answer's `events` and `responses` are applied as Rasa applies them.
//!
//! What deskbot sends: the tracker's `slots` are the flow's filled slots, `latest_message` has
//! the user's text, `active_loop` names the flow, `events` is empty (deskbot keeps no Rasa event
//! log), and `domain` lists the slots and the action. What it applies: `slot` events become
//! slots (`null` clears one), `bot` events and `responses` are said (a `response` /
//! `template` name through the bot's templates, with the message's extra keys as values; a
//! text as it is, its buttons as options under it), and `followup` runs the named action (or
//! says the named `utter_` response) next. Other events are logged and skipped.

use std::collections::BTreeMap;
use std::fmt::Write;

use dst::{ActionAnswer, Output};
use serde_json::{Value, json};

/// The Rasa protocol version sent; rasa-sdk only warns when its own minor version differs.
const RASA_VERSION: &str = "3.0.0";

/// Keys of a Rasa message that are not values for its template.
const MESSAGE_KEYS: [&str; 9] = ["text", "buttons", "elements", "custom", "template", "response", "image", "attachment", "recipient_id"];

/// The request for `action` of `flow` in conversation `sender`, whose latest message is `text`.
pub(crate) fn request(action: &str, flow: &str, sender: &str, text: &str, slots: &BTreeMap<String, Value>) -> Value {
    let declared: serde_json::Map<String, Value> = slots.keys().map(|name| (name.clone(), json!({ "type": "any", "mappings": [] }))).collect();
    json!({
        "next_action": action,
        "sender_id": sender,
        "version": RASA_VERSION,
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": { "text": text, "intent": {}, "entities": [] },
            "latest_event_time": null,
            "followup_action": null,
            "paused": false,
            "events": [],
            "latest_input_channel": "rest",
            "active_loop": { "name": flow },
            "latest_action_name": "action_listen",
        },
        "domain": { "version": "3.1", "intents": [], "entities": [], "slots": declared, "responses": {}, "actions": [action], "forms": {} },
    })
}

/// What one answer did: the answer itself and the `followup` it names, if any.
#[derive(Debug)]
pub(crate) struct Applied {
    pub answer: ActionAnswer,
    pub followup: Option<String>,
}

/// Applies the answer to `action`, called with `slots`.
pub(crate) fn apply(action: &str, slots: &BTreeMap<String, Value>, answer: Value) -> Result<Applied, String> {
    let mut applied = Applied { answer: ActionAnswer::default(), followup: None };
    let Value::Object(mut body) = answer else {
        return match answer {
            Value::Null => Ok(applied),
            other => Err(format!("the action server answered {action} with JSON that is not an object: {other}")),
        };
    };
    for message in array(body.remove("responses"), "responses", action)? {
        if let Some(said) = said(action, slots, &message) {
            applied.answer.said.push(said);
        }
    }
    for event in array(body.remove("events"), "events", action)? {
        let kind = event.get("event").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "slot" => {
                let Some(name) = event.get("name").and_then(Value::as_str) else {
                    return Err(format!("the action server's slot event for {action} has no name: {event}"));
                };
                applied.answer.fields.insert(name.to_string(), event.get("value").cloned().unwrap_or(Value::Null));
            }
            "bot" => applied.answer.said.extend(said(action, slots, &event)),
            "followup" => applied.followup = event.get("name").and_then(Value::as_str).map(str::to_string),
            _ => tracing::warn!("action {action}: the action server's `{kind}` event is not applied by deskbot (skipped): {event}"),
        }
    }
    Ok(applied)
}

fn array(value: Option<Value>, key: &str, action: &str) -> Result<Vec<Value>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!("the action server's `{key}` for {action} is not a list: {other}")),
    }
}

/// What a Rasa message says: its response by name, or its text with buttons as options.
fn said(action: &str, slots: &BTreeMap<String, Value>, message: &Value) -> Option<Output> {
    let field = |key: &str| message.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    if let Some(name) = field("response").or(field("template")) {
        let mut values = slots.clone();
        if let Some(extra) = message.as_object() {
            values.extend(extra.iter().filter(|(k, v)| !MESSAGE_KEYS.contains(&k.as_str()) && !v.is_null()).map(|(k, v)| (k.clone(), v.clone())));
        }
        return Some(Output::Say { response: name.to_string(), slots: values });
    }
    let Some(text) = field("text") else {
        if ["image", "attachment", "custom", "elements"]
            .iter()
            .any(|k| message.get(*k).is_some_and(|v| !v.is_null() && v != &json!({}) && v != &json!([])))
        {
            tracing::warn!("action {action}: a message with no text (an image, attachment or custom payload) is not shown: {message}");
        }
        return None;
    };
    let mut text = text.to_string();
    for button in message.get("buttons").and_then(Value::as_array).into_iter().flatten() {
        if let Some(title) = button.get("title").and_then(Value::as_str) {
            let _ = write!(text, "\n- {title}");
        }
    }
    Some(Output::Text { text, from: action.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots() -> BTreeMap<String, Value> {
        [("cuisine".to_string(), json!("thai"))].into()
    }

    #[test]
    fn the_request_carries_slots_text_and_flow() {
        let body = request("action_book", "restaurant_form", "c1", "book it", &slots());
        assert_eq!(body["next_action"], "action_book");
        assert_eq!(body["tracker"]["slots"]["cuisine"], "thai");
        assert_eq!(body["tracker"]["latest_message"]["text"], "book it");
        assert_eq!(body["tracker"]["active_loop"]["name"], "restaurant_form");
        assert!(body["domain"]["slots"]["cuisine"].is_object());
    }

    #[test]
    fn events_and_responses_become_slots_and_replies() {
        let answer = json!({
            "events": [
                {"event": "slot", "name": "table", "value": 12, "timestamp": null},
                {"event": "slot", "name": "cuisine", "value": null},
                {"event": "followup", "name": "action_next"},
                {"event": "restart"},
            ],
            "responses": [
                {"text": "Booked!", "buttons": [{"title": "Thanks", "payload": "/thanks"}], "response": null},
                {"text": null, "response": "utter_booked", "guests": 4},
                {"text": null, "image": "http://x/y.png"},
            ],
        });
        let applied = apply("action_book", &slots(), answer).unwrap();
        assert_eq!(applied.answer.fields, [("table".to_string(), json!(12)), ("cuisine".to_string(), Value::Null)].into());
        assert_eq!(applied.followup.as_deref(), Some("action_next"));
        let mut values = slots();
        values.insert("guests".into(), json!(4));
        assert_eq!(
            applied.answer.said,
            vec![
                Output::Text { text: "Booked!\n- Thanks".into(), from: "action_book".into() },
                Output::Say { response: "utter_booked".into(), slots: values },
            ]
        );
    }

    #[test]
    fn a_malformed_answer_is_an_error_that_names_the_action() {
        assert!(apply("a", &slots(), json!([1])).unwrap_err().contains("not an object"));
        assert!(apply("a", &slots(), json!({"events": {"x": 1}})).unwrap_err().contains("`events` for a is not a list"));
        assert!(apply("a", &slots(), json!({"events": [{"event": "slot", "value": 1}]})).unwrap_err().contains("no name"));
        assert_eq!(apply("a", &slots(), Value::Null).unwrap().answer, ActionAnswer::default());
    }
}
