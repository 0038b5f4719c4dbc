//! Micro-benchmarks of tsblock's read path (divan): XOR decoding, postings selection,
//! series entries, symbols, and opening blocks.
//!
//! ```text
//! cargo bench -p tsblock-tools                         # everything
//! cargo bench -p tsblock-tools -- xor                  # only benchmarks whose name has "xor"
//! TSBLOCK_BENCH_DIR=/path/to/data cargo bench -p tsblock-tools   # use an existing data dir
//! ```
//!
//! The data dir is made once, at the first run, under cargo's target tmp dir:
//! `tsblock-tools generate --format blocks` (through the library) of 400 series over 24h at
//! a 15s interval, seed 1: about 1.6 M samples in 12 blocks. The generator cuts chunks with
//! promtool's chunk range, so the chunks are the ones `promtool tsdb create-blocks-from
//! openmetrics` writes for the same data. `TSBLOCK_BENCH_DIR` points the benchmarks at any
//! other data dir instead (for example one `tools/bench/run.sh` made with promtool).
//!
//! Per-item numbers: divan prints throughput (items/s) under each time; the XOR and scan
//! benchmarks count samples, so ns/sample = 1e9 / (samples/s). Before divan's table, the
//! bench also prints its own quick median of `xor_decode_batch` in ns/sample on stderr, and
//! the same for the chunks re-encoded with constant values, and with constant values and
//! intervals: with those every branch of the decoder goes one way, so the gap to them is
//! what mispredicted branches cost on the real chunks.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use tsblock::chunkenc::{XorAppender, XorDecoder, XorIter};
use tsblock::format::{ChunkMeta, SeriesRef};
use tsblock::index::SeriesEntry;
use tsblock::{parse_selector, Block, Db};
use tsblock_tools::generate::model::Model;

const SERIES: usize = 400;
const SEED: u64 = 1;
const START: i64 = 1_704_067_200_000;
const DURATION: i64 = 24 * 3600 * 1000;
const INTERVAL: i64 = 15_000;

fn main() {
    let f = fixture();
    eprintln!(
        "bench data: {} ({} blocks; block {} has {} series, {} XOR chunks, {} samples)",
        f.dir.display(),
        f.db.blocks().len(),
        f.block().meta().ulid,
        f.refs.len(),
        f.chunks.len(),
        f.samples
    );
    let as_is = quick_median(&f.chunks, f.samples);
    let values = quick_median(&borrowed(&f.constant_values), f.samples);
    let regular = quick_median(&borrowed(&f.regular), f.samples);
    eprintln!(
        "xor_decode_batch quick median: {as_is:.2} ns/sample \
         (same chunks with constant values: {values:.2}; also with constant intervals: {regular:.2})"
    );
    divan::main();
}

/// ns/sample of [`decode_batch`] over `chunks`, median of 15 runs.
fn quick_median(chunks: &[(&[u8], u64)], samples: u64) -> f64 {
    let mut times: Vec<f64> = (0..15)
        .map(|_| {
            let t = std::time::Instant::now();
            black_box(decode_batch(chunks));
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2] * 1e9 / samples as f64
}

fn borrowed(chunks: &[Vec<u8>]) -> Vec<(&[u8], u64)> {
    chunks.iter().map(|c| (&c[..], 0)).collect()
}

/// The data dir, opened once, and what the benchmarks read from its largest block.
struct Fixture {
    dir: PathBuf,
    db: &'static Db,
    /// Index of the block with the most samples.
    block: usize,
    /// All series refs of that block.
    refs: Vec<u32>,
    /// Its XOR chunks: (data after the encoding byte, file offset of the data).
    chunks: Vec<(&'static [u8], u64)>,
    /// Samples in `chunks`.
    samples: u64,
    /// `chunks` re-encoded with every value 1.0: the same timestamps, and no value bits
    /// but a `0` per sample.
    constant_values: Vec<Vec<u8>>,
    /// `chunks` re-encoded with constant values and intervals: every branch of the decoder
    /// goes the same way, so this is its speed when nothing is mispredicted.
    regular: Vec<Vec<u8>>,
}

impl Fixture {
    fn block(&self) -> &Block {
        &self.db.blocks()[self.block]
    }
}

fn fixture() -> &'static Fixture {
    static DB: OnceLock<(PathBuf, Db)> = OnceLock::new();
    static FIX: OnceLock<Fixture> = OnceLock::new();
    FIX.get_or_init(|| {
        let (dir, db) = DB.get_or_init(|| {
            let dir = data_dir();
            let db = Db::open(&dir).unwrap_or_else(|e| panic!("open {}: {e}", dir.display()));
            assert!(!db.blocks().is_empty(), "no blocks in {}", dir.display());
            (dir, db)
        });
        let block = (0..db.blocks().len())
            .max_by_key(|&i| db.blocks()[i].meta().stats.num_samples)
            .unwrap_or(0);
        let b = &db.blocks()[block];
        let refs = b.index().all_postings().expect("all postings");
        let mut entry = SeriesEntry::default();
        let mut chunks = Vec::new();
        let mut samples = 0u64;
        for &r in &refs {
            b.index().series(SeriesRef(r), &mut entry).expect("series");
            for &ChunkMeta { chunk, .. } in &entry.chunks {
                let raw = b.chunks().chunk(chunk).expect("chunk");
                if raw.encoding != 1 {
                    continue;
                }
                let it = XorIter::new(raw.data, raw.data_offset).expect("xor header");
                samples += u64::from(it.num_samples());
                chunks.push((raw.data, raw.data_offset));
            }
        }
        assert!(samples > 0, "no XOR samples in {}", b.dir().display());
        let constant_values = reencode(&chunks, false);
        let regular = reencode(&chunks, true);
        Fixture {
            dir: dir.clone(),
            db,
            block,
            refs,
            chunks,
            samples,
            constant_values,
            regular,
        }
    })
}

/// `chunks` with every value 1.0 and, if `regular`, the first interval repeated.
fn reencode(chunks: &[(&[u8], u64)], regular: bool) -> Vec<Vec<u8>> {
    chunks
        .iter()
        .map(|&(data, off)| {
            let mut app = XorAppender::new();
            let (mut first, mut step) = (None, 0);
            for (i, s) in XorIter::new(data, off).expect("xor").enumerate() {
                let (mut t, _) = s.expect("decode");
                match first {
                    None => first = Some(t),
                    Some(f) if i == 1 => step = t - f,
                    Some(f) if regular => t = f + step * i as i64,
                    Some(_) => {}
                }
                app.append(t, 1.0);
            }
            app.finish()
        })
        .collect()
}

/// `TSBLOCK_BENCH_DIR`, or the generated dir under the target tmp dir (made if missing).
fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("TSBLOCK_BENCH_DIR") {
        return PathBuf::from(d);
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = base.join(format!("bench-data-s{SERIES}-seed{SEED}"));
    if dir.join(".complete").exists() {
        return dir;
    }
    let tmp = base.join(format!("bench-data-s{SERIES}-seed{SEED}.tmp"));
    let _ = std::fs::remove_dir_all(&tmp);
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("generating bench data into {} …", dir.display());
    let model = Model::new(SEED, SERIES, START, DURATION, INTERVAL);
    tsblock_tools::generate::write_blocks(&model, &tmp, false).expect("generate blocks");
    std::fs::write(tmp.join(".complete"), b"").expect("marker");
    std::fs::rename(&tmp, &dir).expect("rename bench data");
    dir
}

// ---------------------------------------------------------------- XOR chunks

/// Decode every XOR chunk of the largest block in batches (the fastest way).
#[divan::bench]
fn xor_decode_batch(bencher: Bencher) {
    let f = fixture();
    bencher
        .counter(ItemsCount::new(f.samples))
        .bench(|| decode_batch(&f.chunks));
}

/// Decodes into a buffer of 128 samples with `read_into`, as queries do, and reads every
/// sample.
fn decode_batch(chunks: &[(&[u8], u64)]) -> f64 {
    let mut acc = 0.0;
    let mut buf = [(0, 0.0); 128];
    for &(data, off) in chunks {
        let mut dec = XorDecoder::new(data, off).expect("xor");
        while dec.remaining() > 0 {
            let n = dec.read_into(&mut buf).expect("decode");
            for &(t, v) in &buf[..n] {
                acc += v + t as f64;
            }
        }
    }
    black_box(acc)
}

/// The same chunks through the `Iterator` impl (one `Result` per sample).
#[divan::bench]
fn xor_decode_iter(bencher: Bencher) {
    let f = fixture();
    bencher.counter(ItemsCount::new(f.samples)).bench(|| {
        let mut acc = 0.0;
        for &(data, off) in &f.chunks {
            for s in XorIter::new(data, off).expect("xor") {
                let (t, v) = s.expect("decode");
                acc += v + t as f64;
            }
        }
        black_box(acc)
    });
}

/// Series entry → chunk record (bounds + CRC32C) → XOR decode, for every series of the
/// largest block: the per-sample cost of a full scan without merging or formatting.
#[divan::bench]
fn chunk_read_crc_decode(bencher: Bencher) {
    let f = fixture();
    let b = f.block();
    bencher.counter(ItemsCount::new(f.samples)).bench(|| {
        let mut entry = SeriesEntry::default();
        let mut acc = 0.0;
        for &r in &f.refs {
            b.index().series(SeriesRef(r), &mut entry).expect("series");
            for m in &entry.chunks {
                let raw = b.chunks().chunk(m.chunk).expect("chunk");
                if raw.encoding != 1 {
                    continue;
                }
                let mut it = XorIter::new(raw.data, raw.data_offset).expect("xor");
                loop {
                    let batch = it.next_batch().expect("decode");
                    if batch.is_empty() {
                        break;
                    }
                    for &(t, v) in batch {
                        acc += v + t as f64;
                    }
                }
            }
        }
        black_box(acc)
    });
}

/// `Db::select` of every series over the whole range, reading every sample (the library
/// side of a full dump, without formatting).
#[divan::bench(sample_count = 10)]
fn db_full_scan(bencher: Bencher) {
    let f = fixture();
    let total: u64 =
        f.db.blocks()
            .iter()
            .map(|b| b.meta().stats.num_samples)
            .sum();
    bencher.counter(ItemsCount::new(total)).bench(|| {
        let mut n = 0u64;
        for s in f.db.select(&[], i64::MIN, i64::MAX).expect("select") {
            let s = s.expect("series");
            for x in s.samples() {
                let (_t, v) = x.expect("sample");
                black_box(v);
                n += 1;
            }
        }
        n
    });
}

// ---------------------------------------------------------------- postings and matchers

/// Selectors for the selection benchmarks: equality, intersection, regex, negation.
const SELECTORS: &[&str] = &[
    r#"{__name__="up"}"#,
    r#"{__name__="does_not_exist"}"#,
    r#"{job="checkout"}"#,
    r#"{__name__="http_requests_total", job="checkout"}"#,
    r#"{__name__=~"http_.+"}"#,
    r#"{job="payments", code=~"5.."}"#,
    r#"{namespace="shop", job!="checkout"}"#,
    r#"{pod=~"api-gateway-.*-[a-m].*"}"#,
];

/// `Block::select_postings` on the largest block: matchers → sorted series refs.
#[divan::bench(args = SELECTORS)]
fn block_select_postings(bencher: Bencher, selector: &str) {
    let f = fixture();
    let ms = parse_selector(selector).expect("selector");
    let b = f.block();
    bencher.bench(|| b.select_postings(black_box(&ms)).expect("select").len());
}

/// `Db::select` over every block, iterating the merged series (labels only, no samples).
#[divan::bench(args = SELECTORS)]
fn db_select_series(bencher: Bencher, selector: &str) {
    let f = fixture();
    let ms = vec![parse_selector(selector).expect("selector")];
    bencher.bench(|| {
        let mut n = 0usize;
        for s in
            f.db.select(black_box(&ms), i64::MIN, i64::MAX)
                .expect("select")
        {
            black_box(s.expect("series").labels());
            n += 1;
        }
        n
    });
}

// ---------------------------------------------------------------- index

/// `IndexReader::series` for every series of the largest block (labels + chunk metas).
#[divan::bench]
fn series_entry_decode(bencher: Bencher) {
    let f = fixture();
    let ix = f.block().index();
    bencher.counter(ItemsCount::new(f.refs.len())).bench(|| {
        let mut entry = SeriesEntry::default();
        let mut chunks = 0usize;
        for &r in &f.refs {
            ix.series(SeriesRef(r), &mut entry).expect("series");
            chunks += entry.chunks.len();
        }
        black_box(chunks)
    });
}

/// `IndexReader::symbol` for 4096 ordinals spread over the symbol table.
#[divan::bench]
fn symbol_lookup(bencher: Bencher) {
    let ix = fixture().block().index();
    let ords = spread(ix.symbol_count());
    bencher.counter(ItemsCount::new(ords.len())).bench(|| {
        let mut len = 0usize;
        for &o in &ords {
            len += ix.symbol(black_box(o)).expect("symbol").len();
        }
        len
    });
}

/// `IndexReader::find_symbol` for 4096 strings present in the symbol table.
#[divan::bench]
fn find_symbol(bencher: Bencher) {
    let ix = fixture().block().index();
    let strings: Vec<Vec<u8>> = spread(ix.symbol_count())
        .into_iter()
        .map(|o| ix.symbol(o).expect("symbol").to_vec())
        .collect();
    bencher.counter(ItemsCount::new(strings.len())).bench(|| {
        let mut found = 0u32;
        for s in &strings {
            found += ix.find_symbol(black_box(s)).expect("find").unwrap_or(0);
        }
        found
    });
}

/// 4096 ordinals in `0..n`, spread by a multiplicative hash (order not sequential).
fn spread(n: u32) -> Vec<u32> {
    (0..4096u64)
        .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32 % n.max(1))
        .collect()
}

// ---------------------------------------------------------------- open

/// `Block::open` of the largest block: meta.json, index header, TOC, sampled symbol and
/// postings tables, tombstones, segment listing.
#[divan::bench]
fn block_open(bencher: Bencher) {
    let dir = fixture().block().dir().to_owned();
    bencher.bench(|| Block::open(black_box(&dir)).expect("open"));
}

/// `Db::open` of the whole data dir.
#[divan::bench]
fn db_open(bencher: Bencher) {
    let dir = fixture().dir.clone();
    bencher.bench(|| Db::open(black_box(&dir)).expect("open"));
}
