//! Intent discovery: the requests a bot does not handle yet, grouped into ready-to-use intents
//! (`deskbot discover`).
//!
//! [`discover`] takes the messages the recognizer did not handle confidently and returns their
//! clusters, largest first, each with a name ([`naming`]), its members (the most typical —
//! closest to the cluster's centroid — first) and an `nlu.ron` entry ([`Cluster::snippet`]).
//! Groups smaller than [`Settings::min_size`] are left out and counted.
//!
//! A message's vector joins two views, each of unit length before weighting: TF-IDF character
//! n-grams and words (the recognizer's [`Featurizer`], fitted on these messages, hashed to
//! [`NGRAM_DIMS`] dimensions so that distances are dense dot products, and centred: what most
//! messages share says nothing about what one asks), and, when there is a sentence encoder, its
//! vector standardised over these messages (as the recognizer does: encoders share a large
//! common direction). Both are fitted on the messages clustered together with a [`Background`]
//! of the messages a desk usually gets. Identical messages (same words) are one point of that weight.
//! [`clustering`] is average linkage over cosine distances, cut at [`Settings::max_distance`]:
//! the number of clusters follows from the data. The defaults were chosen on CLINC150 with
//! hidden intents (seeds other than the ones the README reports).
//!
//! [`eval`] measures all this on labelled data by hiding intents from the recognizer.

mod clustering;
pub mod eval;
mod naming;

use std::collections::{HashMap, HashSet};

use crate::encoder::DenseFeatures;
use crate::features::{Featurizer, Vector, words};

/// Dimensions the n-gram vectors are hashed to.
pub const NGRAM_DIMS: usize = 512;

/// Default cut with the sentence encoder: clusters join while their messages are on average
/// at most this far apart.
pub const MAX_DISTANCE: f32 = 0.8;

/// Default cut on n-grams alone (paraphrases share fewer n-grams than meaning).
pub const NGRAM_MAX_DISTANCE: f32 = 0.95;

/// Default weight of the sentence encoder's part, relative to the n-grams'.
pub const ENCODER_WEIGHT: f32 = 2.0;

/// The most different messages [`discover`] takes at once: the distances between them take
/// 2 × n² bytes (800 MB here).
pub const MAX_MESSAGES: usize = 20_000;

/// How messages are grouped.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Two groups join while the mean cosine distance between their messages is at most this
    /// (0: identical, 1: nothing in common).
    pub max_distance: f32,
    /// Groups of fewer messages are no cluster (their messages count as unclustered).
    pub min_size: usize,
    /// The sentence encoder's share of a vector relative to the n-grams' (1: equal).
    pub encoder_weight: f32,
}

impl Settings {
    /// The defaults, for vectors with the sentence encoder's part or without.
    pub fn new(with_encoder: bool) -> Self {
        let max_distance = if with_encoder { MAX_DISTANCE } else { NGRAM_MAX_DISTANCE };
        Self { max_distance, min_size: 3, encoder_weight: ENCODER_WEIGHT }
    }
}

/// A group of similar messages: a candidate intent.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// A snake_case name from the cluster's most distinctive words.
    pub name: String,
    /// Indices of the messages, the most typical first (identical messages next to each other).
    pub members: Vec<usize>,
}

/// Messages like the ones a desk usually gets (a sample of the recognizer's training examples
/// serves), with their sentence-encoder vectors when there is an encoder. The vectors'
/// vocabulary, IDF, mean and scale are fitted on them together with the messages clustered, and
/// names are made of words rare among them: what all of a desk's messages share then counts for
/// nothing, even when the messages to cluster are few and alike.
#[derive(Debug, Clone, Copy, Default)]
pub struct Background<'a> {
    pub texts: &'a [String],
    pub embeddings: Option<&'a [Vec<f32>]>,
}

/// What [`discover`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovery {
    /// Largest first.
    pub clusters: Vec<Cluster>,
    /// Messages in no cluster (in groups smaller than the minimum size).
    pub unclustered: usize,
}

impl Cluster {
    pub fn size(&self) -> usize {
        self.members.len()
    }

    /// The `n` most typical texts of the cluster, one of each wording (case and punctuation aside).
    pub fn examples<'a>(&self, texts: &'a [String], n: usize) -> Vec<&'a str> {
        let mut seen = HashSet::new();
        self.members.iter().map(|&m| texts[m].as_str()).filter(|t| seen.insert(wording(t))).take(n).collect()
    }

    /// The cluster as an intent entry of `nlu.ron`, with its `n` most typical examples.
    pub fn snippet(&self, texts: &[String], n: usize) -> String {
        let mut entry = format!("{:?}: (examples: [\n", self.name);
        for example in self.examples(texts, n) {
            entry.push_str(&format!("    {:?},\n", example.trim()));
        }
        entry.push_str("]),");
        entry
    }
}

/// Groups `texts` (with their sentence-encoder vectors, one per text, when there is an
/// encoder) against a `background` into clusters named apart from each other and from `taken`
/// (the domain's intents). Fails when there are more than [`MAX_MESSAGES`] different texts, or
/// not one vector a text.
pub fn discover(
    texts: &[String],
    embeddings: Option<&[Vec<f32>]>,
    background: Background,
    settings: &Settings,
    taken: &[String],
) -> Result<Discovery, String> {
    for (vectors, texts) in [(embeddings, texts), (background.embeddings, background.texts)] {
        if let Some(vectors) = vectors.filter(|v| v.len() != texts.len()) {
            return Err(format!("{} sentence vectors for {} messages", vectors.len(), texts.len()));
        }
    }
    let points = Points::of(texts);
    if points.occurrences.len() > MAX_MESSAGES {
        return Err(format!(
            "{} different messages to cluster: at most {MAX_MESSAGES} at once (their distances take 2 × n² bytes)",
            points.occurrences.len()
        ));
    }
    let representatives: Vec<&str> = points.occurrences.iter().map(|o| texts[o[0]].as_str()).collect();
    let point_embeddings: Option<Vec<Vec<f32>>> = embeddings.map(|e| points.occurrences.iter().map(|o| e[o[0]].clone()).collect());
    let vectors = vectors(&representatives, point_embeddings.as_deref(), background, settings.encoder_weight);
    let weights: Vec<f32> = points.occurrences.iter().map(|o| o.len() as f32).collect();
    let labels = clustering::average_linkage(&vectors, &weights, settings.max_distance);
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); labels.iter().max().map_or(0, |m| m + 1)];
    for (point, &label) in labels.iter().enumerate() {
        groups[label].push(point);
    }
    let size = |group: &[usize]| group.iter().map(|&p| points.occurrences[p].len()).sum::<usize>();
    let (kept, left): (Vec<Vec<usize>>, Vec<Vec<usize>>) = groups.into_iter().partition(|g| size(g) >= settings.min_size.max(1));
    let all = naming::WordCounts::of(
        representatives.iter().copied().zip(weights.iter().copied()).chain(background.texts.iter().map(|t| (t.as_str(), 1.0))),
    );
    let mut names: HashSet<String> = taken.iter().cloned().collect();
    let mut clusters: Vec<Cluster> = kept
        .into_iter()
        .map(|group| {
            let typical = by_typicality(&group, &vectors, &weights);
            let members: Vec<(&str, f32)> = typical.iter().map(|&p| (representatives[p], weights[p])).collect();
            let name = naming::name(&members, &all, &mut names);
            Cluster { name, members: typical.iter().flat_map(|&p| points.occurrences[p].iter().copied()).collect() }
        })
        .collect();
    clusters.sort_by(|a, b| b.size().cmp(&a.size()).then(a.members.iter().min().cmp(&b.members.iter().min())));
    Ok(Discovery { clusters, unclustered: left.iter().map(|g| size(g)).sum() })
}

/// What makes two texts the same message: their words (case and punctuation aside), or for a
/// text without words, the text.
fn wording(text: &str) -> String {
    let said = words(text);
    if said.is_empty() { format!("\u{0}{}", text.trim()) } else { said.join(" ") }
}

/// The distinct messages: indices of the texts each stands for (first occurrence first).
struct Points {
    occurrences: Vec<Vec<usize>>,
}

impl Points {
    /// Texts of the same [`wording`] are one point.
    fn of(texts: &[String]) -> Self {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut occurrences: Vec<Vec<usize>> = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let point = *index.entry(wording(text)).or_insert_with(|| {
                occurrences.push(Vec::new());
                occurrences.len() - 1
            });
            occurrences[point].push(i);
        }
        Self { occurrences }
    }
}

/// Unit-length vectors of `texts`: hashed n-grams, followed by the standardised `embeddings`
/// at `weight` (relative to the n-grams' 1), both fitted on the texts and the background.
fn vectors(texts: &[&str], embeddings: Option<&[Vec<f32>]>, background: Background, weight: f32) -> Vec<Vec<f32>> {
    let fitted_on: Vec<String> = texts.iter().map(|t| t.to_string()).chain(background.texts.iter().cloned()).collect();
    let featurizer = Featurizer::fit(&fitted_on);
    let mut ngrams: Vec<Vec<f32>> = fitted_on.iter().map(|text| hashed(&featurizer.transform(text))).collect();
    centre(&mut ngrams);
    ngrams.truncate(texts.len());
    let dense = embeddings.filter(|e| !e.is_empty() && weight > 0.0).map(|e| {
        let all: Vec<Vec<f32>> = e.iter().chain(background.embeddings.unwrap_or_default()).cloned().collect();
        DenseFeatures::fit(&all, weight)
    });
    ngrams
        .into_iter()
        .enumerate()
        .map(|(i, ngrams)| {
            let sparse: Vector = ngrams.iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(id, v)| (id as u32, *v)).collect();
            let Some(dense) = &dense else { return ngrams };
            let mut joined = vec![0.0; NGRAM_DIMS + dense.dim()];
            let embedding = embeddings.map(|e| e[i].as_slice());
            for (id, v) in dense.append(sparse, NGRAM_DIMS as u32, embedding) {
                joined[id as usize] = v;
            }
            joined
        })
        .collect()
}

/// A sparse vector folded into [`NGRAM_DIMS`] dimensions, each feature with a sign of its own
/// (so that collisions cancel out on average), rescaled to unit length.
fn hashed(sparse: &Vector) -> Vec<f32> {
    let mut folded = vec![0.0f32; NGRAM_DIMS];
    for &(id, value) in sparse {
        let h = (u64::from(id) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let sign = if h >> 63 == 1 { -1.0 } else { 1.0 };
        folded[(h >> 40) as usize % NGRAM_DIMS] += sign * value;
    }
    let norm = clustering::dot(&folded, &folded).sqrt();
    if norm > 0.0 {
        folded.iter_mut().for_each(|x| *x /= norm);
    }
    folded
}

/// Subtracts the vectors' mean (what most messages share says nothing about what one asks) and
/// rescales each to unit length.
fn centre(vectors: &mut [Vec<f32>]) {
    let dim = vectors.first().map_or(0, Vec::len);
    let mut mean = vec![0.0f32; dim];
    for v in vectors.iter() {
        mean.iter_mut().zip(v).for_each(|(m, x)| *m += x / vectors.len() as f32);
    }
    for v in vectors.iter_mut() {
        v.iter_mut().zip(&mean).for_each(|(x, m)| *x -= m);
        let norm = clustering::dot(v, v).sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
    }
}

/// The group's points, closest to the group's (weighted) centroid first.
fn by_typicality(group: &[usize], vectors: &[Vec<f32>], weights: &[f32]) -> Vec<usize> {
    let dim = vectors.first().map_or(0, Vec::len);
    let mut centroid = vec![0.0f32; dim];
    for &p in group {
        centroid.iter_mut().zip(&vectors[p]).for_each(|(c, x)| *c += weights[p] * x);
    }
    let closeness: Vec<(usize, f32)> = group.iter().map(|&p| (p, clustering::dot(&vectors[p], &centroid))).collect();
    let mut ordered = closeness;
    ordered.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ordered.into_iter().map(|(p, _)| p).collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::NluDomain;

    fn strings(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    const PETS: [&str; 4] = ["can i bring my dog to the office", "is my dog allowed in the office", "dog in the office?", "office dog policy"];
    const PARKING: [&str; 4] =
        ["how do i renew my parking permit", "renew my parking permit", "my parking permit expired, how do i renew it", "parking permit renewal"];

    #[test]
    fn two_groups_come_back_as_two_named_clusters_and_a_stray_message_is_left_out() {
        let texts = strings(&[&PETS[..], &PARKING[..], &["what's the weather on mars"][..]].concat());
        let found = discover(&texts, None, Background::default(), &Settings::new(false), &[]).unwrap();
        let groups: Vec<(String, Vec<usize>)> = found
            .clusters
            .iter()
            .map(|c| {
                let mut members = c.members.clone();
                members.sort();
                (c.name.clone(), members)
            })
            .collect();
        assert_eq!(groups, vec![("dog_office".to_string(), vec![0, 1, 2, 3]), ("renew_parking_permit".to_string(), vec![4, 5, 6, 7])]);
        assert_eq!(found.unclustered, 1);
        // The least typical message is the one that shares the least with the others.
        assert_eq!(found.clusters[1].examples(&texts, 4).last(), Some(&"parking permit renewal"));
    }

    #[test]
    fn a_few_alike_messages_are_one_cluster_against_the_desks_usual_messages() {
        let usual = strings(&[
            "where is my order",
            "i want a refund",
            "change my delivery address",
            "hello",
            "cancel my order",
            "talk to a person",
            "my order arrived broken",
            "track my parcel",
            "thanks, bye",
            "how much is shipping",
        ]);
        let background = Background { texts: &usual, embeddings: None };
        let found = discover(&strings(&PETS), None, background, &Settings::new(false), &[]).unwrap();
        assert_eq!(found.clusters.len(), 1, "{found:?}");
        assert_eq!((found.clusters[0].size(), found.clusters[0].name.as_str()), (4, "dog_office"));
        // Vectors must match their texts.
        let one = [vec![1.0]];
        assert!(discover(&strings(&PETS), None, Background { texts: &usual, embeddings: Some(&one) }, &Settings::new(true), &[]).is_err());
    }

    #[test]
    fn repeated_messages_count_and_small_groups_are_unclustered() {
        let texts = strings(&["Reset my VPN token!", "reset my vpn token", "reset my VPN token?", "print the menu", "print menu"]);
        let found = discover(&texts, None, Background::default(), &Settings::new(false), &["vpn_token".to_string()]).unwrap();
        assert_eq!(found.clusters.len(), 1, "{found:?}");
        assert_eq!(found.clusters[0].size(), 3);
        // One distinct text, and the domain's intent name is not reused.
        assert_eq!(found.clusters[0].examples(&texts, 5), vec!["Reset my VPN token!"]);
        assert_eq!(found.clusters[0].name, "reset_vpn_token");
        assert_eq!(found.unclustered, 2);
        let stricter = discover(&texts, None, Background::default(), &Settings { min_size: 4, ..Settings::new(false) }, &[]).unwrap();
        assert_eq!((stricter.clusters.len(), stricter.unclustered), (0, 5));
    }

    #[test]
    fn sentence_vectors_join_messages_that_share_no_words() {
        let texts = strings(&["cancel it", "stop that", "abort", "hello", "hi there", "good morning"]);
        // Made-up encoder vectors: the first three say one thing, the others another.
        let embeddings: Vec<Vec<f32>> = (0..6).map(|i| if i < 3 { vec![1.0, 0.1 * i as f32] } else { vec![-1.0, 0.1 * i as f32] }).collect();
        assert_eq!(discover(&texts, None, Background::default(), &Settings::new(false), &[]).unwrap().clusters.len(), 0);
        let found = discover(&texts, Some(&embeddings), Background::default(), &Settings::new(true), &[]).unwrap();
        let mut sizes: Vec<Vec<usize>> = found.clusters.iter().map(|c| c.members.clone()).collect();
        sizes.iter_mut().for_each(|m| m.sort());
        sizes.sort();
        assert_eq!(sizes, vec![vec![0, 1, 2], vec![3, 4, 5]]);
    }

    #[test]
    fn the_snippet_is_an_intent_entry_that_nlu_ron_reads() {
        let texts = strings(&["say \"hi\" to \\ me", "出\t发票", "it's fine", "It's fine!"]);
        let cluster = Cluster { name: "odd_quotes".into(), members: vec![0, 1, 2, 0, 3] };
        let snippet = cluster.snippet(&texts, 10);
        let domain = NluDomain::from_str(Path::new("nlu.ron"), &format!("Nlu(intents: {{\n{snippet}\n}})")).unwrap();
        // "It's fine!" is the same wording as "it's fine": one example.
        assert_eq!(domain.intents["odd_quotes"].examples, texts[..3]);
        assert_eq!(cluster.examples(&texts, 2), vec!["say \"hi\" to \\ me", "出\t发票"]);
    }

    #[test]
    fn no_messages_no_clusters() {
        assert_eq!(
            discover(&[], None, Background::default(), &Settings::new(false), &[]).unwrap(),
            Discovery { clusters: Vec::new(), unclustered: 0 }
        );
        let one = discover(&strings(&["🙂"]), None, Background::default(), &Settings::new(false), &[]).unwrap();
        assert_eq!((one.clusters.len(), one.unclustered), (0, 1));
    }
}
