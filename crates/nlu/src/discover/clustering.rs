//! Average-linkage agglomerative clustering over cosine distances, cut at a distance.
//!
//! Points are unit-length dense vectors, each with a weight (how many messages it stands for).
//! The distance between two clusters is the weighted mean distance between their points; two
//! clusters merge while that mean is at most the cut. The merges are found with the
//! nearest-neighbour chain (average linkage is reducible, so merging reciprocal nearest
//! neighbours gives the same tree as always merging the closest pair): O(n²) time over a
//! condensed distance matrix of n(n − 1)/2 floats. A cluster whose nearest neighbour is
//! farther than the cut never merges again (a merged cluster is never closer to it than both
//! of its parts were) and leaves the search, so the tree above the cut is never built.

/// The pairwise distances of n points: the upper triangle, row by row.
struct Distances {
    n: usize,
    values: Vec<f32>,
}

impl Distances {
    /// 1 − cosine between every pair of unit vectors, computed on every core.
    fn between(points: &[Vec<f32>]) -> Self {
        let n = points.len();
        let mut values = vec![0.0f32; n * n.saturating_sub(1) / 2];
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(n.max(1));
        let mut rest: &mut [f32] = &mut values;
        let mut row = 0;
        std::thread::scope(|scope| {
            for part in 0..threads {
                // Rows get shorter: each thread takes rows up to its share of the pairs.
                let end = row_where_share_ends(n, (part + 1) as f64 / threads as f64);
                let pairs: usize = (row..end).map(|i| n - i - 1).sum();
                let (mine, others) = rest.split_at_mut(pairs);
                rest = others;
                let start = row;
                scope.spawn(move || fill_rows(points, start, end, mine));
                row = end;
            }
        });
        Self { n, values }
    }

    fn index(&self, i: usize, j: usize) -> usize {
        let (i, j) = if i < j { (i, j) } else { (j, i) };
        i * (2 * self.n - i - 1) / 2 + (j - i - 1)
    }

    fn get(&self, i: usize, j: usize) -> f32 {
        self.values[self.index(i, j)]
    }

    fn set(&mut self, i: usize, j: usize, value: f32) {
        let index = self.index(i, j);
        self.values[index] = value;
    }
}

/// The first row after the rows holding `share` of the pairs (rows 0.. hold n−1, n−2, … pairs).
fn row_where_share_ends(n: usize, share: f64) -> usize {
    if share >= 1.0 {
        return n;
    }
    let total = (n * n.saturating_sub(1) / 2) as f64;
    let mut covered = 0.0;
    for i in 0..n {
        covered += (n - i - 1) as f64;
        if covered >= share * total {
            return i + 1;
        }
    }
    n
}

/// Rows `start..end` of the upper triangle into `out`, in blocks of rows that stay in cache
/// while every later point streams past them once.
fn fill_rows(points: &[Vec<f32>], start: usize, end: usize, out: &mut [f32]) {
    const BLOCK: usize = 32;
    let n = points.len();
    // Where each row starts in `out`.
    let offsets: Vec<usize> = (start..end).scan(0, |at, i| Some(std::mem::replace(at, *at + n - i - 1))).collect();
    for block in (start..end).step_by(BLOCK) {
        let rows = block..(block + BLOCK).min(end);
        for j in rows.start + 1..n {
            for i in rows.clone().filter(|&i| i < j) {
                out[offsets[i - start] + (j - i - 1)] = 1.0 - dot(&points[i], &points[j]);
            }
        }
    }
}

/// The dot product, in eight running sums that the compiler keeps in vector registers.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0.0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8.remainder().iter().zip(b8.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a8.zip(b8) {
        for k in 0..8 {
            sums[k] += x[k] * y[k];
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// The cluster of every point (numbered from 0 in order of each cluster's first point) when
/// clusters merge while their average distance is at most `cut`.
pub(crate) fn average_linkage(points: &[Vec<f32>], weights: &[f32], cut: f32) -> Vec<usize> {
    let n = points.len();
    let mut distances = Distances::between(points);
    let mut weight = weights.to_vec();
    // Still in the search: neither merged into another cluster nor too far from all others.
    let mut searching = vec![true; n];
    let mut merged_into: Vec<usize> = (0..n).collect();
    let mut chain: Vec<usize> = Vec::new();
    let mut first = 0;
    loop {
        if chain.is_empty() {
            let Some(start) = (first..n).find(|&i| searching[i]) else { break };
            first = start;
            chain.push(start);
        }
        let top = chain[chain.len() - 1];
        let below = chain.len().checked_sub(2).map(|k| chain[k]);
        match nearest(&distances, &searching, top, below) {
            Some((next, distance)) if distance <= cut => {
                if Some(next) == below {
                    chain.truncate(chain.len() - 2);
                    merge(&mut distances, &mut weight, &searching, top, next);
                    searching[next] = false;
                    merged_into[next] = top;
                } else {
                    chain.push(next);
                }
            }
            // Every cluster on the chain is farther than the cut from all others.
            _ => chain.drain(..).for_each(|c| searching[c] = false),
        }
    }
    numbered(&merged_into)
}

/// The searching cluster nearest to `of`; on a tie, `below` (the chain's previous cluster),
/// so that reciprocal neighbours are recognised.
fn nearest(distances: &Distances, searching: &[bool], of: usize, below: Option<usize>) -> Option<(usize, f32)> {
    let mut best = below.map(|b| (b, distances.get(of, b)));
    for j in (0..distances.n).filter(|&j| j != of && searching[j]) {
        let d = distances.get(of, j);
        if best.is_none_or(|(_, bd)| d < bd) {
            best = Some((j, d));
        }
    }
    best
}

/// `b` joins `a`: `a`'s distance to every other searching cluster becomes the weighted mean.
fn merge(distances: &mut Distances, weight: &mut [f32], searching: &[bool], a: usize, b: usize) {
    let (wa, wb) = (weight[a], weight[b]);
    for k in (0..distances.n).filter(|&k| k != a && k != b && searching[k]) {
        let mean = (wa * distances.get(a, k) + wb * distances.get(b, k)) / (wa + wb);
        distances.set(a, k, mean);
    }
    weight[a] = wa + wb;
}

/// Follows each point's merges to its cluster, and numbers the clusters by first point.
fn numbered(merged_into: &[usize]) -> Vec<usize> {
    let root = |mut i: usize| {
        while merged_into[i] != i {
            i = merged_into[i];
        }
        i
    };
    let mut number = vec![usize::MAX; merged_into.len()];
    let mut next = 0;
    (0..merged_into.len())
        .map(|i| {
            let r = root(i);
            if number[r] == usize::MAX {
                number[r] = next;
                next += 1;
            }
            number[r]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn unit(v: Vec<f32>) -> Vec<f32> {
        let norm = dot(&v, &v).sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }

    /// Average linkage the slow way: merge the closest pair of clusters while it is close enough.
    fn brute_force(points: &[Vec<f32>], weights: &[f32], cut: f32) -> Vec<usize> {
        let mut clusters: Vec<Vec<usize>> = (0..points.len()).map(|i| vec![i]).collect();
        let mean = |a: &[usize], b: &[usize]| {
            let (mut sum, mut total) = (0.0f64, 0.0f64);
            for &i in a {
                for &j in b {
                    let w = f64::from(weights[i] * weights[j]);
                    sum += w * f64::from(1.0 - dot(&points[i], &points[j]));
                    total += w;
                }
            }
            sum / total
        };
        loop {
            let mut best: Option<(usize, usize, f64)> = None;
            for a in 0..clusters.len() {
                for b in a + 1..clusters.len() {
                    let d = mean(&clusters[a], &clusters[b]);
                    if best.is_none_or(|(_, _, bd)| d < bd) {
                        best = Some((a, b, d));
                    }
                }
            }
            match best {
                Some((a, b, d)) if d <= f64::from(cut) => {
                    let moved = clusters.remove(b);
                    clusters[a].extend(moved);
                }
                _ => break,
            }
        }
        let mut of = vec![0; points.len()];
        for (c, members) in clusters.iter().enumerate() {
            for &m in members {
                of[m] = c;
            }
        }
        let merged_into: Vec<usize> = (0..points.len()).map(|i| *clusters[of[i]].iter().min().unwrap()).collect();
        numbered(&merged_into)
    }

    #[test]
    fn two_separated_groups_are_two_clusters_and_a_far_point_stays_alone() {
        let points: Vec<Vec<f32>> = [[1.0, 0.1, 0.0], [1.0, 0.0, 0.1], [0.0, 1.0, 0.1], [1.0, 0.05, 0.05], [0.1, 1.0, 0.0], [0.0, 0.0, 1.0]]
            .into_iter()
            .map(|p| unit(p.to_vec()))
            .collect();
        let labels = average_linkage(&points, &[1.0; 6], 0.2);
        assert_eq!(labels, vec![0, 0, 1, 0, 1, 2]);
        // A cut below every distance leaves every point alone; one above them all joins all.
        assert_eq!(average_linkage(&points, &[1.0; 6], 1e-4), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(average_linkage(&points, &[1.0; 6], 1.5), vec![0; 6]);
    }

    #[test]
    fn the_chain_finds_the_clusters_that_merging_the_closest_pair_finds() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for round in 0..30 {
            let n = rng.random_range(2..40);
            let dim = rng.random_range(2..12);
            let points: Vec<Vec<f32>> = (0..n).map(|_| unit((0..dim).map(|_| rng.random_range(-1.0..1.0)).collect())).collect();
            let weights: Vec<f32> = (0..n).map(|_| f32::from(rng.random_range(1u8..4))).collect();
            let cut = rng.random_range(0.2..1.2);
            assert_eq!(average_linkage(&points, &weights, cut), brute_force(&points, &weights, cut), "round {round}");
        }
    }

    #[test]
    fn distances_are_split_between_threads_without_gaps() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let points: Vec<Vec<f32>> = (0..75).map(|_| unit((0..19).map(|_| rng.random_range(-1.0..1.0)).collect())).collect();
        let distances = Distances::between(&points);
        for i in 0..points.len() {
            for j in i + 1..points.len() {
                assert!((distances.get(i, j) - (1.0 - dot(&points[i], &points[j]))).abs() < 1e-6, "{i} {j}");
            }
        }
        assert_eq!(row_where_share_ends(10, 0.5), 3);
        assert_eq!(row_where_share_ends(0, 0.5), 0);
    }
}
