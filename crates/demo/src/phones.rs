//! A demo purchased cell-phone list: for a few percent of the second snapshot's voters, a
//! row with their name (sometimes a nickname or a typo), address and a new cell number,
//! as a vendor would sell it; a handful of numbers appear at two different households,
//! which the importer must flag rather than spread. Deterministic by seed.

use crate::DemoState;
use crate::names::NameBook;
use crate::rng::{Draw, SplitMix};
use std::io::Write;
use std::path::Path;

const NICKNAMES: &[(&str, &str)] = &[
    ("WILLIAM", "BILL"),
    ("ROBERT", "BOB"),
    ("RICHARD", "RICK"),
    ("ELIZABETH", "LIZ"),
    ("JENNIFER", "JEN"),
    ("MICHAEL", "MIKE"),
    ("JAMES", "JIM"),
    ("KATHERINE", "KATE"),
    ("CHRISTOPHER", "CHRIS"),
    ("MARGARET", "PEGGY"),
];

/// Writes `cells.csv` (`first_name,last_name,address,city,zip,cell`) and returns the
/// number of rows.
pub fn write_cell_list(state: &DemoState, path: &Path) -> std::io::Result<usize> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "first_name,last_name,address,city,zip,cell")?;
    let names = NameBook::get();
    let mut rows = 0;
    let mut shared: Option<u64> = None;
    for (i, v) in state.second_snapshot() {
        let mut r = SplitMix::new(state.options.seed ^ 0x00ce_11ce, u64::from(i));
        if !r.chance(0.03) || v.confidential {
            continue;
        }
        let precinct = &state.precincts[state.precinct_of(&v) as usize];
        let city = &state.cities[precinct.city as usize].name;
        let mut first = names.given(v.first).to_string();
        if let Some((_, nick)) = NICKNAMES.iter().find(|(full, _)| *full == first)
            && r.chance(0.5)
        {
            first = nick.to_string();
        }
        let mut last = v.last_name();
        if r.chance(0.05) && last.len() > 4 {
            // A vendor's typo: two letters swapped.
            let mut b = last.into_bytes();
            b.swap(1, 2);
            last = String::from_utf8(b).unwrap_or_default();
        }
        let area = [919u64, 984, 252, 336, 704, 828, 910, 980][r.index(8)];
        let mut cell = area * 10_000_000 + r.between(2_000_000, 9_999_999);
        // Every 200th row reuses the previous shared number: one cell, two households.
        if rows % 200 == 199
            && let Some(s) = shared
        {
            cell = s;
        }
        if rows % 200 == 198 {
            shared = Some(cell);
        }
        writeln!(
            w,
            "{first},{last},\"{}\",{city},{},{cell}",
            state.street_address(&v),
            precinct.zip5
        )?;
        rows += 1;
    }
    w.flush()?;
    Ok(rows)
}
