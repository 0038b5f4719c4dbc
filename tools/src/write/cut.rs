//! Where XOR chunks end: the head appender's rule, so blocks look like Prometheus' own.
//!
//! ```text
//!  chunk range boundaries (multiples of the range, e.g. 2h)
//!  |<------------------------ range ------------------------>|
//!  | chunk 1 (≈120 samples) | chunk 2 (≈120) | chunk 3 (≈120) | next range starts a chunk
//!  ^ first sample             ^ cut at the end time estimated after 30 samples
//! ```
//!
//! For every series the cutter keeps the chunk's first timestamp, its last timestamp, its
//! sample count and `next_at`, the time at which the chunk must end:
//!
//! 1. The first sample opens a chunk; `next_at` is the end of the chunk range holding it,
//!    `(t / range) * range + range` with integer division that truncates toward zero (so a
//!    negative `t` in `(-range, 0)` maps to `range`, exactly as Prometheus computes it).
//! 2. When a sample arrives while the chunk holds 30 samples (a quarter of the 120-sample
//!    target), `next_at` is re-estimated so that the rest of the range splits into chunks of
//!    equal length: with `per = (last - first + 1) * 4` (the time 120 samples take at the
//!    rate seen so far) and `n = (next_at - first) / per`, `next_at` becomes
//!    `first + (next_at - first) / n` when `n > 1`, and stays put otherwise.
//! 3. A sample with `t >= next_at`, or one arriving when the chunk already holds 240
//!    samples, opens a new chunk (and step 1 applies to it).
//!
//! Prometheus 2.42's `promtool tsdb create-blocks-from` appends through the same head code
//! with a chunk range of *twice* the block duration (4h for 2h blocks), so it cuts at 4h
//! boundaries, and its 30-sample estimate targets the 4h boundary. A server cutting blocks
//! from its head uses the block range (2h). [`ChunkCutter::new`] takes the range.

/// Samples per chunk the head aims for.
pub const SAMPLES_PER_CHUNK: u32 = 120;

/// The head's chunk range in a default Prometheus server: 2 hours in ms.
pub const DEFAULT_CHUNK_RANGE: i64 = 2 * 3600 * 1000;

/// The chunk range `promtool tsdb create-blocks-from` (2.42) appends with at its default
/// 2h block duration: twice the block duration, 4 hours in ms. Use it with
/// [`BlockWriter::set_chunk_range`](super::BlockWriter::set_chunk_range) on blocks cut at
/// the same 2h boundaries to get promtool's chunks exactly.
pub const PROMTOOL_CHUNK_RANGE: i64 = 2 * DEFAULT_CHUNK_RANGE;

/// Decides, sample by sample, where one series' XOR chunks are cut.
///
/// ```
/// use tsblock_tools::write::ChunkCutter;
/// let mut cut = ChunkCutter::new(7_200_000);
/// let starts = (0..1000i64)
///     .map(|i| i * 15_000)
///     .filter(|&t| cut.starts_chunk(t))
///     .count();
/// assert_eq!(starts, 9); // 15 s scrapes: 120 samples (30 min) per chunk, 4 per 2h
/// ```
#[derive(Debug, Clone)]
pub struct ChunkCutter {
    range: i64,
    /// Samples in the open chunk; 0 before the first sample.
    count: u32,
    first: i64,
    last: i64,
    next_at: i64,
}

impl ChunkCutter {
    /// A cutter for chunk range `range` ms (values below 1 are treated as 1).
    pub fn new(range: i64) -> ChunkCutter {
        ChunkCutter {
            range: range.max(1),
            count: 0,
            first: 0,
            last: 0,
            next_at: 0,
        }
    }

    /// Feeds the next sample's timestamp (timestamps must increase); returns whether it is
    /// the first sample of a new chunk. The first call always returns `true`.
    pub fn starts_chunk(&mut self, t: i64) -> bool {
        let cut = if self.count == 0 {
            true
        } else {
            if self.count == SAMPLES_PER_CHUNK / 4 {
                self.next_at = chunk_end_estimate(self.first, self.last, self.next_at);
            }
            t >= self.next_at || self.count >= SAMPLES_PER_CHUNK * 2
        };
        if cut {
            self.count = 0;
            self.first = t;
            self.next_at = range_end(t, self.range);
        }
        self.count += 1;
        self.last = t;
        cut
    }
}

/// End of the chunk range holding `t`: `(t / range) * range + range`, with truncating
/// division as in Prometheus, saturating instead of wrapping at the ends of i64.
pub fn range_end(t: i64, range: i64) -> i64 {
    let range = range.max(1);
    (t / range).saturating_mul(range).saturating_add(range)
}

/// The re-estimated end of a chunk that started at `first`, whose 30th sample is at
/// `last`, and that must end by `max` (computed in i128, so extreme times cannot overflow).
fn chunk_end_estimate(first: i64, last: i64, max: i64) -> i64 {
    let (first, last, max) = (i128::from(first), i128::from(last), i128::from(max));
    let per = (last - first + 1) * 4;
    if per <= 0 {
        return max as i64;
    }
    let n = (max - first) / per;
    if n <= 1 {
        return max as i64;
    }
    // first < result <= max, so it fits i64.
    (first + (max - first) / n) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk_sizes(ts: impl IntoIterator<Item = i64>, range: i64) -> Vec<usize> {
        let mut cut = ChunkCutter::new(range);
        let mut sizes: Vec<usize> = Vec::new();
        for t in ts {
            if cut.starts_chunk(t) {
                sizes.push(0);
            }
            *sizes.last_mut().unwrap() += 1;
        }
        sizes
    }

    #[test]
    fn fifteen_second_scrapes_make_120_sample_chunks() {
        let sizes = chunk_sizes((0..480).map(|i| i * 15_000), DEFAULT_CHUNK_RANGE);
        assert_eq!(sizes, [120, 120, 120, 120]);
    }

    #[test]
    fn one_second_scrapes_make_117_sample_chunks_like_prometheus_2_42() {
        // After 30 samples (29 s) the estimate is n = 7200000 / (29001 * 4) = 62 chunks of
        // 116129 ms: 117 samples, as FORMAT-NOTES §4.2 observed from 2.42.
        let sizes = chunk_sizes((0..7200).map(|i| i * 1000), DEFAULT_CHUNK_RANGE);
        assert_eq!(&sizes[..8], &[117; 8]);
        assert!(sizes.iter().all(|&s| (117..=120).contains(&s)), "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 7200);
    }

    #[test]
    fn never_crosses_a_range_boundary() {
        let range = 1000;
        let mut cut = ChunkCutter::new(range);
        let mut start = 0;
        for t in (-5000..5000).step_by(7) {
            if cut.starts_chunk(t) {
                start = t;
            }
            // A chunk never reaches the end of the range its first sample is in (for
            // negative times that end is computed with truncating division, as in Go).
            assert!(t < range_end(start, range), "{start} {t}");
            if t >= 0 {
                assert_eq!(range_end(start, range), range_end(t, range), "{start} {t}");
            }
        }
    }

    #[test]
    fn hard_cut_at_240_when_the_rate_rises() {
        // 30 slow samples set a far estimate, then a burst: cut after 240.
        let ts = (0..30)
            .map(|i| i * 10_000)
            .chain((0..1000).map(|i| 300_000 + i));
        let sizes = chunk_sizes(ts, DEFAULT_CHUNK_RANGE);
        assert_eq!(sizes[0], 240);
        assert!(sizes.iter().all(|&s| s <= 240));
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        let sizes = chunk_sizes(
            [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX - 1, i64::MAX],
            DEFAULT_CHUNK_RANGE,
        );
        assert_eq!(sizes.iter().sum::<usize>(), 6);
        assert_eq!(range_end(-1, 10), 10);
        assert_eq!(range_end(-10, 10), 0);
        assert_eq!(range_end(i64::MAX, 10), i64::MAX);
        assert_eq!(chunk_end_estimate(i64::MIN, i64::MIN + 5, i64::MAX), {
            let n = (i128::from(i64::MAX) - i128::from(i64::MIN)) / 24;
            (i128::from(i64::MIN) + (i128::from(i64::MAX) - i128::from(i64::MIN)) / n) as i64
        });
    }
}
