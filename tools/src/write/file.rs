//! Buffered output that knows its position, and fsync helpers.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{Result, WriteError};

/// A file being written: buffered, with the current position tracked.
#[derive(Debug)]
pub(crate) struct Out {
    w: BufWriter<File>,
    pos: u64,
    path: PathBuf,
    sync: bool,
}

impl Out {
    /// Create `path`, which must not exist yet.
    pub(crate) fn create(path: &Path) -> Result<Out> {
        let f = File::options()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| WriteError::io(path, e))?;
        Ok(Out {
            w: BufWriter::with_capacity(1 << 16, f),
            pos: 0,
            path: path.to_owned(),
            sync: true,
        })
    }

    /// Whether [`finish`](Out::finish) fsyncs (default true).
    pub(crate) fn set_sync(&mut self, sync: bool) {
        self.sync = sync;
    }

    /// Bytes written so far.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn write(&mut self, b: &[u8]) -> Result<()> {
        self.w
            .write_all(b)
            .map_err(|e| WriteError::io(&self.path, e))?;
        self.pos = self
            .pos
            .checked_add(b.len() as u64)
            .ok_or(WriteError::TooLarge { what: "file size" })?;
        Ok(())
    }

    pub(crate) fn be32(&mut self, v: u32) -> Result<()> {
        self.write(&v.to_be_bytes())
    }

    pub(crate) fn uvarint(&mut self, v: u64) -> Result<()> {
        let mut buf = [0u8; 10];
        let n = put_uvarint(&mut buf, v);
        self.write(buf.get(..n).unwrap_or_default())
    }

    /// Zero bytes up to the next multiple of `align`.
    pub(crate) fn pad_to(&mut self, align: u64) -> Result<()> {
        let rem = self.pos % align;
        if rem != 0 {
            let zeros = [0u8; 16];
            let mut todo = align - rem;
            while todo > 0 {
                let n = todo.min(16);
                self.write(zeros.get(..n as usize).unwrap_or_default())?;
                todo -= n;
            }
        }
        Ok(())
    }

    /// Flush, fsync (unless turned off) and close; returns the file size.
    pub(crate) fn finish(self) -> Result<u64> {
        let path = self.path;
        let f = self
            .w
            .into_inner()
            .map_err(|e| WriteError::io(&path, e.into_error()))?;
        if self.sync {
            f.sync_all().map_err(|e| WriteError::io(&path, e))?;
        }
        Ok(self.pos)
    }
}

/// Write `v` as a Go uvarint into `buf`; returns the length (at most 10).
pub(crate) fn put_uvarint(buf: &mut [u8; 10], mut v: u64) -> usize {
    let mut i = 0;
    for slot in buf.iter_mut() {
        i += 1;
        if v < 0x80 {
            *slot = v as u8;
            break;
        }
        *slot = (v as u8) | 0x80;
        v >>= 7;
    }
    i
}

/// Append `v` as a Go uvarint.
pub(crate) fn push_uvarint(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 10];
    let n = put_uvarint(&mut buf, v);
    out.extend_from_slice(buf.get(..n).unwrap_or_default());
}

/// Append `v` as a Go (zig-zag) varint.
pub(crate) fn push_varint(out: &mut Vec<u8>, v: i64) {
    push_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Length of `v` as a uvarint.
pub(crate) fn uvarint_len(v: u64) -> u64 {
    let bits = 64 - u64::from((v | 1).leading_zeros());
    bits.div_ceil(7)
}

/// fsync a directory, so that entries created or renamed in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| WriteError::io(dir, e))
}

/// Write a small file in one go and fsync it when `sync`.
pub(crate) fn write_file_synced(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    let mut out = Out::create(path)?;
    out.set_sync(sync);
    out.write(bytes)?;
    out.finish().map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_match_go() {
        let mut v = Vec::new();
        push_uvarint(&mut v, 300);
        assert_eq!(v, [0xac, 0x02]);
        v.clear();
        push_varint(&mut v, -1);
        assert_eq!(v, [0x01]);
        v.clear();
        push_varint(&mut v, i64::MIN);
        assert_eq!(v.len(), 10);
        for x in [0u64, 1, 127, 128, 16383, 16384, u64::MAX] {
            let mut b = Vec::new();
            push_uvarint(&mut b, x);
            assert_eq!(b.len() as u64, uvarint_len(x), "{x}");
        }
    }
}
