//! An OpenMetrics text parser that accepts exactly what `promtool tsdb create-blocks-from
//! openmetrics` 2.42 accepts.
//!
//! promtool's parser is a table-driven scanner without backtracking plus a small
//! recursive-descent layer. The grammar below was worked out from its token rules and
//! checked against the installed promtool 2.42 (see `tools/tests/import_*.rs`):
//!
//! ```text
//! input     = { line } "# EOF" [ "\n" ]            nothing may follow (except NUL bytes)
//! line      = meta | sample
//! meta      = "# " ( "HELP" | "TYPE" | "UNIT" ) " " name " " text "\n"
//! sample    = name [ "{" [ label { "," label } ] "}" ] " " value " " timestamp
//!             [ " # {" [ label { "," label } ] "} " value [ " " timestamp ] ] "\n"
//! name      = [a-zA-Z_:] [a-zA-Z0-9_:]*
//! label     = [a-zA-Z_] [a-zA-Z0-9_]* "=" '"' { escape | byte other than \ " LF NUL } '"'
//! value, timestamp = one or more bytes other than space, LF and NUL, read as a Go float
//! ```
//!
//! * No other comments, no blank lines, no spaces around `{`, `,`, `=`, `}`, no trailing
//!   comma, single spaces between fields, LF line ends only (a CR ends up inside the
//!   timestamp, which then fails to parse).
//! * A `TYPE` must be one of `counter gauge histogram gaugehistogram summary info stateset
//!   unknown`; a `UNIT` must be a `_`-separated suffix of its metric name; `HELP` text must
//!   be UTF-8. Sample names are **not** checked against their family's `TYPE`: a counter's
//!   `_total`/`_created`, a histogram's `_bucket`/`_count`/`_sum` and any other name are
//!   stored as plain series under the name written in the line.
//! * An exemplar is allowed only on names ending in `_total` or `_bucket`; it is parsed
//!   and checked, then ignored.
//! * Label values must be valid UTF-8. `\\`, `\"` and `\n` are unescaped; any other
//!   backslash pair is kept verbatim (`\t` stays backslash + `t`).
//! * NUL bytes are skipped (kept as data) inside label values and meta lines, and right
//!   after a closing quote or a meta line's LF: promtool's scanner treats NUL as end of
//!   input elsewhere, so it is an error in any other place.
//! * Values and timestamps use Go's `strconv.ParseFloat` minus the characters `p`, `P`
//!   and `_`: decimal with optional sign, point and exponent; `NaN`, `Inf`, `+Inf`,
//!   `-Inf`, `Infinity` in any case (`+NaN` is rejected). Numbers that round to
//!   infinity are errors; tiny ones become 0. Hexadecimal is rejected.
//! * A timestamp is float seconds, converted to milliseconds as Go's
//!   `int64(seconds * 1000)`: the product is rounded to a float64, then truncated toward
//!   zero, so `1.0005` is 1000 ms and `-0.0009` is 0 ms. `NaN`/`Inf` timestamps are
//!   errors, and so (unlike promtool, which wraps to `math.MinInt64`) are values whose
//!   millisecond count does not fit an `i64`.
//!
//! The parser works on a window of whole lines; [`Parser::next_entry`] returns one line's
//! entry, or an [`ParseError`] carrying the byte offset inside the window.

use std::fmt;

/// Go's `math.NaN()`, the NaN that `strconv.ParseFloat` returns.
pub const GO_NAN_BITS: u64 = 0x7FF8_0000_0000_0001;

/// The scanner's start conditions (which token rules apply next).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cond {
    Line,
    Comment,
    MetaName,
    MetaText,
    Labels,
    LabelValue,
    Value,
    Timestamp,
    Exemplar,
    ExemplarValue,
    ExemplarTimestamp,
}

/// Tokens.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok {
    /// No rule matched; the scanner stopped at `Lexer::i`.
    Invalid,
    End,
    Linebreak,
    Help,
    Type,
    Unit,
    EofWord,
    Text,
    ExemplarStart,
    MetricName,
    BraceOpen,
    BraceClose,
    LabelName,
    LabelValue,
    Comma,
    Equal,
    Timestamp,
    Value,
}

impl Tok {
    fn describe(self) -> &'static str {
        match self {
            Tok::Invalid => "an invalid character",
            Tok::End => "the end of the input",
            Tok::Linebreak => "the end of the line",
            Tok::Help | Tok::Type | Tok::Unit | Tok::EofWord | Tok::Text => "a comment",
            Tok::ExemplarStart => "an exemplar",
            Tok::MetricName | Tok::LabelName => "a name",
            Tok::BraceOpen => "'{'",
            Tok::BraceClose => "'}'",
            Tok::LabelValue => "a quoted string",
            Tok::Comma => "','",
            Tok::Equal => "'='",
            Tok::Timestamp | Tok::Value => "a number",
        }
    }
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b':'
}

fn is_label_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_label_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// A byte of a value or timestamp token. NUL reads as end of input.
fn is_field_char(c: u8) -> bool {
    c != 0 && c != b' ' && c != b'\n'
}

/// The scanner. `c` values are the byte at `i`, or 0 past the end (NUL bytes in the data
/// also read as 0, except where they are skipped).
struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
    start: usize,
    cond: Cond,
}

impl<'a> Lexer<'a> {
    fn skips_nul(&self) -> bool {
        matches!(self.cond, Cond::LabelValue | Cond::MetaText | Cond::Comment)
    }

    /// Consumes the current byte and returns the next one.
    fn bump(&mut self) -> u8 {
        self.i += 1;
        loop {
            match self.b.get(self.i) {
                None => return 0,
                Some(0) if self.skips_nul() => self.i += 1,
                Some(&c) => return c,
            }
        }
    }

    /// The current token's bytes.
    fn token(&self) -> &'a [u8] {
        let end = self.i.min(self.b.len());
        self.b.get(self.start..end).unwrap_or(&[])
    }

    fn lex(&mut self) -> Tok {
        let Some(&c) = self.b.get(self.i) else {
            return Tok::End;
        };
        self.start = self.i;
        match self.cond {
            Cond::Line => {
                if c == b'#' {
                    if self.bump() != b' ' {
                        return Tok::Invalid;
                    }
                    let c = self.bump();
                    self.cond = Cond::Comment;
                    self.lex_comment(c)
                } else if is_name_start(c) {
                    while is_name_char(self.bump()) {}
                    self.cond = Cond::Value;
                    Tok::MetricName
                } else {
                    Tok::Invalid
                }
            }
            Cond::Comment => self.lex_comment(c),
            Cond::MetaName => {
                if !is_name_start(c) {
                    return Tok::Invalid;
                }
                while is_name_char(self.bump()) {}
                self.cond = Cond::MetaText;
                Tok::MetricName
            }
            Cond::MetaText => {
                if c != b' ' {
                    return Tok::Invalid;
                }
                loop {
                    match self.bump() {
                        b'\n' => {
                            self.bump();
                            self.cond = Cond::Line;
                            return Tok::Text;
                        }
                        0 => return Tok::Invalid,
                        _ => {}
                    }
                }
            }
            Cond::Labels | Cond::Exemplar => {
                let exemplar = self.cond == Cond::Exemplar;
                match c {
                    b',' => {
                        self.bump();
                        Tok::Comma
                    }
                    b'=' => {
                        self.bump();
                        self.cond = if exemplar {
                            Cond::ExemplarValue
                        } else {
                            Cond::LabelValue
                        };
                        Tok::Equal
                    }
                    b'}' => {
                        self.bump();
                        self.cond = if exemplar {
                            Cond::ExemplarValue
                        } else {
                            Cond::Value
                        };
                        Tok::BraceClose
                    }
                    c if is_label_start(c) => {
                        while is_label_char(self.bump()) {}
                        Tok::LabelName
                    }
                    _ => Tok::Invalid,
                }
            }
            Cond::LabelValue => {
                if c != b'"' {
                    return Tok::Invalid;
                }
                self.lex_quoted(Cond::Labels)
            }
            Cond::Value => match c {
                b' ' => self.lex_field(Cond::Timestamp, Tok::Value),
                b'{' => {
                    self.bump();
                    self.cond = Cond::Labels;
                    Tok::BraceOpen
                }
                _ => Tok::Invalid,
            },
            Cond::Timestamp => match c {
                b'\n' => {
                    self.bump();
                    self.cond = Cond::Line;
                    Tok::Linebreak
                }
                b' ' => {
                    let c = self.bump();
                    if c == b'#' {
                        match self.bump() {
                            b' ' => {
                                if self.bump() != b'{' {
                                    return Tok::Invalid;
                                }
                                self.bump();
                                self.cond = Cond::Exemplar;
                                Tok::ExemplarStart
                            }
                            c if is_field_char(c) => {
                                while is_field_char(self.bump()) {}
                                Tok::Timestamp
                            }
                            _ => Tok::Timestamp,
                        }
                    } else if is_field_char(c) {
                        while is_field_char(self.bump()) {}
                        Tok::Timestamp
                    } else {
                        Tok::Invalid
                    }
                }
                _ => Tok::Invalid,
            },
            Cond::ExemplarValue => match c {
                b' ' => self.lex_field(Cond::ExemplarTimestamp, Tok::Value),
                b'"' => self.lex_quoted(Cond::Exemplar),
                _ => Tok::Invalid,
            },
            Cond::ExemplarTimestamp => match c {
                b'\n' => {
                    self.bump();
                    self.cond = Cond::Line;
                    Tok::Linebreak
                }
                b' ' => self.lex_field(Cond::ExemplarTimestamp, Tok::Timestamp),
                _ => Tok::Invalid,
            },
        }
    }

    /// After `# `: the keyword of a meta line or `EOF`.
    fn lex_comment(&mut self, c: u8) -> Tok {
        let (rest, tok, next): (&[u8], Tok, Cond) = match c {
            b'E' => (b"OF", Tok::EofWord, Cond::Line),
            b'H' => (b"ELP ", Tok::Help, Cond::MetaName),
            b'T' => (b"YPE ", Tok::Type, Cond::MetaName),
            b'U' => (b"NIT ", Tok::Unit, Cond::MetaName),
            _ => return Tok::Invalid,
        };
        for &want in rest {
            if self.bump() != want {
                return Tok::Invalid;
            }
        }
        let c = self.bump();
        if tok == Tok::EofWord && c == b'\n' {
            self.bump();
        }
        self.cond = next;
        tok
    }

    /// A space and at least one field byte.
    fn lex_field(&mut self, next: Cond, tok: Tok) -> Tok {
        if !is_field_char(self.bump()) {
            return Tok::Invalid;
        }
        while is_field_char(self.bump()) {}
        self.cond = next;
        tok
    }

    /// A quoted string starting at the current `"`.
    fn lex_quoted(&mut self, next: Cond) -> Tok {
        loop {
            match self.bump() {
                b'"' => {
                    self.bump();
                    self.cond = next;
                    return Tok::LabelValue;
                }
                b'\\' => {
                    let c = self.bump();
                    if c == 0 || c == b'\n' {
                        return Tok::Invalid;
                    }
                }
                0 | b'\n' => return Tok::Invalid,
                _ => {}
            }
        }
    }
}

/// Why a line was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset of the problem inside the window.
    pub pos: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn err<T>(pos: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        pos,
        message: message.into(),
    })
}

/// One label of a sample line: byte ranges of its name and its raw (still escaped)
/// value inside the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelPos {
    /// Start of the name.
    pub name_start: usize,
    /// End of the name.
    pub name_end: usize,
    /// Start of the value, after the opening quote.
    pub value_start: usize,
    /// End of the value, before the closing quote.
    pub value_end: usize,
}

/// A sample line. Positions are byte offsets inside the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Start of the line (the metric name).
    pub start: usize,
    /// End of the metric name.
    pub name_end: usize,
    /// End of the series text: after `}` if there are braces, else `name_end`.
    pub series_end: usize,
    /// The value's float64 bits.
    pub value: u64,
    /// Milliseconds.
    pub timestamp: i64,
    /// Where the timestamp's text starts.
    pub timestamp_pos: usize,
}

/// One entry of the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entry {
    /// A sample line; its labels are in [`Parser::labels`].
    Sample(Sample),
    /// A `HELP`, `TYPE` or `UNIT` line.
    Meta,
    /// `# EOF` and nothing after it in this window.
    Eof,
}

/// Parses entries out of a window of whole lines.
pub struct Parser<'a> {
    lx: Lexer<'a>,
    labels: Vec<LabelPos>,
}

impl<'a> Parser<'a> {
    /// A parser over `window`, which starts at a line start.
    pub fn new(window: &'a [u8]) -> Parser<'a> {
        Parser {
            lx: Lexer {
                b: window,
                i: 0,
                start: 0,
                cond: Cond::Line,
            },
            labels: Vec::new(),
        }
    }

    /// Bytes consumed so far.
    pub fn pos(&self) -> usize {
        self.lx.i.min(self.lx.b.len())
    }

    /// True when the whole window has been consumed.
    pub fn at_end(&self) -> bool {
        self.lx.i >= self.lx.b.len()
    }

    /// The labels of the last [`Entry::Sample`].
    pub fn labels(&self) -> &[LabelPos] {
        &self.labels
    }

    /// Where a token that failed to scan went wrong: the byte the scanner stopped at.
    fn invalid_pos(&self) -> usize {
        self.lx.i.min(self.lx.b.len())
    }

    fn unexpected<T>(&self, tok: Tok, expected: &str) -> Result<T, ParseError> {
        match tok {
            Tok::Invalid => {
                let pos = self.invalid_pos();
                if self.lx.b.get(self.lx.start) == Some(&b' ')
                    && pos == self.lx.start + 1
                    && matches!(self.lx.b.get(pos), None | Some(b'\n') | Some(b' '))
                {
                    return err(self.lx.start, "unexpected space");
                }
                let found = match self.lx.b.get(pos) {
                    None => "the end of the input".to_string(),
                    Some(b'\n') => "the end of the line".to_string(),
                    Some(&c) if c.is_ascii_graphic() => format!("'{}'", c as char),
                    Some(b' ') => "a space".to_string(),
                    Some(&c) => format!("byte 0x{c:02x}"),
                };
                err(pos, format!("expected {expected}, found {found}"))
            }
            Tok::End => err(
                self.lx.b.len(),
                format!("expected {expected}, found the end of the input"),
            ),
            _ => err(
                self.lx.start,
                format!("expected {expected}, found {}", tok.describe()),
            ),
        }
    }

    /// Parses the next entry. Call only while [`Parser::at_end`] is false, or to learn
    /// that the input ends without `# EOF`.
    pub fn next_entry(&mut self) -> Result<Entry, ParseError> {
        self.labels.clear();
        let start = self.lx.i;
        match self.lx.lex() {
            Tok::EofWord => match self.lx.lex() {
                Tok::End => Ok(Entry::Eof),
                Tok::Invalid => err(self.invalid_pos(), "unexpected data after \"# EOF\""),
                _ => err(self.lx.start, "unexpected data after \"# EOF\""),
            },
            Tok::End => err(start, "the input does not end with \"# EOF\""),
            t @ (Tok::Help | Tok::Type | Tok::Unit) => self.meta(t),
            Tok::MetricName => self.sample(start).map(Entry::Sample),
            Tok::Invalid if self.lx.b.get(start) == Some(&b'#') => err(
                start,
                "invalid comment: only \"# HELP\", \"# TYPE\", \"# UNIT\" and \"# EOF\" are allowed",
            ),
            Tok::Invalid if self.lx.b.get(start) == Some(&b'\n') => {
                err(start, "empty line")
            }
            t => self.unexpected(t, "a metric name or \"#\""),
        }
    }

    fn meta(&mut self, kind: Tok) -> Result<Entry, ParseError> {
        let what = match kind {
            Tok::Help => "HELP",
            Tok::Type => "TYPE",
            _ => "UNIT",
        };
        let t = self.lx.lex();
        if t != Tok::MetricName {
            return self.unexpected(t, &format!("a metric name after {what}"));
        }
        let name = self.lx.token();
        let t = self.lx.lex();
        if t != Tok::Text {
            return self.unexpected(t, &format!("a space and text after the {what} metric name"));
        }
        let text_pos = self.lx.start + 1;
        let tok = self.lx.token();
        let text = tok.get(1..tok.len().saturating_sub(1)).unwrap_or(&[]);
        match kind {
            Tok::Type => {
                const TYPES: [&[u8]; 8] = [
                    b"counter",
                    b"gauge",
                    b"histogram",
                    b"gaugehistogram",
                    b"summary",
                    b"info",
                    b"stateset",
                    b"unknown",
                ];
                if !TYPES.contains(&text) {
                    return err(
                        text_pos,
                        format!("invalid metric type \"{}\"", String::from_utf8_lossy(text)),
                    );
                }
            }
            Tok::Help => {
                if let Err(e) = std::str::from_utf8(text) {
                    return err(text_pos + e.valid_up_to(), "invalid UTF-8 in HELP text");
                }
            }
            _ => {
                if !text.is_empty() {
                    let ok = name.len() > text.len()
                        && name.ends_with(text)
                        && name.get(name.len() - text.len() - 1) == Some(&b'_');
                    if !ok {
                        return err(
                            text_pos,
                            format!(
                                "unit \"{}\" is not a suffix of metric \"{}\"",
                                String::from_utf8_lossy(text),
                                String::from_utf8_lossy(name)
                            ),
                        );
                    }
                }
            }
        }
        Ok(Entry::Meta)
    }

    fn sample(&mut self, start: usize) -> Result<Sample, ParseError> {
        let name_end = self.lx.i;
        let mut series_end = name_end;
        let mut t = self.lx.lex();
        if t == Tok::BraceOpen {
            self.label_list(false)?;
            series_end = self.lx.i;
            t = self.lx.lex();
        }
        let value = self.float_field(t, "a space and a value")?;
        let value = if value.is_nan() {
            GO_NAN_BITS
        } else {
            value.to_bits()
        };
        let after_value = self.lx.i;
        let timestamp_pos;
        let timestamp = match self.lx.lex() {
            Tok::Timestamp => {
                let pos = self.lx.start + 1;
                timestamp_pos = pos;
                let seconds = self.float_field(Tok::Value, "")?;
                if !seconds.is_finite() {
                    return err(pos, "invalid timestamp (NaN or infinite)");
                }
                let ms = seconds * 1000.0;
                // The i64 range is [-2^63, 2^63); both bounds are exact float64s.
                if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&ms) {
                    return err(pos, "timestamp out of range");
                }
                let ms = ms as i64;
                match self.lx.lex() {
                    Tok::Linebreak => {}
                    Tok::ExemplarStart => self.exemplar(start, name_end)?,
                    t => {
                        return self.unexpected(
                            t,
                            "the end of the line or an exemplar after the timestamp",
                        )
                    }
                }
                ms
            }
            Tok::Linebreak => return err(after_value, "sample has no timestamp"),
            Tok::ExemplarStart => {
                self.exemplar(start, name_end)?;
                return err(after_value, "sample has no timestamp");
            }
            Tok::End => return err(after_value, "the input does not end with \"# EOF\""),
            t => return self.unexpected(t, "a space and a timestamp"),
        };
        Ok(Sample {
            start,
            name_end,
            series_end,
            value,
            timestamp,
            timestamp_pos,
        })
    }

    /// Parses a float token (value or timestamp) that the lexer just returned as `t`.
    fn float_field(&mut self, t: Tok, expected: &str) -> Result<f64, ParseError> {
        if t != Tok::Value {
            return self.unexpected(t, expected);
        }
        let text = self.lx.token().get(1..).unwrap_or(&[]);
        let pos = self.lx.start + 1;
        parse_go_float(text).map_err(|e| ParseError {
            pos,
            message: format!("{e} {:?}", String::from_utf8_lossy(text)),
        })
    }

    /// After ` # {`: exemplar labels, value and optional timestamp; all discarded.
    fn exemplar(&mut self, start: usize, name_end: usize) -> Result<(), ParseError> {
        let name = self.lx.b.get(start..name_end).unwrap_or(&[]);
        if !(name.ends_with(b"_total") || name.ends_with(b"_bucket")) {
            return err(
                self.lx.start + 1,
                format!(
                    "metric {} does not support exemplars (only names ending in _total or _bucket do)",
                    String::from_utf8_lossy(name)
                ),
            );
        }
        let keep = self.labels.len();
        self.label_list(true)?;
        self.labels.truncate(keep);
        let t = self.lx.lex();
        self.float_field(t, "a space and the exemplar value")?;
        match self.lx.lex() {
            Tok::Linebreak => Ok(()),
            Tok::Timestamp => {
                let pos = self.lx.start + 1;
                let ts = self.float_field(Tok::Value, "")?;
                if !ts.is_finite() {
                    return err(pos, "invalid exemplar timestamp (NaN or infinite)");
                }
                match self.lx.lex() {
                    Tok::Linebreak => Ok(()),
                    t => self.unexpected(t, "the end of the line after the exemplar timestamp"),
                }
            }
            Tok::End => err(self.lx.i, "the input does not end with \"# EOF\""),
            t => self.unexpected(t, "a space and a timestamp or the end of the line"),
        }
    }

    /// After `{`: `name="value"` pairs up to `}`.
    fn label_list(&mut self, exemplar: bool) -> Result<(), ParseError> {
        let mut first = true;
        loop {
            match self.lx.lex() {
                Tok::BraceClose => return Ok(()),
                Tok::Comma if !first => {
                    let t = self.lx.lex();
                    if t != Tok::LabelName {
                        return self.unexpected(t, "a label name after ','");
                    }
                }
                Tok::LabelName if first => {}
                t if first => return self.unexpected(t, "a label name or '}'"),
                t => return self.unexpected(t, "',' or '}'"),
            }
            first = false;
            let (name_start, name_end) = (self.lx.start, self.lx.i);
            let t = self.lx.lex();
            if t != Tok::Equal {
                return self.unexpected(t, "'=' after the label name");
            }
            let t = self.lx.lex();
            if t != Tok::LabelValue {
                if t == Tok::Invalid && self.lx.b.get(self.lx.start) == Some(&b'"') {
                    let at = self.invalid_pos();
                    return match self.lx.b.get(at) {
                        Some(b'\n') | None => err(self.lx.start, "unterminated label value"),
                        _ => err(at, "invalid byte in label value"),
                    };
                }
                return self.unexpected(t, "a quoted label value");
            }
            let tok = self.lx.token();
            if let Err(e) = std::str::from_utf8(tok) {
                return err(
                    self.lx.start + e.valid_up_to(),
                    if exemplar {
                        "invalid UTF-8 in exemplar label value"
                    } else {
                        "invalid UTF-8 in label value"
                    },
                );
            }
            self.labels.push(LabelPos {
                name_start,
                name_end,
                value_start: self.lx.start + 1,
                value_end: self.lx.i.saturating_sub(1).max(self.lx.start + 1),
            });
        }
    }
}

/// Why a number did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatError {
    /// `p`, `P` or `_`, which promtool refuses before parsing.
    Unsupported,
    /// Not a number.
    Syntax,
    /// Rounds to infinity.
    Range,
}

impl fmt::Display for FloatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FloatError::Unsupported => "unsupported character ('p', 'P' or '_') in number",
            FloatError::Syntax => "invalid number",
            FloatError::Range => "number out of range",
        })
    }
}

/// Length of the case-insensitive common prefix of `s` and `word`.
fn common_prefix_ignore_case(s: &[u8], word: &[u8]) -> usize {
    s.iter()
        .zip(word)
        .take_while(|(a, b)| a.to_ascii_lowercase() == **b)
        .count()
}

/// Go's `strconv.ParseFloat(s, 64)` as promtool 2.42 calls it (after refusing `pP_`).
pub fn parse_go_float(s: &[u8]) -> Result<f64, FloatError> {
    if s.iter().any(|c| matches!(c, b'p' | b'P' | b'_')) {
        return Err(FloatError::Unsupported);
    }
    // Named values: [+-]?(inf|infinity) and nan, in any case.
    let (negative, unsigned) = match s.first() {
        Some(b'+') => (false, s.get(1..).unwrap_or(&[])),
        Some(b'-') => (true, s.get(1..).unwrap_or(&[])),
        _ => (false, s),
    };
    let signed = unsigned.len() != s.len();
    match unsigned.first().map(u8::to_ascii_lowercase) {
        Some(b'i') => {
            let mut n = common_prefix_ignore_case(unsigned, b"infinity");
            if 3 < n && n < 8 {
                n = 3;
            }
            if n == 3 || n == 8 {
                if n != unsigned.len() {
                    return Err(FloatError::Syntax);
                }
                return Ok(if negative {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                });
            }
        }
        Some(b'n') if !signed && common_prefix_ignore_case(unsigned, b"nan") == 3 => {
            if unsigned.len() != 3 {
                return Err(FloatError::Syntax);
            }
            return Ok(f64::from_bits(GO_NAN_BITS));
        }
        _ => {}
    }
    // Decimal: digits with at most one point (at least one digit), optional exponent.
    let mut i = 0;
    let mut digits = 0;
    let mut point = false;
    while let Some(&c) = unsigned.get(i) {
        if c.is_ascii_digit() {
            digits += 1;
        } else if c == b'.' && !point {
            point = true;
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return Err(FloatError::Syntax);
    }
    if matches!(unsigned.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(unsigned.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = unsigned
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if exp_digits == 0 {
            return Err(FloatError::Syntax);
        }
        i += exp_digits;
    }
    if i != unsigned.len() {
        return Err(FloatError::Syntax);
    }
    // The text is ASCII and in a form Rust's correctly rounded parser accepts too.
    let text = std::str::from_utf8(s).map_err(|_| FloatError::Syntax)?;
    let v: f64 = text.parse().map_err(|_| FloatError::Syntax)?;
    if v.is_infinite() {
        return Err(FloatError::Range);
    }
    Ok(v)
}

/// Unescapes a label value as promtool does: `\\`, `\"` and `\n` only; any other
/// backslash is kept with the byte after it.
pub fn unescape_into(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while let Some(&c) = raw.get(i) {
        if c == b'\\' {
            let replacement = match raw.get(i + 1) {
                Some(b'\\') => Some(b'\\'),
                Some(b'"') => Some(b'"'),
                Some(b'n') => Some(b'\n'),
                _ => None,
            };
            if let Some(r) = replacement {
                out.push(r);
                i += 2;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parsed sample line: series text, unescaped labels, value bits, timestamp.
    type Line = (String, Vec<(String, String)>, u64, i64);

    /// Parses a whole input; returns the sample lines, or the error's (offset, message).
    fn parse_all(input: &[u8]) -> Result<Vec<Line>, (usize, String)> {
        let mut p = Parser::new(input);
        let mut out = Vec::new();
        loop {
            match p.next_entry() {
                Ok(Entry::Eof) => return Ok(out),
                Ok(Entry::Meta) => {}
                Ok(Entry::Sample(s)) => {
                    let labels = p
                        .labels()
                        .iter()
                        .map(|l| {
                            let mut v = Vec::new();
                            unescape_into(&input[l.value_start..l.value_end], &mut v);
                            (
                                String::from_utf8_lossy(&input[l.name_start..l.name_end])
                                    .into_owned(),
                                String::from_utf8_lossy(&v).into_owned(),
                            )
                        })
                        .collect();
                    out.push((
                        String::from_utf8_lossy(&input[s.start..s.series_end]).into_owned(),
                        labels,
                        s.value,
                        s.timestamp,
                    ));
                }
                Err(e) => return Err((e.pos, e.message)),
            }
        }
    }

    fn ok(input: &str) -> Vec<Line> {
        parse_all(input.as_bytes()).unwrap_or_else(|e| panic!("{input:?}: {e:?}"))
    }

    fn bad(input: &[u8]) -> (usize, String) {
        match parse_all(input) {
            Ok(v) => panic!("{:?} parsed: {v:?}", String::from_utf8_lossy(input)),
            Err(e) => e,
        }
    }

    #[test]
    fn go_floats() {
        let cases: &[(&str, Option<f64>)] = &[
            ("1", Some(1.0)),
            ("-0", Some(-0.0)),
            ("+5", Some(5.0)),
            ("1.", Some(1.0)),
            (".5", Some(0.5)),
            ("1e3", Some(1000.0)),
            ("1E+3", Some(1000.0)),
            ("1.5e-3", Some(0.0015)),
            ("1e-400", Some(0.0)),
            ("-1e-400", Some(-0.0)),
            ("0e99999999999999999999", Some(0.0)),
            ("Inf", Some(f64::INFINITY)),
            ("+inf", Some(f64::INFINITY)),
            ("-INFINITY", Some(f64::NEG_INFINITY)),
            ("infinity", Some(f64::INFINITY)),
            ("1.7976931348623157e308", Some(f64::MAX)),
            ("4.9e-324", Some(5e-324)),
            ("1e400", None),
            ("1.7976931348623159e308", None),
            ("-1e400", None),
            ("infinit", None),
            ("infx", None),
            ("+nan", None),
            ("-NaN", None),
            ("nanx", None),
            ("0x10", None),
            ("0x1p3", None),
            ("1_000", None),
            (".", None),
            ("", None),
            ("+", None),
            ("1e", None),
            ("1e+", None),
            ("e5", None),
            ("1..2", None),
            ("1.2.3", None),
            (" 1", None),
            ("1 ", None),
            ("١", None),
        ];
        for (s, want) in cases {
            let got = parse_go_float(s.as_bytes()).ok();
            match (got, want) {
                (Some(g), Some(w)) => assert_eq!(g.to_bits(), w.to_bits(), "{s}"),
                (None, None) => {}
                _ => panic!("{s}: got {got:?}, want {want:?}"),
            }
        }
        for s in ["NaN", "nan", "nAN"] {
            assert_eq!(parse_go_float(s.as_bytes()).unwrap().to_bits(), GO_NAN_BITS);
        }
        assert_eq!(parse_go_float(b"1p3"), Err(FloatError::Unsupported));
        assert_eq!(parse_go_float(b"1e999"), Err(FloatError::Range));
    }

    #[test]
    fn samples_labels_and_values() {
        let got = ok("# HELP foo some text\n# TYPE foo counter\n# UNIT foo_seconds seconds\nfoo_total{a=\"1\",b=\"x\\\\y\\\"z\\nw\\t\"} 1.5 1000.5\nbar{} NaN -1\nbaz -Inf 0.0009\n# EOF\n");
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].0, "foo_total{a=\"1\",b=\"x\\\\y\\\"z\\nw\\t\"}");
        assert_eq!(
            got[0].1,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x\\y\"z\nw\\t".into())
            ]
        );
        assert_eq!(got[0].2, 1.5f64.to_bits());
        assert_eq!(got[0].3, 1_000_500);
        assert_eq!(got[1].0, "bar{}");
        assert_eq!(got[1].2, GO_NAN_BITS);
        assert_eq!(got[1].3, -1000);
        assert_eq!(got[2].2, f64::NEG_INFINITY.to_bits());
        assert_eq!(got[2].3, 0);
    }

    #[test]
    fn timestamps_truncate_like_go() {
        // 1.005 * 1000 = 1004.9999999999999 in float64 (promtool 2.42 stores 1004).
        assert_eq!(ok("a 1 1.005\n# EOF")[0].3, 1004);
        assert_eq!(ok("a 1 8.123\n# EOF")[0].3, 8122);
        assert_eq!(ok("a 1 1000000.123\n# EOF")[0].3, 1_000_000_123);
        assert_eq!(ok("a 1 -0.0009\n# EOF")[0].3, 0);
        assert_eq!(ok("a 1 -1.5\n# EOF")[0].3, -1500);
        assert_eq!(ok("a 1 1e3\n# EOF")[0].3, 1_000_000);
        bad(b"a 1 NaN\n# EOF\n");
        bad(b"a 1 +Inf\n# EOF\n");
        bad(b"a 1 1e17\n# EOF\n");
    }

    #[test]
    fn exemplars() {
        ok("foo_total 1 1 # {a=\"b\"} 1 2\nfoo_bucket{le=\"1\"} 1 1 # {} 1\n# EOF\n");
        assert!(bad(b"foo 1 1 # {a=\"b\"} 1 2\n# EOF\n")
            .1
            .contains("exemplars"));
        bad(b"foo_total 1 1 # {a=\"b\"} x 2\n# EOF\n");
        bad(b"foo_total 1 1 # {a=\"b\"} 1 NaN\n# EOF\n");
        bad(b"foo_total 1 1 # {a=\"b\"} 1 2 3\n# EOF\n");
        bad(b"foo_total 1 1 # {a=\"\xff\"} 1 2\n# EOF\n");
        // An exemplar without a sample timestamp still fails: no timestamp.
        assert!(bad(b"foo_total 1 # {a=\"b\"} 1 2\n# EOF\n")
            .1
            .contains("timestamp"));
    }

    #[test]
    fn eof_rules() {
        assert!(ok("# EOF").is_empty());
        assert!(ok("# EOF\n").is_empty());
        assert!(ok("# EOF\n\0\0").is_empty());
        assert_eq!(bad(b"a 1 1\n").1, "the input does not end with \"# EOF\"");
        assert_eq!(bad(b"a 1 1\n").0, 6);
        bad(b"a 1 1");
        bad(b"# EOF\n\n");
        bad(b"# EOF\na 1 1\n");
        bad(b"# EOFX\n");
        bad(b"");
    }

    #[test]
    fn errors_with_positions() {
        let cases: &[(&[u8], usize, &str)] = &[
            (b"a 1 1\n\nb 1 1\n# EOF\n", 6, "empty line"),
            (b"# hello\n# EOF\n", 0, "invalid comment"),
            (b"a{b=\"1} 1 1\n# EOF\n", 4, "unterminated label value"),
            (b"a{b=\"1\",} 1 1\n# EOF\n", 8, "label name after ','"),
            (b"a{b=1} 1 1\n# EOF\n", 4, "quoted label value"),
            (b"a{b=\"\xc3\"} 1 1\n# EOF\n", 5, "invalid UTF-8"),
            (b"a x 1\n# EOF\n", 2, "invalid number \"x\""),
            (b"a 1 x\n# EOF\n", 4, "invalid number \"x\""),
            (b"a 1\n# EOF\n", 3, "no timestamp"),
            (b"a 1 1 \n# EOF\n", 5, "unexpected space"),
            (b"a  1 1\n# EOF\n", 1, "unexpected space"),
            (b"a 1 1\r\n# EOF\n", 4, "invalid number \"1\\r\""),
            (b"1a 1 1\n# EOF\n", 0, "metric name"),
            (b"# TYPE a bogus\n# EOF\n", 9, "invalid metric type"),
            (b"# UNIT a_bytes seconds\n# EOF\n", 15, "not a suffix"),
            (b"# HELP a \xff\n# EOF\n", 9, "invalid UTF-8 in HELP"),
            (b"# HELP a\n# EOF\n", 8, "text after the HELP"),
            (b"a{b=\"1\"c=\"2\"} 1 1\n# EOF\n", 7, "',' or '}'"),
            (b"a{b=\"x\\\n\"} 1 1\n# EOF\n", 4, "unterminated"),
            (b"a\0 1 1\n# EOF\n", 1, "found byte 0x00"),
        ];
        for (input, pos, msg) in cases {
            let (p, m) = bad(input);
            assert!(
                m.contains(msg) && p == *pos,
                "{:?}: got ({p}, {m:?}), want ({pos}, {msg:?})",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn nul_bytes_where_promtool_skips_them() {
        // Inside a label value: kept as data.
        let got = ok("a{b=\"x\0y\"} 1 1\n# EOF\n");
        assert_eq!(got[0].1[0].1, "x\0y");
        // Right after the closing quote: swallowed into the token, so the value gains
        // the quote (promtool's offsets strip one byte from the end).
        let got = ok("a{b=\"x\"\0} 1 1\n# EOF\n");
        assert_eq!(got[0].1[0].1, "x\"");
        // Inside HELP text, and after a meta line's newline the type text grows.
        ok("# HELP a x\0y\n# EOF\n");
        bad(b"# TYPE a gauge\n\0a 1 1\n# EOF\n");
        // In a keyword of a comment.
        ok("# E\0OF\n");
    }

    #[test]
    fn unescape_rules() {
        let mut out = Vec::new();
        for (raw, want) in [
            (&br#"a\\b"#[..], &b"a\\b"[..]),
            (br#"\""#, b"\""),
            (br#"\n"#, b"\n"),
            (br#"\t"#, br#"\t"#),
            (br#"\\n"#, br#"\n"#),
            (br#"\\\n"#, b"\\\n"),
            (br#"x\"#, br#"x\"#),
        ] {
            unescape_into(raw, &mut out);
            assert_eq!(out, want, "{}", String::from_utf8_lossy(raw));
        }
    }
}
