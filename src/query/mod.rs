//! Selecting series across the blocks of a data dir and streaming their samples.
//!
//! The flow: per block (in parallel), matchers → sorted series refs; the blocks' series
//! streams merge in label order ([`merge`]); each series' samples come lazily from its
//! chunks, trimmed to `[mint, maxt]` and tombstones, and chained across blocks. Work on
//! samples can fan out over series in ordered batches ([`SeriesSet::par_map`]) with the
//! same output as the sequential path.

mod goheap;
mod goregex;
mod matcher;
mod merge;
mod ordered;
mod select;
mod selector;
mod series;

use std::collections::{BTreeSet, VecDeque};

use rayon::prelude::*;

pub use goregex::{quote_meta, GoRegex, RegexError};
pub use matcher::{MatchOp, Matcher};
pub use selector::{
    parse_metric_selector, parse_selector, Found, SelectorError, SelectorErrorKind,
};

use crate::block::Block;
use crate::db::Db;
use crate::error::Result;
use crate::format::SeriesRef;
use crate::index::{union, SeriesEntry};
use crate::labels::Labels;
use merge::{ChainSamples, MergedSeries};
use series::{BlockSeries, Part, PartSamples};

/// A producer of items, one fallible step at a time; `Ok(None)` is the end.
pub(crate) trait Step {
    type Item;
    fn step(&mut self) -> Result<Option<Self::Item>>;
}

/// Iterator over a [`Step`] that yields the first error and then ends, so damaged data
/// never reads as a short valid list.
pub(crate) struct Fuse<S> {
    inner: S,
    failed: bool,
}

impl<S> Fuse<S> {
    pub(crate) fn new(inner: S) -> Self {
        Fuse {
            inner,
            failed: false,
        }
    }
}

impl<S: Step> Iterator for Fuse<S> {
    type Item = Result<S::Item>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let r = self.inner.step();
        self.failed = r.is_err();
        r.transpose()
    }
}

/// Series refs of `block` matching any of `selectors`; no selectors means every series.
fn block_postings(block: &Block, selectors: &[Vec<Matcher>]) -> Result<Vec<u32>> {
    let ix = block.index();
    if selectors.is_empty() {
        return ix.all_postings();
    }
    let lists = selectors
        .iter()
        .map(|ms| select::select_postings(ix, ms))
        .collect::<Result<Vec<_>>>()?;
    Ok(union(lists))
}

/// Postings of every block overlapping `[mint, maxt]`, computed in parallel, in block order.
fn postings_per_block<'db>(
    db: &'db Db,
    selectors: &[Vec<Matcher>],
    mint: i64,
    maxt: i64,
) -> Result<Vec<(&'db Block, Vec<u32>)>> {
    let blocks: Vec<&Block> = db.blocks_in(mint, maxt).collect();
    blocks
        .par_iter()
        .map(|&b| Ok((b, block_postings(b, selectors)?)))
        .collect()
}

impl Block {
    /// Sorted refs of this block's series that match all of `matchers` (a series lacking a
    /// label has value "" for it), found through the postings as Prometheus does. No
    /// matchers select nothing.
    pub fn select_postings(&self, matchers: &[Matcher]) -> Result<Vec<u32>> {
        select::select_postings(self.index(), matchers)
    }
}

impl Db {
    /// Series matching any of `selectors` that have samples in the closed range
    /// `[mint, maxt]`, in label order. Each selector is a list of matchers that must all
    /// match; an empty `selectors` selects every series.
    pub fn select(
        &self,
        selectors: &[Vec<Matcher>],
        mint: i64,
        maxt: i64,
    ) -> Result<SeriesSet<'_>> {
        let streams = postings_per_block(self, selectors, mint, maxt)?
            .into_iter()
            .map(|(b, refs)| BlockSeries::new(b, refs, mint, maxt))
            .collect();
        Ok(SeriesSet {
            merged: Fuse::new(MergedSeries::new(streams)?),
            mint,
            maxt,
        })
    }

    /// Label names of the series matching `selectors` in blocks overlapping `[mint, maxt]`,
    /// sorted. With no selectors, every label name of those blocks.
    pub fn label_names(
        &self,
        selectors: &[Vec<Matcher>],
        mint: i64,
        maxt: i64,
    ) -> Result<Vec<Vec<u8>>> {
        let mut names = BTreeSet::new();
        for (block, refs) in self.matching_blocks(selectors, mint, maxt)? {
            let ix = block.index();
            match refs {
                None => names.extend(ix.label_names().map(<[u8]>::to_vec)),
                Some(refs) => for_each_entry(block, &refs, |e| {
                    for &(n, _) in &e.labels {
                        names.insert(ix.symbol(n)?.to_vec());
                    }
                    Ok(())
                })?,
            }
        }
        Ok(names.into_iter().collect())
    }

    /// Values of label `name` among the series matching `selectors` in blocks overlapping
    /// `[mint, maxt]`, sorted. With no selectors, every value of `name` in those blocks.
    pub fn label_values(
        &self,
        name: &str,
        selectors: &[Vec<Matcher>],
        mint: i64,
        maxt: i64,
    ) -> Result<Vec<Vec<u8>>> {
        let mut values = BTreeSet::new();
        for (block, refs) in self.matching_blocks(selectors, mint, maxt)? {
            let ix = block.index();
            match refs {
                None => {
                    for v in ix.label_values(name.as_bytes()) {
                        values.insert(v?.0.to_vec());
                    }
                }
                Some(refs) => {
                    let Some(sym) = ix.find_symbol(name.as_bytes())? else {
                        continue;
                    };
                    for_each_entry(block, &refs, |e| {
                        if let Some(&(_, v)) = e.labels.iter().find(|&&(n, _)| n == sym) {
                            values.insert(ix.symbol(v)?.to_vec());
                        }
                        Ok(())
                    })?;
                }
            }
        }
        Ok(values.into_iter().collect())
    }

    /// Blocks in range with their matching refs (`None`: no selectors, so all series).
    fn matching_blocks(
        &self,
        selectors: &[Vec<Matcher>],
        mint: i64,
        maxt: i64,
    ) -> Result<Vec<BlockRefs<'_>>> {
        if selectors.is_empty() {
            return Ok(self.blocks_in(mint, maxt).map(|b| (b, None)).collect());
        }
        Ok(postings_per_block(self, selectors, mint, maxt)?
            .into_iter()
            .map(|(b, r)| (b, Some(r)))
            .collect())
    }
}

/// A block and its matching series refs (`None`: every series).
type BlockRefs<'db> = (&'db Block, Option<Vec<u32>>);

fn for_each_entry(
    block: &Block,
    refs: &[u32],
    mut f: impl FnMut(&SeriesEntry) -> Result<()>,
) -> Result<()> {
    let mut entry = SeriesEntry::default();
    for &r in refs {
        block.index().series(SeriesRef(r), &mut entry)?;
        f(&entry)?;
    }
    Ok(())
}

/// Selected series in label order. Yields `Result`s and stops after the first error.
pub struct SeriesSet<'db> {
    merged: Fuse<MergedSeries<'db>>,
    mint: i64,
    maxt: i64,
}

impl<'db> Iterator for SeriesSet<'db> {
    type Item = Result<Series<'db>>;

    fn next(&mut self) -> Option<Self::Item> {
        let (mint, maxt) = (self.mint, self.maxt);
        self.merged.next().map(|r| {
            r.map(|(labels, parts)| Series {
                labels,
                parts,
                mint,
                maxt,
            })
        })
    }
}

impl<'db> SeriesSet<'db> {
    /// Apply `f` to every series on rayon's thread pool, `batch` series at a time, and
    /// yield the results in series order: the same sequence as `self.map(f)`.
    pub fn par_map<T, F>(self, batch: usize, f: F) -> ParMap<'db, T, F>
    where
        T: Send,
        F: Fn(Series<'db>) -> Result<T> + Sync,
    {
        ParMap {
            set: self,
            f,
            batch: batch.max(1),
            ready: VecDeque::new(),
            done: false,
        }
    }
}

/// Chunks per thread that may be read but not yet consumed in
/// [`SeriesSet::par_for_each`]: ~8k samples, about a MB of dump text per thread. More
/// was not faster, and fresh memory costs a page fault per 4 KiB.
const CHUNKS_IN_FLIGHT_PER_THREAD: usize = 64;

impl<'db> SeriesSet<'db> {
    /// Map every series through `map` on all threads of rayon's pool and hand the results
    /// to `consume` in series order, as they become ready: writing output overlaps
    /// decoding, and no thread waits for a batch to finish. Stops at the first error,
    /// after consuming every result before it.
    pub fn par_for_each<T, F, C>(self, map: F, consume: C) -> Result<()>
    where
        T: Send,
        F: Fn(Series<'db>) -> Result<T> + Sync,
        C: FnMut(T) -> Result<()> + Send,
    {
        let chunks = CHUNKS_IN_FLIGHT_PER_THREAD * rayon::current_num_threads().max(1);
        self.par_for_each_within(chunks, map, consume)
    }

    /// [`par_for_each`](Self::par_for_each) reading at most `chunks` chunks ahead of
    /// `consume` (but always at least one series), which bounds the results held.
    pub fn par_for_each_within<T, F, C>(self, chunks: usize, map: F, consume: C) -> Result<()>
    where
        T: Send,
        F: Fn(Series<'db>) -> Result<T> + Sync,
        C: FnMut(T) -> Result<()> + Send,
    {
        ordered::for_each_ordered(self, Series::chunk_count, chunks, map, consume)
    }
}

/// Ordered parallel map over a [`SeriesSet`]; see [`SeriesSet::par_map`].
pub struct ParMap<'db, T, F> {
    set: SeriesSet<'db>,
    f: F,
    batch: usize,
    ready: VecDeque<Result<T>>,
    done: bool,
}

impl<'db, T, F> Iterator for ParMap<'db, T, F>
where
    T: Send,
    F: Fn(Series<'db>) -> Result<T> + Sync,
{
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.ready.is_empty() && !self.done {
            let mut series = Vec::with_capacity(self.batch);
            let mut error = None;
            for s in self.set.by_ref().take(self.batch) {
                match s {
                    Ok(s) => series.push(s),
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            self.done = error.is_some() || series.len() < self.batch;
            let f = &self.f;
            let results: Vec<Result<T>> = series.into_par_iter().map(f).collect();
            self.ready.extend(results);
            self.ready.extend(error.map(Err));
        }
        let r = self.ready.pop_front();
        if matches!(r, Some(Err(_))) {
            // Stop after the first error, like every iterator in the crate.
            self.ready.clear();
            self.done = true;
        }
        r
    }
}

/// One series: its labels and, lazily, its samples in `[mint, maxt]` merged across blocks.
#[derive(Debug)]
pub struct Series<'db> {
    labels: Labels,
    parts: Vec<Part<'db>>,
    mint: i64,
    maxt: i64,
}

impl<'db> Series<'db> {
    /// The series' labels.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// Number of blocks the series was found in.
    pub fn block_count(&self) -> usize {
        self.parts.len()
    }

    /// Number of chunks that will be read.
    pub fn chunk_count(&self) -> usize {
        self.parts.iter().map(|p| p.chunks.len()).sum()
    }

    /// The samples `(timestamp ms, value)` in time order, one per timestamp. Decoding
    /// happens as the iterator is advanced; a damaged chunk yields an error and ends it.
    pub fn samples(&self) -> Samples<'_> {
        let labels = &self.labels;
        let mut parts = self
            .parts
            .iter()
            .map(|p| Fuse::new(PartSamples::new(p.clone(), labels, self.mint, self.maxt)));
        if self.parts.len() == 1 {
            if let Some(one) = parts.next() {
                return Samples(SamplesInner::One(one));
            }
        }
        Samples(SamplesInner::Chain(Fuse::new(ChainSamples::new(
            parts.collect(),
        ))))
    }
}

/// Iterator over a [`Series`]' samples.
pub struct Samples<'a>(SamplesInner<'a>);

enum SamplesInner<'a> {
    One(Fuse<PartSamples<'a>>),
    Chain(Fuse<ChainSamples<Fuse<PartSamples<'a>>>>),
}

impl Iterator for Samples<'_> {
    type Item = Result<(i64, f64)>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            SamplesInner::One(it) => it.next(),
            SamplesInner::Chain(it) => it.next(),
        }
    }
}
