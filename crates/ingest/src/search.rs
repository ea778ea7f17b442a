//! Parsing a free-text voter search ("SMITH JOHN", "Smith, John", "123 Main St", an id)
//! into a [`VoterQuery`] with the same normalisation the importer applies, so typed
//! text meets stored values on equal terms.

use votebase_domain::{AddressQuery, NameQuery, VoterQuery};
use votebase_normalize::{clean_text, normalize_name_part, parse_street_line};

/// Parses a search; an empty or punctuation-only text gives an empty query.
pub fn parse_voter_query(text: &str, limit: usize) -> VoterQuery {
    let cleaned = clean_text(text);
    let mut q = VoterQuery {
        text: text.trim().to_string(),
        limit,
        ..Default::default()
    };
    let tokens: Vec<&str> = cleaned
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.is_empty() {
        return q;
    }
    let has_digit = |t: &str| t.chars().any(|c| c.is_ascii_digit());
    if tokens.len() == 1 && has_digit(tokens[0]) {
        q.ids.push(tokens[0].to_string());
        return q;
    }
    if tokens[0].starts_with(|c: char| c.is_ascii_digit()) {
        let a = parse_street_line(&cleaned);
        if !a.street_name.is_empty() {
            q.address = Some(AddressQuery {
                house_number: a.house_number,
                street_prefix: a.street_name,
            });
            return q;
        }
    }
    let name = |t: &str| normalize_name_part(t);
    if let Some((last, first)) = cleaned.split_once(',') {
        let first = first.split_whitespace().next().unwrap_or("");
        q.names.push(NameQuery {
            last_prefix: name(last),
            first_prefix: name(first),
        });
    } else if tokens.len() == 1 {
        q.names.push(NameQuery {
            last_prefix: name(tokens[0]),
            first_prefix: String::new(),
        });
    } else {
        let (first, last) = (tokens[0], tokens[tokens.len() - 1]);
        q.names.push(NameQuery {
            last_prefix: name(last),
            first_prefix: name(first),
        });
        q.names.push(NameQuery {
            last_prefix: name(first),
            first_prefix: name(tokens[1]),
        });
    }
    q.names.retain(|n| !n.last_prefix.is_empty());
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_names_and_addresses() {
        let q = parse_voter_query(" aa123456 ", 10);
        assert_eq!(q.ids, vec!["AA123456"]);
        assert!(q.names.is_empty() && q.address.is_none());

        let q = parse_voter_query("john smith", 10);
        assert_eq!(q.names[0].last_prefix, "SMITH");
        assert_eq!(q.names[0].first_prefix, "JOHN");
        assert_eq!(q.names[1].last_prefix, "JOHN");

        let q = parse_voter_query("Smith, John Q", 10);
        assert_eq!(q.names.len(), 1);
        assert_eq!(
            (
                q.names[0].last_prefix.as_str(),
                q.names[0].first_prefix.as_str()
            ),
            ("SMITH", "JOHN")
        );

        let q = parse_voter_query("123 North Main Street", 10);
        let a = q.address.expect("address");
        assert_eq!(a.house_number, "123");
        assert_eq!(a.street_prefix, "MAIN");

        assert!(parse_voter_query("  ,, ", 10).is_empty());
        assert_eq!(parse_voter_query("garc", 5).names[0].last_prefix, "GARC");
    }
}
