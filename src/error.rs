//! One error type for the whole crate. Every variant says where: the file, and for damaged
//! data the section and byte offset, so an operator can find the bad block with `xxd`.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The part of a block a corruption was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Section {
    /// Index magic and version byte.
    IndexHeader,
    /// Index table of contents (last 52 bytes).
    Toc,
    /// Index symbol table.
    Symbols,
    /// A series entry of the index.
    Series,
    /// A postings list.
    Postings,
    /// The postings offset table.
    PostingsTable,
    /// A chunk segment file's header.
    SegmentHeader,
    /// A chunk record in a segment file.
    Chunk,
    /// The tombstones file.
    Tombstones,
    /// The block's meta.json.
    Meta,
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Section::IndexHeader => "index header",
            Section::Toc => "index TOC",
            Section::Symbols => "symbol table",
            Section::Series => "series entry",
            Section::Postings => "postings list",
            Section::PostingsTable => "postings offset table",
            Section::SegmentHeader => "segment header",
            Section::Chunk => "chunk",
            Section::Tombstones => "tombstones",
            Section::Meta => "meta.json",
        })
    }
}

/// What was wrong with bytes read from disk. Carries no location; [`DecodeError`] adds the
/// offset and [`Error::Corrupt`] the file and section.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Corruption {
    /// A read ran past the end of its section or file.
    #[error("unexpected end of data: needed {needed} bytes, {available} left")]
    Truncated {
        /// Bytes the read needed.
        needed: u64,
        /// Bytes that were left.
        available: u64,
    },
    /// A varint was longer than its type allows.
    #[error("varint overflows {bits} bits")]
    VarintOverflow {
        /// Width of the target integer.
        bits: u32,
    },
    /// A magic number did not match.
    #[error("bad magic {got:#010x}, expected {expected:#010x}")]
    BadMagic {
        /// The magic the format requires.
        expected: u32,
        /// The magic found.
        got: u32,
    },
    /// A stored CRC32C did not match the bytes it covers.
    #[error("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum {
        /// CRC stored on disk.
        stored: u32,
        /// CRC of the bytes as read.
        computed: u32,
    },
    /// An offset or reference points outside the region it must lie in.
    #[error("{what} {value} out of bounds (limit {limit})")]
    OutOfBounds {
        /// What the number is.
        what: &'static str,
        /// The number found.
        value: u64,
        /// The exclusive limit it broke.
        limit: u64,
    },
    /// A structural rule of the format is broken.
    #[error("{0}")]
    Invalid(&'static str),
}

/// A [`Corruption`] at a byte offset of the file being decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at offset {offset}: {kind}")]
pub struct DecodeError {
    /// Absolute byte offset in the file.
    pub offset: u64,
    /// What was wrong.
    pub kind: Corruption,
}

impl DecodeError {
    /// A corruption at `offset`.
    pub fn new(offset: u64, kind: Corruption) -> Self {
        DecodeError { offset, kind }
    }

    /// Attach the file and section this error was found in.
    pub fn at(self, path: impl Into<PathBuf>, section: Section) -> Error {
        Error::Corrupt {
            path: path.into(),
            section,
            offset: self.offset,
            kind: self.kind,
        }
    }
}

/// Everything that can go wrong in tsblock.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused a read, open, map or directory listing.
    #[error("{}: {source}", path.display())]
    Io {
        /// File or directory involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Damaged or malformed bytes.
    #[error("{}: {section} at offset {offset}: {kind}", path.display())]
    Corrupt {
        /// File the bytes came from.
        path: PathBuf,
        /// Part of the file.
        section: Section,
        /// Byte offset in the file.
        offset: u64,
        /// What was wrong.
        kind: Corruption,
    },
    /// meta.json could not be parsed or has an unsupported version.
    #[error("{}: invalid meta.json: {reason}", path.display())]
    Meta {
        /// Path of meta.json.
        path: PathBuf,
        /// Why it was rejected.
        reason: String,
    },
    /// A well-formed file in a format version tsblock does not read.
    #[error("{}: unsupported {what} {value}", path.display())]
    Unsupported {
        /// File involved.
        path: PathBuf,
        /// What is unsupported, e.g. "index version".
        what: &'static str,
        /// The version or code found.
        value: u64,
    },
    /// A chunk uses an encoding tsblock cannot decode (yet).
    #[error("{}: series {series}: unsupported chunk encoding {encoding} at offset {offset}", path.display())]
    UnsupportedEncoding {
        /// Chunk segment file.
        path: PathBuf,
        /// Offset of the chunk record.
        offset: u64,
        /// Labels of the series, as `{a="b"}`.
        series: String,
        /// The encoding byte.
        encoding: u8,
    },
    /// A series selector or matcher could not be parsed.
    #[error("{0}")]
    Selector(#[from] crate::query::SelectorError),
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
