//! MSB-first bit reader for chunk payloads.
//!
//! Chunk payloads are bit streams: bit 7 of the first byte is read first, and a multi-bit
//! field arrives most significant bit first. [`BitReader`] keeps the next unread bits in a
//! left-aligned 64-bit register. A read that fits the register is a shift and a subtract;
//! when the register runs low it is topped up with one unaligned 8-byte load (all
//! `#[inline]`). Only the last few bytes of a stream are loaded one at a time, and running
//! out of data is reported by an `#[inline(never)]` function as [`Corruption::Truncated`].
//!
//! ```text
//!  data:  ... | consumed | b[pos-k] .. b[pos-1] | b[pos] ...
//!                         \___ in register ___/
//!  buf:   [ nbits unread bits | bits that repeat b[pos].. or are zero ]
//! ```
//!
//! Varints inside a bit stream are read as 8-bit groups from the current bit position, which
//! need not be byte aligned (Go's `binary.ReadVarint` over Prometheus's bit reader).
//!
//! The reader is `Copy` and none of its methods lets `self` escape into an out-of-line call,
//! so a decoder can copy it into a local and the compiler keeps it in registers.
#![deny(clippy::indexing_slicing)]

use crate::error::{Corruption, DecodeError};

type R<T> = Result<T, DecodeError>;

/// Reads bits MSB-first from a byte slice that starts at a known file offset.
///
/// Every read is checked: running past the end of the slice is a [`DecodeError`] whose
/// offset is the absolute file offset of the byte holding the first unread bit, and a failed
/// read leaves the reader where it was.
#[derive(Clone, Copy, Debug)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Index into `data` of the first byte not yet counted in `nbits`.
    pos: usize,
    /// The next unread bits, left aligned. Bits below the top `nbits` are either zero or
    /// copies of the stream bits that follow (an 8-byte load may reach past what it counts).
    buf: u64,
    /// Number of valid bits in `buf`, at most 63.
    nbits: u32,
    /// Absolute file offset of `data[0]`.
    base: u64,
}

/// The error for a read of `n` bits at bit `bit_pos` of a `len`-byte stream at `base`.
#[cold]
#[inline(never)]
fn truncated(base: u64, len: usize, bit_pos: u64, n: u32) -> DecodeError {
    let needed = (bit_pos % 8 + u64::from(n)).div_ceil(8);
    let available = (len as u64).saturating_sub(bit_pos / 8);
    DecodeError::new(
        base + bit_pos / 8,
        Corruption::Truncated { needed, available },
    )
}

/// Loads some of the last 0..=7 bytes of a stream one at a time below the `nbits` bits of
/// `buf`, keeping the fill at most 63 bits; returns the new register and the number of
/// bytes loaded. Takes and returns plain values so that callers' readers can stay in
/// registers.
#[inline(never)]
fn load_tail(rest: &[u8], mut buf: u64, nbits: u32) -> (u64, u32) {
    let mut n = 0;
    for &b in rest.iter().take((63u32.saturating_sub(nbits) / 8) as usize) {
        buf |= u64::from(b) << (56 - nbits - 8 * n);
        n += 1;
    }
    (buf, n)
}

#[cold]
#[inline(never)]
fn invalid(base: u64, bit_pos: u64, what: &'static str) -> DecodeError {
    DecodeError::new(base + bit_pos / 8, Corruption::Invalid(what))
}

#[cold]
#[inline(never)]
fn varint_overflow(base: u64, bit_pos: u64) -> DecodeError {
    DecodeError::new(base + bit_pos / 8, Corruption::VarintOverflow { bits: 64 })
}

/// The 64 bits of `data` starting at bit `bit`, left aligned, from one unaligned 8-byte load:
/// the top `64 - bit % 8` bits (at least 57) are stream bits, the bits below them are zero.
/// `None` when fewer than 8 bytes start at byte `bit / 8`.
///
/// This is the positional form of [`BitReader`]'s refill for decoders that keep only a bit
/// position in a register: a peek is one bounds check, a load, a byte swap and a shift.
#[inline(always)]
pub fn window_at(data: &[u8], bit: usize) -> Option<u64> {
    let bytes = data.get(bit / 8..)?.first_chunk::<8>()?;
    Some(u64::from_be_bytes(*bytes) << (bit % 8))
}

/// The `n` bits (`1 ≤ n ≤ 64`) of `data` starting at bit `bit`, as an unsigned number; `None`
/// when [`window_at`] would fail at `bit` (or, for `n > 57`, at `bit + 32`).
#[inline(always)]
pub fn bits_at(data: &[u8], bit: usize, n: u32) -> Option<u64> {
    debug_assert!((1..=64).contains(&n));
    if n <= 57 {
        Some(window_at(data, bit)? >> (64 - n))
    } else {
        let hi = window_at(data, bit)? >> 32;
        let lo = window_at(data, bit + 32)? >> (96 - n);
        Some(hi << (n - 32) | lo)
    }
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `data`, whose first byte is at file offset `base`.
    pub fn new(data: &'a [u8], base: u64) -> Self {
        BitReader {
            data,
            pos: 0,
            buf: 0,
            nbits: 0,
            base,
        }
    }

    /// A reader at bit `bit` of `data` (clamped to the end), whose first byte is at file
    /// offset `base`.
    pub fn at_bit(data: &'a [u8], base: u64, bit: u64) -> Self {
        let byte = usize::try_from(bit / 8)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let mut r = BitReader {
            data,
            pos: byte,
            buf: 0,
            nbits: 0,
            base,
        };
        let skip = (bit % 8) as u32;
        if skip > 0 && r.ensure(skip) {
            r.consume(skip);
        }
        r
    }

    /// Number of bits consumed so far.
    #[inline]
    pub fn bit_position(&self) -> u64 {
        (self.pos as u64) * 8 - u64::from(self.nbits)
    }

    /// Absolute file offset of the byte that holds the next unread bit.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.base + self.bit_position() / 8
    }

    /// Number of bits left to read.
    #[inline]
    pub fn remaining_bits(&self) -> u64 {
        (self.data.len() - self.pos) as u64 * 8 + u64::from(self.nbits)
    }

    /// An error of `kind` at the current position.
    pub fn error(&self, kind: Corruption) -> DecodeError {
        DecodeError::new(self.offset(), kind)
    }

    #[inline(always)]
    fn truncated(&self, n: u32) -> DecodeError {
        truncated(self.base, self.data.len(), self.bit_position(), n)
    }

    /// Tops the register up to at least 56 bits, or to everything that is left.
    ///
    /// With 8 or more bytes left this is one unaligned load, a shift and an OR, whatever
    /// the register's fill level; only the last bytes of the stream take a slower path.
    #[inline(always)]
    pub fn refill(&mut self) {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        if let Some(word) = rest.get(..8).and_then(|s| <[u8; 8]>::try_from(s).ok()) {
            // All 8 bytes go into the register, but only the whole bytes that fit below the
            // valid bits are counted; the next load re-reads the rest at the same alignment,
            // and OR of equal bits changes nothing. nbits ≤ 63 keeps the shift in range, and
            // the new fill is 56 + (nbits mod 8).
            self.buf |= u64::from_be_bytes(word) >> self.nbits;
            self.pos += ((63 - self.nbits) / 8) as usize;
            self.nbits |= 56;
        } else {
            let (buf, bytes) = load_tail(rest, self.buf, self.nbits);
            self.buf = buf;
            self.nbits += bytes * 8;
            self.pos += bytes as usize;
        }
    }

    /// Makes at least `n ≤ 56` bits available in the register if the stream has them;
    /// returns whether it does.
    #[inline(always)]
    pub fn ensure(&mut self, n: u32) -> bool {
        if self.nbits < n {
            self.refill();
        }
        self.nbits >= n
    }

    /// Number of bits in the register, ready for [`peek`](BitReader::peek) and
    /// [`consume`](BitReader::consume). At most 63.
    #[inline(always)]
    pub fn available(&self) -> u32 {
        self.nbits
    }

    /// The whole register: its top [`available`](BitReader::available) bits are the next
    /// bits of the stream; the bits below them are unspecified.
    #[inline(always)]
    pub fn peek_word(&self) -> u64 {
        self.buf
    }

    /// The next `n` bits (`1 ≤ n ≤ available`) without consuming them. Call [`ensure`] first.
    ///
    /// [`ensure`]: BitReader::ensure
    #[inline(always)]
    pub fn peek(&self, n: u32) -> u64 {
        debug_assert!(n >= 1 && n <= self.nbits);
        self.buf >> (64 - n)
    }

    /// Drops `n < 64` bits that [`ensure`](BitReader::ensure) made available.
    #[inline(always)]
    pub fn consume(&mut self, n: u32) {
        debug_assert!(n < 64 && n <= self.nbits);
        self.buf <<= n;
        self.nbits -= n;
    }

    /// Reads `1 ≤ n ≤ 56` bits.
    #[inline(always)]
    fn read_small(&mut self, n: u32) -> R<u64> {
        if !self.ensure(n) {
            return Err(self.truncated(n));
        }
        let v = self.buf >> (64 - n);
        self.buf <<= n;
        self.nbits -= n;
        Ok(v)
    }

    /// Reads `n` bits (`n ≤ 64`) as an unsigned number, first bit most significant.
    /// `n == 0` returns 0; `n > 64` is an error.
    #[inline(always)]
    pub fn read_bits(&mut self, n: u32) -> R<u64> {
        if n.wrapping_sub(1) < 56 {
            self.read_small(n)
        } else if n == 0 {
            Ok(0)
        } else if n <= 64 {
            if self.remaining_bits() < u64::from(n) {
                return Err(self.truncated(n));
            }
            let hi = self.read_small(n - 32)?;
            let lo = self.read_small(32)?;
            Ok(hi << 32 | lo)
        } else {
            Err(invalid(
                self.base,
                self.bit_position(),
                "bit field wider than 64 bits",
            ))
        }
    }

    /// Reads one bit.
    #[inline(always)]
    pub fn read_bit(&mut self) -> R<bool> {
        self.read_small(1).map(|b| b != 0)
    }

    /// Reads a unary prefix of at most `max` one bits (`max ≤ 56`): counts one bits until a
    /// zero bit, which is consumed too, or until `max` ones were read (then no terminating
    /// zero is read). Returns the number of ones, `0..=max`.
    ///
    /// This decodes prefix codes such as `0`, `10`, `110`, `1110`, `1111` in one step.
    #[inline(always)]
    pub fn read_unary(&mut self, max: u32) -> R<u32> {
        if max > 56 {
            return Err(invalid(
                self.base,
                self.bit_position(),
                "unary prefix longer than 56 bits",
            ));
        }
        // Enough bits for the longest prefix if the stream has them.
        self.ensure(max);
        let ones = (!self.buf).leading_zeros().min(max);
        let used = ones + u32::from(ones < max);
        if used > self.nbits {
            return Err(self.truncated(used));
        }
        self.buf <<= used;
        self.nbits -= used;
        Ok(ones)
    }

    /// Reads 8 bits.
    #[inline]
    pub fn read_byte(&mut self) -> R<u8> {
        self.read_small(8).map(|b| b as u8)
    }

    /// Reads an unsigned LEB128 varint as 8-bit groups from the current bit position
    /// (Go `binary.ReadUvarint`): at most 10 groups, and the value must fit in a u64.
    /// On error the reader is left where the varint started; a truncation error points at
    /// the byte where the data ran out.
    #[inline]
    pub fn read_uvarint(&mut self) -> R<u64> {
        let start = *self;
        let mut x: u64 = 0;
        let mut shift = 0u32;
        loop {
            let b = match self.read_byte() {
                Ok(b) => b,
                Err(e) => {
                    *self = start;
                    return Err(e);
                }
            };
            if b < 0x80 {
                if shift == 63 && b > 1 {
                    *self = start;
                    return Err(varint_overflow(self.base, self.bit_position()));
                }
                return Ok(x | u64::from(b) << shift);
            }
            if shift == 63 {
                *self = start;
                return Err(varint_overflow(self.base, self.bit_position()));
            }
            x |= u64::from(b & 0x7f) << shift;
            shift += 7;
        }
    }

    /// Reads a zig-zag signed varint from the current bit position (Go `binary.ReadVarint`).
    #[inline]
    pub fn read_varint(&mut self) -> R<i64> {
        let u = self.read_uvarint()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A plain MSB-first bit writer for the tests.
    #[derive(Default)]
    struct W {
        out: Vec<u8>,
        bits: u64,
    }

    impl W {
        fn bit(&mut self, b: bool) {
            if self.bits % 8 == 0 {
                self.out.push(0);
            }
            if b {
                let i = self.out.len() - 1;
                self.out[i] |= 0x80 >> (self.bits % 8);
            }
            self.bits += 1;
        }
        fn bits(&mut self, v: u64, n: u32) {
            for i in (0..n).rev() {
                self.bit((v >> i) & 1 == 1);
            }
        }
        fn uvarint(&mut self, mut v: u64) {
            while v >= 0x80 {
                self.bits((v & 0x7f) | 0x80, 8);
                v >>= 7;
            }
            self.bits(v, 8);
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Bits(u32, u64),
        Bit(bool),
        Unary(u32, u32),
        Uvarint(u64),
        Varint(i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1u32..=64, any::<u64>()).prop_map(|(n, v)| Op::Bits(n, v & (u64::MAX >> (64 - n)))),
            any::<bool>().prop_map(Op::Bit),
            (1u32..=8)
                .prop_flat_map(|max| (Just(max), 0..=max))
                .prop_map(|(m, k)| Op::Unary(m, k)),
            any::<u64>().prop_map(Op::Uvarint),
            any::<i64>().prop_map(Op::Varint),
        ]
    }

    #[test]
    fn reads_msb_first() {
        let data = [0b1010_0000, 0xFF, 0x01];
        let mut r = BitReader::new(&data, 100);
        assert!(r.read_bit().unwrap());
        assert!(!r.read_bit().unwrap());
        assert_eq!(r.read_bits(3).unwrap(), 0b100);
        assert_eq!(r.offset(), 100);
        assert_eq!(r.read_bits(11).unwrap(), 0b000_1111_1111);
        assert_eq!(r.offset(), 102);
        assert_eq!(r.read_bits(8).unwrap(), 1);
        assert_eq!(r.remaining_bits(), 0);
        let e = r.read_bit().unwrap_err();
        assert_eq!(e.offset, 103);
        assert!(matches!(
            e.kind,
            Corruption::Truncated {
                needed: 1,
                available: 0
            }
        ));
    }

    #[test]
    fn truncated_read_leaves_reader_usable() {
        let data = [0xAB, 0xCD];
        let mut r = BitReader::new(&data, 7);
        assert_eq!(r.read_bits(4).unwrap(), 0xA);
        let e = r.read_bits(13).unwrap_err();
        assert_eq!(e.offset, 7);
        assert!(matches!(
            e.kind,
            Corruption::Truncated {
                needed: 3,
                available: 2
            }
        ));
        assert_eq!(r.read_bits(12).unwrap(), 0xBCD);
        assert!(r.read_bits(65).is_err());
        assert_eq!(r.read_bits(0).unwrap(), 0);
    }

    #[test]
    fn unary_prefixes() {
        // 0 | 10 | 110 | 1110 | 1111 | 1111 (max 4), then 1 with no more data.
        let mut w = W::default();
        for (code, len) in [
            (0b0, 1),
            (0b10, 2),
            (0b110, 3),
            (0b1110, 4),
            (0xF, 4),
            (0xF, 4),
            (1, 1),
        ] {
            w.bits(code, len);
        }
        let mut r = BitReader::new(&w.out, 0);
        let got: Vec<u32> = (0..6).map(|_| r.read_unary(4).unwrap()).collect();
        assert_eq!(got, [0, 1, 2, 3, 4, 4]);
        // One '1' bit then the zero padding: a complete "10".
        assert_eq!(r.read_unary(4).unwrap(), 1);
        assert_eq!(r.remaining_bits(), 4);
        let mut r = BitReader::new(&[0xFF], 0);
        assert_eq!(r.read_unary(8).unwrap(), 8);
        let mut r = BitReader::new(&[0xFF], 0);
        assert!(r.read_unary(9).is_err());
        assert!(r.read_unary(57).is_err());
    }

    #[test]
    fn varint_overflow_is_an_error() {
        // Ten continuation bytes: too long.
        let mut r = BitReader::new(&[0xFF; 11], 0);
        assert!(matches!(
            r.read_uvarint().unwrap_err().kind,
            Corruption::VarintOverflow { bits: 64 }
        ));
        // Tenth byte > 1 overflows; == 1 is u64::MAX.
        let mut data = vec![0xFF; 9];
        data.push(2);
        assert!(BitReader::new(&data, 0).read_uvarint().is_err());
        data[9] = 1;
        assert_eq!(BitReader::new(&data, 0).read_uvarint().unwrap(), u64::MAX);
        // Unaligned: a '1' bit, then the varint 300 (0xAC 0x02).
        let mut w = W::default();
        w.bit(true);
        w.uvarint(300);
        let mut r = BitReader::new(&w.out, 0);
        assert!(r.read_bit().unwrap());
        assert_eq!(r.read_uvarint().unwrap(), 300);
        // A truncated varint reports where the data ran out and leaves the position at its
        // start.
        let mut r = BitReader::new(&[0x80, 0x80], 5);
        let e = r.read_uvarint().unwrap_err();
        assert_eq!(e.offset, 7);
        assert_eq!(r.bit_position(), 0);
    }

    proptest! {
        #[test]
        fn round_trips(ops in proptest::collection::vec(op(), 0..200), lead in 0u32..8) {
            let mut w = W::default();
            w.bits(0, lead);
            for o in &ops {
                match *o {
                    Op::Bits(n, v) => w.bits(v, n),
                    Op::Bit(b) => w.bit(b),
                    Op::Unary(max, k) => {
                        for _ in 0..k { w.bit(true); }
                        if k < max { w.bit(false); }
                    }
                    Op::Uvarint(v) => w.uvarint(v),
                    Op::Varint(v) => w.uvarint(((v << 1) ^ (v >> 63)) as u64),
                }
            }
            let mut r = BitReader::new(&w.out, 1000);
            prop_assert_eq!(r.read_bits(lead).unwrap(), 0);
            for o in &ops {
                match *o {
                    Op::Bits(n, v) => prop_assert_eq!(r.read_bits(n).unwrap(), v),
                    Op::Bit(b) => prop_assert_eq!(r.read_bit().unwrap(), b),
                    Op::Unary(max, k) => prop_assert_eq!(r.read_unary(max).unwrap(), k),
                    Op::Uvarint(v) => prop_assert_eq!(r.read_uvarint().unwrap(), v),
                    Op::Varint(v) => prop_assert_eq!(r.read_varint().unwrap(), v),
                }
            }
            prop_assert_eq!(r.bit_position(), w.bits);
            prop_assert_eq!(r.offset(), 1000 + w.bits / 8);
            prop_assert!(r.remaining_bits() < 8);
            let pad = r.remaining_bits() as u32;
            prop_assert_eq!(r.read_bits(pad).unwrap(), 0);
            prop_assert!(r.read_bit().is_err());
        }

        #[test]
        fn positional_reads_match_the_reader(data: Vec<u8>, bit in 0usize..900, n in 1u32..=64) {
            let mut r = BitReader::at_bit(&data, 3, bit as u64);
            let expected = if bit <= data.len() * 8 { r.read_bits(n).ok() } else { None };
            match bits_at(&data, bit, n) {
                // The positional read needs whole 8-byte windows, so it may decline near
                // the end; when it answers it agrees with the reader.
                Some(v) => prop_assert_eq!(Some(v), expected),
                None => prop_assert!(bit / 8 + 8 > data.len() || (n > 57 && bit / 8 + 12 > data.len())),
            }
            if let Some(w) = window_at(&data, bit) {
                prop_assert_eq!(Some(w >> 8), BitReader::at_bit(&data, 0, bit as u64).read_bits(56).ok());
                prop_assert_eq!(w & ((1 << (bit % 8)) - 1), 0);
            }
        }

        #[test]
        fn garbage_never_panics(data: Vec<u8>, widths in proptest::collection::vec(0u32..=70, 1..100)) {
            let mut r = BitReader::new(&data, 0);
            for w in widths {
                let res = match w {
                    65 => r.read_uvarint().map(|_| ()),
                    66 => r.read_varint().map(|_| ()),
                    67..=70 => r.read_unary(w - 62).map(|_| ()),
                    _ => r.read_bits(w).map(|_| ()),
                };
                if res.is_err() {
                    // A failed read leaves the reader where it was.
                    prop_assert!(r.bit_position() <= data.len() as u64 * 8);
                }
            }
        }
    }
}
