//! Output plumbing shared by the subcommands: buffered stdout and error text.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use tsblock::{Db, Series};

/// Standard output as a plain file: a duplicate of descriptor 1, without the line
/// buffering (and its copy of every write) that `io::Stdout` always adds. It can move to
/// the thread that consumes results.
fn stdout_file() -> io::Result<File> {
    Ok(File::from(io::stdout().as_fd().try_clone_to_owned()?))
}

/// Standard output behind a 1 MiB buffer: a write to a file costs a few microseconds
/// on top of its bytes (measured on ext4), so small texts are gathered into large writes.
pub fn stdout() -> io::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(1 << 20, stdout_file()?))
}

/// Texts at least this long are written directly rather than copied into the buffer.
/// (Gathering texts with `writev` instead of copying them doubled the kernel's copy
/// time when measured: it copies from many segments more slowly than from one.)
const DIRECT_WRITE: usize = 1 << 18;

fn stdout_error(e: io::Error) -> tsblock::Error {
    tsblock::Error::io("<stdout>", e)
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
pub fn write<W: Write>(out: &mut BufWriter<W>, bytes: &[u8]) -> tsblock::Result<()> {
    if bytes.len() >= DIRECT_WRITE {
        out.flush().map_err(stdout_error)?;
        out.get_mut().write_all(bytes).map_err(stdout_error)
    } else {
        out.write_all(bytes).map_err(stdout_error)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_small_writes_keep_their_order() {
        let mut out = BufWriter::with_capacity(1 << 10, Vec::new());
        let mut want = Vec::new();
        for (i, len) in [10, DIRECT_WRITE, 3, 700, DIRECT_WRITE + 5, 1]
            .into_iter()
            .enumerate()
        {
            let text = vec![b'a' + i as u8; len];
            write(&mut out, &text).unwrap();
            want.extend_from_slice(&text);
        }
        finish(&mut out).unwrap();
        assert_eq!(out.get_ref(), &want);
    }
}
