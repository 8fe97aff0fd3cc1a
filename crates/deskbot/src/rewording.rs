//! Which responses are still worth a rewording: generating one costs a model run (tens to
//! hundreds of milliseconds on a CPU), and for most responses of a domain the guard refuses
//! nearly every rewording the model offers. The gate learns, per response, from what the guard
//! did with the rewordings so far — per bot, so per model and domain — and stops asking for
//! those that keep failing, trying one again now and then in case the conversation makes it
//! pass.

use std::collections::HashMap;
use std::sync::Mutex;

/// Rewordings tried for a response before its record decides.
const TRIALS: u32 = 8;
/// The share of rewordings that must pass for a response to keep being reworded.
const MIN_PASS_RATE: f64 = 0.05;
/// A response that fell below the rate is still tried once in this many renders.
const RETRY_EVERY: u32 = 50;

/// One response's record.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Record {
    tried: u32,
    passed: u32,
    /// Renders without a rewording since the last one tried.
    skipped: u32,
}

impl Record {
    fn worth_trying(&self) -> bool {
        self.tried < TRIALS || f64::from(self.passed) >= MIN_PASS_RATE * f64::from(self.tried) || self.skipped + 1 >= RETRY_EVERY
    }
}

/// Per-response records, shared by every conversation of a bot.
#[derive(Debug, Default)]
pub struct RewordingGate {
    records: Mutex<HashMap<String, Record>>,
}

impl RewordingGate {
    /// Whether to ask the model to reword `response` this time; a "no" counts toward the next
    /// retry.
    pub fn admit(&self, response: &str) -> bool {
        let mut records = self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let record = records.entry(response.to_string()).or_default();
        let admit = record.worth_trying();
        if !admit {
            record.skipped += 1;
        }
        admit
    }

    /// What became of a rewording of `response` that was asked for: used (`passed`), or
    /// refused by the guard / not offered at all.
    pub fn record(&self, response: &str, passed: bool) {
        let mut records = self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let record = records.entry(response.to_string()).or_default();
        record.tried += 1;
        record.passed += u32::from(passed);
        record.skipped = 0;
    }

    /// (tried, passed) for `response`, for reports.
    pub fn tally(&self, response: &str) -> (u32, u32) {
        let records = self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        records.get(response).map_or((0, 0), |r| (r.tried, r.passed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(gate: &RewordingGate, response: &str, passes: bool) -> bool {
        let admitted = gate.admit(response);
        if admitted {
            gate.record(response, passes);
        }
        admitted
    }

    #[test]
    fn a_response_whose_rewordings_keep_failing_is_tried_only_now_and_then() {
        let gate = RewordingGate::default();
        let admitted: Vec<bool> = (0..TRIALS + 2 * RETRY_EVERY).map(|_| render(&gate, "greet", false)).collect();
        assert!(admitted[..TRIALS as usize].iter().all(|&a| a), "the first trials are always made");
        let later = admitted[TRIALS as usize..].iter().filter(|&&a| a).count();
        assert_eq!(later, 2, "one retry per {RETRY_EVERY} renders after that");
        assert_eq!(gate.tally("greet"), (TRIALS + 2, 0));
    }

    #[test]
    fn a_response_whose_rewordings_pass_often_enough_keeps_being_reworded() {
        let gate = RewordingGate::default();
        // One in ten passes: above the 5 % floor.
        assert!((0..200).all(|i| render(&gate, "order_status_result", i % 10 == 0)));
        // Another response's record is its own.
        let admitted = (0..TRIALS + 5).filter(|_| render(&gate, "goodbye", false)).count();
        assert_eq!(admitted, TRIALS as usize);
    }

    #[test]
    fn a_retry_that_passes_reopens_the_response() {
        let gate = RewordingGate::default();
        (0..TRIALS).for_each(|_| gate.record("faq_hours", false));
        assert!(!gate.admit("faq_hours"));
        gate.record("faq_hours", true);
        assert!(gate.admit("faq_hours"), "1 of {} passed: above the floor", TRIALS + 1);
    }
}
