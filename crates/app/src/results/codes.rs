//! Chair codes: new one-time codes from an alphabet without look-alikes, the
//! normalisation of a typed code, issuing codes for an election's precincts (the store
//! keeps only their SHA-256), and the link printed on a code sheet, built from the
//! configured public URL (never from a request's `Host` header).

use chrono::Utc;
use rand::Rng;
use serde::{Deserialize, Serialize};
use votebase_domain::results::Election;
use votebase_store::Store;

use super::ResultsError;
use crate::auth::sha256_hex;

/// One line of the code sheet.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct CodeSheetRow {
    /// Precinct id.
    pub precinct: String,
    /// County.
    pub county: String,
    /// Precinct name.
    pub precinct_name: String,
    /// The code (shown only now; the store keeps its SHA-256).
    pub code: String,
}

/// Normalises a typed code: uppercase, without spaces and dashes.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A new chair code: 12 characters from an alphabet without look-alikes, in groups of 4.
pub fn new_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// New codes for every precinct of `election` (or only those listed), not yet stored;
/// a listed precinct not in the roster is refused.
pub fn plan_codes(election: &Election, only: &[String]) -> Result<Vec<CodeSheetRow>, ResultsError> {
    if let Some(unknown) = only.iter().find(|id| election.precinct(id).is_none()) {
        return Err(ResultsError::Invalid(format!(
            "precinct {unknown:?} is not in the roster of {}",
            election.slug
        )));
    }
    Ok(election
        .precincts
        .iter()
        .filter(|p| only.is_empty() || only.contains(&p.id))
        .map(|p| CodeSheetRow {
            precinct: p.id.clone(),
            county: p.county.clone(),
            precinct_name: p.name.clone(),
            code: new_code(),
        })
        .collect())
}

/// Stores planned codes (their SHA-256), replacing the precincts' earlier codes and
/// ending their chair sessions.
pub async fn store_codes(
    store: &dyn Store,
    election: &str,
    rows: &[CodeSheetRow],
) -> Result<(), ResultsError> {
    let hashed: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.precinct.clone(), sha256_hex(&normalize_code(&r.code))))
        .collect();
    store.set_chair_codes(election, &hashed, Utc::now()).await?;
    Ok(())
}

/// Issues codes (replacing earlier ones) and returns them: the only time they are seen.
pub async fn issue_codes(
    store: &dyn Store,
    election: &Election,
    only: &[String],
) -> Result<Vec<CodeSheetRow>, ResultsError> {
    let rows = plan_codes(election, only)?;
    store_codes(store, &election.slug, &rows).await?;
    Ok(rows)
}

/// The chair's page of an election, as a path (`/results/{slug}/chair`).
pub fn chair_page_path(slug: &str) -> String {
    format!("/results/{slug}/chair")
}

/// The link printed on a code sheet: the configured public URL followed by the chair
/// page's path, or the path alone when no public URL is configured.
pub fn chair_page_url(public_url: Option<&str>, slug: &str) -> String {
    match public_url.map(|u| u.trim().trim_end_matches('/')) {
        Some(base) if !base.is_empty() => format!("{base}{}", chair_page_path(slug)),
        _ => chair_page_path(slug),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_normalise() {
        let c = new_code();
        assert_eq!(c.len(), 14);
        assert_eq!(c.matches('-').count(), 2);
        assert!(!c.contains('0') && !c.contains('O') && !c.contains('1') && !c.contains('I'));
        assert_eq!(
            normalize_code(&c.to_lowercase().replace('-', " ")),
            c.replace('-', "")
        );
        assert_ne!(new_code(), new_code());
    }

    #[test]
    fn chair_links_come_from_the_public_url_or_are_relative() {
        assert_eq!(
            chair_page_url(Some("https://results.example.org/"), "ia-2020"),
            "https://results.example.org/results/ia-2020/chair"
        );
        assert_eq!(chair_page_url(None, "ia-2020"), "/results/ia-2020/chair");
        assert_eq!(
            chair_page_url(Some("  "), "ia-2020"),
            "/results/ia-2020/chair"
        );
    }
}
