//! Weights on the host, by Hugging Face BERT name, before they become a model: both loaders
//! (the e5 4-bit file and a Hugging Face directory) fill a [`HostTensors`], and
//! [`crate::model::EncoderModel::from_host`] takes from it, so one place checks that every
//! tensor is there with the shape the config implies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::q4::Q4Matrix;

/// One tensor's shape and values, row-major (linear weights `[out, in]`, as PyTorch stores them).
#[derive(Debug, Clone)]
pub struct HostTensor {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// The tensors of one model file, by name; taking a tensor checks its shape.
#[derive(Debug)]
pub struct HostTensors {
    path: PathBuf,
    tensors: BTreeMap<String, HostTensor>,
}

impl HostTensors {
    pub fn new(path: &Path) -> Self {
        Self { path: path.into(), tensors: BTreeMap::new() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn insert(&mut self, name: impl Into<String>, tensor: HostTensor) {
        self.tensors.insert(name.into(), tensor);
    }

    /// Removes `name`, which must have `shape`; the error names the file and the tensor.
    pub fn take(&mut self, name: &str, shape: &[usize]) -> Result<HostTensor> {
        let tensor = self.tensors.remove(name).ok_or_else(|| Error::format(&self.path, format!("tensor `{name}` is missing")))?;
        if tensor.shape != shape {
            return Err(Error::format(&self.path, format!("tensor `{name}` has shape {:?}, the config implies {shape:?}", tensor.shape)));
        }
        Ok(tensor)
    }

    /// Names not taken yet.
    pub fn remaining(&self) -> impl Iterator<Item = &str> {
        self.tensors.keys().map(String::as_str)
    }
}

/// The token embedding, kept apart from the network: 250k rows of which a text uses a few
/// dozen, so rows are read on the host and only those are sent to the device. The e5 file's
/// table stays in its 4-bit blocks (54 MB instead of 384 MB).
#[derive(Debug, Clone)]
pub enum WordTable {
    Dense { dim: usize, values: Vec<f32> },
    Quantized(Q4Matrix),
}

impl WordTable {
    pub fn vocab(&self) -> usize {
        match self {
            WordTable::Dense { dim, values } => values.len() / dim,
            WordTable::Quantized(m) => m.rows(),
        }
    }

    pub fn dim(&self) -> usize {
        match self {
            WordTable::Dense { dim, .. } => *dim,
            WordTable::Quantized(m) => m.cols(),
        }
    }

    /// The rows of `ids`, concatenated. Ids are the tokenizer's, checked at load to lie below
    /// [`WordTable::vocab`].
    pub fn lookup(&self, ids: &[u32]) -> Vec<f32> {
        let dim = self.dim();
        let mut out = Vec::with_capacity(ids.len() * dim);
        for &id in ids {
            let row = id as usize;
            match self {
                WordTable::Dense { values, .. } => out.extend_from_slice(&values[row * dim..(row + 1) * dim]),
                WordTable::Quantized(m) => m.dequantize_row_into(row, &mut out),
            }
        }
        out
    }
}
