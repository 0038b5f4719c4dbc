//! The index file: header, TOC, symbols, every series entry, the postings offset table and
//! every postings list, and the agreement between postings and series.
//!
//! The walk is independent of `tsblock::index` (which checks lazily and stops at the first
//! error): series entries are found by scanning the series section, not through postings,
//! so an entry that no postings list mentions is still checked.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use tsblock::decode::{crc32c, Cursor};
use tsblock::error::DecodeError;
use tsblock::format::{ChunkMeta, ChunkRef, INDEX_HEADER_LEN, INDEX_MAGIC, TOC_LEN};
use tsblock::storage::{Access, Bytes};

use super::{ProblemKind, Sink};

const FILE: &str = "index";

/// Postings refs listed in one problem message before "…".
const LIST_REFS: usize = 8;

/// One decoded series entry.
pub(crate) struct SeriesInfo {
    /// Series ref (offset / 16).
    pub(crate) r: u32,
    /// File offset of the entry.
    pub(crate) offset: u64,
    /// (name, value) symbol ordinals.
    labels: Vec<(u32, u32)>,
    /// Chunk metas in entry order.
    pub(crate) chunks: Vec<ChunkMeta>,
}

/// What the index walk established.
pub(crate) struct IndexFacts {
    data: Bytes,
    /// File ranges of the symbols, when the symbol table is usable.
    symbols: Option<Vec<(usize, usize)>>,
    /// Series entries that decoded, in file order.
    pub(crate) series: Vec<SeriesInfo>,
    /// Refs of every entry found, including damaged ones, sorted.
    pub(crate) all_refs: Vec<u32>,
    /// Every entry of the series section decoded.
    pub(crate) complete: bool,
}

impl IndexFacts {
    fn symbol(&self, ord: u32) -> Option<&[u8]> {
        let &(s, e) = self.symbols.as_ref()?.get(ord as usize)?;
        self.data.get(s..e)
    }

    /// `{name="value", …}` of a series, for messages.
    pub(crate) fn labels_string(&self, s: &SeriesInfo) -> String {
        if self.symbols.is_none() {
            return format!("series ref {}", s.r);
        }
        let pairs: Vec<(&[u8], &[u8])> = s
            .labels
            .iter()
            .map(|&(n, v)| {
                (
                    self.symbol(n).unwrap_or(b"?"),
                    self.symbol(v).unwrap_or(b"?"),
                )
            })
            .collect();
        let mut out = Vec::new();
        tsblock::promtext::write_labels(&mut out, pairs);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Whether `r` is the ref of an entry of the series section.
    pub(crate) fn has_series(&self, r: u64) -> bool {
        u32::try_from(r).is_ok_and(|r| self.all_refs.binary_search(&r).is_ok())
    }
}

/// The TOC's section offsets.
#[derive(Clone, Copy)]
struct Toc {
    symbols: u64,
    series: u64,
    label_indices: u64,
    label_offset_table: u64,
    postings: u64,
    postings_table: u64,
}

fn describe(e: &DecodeError) -> (ProblemKind, String) {
    use tsblock::error::Corruption;
    let kind = match e.kind {
        Corruption::Truncated { .. } => ProblemKind::Truncated,
        Corruption::OutOfBounds { .. } => ProblemKind::Bounds,
        Corruption::Checksum { .. } => ProblemKind::Checksum,
        _ => ProblemKind::Structure,
    };
    (kind, format!("{} (at offset {})", e.kind, e.offset))
}

/// Report a decode error of the object at `at`.
fn decode_problem(sink: &mut Sink, file: &str, at: u64, what: &str, e: &DecodeError) {
    let (kind, msg) = describe(e);
    sink.at(file, at, kind, format!("{what}: {msg}"));
}

/// `len u32 | body | CRC32C(body)` at `at`, inside `limit`. Reports and returns `None` when
/// the frame does not fit; reports a CRC mismatch and still returns the body.
fn framed<'a>(
    file: &'a [u8],
    at: u64,
    limit: u64,
    what: &str,
    sink: &mut Sink,
) -> Option<(&'a [u8], u64)> {
    let region = file.get(..usize::try_from(limit).ok()?).unwrap_or(file);
    let r = (|| {
        let mut c = Cursor::at(region, at)?;
        let len = c.be32()?;
        let body_at = c.offset();
        let body = c.bytes_u64(u64::from(len))?;
        let stored = c.be32()?;
        Ok::<_, DecodeError>((body, body_at, stored))
    })();
    match r {
        Ok((body, body_at, stored)) => {
            let computed = crc32c(body);
            if computed != stored {
                sink.at(
                    FILE,
                    at,
                    ProblemKind::Checksum,
                    format!("{what}: checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"),
                );
            }
            Some((body, body_at))
        }
        Err(e) => {
            sink.at(
                FILE,
                at,
                ProblemKind::Truncated,
                format!(
                    "{what} does not fit before offset {limit}: {}",
                    describe(&e).1
                ),
            );
            None
        }
    }
}

fn align(p: u64, to: u64) -> Option<u64> {
    p.checked_add(to - 1).map(|x| x / to * to)
}

/// The frames found by walking a section of 4-byte aligned `len | body | CRC` frames.
struct Frames<'a> {
    /// Frame offset → (body, body offset).
    found: HashMap<u64, (&'a [u8], u64)>,
    /// Frame offsets in file order.
    order: Vec<u64>,
    /// Frames before this offset were all found.
    walked_to: u64,
}

/// Walk `[start, end)`: zero padding to 4-byte boundaries, then frames, checking each CRC.
fn walk_frames<'a>(
    file: &'a [u8],
    start: u64,
    end: u64,
    what: &str,
    sink: &mut Sink,
) -> Frames<'a> {
    let mut f = Frames {
        found: HashMap::new(),
        order: Vec::new(),
        walked_to: start,
    };
    let mut p = start;
    while p < end {
        let Some(aligned) = align(p, 4) else { break };
        let pad = file
            .get(p as usize..aligned.min(end) as usize)
            .unwrap_or_default();
        if pad.iter().any(|&b| b != 0) {
            sink.at(
                FILE,
                p,
                ProblemKind::Structure,
                format!("non-zero padding before a {what}"),
            );
        }
        if aligned >= end {
            p = end;
            break;
        }
        match framed(file, aligned, end, what, sink) {
            Some((body, body_at)) => {
                f.found.insert(aligned, (body, body_at));
                f.order.push(aligned);
                p = body_at + body.len() as u64 + 4;
            }
            None => {
                // framed() reported it; nothing after this can be found by walking.
                p = aligned;
                break;
            }
        }
    }
    f.walked_to = p;
    f
}

fn read_toc(file: &[u8], sink: &mut Sink) -> Option<(Toc, u64)> {
    let toc_start = file.len().checked_sub(TOC_LEN)?;
    let body = file.get(toc_start..toc_start + TOC_LEN - 4)?;
    let stored = file
        .get(toc_start + TOC_LEN - 4..)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes)?;
    let at = toc_start as u64;
    let computed = crc32c(body);
    if computed != stored {
        sink.at(
            FILE,
            at,
            ProblemKind::Checksum,
            format!("TOC: checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"),
        );
        return None;
    }
    let mut v = [0u64; 6];
    for (slot, b) in v.iter_mut().zip(body.chunks_exact(8)) {
        *slot = u64::from_be_bytes(b.try_into().unwrap_or_default());
    }
    let [symbols, series, label_indices, label_offset_table, postings, postings_table] = v;
    let toc = Toc {
        symbols,
        series,
        label_indices,
        label_offset_table,
        postings,
        postings_table,
    };
    // File order: symbols, series, [label indices], postings, [label offset table],
    // postings offset table, TOC. Absent sections are 0; Prometheus ≥ 3.7 sets the label
    // offset table to the postings offset table.
    let order = [
        ("symbols", symbols, true),
        ("series", series, true),
        ("label indices", label_indices, false),
        ("postings", postings, true),
        ("label offset table", label_offset_table, false),
        ("postings offset table", postings_table, true),
    ];
    let mut prev: (&str, u64) = ("index header", INDEX_HEADER_LEN as u64);
    let mut ok = true;
    for (what, off, required) in order {
        if off == 0 && !required {
            continue;
        }
        if off < prev.1 || off >= at {
            sink.at(
                FILE,
                at,
                ProblemKind::Bounds,
                format!(
                    "TOC: {what} offset {off} is not between the {} ({}) and the TOC ({at})",
                    prev.0, prev.1
                ),
            );
            ok = false;
        }
        prev = (what, off);
    }
    ok.then_some((toc, at))
}

/// Check the index at `path`. `None` when the file is too damaged to find series in.
pub(crate) fn verify_index(path: &Path, sink: &mut Sink) -> Option<IndexFacts> {
    let data = match Bytes::map_file(path, Access::Normal) {
        Ok(d) => d,
        Err(e) => {
            sink.add(FILE, None, ProblemKind::Io, format!("cannot read: {e}"));
            return None;
        }
    };
    let file: &[u8] = &data;
    let mut c = Cursor::new(file, 0);
    let header = (|| Ok::<_, DecodeError>((c.be32()?, c.u8()?)))();
    match header {
        Err(_) => {
            sink.at(
                FILE,
                0,
                ProblemKind::Truncated,
                format!("{} bytes, too short for an index header", file.len()),
            );
            return None;
        }
        Ok((magic, _)) if magic != INDEX_MAGIC => {
            sink.at(
                FILE,
                0,
                ProblemKind::Structure,
                format!("bad magic {magic:#010x}, expected {INDEX_MAGIC:#010x}"),
            );
            return None;
        }
        Ok((_, v)) if v != 2 && v != 3 => {
            sink.at(
                FILE,
                4,
                ProblemKind::Unsupported,
                format!("index version {v} (only 2 and 3 can be verified)"),
            );
            return None;
        }
        Ok(_) => {}
    }
    if file.len() < INDEX_HEADER_LEN + TOC_LEN {
        sink.at(
            FILE,
            0,
            ProblemKind::Truncated,
            format!("{} bytes, too short for header and TOC", file.len()),
        );
        return None;
    }
    let (toc, toc_start) = read_toc(file, sink)?;

    let symbols = verify_symbols(file, toc.symbols, toc.series, sink);
    let sym = |ord: u32| -> Option<&[u8]> {
        let &(s, e) = symbols.as_ref()?.get(ord as usize)?;
        file.get(s..e)
    };

    // The series section ends where the next present section starts.
    let series_end = [
        toc.label_indices,
        toc.postings,
        toc.label_offset_table,
        toc.postings_table,
    ]
    .into_iter()
    .find(|&o| o != 0)
    .unwrap_or(toc_start);
    let walk = walk_series(file, toc.series, series_end, &sym, symbols.is_some(), sink);

    let postings_end = if toc.label_offset_table != 0 {
        toc.label_offset_table
    } else {
        toc.postings_table
    };
    if toc.label_indices != 0 {
        let end = if toc.postings != 0 {
            toc.postings
        } else {
            postings_end
        };
        verify_label_indices(file, &toc, end, sink);
    }
    verify_postings(
        file,
        &toc,
        postings_end,
        toc_start,
        &walk,
        symbols.is_some(),
        sink,
    );

    let SeriesWalk {
        series,
        mut all_refs,
        complete,
        ..
    } = walk;
    all_refs.sort_unstable();
    Some(IndexFacts {
        data: data.clone(),
        symbols,
        series,
        all_refs,
        complete,
    })
}

/// Check the symbol table; the file range of every symbol when it is usable.
fn verify_symbols(
    file: &[u8],
    at: u64,
    limit: u64,
    sink: &mut Sink,
) -> Option<Vec<(usize, usize)>> {
    let (body, body_at) = framed(file, at, limit, "symbol table", sink)?;
    let mut c = Cursor::new(body, body_at);
    let r = (|| {
        let count = c.be32()?;
        if count as usize > c.remaining() {
            return Err(c.error(tsblock::error::Corruption::Invalid(
                "symbol count exceeds the table",
            )));
        }
        let mut out = Vec::with_capacity(count as usize);
        let mut prev: Option<&[u8]> = None;
        let mut order_ok = true;
        for i in 0..count {
            let s_at = c.offset();
            let s = c.uvarint_bytes()?;
            if order_ok && prev.is_some_and(|p| p >= s) {
                order_ok = false;
                sink.at(
                    FILE,
                    s_at,
                    ProblemKind::Order,
                    format!(
                        "symbol {i} {:?} is not after the previous one",
                        String::from_utf8_lossy(s)
                    ),
                );
            }
            prev = Some(s);
            let end = c.offset() as usize;
            out.push((end - s.len(), end));
        }
        Ok(out)
    })();
    match r {
        Ok(v) => {
            if !c.is_empty() {
                sink.at(
                    FILE,
                    at,
                    ProblemKind::Structure,
                    format!(
                        "symbol table has {} bytes after its last symbol",
                        c.remaining()
                    ),
                );
            }
            Some(v)
        }
        Err(e) => {
            decode_problem(sink, FILE, at, "symbol table", &e);
            None
        }
    }
}

/// A (name, value) pair as bytes of the index.
type LabelPair<'a> = (&'a [u8], &'a [u8]);

struct SeriesWalk<'a> {
    series: Vec<SeriesInfo>,
    all_refs: Vec<u32>,
    /// Refs whose entries are damaged: postings may mention them without a complaint.
    damaged: HashSet<u32>,
    /// Expected postings per (name, value), built from the decoded entries.
    expected: HashMap<(&'a [u8], &'a [u8]), Vec<u32>>,
    complete: bool,
}

/// A decoded series entry body: label symbol pairs and chunk metas.
type Body = (Vec<(u32, u32)>, Vec<ChunkMeta>);

fn parse_body(body: &[u8], body_at: u64) -> Result<Body, DecodeError> {
    use tsblock::error::Corruption;
    let mut c = Cursor::new(body, body_at);
    let n_labels = c.uvarint()?;
    if n_labels > c.remaining() as u64 / 2 {
        return Err(c.error(Corruption::Invalid("label count exceeds the entry")));
    }
    let mut labels = Vec::with_capacity(n_labels as usize);
    for _ in 0..n_labels {
        labels.push((c.uvarint32()?, c.uvarint32()?));
    }
    let n_chunks = c.uvarint()?;
    if n_chunks > c.remaining() as u64 / 3 {
        return Err(c.error(Corruption::Invalid("chunk count exceeds the entry")));
    }
    let mut chunks: Vec<ChunkMeta> = Vec::with_capacity(n_chunks as usize);
    for _ in 0..n_chunks {
        let meta = match chunks.last() {
            None => {
                let min_time = c.varint()?;
                let max_time = min_time.wrapping_add(c.uvarint()? as i64);
                ChunkMeta {
                    min_time,
                    max_time,
                    chunk: ChunkRef(c.uvarint()?),
                }
            }
            Some(p) => {
                let min_time = p.max_time.wrapping_add(c.uvarint()? as i64);
                let max_time = min_time.wrapping_add(c.uvarint()? as i64);
                let chunk = ChunkRef(p.chunk.0.wrapping_add(c.varint()? as u64));
                ChunkMeta {
                    min_time,
                    max_time,
                    chunk,
                }
            }
        };
        chunks.push(meta);
    }
    if !c.is_empty() {
        return Err(c.error(Corruption::Invalid("bytes after the last chunk meta")));
    }
    Ok((labels, chunks))
}

/// The series entry at `at`: `(body, body offset, stored CRC, end offset)`.
fn read_entry(region: &[u8], at: u64) -> Result<(&[u8], u64, u32, u64), DecodeError> {
    let mut c = Cursor::at(region, at)?;
    let len = c.uvarint32()?;
    let body_at = c.offset();
    let body = c.bytes(len as usize)?;
    let stored = c.be32()?;
    Ok((body, body_at, stored, c.offset()))
}

/// After a damaged entry at `at`: the next 16-byte aligned offset where an entry with a
/// valid CRC starts, or `end`. (A random position passing a CRC check is a 2^-32 event.)
fn resync(region: &[u8], at: u64, end: u64) -> u64 {
    let mut q = at.saturating_add(16);
    while q < end {
        if let Ok((body, _, stored, _)) = read_entry(region, q) {
            if crc32c(body) == stored {
                return q;
            }
        }
        q = q.saturating_add(16);
    }
    end
}

fn walk_series<'a>(
    file: &'a [u8],
    start: u64,
    end: u64,
    sym: &dyn Fn(u32) -> Option<&'a [u8]>,
    have_symbols: bool,
    sink: &mut Sink,
) -> SeriesWalk<'a> {
    let mut w = SeriesWalk {
        series: Vec::new(),
        all_refs: Vec::new(),
        damaged: HashSet::new(),
        expected: HashMap::new(),
        complete: true,
    };
    let Some(region) = usize::try_from(end).ok().and_then(|e| file.get(..e)) else {
        w.complete = false;
        return w;
    };
    let mut prev_labels: Option<Vec<(&[u8], &[u8])>> = None;
    let mut p = start;
    while p < end {
        let Some(aligned) = align(p, 16) else { break };
        let pad_end = aligned.min(end);
        let pad = region.get(p as usize..pad_end as usize).unwrap_or_default();
        if pad.iter().any(|&b| b != 0) {
            sink.at(
                FILE,
                p,
                ProblemKind::Structure,
                "non-zero padding before a series entry",
            );
        }
        if aligned >= end {
            break;
        }
        let at = aligned;
        let Ok(r) = u32::try_from(at / 16) else {
            sink.at(
                FILE,
                at,
                ProblemKind::Bounds,
                "series entry beyond 64 GiB: its ref does not fit in 32 bits",
            );
            w.complete = false;
            break;
        };
        w.all_refs.push(r);
        let entry = read_entry(region, at);
        let (body, body_at, stored, next) = match entry {
            Ok(x) => x,
            Err(e) => {
                let (kind, msg) = describe(&e);
                sink.at(
                    FILE,
                    at,
                    kind,
                    format!(
                        "series entry (ref {r}) does not fit in the series section ending at {end}: {msg}"
                    ),
                );
                w.damaged.insert(r);
                w.complete = false;
                p = resync(region, at, end);
                continue;
            }
        };
        p = next;
        let computed = crc32c(body);
        if computed != stored {
            sink.at(
                FILE,
                at,
                ProblemKind::Checksum,
                format!("series entry (ref {r}): checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"),
            );
            w.damaged.insert(r);
            w.complete = false;
            // The length may be what is damaged: continue at the next intact entry.
            p = resync(region, at, end);
            continue;
        }
        let (labels, chunks) = match parse_body(body, body_at) {
            Ok(x) => x,
            Err(e) => {
                decode_problem(sink, FILE, at, &format!("series entry (ref {r})"), &e);
                w.damaged.insert(r);
                w.complete = false;
                continue;
            }
        };
        // Without a usable symbol table only the chunk metas can be checked.
        if !have_symbols {
            w.series.push(SeriesInfo {
                r,
                offset: at,
                labels,
                chunks,
            });
            continue;
        }
        // Labels: symbols exist, names non-empty and strictly increasing, values non-empty.
        let mut strings: Vec<(&[u8], &[u8])> = Vec::with_capacity(labels.len());
        for &(n, v) in &labels {
            if let (Some(name), Some(value)) = (sym(n), sym(v)) {
                strings.push((name, value));
            } else {
                sink.at(
                    FILE,
                    at,
                    ProblemKind::Bounds,
                    format!("series entry (ref {r}): label symbol reference {n}={v} is not in the symbol table"),
                );
                break;
            }
        }
        if strings.len() != labels.len() {
            w.damaged.insert(r);
            w.complete = false;
            continue;
        }
        let shown = {
            let mut out = Vec::new();
            tsblock::promtext::write_labels(&mut out, strings.iter().copied());
            String::from_utf8_lossy(&out).into_owned()
        };
        if labels.is_empty() {
            sink.at(
                FILE,
                at,
                ProblemKind::Structure,
                format!("series entry (ref {r}) has no labels"),
            );
        }
        for (i, &(name, value)) in strings.iter().enumerate() {
            if name.is_empty() {
                sink.at(
                    FILE,
                    at,
                    ProblemKind::Structure,
                    format!("series {shown} (ref {r}) has an empty label name"),
                );
            }
            if value.is_empty() {
                sink.at(
                    FILE,
                    at,
                    ProblemKind::Structure,
                    format!(
                        "series {shown} (ref {r}) has an empty value for label {:?}",
                        String::from_utf8_lossy(name)
                    ),
                );
            }
            if i > 0 && strings.get(i - 1).is_some_and(|&(pn, _)| pn >= name) {
                sink.at(
                    FILE,
                    at,
                    ProblemKind::Order,
                    format!("series {shown} (ref {r}): label names are not sorted and unique"),
                );
            }
        }
        if let Some(prev) = &prev_labels {
            if *prev >= strings {
                let mut out = Vec::new();
                tsblock::promtext::write_labels(&mut out, prev.iter().copied());
                sink.at(
                    FILE,
                    at,
                    ProblemKind::Order,
                    format!(
                        "series {shown} (ref {r}) does not sort after the previous entry {}",
                        String::from_utf8_lossy(&out)
                    ),
                );
            }
        }
        // Chunk metas: ordered, not overlapping, refs increasing.
        for (i, pair) in chunks.windows(2).enumerate() {
            if let [a, b] = pair {
                if b.min_time <= a.max_time {
                    sink.at(
                        FILE,
                        at,
                        ProblemKind::ChunkTime,
                        format!(
                            "series {shown} (ref {r}): chunk {} [{}, {}] overlaps or precedes chunk {i} [{}, {}]",
                            i + 1,
                            b.min_time,
                            b.max_time,
                            a.min_time,
                            a.max_time
                        ),
                    );
                }
                if b.chunk.0 <= a.chunk.0 {
                    sink.at(
                        FILE,
                        at,
                        ProblemKind::Order,
                        format!(
                            "series {shown} (ref {r}): chunk {} ref {:#x} is not after chunk {i} ref {:#x}",
                            i + 1,
                            b.chunk.0,
                            a.chunk.0
                        ),
                    );
                }
            }
        }
        for (i, m) in chunks.iter().enumerate() {
            if m.min_time > m.max_time {
                sink.at(
                    FILE,
                    at,
                    ProblemKind::ChunkTime,
                    format!(
                        "series {shown} (ref {r}): chunk {i} min time {} is after its max time {}",
                        m.min_time, m.max_time
                    ),
                );
            }
        }
        for &pair in &strings {
            w.expected.entry(pair).or_default().push(r);
        }
        prev_labels = Some(strings);
        w.series.push(SeriesInfo {
            r,
            offset: at,
            labels,
            chunks,
        });
    }
    w
}

/// Render a few refs for a message.
fn some_refs(refs: &[u32]) -> String {
    let mut s: Vec<String> = refs.iter().take(LIST_REFS).map(u32::to_string).collect();
    if refs.len() > LIST_REFS {
        s.push(format!("… ({} in all)", refs.len()));
    }
    s.join(", ")
}

/// Sorted `a` minus sorted `b`, ignoring refs in `skip`.
fn minus(a: &[u32], b: &[u32], skip: &HashSet<u32>) -> Vec<u32> {
    let set: HashSet<u32> = b.iter().copied().collect();
    a.iter()
        .copied()
        .filter(|r| !set.contains(r) && !skip.contains(r))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn verify_postings<'a>(
    file: &'a [u8],
    toc: &Toc,
    postings_end: u64,
    toc_start: u64,
    walk: &SeriesWalk<'a>,
    symbols_ok: bool,
    sink: &mut Sink,
) {
    let at = toc.postings_table;
    let Some((body, body_at)) = framed(file, at, toc_start, "postings offset table", sink) else {
        return;
    };
    let mut c = Cursor::new(body, body_at);
    let Ok(n) = c.be32() else {
        sink.at(
            FILE,
            at,
            ProblemKind::Truncated,
            "postings offset table has no entry count",
        );
        return;
    };
    if u64::from(n) > c.remaining() as u64 / 4 {
        sink.at(
            FILE,
            at,
            ProblemKind::Structure,
            format!(
                "postings offset table claims {n} entries in {} bytes",
                c.remaining()
            ),
        );
        return;
    }
    let lists = walk_frames(file, toc.postings, postings_end, "postings list", sink);
    let mut referenced: HashSet<u64> = HashSet::new();
    let all_series: Vec<u32> = walk.series.iter().map(|s| s.r).collect();
    let known: HashSet<u32> = walk.all_refs.iter().copied().collect();
    let mut seen: HashSet<(&[u8], &[u8])> = HashSet::new();
    let mut prev: Option<(&[u8], &[u8])> = None;
    let mut table_complete = true;
    for i in 0..n {
        let e_at = c.offset();
        let entry = (|| {
            let fields = c.uvarint()?;
            let name = c.uvarint_bytes()?;
            let value = c.uvarint_bytes()?;
            let off = c.uvarint()?;
            Ok::<_, DecodeError>((fields, name, value, off))
        })();
        let (fields, name, value, off) = match entry {
            Ok(x) => x,
            Err(e) => {
                decode_problem(
                    sink,
                    FILE,
                    e_at,
                    &format!("postings offset table entry {i}"),
                    &e,
                );
                table_complete = false;
                break;
            }
        };
        let key = (name, value);
        let shown = format!(
            "{}={:?}",
            String::from_utf8_lossy(name),
            String::from_utf8_lossy(value)
        );
        if fields != 2 {
            sink.at(
                FILE,
                e_at,
                ProblemKind::Structure,
                format!("postings offset table entry {i} ({shown}) has {fields} key fields, not 2"),
            );
        }
        if i == 0 && key != (&b""[..], &b""[..]) {
            sink.at(
                FILE,
                e_at,
                ProblemKind::Structure,
                format!("postings offset table starts with {shown}, not the all-postings key (\"\", \"\")"),
            );
        }
        if prev.is_some_and(|p| p >= key) {
            sink.at(
                FILE,
                e_at,
                ProblemKind::Order,
                format!(
                    "postings offset table entry {i} ({shown}) is not after the previous entry"
                ),
            );
        }
        prev = Some(key);
        seen.insert(key);
        // The list itself.
        if off < toc.postings || off >= postings_end || off % 4 != 0 {
            sink.at(
                FILE,
                e_at,
                ProblemKind::Bounds,
                format!(
                    "postings list offset {off} of {shown} is not a 4-byte aligned offset in the postings section [{}, {postings_end})",
                    toc.postings
                ),
            );
            continue;
        }
        let what = format!("postings list of {shown}");
        referenced.insert(off);
        let list = match lists.found.get(&off) {
            Some(&found) => Some(found),
            None if off >= lists.walked_to => framed(file, off, postings_end, &what, sink),
            None => {
                sink.at(
                    FILE,
                    e_at,
                    ProblemKind::Bounds,
                    format!("postings offset table entry {i} ({shown}) points at offset {off}, where no postings list starts"),
                );
                None
            }
        };
        let Some((list, list_at)) = list else {
            continue;
        };
        let refs = match parse_postings(list, list_at) {
            Ok(refs) => refs,
            Err((kind, o, msg)) => {
                sink.at(FILE, off, kind, format!("{what}: {msg} (at offset {o})"));
                continue;
            }
        };
        let unknown: Vec<u32> = refs
            .iter()
            .copied()
            .filter(|r| !known.contains(r))
            .collect();
        if !unknown.is_empty() {
            sink.at(
                FILE,
                off,
                ProblemKind::Postings,
                format!(
                    "{what} lists refs that are not series entries: {}",
                    some_refs(&unknown)
                ),
            );
        }
        let expected: &[u32] = if key == (&b""[..], &b""[..]) {
            &all_series
        } else {
            walk.expected.get(&key).map_or(&[], Vec::as_slice)
        };
        if !symbols_ok {
            continue;
        }
        let missing = minus(expected, &refs, &walk.damaged);
        if !missing.is_empty() {
            sink.at(
                FILE,
                off,
                ProblemKind::Postings,
                format!(
                    "{what} lacks series that have that label pair: refs {}",
                    some_refs(&missing)
                ),
            );
        }
        let extra: Vec<u32> = minus(&refs, expected, &walk.damaged)
            .into_iter()
            .filter(|r| known.contains(r))
            .collect();
        if !extra.is_empty() {
            sink.at(
                FILE,
                off,
                ProblemKind::Postings,
                format!(
                    "{what} lists series that do not have that label pair: refs {}",
                    some_refs(&extra)
                ),
            );
        }
    }
    if table_complete && !c.is_empty() {
        sink.at(
            FILE,
            at,
            ProblemKind::Structure,
            format!(
                "postings offset table has {} bytes after its last entry",
                c.remaining()
            ),
        );
    }
    if !table_complete {
        return;
    }
    for off in &lists.order {
        if !referenced.contains(off) {
            sink.at(
                FILE,
                *off,
                ProblemKind::Postings,
                "postings list is not referenced by the postings offset table",
            );
        }
    }
    if !symbols_ok {
        return;
    }
    if !seen.contains(&(&b""[..], &b""[..])) && !walk.series.is_empty() {
        sink.at(
            FILE,
            at,
            ProblemKind::Postings,
            "postings offset table has no all-postings entry (\"\", \"\")",
        );
    }
    let mut absent: Vec<(&LabelPair<'_>, &Vec<u32>)> = walk
        .expected
        .iter()
        .filter(|(k, _)| !seen.contains(*k))
        .collect();
    absent.sort();
    for ((name, value), refs) in absent {
        sink.at(
            FILE,
            at,
            ProblemKind::Postings,
            format!(
                "postings offset table has no entry for {}={:?}, a label pair of series refs {}",
                String::from_utf8_lossy(name),
                String::from_utf8_lossy(value),
                some_refs(refs)
            ),
        );
    }
}

/// Decode a postings list body: count, length rule, strictly increasing refs.
fn parse_postings(body: &[u8], at: u64) -> Result<Vec<u32>, (ProblemKind, u64, String)> {
    let mut c = Cursor::new(body, at);
    let n = c
        .be32()
        .map_err(|e| (ProblemKind::Truncated, e.offset, "no count".to_owned()))?;
    if body.len() as u64 != 4 + 4 * u64::from(n) {
        return Err((
            ProblemKind::Structure,
            at,
            format!("length {} does not match count {n} (4 + 4n)", body.len()),
        ));
    }
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let r_at = c.offset();
        let r = c
            .be32()
            .map_err(|e| (ProblemKind::Truncated, e.offset, e.kind.to_string()))?;
        if out.last().is_some_and(|&p| p >= r) {
            return Err((
                ProblemKind::Order,
                r_at,
                format!("ref {i} ({r}) is not greater than the previous one"),
            ));
        }
        out.push(r);
    }
    Ok(out)
}

/// Legacy label indices (written up to Prometheus 3.6, never read) and the label offset
/// table: framing, CRCs, counts, and that the table points at the label indices.
fn verify_label_indices(file: &[u8], toc: &Toc, end: u64, sink: &mut Sink) {
    let frames = walk_frames(file, toc.label_indices, end, "label index", sink);
    for &at in &frames.order {
        let Some(&(body, body_at)) = frames.found.get(&at) else {
            continue;
        };
        let mut c = Cursor::new(body, body_at);
        let ok = match (c.be32(), c.be32()) {
            (Ok(names), Ok(entries)) => {
                u64::from(names) * u64::from(entries) * 4 + 8 == body.len() as u64
            }
            _ => false,
        };
        if !ok {
            sink.at(
                FILE,
                at,
                ProblemKind::Structure,
                "label index: length does not match its name and entry counts",
            );
        }
    }
    let lot = toc.label_offset_table;
    if lot == 0 || lot == toc.postings_table {
        return;
    }
    let what = "label offset table";
    let Some((body, body_at)) = framed(file, lot, toc.postings_table, what, sink) else {
        return;
    };
    let mut c = Cursor::new(body, body_at);
    let r = (|| {
        let n = c.be32()?;
        for _ in 0..n {
            let e_at = c.offset();
            let keys = c.uvarint()?;
            c.uvarint_bytes()?;
            let off = c.uvarint()?;
            if keys != 1 {
                sink.at(
                    FILE,
                    e_at,
                    ProblemKind::Structure,
                    format!("{what} entry has {keys} key fields, not 1"),
                );
            } else if !frames.found.contains_key(&off) && off < frames.walked_to {
                sink.at(
                    FILE,
                    e_at,
                    ProblemKind::Bounds,
                    format!("{what} entry points at offset {off}, where no label index starts"),
                );
            }
        }
        Ok::<_, DecodeError>(())
    })();
    match r {
        Err(e) => decode_problem(sink, FILE, lot, what, &e),
        Ok(()) if !c.is_empty() => sink.at(
            FILE,
            lot,
            ProblemKind::Structure,
            format!("{what} has {} bytes after its last entry", c.remaining()),
        ),
        Ok(()) => {}
    }
}
