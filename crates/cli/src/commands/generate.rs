//! `deskbot generate`: continue a prompt.

use std::path::PathBuf;

use gpt2::{GenerationConfig, Sampler};

use super::{BackendArg, load_model, print_line};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory (config.json, model.safetensors, tokenizer.json)
    #[arg(long)]
    model: PathBuf,
    /// Text to continue (empty: start from <|endoftext|>)
    #[arg(long)]
    prompt: String,
    #[arg(long, default_value_t = 32)]
    max_new_tokens: usize,
    /// Always take the most likely token (otherwise sample)
    #[arg(long)]
    greedy: bool,
    #[arg(long, default_value_t = 1.0)]
    temperature: f32,
    /// Sample among the K most likely tokens (0: all)
    #[arg(long, default_value_t = 50)]
    top_k: usize,
    /// Sample within the smallest set of tokens of total probability P
    #[arg(long, default_value_t = 1.0)]
    top_p: f32,
    /// > 1 discourages tokens already seen
    #[arg(long, default_value_t = 1.0)]
    repetition_penalty: f32,
    /// Beam search with this many beams (deterministic)
    #[arg(long, default_value_t = 1)]
    num_beams: usize,
    /// Beam scores are logprob / length^P; > 1 favours longer outputs
    #[arg(long, default_value_t = 1.0)]
    length_penalty: f32,
    /// Same seed, same text
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop before this text (repeatable)
    #[arg(long)]
    stop: Vec<String>,
    #[command(flatten)]
    backend: BackendArg,
    /// Print {"text": ..., "ids": [...], "stop_reason": ...}
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model, args.backend.backend)?;
    let config = GenerationConfig {
        max_new_tokens: args.max_new_tokens,
        sampler: Sampler {
            greedy: args.greedy,
            temperature: args.temperature,
            top_k: args.top_k,
            top_p: args.top_p,
            repetition_penalty: args.repetition_penalty,
        },
        num_beams: args.num_beams,
        length_penalty: args.length_penalty,
        stop: args.stop,
        seed: args.seed,
    };
    let generation = model.generate(&args.prompt, &config)?;
    if args.json {
        let json = serde_json::json!({
            "text": generation.text,
            "ids": generation.ids,
            "stop_reason": generation.stop_reason.as_str(),
        });
        print_line(&json.to_string())?;
    } else {
        print_line(&generation.text)?;
    }
    Ok(())
}
