//! PromQL series selectors: `metric`, `metric{a="b", c=~"d.*"}`, `{"metric.name", "my.label"="v"}`.
//!
//! ```text
//! selector  = ws ( metric ws [ braces ] | braces ) ws EOF
//! metric    = [A-Za-z_:][A-Za-z0-9_:]*
//! braces    = "{" ws [ item ( ws "," ws item )* ws [ "," ] ] ws "}"
//! item      = label ws op ws string       label = [A-Za-z_][A-Za-z0-9_]*
//!           | string ws op ws string      (quoted label name, Prometheus 3.x)
//!           | string                      (quoted metric name: __name__="…")
//! op        = "=" | "!=" | "=~" | "!~"
//! string    = "…" | '…' | `…`             ws = [ \t\r\n]*
//! ```
//!
//! Quoted strings take the PromQL (Go) escapes: `\a \b \f \n \r \t \v \\`, the string's own
//! quote (`\"` in `"…"`, `\'` in `'…'`; the other quote is an error, as in Go), `\NNN`
//! (exactly three octal digits, at most 0o377), `\xNN`, `\uNNNN` and `\UNNNNNNNN` (a valid
//! scalar value). `\xNN` and octal escapes give single bytes, and the decoded string must be
//! valid UTF-8. A raw newline ends a quoted string with an error. Backtick strings are raw
//! and may span lines.
//!
//! Rules checked after parsing, as PromQL does:
//! * a metric name outside the braces becomes a `__name__` `=` matcher, placed first. A
//!   `__name__` matcher inside those braces (`foo{__name__="bar"}`, `foo{"bar"}`) is an
//!   error: the metric name must not be set twice. Several `__name__` matchers inside braces
//!   without an outside name are allowed.
//! * without an outside name, at least one matcher must not match `""`. So `{}`,
//!   `{foo=""}` and `{a=~".*"}` are rejected. promtool 2.42 `dump` accepts `{foo=""}`, but
//!   we follow PromQL (FORMAT-NOTES §9).
//!
//! [`parse_metric_selector`] skips both checks, as Prometheus' `ParseMetricSelector`
//! (used by `promtool tsdb dump --match`) does.
//!
//! Two choices go beyond PromQL. Empty label names (`{""="v"}`) are rejected. Any identifier is
//! taken as a metric name, including the names full PromQL reads as keywords (`sum`, `by`,
//! `offset`, `inf`), since a bare selector has no expression around it.
//! Range selectors (`[5m]`), `offset` and `@` are not supported.

use std::fmt;

use super::matcher::{MatchOp, Matcher};

/// Why a selector or matcher was rejected, and at which byte offset of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid selector at byte {position}: {kind}")]
pub struct SelectorError {
    /// Byte offset in the selector text (0 for errors from [`Matcher::new`]).
    pub position: usize,
    /// What was wrong.
    pub kind: SelectorErrorKind,
}

/// What was wrong with a selector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectorErrorKind {
    /// The input is empty or only whitespace.
    #[error("empty selector")]
    Empty,
    /// A token other than the one required.
    #[error("expected {expected}, found {found}")]
    Unexpected {
        /// What the grammar required here.
        expected: &'static str,
        /// What was there.
        found: Found,
    },
    /// A quoted string has no closing quote on its line.
    #[error("unterminated string")]
    UnterminatedString,
    /// An escape sequence that PromQL does not know, or with bad digits.
    #[error("invalid escape sequence `{0}`")]
    InvalidEscape(String),
    /// A `\u` or `\U` escape for a surrogate or a value above U+10FFFF.
    #[error("escape sequence is an invalid Unicode code point: {0:#x}")]
    InvalidCodePoint(u32),
    /// `\x` or octal escapes produced bytes that are not UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// A quoted label name is empty.
    #[error("label name must not be empty")]
    EmptyLabelName,
    /// Every matcher matches the empty string (or there is none), so the selector would
    /// select every series.
    #[error("vector selector must contain at least one non-empty matcher")]
    NoNonEmptyMatcher,
    /// A metric name outside the braces and a `__name__` matcher inside them.
    #[error("metric name must not be set twice: {first:?} or {second:?}")]
    MetricNameTwice {
        /// The name outside the braces.
        first: String,
        /// The value of the `__name__` matcher.
        second: String,
    },
    /// The value of `=~` or `!~` is not a valid Go regex.
    #[error("invalid regex: {0}")]
    InvalidRegex(String),
    /// Valid PromQL that a bare series selector does not take (range, offset, `@`).
    #[error("{0} not supported in a series selector")]
    Unsupported(&'static str),
}

/// The character found where another token was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A character.
    Char(char),
    /// The end of the input.
    End,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Char(c) => write!(f, "{c:?}"),
            Found::End => f.write_str("end of input"),
        }
    }
}

/// Parse a PromQL series selector into matchers, with the checks PromQL applies to a vector
/// selector in an expression: the metric name is not set twice, and some matcher does not
/// match `""`. A metric name written before the braces comes first, as `__name__="name"`;
/// the other matchers follow in input order.
pub fn parse_selector(input: &str) -> Result<Vec<Matcher>, SelectorError> {
    parse(input, true)
}

/// Parse a series selector with the same grammar as [`parse_selector`] but without its two
/// checks. This is what Prometheus' `ParseMetricSelector` does, which `promtool tsdb dump
/// --match` uses. So `{foo=""}` (every series), `foo{__name__="bar"}` (no series) and `{}`
/// (no matchers, no series) are accepted. The HTTP API's `match[]` rejects the first and
/// accepts the others.
pub fn parse_metric_selector(input: &str) -> Result<Vec<Matcher>, SelectorError> {
    parse(input, false)
}

fn parse(input: &str, checks: bool) -> Result<Vec<Matcher>, SelectorError> {
    let mut p = Parser { src: input, pos: 0 };
    p.skip_ws();
    if p.pos == input.len() {
        return Err(p.err_at(0, SelectorErrorKind::Empty));
    }

    let mut metric = None;
    if p.peek()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
    {
        let start = p.pos;
        let name = p.identifier(true);
        metric = Some((start, name.to_owned()));
        p.skip_ws();
    }

    let brace_pos = p.pos;
    let mut items: Vec<(usize, Matcher)> = Vec::new();
    let had_braces = p.peek() == Some('{');
    if had_braces {
        p.pos += 1;
        p.matchers(&mut items)?;
        p.skip_ws();
    } else if metric.is_none() {
        return Err(p.unexpected("metric name or '{'"));
    }

    if let Some(c) = p.peek() {
        let rest = &input[p.pos..];
        let keyword = |k: &str| {
            rest.strip_prefix(k)
                .is_some_and(|r| !r.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        };
        let kind = match c {
            '[' => SelectorErrorKind::Unsupported("range selectors"),
            '@' => SelectorErrorKind::Unsupported("@ modifiers"),
            _ if keyword("offset") => SelectorErrorKind::Unsupported("offset modifiers"),
            _ if !had_braces => return Err(p.unexpected("'{' or end of input")),
            _ => return Err(p.unexpected("end of input")),
        };
        return Err(p.err_at(p.pos, kind));
    }

    match metric {
        Some((start, name)) => {
            let named = items.iter().find(|(_, m)| m.name() == "__name__");
            if let Some((pos, m)) = named.filter(|_| checks) {
                return Err(p.err_at(
                    *pos,
                    SelectorErrorKind::MetricNameTwice {
                        first: name,
                        second: m.value().to_owned(),
                    },
                ));
            }
            let name_matcher = Matcher::new(MatchOp::Equal, "__name__", name)
                .map_err(|e| p.err_at(start, e.kind))?;
            let mut out = Vec::with_capacity(items.len() + 1);
            out.push(name_matcher);
            out.extend(items.into_iter().map(|(_, m)| m));
            Ok(out)
        }
        None => {
            if checks && items.iter().all(|(_, m)| m.matches_empty()) {
                return Err(p.err_at(brace_pos, SelectorErrorKind::NoNonEmptyMatcher));
            }
            Ok(items.into_iter().map(|(_, m)| m).collect())
        }
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c @ (' ' | '\t' | '\r' | '\n')) = self.peek() {
            self.pos += c.len_utf8();
        }
    }

    fn err_at(&self, position: usize, kind: SelectorErrorKind) -> SelectorError {
        SelectorError { position, kind }
    }

    fn unexpected(&self, expected: &'static str) -> SelectorError {
        let found = self.peek().map_or(Found::End, Found::Char);
        self.err_at(self.pos, SelectorErrorKind::Unexpected { expected, found })
    }

    /// An identifier at `pos`, whose first character the caller has checked.
    fn identifier(&mut self, colons: bool) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' || (colons && c == ':') {
                self.pos += 1;
            } else {
                break;
            }
        }
        &self.src[start..self.pos]
    }

    /// The inside of `{…}`, after the `{`, through the `}`.
    fn matchers(&mut self, items: &mut Vec<(usize, Matcher)>) -> Result<(), SelectorError> {
        loop {
            self.skip_ws();
            if self.peek() == Some('}') {
                self.pos += 1;
                return Ok(());
            }
            let start = self.pos;
            let matcher = self.matcher()?;
            items.push((start, matcher));
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
    }

    /// One item inside braces: `name op "value"`, `"name" op "value"` or `"metric name"`.
    fn matcher(&mut self) -> Result<Matcher, SelectorError> {
        let start = self.pos;
        let name = match self.peek() {
            Some('"' | '\'' | '`') => {
                let name = self.string()?;
                self.skip_ws();
                if !matches!(self.peek(), Some('=' | '!')) {
                    return Matcher::new(MatchOp::Equal, "__name__", name)
                        .map_err(|e| self.err_at(start, e.kind));
                }
                if name.is_empty() {
                    return Err(self.err_at(start, SelectorErrorKind::EmptyLabelName));
                }
                name
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => self.identifier(false).to_owned(),
            _ => return Err(self.unexpected("label name or '}'")),
        };
        self.skip_ws();
        let op = self.op()?;
        self.skip_ws();
        let value_pos = self.pos;
        if !matches!(self.peek(), Some('"' | '\'' | '`')) {
            return Err(self.unexpected("quoted string"));
        }
        let value = self.string()?;
        Matcher::new(op, name, value).map_err(|e| self.err_at(value_pos, e.kind))
    }

    fn op(&mut self) -> Result<MatchOp, SelectorError> {
        let rest = &self.src[self.pos..];
        let (op, len) = if rest.starts_with("=~") {
            (MatchOp::Regex, 2)
        } else if rest.starts_with("!=") {
            (MatchOp::NotEqual, 2)
        } else if rest.starts_with("!~") {
            (MatchOp::NotRegex, 2)
        } else if rest.starts_with('=') {
            (MatchOp::Equal, 1)
        } else {
            if rest.starts_with('!') {
                self.pos += 1;
            }
            return Err(self.unexpected("label matching operator (=, !=, =~, !~)"));
        };
        self.pos += len;
        Ok(op)
    }

    /// A quoted string at `pos` (which holds the quote), decoded.
    fn string(&mut self) -> Result<String, SelectorError> {
        let start = self.pos;
        let Some(quote) = self.peek() else {
            return Err(self.unexpected("quoted string"));
        };
        self.pos += 1;
        if quote == '`' {
            let body = &self.src[self.pos..];
            let Some(end) = body.find('`') else {
                return Err(self.err_at(start, SelectorErrorKind::UnterminatedString));
            };
            self.pos += end + 1;
            return Ok(body[..end].to_owned());
        }
        let mut bytes = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err_at(start, SelectorErrorKind::UnterminatedString));
            };
            match c {
                '\n' => return Err(self.err_at(start, SelectorErrorKind::UnterminatedString)),
                '\\' => self.escape(quote, start, &mut bytes)?,
                _ if c == quote => {
                    self.pos += 1;
                    break;
                }
                _ => {
                    let mut buf = [0; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    self.pos += c.len_utf8();
                }
            }
        }
        String::from_utf8(bytes).map_err(|_| self.err_at(start, SelectorErrorKind::InvalidUtf8))
    }

    /// An escape sequence at `pos` (the backslash) inside a string opened by `quote` at
    /// `string_start`.
    fn escape(
        &mut self,
        quote: char,
        string_start: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), SelectorError> {
        let start = self.pos;
        self.pos += 1;
        let Some(c) = self.peek() else {
            return Err(self.err_at(string_start, SelectorErrorKind::UnterminatedString));
        };
        self.pos += c.len_utf8();
        let simple = match c {
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0C),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0B),
            '\\' => Some(b'\\'),
            _ if c == quote => Some(c as u8),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            return Ok(());
        }
        let (digits, radix, max) = match c {
            '0'..='7' => {
                self.pos -= 1;
                (3, 8, 0xFF)
            }
            'x' => (2, 16, 0xFF),
            'u' => (4, 16, 0x10FFFF),
            'U' => (8, 16, 0x10FFFF),
            _ => {
                return Err(self.err_at(
                    start,
                    SelectorErrorKind::InvalidEscape(self.src[start..self.pos].to_owned()),
                ))
            }
        };
        let mut v: u32 = 0;
        for _ in 0..digits {
            let d = self.peek().and_then(|d| d.to_digit(radix));
            match d {
                Some(d) => {
                    v = v * radix + d;
                    self.pos += 1;
                }
                None => {
                    let end = self.pos + self.peek().map_or(0, char::len_utf8);
                    return Err(self.err_at(
                        start,
                        SelectorErrorKind::InvalidEscape(self.src[start..end].to_owned()),
                    ));
                }
            }
        }
        if max == 0xFF {
            if v > 0xFF {
                return Err(self.err_at(start, SelectorErrorKind::InvalidCodePoint(v)));
            }
            out.push(v as u8);
        } else {
            let Some(ch) = char::from_u32(v) else {
                return Err(self.err_at(start, SelectorErrorKind::InvalidCodePoint(v)));
            };
            let mut buf = [0; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(op: MatchOp, name: &str, value: &str) -> Matcher {
        Matcher::new(op, name, value).unwrap()
    }

    fn ok(s: &str) -> Vec<Matcher> {
        parse_selector(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn err(s: &str) -> SelectorError {
        match parse_selector(s) {
            Ok(ms) => panic!("{s:?} should fail, got {ms:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn metric_name_forms() {
        assert_eq!(ok("up"), vec![m(MatchOp::Equal, "__name__", "up")]);
        assert_eq!(ok("  up{}  "), vec![m(MatchOp::Equal, "__name__", "up")]);
        assert_eq!(
            ok("job:rate5m:sum"),
            vec![m(MatchOp::Equal, "__name__", "job:rate5m:sum")]
        );
        assert_eq!(
            ok(r#"up {job="a"}"#),
            vec![
                m(MatchOp::Equal, "__name__", "up"),
                m(MatchOp::Equal, "job", "a")
            ]
        );
        assert_eq!(
            ok(r#"{"metric.name", a="b"}"#),
            vec![
                m(MatchOp::Equal, "__name__", "metric.name"),
                m(MatchOp::Equal, "a", "b")
            ]
        );
        assert_eq!(
            ok(r#"{a="b", "metric.name"}"#),
            vec![
                m(MatchOp::Equal, "a", "b"),
                m(MatchOp::Equal, "__name__", "metric.name")
            ]
        );
        // Two names in braces select nothing, but PromQL accepts them.
        assert_eq!(ok(r#"{"a", "b"}"#).len(), 2);
        assert_eq!(ok(r#"{__name__="a", __name__=~"b"}"#).len(), 2);
        assert_eq!(ok("sum").len(), 1);
    }

    #[test]
    fn all_operators_and_trailing_comma() {
        assert_eq!(
            ok("metric{a=\"b\", c!=\"d\", e=~\"f\", g!~\"h\",}"),
            vec![
                m(MatchOp::Equal, "__name__", "metric"),
                m(MatchOp::Equal, "a", "b"),
                m(MatchOp::NotEqual, "c", "d"),
                m(MatchOp::Regex, "e", "f"),
                m(MatchOp::NotRegex, "g", "h"),
            ]
        );
        assert_eq!(
            ok("\n{ \"my.label\" =~ 'v.*' ,\tb\r\n!=\n`x` , }\n"),
            vec![
                m(MatchOp::Regex, "my.label", "v.*"),
                m(MatchOp::NotEqual, "b", "x")
            ]
        );
        assert_eq!(ok(r#"{on="x", by="y", offset="z"}"#).len(), 3);
    }

    #[test]
    fn string_escapes() {
        let v = |s: &str| ok(&format!("x{{a={s}}}"))[1].value().to_owned();
        assert_eq!(
            v(r#""\a\b\f\n\r\t\v\\\"""#),
            "\u{7}\u{8}\u{c}\n\r\t\u{b}\\\""
        );
        assert_eq!(v(r"'\''"), "'");
        assert_eq!(v(r#"'"'"#), "\"");
        assert_eq!(v(r#""'""#), "'");
        assert_eq!(v(r#""\x41\101\u00e9\U0001F600""#), "AAé😀");
        assert_eq!(v(r#""\xc3\xa9\303\251""#), "éé");
        assert_eq!(v(r#""\\d+""#), r"\d+");
        assert_eq!(v("`a\\nb\n\"c'`"), "a\\nb\n\"c'");
        assert_eq!(v(r#""""#), "");
        assert_eq!(v(r#""日本""#), "日本");
    }

    #[test]
    fn string_errors() {
        let kind = |s: &str| err(&format!("{{a={s}}}")).kind;
        assert_eq!(
            kind(r#""\q""#),
            SelectorErrorKind::InvalidEscape(r"\q".into())
        );
        assert_eq!(
            kind(r#""\'""#),
            SelectorErrorKind::InvalidEscape(r"\'".into())
        );
        assert_eq!(
            kind(r#"'\"'"#),
            SelectorErrorKind::InvalidEscape(r#"\""#.into())
        );
        assert_eq!(
            kind(r#""\x4""#),
            SelectorErrorKind::InvalidEscape(r#"\x4""#.into())
        );
        assert_eq!(
            kind(r#""\12""#),
            SelectorErrorKind::InvalidEscape(r#"\12""#.into())
        );
        assert_eq!(
            kind(r#""\400""#),
            SelectorErrorKind::InvalidCodePoint(0o400)
        );
        assert_eq!(
            kind(r#""\ud800""#),
            SelectorErrorKind::InvalidCodePoint(0xd800)
        );
        assert_eq!(
            kind(r#""\U00110000""#),
            SelectorErrorKind::InvalidCodePoint(0x110000)
        );
        assert_eq!(kind(r#""\xff""#), SelectorErrorKind::InvalidUtf8);
        assert_eq!(kind("\"a\nb\""), SelectorErrorKind::UnterminatedString);
        assert_eq!(kind(r#""abc"#), SelectorErrorKind::UnterminatedString);
        assert_eq!(
            err(r#"{a="abc\"#).kind,
            SelectorErrorKind::UnterminatedString
        );
        assert_eq!(kind("`abc"), SelectorErrorKind::UnterminatedString);
        assert_eq!(err(r#"{a="\q"}"#).position, 4);
        assert_eq!(err(r#"{a="abc}"#).position, 3);
    }

    #[test]
    fn rejected_selectors() {
        use SelectorErrorKind as K;
        assert_eq!(err("").kind, K::Empty);
        assert_eq!(err(" \n ").kind, K::Empty);
        assert_eq!(err("{}").kind, K::NoNonEmptyMatcher);
        assert_eq!(err(r#"{foo=""}"#).kind, K::NoNonEmptyMatcher);
        assert_eq!(err(r#"{foo!="x", bar=~".*"}"#).kind, K::NoNonEmptyMatcher);
        ok(r#"{foo!="x", bar=~".+"}"#);
        ok(r#"foo{bar=""}"#);
        assert_eq!(
            err(r#"foo{__name__="bar"}"#),
            SelectorError {
                position: 4,
                kind: K::MetricNameTwice {
                    first: "foo".into(),
                    second: "bar".into()
                }
            }
        );
        assert!(matches!(
            err(r#"foo{"bar"}"#).kind,
            K::MetricNameTwice { .. }
        ));
        assert!(matches!(
            err(r#"foo{__name__=~"b.*"}"#).kind,
            K::MetricNameTwice { .. }
        ));
        assert_eq!(err(r#"{""="v"}"#).kind, K::EmptyLabelName);

        let unexpected = |s: &str, pos: usize, found: Found| {
            let e = err(s);
            assert_eq!(e.position, pos, "{s:?}: {e}");
            assert!(
                matches!(e.kind, K::Unexpected { found: f, .. } if f == found),
                "{s:?}: {e}"
            );
        };
        unexpected(r#"{a="b""#, 6, Found::End);
        unexpected(r#"{a="b" c="d"}"#, 7, Found::Char('c'));
        unexpected(r#"{a}"#, 2, Found::Char('}'));
        unexpected(r#"{a=="b"}"#, 3, Found::Char('='));
        unexpected(r#"{a!"b"}"#, 3, Found::Char('"'));
        unexpected(r#"{a=b}"#, 3, Found::Char('b'));
        unexpected(r#"{,}"#, 1, Found::Char(','));
        unexpected(r#"{a="b",,}"#, 7, Found::Char(','));
        unexpected(r#"{a:b="c"}"#, 2, Found::Char(':'));
        unexpected(r#"{1a="c"}"#, 1, Found::Char('1'));
        unexpected(r#"up{a="b"} x"#, 10, Found::Char('x'));
        unexpected(r#"up{a="b"}}"#, 9, Found::Char('}'));
        unexpected(r#"up x"#, 3, Found::Char('x'));
        unexpected(r#"1up"#, 0, Found::Char('1'));
        unexpected(r#""up""#, 0, Found::Char('"'));
        unexpected(r#"{a="b"} {c="d"}"#, 8, Found::Char('{'));
        unexpected("up{a=\"b\"}\u{0}", 9, Found::Char('\0'));
        assert_eq!(err(r#"up[5m]"#).kind, K::Unsupported("range selectors"));
        assert_eq!(
            err(r#"up offset 5m"#).kind,
            K::Unsupported("offset modifiers")
        );
        assert_eq!(err(r#"up @ 100"#).kind, K::Unsupported("@ modifiers"));

        let bad_re = err(r#"{a=~"x**"}"#);
        assert_eq!(bad_re.position, 4);
        assert!(matches!(bad_re.kind, K::InvalidRegex(_)));
        assert!(
            bad_re
                .to_string()
                .contains("invalid nested repetition operator"),
            "{bad_re}"
        );
    }

    #[test]
    fn metric_selector_skips_expression_checks() {
        assert_eq!(parse_metric_selector("{}"), Ok(vec![]));
        assert_eq!(
            parse_metric_selector(r#"{zone=""}"#),
            Ok(vec![m(MatchOp::Equal, "zone", "")])
        );
        assert_eq!(
            parse_metric_selector(r#"foo{__name__="bar"}"#),
            Ok(vec![
                m(MatchOp::Equal, "__name__", "foo"),
                m(MatchOp::Equal, "__name__", "bar")
            ])
        );
        assert_eq!(
            parse_metric_selector(r#"{__name__!~"a|b", job!="a"}"#).map(|v| v.len()),
            Ok(2)
        );
        assert_eq!(
            parse_metric_selector("").unwrap_err().kind,
            SelectorErrorKind::Empty
        );
        assert!(matches!(
            parse_metric_selector("{a}").unwrap_err().kind,
            SelectorErrorKind::Unexpected { .. }
        ));
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            err("{a}").to_string(),
            "invalid selector at byte 2: expected label matching operator (=, !=, =~, !~), found '}'"
        );
        assert_eq!(
            err("{}").to_string(),
            "invalid selector at byte 0: vector selector must contain at least one non-empty matcher"
        );
        let e: crate::Error = err("{").into();
        assert!(e
            .to_string()
            .contains("expected label name or '}', found end of input"));
    }
}
