//! Carrying out compactions: reading the merged samples, writing the new blocks, retiring
//! the sources, and recovering from an interrupted run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;
use tsblock::db::is_ulid;
use tsblock::format::{BlockMeta, SeriesRef};
use tsblock::index::SeriesEntry;
use tsblock::{Db, Labels};
use ulid::Ulid;

use super::plan::{BlockInfo, Step};
use super::Event;
use crate::write::{BlockDesc, BlockWriter, WrittenBlock};

/// Suffix of a block being written.
pub const TMP_CREATION: &str = ".tmp-for-creation";
/// Suffix of a retired block being deleted.
pub const TMP_DELETION: &str = ".tmp-for-deletion";

/// Series decoded per parallel batch.
const BATCH: usize = 256;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct StatsFile {
    #[serde(default)]
    num_series: u64,
    #[serde(default)]
    num_tombstones: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParentFile {
    ulid: String,
}

#[derive(Deserialize, Default)]
struct CompactionFile {
    #[serde(default)]
    level: u32,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    parents: Vec<ParentFile>,
    #[serde(default)]
    failed: bool,
}

/// The fields of meta.json compaction needs (the reader's `BlockMeta` has no parents or
/// failed flag).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetaFile {
    #[serde(default)]
    stats: StatsFile,
    #[serde(default)]
    compaction: CompactionFile,
}

/// A block of the data dir with its parents.
pub(crate) struct Found {
    pub(crate) info: BlockInfo,
    pub(crate) parents: Vec<String>,
}

/// The blocks of `dir` (ULID directories with a valid meta.json), and the names of
/// directories skipped because their meta.json is unreadable (the reader skips them too).
pub(crate) fn read_blocks(dir: &Path) -> anyhow::Result<(Vec<Found>, Vec<String>)> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let e = e.with_context(|| format!("listing {}", dir.display()))?;
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if is_ulid(&name) && e.file_type().is_ok_and(|t| t.is_dir()) {
            names.push(name);
        }
    }
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let meta = match BlockMeta::read(&path) {
            Ok(m) => m,
            Err(_) => {
                skipped.push(name);
                continue;
            }
        };
        let bytes = std::fs::read(path.join("meta.json"))
            .with_context(|| format!("reading {}/meta.json", path.display()))?;
        let extra: MetaFile = serde_json::from_slice(&bytes)
            .with_context(|| format!("parsing {}/meta.json", path.display()))?;
        found.push(Found {
            info: BlockInfo {
                ulid: name,
                dir: Some(path),
                min_time: meta.min_time,
                max_time: meta.max_time,
                level: extra.compaction.level,
                sources: extra.compaction.sources,
                num_series: extra.stats.num_series,
                num_tombstones: extra.stats.num_tombstones,
                failed: extra.compaction.failed,
            },
            parents: extra
                .compaction
                .parents
                .into_iter()
                .map(|p| p.ulid)
                .collect(),
        });
    }
    Ok((found, skipped))
}

/// Directories left by an interrupted run: `<ULID>.tmp-for-creation` (an unfinished new
/// block) and `<ULID>.tmp-for-deletion` (a retired source).
pub(crate) fn leftovers(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let e = e?;
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let tmp = [TMP_CREATION, TMP_DELETION]
            .iter()
            .any(|s| name.strip_suffix(s).is_some_and(is_ulid));
        if tmp && e.file_type().is_ok_and(|t| t.is_dir()) {
            out.push(e.path());
        }
    }
    out.sort();
    Ok(out)
}

/// Blocks listed as a parent by another block: a compaction wrote its result but was
/// interrupted before it retired its sources. (Prometheus drops them the same way.)
pub(crate) fn superseded(blocks: &[Found]) -> Vec<BlockInfo> {
    let parents: HashSet<&str> = blocks
        .iter()
        .flat_map(|b| b.parents.iter().map(String::as_str))
        .collect();
    blocks
        .iter()
        .filter(|b| parents.contains(b.info.ulid.as_str()))
        .map(|b| b.info.clone())
        .collect()
}

/// fsync a directory, so renames and removals in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))
}

/// Retire blocks: rename each to `<ULID>.tmp-for-deletion` (so no reader loads it any
/// more), make the renames durable, then delete them. Readers that have a block open keep
/// reading it: its files stay mapped until they are unmapped.
pub(crate) fn retire(
    dir: &Path,
    blocks: &[BlockInfo],
    event: &dyn Fn(Event),
) -> anyhow::Result<()> {
    let mut doomed = Vec::new();
    for b in blocks {
        let from = dir.join(&b.ulid);
        let to = dir.join(format!("{}{TMP_DELETION}", b.ulid));
        std::fs::rename(&from, &to).with_context(|| format!("retiring {}", from.display()))?;
        event(Event::SourceRenamed);
        doomed.push(to);
    }
    sync_dir(dir)?;
    for d in doomed {
        std::fs::remove_dir_all(&d).with_context(|| format!("removing {}", d.display()))?;
        event(Event::SourceDeleted);
    }
    sync_dir(dir)
}

/// Remove leftovers of an interrupted run.
pub(crate) fn remove_leftovers(dir: &Path, paths: &[PathBuf]) -> anyhow::Result<()> {
    for p in paths {
        std::fs::remove_dir_all(p).with_context(|| format!("removing {}", p.display()))?;
    }
    if !paths.is_empty() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Refuse blocks whose chunks reach outside their own range: merging them would move or
/// drop those samples. (verify reports such blocks.)
fn check_ranges(db: &Db, groups: &[Step]) -> anyhow::Result<()> {
    let wanted: HashSet<&str> = groups
        .iter()
        .flat_map(|g| g.blocks.iter().map(|b| b.ulid.as_str()))
        .collect();
    let mut entry = SeriesEntry::default();
    for block in db.blocks() {
        let name = block
            .dir()
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        if !wanted.contains(name) {
            continue;
        }
        let (min, max) = (block.meta().min_time, block.meta().max_time);
        let ix = block.index();
        for r in ix.all_postings()? {
            ix.series(SeriesRef(r), &mut entry)?;
            if let Some(c) = entry
                .chunks
                .iter()
                .find(|c| c.min_time < min || c.max_time >= max)
            {
                bail!(
                    "block {} has a chunk [{}, {}] outside its range [{min}, {max}); \
                     run `tsblock-tools verify` on it",
                    block.dir().display(),
                    c.min_time,
                    c.max_time
                );
            }
        }
    }
    Ok(())
}

/// What one merged series contributes.
type Merged = (Labels, Vec<(i64, f64)>);

/// Write the result of each group (disjoint time ranges) in one pass over the data dir.
///
/// The samples are what a query of the whole data dir returns (tombstones applied, one
/// sample per timestamp, conflicting duplicates resolved as the reader and promtool
/// resolve them), cut to each group's `[minTime, maxTime)`. With `whole_dir` the query
/// covers every block and all time, which makes the choice between conflicting
/// duplicates exactly the one `tsblock dump` makes; without, only the groups' range is
/// queried, which is exact when no blocks overlap.
///
/// Each result is written under `<ULID>.tmp-for-creation`, fsynced and renamed into place
/// (by the block writer). A group whose result has no samples writes nothing (`None`).
pub(crate) fn write_groups(
    dir: &Path,
    groups: &[Step],
    whole_dir: bool,
    event: &dyn Fn(Event),
) -> anyhow::Result<Vec<Option<WrittenBlock>>> {
    let db = Db::open(dir).with_context(|| format!("opening {}", dir.display()))?;
    let present: HashSet<String> = db
        .blocks()
        .iter()
        .filter_map(|b| b.dir().file_name()?.to_str().map(str::to_owned))
        .collect();
    for b in groups.iter().flat_map(|g| &g.blocks) {
        if !present.contains(&b.ulid) {
            bail!("block {} disappeared from {}", b.ulid, dir.display());
        }
    }
    check_ranges(&db, groups)?;
    let mut writers = Vec::with_capacity(groups.len());
    for g in groups {
        let mut w = BlockWriter::create(dir, g.min_time(), g.max_time())?;
        let sources = g
            .sources()
            .iter()
            .map(|s| Ulid::from_string(s).with_context(|| format!("source ULID {s:?}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let parents = g
            .blocks
            .iter()
            .map(|b| {
                Ok(BlockDesc {
                    ulid: Ulid::from_string(&b.ulid)
                        .with_context(|| format!("block ULID {:?}", b.ulid))?,
                    min_time: b.min_time,
                    max_time: b.max_time,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        w.set_compaction(g.level(), sources, parents);
        writers.push(w);
    }
    let (mint, maxt) = if whole_dir {
        (i64::MIN, i64::MAX)
    } else {
        let min = groups.iter().map(Step::min_time).min().unwrap_or(0);
        let max = groups.iter().map(Step::max_time).max().unwrap_or(0);
        (min, max.saturating_sub(1))
    };
    let set = db.select(&[], mint, maxt)?;
    let merged = set.par_map(BATCH, |s| -> tsblock::Result<Merged> {
        let samples = s.samples().collect::<tsblock::Result<Vec<_>>>()?;
        Ok((s.labels().clone(), samples))
    });
    for m in merged {
        let (labels, samples) = m?;
        for (g, w) in groups.iter().zip(writers.iter_mut()) {
            let (lo, hi) = (g.min_time(), g.max_time());
            let start = samples.partition_point(|s| s.0 < lo);
            let end = samples.partition_point(|s| s.0 < hi);
            if let Some(part) = samples.get(start..end).filter(|p| !p.is_empty()) {
                w.add_series(&labels, part)?;
            }
        }
        event(Event::Series);
    }
    let mut out = Vec::with_capacity(writers.len());
    for w in writers {
        if w.series_count() == 0 {
            // Dropping the writer removes its temporary directory.
            drop(w);
            out.push(None);
            continue;
        }
        out.push(Some(w.finish()?));
        event(Event::BlockWritten);
    }
    Ok(out)
}
