//! `deskbot bench ...`: speed and memory, printed as a table or JSON. Numbers belong here, not
//! in timed tests.

use std::time::{Duration, Instant};

use anyhow::bail;
use burn::prelude::*;
use gpt2::{Batch, Gpt2Config, Gpt2Model, KvCache};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::BackendArg;

#[derive(clap::Subcommand, Debug)]
pub enum Bench {
    /// Prefill and decode speed of a random-weight GPT-2
    Gpt2(Gpt2Args),
    /// Replay speed of scripted dialogues (turns/s) and time to first reply
    Replay(ReplayArgs),
    /// Language-model training speed (tokens/s) per backend
    Train(super::bench_train::Args),
    /// NLU training time and parse latency (p50 / p99)
    Nlu(super::bench_nlu::Args),
    /// Server throughput (turns/s), latency (p50 / p99) and memory, on loopback
    Serve(super::bench_serve::Args),
    /// Sentence encoder throughput at batch 1 and 32, ms per text, load time and memory
    Encoder(super::bench_encoder::Args),
}

#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// Dialogue files or directories
    #[arg(default_value = "tests/dialogues")]
    paths: Vec<std::path::PathBuf>,
    /// How many times to replay the whole set
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    #[command(flatten)]
    domain: super::DomainArgs,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct Gpt2Args {
    /// Model shape: tiny (2 layers, 64 wide) or gpt2 (the 124M shape)
    #[arg(long, default_value = "tiny")]
    preset: String,
    #[command(flatten)]
    backend: BackendArg,
    /// Prompt tokens fed at once (prefill)
    #[arg(long, default_value_t = 128)]
    prompt_len: usize,
    /// Tokens decoded one at a time through the KV cache
    #[arg(long, default_value_t = 128)]
    new_tokens: usize,
    /// Sequences decoded side by side
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// On the CPU backend, decode with burn's own gemm instead of the host kernel of
    /// `gpt2::host` (to compare the two)
    #[arg(long)]
    burn_decode: bool,
    /// The host kernel's weights: f32, or bf16 (half the bytes read per step)
    #[arg(long, default_value = "f32")]
    host_precision: gpt2::host::HostPrecision,
    /// Print one JSON object instead of a table
    #[arg(long)]
    json: bool,
}

pub fn run(bench: Bench) -> anyhow::Result<()> {
    match bench {
        Bench::Gpt2(args) => gpt2(args),
        Bench::Replay(args) => replay(args),
        Bench::Train(args) => super::bench_train::run(args),
        Bench::Nlu(args) => super::bench_nlu::run(args),
        Bench::Serve(args) => super::bench_serve::run(args),
        Bench::Encoder(args) => super::bench_encoder::run(args),
    }
}

fn replay(args: ReplayArgs) -> anyhow::Result<()> {
    use deskbot::{Bot, Conversation, replay};
    let start = Instant::now();
    let bot = Bot::new(args.domain.load()?)?;
    bot.respond(&mut Conversation::new("first"), "hello");
    let first_reply = start.elapsed();
    let scripts = super::replay::scripts(&args.paths)?.into_iter().map(|p| replay::load(&p).map(|s| (p, s))).collect::<Result<Vec<_>, _>>()?;
    let bar = ProgressBar::new(args.rounds as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} rounds {eta}").expect("template"))
        .with_message("replaying");
    let (mut turns, mut failed) = (0, 0);
    let start = Instant::now();
    for _ in 0..args.rounds {
        for (path, script) in &scripts {
            let report = replay::run(Bot::new(bot.domain.clone())?, path, script)?;
            turns += report.turns;
            failed += usize::from(!report.passed());
        }
        bar.inc(1);
    }
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    let turns_per_s = turns as f64 / elapsed.as_secs_f64();
    if args.json {
        println!(
            "{}",
            serde_json::json!({"dialogues": scripts.len(), "rounds": args.rounds, "turns": turns, "failed": failed,
            "turns_per_s": turns_per_s, "first_reply_ms": first_reply.as_secs_f64() * 1e3})
        );
    } else {
        println!("{} dialogues x {} rounds = {turns} turns ({failed} failed dialogue runs)", scripts.len(), args.rounds);
        println!("{:<24}{:>12}", "turns/s", format!("{turns_per_s:.0}"));
        println!("{:<24}{:>12}", "time to first reply ms", format!("{:.1}", first_reply.as_secs_f64() * 1e3));
        println!("(each dialogue run includes building its bot: NLU training on the domain's examples)");
    }
    Ok(())
}

fn gpt2(args: Gpt2Args) -> anyhow::Result<()> {
    let config = match args.preset.as_str() {
        "tiny" => Gpt2Config::tiny(),
        "gpt2" => Gpt2Config::gpt2_124m(),
        other => bail!("--preset: unknown preset {other:?} (tiny, gpt2)"),
    };
    if args.prompt_len == 0 || args.new_tokens == 0 || args.batch == 0 {
        bail!("--prompt-len, --new-tokens and --batch must be at least 1");
    }
    if args.prompt_len + args.new_tokens + 1 > config.n_positions {
        bail!("--prompt-len + --new-tokens must stay below the context of {} positions", config.n_positions);
    }
    let selected = args.backend.backend.device()?;
    let device = selected.device;
    let model = Gpt2Model::init(&config, &device);
    let host = device == Device::flex() && !args.burn_decode;
    let model = if host { model.with_host_weights(args.host_precision) } else { model };
    let name = if host { format!("{}, host decode {:?}", selected.name, args.host_precision) } else { selected.name.clone() };
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let prompt: Vec<Vec<u32>> =
        (0..args.batch).map(|_| (0..args.prompt_len).map(|_| rng.random_range(0..config.vocab_size as u32)).collect()).collect();

    // Warm-up (kernel compilation and autotuning on wgpu) on a short run of the same shapes.
    run_once(&model, &config, &prompt, 4, &device, None);
    let bar = ProgressBar::new(args.new_tokens as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} tokens {per_sec}").expect("template"))
        .with_message("decoding");
    let (prefill, decode) = run_once(&model, &config, &prompt, args.new_tokens, &device, Some(&bar));
    bar.finish_and_clear();

    let prefill_tps = (args.batch * args.prompt_len) as f64 / prefill.as_secs_f64();
    let decode_tps = (args.batch * args.new_tokens) as f64 / decode.as_secs_f64();
    let ms_per_step = decode.as_secs_f64() * 1e3 / args.new_tokens as f64;
    let rss_mb = peak_rss_mb();
    let device_mb = device.memory_pool_usage().map(|u| u.bytes_reserved as f64 / 1e6);
    if args.json {
        let json = serde_json::json!({
            "preset": args.preset, "backend": name, "params": config.num_params(),
            "batch": args.batch, "prompt_len": args.prompt_len, "new_tokens": args.new_tokens,
            "prefill_tok_s": prefill_tps, "decode_tok_s": decode_tps, "ms_per_token": ms_per_step,
            "peak_rss_mb": rss_mb, "device_reserved_mb": device_mb,
        });
        println!("{json}");
    } else {
        println!("GPT-2 {} ({:.1}M params) on {}", args.preset, config.num_params() as f64 / 1e6, name);
        println!("batch {}, prompt {} tokens, {} new tokens", args.batch, args.prompt_len, args.new_tokens);
        println!("{:<24}{:>12}", "prefill tok/s", format!("{prefill_tps:.1}"));
        println!("{:<24}{:>12}", "decode tok/s", format!("{decode_tps:.1}"));
        println!("{:<24}{:>12}", "ms / decode step", format!("{ms_per_step:.2}"));
        println!("{:<24}{:>12}", "peak RSS MB", rss_mb.map_or("n/a".into(), |m| format!("{m:.0}")));
        println!("{:<24}{:>12}", "device pool MB", device_mb.map_or("n/a".into(), |m| format!("{m:.0}")));
    }
    Ok(())
}

/// One prefill of `prompt`, then `steps` greedy decoding steps (logits read back to the host
/// each step, as real generation does). Returns (prefill time, decode time).
fn run_once(
    model: &Gpt2Model,
    config: &Gpt2Config,
    prompt: &[Vec<u32>],
    steps: usize,
    device: &Device,
    bar: Option<&ProgressBar>,
) -> (Duration, Duration) {
    let mut cache = KvCache::new(config.n_layer);
    let start = Instant::now();
    let mut next = argmax_rows(model.next_logits(Batch::dense(prompt, 0, device), &mut cache));
    let prefill = start.elapsed();
    let start = Instant::now();
    for _ in 0..steps {
        let rows: Vec<Vec<u32>> = next.iter().map(|&t| vec![t]).collect();
        next = argmax_rows(model.next_logits(Batch::dense(&rows, cache.len(), device), &mut cache));
        if let Some(bar) = bar {
            bar.inc(1);
        }
    }
    (prefill, start.elapsed())
}

fn argmax_rows(logits: Tensor<2>) -> Vec<u32> {
    let [rows, vocab] = logits.dims();
    let data = logits.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 logits");
    (0..rows).map(|r| gpt2::sampling::argmax(&data[r * vocab..(r + 1) * vocab])).collect()
}

/// Peak resident set size of this process (Linux), in MB.
fn peak_rss_mb() -> Option<f64> {
    process_memory_mb("self", "VmHWM")
}

/// A memory field of /proc/PROCESS/status (`VmHWM` peak, `VmRSS` now), in MB (Linux only).
pub fn process_memory_mb(process: &str, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).ok()?;
    let line = status.lines().find(|l| l.strip_prefix(field).is_some_and(|rest| rest.starts_with(':')))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The value at quantile `q` (0.5 = median) of ascending `sorted` values; None when empty.
pub fn percentile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    let index = ((sorted.len() as f64 * q) as usize).min(sorted.len().checked_sub(1)?);
    sorted.get(index).copied()
}
