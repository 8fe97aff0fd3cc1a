//! Whether a message has the form of a request or a question, or is a plain statement: the
//! grammatical mood, read from closed-class words only (question words and marks, modal verbs
//! with a person, first-person wants and needs, "please", "tell me", Chinese question and
//! request particles). The recognizer's intent says what a message is about; its mood says
//! whether it asks for anything. At a question for the user's own words ("Why would you like a
//! refund?"), "the item never arrived" is the answer even when it reads as another intent;
//! "can you check where it is?" is not.

use std::sync::LazyLock;

use regex::Regex;

/// Questions: a question mark; a clause opening with a question word, or with a modal or
/// auxiliary verb before its subject ("can you", "is it"; "the reason is it broke" is no
/// question); Chinese question particles and forms.
static QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        [?？]
        | (?:^|[,.;:!—–-]\s*|\b(?:and|so|but|also|btw|oh|ok|okay|hey|hi|wait|hmm|first|then|now|just|actually)\s+)
          (?:(?:what|what's|whats|where|where's|wheres|when|how|why|which|who|whose)\b
            | (?:can|could|would|will|do|does|did|is|are|may|shall|should)\s+
              (?:i|you|u|we|it|they|he|she|my|the|this|that|there|someone|anyone|somebody|anybody)\b)
        | 吗 | 呢 | 什么 | 怎么 | 哪 | 几[点号天时] | 多少 | 是否 | 能否 | 可否 | 能不能 | 可不可以 | 有没有",
    )
    .expect("a valid regex")
});

/// Requests: a first person who wants, needs or would rather; "please"; a verb asking for
/// something to be done for the speaker ("tell me", "let me", "let's"); "instead"; Chinese
/// request words and the suggesting particle 吧.
static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        \b(?:i|we)(?:'d|'ll|\s+would|\s+will|\s+just|\s+really|\s+also|\s+still|\s+only|\s+actually|\s+do|\s+now)*\s+
          (?:like|want|wanna|need|gotta|wish|prefer|rather)\b
        | \b(?:i'd|id)\s+(?:like|rather|prefer)\b
        | \b(?:please|pls|plz|kindly|instead)\b | \bif\s+(?:you|u)\s+(?:could|can|would)\b
        | \b(?:let|help|tell|show|give|get|send|put)\s+me\b | \blet'?s\b
        | 我要 | 我想 | 想要 | 帮我 | 帮忙 | 麻烦 | 请 | 需要 | 申请 | 给我 | 我得 | 吧",
    )
    .expect("a valid regex")
});

/// What a message does: states, requests or questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mood {
    Statement,
    Request,
    Question,
}

/// The mood of `text`: a question where it has a question's form, else a request where it
/// has a request's, else a statement.
pub fn mood(text: &str) -> Mood {
    if QUESTION.is_match(text) {
        Mood::Question
    } else if REQUEST.is_match(text) {
        Mood::Request
    } else {
        Mood::Statement
    }
}

#[cfg(test)]
mod tests {
    use super::{Mood, mood};

    fn asks(text: &str) -> bool {
        mood(text) != Mood::Statement
    }

    #[test]
    fn questions_and_requests_ask_statements_do_not() {
        for text in [
            "hold on, can you check where order 20578 is first?",
            "what's the status of LV-3003",
            "you know what, I just want to file a complaint",
            "forget the refund, just tell me where it is",
            "wait — reject APR-1050 instead",
            "could I speak to a person please",
            "你们几点上班",
            "算了，先帮我驳回EXP-2471",
            "那我还是退款吧",
            "I was wondering if you could move my delivery",
            "ok so is it shipped yet",
        ] {
            assert!(asks(text), "{text}");
        }
        for text in [
            "it's over the meal allowance",
            "item never arrived, tracking hasn't moved in 2 weeks",
            "keep up the fast shipping",
            "you charged me for express shipping but it's coming standard",
            "收到的耳机左边没声音",
            "希望多加几个客服",
            "the shoes are what I ordered but the wrong colour",
            "ok thanks. the reason is it was a duplicate order",
        ] {
            assert!(!asks(text), "{text}");
        }
        assert_eq!(mood("wait what else is in my queue?"), Mood::Question);
        assert_eq!(mood("please hire more phone staff"), Mood::Request);
    }
}
