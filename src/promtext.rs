//! Text forms that Prometheus' Go tools print, reproduced byte for byte.
//!
//! `promtool tsdb dump` prints each sample as `<labels> <value> <timestamp>`, where the
//! value goes through Go's `%g` verb and label values through Go's `strconv.Quote`
//! (FORMAT-NOTES §6, §8 item 24). This module produces the same bytes:
//!
//! * [`write_float`] / [`GoFloat`]: `%g` of a float64 with the shortest round-trip
//!   digits. Plain decimal form when the decimal exponent `x` (value = d.ddd × 10^x)
//!   satisfies `-4 <= x < 6`, otherwise exponent form `d.ddde±XX` (sign always, at least
//!   two exponent digits). Special values print as `+Inf`, `-Inf`, `NaN` (any payload,
//!   including the stale marker) and `-0`. When two shortest candidates are exactly
//!   equally close, Go takes the one with the even last digit (checked exactly here).
//!   [`format_float`] is the allocation-free core, built for `tsblock dump`'s millions
//!   of lines: integers and short decimals take fast exact paths, the rest the `zmij`
//!   shortest-digits algorithm.
//! * [`format_int`] / [`IntFormatter`]: Go's `%d` of an int64 (timestamps).
//! * [`write_quoted`] / [`GoQuoted`]: Go `strconv.Quote` of a byte string.
//! * [`write_labels`]: a label set as promtool 2.42 prints it, `{a="1", b="2"}`.
//!
//! The `write_*` functions append to a caller-supplied `Vec<u8>` and do not allocate
//! beyond growing it; the `format_*` ones fill a fixed-size buffer. The goldens `promtext_golden.txt` and `promtext_quote_golden.txt` next to this
//! file hold outputs of promtool 2.42 (Go 1.19) and are checked by the unit tests.
//!
//! Unicode version: Go 1.19 (which built promtool 2.42) has Unicode 13.0 tables, while
//! `unicode-general-category` 1.1 has Unicode 16.0. Code points assigned in Unicode
//! 14.0–16.0 (11130 of them, e.g. U+1FAE0 MELTING FACE) are escaped by promtool 2.42;
//! a table of them, measured with promtool, makes the output match 2.42 for every code
//! point. Prometheus 3.x builds with Go 1.21+ (Unicode 15.0) and prints the Unicode
//! 14.0/15.0 part raw.

use std::fmt;

use unicode_general_category::{get_general_category, GeneralCategory};

/// Appends Go's `fmt` `%g` rendering of `v` (shortest round-trip digits) to `out`.
///
/// Examples: `0`, `-0`, `3.14`, `123456.7`, `1.234567e+06`, `0.0001`, `1e-05`,
/// `1e+21`, `5e-324`, `+Inf`, `-Inf`, `NaN`.
pub fn write_float(out: &mut Vec<u8>, v: f64) {
    let mut buf = [0u8; FLOAT_BUF];
    let n = format_float(&mut buf, v);
    out.extend_from_slice(&buf[..n]);
}

/// Size of the scratch buffer [`format_float`] writes into. The text itself is at most
/// 24 bytes (`-1.7976931348623157e+308`); the rest lets the writer use fixed-size
/// copies.
pub const FLOAT_BUF: usize = 40;

/// Formats `v` as `%g` (see [`write_float`]) at the start of `buf` and returns the
/// length of the text, at most 24. Bytes of `buf` after the text are overwritten with
/// unspecified values.
///
/// Three ways to the digits, fastest first: integers below 2^53 (counters), decimals
/// of up to about 15 significant digits (gauges, ratios), and a general
/// shortest-digits algorithm (`zmij`, with Go's tie rule checked exactly).
#[inline]
pub fn format_float(buf: &mut [u8; FLOAT_BUF], v: f64) -> usize {
    let a = v.abs();
    buf[0] = b'-';
    let p = usize::from(v.is_sign_negative());
    if a < TWO_POW_53 {
        let n = a as i64;
        if n as f64 == a {
            // Integers below 2^53: their exact digits are the unique shortest
            // round-trip form, since any other decimal of no more digits is at least 1
            // away and the spacing of floats here is at most 1.
            if n < 1_000_000 {
                if n == 0 {
                    return put(buf, p, b"0");
                }
                // Plain form, at most 6 digits.
                let w = bcd8(n as u32);
                let lead = w.trailing_zeros() / 8;
                buf[p..p + 8].copy_from_slice(&((w >> (8 * lead)) | ASCII_ZEROS_8).to_le_bytes());
                return p + 8 - lead as usize;
            }
            return write_short(buf, p, Short::from_int(n as u64, 0));
        }
    }
    if let Some(s) = short_decimal(a) {
        return write_short(buf, p, s);
    }
    if a.is_nan() {
        return put(buf, 0, b"NaN");
    }
    if a.is_infinite() {
        return put(buf, 0, if p == 0 { b"+Inf" } else { b"-Inf" });
    }
    write_digits(buf, p, &shortest_digits(a))
}

/// 2^53: below it every integer is an `f64`.
const TWO_POW_53: f64 = 9_007_199_254_740_992.0;

/// Up to 16 significant decimal digits of a positive number `d.ddd × 10^exp`: the
/// little-endian bytes of `ascii` are the digits, most significant first (`len` of
/// them, no leading or trailing zeros), padded with `'0'`.
#[derive(Clone, Copy)]
struct Short {
    ascii: u128,
    len: usize,
    exp: i32,
}

impl Short {
    /// The digits of `d × 10^k` for `0 < d < 10^16`.
    #[inline(always)]
    fn from_int(d: u64, k: i32) -> Short {
        debug_assert!(d > 0 && d < 10_000_000_000_000_000);
        // BCD digits (values 0-9), 16 of them, zero-padded on the left.
        let w = if d < 100_000_000 {
            u128::from(bcd8(d as u32)) << 64
        } else {
            bcd16(d)
        };
        let lead = w.trailing_zeros() / 8; // leading zero digits
        let trail = w.leading_zeros() / 8; // trailing zero digits
        let nd = 16 - lead;
        Short {
            ascii: (w >> (8 * lead)) | ASCII_ZEROS_16,
            len: (nd - trail) as usize,
            exp: k + nd as i32 - 1,
        }
    }
}

/// Lays out `s` in `%g` form after a sign of `p` bytes (see [`write_digits`]).
#[inline(always)]
fn write_short(buf: &mut [u8; FLOAT_BUF], p: usize, s: Short) -> usize {
    let Short { ascii, len, exp } = s;
    if (0..6).contains(&exp) {
        // The integer part has exp+1 digits; `ascii` is padded with '0' to that length.
        let int_len = exp as usize + 1;
        buf[p..p + 16].copy_from_slice(&ascii.to_le_bytes());
        if len <= int_len {
            return p + int_len;
        }
        let at = p + int_len;
        buf[at + 1..at + 17].copy_from_slice(&(ascii >> (8 * int_len)).to_le_bytes());
        buf[at] = b'.';
        return p + len + 1;
    }
    if (-4..0).contains(&exp) {
        // "0." and -exp-1 zeros, then the digits.
        buf[p..p + 8].copy_from_slice(b"0.000000");
        let at = p + 1 + exp.unsigned_abs() as usize;
        buf[at..at + 16].copy_from_slice(&ascii.to_le_bytes());
        return at + len;
    }
    buf[p] = ascii as u8;
    buf[p + 1] = b'.';
    buf[p + 2..p + 18].copy_from_slice(&(ascii >> 8).to_le_bytes());
    let n = p + if len > 1 { len + 1 } else { 1 };
    write_exponent(buf, n, exp)
}

/// Lays out `digits` in `%g` form after a sign of `p` bytes: plain decimal when the
/// decimal exponent `x` (value = d.ddd × 10^x) satisfies `-4 <= x < 6`, otherwise
/// `d[.ddd]e±XX`.
fn write_digits(buf: &mut [u8; FLOAT_BUF], p: usize, digits: &Digits) -> usize {
    let ascii = &digits.ascii;
    let len = digits.len;
    let exp = digits.exp;
    if (0..6).contains(&exp) {
        // The integer part has exp+1 digits; `ascii` is padded with '0' to that length.
        let int_len = exp as usize + 1;
        buf[p..p + 8].copy_from_slice(&ascii[..8]);
        if len <= int_len {
            return p + int_len;
        }
        buf[p + int_len] = b'.';
        let at = p + int_len + 1;
        buf[at..at + 24].copy_from_slice(&ascii[int_len..int_len + 24]);
        return p + len + 1;
    }
    if (-4..0).contains(&exp) {
        // "0." and -exp-1 zeros, then the digits.
        buf[p..p + 8].copy_from_slice(b"0.000000");
        let at = p + 1 + exp.unsigned_abs() as usize;
        buf[at..at + 24].copy_from_slice(&ascii[..24]);
        return at + len;
    }
    buf[p] = ascii[0];
    buf[p + 1] = b'.';
    buf[p + 2..p + 26].copy_from_slice(&ascii[1..25]);
    let n = p + if len > 1 { len + 1 } else { 1 };
    write_exponent(buf, n, exp)
}

/// Writes `e±XX` (at least two exponent digits) at `n`, returning the new end.
#[inline]
fn write_exponent(buf: &mut [u8; FLOAT_BUF], n: usize, exp: i32) -> usize {
    let e = exp.unsigned_abs() as usize;
    buf[n] = b'e';
    buf[n + 1] = if exp < 0 { b'-' } else { b'+' };
    if e < 100 {
        buf[n + 2..n + 4].copy_from_slice(&PAIRS[2 * e..2 * e + 2]);
        n + 4
    } else {
        buf[n + 2] = b'0' + (e / 100) as u8;
        let r = e % 100;
        buf[n + 3..n + 5].copy_from_slice(&PAIRS[2 * r..2 * r + 2]);
        n + 5
    }
}

/// Exact powers of ten representable in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Fast path for a non-integer, finite, positive `a` with a decimal form of at most
/// about 15 significant digits, such as `0.25`, `12.375` or `1.5e-09`: returns its
/// shortest round-trip digits, or `None` to defer to [`shortest_digits`]. Also `None`
/// for infinities and NaN.
///
/// Pick the largest `j <= 22` with `a × 10^j < 2^50`. There the spacing `10^-j` exceeds
/// 4 ulps of `a`, so at most one decimal with `j` fractional digits round-trips to `a`
/// (no closeness or tie rule applies), and any shorter decimal that round-trips is that
/// same number. Such a decimal lies within 1/8 of a unit of the product, which is itself
/// computed to within 1/16, so rounding the product finds it. One correctly rounded
/// division, which equals parsing the decimal, confirms it; stripping trailing zeros
/// then gives the fewest digits.
#[inline]
fn short_decimal(a: f64) -> Option<Short> {
    const LIMIT: f64 = (1u64 << 50) as f64;
    // a < 2^(e2+1); 78913 / 2^18 is just below log10(2), so 10^j <= 2^(49-e2).
    let e2 = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let room = 49 - e2;
    if room <= 0 {
        return None;
    }
    let j = ((room as u32 * 78913) >> 18).min(22) as usize;
    if j == 0 {
        return None; // Only an integer could work, and `a` is not one.
    }
    let p = POW10[j];
    let scaled = a * p;
    if scaled >= LIMIT {
        return None;
    }
    let m = (scaled + 0.5) as i64 as u64; // Nearest integer; all values here are exact.
    if m == 0 || m as i64 as f64 / p != a {
        return None;
    }
    Some(Short::from_int(m, -(j as i32)))
}

/// Shortest round-trip decimal digits of a finite, positive `a`, for values the fast
/// paths do not cover (mostly 16 or 17 significant digits, and very large or small
/// magnitudes).
///
/// The digits come from the `zmij` crate (Schubfach: the shortest decimals that
/// round-trip, the closest of them). When two candidates of the shortest length are
/// exactly equally close to `a`, Go picks the one with the even last digit;
/// [`fix_tie`] makes sure of that.
fn shortest_digits(a: f64) -> Digits {
    let mut z = zmij::Buffer::new();
    let (d, k) = parse_decimal(z.format_finite(a).as_bytes());
    fix_tie(a, d, k)
}

/// The same digits as [`shortest_digits`], from the standard library's `{:e}`
/// formatting (Grisu with a Dragon4 fallback): the reference the other paths are
/// tested against.
#[cfg(test)]
fn shortest_digits_std(a: f64) -> Digits {
    let mut sci = ArrayWriter {
        buf: [0u8; FLOAT_BUF],
        len: 0,
    };
    // Cannot fail: the buffer holds any finite f64 in `{:e}` form (at most 24 bytes).
    let _ = fmt::write(&mut sci, format_args!("{a:e}"));
    let (d, k) = parse_decimal(&sci.buf[..sci.len]);
    fix_tie(a, d, k)
}

/// Parses a positive decimal such as `123.45`, `0.00012`, `1200.0`, `1.5e-7` or `3e+21`
/// into `(d, k)` with value `d × 10^k` and `d` free of trailing zeros. At most 19
/// digits, not counting leading zeros, as `zmij` and `{:e}` write at most 17
/// significant digits and a few zeros.
fn parse_decimal(s: &[u8]) -> (u64, i32) {
    let (mut d, mut k, mut frac) = (0u64, 0i32, false);
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        i += 1;
        if b.is_ascii_digit() {
            d = d * 10 + u64::from(b - b'0');
            k -= i32::from(frac);
        } else if b == b'.' {
            frac = true;
        } else {
            break; // 'e'
        }
    }
    let (mut e, mut neg) = (0i32, false);
    for &b in &s[i..] {
        match b {
            b'-' => neg = true,
            b'0'..=b'9' => e = e * 10 + i32::from(b - b'0'),
            _ => {}
        }
    }
    k += if neg { -e } else { e };
    while d != 0 && d % 10 == 0 {
        d /= 10;
        k += 1;
    }
    (d, k)
}

/// `d × 10^k` is the closest shortest decimal to `a`. If `a` is exactly halfway between
/// it and a neighbour of the same length, returns the one with the even last digit.
fn fix_tie(a: f64, d: u64, k: i32) -> Digits {
    if d % 2 == 1 {
        // Possibly a tie resolved to the odd digit.
        for alt in [d - 1, d + 1] {
            if is_exact_midpoint(a, d.min(alt), k) && round_trips(a, alt, k) {
                return Digits::from_int(alt, k);
            }
        }
    }
    Digits::from_int(d, k)
}

/// True if `a` is exactly `(lo + 1/2) × 10^k`, the midpoint between `lo` and `lo + 1`
/// in units of `10^k`.
fn is_exact_midpoint(a: f64, lo: u64, k: i32) -> bool {
    // a = m × 2^e with m odd.
    let bits = a.to_bits();
    let frac = bits & ((1u64 << 52) - 1);
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let (mut m, mut e) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), biased - 1075)
    };
    if m == 0 {
        return false;
    }
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    // Midpoint = n × 10^k / 2 = n × 5^k × 2^(k-1) with n = 2·lo + 1 odd.
    let n = u128::from(lo) * 2 + 1;
    if e != k - 1 {
        return false;
    }
    let Some(p5) = 5u128.checked_pow(k.unsigned_abs()) else {
        return false;
    };
    if k >= 0 {
        n.checked_mul(p5) == Some(u128::from(m))
    } else {
        u128::from(m).checked_mul(p5) == Some(n)
    }
}

/// True if the decimal `d × 10^k` parses back to exactly `a`.
fn round_trips(a: f64, d: u64, k: i32) -> bool {
    let mut w = ArrayWriter {
        buf: [0u8; FLOAT_BUF],
        len: 0,
    };
    if fmt::write(&mut w, format_args!("{d}e{k}")).is_err() {
        return false;
    }
    std::str::from_utf8(&w.buf[..w.len])
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        == Some(a)
}

/// Significant decimal digits of a positive number `d.ddd × 10^exp`, any count up to
/// 20: `ascii[..len]` holds them (no leading or trailing zeros) and the rest of `ascii`
/// is `'0'`, so the layout code can copy fixed-size blocks.
struct Digits {
    ascii: [u8; 32],
    len: usize,
    exp: i32,
}

impl Digits {
    /// The digits of `d × 10^k` for a nonzero `d`.
    fn from_int(d: u64, k: i32) -> Digits {
        let mut ascii = [b'0'; 32];
        let head_len = if d >= 10_000_000_000_000_000 {
            put_uint(&mut ascii, d / 10_000_000_000_000_000)
        } else {
            0
        };
        let rest = d % 10_000_000_000_000_000;
        let w = bcd16(rest) | ASCII_ZEROS_16;
        ascii[head_len..head_len + 16].copy_from_slice(&w.to_le_bytes());
        // Drop leading zeros (when there is no head), count all, then trailing zeros.
        let lead = if head_len == 0 {
            ascii.iter().take_while(|&&b| b == b'0').count()
        } else {
            0
        };
        ascii.copy_within(lead.., 0);
        ascii[32 - lead..].fill(b'0');
        let nd = head_len + 16 - lead;
        let mut len = nd;
        while len > 1 && ascii[len - 1] == b'0' {
            len -= 1;
        }
        Digits {
            ascii,
            len,
            exp: k + nd as i32 - 1,
        }
    }
}

/// Every byte `'0'`: OR-ed onto digit values 0–9 to make ASCII.
const ASCII_ZEROS_8: u64 = 0x3030_3030_3030_3030;
const ASCII_ZEROS_16: u128 = 0x3030_3030_3030_3030_3030_3030_3030_3030;

/// The 8 decimal digits of `n < 10^8`, zero-padded, as byte values 0–9 in a `u64`
/// whose little-endian bytes run from the most significant digit to the least. So
/// `trailing_zeros() / 8` counts leading zero digits and `leading_zeros() / 8` trailing
/// zero digits.
///
/// SWAR: split into two 4-digit lanes, each into two 2-digit lanes, each into two
/// digits, dividing all lanes at once by multiplying with a scaled reciprocal (exact
/// for the ranges involved: `x * 10486 >> 20` is `x / 100` for `x < 10^4`, `x * 103 >>
/// 10` is `x / 10` for `x < 100`).
#[inline]
fn bcd8(n: u32) -> u64 {
    debug_assert!(n < 100_000_000);
    let x = u64::from(n / 10_000) | (u64::from(n % 10_000) << 32);
    let hundreds = ((x * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let x = ((x - hundreds * 100) << 16) | hundreds;
    let tens = ((x * 103) >> 10) & 0x000f_000f_000f_000f;
    ((x - tens * 10) << 8) | tens
}

/// The 16 decimal digits of `n < 10^16` in the layout of [`bcd8`].
#[inline]
fn bcd16(n: u64) -> u128 {
    let hi = (n / 100_000_000) as u32;
    let lo = (n % 100_000_000) as u32;
    u128::from(bcd8(hi)) | (u128::from(bcd8(lo)) << 64)
}

/// Size of the scratch buffer [`format_int`] writes into (the text is at most 20
/// bytes, `-9223372036854775808`).
pub const INT_BUF: usize = 24;

/// Writes the decimal form of `v` (`-` and digits) at the start of `buf` and returns its
/// length: Go's `%d` / `strconv.FormatInt`, as promtool prints timestamps. Bytes of
/// `buf` after the text are overwritten with unspecified values.
pub fn format_int(buf: &mut [u8; INT_BUF], v: i64) -> usize {
    buf[0] = b'-';
    let p = usize::from(v < 0);
    let u = v.unsigned_abs();
    if u < 100_000_000 {
        let w = bcd8(u as u32);
        let lead = (w.trailing_zeros() / 8).min(7) as usize;
        buf[p..p + 8].copy_from_slice(&((w >> (8 * lead)) | ASCII_ZEROS_8).to_le_bytes());
        p + 8 - lead
    } else if u < 10_000_000_000_000_000 {
        let w = bcd16(u);
        let lead = (w.trailing_zeros() / 8) as usize;
        buf[p..p + 16].copy_from_slice(&((w >> (8 * lead)) | ASCII_ZEROS_16).to_le_bytes());
        p + 16 - lead
    } else {
        let h = put_uint(&mut buf[p..], u / 10_000_000_000_000_000);
        let w = bcd16(u % 10_000_000_000_000_000) | ASCII_ZEROS_16;
        buf[p + h..p + h + 16].copy_from_slice(&w.to_le_bytes());
        p + h + 16
    }
}

/// [`format_int`] for a run of nearby values, such as one series' millisecond
/// timestamps: the digits above the last eight are kept from the previous call while
/// they stay the same (for timestamps, about a day).
#[derive(Debug, Default, Clone)]
pub struct IntFormatter {
    /// `v / 10^8` of the last value formatted through the cache (0: none).
    high: u64,
    /// Its digits in ASCII, little-endian, and their count.
    high_ascii: u64,
    high_len: usize,
}

impl IntFormatter {
    /// Writes the decimal form of `v` at the start of `buf` and returns its length, like
    /// [`format_int`].
    #[inline]
    pub fn format(&mut self, buf: &mut [u8; INT_BUF], v: i64) -> usize {
        // 9 to 16 digits: a high part of 1 to 8 digits, then 8 more.
        if !(100_000_000..10_000_000_000_000_000).contains(&v) {
            return format_int(buf, v);
        }
        let u = v as u64;
        let high = u / 100_000_000;
        let low = (u - high * 100_000_000) as u32;
        if high != self.high {
            let w = bcd8(high as u32);
            let lead = w.trailing_zeros() / 8;
            self.high = high;
            self.high_ascii = (w >> (8 * lead)) | ASCII_ZEROS_8;
            self.high_len = 8 - lead as usize;
        }
        let at = self.high_len;
        buf[..8].copy_from_slice(&self.high_ascii.to_le_bytes());
        buf[at..at + 8].copy_from_slice(&(bcd8(low) | ASCII_ZEROS_8).to_le_bytes());
        at + 8
    }
}

/// Copies `src` into `buf` at `at`, returning the new end position.
fn put(buf: &mut [u8], at: usize, src: &[u8]) -> usize {
    buf[at..at + src.len()].copy_from_slice(src);
    at + src.len()
}

/// Writes the decimal digits of `v` at the start of `buf`, returning their count.
fn put_uint(buf: &mut [u8], mut v: u64) -> usize {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    while v >= 100 {
        let r = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        tmp[i..i + 2].copy_from_slice(&PAIRS[r..r + 2]);
    }
    if v >= 10 {
        let r = v as usize * 2;
        i -= 2;
        tmp[i..i + 2].copy_from_slice(&PAIRS[r..r + 2]);
    } else {
        i -= 1;
        tmp[i] = b'0' + v as u8;
    }
    put(buf, 0, &tmp[i..])
}

/// "00" to "99": two-digit exponents, and two digits per division in [`put_uint`].
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// A fixed-size `fmt::Write` sink used to capture formatted numbers without allocating.
struct ArrayWriter {
    buf: [u8; FLOAT_BUF],
    len: usize,
}

impl fmt::Write for ArrayWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Appends Go's `strconv.Quote(s)` to `out`.
///
/// The result is wrapped in `"`. `\a \b \f \n \r \t \v \\ \"` use their short escapes;
/// other bytes below 0x20 and 0x7f become `\xNN`; printable runes (Go's `IsPrint`:
/// letters, marks, numbers, punctuation, symbols and U+0020) stay raw; other runes
/// become `\uNNNN` (below U+10000) or `\UNNNNNNNN`; each byte that does not start a
/// valid UTF-8 sequence becomes `\xNN`. Hex digits are lowercase.
pub fn write_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut rest = s;
    while !rest.is_empty() {
        // Copy the longest run of ASCII bytes that need no escaping.
        let plain = rest
            .iter()
            .position(|&b| !is_plain_ascii(b))
            .unwrap_or(rest.len());
        out.extend_from_slice(&rest[..plain]);
        rest = &rest[plain..];
        let Some(&b) = rest.first() else { break };
        if b < 0x80 {
            escape_ascii(out, b);
            rest = &rest[1..];
            continue;
        }
        // Non-ASCII: handle the following stretch of UTF-8 chunks up to the next
        // plain ASCII byte (chunks may contain ASCII; handle them rune by rune).
        let end = rest
            .iter()
            .position(|&b| is_plain_ascii(b))
            .unwrap_or(rest.len());
        for chunk in rest[..end].utf8_chunks() {
            for c in chunk.valid().chars() {
                write_rune(out, c);
            }
            for &bad in chunk.invalid() {
                write_hex_byte(out, bad);
            }
        }
        rest = &rest[end..];
    }
    out.push(b'"');
}

/// True for ASCII bytes that `strconv.Quote` copies unchanged.
#[inline]
fn is_plain_ascii(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\'
}

/// Writes the escaped form of an ASCII byte that is not plain.
fn escape_ascii(out: &mut Vec<u8>, b: u8) {
    let short = match b {
        b'"' => b'"',
        b'\\' => b'\\',
        0x07 => b'a',
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0x0b => b'v',
        _ => {
            write_hex_byte(out, b);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

/// Writes `\xNN` for one byte.
fn write_hex_byte(out: &mut Vec<u8>, b: u8) {
    out.extend_from_slice(&[
        b'\\',
        b'x',
        HEX[usize::from(b >> 4)],
        HEX[usize::from(b & 15)],
    ]);
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes one decoded rune: ASCII via the byte rules, printable runes raw, others as
/// `\u`/`\U` escapes.
fn write_rune(out: &mut Vec<u8>, c: char) {
    let cp = c as u32;
    if cp < 0x80 {
        let b = cp as u8;
        if is_plain_ascii(b) {
            out.push(b);
        } else {
            escape_ascii(out, b);
        }
    } else if is_go_print(c) {
        let mut tmp = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    } else if cp < 0x10000 {
        out.extend_from_slice(b"\\u");
        write_hex_digits(out, cp, 4);
    } else {
        out.extend_from_slice(b"\\U");
        write_hex_digits(out, cp, 8);
    }
}

/// Writes the low `n` hex digits of `v`, most significant first.
fn write_hex_digits(out: &mut Vec<u8>, v: u32, n: u32) {
    for i in (0..n).rev() {
        out.push(HEX[((v >> (4 * i)) & 15) as usize]);
    }
}

/// Go's `unicode.IsPrint` for non-ASCII runes, as of Go 1.19 (Unicode 13.0): general
/// categories L*, M*, N*, P*, S*, excluding code points assigned after Unicode 13.0.
fn is_go_print(c: char) -> bool {
    use GeneralCategory as G;
    let printable = !matches!(
        get_general_category(c),
        G::SpaceSeparator
            | G::LineSeparator
            | G::ParagraphSeparator
            | G::Control
            | G::Format
            | G::PrivateUse
            | G::Surrogate
            | G::Unassigned
    );
    printable && !is_newer_than_go_tables(c as u32)
}

/// True for code points that are printable in the crate's Unicode 16.0 data but were
/// unassigned in Unicode 13.0, so Go 1.19 (promtool 2.42) escapes them.
fn is_newer_than_go_tables(cp: u32) -> bool {
    if cp < UNICODE_13_TO_16_PRINTABLE[0].0 {
        return false;
    }
    UNICODE_13_TO_16_PRINTABLE
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Inclusive ranges printable under Unicode 16.0 but escaped by promtool 2.42 (Go 1.19,
/// Unicode 13.0), found by dumping every code point through promtool (see
/// `promtext_quote_golden.txt`). Sorted and disjoint. Go 1.21+ (Unicode 15.0) escapes
/// only the Unicode 15.1/16.0 part of these.
const UNICODE_13_TO_16_PRINTABLE: &[(u32, u32)] = &[
    (0x061D, 0x061D),
    (0x0870, 0x088E),
    (0x0897, 0x089F),
    (0x08B5, 0x08B5),
    (0x08C8, 0x08D2),
    (0x0C3C, 0x0C3C),
    (0x0C5D, 0x0C5D),
    (0x0CDD, 0x0CDD),
    (0x0CF3, 0x0CF3),
    (0x0ECE, 0x0ECE),
    (0x170D, 0x170D),
    (0x1715, 0x1715),
    (0x171F, 0x171F),
    (0x180F, 0x180F),
    (0x1AC1, 0x1ACE),
    (0x1B4C, 0x1B4C),
    (0x1B4E, 0x1B4F),
    (0x1B7D, 0x1B7F),
    (0x1C89, 0x1C8A),
    (0x1DFA, 0x1DFA),
    (0x20C0, 0x20C0),
    (0x2427, 0x2429),
    (0x2C2F, 0x2C2F),
    (0x2C5F, 0x2C5F),
    (0x2E53, 0x2E5D),
    (0x2FFC, 0x2FFF),
    (0x31E4, 0x31E5),
    (0x31EF, 0x31EF),
    (0x9FFD, 0x9FFF),
    (0xA7C0, 0xA7C1),
    (0xA7CB, 0xA7CD),
    (0xA7D0, 0xA7D1),
    (0xA7D3, 0xA7D3),
    (0xA7D5, 0xA7DC),
    (0xA7F2, 0xA7F4),
    (0xFBC2, 0xFBC2),
    (0xFD40, 0xFD4F),
    (0xFDCF, 0xFDCF),
    (0xFDFE, 0xFDFF),
    (0x10570, 0x1057A),
    (0x1057C, 0x1058A),
    (0x1058C, 0x10592),
    (0x10594, 0x10595),
    (0x10597, 0x105A1),
    (0x105A3, 0x105B1),
    (0x105B3, 0x105B9),
    (0x105BB, 0x105BC),
    (0x105C0, 0x105F3),
    (0x10780, 0x10785),
    (0x10787, 0x107B0),
    (0x107B2, 0x107BA),
    (0x10D40, 0x10D65),
    (0x10D69, 0x10D85),
    (0x10D8E, 0x10D8F),
    (0x10EC2, 0x10EC4),
    (0x10EFC, 0x10EFF),
    (0x10F70, 0x10F89),
    (0x11070, 0x11075),
    (0x110C2, 0x110C2),
    (0x1123F, 0x11241),
    (0x11380, 0x11389),
    (0x1138B, 0x1138B),
    (0x1138E, 0x1138E),
    (0x11390, 0x113B5),
    (0x113B7, 0x113C0),
    (0x113C2, 0x113C2),
    (0x113C5, 0x113C5),
    (0x113C7, 0x113CA),
    (0x113CC, 0x113D5),
    (0x113D7, 0x113D8),
    (0x113E1, 0x113E2),
    (0x116B9, 0x116B9),
    (0x116D0, 0x116E3),
    (0x11740, 0x11746),
    (0x11AB0, 0x11ABF),
    (0x11B00, 0x11B09),
    (0x11BC0, 0x11BE1),
    (0x11BF0, 0x11BF9),
    (0x11F00, 0x11F10),
    (0x11F12, 0x11F3A),
    (0x11F3E, 0x11F5A),
    (0x12F90, 0x12FF2),
    (0x1342F, 0x1342F),
    (0x13440, 0x13455),
    (0x13460, 0x143FA),
    (0x16100, 0x16139),
    (0x16A70, 0x16ABE),
    (0x16AC0, 0x16AC9),
    (0x16D40, 0x16D79),
    (0x18CFF, 0x18CFF),
    (0x1AFF0, 0x1AFF3),
    (0x1AFF5, 0x1AFFB),
    (0x1AFFD, 0x1AFFE),
    (0x1B11F, 0x1B122),
    (0x1B132, 0x1B132),
    (0x1B155, 0x1B155),
    (0x1CC00, 0x1CCF9),
    (0x1CD00, 0x1CEB3),
    (0x1CF00, 0x1CF2D),
    (0x1CF30, 0x1CF46),
    (0x1CF50, 0x1CFC3),
    (0x1D1E9, 0x1D1EA),
    (0x1D2C0, 0x1D2D3),
    (0x1DF00, 0x1DF1E),
    (0x1DF25, 0x1DF2A),
    (0x1E030, 0x1E06D),
    (0x1E08F, 0x1E08F),
    (0x1E290, 0x1E2AE),
    (0x1E4D0, 0x1E4F9),
    (0x1E5D0, 0x1E5FA),
    (0x1E5FF, 0x1E5FF),
    (0x1E7E0, 0x1E7E6),
    (0x1E7E8, 0x1E7EB),
    (0x1E7ED, 0x1E7EE),
    (0x1E7F0, 0x1E7FE),
    (0x1F6DC, 0x1F6DF),
    (0x1F774, 0x1F776),
    (0x1F77B, 0x1F77F),
    (0x1F7D9, 0x1F7D9),
    (0x1F7F0, 0x1F7F0),
    (0x1F8B2, 0x1F8BB),
    (0x1F8C0, 0x1F8C1),
    (0x1F979, 0x1F979),
    (0x1F9CC, 0x1F9CC),
    (0x1FA75, 0x1FA77),
    (0x1FA7B, 0x1FA7C),
    (0x1FA87, 0x1FA89),
    (0x1FA8F, 0x1FA8F),
    (0x1FAA9, 0x1FAAF),
    (0x1FAB7, 0x1FABF),
    (0x1FAC3, 0x1FAC6),
    (0x1FACE, 0x1FACF),
    (0x1FAD7, 0x1FADC),
    (0x1FADF, 0x1FAE9),
    (0x1FAF0, 0x1FAF8),
    (0x1FBCB, 0x1FBEF),
    (0x2A6DE, 0x2A6DF),
    (0x2B735, 0x2B739),
    (0x2EBF0, 0x2EE5D),
    (0x31350, 0x323AF),
];

/// Appends a label set as promtool 2.42 prints it: `{name="value", name2="value2"}`.
///
/// Names are written raw, values quoted with [`write_quoted`], pairs separated by
/// `", "`; an empty set prints as `{}`.
pub fn write_labels<'a>(out: &mut Vec<u8>, labels: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) {
    out.push(b'{');
    for (i, (name, value)) in labels.into_iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(name);
        out.push(b'=');
        write_quoted(out, value);
    }
    out.push(b'}');
}

/// Displays an `f64` the way Go's `%g` does (see [`write_float`]). Width, precision
/// and other formatting flags are ignored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoFloat(pub f64);

impl fmt::Display for GoFloat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; FLOAT_BUF];
        let n = format_float(&mut buf, self.0);
        // Always ASCII.
        f.write_str(std::str::from_utf8(&buf[..n]).map_err(|_| fmt::Error)?)
    }
}

/// Displays a byte string the way Go's `strconv.Quote` does (see [`write_quoted`]).
/// Formatting flags are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoQuoted<'a>(pub &'a [u8]);

impl fmt::Display for GoQuoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(self.0.len() + 2);
        write_quoted(&mut out, self.0);
        // The output is valid UTF-8: raw runes were valid, everything else is ASCII.
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(v: f64) -> String {
        let mut out = Vec::new();
        write_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn quoted(s: &[u8]) -> String {
        let mut out = Vec::new();
        write_quoted(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    fn unhex(h: &str) -> Vec<u8> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn float_specials() {
        assert_eq!(float(0.0), "0");
        assert_eq!(float(-0.0), "-0");
        assert_eq!(float(f64::INFINITY), "+Inf");
        assert_eq!(float(f64::NEG_INFINITY), "-Inf");
        assert_eq!(float(f64::NAN), "NaN");
        assert_eq!(float(-f64::NAN), "NaN");
        // Prometheus' stale marker and other payloads.
        assert_eq!(float(f64::from_bits(0x7ff0_0000_0000_0002)), "NaN");
        assert_eq!(float(f64::from_bits(0xfff8_0000_0000_0001)), "NaN");
    }

    #[test]
    fn float_thresholds() {
        assert_eq!(float(123456.7), "123456.7");
        assert_eq!(float(999999.0), "999999");
        assert_eq!(float(999999.9999999999), "999999.9999999999");
        assert_eq!(float(1e6), "1e+06");
        assert_eq!(float(-1e6), "-1e+06");
        assert_eq!(float(1234567.0), "1.234567e+06");
        assert_eq!(float(100000.0), "100000");
        assert_eq!(float(0.0001), "0.0001");
        assert_eq!(float(0.00012345), "0.00012345");
        assert_eq!(float(0.00009999999999999999), "9.999999999999999e-05");
        assert_eq!(float(1e-5), "1e-05");
        assert_eq!(float(1e21), "1e+21");
        assert_eq!(float(1e100), "1e+100");
        assert_eq!(float(5e-324), "5e-324");
        assert_eq!(float(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(float(9007199254740993.0), "9.007199254740992e+15");
        assert_eq!(float(-3.25), "-3.25");
        assert_eq!(float(0.1), "0.1");
    }

    #[test]
    fn float_ties_pick_even_digit() {
        // Exactly ...812.25: both ...812.2 and ...812.3 round-trip; Go picks the even one.
        assert_eq!(
            float(f64::from_bits(0xc309_3b6e_37e9_d2e2)),
            "-8.877773735348122e+14"
        );
        // Exactly 603832157523544.75: Go picks ...544.8.
        assert_eq!(
            float(f64::from_bits(0x4301_2975_0a06_72c6)),
            "6.038321575235448e+14"
        );
    }

    #[test]
    fn float_display_and_append() {
        assert_eq!(GoFloat(1e-7).to_string(), "1e-07");
        assert_eq!(format!("{}", GoFloat(-2e-5)), "-2e-05");
        let mut out = b"x=".to_vec();
        write_float(&mut out, 2.5);
        assert_eq!(out, b"x=2.5");
    }

    #[test]
    fn float_promtool_golden() {
        let text = include_str!("promtext_golden.txt");
        let mut n = 0;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (hex, want) = line.split_once(' ').unwrap();
            let v = f64::from_bits(u64::from_str_radix(hex, 16).unwrap());
            assert_eq!(float(v), want, "bits {hex}");
            assert_eq!(GoFloat(v).to_string(), want, "bits {hex}");
            n += 1;
        }
        assert!(n > 400);
    }

    /// xorshift64: a repeatable stream of random bits.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// `%g` of `v` built independently of [`format_float`]: digits from the standard
    /// library's `{:e}` (with the tie rule), laid out with plain string operations.
    fn reference_g(v: f64) -> String {
        if v.is_nan() {
            return "NaN".into();
        }
        if v.is_infinite() {
            return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
        }
        let sign = if v.is_sign_negative() { "-" } else { "" };
        if v == 0.0 {
            return format!("{sign}0");
        }
        let d = shortest_digits_std(v.abs());
        let digits = std::str::from_utf8(&d.ascii[..d.len]).unwrap();
        let x = d.exp;
        let body = if !(-4..6).contains(&x) {
            let (first, rest) = digits.split_at(1);
            let dot = if rest.is_empty() { "" } else { "." };
            let esign = if x < 0 { '-' } else { '+' };
            format!("{first}{dot}{rest}e{esign}{:02}", x.unsigned_abs())
        } else if x < 0 {
            format!("0.{}{digits}", "0".repeat((-x - 1) as usize))
        } else {
            let int_len = x as usize + 1;
            if digits.len() <= int_len {
                format!("{digits}{}", "0".repeat(int_len - digits.len()))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        };
        format!("{sign}{body}")
    }

    /// Values of the kinds a TSDB holds and that exercise every path: integers,
    /// short decimals, `%.6g`-like gauges, ratios, ties, and raw bit patterns.
    fn sample_value(i: u64, r: u64) -> f64 {
        let s = r >> 32;
        match i % 8 {
            0 => (r % 1_000_000_000_000) as f64 / POW10[(r >> 60) as usize % 16],
            1 => (r % 1_000_000) as f64 / POW10[(r >> 58) as usize % 23],
            2 | 3 => f64::from_bits(r),
            4 => (r % 100_000) as f64 / ((r >> 40) % 1000 + 1) as f64,
            5 => (r % (1 << 53)) as f64 * if s % 3 == 0 { -1.0 } else { 1.0 },
            // Exact midpoints between two shortest candidates: x.25 and x.75 where the
            // spacing of floats is 1/8 or 1/4.
            6 => ((1u64 << 49) + r % (3 << 49)) as f64 + if s % 2 == 0 { 0.25 } else { 0.75 },
            _ => {
                // Neighbours of a short decimal.
                let v = (r % 10_000_000) as f64 / POW10[(s % 12) as usize];
                f64::from_bits(v.to_bits().wrapping_add((s >> 8) % 5).wrapping_sub(2))
            }
        }
    }

    /// The integer and short-decimal fast paths and the `zmij` path must agree with the
    /// standard library's digits, and [`format_float`] with an independent layout.
    #[test]
    fn float_fast_paths_match_general_path() {
        let mut next = rng(0x9e37_79b9_7f4a_7c15);
        let (mut fast_checked, mut zmij_checked) = (0, 0);
        for i in 0..400_000u64 {
            let v = sample_value(i, next());
            assert_eq!(float(v), reference_g(v), "bits {:016x}", v.to_bits());
            let a = v.abs();
            if !a.is_finite() || a == 0.0 {
                continue;
            }
            let slow = shortest_digits_std(a);
            let slow = (&slow.ascii[..slow.len], slow.exp);
            let fast = if a < TWO_POW_53 && a.fract() == 0.0 {
                Some(Short::from_int(a as u64, 0))
            } else {
                short_decimal(a)
            };
            if let Some(fast) = fast {
                let bytes = fast.ascii.to_le_bytes();
                assert!(bytes[fast.len..].iter().all(|&b| b == b'0'), "{a:e}");
                assert_eq!((&bytes[..fast.len], fast.exp), slow, "{a:e}");
                fast_checked += 1;
            }
            let z = shortest_digits(a);
            assert_eq!((&z.ascii[..z.len], z.exp), slow, "{a:e}");
            zmij_checked += 1;
        }
        assert!(fast_checked > 150_000, "{fast_checked}");
        assert!(zmij_checked > 390_000, "{zmij_checked}");
    }

    #[test]
    fn parse_decimal_forms() {
        for (text, want) in [
            ("123.45", (12345, -2)),
            ("0.00012", (12, -5)),
            ("1200.0", (12, 2)),
            ("1.5e-7", (15, -8)),
            ("1.5e-07", (15, -8)),
            ("3e+21", (3, 21)),
            ("3e21", (3, 21)),
            ("5e-324", (5, -324)),
            ("1.7976931348623157e308", (17976931348623157, 292)),
            ("10000000000000000.0", (1, 16)),
        ] {
            assert_eq!(parse_decimal(text.as_bytes()), want, "{text}");
        }
    }

    #[test]
    fn digits_from_int_every_length() {
        let mut next = rng(7);
        let mut p = 1u64;
        for nd in 1..=20 {
            for _ in 0..2000 {
                let r = next();
                // nd digits, with a random run of trailing zeros.
                let lo = p;
                let span = if nd == 20 { u64::MAX - lo } else { 9 * lo };
                let mut d = lo + r % span;
                let tz = (r >> 59) as u32 % nd;
                d = d / 10u64.pow(tz) * 10u64.pow(tz);
                if d == 0 {
                    continue;
                }
                let want = d.to_string();
                let trimmed = want.trim_end_matches('0');
                let got = Digits::from_int(d, -3);
                assert_eq!(&got.ascii[..got.len], trimmed.as_bytes(), "{d}");
                assert!(got.ascii[got.len..].iter().all(|&b| b == b'0'), "{d}");
                assert_eq!(got.exp, want.len() as i32 - 4, "{d}");
                if nd <= 16 {
                    let short = Short::from_int(d, -3);
                    let bytes = short.ascii.to_le_bytes();
                    assert_eq!(&bytes[..short.len], trimmed.as_bytes(), "{d}");
                    assert!(bytes[short.len..].iter().all(|&b| b == b'0'), "{d}");
                    assert_eq!(short.exp, got.exp, "{d}");
                }
            }
            p = p.saturating_mul(10);
        }
    }

    #[test]
    fn int_matches_display() {
        let int = |v: i64| {
            let mut buf = [0u8; INT_BUF];
            let n = format_int(&mut buf, v);
            String::from_utf8(buf[..n].to_vec()).unwrap()
        };
        let mut next = rng(11);
        let mut edges = vec![0, 1, -1, 9, 10, 99_999_999, 100_000_000, i64::MAX, i64::MIN];
        for k in 0..19 {
            let p = 10i64.pow(k);
            edges.extend([p, p - 1, p + 1, -p, 1 - p]);
        }
        for v in edges {
            assert_eq!(int(v), v.to_string());
        }
        for _ in 0..200_000 {
            let r = next();
            let v = (r as i64) >> (r % 64);
            assert_eq!(int(v), v.to_string());
            let ms = 1_600_000_000_000 + (r % 400_000_000_000) as i64;
            assert_eq!(int(ms), ms.to_string());
        }
        for n in 0..1_000_000u32 {
            let m = n * 97 + n % 89;
            let got: Vec<u8> = bcd8(m).to_le_bytes().iter().map(|b| b + b'0').collect();
            assert_eq!(got, format!("{m:08}").as_bytes());
        }
    }

    #[test]
    fn int_formatter_matches_display() {
        let mut f = IntFormatter::default();
        let mut buf = [0u8; INT_BUF];
        let mut next = rng(13);
        let mut t: i64 = 1_704_067_199_000;
        for i in 0..300_000 {
            let r = next();
            t = match i % 1000 {
                // Occasional jumps: far, negative, small, huge.
                0 => (r as i64) >> (r % 64),
                1 => -t,
                2 => (r % 1_000_000_000) as i64,
                _ => t.wrapping_add((r % 30_000) as i64 - 100),
            };
            let n = f.format(&mut buf, t);
            assert_eq!(&buf[..n], t.to_string().as_bytes());
        }
        for t in [
            99_999_999,
            100_000_000,
            9_999_999_999_999_999,
            i64::MAX,
            100_000_000,
        ] {
            let n = f.format(&mut buf, t);
            assert_eq!(&buf[..n], t.to_string().as_bytes());
        }
    }

    #[test]
    fn quote_ascii() {
        assert_eq!(quoted(b""), r#""""#);
        assert_eq!(quoted(b"plain text 123"), r#""plain text 123""#);
        assert_eq!(
            quoted(b"q\"b\\s\nn\tt\rr\x07\x08\x0c\x0b"),
            r#""q\"b\\s\nn\tt\rr\a\b\f\v""#
        );
        assert_eq!(quoted(b"\x00\x01\x1f\x7f ~"), r#""\x00\x01\x1f\x7f ~""#);
    }

    #[test]
    fn quote_unicode() {
        assert_eq!(quoted("ünïcode".as_bytes()), "\"ünïcode\"");
        assert_eq!(quoted("e\u{301}".as_bytes()), "\"e\u{301}\""); // combining mark
        assert_eq!(quoted("😀".as_bytes()), "\"😀\"");
        assert_eq!(quoted("\u{fffd}".as_bytes()), "\"\u{fffd}\"");
        assert_eq!(quoted("\u{a0}".as_bytes()), r#""\u00a0""#); // NBSP: space, not printable
        assert_eq!(quoted("\u{85}".as_bytes()), r#""\u0085""#); // C1 control
        assert_eq!(quoted("\u{200b}\u{feff}".as_bytes()), r#""\u200b\ufeff""#); // Cf
        assert_eq!(quoted("\u{e000}".as_bytes()), r#""\ue000""#); // private use
        assert_eq!(quoted("\u{378}".as_bytes()), r#""\u0378""#); // unassigned
        assert_eq!(quoted("\u{2028}\u{3000}".as_bytes()), r#""\u2028\u3000""#);
        assert_eq!(quoted("\u{e0001}".as_bytes()), r#""\U000e0001""#);
        assert_eq!(quoted("\u{10ffff}".as_bytes()), r#""\U0010ffff""#);
        // Assigned after Unicode 13.0: escaped by promtool 2.42 (Go 1.19).
        assert_eq!(quoted("\u{1fae0}".as_bytes()), r#""\U0001fae0""#);
        assert_eq!(quoted("\u{61d}".as_bytes()), r#""\u061d""#);
    }

    #[test]
    fn quote_invalid_utf8_byte_by_byte() {
        assert_eq!(quoted(b"\xff"), r#""\xff""#);
        assert_eq!(quoted(b"a\xe2\x82b"), r#""a\xe2\x82b""#); // truncated 3-byte
        assert_eq!(quoted(b"\xe2\x82"), r#""\xe2\x82""#); // truncated at end
        assert_eq!(quoted(b"\xc0\x80"), r#""\xc0\x80""#); // overlong NUL
        assert_eq!(quoted(b"\xed\xa0\x80"), r#""\xed\xa0\x80""#); // surrogate
        assert_eq!(quoted(b"\xf4\x90\x80\x80"), r#""\xf4\x90\x80\x80""#); // > U+10FFFF
        assert_eq!(quoted(b"\x80\xc3\xa9\x80"), "\"\\x80\u{e9}\\x80\"");
        assert_eq!(quoted(b"\xe2\x82\xe2\x82\xac"), "\"\\xe2\\x82\u{20ac}\"");
        assert_eq!(quoted(b"\xc3\"\n"), r#""\xc3\"\n""#);
    }

    #[test]
    fn quote_display() {
        assert_eq!(GoQuoted(b"a\"\xff").to_string(), r#""a\"\xff""#);
    }

    /// The escape promtool uses for a code point it does not print raw.
    fn expected_escape(cp: u32) -> String {
        match cp {
            0x07 => r"\a".into(),
            0x08 => r"\b".into(),
            0x0c => r"\f".into(),
            0x0a => r"\n".into(),
            0x0d => r"\r".into(),
            0x09 => r"\t".into(),
            0x0b => r"\v".into(),
            0x22 => "\\\"".into(),
            0x5c => r"\\".into(),
            0..=0x1f | 0x7f => format!(r"\x{cp:02x}"),
            0x80..=0xffff => format!(r"\u{cp:04x}"),
            _ => format!(r"\U{cp:08x}"),
        }
    }

    #[test]
    fn quote_promtool_golden() {
        let text = include_str!("promtext_quote_golden.txt");
        let (mut strings, mut covered) = (0, 0u32);
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let mut parts = line.splitn(3, ' ');
            let kind = parts.next().unwrap();
            let a = parts.next().unwrap();
            let b = parts.next().unwrap();
            if kind == "S" {
                let input = unhex(a);
                assert_eq!(quoted(&input), b, "input {a}");
                assert_eq!(GoQuoted(&input).to_string(), b, "input {a}");
                strings += 1;
                continue;
            }
            assert_eq!(kind, "R");
            let (lo, hi) = (
                u32::from_str_radix(a, 16).unwrap(),
                b.split_once(' ').unwrap(),
            );
            let hi_cp = u32::from_str_radix(hi.0, 16).unwrap();
            for cp in lo..=hi_cp {
                let c = char::from_u32(cp).unwrap();
                let mut tmp = [0u8; 4];
                let got = quoted(c.encode_utf8(&mut tmp).as_bytes());
                let inner = &got[1..got.len() - 1];
                match hi.1 {
                    "raw" => assert_eq!(inner, c.to_string(), "U+{cp:04X}"),
                    "esc" => assert_eq!(inner, expected_escape(cp), "U+{cp:04X}"),
                    other => panic!("bad golden kind {other}"),
                }
                covered += 1;
            }
        }
        assert!(strings > 300);
        assert_eq!(covered, 0x110000 - 0x800);
    }

    #[test]
    fn labels() {
        let mut out = Vec::new();
        write_labels(&mut out, std::iter::empty());
        assert_eq!(out, b"{}");

        let set: [(&[u8], &[u8]); 3] = [
            (b"__name__", b"weird"),
            (b"a", b"quote\"back\\slash\nnl"),
            (b"b", "ünïcode".as_bytes()),
        ];
        out.clear();
        write_labels(&mut out, set);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{__name__="weird", a="quote\"back\\slash\nnl", b="ünïcode"}"#
        );

        out.clear();
        write_labels(&mut out, [(&b"x"[..], &b""[..])]);
        assert_eq!(out, br#"{x=""}"#);
    }
}
