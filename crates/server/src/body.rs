//! Request bodies: JSON read by hand so that every failure names its cause — not UTF-8 (and
//! where), not JSON (line and column), a missing or mistyped field (its path).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::api_error::ApiError;

/// Parses a JSON request body into `T`; an empty body is `{}` when `empty_ok`.
pub fn json<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>, limit: usize, empty_ok: bool) -> Result<T, ApiError> {
    let text = utf8(body, limit)?;
    let text = if text.trim().is_empty() && empty_ok { "{}" } else { text.as_str() };
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("request body is empty; expected a JSON object"));
    }
    // serde would read a struct from an array too; our bodies are objects.
    if let Some(first) = text.trim_start().chars().next().filter(|c| *c != '{') {
        return Err(ApiError::bad_request(format!("invalid JSON body: expected an object `{{…}}`, found `{first}`")));
    }
    decode(text)
}

/// The body as text, or an error that says why it is none (too large, not UTF-8).
fn utf8(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<String, ApiError> {
    let bytes = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("request body is larger than the limit of {limit} bytes (serve --max-body)"))
        }
        status => ApiError::new(status, format!("could not read the request body: {}", rejection.body_text())),
    })?;
    String::from_utf8(bytes.to_vec())
        .map_err(|e| ApiError::bad_request(format!("request body is not valid UTF-8 (invalid byte at offset {})", e.utf8_error().valid_up_to())))
}

/// A body of one JSON object or a list of them (as Rasa's tracker events endpoint takes).
pub fn json_objects<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Vec<T>, ApiError> {
    let text = utf8(body, limit)?;
    match text.trim_start().chars().next() {
        Some('[') => decode(&text),
        Some('{') => Ok(vec![decode(&text)?]),
        Some(other) => Err(ApiError::bad_request(format!("invalid JSON body: expected an object `{{…}}` or a list `[…]`, found `{other}`"))),
        None => Err(ApiError::bad_request("request body is empty; expected a JSON object or a list of them")),
    }
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() || path == "." {
            ApiError::bad_request(format!("invalid JSON body: {inner}"))
        } else {
            ApiError::bad_request(format!("invalid JSON body: field `{path}`: {inner}"))
        }
    })?;
    deserializer.end().map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
    Ok(value)
}
