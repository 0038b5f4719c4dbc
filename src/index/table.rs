//! The postings offset table: for every (label name, value) pair, where its postings list
//! starts. Sorted by name, then value; the first entry is ("", "") for all series.
//!
//! ```text
//! ┌─────────┬─────────┬─────────────────────────────────────────────────────┬────────┐
//! │ len u32 │ n u32   │ n × (2 uvarint, name, value, postings offset uvarint)│ CRC32C │
//! └─────────┴─────────┴─────────────────────────────────────────────────────┴────────┘
//! ```
//!
//! At open the table is checked once and, per label name, the first, every 32nd and the last
//! entry are kept; a lookup binary-searches those and scans at most 31 entries of the map.

use crate::decode::{framed, Cursor};
use crate::error::{Corruption, DecodeError};

const SAMPLE_EVERY: usize = 32;

/// A kept table entry.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// File offset of the entry.
    entry: u64,
    /// File range of the entry's value.
    value_start: u64,
    value_len: u32,
}

/// Sampled entries of one label name.
#[derive(Debug)]
struct NameEntries {
    name: Box<[u8]>,
    samples: Vec<Sample>,
    /// File offset just past this name's last entry.
    end: u64,
    values: u32,
}

/// One decoded table entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) value: &'a [u8],
    /// File offset of the value's bytes.
    pub(crate) value_offset: u64,
    /// File offset of the postings list.
    pub(crate) postings: u64,
}

fn read_entry<'a>(c: &mut Cursor<'a>) -> Result<Entry<'a>, DecodeError> {
    let at = c.offset();
    if c.uvarint()? != 2 {
        return Err(DecodeError::new(
            at,
            Corruption::Invalid("postings table entry does not have 2 fields"),
        ));
    }
    let name = c.uvarint_bytes()?;
    let value_len = c.uvarint()?;
    let value_offset = c.offset();
    let value = c.bytes_u64(value_len)?;
    let postings = c.uvarint()?;
    Ok(Entry {
        name,
        value,
        value_offset,
        postings,
    })
}

/// The sampled postings offset table.
#[derive(Debug)]
pub(crate) struct PostingsTable {
    /// Sorted by name.
    names: Vec<NameEntries>,
}

impl PostingsTable {
    /// Check the frame, CRC and ordering of the table at `start` and sample it.
    pub(crate) fn parse(
        file: &[u8],
        start: u64,
        postings_end: u64,
    ) -> Result<PostingsTable, DecodeError> {
        let mut c = framed(file, start)?;
        let n = c.be32()?;
        let mut names: Vec<NameEntries> = Vec::new();
        let mut prev: Option<(&[u8], &[u8])> = None;
        // Index of the entry within its name, and the newest entry not yet kept.
        let mut k = 0usize;
        let mut unkept: Option<Sample> = None;
        for _ in 0..n {
            let at = c.offset();
            let e = read_entry(&mut c)?;
            if prev.is_some_and(|p| p >= (e.name, e.value)) {
                return Err(DecodeError::new(
                    at,
                    Corruption::Invalid("postings table not sorted"),
                ));
            }
            if e.postings >= postings_end {
                return Err(DecodeError::new(
                    at,
                    Corruption::OutOfBounds {
                        what: "postings offset",
                        value: e.postings,
                        limit: postings_end,
                    },
                ));
            }
            let sample = Sample {
                entry: at,
                value_start: e.value_offset,
                value_len: e.value.len() as u32,
            };
            match names.last_mut() {
                Some(cur) if prev.is_some_and(|p| p.0 == e.name) => {
                    k += 1;
                    cur.values += 1;
                    if k % SAMPLE_EVERY == 0 {
                        cur.samples.push(sample);
                        unkept = None;
                    } else {
                        unkept = Some(sample);
                    }
                }
                _ => {
                    if let Some(cur) = names.last_mut() {
                        cur.samples.extend(unkept.take());
                        cur.end = at;
                    }
                    names.push(NameEntries {
                        name: e.name.into(),
                        samples: vec![sample],
                        end: 0,
                        values: 1,
                    });
                    k = 0;
                }
            }
            prev = Some((e.name, e.value));
        }
        if let Some(cur) = names.last_mut() {
            cur.samples.extend(unkept.take());
            cur.end = c.offset();
        }
        Ok(PostingsTable { names })
    }

    fn name(&self, name: &[u8]) -> Option<&NameEntries> {
        self.names
            .binary_search_by(|n| (*n.name).cmp(name))
            .ok()
            .and_then(|i| self.names.get(i))
    }

    /// Label names, sorted, including "" (the all-postings key).
    pub(crate) fn names(&self) -> impl Iterator<Item = &[u8]> {
        self.names.iter().map(|n| &*n.name)
    }

    /// Number of distinct values of `name`.
    pub(crate) fn value_count(&self, name: &[u8]) -> u32 {
        self.name(name).map_or(0, |n| n.values)
    }

    /// Index of the last sample whose value is `< bound` (or `<= bound` if `inclusive`).
    fn seek_sample(file: &[u8], n: &NameEntries, bound: &[u8], inclusive: bool) -> usize {
        let mut lo = 0usize;
        let mut hi = n.samples.len();
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let s = n.samples.get(mid).copied();
            let v = s
                .and_then(|s| {
                    let start = usize::try_from(s.value_start).ok()?;
                    file.get(start..start.checked_add(s.value_len as usize)?)
                })
                .unwrap_or_default();
            let before = if inclusive { v <= bound } else { v < bound };
            if before {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo.saturating_sub(1)
    }

    /// Entries of `name` whose value is `>= from`, in value order.
    pub(crate) fn values_from<'a>(&self, file: &'a [u8], name: &[u8], from: &[u8]) -> Values<'a> {
        let Some(n) = self.name(name) else {
            return Values::empty(file);
        };
        let i = Self::seek_sample(file, n, from, false);
        let start = n.samples.get(i).map_or(n.end, |s| s.entry);
        Values {
            file,
            pos: start,
            end: n.end,
            failed: false,
            from: from.into(),
        }
    }

    /// Postings offset of `name=value`, if the pair exists.
    pub(crate) fn find(
        &self,
        file: &[u8],
        name: &[u8],
        value: &[u8],
    ) -> Result<Option<u64>, DecodeError> {
        let Some(n) = self.name(name) else {
            return Ok(None);
        };
        let i = Self::seek_sample(file, n, value, true);
        let start = n.samples.get(i).map_or(n.end, |s| s.entry);
        let values = Values {
            file,
            pos: start,
            end: n.end,
            failed: false,
            from: Box::default(),
        };
        for e in values.take(SAMPLE_EVERY + 1) {
            let e = e?;
            match e.value.cmp(value) {
                std::cmp::Ordering::Less => continue,
                std::cmp::Ordering::Equal => return Ok(Some(e.postings)),
                std::cmp::Ordering::Greater => break,
            }
        }
        Ok(None)
    }

    /// File range of the samples kept in memory, for tests.
    #[cfg(test)]
    fn sampled(&self, name: &[u8]) -> Vec<std::ops::Range<u64>> {
        self.name(name)
            .map(|n| {
                n.samples
                    .iter()
                    .map(|s| s.value_start..s.value_start + u64::from(s.value_len))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Iterator over consecutive table entries of one name. Stops after the first error.
pub(crate) struct Values<'a> {
    file: &'a [u8],
    pos: u64,
    end: u64,
    failed: bool,
    /// Entries with smaller values are skipped.
    from: Box<[u8]>,
}

impl<'a> Values<'a> {
    fn empty(file: &'a [u8]) -> Self {
        Values {
            file,
            pos: 0,
            end: 0,
            failed: false,
            from: Box::default(),
        }
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = Result<Entry<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.failed && self.pos < self.end {
            let r = Cursor::at(self.file, self.pos).and_then(|mut c| {
                let e = read_entry(&mut c)?;
                self.pos = c.offset();
                Ok(e)
            });
            match r {
                Ok(e) if *e.value < *self.from => continue,
                Ok(e) => return Some(Ok(e)),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// A postings table for `pairs` (sorted) with fake offsets 0, 1, 2, ...
    pub(crate) fn encode(pairs: &[(&str, String)]) -> Vec<u8> {
        let mut body = (pairs.len() as u32).to_be_bytes().to_vec();
        for (i, (n, v)) in pairs.iter().enumerate() {
            put_uvarint(&mut body, 2);
            put_uvarint(&mut body, n.len() as u64);
            body.extend_from_slice(n.as_bytes());
            put_uvarint(&mut body, v.len() as u64);
            body.extend_from_slice(v.as_bytes());
            put_uvarint(&mut body, i as u64);
        }
        let mut out = (body.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&body);
        out.extend_from_slice(&crate::decode::crc32c(&body).to_be_bytes());
        out
    }

    #[test]
    fn finds_every_value_with_sampling() {
        let mut pairs: Vec<(&str, String)> = vec![("", String::new())];
        for i in 0..100 {
            pairs.push(("a", format!("v{i:03}")));
        }
        pairs.push(("b", "x".into()));
        let data = encode(&pairs);
        let t = PostingsTable::parse(&data, 0, u64::MAX).unwrap();
        // first, every 32nd, last
        assert_eq!(t.sampled(b"a").len(), 5);
        for (i, (n, v)) in pairs.iter().enumerate() {
            assert_eq!(
                t.find(&data, n.as_bytes(), v.as_bytes()).unwrap(),
                Some(i as u64),
                "{n}={v}"
            );
        }
        assert_eq!(t.find(&data, b"a", b"v1000").unwrap(), None);
        assert_eq!(t.find(&data, b"a", b"").unwrap(), None);
        assert_eq!(t.find(&data, b"c", b"x").unwrap(), None);
        let vals: Vec<_> = t
            .values_from(&data, b"a", b"")
            .map(|e| e.unwrap().value.to_vec())
            .collect();
        assert_eq!(vals.len(), 100);
        let from: Vec<_> = t
            .values_from(&data, b"a", b"v050")
            .map(|e| e.unwrap().value.to_vec())
            .collect();
        assert_eq!(from.first().unwrap(), b"v050");
        assert_eq!(from.len(), 50);
        assert_eq!(t.names().collect::<Vec<_>>(), vec![&b""[..], b"a", b"b"]);
    }

    #[test]
    fn rejects_unsorted_tables() {
        let data = encode(&[("a", "2".into()), ("a", "1".into())]);
        assert!(PostingsTable::parse(&data, 0, u64::MAX).is_err());
    }
}
