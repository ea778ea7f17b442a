//! The VIP 5.x (and 6.x) XML reader. It streams: `quick-xml` pulls events through a
//! buffered reader that counts newlines as bytes are consumed, and each top-level child of
//! `VipObject` is gathered into one [`RawElement`] (at most one element in memory, so a
//! statewide feed of hundreds of megabytes reads in constant memory besides the model)
//! and handed to the [`Builder`]. Text is unescaped (`&amp;`, character references);
//! every element and field keeps its line for findings.

use crate::element::{Builder, RawElement, RawNode};
use crate::error::{FeedError, Result};
use crate::model::{Feed, FeedFormat, Origin};
use quick_xml::Reader;
use quick_xml::events::Event;
use std::io::{BufRead, BufReader};
use std::path::Path;

use votebase_normalize::LineCounting;

/// Reads an XML feed file.
pub fn read_path(path: &Path) -> Result<Feed> {
    let file = std::fs::File::open(path).map_err(|source| FeedError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    read(BufReader::with_capacity(1 << 16, file), &name)
}

/// Reads the first `.xml` entry of a zip archive; `None` when it holds no `.xml`.
pub fn read_zip(path: &Path) -> Result<Option<Feed>> {
    let file = std::fs::File::open(path).map_err(|source| FeedError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let zip_err = |e: zip::result::ZipError| FeedError::Zip {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(zip_err)?;
    let Some(i) = (0..archive.len()).find(|&i| {
        archive
            .name_for_index(i)
            .and_then(|n| n.ok())
            .is_some_and(|n| n.to_ascii_lowercase().ends_with(".xml"))
    }) else {
        return Ok(None);
    };
    let entry = archive.by_index(i).map_err(zip_err)?;
    let name = entry.name().map_err(zip_err)?.to_string();
    read(BufReader::with_capacity(1 << 16, entry), &name).map(Some)
}

/// Reads an XML feed from `source`; `file` names it in findings and errors.
pub fn read<R: BufRead>(source: R, file: &str) -> Result<Feed> {
    let mut reader = Reader::from_reader(LineCounting {
        inner: source,
        newlines: 0,
    });
    let mut builder = Builder::new(FeedFormat::Xml);
    let mut buf = Vec::with_capacity(4096);
    let mut depth: usize = 0;
    // The element being gathered, the open descendant paths and which nodes they are.
    let mut current: Option<RawElement> = None;
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut seen_root = false;
    loop {
        let before = reader.get_ref().newlines;
        let event = reader.read_event_into(&mut buf);
        let line_now = reader.get_ref().newlines + 1;
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                return Err(FeedError::Xml {
                    file: file.to_string(),
                    line: line_now,
                    element: current
                        .as_ref()
                        .map(|c| format!("{} {}", c.tag, c.id_str())),
                    message: e.to_string(),
                }
                .into());
            }
        };
        let _ = before;
        let xml_err = |message: String, current: &Option<RawElement>| FeedError::Xml {
            file: file.to_string(),
            line: line_now,
            element: current
                .as_ref()
                .map(|c| format!("{} {}", c.tag, c.id_str())),
            message,
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let start_line = line_now - e.iter().filter(|&&b| b == b'\n').count() as u64;
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                match depth {
                    0 => {
                        seen_root = true;
                        if name != "VipObject" {
                            return Err(xml_err(
                                format!("root element is <{name}>, not <VipObject>"),
                                &current,
                            )
                            .into());
                        }
                        if let Ok(Some(v)) = e.try_get_attribute("schemaVersion") {
                            builder.set_version(&String::from_utf8_lossy(&v.value));
                        }
                    }
                    1 => {
                        let id = match e.try_get_attribute("id") {
                            Ok(Some(a)) => Some(
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .map_err(|err| xml_err(err.to_string(), &current))?
                                    .trim()
                                    .to_string(),
                            ),
                            _ => None,
                        };
                        let el = RawElement {
                            tag: name,
                            id,
                            origin: Origin {
                                file: file.to_string(),
                                line: start_line,
                            },
                            nodes: Vec::new(),
                        };
                        if empty {
                            builder.add(el);
                        } else {
                            current = Some(el);
                        }
                    }
                    _ => {
                        if let Some(el) = current.as_mut() {
                            let path = match stack.last() {
                                Some((_, parent)) => format!("{parent}/{name}"),
                                None => name,
                            };
                            // The parent is not a leaf any more.
                            if let Some((pi, _)) = stack.last() {
                                el.nodes[*pi].leaf = false;
                            }
                            el.nodes.push(RawNode {
                                path: path.clone(),
                                depth: (depth - 1) as u16,
                                text: String::new(),
                                line: start_line,
                                leaf: true,
                            });
                            if !empty {
                                stack.push((el.nodes.len() - 1, path));
                            }
                        }
                    }
                }
                if !empty {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    if let Some(mut el) = current.take() {
                        for n in &mut el.nodes {
                            let t = n.text.trim();
                            if t.len() != n.text.len() {
                                n.text = t.to_string();
                            }
                        }
                        builder.add(el);
                    }
                } else if depth >= 2 {
                    stack.pop();
                }
            }
            Event::Text(ref t) => {
                if depth >= 3
                    && let (Some(el), Some((i, _))) = (current.as_mut(), stack.last())
                {
                    let text = t.decode().map_err(|err| xml_err(err.to_string(), &None))?;
                    el.nodes[*i].text.push_str(&text);
                }
            }
            Event::CData(ref t) => {
                if let (Some(el), Some((i, _))) = (current.as_mut(), stack.last()) {
                    el.nodes[*i]
                        .text
                        .push_str(&String::from_utf8_lossy(t.as_ref()));
                }
            }
            Event::GeneralRef(ref r) => {
                if let (Some(el), Some((i, _))) = (current.as_mut(), stack.last()) {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        _ => match &**r {
                            b"amp" => Some('&'),
                            b"lt" => Some('<'),
                            b"gt" => Some('>'),
                            b"quot" => Some('"'),
                            b"apos" => Some('\''),
                            _ => None,
                        },
                    };
                    match resolved {
                        Some(c) => el.nodes[*i].text.push(c),
                        None => {
                            return Err(xml_err(
                                format!("unknown entity &{};", String::from_utf8_lossy(r.as_ref())),
                                &current,
                            )
                            .into());
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !seen_root {
        return Err(FeedError::Xml {
            file: file.to_string(),
            line: 1,
            element: None,
            message: "no <VipObject> root element".into(),
        }
        .into());
    }
    if depth != 0 {
        return Err(FeedError::Xml {
            file: file.to_string(),
            line: reader.get_ref().newlines + 1,
            element: current
                .as_ref()
                .map(|c| format!("{} {}", c.tag, c.id_str())),
            message: "the file ends inside an element".into(),
        }
        .into());
    }
    Ok(builder.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"<?xml version="1.0"?>
<VipObject schemaVersion="5.2">
  <Precinct id="p1">
    <Name>One &amp; Only</Name>
    <PollingLocationIds>pl1</PollingLocationIds>
  </Precinct>
  <PollingLocation id="pl1">
    <AddressStructured>
      <Line1>1 Main St</Line1>
      <City>Graham</City>
      <State>NC</State>
    </AddressStructured>
    <Name>Hall</Name>
  </PollingLocation>
  <StreetSegment id="ss1">
    <StartHouseNumber>1</StartHouseNumber>
    <EndHouseNumber>9</EndHouseNumber>
    <OddEvenBoth>odd</OddEvenBoth>
    <StreetName>Main</StreetName>
    <PrecinctId>p1</PrecinctId>
  </StreetSegment>
</VipObject>
"#;

    #[test]
    fn streams_elements_with_lines() {
        let feed = read(SMALL.as_bytes(), "t.xml").unwrap();
        assert_eq!(feed.schema_version, "5.2");
        assert_eq!(feed.precincts[0].name, "One & Only");
        assert_eq!(feed.precincts[0].origin.line, 3);
        assert_eq!(
            feed.polling_locations[0].address_lines,
            vec!["1 Main St", "Graham, NC"]
        );
        assert_eq!(feed.polling_locations[0].origin.line, 7);
        let s = &feed.street_segments[0];
        assert_eq!((s.start, s.end, s.origin.line), (Some(1), Some(9), 15));
        let pid = feed
            .references
            .iter()
            .find(|r| r.field == "PrecinctId")
            .unwrap();
        assert_eq!(pid.origin.line, 20);
    }

    #[test]
    fn malformed_xml_names_the_line() {
        let bad = "<VipObject>\n<Precinct id=\"p\">\n<Name>x</Nam>\n</Precinct></VipObject>";
        let err = read(bad.as_bytes(), "bad.xml").unwrap_err().to_string();
        assert!(
            err.starts_with("bad.xml:3: malformed XML in Precinct p"),
            "{err}"
        );
    }
}
