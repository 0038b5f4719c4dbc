//! `--start` / `--end`: times as people write them, parsed to ms since the epoch.
//!
//! Accepted forms:
//!
//! | form | example | meaning |
//! |---|---|---|
//! | RFC 3339 | `2023-11-14T22:13:20Z`, `2023-11-14T23:13:20.5+01:00` | fraction below 1 ms is dropped |
//! | date | `2023-11-14` | midnight UTC |
//! | unix seconds | `1700000000`, `1700000000.5`, `-1.5` | rounded to the nearest ms |
//! | unix ms | `1700000000500ms` | exact |
//! | relative | `now`, `now-2h`, `now+1h`, `-30m`, `+1d`, `now-1h30m` | from the current time |
//!
//! Duration units: `ms s m h d w y` (a year is 365 days), largest first, each at most
//! once, as in Prometheus durations. These rules follow Prometheus' `parseTime`: seconds
//! round to the nearest millisecond and RFC 3339 truncates.

use std::fmt;

/// The time window of a command. Both ends are inclusive.
#[derive(clap::Args)]
pub struct TimeArgs {
    /// Start of the time range, inclusive [default: the first sample]
    ///
    /// RFC 3339 (2023-11-14T22:13:20Z, 2023-11-14T23:13:20.5+01:00), a date (2023-11-14),
    /// unix seconds (1700000000.5), unix milliseconds (1700000000500ms) or a time relative
    /// to now (now, now-2h, -30m, now+1h, now-1h30m; units ms s m h d w y).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub start: Option<String>,
    /// End of the time range, inclusive [default: the last sample]
    ///
    /// Same forms as --start.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub end: Option<String>,
}

impl TimeArgs {
    /// The window in ms, with "now" read once so `--start now-1h --end now` is exactly
    /// one hour.
    pub fn resolve(&self) -> anyhow::Result<(i64, i64)> {
        self.resolve_at(now_ms())
    }

    /// [`resolve`](Self::resolve) with an injected "now".
    pub fn resolve_at(&self, now: i64) -> anyhow::Result<(i64, i64)> {
        let start = match &self.start {
            Some(s) => parse_time(s, now).map_err(|e| anyhow::anyhow!("--start: {e}"))?,
            None => i64::MIN,
        };
        let end = match &self.end {
            Some(s) => parse_time(s, now).map_err(|e| anyhow::anyhow!("--end: {e}"))?,
            None => i64::MAX,
        };
        if start > end {
            anyhow::bail!("--start ({start} ms) is after --end ({end} ms)");
        }
        Ok((start, end))
    }
}

/// The current time in ms since the epoch.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now();
    match now.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// Why a time argument was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError {
    input: String,
    reason: String,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid time {:?}: {}; use RFC 3339 (2023-11-14T22:13:20Z), unix seconds \
             (1700000000.5), unix ms (1700000000500ms) or a relative time (now-2h, -30m)",
            self.input, self.reason
        )
    }
}

impl std::error::Error for TimeError {}

/// Parse a time argument to ms since the epoch; `now` is the current time in ms.
pub fn parse_time(input: &str, now: i64) -> Result<i64, TimeError> {
    let err = |reason: &str| TimeError {
        input: input.to_owned(),
        reason: reason.to_owned(),
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(err("empty"));
    }
    if let Some(rest) = s.strip_prefix("now") {
        if rest.is_empty() {
            return Ok(now);
        }
        return relative(now, rest).map_err(|r| err(&r));
    }
    let bytes = s.as_bytes();
    let signed = matches!(bytes.first(), Some(b'-' | b'+'));
    if signed && bytes.last().is_some_and(u8::is_ascii_alphabetic) {
        return relative(now, s).map_err(|r| err(&r));
    }
    if let Some(digits) = s
        .strip_prefix(|c| c != '-' && c != '+')
        .and(s.strip_suffix("ms"))
    {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return digits
                .parse::<i64>()
                .map_err(|_| err("milliseconds out of range"));
        }
        return Err(err("expected digits before \"ms\""));
    }
    if bytes.len() >= 5 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-' {
        return rfc3339(s).map_err(err);
    }
    if s.trim_start_matches(['-', '+'])
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.')
    {
        return unix_seconds(s).map_err(err);
    }
    Err(err("unrecognised form"))
}

/// `now` plus `rest`, which is `+<duration>` or `-<duration>`.
fn relative(now: i64, rest: &str) -> Result<i64, String> {
    let (negative, dur) = if let Some(d) = rest.strip_prefix('-') {
        (true, d)
    } else if let Some(d) = rest.strip_prefix('+') {
        (false, d)
    } else {
        return Err("expected + or - after \"now\"".into());
    };
    let ms = duration_ms(dur)?;
    let t = if negative {
        now.checked_sub(ms)
    } else {
        now.checked_add(ms)
    };
    t.ok_or_else(|| "time out of range".into())
}

/// A Prometheus-style duration such as `2h`, `1h30m`, `500ms`, in ms.
pub fn duration_ms(s: &str) -> Result<i64, String> {
    // Units, largest first; each may appear once, in this order.
    const UNITS: [(&str, i64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ];
    if s.is_empty() {
        return Err("missing duration".into());
    }
    let mut rest = s;
    let mut total: i64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let nd = rest.bytes().take_while(u8::is_ascii_digit).count();
        if nd == 0 {
            return Err(format!("expected a number in duration {s:?}"));
        }
        let (num, after) = rest.split_at(nd);
        if after.starts_with('.') {
            return Err(format!("durations take whole numbers, in {s:?}"));
        }
        let nu = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(nu);
        let Some(pos) = UNITS.iter().position(|&(u, _)| u == unit) else {
            return Err(if unit.is_empty() {
                format!("missing unit in duration {s:?} (units: ms s m h d w y)")
            } else {
                format!("unknown unit {unit:?} in duration {s:?} (units: ms s m h d w y)")
            });
        };
        if pos < next_unit {
            return Err(format!(
                "units must go from largest to smallest, each once, in duration {s:?}"
            ));
        }
        next_unit = pos + 1;
        let n: i64 = num
            .parse()
            .map_err(|_| "duration out of range".to_string())?;
        total = n
            .checked_mul(UNITS[pos].1)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(|| "duration out of range".to_string())?;
        rest = after;
    }
    Ok(total)
}

/// `[-+]digits[.digits]` seconds, rounded half away from zero to ms.
fn unix_seconds(s: &str) -> Result<i64, &'static str> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err("malformed number of seconds");
    }
    let secs: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| "seconds out of range")?
    };
    let mut ms: i64 = 0;
    for (i, b) in frac.bytes().take(3).enumerate() {
        ms += i64::from(b - b'0') * [100, 10, 1][i];
    }
    if frac.as_bytes().get(3).is_some_and(|&b| b >= b'5') {
        ms += 1;
    }
    let total = secs
        .checked_mul(1000)
        .and_then(|t| t.checked_add(ms))
        .ok_or("seconds out of range")?;
    Ok(if negative { -total } else { total })
}

/// `YYYY-MM-DD` or `YYYY-MM-DD(T|t| )hh:mm:ss[.frac](Z|z|±hh:mm)`.
fn rfc3339(s: &str) -> Result<i64, &'static str> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Result<i64, &'static str> {
        let part = b.get(from..from + len).ok_or("incomplete RFC 3339 time")?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err("malformed RFC 3339 time");
        }
        Ok(part.iter().fold(0, |n, &d| n * 10 + i64::from(d - b'0')))
    };
    let expect = |at: usize, c: u8| {
        if b.get(at) == Some(&c) {
            Ok(())
        } else {
            Err("malformed RFC 3339 time")
        }
    };
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    expect(7, b'-')?;
    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    if !(1..=days_in_month(year, month)).contains(&day) {
        return Err("day out of range");
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 10 {
        return Ok(days * 86_400_000);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return Err("expected T between date and time");
    }
    let (hour, min, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    expect(13, b':')?;
    expect(16, b':')?;
    if hour > 23 || min > 59 || sec > 59 {
        return Err("time of day out of range");
    }
    let mut at = 19;
    let mut frac_ms = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let n = b[at..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return Err("expected digits after the decimal point");
        }
        for (i, &d) in b[at..at + n].iter().take(3).enumerate() {
            frac_ms += i64::from(d - b'0') * [100, 10, 1][i];
        }
        at += n;
    }
    let offset_secs = match b.get(at) {
        Some(b'Z' | b'z') if b.len() == at + 1 => 0,
        Some(&sign @ (b'+' | b'-')) if b.len() == at + 6 => {
            expect(at + 3, b':')?;
            let (oh, om) = (num(at + 1, 2)?, num(at + 4, 2)?);
            if oh > 23 || om > 59 {
                return Err("UTC offset out of range");
            }
            let o = oh * 3600 + om * 60;
            if sign == b'-' {
                -o
            } else {
                o
            }
        }
        None => return Err("missing time zone (Z or ±hh:mm)"),
        _ => return Err("malformed time zone (Z or ±hh:mm)"),
    };
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset_secs;
    Ok(secs * 1000 + frac_ms)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the era-based algorithm
/// published by Howard Hinnant).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2023-11-14T22:13:20Z, a fixed "now" for determinism.
    const NOW: i64 = 1_700_000_000_000;

    fn ok(s: &str) -> i64 {
        parse_time(s, NOW).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn rfc3339_forms() {
        assert_eq!(ok("2023-11-14T22:13:20Z"), NOW);
        assert_eq!(ok("2023-11-14t22:13:20z"), NOW);
        assert_eq!(ok("2023-11-14 22:13:20Z"), NOW);
        assert_eq!(ok("2023-11-14T23:13:20+01:00"), NOW);
        assert_eq!(ok("2023-11-14T17:43:20-04:30"), NOW);
        assert_eq!(ok("2023-11-14T22:13:20.5Z"), NOW + 500);
        assert_eq!(ok("2023-11-14T22:13:20.123Z"), NOW + 123);
        // Below a millisecond is truncated, as Prometheus' timestamp.FromTime does.
        assert_eq!(ok("2023-11-14T22:13:20.123999999Z"), NOW + 123);
        assert_eq!(ok("2023-11-14T22:13:20.000000001Z"), NOW);
        assert_eq!(ok("1970-01-01T00:00:00Z"), 0);
        assert_eq!(ok("1969-12-31T23:59:59.999Z"), -1);
        assert_eq!(ok("2000-02-29T12:00:00Z"), 951_825_600_000);
        assert_eq!(ok("2023-11-14"), 1_699_920_000_000);
        assert_eq!(ok("  2023-11-14T22:13:20Z "), NOW);
    }

    #[test]
    fn unix_seconds_forms() {
        assert_eq!(ok("1700000000"), NOW);
        assert_eq!(ok("1700000000.5"), NOW + 500);
        assert_eq!(ok("1700000000.024"), NOW + 24);
        // Rounded to the nearest ms, halves away from zero.
        assert_eq!(ok("1700000000.0244"), NOW + 24);
        assert_eq!(ok("1700000000.0245"), NOW + 25);
        assert_eq!(ok("1700000000.9999"), NOW + 1000);
        assert_eq!(ok("0"), 0);
        assert_eq!(ok(".5"), 500);
        assert_eq!(ok("5."), 5000);
        assert_eq!(ok("-1.5"), -1500);
        assert_eq!(ok("+2"), 2000);
        assert_eq!(ok("9223372036854775.807"), i64::MAX);
    }

    #[test]
    fn unix_ms_form() {
        assert_eq!(ok("1700000000500ms"), NOW + 500);
        assert_eq!(ok("0ms"), 0);
        assert_eq!(ok("9223372036854775807ms"), i64::MAX);
    }

    #[test]
    fn relative_forms() {
        assert_eq!(ok("now"), NOW);
        assert_eq!(ok("now-2h"), NOW - 7_200_000);
        assert_eq!(ok("now+1h"), NOW + 3_600_000);
        assert_eq!(ok("-30m"), NOW - 1_800_000);
        assert_eq!(ok("+1d"), NOW + 86_400_000);
        assert_eq!(ok("now-1w"), NOW - 7 * 86_400_000);
        assert_eq!(ok("now-1y"), NOW - 365 * 86_400_000);
        assert_eq!(ok("now-10s"), NOW - 10_000);
        assert_eq!(ok("-500ms"), NOW - 500);
        // A sign makes `ms` relative; unsigned `Nms` is absolute.
        assert_eq!(ok("+5ms"), NOW + 5);
        assert_eq!(ok("now-1h30m"), NOW - 5_400_000);
        assert_eq!(
            ok("now-1d2h3m4s5ms"),
            NOW - (86_400_000 + 7_200_000 + 180_000 + 4005)
        );
        assert_eq!(ok("now-0s"), NOW);
    }

    #[test]
    fn bad_inputs_are_rejected_with_a_reason() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("yesterday", "unrecognised"),
            ("now-", "missing duration"),
            ("now2h", "expected + or -"),
            ("now-2", "missing unit"),
            ("now-2x", "unknown unit"),
            ("now-h", "expected a number"),
            ("now-30m1h", "largest to smallest"),
            ("now-1h1h", "largest to smallest"),
            ("-1.5h", "whole numbers"),
            ("1.5ms", "expected digits"),
            ("ms", "expected digits"),
            ("1700000000.5.5", "malformed"),
            ("1.2.3", "malformed"),
            ("-", "malformed"),
            ("99999999999999999999", "out of range"),
            ("99999999999999999999ms", "out of range"),
            ("now-99999999999999999w", "out of range"),
            ("now+300000000y", "out of range"),
            ("2023-11-14T22:13:20", "missing time zone"),
            ("2023-11-14T22:13:20+0100", "malformed time zone"),
            ("2023-11-14T22:13:20 UTC", "malformed time zone"),
            ("2023-11-14T22:13Z", "incomplete"),
            ("2023-13-01T00:00:00Z", "month out of range"),
            ("2023-02-29T00:00:00Z", "day out of range"),
            ("2023-11-14T24:00:00Z", "out of range"),
            ("2023-11-14T23:59:60Z", "out of range"),
            ("2023-11-14T22:13:20.Z", "digits after the decimal point"),
            ("2023-11-14T22:13:20+25:00", "offset out of range"),
            ("2023-11-14X22:13:20Z", "expected T"),
            ("2023-1-14", "malformed"),
            ("1e9", "unrecognised"),
        ];
        for &(input, reason) in cases {
            match parse_time(input, NOW) {
                Ok(t) => panic!("{input:?} was accepted as {t}"),
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.contains(reason), "{input:?}: {msg}");
                    assert!(msg.contains(&format!("{input:?}")), "{msg}");
                }
            }
        }
    }

    #[test]
    fn window_defaults_and_order() {
        let args = |s: Option<&str>, e: Option<&str>| TimeArgs {
            start: s.map(str::to_owned),
            end: e.map(str::to_owned),
        };
        assert_eq!(
            args(None, None).resolve_at(NOW).unwrap(),
            (i64::MIN, i64::MAX)
        );
        assert_eq!(
            args(Some("now-1h"), Some("now")).resolve_at(NOW).unwrap(),
            (NOW - 3_600_000, NOW)
        );
        assert_eq!(
            args(Some("5"), Some("5000ms")).resolve_at(NOW).unwrap(),
            (5000, 5000)
        );
        let e = args(Some("now"), Some("now-1s"))
            .resolve_at(NOW)
            .unwrap_err();
        assert!(e.to_string().contains("after --end"), "{e}");
        let e = args(Some("bad"), None).resolve_at(NOW).unwrap_err();
        assert!(
            e.to_string().starts_with("--start: invalid time \"bad\""),
            "{e}"
        );
        let e = args(None, Some("bad")).resolve_at(NOW).unwrap_err();
        assert!(e.to_string().starts_with("--end: "), "{e}");
    }

    #[test]
    fn civil_days_round_trip() {
        for z in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(z);
            assert!((1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d));
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }
}
