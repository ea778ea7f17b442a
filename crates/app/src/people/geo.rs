//! ZIP centroids for distances: the Census ZCTA gazetteer points (`zcta,lat,lon`, as
//! shipped in `shared/data/geo/`), read from a local file at import time, never
//! downloaded.

use super::PeopleError;
use std::collections::HashMap;
use std::path::Path;

/// ZIP → (latitude, longitude).
#[derive(Debug, Clone, Default)]
pub struct ZipCentroids {
    points: HashMap<String, (f64, f64)>,
}

impl ZipCentroids {
    /// Reads a `zcta,lat,lon` CSV file (header by name; rows with a bad number refused).
    pub fn load(path: &Path) -> Result<Self, PeopleError> {
        let bad = |e: &dyn std::fmt::Display| {
            PeopleError::Invalid(format!("ZIP centroids {}: {e}", path.display()))
        };
        let mut reader = csv::Reader::from_path(path).map_err(|e| bad(&e))?;
        let header = reader.headers().map_err(|e| bad(&e))?.clone();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
                .ok_or_else(|| bad(&format!("no {name} column")))
        };
        let (zip, lat, lon) = (col("zcta")?, col("lat")?, col("lon")?);
        let mut points = HashMap::new();
        for (i, row) in reader.records().enumerate() {
            let row = row.map_err(|e| bad(&e))?;
            let num = |c: usize| -> Result<f64, PeopleError> {
                row.get(c)
                    .and_then(|t| t.trim().parse().ok())
                    .ok_or_else(|| bad(&format!("line {}: not a coordinate", i + 2)))
            };
            points.insert(
                row.get(zip).unwrap_or("").trim().to_string(),
                (num(lat)?, num(lon)?),
            );
        }
        Ok(Self { points })
    }

    /// A set from explicit points (tests, demo).
    pub fn from_points(points: impl IntoIterator<Item = (String, (f64, f64))>) -> Self {
        Self {
            points: points.into_iter().collect(),
        }
    }

    /// The centroid of a five-digit ZIP, if known.
    pub fn get(&self, zip: &str) -> Option<(f64, f64)> {
        self.points.get(zip).copied()
    }

    /// How many ZIPs are known.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// No ZIPs.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}
