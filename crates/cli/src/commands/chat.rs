//! `deskbot chat`: the bot in a terminal.

use std::path::PathBuf;

use anyhow::Context;

use deskbot::{Bot, Conversation, ModelHooks, TurnResult};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use super::{BackendArg, DomainArgs};

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
    /// A GPT-2 model directory that ranks reply variations by its score
    /// [default: the bundled models/deskbot-mini, or $DESKBOT_MODEL]
    #[arg(long, conflicts_with = "no_model")]
    model: Option<PathBuf>,
    /// Run without a language model (variations chosen by --seed)
    #[arg(long)]
    no_model: bool,
    /// Also let the model rephrase replies (used only when the rewording keeps every value and
    /// the model finds it at least as likely as the template's text)
    #[arg(long, conflicts_with = "no_model")]
    rephrase: bool,
    #[command(flatten)]
    backend: BackendArg,
}

const HELP: &str = "Commands: /state (dialogue state as JSON), /explain (last turn), /reset, /quit";

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut bot = Bot::new(args.domain.load()?)?;
    bot.channel = args.channel.clone();
    let model = if args.no_model { None } else { args.model.clone().or_else(super::bundled_model) };
    match &model {
        Some(dir) => {
            bot = bot.with_model(ModelHooks::load(dir, args.backend.backend, args.rephrase).with_context(|| format!("loading model {}", dir.display()))?);
            eprintln!("(replies ranked by the language model in {})", dir.display());
        }
        None if !args.no_model => eprintln!("(no language model found: replies chosen by seed; see README to train models/deskbot-mini)"),
        None => {}
    }
    let mut conversation = Conversation::new("terminal").with_seed(args.seed);
    let mut last: Option<TurnResult> = None;
    let mut editor = DefaultEditor::new()?;
    println!("deskbot — approvals and customer service. Type a message; {HELP}.");
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
                Some(turn) => println!("{}", explain(turn)),
                None => println!("(nothing to explain yet)"),
            },
            _ => {
                let turn = bot.respond(&mut conversation, &line);
                for reply in &turn.replies {
                    println!("bot> {}", reply.text);
                }
                if conversation.state.handed_off.is_some() && turn.replies.is_empty() {
                    println!("(a human agent has this conversation now; /reset to start over)");
                }
                if args.explain {
                    println!("{}", explain(&turn));
                }
                last = Some(turn);
            }
        }
    }
    Ok(())
}

fn explain(turn: &TurnResult) -> String {
    let mut lines = vec![format!("  intent: {} ({:.2})", turn.parse.intent.name, turn.parse.intent.confidence)];
    for e in &turn.parse.entities {
        lines.push(format!("  entity {} = {:?} at {}..{} → {}", e.entity, e.value, e.start, e.end, e.normalized));
    }
    for (slot, (text, source)) in &turn.outcome.filled {
        lines.push(format!("  slot {slot} ← {text:?} (from {source})"));
    }
    for action in &turn.outcome.actions {
        lines.push(format!("  action {action}"));
    }
    for (action, error) in &turn.outcome.failed_actions {
        lines.push(format!("  action {action} FAILED: {error}"));
    }
    lines.join("\n")
}
