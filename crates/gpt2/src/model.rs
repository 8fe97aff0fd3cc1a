//! The GPT-2 network (Radford et al., 2019), laid out and named as Hugging Face's checkpoints
//! name it: `wte`, `wpe`, `h.{i}.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}`,
//! `ln_f`. The LM head is tied to `wte`.

use burn::module::Param;
use burn::nn::{Embedding, EmbeddingConfig, Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{gelu, gelu_approximate, relu};
use burn::tensor::module::{attention, embedding, linear};
use burn::tensor::ops::AttentionModuleOptions;
use rand::{SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, Normal};

use crate::cache::{KvCache, LayerCache};
use crate::config::{Activation, Gpt2Config};
use crate::host::{BlockMatrices, HostMatrix, HostPrecision, HostWeights, SharedHostWeights, host_or, host_values, project};

/// Causal multi-head self-attention with fused QKV projection (`c_attn`).
#[derive(Module, Debug)]
pub struct Attention {
    pub c_attn: Linear,
    pub c_proj: Linear,
    n_head: usize,
    scale: f64,
}

/// Position-wise feed-forward network.
#[derive(Module, Debug)]
pub struct Mlp {
    pub c_fc: Linear,
    pub c_proj: Linear,
    #[module(skip)]
    activation: Activation,
}

/// One pre-LayerNorm transformer block.
#[derive(Module, Debug)]
pub struct Block {
    pub ln_1: LayerNorm,
    pub attn: Attention,
    pub ln_2: LayerNorm,
    pub mlp: Mlp,
}

/// GPT-2: embeddings, `n_layer` blocks, final LayerNorm, LM head tied to `wte`.
#[derive(Module, Debug)]
pub struct Gpt2Model {
    pub wte: Embedding,
    pub wpe: Embedding,
    pub h: Vec<Block>,
    pub ln_f: LayerNorm,
    /// `wte` split in row blocks for inference when it is too large to bind as one buffer.
    #[module(skip)]
    vocab_blocks: Option<VocabBlocks>,
    /// The projections and LM head laid out for small-batch products on the CPU
    /// ([`Gpt2Model::with_host_weights`]): the decode path.
    #[module(skip)]
    host: Option<SharedHostWeights>,
}

/// wgpu adapters may refuse to bind a buffer larger than 128 MiB (lavapipe does); GPT-2's
/// token embedding is 147 MiB, so inference splits it in blocks below this size.
pub const MAX_BINDING_BYTES: usize = 128 << 20;

/// The tied embedding / LM-head matrix as row blocks: `blocks[i]` holds rows
/// `i * rows_per_block ..`. Used for lookups and logits in place of `wte.weight`.
#[derive(Debug, Clone)]
pub struct VocabBlocks {
    blocks: Vec<Tensor<2>>,
    rows_per_block: usize,
}

/// One batch of token ids for [`Gpt2Model::forward`].
#[derive(Debug, Clone)]
pub struct Batch {
    /// Token ids, `[batch, seq]`.
    pub ids: Tensor<2, Int>,
    /// Absolute position of each token, `[batch, seq]`.
    pub positions: Tensor<2, Int>,
    /// `true` where a key position (cached past followed by this batch's tokens,
    /// `[batch, past + seq]`) is padding that no query may attend to.
    pub padding: Option<Tensor<2, Bool>>,
}

impl Batch {
    /// A batch of equal-length rows with no padding, continuing after `past` cached positions.
    pub fn dense(rows: &[Vec<u32>], past: usize, device: &Device) -> Self {
        let (batch, seq) = (rows.len(), rows.first().map_or(0, Vec::len));
        assert!(rows.iter().all(|r| r.len() == seq), "dense batch rows must have one length");
        let ids: Vec<i64> = rows.iter().flatten().map(|&t| t as i64).collect();
        let positions: Vec<i64> = (0..batch).flat_map(|_| (past..past + seq).map(|p| p as i64)).collect();
        Self {
            ids: Tensor::from_data(TensorData::new(ids, [batch, seq]), device),
            positions: Tensor::from_data(TensorData::new(positions, [batch, seq]), device),
            padding: None,
        }
    }

    /// Rows of different lengths, padded on the right. Returns the batch and each row's length.
    pub fn right_padded(rows: &[Vec<u32>], device: &Device) -> (Self, Vec<usize>) {
        let lengths: Vec<usize> = rows.iter().map(Vec::len).collect();
        let seq = lengths.iter().copied().max().unwrap_or(0);
        let batch = rows.len();
        let mut ids = Vec::with_capacity(batch * seq);
        let mut positions = Vec::with_capacity(batch * seq);
        let mut padding = Vec::with_capacity(batch * seq);
        for row in rows {
            for p in 0..seq {
                ids.push(row.get(p).map_or(0, |&t| t as i64));
                positions.push(p.min(row.len().saturating_sub(1)) as i64);
                padding.push(p >= row.len());
            }
        }
        let any_padding = padding.iter().any(|&p| p);
        let batch_data = Self {
            ids: Tensor::from_data(TensorData::new(ids, [batch, seq]), device),
            positions: Tensor::from_data(TensorData::new(positions, [batch, seq]), device),
            padding: any_padding.then(|| Tensor::from_data(TensorData::new(padding, [batch, seq]), device)),
        };
        (batch_data, lengths)
    }
}

impl Gpt2Model {
    /// A randomly initialised model (normal(0, `initializer_range`) weights, as GPT-2 does).
    pub fn init(config: &Gpt2Config, device: &Device) -> Self {
        let std = config.initializer_range;
        let normal = Initializer::Normal { mean: 0.0, std };
        // GPT-2 scales the residual projections by 1/sqrt(2 * n_layer) at init.
        let residual = Initializer::Normal { mean: 0.0, std: std / (2.0 * config.n_layer as f64).sqrt() };
        let activation = config.activation().expect("config validated");
        let linear = |d_in, d_out, init: &Initializer| LinearConfig::new(d_in, d_out).with_initializer(init.clone()).init(device);
        let layer_norm = || LayerNormConfig::new(config.n_embd).with_epsilon(config.layer_norm_epsilon).init(device);
        let (d, f) = (config.n_embd, config.inner_dim());
        let h = (0..config.n_layer)
            .map(|layer| {
                let mut scale = if config.scale_attn_weights { 1.0 / (config.head_dim() as f64).sqrt() } else { 1.0 };
                if config.scale_attn_by_inverse_layer_idx {
                    scale /= (layer + 1) as f64;
                }
                Block {
                    ln_1: layer_norm(),
                    attn: Attention { c_attn: linear(d, 3 * d, &normal), c_proj: linear(d, d, &residual), n_head: config.n_head, scale },
                    ln_2: layer_norm(),
                    mlp: Mlp { c_fc: linear(d, f, &normal), c_proj: linear(f, d, &residual), activation },
                }
            })
            .collect();
        Self {
            wte: EmbeddingConfig::new(config.vocab_size, d).with_initializer(normal.clone()).init(device),
            wpe: EmbeddingConfig::new(config.n_positions, d).with_initializer(Initializer::Normal { mean: 0.0, std: 0.01 }).init(device),
            h,
            ln_f: layer_norm(),
            vocab_blocks: None,
            host: None,
        }
        .with_host_embedding(config, device)
    }

    /// GPT-2-sized vocabularies: `wte` is drawn on the host (seeded) and uploaded whole and in
    /// blocks, since any device kernel over the whole matrix would have to bind it.
    fn with_host_embedding(mut self, config: &Gpt2Config, device: &Device) -> Self {
        let (vocab, d) = (config.vocab_size, config.n_embd);
        let Some(rows) = Self::vocab_block_rows(vocab, d) else {
            return self;
        };
        let mut rng = StdRng::seed_from_u64(0);
        let distribution = Normal::new(0.0f32, config.initializer_range as f32).expect("initializer_range is finite");
        let values: Vec<f32> = (0..vocab * d).map(|_| distribution.sample(&mut rng)).collect();
        self.wte.weight = Param::from_tensor(Tensor::from_data(TensorData::new(values.clone(), [vocab, d]), device));
        self.with_vocab_blocks_from(&values, rows)
    }

    /// Splits the token embedding in blocks of at most `max_rows` rows for inference (or
    /// undoes the split when it fits), reading `wte` back from the device. For models whose
    /// `wte` exceeds [`MAX_BINDING_BYTES`] use [`Gpt2Model::with_vocab_blocks_from`], since wgpu
    /// cannot read such a buffer back either.
    pub fn with_vocab_blocks(self, max_rows: usize) -> Self {
        let host = host_values(self.wte.weight.val());
        self.with_vocab_blocks_from(&host, max_rows)
    }

    /// Splits the token embedding, given as host values (row-major `[vocab, n_embd]`, the
    /// same values as `wte.weight`), in blocks of at most `max_rows` rows.
    pub fn with_vocab_blocks_from(mut self, host: &[f32], max_rows: usize) -> Self {
        let [vocab, d] = self.wte.weight.dims();
        assert_eq!(host.len(), vocab * d, "host embedding must match wte");
        let device = self.wte.weight.device();
        self.vocab_blocks = (vocab > max_rows).then(|| VocabBlocks {
            blocks: host.chunks(max_rows * d).map(|rows| Tensor::from_data(TensorData::new(rows.to_vec(), [rows.len() / d, d]), &device)).collect(),
            rows_per_block: max_rows,
        });
        self
    }

    /// Drops the inference-only copies (the embedding's split, the host weights), so that the
    /// parameters are the one set used: training needs its gradient to flow through them, and
    /// a copy would go stale as they change.
    pub fn for_training(mut self) -> Self {
        self.vocab_blocks = None;
        self.host = None;
        self
    }

    /// Keeps a copy of every projection and of the LM head laid out for small-batch products
    /// on the CPU (`crate::host`), which decoding steps of up to [`HOST_ROWS`] rows then use,
    /// in f32 or bfloat16. For the CPU backend: it reads every weight back from the device.
    pub fn with_host_weights(mut self, precision: HostPrecision) -> Self {
        let blocks = self
            .h
            .iter()
            .map(|b| -> BlockMatrices { [&b.attn.c_attn, &b.attn.c_proj, &b.mlp.c_fc, &b.mlp.c_proj].map(|l| HostMatrix::from_linear(l, precision)) })
            .collect();
        let [vocab, d] = self.wte.weight.dims();
        let head = HostMatrix::from_rows(host_values(self.wte.weight.val()), vocab, d, precision);
        self.host = Some(std::sync::Arc::new(HostWeights { blocks, head }));
        self
    }

    /// Bytes held by the host copies, if any.
    pub fn host_weight_bytes(&self) -> Option<usize> {
        self.host.as_ref().map(|h| h.head.bytes() + h.blocks.iter().flatten().map(HostMatrix::bytes).sum::<usize>())
    }

    /// Rows per vocabulary block for an embedding `n_embd` wide, or `None` when the whole
    /// matrix fits in one binding.
    pub fn vocab_block_rows(vocab: usize, n_embd: usize) -> Option<usize> {
        let bytes_per_row = n_embd * std::mem::size_of::<f32>();
        (vocab * bytes_per_row > MAX_BINDING_BYTES).then(|| MAX_BINDING_BYTES / 2 / bytes_per_row)
    }

    fn embed_tokens(&self, ids: Tensor<2, Int>) -> Tensor<3> {
        let Some(vocab) = &self.vocab_blocks else {
            return self.wte.forward(ids);
        };
        let mut sum: Option<Tensor<3>> = None;
        for (i, block) in vocab.blocks.iter().enumerate() {
            let rows = block.dims()[0] as i64;
            let local = ids.clone().sub_scalar((i * vocab.rows_per_block) as i64);
            let clamped = local.clone().clamp(0, rows - 1);
            let inside = local.equal(clamped.clone()).float().unsqueeze_dim::<3>(2);
            let part = embedding(block.clone(), clamped) * inside;
            sum = Some(match sum {
                Some(total) => total + part,
                None => part,
            });
        }
        sum.expect("at least one vocabulary block")
    }

    /// Final hidden states `[batch, seq, n_embd]` (after `ln_f`). With a cache, the batch's
    /// tokens follow the cached ones and the cache grows by `seq`.
    pub fn forward(&self, batch: Batch, mut cache: Option<&mut KvCache>) -> Tensor<3> {
        let [batch_size, seq] = batch.ids.dims();
        let mut x = self.embed_tokens(batch.ids) + self.wpe.forward(batch.positions);
        let past = cache.as_ref().map_or(0, |c| c.len());
        let padding = batch.padding.map(|pad| {
            let [_, keys] = pad.dims();
            assert_eq!(keys, past + seq, "padding mask must cover the cached and the new positions");
            pad.reshape([batch_size, 1, 1, keys])
        });
        for (index, block) in self.h.iter().enumerate() {
            let layer_cache = cache.as_deref_mut().map(|c| &mut c.layers[index]);
            let host = self.host.as_ref().map(|h| &h.blocks[index]);
            x = block.forward(x, padding.clone(), layer_cache, host);
        }
        if let Some(cache) = cache {
            cache.advance(seq);
        }
        self.ln_f.forward(x)
    }

    /// Feeds `batch` on top of `cache` and returns the next-token logits of each row's last
    /// position, `[batch, vocab_size]`: one decoding step.
    pub fn next_logits(&self, batch: Batch, cache: &mut KvCache) -> Tensor<2> {
        let hidden = self.forward(batch, Some(cache));
        let [rows, seq, d] = hidden.dims();
        self.logits(hidden.slice([0..rows, seq - 1..seq, 0..d]).reshape([rows, d]))
    }

    /// Next-token logits from hidden states: the LM head, tied to the token embedding.
    pub fn logits<const D: usize>(&self, hidden: Tensor<D>) -> Tensor<D> {
        host_or(self.host.as_ref().map(|h| &h.head), hidden, |hidden| match &self.vocab_blocks {
            None => linear(hidden, self.wte.weight.val().transpose(), None),
            Some(vocab) => {
                let parts = vocab.blocks.iter().map(|block| linear(hidden.clone(), block.clone().transpose(), None)).collect();
                Tensor::cat(parts, D - 1)
            }
        })
    }
}

impl Block {
    fn forward(&self, x: Tensor<3>, padding: Option<Tensor<4, Bool>>, cache: Option<&mut LayerCache>, host: Option<&BlockMatrices>) -> Tensor<3> {
        let x = x.clone() + self.attn.forward(self.ln_1.forward(x), padding, cache, host.map(|h| [&h[0], &h[1]]));
        x.clone() + self.mlp.forward(self.ln_2.forward(x), host.map(|h| [&h[2], &h[3]]))
    }
}

impl Attention {
    /// `host`: the host copies of `c_attn` and `c_proj`, for few rows.
    fn forward(&self, x: Tensor<3>, padding: Option<Tensor<4, Bool>>, cache: Option<&mut LayerCache>, host: Option<[&HostMatrix; 2]>) -> Tensor<3> {
        let [batch, seq, d_model] = x.dims();
        let head_dim = d_model / self.n_head;
        let heads = |t: Tensor<3>| t.reshape([batch, seq, self.n_head, head_dim]).swap_dims(1, 2);
        let qkv = project(&self.c_attn, host.map(|h| h[0]), x).chunk(3, 2);
        let [q, k, v]: [Tensor<3>; 3] = qkv.try_into().expect("c_attn yields q, k, v");
        let (q, k, v) = (heads(q), heads(k), heads(v));
        let (k, v) = match cache {
            Some(cache) => cache.extend(k, v),
            None => (k, v),
        };
        let keys = k.dims()[2];
        let mask = padding.map(|pad| pad.expand([batch, self.n_head, seq, keys]));
        let options = AttentionModuleOptions { scale: Some(self.scale), softcap: None, is_causal: true };
        let context = attention(q, k, v, mask, None, options);
        let context = context.swap_dims(1, 2).reshape([batch, seq, d_model]);
        project(&self.c_proj, host.map(|h| h[1]), context)
    }
}

impl Mlp {
    /// `host`: the host copies of `c_fc` and `c_proj`, for few rows.
    fn forward(&self, x: Tensor<3>, host: Option<[&HostMatrix; 2]>) -> Tensor<3> {
        let x = project(&self.c_fc, host.map(|h| h[0]), x);
        let x = match self.activation {
            Activation::GeluTanh => gelu_approximate(x),
            Activation::Gelu => gelu(x),
            Activation::Relu => relu(x),
        };
        project(&self.c_proj, host.map(|h| h[1]), x)
    }
}
