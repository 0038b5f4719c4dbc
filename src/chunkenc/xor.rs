//! XOR chunks (encoding 1): float samples with delta-of-delta timestamps and XOR-coded
//! values. See the [module docs](super) for the layout.
//!
//! Timestamp delta-of-delta classes (`u` is the payload read as unsigned; a payload is
//! negative when `u > 2^(n-1)`, so +2^(n-1) fits a class and −2^(n-1) does not):
//!
//! ```text
//!  0     dod = 0
//!  10    14-bit payload     -8191 ..= 8192
//!  110   17-bit payload    -65535 ..= 65536
//!  1110  20-bit payload   -524287 ..= 524288
//!  1111  64 raw bits      anything
//! ```
//!
//! Values: `x = bits(v) ^ bits(prev)`. `0`: x = 0. `10`: x fits the current window of
//! `L` leading and `T` trailing zero bits; `64-L-T` bits follow. `11`: a new window, `L` in
//! 5 bits, the width `M` in 6 bits (0 means 64), then `M` bits; `T = 64-L-M`.
#![deny(clippy::indexing_slicing)]

use crate::decode::bits::{bits_at, window_at, BitReader};
use crate::error::{Corruption, DecodeError};

type R<T> = Result<T, DecodeError>;

/// Sign-extends an `n`-bit dod payload using the XOR chunk's asymmetric rule.
#[inline(always)]
fn dod_from_bits(u: u64, n: u32) -> i64 {
    if u > 1 << (n - 1) {
        u.wrapping_sub(1 << n) as i64
    } else {
        u as i64
    }
}

/// Samples decoded per refill of [`XorIter`]'s internal buffer.
const BATCH: usize = 32;

/// Bytes the fast loop needs from the byte a sample starts in: one 8-byte window holds its
/// first bit and the next 56 at least, enough for the dod (up to 20 bits), the value
/// header and, usually, the payload. Anything longer is read with checked loads.
const WIN: usize = 8;

/// When the fast loop stops fewer than this many bytes before the end of the data, the
/// rest is decoded from a copy followed by as many zero bytes: a sample (at most 145 bits)
/// and the 8-byte loads that read it then stay inside the copy.
const TAIL: usize = 32;

/// Decoder state between samples.
#[derive(Clone, Copy, Debug)]
struct State {
    t: i64,
    v: u64,
    t_delta: u64,
    /// Width of the current value window, `64 - L - T`, always 1..=64.
    width: u32,
    /// Trailing zeros `T` of the current window, always ≤ 63.
    trailing: u32,
}

impl State {
    /// Before the first sample. A window reused before any was set is read as L = T = 0
    /// (64 bits), like Prometheus does.
    const START: State = State {
        t: 0,
        v: 0,
        t_delta: 0,
        width: 64,
        trailing: 0,
    };

    #[inline(always)]
    fn sample(&self) -> (i64, f64) {
        (self.t, f64::from_bits(self.v))
    }
}

/// Where decoding of one chunk stands.
///
/// The hot loop ([`run_fast`]) keeps the bit position and [`State`] in registers and reads
/// each sample from one 8-byte window of the data: one bounds check per sample. The last
/// bytes of the data are decoded from a zero-padded copy; long varints, 64-bit windows,
/// damaged data and errors go through the checked [`BitReader`] code ([`slow_head`],
/// [`slow_later`]), which gives the same result for the same bits.
#[derive(Clone, Debug)]
struct Decoder<'a> {
    data: &'a [u8],
    /// File offset of `data[0]`.
    base: u64,
    /// Bit position of the next sample in `data`.
    bit: usize,
    st: State,
    /// Samples the header claims.
    num_samples: u16,
    /// Samples decoded so far.
    decoded: u16,
}

impl Decoder<'_> {
    /// Decodes up to `out.len()` samples into `out`; returns how many, and the error that
    /// stopped decoding early, if any. After an error the decoder must not be used again.
    fn decode(&mut self, out: &mut [(i64, f64)]) -> (usize, Option<DecodeError>) {
        let todo = usize::from(self.num_samples - self.decoded).min(out.len());
        let out = out.get_mut(..todo).unwrap_or_default();
        let data = self.data;
        let mut bit = self.bit;
        let mut st = self.st;
        let mut n = 0;
        let mut err = None;
        // Samples 0 and 1 have their own layout.
        while usize::from(self.decoded) + n < 2 {
            let Some(slot) = out.get_mut(n) else { break };
            let first = usize::from(self.decoded) + n == 0;
            let head = match fast_head(data, bit, st, first) {
                Some(h) => Ok(h),
                None => slow_head(data, self.base, bit, st, first),
            };
            match head {
                Ok((b, s)) => {
                    bit = b;
                    st = s;
                    *slot = st.sample();
                    n += 1;
                }
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        while err.is_none() && n < out.len() {
            let rest_out = out.get_mut(n..).unwrap_or_default();
            n += run_fast::<false>(data, 0, usize::MAX, &mut bit, &mut st, rest_out);
            // Close to the end of the data: the same code on a zero-padded copy, keeping
            // only samples that end inside the data.
            let byte = bit / 8;
            let rest = data.get(byte..).unwrap_or_default();
            if n < out.len() && rest.len() < TAIL {
                let mut pad = [0u8; 2 * TAIL];
                if let Some(p) = pad.get_mut(..rest.len()) {
                    p.copy_from_slice(rest);
                }
                let src = pad.get(..rest.len() + TAIL).unwrap_or_default();
                let rest_out = out.get_mut(n..).unwrap_or_default();
                let limit = rest.len() * 8;
                n += run_fast::<true>(src, byte * 8, limit, &mut bit, &mut st, rest_out);
            }
            // One sample the checked way: reports a truncated or invalid sample.
            let Some(slot) = out.get_mut(n) else { break };
            match slow_later(data, self.base, bit, st) {
                Ok((b, s)) => {
                    bit = b;
                    st = s;
                    *slot = st.sample();
                    n += 1;
                }
                Err(e) => err = Some(e),
            }
        }
        self.bit = bit;
        self.st = st;
        self.decoded += n as u16;
        (n, err)
    }
}

/// Decodes samples n ≥ 2 from `src` into `out` while the fast path can; `src[0]` is bit
/// `origin` of the chunk data, and `bit` and `st` are updated past the samples decoded.
/// Returns how many. Stops where it cannot go on (near the end of `src`, a 64-bit value
/// window, an invalid window); the caller then decodes one sample with [`slow_later`]. With
/// `PADDED`, `src` is the end of the data followed by `TAIL` zero bytes, and only samples
/// that end within `limit` bits (the data) count.
///
/// The common shapes (dod `0` or `10`, value unchanged or in the old window) are branches
/// that the CPU predicts well: a series' scrape jitter and the way its values change are
/// regular within a chunk, and a predicted branch lets the next sample start before this
/// one's load is done. (Selecting between reuse and new window without a branch was tried:
/// the dependency through the load made it 35% slower.)
#[inline(never)]
fn run_fast<const PADDED: bool>(
    src: &[u8],
    origin: usize,
    limit: usize,
    bit: &mut usize,
    st: &mut State,
    out: &mut [(i64, f64)],
) -> usize {
    // Samples must start in bytes 0..=last.
    let Some(last) = src.len().checked_sub(WIN) else {
        return 0;
    };
    let mut b = *bit - origin;
    let State {
        mut t,
        mut v,
        mut t_delta,
        mut width,
        mut trailing,
    } = *st;
    let total = out.len();
    let mut slots = out.iter_mut();
    while slots.len() > 0 {
        let i = b / 8;
        if i > last {
            break;
        }
        let Some(win) = src.get(i..i + WIN).and_then(|w| w.first_chunk::<WIN>()) else {
            break;
        };
        let r = b % 8;
        let w = u64::from_be_bytes(*win) << r;
        // Timestamp.
        let (vr, wv, dod) = if w >> 63 == 0 {
            (r + 1, w << 1, 0)
        } else if w & 1 << 62 == 0 {
            // 14 payload bits u; u > 2^13 is negative: sign-extend u - 1, then add 1 back.
            // The subtraction borrows from the prefix bits, which the shift drops.
            let dod = ((((w >> 48).wrapping_sub(1)) << 50) as i64 >> 50) + 1;
            (r + 16, w << 16, dod as u64)
        } else {
            match wide_dod(src, b, w) {
                Some(d) => d,
                None => break,
            }
        };
        // Value; `wv` holds the bits from `vr` through bit 63 of the window. A payload that
        // is not in `wv` is read again from `src` (rare; keeps `win` out of registers).
        let (end, x) = if wv >> 63 == 0 {
            (vr + 1, 0)
        } else if wv & 1 << 62 == 0 {
            let end = vr + 2 + width as usize;
            let x = if end <= 64 {
                (wv << 2) >> (64 - width)
            } else {
                match bits_at(src, i * 8 + vr + 2, width) {
                    Some(x) => x,
                    None => break,
                }
            };
            (end, x << trailing)
        } else {
            let lm = (wv >> 51) as u32 & 0x7ff;
            let leading = lm >> 6;
            // 6 bits of width; 0 means 64 and goes the slow way, which keeps the width
            // (and so the next sample's position) one shift and mask away from the load.
            let new_width = lm & 0x3f;
            if new_width == 0 || leading + new_width > 64 {
                break;
            }
            let end = vr + 13 + new_width as usize;
            if PADDED && i * 8 + end > limit {
                break;
            }
            let x = if end <= 64 {
                (wv << 13) >> (64 - new_width)
            } else {
                match bits_at(src, i * 8 + vr + 13, new_width) {
                    Some(x) => x,
                    None => break,
                }
            };
            width = new_width;
            trailing = 64 - leading - new_width;
            (end, x << trailing)
        };
        if PADDED && i * 8 + end > limit {
            break;
        }
        v ^= x;
        t_delta = t_delta.wrapping_add(dod);
        t = t.wrapping_add(t_delta as i64);
        b = i * 8 + end;
        if let Some(slot) = slots.next() {
            *slot = (t, f64::from_bits(v));
        }
    }
    *bit = origin + b;
    *st = State {
        t,
        v,
        t_delta,
        width,
        trailing,
    };
    total - slots.len()
}

/// The 17-, 20- and 64-bit dod classes of the sample at bit `bit` of `src`, whose first
/// bits are `w`: the value's position relative to the start of the sample's window, the
/// window there, and the dod; `None` when `src` ends too soon for the checked loads.
#[inline(always)]
fn wide_dod(src: &[u8], bit: usize, w: u64) -> Option<(usize, u64, u64)> {
    let r = bit % 8;
    let ones = w.leading_ones();
    if ones < 4 {
        // 110 + 17 bits, 1110 + 20 bits.
        let pw = 11 + 3 * ones;
        let len = ones + 1 + pw;
        let u = (w << (ones + 1)) >> (64 - pw);
        let dod = if u > 1 << (pw - 1) {
            u.wrapping_sub(1 << pw)
        } else {
            u
        };
        Some((r + len as usize, w << len, dod))
    } else {
        let dod = bits_at(src, bit + 4, 64)?;
        Some((r + 68, window_at(src, bit + 68)?, dod))
    }
}

/// Sample 0 (`first`) or 1 on the fast path; `None` for varints longer than 7 bytes, an
/// invalid window, or when the 8-byte loads would reach past `src`.
#[inline(always)]
fn fast_head(src: &[u8], bit: usize, mut st: State, first: bool) -> Option<(usize, State)> {
    // A varint of at most 7 groups from one window.
    let w = window_at(src, bit)?;
    let mut u = 0;
    let mut len = 0;
    for i in 0..7 {
        let b = (w >> (56 - 8 * i)) & 0xff;
        u |= (b & 0x7f) << (7 * i);
        if b < 0x80 {
            len = 8 * (i + 1);
            break;
        }
    }
    if len == 0 {
        return None;
    }
    let bit = bit + len;
    if first {
        st.t = ((u >> 1) as i64) ^ -((u & 1) as i64);
        st.v = bits_at(src, bit, 64)?;
        return Some((bit + 64, st));
    }
    st.t_delta = u;
    st.t = st.t.wrapping_add(u as i64);
    // The value: `0` unchanged, `10` the old window (L = T = 0 before any), `11` new.
    let w = window_at(src, bit)?;
    if w >> 63 == 0 {
        return Some((bit + 1, st));
    }
    let (head, width, trailing) = if w >> 62 & 1 == 0 {
        (2, st.width, st.trailing)
    } else {
        let lm = (w >> 51) as u32 & 0x7ff;
        let leading = lm >> 6;
        let width = ((lm & 0x3f).wrapping_sub(1) & 0x3f) + 1;
        if leading + width > 64 {
            return None;
        }
        (13, width, 64 - leading - width)
    };
    st.v ^= bits_at(src, bit + head, width)? << trailing;
    st.width = width;
    st.trailing = trailing;
    Some((bit + head + width as usize, st))
}

/// Sample 0 (`first`) or 1 at bit `bit`, every read checked.
#[inline(never)]
fn slow_head(data: &[u8], base: u64, bit: usize, st: State, first: bool) -> R<(usize, State)> {
    let br = BitReader::at_bit(data, base, bit as u64);
    let (br, st) = read_head(br, st, first)?;
    Ok((br.bit_position() as usize, st))
}

/// Sample n ≥ 2 at bit `bit`, every read checked.
#[cold]
#[inline(never)]
fn slow_later(data: &[u8], base: u64, bit: usize, mut st: State) -> R<(usize, State)> {
    let mut br = BitReader::at_bit(data, base, bit as u64);
    read_later(&mut br, &mut st)?;
    Ok((br.bit_position() as usize, st))
}

/// Decodes the samples of one XOR chunk into buffers the caller provides: the fastest way to
/// read a chunk, and the smallest (no internal buffer). [`XorIter`] wraps it for reading
/// one sample at a time.
///
/// Decodes exactly the number of samples the chunk header claims; bytes after the last
/// sample (padding, or the unused trailing byte older Prometheus versions leave) are never
/// read. Float values keep their exact bit patterns, so the stale marker NaN
/// (`0x7FF0000000000002`) stays distinct from an ordinary NaN.
///
/// ```
/// use tsblock::chunkenc::{XorAppender, XorDecoder};
/// let mut app = XorAppender::new();
/// for i in 0..100 {
///     app.append(1000 * i, i as f64);
/// }
/// let data = app.finish();
/// let mut dec = XorDecoder::new(&data, 0)?;
/// let mut buf = [(0, 0.0); 64];
/// let mut total = 0.0;
/// while dec.remaining() > 0 {
///     let n = dec.read_into(&mut buf)?;
///     total += buf[..n].iter().map(|&(_, v)| v).sum::<f64>();
/// }
/// assert_eq!(total, 4950.0);
/// assert_eq!(dec.read_into(&mut buf)?, 0);
/// # Ok::<(), tsblock::error::DecodeError>(())
/// ```
#[derive(Clone, Debug)]
pub struct XorDecoder<'a> {
    dec: Decoder<'a>,
    /// The first error; returned after the samples decoded before it, and by every later
    /// call.
    error: Option<Box<DecodeError>>,
}

impl<'a> XorDecoder<'a> {
    /// A decoder for the chunk data `data` (the bytes after the encoding byte, starting with
    /// the big-endian u16 sample count), which starts at file offset `offset`.
    ///
    /// Fails only when `data` is too short to hold the sample count.
    pub fn new(data: &'a [u8], offset: u64) -> R<Self> {
        let num_samples = match data.first_chunk::<2>() {
            Some(&count) => u16::from_be_bytes(count),
            None => BitReader::new(data, offset).read_bits(16)? as u16,
        };
        Ok(XorDecoder {
            dec: Decoder {
                data,
                base: offset,
                bit: 16,
                st: State::START,
                num_samples,
                decoded: 0,
            },
            error: None,
        })
    }

    /// The number of samples the chunk header claims.
    #[inline]
    pub fn num_samples(&self) -> u16 {
        self.dec.num_samples
    }

    /// The number of samples not decoded yet. After an error it stays above 0, so a loop
    /// `while dec.remaining() > 0 { dec.read_into(..)?; }` sees the error and ends without
    /// an extra call at the end of the chunk.
    #[inline]
    pub fn remaining(&self) -> usize {
        usize::from(self.dec.num_samples - self.dec.decoded)
    }

    /// Decodes the next samples into `out` and returns how many: `out.len()`, or fewer at
    /// the end of the chunk or before an error, 0 after the last sample (or when `out` is
    /// empty).
    ///
    /// Samples decoded before an error are returned first; after an error every later call
    /// returns the same error.
    #[inline]
    pub fn read_into(&mut self, out: &mut [(i64, f64)]) -> R<usize> {
        if let Some(e) = &self.error {
            return Err((**e).clone());
        }
        let (n, err) = self.dec.decode(out);
        if let Some(e) = err {
            let e = Box::new(e);
            let first = (*e).clone();
            self.error = Some(e);
            if n == 0 {
                return Err(first);
            }
        }
        Ok(n)
    }
}

/// Iterates over the samples of one XOR chunk.
///
/// Yields exactly the number of samples the chunk header claims, with their exact bit
/// patterns, like [`XorDecoder`], which it wraps: samples are decoded 32 at a time into a
/// buffer inside the iterator, so [`next_sample`](XorIter::next_sample) is mostly a buffer
/// read. A decoding error is returned after the samples decoded before it.
///
/// ```
/// use tsblock::chunkenc::{XorAppender, XorIter};
/// let mut app = XorAppender::new();
/// app.append(1000, 1.5);
/// app.append(16000, 2.5);
/// let data = app.finish();
/// let samples: Result<Vec<_>, _> = XorIter::new(&data, 0)?.collect();
/// assert_eq!(samples?, [(1000, 1.5), (16000, 2.5)]);
/// # Ok::<(), tsblock::error::DecodeError>(())
/// ```
#[derive(Clone, Debug)]
pub struct XorIter<'a> {
    dec: XorDecoder<'a>,
    /// Decoded samples; `batch[head..len]` are not yet returned.
    batch: [(i64, f64); BATCH],
    head: usize,
    len: usize,
    /// Whether the `Iterator` impl already yielded the error.
    error_yielded: bool,
}

impl<'a> XorIter<'a> {
    /// An iterator over the chunk data `data` (the bytes after the encoding byte, starting
    /// with the big-endian u16 sample count), which starts at file offset `offset`.
    ///
    /// Fails only when `data` is too short to hold the sample count.
    pub fn new(data: &'a [u8], offset: u64) -> R<Self> {
        Ok(XorIter {
            dec: XorDecoder::new(data, offset)?,
            batch: [(0, 0.0); BATCH],
            head: 0,
            len: 0,
            error_yielded: false,
        })
    }

    /// The number of samples the chunk header claims.
    #[inline]
    pub fn num_samples(&self) -> u16 {
        self.dec.num_samples()
    }

    /// The next sample as `(timestamp ms, value)`, `Ok(None)` after the last one.
    ///
    /// After an error every later call returns the same error.
    #[inline]
    pub fn next_sample(&mut self) -> R<Option<(i64, f64)>> {
        if self.head < self.len {
            if let Some(&s) = self.batch.get(self.head) {
                self.head += 1;
                return Ok(Some(s));
            }
        }
        self.refill_batch()
    }

    /// The next samples, up to 32 at a time; an empty slice after the last one.
    ///
    /// The samples come straight from the iterator's buffer. Can be mixed with
    /// [`next_sample`](XorIter::next_sample). After an error every later call returns the
    /// same error.
    #[inline]
    pub fn next_batch(&mut self) -> R<&[(i64, f64)]> {
        if self.head >= self.len {
            self.head = 0;
            self.len = 0;
            self.len = self.dec.read_into(&mut self.batch)?;
        }
        let out = self.batch.get(self.head..self.len).unwrap_or_default();
        self.head = self.len;
        Ok(out)
    }

    /// Decodes the next samples straight into `out` and returns how many: `out.len()`, or
    /// fewer at the end of the chunk, 0 after the last sample (or when `out` is empty).
    ///
    /// Samples that [`next_sample`](XorIter::next_sample) left in the iterator's buffer come
    /// first. Samples decoded before an error are returned first; after an error every
    /// later call returns the same error.
    #[inline]
    pub fn read_into(&mut self, out: &mut [(i64, f64)]) -> R<usize> {
        if self.head < self.len {
            let pending = self.batch.get(self.head..self.len).unwrap_or_default();
            let k = pending.len().min(out.len());
            if let (Some(dst), Some(src)) = (out.get_mut(..k), pending.get(..k)) {
                dst.copy_from_slice(src);
            }
            self.head += k;
            return Ok(k);
        }
        self.dec.read_into(out)
    }

    /// Refills `batch` and returns its first sample, or the end, or the error.
    #[inline(never)]
    fn refill_batch(&mut self) -> R<Option<(i64, f64)>> {
        self.head = 0;
        self.len = 0;
        self.len = self.dec.read_into(&mut self.batch)?;
        match self.batch.get(..self.len).and_then(|b| b.first()) {
            Some(&s) => {
                self.head = 1;
                Ok(Some(s))
            }
            None => Ok(None),
        }
    }
}

/// Sample 0 (`first`) or 1. By value so that the caller's reader is never borrowed by a
/// call and can live in registers.
#[inline(always)]
fn read_head(mut br: BitReader<'_>, mut st: State, first: bool) -> R<(BitReader<'_>, State)> {
    if first {
        st.t = br.read_varint()?;
        st.v = br.read_bits(64)?;
    } else {
        st.t_delta = br.read_uvarint()?;
        st.t = st.t.wrapping_add(st.t_delta as i64);
        read_value(&mut br, &mut st)?;
    }
    Ok((br, st))
}

/// Sample n ≥ 2: a delta-of-delta timestamp, then the value.
#[inline(always)]
fn read_later(br: &mut BitReader<'_>, st: &mut State) -> R<()> {
    // Regular scrapes: dod = 0, and the value code decided by the next two bits.
    if br.ensure(3) {
        let top = br.peek(3);
        if top < 0b100 {
            st.t = st.t.wrapping_add(st.t_delta as i64);
            if top < 0b010 {
                br.consume(2);
                return Ok(());
            }
            br.consume(3);
            return if top == 0b010 {
                read_reuse(br, st)
            } else {
                read_new_window(br, st)
            };
        }
    }
    // Any other dod up to 20 bits: prefix and payload from one register read.
    if br.ensure(24) {
        let buf = br.peek_word();
        let (len, dod) = match (!buf).leading_zeros() {
            0 => (1, 0),
            1 => (16, dod_from_bits((buf << 2) >> 50, 14)),
            2 => (20, dod_from_bits((buf << 3) >> 47, 17)),
            3 => (24, dod_from_bits((buf << 4) >> 44, 20)),
            _ => {
                br.consume(4);
                (0, br.read_bits(64)? as i64)
            }
        };
        br.consume(len);
        st.t_delta = st.t_delta.wrapping_add(dod as u64);
        st.t = st.t.wrapping_add(st.t_delta as i64);
        return read_value(br, st);
    }
    // Near the end of the data: every read checked.
    let dod = match br.read_unary(4)? {
        0 => 0,
        1 => dod_from_bits(br.read_bits(14)?, 14),
        2 => dod_from_bits(br.read_bits(17)?, 17),
        3 => dod_from_bits(br.read_bits(20)?, 20),
        _ => br.read_bits(64)? as i64,
    };
    st.t_delta = st.t_delta.wrapping_add(dod as u64);
    st.t = st.t.wrapping_add(st.t_delta as i64);
    read_value(br, st)
}

/// A value: `0` unchanged, `10` reuse the window, `11` new window.
#[inline(always)]
fn read_value(br: &mut BitReader<'_>, st: &mut State) -> R<()> {
    match br.read_unary(2)? {
        0 => Ok(()),
        1 => read_reuse(br, st),
        _ => read_new_window(br, st),
    }
}

/// `10`: the XOR fits the current window.
#[inline(always)]
fn read_reuse(br: &mut BitReader<'_>, st: &mut State) -> R<()> {
    let x = br.read_bits(st.width)?;
    st.v ^= x << st.trailing;
    Ok(())
}

/// `11`: a new window, L in 5 bits and the width in 6 bits (0 means 64).
#[inline(always)]
fn read_new_window(br: &mut BitReader<'_>, st: &mut State) -> R<()> {
    let lm = br.read_bits(11)? as u32;
    let leading = lm >> 6;
    let width = match lm & 0x3f {
        0 => 64,
        m => m,
    };
    if leading + width > 64 {
        return Err(bad_window(br.offset()));
    }
    st.width = width;
    st.trailing = 64 - leading - width;
    let x = br.read_bits(width)?;
    st.v ^= x << st.trailing;
    Ok(())
}

#[cold]
#[inline(never)]
fn bad_window(offset: u64) -> DecodeError {
    DecodeError::new(
        offset,
        Corruption::Invalid("XOR value window: leading zeros plus width exceed 64 bits"),
    )
}

impl Iterator for XorIter<'_> {
    type Item = R<(i64, f64)>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_sample() {
            Ok(Some(s)) => Some(Ok(s)),
            Ok(None) => None,
            Err(e) => {
                if self.error_yielded {
                    None
                } else {
                    self.error_yielded = true;
                    Some(Err(e))
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let buffered = self.len - self.head;
        let failed = self.dec.error.is_some();
        let err = usize::from(failed && !self.error_yielded);
        (buffered, Some(buffered + self.dec.remaining() + err))
    }
}

impl std::iter::FusedIterator for XorIter<'_> {}

/// Bit writer that reproduces the byte layout of Prometheus 2.x's `bstream`, including the
/// fully unused trailing zero byte it leaves after writing a whole byte at a byte boundary.
#[derive(Clone, Debug)]
struct BitWriter {
    stream: Vec<u8>,
    /// Unused low bits of the last byte of `stream`; 0 means the last byte is full.
    free: u32,
}

impl BitWriter {
    fn write_bit(&mut self, bit: bool) {
        if self.free == 0 {
            self.stream.push(0);
            self.free = 8;
        }
        if let Some(last) = self.stream.last_mut() {
            if bit {
                *last |= 1 << (self.free - 1);
            }
        }
        self.free -= 1;
    }

    /// Writes 8 bits. Like bstream it always appends a byte for the low part, even when the
    /// high part filled the last byte exactly (that byte then stays unused until the next
    /// write).
    fn write_byte(&mut self, byte: u8) {
        if self.free == 0 {
            self.stream.push(0);
            self.free = 8;
        }
        if let Some(last) = self.stream.last_mut() {
            *last |= byte >> (8 - self.free);
        }
        self.stream.push((u16::from(byte) << self.free) as u8);
    }

    /// Writes the low `n` bits of `u` (`n ≤ 64`), whole bytes first, then single bits.
    fn write_bits(&mut self, u: u64, n: u32) {
        if n == 0 {
            return;
        }
        let mut u = u << (64 - n);
        let mut n = n;
        while n >= 8 {
            self.write_byte((u >> 56) as u8);
            u <<= 8;
            n -= 8;
        }
        while n > 0 {
            self.write_bit(u >> 63 == 1);
            u <<= 1;
            n -= 1;
        }
    }

    fn write_uvarint(&mut self, mut x: u64) {
        while x >= 0x80 {
            self.write_byte(x as u8 | 0x80);
            x >>= 7;
        }
        self.write_byte(x as u8);
    }
}

/// Encodes float samples into an XOR chunk, byte for byte as Prometheus 2.42 does.
///
/// The output of [`finish`](XorAppender::finish) is the chunk data (without the encoding
/// byte). Like Prometheus 2.x it may end with one fully unused zero byte, so its length and
/// CRC match blocks written by 2.x; Prometheus 3.x omits that byte.
///
/// Timestamps are meant to increase, but the codec works for any sequence (arithmetic
/// wraps). A chunk holds at most 65535 samples.
#[derive(Clone, Debug)]
pub struct XorAppender {
    w: BitWriter,
    num: u16,
    t: i64,
    v: u64,
    t_delta: u64,
    /// Leading zeros of the current value window; 0xFF before the first window.
    leading: u32,
    trailing: u32,
}

impl Default for XorAppender {
    fn default() -> Self {
        Self::new()
    }
}

impl XorAppender {
    /// The largest number of samples a chunk can hold.
    pub const MAX_SAMPLES: u16 = u16::MAX;

    /// An empty chunk.
    pub fn new() -> Self {
        let mut stream = Vec::with_capacity(128);
        stream.extend_from_slice(&[0, 0]);
        XorAppender {
            w: BitWriter { stream, free: 0 },
            num: 0,
            t: 0,
            v: 0,
            t_delta: 0,
            leading: 0xFF,
            trailing: 0,
        }
    }

    /// Number of samples appended so far.
    pub fn num_samples(&self) -> u16 {
        self.num
    }

    /// Current size of the chunk data in bytes (what [`finish`](XorAppender::finish) would
    /// return now).
    pub fn len_bytes(&self) -> usize {
        self.w.stream.len()
    }

    /// Appends a sample.
    ///
    /// # Panics
    ///
    /// If the chunk already holds [`XorAppender::MAX_SAMPLES`] samples; callers must cut a
    /// new chunk before that.
    pub fn append(&mut self, t: i64, v: f64) {
        assert!(
            self.num < Self::MAX_SAMPLES,
            "XOR chunk already holds {} samples",
            Self::MAX_SAMPLES
        );
        let bits = v.to_bits();
        let mut t_delta = 0;
        match self.num {
            0 => {
                self.w.write_uvarint(((t << 1) ^ (t >> 63)) as u64);
                self.w.write_bits(bits, 64);
            }
            1 => {
                t_delta = t.wrapping_sub(self.t) as u64;
                self.w.write_uvarint(t_delta);
                self.write_value(bits);
            }
            _ => {
                t_delta = t.wrapping_sub(self.t) as u64;
                let dod = t_delta.wrapping_sub(self.t_delta) as i64;
                let fits = |n: u32| -((1i64 << (n - 1)) - 1) <= dod && dod <= 1i64 << (n - 1);
                if dod == 0 {
                    self.w.write_bit(false);
                } else if fits(14) {
                    self.w.write_bits(0b10, 2);
                    self.w.write_bits(dod as u64, 14);
                } else if fits(17) {
                    self.w.write_bits(0b110, 3);
                    self.w.write_bits(dod as u64, 17);
                } else if fits(20) {
                    self.w.write_bits(0b1110, 4);
                    self.w.write_bits(dod as u64, 20);
                } else {
                    self.w.write_bits(0b1111, 4);
                    self.w.write_bits(dod as u64, 64);
                }
                self.write_value(bits);
            }
        }
        self.t = t;
        self.v = bits;
        self.t_delta = t_delta;
        self.num += 1;
    }

    fn write_value(&mut self, bits: u64) {
        let x = bits ^ self.v;
        if x == 0 {
            self.w.write_bit(false);
            return;
        }
        self.w.write_bit(true);
        let leading = x.leading_zeros().min(31);
        let trailing = x.trailing_zeros();
        if self.leading != 0xFF && leading >= self.leading && trailing >= self.trailing {
            self.w.write_bit(false);
            self.w
                .write_bits(x >> self.trailing, 64 - self.leading - self.trailing);
            return;
        }
        self.leading = leading;
        self.trailing = trailing;
        let width = 64 - leading - trailing;
        self.w.write_bit(true);
        self.w.write_bits(u64::from(leading), 5);
        // A width of 64 is written as 0 (only the low 6 bits are kept).
        self.w.write_bits(u64::from(width), 6);
        self.w.write_bits(x >> trailing, width);
    }

    /// The chunk data: the big-endian u16 sample count followed by the bit stream.
    pub fn finish(self) -> Vec<u8> {
        let mut out = self.w.stream;
        if let Some(head) = out.get_mut(..2) {
            head.copy_from_slice(&self.num.to_be_bytes());
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode(data: &[u8]) -> Result<Vec<(i64, u64)>, DecodeError> {
        XorIter::new(data, 0)?
            .map(|r| r.map(|(t, v)| (t, v.to_bits())))
            .collect()
    }

    fn encode(samples: &[(i64, u64)]) -> Vec<u8> {
        let mut app = XorAppender::new();
        for &(t, v) in samples {
            app.append(t, f64::from_bits(v));
        }
        assert_eq!(usize::from(app.num_samples()), samples.len());
        let len = app.len_bytes();
        let out = app.finish();
        assert_eq!(out.len(), len);
        out
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const STALE: u64 = 0x7FF0_0000_0000_0002;
    const NAN: u64 = 0x7FF8_0000_0000_0001;
    const BASE: i64 = 1_700_006_400_000;

    // Real-Prometheus test vectors. Made with promtool 2.42.0 (Debian 2.42.0+ds-5+deb12u1):
    // an OpenMetrics file holding these samples was turned into a block with
    // `promtool tsdb create-blocks-from openmetrics in.om out`, and the XOR records were cut
    // out of `out/<ULID>/chunks/000001` (hex below is the chunk data after the encoding
    // byte). Values were written in OpenMetrics as decimal (shortest round-trip form), `NaN`,
    // `+Inf`, `-Inf` or `-0`; `NaN` parses to Go's math.NaN() bits 0x7FF8000000000001.

    /// One sample: varint t, 64 raw bits, and 2.x's unused trailing zero byte (17 bytes).
    const REAL_ONE: &str = "0001a4d3b884fa62404540000000000000";

    /// 30 samples every 15 s, value 1000 + 17 i.
    const REAL_COUNTER: &str = "001e9ec0b884fa62408f4000000000009875e02c5ac8ff71162e036e916f\
        1f9a2297b711e284d18a174e284d18a1f6d27e282686282e8e28268629de8228668228ee8220";

    /// 24 samples hitting every dod class and its edges (±8192, ±65536, ±524288, 8193, …)
    /// and special values (NaN, ±Inf, -0, subnormals, 1e308, repeats).
    const REAL_EDGES: &str = "00188ec0b884fa62000000000000000098751400188afff780018400387f\
        80100000000000034002d00008004000000000000e8000e007a000184bfffde0001801f08000ff84000\
        00003cdffff87fffc399e70bd79143ffffffffffff000013fe5ccf385ebc8a0f000000000008000174\
        0000e007d0000180ec017a0000717bfd4cccccccccccd800180700000000000017fff003555555555555\
        d8bef9d974b3c72f01b77158f0ff00e004ae59e3cd6600070530302de68a9bfff00";

    fn real_one() -> Vec<(i64, u64)> {
        vec![(BASE + 1234, 42.5f64.to_bits())]
    }

    fn real_counter() -> Vec<(i64, u64)> {
        (0..30)
            .map(|i| (BASE + 15 + 15000 * i, (1000.0 + 17.0 * i as f64).to_bits()))
            .collect()
    }

    fn real_edges() -> Vec<(i64, u64)> {
        let deltas = [
            15000, 15000, 23192, 15000, 23193, 15002, 80538, 15003, 80539, 15003, 80540, 539291,
            15003, 539292, 15005, 539293, 15006, 15007, 15006, 15006, 1, 2, 1,
        ];
        let values: [u64; 24] = [
            0f64.to_bits(),
            0f64.to_bits(),
            0f64.to_bits(),
            1f64.to_bits(),
            1f64.to_bits(),
            NAN,
            NAN,
            f64::INFINITY.to_bits(),
            f64::NEG_INFINITY.to_bits(),
            (-0f64).to_bits(),
            0f64.to_bits(),
            1, // 5e-324, the smallest subnormal
            1e308f64.to_bits(),
            2.5f64.to_bits(),
            2.5f64.to_bits(),
            (-2.5f64).to_bits(),
            f64::MIN_POSITIVE.to_bits(),
            0.1f64.to_bits(),
            0.2f64.to_bits(),
            0.30000000000000004f64.to_bits(),
            1e-300f64.to_bits(),
            123456789.125f64.to_bits(),
            (-7f64).to_bits(),
            (-7f64).to_bits(),
        ];
        let mut t = BASE + 7;
        let mut out = vec![(t, values[0])];
        for (d, v) in deltas.iter().zip(&values[1..]) {
            t += d;
            out.push((t, *v));
        }
        out
    }

    #[test]
    fn real_prometheus_chunks_decode_and_reencode() {
        for (hexdata, samples) in [
            (REAL_ONE, real_one()),
            (REAL_COUNTER, real_counter()),
            (REAL_EDGES, real_edges()),
        ] {
            let data = hex(hexdata);
            assert_eq!(decode(&data).unwrap(), samples);
            assert_eq!(encode(&samples), data, "re-encoding {hexdata}");
        }
        assert_eq!(hex(REAL_ONE).len(), 17);
        assert_eq!(hex(REAL_ONE).last(), Some(&0));
    }

    #[test]
    fn ignores_bytes_after_the_last_sample() {
        let mut data = hex(REAL_COUNTER);
        data.extend_from_slice(&[0xFF; 9]);
        assert_eq!(decode(&data).unwrap(), real_counter());
        // Without the trailing unused byte (the 3.x form) the one-sample chunk still decodes.
        let one = hex(REAL_ONE);
        assert_eq!(decode(&one[..one.len() - 1]).unwrap(), real_one());
    }

    #[test]
    fn empty_and_short_chunks() {
        assert_eq!(decode(&[0, 0]).unwrap(), []);
        assert_eq!(XorAppender::new().finish(), [0, 0]);
        let e = XorIter::new(&[0], 40).unwrap_err();
        assert_eq!(e.offset, 40);
        assert!(matches!(e.kind, Corruption::Truncated { .. }));
        // Claims one sample, has none.
        let mut it = XorIter::new(&[0, 1], 0).unwrap();
        assert_eq!(it.num_samples(), 1);
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
        assert!(it.next_sample().is_err(), "the error is sticky");
    }

    #[test]
    fn batches_and_single_samples_mix() {
        let samples: Vec<(i64, u64)> = (0..100)
            .map(|i| (i * 15_000 + i % 3, (i as f64).sqrt().to_bits()))
            .collect();
        let data = encode(&samples);
        let mut it = XorIter::new(&data, 0).unwrap();
        let mut got = vec![it.next_sample().unwrap().unwrap()];
        loop {
            let batch = it.next_batch().unwrap();
            if batch.is_empty() {
                break;
            }
            got.extend_from_slice(batch);
            got.extend(it.next_sample().unwrap());
        }
        let got: Vec<(i64, u64)> = got.into_iter().map(|(t, v)| (t, v.to_bits())).collect();
        assert_eq!(got, samples);
        assert!(it.next_batch().unwrap().is_empty());

        // Cut before the end of sample 70: batches deliver the samples before the cut, then
        // the error, which is sticky.
        let mut cut = data.clone();
        cut.truncate(encode(&samples[..70]).len() - 2);
        let mut it = XorIter::new(&cut, 500).unwrap();
        let mut n = 0;
        let err = loop {
            match it.next_batch() {
                Ok(b) => {
                    assert!(!b.is_empty());
                    n += b.len();
                }
                Err(e) => break e,
            }
        };
        assert!((60..70).contains(&n), "{n}");
        assert!(matches!(err.kind, Corruption::Truncated { .. }));
        assert!(err.offset >= 500 && err.offset <= 500 + cut.len() as u64);
        assert_eq!(it.next_batch().unwrap_err(), err);
        assert_eq!(it.next_sample().unwrap_err(), err);
        assert!(it.next().is_some_and(|r| r.is_err()));
        assert!(it.next().is_none());
    }

    #[test]
    fn nan_payloads_survive() {
        let samples = [
            (-5, STALE),
            (10, NAN),
            (20, STALE),
            (30, STALE),
            (40, f64::NAN.to_bits()),
            (50, 0x7FF0_0000_0000_0001),
            (60, 0xFFFF_FFFF_FFFF_FFFF),
        ];
        assert_eq!(decode(&encode(&samples)).unwrap(), samples);
    }

    /// Reads the dod prefix of sample 2 of a three-sample chunk whose first two samples are
    /// at 0 and 1000 with value 0.
    fn dod_class(dod: i64) -> u32 {
        let mut app = XorAppender::new();
        app.append(0, 0.0);
        app.append(1000, 0.0);
        app.append(2000 + dod, 0.0);
        let data = app.finish();
        // count 16, varint(0) 8, 64 value bits, uvarint(1000) 16, value 1 bit.
        let mut br = BitReader::new(&data, 0);
        br.read_bits(64).unwrap();
        br.read_bits(16 + 8 + 64 + 16 + 1 - 64).unwrap();
        let class = br.read_unary(4).unwrap();
        assert_eq!(decode(&data).unwrap()[2].0, 2000 + dod);
        class
    }

    #[test]
    fn dod_class_ranges_are_asymmetric() {
        assert_eq!(dod_class(0), 0);
        assert_eq!(dod_class(1), 1);
        assert_eq!(dod_class(8192), 1);
        assert_eq!(dod_class(-8191), 1);
        assert_eq!(dod_class(-8192), 2);
        assert_eq!(dod_class(8193), 2);
        assert_eq!(dod_class(65536), 2);
        assert_eq!(dod_class(-65536), 3);
        assert_eq!(dod_class(524288), 3);
        assert_eq!(dod_class(-524287), 3);
        assert_eq!(dod_class(-524288), 4);
        assert_eq!(dod_class(524289), 4);
        assert_eq!(dod_class(i64::MAX / 2), 4);
    }

    /// A writer-independent stream: header + sample 0 (t = 0, v = 0) + sample 1 header.
    fn stream_with_second_value(value_bits: &[(u64, u32)]) -> Vec<u8> {
        let mut w = BitWriter {
            stream: vec![0, 2],
            free: 0,
        };
        w.write_uvarint(0);
        w.write_bits(0, 64);
        w.write_uvarint(5);
        for &(v, n) in value_bits {
            w.write_bits(v, n);
        }
        w.stream
    }

    #[test]
    fn rejects_window_wider_than_64_bits() {
        // New window with L = 31 and M = 40.
        let data = stream_with_second_value(&[(0b11, 2), (31, 5), (40, 6), (0, 40)]);
        let err = decode(&data).unwrap_err();
        assert!(matches!(err.kind, Corruption::Invalid(_)), "{err:?}");
        // L = 0, M = 0 (64 bits) is fine.
        let data = stream_with_second_value(&[(0b11, 2), (0, 5), (0, 6), (u64::MAX, 64)]);
        assert_eq!(decode(&data).unwrap()[1], (5, u64::MAX));
    }

    #[test]
    fn window_reuse_before_any_window_reads_64_bits() {
        // Prometheus' reader starts with L = T = 0, so "10" then 64 bits is accepted.
        let data = stream_with_second_value(&[(0b10, 2), (0x4045_4000_0000_0000, 64)]);
        assert_eq!(decode(&data).unwrap()[1], (5, 42.5f64.to_bits()));
    }

    #[test]
    fn negative_and_extreme_timestamps() {
        let samples = [
            (i64::MIN, 1),
            (i64::MIN + 1, 2),
            (-1, 3),
            (0, 4),
            (i64::MAX, 5),
            (i64::MIN, 6),
        ];
        assert_eq!(decode(&encode(&samples)).unwrap(), samples);
    }

    fn value_bits() -> impl Strategy<Value = u64> {
        prop_oneof![
            any::<u64>(),
            Just(STALE),
            Just(NAN),
            Just(f64::INFINITY.to_bits()),
            Just(f64::NEG_INFINITY.to_bits()),
            Just(0x8000_0000_0000_0000),
            Just(0),
            1u64..0x0010_0000_0000_0000, // subnormals
            (0u32..100).prop_map(|i| f64::from(i).to_bits()),
            (0u32..100).prop_map(|i| (f64::from(i) * 0.25 + 1e6).to_bits()),
        ]
    }

    fn samples() -> impl Strategy<Value = Vec<(i64, u64)>> {
        let gap = prop_oneof![
            4 => Just(15_000i64),
            2 => 14_990i64..15_010,
            1 => 1i64..100_000,
            1 => 1i64..(1 << 40),
            1 => 1i64..i64::MAX / 256,
        ];
        (
            prop_oneof![any::<i64>(), -(1i64 << 45)..(1i64 << 45)],
            proptest::collection::vec((gap, value_bits()), 0..300),
        )
            .prop_map(|(start, steps)| {
                let mut t = start;
                steps
                    .into_iter()
                    .map(|(g, v)| {
                        let s = (t, v);
                        t = t.wrapping_add(g);
                        s
                    })
                    .collect()
            })
    }

    /// Decodes every sample with the checked `BitReader` code only: the reference for the
    /// fast path.
    fn slow_decode(data: &[u8], base: u64) -> (Vec<(i64, u64)>, Option<DecodeError>) {
        let Some(&count) = data.first_chunk::<2>() else {
            return (vec![], None);
        };
        let (mut bit, mut st, mut out) = (16, State::START, vec![]);
        for i in 0..u16::from_be_bytes(count) {
            let r = if i < 2 {
                slow_head(data, base, bit, st, i == 0)
            } else {
                slow_later(data, base, bit, st)
            };
            match r {
                Ok((b, s)) => {
                    (bit, st) = (b, s);
                    out.push((st.t, st.v));
                }
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    /// Decodes with `read_into` in buffers of the given sizes (cycled).
    fn decode_into(
        data: &[u8],
        base: u64,
        sizes: &[usize],
    ) -> (Vec<(i64, u64)>, Option<DecodeError>) {
        let mut dec = XorDecoder::new(data, base).unwrap();
        let mut out = vec![];
        let mut buf = vec![(0, 0.0); 300];
        for &k in sizes.iter().cycle() {
            match dec.read_into(&mut buf[..k]) {
                Ok(0) if k > 0 => break,
                Ok(n) => out.extend(buf[..n].iter().map(|&(t, v)| (t, v.to_bits()))),
                Err(e) => {
                    assert_eq!(dec.read_into(&mut buf).unwrap_err(), e, "sticky");
                    return (out, Some(e));
                }
            }
            if dec.remaining() == 0 {
                assert_eq!(dec.read_into(&mut buf).unwrap(), 0);
                break;
            }
        }
        (out, None)
    }

    #[test]
    fn read_into_small_buffers_and_mixing() {
        let samples: Vec<(i64, u64)> = (0..200)
            .map(|i| (i * 15_000 + i % 7, (i as f64 * 0.37).to_bits()))
            .collect();
        let data = encode(&samples);
        for sizes in [&[1][..], &[3, 1, 7], &[64], &[300], &[0, 5]] {
            assert_eq!(decode_into(&data, 0, sizes), (samples.clone(), None));
        }
        // XorIter::read_into hands out what next_sample left buffered first.
        let mut it = XorIter::new(&data, 0).unwrap();
        let mut got = vec![it.next_sample().unwrap().unwrap()];
        let mut buf = [(0, 0.0); 50];
        loop {
            let n = it.read_into(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        let got: Vec<(i64, u64)> = got.into_iter().map(|(t, v)| (t, v.to_bits())).collect();
        assert_eq!(got, samples);
    }

    proptest! {
        #[test]
        fn fast_path_matches_checked_reader(
            samples in samples(),
            cut in proptest::option::of(any::<proptest::sample::Index>()),
            flip in proptest::option::of(any::<proptest::sample::Index>()),
            sizes in proptest::collection::vec(1usize..140, 1..4),
        ) {
            // Valid chunks, cuts of them and one flipped bit after the count: same samples,
            // same error (offset and kind).
            let mut data = encode(&samples);
            if let Some(f) = flip {
                let bit = 16 + f.index(data.len() * 8 - 16 + 1);
                if let Some(b) = data.get_mut(bit / 8) {
                    *b ^= 0x80 >> (bit % 8);
                }
            }
            if let Some(c) = cut {
                data.truncate(c.index(data.len() + 1).max(2));
            }
            prop_assert_eq!(decode_into(&data, 77, &sizes), slow_decode(&data, 77));
        }

        #[test]
        fn fast_path_matches_checked_reader_on_garbage(
            data in proptest::collection::vec(any::<u8>(), 2..300),
            count in any::<u16>(),
            sizes in proptest::collection::vec(1usize..140, 1..4),
        ) {
            let mut data = data;
            data[..2].copy_from_slice(&count.to_be_bytes());
            prop_assert_eq!(decode_into(&data, 5, &sizes), slow_decode(&data, 5));
        }

        #[test]
        fn round_trips_bit_exact(samples in samples()) {
            let data = encode(&samples);
            let mut it = XorIter::new(&data, 0).unwrap();
            prop_assert_eq!(usize::from(it.num_samples()), samples.len());
            prop_assert_eq!(it.size_hint().1, Some(samples.len()));
            let mut got = vec![];
            while let Some((t, v)) = it.next_sample().unwrap() {
                got.push((t, v.to_bits()));
            }
            prop_assert_eq!(got, samples);
            prop_assert_eq!(it.next_sample().unwrap(), None);
        }

        #[test]
        fn garbage_never_panics(data: Vec<u8>, count in proptest::option::of(any::<u16>())) {
            let mut data = data;
            if let (Some(c), true) = (count, data.len() >= 2) {
                data[..2].copy_from_slice(&c.to_be_bytes());
            }
            if let Ok(it) = XorIter::new(&data, 0) {
                let claimed = usize::from(it.num_samples());
                let items: Vec<_> = it.collect();
                prop_assert!(items.len() <= claimed);
                // Only the last item may be an error; a short result ends with one.
                let errs = items.iter().filter(|r| r.is_err()).count();
                prop_assert!(errs <= 1);
                if errs == 1 {
                    prop_assert!(items.last().unwrap().is_err());
                } else {
                    prop_assert_eq!(items.len(), claimed);
                }
            }
        }

        #[test]
        fn truncation_is_an_error_never_a_short_chunk(samples in samples()) {
            let data = encode(&samples);
            for len in 0..data.len() {
                let cut = &data[..len];
                let Ok(it) = XorIter::new(cut, 0) else {
                    prop_assert!(len < 2);
                    continue;
                };
                let mut got = vec![];
                let mut failed = false;
                for r in it {
                    match r {
                        Ok((t, v)) => got.push((t, v.to_bits())),
                        Err(e) => {
                            prop_assert!(e.offset <= len as u64);
                            failed = true;
                        }
                    }
                }
                prop_assert!(samples.starts_with(&got));
                prop_assert!(failed || got.len() == samples.len());
            }
        }
    }
}
