//! Measuring discovery on labelled data: some intents (chosen by a seed) are hidden from the
//! recognizer's training; their test messages, mixed with as many messages of known intents,
//! should come back as clean clusters while the known ones stay out of clusters.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::eval::{Example, OOS_LABEL};

/// A hidden intent comes back clean when one cluster is at least this share its messages...
pub const CLEAN_PURITY: f64 = 0.7;
/// ...and holds at least this share of its messages.
pub const CLEAN_RECALL: f64 = 0.5;

/// Training data without the hidden intents, and the messages to discover them in.
#[derive(Debug, Clone)]
pub struct Split {
    pub train: Vec<Example>,
    /// The hidden intents' test messages and as many of known intents' (not `oos`), shuffled.
    pub messages: Vec<Example>,
    /// Sorted.
    pub hidden: Vec<String>,
}

/// Hides `count` of the training intents (never `oos`), chosen by `seed`.
pub fn hide_intents(train: &[Example], test: &[Example], count: usize, seed: u64) -> Result<Split, String> {
    let mut intents: Vec<&str> = train.iter().map(|e| e.intent.as_str()).filter(|i| *i != OOS_LABEL).collect();
    intents.sort_unstable();
    intents.dedup();
    if count == 0 || count >= intents.len() {
        return Err(format!("cannot hide {count} of {} intents: at least one must be hidden and one kept", intents.len()));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    intents.shuffle(&mut rng);
    let mut hidden: Vec<String> = intents[..count].iter().map(|i| i.to_string()).collect();
    hidden.sort();
    let is_hidden = |e: &&Example| hidden.contains(&e.intent);
    let mut messages: Vec<Example> = test.iter().filter(is_hidden).cloned().collect();
    if messages.is_empty() {
        return Err(format!("the test data has no messages of the hidden intents ({})", hidden.join(", ")));
    }
    let mut known: Vec<&Example> = test.iter().filter(|e| !is_hidden(e) && e.intent != OOS_LABEL).collect();
    known.shuffle(&mut rng);
    messages.extend(known.into_iter().take(messages.len()).cloned());
    messages.shuffle(&mut rng);
    let train = train.iter().filter(|e| !is_hidden(e)).cloned().collect();
    Ok(Split { train, messages, hidden })
}

/// How one hidden intent came back: its best cluster (the one holding most of its messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Recovered {
    pub intent: String,
    /// Its messages among the test messages.
    pub messages: usize,
    /// Of them, the ones the recognizer did not handle (the others cannot be discovered).
    pub not_handled: usize,
    /// Of them, in its best cluster.
    pub in_cluster: usize,
    /// The best cluster's size (0: none of its messages was clustered).
    pub cluster_size: usize,
}

impl Recovered {
    pub fn clean(&self) -> bool {
        self.cluster_size > 0
            && self.in_cluster as f64 >= CLEAN_PURITY * self.cluster_size as f64
            && self.in_cluster as f64 >= CLEAN_RECALL * self.messages as f64
    }
}

/// The scores of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Per hidden intent, sorted by name.
    pub hidden: Vec<Recovered>,
    pub clusters: usize,
    /// Mean over clusters of the share of the cluster's most common intent (0 without clusters).
    pub mean_purity: f64,
    /// Known-intent messages among the test messages, and how many of them were clustered.
    pub known: usize,
    pub known_clustered: usize,
}

impl Score {
    pub fn clean(&self) -> usize {
        self.hidden.iter().filter(|r| r.clean()).count()
    }

    pub fn known_clustered_share(&self) -> f64 {
        self.known_clustered as f64 / self.known.max(1) as f64
    }
}

/// Scores `clusters` (each its members' labels) found among the messages labelled `labels`,
/// of which the recognizer did not handle those labelled `not_handled`.
pub fn score(clusters: &[Vec<&str>], labels: &[&str], not_handled: &[&str], hidden: &[String]) -> Score {
    let is_hidden = |label: &str| hidden.iter().any(|h| h == label);
    let counts: Vec<BTreeMap<&str, usize>> = clusters
        .iter()
        .map(|members| {
            let mut count = BTreeMap::new();
            members.iter().for_each(|m| *count.entry(*m).or_default() += 1);
            count
        })
        .collect();
    let recovered = hidden
        .iter()
        .map(|intent| {
            let best =
                clusters.iter().zip(&counts).max_by_key(|(members, count)| (count.get(intent.as_str()).copied(), std::cmp::Reverse(members.len())));
            let (in_cluster, cluster_size) = best.map_or((0, 0), |(m, c)| (c.get(intent.as_str()).copied().unwrap_or(0), m.len()));
            let cluster_size = if in_cluster == 0 { 0 } else { cluster_size };
            let count = |labels: &[&str]| labels.iter().filter(|l| *l == intent).count();
            Recovered { intent: intent.clone(), messages: count(labels), not_handled: count(not_handled), in_cluster, cluster_size }
        })
        .collect();
    let purities: Vec<f64> =
        clusters.iter().zip(&counts).map(|(m, c)| c.values().copied().max().unwrap_or(0) as f64 / m.len().max(1) as f64).collect();
    Score {
        hidden: recovered,
        clusters: clusters.len(),
        mean_purity: purities.iter().sum::<f64>() / purities.len().max(1) as f64,
        known: labels.iter().filter(|l| !is_hidden(l)).count(),
        known_clustered: clusters.iter().flatten().filter(|l| !is_hidden(l)).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(intents: &[(&str, usize)]) -> Vec<Example> {
        intents.iter().flat_map(|(intent, n)| (0..*n).map(move |i| Example::new(format!("{intent} {i}"), *intent))).collect()
    }

    #[test]
    fn hidden_intents_leave_training_and_come_back_with_as_many_known_messages() {
        let intents: Vec<(String, usize)> = (0..12).map(|i| (format!("intent{i:02}"), 5)).collect();
        let intents: Vec<(&str, usize)> = intents.iter().map(|(i, n)| (i.as_str(), *n)).chain([(OOS_LABEL, 5)]).collect();
        let (train, test) = (examples(&intents), examples(&intents));
        let split = hide_intents(&train, &test, 3, 1).unwrap();
        assert_eq!(split.hidden.len(), 3);
        assert!(split.train.iter().all(|e| !split.hidden.contains(&e.intent)));
        assert_eq!(split.train.len(), 65 - 15);
        let hidden_messages = split.messages.iter().filter(|e| split.hidden.contains(&e.intent)).count();
        assert_eq!((hidden_messages, split.messages.len()), (15, 30));
        assert!(split.messages.iter().all(|e| e.intent != OOS_LABEL));
        // The seed decides which; the same seed the same ones.
        assert_eq!(hide_intents(&train, &test, 3, 1).unwrap().hidden, split.hidden);
        assert_ne!(hide_intents(&train, &test, 3, 2).unwrap().hidden, split.hidden);
        assert!(hide_intents(&train, &test, 12, 1).is_err());
    }

    #[test]
    fn a_hidden_intent_is_clean_when_one_cluster_is_mostly_it_and_holds_half_of_it() {
        let hidden = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let mut labels = vec!["a"; 10];
        labels.extend(["b"; 10]);
        labels.extend(["c"; 4]);
        labels.extend(["k"; 24]);
        let clusters = vec![
            // 7 of 10 a's, 70 % pure: clean.
            [vec!["a"; 7], vec!["k"; 3]].concat(),
            // 4 of 10 b's: too few of them.
            vec!["b"; 4],
            vec!["b"; 4],
            // c is half of this cluster only.
            [vec!["c"; 3], vec!["k"; 3]].concat(),
        ];
        let not_handled: Vec<&str> = clusters.iter().flatten().copied().chain(["a"]).collect();
        let score = score(&clusters, &labels, &not_handled, &hidden);
        assert_eq!(score.clean(), 1);
        assert_eq!(score.hidden[1], Recovered { intent: "b".into(), messages: 10, not_handled: 8, in_cluster: 4, cluster_size: 4 });
        assert_eq!(score.hidden[0].not_handled, 8);
        assert!(!score.hidden[2].clean());
        assert_eq!((score.known, score.known_clustered), (24, 6));
        assert!((score.mean_purity - (0.7 + 1.0 + 1.0 + 0.5) / 4.0).abs() < 1e-9);
        let nothing = Recovered { intent: "a".into(), messages: 10, not_handled: 0, in_cluster: 0, cluster_size: 0 };
        assert_eq!(super::score(&[], &labels, &[], &hidden).hidden[0], nothing);
    }
}
