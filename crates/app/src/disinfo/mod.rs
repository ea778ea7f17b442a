//! The disinformation watch's use cases, for the CLI and the server alike: ingest posts
//! (from a monitoring export, a public tip, or the hotline's `misinformation` incidents,
//! linked by id) through the `narrative` engine — the clustering resumes from the
//! signatures the store saved, each item is assigned to a narrative, matched to the claim
//! catalogue and searched for the organization's counties — then store them in one
//! transaction and test every touched narrative for alerts (a spike, or a county named on
//! an election day; [`alerts`], which also mails the subscribers through the outbox);
//! list narratives with their peak hour and claim; import claims; act on a narrative;
//! evaluate the clustering on a generated labelled stream.

pub mod alerts;
pub mod bench;
mod files;

pub use alerts::{WatchContext, raise_alerts};

pub use files::{
    CLAIM_COLUMNS, MAX_FIELD, MAX_LISTED, MAX_TEXT, POST_COLUMNS, read_claims, read_posts,
};

use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use votebase_domain::disinfo::{Alert, Claim, Narrative, NarrativeAction, NewItem, sources};
use votebase_domain::uploads::sniff_image;
use votebase_narrative::claims::ClaimIndex;
use votebase_narrative::eval::{Scores, score};
use votebase_narrative::synth::{CLAIMS, StreamSpec, stream};
use votebase_narrative::{ClusterParams, Clusterer, PlaceMatcher, Prepared, Signature};
use votebase_store::disinfo::{ClaimImportOutcome, ItemImportOutcome};
use votebase_store::{Store, StoreError};

/// One line of a rejected file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number (the header is line 1).
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// Why a disinformation use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum DisinfoError {
    /// The input is not acceptable (the message says why): a 400.
    #[error("{0}")]
    Invalid(String),
    /// A file with bad rows: nothing was stored.
    #[error("{file}: {} bad row(s), nothing stored; first: line {}: {}", errors.len(),
        errors.first().map_or(0, |e| e.line), errors.first().map_or("", |e| e.reason.as_str()))]
    Rejected {
        /// The file.
        file: String,
        /// Every bad row.
        errors: Vec<LineError>,
    },
    /// No such narrative.
    #[error("{0}")]
    NotFound(String),
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One incoming item before clustering.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// `import`, `tip` or `hotline`.
    pub source: String,
    /// The source's id.
    pub source_id: String,
    /// The text clustered.
    pub text: String,
    /// The text stored (empty for hotline items, whose incident keeps it).
    pub stored_text: String,
    /// Link.
    pub url: String,
    /// Platform, lower case.
    pub platform: String,
    /// Author handle.
    pub author: String,
    /// When posted.
    pub posted_at: DateTime<Utc>,
    /// Reach, if known.
    pub reach: Option<i64>,
    /// The hotline incident (hotline items).
    pub incident_id: Option<i64>,
    /// A checked screenshot (tips).
    pub screenshot: Option<(String, Vec<u8>)>,
}

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestOutcome {
    /// What the store did.
    pub stored: ItemImportOutcome,
    /// Alerts raised by this ingest.
    pub alerts: Vec<Alert>,
    /// Stored items per narrative they joined.
    pub narratives: BTreeMap<i64, i64>,
}

/// Clusters, matches and stores posts, then raises alerts for the narratives they joined.
/// Posts already stored (same source and id) are skipped before clustering, so a second
/// ingest of the same posts changes nothing. Posts are taken oldest first.
pub async fn ingest(
    store: &dyn Store,
    mut posts: Vec<Post>,
    ctx: &WatchContext,
    now: DateTime<Utc>,
) -> Result<IngestOutcome, DisinfoError> {
    let keys: Vec<(String, String)> = posts
        .iter()
        .map(|p| (p.source.clone(), p.source_id.clone()))
        .collect();
    let known: HashSet<(String, String)> = store.known_items(&keys).await?.into_iter().collect();
    let skipped = posts.len();
    posts.retain(|p| !known.contains(&(p.source.clone(), p.source_id.clone())));
    let skipped = (skipped - posts.len()) as i64;
    posts.sort_by_key(|p| p.posted_at);

    let state = store.cluster_state().await?;
    let mut clusterer = Clusterer::new(ClusterParams::default(), 1);
    clusterer.reserve_through(state.max_narrative);
    for (n, bytes) in &state.representatives {
        let sig = Signature::from_bytes(bytes).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "narrative {n}: a stored signature of {} bytes",
                bytes.len()
            ))
        })?;
        clusterer.resume(*n, sig);
    }
    let claims = claim_index(&store.list_claims().await?);
    let matcher = PlaceMatcher::new(&ctx.places);

    let texts: Vec<&str> = posts.iter().map(|p| p.text.as_str()).collect();
    let prepared = Prepared::all(&texts);
    let mut items = Vec::with_capacity(posts.len());
    let mut per_narrative: BTreeMap<i64, i64> = BTreeMap::new();
    for (p, prep) in posts.into_iter().zip(prepared) {
        let a = clusterer.assign(&prep.signature);
        *per_narrative.entry(a.narrative).or_default() += 1;
        let found = matcher.find(&p.text);
        items.push(NewItem {
            source: p.source,
            source_id: p.source_id,
            text: p.stored_text,
            url: p.url,
            platform: p.platform,
            author: p.author,
            posted_at: p.posted_at,
            reach: p.reach,
            incident_id: p.incident_id,
            lang: prep.lang.code().into(),
            narrative_id: a.narrative,
            new_narrative: a.created,
            representative: a.representative,
            signature: prep.signature.to_bytes(),
            claim: claims.best(&prep.tokens).map(|m| (m.claim, m.similarity)),
            places: found,
            screenshot: p.screenshot,
        });
    }
    let mut stored = store.import_items(&items, now).await?;
    stored.known += skipped;
    let touched: Vec<i64> = per_narrative.keys().copied().collect();
    let alerts = raise_alerts(store, Some(&touched), ctx, now).await?;
    Ok(IngestOutcome {
        stored,
        alerts,
        narratives: per_narrative,
    })
}

/// The claim index of a catalogue (each claim by its English and Spanish texts).
pub fn claim_index(claims: &[Claim]) -> ClaimIndex {
    let mut idx = ClaimIndex::new(ClaimIndex::DEFAULT_THRESHOLD);
    for c in claims {
        idx.add(c.id, &c.claim.claim_en);
        idx.add(c.id, &c.claim.claim_es);
    }
    idx
}

/// Brings the hotline's `misinformation` incidents not yet in the watch into it (linked
/// by incident id; the text stays in the incident).
pub async fn sync_hotline(
    store: &dyn Store,
    ctx: &WatchContext,
    now: DateTime<Utc>,
) -> Result<IngestOutcome, DisinfoError> {
    let reports = store.unlinked_misinformation().await?;
    if reports.is_empty() {
        return Ok(IngestOutcome::default());
    }
    let posts = reports
        .into_iter()
        .map(|r| Post {
            source: sources::HOTLINE.into(),
            source_id: format!("incident-{}", r.incident_id),
            text: format!("{} {}", r.description, county_mention(&r.county)),
            stored_text: String::new(),
            url: String::new(),
            platform: "hotline".into(),
            author: String::new(),
            posted_at: r.observed_at,
            reach: None,
            incident_id: Some(r.incident_id),
            screenshot: None,
        })
        .collect();
    ingest(store, posts, ctx, now).await
}

/// How the hotline's county is named for the place matcher ("WAKE County").
fn county_mention(county: &str) -> String {
    if county.is_empty() {
        String::new()
    } else {
        format!("{county} County")
    }
}

/// Longest tip text (characters).
pub const MAX_TIP_TEXT: usize = 2_000;
/// Largest tip screenshot (bytes).
pub const MAX_SCREENSHOT: usize = 2 * 1024 * 1024;

/// A tip from the public form.
#[derive(Debug, Clone, Default)]
pub struct Tip {
    /// What they saw.
    pub text: String,
    /// Where (a link).
    pub link: String,
    /// A screenshot's bytes, if any.
    pub screenshot: Option<Vec<u8>>,
}

/// Checks and stores a public tip (text and/or link; a screenshot must be a PNG, JPEG,
/// GIF or WebP by its magic bytes). Returns the tip's id and what the ingest did (its
/// narrative, any alert it raised).
pub async fn submit_tip(
    store: &dyn Store,
    tip: Tip,
    ctx: &WatchContext,
    now: DateTime<Utc>,
) -> Result<(String, IngestOutcome), DisinfoError> {
    let text = tip.text.trim().to_string();
    let link = tip.link.trim().to_string();
    if text.is_empty() && link.is_empty() {
        return Err(DisinfoError::Invalid(
            "write what you saw or paste a link".into(),
        ));
    }
    if text.chars().count() > MAX_TIP_TEXT {
        return Err(DisinfoError::Invalid(format!(
            "the text is longer than {MAX_TIP_TEXT} characters"
        )));
    }
    if link.chars().count() > MAX_FIELD {
        return Err(DisinfoError::Invalid(format!(
            "the link is longer than {MAX_FIELD} characters"
        )));
    }
    if !(link.is_empty() || link.starts_with("https://") || link.starts_with("http://")) {
        return Err(DisinfoError::Invalid(
            "the link must start with https://".into(),
        ));
    }
    let screenshot = match tip.screenshot {
        Some(bytes) if !bytes.is_empty() => {
            if bytes.len() > MAX_SCREENSHOT {
                return Err(DisinfoError::Invalid(format!(
                    "the screenshot is larger than {} MB",
                    MAX_SCREENSHOT / (1024 * 1024)
                )));
            }
            let kind = sniff_image(&bytes).ok_or_else(|| {
                DisinfoError::Invalid("the screenshot is not a PNG, JPEG, GIF or WebP image".into())
            })?;
            Some((kind.mime().to_string(), bytes))
        }
        _ => None,
    };
    let id = format!("tip-{}-{:016x}", now.timestamp(), rand::random::<u64>());
    let post = Post {
        source: sources::TIP.into(),
        source_id: id.clone(),
        text: format!("{text} {link}"),
        stored_text: text,
        url: link,
        platform: "tip".into(),
        author: String::new(),
        posted_at: now,
        reach: None,
        incident_id: None,
        screenshot,
    };
    let out = ingest(store, vec![post], ctx, now).await?;
    Ok((id, out))
}

/// One line of `disinfo narratives`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NarrativeRow {
    /// The narrative.
    pub narrative: Narrative,
    /// Its highest hourly count.
    pub peak_per_hour: i64,
    /// The linked claim's key.
    pub claim_key: Option<String>,
}

/// Narratives seen since `since` with their peak hour and claim key.
pub async fn narrative_rows(
    store: &dyn Store,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<NarrativeRow>, DisinfoError> {
    let narratives = store.list_narratives(since).await?;
    let ids: Vec<i64> = narratives.iter().map(|n| n.id).collect();
    let mut peak: HashMap<i64, i64> = HashMap::new();
    for (n, _, c) in store.narrative_hourly(Some(&ids)).await? {
        let p = peak.entry(n).or_default();
        *p = (*p).max(c);
    }
    let keys: HashMap<i64, String> = store
        .list_claims()
        .await?
        .into_iter()
        .map(|c| (c.id, c.claim.key))
        .collect();
    Ok(narratives
        .into_iter()
        .map(|n| NarrativeRow {
            peak_per_hour: peak.get(&n.id).copied().unwrap_or(0),
            claim_key: n.claim_id.and_then(|c| keys.get(&c).cloned()),
            narrative: n,
        })
        .collect())
}

/// Adds claims from a file's rows.
pub async fn import_claims(
    store: &dyn Store,
    claims: &[votebase_domain::disinfo::NewClaim],
) -> Result<ClaimImportOutcome, DisinfoError> {
    Ok(store.import_claims(claims).await?)
}

/// Applies a workflow action.
pub async fn act(
    store: &dyn Store,
    id: i64,
    actor: &str,
    action: &NarrativeAction,
    now: DateTime<Utc>,
) -> Result<Narrative, DisinfoError> {
    match store.act_on_narrative(id, actor, action, now).await {
        Ok(Some(n)) => Ok(n),
        Ok(None) => Err(DisinfoError::NotFound(format!("no narrative {id}"))),
        Err(StoreError::Refused(why)) => Err(DisinfoError::Invalid(why)),
        Err(e) => Err(e.into()),
    }
}

/// The generated labelled stream as posts (with their labels), and its claims.
pub fn labelled_stream(
    seed: u64,
    chatter: usize,
) -> (
    Vec<(Post, Option<&'static str>)>,
    Vec<votebase_domain::disinfo::NewClaim>,
) {
    let posts = stream(&StreamSpec::election_day(seed, chatter))
        .into_iter()
        .map(|p| {
            (
                Post {
                    source: sources::IMPORT.into(),
                    source_id: p.id,
                    stored_text: p.text.clone(),
                    text: p.text,
                    url: p.url,
                    platform: p.platform.into(),
                    author: p.author,
                    posted_at: p.posted_at,
                    reach: None,
                    incident_id: None,
                    screenshot: None,
                },
                p.label,
            )
        })
        .collect();
    (posts, synth_claims())
}

/// The generated stream's claim catalogue.
pub fn synth_claims() -> Vec<votebase_domain::disinfo::NewClaim> {
    CLAIMS
        .iter()
        .map(|c| votebase_domain::disinfo::NewClaim {
            key: c.key.into(),
            verdict: votebase_domain::disinfo::Verdict::parse(c.verdict)
                .unwrap_or(votebase_domain::disinfo::Verdict::Unverified),
            claim_en: c.claim_en.into(),
            claim_es: c.claim_es.into(),
            counter_en: c.counter_en.into(),
            counter_es: c.counter_es.into(),
            source: c.source.into(),
        })
        .collect()
}

/// The result of `disinfo eval`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EvalReport {
    /// Posts clustered.
    pub posts: usize,
    /// Purity and recall over the planted narratives.
    pub scores: Scores,
    /// Narratives that alerted, with their majority label (`None`: chatter).
    pub alerts: Vec<(i64, Option<String>)>,
    /// Planted posts linked to their own narrative's claim, of those linked to any claim.
    pub claim_links: (usize, usize),
}

/// Clusters the generated labelled stream through the store (ingest as any import) and
/// scores it: purity, recall, alerts and claim links.
pub async fn evaluate(
    store: &dyn Store,
    seed: u64,
    chatter: usize,
    now: DateTime<Utc>,
) -> Result<EvalReport, DisinfoError> {
    let (posts, claims) = labelled_stream(seed, chatter);
    store.import_claims(&claims).await?;
    let labels: HashMap<String, Option<&'static str>> = posts
        .iter()
        .map(|(p, l)| (p.source_id.clone(), *l))
        .collect();
    let n = posts.len();
    ingest(
        store,
        posts.into_iter().map(|(p, _)| p).collect(),
        &WatchContext::default(),
        now,
    )
    .await?;
    let assigned = store.item_narratives().await?;
    let pairs: Vec<(i64, Option<&'static str>)> = assigned
        .iter()
        .filter_map(|i| labels.get(&i.source_id).map(|l| (i.narrative_id, *l)))
        .collect();
    let scores = score(&pairs);
    let mut majority: HashMap<i64, HashMap<Option<&str>, usize>> = HashMap::new();
    for (nid, l) in &pairs {
        *majority.entry(*nid).or_default().entry(*l).or_default() += 1;
    }
    let alerts = store
        .list_alerts()
        .await?
        .into_iter()
        .map(|a| {
            let label = majority
                .get(&a.narrative_id)
                .and_then(|m| m.iter().max_by_key(|(_, c)| **c).map(|(l, _)| *l))
                .flatten()
                .map(String::from);
            (a.narrative_id, label)
        })
        .collect();
    let claim_keys: HashMap<i64, String> = store
        .list_claims()
        .await?
        .into_iter()
        .map(|c| (c.id, c.claim.key))
        .collect();
    let mut linked = (0, 0);
    let narratives: HashSet<i64> = pairs.iter().map(|(n, _)| *n).collect();
    for nid in narratives {
        for item in store.narrative_items(nid, 0).await? {
            let (Some(label), Some(claim)) = (
                labels.get(&item.source_id).copied().flatten(),
                item.claim_id,
            ) else {
                continue;
            };
            linked.1 += 1;
            if claim_keys.get(&claim).map(String::as_str) == Some(label) {
                linked.0 += 1;
            }
        }
    }
    Ok(EvalReport {
        posts: n,
        scores,
        alerts,
        claim_links: linked,
    })
}
