//! OpenMetrics text output for `generate --format openmetrics`, as
//! `promtool tsdb create-blocks-from openmetrics` reads it:
//!
//! ```text
//! # TYPE http_requests counter
//! http_requests_total{code="200",instance="10.1.2.3:8080",…,method="GET"} 1234 1704067200.000
//! …                                       one series after another, samples in time order
//! # EOF
//! ```
//!
//! Timestamps are float seconds. promtool turns them into ms by truncating
//! `seconds * 1000` in float64, so a timestamp is printed with 3 decimals and, if that
//! would truncate to the wrong ms, with a 4th digit `5` that pushes it back.

use std::io::Write;

/// Append `v` as OpenMetrics prints floats: shortest round-trip digits, `+Inf`, `-Inf`,
/// `NaN`.
pub fn push_value(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v == f64::INFINITY {
        out.extend_from_slice(b"+Inf");
    } else if v == f64::NEG_INFINITY {
        out.extend_from_slice(b"-Inf");
    } else {
        // `{:?}` is the shortest string that parses back to the same bits; Go's
        // ParseFloat reads it exactly too.
        let _ = write!(out, "{v:?}");
    }
}

/// Append timestamp `ms` as float seconds that promtool parses back to exactly `ms`.
pub fn push_timestamp(out: &mut Vec<u8>, ms: i64) {
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    let three = format!("{sign}{}.{:03}", abs / 1000, abs % 1000);
    if parses_to(&three, ms) {
        out.extend_from_slice(three.as_bytes());
        return;
    }
    for extra in ["5", "9", "1"] {
        let four = format!("{three}{extra}");
        if parses_to(&four, ms) {
            out.extend_from_slice(four.as_bytes());
            return;
        }
    }
    out.extend_from_slice(three.as_bytes());
}

/// Whether promtool's conversion `int64(ParseFloat(s) * 1000)` gives `ms`.
fn parses_to(s: &str, ms: i64) -> bool {
    s.parse::<f64>().is_ok_and(|f| (f * 1000.0) as i64 == ms)
}

/// Append a label value escaped for OpenMetrics (`\\`, `\"`, `\n`).
pub fn push_escaped(out: &mut Vec<u8>, v: &[u8]) {
    for &b in v {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
}

/// Append `name{label="value",…}` for a label set (`__name__` becomes the name).
pub fn push_series(out: &mut Vec<u8>, labels: &tsblock::Labels) {
    out.extend_from_slice(labels.get(b"__name__").unwrap_or_default());
    let mut first = true;
    for (n, v) in labels.iter().filter(|(n, _)| *n != b"__name__") {
        out.push(if first { b'{' } else { b',' });
        first = false;
        out.extend_from_slice(n);
        out.extend_from_slice(b"=\"");
        push_escaped(out, v);
        out.push(b'"');
    }
    if !first {
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_back_exactly() {
        for ms in [
            0i64,
            1,
            999,
            1_000_000_123,
            1_704_067_200_001,
            1_704_067_212_345,
            -1500,
        ] {
            let mut o = Vec::new();
            push_timestamp(&mut o, ms);
            let s = String::from_utf8(o).unwrap();
            assert!(parses_to(&s, ms), "{ms} -> {s}");
        }
        // A value where 3 decimals truncate to one ms less.
        let bad = (1_000_000_000i64..1_000_010_000)
            .find(|&ms| !parses_to(&format!("{}.{:03}", ms / 1000, ms % 1000), ms));
        if let Some(ms) = bad {
            let mut o = Vec::new();
            push_timestamp(&mut o, ms);
            assert!(parses_to(std::str::from_utf8(&o).unwrap(), ms));
        }
    }

    #[test]
    fn values_and_labels() {
        let mut o = Vec::new();
        for v in [
            1.0,
            0.1,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e300,
            -0.0,
        ] {
            push_value(&mut o, v);
            o.push(b' ');
        }
        assert_eq!(
            String::from_utf8(o).unwrap(),
            "1.0 0.1 +Inf -Inf NaN 1e300 -0.0 "
        );
        let mut o = Vec::new();
        push_series(
            &mut o,
            &tsblock::Labels::from_pairs([("__name__", "m"), ("a", "x\"\\\ny")]),
        );
        assert_eq!(String::from_utf8(o).unwrap(), r#"m{a="x\"\\\ny"}"#);
    }
}
