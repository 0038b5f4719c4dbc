//! Chunk segments: headers, every record's framing and CRC, and every chunk meta of the
//! index against the chunk it points at.

use std::collections::HashMap;
use std::path::Path;

use tsblock::chunkenc::{Encoding, XorIter};
use tsblock::decode::{crc32c, Cursor};
use tsblock::error::DecodeError;
use tsblock::format::{SEGMENT_HEADER_LEN, SEGMENT_MAGIC};
use tsblock::storage::{Access, Bytes};

use super::index::IndexFacts;
use super::{ProblemKind, Sink};

/// Longest allowed record length varint (Prometheus reads it as a u32 varint).
const MAX_LEN_VARINT: u64 = 5;

/// A chunk record found by walking a segment.
#[derive(Clone, Copy)]
struct Record {
    encoding: u8,
    /// File range of the chunk data (after the encoding byte).
    data: (usize, usize),
    crc_ok: bool,
}

struct Segment {
    /// `chunks/<name>`.
    file: String,
    /// `None` when the file could not be read or has a bad header.
    data: Option<Bytes>,
    records: HashMap<u32, Record>,
    /// Records before this offset were all found by the walk.
    walked_to: u64,
}

/// What the chunk check established.
pub(crate) struct ChunkStats {
    /// Samples in all chunks the index refers to.
    pub(crate) samples: u64,
    /// Chunks of encodings that are only framed and counted.
    pub(crate) undecoded: u64,
    /// Every chunk meta's chunk was read (so `samples` is the block's count).
    pub(crate) complete: bool,
}

/// Read the record at `at`: `(record, end offset)`, or the error and whether the framing
/// itself (not just the CRC) is broken.
fn read_record(file: &[u8], at: u64) -> Result<(Record, u64), DecodeError> {
    let mut c = Cursor::at(file, at)?;
    let len = c.uvarint32()?;
    let enc_at = c.offset();
    if enc_at - at > MAX_LEN_VARINT {
        return Err(DecodeError::new(
            at,
            tsblock::error::Corruption::VarintOverflow { bits: 32 },
        ));
    }
    let covered = c.bytes(len as usize + 1)?;
    let stored = c.be32()?;
    let start = enc_at as usize;
    Ok((
        Record {
            encoding: covered.first().copied().unwrap_or(0),
            data: (start + 1, start + covered.len()),
            crc_ok: crc32c(covered) == stored,
        },
        c.offset(),
    ))
}

fn open_segment(dir: &Path, name: &str, sink: &mut Sink) -> Segment {
    let file = format!("chunks/{name}");
    let mut seg = Segment {
        file: file.clone(),
        data: None,
        records: HashMap::new(),
        walked_to: 0,
    };
    let data = match Bytes::map_file(&dir.join(&file), Access::Normal) {
        Ok(d) => d,
        Err(e) => {
            sink.add(&file, None, ProblemKind::Io, format!("cannot read: {e}"));
            return seg;
        }
    };
    let bytes: &[u8] = &data;
    let mut c = Cursor::new(bytes, 0);
    match (c.be32(), c.u8()) {
        (Ok(magic), Ok(version)) if bytes.len() >= SEGMENT_HEADER_LEN => {
            if magic != SEGMENT_MAGIC {
                sink.at(
                    &file,
                    0,
                    ProblemKind::Structure,
                    format!("bad magic {magic:#010x}, expected {SEGMENT_MAGIC:#010x}"),
                );
                return seg;
            }
            if bytes
                .get(5..SEGMENT_HEADER_LEN)
                .is_some_and(|p| p.iter().any(|&b| b != 0))
            {
                sink.at(
                    &file,
                    5,
                    ProblemKind::Structure,
                    "non-zero padding in the segment header",
                );
            }
            if version != 1 {
                sink.at(
                    &file,
                    4,
                    ProblemKind::Unsupported,
                    format!("segment version {version}, only 1 is defined"),
                );
                return seg;
            }
        }
        _ => {
            sink.at(
                &file,
                0,
                ProblemKind::Truncated,
                format!("{} bytes, too short for a segment header", bytes.len()),
            );
            return seg;
        }
    }
    let end = bytes.len() as u64;
    let mut p = SEGMENT_HEADER_LEN as u64;
    while p < end {
        match read_record(bytes, p) {
            Ok((rec, next)) => {
                if !rec.crc_ok {
                    sink.at(
                        &file,
                        p,
                        ProblemKind::Checksum,
                        "chunk record: checksum mismatch over encoding and data",
                    );
                }
                if let Ok(off) = u32::try_from(p) {
                    seg.records.insert(off, rec);
                } else {
                    sink.at(
                        &file,
                        p,
                        ProblemKind::Bounds,
                        "chunk record beyond 4 GiB cannot be referenced",
                    );
                }
                p = next;
            }
            Err(e) => {
                sink.at(
                    &file,
                    p,
                    ProblemKind::Truncated,
                    format!(
                        "chunk record does not fit in the segment ({} bytes): {} (at offset {})",
                        end, e.kind, e.offset
                    ),
                );
                break;
            }
        }
    }
    seg.walked_to = p;
    seg.data = Some(data);
    seg
}

/// The numeric files of `<block>/chunks`, in numeric order.
fn segment_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<(u64, String)> = Vec::new();
    for e in std::fs::read_dir(dir.join("chunks"))? {
        let e = e?;
        if let Some(name) = e.file_name().to_str() {
            if let Ok(n) = name.parse::<u64>() {
                names.push((n, name.to_owned()));
            }
        }
    }
    names.sort();
    Ok(names.into_iter().map(|(_, n)| n).collect())
}

/// Sample count from the header of a chunk this crate does not decode.
fn header_count(encoding: Encoding, data: &[u8]) -> Option<u64> {
    let n = u16::from_be_bytes(data.get(..2)?.try_into().ok()?);
    Some(match encoding {
        // The top two bits hold the counter-reset header in the ST histogram encodings.
        Encoding::HistogramSt | Encoding::FloatHistogramSt => u64::from(n & 0x3FFF),
        _ => u64::from(n),
    })
}

/// Decode an XOR chunk: `(samples, first t, last t)`; timestamps must increase.
fn decode_xor(data: &[u8], at: u64) -> Result<(u64, i64, i64), String> {
    let mut it = XorIter::new(data, at).map_err(|e| e.to_string())?;
    let mut n = 0u64;
    let mut first = 0;
    let mut last = 0;
    while let Some((t, _)) = it.next_sample().map_err(|e| e.to_string())? {
        if n > 0 && t <= last {
            return Err(format!(
                "sample {n} at {t} does not come after the previous sample at {last}"
            ));
        }
        if n == 0 {
            first = t;
        }
        last = t;
        n += 1;
    }
    if n == 0 {
        return Err("chunk holds no samples".into());
    }
    Ok((n, first, last))
}

/// Check the chunks of `dir` and every chunk meta of the index against them.
pub(crate) fn verify_chunks(
    dir: &Path,
    facts: &IndexFacts,
    range: Option<(i64, i64)>,
    sink: &mut Sink,
) -> ChunkStats {
    let mut stats = ChunkStats {
        samples: 0,
        undecoded: 0,
        complete: true,
    };
    let mut segments: Vec<Segment> = match segment_names(dir) {
        Ok(names) => names.iter().map(|n| open_segment(dir, n, sink)).collect(),
        Err(e) => {
            sink.add(
                "chunks",
                None,
                ProblemKind::Io,
                format!("cannot list the chunks directory: {e}"),
            );
            Vec::new()
        }
    };
    for s in &facts.series {
        for (i, meta) in s.chunks.iter().enumerate() {
            let who = || format!("series {} (ref {}): chunk {i}", facts.labels_string(s), s.r);
            let seg_no = meta.chunk.segment() as usize;
            let Some(seg) = segments.get_mut(seg_no) else {
                sink.at(
                    "index",
                    s.offset,
                    ProblemKind::Bounds,
                    format!(
                        "{}: ref {:#x} names segment {seg_no}, the block has {} segment file(s)",
                        who(),
                        meta.chunk.0,
                        segments.len()
                    ),
                );
                stats.complete = false;
                continue;
            };
            let Some(data) = seg.data.clone() else {
                stats.complete = false;
                continue;
            };
            let off = meta.chunk.offset();
            let rec = match seg.records.get(&off) {
                Some(r) => Some(*r),
                None if u64::from(off) >= seg.walked_to && off as usize >= SEGMENT_HEADER_LEN => {
                    // Past the point where the walk lost track: read the record directly.
                    match read_record(&data, u64::from(off)) {
                        Ok((r, _)) => {
                            if !r.crc_ok {
                                sink.at(
                                    &seg.file,
                                    u64::from(off),
                                    ProblemKind::Checksum,
                                    "chunk record: checksum mismatch over encoding and data",
                                );
                            }
                            seg.records.insert(off, r);
                            Some(r)
                        }
                        Err(_) => None,
                    }
                }
                None => None,
            };
            let Some(rec) = rec else {
                sink.at(
                    "index",
                    s.offset,
                    ProblemKind::Bounds,
                    format!(
                        "{}: ref {:#x} points at offset {off} of {}, where no chunk record starts",
                        who(),
                        meta.chunk.0,
                        seg.file
                    ),
                );
                stats.complete = false;
                continue;
            };
            if !rec.crc_ok {
                stats.complete = false;
                continue;
            }
            let bytes = data.get(rec.data.0..rec.data.1).unwrap_or_default();
            let at = u64::from(off);
            let (first, last) = match Encoding::try_from(rec.encoding) {
                Ok(Encoding::Xor) => match decode_xor(bytes, rec.data.0 as u64) {
                    Ok((n, first, last)) => {
                        stats.samples += n;
                        if (first, last) != (meta.min_time, meta.max_time) {
                            sink.at(
                                "index",
                                s.offset,
                                ProblemKind::ChunkTime,
                                format!(
                                    "{}: meta says [{}, {}], the chunk's samples span [{first}, {last}]",
                                    who(),
                                    meta.min_time,
                                    meta.max_time
                                ),
                            );
                        }
                        (first, last)
                    }
                    Err(msg) => {
                        sink.at(
                            &seg.file,
                            at,
                            ProblemKind::Chunk,
                            format!("XOR chunk of {}: {msg}", who()),
                        );
                        stats.complete = false;
                        continue;
                    }
                },
                Ok(enc) => match header_count(enc, bytes) {
                    Some(n) => {
                        stats.samples += n;
                        stats.undecoded += 1;
                        (meta.min_time, meta.max_time)
                    }
                    None => {
                        sink.at(
                            &seg.file,
                            at,
                            ProblemKind::Chunk,
                            format!("{enc} chunk of {} has no sample count", who()),
                        );
                        stats.complete = false;
                        continue;
                    }
                },
                Err(e) => {
                    sink.at(&seg.file, at, ProblemKind::Chunk, format!("{}: {e}", who()));
                    stats.complete = false;
                    continue;
                }
            };
            if let Some((min, max)) = range {
                if first < min || last >= max {
                    sink.at(
                        "index",
                        s.offset,
                        ProblemKind::ChunkTime,
                        format!(
                            "{}: samples [{first}, {last}] are outside the block's range [{min}, {max})",
                            who()
                        ),
                    );
                }
            }
        }
    }
    stats
}
