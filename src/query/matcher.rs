//! Label matchers with Prometheus 3.x semantics.
//!
//! A series matches a matcher when the matcher accepts the series' value for the label, or
//! `""` when the series has no such label. So `{x=""}`, `{x!="v"}` and `{x=~"a|"}` all
//! select series without `x`. [`Matcher::matches_empty`] tells the postings code which
//! case it is in.
//!
//! `=~` and `!~` values are Go RE2 patterns, anchored, with `.` matching newline (see
//! [`GoRegex`]). The regex is compiled once and shared by clones and [`Matcher::inverse`].

use std::fmt;
use std::sync::Arc;

use unicode_general_category::{get_general_category, GeneralCategory as Gc};

use super::goregex::GoRegex;
use super::selector::{SelectorError, SelectorErrorKind};

/// How a matcher compares a label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`: the value equals the string.
    Equal,
    /// `!=`: the value differs from the string.
    NotEqual,
    /// `=~`: the whole value matches the regex.
    Regex,
    /// `!~`: the whole value does not match the regex.
    NotRegex,
}

impl MatchOp {
    /// The PromQL symbol: `=`, `!=`, `=~` or `!~`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }

    /// The operator that accepts exactly the values this one rejects.
    pub fn inverse(self) -> MatchOp {
        match self {
            MatchOp::Equal => MatchOp::NotEqual,
            MatchOp::NotEqual => MatchOp::Equal,
            MatchOp::Regex => MatchOp::NotRegex,
            MatchOp::NotRegex => MatchOp::Regex,
        }
    }

    /// Whether this is `!=` or `!~`.
    pub fn is_negative(self) -> bool {
        matches!(self, MatchOp::NotEqual | MatchOp::NotRegex)
    }

    /// Whether this is `=~` or `!~`.
    pub fn is_regex(self) -> bool {
        matches!(self, MatchOp::Regex | MatchOp::NotRegex)
    }
}

impl fmt::Display for MatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One label matcher, such as `job="api"` or `path=~"/v1/.*"`.
///
/// Cheap to clone: a compiled regex is shared.
#[derive(Clone, Debug)]
pub struct Matcher {
    op: MatchOp,
    name: String,
    value: String,
    /// Compiled pattern, for `=~` and `!~`.
    regex: Option<Arc<GoRegex>>,
    matches_empty: bool,
}

impl Matcher {
    /// A matcher for label `name`. For `=~` and `!~`, `value` is compiled as a Go regex;
    /// a pattern Go would reject gives [`SelectorErrorKind::InvalidRegex`] at position 0.
    pub fn new(
        op: MatchOp,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Matcher, SelectorError> {
        let name = name.into();
        let value = value.into();
        let (regex, matches_empty) = match op {
            MatchOp::Equal => (None, value.is_empty()),
            MatchOp::NotEqual => (None, !value.is_empty()),
            MatchOp::Regex | MatchOp::NotRegex => {
                let re = GoRegex::new(&value).map_err(|e| SelectorError {
                    position: 0,
                    kind: SelectorErrorKind::InvalidRegex(e.to_string()),
                })?;
                let empty = re.is_match(b"");
                (Some(Arc::new(re)), empty == (op == MatchOp::Regex))
            }
        };
        Ok(Matcher {
            op,
            name,
            value,
            regex,
            matches_empty,
        })
    }

    /// The label name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The operator.
    pub fn op(&self) -> MatchOp {
        self.op
    }

    /// The string or pattern, as given.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The compiled pattern of an `=~` or `!~` matcher.
    pub fn regex(&self) -> Option<&GoRegex> {
        self.regex.as_deref()
    }

    /// Whether the matcher accepts label value `value` (raw bytes, possibly invalid UTF-8).
    /// Pass `b""` for a series that lacks the label.
    #[inline]
    pub fn matches(&self, value: &[u8]) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value.as_bytes(),
            (MatchOp::NotEqual, _) => value != self.value.as_bytes(),
            (MatchOp::Regex, Some(re)) => re.is_match(value),
            (MatchOp::NotRegex, Some(re)) => !re.is_match(value),
            (MatchOp::Regex | MatchOp::NotRegex, None) => false,
        }
    }

    /// Whether the matcher accepts `""`, i.e. also selects series that lack the label.
    #[inline]
    pub fn matches_empty(&self) -> bool {
        self.matches_empty
    }

    /// The matcher that accepts exactly the values this one rejects (`=` ↔ `!=`,
    /// `=~` ↔ `!~`). Shares the compiled regex.
    pub fn inverse(&self) -> Matcher {
        Matcher {
            op: self.op.inverse(),
            name: self.name.clone(),
            value: self.value.clone(),
            regex: self.regex.clone(),
            matches_empty: !self.matches_empty,
        }
    }

    /// Every value the matcher accepts, when that is a short list: the value of `=`, or the
    /// strings of an `=~` whose pattern is a literal alternation such as `a|b|c` (see
    /// [`GoRegex::literal_alternation`]). `None` for `!=`, `!~` and other patterns.
    pub fn set_matches(&self) -> Option<&[String]> {
        match self.op {
            MatchOp::Equal => Some(std::slice::from_ref(&self.value)),
            MatchOp::Regex => self.regex.as_ref()?.literal_alternation(),
            _ => None,
        }
    }

    /// For `=~` only: a non-empty literal every accepted value starts with (`foo` for
    /// `foo.*`). A necessary condition; the value must still be checked with
    /// [`matches`](Self::matches).
    pub fn prefix(&self) -> Option<&str> {
        match self.op {
            MatchOp::Regex => self.regex.as_ref()?.literal_prefix(),
            _ => None,
        }
    }

    /// For `=~` only: whether the pattern is `.*`, which accepts every value (and `""`).
    pub fn is_match_all(&self) -> bool {
        self.op == MatchOp::Regex && self.regex.as_ref().is_some_and(|r| r.is_match_all())
    }

    /// For `=~` only: whether the pattern is `.+`, which accepts every non-empty value.
    pub fn is_match_nonempty(&self) -> bool {
        self.op == MatchOp::Regex && self.regex.as_ref().is_some_and(|r| r.is_match_nonempty())
    }
}

impl PartialEq for Matcher {
    /// Matchers are equal when op, name and value are.
    fn eq(&self, other: &Self) -> bool {
        self.op == other.op && self.name == other.name && self.value == other.value
    }
}

impl Eq for Matcher {}

impl std::hash::Hash for Matcher {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.op.hash(state);
        self.name.hash(state);
        self.value.hash(state);
    }
}

impl fmt::Display for Matcher {
    /// PromQL form, as Prometheus 3.x prints it: `name="value"` with no spaces. The value is
    /// quoted like Go's `strconv.Quote`. The name is quoted the same way unless it is
    /// `[A-Za-z_][A-Za-z0-9_]*`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(self.name.len() + self.value.len() + 6);
        if is_plain_label_name(&self.name) {
            out.push_str(&self.name);
        } else {
            push_go_quoted(&mut out, &self.name);
        }
        out.push_str(self.op.as_str());
        push_go_quoted(&mut out, &self.value);
        f.write_str(&out)
    }
}

/// Whether `name` can be written without quotes in a selector: `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn is_plain_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Append `s` in double quotes, escaped as Go's `strconv.Quote` does: `"` and `\` are
/// backslashed, printable characters are kept, and the rest become `\a \b \f \n \r \t \v`,
/// `\xNN` (below U+0020 and U+007F), `\uNNNN` or `\UNNNNNNNN`, in lowercase hex.
pub(crate) fn push_go_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ if is_go_printable(c) => out.push(c),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            _ if c < ' ' || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            _ if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            _ => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push('"');
}

/// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols, and U+0020.
fn is_go_printable(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    !matches!(
        get_general_category(c),
        Gc::SpaceSeparator
            | Gc::LineSeparator
            | Gc::ParagraphSeparator
            | Gc::Control
            | Gc::Format
            | Gc::Surrogate
            | Gc::PrivateUse
            | Gc::Unassigned
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::selector::parse_selector;

    fn m(op: MatchOp, name: &str, value: &str) -> Matcher {
        Matcher::new(op, name, value).unwrap()
    }

    #[test]
    fn equal_and_not_equal() {
        let eq = m(MatchOp::Equal, "job", "api");
        assert!(eq.matches(b"api"));
        assert!(!eq.matches(b"apix"));
        assert!(!eq.matches(b""));
        assert!(!eq.matches_empty());
        assert_eq!(eq.set_matches(), Some(&["api".to_owned()][..]));
        assert_eq!(eq.prefix(), None);

        let ne = m(MatchOp::NotEqual, "job", "api");
        assert!(!ne.matches(b"api"));
        assert!(ne.matches(b"web"));
        assert!(
            ne.matches(b""),
            "a series without the label is matched against \"\""
        );
        assert!(ne.matches_empty());
        assert_eq!(ne.set_matches(), None);

        assert!(m(MatchOp::Equal, "x", "").matches_empty());
        assert!(!m(MatchOp::NotEqual, "x", "").matches_empty());
        assert!(m(MatchOp::NotEqual, "x", "").matches(b"\xff"));
    }

    #[test]
    fn regex_and_not_regex() {
        let re = m(MatchOp::Regex, "path", "/v1/.*");
        assert!(re.matches(b"/v1/users"));
        assert!(!re.matches(b"/v2/users"));
        assert!(!re.matches(b"x/v1/"), "anchored at the start");
        assert!(!re.matches_empty());
        assert_eq!(re.prefix(), Some("/v1/"));

        let nre = re.inverse();
        assert_eq!(nre.op(), MatchOp::NotRegex);
        assert!(!nre.matches(b"/v1/users"));
        assert!(nre.matches(b"/v2/users"));
        assert!(nre.matches_empty());
        assert_eq!(nre.prefix(), None);
        assert_eq!(nre.set_matches(), None);
        assert_eq!(nre.inverse(), re);

        let opt = m(MatchOp::Regex, "x", "a|");
        assert!(opt.matches_empty());
        assert_eq!(opt.set_matches().map(<[String]>::len), Some(2));
        assert!(!m(MatchOp::NotRegex, "x", "a|").matches_empty());
        assert!(m(MatchOp::NotRegex, "x", "a+").matches_empty());
    }

    #[test]
    fn shortcuts() {
        assert!(m(MatchOp::Regex, "x", ".*").is_match_all());
        assert!(m(MatchOp::Regex, "x", ".*").matches_empty());
        assert!(!m(MatchOp::NotRegex, "x", ".*").is_match_all());
        assert!(!m(MatchOp::NotRegex, "x", ".*").matches(b"anything"));
        let nonempty = m(MatchOp::Regex, "x", ".+");
        assert!(nonempty.is_match_nonempty());
        assert!(!nonempty.matches_empty());
        assert!(nonempty.matches(b"\n"));
        assert!(!m(MatchOp::Equal, "x", ".*").is_match_all());
    }

    #[test]
    fn regex_semantics_through_matcher() {
        let ascii = m(MatchOp::Regex, "x", r"\d+");
        assert!(ascii.matches(b"123"));
        assert!(!ascii.matches("٣".as_bytes()));
        assert!(!m(MatchOp::Regex, "x", r"\w").matches("é".as_bytes()));
        assert!(!m(MatchOp::Regex, "x", r"\s").matches("\u{a0}".as_bytes()));
        assert!(!m(MatchOp::Regex, "x", r"\s").matches(b"\x0b"));
        assert!(m(MatchOp::Regex, "x", "quote.*").matches(b"quote\nnext"));
        assert!(!m(MatchOp::Regex, "x", "b").matches(b"abc"));
        assert!(m(MatchOp::Regex, "x", "a.b").matches(b"a\xffb"));
        assert!(!m(MatchOp::Regex, "x", r"a\x{fffd}b").matches(b"a\xffb"));
        assert!(m(MatchOp::Regex, "x", "(?i)ERROR").matches(b"error"));
        assert!(!m(MatchOp::Regex, "x", "ERROR").matches(b"error"));
    }

    #[test]
    fn bad_regex_is_an_error() {
        let err = Matcher::new(MatchOp::Regex, "x", "a**").unwrap_err();
        assert_eq!(err.position, 0);
        assert!(matches!(err.kind, SelectorErrorKind::InvalidRegex(_)));
        assert!(Matcher::new(MatchOp::Equal, "x", "a**").is_ok());
    }

    #[test]
    fn display_is_promql() {
        assert_eq!(m(MatchOp::Equal, "job", "api").to_string(), r#"job="api""#);
        assert_eq!(m(MatchOp::NotEqual, "job", "").to_string(), r#"job!="""#);
        assert_eq!(m(MatchOp::Regex, "a", "b.*").to_string(), r#"a=~"b.*""#);
        assert_eq!(m(MatchOp::NotRegex, "a", r"\d").to_string(), r#"a!~"\\d""#);
        assert_eq!(
            m(
                MatchOp::Equal,
                "my.label",
                "q\"\\\n\t\u{7}\u{7f}\u{a0}é😀\u{e000}\u{10ffff}"
            )
            .to_string(),
            r#""my.label"="q\"\\\n\t\a\x7f\u00a0é😀\ue000\U0010ffff""#
        );
        assert_eq!(m(MatchOp::Equal, "a:b", "v").to_string(), r#""a:b"="v""#);
        assert_eq!(m(MatchOp::Equal, "1a", "v").to_string(), r#""1a"="v""#);
        assert_eq!(m(MatchOp::Equal, "", "v").to_string(), r#"""="v""#);
        assert_eq!(
            m(MatchOp::Equal, "__name__", "up").to_string(),
            r#"__name__="up""#
        );
    }

    #[test]
    fn display_round_trips_through_parser() {
        let ms = vec![
            m(MatchOp::Equal, "__name__", "up"),
            m(MatchOp::NotEqual, "my.label", "a\"b'c`d\\e\nf"),
            m(MatchOp::Regex, "path", r"/v1/\d+|x.*"),
            m(MatchOp::NotRegex, "ünï", "\u{0}\u{85}\u{2028}"),
        ];
        let text = format!(
            "{{{}}}",
            ms.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        assert_eq!(parse_selector(&text).unwrap(), ms);
    }

    #[test]
    fn is_send_sync() {
        fn check<T: Send + Sync + Clone + fmt::Debug>() {}
        check::<Matcher>();
        check::<GoRegex>();
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn op() -> impl Strategy<Value = MatchOp> {
            prop::sample::select(vec![
                MatchOp::Equal,
                MatchOp::NotEqual,
                MatchOp::Regex,
                MatchOp::NotRegex,
            ])
        }

        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "[a-zA-Z_\"'`\\\\\n\t ]{0,10}",
                prop::collection::vec(
                    prop::sample::select(vec![
                        '"', '\'', '`', '\\', '\n', '\u{0}', '\u{7f}', 'é', '\u{a0}', '😀', '{',
                        '}', ',', '='
                    ]),
                    0..10
                )
                .prop_map(|v| v.into_iter().collect()),
            ]
        }

        proptest! {
            #[test]
            fn regex_of_escaped_literal_is_equality(s in text(), other in text()) {
                let eq = Matcher::new(MatchOp::Equal, "l", s.clone()).unwrap();
                let re = Matcher::new(MatchOp::Regex, "l", crate::query::goregex::quote_meta(&s)).unwrap();
                for v in [s.as_bytes(), other.as_bytes(), b"", b"\xff"] {
                    prop_assert_eq!(eq.matches(v), re.matches(v));
                }
                prop_assert_eq!(eq.matches_empty(), re.matches_empty());
                prop_assert_eq!(re.set_matches(), Some(&[s][..]));
            }

            #[test]
            fn display_parse_round_trip(
                raw in prop::collection::vec((op(), prop_oneof!["[a-zA-Z_][a-zA-Z0-9_]{0,6}", text()], text()), 1..5),
            ) {
                let mut ms = vec![Matcher::new(MatchOp::Equal, "job", "x").unwrap()];
                for (op, name, value) in raw {
                    if name.is_empty() {
                        continue;
                    }
                    let value = if op.is_regex() { crate::query::goregex::quote_meta(&value) } else { value };
                    ms.push(Matcher::new(op, name, value).unwrap());
                }
                let text = format!("{{{}}}", ms.iter().map(ToString::to_string).collect::<Vec<_>>().join(","));
                let parsed = parse_selector(&text);
                prop_assert_eq!(parsed.as_ref(), Ok(&ms), "{}", text);
            }
        }
    }
}
