//! Breakdowns: how the voters of a universe split along one dimension (county, party,
//! age band, precinct, gender, status, and the other categorical fields).
//!
//! The universe is materialised once, then intersected (counting only) with each
//! value's bitmap. Rows with a zero count are left out; the counts of the rows always
//! add up to the universe's count, because every voter has exactly one value per
//! dimension (an empty field is the row `(none)`, a missing birth year the age band
//! `unknown`). Categorical rows come largest first (ties by label); age bands in age
//! order.

use std::str::FromStr;

use roaring::RoaringBitmap;

use crate::Expr;
use crate::families::CatField;
use crate::index::UniverseIndex;
use crate::query::{Query, QueryError};

/// What to break a universe down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// County name.
    County,
    /// Party.
    Party,
    /// Age bands at the reference date: under 18, 18–24, 25–34, 35–44, 45–54, 55–64,
    /// 65+, unknown.
    AgeBand,
    /// Precinct, labelled `COUNTY/CODE` (codes repeat across counties).
    Precinct,
    /// Gender.
    Gender,
    /// Registration status.
    Status,
    /// Postal city.
    City,
    /// ZIP.
    Zip,
    /// Congressional district.
    Congressional,
    /// State senate district.
    Senate,
    /// State house district.
    House,
    /// Municipality.
    Municipality,
}

/// Age bands: label, lowest age, highest age.
pub const AGE_BANDS: [(&str, Option<i32>, Option<i32>); 7] = [
    ("under 18", None, Some(17)),
    ("18-24", Some(18), Some(24)),
    ("25-34", Some(25), Some(34)),
    ("35-44", Some(35), Some(44)),
    ("45-54", Some(45), Some(54)),
    ("55-64", Some(55), Some(64)),
    ("65+", Some(65), None),
];

/// An unknown dimension name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown dimension `{0}`; known: county, party, age, precinct, gender, status, city, zip, cd, sd, hd, municipality"
)]
pub struct UnknownDimension(pub String);

impl FromStr for Dimension {
    type Err = UnknownDimension;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "county" => Dimension::County,
            "party" => Dimension::Party,
            "age" | "age_band" | "ageband" => Dimension::AgeBand,
            "precinct" => Dimension::Precinct,
            "gender" => Dimension::Gender,
            "status" => Dimension::Status,
            "city" => Dimension::City,
            "zip" => Dimension::Zip,
            "cd" => Dimension::Congressional,
            "sd" => Dimension::Senate,
            "hd" => Dimension::House,
            "municipality" => Dimension::Municipality,
            _ => return Err(UnknownDimension(s.to_string())),
        })
    }
}

impl Dimension {
    fn field(self) -> Option<CatField> {
        Some(match self {
            Dimension::County => CatField::County,
            Dimension::Party => CatField::Party,
            Dimension::Gender => CatField::Gender,
            Dimension::Status => CatField::Status,
            Dimension::City => CatField::City,
            Dimension::Zip => CatField::Zip,
            Dimension::Congressional => CatField::Congressional,
            Dimension::Senate => CatField::Senate,
            Dimension::House => CatField::House,
            Dimension::Municipality => CatField::Municipality,
            Dimension::AgeBand | Dimension::Precinct => return None,
        })
    }
}

impl UniverseIndex {
    /// Counts of the voters matching `expr` by each value of `by`.
    pub fn breakdown(&self, expr: &Expr, by: Dimension) -> Result<Vec<(String, u64)>, QueryError> {
        Ok(self.breakdown_query(&self.resolve(expr)?, by))
    }

    /// [`UniverseIndex::breakdown`] of a resolved query.
    pub fn breakdown_query(&self, q: &Query, by: Dimension) -> Vec<(String, u64)> {
        let members = self.members_query(q);
        self.breakdown_members(&members, q.reference_date, by)
    }

    /// Breaks down an already computed set of ordinals.
    pub fn breakdown_members(
        &self,
        members: &RoaringBitmap,
        reference: chrono::NaiveDate,
        by: Dimension,
    ) -> Vec<(String, u64)> {
        if by == Dimension::AgeBand {
            let mut rows = Vec::new();
            let mut known = 0;
            for (label, lo, hi) in AGE_BANDS {
                let n = members.intersection_len(&self.age_range(reference, lo, hi));
                known += n;
                if n > 0 {
                    rows.push((label.to_string(), n));
                }
            }
            let unknown = members.len() - known;
            if unknown > 0 {
                rows.push(("unknown".to_string(), unknown));
            }
            return rows;
        }
        let map = match by.field() {
            Some(f) => &self.cats[f.index()],
            None => &self.precinct_qualified,
        };
        let mut rows: Vec<(String, u64)> = map
            .iter()
            .filter_map(|(value, bm)| {
                let n = members.intersection_len(bm);
                let label = if value.is_empty() || value == "/" {
                    "(none)".to_string()
                } else {
                    value.clone()
                };
                (n > 0).then_some((label, n))
            })
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows
    }
}
