//! `deskbot discover`: the requests a desk's bot does not handle yet, as ready-to-use intents;
//! `--eval` measures it by hiding intents of a labelled data set from the recognizer.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use nlu::discover::eval::{Score, Split, hide_intents, score};
use nlu::discover::{Background, Discovery, ENCODER_WEIGHT, Settings, discover};
use nlu::eval::{OOS_LABEL, domain_from_examples, load_jsonl};
use nlu::{IntentScore, OUT_OF_SCOPE, Parser, SentenceEncoder};
use serde_json::{Value, json};

use super::{BackendArg, DomainArgs, EncoderArgs, print_line};

/// With --train: the confidence from which a message is handled. The recognizer's calibrated
/// confidences are high even on requests it never learned, the more so with the sentence
/// encoder (see README, "Intent discovery").
const TRAIN_THRESHOLD: f32 = 0.98;
/// The same without the sentence encoder.
const NGRAM_TRAIN_THRESHOLD: f32 = 0.95;

fn train_threshold(with_encoder: bool) -> f32 {
    if with_encoder { TRAIN_THRESHOLD } else { NGRAM_TRAIN_THRESHOLD }
}

/// Training examples that show what the desk's messages usually share (see
/// [`nlu::discover::Background`]).
const BACKGROUND: usize = 500;

/// Examples an `nlu.ron` snippet carries (the most typical of the cluster).
const SNIPPET_EXAMPLES: usize = 10;

/// Texts the sentence encoder is given at once (for the progress bar).
const ENCODE_BATCH: usize = 32;

/// Thresholds, distances and encoder weights `--eval --sweep` tries.
const SWEEP_THRESHOLDS: [f32; 3] = [0.9, 0.95, 0.98];
const SWEEP_DISTANCES: [f32; 6] = [0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
const SWEEP_WEIGHTS: [f32; 2] = [1.0, 2.0];

#[derive(clap::Args, Debug)]
#[command(
    long_about = "Find the requests the bot does not handle yet, as ready-to-use intents.\n\n\
        Every message is parsed by the recognizer (the domain's, or one trained on --train); the ones it \
        does not handle confidently (out of scope, or below --oos-threshold: by default the domain's \
        threshold; with --train 0.98, or 0.95 without the sentence encoder) are grouped: each message becomes a vector of TF-IDF character \
        n-grams and words joined with the sentence encoder's vector (when installed; --no-encoder for \
        the n-grams alone), fitted together with a sample of the recognizer's examples so that what \
        every message at the desk shares does not count, and groups merge while their messages are \
        on average within --max-distance (average linkage, cosine distance): the number of clusters \
        follows from the data. Clusters of at least --min-size messages are printed largest first \
        with a name made of their most distinctive words, their most typical messages and an entry \
        to paste into nlu.ron; the other messages are counted as unclustered. Calibrated \
        confidences are often high on requests the recognizer never learned: a higher --oos-threshold \
        (0.95) finds more of them.\n\n\
        --eval measures this on labelled data: it hides --hide intents (chosen by each seed) from \
        training, feeds the hidden intents' --test messages mixed with as many of known intents, and \
        reports how many hidden intents come back as a clean cluster (one cluster at least 70 % that \
        intent and holding at least half of its messages), the clusters' mean purity and the share \
        of known-intent messages that were clustered.",
    after_help = "Examples:\n  \
        deskbot discover --text messages.txt\n  \
        deskbot discover --store sqlite:deskbot.db --since 2025-06-01 --json\n  \
        deskbot discover --text messages.txt --domain my-bot/intents --min-size 5\n  \
        deskbot discover --text messages.txt --oos-threshold 0.95\n  \
        deskbot discover --text messages.txt --train labelled.jsonl\n  \
        deskbot discover --eval --train ../shared/data/clinc150/train.jsonl --test ../shared/data/clinc150/dev.jsonl --seeds 1,2,3"
)]
pub struct Args {
    /// Messages to look at, one a line (UTF-8)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["store", "eval"], required_unless_present_any = ["store", "eval"])]
    text: Option<PathBuf>,
    /// Or the conversations `deskbot serve` stored (sqlite:PATH, redis://…, postgres://…): the user
    /// messages that were out of scope or followed by a hand-off
    #[arg(long, value_name = "URL", conflicts_with = "eval")]
    store: Option<String>,
    /// With --store: only messages from this day on (YYYY-MM-DD, UTC)
    #[arg(long, value_name = "DATE", requires = "store")]
    since: Option<chrono::NaiveDate>,
    #[command(flatten)]
    domain: DomainArgs,
    /// Train the recognizer on labelled messages instead of a domain: one {"text", "intent"}
    /// JSON object a line (with --eval: the data whose intents are hidden)
    #[arg(long, value_name = "FILE.jsonl", conflicts_with = "domain")]
    train: Option<PathBuf>,
    /// A message is handled when the recognizer's best intent is in scope with at least this
    /// confidence [default: the domain's oos_threshold; with --train, 0.98 with the sentence
    /// encoder and 0.95 without]
    #[arg(long, value_name = "P")]
    oos_threshold: Option<f32>,
    /// Groups merge while their messages are on average at most this cosine distance apart
    /// (smaller: more, tighter clusters) [default: 0.8 with the sentence encoder, 0.95 without]
    #[arg(long, value_name = "D")]
    max_distance: Option<f32>,
    /// Smallest cluster shown; smaller groups count as unclustered
    #[arg(long, value_name = "N", default_value_t = 3)]
    min_size: usize,
    /// The sentence encoder's weight in a message's vector, relative to the n-grams' 1
    #[arg(long, value_name = "W", default_value_t = ENCODER_WEIGHT)]
    encoder_weight: f32,
    /// Typical messages shown per cluster
    #[arg(long, value_name = "N", default_value_t = 5)]
    examples: usize,
    /// Print {"clusters": [{"name", "size", "members", "examples"}], "unclustered": N}
    #[arg(long, conflicts_with = "eval")]
    json: bool,
    /// Measure discovery on labelled data (needs --train and --test): hide intents, discover them
    #[arg(long, requires_all = ["train", "test"])]
    eval: bool,
    /// With --eval: labelled test messages (the hidden intents' ones are fed to discovery)
    #[arg(long, value_name = "FILE.jsonl", requires = "eval")]
    test: Option<PathBuf>,
    /// With --eval: how many intents to hide
    #[arg(long, value_name = "N", default_value_t = 10, requires = "eval")]
    hide: usize,
    /// With --eval: one run per seed, each hiding other intents
    #[arg(long, value_name = "SEEDS", value_delimiter = ',', default_value = "1,2,3", requires = "eval")]
    seeds: Vec<u64>,
    /// With --eval: also score other --max-distance values (and encoder weights), to choose them
    #[arg(long, requires = "eval")]
    sweep: bool,
    #[command(flatten)]
    backend: BackendArg,
    #[command(flatten)]
    sentence: EncoderArgs,
}

impl Args {
    /// How to cluster vectors with the sentence encoder's part or without.
    fn settings(&self, with_encoder: bool) -> Settings {
        let defaults = Settings::new(with_encoder);
        Settings { max_distance: self.max_distance.unwrap_or(defaults.max_distance), min_size: self.min_size, encoder_weight: self.encoder_weight }
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(distance) = args.max_distance.filter(|d| !(0.0..=2.0).contains(d)) {
        bail!("--max-distance {distance}: a cosine distance is within 0..2");
    }
    if let Some(threshold) = args.oos_threshold.filter(|t| !(0.0..=1.0).contains(t)) {
        bail!("--oos-threshold {threshold}: a confidence is within 0..1");
    }
    if args.eval {
        return run_eval(&args);
    }
    let messages = match (&args.text, &args.store) {
        (Some(file), _) => read_lines(file)?,
        (None, Some(url)) => read_store(url, args.since)?,
        (None, None) => bail!("give --text FILE or --store URL"),
    };
    let encoder = args.sentence.load(args.backend.backend);
    let (parser, threshold, examples) = recognizer(&args, encoder.clone())?;
    let started = Instant::now();
    let best = parse_all(&parser, &messages);
    let unhandled: Vec<String> = messages.iter().zip(&best).filter(|(_, b)| !handled(b, threshold)).map(|(m, _)| m.clone()).collect();
    let parsed = started.elapsed();
    let embeddings = embed(encoder.as_deref(), &unhandled);
    let usual = sample(&examples);
    let usual_embeddings = embed(encoder.as_deref(), &usual);
    let background = Background { texts: &usual, embeddings: usual_embeddings.as_deref() };
    let encoded = started.elapsed();
    let spinner = spinner(format!("clustering {} messages", unhandled.len()));
    let settings = args.settings(embeddings.is_some());
    let found = discover(&unhandled, embeddings.as_deref(), background, &settings, parser.intents()).map_err(anyhow::Error::msg)?;
    spinner.finish_and_clear();
    eprintln!(
        "({} messages parsed in {:.1} s, {} not handled encoded in {:.1} s and clustered in {:.1} s)",
        messages.len(),
        parsed.as_secs_f64(),
        unhandled.len(),
        (encoded - parsed).as_secs_f64(),
        (started.elapsed() - encoded).as_secs_f64()
    );
    if args.json {
        return print_line(&to_json(&found, &unhandled, args.examples).to_string());
    }
    print_found(&found, &unhandled, messages.len(), &args)
}

/// The non-blank lines of `path`; a line that is not UTF-8 is an error naming it.
fn read_lines(path: &Path) -> anyhow::Result<Vec<String>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = Vec::new();
    for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let Ok(line) = std::str::from_utf8(line) else {
            bail!("{}:{}: the line is not UTF-8 text", path.display(), n + 1);
        };
        let line = line.trim_end_matches('\r');
        if !line.trim().is_empty() {
            lines.push(line.to_string());
        }
    }
    if lines.is_empty() {
        bail!("{}: no messages in it (one message a line)", path.display());
    }
    Ok(lines)
}

/// The user messages of every stored conversation (from `since` on) that were out of scope or
/// followed by a hand-off.
fn read_store(url: &str, since: Option<chrono::NaiveDate>) -> anyhow::Result<Vec<String>> {
    if let Some(path) = url.strip_prefix("sqlite:").map(|p| p.strip_prefix("//").unwrap_or(p))
        && !Path::new(path).is_file()
    {
        bail!("store {url}: no such file");
    }
    let since = since.map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp() as f64);
    let locks = server::LockSettings { ttl: Duration::from_secs(30), wait: Duration::from_secs(10) };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the async runtime")?;
    let shown = server::redacted(url);
    runtime.block_on(async {
        let store = server::Store::open(url, locks).await.with_context(|| format!("opening store {shown}"))?;
        let ids = store.ids().await.with_context(|| format!("listing the conversations in {shown}"))?;
        if ids.is_empty() {
            bail!("store {shown}: no conversations in it");
        }
        let bar = progress(ids.len(), "reading conversations");
        let mut messages = Vec::new();
        for id in &ids {
            let events = store.events(id).await.with_context(|| format!("reading conversation {id:?} in {shown}"))?;
            messages.extend(unhandled_in(&events, since));
            bar.inc(1);
        }
        bar.finish_and_clear();
        eprintln!("({} conversations: {} messages out of scope or handed off)", ids.len(), messages.len());
        Ok(messages)
    })
}

/// A conversation's user messages (at `since` or later) that the bot found out of scope, or
/// after which it handed the conversation off.
fn unhandled_in(events: &[Value], since: Option<f64>) -> Vec<String> {
    let mut taken = Vec::new();
    // The last user message, while it is not taken yet.
    let mut pending: Option<String> = None;
    for event in events {
        match event["event"].as_str() {
            Some("user") => {
                pending = None;
                let Some(text) = event["text"].as_str().filter(|t| !t.trim().is_empty()) else { continue };
                if since.is_some_and(|s| event["timestamp"].as_f64().unwrap_or(0.0) < s) {
                    continue;
                }
                if event["intent"].as_str() == Some(OUT_OF_SCOPE) {
                    taken.push(text.to_string());
                } else {
                    pending = Some(text.to_string());
                }
            }
            Some("handoff") => taken.extend(pending.take()),
            _ => {}
        }
    }
    taken
}

/// The recognizer, trained on --train, else the domain's (cached between runs, as chat's), the
/// confidence from which it handles a message, and its training examples.
fn recognizer(args: &Args, encoder: Option<Arc<dyn SentenceEncoder>>) -> anyhow::Result<(Parser, f32, Vec<String>)> {
    let spinner = spinner("training the recognizer".into());
    let trained = match &args.train {
        Some(file) => {
            let examples = load_jsonl(file)?;
            if examples.is_empty() {
                bail!("{}: no labelled messages in it", file.display());
            }
            let threshold = args.oos_threshold.unwrap_or(train_threshold(encoder.is_some()));
            let parser = Parser::train_with(&domain_from_examples(&examples, threshold), encoder)?;
            (parser, threshold, examples.into_iter().map(|e| e.text).collect())
        }
        None => {
            let domain = args.domain.load()?;
            let threshold = args.oos_threshold.unwrap_or(domain.nlu.oos_threshold);
            let examples = domain.nlu.intents.values().flat_map(|intent| intent.plain_examples()).collect();
            (deskbot::Bot::with_models(domain, None, encoder)?.parser().clone(), threshold, examples)
        }
    };
    spinner.finish_and_clear();
    Ok(trained)
}

/// At most [`BACKGROUND`] of `examples`, evenly spread (so every intent has its share).
fn sample(examples: &[String]) -> Vec<String> {
    let n = examples.len().min(BACKGROUND);
    (0..n).map(|i| examples[i * examples.len() / n].clone()).collect()
}

/// Whether the recognizer handles a message whose best intent is `best`: in scope, and at
/// least `threshold` likely.
fn handled(best: &IntentScore, threshold: f32) -> bool {
    best.name != OUT_OF_SCOPE && best.name != OOS_LABEL && best.confidence >= threshold
}

/// The recognizer's best intent for each message (whatever its confidence), parsed on every core.
fn parse_all(parser: &Parser, messages: &[String]) -> Vec<IntentScore> {
    let bar = progress(messages.len(), "parsing");
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let chunk = messages.len().div_ceil(threads).max(1);
    let intents = std::thread::scope(|scope| {
        let parts: Vec<_> = messages
            .chunks(chunk)
            .map(|part| {
                let bar = &bar;
                scope.spawn(move || {
                    part.iter()
                        .map(|m| {
                            bar.inc(1);
                            let ranking = parser.parse(m).ranking;
                            ranking.into_iter().next().unwrap_or_else(|| IntentScore { name: OUT_OF_SCOPE.into(), confidence: 1.0 })
                        })
                        .collect::<Vec<IntentScore>>()
                })
            })
            .collect();
        parts.into_iter().flat_map(|p| p.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    bar.finish_and_clear();
    intents
}

/// The encoder's vectors of `texts`, or `None` without an encoder (or when it fails: said on stderr).
fn embed(encoder: Option<&dyn SentenceEncoder>, texts: &[String]) -> Option<Vec<Vec<f32>>> {
    let encoder = encoder?;
    let bar = progress(texts.len(), "encoding");
    let mut vectors = Vec::with_capacity(texts.len());
    for batch in texts.chunks(ENCODE_BATCH) {
        let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
        match encoder.encode(&refs) {
            Ok(v) => vectors.extend(v),
            Err(why) => {
                bar.finish_and_clear();
                eprintln!("(clustering on n-grams alone: the sentence encoder failed: {why})");
                return None;
            }
        }
        bar.inc(batch.len() as u64);
    }
    bar.finish_and_clear();
    Some(vectors)
}

fn progress(len: usize, message: &'static str) -> ProgressBar {
    ProgressBar::new(len as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} {per_sec} ETA {eta}").expect("template"))
        .with_message(message)
}

fn spinner(message: String) -> ProgressBar {
    let spinner = ProgressBar::new_spinner().with_message(message);
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner
}

fn to_json(found: &Discovery, texts: &[String], examples: usize) -> Value {
    let clusters: Vec<Value> = found
        .clusters
        .iter()
        .map(|c| {
            let members: Vec<&str> = c.members.iter().map(|&m| texts[m].as_str()).collect();
            json!({"name": c.name, "size": c.size(), "members": members, "examples": c.examples(texts, examples)})
        })
        .collect();
    json!({"clusters": clusters, "unclustered": found.unclustered})
}

fn print_found(found: &Discovery, texts: &[String], total: usize, args: &Args) -> anyhow::Result<()> {
    let clustered: usize = found.clusters.iter().map(|c| c.size()).sum();
    print_line(&format!(
        "{total} messages: {} handled by the recognizer, {} not → {} clusters of {clustered} messages, {} unclustered (in groups under {})",
        total - texts.len(),
        texts.len(),
        found.clusters.len(),
        found.unclustered,
        args.min_size
    ))?;
    for (n, cluster) in found.clusters.iter().enumerate() {
        print_line(&format!("\n{}. {} ({} messages)", n + 1, cluster.name, cluster.size()))?;
        for example in cluster.examples(texts, args.examples) {
            print_line(&format!("   {example:?}"))?;
        }
        print_line("   nlu.ron:")?;
        for line in cluster.snippet(texts, SNIPPET_EXAMPLES.max(args.examples)).lines() {
            print_line(&format!("        {line}"))?;
        }
    }
    Ok(())
}

/// One way of running discovery that `--eval` scores.
struct Trial {
    oos_threshold: f32,
    settings: Settings,
    scores: Vec<Score>,
}

impl Trial {
    fn label(&self) -> String {
        format!(
            "--oos-threshold {:.2} --max-distance {:.2} --encoder-weight {}",
            self.oos_threshold, self.settings.max_distance, self.settings.encoder_weight
        )
    }
}

/// `--eval`: per seed, hide intents, train on the rest, discover them among as many known messages.
fn run_eval(args: &Args) -> anyhow::Result<()> {
    let (Some(train), Some(test)) = (&args.train, &args.test) else { bail!("--eval needs --train FILE and --test FILE") };
    let (train, test) = (load_jsonl(train)?, load_jsonl(test)?);
    let encoder = args.sentence.load(args.backend.backend);
    let mut trials = trials(args, encoder.is_some());
    for &seed in &args.seeds {
        let split = hide_intents(&train, &test, args.hide, seed).map_err(anyhow::Error::msg)?;
        let parsed = Parsed::new(&split, encoder.clone())?;
        print_line(&format!("seed {seed}: hidden {} (recognizer trained in {:.1} s)", split.hidden.join(", "), parsed.trained.as_secs_f64()))?;
        let mut thresholds: Vec<f32> = trials.iter().map(|t| t.oos_threshold).collect();
        thresholds.dedup();
        for threshold in thresholds {
            let (hidden, known): (Vec<usize>, Vec<usize>) = parsed.not_handled(threshold).into_iter().partition(|&i| parsed.is_hidden(i));
            print_line(&format!(
                "  below --oos-threshold {threshold:.2}: {} of {} messages not handled ({} of the hidden intents', {} of the known ones')",
                hidden.len() + known.len(),
                parsed.texts.len(),
                hidden.len(),
                known.len()
            ))?;
        }
        for trial in &mut trials {
            let clustering = Instant::now();
            let result = parsed.score(trial)?;
            if !args.sweep {
                print_line(&format!("  {} (clustered in {:.2} s)", describe(&result), clustering.elapsed().as_secs_f64()))?;
                print_recovered(&result)?;
            }
            trial.scores.push(result);
        }
    }
    print_summary(args, &trials)
}

/// One seed's messages as the recognizer trained without the hidden intents saw them.
struct Parsed<'a> {
    split: &'a Split,
    texts: Vec<String>,
    best: Vec<IntentScore>,
    embeddings: Option<Vec<Vec<f32>>>,
    usual: Vec<String>,
    usual_embeddings: Option<Vec<Vec<f32>>>,
    intents: Vec<String>,
    trained: Duration,
}

impl<'a> Parsed<'a> {
    /// Trains the recognizer on the split's training part (threshold 0: each trial applies its
    /// own), and parses and encodes its messages and a background sample of the training part.
    fn new(split: &'a Split, encoder: Option<Arc<dyn SentenceEncoder>>) -> anyhow::Result<Self> {
        let started = Instant::now();
        let spinner = spinner(format!("training the recognizer on {} messages", split.train.len()));
        let parser = Parser::train_with(&domain_from_examples(&split.train, 0.0), encoder.clone())?;
        spinner.finish_and_clear();
        let trained = started.elapsed();
        let texts: Vec<String> = split.messages.iter().map(|e| e.text.clone()).collect();
        let usual = sample(&split.train.iter().map(|e| e.text.clone()).collect::<Vec<_>>());
        Ok(Self {
            best: parse_all(&parser, &texts),
            embeddings: embed(encoder.as_deref(), &texts),
            usual_embeddings: embed(encoder.as_deref(), &usual),
            usual,
            texts,
            intents: parser.intents().to_vec(),
            split,
            trained,
        })
    }

    fn is_hidden(&self, i: usize) -> bool {
        self.split.hidden.contains(&self.split.messages[i].intent)
    }

    /// The messages not handled at `threshold`.
    fn not_handled(&self, threshold: f32) -> Vec<usize> {
        (0..self.texts.len()).filter(|&i| !handled(&self.best[i], threshold)).collect()
    }

    /// Discovery as `trial` runs it, scored against the messages' intents.
    fn score(&self, trial: &Trial) -> anyhow::Result<Score> {
        let unhandled = self.not_handled(trial.oos_threshold);
        let texts: Vec<String> = unhandled.iter().map(|&i| self.texts[i].clone()).collect();
        let vectors: Option<Vec<Vec<f32>>> = self.embeddings.as_ref().map(|e| unhandled.iter().map(|&i| e[i].clone()).collect());
        let background = Background { texts: &self.usual, embeddings: self.usual_embeddings.as_deref() };
        let found = discover(&texts, vectors.as_deref(), background, &trial.settings, &self.intents).map_err(anyhow::Error::msg)?;
        let label = |m: usize| self.split.messages[unhandled[m]].intent.as_str();
        let clusters: Vec<Vec<&str>> = found.clusters.iter().map(|c| c.members.iter().map(|&m| label(m)).collect()).collect();
        let labels: Vec<&str> = self.split.messages.iter().map(|e| e.intent.as_str()).collect();
        let not_handled: Vec<&str> = (0..unhandled.len()).map(label).collect();
        Ok(score(&clusters, &labels, &not_handled, &self.split.hidden))
    }
}

/// Each trial's results over the seeds.
fn print_summary(args: &Args, trials: &[Trial]) -> anyhow::Result<()> {
    print_line(&format!("over {} seeds (hiding {} intents each):", args.seeds.len(), args.hide))?;
    for trial in trials {
        let mean = |f: &dyn Fn(&Score) -> f64| trial.scores.iter().map(f).sum::<f64>() / trial.scores.len().max(1) as f64;
        let clean: Vec<String> = trial.scores.iter().map(|s| s.clean().to_string()).collect();
        print_line(&format!(
            "  {}clean {} of {} (mean {:.1}), mean purity {:.3}, known messages clustered {:.1} %",
            if args.sweep { format!("at {}: ", trial.label()) } else { String::new() },
            clean.join(", "),
            args.hide,
            mean(&|s| s.clean() as f64),
            mean(&|s| s.mean_purity),
            100.0 * mean(&|s| s.known_clustered_share())
        ))?;
    }
    Ok(())
}

/// The trials to score: the settings given, or with --sweep a grid around them.
fn trials(args: &Args, with_encoder: bool) -> Vec<Trial> {
    let trial = |oos_threshold, settings| Trial { oos_threshold, settings, scores: Vec::new() };
    if !args.sweep {
        return vec![trial(args.oos_threshold.unwrap_or(train_threshold(with_encoder)), args.settings(with_encoder))];
    }
    let weights: &[f32] = if with_encoder { &SWEEP_WEIGHTS } else { &[0.0] };
    let mut trials = Vec::new();
    for &oos_threshold in &SWEEP_THRESHOLDS {
        for &encoder_weight in weights {
            for &max_distance in &SWEEP_DISTANCES {
                trials.push(trial(oos_threshold, Settings { max_distance, encoder_weight, min_size: args.min_size }));
            }
        }
    }
    trials
}

fn describe(result: &Score) -> String {
    format!(
        "{} clusters, mean purity {:.3}; hidden intents clean: {} of {}; known messages clustered: {} of {} ({:.1} %)",
        result.clusters,
        result.mean_purity,
        result.clean(),
        result.hidden.len(),
        result.known_clustered,
        result.known,
        100.0 * result.known_clustered_share()
    )
}

fn print_recovered(result: &Score) -> anyhow::Result<()> {
    for r in &result.hidden {
        print_line(&format!(
            "    {} {}: {} of {} not handled, {} in a cluster of {}",
            if r.clean() { "✓" } else { "✗" },
            r.intent,
            r.not_handled,
            r.messages,
            r.in_cluster,
            r.cluster_size
        ))?;
    }
    Ok(())
}
