//! Flow actions as HTTP webhooks. Each call is a `POST` of
//! `{"action", "conversation_id", "flow", "turn", "slots"}` with an `Idempotency-Key` header
//! (conversation, turn and action: the same on every retry), a timeout, and retries with
//! exponential back-off on network errors, 429 and 5xx. A JSON object in the answer becomes
//! slots the reply templates can use. Actions without a webhook run the built-in handlers.

use std::collections::BTreeMap;
use std::time::Duration;

use deskbot::BuiltinActions;
use dst::ActionRunner;
use serde_json::{Value, json};

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
    agent: ureq::Agent,
}

impl ActionWebhooks {
    pub fn new(routes: BTreeMap<String, String>, endpoint: Option<String>, timeout: Duration, retries: u32) -> Self {
        let agent = ureq::Agent::config_builder().timeout_global(Some(timeout)).http_status_as_error(false).build().into();
        Self { routes, endpoint, timeout, retries, backoff: Duration::from_millis(100), agent }
    }

    /// Whether any action goes to a webhook.
    pub fn any(&self) -> bool {
        !self.routes.is_empty() || self.endpoint.is_some()
    }

    fn url(&self, action: &str) -> Option<&str> {
        self.routes.get(action).or(self.endpoint.as_ref()).map(String::as_str)
    }

    /// The runner for one turn of one conversation.
    pub fn runner<'a>(&'a self, builtin: BuiltinActions, conversation: &'a str, turn: usize) -> TurnActions<'a> {
        TurnActions { webhooks: self, builtin, conversation, turn }
    }

    fn call(&self, url: &str, key: &str, body: &Value) -> Result<BTreeMap<String, Value>, String> {
        let mut pause = self.backoff;
        let mut attempt = 0;
        loop {
            let outcome = self.agent.post(url).header("Idempotency-Key", key).send_json(body);
            let retry = match outcome {
                Ok(mut response) => {
                    let status = response.status();
                    if status.is_success() {
                        let answer: Value =
                            response.body_mut().read_json().map_err(|e| format!("{url} answered {status} with a body that is not JSON: {e}"))?;
                        return match answer {
                            Value::Object(fields) => Ok(fields.into_iter().collect()),
                            Value::Null => Ok(BTreeMap::new()),
                            other => Err(format!("{url} answered with JSON that is not an object: {other}")),
                        };
                    }
                    let message = format!("{url} answered {status}");
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
}

impl ActionRunner for TurnActions<'_> {
    fn run(&mut self, action: &str, flow: &str, slots: &BTreeMap<String, Value>) -> Result<BTreeMap<String, Value>, String> {
        let Some(url) = self.webhooks.url(action) else {
            return self.builtin.run(action, flow, slots);
        };
        let key = format!("{}:{}:{action}", self.conversation, self.turn);
        let body = json!({ "action": action, "conversation_id": self.conversation, "flow": flow, "turn": self.turn, "slots": slots });
        self.webhooks.call(url, &key, &body)
    }

    fn check(&mut self, rule: &str, slot: &str, value: &Value) -> Result<(), String> {
        self.builtin.check(rule, slot, value)
    }
}
