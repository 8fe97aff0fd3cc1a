//! The HTTP routes (Rasa's REST channel shape, so a desk that used Rasa points here unchanged).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::body;
use crate::conversations::Conversations;
use crate::events::Appended;

/// The longest conversation id (`sender`) accepted.
const MAX_ID_CHARS: usize = 256;

pub struct AppState {
    pub conversations: Conversations,
    /// Required as `Authorization: Bearer …` (or Rasa's `?token=…`) on every route but `/health`.
    pub token: Option<String>,
    pub max_body: usize,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/webhooks/rest/", get(rest_channel))
        .route("/webhooks/rest/webhook", post(webhook))
        .route("/model/parse", post(parse))
        .route("/conversations/{id}/tracker", get(tracker))
        .route("/conversations/{id}/tracker/events", post(append_events))
        .route("/conversations/{id}/handoff", post(handoff))
        .route("/conversations/{id}/resume", post(resume))
        .route("/", get(hello))
        .route("/status", get(status))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(middleware::from_fn_with_state(state.clone(), authorize))
        .layer(DefaultBodyLimit::max(state.max_body))
        .layer(middleware::from_fn(access_log))
        .with_state(state)
}

/// One line per request at info level: method, path, status, milliseconds. Never a body (the
/// message text stays out of the log).
async fn access_log(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!("{method} {path} {} {:.1} ms", response.status().as_u16(), started.elapsed().as_secs_f64() * 1000.0);
    response
}

async fn authorize(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let Some(expected) = state.token.as_deref() else { return next.run(request).await };
    if request.uri().path() == "/health" {
        return next.run(request).await;
    }
    let bearer = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let query = request.uri().query().unwrap_or_default();
    let in_query = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned());
    if bearer == Some(expected) || in_query.as_deref() == Some(expected) {
        return next.run(request).await;
    }
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, "missing or wrong token: send `Authorization: Bearer TOKEN` (or ?token=TOKEN)").into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Conversation ids become store keys: short, printable, not empty.
fn check_id(id: &str, field: &str) -> Result<(), ApiError> {
    if id.is_empty() {
        return Err(ApiError::bad_request(format!("`{field}` is empty; it names the conversation")));
    }
    if id.chars().count() > MAX_ID_CHARS {
        return Err(ApiError::bad_request(format!("`{field}` is longer than {MAX_ID_CHARS} characters")));
    }
    if id.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!("`{field}` contains control characters")));
    }
    Ok(())
}

/// Rasa's REST channel body; other fields (Rasa clients send `input_channel`) are ignored.
#[derive(Deserialize)]
struct Message {
    /// Rasa's clients send numeric senders too (`"sender": 42`): taken as the string "42".
    #[serde(deserialize_with = "string_or_number")]
    sender: String,
    message: String,
    #[serde(default)]
    metadata: Option<Value>,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(text) => Ok(text),
        Value::Number(number) => Ok(number.to_string()),
        other => Err(serde::de::Error::custom(format!("expected a string (or a number), found {other}"))),
    }
}

/// Rasa answers `GET /` with a greeting and its version; some desks check it.
async fn hello() -> String {
    format!("Hello from deskbot: {}", env!("CARGO_PKG_VERSION"))
}

/// Rasa's `/status`: the model in use (here the domain's NLU fingerprint) and training jobs.
async fn status(State(state): State<Arc<AppState>>) -> Json<Value> {
    let domain = &state.conversations.bot().domain;
    Json(json!({
        "model_file": domain.source.display().to_string(),
        "model_id": domain.nlu_fingerprint(),
        "num_active_training_jobs": 0,
    }))
}

/// A stored user event as Rasa writes it: the NLU result nested under `parse_data`.
fn with_parse_data(mut event: Value) -> Value {
    if event["event"] == "user" {
        event["parse_data"] = rasa_message(&event);
    }
    event
}

/// `{text, intent: {name, confidence}, entities}` from a stored user event.
fn rasa_message(event: &Value) -> Value {
    json!({
        "text": event["text"],
        "intent": { "name": event["intent"], "confidence": event["confidence"] },
        "entities": event["entities"],
        "metadata": event["metadata"],
    })
}

/// Rasa's REST channel answers this with its status; desks poll it.
async fn rest_channel() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn webhook(State(state): State<Arc<AppState>>, body: Result<Bytes, BytesRejection>) -> Result<Json<Value>, ApiError> {
    let Message { sender, message, metadata } =
        body::json(body, state.max_body, false).inspect_err(|_| state.conversations.metrics.error("bad_request"))?;
    check_id(&sender, "sender").inspect_err(|_| state.conversations.metrics.error("bad_request"))?;
    let id = sender.clone();
    let answer = detached(&state, move |state| async move { state.conversations.turn(&id, message, metadata).await }).await?;
    let last = answer.replies.len().saturating_sub(1);
    let replies: Vec<Value> = answer
        .replies
        .iter()
        .enumerate()
        .map(|(i, reply)| {
            let mut out = json!({ "recipient_id": sender, "text": reply.text, "response": reply.response });
            if reply.rephrased {
                out["rephrased"] = json!(true);
            }
            if let (Some(summary), true) = (&answer.handoff, i == last) {
                out["custom"] = json!({ "handoff": summary });
            }
            out
        })
        .collect();
    Ok(Json(Value::Array(replies)))
}

#[derive(Deserialize)]
struct ParseRequest {
    text: String,
}

async fn parse(State(state): State<Arc<AppState>>, body: Result<Bytes, BytesRejection>) -> Result<Json<Value>, ApiError> {
    let request: ParseRequest = body::json(body, state.max_body, false)?;
    let result = state.conversations.bot().parser().parse(&request.text);
    let mut out = serde_json::to_value(&result).map_err(ApiError::internal)?;
    // Rasa's name for the ranking, for clients written against it.
    out["intent_ranking"] = out["ranking"].clone();
    Ok(Json(out))
}

async fn tracker(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    check_id(&id, "conversation id")?;
    tracker_json(&state, id).await
}

/// Rasa's `POST /conversations/{id}/tracker/events`: `slot`, `pause` and `resume` events (one
/// object or a list) are applied and the tracker is answered.
async fn append_events(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    check_id(&id, "conversation id")?;
    let appended: Vec<Appended> = body::json_objects(body, state.max_body)?;
    let key = id.clone();
    detached(&state, move |state| async move { state.conversations.append(&key, appended).await }).await?;
    tracker_json(&state, id).await
}

async fn tracker_json(state: &AppState, id: String) -> Result<Json<Value>, ApiError> {
    let (stored, conversation, events) = state.conversations.tracker(&id).await?;
    let dialogue = &conversation.state;
    let latest = events.iter().rev().find(|e| e["event"] == "user").map(rasa_message);
    let events: Vec<Value> = events.into_iter().map(with_parse_data).collect();
    Ok(Json(json!({
        "sender_id": id,
        "version": stored.version,
        "paused": dialogue.handed_off.is_some(),
        "handed_off": dialogue.handed_off,
        "active_flow": dialogue.active_flow(),
        "slots": dialogue.active().map(|f| f.values()).unwrap_or_default(),
        "latest_message": latest,
        "state": dialogue,
        "events": events,
    })))
}

#[derive(Deserialize, Default)]
struct HandoffRequest {
    #[serde(default)]
    reason: Option<String>,
}

async fn handoff(State(state): State<Arc<AppState>>, Path(id): Path<String>, body: Result<Bytes, BytesRejection>) -> Result<Json<Value>, ApiError> {
    check_id(&id, "conversation id")?;
    let request: HandoffRequest = body::json(body, state.max_body, true)?;
    let reason = request.reason.unwrap_or_else(|| "a human agent took over".into());
    let key = id.clone();
    let summary = detached(&state, move |state| async move { state.conversations.hand_off(&key, reason).await }).await?;
    Ok(Json(json!({ "conversation_id": id, "handed_off": true, "summary": summary })))
}

async fn resume(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    check_id(&id, "conversation id")?;
    let key = id.clone();
    detached(&state, move |state| async move { state.conversations.resume(&key).await }).await?;
    Ok(Json(json!({ "conversation_id": id, "handed_off": false })))
}

/// Runs a change to a conversation as its own task, so that it finishes — committed and its
/// lock released — even when the client hangs up mid-turn (hyper then drops the handler).
async fn detached<T, F, Fut>(state: &Arc<AppState>, change: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(Arc<AppState>) -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
{
    tokio::spawn(change(state.clone())).await.map_err(ApiError::internal)?
}

async fn health(State(state): State<Arc<AppState>>) -> Response {
    let store = state.conversations.store();
    match store.ping().await {
        Ok(()) => Json(json!({ "status": "ok", "store": store.kind() })).into_response(),
        Err(error) => {
            tracing::error!("health: {error}");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "store": store.kind() }))).into_response()
        }
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.conversations.metrics.render()).into_response()
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route {method} {}", uri.path()))
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, format!("{} does not take {method}", uri.path()))
}
