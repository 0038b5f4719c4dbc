//! Merging series and samples across blocks, exactly as Prometheus' merge querier does.
//!
//! Series: each block's stream is pre-advanced and kept in a Go-style heap ordered by
//! labels; all streams whose current labels equal the top are popped together, in pop
//! order, and pushed back after advancing. Samples of a series found in several blocks are
//! chained: one sample per timestamp, and when blocks disagree on the value the winner is
//! what Prometheus' heap mechanics pick (see FORMAT-NOTES §5.4). Both are reproduced step
//! by step so `dump` prints what promtool prints.

use super::goheap::GoHeap;
use super::series::{BlockSeries, Part};
use super::{Fuse, Step};
use crate::error::Result;
use crate::labels::Labels;

/// A block stream with its current series.
struct Head<'db> {
    current: (Labels, Part<'db>),
    rest: Fuse<BlockSeries<'db>>,
}

fn by_labels(a: &Head<'_>, b: &Head<'_>) -> bool {
    a.current.0 < b.current.0
}

/// Merged series in label order: labels plus the parts from each block, in merge order.
pub(crate) struct MergedSeries<'db> {
    heap: GoHeap<Head<'db>>,
    /// Streams popped for the previous series, to advance and push back.
    popped: Vec<Fuse<BlockSeries<'db>>>,
}

impl<'db> MergedSeries<'db> {
    /// Pre-advance each stream, in querier (block minTime) order.
    pub(crate) fn new(streams: Vec<BlockSeries<'db>>) -> Result<Self> {
        let mut heap = GoHeap::new();
        for s in streams {
            let mut s = Fuse::new(s);
            if let Some(first) = s.next() {
                heap.push(
                    Head {
                        current: first?,
                        rest: s,
                    },
                    by_labels,
                );
            }
        }
        Ok(MergedSeries {
            heap,
            popped: Vec::new(),
        })
    }
}

impl<'db> Step for MergedSeries<'db> {
    type Item = (Labels, Vec<Part<'db>>);

    fn step(&mut self) -> Result<Option<Self::Item>> {
        for mut s in self.popped.drain(..) {
            if let Some(next) = s.next() {
                self.heap.push(
                    Head {
                        current: next?,
                        rest: s,
                    },
                    by_labels,
                );
            }
        }
        let Some(top) = self.heap.pop(by_labels) else {
            return Ok(None);
        };
        let (labels, part) = top.current;
        let mut parts = vec![part];
        self.popped.push(top.rest);
        while self.heap.peek().is_some_and(|h| h.current.0 == labels) {
            if let Some(h) = self.heap.pop(by_labels) {
                parts.push(h.current.1);
                self.popped.push(h.rest);
            }
        }
        Ok(Some((labels, parts)))
    }
}

/// A sample source with its current sample.
struct Cursor<I> {
    at: (i64, f64),
    it: I,
}

fn by_time<I>(a: &Cursor<I>, b: &Cursor<I>) -> bool {
    a.at.0 < b.at.0
}

/// Prometheus' chain sample iterator over several sources of one series.
pub(crate) struct ChainSamples<I> {
    /// Sources not yet started; consumed on the first call.
    pending: Option<Vec<I>>,
    curr: Option<I>,
    heap: GoHeap<Cursor<I>>,
    last_t: i64,
}

impl<I: Iterator<Item = Result<(i64, f64)>>> ChainSamples<I> {
    pub(crate) fn new(sources: Vec<I>) -> Self {
        ChainSamples {
            pending: Some(sources),
            curr: None,
            heap: GoHeap::new(),
            last_t: i64::MIN,
        }
    }

    fn start(&mut self, sources: Vec<I>) -> Result<()> {
        let mut it = sources.into_iter();
        // The first source is advanced lazily by the main loop; the rest are advanced now.
        self.curr = it.next();
        for mut s in it {
            if let Some(at) = s.next() {
                self.heap.push(Cursor { at: at?, it: s }, by_time);
            }
        }
        Ok(())
    }
}

impl<I: Iterator<Item = Result<(i64, f64)>>> Step for ChainSamples<I> {
    type Item = (i64, f64);

    fn step(&mut self) -> Result<Option<(i64, f64)>> {
        if let Some(sources) = self.pending.take() {
            self.start(sources)?;
        }
        loop {
            let Some(curr) = self.curr.as_mut() else {
                return Ok(None);
            };
            match curr.next().transpose()? {
                Some(s) => {
                    if s.0 == self.last_t {
                        continue; // a duplicate timestamp: the first one seen wins
                    }
                    match self.heap.peek() {
                        Some(top) if s.0 >= top.at.0 => {
                            // Another source has an earlier (or equal) sample: swap.
                            if let Some(c) = self.curr.take() {
                                self.heap.push(Cursor { at: s, it: c }, by_time);
                            }
                        }
                        _ => {
                            self.last_t = s.0;
                            return Ok(Some(s));
                        }
                    }
                }
                None if self.heap.is_empty() => {
                    self.curr = None;
                    return Ok(None);
                }
                None => {}
            }
            let Some(top) = self.heap.pop(by_time) else {
                return Ok(None);
            };
            // The popped source's current sample is re-read first (Seek to its own time).
            let s = top.at;
            self.curr = Some(top.it);
            if s.0 != self.last_t {
                self.last_t = s.0;
                return Ok(Some(s));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(samples: &[(i64, f64)]) -> std::vec::IntoIter<Result<(i64, f64)>> {
        samples
            .iter()
            .map(|&s| Ok(s))
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn values(sources: Vec<&[(i64, f64)]>) -> Vec<f64> {
        Fuse::new(ChainSamples::new(sources.into_iter().map(src).collect()))
            .map(|s| s.unwrap().1)
            .collect()
    }

    #[test]
    fn conflicting_duplicates_resolve_like_promtool() {
        // Observed with promtool 2.42 (FORMAT-NOTES §5.4).
        let a: &[(i64, f64)] = &[(1000, 1.0), (1001, 10.0), (1003, 100.0)];
        let b: &[(i64, f64)] = &[(1000, 2.0), (1002, 20.0), (1003, 200.0)];
        let c: &[(i64, f64)] = &[(1000, 3.0), (1003, 30.0)];
        assert_eq!(values(vec![a, b]), [2.0, 10.0, 20.0, 100.0]);
        // Three blocks with equal labels leave the series heap as A, C, B (Go's sift order),
        // and that is the order the chain receives them in.
        let mut h = GoHeap::new();
        let less = |x: &(u8, char), y: &(u8, char)| x.0 < y.0;
        for s in [(0, 'a'), (0, 'b'), (0, 'c')] {
            h.push(s, less);
        }
        let order: Vec<char> = std::iter::from_fn(|| h.pop(less).map(|s| s.1)).collect();
        assert_eq!(order, ['a', 'c', 'b']);
        assert_eq!(values(vec![a, c, b]), [3.0, 10.0, 20.0, 100.0]);
    }

    #[test]
    fn merges_disjoint_and_identical_sources() {
        let a: &[(i64, f64)] = &[(1, 1.0), (3, 3.0), (5, 5.0)];
        let b: &[(i64, f64)] = &[(2, 2.0), (3, 3.0), (6, 6.0)];
        let got: Vec<i64> = Fuse::new(ChainSamples::new(vec![src(a), src(b)]))
            .map(|s| s.unwrap().0)
            .collect();
        assert_eq!(got, [1, 2, 3, 5, 6]);
        assert_eq!(values(vec![&[], a]), [1.0, 3.0, 5.0]);
        assert_eq!(values(vec![a, &[]]), [1.0, 3.0, 5.0]);
    }
}
