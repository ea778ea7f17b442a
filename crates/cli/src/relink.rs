//! Refresh linking: after a voter-file refresh, voters who disappeared and voters who
//! appeared in the same snapshot are linked with the record-linkage engine (names, birth
//! year, address, phone), so a voter whose state id changed keeps their history: both
//! records get a `relinked` change naming the other id.

use crate::link::voter_to_person;
use votebase_domain::ChangeKind;
use votebase_link::{CollectPairs, Dataset, NoProgress, infer_config, link};
use votebase_store::{Relink, Store};

/// Links the removed voters of `snapshot_id` to its added voters and records the links.
/// Returns how many were linked.
pub async fn relink_snapshot(
    store: &dyn Store,
    snapshot_id: i64,
    threshold: f64,
) -> anyhow::Result<usize> {
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    let mut offset = 0;
    loop {
        let page = store.snapshot_changes(snapshot_id, 10_000, offset).await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as i64;
        for c in page {
            match c.kind {
                ChangeKind::Removed => removed.push(c.state_voter_id),
                ChangeKind::Added => added.push(c.state_voter_id),
                _ => {}
            }
        }
    }
    if removed.is_empty() || added.is_empty() {
        return Ok(0);
    }
    let mut old = Dataset::new("removed");
    let mut new = Dataset::new("added");
    for (ids, ds) in [(&removed, &mut old), (&added, &mut new)] {
        for id in ids {
            if let Some(v) = store.get_voter(id).await? {
                ds.push(&voter_to_person(&v.record))?;
            }
        }
    }
    let mut config = infer_config(&[
        "first_name",
        "middle_name",
        "last_name",
        "birth_year",
        "house_number",
        "street",
        "address2",
        "city",
        "state",
        "zip",
        "phone",
    ]);
    config.threshold = threshold;
    let pairs = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Relink>> {
        let mut sink = CollectPairs::default();
        link(&old, &new, &config, &mut sink, &NoProgress)?;
        // One new record per old one and vice versa: the most probable pairs first.
        let mut pairs = sink.0;
        pairs.sort_by(|x, y| y.2.total_cmp(&x.2));
        let (mut used_old, mut used_new) = (
            std::collections::HashSet::new(),
            std::collections::HashSet::new(),
        );
        Ok(pairs
            .into_iter()
            .filter(|(a, b, _)| used_old.insert(*a) && used_new.insert(*b))
            .map(|(a, b, p)| Relink {
                old_state_voter_id: old.record_id(a as usize).to_string(),
                new_state_voter_id: new.record_id(b as usize).to_string(),
                probability: p,
            })
            .collect())
    })
    .await??;
    store.record_relinks(snapshot_id, &pairs).await?;
    Ok(pairs.len())
}
