//! Donors and contributions on SQLite (`0015_donations.sql`): one transaction per import
//! file (new people for new donors, identities, then contributions with
//! `ON CONFLICT DO NOTHING` on source and receipt id), reads joined through the
//! identities to their people, the compliance rules table, and the review queue of
//! uncertain donor pairs (`0016_donor_reviews.sql`).

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use rusqlite::{Connection, params};
use votebase_domain::donations::{
    ComplianceRules, Contribution, ContributionKind, DonorDetails, Election, ElectionKind,
    NewContribution,
};
use votebase_store::donations::{
    DonationImport, DonationImportOutcome, DonationStore, DonorIdentity, DonorReview, ReviewStatus,
};
use votebase_store::{StoreError, StoreResult};

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn import(c: &mut Connection, batch: &DonationImport) -> StoreResult<DonationImportOutcome> {
    let tx = c.transaction().map_err(db)?;
    let now = Utc::now().to_rfc3339();
    let mut outcome = DonationImportOutcome::default();
    {
        let mut person = tx
            .prepare_cached(
                "INSERT INTO people (external_id, source, first_name, last_name, address, zip,
                   consent_email, consent_text, consent_at, consent_wording, fingerprint,
                   created_at, updated_at)
                 VALUES (?1, 'donations', ?2, ?3, ?4, ?5, 0, 0, NULL, '', '', ?6, ?6)
                 ON CONFLICT (external_id) DO NOTHING",
            )
            .map_err(db)?;
        let mut email = tx
            .prepare_cached(
                "INSERT INTO person_emails (person_id, position, email) VALUES (?1, 0, ?2)",
            )
            .map_err(db)?;
        let mut phone = tx
            .prepare_cached(
                "INSERT INTO person_phones (person_id, position, phone) VALUES (?1, 0, ?2)",
            )
            .map_err(db)?;
        for d in &batch.donors {
            let p = &d.details;
            let added = person
                .execute(params![
                    d.external_id,
                    p.first_name,
                    p.last_name,
                    p.address,
                    p.zip,
                    now
                ])
                .map_err(db)?;
            if added == 1 {
                outcome.new_donors += 1;
                let id = tx.last_insert_rowid();
                if !p.email.is_empty() {
                    email.execute(params![id, p.email]).map_err(db)?;
                }
                if !p.phone.is_empty() {
                    phone.execute(params![id, p.phone]).map_err(db)?;
                }
            }
        }
        let mut identity = tx
            .prepare_cached(
                "INSERT INTO donor_identities (key, person_id, first_name, last_name, address,
                   city, state, zip, country, email, phone)
                 SELECT ?1, id, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11
                   FROM people WHERE external_id = ?2
                 ON CONFLICT (key) DO NOTHING",
            )
            .map_err(db)?;
        let mut person_known = tx
            .prepare_cached("SELECT 1 FROM people WHERE external_id = ?1")
            .map_err(db)?;
        for i in &batch.identities {
            if !person_known.exists([&i.person]).map_err(db)? {
                return Err(StoreError::Refused(format!(
                    "donor identity {} names unknown person {}",
                    i.key, i.person
                )));
            }
            let d = &i.details;
            identity
                .execute(params![
                    i.key,
                    i.person,
                    d.first_name,
                    d.last_name,
                    d.address,
                    d.city,
                    d.state,
                    d.zip,
                    d.country,
                    d.email,
                    d.phone
                ])
                .map_err(db)?;
        }
        let mut known_identity = tx
            .prepare_cached("SELECT 1 FROM donor_identities WHERE key = ?1")
            .map_err(db)?;
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO donations (source, receipt_id, kind, refers_to, committee_id,
                   election_kind, election_year, received_on, amount_cents, recurring, memo,
                   entity_type, identity_key, employer, occupation, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
                 ON CONFLICT (source, receipt_id) DO NOTHING",
            )
            .map_err(db)?;
        for x in &batch.contributions {
            let key = x.donor.identity_key();
            if !known_identity.exists([&key]).map_err(db)? {
                return Err(StoreError::Refused(format!(
                    "contribution {} of an unknown donor identity",
                    x.receipt_id
                )));
            }
            let n = insert
                .execute(params![
                    x.source,
                    x.receipt_id,
                    x.kind.code(),
                    x.refers_to,
                    x.committee_id,
                    x.election.kind.code(),
                    x.election.year,
                    x.received_on.to_string(),
                    x.amount_cents,
                    x.recurring,
                    x.memo,
                    x.entity_type,
                    key,
                    x.donor.employer,
                    x.donor.occupation,
                    now
                ])
                .map_err(db)?;
            if n == 1 {
                outcome.inserted += 1;
            } else {
                outcome.unchanged += 1;
            }
        }
    }
    {
        let mut review = tx
            .prepare_cached(
                "INSERT INTO donor_reviews (identity_key, other_key, probability, explanation,
                   queued_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (identity_key, other_key) DO NOTHING",
            )
            .map_err(db)?;
        for r in &batch.reviews {
            review
                .execute(params![
                    r.key,
                    r.other_key,
                    r.probability,
                    r.explanation,
                    now
                ])
                .map_err(db)?;
        }
    }
    if outcome.inserted > 0 {
        tx.execute(
            "UPDATE data_changes SET version = version + 1 WHERE id = 1",
            [],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)?;
    Ok(outcome)
}

fn identities(c: &Connection) -> StoreResult<Vec<DonorIdentity>> {
    let mut stmt = c
        .prepare(
            "SELECT i.key, p.external_id, i.first_name, i.last_name, i.address, i.city, i.state,
                    i.zip, i.country, i.email, i.phone
               FROM donor_identities i JOIN people p ON p.id = i.person_id
              ORDER BY i.key",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(DonorIdentity {
                key: r.get(0)?,
                person: r.get(1)?,
                details: DonorDetails {
                    first_name: r.get(2)?,
                    last_name: r.get(3)?,
                    address: r.get(4)?,
                    city: r.get(5)?,
                    state: r.get(6)?,
                    zip: r.get(7)?,
                    country: r.get(8)?,
                    email: r.get(9)?,
                    phone: r.get(10)?,
                    ..Default::default()
                },
            })
        })
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

const CONTRIBUTION_COLUMNS: &str = "p.external_id, d.source, d.receipt_id, d.kind, d.refers_to,
    d.committee_id, d.election_kind, d.election_year, d.received_on, d.amount_cents,
    d.recurring, d.memo, d.entity_type, d.employer, d.occupation, i.first_name, i.last_name,
    i.address, i.city, i.state, i.zip, i.country, i.email, i.phone";

fn contributions_where(
    c: &Connection,
    filter: &str,
    order: &str,
    param: rusqlite::types::Value,
) -> StoreResult<Vec<Contribution>> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT {CONTRIBUTION_COLUMNS}
               FROM donations d
               JOIN donor_identities i ON i.key = d.identity_key
               JOIN people p ON p.id = i.person_id
              WHERE {filter} ORDER BY {order}"
        ))
        .map_err(db)?;
    let mut rows = stmt.query([param]).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        let kind: String = r.get(3).map_err(db)?;
        let election_kind: String = r.get(6).map_err(db)?;
        let day: String = r.get(8).map_err(db)?;
        out.push(Contribution {
            person: r.get(0).map_err(db)?,
            contribution: NewContribution {
                source: r.get(1).map_err(db)?,
                receipt_id: r.get(2).map_err(db)?,
                kind: ContributionKind::parse(&kind)
                    .ok_or_else(|| corrupt("contribution kind", &kind))?,
                refers_to: r.get(4).map_err(db)?,
                committee_id: r.get(5).map_err(db)?,
                election: Election {
                    kind: ElectionKind::parse(&election_kind)
                        .ok_or_else(|| corrupt("election kind", &election_kind))?,
                    year: r.get(7).map_err(db)?,
                },
                received_on: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                    .map_err(|e| corrupt("contribution date", e))?,
                amount_cents: r.get(9).map_err(db)?,
                recurring: r.get(10).map_err(db)?,
                memo: r.get(11).map_err(db)?,
                entity_type: r.get(12).map_err(db)?,
                donor: DonorDetails {
                    employer: r.get(13).map_err(db)?,
                    occupation: r.get(14).map_err(db)?,
                    first_name: r.get(15).map_err(db)?,
                    last_name: r.get(16).map_err(db)?,
                    address: r.get(17).map_err(db)?,
                    city: r.get(18).map_err(db)?,
                    state: r.get(19).map_err(db)?,
                    zip: r.get(20).map_err(db)?,
                    country: r.get(21).map_err(db)?,
                    email: r.get(22).map_err(db)?,
                    phone: r.get(23).map_err(db)?,
                },
            },
        });
    }
    Ok(out)
}

const REVIEW_SELECT: &str = "SELECT r.id, r.identity_key, pa.external_id, a.first_name,
    a.last_name, a.address, a.city, a.state, a.zip, a.country, a.email, a.phone, r.other_key,
    pb.external_id, b.first_name, b.last_name, b.address, b.city, b.state, b.zip, b.country,
    b.email, b.phone, r.probability, r.explanation, r.status, r.decided_by
  FROM donor_reviews r
  JOIN donor_identities a ON a.key = r.identity_key JOIN people pa ON pa.id = a.person_id
  JOIN donor_identities b ON b.key = r.other_key JOIN people pb ON pb.id = b.person_id";

fn review_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<(DonorReview, String)> {
    let side = |at: usize| -> rusqlite::Result<DonorDetails> {
        Ok(DonorDetails {
            first_name: r.get(at)?,
            last_name: r.get(at + 1)?,
            address: r.get(at + 2)?,
            city: r.get(at + 3)?,
            state: r.get(at + 4)?,
            zip: r.get(at + 5)?,
            country: r.get(at + 6)?,
            email: r.get(at + 7)?,
            phone: r.get(at + 8)?,
            ..Default::default()
        })
    };
    let status: String = r.get(25)?;
    Ok((
        DonorReview {
            id: r.get(0)?,
            key: r.get(1)?,
            person: r.get(2)?,
            details: side(3)?,
            other_key: r.get(12)?,
            other_person: r.get(13)?,
            other_details: side(14)?,
            probability: r.get(23)?,
            explanation: r.get(24)?,
            status: ReviewStatus::Pending,
            decided_by: r.get(26)?,
        },
        status,
    ))
}

fn reviews_where(c: &Connection, filter: &str, param: i64) -> StoreResult<Vec<DonorReview>> {
    let mut stmt = c
        .prepare(&format!("{REVIEW_SELECT} WHERE {filter} ORDER BY r.id"))
        .map_err(db)?;
    let rows = stmt.query_map([param], review_of).map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (mut review, status) = row.map_err(db)?;
        review.status =
            ReviewStatus::parse(&status).ok_or_else(|| corrupt("review status", &status))?;
        out.push(review);
    }
    Ok(out)
}

fn decide(c: &mut Connection, id: i64, accept: bool, by: &str) -> StoreResult<Option<DonorReview>> {
    let tx = c.transaction().map_err(db)?;
    let Some(review) = reviews_where(&tx, "r.id = ?1", id)?.pop() else {
        return Ok(None);
    };
    if review.status != ReviewStatus::Pending {
        return Err(StoreError::Refused(format!(
            "review {id} is already {} by {}",
            review.status.code(),
            review.decided_by
        )));
    }
    let status = if accept {
        ReviewStatus::Accepted
    } else {
        ReviewStatus::Rejected
    };
    if accept && review.person != review.other_person {
        let person_of = |key: &str| -> StoreResult<i64> {
            tx.query_row(
                "SELECT person_id FROM donor_identities WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .map_err(db)
        };
        let (from, to) = (person_of(&review.key)?, person_of(&review.other_key)?);
        tx.execute(
            "UPDATE donor_identities SET person_id = ?2 WHERE person_id = ?1",
            params![from, to],
        )
        .map_err(db)?;
    }
    tx.execute(
        "UPDATE donor_reviews SET status = ?2, decided_by = ?3, decided_at = ?4 WHERE id = ?1",
        params![id, status.code(), by, Utc::now().to_rfc3339()],
    )
    .map_err(db)?;
    let after = reviews_where(&tx, "r.id = ?1", id)?.pop();
    tx.commit().map_err(db)?;
    Ok(after)
}

fn rules(c: &Connection) -> StoreResult<Vec<ComplianceRules>> {
    let mut stmt = c
        .prepare(
            "SELECT committee_id, cycle, per_election_limit_cents, itemize_over_cents
               FROM donation_rules ORDER BY committee_id, cycle",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(ComplianceRules {
                committee_id: r.get(0)?,
                cycle: r.get(1)?,
                per_election_limit_cents: r.get(2)?,
                itemize_over_cents: r.get(3)?,
            })
        })
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

#[async_trait]
impl DonationStore for SqliteStore {
    async fn donor_identities(&self) -> StoreResult<Vec<DonorIdentity>> {
        self.with_conn(|c| identities(c)).await
    }

    async fn import_donations(&self, batch: &DonationImport) -> StoreResult<DonationImportOutcome> {
        let batch = batch.clone();
        self.with_conn(move |c| import(c, &batch)).await
    }

    async fn contributions(&self, cycle: Option<i32>) -> StoreResult<Vec<Contribution>> {
        let param = match cycle {
            Some(y) => rusqlite::types::Value::Integer(i64::from(y)),
            None => rusqlite::types::Value::Null,
        };
        self.with_conn(move |c| {
            contributions_where(
                c,
                "(?1 IS NULL OR d.election_year = ?1)",
                "d.received_on, d.receipt_id",
                param,
            )
        })
        .await
    }

    async fn contributions_of_person(&self, person: &str) -> StoreResult<Vec<Contribution>> {
        let param = rusqlite::types::Value::Text(person.to_string());
        self.with_conn(move |c| {
            contributions_where(
                c,
                "p.external_id = ?1",
                "d.received_on DESC, d.receipt_id DESC",
                param,
            )
        })
        .await
    }

    async fn donation_rules(&self) -> StoreResult<Vec<ComplianceRules>> {
        self.with_conn(|c| rules(c)).await
    }

    async fn donor_reviews(&self, pending_only: bool) -> StoreResult<Vec<DonorReview>> {
        self.with_conn(move |c| {
            reviews_where(
                c,
                "(?1 = 0 OR r.status = 'pending')",
                i64::from(pending_only),
            )
        })
        .await
    }

    async fn decide_donor_review(
        &self,
        id: i64,
        accept: bool,
        decided_by: &str,
    ) -> StoreResult<Option<DonorReview>> {
        let by = decided_by.to_string();
        self.with_conn(move |c| decide(c, id, accept, &by)).await
    }

    async fn put_donation_rules(&self, r: &ComplianceRules) -> StoreResult<()> {
        let r = r.clone();
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO donation_rules (committee_id, cycle, per_election_limit_cents,
                   itemize_over_cents, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (committee_id, cycle) DO UPDATE SET
                   per_election_limit_cents = excluded.per_election_limit_cents,
                   itemize_over_cents = excluded.itemize_over_cents,
                   updated_at = excluded.updated_at",
                params![
                    r.committee_id,
                    r.cycle,
                    r.per_election_limit_cents,
                    r.itemize_over_cents,
                    Utc::now().to_rfc3339()
                ],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }
}
