//! Opening input files: plain, gzip (`.gz`) or zip (`.zip`, the first file inside), the
//! SHA-256 of the file's bytes (so the same file is never imported twice), the as-of
//! date a file name carries (`ncvoter_20260901.txt`), and decoding of fields from UTF-8
//! or Latin-1 (Windows-1252), which state files use.

use crate::IngestError;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::mpsc;

/// An opened input: a reader over the (decompressed) bytes.
pub struct Input {
    /// The decompressed bytes.
    pub reader: Box<dyn Read + Send>,
    /// Size of the file on disk when the stream is not compressed (for progress).
    pub plain_size: Option<u64>,
}

/// Opens `path`, decompressing `.gz` and `.zip` by their extension.
pub fn open(path: &Path) -> Result<Input, IngestError> {
    let file = File::open(path).map_err(|e| IngestError::input(path, e))?;
    let size = file.metadata().ok().map(|m| m.len());
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "gz" => Ok(Input {
            reader: Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
                1 << 20,
                file,
            ))),
            plain_size: None,
        }),
        "zip" => open_zip(path, file),
        _ => Ok(Input {
            reader: Box::new(BufReader::with_capacity(1 << 20, file)),
            plain_size: size,
        }),
    }
}

/// Streams the first file of a zip archive through a pipe fed by a thread (the zip
/// reader borrows its archive, so it cannot be handed out directly).
fn open_zip(path: &Path, file: File) -> Result<Input, IngestError> {
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| IngestError::input(path, format!("not a readable zip: {e}")))?;
    let index = (0..archive.len())
        .find(|&i| archive.by_index(i).map(|f| f.is_file()).unwrap_or(false))
        .ok_or_else(|| IngestError::input(path, "the zip archive holds no file"))?;
    let (tx, rx) = mpsc::sync_channel::<std::io::Result<Vec<u8>>>(8);
    std::thread::spawn(move || {
        let mut entry = match archive.by_index(index) {
            Ok(e) => e,
            Err(e) => {
                let _ = tx.send(Err(std::io::Error::other(e)));
                return;
            }
        };
        loop {
            let mut buf = vec![0u8; 1 << 20];
            match entry.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send(Ok(buf)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
    });
    Ok(Input {
        reader: Box::new(ChannelReader {
            rx,
            current: Vec::new(),
            pos: 0,
        }),
        plain_size: None,
    })
}

struct ChannelReader {
    rx: mpsc::Receiver<std::io::Result<Vec<u8>>>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.current.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len() - self.pos);
        out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// SHA-256 of the file's bytes, hex.
pub fn sha256_file(path: &Path) -> Result<String, IngestError> {
    let mut file = File::open(path).map_err(|e| IngestError::input(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| IngestError::input(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The date a file name carries (`..._20260901...` or `...2026-09-01...`), if any.
pub fn date_from_file_name(path: &Path) -> Option<NaiveDate> {
    let name = path.file_name()?.to_string_lossy();
    let bytes = name.as_bytes();
    for start in 0..bytes.len() {
        for (len, fmt) in [(10, "%Y-%m-%d"), (8, "%Y%m%d")] {
            let Some(slice) = name.get(start..start + len) else {
                continue;
            };
            let bounded_before = start == 0 || !bytes[start - 1].is_ascii_digit();
            let bounded_after = bytes.get(start + len).is_none_or(|b| !b.is_ascii_digit());
            if bounded_before
                && bounded_after
                && let Ok(d) = NaiveDate::parse_from_str(slice, fmt)
                && (1990..=2100).contains(&chrono::Datelike::year(&d))
            {
                return Some(d);
            }
        }
    }
    None
}

/// The file's as-of date: from its name, else its modification date.
pub fn default_as_of(path: &Path) -> NaiveDate {
    date_from_file_name(path).unwrap_or_else(|| {
        path.metadata()
            .and_then(|m| m.modified())
            .map(|t| chrono::DateTime::<chrono::Utc>::from(t).date_naive())
            .unwrap_or_else(|_| chrono::Utc::now().date_naive())
    })
}

/// How a layout says field bytes are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8 where valid, else Windows-1252 (the usual case for state files).
    #[default]
    Auto,
    /// UTF-8 strictly (invalid bytes become U+FFFD).
    #[serde(alias = "utf8")]
    Utf8,
    /// ISO-8859-1 / Windows-1252.
    #[serde(alias = "iso-8859-1", alias = "windows-1252", alias = "cp1252")]
    Latin1,
}

impl Encoding {
    /// Decodes one field.
    pub fn decode<'a>(self, bytes: &'a [u8]) -> Cow<'a, str> {
        if bytes.is_ascii() {
            // ASCII is the same in every supported encoding.
            return Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default());
        }
        match self {
            Self::Auto => match std::str::from_utf8(bytes) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => {
                    encoding_rs::WINDOWS_1252
                        .decode_without_bom_handling(bytes)
                        .0
                }
            },
            Self::Utf8 => String::from_utf8_lossy(bytes),
            Self::Latin1 => {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn dates_in_file_names() {
        let d = |s: &str| date_from_file_name(Path::new(s));
        assert_eq!(
            d("ncvoter_20260901.txt"),
            NaiveDate::from_ymd_opt(2026, 9, 1)
        );
        assert_eq!(
            d("absentee-2024-11-05.csv"),
            NaiveDate::from_ymd_opt(2024, 11, 5)
        );
        assert_eq!(d("ncvoter_Statewide.zip"), None);
        assert_eq!(
            d("file_120260901.txt"),
            None,
            "digits run longer than a date"
        );
    }

    #[test]
    fn decodes_latin1_and_utf8() {
        assert_eq!(Encoding::Auto.decode(b"PENA"), "PENA");
        assert_eq!(Encoding::Auto.decode("PEÑA".as_bytes()), "PEÑA");
        assert_eq!(Encoding::Auto.decode(b"PE\xd1A"), "PEÑA");
        assert_eq!(Encoding::Latin1.decode(b"PE\xd1A"), "PEÑA");
    }

    #[test]
    fn reads_gzip_and_zip_inputs() {
        let dir = std::env::temp_dir().join(format!("vb-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let gz = dir.join("a.txt.gz");
        let mut enc = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), Default::default());
        enc.write_all(b"hello\tworld\n").unwrap();
        enc.finish().unwrap();
        let mut s = String::new();
        open(&gz).unwrap().reader.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello\tworld\n");

        let zp = dir.join("a.zip");
        let mut zw = zip::ZipWriter::new(File::create(&zp).unwrap());
        zw.add_directory("dir/", zip::write::SimpleFileOptions::default())
            .unwrap();
        zw.start_file("dir/ncvoter.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        zw.write_all(&b"x".repeat(3 << 20)).unwrap();
        zw.finish().unwrap();
        let mut bytes = Vec::new();
        open(&zp).unwrap().reader.read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes.len(), 3 << 20);
        assert_eq!(sha256_file(&zp).unwrap().len(), 64);
        std::fs::remove_dir_all(dir).ok();
    }
}
