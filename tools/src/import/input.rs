//! Streaming input in windows of whole lines, with line/column lookup for errors.
//!
//! The parser needs whole lines: its tokens never cross a line feed, except that promtool's
//! scanner swallows NUL bytes right after the LF that ends a meta line. So a window ends
//! after the last LF of the buffer plus any NUL bytes after it, and is only handed out
//! once a byte other than NUL follows (or the input ends). Memory is the read buffer: it
//! grows only for a line longer than the buffer, up to [`MAX_LINE`].

use std::io::{self, Read};

/// The longest line accepted (promtool has no limit, but maps the whole file).
pub const MAX_LINE: usize = 256 << 20;

/// Reads `R` in windows of whole lines.
pub struct Windows<R> {
    r: R,
    buf: Vec<u8>,
    /// First byte of the current window.
    start: usize,
    /// End of the current window.
    wend: usize,
    /// End of the data read into `buf`.
    len: usize,
    eof: bool,
    /// 1-based line number of `buf[start]`.
    line: u64,
    /// Characters between the start of that line and `buf[start]`.
    col0: u64,
    /// Bytes before `buf[start]`.
    offset: u64,
}

/// Why the input could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// An I/O error.
    Io(io::Error),
    /// A line longer than [`MAX_LINE`], starting on this line.
    LineTooLong(u64),
}

impl<R: Read> Windows<R> {
    /// Reads `r` with a buffer of `chunk` bytes (grown for longer lines).
    pub fn new(r: R, chunk: usize) -> Windows<R> {
        Windows {
            r,
            buf: vec![0; chunk.max(64)],
            start: 0,
            wend: 0,
            len: 0,
            eof: false,
            line: 1,
            col0: 0,
            offset: 0,
        }
    }

    /// Makes the next window available; false when the input is exhausted.
    pub fn fill(&mut self) -> Result<bool, ReadError> {
        self.advance();
        loop {
            let data = self.buf.get(self.start..self.len).unwrap_or(&[]);
            if let Some(j) = memchr::memrchr(b'\n', data) {
                let mut k = j + 1;
                while data.get(k) == Some(&0) {
                    k += 1;
                }
                if k < data.len() || self.eof {
                    self.wend = self.start + k;
                    return Ok(true);
                }
            } else if self.eof {
                self.wend = self.len;
                return Ok(self.start < self.len);
            }
            self.read_more()?;
        }
    }

    fn read_more(&mut self) -> Result<(), ReadError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.len, 0);
            self.len -= self.start;
            self.start = 0;
            self.wend = 0;
        }
        if self.len == self.buf.len() {
            if self.buf.len() >= MAX_LINE {
                return Err(ReadError::LineTooLong(self.line));
            }
            let n = (self.buf.len() * 2).min(MAX_LINE);
            self.buf.resize(n, 0);
        }
        loop {
            let Some(space) = self.buf.get_mut(self.len..) else {
                return Ok(());
            };
            match self.r.read(space) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.len += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadError::Io(e)),
            }
        }
    }

    /// Marks the current window as consumed.
    fn advance(&mut self) {
        if self.wend <= self.start {
            return;
        }
        let w = self.window();
        let (lines, col) = position_after(w);
        let n = w.len() as u64;
        if lines == 0 {
            self.col0 += col;
        } else {
            self.line += lines;
            self.col0 = col;
        }
        self.offset += n;
        self.start = self.wend;
    }

    /// The current window.
    pub fn window(&self) -> &[u8] {
        self.buf.get(self.start..self.wend).unwrap_or(&[])
    }

    /// Bytes consumed before the current window.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// True when nothing follows the current window.
    pub fn window_is_last(&mut self) -> Result<bool, ReadError> {
        if self.wend < self.len {
            return Ok(false);
        }
        while !self.eof && self.wend == self.len {
            let before = self.len - self.start;
            self.read_more()?;
            // read_more may have moved the data to the front.
            self.wend = self.start + before;
        }
        Ok(self.wend == self.len)
    }

    /// 1-based line and column (in characters) of byte `pos` of the current window.
    pub fn locate(&self, pos: usize) -> (u64, u64) {
        let w = self.window();
        let head = w.get(..pos.min(w.len())).unwrap_or(&[]);
        let (lines, col) = position_after(head);
        if lines == 0 {
            (self.line, self.col0 + col + 1)
        } else {
            (self.line + lines, col + 1)
        }
    }
}

/// Line feeds in `bytes`, and the characters after the last one (or in all of `bytes`).
fn position_after(bytes: &[u8]) -> (u64, u64) {
    let lines = memchr::memchr_iter(b'\n', bytes).count() as u64;
    let tail = match memchr::memrchr(b'\n', bytes) {
        Some(j) => bytes.get(j + 1..).unwrap_or(&[]),
        None => bytes,
    };
    // UTF-8 continuation bytes do not start a character.
    let cols = tail.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64;
    (lines, cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns at most `n` bytes per call.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn windows(input: &[u8], chunk: usize, trickle: usize) -> Vec<Vec<u8>> {
        let mut w = Windows::new(Trickle(input, trickle), chunk);
        let mut out = Vec::new();
        while w.fill().unwrap() {
            out.push(w.window().to_vec());
        }
        out
    }

    #[test]
    fn windows_are_whole_lines_and_cover_everything() {
        let input = b"line one\nline two is longer\n\0\0x\nlast without newline";
        for chunk in [64, 100, 4096] {
            for trickle in [1, 3, 7, 1000] {
                let ws = windows(input, chunk, trickle);
                assert_eq!(ws.concat(), input.to_vec(), "{chunk} {trickle}");
                for w in &ws[..ws.len() - 1] {
                    // Each window but the last ends with LF plus NULs.
                    let trimmed: Vec<u8> =
                        w.iter().rev().skip_while(|&&b| b == 0).copied().collect();
                    assert_eq!(trimmed.first(), Some(&b'\n'), "{w:?}");
                }
            }
        }
    }

    #[test]
    fn nul_run_to_the_end_stays_in_the_last_window() {
        let ws = windows(b"a\n\0\0\0", 64, 1);
        assert_eq!(ws.concat(), b"a\n\0\0\0");
        assert_eq!(ws.last().unwrap(), b"a\n\0\0\0");
    }

    #[test]
    fn long_lines_grow_the_buffer() {
        let mut input = vec![b'x'; 10_000];
        input.push(b'\n');
        input.extend_from_slice(b"y\n");
        let ws = windows(&input, 64, 999);
        assert_eq!(ws.concat(), input);
    }

    #[test]
    fn locate_counts_lines_and_characters() {
        let input = "ab\nçd\n".repeat(50);
        let mut w = Windows::new(Trickle(input.as_bytes(), 7), 64);
        let mut seen = Vec::new();
        while w.fill().unwrap() {
            let win = w.window().to_vec();
            for (i, &b) in win.iter().enumerate() {
                if b == b'd' {
                    seen.push(w.locate(i));
                }
            }
        }
        assert_eq!(seen.len(), 50);
        for (n, pos) in seen.iter().enumerate() {
            assert_eq!(*pos, (2 * n as u64 + 2, 2));
        }
    }

    #[test]
    fn last_window_detection() {
        let mut w = Windows::new(Trickle(b"a\nb\n", 1), 64);
        assert!(w.fill().unwrap());
        assert_eq!(w.window(), b"a\n");
        assert!(!w.window_is_last().unwrap());
        let mut w = Windows::new(&b"a\nb\n"[..], 64);
        assert!(w.fill().unwrap());
        assert_eq!(w.window(), b"a\nb\n");
        assert!(w.window_is_last().unwrap());
        assert!(!w.fill().unwrap());
    }
}
