//! Donors resolved to people with the linkage engine (`votebase-link`): every exact
//! spelling of a donor (an identity: names, address, ZIP, email, phone) is deduplicated
//! against the identities already stored and the file's new ones with the Fellegi–Sunter
//! model; a new identity in one cluster with a stored one joins that person, new
//! identities clustered only among themselves become one new person. Deterministic
//! email and phone rules are off: spouses who share an email stay two people (each with
//! a limit of their own) and come out as `possible_duplicate_donor` flags instead; the
//! household guard keeps plainly different first names apart, while nickname variants
//! ("Bob"/"Robert") at one address merge. Stored identities never move between people.

use crate::people::linkage::{ACCEPT, Explained};

/// Donor pairs at or above this (and below [`ACCEPT`]) go to the review queue: lower than
/// the volunteers' review threshold, because a missed duplicate donor is a contribution
/// limit that goes unchecked. Namesakes in one ZIP on other streets score about 0.3-0.45
/// on the demo's giving history; a finance team looks at them before they stay apart.
pub const DONOR_REVIEW: f64 = 0.25;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use votebase_domain::donations::DonorDetails;
use votebase_link::{Dataset, LinkConfig, NoProgress, PersonRecord, infer_config};
use votebase_store::donations::{DonorIdentity, NewDonor, NewDonorReview};

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
    /// Uncertain pairs to queue for review.
    pub reviews: Vec<NewDonorReview>,
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

/// Resolves `new` identities (key → details, not yet stored) against `known` ones: pairs
/// at or above the acceptance threshold join (union-find), pairs between the review and
/// the acceptance thresholds that involve a new identity and end up under two people are
/// queued for review with their explanation.
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
    let pairs = Dataset::from_records("donors", records)
        .map_err(|e| e.to_string())
        .and_then(|data| {
            let mut config = LinkConfig {
                threshold: DONOR_REVIEW,
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
            let mut sink = Explained::default();
            votebase_link::dedupe(&data, &config, &mut sink, &NoProgress)
                .map(|_| sink.0)
                .map_err(|e| e.to_string())
        });
    let pairs = pairs.unwrap_or_else(|why| {
        out.skipped = Some(format!("donor linkage did not run: {why}"));
        Vec::new()
    });
    let mut root: Vec<usize> = (0..keys.len()).collect();
    fn find(root: &mut [usize], mut x: usize) -> usize {
        while root[x] != x {
            root[x] = root[root[x]];
            x = root[x];
        }
        x
    }
    for &(a, b, p, _) in &pairs {
        if p >= ACCEPT {
            let (ra, rb) = (find(&mut root, a as usize), find(&mut root, b as usize));
            root[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..keys.len() {
        let r = find(&mut root, i);
        groups.entry(r).or_default().push(i);
    }
    let n_known = known.len();
    let mut person_of: HashMap<&str, String> = HashMap::new();
    for group in groups.into_values() {
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
    let person_at = |i: usize| -> String {
        if i < n_known {
            known[i].person.clone()
        } else {
            person_of
                .get(keys[i])
                .cloned()
                .unwrap_or_else(|| person_id(keys[i]))
        }
    };
    let mut queued = BTreeSet::new();
    for (a, b, p, why) in pairs {
        let (a, b) = (a as usize, b as usize);
        if p >= ACCEPT || (a < n_known && b < n_known) || person_at(a) == person_at(b) {
            continue;
        }
        // The new side comes in; with two new sides, the later key joins the earlier.
        let (key, other) = match (a >= n_known, b >= n_known) {
            (true, false) => (keys[a], keys[b]),
            (false, true) => (keys[b], keys[a]),
            _ => (keys[a].max(keys[b]), keys[a].min(keys[b])),
        };
        if queued.insert((key, other)) {
            out.reviews.push(NewDonorReview {
                key: key.to_string(),
                other_key: other.to_string(),
                probability: p,
                explanation: why,
            });
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
