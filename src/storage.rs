//! Read-only file maps, and the cheap byte view every parser reads from.
//!
//! This is the only module with `unsafe`. The contract that makes it sound:
//! **block files are immutable and are never truncated while tsblock has them open.**
//! Prometheus and tsblock-tools only ever create blocks under a temporary name and rename
//! them into place, and delete whole blocks, which is safe on Linux: an unlinked file stays
//! mapped until it is unmapped. If another program truncates a mapped file anyway, touching
//! the vanished pages raises SIGBUS and the process dies; rewriting bytes in place can make
//! already-checked data change under a reader. Neither happens to real Prometheus blocks.

#![allow(unsafe_code)]

use std::fs::File;
use std::ops::{Deref, Range};
use std::path::Path;
use std::sync::Arc;

use memmap2::{Mmap, MmapOptions};

use crate::error::{Error, Result};

enum Backing {
    Map(Mmap),
    Owned(Vec<u8>),
}

impl Backing {
    fn as_slice(&self) -> &[u8] {
        match self {
            Backing::Map(m) => m,
            Backing::Owned(v) => v,
        }
    }
}

/// A shared, immutable byte range: a whole mapped file, a part of one, or an owned buffer
/// (tests and writers feed those). Cloning is an `Arc` bump; slicing never copies.
#[derive(Clone)]
pub struct Bytes {
    backing: Arc<Backing>,
    range: Range<usize>,
}

/// How a mapped file will be read, passed to the kernel as an `madvise` hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Jumps around (index lookups): no read-ahead.
    Random,
    /// Read in order from some point (chunk segments during a scan).
    Normal,
}

impl Bytes {
    /// Map `path` read-only and shared. An empty file gives an empty view without a map
    /// (mapping zero bytes fails on Linux).
    pub fn map_file(path: &Path, access: Access) -> Result<Bytes> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Bytes::map(&file, path, access)
    }

    /// Map an already open file (`path` names it in errors). A file opened before it was
    /// unlinked can still be mapped after.
    pub fn map(file: &File, path: &Path, access: Access) -> Result<Bytes> {
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if len == 0 {
            return Ok(Bytes::from_vec(Vec::new()));
        }
        // SAFETY: the map is read-only (PROT_READ, MAP_SHARED) and we rely on the module's
        // contract that block files are neither modified nor truncated while mapped.
        let map = unsafe { MmapOptions::new().map(file) }.map_err(|e| Error::io(path, e))?;
        #[cfg(unix)]
        {
            let advice = match access {
                Access::Random => memmap2::Advice::Random,
                Access::Normal => memmap2::Advice::Normal,
            };
            // A hint only; a kernel that refuses it reads the same bytes.
            let _ = map.advise(advice);
        }
        let end = map.len();
        Ok(Bytes {
            backing: Arc::new(Backing::Map(map)),
            range: 0..end,
        })
    }

    /// Wrap an owned buffer.
    pub fn from_vec(v: Vec<u8>) -> Bytes {
        let end = v.len();
        Bytes {
            backing: Arc::new(Backing::Owned(v)),
            range: 0..end,
        }
    }

    /// A sub-view, or `None` if `range` is not inside this view.
    pub fn slice(&self, range: Range<usize>) -> Option<Bytes> {
        if range.start > range.end || range.end > self.len() {
            return None;
        }
        Some(Bytes {
            backing: Arc::clone(&self.backing),
            range: self.range.start + range.start..self.range.start + range.end,
        })
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // The range was checked when the view was made.
        self.backing
            .as_slice()
            .get(self.range.clone())
            .unwrap_or_default()
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.len())
    }
}

/// Raise the soft limit on open files to the hard limit, as the Go runtime does for
/// Prometheus' tools: tsblock keeps one descriptor per chunk segment open so that blocks
/// deleted during a query stay readable, and large data dirs have thousands of segments.
/// Returns the new soft limit. Binaries call this once at start; a library user decides.
#[cfg(unix)]
pub fn raise_fd_limit() -> std::io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass by pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every unix
    Ok(lim.rlim_cur as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_maps_to_empty_view() {
        let dir = std::env::temp_dir().join(format!("tsblock-empty-{}", std::process::id()));
        std::fs::write(&dir, b"").unwrap();
        let b = Bytes::map_file(&dir, Access::Random).unwrap();
        assert!(b.is_empty());
        std::fs::remove_file(&dir).unwrap();
    }

    #[test]
    fn slices_are_bounds_checked() {
        let b = Bytes::from_vec(vec![1, 2, 3, 4]);
        assert_eq!(&*b.slice(1..3).unwrap(), &[2, 3]);
        assert!(b.slice(3..5).is_none());
        let s = b.slice(1..4).unwrap();
        assert_eq!(&*s.slice(1..3).unwrap(), &[3, 4]);
        assert!(s.slice(2..4).is_none());
    }
}
