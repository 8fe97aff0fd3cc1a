//! `deskbot parse`: what the NLU makes of a text.

use super::{DomainArgs, print_line};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The utterance
    text: String,
    #[command(flatten)]
    domain: DomainArgs,
    /// Print the full result as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let bot = deskbot::Bot::new(args.domain.load()?)?;
    let result = bot.parser().parse(&args.text);
    if args.json {
        return print_line(&serde_json::to_string(&result)?);
    }
    print_line(&format!("intent: {} ({:.2})", result.intent.name, result.intent.confidence))?;
    for alternative in result.ranking.iter().skip(1).take(3) {
        print_line(&format!("  also: {} ({:.2})", alternative.name, alternative.confidence))?;
    }
    for e in &result.entities {
        print_line(&format!("entity {}: {:?} [{}..{}] → {} ({})", e.entity, e.value, e.start, e.end, e.normalized, e.extractor))?;
    }
    Ok(())
}
