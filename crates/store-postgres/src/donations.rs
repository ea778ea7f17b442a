//! Donors and contributions on PostgreSQL (`0015_donations.sql`): an import streams new
//! donors, identities and contributions with `COPY` into temporary staging tables, checks
//! that every contribution's identity and every identity's person is known, then inserts
//! with set-based SQL (`ON CONFLICT DO NOTHING` on source and receipt id), all in one
//! transaction. Reads join contributions through identities to their people. The review
//! queue of uncertain donor pairs is `0016_donor_reviews.sql`; a decision locks its row.

use crate::{PgStore, copy, db};
use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{AssertSqlSafe, Row};
use votebase_domain::donations::{
    ComplianceRules, Contribution, ContributionKind, DonorDetails, Election, ElectionKind,
    NewContribution,
};
use votebase_store::donations::{
    DonationImport, DonationImportOutcome, DonationStore, DonorIdentity, DonorReview, ReviewStatus,
};
use votebase_store::{StoreError, StoreResult};

/// Bytes of COPY text buffered before they are sent.
const COPY_CHUNK: usize = 4 << 20;

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("stored {what} {v:?}"))
}

async fn exec(c: &mut PgConnection, sql: &str) -> StoreResult<u64> {
    sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        .map_err(db)
}

fn fields(buf: &mut Vec<u8>, values: &[&str]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        copy::text(buf, v);
    }
}

fn details(d: &DonorDetails) -> [&str; 9] {
    [
        &d.first_name,
        &d.last_name,
        &d.address,
        &d.city,
        &d.state,
        &d.zip,
        &d.country,
        &d.email,
        &d.phone,
    ]
}

/// Sends `rows` (already encoded) through one `COPY … FROM STDIN`.
async fn copy_rows<T>(
    c: &mut PgConnection,
    statement: &str,
    rows: &[T],
    encode: impl Fn(&mut Vec<u8>, &T),
) -> StoreResult<()> {
    let mut copy_in = c.copy_in_raw(statement).await.map_err(db)?;
    let mut buf: Vec<u8> = Vec::with_capacity(COPY_CHUNK + (64 << 10));
    for r in rows {
        encode(&mut buf, r);
        buf.push(b'\n');
        if buf.len() >= COPY_CHUNK {
            copy_in.send(buf.as_slice()).await.map_err(db)?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy_in.send(buf.as_slice()).await.map_err(db)?;
    }
    copy_in.finish().await.map_err(db)?;
    Ok(())
}

const IDENTITY_COLS: &str =
    "first_name, last_name, address, city, state, zip, country, email, phone";

async fn import(store: &PgStore, batch: &DonationImport) -> StoreResult<DonationImportOutcome> {
    let mut tx = store.pool.begin().await.map_err(db)?;
    exec(
        &mut tx,
        "CREATE TEMP TABLE donor_staging (
           external_id TEXT NOT NULL, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
           address TEXT NOT NULL, city TEXT NOT NULL, state TEXT NOT NULL, zip TEXT NOT NULL,
           country TEXT NOT NULL, email TEXT NOT NULL, phone TEXT NOT NULL) ON COMMIT DROP;
         CREATE TEMP TABLE identity_staging (
           key TEXT NOT NULL, person TEXT NOT NULL, first_name TEXT NOT NULL,
           last_name TEXT NOT NULL, address TEXT NOT NULL, city TEXT NOT NULL,
           state TEXT NOT NULL, zip TEXT NOT NULL, country TEXT NOT NULL, email TEXT NOT NULL,
           phone TEXT NOT NULL) ON COMMIT DROP;
         CREATE TEMP TABLE donation_staging (
           source TEXT NOT NULL, receipt_id TEXT NOT NULL, kind TEXT NOT NULL,
           refers_to TEXT NOT NULL, committee_id TEXT NOT NULL, election_kind TEXT NOT NULL,
           election_year INTEGER NOT NULL, received_on DATE NOT NULL,
           amount_cents BIGINT NOT NULL, recurring BOOLEAN NOT NULL, memo BOOLEAN NOT NULL,
           entity_type TEXT NOT NULL, identity_key TEXT NOT NULL, employer TEXT NOT NULL,
           occupation TEXT NOT NULL) ON COMMIT DROP;",
    )
    .await?;
    copy_rows(
        &mut tx,
        &format!("COPY donor_staging (external_id, {IDENTITY_COLS}) FROM STDIN"),
        &batch.donors,
        |buf, d| {
            copy::text(buf, &d.external_id);
            buf.push(b'\t');
            fields(buf, &details(&d.details));
        },
    )
    .await?;
    copy_rows(
        &mut tx,
        &format!("COPY identity_staging (key, person, {IDENTITY_COLS}) FROM STDIN"),
        &batch.identities,
        |buf, i| {
            fields(buf, &[&i.key, &i.person]);
            buf.push(b'\t');
            fields(buf, &details(&i.details));
        },
    )
    .await?;
    copy_rows(
        &mut tx,
        "COPY donation_staging (source, receipt_id, kind, refers_to, committee_id,
           election_kind, election_year, received_on, amount_cents, recurring, memo,
           entity_type, identity_key, employer, occupation) FROM STDIN",
        &batch.contributions,
        |buf, x| {
            fields(
                buf,
                &[
                    &x.source,
                    &x.receipt_id,
                    x.kind.code(),
                    &x.refers_to,
                    &x.committee_id,
                    x.election.kind.code(),
                ],
            );
            buf.push(b'\t');
            copy::int(buf, i64::from(x.election.year));
            buf.push(b'\t');
            copy::date(buf, x.received_on);
            buf.push(b'\t');
            copy::int(buf, x.amount_cents);
            buf.push(b'\t');
            buf.extend_from_slice(if x.recurring { b"t" } else { b"f" });
            buf.push(b'\t');
            buf.extend_from_slice(if x.memo { b"t" } else { b"f" });
            buf.push(b'\t');
            fields(
                buf,
                &[
                    &x.entity_type,
                    &x.donor.identity_key(),
                    &x.donor.employer,
                    &x.donor.occupation,
                ],
            );
        },
    )
    .await?;
    let now = Utc::now();
    // New donors become people, with their email and phone.
    let created: i64 = sqlx::query_scalar(
        "WITH added AS (
           INSERT INTO people (external_id, source, first_name, last_name, address, zip,
             consent_email, consent_text, consent_at, consent_wording, fingerprint,
             created_at, updated_at)
           SELECT external_id, 'donations', first_name, last_name, address, zip,
                  false, false, NULL, '', '', $1, $1
             FROM donor_staging
           ON CONFLICT (external_id) DO NOTHING
           RETURNING id, external_id),
         emails AS (
           INSERT INTO person_emails (person_id, position, email)
           SELECT a.id, 0, s.email FROM added a JOIN donor_staging s USING (external_id)
            WHERE s.email <> ''),
         phones AS (
           INSERT INTO person_phones (person_id, position, phone)
           SELECT a.id, 0, s.phone FROM added a JOIN donor_staging s USING (external_id)
            WHERE s.phone <> '')
         SELECT count(*) FROM added",
    )
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let orphan: Option<String> = sqlx::query_scalar(
        "SELECT s.key FROM identity_staging s
          WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.external_id = s.person) LIMIT 1",
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    if let Some(key) = orphan {
        tx.rollback().await.map_err(db)?;
        return Err(StoreError::Refused(format!(
            "donor identity {key} names an unknown person"
        )));
    }
    exec(
        &mut tx,
        &format!(
            "INSERT INTO donor_identities (key, person_id, {IDENTITY_COLS})
             SELECT s.key, p.id, s.first_name, s.last_name, s.address, s.city, s.state, s.zip,
                    s.country, s.email, s.phone
               FROM identity_staging s JOIN people p ON p.external_id = s.person
             ON CONFLICT (key) DO NOTHING"
        ),
    )
    .await?;
    let unknown: Option<String> = sqlx::query_scalar(
        "SELECT s.receipt_id FROM donation_staging s
          WHERE NOT EXISTS (SELECT 1 FROM donor_identities i WHERE i.key = s.identity_key)
          LIMIT 1",
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    if let Some(receipt) = unknown {
        tx.rollback().await.map_err(db)?;
        return Err(StoreError::Refused(format!(
            "contribution {receipt} of an unknown donor identity"
        )));
    }
    let inserted = sqlx::query(
        "INSERT INTO donations (source, receipt_id, kind, refers_to, committee_id,
           election_kind, election_year, received_on, amount_cents, recurring, memo,
           entity_type, identity_key, employer, occupation, imported_at)
         SELECT source, receipt_id, kind, refers_to, committee_id, election_kind,
                election_year, received_on, amount_cents, recurring, memo, entity_type,
                identity_key, employer, occupation, $1
           FROM donation_staging
         ON CONFLICT (source, receipt_id) DO NOTHING",
    )
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected();
    if !batch.reviews.is_empty() {
        // One statement for every pair, in the order given (the first of a repeated pair
        // is kept).
        let r = &batch.reviews;
        sqlx::query(
            "INSERT INTO donor_reviews (identity_key, other_key, probability, explanation,
               queued_at)
             SELECT k, o, p, e, $5
               FROM UNNEST($1::TEXT[], $2::TEXT[], $3::DOUBLE PRECISION[], $4::TEXT[])
                    WITH ORDINALITY AS t(k, o, p, e, n)
              ORDER BY n
             ON CONFLICT (identity_key, other_key) DO NOTHING",
        )
        .bind(r.iter().map(|x| x.key.as_str()).collect::<Vec<_>>())
        .bind(r.iter().map(|x| x.other_key.as_str()).collect::<Vec<_>>())
        .bind(r.iter().map(|x| x.probability).collect::<Vec<_>>())
        .bind(r.iter().map(|x| x.explanation.as_str()).collect::<Vec<_>>())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(DonationImportOutcome {
        inserted,
        unchanged: batch.contributions.len() as u64 - inserted,
        new_donors: created as u64,
    })
}

fn identity_of(r: &PgRow) -> Result<DonorIdentity, sqlx::Error> {
    Ok(DonorIdentity {
        key: r.try_get(0)?,
        person: r.try_get(1)?,
        details: DonorDetails {
            first_name: r.try_get(2)?,
            last_name: r.try_get(3)?,
            address: r.try_get(4)?,
            city: r.try_get(5)?,
            state: r.try_get(6)?,
            zip: r.try_get(7)?,
            country: r.try_get(8)?,
            email: r.try_get(9)?,
            phone: r.try_get(10)?,
            ..Default::default()
        },
    })
}

const CONTRIBUTION_COLUMNS: &str = "p.external_id, d.source, d.receipt_id, d.kind, d.refers_to,
    d.committee_id, d.election_kind, d.election_year, d.received_on, d.amount_cents,
    d.recurring, d.memo, d.entity_type, d.employer, d.occupation, i.first_name, i.last_name,
    i.address, i.city, i.state, i.zip, i.country, i.email, i.phone";

fn contribution_of(r: &PgRow) -> StoreResult<Contribution> {
    let kind: String = r.try_get(3).map_err(db)?;
    let election_kind: String = r.try_get(6).map_err(db)?;
    let received_on: NaiveDate = r.try_get(8).map_err(db)?;
    let g = |i: usize| -> StoreResult<String> { r.try_get(i).map_err(db) };
    Ok(Contribution {
        person: g(0)?,
        contribution: NewContribution {
            source: g(1)?,
            receipt_id: g(2)?,
            kind: ContributionKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
            refers_to: g(4)?,
            committee_id: g(5)?,
            election: Election {
                kind: ElectionKind::parse(&election_kind)
                    .ok_or_else(|| corrupt("election kind", &election_kind))?,
                year: r.try_get(7).map_err(db)?,
            },
            received_on,
            amount_cents: r.try_get(9).map_err(db)?,
            recurring: r.try_get(10).map_err(db)?,
            memo: r.try_get(11).map_err(db)?,
            entity_type: g(12)?,
            donor: DonorDetails {
                employer: g(13)?,
                occupation: g(14)?,
                first_name: g(15)?,
                last_name: g(16)?,
                address: g(17)?,
                city: g(18)?,
                state: g(19)?,
                zip: g(20)?,
                country: g(21)?,
                email: g(22)?,
                phone: g(23)?,
            },
        },
    })
}

const REVIEW_SELECT: &str = "SELECT r.id, r.identity_key, pa.external_id, a.first_name,
    a.last_name, a.address, a.city, a.state, a.zip, a.country, a.email, a.phone, r.other_key,
    pb.external_id, b.first_name, b.last_name, b.address, b.city, b.state, b.zip, b.country,
    b.email, b.phone, r.probability, r.explanation, r.status, r.decided_by
  FROM donor_reviews r
  JOIN donor_identities a ON a.key = r.identity_key JOIN people pa ON pa.id = a.person_id
  JOIN donor_identities b ON b.key = r.other_key JOIN people pb ON pb.id = b.person_id";

fn review_of(r: &PgRow) -> StoreResult<DonorReview> {
    let g = |i: usize| -> StoreResult<String> { r.try_get(i).map_err(db) };
    let side = |at: usize| -> StoreResult<DonorDetails> {
        Ok(DonorDetails {
            first_name: g(at)?,
            last_name: g(at + 1)?,
            address: g(at + 2)?,
            city: g(at + 3)?,
            state: g(at + 4)?,
            zip: g(at + 5)?,
            country: g(at + 6)?,
            email: g(at + 7)?,
            phone: g(at + 8)?,
            ..Default::default()
        })
    };
    let status = g(25)?;
    Ok(DonorReview {
        id: r.try_get(0).map_err(db)?,
        key: g(1)?,
        person: g(2)?,
        details: side(3)?,
        other_key: g(12)?,
        other_person: g(13)?,
        other_details: side(14)?,
        probability: r.try_get(23).map_err(db)?,
        explanation: g(24)?,
        status: ReviewStatus::parse(&status).ok_or_else(|| corrupt("review status", &status))?,
        decided_by: g(26)?,
    })
}

async fn review_by_id(
    c: &mut PgConnection,
    id: i64,
    lock: bool,
) -> StoreResult<Option<DonorReview>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "{REVIEW_SELECT} WHERE r.id = $1{}",
        if lock { " FOR UPDATE OF r" } else { "" }
    )))
    .bind(id)
    .fetch_optional(c)
    .await
    .map_err(db)?;
    row.as_ref().map(review_of).transpose()
}

#[async_trait]
impl DonationStore for PgStore {
    async fn donor_identities(&self) -> StoreResult<Vec<DonorIdentity>> {
        let rows = sqlx::query(
            "SELECT i.key, p.external_id, i.first_name, i.last_name, i.address, i.city,
                    i.state, i.zip, i.country, i.email, i.phone
               FROM donor_identities i JOIN people p ON p.id = i.person_id
              ORDER BY i.key",
        )
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter()
            .map(identity_of)
            .collect::<Result<_, _>>()
            .map_err(db)
    }

    async fn import_donations(&self, batch: &DonationImport) -> StoreResult<DonationImportOutcome> {
        import(self, batch).await
    }

    async fn contributions(&self, cycle: Option<i32>) -> StoreResult<Vec<Contribution>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONTRIBUTION_COLUMNS}
               FROM donations d
               JOIN donor_identities i ON i.key = d.identity_key
               JOIN people p ON p.id = i.person_id
              WHERE ($1::INTEGER IS NULL OR d.election_year = $1)
              ORDER BY d.received_on, d.receipt_id"
        )))
        .bind(cycle)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(contribution_of).collect()
    }

    async fn contributions_of_person(&self, person: &str) -> StoreResult<Vec<Contribution>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONTRIBUTION_COLUMNS}
               FROM donations d
               JOIN donor_identities i ON i.key = d.identity_key
               JOIN people p ON p.id = i.person_id
              WHERE p.external_id = $1
              ORDER BY d.received_on DESC, d.receipt_id DESC"
        )))
        .bind(person)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(contribution_of).collect()
    }

    async fn donation_rules(&self) -> StoreResult<Vec<ComplianceRules>> {
        let rows: Vec<(String, i32, i64, i64)> = sqlx::query_as(
            "SELECT committee_id, cycle, per_election_limit_cents, itemize_over_cents
               FROM donation_rules ORDER BY committee_id, cycle",
        )
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(committee_id, cycle, limit, itemize)| ComplianceRules {
                committee_id,
                cycle,
                per_election_limit_cents: limit,
                itemize_over_cents: itemize,
            })
            .collect())
    }

    async fn donor_reviews(&self, pending_only: bool) -> StoreResult<Vec<DonorReview>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{REVIEW_SELECT} WHERE (NOT $1 OR r.status = 'pending') ORDER BY r.id"
        )))
        .bind(pending_only)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(review_of).collect()
    }

    async fn decide_donor_review(
        &self,
        id: i64,
        accept: bool,
        decided_by: &str,
    ) -> StoreResult<Option<DonorReview>> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let Some(review) = review_by_id(&mut tx, id, true).await? else {
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
            sqlx::query(
                "WITH ids AS (
                   SELECT (SELECT person_id FROM donor_identities WHERE key = $1) AS from_id,
                          (SELECT person_id FROM donor_identities WHERE key = $2) AS to_id)
                 UPDATE donor_identities i SET person_id = ids.to_id
                   FROM ids WHERE i.person_id = ids.from_id",
            )
            .bind(&review.key)
            .bind(&review.other_key)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        sqlx::query(
            "UPDATE donor_reviews SET status = $2, decided_by = $3, decided_at = $4
              WHERE id = $1",
        )
        .bind(id)
        .bind(status.code())
        .bind(decided_by)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let after = review_by_id(&mut tx, id, false).await?;
        tx.commit().await.map_err(db)?;
        Ok(after)
    }

    async fn put_donation_rules(&self, r: &ComplianceRules) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO donation_rules (committee_id, cycle, per_election_limit_cents,
               itemize_over_cents, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (committee_id, cycle) DO UPDATE SET
               per_election_limit_cents = excluded.per_election_limit_cents,
               itemize_over_cents = excluded.itemize_over_cents,
               updated_at = excluded.updated_at",
        )
        .bind(&r.committee_id)
        .bind(r.cycle)
        .bind(r.per_election_limit_cents)
        .bind(r.itemize_over_cents)
        .bind(Utc::now())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        Ok(())
    }
}
