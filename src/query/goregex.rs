//! Label-matcher regexes with the semantics of Go's `regexp` package (RE2 syntax), as
//! Prometheus 3.x uses them for `=~` and `!~`.
//!
//! ```text
//!  Go pattern ──translate──▶ Rust pattern ──▶ ^(?s:…)$ ── regex::Regex (anchored, `.` ∋ \n)
//!                                   │
//!                                   └──▶ regex-syntax HIR ──▶ literal set / literal prefix /
//!                                                              `.*` / `.+` analysis
//! ```
//!
//! Prometheus 3.x compiles a matcher value `re` as `^(?s:re)$`: the match is anchored at both
//! ends and `.` matches a newline. This module does not implement a regex engine. It rewrites
//! the Go pattern into an equivalent pattern for the `regex` crate, rejecting what Go rejects.
//! The rewrite handles these differences between the two syntaxes:
//!
//! * `\d \D \s \S \w \W` and `\b \B` are ASCII-only in Go (`\s` is `[\t\n\f\r ]`, without
//!   `\v`), also inside brackets (`[\d_]`). They become explicit ASCII classes and `(?-u:\b)`.
//! * Go takes `\` followed by any ASCII punctuation as that literal character, so `\<` is a
//!   `<`. In Rust, `\<` and `\>` are word boundaries. Escaped literals are re-escaped.
//! * `[` inside a bracket expression is a literal in Go and a nested class in Rust. `&&`,
//!   `--` and `~~` are literals in Go and set operators in Rust. Class members are emitted
//!   as `\x{…}` ranges.
//! * Go treats `{` as a literal when it does not start a valid `{n}`, `{n,}` or `{n,m}`
//!   (`a{,5}`, `a{01}`, `a{x}`). Rust rejects `a{,5}` and reads `a{01}` as a count.
//! * Go rejects stacked repetition operators (`a**`, `a+?+`, `a{2}{3}`), counts above 1000,
//!   and nested counts whose product is above 1000 (`(a{100}){100}`). Rust accepts them.
//! * Go accepts repeated or contradictory flags (`(?ii)`, `(?i-i)`) and the empty `(?)`.
//!   Rust rejects them, so flags are normalised. Go rejects flags `x`, `u` and `R`. A flag
//!   group followed by a repetition (`a(?i)*`) repeats the atom before it, as in Go.
//! * Octal escapes (`\0`, `\12`, `\123`) and `\Q…\E` are Go-only, and are translated. Rust's
//!   `\u…`, `\U…`, `\e` and `\Z` are not Go syntax, and are rejected.
//! * Capture names are checked against Go's `[A-Za-z0-9_]+`, and captures become unnamed
//!   groups, so names that repeat (legal in Go) do not trip Rust.
//! * `\p{Greek}` means Script in Go and Script_Extensions in Rust, so it becomes
//!   `\p{sc=Greek}`. Go's `\pC` has no unassigned code points and becomes `[\p{Cc}\p{Cf}\p{Co}]`.
//!   Names are looked up like Go 1.25+ (case-insensitive, ignoring `_`, `-` and space).
//!   `gc=`, `sc=`, Rust's binary properties and the `Is` prefix are rejected. Some extra
//!   Rust aliases, such as script codes (`\p{Grek}`), are still accepted.
//! * `\x{D800}` and other surrogates are legal in Go but can never match. Rust rejects them,
//!   so they become an empty class.
//!
//! **Invalid UTF-8.** Go decodes each byte that is not part of a valid UTF-8 sequence as
//! U+FFFD. A valid value is matched in place. Any other value is copied with every invalid
//! byte replaced by U+FFFD, which is Go's per-byte rule, not `from_utf8_lossy`'s.
//! A pattern that is a set of literals is matched by bytewise equality, as Prometheus 3.x
//! does (its string matchers and its postings lookups compare bytes). So in `a\x{fffd}b` or
//! `a�b`, the U+FFFD matches only the bytes EF BF BD, not an invalid byte. Elsewhere `.`,
//! classes, negated classes and `\x{fffd}+` treat an invalid byte as U+FFFD. The literal
//! prefix stops before any U+FFFD, so the bytewise prefix check never changes a result.
//!
//! **Limits that differ from Go.** Nesting is limited to 500 levels, where each group and
//! each repetition counts as one (Go: parse tree height 1000). This keeps compiling within a
//! 2 MiB thread stack. The compiled program is
//! limited to 64 MiB. Unicode tables are those of the `regex` crate, which may be a different
//! Unicode version from the Go toolchain's.

use std::fmt;

use regex_syntax::hir::{Class, Hir, HirKind};

/// Largest count Go allows in `{n,m}`; also the limit on products of nested counts.
const MAX_REPEAT: u32 = 1000;
/// Nesting limit passed to the Rust parser (see the module docs).
const NEST_LIMIT: u32 = 500;
/// Size limit for the compiled Rust program.
const SIZE_LIMIT: usize = 64 << 20;
/// Most values a literal set may expand to (Prometheus uses the same bound).
const MAX_SET: usize = 256;
/// Sets longer than this are searched by binary search rather than a linear scan.
const LINEAR_SET: usize = 8;

/// A class that matches every code point.
const ANY_CLASS: &str = r"[\x{0}-\x{10FFFF}]";
/// A class that matches nothing.
const NO_CLASS: &str = r"[^\x{0}-\x{10FFFF}]";

/// A pattern Go's `regexp` would reject, or one this crate cannot compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    code: &'static str,
    expr: String,
}

impl RegexError {
    fn new(code: &'static str, expr: impl Into<String>) -> Self {
        RegexError {
            code,
            expr: expr.into(),
        }
    }

    fn engine(err: impl fmt::Display) -> Self {
        let text = err.to_string();
        let line = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        let line = line.strip_prefix("error: ").unwrap_or(line);
        RegexError::new("rejected by the regex engine", line)
    }

    /// What is wrong, e.g. `invalid escape sequence`.
    pub fn code(&self) -> &str {
        self.code
    }

    /// The part of the pattern at fault (for engine errors, the engine's message).
    pub fn expr(&self) -> &str {
        &self.expr
    }
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: `{}`", self.code, self.expr)
    }
}

impl std::error::Error for RegexError {}

const ERR_ESCAPE: &str = "invalid escape sequence";
const ERR_TRAILING: &str = "trailing backslash at end of expression";
const ERR_RANGE: &str = "invalid character class range";
const ERR_BRACKET: &str = "missing closing ]";
const ERR_PAREN: &str = "missing closing )";
const ERR_UNEXPECTED_PAREN: &str = "unexpected )";
const ERR_PERL_OP: &str = "invalid or unsupported Perl syntax";
const ERR_NAMED: &str = "invalid named capture";
const ERR_NESTED_REPEAT: &str = "invalid nested repetition operator";
const ERR_REPEAT_SIZE: &str = "invalid repeat count";
const ERR_MISSING_ARG: &str = "missing argument to repetition operator";

/// Escape every character Go's `regexp.QuoteMeta` escapes (`\.+*?()|[]{}^$`), so the result
/// is a pattern that matches exactly `s`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A compiled label-matcher regex with Go/Prometheus 3.x semantics. Cheap to share.
#[derive(Clone)]
pub struct GoRegex {
    source: String,
    rust: String,
    regex: regex::Regex,
    set: Option<Vec<String>>,
    /// `set` as sorted bytes, when it is long enough for a binary search.
    sorted_set: Option<Vec<Box<[u8]>>>,
    prefix: String,
    match_all: bool,
    match_nonempty: bool,
}

impl fmt::Debug for GoRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoRegex")
            .field("source", &self.source)
            .field("rust", &self.rust)
            .field("set", &self.set)
            .field("prefix", &self.prefix)
            .field("match_all", &self.match_all)
            .field("match_nonempty", &self.match_nonempty)
            .finish()
    }
}

impl GoRegex {
    /// Compile `pattern` as Prometheus 3.x does: Go RE2 syntax, anchored at both ends, with
    /// `.` matching newline.
    pub fn new(pattern: &str) -> Result<GoRegex, RegexError> {
        let translated = Translator::new(pattern).run()?;
        let inner = format!("(?s:{})", translated.out);
        let hir = regex_syntax::ParserBuilder::new()
            .nest_limit(NEST_LIMIT)
            .build()
            .parse(&inner)
            .map_err(RegexError::engine)?;
        if !repeat_counts_ok(&hir, MAX_REPEAT) {
            return Err(RegexError::new(ERR_REPEAT_SIZE, pattern));
        }
        let regex = regex::RegexBuilder::new(&format!("^{inner}$"))
            .nest_limit(NEST_LIMIT + 1)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(RegexError::engine)?;

        let set = if translated.fold_case {
            None
        } else {
            literal_set(&hir, MAX_SET).map(|mut v| {
                let mut seen = std::collections::HashSet::new();
                v.retain(|s| seen.insert(s.clone()));
                v
            })
        };
        let sorted_set = set.as_ref().filter(|s| s.len() > LINEAR_SET).map(|s| {
            let mut v: Vec<Box<[u8]>> = s.iter().map(|x| x.as_bytes().into()).collect();
            v.sort_unstable();
            v
        });
        let (mut prefix, _) = literal_prefix(&hir);
        if let Some(i) = prefix.find(char::REPLACEMENT_CHARACTER) {
            prefix.truncate(i);
        }
        let (match_all, match_nonempty) = match dot_star(&hir) {
            Some(0) => (true, false),
            Some(1) => (false, true),
            _ => (false, false),
        };
        Ok(GoRegex {
            source: pattern.to_owned(),
            rust: translated.out,
            regex,
            set,
            sorted_set,
            prefix,
            match_all,
            match_nonempty,
        })
    }

    /// The Go pattern as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The translated pattern given to the `regex` crate, without the `^(?s:` … `)$` wrapper.
    pub fn rust_pattern(&self) -> &str {
        &self.rust
    }

    /// Whether the whole of `value` matches. Invalid UTF-8 bytes count as U+FFFD.
    #[inline]
    pub fn is_match(&self, value: &[u8]) -> bool {
        if self.match_all {
            return true;
        }
        if let Some(set) = &self.set {
            return match &self.sorted_set {
                Some(sorted) => sorted.binary_search_by(|v| (**v).cmp(value)).is_ok(),
                None => set.iter().any(|s| s.as_bytes() == value),
            };
        }
        if self.match_nonempty {
            return !value.is_empty();
        }
        if !value.starts_with(self.prefix.as_bytes()) {
            return false;
        }
        self.regex_is_match(value)
    }

    /// Match with the compiled regex alone, skipping the literal fast paths.
    fn regex_is_match(&self, value: &[u8]) -> bool {
        match std::str::from_utf8(value) {
            Ok(s) => self.regex.is_match(s),
            Err(_) => self.regex.is_match(&replace_invalid_utf8(value)),
        }
    }

    /// The exact values the pattern accepts, when it is a small set of literal strings such
    /// as `a|b|c`, `(?:x|y)`, `ab(c|d)` or `[abc]` (at most 256 values, no `(?i)` anywhere).
    /// Values are in pattern order, without duplicates. The set may contain `""`.
    pub fn literal_alternation(&self) -> Option<&[String]> {
        self.set.as_deref()
    }

    /// A non-empty literal every matching value starts with, such as `foo` for `foo.*` or
    /// `fooba` for `foo(bar|baz).+`. A bytewise necessary condition, not a sufficient one.
    /// It stops before any U+FFFD, which an invalid byte in a value could match.
    pub fn literal_prefix(&self) -> Option<&str> {
        (!self.prefix.is_empty()).then_some(self.prefix.as_str())
    }

    /// Whether the pattern is `.*` (possibly grouped or lazy): it matches every value.
    pub fn is_match_all(&self) -> bool {
        self.match_all
    }

    /// Whether the pattern is `.+` (possibly grouped or lazy): it matches every non-empty
    /// value.
    pub fn is_match_nonempty(&self) -> bool {
        self.match_nonempty
    }
}

/// `value` with each byte that Go's UTF-8 decoder rejects replaced by U+FFFD, one per byte.
fn replace_invalid_utf8(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for chunk in value.utf8_chunks() {
        out.push_str(chunk.valid());
        for _ in chunk.invalid() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Translation
// ---------------------------------------------------------------------------------------------

struct Translated {
    out: String,
    /// Some flag group turns on case folding, so literal sets are not extracted.
    fold_case: bool,
}

struct Translator<'a> {
    src: &'a str,
    pos: usize,
    out: String,
    depth: usize,
    /// The last item emitted can take a repetition operator.
    can_repeat: bool,
    /// Byte offset of the repetition operator just parsed, if the last item was one.
    last_repeat: Option<usize>,
    /// Flag groups not yet emitted: they go after any repetition that follows them.
    pending: String,
    fold_case: bool,
}

/// One member of a bracket expression.
enum ClassItem {
    Range(u32, u32),
    /// A nested class or property, already in Rust syntax.
    Raw(String),
}

impl<'a> Translator<'a> {
    fn new(src: &'a str) -> Self {
        Translator {
            src,
            pos: 0,
            out: String::with_capacity(src.len() + 16),
            depth: 0,
            can_repeat: false,
            last_repeat: None,
            pending: String::new(),
            fold_case: false,
        }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.out.push_str(&self.pending);
            self.pending.clear();
        }
    }

    /// Emit an atom (after any pending flag groups).
    fn atom(&mut self, text: &str) {
        self.flush();
        self.out.push_str(text);
        self.can_repeat = true;
    }

    fn literal(&mut self, code: u32) {
        self.flush();
        match char::from_u32(code) {
            Some(c) => {
                if regex_syntax::is_meta_character(c) {
                    self.out.push('\\');
                }
                self.out.push(c);
            }
            // A surrogate: legal in Go, never matches.
            None => self.out.push_str(NO_CLASS),
        }
        self.can_repeat = true;
    }

    fn run(mut self) -> Result<Translated, RegexError> {
        while let Some(c) = self.peek() {
            let start = self.pos;
            let mut repeated = false;
            match c {
                '(' => self.open_group()?,
                ')' => {
                    if self.depth == 0 {
                        return Err(RegexError::new(ERR_UNEXPECTED_PAREN, self.src));
                    }
                    self.pending.clear();
                    self.out.push(')');
                    self.depth -= 1;
                    self.pos += 1;
                    self.can_repeat = true;
                }
                '|' => {
                    self.flush();
                    self.out.push('|');
                    self.pos += 1;
                    self.can_repeat = false;
                }
                '^' | '$' | '.' => {
                    self.pos += 1;
                    self.atom(&c.to_string());
                }
                '[' => {
                    let class = self.class()?;
                    self.atom(&class);
                }
                '*' | '+' | '?' => {
                    self.pos += 1;
                    self.repetition(start, &c.to_string())?;
                    repeated = true;
                }
                '{' => match parse_repeat(self.rest()) {
                    Some((min, max, len)) => {
                        self.pos += len;
                        let too_big = |n: i64| n < 0 || n > i64::from(MAX_REPEAT);
                        if too_big(min) || max.is_some_and(|m| too_big(m) || min > m) {
                            return Err(RegexError::new(
                                ERR_REPEAT_SIZE,
                                &self.src[start..self.pos],
                            ));
                        }
                        let text = match max {
                            None => format!("{{{min},}}"),
                            Some(m) if m == min => format!("{{{min}}}"),
                            Some(m) => format!("{{{min},{m}}}"),
                        };
                        self.repetition(start, &text)?;
                        repeated = true;
                    }
                    None => {
                        self.pos += 1;
                        self.literal(u32::from('{'));
                    }
                },
                '\\' => self.escape()?,
                _ => {
                    self.pos += c.len_utf8();
                    self.literal(u32::from(c));
                }
            }
            self.last_repeat = repeated.then_some(start);
        }
        if self.depth > 0 {
            return Err(RegexError::new(ERR_PAREN, self.src));
        }
        Ok(Translated {
            out: self.out,
            fold_case: self.fold_case,
        })
    }

    /// A repetition operator `op` that started at `start` and has been consumed.
    fn repetition(&mut self, start: usize, op: &str) -> Result<(), RegexError> {
        let lazy = self.peek() == Some('?');
        if lazy {
            self.pos += 1;
        }
        if let Some(prev) = self.last_repeat {
            return Err(RegexError::new(
                ERR_NESTED_REPEAT,
                &self.src[prev..self.pos],
            ));
        }
        if !self.can_repeat {
            return Err(RegexError::new(ERR_MISSING_ARG, &self.src[start..self.pos]));
        }
        self.out.push_str(op);
        if lazy {
            self.out.push('?');
        }
        Ok(())
    }

    fn open_group(&mut self) -> Result<(), RegexError> {
        let rest = self.rest();
        if !rest.starts_with("(?") {
            self.flush();
            self.out.push('(');
            self.pos += 1;
            self.enter()?;
            return Ok(());
        }
        let named_p = rest.len() > 4 && rest.as_bytes()[2] == b'P' && rest.as_bytes()[3] == b'<';
        let named = rest.len() > 3 && rest.as_bytes()[2] == b'<';
        if named_p || named {
            let Some(end) = rest.find('>') else {
                return Err(RegexError::new(ERR_NAMED, rest));
            };
            let name = &rest[if named_p { 4 } else { 3 }..end];
            if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
                return Err(RegexError::new(ERR_NAMED, &rest[..=end]));
            }
            self.flush();
            self.out.push('(');
            self.pos += end + 1;
            return self.enter();
        }

        // Flags, with or without a group: (?flags) or (?flags:re).
        let mut set = String::new();
        let mut clear = String::new();
        let mut negated = false;
        let mut saw_flag = false;
        for (i, c) in rest.char_indices().skip(2) {
            match c {
                'i' | 'm' | 's' | 'U' => {
                    let target = if negated { &mut clear } else { &mut set };
                    if !target.contains(c) {
                        target.push(c);
                    }
                    saw_flag = true;
                }
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                }
                ':' | ')' if !negated || saw_flag => {
                    set.retain(|f| !clear.contains(f));
                    if set.contains('i') {
                        self.fold_case = true;
                    }
                    let flags = if clear.is_empty() {
                        set
                    } else {
                        format!("{set}-{clear}")
                    };
                    self.pos += i + 1;
                    if c == ':' {
                        self.flush();
                        self.out.push_str("(?");
                        self.out.push_str(&flags);
                        self.out.push(':');
                        return self.enter();
                    }
                    if !flags.is_empty() {
                        self.pending.push_str("(?");
                        self.pending.push_str(&flags);
                        self.pending.push(')');
                    }
                    return Ok(());
                }
                _ => {
                    let end = i + c.len_utf8();
                    return Err(RegexError::new(ERR_PERL_OP, &rest[..end]));
                }
            }
        }
        Err(RegexError::new(ERR_PERL_OP, rest))
    }

    /// Just after an opening parenthesis has been emitted.
    fn enter(&mut self) -> Result<(), RegexError> {
        self.depth += 1;
        self.can_repeat = false;
        Ok(())
    }

    /// A backslash sequence outside brackets.
    fn escape(&mut self) -> Result<(), RegexError> {
        let rest = self.rest();
        let Some(c) = rest[1..].chars().next() else {
            return Err(RegexError::new(ERR_TRAILING, ""));
        };
        match c {
            'A' | 'z' | 'b' | 'B' => {
                self.pos += 2;
                self.atom(match c {
                    'A' => r"\A",
                    'z' => r"\z",
                    'b' => r"(?-u:\b)",
                    _ => r"(?-u:\B)",
                });
            }
            'C' => return Err(RegexError::new(ERR_ESCAPE, r"\C")),
            'Q' => {
                let body = &rest[2..];
                let (lit, used) = match body.find(r"\E") {
                    Some(i) => (&body[..i], i + 2),
                    None => (body, body.len()),
                };
                self.pos += 2 + used;
                for ch in lit.chars() {
                    self.literal(u32::from(ch));
                }
            }
            'p' | 'P' => {
                let class = self.unicode_class()?;
                self.atom(&class);
            }
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => {
                self.pos += 2;
                let (negated, ranges) = perl_class(c);
                let mut text = String::from(if negated { "[^" } else { "[" });
                push_ranges(&mut text, ranges);
                text.push(']');
                self.atom(&text);
            }
            _ => {
                let (code, end) = parse_escape(self.src, self.pos)?;
                self.pos = end;
                self.literal(code);
            }
        }
        Ok(())
    }

    /// `\pX`, `\p{Name}`, `\PX`, `\P{Name}` and `\p{^Name}`, at `self.pos`; returns Rust syntax.
    fn unicode_class(&mut self) -> Result<String, RegexError> {
        let start = self.pos;
        let rest = self.rest();
        let mut negated = rest.as_bytes()[1] == b'P';
        let (name, end) = match rest[2..].chars().next() {
            None => return Err(RegexError::new(ERR_RANGE, rest)),
            Some('{') => match rest.find('}') {
                Some(i) => (&rest[3..i], i + 1),
                None => return Err(RegexError::new(ERR_RANGE, rest)),
            },
            Some(ch) => (&rest[2..2 + ch.len_utf8()], 2 + ch.len_utf8()),
        };
        let name = match name.strip_prefix('^') {
            Some(n) => {
                negated = !negated;
                n
            }
            None => name,
        };
        let Some(prop) = unicode_property(name) else {
            return Err(RegexError::new(ERR_RANGE, &self.src[start..start + end]));
        };
        self.pos = start + end;
        Ok(match prop {
            Property::Rust(p) => format!(r"\{}{{{p}}}", if negated { 'P' } else { 'p' }),
            Property::OtherC => {
                format!(
                    r"[{}\p{{Cc}}\p{{Cf}}\p{{Co}}]",
                    if negated { "^" } else { "" }
                )
            }
            Property::Surrogate => (if negated { ANY_CLASS } else { NO_CLASS }).to_owned(),
        })
    }

    /// A bracket expression at `self.pos`; returns Rust syntax.
    fn class(&mut self) -> Result<String, RegexError> {
        let start = self.pos;
        self.pos += 1;
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return Err(RegexError::new(ERR_BRACKET, &self.src[start..]));
            }
            if rest.starts_with(']') && !first {
                self.pos += 1;
                break;
            }
            first = false;
            if rest.len() > 2 && rest.starts_with("[:") {
                if let Some(i) = rest[2..].find(":]") {
                    let name = &rest[..i + 4];
                    let Some((neg, ranges)) = posix_class(name) else {
                        return Err(RegexError::new(ERR_RANGE, name));
                    };
                    items.push(group_item(neg, ranges));
                    self.pos += name.len();
                    continue;
                }
            }
            if rest.starts_with(r"\p") || rest.starts_with(r"\P") {
                let class = self.unicode_class()?;
                items.push(ClassItem::Raw(class));
                continue;
            }
            if let Some(c @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) =
                rest.strip_prefix('\\').and_then(|r| r.chars().next())
            {
                let (neg, ranges) = perl_class(c);
                items.push(group_item(neg, ranges));
                self.pos += 2;
                continue;
            }
            let range_start = self.pos;
            let lo = self.class_char(start)?;
            let mut hi = lo;
            let rest = self.rest().as_bytes();
            if rest.len() >= 2 && rest[0] == b'-' && rest[1] != b']' {
                self.pos += 1;
                hi = self.class_char(start)?;
                if hi < lo {
                    return Err(RegexError::new(ERR_RANGE, &self.src[range_start..self.pos]));
                }
            }
            items.push(ClassItem::Range(lo, hi));
        }
        let mut body = String::new();
        let mut emitted = 0;
        for item in &items {
            match item {
                ClassItem::Range(lo, hi) => emitted += push_range(&mut body, *lo, *hi),
                ClassItem::Raw(s) => {
                    body.push_str(s);
                    emitted += 1;
                }
            }
        }
        Ok(match (emitted, negated) {
            (0, true) => ANY_CLASS.to_owned(),
            (0, false) => NO_CLASS.to_owned(),
            (_, true) => format!("[^{body}]"),
            (_, false) => format!("[{body}]"),
        })
    }

    /// One character of a bracket expression, possibly escaped.
    fn class_char(&mut self, class_start: usize) -> Result<u32, RegexError> {
        match self.peek() {
            None => Err(RegexError::new(ERR_BRACKET, &self.src[class_start..])),
            Some('\\') => {
                let (code, end) = parse_escape(self.src, self.pos)?;
                self.pos = end;
                Ok(code)
            }
            Some(c) => {
                self.pos += c.len_utf8();
                Ok(u32::from(c))
            }
        }
    }
}

/// Parse a Go single-character escape at `pos` (a backslash). Returns the code point, which
/// may be a surrogate, and the offset after the escape.
fn parse_escape(src: &str, pos: usize) -> Result<(u32, usize), RegexError> {
    let rest = &src[pos + 1..];
    let Some(c) = rest.chars().next() else {
        return Err(RegexError::new(ERR_TRAILING, ""));
    };
    let mut end = pos + 1 + c.len_utf8();
    let bad = |end: usize| RegexError::new(ERR_ESCAPE, &src[pos..end]);
    let octal_at = |i: usize| {
        src.as_bytes()
            .get(i)
            .filter(|b| (b'0'..=b'7').contains(b))
            .copied()
    };
    let code = match c {
        '0'..='7' => {
            // \1-\7 alone would be a backreference, which Go does not support.
            if c != '0' && octal_at(end).is_none() {
                return Err(bad(end));
            }
            let mut v = u32::from(c) - u32::from('0');
            for _ in 0..2 {
                match octal_at(end) {
                    Some(d) => {
                        v = v * 8 + u32::from(d - b'0');
                        end += 1;
                    }
                    None => break,
                }
            }
            v
        }
        'x' => {
            let mut chars = src[end..].chars();
            match chars.next() {
                None => return Err(bad(end)),
                Some('{') => {
                    end += 1;
                    let mut v: u32 = 0;
                    let mut digits = 0;
                    loop {
                        let Some(d) = src[end..].chars().next() else {
                            return Err(bad(end));
                        };
                        end += d.len_utf8();
                        if d == '}' {
                            break;
                        }
                        let Some(x) = d.to_digit(16) else {
                            return Err(bad(end));
                        };
                        v = v * 16 + x;
                        if v > 0x10FFFF {
                            return Err(bad(end));
                        }
                        digits += 1;
                    }
                    if digits == 0 {
                        return Err(bad(end));
                    }
                    v
                }
                Some(d1) => {
                    end += d1.len_utf8();
                    let Some(d2) = chars.next() else {
                        return Err(bad(end));
                    };
                    end += d2.len_utf8();
                    match (d1.to_digit(16), d2.to_digit(16)) {
                        (Some(a), Some(b)) => a * 16 + b,
                        _ => return Err(bad(end)),
                    }
                }
            }
        }
        'a' => 0x07,
        'f' => 0x0C,
        'n' => 0x0A,
        'r' => 0x0D,
        't' => 0x09,
        'v' => 0x0B,
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => u32::from(c),
        _ => return Err(bad(end)),
    };
    Ok((code, end))
}

/// Parse `{n}`, `{n,}` or `{n,m}` at the start of `s`, with Go's rules: decimal digits, no
/// leading zeros. Returns `(min, max, length)`, where `max` is `None` for `{n,}` and a
/// number of 9 or more digits is returned as -1. `None` means `{` is a literal.
fn parse_repeat(s: &str) -> Option<(i64, Option<i64>, usize)> {
    fn int(s: &[u8], i: &mut usize) -> Option<i64> {
        let start = *i;
        match s.get(start) {
            Some(b'0'..=b'9') => {}
            _ => return None,
        }
        if s[start] == b'0' && s.get(start + 1).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let mut n: i64 = 0;
        while let Some(d @ b'0'..=b'9') = s.get(*i).copied() {
            if n >= 100_000_000 {
                n = -1;
            } else if n >= 0 {
                n = n * 10 + i64::from(d - b'0');
            }
            *i += 1;
        }
        Some(n)
    }
    let b = s.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut i = 1;
    let mut min = int(b, &mut i)?;
    let max = match b.get(i)? {
        b',' => {
            i += 1;
            if *b.get(i)? == b'}' {
                None
            } else {
                let m = int(b, &mut i)?;
                if m < 0 {
                    min = -1;
                }
                Some(m)
            }
        }
        _ => Some(min),
    };
    if b.get(i) != Some(&b'}') {
        return None;
    }
    Some((min, max, i + 1))
}

/// Go's `\d \s \w` (and negations): ASCII only. Returns `(negated, ranges)`.
fn perl_class(c: char) -> (bool, &'static [(u32, u32)]) {
    const DIGIT: &[(u32, u32)] = &[(0x30, 0x39)];
    const SPACE: &[(u32, u32)] = &[(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)];
    const WORD: &[(u32, u32)] = &[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];
    match c {
        'd' => (false, DIGIT),
        'D' => (true, DIGIT),
        's' => (false, SPACE),
        'S' => (true, SPACE),
        'w' => (false, WORD),
        _ => (true, WORD),
    }
}

/// Go's POSIX classes, `[:name:]` or `[:^name:]`. Returns `(negated, ranges)`.
fn posix_class(spec: &str) -> Option<(bool, &'static [(u32, u32)])> {
    let name = spec.strip_prefix("[:")?.strip_suffix(":]")?;
    let (negated, name) = match name.strip_prefix('^') {
        Some(n) => (true, n),
        None => (false, name),
    };
    let ranges: &'static [(u32, u32)] = match name {
        "alnum" => &[(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
        "alpha" => &[(0x41, 0x5A), (0x61, 0x7A)],
        "ascii" => &[(0x00, 0x7F)],
        "blank" => &[(0x09, 0x09), (0x20, 0x20)],
        "cntrl" => &[(0x00, 0x1F), (0x7F, 0x7F)],
        "digit" => &[(0x30, 0x39)],
        "graph" => &[(0x21, 0x7E)],
        "lower" => &[(0x61, 0x7A)],
        "print" => &[(0x20, 0x7E)],
        "punct" => &[(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
        "space" => &[(0x09, 0x0D), (0x20, 0x20)],
        "upper" => &[(0x41, 0x5A)],
        "word" => &[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
        "xdigit" => &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
        _ => return None,
    };
    Some((negated, ranges))
}

/// A named group inside brackets: plain ranges, or a nested negated class.
fn group_item(negated: bool, ranges: &[(u32, u32)]) -> ClassItem {
    let mut text = String::new();
    if negated {
        text.push_str("[^");
        push_ranges(&mut text, ranges);
        text.push(']');
    } else {
        push_ranges(&mut text, ranges);
    }
    ClassItem::Raw(text)
}

fn push_ranges(out: &mut String, ranges: &[(u32, u32)]) {
    for &(lo, hi) in ranges {
        push_range(out, lo, hi);
    }
}

/// Append `lo-hi` as class members, leaving out surrogates. Returns how many were written.
fn push_range(out: &mut String, lo: u32, hi: u32) -> usize {
    let mut n = 0;
    for (a, b) in [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)] {
        if a <= b {
            if a == b {
                out.push_str(&format!(r"\x{{{a:X}}}"));
            } else {
                out.push_str(&format!(r"\x{{{a:X}}}-\x{{{b:X}}}"));
            }
            n += 1;
        }
    }
    n
}

enum Property {
    /// Text to put in `\p{…}`.
    Rust(String),
    /// Go's `C`: Cc, Cf, Co and Cs, but not unassigned code points.
    OtherC,
    /// Go's `Cs`: surrogates, which never occur in decoded text.
    Surrogate,
}

/// Look up a `\p` name the way Go 1.25+ does: case-insensitive, ignoring `_`, `-` and space;
/// general categories (and their long aliases), scripts, `Any`, `ASCII` and `Assigned`.
fn unicode_property(name: &str) -> Option<Property> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' '))
    {
        return None;
    }
    let canonical: String = name
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match canonical.as_str() {
        "any" => return Some(Property::Rust("Any".into())),
        "ascii" => return Some(Property::Rust("ASCII".into())),
        "assigned" => return Some(Property::Rust("Assigned".into())),
        "c" | "other" => return Some(Property::OtherC),
        "cs" | "surrogate" => return Some(Property::Surrogate),
        // Rust's loose matching drops a leading "is"; Go's does not.
        c if c.starts_with("is") => return None,
        _ => {}
    }
    for kind in ["gc", "sc"] {
        let prop = format!("{kind}={canonical}");
        if regex_syntax::Parser::new()
            .parse(&format!(r"\p{{{prop}}}"))
            .is_ok()
        {
            return Some(Property::Rust(prop));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Analysis of the parsed pattern
// ---------------------------------------------------------------------------------------------

/// Go's limit on counted repetitions: no count above `n`, and the product of nested counts
/// stays within it (`(a{30}){40}` is rejected).
fn repeat_counts_ok(hir: &Hir, n: u32) -> bool {
    let mut n = n;
    if let HirKind::Repetition(rep) = hir.kind() {
        let m = match rep.max {
            Some(0) => return true,
            Some(m) => m,
            None => rep.min,
        };
        if m > n {
            return false;
        }
        n = n.checked_div(m).unwrap_or(n);
    }
    match hir.kind() {
        HirKind::Repetition(rep) => repeat_counts_ok(&rep.sub, n),
        HirKind::Capture(cap) => repeat_counts_ok(&cap.sub, n),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().all(|s| repeat_counts_ok(s, n))
        }
        _ => true,
    }
}

/// The finite set of strings `hir` matches, if it has at most `limit` of them and is made of
/// literals, small classes, concatenations and alternations only.
fn literal_set(hir: &Hir, limit: usize) -> Option<Vec<String>> {
    match hir.kind() {
        HirKind::Empty => Some(vec![String::new()]),
        HirKind::Literal(lit) => Some(vec![std::str::from_utf8(&lit.0).ok()?.to_owned()]),
        HirKind::Class(Class::Unicode(class)) => {
            let mut out = Vec::new();
            for r in class.ranges() {
                let size = (u32::from(r.end()) - u32::from(r.start())) as usize + 1;
                if out.len() + size > limit {
                    return None;
                }
                out.extend((r.start()..=r.end()).map(String::from));
            }
            Some(out)
        }
        HirKind::Capture(cap) => literal_set(&cap.sub, limit),
        HirKind::Concat(subs) => {
            let mut acc = vec![String::new()];
            for sub in subs {
                let next = literal_set(sub, limit)?;
                if acc.len() * next.len() > limit {
                    return None;
                }
                acc = acc
                    .iter()
                    .flat_map(|a| next.iter().map(move |b| format!("{a}{b}")))
                    .collect();
            }
            Some(acc)
        }
        HirKind::Alternation(subs) => {
            let mut acc = Vec::new();
            for sub in subs {
                acc.extend(literal_set(sub, limit)?);
                if acc.len() > limit {
                    return None;
                }
            }
            Some(acc)
        }
        _ => None,
    }
}

/// The literal every match of `hir` starts with, and whether that literal is all `hir`
/// matches.
fn literal_prefix(hir: &Hir) -> (String, bool) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => (String::new(), true),
        HirKind::Literal(lit) => match std::str::from_utf8(&lit.0) {
            Ok(s) => (s.to_owned(), true),
            Err(_) => (String::new(), false),
        },
        HirKind::Capture(cap) => literal_prefix(&cap.sub),
        HirKind::Concat(subs) => {
            let mut acc = String::new();
            for sub in subs {
                let (p, complete) = literal_prefix(sub);
                acc.push_str(&p);
                if !complete {
                    return (acc, false);
                }
            }
            (acc, true)
        }
        HirKind::Alternation(subs) => {
            let mut parts = subs.iter().map(literal_prefix);
            let Some((mut common, mut complete)) = parts.next() else {
                return (String::new(), false);
            };
            for (p, c) in parts {
                if p != common {
                    complete = false;
                    let keep = common
                        .char_indices()
                        .zip(p.chars())
                        .find(|((_, a), b)| a != b)
                        .map_or(common.len().min(p.len()), |((i, _), _)| i);
                    common.truncate(keep);
                }
                complete &= c;
            }
            (common, complete)
        }
        HirKind::Repetition(rep) if rep.min >= 1 => (literal_prefix(&rep.sub).0, false),
        _ => (String::new(), false),
    }
}

/// `Some(min)` when `hir` is `.*` (`min` 0) or `.+` (`min` 1) with `.` matching every code
/// point, ignoring capture groups and laziness.
fn dot_star(hir: &Hir) -> Option<u32> {
    match hir.kind() {
        HirKind::Capture(cap) => dot_star(&cap.sub),
        HirKind::Repetition(rep) if rep.max.is_none() && rep.min <= 1 => {
            let HirKind::Class(Class::Unicode(class)) = rep.sub.kind() else {
                return None;
            };
            let r = class.ranges();
            (r.len() == 1 && r[0].start() == '\0' && r[0].end() == char::MAX).then_some(rep.min)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str) -> GoRegex {
        GoRegex::new(p).unwrap_or_else(|e| panic!("{p:?}: {e}"))
    }

    fn yes(p: &str, v: &str) {
        assert!(re(p).is_match(v.as_bytes()), "{p:?} should match {v:?}");
    }

    fn no(p: &str, v: &str) {
        assert!(
            !re(p).is_match(v.as_bytes()),
            "{p:?} should not match {v:?}"
        );
    }

    fn rejected(p: &str) -> RegexError {
        match GoRegex::new(p) {
            Ok(r) => panic!("{p:?} should be rejected, got {:?}", r.rust_pattern()),
            Err(e) => e,
        }
    }

    #[test]
    fn anchored_and_dot_matches_newline() {
        no("b", "abc");
        no("a", "ab");
        yes("a.c", "a\nc");
        yes(".*", "line1\nline2");
        yes("(?-s:a.c)", "abc");
        no("(?-s:a.c)", "a\nc");
        yes("a|b", "b");
        no("a|b", "ab");
        yes("", "");
        no("", "x");
        // `$` is end of text, not before a final newline.
        no("a$", "a\n");
        yes("(?m)a$\n", "a\n");
    }

    #[test]
    fn perl_classes_are_ascii() {
        yes(r"\d", "7");
        no(r"\d", "٣");
        no(r"\w", "é");
        yes(r"\w", "_");
        yes(r"\s", "\t");
        no(r"\s", "\u{a0}");
        no(r"\s", "\u{b}");
        yes(r"\S", "\u{b}");
        yes(r"\D", "٣");
        yes(r"\W", "é");
        yes(r"[\d_]+", "1_2");
        no(r"[\d_]", "٣");
        yes(r"[^\s]", "\u{b}");
        no(r"[^\s]", " ");
        yes(r"[\W]", "é");
        no(r"[\W]", "a");
        yes(r"[[:space:]]", "\u{b}");
        no(r"[[:alpha:]]", "é");
        yes(r"[[:^alpha:]]", "é");
        yes(r"[^[:digit:]]", "x");
    }

    #[test]
    fn word_boundary_is_ascii() {
        yes(r".*\bfoo\b.*", "a foo b");
        no(r".*\bfoo\b.*", "afoo");
        // é is not a word character in Go, so there is a boundary between é and f.
        yes(r"é\bfoo", "éfoo");
        no(r"x\By", "x y");
        yes(r"é\Bé", "éé");
    }

    #[test]
    fn case_insensitive() {
        yes("(?i)foo", "FoO");
        yes("(?i)k", "\u{212A}");
        no("foo", "FOO");
        yes("a(?i)b", "aB");
        no("a(?i)b", "AB");
        yes("(?i:a)b", "Ab");
        no("(?i:a)b", "AB");
        yes("(?i)[^k]", "x");
        no("(?i)[^k]", "\u{212A}");
        no(r"(?i)\W", "\u{212A}");
        yes(r"(?i)\w", "\u{17F}");
    }

    #[test]
    fn invalid_utf8_bytes_are_replacement_chars() {
        let r = re("a.b");
        assert!(r.is_match(b"a\xffb"));
        assert!(!r.is_match(b"a\xff\xfeb"));
        assert!(re("a..b").is_match(b"a\xff\xfeb"));
        // A truncated sequence is one U+FFFD per byte in Go, not one per sequence.
        assert!(re("a..b").is_match(b"a\xe2\x82b"));
        assert!(!r.is_match(b"a\xe2\x82b"));
        assert!(re("[^x]+").is_match(b"\xff\xc0"));
        assert!(re(r"a\x{fffd}+b").is_match(b"a\xffb"));
        assert_eq!(re(r"a\x{fffd}+b").literal_prefix(), Some("a"));
        assert_eq!(re(r"\x{fffd}.*").literal_prefix(), None);
        assert!(re(r"\x{fffd}.*").is_match(b"\xffz"));
        // Literal text on a fast path is compared bytewise, as Prometheus does.
        let lit = re(r"a\x{fffd}b");
        assert_eq!(
            lit.literal_alternation(),
            Some(&["a\u{fffd}b".to_owned()][..])
        );
        assert!(!lit.is_match(b"a\xffb"));
        assert!(lit.is_match("a\u{fffd}b".as_bytes()));
        assert!(re(".*").is_match(b"\xff"));
        assert!(re(".+").is_match(b"\xff"));
        assert!(!re(".+").is_match(b""));
        assert_eq!(
            replace_invalid_utf8(b"x\xf0\x9f\x98y"),
            "x\u{fffd}\u{fffd}\u{fffd}y"
        );
    }

    #[test]
    fn go_only_syntax_is_translated() {
        yes(r"a\<b\>", "a<b>");
        yes(r"\Qa.b*\E+", "a.b**");
        no(r"\Qa.b\E", "axb");
        yes(r"\Qa.b", "a.b");
        yes(r"\101\0\12", "A\0\n");
        yes(r"\x41\x{42}", "AB");
        yes(r"a{,5}", "a{,5}");
        yes(r"a{01}", "a{01}");
        yes(r"a{x}", "a{x}");
        yes(r"{", "{");
        yes(r"a{2}", "aa");
        yes(r"a{2,}", "aaa");
        yes(r"a{1,2}?", "a");
        yes(r"[[a]", "[");
        yes(r"[a&&b]", "&");
        yes(r"[--a]", "0");
        yes(r"[\d-z]", "-");
        yes(r"[a~~b]", "~");
        yes(r"[]a]", "]");
        yes(r"[^]a]", "b");
        yes(r"[a-]", "-");
        yes(r"[a-b-c]", "-");
        yes(r"[\]\[\-]", "-");
        yes(r"(?ii)a", "A");
        no(r"(?i-i)a", "A");
        yes(r"(?)a", "a");
        yes(r"(?U)a+", "aa");
        yes(r"(?P<x>a)(?P<x>b)", "ab");
        yes(r"(?<n>a)", "a");
        yes(r"a(?i)*", "aaa");
        yes(r"x\_", "x_");
        yes(r"\pL+", "héllo");
        yes(r"\p{Greek}", "α");
        yes(r"\p{greek}", "α");
        yes(r"\p{^Greek}", "a");
        yes(r"\P{^Greek}", "α");
        yes(r"\p{Letter}", "a");
        no(r"\pC", "\u{378}");
        yes(r"\pC", "\u{0}");
        yes(r"\PC", "\u{378}");
        yes(r"[\p{Lu}\d]", "7");
        no(r"\x{D800}", "\u{fffd}");
        yes(r"[^\x{D800}]", "a");
        yes(r"\p{Any}", "\n");
        no(r"\p{Cs}", "a");
        yes(r"^a$", "a");
        yes(r"\Aa\z", "a");
    }

    #[test]
    fn rejects_what_go_rejects() {
        for p in [
            r"a**",
            r"a*+",
            r"a+?*",
            r"a{2}{3}",
            r"a*{2}",
            r"*",
            r"(*)",
            r"a|*",
            r"(?i)*",
            r"x{1001}",
            r"x{2,1}",
            r"x{1000000000}",
            r"(a{30}){40}",
            r"(?x)a",
            r"(?u)a",
            r"(?R)a",
            r"(?-)a",
            r"(?i-)a",
            r"(?i-s-m)a",
            r"(?=a)",
            r"(?!a)",
            r"(?<=a)b",
            r"(?<!a)b",
            r"(?P=x)",
            r"(?P<>a)",
            r"(?P<a.b>x)",
            r"(?<a-b>x)",
            r"(?#c)",
            r"\C",
            r"\8",
            r"\1",
            r"\e",
            r"\Z",
            r"\u0041",
            r"\U00000041",
            r"\q",
            r"\é",
            "a\\",
            r"\x{110000}",
            r"\x{}",
            r"\xg0",
            r"\x4",
            r"[a",
            r"[]",
            r"[z-a]",
            r"[\b]",
            r"[a--]",
            r"[[:foo:]]",
            r"[[:a]b:]",
            r"\p{Foo}",
            r"\p{IsGreek}",
            r"\p{sc=Greek}",
            r"\p{Alphabetic}",
            r"\pX",
            r"\p",
            r"\p{Greek",
            r"(a",
            r"a)",
            r"(?i",
            r"\pZ{1001}",
        ] {
            rejected(p);
        }
        assert_eq!(
            rejected(r"\8").to_string(),
            r"invalid escape sequence: `\8`"
        );
        assert_eq!(rejected("a**").code(), ERR_NESTED_REPEAT);
        assert_eq!(rejected("(a{30}){40}").code(), ERR_REPEAT_SIZE);
        GoRegex::new("(a{30}){33}").unwrap();
        GoRegex::new("x{1000}").unwrap();
        GoRegex::new(r"\pL{1000}").unwrap();
        let deep = format!("{}a{}", "(".repeat(249), ")+".repeat(249));
        yes(&deep, "a");
        rejected(&format!("{}a{}", "(".repeat(600), ")".repeat(600)));
    }

    #[test]
    fn literal_alternation() {
        let set = |p: &str| re(p).literal_alternation().map(<[String]>::to_vec);
        let v = |x: &[&str]| Some(x.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(set("foo"), v(&["foo"]));
        assert_eq!(set("a|b|c"), v(&["a", "b", "c"]));
        assert_eq!(set("foo|bar|baz"), v(&["foo", "bar", "baz"]));
        assert_eq!(set("(?:foo|bar)"), v(&["foo", "bar"]));
        assert_eq!(set("(foo|bar)"), v(&["foo", "bar"]));
        assert_eq!(set("a|"), v(&["a", ""]));
        assert_eq!(set(""), v(&[""]));
        assert_eq!(set("a|a"), v(&["a"]));
        assert_eq!(set(r"a\.b|c"), v(&["a.b", "c"]));
        assert_eq!(set("x(a|b)"), v(&["xa", "xb"]));
        assert_eq!(set("[ab]c"), v(&["ac", "bc"]));
        assert_eq!(set("é|ü"), v(&["é", "ü"]));
        assert_eq!(set("(?i)a|b"), None);
        assert_eq!(set("(?i)1"), None);
        assert_eq!(set("a|b.*"), None);
        assert_eq!(set("a+"), None);
        assert_eq!(set("^a"), None);
        assert_eq!(set("[a-z]{3}"), None);
        assert_eq!(
            set("[0-9][0-9][0-9]"),
            None,
            "1000 values is over the limit"
        );
        assert_eq!(set("."), None);
        let many: Vec<String> = (0..40).map(|i| format!("v{i}")).collect();
        let r = re(&many.join("|"));
        assert_eq!(r.literal_alternation().map(<[String]>::len), Some(40));
        assert!(r.is_match(b"v39"));
        assert!(!r.is_match(b"v40"));
    }

    #[test]
    fn literal_prefix_and_dot_star() {
        let pre = |p: &str| re(p).literal_prefix().map(str::to_owned);
        assert_eq!(pre("foo.*").as_deref(), Some("foo"));
        assert_eq!(pre("foo.+").as_deref(), Some("foo"));
        assert_eq!(pre("foo(bar|baz).*").as_deref(), Some("fooba"));
        assert_eq!(pre("(foo)+x").as_deref(), Some("foo"));
        assert_eq!(pre("^foo.*").as_deref(), Some("foo"));
        assert_eq!(pre("foo|foobar").as_deref(), Some("foo"));
        assert_eq!(pre("a|b.*"), None);
        assert_eq!(pre(".*foo"), None);
        assert_eq!(pre("(?i)foo.*"), None);
        assert_eq!(pre("f?oo.*"), None);
        assert_eq!(pre("é.*").as_deref(), Some("é"));
        assert_eq!(pre("éa|éb").as_deref(), Some("é"));
        let r = re("foo.*");
        assert!(r.is_match(b"foo"));
        assert!(r.is_match(b"foo\xff"));
        assert!(!r.is_match(b"fo"));

        for p in [".*", "(.*)", "(?:.*)", ".*?", "(?s).*"] {
            assert!(re(p).is_match_all(), "{p}");
            assert!(!re(p).is_match_nonempty(), "{p}");
        }
        for p in [".+", "(.+)", ".+?"] {
            assert!(re(p).is_match_nonempty(), "{p}");
            assert!(!re(p).is_match_all(), "{p}");
        }
        for p in ["(?-s:.*)", "a.*", ".*a", "(?-s).+", ".?", "x"] {
            assert!(!re(p).is_match_all() && !re(p).is_match_nonempty(), "{p}");
        }
    }

    #[test]
    fn quote_meta_escapes_go_metacharacters() {
        assert_eq!(quote_meta(r"a.b*c\d"), r"a\.b\*c\\d");
        for s in [r"\.+*?()|[]{}^$", "a-b <x> #&~", "é\n"] {
            yes(&quote_meta(s), s);
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn quoted_literal_matches_only_itself(s in "\\PC{0,12}", other in "\\PC{0,12}") {
                for p in [quote_meta(&s), regex_syntax::escape(&s)] {
                    let r = GoRegex::new(&p).unwrap();
                    prop_assert!(r.is_match(s.as_bytes()));
                    prop_assert!(r.regex_is_match(s.as_bytes()));
                    prop_assert_eq!(r.is_match(other.as_bytes()), s == other);
                    prop_assert_eq!(r.regex_is_match(other.as_bytes()), s == other);
                }
            }

            #[test]
            fn fast_paths_agree_with_regex(
                parts in prop::collection::vec(
                    prop::sample::select(vec![
                        "a", "b", "ab", ".", ".*", ".+", "(a|b)", "[ab]", r"\d", "|", "(?:x|)",
                        "a?", "é", r"\x{fffd}", "[^a]",
                    ]),
                    0..6,
                ),
                value in prop::collection::vec(
                    prop::sample::select(vec![
                        &b"a"[..], b"b", b"x", b"1", "é".as_bytes(), b"\xff", b"\n",
                    ]),
                    0..6,
                ),
            ) {
                let pattern: String = parts.concat();
                let value: Vec<u8> = value.concat();
                let r = GoRegex::new(&pattern).unwrap();
                let valid_or_no_literal_fffd = std::str::from_utf8(&value).is_ok()
                    || !pattern.contains("fffd");
                if valid_or_no_literal_fffd {
                    prop_assert_eq!(r.is_match(&value), r.regex_is_match(&value), "{:?}", pattern);
                }
            }
        }
    }
}
