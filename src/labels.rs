//! Label sets, ordered as Prometheus orders them.

use std::fmt;

/// A series' labels, sorted by name. Names and values are bytes: Prometheus stores
/// whatever it was given, which is almost always, but not necessarily, UTF-8.
///
/// The derived ordering is Prometheus' `labels.Compare`: pair by pair, name then value,
/// bytewise; a set that is a prefix of another sorts first.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Labels(Vec<Pair>);

/// One (name, value) pair.
type Pair = (Box<[u8]>, Box<[u8]>);

impl Labels {
    /// Build from pairs; they are sorted by name.
    pub fn from_pairs<N: AsRef<[u8]>, V: AsRef<[u8]>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Labels {
        let mut v: Vec<Pair> = pairs
            .into_iter()
            .map(|(n, v)| (n.as_ref().into(), v.as_ref().into()))
            .collect();
        v.sort();
        Labels(v)
    }

    /// Append a pair; callers push in name order.
    pub(crate) fn push(&mut self, name: &[u8], value: &[u8]) {
        self.0.push((name.into(), value.into()));
    }

    /// The (name, value) pairs in name order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], &[u8])> {
        self.0.iter().map(|(n, v)| (&**n, &**v))
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.0
            .binary_search_by(|(n, _)| (**n).cmp(name))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| &**v)
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the empty set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `{name="value", …}` with values quoted as Go's `strconv.Quote` does (promtool's form).
impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        crate::promtext::write_labels(&mut out, self.iter());
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_prometheus() {
        let a = Labels::from_pairs([("A", "x")]);
        let b = Labels::from_pairs([("__name__", "up")]);
        let c = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
        let d = Labels::from_pairs([("__name__", "up"), ("job", "b")]);
        assert!(a < b && b < c && c < d);
        assert_eq!(c.get(b"job"), Some(&b"a"[..]));
        assert_eq!(c.get(b"nope"), None);
    }
}
