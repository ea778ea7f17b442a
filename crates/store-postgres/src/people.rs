//! People, volunteers, projects, matches and the email outbox on PostgreSQL
//! (`0011_people.sql`): upserts by import id compare a fingerprint and rewrite a
//! record's child rows only when it changed; the invitation and its email are one
//! transaction; match steps are conditional updates, so two answers cannot both win.

use crate::{PgStore, db};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{AssertSqlSafe, Row};
use std::collections::{BTreeSet, HashMap};
use votebase_domain::people::{
    Consent, LinkStatus, MatchState, NewPerson, NewProject, NewVolunteer, PersonLink, Project,
    ProjectMatch, SkillLevel, Volunteer, VolunteerProfile,
};
use votebase_store::people::{OutgoingEmail, PeopleStore, QueuedEmail, Skill, UpsertOutcome};
use votebase_store::{StoreError, StoreResult};

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn tags(text: &str) -> Vec<String> {
    text.split(';')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

async fn check_skills(tx: &mut PgConnection, names: BTreeSet<String>) -> StoreResult<()> {
    let names: Vec<String> = names.into_iter().collect();
    let unknown: Vec<String> = sqlx::query_scalar(
        "SELECT n FROM unnest($1::text[]) AS n WHERE NOT EXISTS
           (SELECT 1 FROM skills s WHERE s.name = n) ORDER BY n",
    )
    .bind(&names)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Refused(format!(
            "skill(s) not in the taxonomy: {}",
            unknown.join(", ")
        )))
    }
}

fn count(out: &mut UpsertOutcome, what: Option<bool>) {
    match what {
        None => out.unchanged += 1,
        Some(true) => out.inserted += 1,
        Some(false) => out.updated += 1,
    }
}

pub(crate) async fn upsert_person(
    tx: &mut PgConnection,
    p: &NewPerson,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> StoreResult<(i64, Option<bool>)> {
    let known: Option<(i64, String)> =
        sqlx::query_as("SELECT id, fingerprint FROM people WHERE external_id = $1")
            .bind(&p.external_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    if let Some((id, f)) = &known
        && f == fingerprint
    {
        return Ok((*id, None));
    }
    // One statement for a new person and a changed one (`created_at` kept on update).
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO people (external_id, source, first_name, last_name, address, zip,
           consent_email, consent_text, consent_at, consent_wording, fingerprint,
           created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
         ON CONFLICT (external_id) DO UPDATE SET source = EXCLUDED.source,
           first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
           address = EXCLUDED.address, zip = EXCLUDED.zip,
           consent_email = EXCLUDED.consent_email, consent_text = EXCLUDED.consent_text,
           consent_at = EXCLUDED.consent_at, consent_wording = EXCLUDED.consent_wording,
           fingerprint = EXCLUDED.fingerprint, updated_at = EXCLUDED.updated_at
         RETURNING id",
    )
    .bind(&p.external_id)
    .bind(&p.source)
    .bind(&p.first_name)
    .bind(&p.last_name)
    .bind(&p.address)
    .bind(&p.zip)
    .bind(p.consent.email)
    .bind(p.consent.text)
    .bind(p.consent.given_at)
    .bind(&p.consent.wording)
    .bind(fingerprint)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    if known.is_some() {
        for table in ["person_emails", "person_phones", "volunteer_skills"] {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE person_id = $1"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
    }
    for (table, column, values) in [
        ("person_emails", "email", &p.emails),
        ("person_phones", "phone", &p.phones),
    ] {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {table} (person_id, position, {column})
             SELECT $1, (o - 1)::int, v FROM unnest($2::text[]) WITH ORDINALITY AS t(v, o)"
        )))
        .bind(id)
        .bind(values)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    Ok((id, Some(known.is_none())))
}

async fn upsert_volunteers(store: &PgStore, list: &[NewVolunteer]) -> StoreResult<UpsertOutcome> {
    let mut tx = store.pool().begin().await.map_err(db)?;
    check_skills(
        &mut tx,
        list.iter()
            .flat_map(|v| v.profile.skills.iter().map(|s| s.skill.clone()))
            .collect(),
    )
    .await?;
    let now = Utc::now();
    let mut out = UpsertOutcome::default();
    for v in list {
        let (id, what) = upsert_person(&mut tx, &v.person, &v.fingerprint(), now).await?;
        count(&mut out, what);
        if what.is_none() {
            continue;
        }
        let p = &v.profile;
        sqlx::query(
            "INSERT INTO volunteer_profiles (person_id, home_state, home_town, lat, lon,
               hours_per_week, remote, issues, languages)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (person_id) DO UPDATE SET home_state = excluded.home_state,
               home_town = excluded.home_town, lat = excluded.lat, lon = excluded.lon,
               hours_per_week = excluded.hours_per_week, remote = excluded.remote,
               issues = excluded.issues, languages = excluded.languages",
        )
        .bind(id)
        .bind(&p.home_state)
        .bind(&p.home_town)
        .bind(p.lat)
        .bind(p.lon)
        .bind(p.hours_per_week.map(i64::from))
        .bind(p.remote)
        .bind(p.issues.join(";"))
        .bind(p.languages.join(";"))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let names: Vec<&str> = p.skills.iter().map(|s| s.skill.as_str()).collect();
        let levels: Vec<i16> = p.skills.iter().map(|s| s.level as i16).collect();
        sqlx::query(
            "INSERT INTO volunteer_skills (person_id, skill, level)
             SELECT $1, s, l FROM unnest($2::text[], $3::smallint[]) AS t(s, l)",
        )
        .bind(id)
        .bind(&names)
        .bind(&levels)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(out)
}

async fn upsert_projects(store: &PgStore, list: &[NewProject]) -> StoreResult<UpsertOutcome> {
    let mut tx = store.pool().begin().await.map_err(db)?;
    check_skills(
        &mut tx,
        list.iter()
            .flat_map(|p| {
                p.required_skills
                    .iter()
                    .chain(&p.nice_skills)
                    .map(|s| s.skill.clone())
            })
            .collect(),
    )
    .await?;
    let now = Utc::now();
    let mut out = UpsertOutcome::default();
    for p in list {
        let fingerprint = p.fingerprint();
        let known: Option<(i64, String)> =
            sqlx::query_as("SELECT id, fingerprint FROM projects WHERE external_id = $1")
                .bind(&p.external_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let sql = match &known {
            Some((_, f)) if *f == fingerprint => {
                out.unchanged += 1;
                continue;
            }
            Some(_) => {
                out.updated += 1;
                "UPDATE projects SET organization = $2, title = $3, role = $4, state = $5,
                   zip = $6, lat = $7, lon = $8, remote = $9, hours_per_week = $10,
                   seats = $11, starts_on = $12, deadline = $13, issues = $14,
                   languages = $15, fingerprint = $16, updated_at = $17
                 WHERE external_id = $1 RETURNING id"
            }
            None => {
                out.inserted += 1;
                "INSERT INTO projects (external_id, organization, title, role, state, zip,
                   lat, lon, remote, hours_per_week, seats, starts_on, deadline, issues,
                   languages, fingerprint, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                   $16, $17, $17) RETURNING id"
            }
        };
        let id: i64 = sqlx::query_scalar(sql)
            .bind(&p.external_id)
            .bind(&p.organization)
            .bind(&p.title)
            .bind(&p.role)
            .bind(&p.state)
            .bind(&p.zip)
            .bind(p.lat)
            .bind(p.lon)
            .bind(p.remote)
            .bind(p.hours_per_week.map(i64::from))
            .bind(p.seats as i64)
            .bind(p.starts_on)
            .bind(p.deadline)
            .bind(p.issues.join(";"))
            .bind(p.languages.join(";"))
            .bind(&fingerprint)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("DELETE FROM project_skills WHERE project_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let all: Vec<(&SkillLevel, bool)> = p
            .required_skills
            .iter()
            .map(|s| (s, true))
            .chain(p.nice_skills.iter().map(|s| (s, false)))
            .collect();
        let names: Vec<&str> = all.iter().map(|(s, _)| s.skill.as_str()).collect();
        if names.iter().collect::<BTreeSet<_>>().len() != names.len() {
            return Err(StoreError::Refused(format!(
                "project {}: a skill is listed twice",
                p.external_id
            )));
        }
        let levels: Vec<i16> = all.iter().map(|(s, _)| s.level as i16).collect();
        let required: Vec<bool> = all.iter().map(|(_, r)| *r).collect();
        sqlx::query(
            "INSERT INTO project_skills (project_id, skill, min_level, required)
             SELECT $1, s, l, r FROM unnest($2::text[], $3::smallint[], $4::bool[]) AS t(s, l, r)",
        )
        .bind(id)
        .bind(&names)
        .bind(&levels)
        .bind(&required)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(out)
}

async fn grouped(store: &PgStore, sql: &'static str) -> StoreResult<HashMap<i64, Vec<String>>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(sql)
        .fetch_all(store.pool())
        .await
        .map_err(db)?;
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, v) in rows {
        out.entry(id).or_default().push(v);
    }
    Ok(out)
}

async fn volunteers(store: &PgStore, only: Option<&str>) -> StoreResult<Vec<Volunteer>> {
    let mut emails = grouped(
        store,
        "SELECT person_id, email FROM person_emails ORDER BY person_id, position",
    )
    .await?;
    let mut phones = grouped(
        store,
        "SELECT person_id, phone FROM person_phones ORDER BY person_id, position",
    )
    .await?;
    let mut skills: HashMap<i64, Vec<SkillLevel>> = HashMap::new();
    let rows: Vec<(i64, String, i16)> = sqlx::query_as(
        "SELECT person_id, skill, level FROM volunteer_skills ORDER BY person_id, skill",
    )
    .fetch_all(store.pool())
    .await
    .map_err(db)?;
    for (id, skill, level) in rows {
        skills.entry(id).or_default().push(SkillLevel {
            skill,
            level: level as u8,
        });
    }
    let engagements: HashMap<i64, i64> = sqlx::query_as(
        "SELECT person_id, COUNT(*) FROM project_matches WHERE state = 'accepted'
         GROUP BY person_id",
    )
    .fetch_all(store.pool())
    .await
    .map_err(db)?
    .into_iter()
    .collect();
    let rows: Vec<PgRow> = sqlx::query(
        "SELECT p.id, p.external_id, p.source, p.first_name, p.last_name, p.address, p.zip,
           p.consent_email, p.consent_text, p.consent_at, p.consent_wording, p.unsubscribed,
           v.home_state, v.home_town, v.lat, v.lon, v.hours_per_week, v.remote, v.issues,
           v.languages
         FROM people p JOIN volunteer_profiles v ON v.person_id = p.id
         WHERE $1::text IS NULL OR p.external_id = $1
         ORDER BY p.external_id COLLATE \"C\"",
    )
    .bind(only)
    .fetch_all(store.pool())
    .await
    .map_err(db)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get(0).map_err(db)?;
        let hours: Option<i64> = r.try_get(16).map_err(db)?;
        out.push(Volunteer {
            person_id: id,
            person: NewPerson {
                external_id: r.try_get(1).map_err(db)?,
                source: r.try_get(2).map_err(db)?,
                first_name: r.try_get(3).map_err(db)?,
                last_name: r.try_get(4).map_err(db)?,
                emails: emails.remove(&id).unwrap_or_default(),
                phones: phones.remove(&id).unwrap_or_default(),
                address: r.try_get(5).map_err(db)?,
                zip: r.try_get(6).map_err(db)?,
                consent: Consent {
                    email: r.try_get(7).map_err(db)?,
                    text: r.try_get(8).map_err(db)?,
                    given_at: r.try_get(9).map_err(db)?,
                    wording: r.try_get(10).map_err(db)?,
                },
            },
            profile: VolunteerProfile {
                skills: skills.remove(&id).unwrap_or_default(),
                home_state: r.try_get(12).map_err(db)?,
                home_town: r.try_get(13).map_err(db)?,
                lat: r.try_get(14).map_err(db)?,
                lon: r.try_get(15).map_err(db)?,
                hours_per_week: hours.map(|h| h as u32),
                remote: r.try_get(17).map_err(db)?,
                issues: tags(r.try_get(18).map_err(db)?),
                languages: tags(r.try_get(19).map_err(db)?),
            },
            unsubscribed: r.try_get(11).map_err(db)?,
            engagements: engagements.get(&id).copied().unwrap_or(0) as u32,
        });
    }
    Ok(out)
}

async fn projects(store: &PgStore, only: Option<&str>) -> StoreResult<Vec<Project>> {
    let mut skills: HashMap<i64, (Vec<SkillLevel>, Vec<SkillLevel>)> = HashMap::new();
    let rows: Vec<(i64, String, i16, bool)> = sqlx::query_as(
        "SELECT project_id, skill, min_level, required FROM project_skills
         ORDER BY project_id, skill COLLATE \"C\"",
    )
    .fetch_all(store.pool())
    .await
    .map_err(db)?;
    for (id, skill, level, required) in rows {
        let entry = skills.entry(id).or_default();
        let s = SkillLevel {
            skill,
            level: level as u8,
        };
        if required {
            entry.0.push(s)
        } else {
            entry.1.push(s)
        }
    }
    let rows: Vec<PgRow> = sqlx::query(
        "SELECT id, external_id, organization, title, role, state, zip, lat, lon, remote,
           hours_per_week, seats, starts_on, deadline, issues, languages
         FROM projects WHERE $1::text IS NULL OR external_id = $1
         ORDER BY external_id COLLATE \"C\"",
    )
    .bind(only)
    .fetch_all(store.pool())
    .await
    .map_err(db)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get(0).map_err(db)?;
        let (required_skills, nice_skills) = skills.remove(&id).unwrap_or_default();
        let hours: Option<i64> = r.try_get(10).map_err(db)?;
        let seats: i64 = r.try_get(11).map_err(db)?;
        let starts_on: Option<NaiveDate> = r.try_get(12).map_err(db)?;
        let deadline: Option<NaiveDate> = r.try_get(13).map_err(db)?;
        out.push(Project {
            project_id: id,
            project: NewProject {
                external_id: r.try_get(1).map_err(db)?,
                organization: r.try_get(2).map_err(db)?,
                title: r.try_get(3).map_err(db)?,
                role: r.try_get(4).map_err(db)?,
                state: r.try_get(5).map_err(db)?,
                zip: r.try_get(6).map_err(db)?,
                lat: r.try_get(7).map_err(db)?,
                lon: r.try_get(8).map_err(db)?,
                remote: r.try_get(9).map_err(db)?,
                required_skills,
                nice_skills,
                hours_per_week: hours.map(|h| h as u32),
                seats: seats as u32,
                starts_on,
                deadline,
                issues: tags(r.try_get(14).map_err(db)?),
                languages: tags(r.try_get(15).map_err(db)?),
            },
        });
    }
    Ok(out)
}

async fn person_id(tx: &mut PgConnection, external_id: &str) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM people WHERE external_id = $1")
        .bind(external_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)
}

async fn record_links(store: &PgStore, links: &[PersonLink]) -> StoreResult<()> {
    let mut tx = store.pool().begin().await.map_err(db)?;
    let now = Utc::now();
    let mut cleared = BTreeSet::new();
    for l in links {
        let Some(id) = person_id(&mut tx, &l.person).await? else {
            return Err(StoreError::Refused(format!("no person {:?}", l.person)));
        };
        if cleared.insert(id) {
            sqlx::query(
                "DELETE FROM person_links WHERE person_id = $1 AND status IN ('linked', 'review')",
            )
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        sqlx::query(
            "INSERT INTO person_links (person_id, state_voter_id, probability, explanation,
               status, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (person_id, state_voter_id) DO UPDATE SET
               probability = excluded.probability, explanation = excluded.explanation,
               updated_at = excluded.updated_at
             WHERE person_links.status IN ('linked', 'review')",
        )
        .bind(id)
        .bind(&l.state_voter_id)
        .bind(l.probability)
        .bind(&l.explanation)
        .bind(l.status.code())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(())
}

async fn links(store: &PgStore, filter: &str, arg: &str) -> StoreResult<Vec<PersonLink>> {
    let rows: Vec<(String, String, f64, String, String)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT p.external_id, l.state_voter_id, l.probability, l.explanation, l.status
         FROM person_links l JOIN people p ON p.id = l.person_id WHERE {filter}
         ORDER BY p.external_id COLLATE \"C\", l.probability DESC, l.state_voter_id COLLATE \"C\""
    )))
    .bind(arg)
    .fetch_all(store.pool())
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(
            |(person, state_voter_id, probability, explanation, status)| {
                Ok(PersonLink {
                    person,
                    state_voter_id,
                    probability,
                    explanation,
                    status: LinkStatus::parse(&status)
                        .ok_or_else(|| corrupt("link status", &status))?,
                })
            },
        )
        .collect()
}

const SELECT_MATCH: &str = "SELECT pr.external_id, p.external_id, m.state, m.score,
    m.explanation, m.invited_at, m.updated_at
    FROM project_matches m JOIN projects pr ON pr.id = m.project_id
    JOIN people p ON p.id = m.person_id";

type MatchRow = (
    String,
    String,
    String,
    f64,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn match_of(r: MatchRow) -> StoreResult<ProjectMatch> {
    Ok(ProjectMatch {
        project: r.0,
        volunteer: r.1,
        state: MatchState::parse(&r.2).ok_or_else(|| corrupt("match state", &r.2))?,
        score: r.3,
        explanation: r.4,
        invited_at: r.5,
        updated_at: r.6,
    })
}

async fn one_match(
    conn: &mut PgConnection,
    project: &str,
    volunteer: &str,
) -> StoreResult<Option<ProjectMatch>> {
    let row: Option<MatchRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{SELECT_MATCH} WHERE pr.external_id = $1 AND p.external_id = $2"
    )))
    .bind(project)
    .bind(volunteer)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.map(match_of).transpose()
}

async fn matches(store: &PgStore, filter: &str, arg: &str) -> StoreResult<Vec<ProjectMatch>> {
    let rows: Vec<MatchRow> =
        sqlx::query_as(AssertSqlSafe(format!("{SELECT_MATCH} WHERE {filter}")))
            .bind(arg)
            .fetch_all(store.pool())
            .await
            .map_err(db)?;
    rows.into_iter().map(match_of).collect()
}

pub(crate) async fn enqueue(conn: &mut PgConnection, e: &OutgoingEmail) -> StoreResult<bool> {
    Ok(sqlx::query(
        "INSERT INTO email_outbox (key, recipient, subject, body, created_at)
         VALUES ($1, $2, $3, $4, now()) ON CONFLICT (key) DO NOTHING",
    )
    .bind(&e.key)
    .bind(&e.to)
    .bind(&e.subject)
    .bind(&e.body)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected()
        == 1)
}

async fn queued(store: &PgStore, filter: &str, arg: &str) -> StoreResult<Vec<QueuedEmail>> {
    let rows: Vec<PgRow> = sqlx::query(AssertSqlSafe(format!(
        "SELECT id, key, recipient, subject, body, attempts, sent_at, last_error
         FROM email_outbox WHERE {filter}"
    )))
    .bind(arg)
    .fetch_all(store.pool())
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(|r| {
            Ok(QueuedEmail {
                id: r.try_get(0).map_err(db)?,
                email: OutgoingEmail {
                    key: r.try_get(1).map_err(db)?,
                    to: r.try_get(2).map_err(db)?,
                    subject: r.try_get(3).map_err(db)?,
                    body: r.try_get(4).map_err(db)?,
                },
                attempts: r.try_get::<i32, _>(5).map_err(db)? as u32,
                sent_at: r.try_get(6).map_err(db)?,
                last_error: r.try_get(7).map_err(db)?,
            })
        })
        .collect()
}

#[async_trait]
impl PeopleStore for PgStore {
    async fn skills(&self) -> StoreResult<Vec<Skill>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT name, label FROM skills ORDER BY name COLLATE \"C\"")
                .fetch_all(self.pool())
                .await
                .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(name, label)| Skill { name, label })
            .collect())
    }

    async fn add_skills(&self, list: &[Skill]) -> StoreResult<u64> {
        let names: Vec<&str> = list.iter().map(|s| s.name.as_str()).collect();
        let labels: Vec<&str> = list.iter().map(|s| s.label.as_str()).collect();
        Ok(sqlx::query(
            "INSERT INTO skills (name, label) SELECT n, l FROM unnest($1::text[], $2::text[])
               AS t(n, l) ON CONFLICT DO NOTHING",
        )
        .bind(&names)
        .bind(&labels)
        .execute(self.pool())
        .await
        .map_err(db)?
        .rows_affected())
    }

    async fn upsert_volunteers(&self, list: &[NewVolunteer]) -> StoreResult<UpsertOutcome> {
        upsert_volunteers(self, list).await
    }

    async fn upsert_projects(&self, list: &[NewProject]) -> StoreResult<UpsertOutcome> {
        upsert_projects(self, list).await
    }

    async fn volunteers(&self) -> StoreResult<Vec<Volunteer>> {
        volunteers(self, None).await
    }

    async fn volunteer(&self, external_id: &str) -> StoreResult<Option<Volunteer>> {
        Ok(volunteers(self, Some(external_id)).await?.pop())
    }

    async fn projects(&self) -> StoreResult<Vec<Project>> {
        projects(self, None).await
    }

    async fn project(&self, external_id: &str) -> StoreResult<Option<Project>> {
        Ok(projects(self, Some(external_id)).await?.pop())
    }

    async fn record_person_links(&self, list: &[PersonLink]) -> StoreResult<()> {
        record_links(self, list).await
    }

    async fn person_links(&self, status: LinkStatus) -> StoreResult<Vec<PersonLink>> {
        links(self, "l.status = $1", status.code()).await
    }

    async fn links_of_person(&self, external_id: &str) -> StoreResult<Vec<PersonLink>> {
        links(self, "p.external_id = $1", external_id).await
    }

    async fn decide_person_link(
        &self,
        person: &str,
        state_voter_id: &str,
        status: LinkStatus,
    ) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE person_links SET status = $3, updated_at = now()
             WHERE person_id = (SELECT id FROM people WHERE external_id = $1)
               AND state_voter_id = $2",
        )
        .bind(person)
        .bind(state_voter_id)
        .bind(status.code())
        .execute(self.pool())
        .await
        .map_err(db)?
        .rows_affected()
            == 1)
    }

    async fn invite(
        &self,
        project: &str,
        volunteer: &str,
        score: f64,
        explanation: &str,
        email: Option<&OutgoingEmail>,
    ) -> StoreResult<(ProjectMatch, bool)> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let project_id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM projects WHERE external_id = $1")
                .bind(project)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let Some(project_id) = project_id else {
            return Err(StoreError::Refused(format!("no project {project:?}")));
        };
        let Some(person) = person_id(&mut tx, volunteer).await? else {
            return Err(StoreError::Refused(format!("no volunteer {volunteer:?}")));
        };
        let created = sqlx::query(
            "INSERT INTO project_matches (project_id, person_id, state, score, explanation,
               invited_at, updated_at) VALUES ($1, $2, 'invited', $3, $4, now(), now())
             ON CONFLICT DO NOTHING",
        )
        .bind(project_id)
        .bind(person)
        .bind(score)
        .bind(explanation)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected()
            == 1;
        if created && let Some(e) = email {
            enqueue(&mut tx, e).await?;
        }
        let m = one_match(&mut tx, project, volunteer)
            .await?
            .ok_or_else(|| StoreError::Database("match vanished".into()))?;
        tx.commit().await.map_err(db)?;
        Ok((m, created))
    }

    async fn set_match_state(
        &self,
        project: &str,
        volunteer: &str,
        from: MatchState,
        to: MatchState,
    ) -> StoreResult<ProjectMatch> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let changed = sqlx::query(
            "UPDATE project_matches SET state = $4, updated_at = now()
             WHERE state = $3
               AND project_id = (SELECT id FROM projects WHERE external_id = $1)
               AND person_id = (SELECT id FROM people WHERE external_id = $2)",
        )
        .bind(project)
        .bind(volunteer)
        .bind(from.code())
        .bind(to.code())
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        let Some(m) = one_match(&mut tx, project, volunteer).await? else {
            return Err(StoreError::Refused(format!(
                "volunteer {volunteer:?} was not invited to project {project:?}"
            )));
        };
        if changed == 0 {
            return Err(StoreError::Refused(format!(
                "the match is {} now, not {}",
                m.state, from
            )));
        }
        tx.commit().await.map_err(db)?;
        Ok(m)
    }

    async fn project_match(
        &self,
        project: &str,
        volunteer: &str,
    ) -> StoreResult<Option<ProjectMatch>> {
        let mut conn = self.pool().acquire().await.map_err(db)?;
        one_match(&mut conn, project, volunteer).await
    }

    async fn matches_of_project(&self, project: &str) -> StoreResult<Vec<ProjectMatch>> {
        matches(
            self,
            "pr.external_id = $1 ORDER BY m.score DESC, p.external_id COLLATE \"C\"",
            project,
        )
        .await
    }

    async fn matches_of_volunteer(&self, volunteer: &str) -> StoreResult<Vec<ProjectMatch>> {
        matches(
            self,
            "p.external_id = $1 ORDER BY m.invited_at DESC, pr.external_id COLLATE \"C\"",
            volunteer,
        )
        .await
    }

    async fn unsubscribe(&self, email: &str) -> StoreResult<u64> {
        Ok(sqlx::query(
            "UPDATE people SET unsubscribed = true WHERE NOT unsubscribed
               AND id IN (SELECT person_id FROM person_emails WHERE email = $1)",
        )
        .bind(email.trim().to_lowercase())
        .execute(self.pool())
        .await
        .map_err(db)?
        .rows_affected())
    }

    async fn enqueue_email(&self, email: &OutgoingEmail) -> StoreResult<bool> {
        let mut conn = self.pool().acquire().await.map_err(db)?;
        enqueue(&mut conn, email).await
    }

    async fn pending_emails(&self, limit: u32) -> StoreResult<Vec<QueuedEmail>> {
        queued(
            self,
            "sent_at IS NULL ORDER BY id LIMIT $1::text::bigint",
            &limit.to_string(),
        )
        .await
    }

    async fn mark_email_sent(&self, id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE email_outbox SET sent_at = now() WHERE id = $1 AND sent_at IS NULL")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn mark_email_failed(&self, id: i64, error: &str) -> StoreResult<()> {
        let error: String = error.chars().take(500).collect();
        sqlx::query(
            "UPDATE email_outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn emails_with_prefix(&self, prefix: &str) -> StoreResult<Vec<QueuedEmail>> {
        queued(self, "left(key, length($1)) = $1 ORDER BY id", prefix).await
    }
}
