//! A bounds-checked reader over a byte slice that knows its absolute file offset.

use crate::error::{Corruption, DecodeError};

/// Reads big-endian integers, varints and byte strings from `buf`, never past its end.
///
/// `base` is the file offset of `buf[0]`, so errors point into the file, not the slice.
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
}

type R<T> = Result<T, DecodeError>;

impl<'a> Cursor<'a> {
    /// A cursor at the start of `buf`, which begins at file offset `base`.
    pub fn new(buf: &'a [u8], base: u64) -> Self {
        Cursor { buf, pos: 0, base }
    }

    /// A cursor over the whole of `file` (base 0), positioned at `pos`.
    pub fn at(file: &'a [u8], pos: u64) -> R<Self> {
        let mut c = Cursor::new(file, 0);
        c.seek(pos)?;
        Ok(c)
    }

    /// Absolute file offset of the next byte.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes left.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// True when nothing is left.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread bytes.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// An error of `kind` at the current position.
    pub fn error(&self, kind: Corruption) -> DecodeError {
        DecodeError::new(self.offset(), kind)
    }

    fn truncated(&self, needed: u64) -> DecodeError {
        self.error(Corruption::Truncated {
            needed,
            available: self.remaining() as u64,
        })
    }

    /// Move to position `pos` relative to the start of the buffer.
    pub fn seek(&mut self, pos: u64) -> R<()> {
        match usize::try_from(pos) {
            Ok(p) if p <= self.buf.len() => {
                self.pos = p;
                Ok(())
            }
            _ => Err(DecodeError::new(
                self.base,
                Corruption::OutOfBounds {
                    what: "offset",
                    value: pos,
                    limit: self.buf.len() as u64 + 1,
                },
            )),
        }
    }

    /// Position relative to the start of the buffer.
    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Take the next `n` bytes.
    #[inline]
    pub fn bytes(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end.and_then(|e| self.buf.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(self.truncated(n as u64)),
        }
    }

    /// Same as [`Cursor::bytes`] with a length from disk.
    pub fn bytes_u64(&mut self, n: u64) -> R<&'a [u8]> {
        match usize::try_from(n) {
            Ok(n) => self.bytes(n),
            Err(_) => Err(self.truncated(n)),
        }
    }

    /// Skip `n` bytes.
    pub fn skip(&mut self, n: usize) -> R<()> {
        self.bytes(n).map(|_| ())
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> R<[u8; N]> {
        let s = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// One byte.
    #[inline]
    pub fn u8(&mut self) -> R<u8> {
        Ok(self.array::<1>()?[0])
    }

    /// Big-endian u16.
    pub fn be16(&mut self) -> R<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Big-endian u32.
    #[inline]
    pub fn be32(&mut self) -> R<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Big-endian u64.
    pub fn be64(&mut self) -> R<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Unsigned LEB128 varint (Go `binary.Uvarint`): at most 10 bytes, must fit in u64.
    #[inline]
    pub fn uvarint(&mut self) -> R<u64> {
        // Fast path: a one-byte varint.
        if let Some(&b) = self.buf.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        self.uvarint_slow()
    }

    #[inline(never)]
    fn uvarint_slow(&mut self) -> R<u64> {
        let start = self.pos;
        let mut x: u64 = 0;
        let mut shift = 0u32;
        loop {
            let Some(&b) = self.buf.get(self.pos) else {
                self.pos = start;
                return Err(self.truncated(1));
            };
            if shift == 63 && b > 1 {
                self.pos = start;
                return Err(self.error(Corruption::VarintOverflow { bits: 64 }));
            }
            self.pos += 1;
            x |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(x);
            }
            shift += 7;
        }
    }

    /// Zig-zag signed varint (Go `binary.Varint`).
    #[inline]
    pub fn varint(&mut self) -> R<i64> {
        let u = self.uvarint()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// A uvarint that must fit in 32 bits (Prometheus reads these lengths with
    /// `Uvarint32`, so a 5-byte encoding is the most allowed).
    pub fn uvarint32(&mut self) -> R<u32> {
        let start = self.offset();
        let v = self.uvarint()?;
        u32::try_from(v)
            .map_err(|_| DecodeError::new(start, Corruption::VarintOverflow { bits: 32 }))
    }

    /// A uvarint length followed by that many bytes.
    pub fn uvarint_bytes(&mut self) -> R<&'a [u8]> {
        let n = self.uvarint()?;
        self.bytes_u64(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    #[test]
    fn reads_fixed_width_big_endian() {
        let data = [0xBA, 0xAA, 0xD7, 0x00, 0x02, 0x01, 0x02];
        let mut c = Cursor::new(&data, 100);
        assert_eq!(c.be32().unwrap(), 0xBAAAD700);
        assert_eq!(c.u8().unwrap(), 2);
        assert_eq!(c.offset(), 105);
        assert_eq!(c.be16().unwrap(), 0x0102);
        let err = c.u8().unwrap_err();
        assert_eq!(err.offset, 107);
        assert!(matches!(
            err.kind,
            Corruption::Truncated {
                needed: 1,
                available: 0
            }
        ));
    }

    #[test]
    fn rejects_overlong_varints() {
        let eleven = [0xFFu8; 10];
        assert!(matches!(
            Cursor::new(&eleven, 0).uvarint().unwrap_err().kind,
            Corruption::VarintOverflow { bits: 64 }
        ));
        let mut max = vec![];
        put_uvarint(&mut max, u64::MAX);
        assert_eq!(Cursor::new(&max, 0).uvarint().unwrap(), u64::MAX);
        let mut big = vec![];
        put_uvarint(&mut big, 1 << 32);
        assert!(Cursor::new(&big, 0).uvarint32().is_err());
    }

    #[test]
    fn length_from_disk_cannot_overrun() {
        let data = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1, 2];
        let mut c = Cursor::new(&data, 0);
        assert!(c.uvarint_bytes().is_err());
        assert!(Cursor::at(&data, 8).is_err());
        assert!(Cursor::new(&data, 0).bytes(usize::MAX).is_err());
    }

    proptest::proptest! {
        #[test]
        fn uvarint_round_trips(v: u64) {
            let mut buf = vec![];
            put_uvarint(&mut buf, v);
            let mut c = Cursor::new(&buf, 0);
            proptest::prop_assert_eq!(c.uvarint().unwrap(), v);
            proptest::prop_assert!(c.is_empty());
        }

        #[test]
        fn varint_round_trips(v: i64) {
            let mut buf = vec![];
            put_uvarint(&mut buf, ((v << 1) ^ (v >> 63)) as u64);
            proptest::prop_assert_eq!(Cursor::new(&buf, 0).varint().unwrap(), v);
        }

        #[test]
        fn never_panics_on_garbage(data: Vec<u8>) {
            let mut c = Cursor::new(&data, 0);
            while !c.is_empty() {
                if c.uvarint_bytes().is_err() { break; }
            }
        }
    }
}
