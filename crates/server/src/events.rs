//! What is recorded about a conversation, one event at a time (the tracker's `events`).

use deskbot::TurnResult;
use dst::HandoffSummary;
use serde::Serialize;
use serde_json::Value;

/// One thing that happened, with when (Unix seconds).
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub timestamp: f64,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// What the user wrote, exactly, and what the NLU made of it.
    User {
        text: String,
        intent: String,
        confidence: f32,
        entities: Vec<Value>,
        metadata: Option<Value>,
    },
    Slot {
        name: String,
        value: String,
        entity: String,
    },
    /// A policy rule that shaped the turn (a correction applied, a carried-over value
    /// offered, a switch, yes/no out of place, …): `{"event": "policy", "rule": "…", …}`.
    Policy {
        #[serde(flatten)]
        rule: dst::Rule,
    },
    Action {
        name: String,
    },
    ActionFailed {
        name: String,
        error: String,
    },
    /// A reply; `rephrased` (only written when true) says the model reworded the template's text.
    Bot {
        text: String,
        response: String,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        rephrased: bool,
    },
    /// A human agent takes over; the summary is for them.
    Handoff {
        summary: HandoffSummary,
    },
    /// The bot answers again.
    Resumed,
    /// The conversation was stored under another domain (flows, replies or intents changed
    /// since, or a state from before domains were recorded: `from` null); this turn brought
    /// it in line (see the `policy` events that follow for what changed).
    DomainChanged {
        from: Option<String>,
        to: String,
    },
}

/// An event a desk appends to a conversation (`POST /conversations/{id}/tracker/events`, with
/// Rasa's names and fields; others, such as a `timestamp`, are ignored).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Appended {
    /// Sets a slot (`null` clears it); checked as the user's value would be.
    Slot { name: String, value: Value },
    /// The bot stops answering: a human has the conversation.
    Pause {},
    /// The bot answers again.
    Resume {},
}

impl Event {
    pub fn now(kind: EventKind) -> Self {
        let timestamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        Self { timestamp, kind }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("events serialize")
    }
}

/// The events of one user turn, in the order they happened.
pub fn turn_events(text: &str, metadata: Option<Value>, turn: &TurnResult) -> Vec<Event> {
    let parse = &turn.parse;
    let mut events = vec![Event::now(EventKind::User {
        text: text.to_string(),
        intent: parse.intent.name.clone(),
        confidence: parse.intent.confidence,
        entities: parse.entities.iter().map(|e| serde_json::to_value(e).expect("entities serialize")).collect(),
        metadata,
    })];
    for (name, (value, entity)) in &turn.outcome.filled {
        events.push(Event::now(EventKind::Slot { name: name.clone(), value: value.clone(), entity: entity.clone() }));
    }
    for rule in &turn.outcome.rules {
        events.push(Event::now(EventKind::Policy { rule: rule.clone() }));
    }
    for name in &turn.outcome.actions {
        events.push(Event::now(EventKind::Action { name: name.clone() }));
    }
    for (name, error) in &turn.outcome.failed_actions {
        events.push(Event::now(EventKind::ActionFailed { name: name.clone(), error: error.clone() }));
    }
    for reply in &turn.replies {
        events.push(Event::now(EventKind::Bot { text: reply.text.clone(), response: reply.response.clone(), rephrased: reply.rephrased }));
    }
    if let Some(summary) = &turn.handoff {
        events.push(Event::now(EventKind::Handoff { summary: summary.clone() }));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reworded_reply_is_marked_in_the_tracker_and_a_template_reply_is_written_as_before() {
        let bot = deskbot::Bot::new(deskbot::Domain::bundled().unwrap()).unwrap();
        let mut turn = bot.respond(&mut deskbot::Conversation::new("t"), "hi");
        let bot_event = |turn: &TurnResult| {
            let events = turn_events("hi", None, turn);
            serde_json::from_str::<Value>(&events.last().unwrap().to_json()).unwrap()
        };
        let written = bot_event(&turn);
        assert_eq!((written["event"].as_str(), written.get("rephrased")), (Some("bot"), None), "{written}");
        turn.replies[0].rephrased = true;
        assert_eq!(bot_event(&turn)["rephrased"], true);
    }
}
