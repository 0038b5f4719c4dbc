//! Output plumbing shared by the subcommands: locked, buffered stdout and error text.

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use tsblock::{Db, Series};

/// A large buffer on stdout: dumps write millions of short lines. Not a `StdoutLock`, so
/// the writer can move to the thread that consumes results; each 64 KiB flush locks once.
pub fn stdout() -> BufWriter<Stdout> {
    BufWriter::with_capacity(1 << 16, io::stdout())
}

/// Series per parallel batch: a few per worker keeps every core busy while bounding the
/// formatted text held in memory (a day of 15 s samples is ~0.5 MB of dump text).
pub fn batch_size() -> usize {
    rayon::current_num_threads() * 4
}

/// Whether the error chain ends in a closed pipe (`tsblock dump | head`), which is success.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string().replace('\n', " ");
        // Causes whose text the previous message already includes add nothing.
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Write from a pipeline's consumer. A closed pipe stays recognisable in the error chain.
pub fn write(out: &mut impl Write, bytes: &[u8]) -> tsblock::Result<()> {
    out.write_all(bytes)
        .map_err(|e| tsblock::Error::io("<stdout>", e))
}

/// Flush, treating a closed pipe as the reader's choice rather than an error.
pub fn finish(mut out: impl Write) -> anyhow::Result<()> {
    out.flush()?;
    Ok(())
}

/// What a query read, for `--stats`; shared by the worker threads.
pub struct Stats {
    series: AtomicU64,
    chunks: AtomicU64,
    samples: AtomicU64,
    started: Instant,
}

impl Stats {
    /// Start the clock.
    pub fn start() -> Stats {
        Stats {
            series: AtomicU64::new(0),
            chunks: AtomicU64::new(0),
            samples: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// Count a series and the chunks it will read.
    pub fn series(&self, s: &Series<'_>) {
        self.series.fetch_add(1, Relaxed);
        self.chunks.fetch_add(s.chunk_count() as u64, Relaxed);
    }

    /// Count decoded samples.
    pub fn samples(&self, n: usize) {
        self.samples.fetch_add(n as u64, Relaxed);
    }

    /// One line on stderr.
    pub fn report(&self, db: &Db, mint: i64, maxt: i64) {
        eprintln!(
            "tsblock: stats: blocks {} opened, {} in range; series {}; chunks {}; samples {}; elapsed {:.3}s",
            db.blocks().len(),
            db.blocks_in(mint, maxt).count(),
            self.series.load(Relaxed),
            self.chunks.load(Relaxed),
            self.samples.load(Relaxed),
            self.started.elapsed().as_secs_f64()
        );
    }
}
