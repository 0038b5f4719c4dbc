//! Checked decoding primitives. Every read of on-disk bytes in the crate goes through
//! [`Cursor`] (byte-aligned data) or [`bits::BitReader`] (chunk payloads): each read is
//! bounds-checked and returns a [`DecodeError`] that carries the absolute file offset.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod bits;
mod cursor;

pub use cursor::Cursor;

use crate::error::{Corruption, DecodeError};

/// Open the framed section at `offset` of `file`: `len u32 | body | CRC32C(body)`. Checks
/// the bounds and the CRC, then returns a cursor over the body.
pub fn framed(file: &[u8], offset: u64) -> Result<Cursor<'_>, DecodeError> {
    let mut c = Cursor::at(file, offset)?;
    let len = c.be32()?;
    let body_start = c.offset();
    let body = c.bytes_u64(u64::from(len))?;
    let crc_at = c.offset();
    check_crc(body, c.be32()?, crc_at)?;
    Ok(Cursor::new(body, body_start))
}

/// CRC32C (Castagnoli) of `data`, the checksum every Prometheus file uses.
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// Check that `stored` is the CRC32C of `data`; `offset` is where the CRC lives on disk.
pub fn check_crc(data: &[u8], stored: u32, offset: u64) -> Result<(), DecodeError> {
    let computed = crc32c(data);
    if computed == stored {
        Ok(())
    } else {
        Err(DecodeError::new(
            offset,
            Corruption::Checksum { stored, computed },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_is_castagnoli() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
    }
}
