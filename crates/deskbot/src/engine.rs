//! [`Bot::respond`]: understand the utterance, update the dialogue state, render the replies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::NaiveDate;
use dst::{ActionRunner, DialogueState, HandoffSummary, Output, Tracker, TurnEntity, TurnOutcome, UserTurn};
use nlu::{ParseResult, Parser, SentenceEncoder};
use serde::{Deserialize, Serialize};
use serde_json::json;
use templates::{Ranker, RenderOptions, Rephraser, Slots};

use crate::actions::BuiltinActions;
use crate::domain::{Domain, Error};
use crate::model::ModelHooks;
use crate::parser_cache;
use crate::rewording::RewordingGate;
use crate::sentence::Gpt2Sentences;

/// Earlier turns shown to the model when it ranks or rephrases a reply.
const CONTEXT_TURNS: usize = 3;

/// The recognizer for `nlu` (offered `encoder`'s sentence features when given), trained once
/// per process per domain and encoder — and, through [`parser_cache`], once per build: training
/// is deterministic and, with its held-out folds, takes about two seconds for the bundled domain
/// (six with the bundled model's features to weigh).
fn trained_parser(nlu: &nlu::NluDomain, encoder: Option<Arc<dyn SentenceEncoder>>) -> Result<Parser, Error> {
    static TRAINED: OnceLock<Mutex<HashMap<String, Parser>>> = OnceLock::new();
    let key = format!("{}/{}", nlu::model::fingerprint(nlu), encoder.as_ref().map_or(String::new(), |e| e.fingerprint()));
    let mut trained = TRAINED.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(parser) = trained.get(&key) {
        return Ok(parser.clone());
    }
    let parser = match (parser_cache::cache_dir(), parser_cache::build_id()) {
        (Some(dir), Some(build)) => parser_cache::trained(nlu, encoder, &dir, &build)?,
        _ => Parser::train_with(nlu, encoder)?,
    };
    Ok(trained.entry(key).or_insert(parser).clone())
}

/// One conversation: its id, dialogue state, transcript and reply seed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub state: DialogueState,
    /// (user text, bot text) per turn, for context when ranking or rephrasing replies.
    pub transcript: Vec<(String, String)>,
    /// Chooses among reply variations; the same seed gives the same replies.
    pub seed: u64,
}

impl Conversation {
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into(), state: DialogueState::default(), transcript: Vec::new(), seed: 0 }
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// One rendered reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    pub text: String,
    /// The template response it came from.
    pub response: String,
    pub variation: usize,
    pub rephrased: bool,
    /// A rewording the model offered and the guard refused, and why (see `deskbot eval rephrase`).
    #[serde(skip)]
    pub refused_rewording: Option<(String, templates::Rejection)>,
}

/// Everything about one turn: what was understood, what the state tracker did, the replies.
#[derive(Debug, Clone, Serialize)]
pub struct TurnResult {
    pub replies: Vec<Reply>,
    pub parse: ParseResult,
    pub outcome: TurnOutcome,
    pub handoff: Option<HandoffSummary>,
    /// Replies that could not be rendered (the user got a generic apology instead).
    pub errors: Vec<String>,
}

impl TurnResult {
    /// All replies' text, one per line.
    pub fn text(&self) -> String {
        self.replies.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n")
    }
}

/// A bot over one domain.
pub struct Bot {
    pub domain: Domain,
    parser: Parser,
    tracker: Tracker,
    model: Option<ModelHooks>,
    /// Which responses are still worth a rewording (`None`: every one is).
    rewordings: Option<RewordingGate>,
    today: Option<NaiveDate>,
    /// Channel for per-channel template variations (`sms`, `web`, ...).
    pub channel: Option<String>,
}

impl Bot {
    pub fn new(domain: Domain) -> Result<Self, Error> {
        Self::build(domain, None, None)
    }

    /// A bot that ranks reply variations (and, unless `hooks.rephrase` is off, rewords replies
    /// under the templates' guard) with a GPT-2 and,
    /// unless `hooks.intent_features` is off, trains its recognizer with the model's sentence
    /// features offered: they are used only where the domain's held-out examples say they help
    /// ([`Parser::encoder_choice`] says what was decided).
    pub fn with_model(domain: Domain, hooks: ModelHooks) -> Result<Self, Error> {
        Self::build(domain, Some(hooks), None)
    }

    /// A bot with any of: a GPT-2 (as in [`Bot::with_model`]) and a pretrained sentence encoder
    /// ([`crate::PretrainedEncoder`]). The recognizer is offered the encoder's features when
    /// there is one, else GPT-2's (unless `hooks.intent_features` is off); either way they are
    /// used only where held-out examples say they help.
    pub fn with_models(domain: Domain, hooks: Option<ModelHooks>, encoder: Option<Arc<dyn SentenceEncoder>>) -> Result<Self, Error> {
        Self::build(domain, hooks, encoder)
    }

    fn build(domain: Domain, model: Option<ModelHooks>, encoder: Option<Arc<dyn SentenceEncoder>>) -> Result<Self, Error> {
        let gpt2_features = || {
            model.as_ref().filter(|hooks| hooks.intent_features).map(|hooks| Arc::new(Gpt2Sentences(hooks.model.clone())) as Arc<dyn SentenceEncoder>)
        };
        let encoder = encoder.or_else(gpt2_features);
        let parser = trained_parser(&domain.nlu, encoder)?;
        let tracker = Tracker::new(domain.flows.clone());
        Ok(Self { domain, parser, tracker, model, rewordings: Some(RewordingGate::default()), today: None, channel: None })
    }

    /// Asks the model to reword every reply it may, even those whose rewordings the guard keeps
    /// refusing (`deskbot eval rephrase` measures the model, not the gate).
    pub fn rewording_every_reply(mut self) -> Self {
        self.rewordings = None;
        self
    }

    /// Fixes "today" (relative dates, date rules, demo data) — for replays and tests.
    pub fn with_today(mut self, today: NaiveDate) -> Self {
        self.parser = self.parser.with_today(today);
        self.today = Some(today);
        self
    }

    /// Whether a language model ranks (or rephrases) replies.
    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    pub fn parser(&self) -> &Parser {
        &self.parser
    }

    /// "Today" for relative dates and the built-in actions: fixed by [`Bot::with_today`], else
    /// the local date.
    pub fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| chrono::Local::now().date_naive())
    }

    /// One turn with the bundled domain's [`BuiltinActions`].
    pub fn respond(&self, conversation: &mut Conversation, utterance: &str) -> TurnResult {
        let mut actions = BuiltinActions { today: self.today() };
        self.respond_with(conversation, utterance, &mut actions)
    }

    /// One turn whose flow actions and slot rules go to `actions` (the server's HTTP webhooks).
    pub fn respond_with(&self, conversation: &mut Conversation, utterance: &str, actions: &mut dyn ActionRunner) -> TurnResult {
        let parse = self.parser.parse(utterance);
        // A blank message is answered (the question again) but is no turn of the conversation.
        let blank = utterance.trim().is_empty();
        let outcome = match blank {
            true => TurnOutcome { outputs: self.tracker.reprompt(&conversation.state), ..TurnOutcome::default() },
            false => self.tracker.handle(&mut conversation.state, &user_turn(utterance, &parse), actions),
        };
        let context = self.context(conversation, utterance);
        let ranker = self.model.as_ref().map(|m| m as &dyn Ranker);
        let rephraser = self.model.as_ref().filter(|m| m.rephrase).map(|m| m as &dyn Rephraser);
        let mut replies = Vec::new();
        let mut errors = Vec::new();
        let mut handoff = None;
        for (i, output) in outcome.outputs.iter().enumerate() {
            let (response, slots) = match output {
                Output::Say { response, slots } => (response.clone(), self.with_bot_name(slots.clone())),
                Output::Text { text, from } => {
                    replies.push(Reply { text: text.clone(), response: from.clone(), variation: 0, rephrased: false, refused_rewording: None });
                    continue;
                }
                Output::Handoff(summary) => {
                    handoff = Some(summary.clone());
                    ("handoff".to_string(), [("reason".to_string(), json!(summary.reason))].into())
                }
            };
            let seed = conversation.seed ^ ((conversation.transcript.len() as u64) << 8 | i as u64);
            let rephraser = rephraser.filter(|_| self.rewordings.as_ref().is_none_or(|gate| gate.admit(&response)));
            let options = RenderOptions { channel: self.channel.as_deref(), seed, context: &context, ranker, rephraser };
            match self.domain.templates.render(&response, &slots, &options) {
                Ok(rendered) => replies.push(self.learn_rewording(rendered)),
                Err(error) => {
                    errors.push(error.to_string());
                    replies.push(Reply {
                        text: "Sorry, I couldn't put that reply together.".into(),
                        response,
                        variation: 0,
                        rephrased: false,
                        refused_rewording: None,
                    });
                }
            }
        }
        if !blank {
            let bot_text = replies.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n");
            conversation.transcript.push((utterance.to_string(), bot_text));
        }
        TurnResult { replies, parse, outcome, handoff, errors }
    }

    /// How many of `response`'s rewordings were asked for and how many passed the guard, when
    /// the bot learns which responses to reword.
    pub fn rewordings_of(&self, response: &str) -> Option<(u32, u32)> {
        self.rewordings.as_ref().map(|gate| gate.tally(response))
    }

    /// The reply for a rendered response, its rewording (if one was asked for) noted by the gate.
    fn learn_rewording(&self, rendered: templates::Rendered) -> Reply {
        if let Some(gate) = self.rewordings.as_ref().filter(|_| rendered.rewording_asked) {
            gate.record(&rendered.response, rendered.rephrased);
        }
        Reply {
            text: rendered.text,
            response: rendered.response,
            variation: rendered.variation,
            rephrased: rendered.rephrased,
            refused_rewording: rendered.refused,
        }
    }

    /// Hands the conversation to a human agent now (a support desk asked); the bot stays quiet
    /// until `conversation.state.resume_bot()`.
    pub fn hand_off(&self, conversation: &mut Conversation, reason: &str) -> HandoffSummary {
        self.tracker.hand_off_now(&mut conversation.state, reason)
    }

    /// A desk sets (with `null`, clears) a slot of the conversation; the error says why the
    /// value does not fit ([`Tracker::set_slot`]).
    pub fn set_slot(&self, conversation: &mut Conversation, slot: &str, value: &serde_json::Value) -> Result<(), String> {
        self.tracker.set_slot(&mut conversation.state, slot, value)
    }

    /// A reply's slots and the domain's name as `{bot_name}` (when flows.ron gives one).
    fn with_bot_name(&self, mut slots: Slots) -> Slots {
        if let Some(name) = &self.domain.flows.name {
            slots.entry("bot_name".to_string()).or_insert_with(|| json!(name));
        }
        slots
    }

    /// The last few turns as dialogue text, then this utterance, ending with the bot's turn to
    /// speak. Called before this turn joins the transcript.
    fn context(&self, conversation: &Conversation, utterance: &str) -> String {
        let mut context = String::new();
        let start = conversation.transcript.len().saturating_sub(CONTEXT_TURNS);
        for (user, bot) in &conversation.transcript[start..] {
            context.push_str(&format!("User: {user}\nBot: {bot}\n"));
        }
        let utterance: String = utterance.chars().take(500).collect();
        context.push_str(&format!("User: {utterance}\nBot:"));
        context
    }
}

/// The recognised turn for the tracker. When the utterance joins several requests, the first
/// span's intent and entities make the turn and the others follow it in `more`; the turn's
/// text stays the whole utterance (nothing the user typed is dropped from the history). Which
/// spans are requests of their own is the tracker's call.
fn user_turn(utterance: &str, parse: &ParseResult) -> UserTurn {
    let entities_in = |start: usize, end: usize| {
        parse
            .entities
            .iter()
            .filter(|e| e.start >= start && e.end <= end)
            .map(|e| TurnEntity {
                alternatives: e.alternatives.iter().map(|a| (a.entity.clone(), a.normalized.clone())).collect(),
                ..TurnEntity::new(e.entity.clone(), e.value.clone(), e.normalized.clone())
            })
            .collect()
    };
    let whole = UserTurn {
        text: utterance.to_string(),
        intent: parse.intent.name.clone(),
        confidence: parse.intent.confidence,
        entities: entities_in(0, usize::MAX),
        mood: mood(utterance),
        more: Vec::new(),
        alternatives: parse.ranking.iter().skip(1).take(3).map(|s| (s.name.clone(), s.confidence)).collect(),
    };
    let [first, rest @ ..] = parse.intents.as_slice() else { return whole };
    if rest.is_empty() {
        return whole;
    }
    let span_text = |start: usize, end: usize| utterance.chars().skip(start).take(end - start).collect::<String>();
    let more = rest
        .iter()
        .map(|span| UserTurn {
            text: span_text(span.start, span.end),
            intent: span.name.clone(),
            confidence: span.confidence,
            entities: entities_in(span.start, span.end),
            mood: mood(&span_text(span.start, span.end)),
            more: Vec::new(),
            alternatives: Vec::new(),
        })
        .collect();
    UserTurn { intent: first.name.clone(), confidence: first.confidence, entities: entities_in(first.start, first.end), more, ..whole }
}

/// The message's mood, for the tracker.
fn mood(text: &str) -> dst::Mood {
    match nlu::mood::mood(text) {
        nlu::mood::Mood::Statement => dst::Mood::Statement,
        nlu::mood::Mood::Request => dst::Mood::Request,
        nlu::mood::Mood::Question => dst::Mood::Question,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_ends_with_the_latest_turns_and_this_utterance() {
        let bot = Bot::new(Domain::bundled().unwrap()).unwrap();
        let mut conversation = Conversation::new("t");
        for i in 0..5 {
            conversation.transcript.push((format!("user {i}"), format!("bot {i}")));
        }
        let context = bot.context(&conversation, "now");
        assert_eq!(context, "User: user 2\nBot: bot 2\nUser: user 3\nBot: bot 3\nUser: user 4\nBot: bot 4\nUser: now\nBot:");
        assert_eq!(bot.context(&Conversation::new("t"), "hi"), "User: hi\nBot:");
    }

    #[test]
    fn each_request_of_an_utterance_gets_its_own_span_and_entities() {
        let bot = Bot::new(Domain::bundled().unwrap()).unwrap();
        let text = "refund $40 for order 12345 and where is order 67890";
        let turn = user_turn(text, &bot.parser().parse(text));
        assert_eq!((turn.text.as_str(), turn.intent.as_str()), (text, "request_refund"));
        let values: Vec<&str> = turn.entities.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(values, ["$40", "12345"]);
        assert_eq!(turn.more.len(), 1);
        let next = &turn.more[0];
        assert_eq!((next.text.as_str(), next.intent.as_str()), ("where is order 67890", "order_status"));
        assert_eq!(next.entities.iter().map(|e| e.value.as_str()).collect::<Vec<_>>(), ["67890"]);

        // Spans count characters, not bytes.
        let text = "我要退款，还有我的订单12345在哪里";
        let turn = user_turn(text, &bot.parser().parse(text));
        assert_eq!(turn.more.len(), 1);
        assert_eq!(turn.more[0].text, "我的订单12345在哪里");
        assert!(turn.entities.is_empty());

        let single = user_turn("where is my order 12345", &bot.parser().parse("where is my order 12345"));
        assert!(single.more.is_empty());
        assert_eq!(single.entities.len(), 1);
    }
}
