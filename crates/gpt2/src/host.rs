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

/// How the host copies hold their weights: f32 (the checkpoint's values), or bfloat16 (the
/// top half of each f32, rounded to nearest even: half the bytes to read per step, about three
/// significant digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostPrecision {
    #[default]
    F32,
    Bf16,
}

impl std::str::FromStr for HostPrecision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "f32" => Ok(Self::F32),
            "bf16" => Ok(Self::Bf16),
            other => Err(format!("unknown precision {other:?} (f32, bf16)")),
        }
    }
}

/// A matrix's values, `[d_out, d_in]` row-major.
#[derive(Debug)]
enum Values {
    F32(Vec<f32>),
    Bf16(Vec<u16>),
}

/// A weight matrix laid out for small-batch products: `weight` is `[d_out, d_in]` row-major.
#[derive(Debug)]
pub struct HostMatrix {
    weight: Values,
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
    pub fn from_linear(linear: &Linear, precision: HostPrecision) -> Self {
        let [d_in, d_out] = linear.weight.dims();
        let stored = host_values(linear.weight.val());
        let mut weight = vec![0.0; d_in * d_out];
        for (i, row) in stored.chunks_exact(d_out).enumerate() {
            for (o, &w) in row.iter().enumerate() {
                weight[o * d_in + i] = w;
            }
        }
        let bias = linear.bias.as_ref().map(|b| host_values(b.val()));
        Self { weight: Values::new(weight, precision), bias, d_in, d_out }
    }

    /// From a matrix already `[d_out, d_in]` (the token embedding as the LM head), no bias.
    pub fn from_rows(weight: Vec<f32>, d_out: usize, d_in: usize, precision: HostPrecision) -> Self {
        assert_eq!(weight.len(), d_out * d_in, "rows must fill the matrix");
        Self { weight: Values::new(weight, precision), bias: None, d_in, d_out }
    }

    /// `x · Wᵀ + b` for `x` of `rows` rows of `d_in`: `[rows, d_out]`, row-major.
    pub fn apply(&self, x: &[f32], rows: usize) -> Vec<f32> {
        assert_eq!(x.len(), rows * self.d_in, "input must be rows × d_in");
        // Computed output-major (each task writes its outputs for every row), then turned.
        let mut by_output = vec![0.0f32; self.d_out * rows];
        by_output.par_chunks_mut(OUTPUTS_PER_TASK * rows).enumerate().for_each(|(task, out)| {
            let first = task * OUTPUTS_PER_TASK;
            for (k, outputs) in out.chunks_mut(rows).enumerate() {
                let o = first + k;
                let span = o * self.d_in..(o + 1) * self.d_in;
                let bias = self.bias.as_ref().map_or(0.0, |b| b[o]);
                for (r, y) in outputs.iter_mut().enumerate() {
                    let x = &x[r * self.d_in..(r + 1) * self.d_in];
                    *y = bias
                        + match &self.weight {
                            Values::F32(w) => dot(x, &w[span.clone()]),
                            Values::Bf16(w) => dot_bf16(x, &w[span.clone()]),
                        };
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
        let weight = match &self.weight {
            Values::F32(w) => w.len() * 4,
            Values::Bf16(w) => w.len() * 2,
        };
        weight + self.bias.as_ref().map_or(0, Vec::len) * 4
    }
}

impl Values {
    fn new(values: Vec<f32>, precision: HostPrecision) -> Self {
        match precision {
            HostPrecision::F32 => Values::F32(values),
            HostPrecision::Bf16 => Values::Bf16(values.iter().map(|&v| to_bf16(v)).collect()),
        }
    }
}

/// The bfloat16 nearest to `v` (ties to even).
fn to_bf16(v: f32) -> u16 {
    let bits = v.to_bits();
    ((bits + 0x7fff + ((bits >> 16) & 1)) >> 16) as u16
}

/// The f32 a bfloat16 stands for.
#[inline(always)]
fn from_bf16(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

/// `x` through the host copy when there is one and `x` has at most [`HOST_ROWS`] rows, else
/// through `otherwise` (burn's own product).
pub fn host_or<const D: usize>(host: Option<&HostMatrix>, x: Tensor<D>, otherwise: impl FnOnce(Tensor<D>) -> Tensor<D>) -> Tensor<D> {
    let rows: usize = x.dims()[..D - 1].iter().product();
    match host {
        Some(matrix) if rows <= HOST_ROWS => matrix.forward(x),
        _ => otherwise(x),
    }
}

/// A projection: on the host when there are copies and few rows, else burn's `Linear`.
pub fn project(linear: &Linear, host: Option<&HostMatrix>, x: Tensor<3>) -> Tensor<3> {
    host_or(host, x, |x| linear.forward(x))
}

/// Shared host copies (a model clone shares them; they never change after they are made).
pub type SharedHostWeights = Arc<HostWeights>;

/// A tensor's values as `f32`, row-major: the crate's one way back to host vectors.
pub(crate) fn host_values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 values")
}

/// Whether this CPU has AVX2 and FMA (std caches the answer; the binary stays portable).
#[cfg(target_arch = "x86_64")]
fn fused() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// `x · w`: fused multiply-adds in 256-bit registers where the CPU has them, else plain lanes.
fn dot(x: &[f32], w: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if fused() {
        // SAFETY: the CPU has both features `simd` is compiled for.
        return unsafe { simd::dot(x, w) };
    }
    lanes::<false, f32>(x, w, |v| v)
}

/// `x · w` for bfloat16 weights, widened in registers.
fn dot_bf16(x: &[f32], w: &[u16]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if fused() {
        // SAFETY: as in `dot`.
        return unsafe { simd::dot_bf16(x, w) };
    }
    lanes::<false, u16>(x, w, from_bf16)
}

/// The dot products compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
mod simd {
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn dot(x: &[f32], w: &[f32]) -> f32 {
        super::lanes::<true, f32>(x, w, |v| v)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn dot_bf16(x: &[f32], w: &[u16]) -> f32 {
        super::lanes::<true, u16>(x, w, super::from_bf16)
    }
}

/// A dot product in 32 independent lanes, which the compiler keeps in vector registers (so
/// that a multiply-add never waits for the one before it); `FUSED` rounds once per step.
#[inline(always)]
fn lanes<const FUSED: bool, W: Copy>(x: &[f32], w: &[W], widen: impl Fn(W) -> f32) -> f32 {
    const LANES: usize = 32;
    let mut acc = [0.0f32; LANES];
    let (x_chunks, w_chunks) = (x.chunks_exact(LANES), w.chunks_exact(LANES));
    let tail: f32 = x_chunks.remainder().iter().zip(w_chunks.remainder()).map(|(a, &b)| a * widen(b)).sum();
    for (a, b) in x_chunks.zip(w_chunks) {
        for i in 0..LANES {
            let b = widen(b[i]);
            acc[i] = if FUSED { a[i].mul_add(b, acc[i]) } else { acc[i] + a[i] * b };
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
        let matrix = HostMatrix::from_linear(&linear, HostPrecision::F32);
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
        let want = (0..77).sum::<i32>() as f32;
        assert_eq!(dot(&a, &[1.0; 77]), want);
        assert_eq!(lanes::<false, f32>(&a, &[1.0; 77], |v| v), want);
        assert_eq!(dot_bf16(&a, &[to_bf16(1.0); 77]), want);
    }

    #[test]
    fn bfloat16_rounds_to_nearest_even() {
        assert_eq!(from_bf16(to_bf16(1.0)), 1.0);
        assert_eq!(from_bf16(to_bf16(-2.5)), -2.5);
        // 1 + 2^-8 lies halfway between two bfloat16 values: to the even one, 1.0.
        assert_eq!(from_bf16(to_bf16(1.0 + 1.0 / 256.0)), 1.0);
        assert_eq!(from_bf16(to_bf16(1.0 + 3.0 / 256.0)), 1.0 + 4.0 / 256.0);
        let v = 0.123_456_78f32;
        assert!((from_bf16(to_bf16(v)) - v).abs() <= v * 2f32.powi(-8));
    }
}
