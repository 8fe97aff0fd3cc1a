//! A conversation as the stores keep it: `{"format": 1, "domain": FINGERPRINT, "conversation":
//! {…}}` — the layout's version, the domain the conversation was last answered under, and the
//! conversation. A state stored before the layout had a version is the bare conversation
//! (format 0) and still loads; a newer format is refused with a message that names the
//! conversation, never guessed at.
//!
//! On a domain other than the stored one, the dialogue state is brought in line with the
//! current flows on the next turn (`dst::migrate`); the fingerprint lets that turn record the
//! change as an event.

use deskbot::Conversation;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The layout this server writes.
pub const FORMAT: u32 = 1;

#[derive(Serialize)]
struct Writing<'a> {
    format: u32,
    domain: &'a str,
    conversation: &'a Conversation,
}

#[derive(Deserialize)]
struct Reading {
    domain: String,
    conversation: Conversation,
}

/// A decoded stored state.
pub struct Loaded {
    pub conversation: Conversation,
    /// The fingerprint of the domain it was last answered under (`None`: format 0).
    pub domain: Option<String>,
}

/// The stored text of a conversation answered under the domain `domain`.
pub fn encode(conversation: &Conversation, domain: &str) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Writing { format: FORMAT, domain, conversation })
}

/// Reads a stored state; the error names the conversation and what is wrong.
pub fn decode(id: &str, text: &str) -> Result<Loaded, String> {
    let fail = |e: serde_json::Error| format!("stored conversation `{id}` does not decode: {e}");
    let value: Value = serde_json::from_str(text).map_err(fail)?;
    match value.get("format").map(|f| f.as_u64()) {
        None => Ok(Loaded { conversation: serde_json::from_value(value).map_err(fail)?, domain: None }),
        Some(Some(format)) if format == u64::from(FORMAT) => {
            let reading: Reading = serde_json::from_value(value).map_err(fail)?;
            Ok(Loaded { conversation: reading.conversation, domain: Some(reading.domain) })
        }
        Some(format) => Err(format!(
            "stored conversation `{id}` has format {} — this deskbot reads formats 0 to {FORMAT}; answer it with the deskbot that wrote it",
            format.map_or("(not a number)".to_string(), |f| f.to_string())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_the_domain() {
        let mut conversation = Conversation::new("c1");
        conversation.seed = 7;
        let loaded = decode("c1", &encode(&conversation, "abc").unwrap()).unwrap();
        assert_eq!((loaded.conversation.id.as_str(), loaded.conversation.seed, loaded.domain.as_deref()), ("c1", 7, Some("abc")));
    }

    #[test]
    fn a_bare_conversation_is_format_zero() {
        let text = serde_json::to_string(&Conversation::new("old")).unwrap();
        let loaded = decode("old", &text).unwrap();
        assert_eq!((loaded.conversation.id.as_str(), loaded.domain), ("old", None));
    }

    #[test]
    fn newer_or_broken_formats_are_named() {
        let newer = decode("c9", r#"{"format": 2, "domain": "x", "conversation": {}}"#).err().unwrap();
        assert!(newer.contains("`c9`") && newer.contains("format 2"), "{newer}");
        let broken = decode("c8", r#"{"format": 1, "domain": "x"}"#).err().unwrap();
        assert!(broken.contains("`c8`") && broken.contains("conversation"), "{broken}");
        assert!(decode("c7", "not json").is_err());
    }
}
