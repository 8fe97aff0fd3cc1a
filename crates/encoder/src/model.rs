//! The encoder network (Devlin et al., 2019; Conneau et al., 2020 for XLM-R): embeddings
//! (token + position + token type, then LayerNorm), `num_hidden_layers` post-LayerNorm blocks
//! of bidirectional self-attention and a GELU feed-forward, and the sentence vector: the mean
//! of the final hidden states over a text's real tokens, L2-normalised (what e5 was trained
//! with). Module names follow Hugging Face's `BertModel`.

use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, LayerNormConfig, Linear};
use burn::prelude::*;
use burn::tensor::activation::gelu;
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;

use crate::config::EncoderConfig;
use crate::error::Result;
use crate::weights::HostTensors;

/// Bidirectional multi-head self-attention and its output projection.
#[derive(Module, Debug)]
pub struct SelfAttention {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub output: Linear,
    heads: usize,
}

/// One post-LayerNorm block: `x = LN(x + attention(x))`, `x = LN(x + ffn(x))`.
#[derive(Module, Debug)]
pub struct EncoderLayer {
    pub attention: SelfAttention,
    pub attention_norm: LayerNorm,
    pub intermediate: Linear,
    pub output: Linear,
    pub output_norm: LayerNorm,
}

/// Everything but the token embedding (see [`crate::weights::WordTable`]).
#[derive(Module, Debug)]
pub struct EncoderModel {
    /// `[max_position_embeddings, hidden]`
    pub position: Embedding,
    /// `[type_vocab_size, hidden]`; every token is of type 0.
    pub token_type: Embedding,
    pub embedding_norm: LayerNorm,
    pub layers: Vec<EncoderLayer>,
}

/// One padded batch for [`EncoderModel::forward`].
#[derive(Debug, Clone)]
pub struct EncoderBatch {
    /// Token vectors from the word table, `[batch, seq, hidden]`.
    pub words: Tensor<3>,
    /// Row of the position table for each token, `[batch, seq]`.
    pub positions: Tensor<2, Int>,
    /// `true` where a token is padding, `[batch, seq]`.
    pub padding: Tensor<2, Bool>,
}

impl EncoderModel {
    /// Builds the network from host tensors named as in Hugging Face's `BertModel` (without a
    /// `bert.`/`roberta.` prefix); a missing tensor or a wrong shape names the file and tensor.
    pub fn from_host(config: &EncoderConfig, host: &mut HostTensors, device: &Device) -> Result<Self> {
        let (d, f) = (config.hidden_size, config.intermediate_size);
        let mut load = Loader { host, config, device };
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let p = format!("encoder.layer.{i}");
                Ok(EncoderLayer {
                    attention: SelfAttention {
                        query: load.linear(&format!("{p}.attention.self.query"), d, d)?,
                        key: load.linear(&format!("{p}.attention.self.key"), d, d)?,
                        value: load.linear(&format!("{p}.attention.self.value"), d, d)?,
                        output: load.linear(&format!("{p}.attention.output.dense"), d, d)?,
                        heads: config.num_attention_heads,
                    },
                    attention_norm: load.layer_norm(&format!("{p}.attention.output.LayerNorm"))?,
                    intermediate: load.linear(&format!("{p}.intermediate.dense"), d, f)?,
                    output: load.linear(&format!("{p}.output.dense"), f, d)?,
                    output_norm: load.layer_norm(&format!("{p}.output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            position: load.embedding("embeddings.position_embeddings.weight", config.max_position_embeddings)?,
            token_type: load.embedding("embeddings.token_type_embeddings.weight", config.type_vocab_size)?,
            embedding_norm: load.layer_norm("embeddings.LayerNorm")?,
            layers,
        })
    }

    /// Final hidden states, `[batch, seq, hidden]`.
    pub fn forward(&self, batch: EncoderBatch) -> Tensor<3> {
        let [rows, seq, _] = batch.words.dims();
        let types = self.token_type.forward(Tensor::<2, Int>::zeros([rows, seq], &batch.words.device()));
        let mut x = self.embedding_norm.forward(batch.words + self.position.forward(batch.positions) + types);
        let padding = batch.padding.reshape([rows, 1, 1, seq]);
        for layer in &self.layers {
            x = layer.forward(x, padding.clone());
        }
        x
    }
}

impl EncoderLayer {
    fn forward(&self, x: Tensor<3>, padding: Tensor<4, Bool>) -> Tensor<3> {
        let x = self.attention_norm.forward(x.clone() + self.attention.forward(x, padding));
        let ffn = self.output.forward(gelu(self.intermediate.forward(x.clone())));
        self.output_norm.forward(x + ffn)
    }
}

impl SelfAttention {
    fn forward(&self, x: Tensor<3>, padding: Tensor<4, Bool>) -> Tensor<3> {
        let [batch, seq, d_model] = x.dims();
        let head_dim = d_model / self.heads;
        // [batch, seq, d_model] -> [batch, heads, seq, head_dim]
        let heads = |t: Tensor<3>| t.reshape([batch, seq, self.heads, head_dim]).swap_dims(1, 2);
        let (q, k, v) = (heads(self.query.forward(x.clone())), heads(self.key.forward(x.clone())), heads(self.value.forward(x)));
        let mask = padding.expand([batch, self.heads, seq, seq]);
        let options = AttentionModuleOptions { scale: Some(1.0 / (head_dim as f64).sqrt()), softcap: None, is_causal: false };
        let context = attention(q, k, v, Some(mask), None, options);
        self.output.forward(context.swap_dims(1, 2).reshape([batch, seq, d_model]))
    }
}

/// Mean of `hidden` `[batch, seq, d]` over the tokens that are not padding, L2-normalised:
/// `[batch, d]`.
pub fn mean_pool(hidden: Tensor<3>, padding: Tensor<2, Bool>) -> Tensor<2> {
    let [batch, _, d] = hidden.dims();
    let keep = padding.bool_not().float().unsqueeze_dim::<3>(2); // [batch, seq, 1]
    let counts = keep.clone().sum_dim(1).clamp_min(1.0); // [batch, 1, 1]
    let mean = (hidden * keep).sum_dim(1).div(counts).reshape([batch, d]);
    let norm = mean.clone().powf_scalar(2.0).sum_dim(1).sqrt().clamp_min(1e-12); // [batch, 1]
    mean.div(norm)
}

/// Takes tensors from the host map into modules.
struct Loader<'a> {
    host: &'a mut HostTensors,
    config: &'a EncoderConfig,
    device: &'a Device,
}

impl Loader<'_> {
    fn param<const D: usize>(&self, values: Vec<f32>, shape: [usize; D]) -> Param<Tensor<D>> {
        Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), self.device))
    }

    /// A linear layer stored `[out, in]` (PyTorch), transposed to burn's `[in, out]` on the
    /// host: a transposed view on the device would be copied again at every matmul.
    fn linear(&mut self, name: &str, d_in: usize, d_out: usize) -> Result<Linear> {
        let stored = self.host.take(&format!("{name}.weight"), &[d_out, d_in])?.values;
        let bias = self.host.take(&format!("{name}.bias"), &[d_out])?.values;
        let mut weight = vec![0.0f32; stored.len()];
        for (o, row) in stored.chunks_exact(d_in).enumerate() {
            for (i, &w) in row.iter().enumerate() {
                weight[i * d_out + o] = w;
            }
        }
        Ok(Linear { weight: self.param(weight, [d_in, d_out]), bias: Some(self.param(bias, [d_out])) })
    }

    fn layer_norm(&mut self, name: &str) -> Result<LayerNorm> {
        let d = self.config.hidden_size;
        let gamma = self.host.take(&format!("{name}.weight"), &[d])?.values;
        let beta = self.host.take(&format!("{name}.bias"), &[d])?.values;
        let mut norm = LayerNormConfig::new(d).with_epsilon(self.config.layer_norm_eps).init(self.device);
        norm.gamma = self.param(gamma, [d]);
        norm.beta = Some(self.param(beta, [d]));
        Ok(norm)
    }

    fn embedding(&mut self, name: &str, rows: usize) -> Result<Embedding> {
        let d = self.config.hidden_size;
        let weight = self.host.take(name, &[rows, d])?.values;
        Ok(Embedding { weight: self.param(weight, [rows, d]) })
    }
}
