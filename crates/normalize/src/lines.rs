//! Line numbers for streamed text: a `BufRead` adapter that counts the newlines a
//! streaming parser (XML) has consumed, so that its errors can name the line. It lives
//! here, beside the other rules for the text of input files, so that both `ingest` and
//! the engines that parse files (`vip`) can use it without depending on each other.

/// A `BufRead` that counts the newlines of the bytes consumed so far, so that a streaming
/// parser (XML) can say on which line it failed.
pub struct LineCounting<R> {
    /// The reader underneath.
    pub inner: R,
    /// Newlines consumed so far (the current line is this plus one).
    pub newlines: u64,
}

impl<R> LineCounting<R> {
    /// Wraps a reader, at line 1.
    pub fn new(inner: R) -> Self {
        Self { inner, newlines: 0 }
    }
}

impl<R: std::io::BufRead> std::io::Read for LineCounting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for LineCounting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            self.newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::LineCounting;
    use std::io::{BufRead, Read};

    #[test]
    fn counts_newlines_read_and_consumed() {
        let mut r = LineCounting::new(&b"a\nb\nc"[..]);
        let mut two = [0u8; 2];
        r.read_exact(&mut two).unwrap();
        assert_eq!(r.newlines, 1);
        let buf = r.fill_buf().unwrap().to_vec();
        assert_eq!(buf, b"b\nc");
        r.consume(2);
        assert_eq!(r.newlines, 2);
        r.consume(1);
        assert_eq!(r.newlines, 2);
    }
}
