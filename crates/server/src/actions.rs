//! Flow actions as HTTP webhooks. Each call is a `POST` with an `Idempotency-Key` header
//! (conversation, turn and action: the same on every retry), a timeout, and retries with
//! exponential back-off on network errors, 429 and 5xx. In deskbot's protocol the body is
//! `{"action", "conversation_id", "flow", "turn", "slots"}` and a JSON object in the answer
//! becomes slots the reply templates can use; in Rasa's, see [`crate::rasa_actions`]. Actions
//! without a webhook run the built-in handlers.

use std::collections::BTreeMap;
use std::time::Duration;

use deskbot::BuiltinActions;
use dst::{ActionAnswer, ActionRunner};
use serde_json::{Value, json};

use crate::rasa_actions;

/// How many `followup` actions one Rasa action may chain (a loop is an error past it).
const MAX_FOLLOWUPS: usize = 10;

/// The body and answer shape of action calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ActionProtocol {
    /// deskbot's own: the flow's slots in, fields out.
    #[default]
    Deskbot,
    /// Rasa's action server protocol (rasa-sdk): a tracker in, events and responses out.
    Rasa,
}

/// Where each action goes.
#[derive(Debug, Clone)]
pub struct ActionWebhooks {
    /// Per action name.
    pub routes: BTreeMap<String, String>,
    /// Every other action, when set (the built-in handlers then run none).
    pub endpoint: Option<String>,
    pub timeout: Duration,
    /// Extra attempts after the first.
    pub retries: u32,
    /// The first back-off; it doubles each retry.
    pub backoff: Duration,
    pub protocol: ActionProtocol,
    agent: ureq::Agent,
}

impl ActionWebhooks {
    pub fn new(routes: BTreeMap<String, String>, endpoint: Option<String>, timeout: Duration, retries: u32) -> Self {
        let agent = ureq::Agent::config_builder().timeout_global(Some(timeout)).http_status_as_error(false).build().into();
        Self { routes, endpoint, timeout, retries, backoff: Duration::from_millis(100), protocol: ActionProtocol::Deskbot, agent }
    }

    /// Whether any action goes to a webhook.
    pub fn any(&self) -> bool {
        !self.routes.is_empty() || self.endpoint.is_some()
    }

    fn url(&self, action: &str) -> Option<&str> {
        self.routes.get(action).or(self.endpoint.as_ref()).map(String::as_str)
    }

    /// The same webhooks, called in `protocol`.
    pub fn with_protocol(self, protocol: ActionProtocol) -> Self {
        Self { protocol, ..self }
    }

    /// The runner for one turn (`message`, the user's text) of one conversation.
    pub fn runner<'a>(&'a self, builtin: BuiltinActions, conversation: &'a str, turn: usize, message: &'a str) -> TurnActions<'a> {
        TurnActions { webhooks: self, builtin, conversation, turn, message }
    }

    /// The JSON answer of a call (`null` for an empty body).
    fn call(&self, url: &str, key: &str, body: &Value) -> Result<Value, String> {
        let mut pause = self.backoff;
        let mut attempt = 0;
        loop {
            let outcome = self.agent.post(url).header("Idempotency-Key", key).send_json(body);
            let retry = match outcome {
                Ok(mut response) => {
                    let status = response.status();
                    if status.is_success() {
                        let text = response.body_mut().read_to_string().map_err(|e| format!("{url} answered {status}, unreadable: {e}"))?;
                        if text.trim().is_empty() {
                            return Ok(Value::Null);
                        }
                        return serde_json::from_str(&text).map_err(|e| format!("{url} answered {status} with a body that is not JSON: {e}"));
                    }
                    // An action server says why (rasa-sdk: `{"error": …}`); keep its first words.
                    let said = response.body_mut().read_to_string().unwrap_or_default();
                    let said: String = said.trim().chars().take(300).collect();
                    let message = if said.is_empty() { format!("{url} answered {status}") } else { format!("{url} answered {status}: {said}") };
                    if status.as_u16() == 429 || status.is_server_error() { message } else { return Err(message) }
                }
                Err(error) => format!("{url}: {error}"),
            };
            if attempt >= self.retries {
                return Err(format!("{retry} (after {} attempts)", attempt + 1));
            }
            attempt += 1;
            std::thread::sleep(pause);
            pause *= 2;
        }
    }
}

/// Actions of one turn: webhooks where configured, the built-in handlers elsewhere.
pub struct TurnActions<'a> {
    webhooks: &'a ActionWebhooks,
    builtin: BuiltinActions,
    conversation: &'a str,
    turn: usize,
    message: &'a str,
}

impl TurnActions<'_> {
    fn deskbot(&self, url: &str, action: &str, flow: &str, slots: &BTreeMap<String, Value>) -> Result<ActionAnswer, String> {
        let key = format!("{}:{}:{action}", self.conversation, self.turn);
        let body = json!({ "action": action, "conversation_id": self.conversation, "flow": flow, "turn": self.turn, "slots": slots });
        match self.webhooks.call(url, &key, &body)? {
            Value::Object(fields) => Ok(fields.into_iter().collect::<BTreeMap<_, _>>().into()),
            Value::Null => Ok(ActionAnswer::default()),
            other => Err(format!("{url} answered with JSON that is not an object: {other}")),
        }
    }

    /// `action` and the `followup`s it names, each called with the slots as the last left them.
    fn rasa(&self, action: &str, flow: &str, slots: &BTreeMap<String, Value>) -> Result<ActionAnswer, String> {
        let mut answer = ActionAnswer::default();
        let mut slots = slots.clone();
        let mut next = Some(action.to_string());
        for _ in 0..=MAX_FOLLOWUPS {
            let Some(action) = next.take() else { return Ok(answer) };
            if action.starts_with("utter_") {
                answer.said.push(dst::Output::Say { response: action, slots: slots.clone() });
                continue;
            }
            let Some(url) = self.webhooks.url(&action) else {
                return Err(format!("the action server asked for a followup `{action}`, which has no webhook"));
            };
            let key = format!("{}:{}:{action}", self.conversation, self.turn);
            let body = rasa_actions::request(&action, flow, self.conversation, self.message, &slots);
            let applied = rasa_actions::apply(&action, &slots, self.webhooks.call(url, &key, &body)?)?;
            for (name, value) in &applied.answer.fields {
                match value {
                    Value::Null => slots.remove(name),
                    value => slots.insert(name.clone(), value.clone()),
                };
            }
            answer.fields.extend(applied.answer.fields);
            answer.said.extend(applied.answer.said);
            next = applied.followup.filter(|name| name != "action_listen");
        }
        Err(format!("{action}: more than {MAX_FOLLOWUPS} followup actions in a row"))
    }
}

impl ActionRunner for TurnActions<'_> {
    fn run(&mut self, action: &str, flow: &str, slots: &BTreeMap<String, Value>) -> Result<ActionAnswer, String> {
        let Some(url) = self.webhooks.url(action) else {
            return self.builtin.run(action, flow, slots);
        };
        match self.webhooks.protocol {
            ActionProtocol::Deskbot => self.deskbot(url, action, flow, slots),
            ActionProtocol::Rasa => self.rasa(action, flow, slots),
        }
    }

    fn check(&mut self, rule: &str, slot: &str, value: &Value) -> Result<(), String> {
        self.builtin.check(rule, slot, value)
    }
}
