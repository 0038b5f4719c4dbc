//! Which blocks to merge next: Prometheus' leveled compaction plan.
//!
//! Blocks are sorted by minTime, then:
//!
//! 1. **Overlaps first (vertical).** The first run of blocks whose ranges overlap (each block
//!    starting before the running maximum maxTime of the run) is merged.
//! 2. **Ranges (horizontal).** Without overlaps, for each range of the exponential list
//!    (2h·3ⁱ: 6h, 18h, 54h, …, up to the maximum block duration; the 2h base is never a target)
//!    the blocks are split into groups aligned to that range (a block reaching past its
//!    aligned range is left out of that range). The first group of two or more blocks that
//!    fills its whole range, or ends no later than the newest block starts, is merged.
//!    Prometheus leaves the newest block out of this step (it may still get a neighbour
//!    from the head, and it gives a backup window): [`PlanOptions::keep_newest`].
//! 3. **Tombstones.** Walking from the newest block back while blocks are at least the middle
//!    range long, the first with more than 5% of its series tombstoned is rewritten; a
//!    shorter block is rewritten only when every series has a tombstone.
//!
//! A block whose meta.json says `compaction.failed` never joins a range group (step 2).
//! `eager` (offline mode) drops the waiting rules: any group of two or more blocks inside an
//! aligned range is merged even if the range is not full yet or holds the newest block, and
//! any block with tombstones is rewritten.

use std::fmt;
use std::path::PathBuf;

/// Smallest block range: 2 hours in ms (Prometheus' `--storage.tsdb.min-block-duration`).
pub const MIN_BLOCK_DURATION: i64 = 2 * 3600 * 1000;

/// Default largest block range: 31 days in ms, the cap Prometheus applies to its default of
/// 10% of the retention time (an offline tool knows no retention).
pub const DEFAULT_MAX_BLOCK_DURATION: i64 = 31 * 24 * 3600 * 1000;

/// A block as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInfo {
    /// ULID (directory name); for planned, not yet written blocks a placeholder.
    pub ulid: String,
    /// Block directory (`None` for a planned block).
    pub dir: Option<PathBuf>,
    /// minTime.
    pub min_time: i64,
    /// maxTime (exclusive).
    pub max_time: i64,
    /// compaction.level.
    pub level: u32,
    /// compaction.sources.
    pub sources: Vec<String>,
    /// stats.numSeries.
    pub num_series: u64,
    /// stats.numTombstones.
    pub num_tombstones: u64,
    /// compaction.failed.
    pub failed: bool,
}

/// Why blocks are merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Their ranges overlap.
    Overlap,
    /// They fall into one aligned range of this length (ms).
    Range(i64),
    /// One block with tombstones is rewritten without the deleted data.
    Tombstones,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Overlap => f.write_str("overlapping"),
            Reason::Range(r) => write!(f, "in one {} range", format_duration(*r)),
            Reason::Tombstones => f.write_str("with tombstones"),
        }
    }
}

/// One compaction: blocks (in minTime order) merged into one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The blocks to merge.
    pub blocks: Vec<BlockInfo>,
    /// Why.
    pub reason: Reason,
}

impl Step {
    /// minTime of the result: the smallest of the blocks.
    pub fn min_time(&self) -> i64 {
        self.blocks.iter().map(|b| b.min_time).min().unwrap_or(0)
    }

    /// maxTime of the result: the largest of the blocks.
    pub fn max_time(&self) -> i64 {
        self.blocks.iter().map(|b| b.max_time).max().unwrap_or(0)
    }

    /// compaction.level of the result: the highest parent level + 1.
    pub fn level(&self) -> u32 {
        self.blocks
            .iter()
            .map(|b| b.level)
            .max()
            .unwrap_or(0)
            .saturating_add(1)
    }

    /// compaction.sources of the result: the sorted union of the parents' sources (a
    /// parent without sources stands for itself).
    pub fn sources(&self) -> Vec<String> {
        let mut s: Vec<String> = self
            .blocks
            .iter()
            .flat_map(|b| {
                if b.sources.is_empty() {
                    vec![b.ulid.clone()]
                } else {
                    b.sources.clone()
                }
            })
            .collect();
        s.sort();
        s.dedup();
        s
    }
}

/// Planner settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// Largest block range (ms); ranges above it are not used.
    pub max_block_duration: i64,
    /// Leave the newest block out of range merges, as Prometheus does.
    pub keep_newest: bool,
    /// Offline mode: merge partial ranges too, and rewrite every block with tombstones.
    pub eager: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            max_block_duration: DEFAULT_MAX_BLOCK_DURATION,
            keep_newest: false,
            eager: false,
        }
    }
}

impl PlanOptions {
    /// The block ranges: 2h·3ⁱ for i in 0..10, without those above the maximum (2h at least).
    pub fn ranges(&self) -> Vec<i64> {
        let mut out = Vec::new();
        let mut r = MIN_BLOCK_DURATION;
        for _ in 0..10 {
            if r > self.max_block_duration && !out.is_empty() {
                break;
            }
            out.push(r);
            r = r.saturating_mul(3);
        }
        out
    }
}

/// Blocks sorted by minTime (ties by ULID, the reader's order).
fn sorted(blocks: &[BlockInfo]) -> Vec<BlockInfo> {
    let mut v = blocks.to_vec();
    v.sort_by(|a, b| (a.min_time, &a.ulid).cmp(&(b.min_time, &b.ulid)));
    v
}

/// The first run of overlapping blocks (sorted input).
fn overlapping(blocks: &[BlockInfo]) -> Vec<BlockInfo> {
    let mut run: Vec<BlockInfo> = Vec::new();
    let Some(first) = blocks.first() else {
        return run;
    };
    let mut max = first.max_time;
    for pair in blocks.windows(2) {
        let [prev, b] = pair else { continue };
        if b.min_time < max {
            if run.is_empty() {
                run.push(prev.clone());
            }
            run.push(b.clone());
        } else if !run.is_empty() {
            break;
        }
        max = max.max(b.max_time);
    }
    run
}

/// Start of the range of length `tr` holding `t` (floor division, so negative times align
/// down as well).
fn range_start(t: i64, tr: i64) -> i64 {
    t.div_euclid(tr).saturating_mul(tr)
}

/// Groups of consecutive blocks inside one aligned range of length `tr`; blocks that reach
/// past their range are skipped.
fn split_by_range(blocks: &[BlockInfo], tr: i64) -> Vec<Vec<BlockInfo>> {
    let mut groups = Vec::new();
    let mut i = 0;
    while let Some(b) = blocks.get(i) {
        let t0 = range_start(b.min_time, tr);
        let end = t0.saturating_add(tr);
        if b.max_time > end {
            i += 1;
            continue;
        }
        let mut group = Vec::new();
        while let Some(b) = blocks.get(i) {
            if b.max_time > end {
                break;
            }
            group.push(b.clone());
            i += 1;
        }
        groups.push(group);
    }
    groups
}

/// The next compaction for `blocks`, if any.
pub fn plan_next(blocks: &[BlockInfo], opts: &PlanOptions) -> Option<Step> {
    let blocks = sorted(blocks);
    let run = overlapping(&blocks);
    if !run.is_empty() {
        return Some(Step {
            blocks: run,
            reason: Reason::Overlap,
        });
    }
    let candidates: &[BlockInfo] = if opts.keep_newest {
        blocks.split_last().map_or(&[], |(_, rest)| rest)
    } else {
        &blocks
    };
    let ranges = opts.ranges();
    if let Some(newest) = candidates.last() {
        let high = newest.min_time;
        for &tr in ranges.iter().skip(1) {
            for group in split_by_range(candidates, tr) {
                if group.len() < 2 || group.iter().any(|b| b.failed) {
                    continue;
                }
                let min = group.first().map_or(0, |b| b.min_time);
                let max = group.last().map_or(0, |b| b.max_time);
                if opts.eager || max - min == tr || max <= high {
                    return Some(Step {
                        blocks: group,
                        reason: Reason::Range(tr),
                    });
                }
            }
        }
    }
    let middle = ranges.get(ranges.len() / 2).copied().unwrap_or(i64::MAX);
    for b in candidates.iter().rev() {
        let one = || {
            Some(Step {
                blocks: vec![b.clone()],
                reason: Reason::Tombstones,
            })
        };
        if opts.eager {
            if b.num_tombstones > 0 {
                return one();
            }
            continue;
        }
        if b.max_time - b.min_time < middle {
            // A short block is rewritten only when (seemingly) every series is deleted.
            if b.num_tombstones > 0 && b.num_tombstones >= b.num_series {
                return one();
            }
            break;
        }
        if b.num_tombstones as f64 / (b.num_series as f64 + 1.0) > 0.05 {
            return one();
        }
    }
    None
}

/// Every compaction the planner would do, in order, assuming each result is written (as a
/// placeholder block `new-1`, `new-2`, … without tombstones).
pub fn plan_all(blocks: &[BlockInfo], opts: &PlanOptions) -> Vec<Step> {
    let mut current = blocks.to_vec();
    let mut steps = Vec::new();
    // Each step replaces at least one block by one block without tombstones, or two or more
    // blocks by one; the bound only guards against a planner bug.
    for n in 1..=blocks.len().saturating_mul(2) + 1 {
        let Some(step) = plan_next(&current, opts) else {
            break;
        };
        let merged = BlockInfo {
            ulid: format!("new-{n}"),
            dir: None,
            min_time: step.min_time(),
            max_time: step.max_time(),
            level: step.level(),
            sources: step.sources(),
            num_series: 0,
            num_tombstones: 0,
            failed: false,
        };
        current.retain(|b| !step.blocks.iter().any(|s| s.ulid == b.ulid));
        current.push(merged);
        steps.push(step);
    }
    steps
}

/// `90m`, `2h`, `1d12h`: the largest units that divide the duration (ms).
pub fn format_duration(ms: i64) -> String {
    const UNITS: [(&str, i64); 6] = [
        ("w", 7 * 24 * 3600 * 1000),
        ("d", 24 * 3600 * 1000),
        ("h", 3600 * 1000),
        ("m", 60 * 1000),
        ("s", 1000),
        ("ms", 1),
    ];
    if ms <= 0 {
        return format!("{ms}ms");
    }
    let mut rest = ms;
    let mut out = String::new();
    for (u, n) in UNITS {
        if rest >= n {
            out.push_str(&format!("{}{u}", rest / n));
            rest %= n;
        }
    }
    out
}

/// Parse a Prometheus-style duration: one or more `<number><unit>` with units `y w d h m s
/// ms` (`31d`, `1d12h`, `90m`). Returns ms.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("invalid duration {s:?} (use e.g. 36h, 31d, 1w)");
    let mut total: i64 = 0;
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (num, tail) = rest.split_at(digits);
        let n: i64 = num.parse().map_err(|_| bad())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let mult: i64 = match unit {
            "y" => 365 * 24 * 3600 * 1000,
            "w" => 7 * 24 * 3600 * 1000,
            "d" => 24 * 3600 * 1000,
            "h" => 3600 * 1000,
            "m" => 60 * 1000,
            "s" => 1000,
            "ms" => 1,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        rest = tail;
    }
    if total <= 0 {
        return Err(bad());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600 * 1000;

    fn b(name: &str, min: i64, max: i64) -> BlockInfo {
        BlockInfo {
            ulid: name.into(),
            dir: None,
            min_time: min,
            max_time: max,
            level: 1,
            sources: vec![name.into()],
            num_series: 10,
            num_tombstones: 0,
            failed: false,
        }
    }

    fn names(s: &Step) -> Vec<&str> {
        s.blocks.iter().map(|b| b.ulid.as_str()).collect()
    }

    fn opts() -> PlanOptions {
        PlanOptions {
            keep_newest: true,
            ..PlanOptions::default()
        }
    }

    #[test]
    fn ranges_grow_by_three_up_to_the_maximum() {
        let o = PlanOptions {
            max_block_duration: 36 * H,
            ..opts()
        };
        assert_eq!(o.ranges(), [2 * H, 6 * H, 18 * H]);
        assert_eq!(PlanOptions::default().ranges().last(), Some(&(486 * H)));
        let tiny = PlanOptions {
            max_block_duration: H,
            ..opts()
        };
        assert_eq!(tiny.ranges(), [2 * H]);
    }

    #[test]
    fn overlaps_come_first_and_take_the_first_run() {
        let blocks = [
            b("a", 0, 2 * H),
            b("b", 2 * H, 4 * H),
            b("c", 3 * H, 5 * H),
            b("d", 4 * H + 1, 6 * H),
            b("e", 6 * H, 8 * H),
            b("f", 7 * H, 9 * H),
        ];
        let s = plan_next(&blocks, &opts()).unwrap();
        assert_eq!(s.reason, Reason::Overlap);
        assert_eq!(names(&s), ["b", "c", "d"]);
        assert_eq!((s.min_time(), s.max_time()), (2 * H, 6 * H));
    }

    #[test]
    fn full_ranges_merge_and_the_newest_block_waits() {
        // Three 2h blocks fill 0..6h; a fourth is the newest.
        let blocks = [
            b("1", 0, 2 * H),
            b("2", 2 * H, 4 * H),
            b("3", 4 * H, 6 * H),
            b("4", 6 * H, 8 * H),
        ];
        let s = plan_next(&blocks, &opts()).unwrap();
        assert_eq!(s.reason, Reason::Range(6 * H));
        assert_eq!(names(&s), ["1", "2", "3"]);
        // Only two blocks of 0..6h, the newest one being in it: Prometheus waits.
        assert_eq!(plan_next(&blocks[..2], &opts()), None);
        // Two blocks before the newest one's start are merged although 0..6h is not full.
        let gap = [
            b("1", 0, 2 * H),
            b("2", 2 * H, 4 * H),
            b("9", 20 * H, 22 * H),
        ];
        assert_eq!(
            plan_next(&gap, &opts()),
            None,
            "9 is left out, 2 is then newest"
        );
        let gap = [
            b("1", 0, 2 * H),
            b("2", 2 * H, 4 * H),
            b("8", 18 * H, 20 * H),
            b("9", 20 * H, 22 * H),
        ];
        assert_eq!(names(&plan_next(&gap, &opts()).unwrap()), ["1", "2"]);
        // Eager merges what it can.
        let eager = PlanOptions {
            eager: true,
            ..PlanOptions::default()
        };
        assert_eq!(names(&plan_next(&blocks[..2], &eager).unwrap()), ["1", "2"]);
        // Without keep_newest the newest block takes part, but still only in a full range
        // or one ending before the newest block starts.
        assert_eq!(plan_next(&blocks[..2], &PlanOptions::default()), None);
        assert_eq!(
            names(&plan_next(&blocks, &PlanOptions::default()).unwrap()),
            ["1", "2", "3"]
        );
    }

    #[test]
    fn blocks_reaching_past_a_range_are_skipped() {
        let blocks = [b("x", H, 7 * H), b("y", 7 * H, 8 * H), b("z", 8 * H, 9 * H)];
        let groups = split_by_range(&blocks, 6 * H);
        let got: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.iter().map(|b| b.ulid.as_str()).collect())
            .collect();
        assert_eq!(got, [vec!["y", "z"]]);
        assert_eq!(range_start(-1, 6 * H), -6 * H);
    }

    #[test]
    fn plan_all_goes_up_the_levels() {
        let blocks: Vec<BlockInfo> = (0..10)
            .map(|i| b(&format!("{i}"), i * 2 * H, (i + 1) * 2 * H))
            .collect();
        let steps = plan_all(&blocks, &opts());
        let got: Vec<(Reason, usize, u32)> = steps
            .iter()
            .map(|s| (s.reason, s.blocks.len(), s.level()))
            .collect();
        assert_eq!(
            got,
            [
                (Reason::Range(6 * H), 3, 2),
                (Reason::Range(6 * H), 3, 2),
                (Reason::Range(6 * H), 3, 2),
                (Reason::Range(18 * H), 3, 3),
            ]
        );
        assert_eq!(steps[3].sources().len(), 9);
    }

    #[test]
    fn tombstones_rewrite_big_or_fully_deleted_blocks() {
        let mut big = b("big", 0, 54 * H);
        big.num_tombstones = 1;
        let newest = b("n", 54 * H, 56 * H);
        let s = plan_next(&[big.clone(), newest.clone()], &opts()).unwrap();
        assert_eq!((s.reason, names(&s)), (Reason::Tombstones, vec!["big"]));
        let mut small = b("small", 0, 2 * H);
        small.num_tombstones = 1;
        assert_eq!(plan_next(&[small.clone(), newest.clone()], &opts()), None);
        small.num_tombstones = 10;
        assert!(plan_next(&[small, newest], &opts()).is_some());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("31d"), Ok(31 * 24 * H));
        assert_eq!(parse_duration("1d12h"), Ok(36 * H));
        assert_eq!(parse_duration("90m"), Ok(H + H / 2));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("12").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("99999999999999y").is_err());
        assert_eq!(format_duration(36 * H), "1d12h");
        assert_eq!(format_duration(486 * H), "2w6d6h");
    }
}
