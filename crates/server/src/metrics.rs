//! `/metrics`: Prometheus counters and a turn-latency histogram.

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry, TextEncoder};

pub struct Metrics {
    registry: Registry,
    pub turns: IntCounter,
    pub turn_seconds: Histogram,
    /// By kind: bad_request, store, busy, conflict, action, render.
    pub errors: IntCounterVec,
    pub handoffs: IntCounter,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let turns = IntCounter::new("deskbot_turns_total", "User turns acknowledged (durably stored)").expect("metric");
        let buckets = vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
        let turn_seconds =
            Histogram::with_opts(HistogramOpts::new("deskbot_turn_duration_seconds", "Time from request to acknowledged turn").buckets(buckets))
                .expect("metric");
        let errors = IntCounterVec::new(Opts::new("deskbot_errors_total", "Errors by kind"), &["kind"]).expect("metric");
        let handoffs = IntCounter::new("deskbot_handoffs_total", "Conversations handed to a human agent").expect("metric");
        for collector in [
            Box::new(turns.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(turn_seconds.clone()),
            Box::new(errors.clone()),
            Box::new(handoffs.clone()),
        ] {
            registry.register(collector).expect("metric names are unique");
        }
        Self { registry, turns, turn_seconds, errors, handoffs }
    }

    pub fn error(&self, kind: &str) {
        self.errors.with_label_values(&[kind]).inc();
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("text encoding");
        String::from_utf8(out).expect("prometheus text is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
