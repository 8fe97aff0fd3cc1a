//! Small-batch projections on the CPU: the decode path's matrix-vector products.
//!
//! A decoding step multiplies one to a few rows by every weight matrix: the work is reading the
//! weights, not the arithmetic. burn's CPU backend runs a product that small on one core (its
//! gemm goes parallel only above 192³ multiply-adds) and reads `Linear`'s `[d_in, d_out]`
//! weight across its rows. Here each matrix is kept once more as `[d_out, d_in]`, each output's
//! weights contiguous, and the outputs are shared among all cores: every weight is read once per
//! step for all rows of the batch. Larger batches (prefill, scoring) stay with burn's gemm.

use std::sync::Arc;

use burn::nn::Linear;
use burn::prelude::*;
use rayon::prelude::*;

/// Rows (batch × sequence) at or below which a projection runs here rather than in burn.
pub const HOST_ROWS: usize = 8;

/// Outputs per task: enough weights (≥ 48 KiB at 768 inputs) to amortize scheduling.
const OUTPUTS_PER_TASK: usize = 16;

/// A weight matrix laid out for small-batch products: `weight` is `[d_out, d_in]` row-major.
#[derive(Debug)]
pub struct HostMatrix {
    weight: Vec<f32>,
    bias: Option<Vec<f32>>,
    d_in: usize,
    d_out: usize,
}

/// The host copies of one block's projections, in the order `c_attn`, `attn.c_proj`, `c_fc`,
/// `mlp.c_proj`.
pub type BlockMatrices = [HostMatrix; 4];

/// Every projection of a model, and its LM head (the token embedding, `[vocab, n_embd]`).
#[derive(Debug)]
pub struct HostWeights {
    pub blocks: Vec<BlockMatrices>,
    pub head: HostMatrix,
}

impl HostMatrix {
    /// From a burn `Linear` (weight `[d_in, d_out]`), transposed.
    pub fn from_linear(linear: &Linear) -> Self {
        let [d_in, d_out] = linear.weight.dims();
        let stored = host_values(linear.weight.val());
        let mut weight = vec![0.0; d_in * d_out];
        for (i, row) in stored.chunks_exact(d_out).enumerate() {
            for (o, &w) in row.iter().enumerate() {
                weight[o * d_in + i] = w;
            }
        }
        let bias = linear.bias.as_ref().map(|b| host_values(b.val()));
        Self { weight, bias, d_in, d_out }
    }

    /// From a matrix already `[d_out, d_in]` (the token embedding as the LM head), no bias.
    pub fn from_rows(weight: Vec<f32>, d_out: usize, d_in: usize) -> Self {
        assert_eq!(weight.len(), d_out * d_in, "rows must fill the matrix");
        Self { weight, bias: None, d_in, d_out }
    }

    /// `x · Wᵀ + b` for `x` of `rows` rows of `d_in`: `[rows, d_out]`, row-major.
    pub fn apply(&self, x: &[f32], rows: usize) -> Vec<f32> {
        assert_eq!(x.len(), rows * self.d_in, "input must be rows × d_in");
        // Computed output-major (each task writes its outputs for every row), then turned.
        let dot = dot_product();
        let mut by_output = vec![0.0f32; self.d_out * rows];
        by_output.par_chunks_mut(OUTPUTS_PER_TASK * rows).enumerate().for_each(|(task, out)| {
            let first = task * OUTPUTS_PER_TASK;
            for (k, outputs) in out.chunks_mut(rows).enumerate() {
                let o = first + k;
                let w = &self.weight[o * self.d_in..(o + 1) * self.d_in];
                let bias = self.bias.as_ref().map_or(0.0, |b| b[o]);
                for (r, y) in outputs.iter_mut().enumerate() {
                    *y = dot(&x[r * self.d_in..(r + 1) * self.d_in], w) + bias;
                }
            }
        });
        let mut out = vec![0.0f32; rows * self.d_out];
        for (o, outputs) in by_output.chunks_exact(rows).enumerate() {
            for (r, &y) in outputs.iter().enumerate() {
                out[r * self.d_out + o] = y;
            }
        }
        out
    }

    /// Applies the matrix to the last dimension of `x` (`[.., d_in]` → `[.., d_out]`) on `x`'s
    /// device.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let mut dims = x.dims();
        let rows = dims[..D - 1].iter().product();
        let device = x.device();
        let out = self.apply(&host_values(x), rows);
        dims[D - 1] = self.d_out;
        Tensor::from_data(TensorData::new(out, dims), &device)
    }

    /// Bytes the matrix holds.
    pub fn bytes(&self) -> usize {
        (self.weight.len() + self.bias.as_ref().map_or(0, Vec::len)) * std::mem::size_of::<f32>()
    }
}

/// A projection: on the host when there are copies and few rows, else burn's `Linear`.
pub fn project(linear: &Linear, host: Option<&HostMatrix>, x: Tensor<3>) -> Tensor<3> {
    let [batch, seq, _] = x.dims();
    match host {
        Some(matrix) if batch * seq <= HOST_ROWS => matrix.forward(x),
        _ => linear.forward(x),
    }
}

/// Shared host copies (a model clone shares them; they never change after they are made).
pub type SharedHostWeights = Arc<HostWeights>;

/// A tensor's values as `f32`, row-major.
pub(crate) fn host_values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 values")
}

/// The fastest dot product this CPU runs: fused multiply-adds in 256-bit registers where the
/// CPU has AVX2 and FMA (checked at run time; the binary stays portable), else plain lanes.
fn dot_product() -> fn(&[f32], &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        return |a, b| {
            // SAFETY: the CPU was just found to have both features the function is compiled for.
            unsafe { dot_avx2(a, b) }
        };
    }
    lanes::<false>
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    lanes::<true>(a, b)
}

/// A dot product in 32 independent lanes, which the compiler keeps in vector registers (so
/// that a multiply-add never waits for the one before it); `FUSED` rounds once per step.
#[inline(always)]
fn lanes<const FUSED: bool>(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 32;
    let mut acc = [0.0f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for i in 0..LANES {
            acc[i] = if FUSED { x[i].mul_add(y[i], acc[i]) } else { acc[i] + x[i] * y[i] };
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;

    #[test]
    fn host_products_match_burns_linear() {
        let device = Device::flex();
        let linear = LinearConfig::new(37, 53).init(&device);
        let matrix = HostMatrix::from_linear(&linear);
        for rows in [1, 3, 8] {
            let x = Tensor::<3>::random([1, rows, 37], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
            let want = host_values(linear.forward(x.clone()));
            let got = host_values(matrix.forward(x));
            let worst = want.iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-5, "rows {rows}: max difference {worst}");
        }
    }

    #[test]
    fn dot_products_cover_the_tail_with_and_without_fused_lanes() {
        let a: Vec<f32> = (0..77).map(|i| i as f32).collect();
        let b = vec![1.0; 77];
        let want = (0..77).sum::<i32>() as f32;
        assert_eq!(dot_product()(&a, &b), want);
        assert_eq!(lanes::<false>(&a, &b), want);
    }
}
