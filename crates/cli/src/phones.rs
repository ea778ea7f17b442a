//! `votebase import phones FILE`: appends purchased or collected cell numbers to voters.
//! Each row of the file (names, address, phone) is linked to the voter file with the
//! record-linkage engine; the number goes to the best-matching voter of each household it
//! reaches, with the match probability kept, and a number that reaches several households
//! is flagged rather than silently spread.

use crate::link::voter_to_person;
use crate::stores;
use crate::voters::cli_actor;
use anyhow::bail;
use chrono::Utc;
use std::collections::BTreeMap;
use std::path::PathBuf;
use votebase_domain::AuditEntry;
use votebase_link::{CollectPairs, NoProgress, infer_config, link, read_csv, read_headers};
use votebase_normalize::normalize_phone;
use votebase_store::PhoneAppend;

/// (contact row, voter row, probability) of every linked pair.
type ScoredPairs = Vec<(u32, u32, f64)>;

/// Options of `import phones`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example: votebase import phones purchased_cells.csv --threshold 0.95")]
pub struct PhoneArgs {
    /// CSV with names, an address and a phone column (roles inferred from the header).
    pub file: PathBuf,
    /// Minimum match probability to append a number.
    #[arg(long, default_value_t = 0.9)]
    pub threshold: f64,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn import_phones(global: &crate::options::Global, args: PhoneArgs) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let headers = read_headers(&args.file)?;
    let mut config = infer_config(&headers);
    if config.columns.phone.is_none() {
        bail!(
            "{}: no phone column found in the header ({}); name it phone, cell or mobile",
            args.file.display(),
            headers.join(", ")
        );
    }
    config.threshold = args.threshold;
    config.validate()?;
    let contacts = read_csv(&args.file, &config)?;
    // One pass over the voter file: the records (for households and ids) and the
    // linkage dataset built from them.
    if store.latest_snapshot().await?.is_none() {
        bail!(
            "no voter file in this organization's store: import one first (votebase import voters FILE --layout NAME)"
        );
    }
    let voter_records = crate::link::all_voters(store.as_ref()).await?;
    let mut voters = votebase_link::Dataset::new("voters");
    for v in &voter_records {
        voters.push(&voter_to_person(v))?;
    }
    let (contacts, voters, cfg) = (contacts, voters, config.clone());
    let pairs = tokio::task::spawn_blocking(
        move || -> anyhow::Result<(ScoredPairs, votebase_link::Dataset)> {
            let mut sink = CollectPairs::default();
            link(&contacts, &voters, &cfg, &mut sink, &NoProgress)?;
            Ok((sink.0, contacts))
        },
    )
    .await??;
    let (pairs, contacts) = pairs;

    // Best voter per contact row.
    let mut best: BTreeMap<u32, (u32, f64)> = BTreeMap::new();
    for (a, b, p) in pairs {
        let e = best.entry(a).or_insert((b, p));
        if p > e.1 {
            *e = (b, p);
        }
    }
    // Per number: the best voter of each household it reaches.
    let mut by_phone: BTreeMap<String, BTreeMap<String, (usize, f64)>> = BTreeMap::new();
    let (mut invalid, mut unmatched) = (0u64, 0u64);
    for i in 0..contacts.len() {
        let phone = normalize_phone(&contacts.normalised(i).phone);
        if phone.e164.is_empty() {
            invalid += 1;
            continue;
        }
        let Some((voter, p)) = best.get(&(i as u32)) else {
            unmatched += 1;
            continue;
        };
        let v = &voter_records[*voter as usize];
        let household = format!("{}|{}", v.address.line1(), v.address.zip5);
        let slot = by_phone
            .entry(phone.e164)
            .or_default()
            .entry(household)
            .or_insert((*voter as usize, *p));
        if *p > slot.1 {
            *slot = (*voter as usize, *p);
        }
    }
    let source = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut appends = Vec::new();
    let mut shared_numbers = 0;
    for (phone, households) in &by_phone {
        let shared = households.len() > 1;
        if shared {
            shared_numbers += 1;
        }
        for (voter, p) in households.values() {
            appends.push(PhoneAppend {
                state_voter_id: voter_records[*voter].state_voter_id.clone(),
                phone_e164: phone.clone(),
                source: source.clone(),
                probability: *p,
                shared_across_households: shared,
            });
        }
    }
    let new = store.append_phones(&appends).await?;
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: cli_actor(),
            action: "import".into(),
            subject: source.clone(),
            detail: format!("{} phone appends, {new} new", appends.len()),
        })
        .await?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"rows": contacts.len(), "appended": appends.len(), "new": new,
                "unmatched": unmatched, "invalid_phones": invalid, "shared_numbers": shared_numbers})
        );
    } else {
        println!(
            "{source}: {} rows, {} numbers appended to voters ({new} new), {unmatched} rows matched no voter, {invalid} impossible numbers, {shared_numbers} numbers reach several households (flagged)",
            contacts.len(),
            appends.len()
        );
    }
    Ok(())
}
