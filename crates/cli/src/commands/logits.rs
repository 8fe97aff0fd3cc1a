//! `deskbot logits`: the model's raw output, for checking it against a reference.

use std::path::PathBuf;

use anyhow::Context;

use super::{BackendArg, load_model, print_line};

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["text", "ids"])))]
pub struct Args {
    /// Model directory
    #[arg(long)]
    model: PathBuf,
    /// Text to tokenize and run
    #[arg(long)]
    text: Option<String>,
    /// Token ids, comma-separated (e.g. 15496,995)
    #[arg(long)]
    ids: Option<String>,
    #[command(flatten)]
    backend: BackendArg,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model, args.backend.backend)?;
    let ids = match (&args.text, &args.ids) {
        (Some(text), _) => model.tokenizer.encode(text)?,
        (None, Some(ids)) => parse_ids(ids)?,
        (None, None) => unreachable!("clap requires --text or --ids"),
    };
    let logits = model.logits(&ids)?;
    print_line(&serde_json::json!({ "ids": ids, "logits": logits }).to_string())?;
    Ok(())
}

fn parse_ids(text: &str) -> anyhow::Result<Vec<u32>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u32>().with_context(|| format!("--ids: {s:?} is not a token id")))
        .collect()
}
