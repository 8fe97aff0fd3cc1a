//! 4-bit weights in ggml's Q4_0 layout: each block of 32 weights is an fp16 scale `d`
//! followed by 16 bytes; byte `j` holds weight `j` in its low nibble and weight `j + 16` in its
//! high one, and a weight is `(nibble - 8) · d`.

use half::f16;

/// Weights per block.
pub const BLOCK: usize = 32;
/// Bytes per block: the fp16 scale and 16 bytes of nibbles.
pub const BLOCK_BYTES: usize = 18;

/// A row-major matrix kept in its 4-bit blocks; rows are dequantized when read.
#[derive(Debug, Clone)]
pub struct Q4Matrix {
    rows: usize,
    cols: usize,
    bytes: Vec<u8>,
}

impl Q4Matrix {
    /// `bytes` must hold exactly `rows * cols / 32` blocks, and `cols` be a multiple of 32.
    pub fn new(rows: usize, cols: usize, bytes: Vec<u8>) -> Result<Self, String> {
        if !cols.is_multiple_of(BLOCK) {
            return Err(format!("4-bit rows of {cols} weights are not whole blocks of {BLOCK}"));
        }
        let expected = Self::byte_len(rows, cols);
        if bytes.len() != expected {
            return Err(format!("{} bytes of 4-bit blocks where a {rows}×{cols} matrix needs {expected}", bytes.len()));
        }
        Ok(Self { rows, cols, bytes })
    }

    /// The bytes a `rows × cols` matrix takes.
    pub fn byte_len(rows: usize, cols: usize) -> usize {
        rows * (cols / BLOCK) * BLOCK_BYTES
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Appends row `row`'s weights to `out`.
    pub fn dequantize_row_into(&self, row: usize, out: &mut Vec<f32>) {
        let row_bytes = self.cols / BLOCK * BLOCK_BYTES;
        let blocks = &self.bytes[row * row_bytes..(row + 1) * row_bytes];
        for block in blocks.chunks_exact(BLOCK_BYTES) {
            let scale = f16::from_le_bytes([block[0], block[1]]).to_f32();
            let nibbles = &block[2..];
            out.extend(nibbles.iter().map(|b| ((b & 0x0f) as f32 - 8.0) * scale));
            out.extend(nibbles.iter().map(|b| ((b >> 4) as f32 - 8.0) * scale));
        }
    }

    /// The whole matrix, row-major.
    pub fn dequantize(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.rows * self.cols);
        for row in 0..self.rows {
            self.dequantize_row_into(row, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_dequantizes_low_nibbles_first_then_high() {
        let mut block = f16::from_f32(0.5).to_le_bytes().to_vec();
        // byte j: low nibble j % 16, high nibble 15 - j % 16
        block.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        let m = Q4Matrix::new(1, 32, block).unwrap();
        let row = m.dequantize();
        assert_eq!(row[0], -4.0); // (0 - 8) * 0.5
        assert_eq!(row[15], 3.5); // (15 - 8) * 0.5
        assert_eq!(row[16], 3.5); // high nibble of byte 0 = 15
        assert_eq!(row[31], -4.0);
    }

    #[test]
    fn sizes_that_do_not_fit_are_refused() {
        assert!(Q4Matrix::new(1, 30, vec![0; 18]).is_err());
        assert!(Q4Matrix::new(2, 32, vec![0; 18]).is_err());
    }
}
