//! `deskbot chat`: the bot in a terminal.

use deskbot::{Bot, BuiltinActions, Conversation, StubbedActions, TurnResult};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use super::{DomainArgs, ModelArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    domain: DomainArgs,
    /// Seed for choosing among reply variations (same seed, same replies)
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// After each reply, show the intent, confidence and which text filled which slot
    #[arg(long)]
    explain: bool,
    /// Channel for per-channel reply variations (e.g. sms)
    #[arg(long)]
    channel: Option<String>,
    /// Answer an action with fixed fields while writing a domain, e.g.
    /// `--action submit_po='{"po_number": "PO-1"}'` (the fields become slots); repeatable
    #[arg(long = "action", value_name = "NAME=JSON", value_parser = parse_stub)]
    actions: Vec<(String, serde_json::Map<String, serde_json::Value>)>,
    #[command(flatten)]
    model: ModelArgs,
}

/// `NAME=JSON`: an action and the fields it answers with (a JSON object).
fn parse_stub(text: &str) -> Result<(String, serde_json::Map<String, serde_json::Value>), String> {
    let (name, json) = text.split_once('=').ok_or("write NAME=JSON, e.g. submit_po='{\"po_number\": \"PO-1\"}'")?;
    let fields = match serde_json::from_str(json).map_err(|e| format!("{json}: {e}"))? {
        serde_json::Value::Object(fields) => fields,
        other => return Err(format!("{other} is no JSON object (the action's fields, which become slots)")),
    };
    Ok((name.trim().to_string(), fields))
}

const HELP: &str = "Commands: /state (dialogue state as JSON), /explain (last turn), /reset, /quit";

pub fn run(args: Args) -> anyhow::Result<()> {
    let domain = args.domain.load()?;
    // A domain says what it is (`name` and `description` in flows.ron), else where it came from.
    let title = match (&domain.flows.name, &domain.flows.description) {
        (Some(name), Some(description)) => format!("{name} — {description}"),
        (Some(name), None) => name.clone(),
        (None, Some(description)) => format!("deskbot — {description}"),
        (None, None) => format!("deskbot — the domain in {}", domain.source.display()),
    };
    let mut bot = args.model.bot(domain)?;
    bot.channel = args.channel.clone();
    let stubs: std::collections::BTreeMap<String, _> =
        args.actions.iter().map(|(name, fields)| (name.clone(), fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect())).collect();
    let mut conversation = Conversation::new("terminal").with_seed(args.seed);
    let mut last: Option<TurnResult> = None;
    let mut editor = DefaultEditor::new()?;
    println!("{title}. Type a message; {HELP}.");
    loop {
        let line = match editor.readline("you> ") {
            Ok(line) => line,
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => break,
            Err(error) => return Err(error.into()),
        };
        let _ = editor.add_history_entry(line.as_str());
        match line.trim() {
            "/quit" | "/exit" => break,
            "/help" => println!("{HELP}"),
            "/state" => println!("{}", serde_json::to_string_pretty(&conversation.state)?),
            "/reset" => {
                conversation = Conversation::new("terminal").with_seed(args.seed);
                println!("(conversation reset)");
            }
            "/explain" => match &last {
                Some(turn) => println!("{}", explain(turn, &bot)),
                None => println!("(nothing to explain yet)"),
            },
            _ => {
                let mut actions = StubbedActions { stubs: stubs.clone(), builtin: BuiltinActions { today: bot.today() } };
                let turn = bot.respond_with(&mut conversation, &line, &mut actions);
                for reply in &turn.replies {
                    println!("bot> {}", reply.text);
                }
                if conversation.state.handed_off.is_some() && turn.replies.is_empty() {
                    println!("(a human agent has this conversation now; /reset to start over)");
                }
                if args.explain {
                    println!("{}", explain(&turn, &bot));
                }
                last = Some(turn);
            }
        }
    }
    Ok(())
}

fn explain(turn: &TurnResult, bot: &Bot) -> String {
    let mut lines = vec![format!("  intent: {} ({:.2})", turn.parse.intent.name, turn.parse.intent.confidence)];
    for e in &turn.parse.entities {
        lines.push(format!("  entity {} = {:?} at {}..{} → {}", e.entity, e.value, e.start, e.end, e.normalized));
        for reading in &e.alternatives {
            lines.push(format!("    or {} → {}", reading.entity, reading.normalized));
        }
    }
    for (slot, (text, source)) in &turn.outcome.filled {
        lines.push(format!("  slot {slot} ← {text:?} (from {source})"));
    }
    for rule in &turn.outcome.rules {
        lines.push(format!("  rule {rule}"));
    }
    for action in &turn.outcome.actions {
        lines.push(format!("  action {action}"));
    }
    for (action, error) in &turn.outcome.failed_actions {
        lines.push(format!("  action {action} FAILED: {error}"));
    }
    for reply in &turn.replies {
        let source = format!("{} #{}", reply.response, reply.variation);
        match &reply.refused_rewording {
            _ if reply.rephrased => lines.push(format!("  reply {source}, reworded by the model")),
            Some((rewording, why)) => lines.push(format!("  reply {source}; the model's rewording {rewording:?} was refused: it {why}")),
            None => match bot.rewordings_of(&reply.response) {
                Some((tried, passed)) if tried > 0 => {
                    lines.push(format!("  reply {source} (its rewordings so far: {passed} of {tried} passed the guard)"))
                }
                _ => lines.push(format!("  reply {source}")),
            },
        }
    }
    lines.join("\n")
}
