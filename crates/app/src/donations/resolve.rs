//! Donors resolved to people with the linkage engine (`votebase-link`): every exact
//! spelling of a donor (an identity: names, address, ZIP, email, phone) is deduplicated
//! against the identities already stored and the file's new ones with the Fellegi–Sunter
//! model; a new identity in one cluster with a stored one joins that person, new
//! identities clustered only among themselves become one new person. Deterministic
//! email and phone rules are off: spouses who share an email stay two people (each with
//! a limit of their own) and come out as `possible_duplicate_donor` flags instead; the
//! household guard keeps plainly different first names apart, while nickname variants
//! ("Bob"/"Robert") at one address merge. Stored identities never move between people.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use votebase_domain::donations::DonorDetails;
use votebase_link::{Dataset, LinkConfig, NoProgress, PersonRecord, infer_config};
use votebase_store::donations::{DonorIdentity, NewDonor};

/// The outcome of resolving a file's new identities.
#[derive(Debug, Default)]
pub struct Resolution {
    /// People to create.
    pub donors: Vec<NewDonor>,
    /// New identities with their person.
    pub identities: Vec<DonorIdentity>,
    /// New identities that joined a person already stored.
    pub joined_known: u64,
    /// New identities merged with another new one into one new person.
    pub merged_new: u64,
    /// Why the linkage engine did not run (each new identity is then its own person).
    pub skipped: Option<String>,
}

fn record(key: &str, d: &DonorDetails) -> PersonRecord {
    PersonRecord {
        record_id: key.to_string(),
        first_name: d.first_name.clone(),
        last_name: d.last_name.clone(),
        street: d.address.clone(),
        city: d.city.clone(),
        state: d.state.clone(),
        zip: d.zip.clone(),
        phone: d.phone.clone(),
        email: d.email.clone(),
        ..Default::default()
    }
}

/// The external id of a new donor person: from the smallest identity key of its cluster,
/// so the same file resolves to the same ids.
fn person_id(key: &str) -> String {
    format!("donor:{key}")
}

/// Resolves `new` identities (key → details, not yet stored) against `known` ones.
pub fn resolve(known: &[DonorIdentity], new: BTreeMap<String, DonorDetails>) -> Resolution {
    let mut out = Resolution::default();
    if new.is_empty() {
        return out;
    }
    let mut keys: Vec<&str> = known.iter().map(|i| i.key.as_str()).collect();
    keys.extend(new.keys().map(String::as_str));
    let records = known
        .iter()
        .map(|i| record(&i.key, &i.details))
        .chain(new.iter().map(|(k, d)| record(k, d)));
    let clusters = Dataset::from_records("donors", records)
        .map_err(|e| e.to_string())
        .and_then(|data| {
            let mut config = LinkConfig {
                threshold: crate::people::linkage::ACCEPT,
                ..infer_config(&[
                    "id",
                    "first_name",
                    "last_name",
                    "address",
                    "city",
                    "state",
                    "zip",
                    "phone",
                    "email",
                ])
            };
            config.deterministic.email = false;
            config.deterministic.phone_last_name = false;
            let mut sink = votebase_link::CollectPairs::default();
            votebase_link::dedupe(&data, &config, &mut sink, &NoProgress)
                .map(|o| o.clusters)
                .map_err(|e| e.to_string())
        });
    let groups: Vec<Vec<usize>> = match clusters {
        Ok(c) => c
            .groups(1)
            .into_iter()
            .map(|g| g.into_iter().map(|m| m.index as usize).collect())
            .collect(),
        Err(why) => {
            out.skipped = Some(format!("donor linkage did not run: {why}"));
            (0..keys.len()).map(|i| vec![i]).collect()
        }
    };
    let n_known = known.len();
    let mut person_of: HashMap<&str, String> = HashMap::new();
    for group in groups {
        let new_members: BTreeSet<&str> = group
            .iter()
            .filter(|&&i| i >= n_known)
            .map(|&i| keys[i])
            .collect();
        let Some(first_new) = new_members.first() else {
            continue;
        };
        let stored: BTreeSet<&str> = group
            .iter()
            .filter(|&&i| i < n_known)
            .map(|&i| known[i].person.as_str())
            .collect();
        let person = match stored.first() {
            Some(p) => {
                out.joined_known += new_members.len() as u64;
                p.to_string()
            }
            None => {
                let p = person_id(first_new);
                out.merged_new += new_members.len() as u64 - 1;
                out.donors.push(NewDonor {
                    external_id: p.clone(),
                    details: new[*first_new].clone(),
                });
                p
            }
        };
        for k in new_members {
            person_of.insert(k, person.clone());
        }
    }
    for (key, details) in &new {
        let person = person_of
            .get(key.as_str())
            .cloned()
            .unwrap_or_else(|| person_id(key));
        out.identities.push(DonorIdentity {
            key: key.clone(),
            person,
            details: details.clone(),
        });
    }
    out
}
