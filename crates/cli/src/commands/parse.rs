//! `deskbot parse`: what the NLU makes of a text.

use super::{DomainArgs, Gpt2FeaturesArg, print_line};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The utterance
    text: String,
    #[command(flatten)]
    domain: DomainArgs,
    /// A model saved by `deskbot train nlu` (checked against --domain when both are given)
    #[arg(long)]
    model: Option<std::path::PathBuf>,
    /// Print the full result as JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    gpt2: Gpt2FeaturesArg,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let encoder = args.gpt2.encoder()?;
    let result = match &args.model {
        Some(dir) => {
            let parser = nlu::Parser::load_with(dir, encoder)?;
            if args.domain.domain.is_some() {
                parser.check_domain(&args.domain.load()?.nlu, dir)?;
            }
            parser.parse(&args.text)
        }
        None => nlu::Parser::train_with(&args.domain.load()?.nlu, encoder)?.parse(&args.text),
    };
    if args.json {
        return print_line(&serde_json::to_string(&result)?);
    }
    print_line(&format!("intent: {} ({:.2})", result.intent.name, result.intent.confidence))?;
    // Below the out-of-scope threshold the best guess is not the intent: show it too.
    let shown = usize::from(result.ranking.first().is_some_and(|best| best.name == result.intent.name));
    for alternative in result.ranking.iter().skip(shown).take(3) {
        print_line(&format!("  also: {} ({:.2})", alternative.name, alternative.confidence))?;
    }
    if result.intents.len() > 1 {
        let chars: Vec<char> = result.text.chars().collect();
        for (n, request) in result.intents.iter().enumerate() {
            let span: String = chars[request.start..request.end].iter().collect();
            print_line(&format!("request {}: {} ({:.2}) [{}..{}] {span:?}", n + 1, request.name, request.confidence, request.start, request.end))?;
        }
    }
    for e in &result.entities {
        print_line(&format!("entity {}: {:?} [{}..{}] → {} ({})", e.entity, e.value, e.start, e.end, e.normalized, e.extractor))?;
    }
    Ok(())
}
