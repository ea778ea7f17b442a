//! The VIP 5.x CSV flavour: one comma-separated `<element>.txt` per element type (in a
//! folder or a zip), a header row of snake_case columns, an `id` column and `*_id(s)`
//! reference columns. Each row is turned into the same [`RawElement`] the XML reader
//! produces (`polling_location_ids` -> `PollingLocationIds`, `latitude` ->
//! `LatLng/Latitude`, `external_identifier_type` ->
//! `ExternalIdentifiers/ExternalIdentifier/Type`), so both flavours share one builder and
//! one set of rules. [`Files`] also serves the 3.0 reader.

use crate::element::{Builder, RawElement, RawNode};
use crate::error::{FeedError, Result};
use crate::model::{Feed, FeedFormat, Origin};
use std::io::Read;
use std::path::Path;

/// The `.txt` files of a CSV feed, by lower-case file name, read into memory.
#[derive(Debug, Default)]
pub struct Files {
    files: Vec<(String, Vec<u8>)>,
}

impl Files {
    /// The `.txt` files of a folder.
    pub fn from_dir(dir: &Path) -> Result<Files> {
        let io = |source| FeedError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if path.is_file() && name.to_ascii_lowercase().ends_with(".txt") {
                let bytes = std::fs::read(&path).map_err(|source| FeedError::Io {
                    path: path.clone(),
                    source,
                })?;
                files.push((name.to_ascii_lowercase(), bytes));
            }
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Files { files })
    }

    /// The `.txt` entries of a zip archive (any folder inside).
    pub fn from_zip(path: &Path) -> Result<Files> {
        let zip_err = |e: zip::result::ZipError| FeedError::Zip {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let file = std::fs::File::open(path).map_err(|source| FeedError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(zip_err)?;
        let mut files = Vec::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(zip_err)?;
            let name = entry
                .name()
                .map_err(zip_err)?
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if !name.ends_with(".txt") {
                continue;
            }
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            entry
                .read_to_end(&mut bytes)
                .map_err(|source| FeedError::Io {
                    path: path.join(&name),
                    source,
                })?;
            files.push((name, bytes));
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Files { files })
    }

    /// An in-memory set (tests).
    pub fn from_memory(files: Vec<(String, Vec<u8>)>) -> Files {
        Files { files }
    }

    /// True when there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The bytes of `name` (`street_segment.txt`).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    /// Every (name, bytes).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(n, b)| (n.as_str(), b.as_slice()))
    }

    /// The header and rows of `name` with their 1-based lines, or `None` when absent.
    pub fn rows(&self, name: &str) -> Result<Option<Table>> {
        let Some(bytes) = self.get(name) else {
            return Ok(None);
        };
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let csv_err = |line: u64, e: csv::Error| FeedError::Csv {
            file: name.to_string(),
            line,
            message: e.to_string(),
        };
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| csv_err(1, e))?
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let mut rows = Vec::new();
        for rec in reader.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                csv_err(line, e)
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows.push((line, rec.iter().map(|c| c.trim().to_string()).collect()));
        }
        Ok(Some(Table {
            file: name.to_string(),
            header,
            rows,
        }))
    }
}

/// One CSV file: header and (line, cells) rows.
#[derive(Debug)]
pub struct Table {
    /// File name.
    pub file: String,
    /// Lower-case column names.
    pub header: Vec<String>,
    /// Rows with their 1-based line.
    pub rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    /// Column position of `name`.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Cell `name` of `row`, or `""`.
    pub fn cell<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        self.col(name)
            .and_then(|i| row.get(i))
            .map_or("", String::as_str)
    }
}

/// `polling_location_ids` -> `PollingLocationIds`.
fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    for part in snake.split('_') {
        let mut cs = part.chars();
        if let Some(c) = cs.next() {
            out.push(c.to_ascii_uppercase());
            out.extend(cs);
        }
    }
    out
}

/// The element path of a column of `element`.
fn column_path(element: &str, column: &str) -> String {
    match (element, column) {
        (_, "latitude") => "LatLng/Latitude".into(),
        (_, "longitude") => "LatLng/Longitude".into(),
        (_, "latlng_source") => "LatLng/Source".into(),
        (_, c) if c.starts_with("external_identifier_") => format!(
            "ExternalIdentifiers/ExternalIdentifier/{}",
            camel(&c["external_identifier_".len()..])
        ),
        ("StreetSegment", "street_direction") => "StreetDirection".into(),
        ("StreetSegment", "address_direction") => "AddressDirection".into(),
        ("Source", "date_time") => "DateTime".into(),
        (_, c) => camel(c),
    }
}

/// The element name of a file (`street_segment.txt` -> `StreetSegment`).
fn element_name(file: &str) -> String {
    camel(file.trim_end_matches(".txt"))
}

/// Reads a 5.x CSV feed.
pub fn read(files: &Files) -> Result<Feed> {
    let mut builder = Builder::new(FeedFormat::Csv5);
    builder.set_version("5.x");
    for (name, _) in files.iter() {
        let Some(table) = files.rows(name)? else {
            continue;
        };
        let element = element_name(name);
        let paths: Vec<String> = table
            .header
            .iter()
            .map(|c| column_path(&element, c))
            .collect();
        let id_col = table.col("id");
        for (line, row) in &table.rows {
            let mut nodes: Vec<RawNode> = Vec::new();
            let mut groups: Vec<&str> = Vec::new();
            for (i, cell) in row.iter().enumerate() {
                if Some(i) == id_col || cell.is_empty() {
                    continue;
                }
                let Some(path) = paths.get(i) else { continue };
                // Open the containers of a nested path once (`LatLng`).
                let mut prefix_end = 0;
                for (depth, part) in path.split('/').enumerate() {
                    prefix_end += part.len();
                    let prefix = &path[..prefix_end];
                    let leaf = prefix_end == path.len();
                    if !leaf && !groups.contains(&prefix) {
                        groups.push(prefix);
                        nodes.push(RawNode {
                            path: prefix.to_string(),
                            depth: depth as u16 + 1,
                            text: String::new(),
                            line: *line,
                            leaf: false,
                        });
                    }
                    if leaf {
                        nodes.push(RawNode {
                            path: path.clone(),
                            depth: depth as u16 + 1,
                            text: cell.clone(),
                            line: *line,
                            leaf: true,
                        });
                    }
                    prefix_end += 1;
                }
            }
            // Keep a container's children right after it.
            nodes.sort_by(|a, b| {
                a.path
                    .split('/')
                    .next()
                    .cmp(&b.path.split('/').next())
                    .then(a.depth.cmp(&b.depth))
            });
            builder.add(RawElement {
                tag: element.clone(),
                id: id_col
                    .and_then(|i| row.get(i))
                    .filter(|s| !s.is_empty())
                    .cloned(),
                origin: Origin {
                    file: name.to_string(),
                    line: *line,
                },
                nodes,
            });
        }
    }
    Ok(builder.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_the_xml_paths() {
        assert_eq!(element_name("street_segment.txt"), "StreetSegment");
        assert_eq!(
            column_path("Precinct", "polling_location_ids"),
            "PollingLocationIds"
        );
        assert_eq!(
            column_path("PollingLocation", "latitude"),
            "LatLng/Latitude"
        );
        assert_eq!(
            column_path("Locality", "external_identifier_value"),
            "ExternalIdentifiers/ExternalIdentifier/Value"
        );
        assert_eq!(column_path("Precinct", "is_mail_only"), "IsMailOnly");
    }

    #[test]
    fn reads_rows_as_elements() {
        let files = Files::from_memory(vec![(
            "street_segment.txt".into(),
            b"city,odd_even_both,precinct_id,start_house_number,end_house_number,state,street_name,zip,id\nGraham,odd,p1,1,9,NC,Main,27253,ss1\n".to_vec(),
        )]);
        let feed = read(&files).unwrap();
        let s = &feed.street_segments[0];
        assert_eq!(
            (s.id.as_str(), s.start, s.precinct_id.as_str()),
            ("ss1", Some(1), "p1")
        );
        assert_eq!(s.origin.line, 2);
    }
}
