//! Writers shared by `query`, `series`, `labels` and `label-values`: the Prometheus HTTP
//! API's JSON forms, RFC 4180 CSV fields, and the text forms for people.
//!
//! Every writer appends to a `Vec<u8>`, so series can be formatted on worker threads and
//! written out in order.

use tsblock::promtext;
use tsblock::Labels;

/// Start of every successful API answer; the caller writes the data and then [`JSON_END`].
pub const JSON_START: &[u8] = b"{\"status\":\"success\",\"data\":";
/// End of an API answer: the closing brace and a newline for the terminal.
pub const JSON_END: &[u8] = b"}\n";

/// A JSON string as Prometheus' Go encoder writes it: `"` and `\` escaped, `\n` `\r` `\t`
/// short, other control bytes as `\u00xx`, `<` `>` `&` and U+2028/U+2029 as `\uXXXX`
/// (Go's HTML-safe escaping), each byte of invalid UTF-8 as `\ufffd`. DEL and every other
/// character are written raw.
pub fn json_str(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push(b'"');
    for chunk in s.utf8_chunks() {
        let valid = chunk.valid();
        let mut plain = 0;
        for (i, c) in valid.char_indices() {
            let short: &[u8] = match c {
                '"' => b"\\\"",
                '\\' => b"\\\\",
                '\n' => b"\\n",
                '\r' => b"\\r",
                '\t' => b"\\t",
                '\u{2028}' => b"\\u2028",
                '\u{2029}' => b"\\u2029",
                '\0'..='\x1f' | '<' | '>' | '&' => b"",
                _ => continue,
            };
            out.extend_from_slice(&valid.as_bytes()[plain..i]);
            plain = i + c.len_utf8();
            if short.is_empty() {
                let b = c as u8;
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            } else {
                out.extend_from_slice(short);
            }
        }
        out.extend_from_slice(&valid.as_bytes()[plain..]);
        for _ in chunk.invalid() {
            out.extend_from_slice(b"\\ufffd");
        }
    }
    out.push(b'"');
}

/// A label set as a JSON object, `{"__name__":"up","job":"a"}`. Labels are sorted by
/// name bytewise, which is the key order of Go's map encoding.
pub fn json_labels(out: &mut Vec<u8>, labels: &Labels) {
    out.push(b'{');
    for (i, (name, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, name);
        out.push(b':');
        json_str(out, value);
    }
    out.push(b'}');
}

/// A sample timestamp as the API writes it: a JSON number of seconds with the
/// milliseconds as three digits when they are not zero (`1000000`, `1000000.024`,
/// `1000000.500`, `-1.500`).
pub fn api_timestamp(out: &mut Vec<u8>, t_ms: i64) {
    let mut buf = itoa::Buffer::new();
    if t_ms < 0 {
        out.push(b'-');
    }
    let abs = t_ms.unsigned_abs();
    out.extend_from_slice(buf.format(abs / 1000).as_bytes());
    let frac = abs % 1000;
    if frac != 0 {
        out.push(b'.');
        out.push(b'0' + (frac / 100) as u8);
        out.push(b'0' + (frac / 10 % 10) as u8);
        out.push(b'0' + (frac % 10) as u8);
    }
}

/// A sample value as the API writes it (without the JSON quotes): the shortest digits
/// that read back to the same float, in plain decimal unless the magnitude is below
/// 1e-6 or at least 1e21, where Go's exponent form `1e+21`, `5e-324` is used. Special
/// values are `NaN`, `+Inf`, `-Inf`; negative zero is `-0`.
pub fn api_float(out: &mut Vec<u8>, v: f64) {
    // The `%g` form has the shortest digits with Go's tie rule; re-lay them out.
    let mut g = Vec::with_capacity(32);
    promtext::write_float(&mut g, v);
    let a = v.abs();
    if !v.is_finite() || a == 0.0 || !(1e-6..1e21).contains(&a) {
        // Non-finite and zero print alike; out of range, `%g` chose exponent form too
        // (it does so for exponents < -4 or >= 6, a superset of these).
        out.extend_from_slice(&g);
        return;
    }
    let (sign, body) = match g.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, &g[..]),
    };
    let (mantissa, exp) = match body.iter().position(|&b| b == b'e') {
        None => {
            // Already plain decimal.
            out.extend_from_slice(&g);
            return;
        }
        Some(e) => (&body[..e], parse_exp(&body[e + 1..])),
    };
    let digits: Vec<u8> = mantissa.iter().copied().filter(|&b| b != b'.').collect();
    if sign {
        out.push(b'-');
    }
    if exp < 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat(b'0').take((-exp - 1) as usize));
        out.extend_from_slice(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.extend_from_slice(&digits);
            out.extend(std::iter::repeat(b'0').take(int_len - digits.len()));
        } else {
            out.extend_from_slice(&digits[..int_len]);
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        }
    }
}

/// `+06`, `-07` → 6, -7.
fn parse_exp(s: &[u8]) -> i32 {
    let (neg, digits) = match s.split_first() {
        Some((b'-', d)) => (true, d),
        Some((b'+', d)) => (false, d),
        _ => (false, s),
    };
    let n = digits
        .iter()
        .fold(0i32, |n, &b| n * 10 + i32::from(b - b'0'));
    if neg {
        -n
    } else {
        n
    }
}

/// A timestamp in ms as RFC 3339 in UTC with millisecond precision,
/// `2023-11-14T22:13:20.000Z`. Years outside 0000–9999 get a sign and more digits.
pub fn rfc3339_ms(out: &mut Vec<u8>, t_ms: i64) {
    let secs = t_ms.div_euclid(1000);
    let ms = t_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = crate::timearg::civil_from_days(days);
    if (0..=9999).contains(&y) {
        push_padded(out, y, 4);
    } else {
        out.push(if y < 0 { b'-' } else { b'+' });
        push_padded(out, y.abs(), 4);
    }
    out.push(b'-');
    push_padded(out, m, 2);
    out.push(b'-');
    push_padded(out, d, 2);
    out.push(b'T');
    push_padded(out, sod / 3600, 2);
    out.push(b':');
    push_padded(out, sod / 60 % 60, 2);
    out.push(b':');
    push_padded(out, sod % 60, 2);
    out.push(b'.');
    push_padded(out, ms, 3);
    out.push(b'Z');
}

fn push_padded(out: &mut Vec<u8>, n: i64, width: usize) {
    let mut buf = itoa::Buffer::new();
    let s = buf.format(n);
    out.extend(std::iter::repeat(b'0').take(width.saturating_sub(s.len())));
    out.extend_from_slice(s.as_bytes());
}

/// One CSV field (RFC 4180): quoted, with `"` doubled, when it holds a comma, a quote,
/// CR or LF, or starts or ends with a space; otherwise as is.
pub fn csv_field(out: &mut Vec<u8>, s: &[u8]) {
    let needs_quotes = s.iter().any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
        || s.first() == Some(&b' ')
        || s.last() == Some(&b' ');
    if !needs_quotes {
        out.extend_from_slice(s);
        return;
    }
    out.push(b'"');
    for &b in s {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// The end of a CSV record (RFC 4180 uses CRLF; every reader accepts LF, which is what
/// people expect on a terminal).
pub const CSV_EOL: u8 = b'\n';

/// A label set the way PromQL writes a selector, for people: `up{job="a", path="/x"}`,
/// `bare_gauge`, `{}`. The metric name goes in front when it is a plain metric name,
/// values are quoted like Go's `strconv.Quote`.
pub fn text_labels(out: &mut Vec<u8>, labels: &Labels) {
    let name = labels.get(b"__name__").filter(|n| is_metric_name(n));
    if let Some(name) = name {
        out.extend_from_slice(name);
        if labels.len() == 1 {
            return;
        }
    }
    out.push(b'{');
    let mut first = true;
    for (n, v) in labels.iter() {
        if name.is_some() && n == b"__name__" {
            continue;
        }
        if !first {
            out.extend_from_slice(b", ");
        }
        first = false;
        out.extend_from_slice(n);
        out.push(b'=');
        promtext::write_quoted(out, v);
    }
    out.push(b'}');
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn is_metric_name(s: &[u8]) -> bool {
    s.first()
        .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// A label name or value on a line of its own, for people: as is when that is
/// unambiguous, else Go-quoted (`"line1\nline2"`, `"  padded"`, `""`).
pub fn text_value(out: &mut Vec<u8>, s: &[u8]) {
    let start = out.len();
    promtext::write_quoted(out, s);
    let quoted = &out[start..];
    let unchanged = quoted.len() == s.len() + 2;
    let ambiguous = s.is_empty()
        || s.first() == Some(&b'"')
        || s.first().is_some_and(u8::is_ascii_whitespace)
        || s.last().is_some_and(u8::is_ascii_whitespace);
    if unchanged && !ambiguous {
        out.truncate(start);
        out.extend_from_slice(s);
    }
}

/// Writes a list of names or values (`labels`, `label-values`) in `format`.
pub fn string_list(
    out: &mut impl std::io::Write,
    format: crate::Format,
    csv_header: &str,
    items: &[Vec<u8>],
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    match format {
        crate::Format::Json => {
            buf.extend_from_slice(JSON_START);
            buf.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                json_str(&mut buf, item);
            }
            buf.push(b']');
            buf.extend_from_slice(JSON_END);
        }
        crate::Format::Csv => {
            buf.extend_from_slice(csv_header.as_bytes());
            buf.push(CSV_EOL);
            for item in items {
                csv_field(&mut buf, item);
                buf.push(CSV_EOL);
            }
        }
        crate::Format::Text => {
            for item in items {
                text_value(&mut buf, item);
                buf.push(b'\n');
            }
        }
    }
    out.write_all(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn json_strings_escape_like_go() {
        let cases: &[(&[u8], &str)] = &[
            (b"plain", r#""plain""#),
            (b"quote\"back\\slash\nnl", r#""quote\"back\\slash\nnl""#),
            (b"nul\0byte\x01\x1f", r#""nul\u0000byte\u0001\u001f""#),
            (b"tab\tcr\r", r#""tab\tcr\r""#),
            (b"\x08\x0c", r#""\u0008\u000c""#),
            (b"del\x7f", "\"del\x7f\""),
            (
                b"<a href='x'>&</a>",
                r#""\u003ca href='x'\u003e\u0026\u003c/a\u003e""#,
            ),
            (
                "ünïcode 🎉 日本 \u{a0}\u{200b}".as_bytes(),
                "\"ünïcode 🎉 日本 \u{a0}\u{200b}\"",
            ),
            ("\u{2028}\u{2029}".as_bytes(), r#""\u2028\u2029""#),
            (b"bad\xffutf8\xe6\x97", r#""bad\ufffdutf8\ufffd\ufffd""#),
            (b"", r#""""#),
        ];
        for (input, want) in cases {
            assert_eq!(s(|o| json_str(o, input)), *want, "{input:?}");
        }
    }

    #[test]
    fn api_floats_match_prometheus() {
        // Observed from Prometheus 2.42's /api/v1/query on testdata/multi special_values.
        let cases: &[(f64, &str)] = &[
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1e-5, "0.00001"),
            (1e-6, "0.000001"),
            (9.99e-7, "9.99e-07"),
            (0.0001, "0.0001"),
            (123456.7, "123456.7"),
            (1234567.0, "1234567"),
            (1e21, "1e+21"),
            (9.99e20, "999000000000000000000"),
            (9007199254740993.0, "9007199254740992"),
            (18446744073709551616.0, "18446744073709552000"),
            (5e-324, "5e-324"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (1e308, "1e+308"),
            (f64::MAX, "1.7976931348623157e+308"),
            (-1.5, "-1.5"),
            (-123456.7, "-123456.7"),
            (-1e-300, "-1e-300"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.3333333333333333"),
            (1e6, "1000000"),
            (2.75, "2.75"),
            (-2.5e-10, "-2.5e-10"),
            (1.5e-7, "1.5e-07"),
        ];
        for &(v, want) in cases {
            assert_eq!(s(|o| api_float(o, v)), want, "{v:e}");
        }
    }

    #[test]
    fn api_timestamps() {
        let cases: &[(i64, &str)] = &[
            (1_000_000_000, "1000000"),
            (1_000_000_024, "1000000.024"),
            (1_000_000_500, "1000000.500"),
            (1_000_000_010, "1000000.010"),
            (0, "0"),
            (-1500, "-1.500"),
            (-5, "-0.005"),
            (i64::MIN, "-9223372036854775.808"),
            (i64::MAX, "9223372036854775.807"),
        ];
        for &(t, want) in cases {
            assert_eq!(s(|o| api_timestamp(o, t)), want);
        }
    }

    #[test]
    fn rfc3339_forms() {
        let cases: &[(i64, &str)] = &[
            (0, "1970-01-01T00:00:00.000Z"),
            (1_700_000_000_000, "2023-11-14T22:13:20.000Z"),
            (1_000_000_024, "1970-01-12T13:46:40.024Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (253_402_300_800_000, "+10000-01-01T00:00:00.000Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
            (-62_167_219_200_001, "-0001-12-31T23:59:59.999Z"),
        ];
        for &(t, want) in cases {
            assert_eq!(s(|o| rfc3339_ms(o, t)), want);
        }
        // The extremes do not overflow.
        assert!(s(|o| rfc3339_ms(o, i64::MIN)).starts_with("-292275055-"));
        assert!(s(|o| rfc3339_ms(o, i64::MAX)).starts_with("+292278994-"));
    }

    #[test]
    fn csv_fields_quote_only_when_needed() {
        let cases: &[(&str, &str)] = &[
            ("plain", "plain"),
            ("", ""),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("line1\nline2", "\"line1\nline2\""),
            ("cr\r", "\"cr\r\""),
            (" lead", "\" lead\""),
            ("{a=\"b\"}", "\"{a=\"\"b\"\"}\""),
            ("ünïcode", "ünïcode"),
        ];
        for &(input, want) in cases {
            assert_eq!(s(|o| csv_field(o, input.as_bytes())), want);
        }
    }

    #[test]
    fn text_label_sets() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("__name__", "up")], "up"),
            (
                &[("__name__", "up"), ("job", "a"), ("A", "x")],
                r#"up{A="x", job="a"}"#,
            ),
            (
                &[("__name__", "bad-name"), ("a", "b")],
                r#"{__name__="bad-name", a="b"}"#,
            ),
            (&[("a", "q\"\n")], r#"{a="q\"\n"}"#),
            (&[], "{}"),
        ];
        for &(pairs, want) in cases {
            let l = Labels::from_pairs(pairs.iter().copied());
            assert_eq!(s(|o| text_labels(o, &l)), want);
        }
    }

    #[test]
    fn text_values_quote_when_ambiguous() {
        let cases: &[(&[u8], &str)] = &[
            (b"plain", "plain"),
            ("日本 🎉".as_bytes(), "日本 🎉"),
            (b"sp ace", "sp ace"),
            (b"line1\nline2", r#""line1\nline2""#),
            (b"\"quoted\"", r#""\"quoted\"""#),
            (b" lead", r#"" lead""#),
            (b"", r#""""#),
            (b"nul\0", r#""nul\x00""#),
        ];
        for &(input, want) in cases {
            assert_eq!(s(|o| text_value(o, input)), want);
        }
    }

    #[test]
    fn string_lists_in_each_format() {
        let items = vec![b"a".to_vec(), b"x,y".to_vec(), b"<n>".to_vec()];
        let mut out = Vec::new();
        string_list(&mut out, crate::Format::Json, "name", &items).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"status\":\"success\",\"data\":[\"a\",\"x,y\",\"\\u003cn\\u003e\"]}\n"
        );
        let mut out = Vec::new();
        string_list(&mut out, crate::Format::Csv, "name", &items).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "name\na\n\"x,y\"\n<n>\n");
        let mut out = Vec::new();
        string_list(&mut out, crate::Format::Json, "name", &[]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"status\":\"success\",\"data\":[]}\n"
        );
    }
}
