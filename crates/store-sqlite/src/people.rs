//! People, volunteers, projects, matches and the email outbox on SQLite
//! (`0011_people.sql`): upserts by import id compare a fingerprint and rewrite a
//! record's child rows only when it changed; reads load each table once and assemble in
//! memory, so all 14,000 volunteers come back in a handful of queries.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
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

fn time(text: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt("people time", e))
}

fn day(text: Option<String>) -> StoreResult<Option<NaiveDate>> {
    text.map(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d"))
        .transpose()
        .map_err(|e| corrupt("project date", e))
}

fn tags(text: &str) -> Vec<String> {
    text.split(';')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn check_skills<'a>(tx: &Transaction<'_>, names: impl Iterator<Item = &'a str>) -> StoreResult<()> {
    let wanted: BTreeSet<&str> = names.collect();
    let mut stmt = tx
        .prepare_cached("SELECT 1 FROM skills WHERE name = ?1")
        .map_err(db)?;
    let mut unknown = Vec::new();
    for name in wanted {
        if !stmt.exists([name]).map_err(db)? {
            unknown.push(name.to_string());
        }
    }
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Refused(format!(
            "skill(s) not in the taxonomy: {}",
            unknown.join(", ")
        )))
    }
}

fn skills(c: &Connection) -> StoreResult<Vec<Skill>> {
    let mut stmt = c
        .prepare("SELECT name, label FROM skills ORDER BY name")
        .map_err(db)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Skill {
                name: r.get(0)?,
                label: r.get(1)?,
            })
        })
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

fn add_skills(c: &mut Connection, list: &[Skill]) -> StoreResult<u64> {
    let tx = c.transaction().map_err(db)?;
    let mut added = 0;
    {
        let mut ins = tx
            .prepare_cached(
                "INSERT INTO skills (name, label) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )
            .map_err(db)?;
        for s in list {
            added += ins.execute(params![s.name, s.label]).map_err(db)? as u64;
        }
    }
    tx.commit().map_err(db)?;
    Ok(added)
}

/// Inserts or updates the person row; returns (id, what happened).
pub(crate) fn upsert_person(
    tx: &Transaction<'_>,
    p: &NewPerson,
    fingerprint: &str,
    now: &str,
) -> StoreResult<(i64, Option<bool>)> {
    let known: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, fingerprint FROM people WHERE external_id = ?1",
            [&p.external_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db)?;
    let consent_at = p.consent.given_at.map(|t| t.to_rfc3339());
    if let Some((id, f)) = &known
        && f == fingerprint
    {
        return Ok((*id, None));
    }
    // One statement for a new person and a changed one (`created_at` kept on update).
    let id: i64 = tx
        .query_row(
            "INSERT INTO people (external_id, source, first_name, last_name, address, zip,
               consent_email, consent_text, consent_at, consent_wording, fingerprint,
               created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)
             ON CONFLICT (external_id) DO UPDATE SET source = excluded.source,
               first_name = excluded.first_name, last_name = excluded.last_name,
               address = excluded.address, zip = excluded.zip,
               consent_email = excluded.consent_email, consent_text = excluded.consent_text,
               consent_at = excluded.consent_at, consent_wording = excluded.consent_wording,
               fingerprint = excluded.fingerprint, updated_at = excluded.updated_at
             RETURNING id",
            params![
                p.external_id,
                p.source,
                p.first_name,
                p.last_name,
                p.address,
                p.zip,
                p.consent.email,
                p.consent.text,
                consent_at,
                p.consent.wording,
                fingerprint,
                now
            ],
            |r| r.get(0),
        )
        .map_err(db)?;
    if known.is_some() {
        for table in ["person_emails", "person_phones", "volunteer_skills"] {
            tx.execute(&format!("DELETE FROM {table} WHERE person_id = ?1"), [id])
                .map_err(db)?;
        }
    }
    let mut email = tx
        .prepare_cached(
            "INSERT INTO person_emails (person_id, position, email) VALUES (?1, ?2, ?3)",
        )
        .map_err(db)?;
    for (i, e) in p.emails.iter().enumerate() {
        email.execute(params![id, i as i64, e]).map_err(db)?;
    }
    let mut phone = tx
        .prepare_cached(
            "INSERT INTO person_phones (person_id, position, phone) VALUES (?1, ?2, ?3)",
        )
        .map_err(db)?;
    for (i, e) in p.phones.iter().enumerate() {
        phone.execute(params![id, i as i64, e]).map_err(db)?;
    }
    Ok((id, Some(known.is_none())))
}

fn count(out: &mut UpsertOutcome, what: Option<bool>) {
    match what {
        None => out.unchanged += 1,
        Some(true) => out.inserted += 1,
        Some(false) => out.updated += 1,
    }
}

fn upsert_volunteers(c: &mut Connection, list: &[NewVolunteer]) -> StoreResult<UpsertOutcome> {
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    check_skills(
        &tx,
        list.iter()
            .flat_map(|v| v.profile.skills.iter().map(|s| s.skill.as_str())),
    )?;
    let now = Utc::now().to_rfc3339();
    let mut out = UpsertOutcome::default();
    for v in list {
        let (id, what) = upsert_person(&tx, &v.person, &v.fingerprint(), &now)?;
        count(&mut out, what);
        if what.is_none() {
            continue;
        }
        let p = &v.profile;
        tx.execute(
            "INSERT OR REPLACE INTO volunteer_profiles (person_id, home_state, home_town, lat,
               lon, hours_per_week, remote, issues, languages)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id,
                p.home_state,
                p.home_town,
                p.lat,
                p.lon,
                p.hours_per_week.map(i64::from),
                p.remote,
                p.issues.join(";"),
                p.languages.join(";")
            ],
        )
        .map_err(db)?;
        let mut ins = tx
            .prepare_cached(
                "INSERT INTO volunteer_skills (person_id, skill, level) VALUES (?1, ?2, ?3)",
            )
            .map_err(db)?;
        for s in &p.skills {
            ins.execute(params![id, s.skill, s.level]).map_err(db)?;
        }
    }
    tx.commit().map_err(db)?;
    Ok(out)
}

fn upsert_projects(c: &mut Connection, list: &[NewProject]) -> StoreResult<UpsertOutcome> {
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    check_skills(
        &tx,
        list.iter().flat_map(|p| {
            p.required_skills
                .iter()
                .chain(&p.nice_skills)
                .map(|s| s.skill.as_str())
        }),
    )?;
    let now = Utc::now().to_rfc3339();
    let mut out = UpsertOutcome::default();
    for p in list {
        let fingerprint = p.fingerprint();
        let known: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, fingerprint FROM projects WHERE external_id = ?1",
                [&p.external_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db)?;
        let values = params![
            p.external_id,
            p.organization,
            p.title,
            p.role,
            p.state,
            p.zip,
            p.lat,
            p.lon,
            p.remote,
            p.hours_per_week.map(i64::from),
            p.seats as i64,
            p.starts_on.map(|d| d.to_string()),
            p.deadline.map(|d| d.to_string()),
            p.issues.join(";"),
            p.languages.join(";"),
            fingerprint,
            now
        ];
        let id = match known {
            Some((_, f)) if f == fingerprint => {
                out.unchanged += 1;
                continue;
            }
            Some((id, _)) => {
                tx.execute(
                    "UPDATE projects SET organization = ?2, title = ?3, role = ?4, state = ?5,
                       zip = ?6, lat = ?7, lon = ?8, remote = ?9, hours_per_week = ?10,
                       seats = ?11, starts_on = ?12, deadline = ?13, issues = ?14,
                       languages = ?15, fingerprint = ?16, updated_at = ?17
                     WHERE external_id = ?1",
                    values,
                )
                .map_err(db)?;
                tx.execute("DELETE FROM project_skills WHERE project_id = ?1", [id])
                    .map_err(db)?;
                out.updated += 1;
                id
            }
            None => {
                tx.execute(
                    "INSERT INTO projects (external_id, organization, title, role, state, zip,
                       lat, lon, remote, hours_per_week, seats, starts_on, deadline, issues,
                       languages, fingerprint, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                       ?16, ?17, ?17)",
                    values,
                )
                .map_err(db)?;
                out.inserted += 1;
                tx.last_insert_rowid()
            }
        };
        let mut ins = tx
            .prepare_cached(
                "INSERT INTO project_skills (project_id, skill, min_level, required)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(db)?;
        for (list, required) in [(&p.required_skills, true), (&p.nice_skills, false)] {
            for s in list {
                ins.execute(params![id, s.skill, s.level, required])
                    .map_err(|e| match e {
                        rusqlite::Error::SqliteFailure(f, _)
                            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                        {
                            StoreError::Refused(format!(
                                "project {}: skill {} is listed twice",
                                p.external_id, s.skill
                            ))
                        }
                        e => db(e),
                    })?;
            }
        }
    }
    tx.commit().map_err(db)?;
    Ok(out)
}

fn grouped_strings(c: &Connection, sql: &str) -> StoreResult<HashMap<i64, Vec<String>>> {
    let mut stmt = c.prepare(sql).map_err(db)?;
    let mut rows = stmt.query([]).map_err(db)?;
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    while let Some(r) = rows.next().map_err(db)? {
        out.entry(r.get(0).map_err(db)?)
            .or_default()
            .push(r.get(1).map_err(db)?);
    }
    Ok(out)
}

fn volunteers(c: &Connection, only: Option<&str>) -> StoreResult<Vec<Volunteer>> {
    let filter = if only.is_some() {
        "WHERE p.external_id = ?1"
    } else {
        "WHERE ?1 IS NULL"
    };
    let mut emails = grouped_strings(
        c,
        "SELECT person_id, email FROM person_emails ORDER BY person_id, position",
    )?;
    let mut phones = grouped_strings(
        c,
        "SELECT person_id, phone FROM person_phones ORDER BY person_id, position",
    )?;
    let mut skills: HashMap<i64, Vec<SkillLevel>> = HashMap::new();
    {
        let mut stmt = c
            .prepare(
                "SELECT person_id, skill, level FROM volunteer_skills ORDER BY person_id, skill",
            )
            .map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            skills
                .entry(r.get(0).map_err(db)?)
                .or_default()
                .push(SkillLevel {
                    skill: r.get(1).map_err(db)?,
                    level: r.get(2).map_err(db)?,
                });
        }
    }
    let engagements: HashMap<i64, u32> = {
        let mut stmt = c
            .prepare(
                "SELECT person_id, COUNT(*) FROM project_matches WHERE state = 'accepted'
                 GROUP BY person_id",
            )
            .map_err(db)?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)?
    };
    let mut stmt = c
        .prepare(&format!(
            "SELECT p.id, p.external_id, p.source, p.first_name, p.last_name, p.address, p.zip,
               p.consent_email, p.consent_text, p.consent_at, p.consent_wording, p.unsubscribed,
               v.home_state, v.home_town, v.lat, v.lon, v.hours_per_week, v.remote, v.issues,
               v.languages
             FROM people p JOIN volunteer_profiles v ON v.person_id = p.id {filter}
             ORDER BY p.external_id"
        ))
        .map_err(db)?;
    let mut rows = stmt.query([only]).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        let id: i64 = r.get(0).map_err(db)?;
        let consent_at: Option<String> = r.get(9).map_err(db)?;
        let hours: Option<i64> = r.get(16).map_err(db)?;
        let issues: String = r.get(18).map_err(db)?;
        let languages: String = r.get(19).map_err(db)?;
        out.push(Volunteer {
            person_id: id,
            person: NewPerson {
                external_id: r.get(1).map_err(db)?,
                source: r.get(2).map_err(db)?,
                first_name: r.get(3).map_err(db)?,
                last_name: r.get(4).map_err(db)?,
                emails: emails.remove(&id).unwrap_or_default(),
                phones: phones.remove(&id).unwrap_or_default(),
                address: r.get(5).map_err(db)?,
                zip: r.get(6).map_err(db)?,
                consent: Consent {
                    email: r.get(7).map_err(db)?,
                    text: r.get(8).map_err(db)?,
                    given_at: consent_at.as_deref().map(time).transpose()?,
                    wording: r.get(10).map_err(db)?,
                },
            },
            profile: VolunteerProfile {
                skills: skills.remove(&id).unwrap_or_default(),
                home_state: r.get(12).map_err(db)?,
                home_town: r.get(13).map_err(db)?,
                lat: r.get(14).map_err(db)?,
                lon: r.get(15).map_err(db)?,
                hours_per_week: hours.map(|h| h as u32),
                remote: r.get(17).map_err(db)?,
                issues: tags(&issues),
                languages: tags(&languages),
            },
            unsubscribed: r.get(11).map_err(db)?,
            engagements: engagements.get(&id).copied().unwrap_or(0),
        });
    }
    Ok(out)
}

fn projects(c: &Connection, only: Option<&str>) -> StoreResult<Vec<Project>> {
    let filter = if only.is_some() {
        "WHERE external_id = ?1"
    } else {
        "WHERE ?1 IS NULL"
    };
    let mut skills: HashMap<i64, (Vec<SkillLevel>, Vec<SkillLevel>)> = HashMap::new();
    {
        let mut stmt = c
            .prepare(
                "SELECT project_id, skill, min_level, required FROM project_skills
                 ORDER BY project_id, skill",
            )
            .map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            let entry = skills.entry(r.get(0).map_err(db)?).or_default();
            let s = SkillLevel {
                skill: r.get(1).map_err(db)?,
                level: r.get(2).map_err(db)?,
            };
            if r.get::<_, bool>(3).map_err(db)? {
                entry.0.push(s);
            } else {
                entry.1.push(s);
            }
        }
    }
    let mut stmt = c
        .prepare(&format!(
            "SELECT id, external_id, organization, title, role, state, zip, lat, lon, remote,
               hours_per_week, seats, starts_on, deadline, issues, languages
             FROM projects {filter} ORDER BY external_id"
        ))
        .map_err(db)?;
    let mut rows = stmt.query([only]).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        let id: i64 = r.get(0).map_err(db)?;
        let (required_skills, nice_skills) = skills.remove(&id).unwrap_or_default();
        let hours: Option<i64> = r.get(10).map_err(db)?;
        let seats: i64 = r.get(11).map_err(db)?;
        let issues: String = r.get(14).map_err(db)?;
        let languages: String = r.get(15).map_err(db)?;
        out.push(Project {
            project_id: id,
            project: NewProject {
                external_id: r.get(1).map_err(db)?,
                organization: r.get(2).map_err(db)?,
                title: r.get(3).map_err(db)?,
                role: r.get(4).map_err(db)?,
                state: r.get(5).map_err(db)?,
                zip: r.get(6).map_err(db)?,
                lat: r.get(7).map_err(db)?,
                lon: r.get(8).map_err(db)?,
                remote: r.get(9).map_err(db)?,
                required_skills,
                nice_skills,
                hours_per_week: hours.map(|h| h as u32),
                seats: seats as u32,
                starts_on: day(r.get(12).map_err(db)?)?,
                deadline: day(r.get(13).map_err(db)?)?,
                issues: tags(&issues),
                languages: tags(&languages),
            },
        });
    }
    Ok(out)
}

fn person_id(tx: &Connection, external_id: &str) -> StoreResult<Option<i64>> {
    tx.query_row(
        "SELECT id FROM people WHERE external_id = ?1",
        [external_id],
        |r| r.get(0),
    )
    .optional()
    .map_err(db)
}

fn record_links(c: &mut Connection, links: &[PersonLink]) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let now = Utc::now().to_rfc3339();
    let mut cleared = BTreeSet::new();
    for l in links {
        let Some(id) = person_id(&tx, &l.person)? else {
            return Err(StoreError::Refused(format!("no person {:?}", l.person)));
        };
        if cleared.insert(id) {
            tx.execute(
                "DELETE FROM person_links WHERE person_id = ?1 AND status IN ('linked', 'review')",
                [id],
            )
            .map_err(db)?;
        }
        tx.execute(
            "INSERT INTO person_links (person_id, state_voter_id, probability, explanation,
               status, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (person_id, state_voter_id) DO UPDATE SET
               probability = excluded.probability, explanation = excluded.explanation,
               updated_at = excluded.updated_at
             WHERE person_links.status IN ('linked', 'review')",
            params![
                id,
                l.state_voter_id,
                l.probability,
                l.explanation,
                l.status.code(),
                now
            ],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)?;
    Ok(())
}

fn links(c: &Connection, filter: &str, arg: &str) -> StoreResult<Vec<PersonLink>> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT p.external_id, l.state_voter_id, l.probability, l.explanation, l.status
             FROM person_links l JOIN people p ON p.id = l.person_id WHERE {filter}
             ORDER BY p.external_id, l.probability DESC, l.state_voter_id"
        ))
        .map_err(db)?;
    let mut rows = stmt.query([arg]).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        let status: String = r.get(4).map_err(db)?;
        out.push(PersonLink {
            person: r.get(0).map_err(db)?,
            state_voter_id: r.get(1).map_err(db)?,
            probability: r.get(2).map_err(db)?,
            explanation: r.get(3).map_err(db)?,
            status: LinkStatus::parse(&status).ok_or_else(|| corrupt("link status", &status))?,
        });
    }
    Ok(out)
}

const SELECT_MATCH: &str = "SELECT pr.external_id, p.external_id, m.state, m.score,
    m.explanation, m.invited_at, m.updated_at
    FROM project_matches m JOIN projects pr ON pr.id = m.project_id
    JOIN people p ON p.id = m.person_id";

fn matches(c: &Connection, filter: &str, args: &[&str]) -> StoreResult<Vec<ProjectMatch>> {
    let mut stmt = c
        .prepare(&format!("{SELECT_MATCH} WHERE {filter}"))
        .map_err(db)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(args.iter()))
        .map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        let state: String = r.get(2).map_err(db)?;
        let invited: String = r.get(5).map_err(db)?;
        let updated: String = r.get(6).map_err(db)?;
        out.push(ProjectMatch {
            project: r.get(0).map_err(db)?,
            volunteer: r.get(1).map_err(db)?,
            state: MatchState::parse(&state).ok_or_else(|| corrupt("match state", &state))?,
            score: r.get(3).map_err(db)?,
            explanation: r.get(4).map_err(db)?,
            invited_at: time(&invited)?,
            updated_at: time(&updated)?,
        });
    }
    Ok(out)
}

fn one_match(c: &Connection, project: &str, volunteer: &str) -> StoreResult<Option<ProjectMatch>> {
    Ok(matches(
        c,
        "pr.external_id = ?1 AND p.external_id = ?2",
        &[project, volunteer],
    )?
    .pop())
}

pub(crate) fn enqueue(tx: &Connection, e: &OutgoingEmail) -> StoreResult<bool> {
    Ok(tx
        .execute(
            "INSERT INTO email_outbox (key, recipient, subject, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO NOTHING",
            params![e.key, e.to, e.subject, e.body, Utc::now().to_rfc3339()],
        )
        .map_err(db)?
        == 1)
}

fn invite(
    c: &mut Connection,
    project: &str,
    volunteer: &str,
    score: f64,
    explanation: &str,
    email: Option<&OutgoingEmail>,
) -> StoreResult<(ProjectMatch, bool)> {
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let project_id: Option<i64> = tx
        .query_row(
            "SELECT id FROM projects WHERE external_id = ?1",
            [project],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    let Some(project_id) = project_id else {
        return Err(StoreError::Refused(format!("no project {project:?}")));
    };
    let Some(person) = person_id(&tx, volunteer)? else {
        return Err(StoreError::Refused(format!("no volunteer {volunteer:?}")));
    };
    let now = Utc::now().to_rfc3339();
    let created = tx
        .execute(
            "INSERT INTO project_matches (project_id, person_id, state, score, explanation,
               invited_at, updated_at) VALUES (?1, ?2, 'invited', ?3, ?4, ?5, ?5)
             ON CONFLICT DO NOTHING",
            params![project_id, person, score, explanation, now],
        )
        .map_err(db)?
        == 1;
    if created && let Some(e) = email {
        enqueue(&tx, e)?;
    }
    let m = one_match(&tx, project, volunteer)?
        .ok_or_else(|| StoreError::Database("match vanished".into()))?;
    tx.commit().map_err(db)?;
    Ok((m, created))
}

fn set_state(
    c: &mut Connection,
    project: &str,
    volunteer: &str,
    from: MatchState,
    to: MatchState,
) -> StoreResult<ProjectMatch> {
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let changed = tx
        .execute(
            "UPDATE project_matches SET state = ?4, updated_at = ?5
             WHERE state = ?3
               AND project_id = (SELECT id FROM projects WHERE external_id = ?1)
               AND person_id = (SELECT id FROM people WHERE external_id = ?2)",
            params![
                project,
                volunteer,
                from.code(),
                to.code(),
                Utc::now().to_rfc3339()
            ],
        )
        .map_err(db)?;
    let Some(m) = one_match(&tx, project, volunteer)? else {
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
    tx.commit().map_err(db)?;
    Ok(m)
}

fn queued(
    c: &Connection,
    filter: &str,
    arg: rusqlite::types::Value,
) -> StoreResult<Vec<QueuedEmail>> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT id, key, recipient, subject, body, attempts, sent_at, last_error
             FROM email_outbox WHERE {filter}"
        ))
        .map_err(db)?;
    let mut rows = stmt.query([arg]).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        let sent: Option<String> = r.get(6).map_err(db)?;
        out.push(QueuedEmail {
            id: r.get(0).map_err(db)?,
            email: OutgoingEmail {
                key: r.get(1).map_err(db)?,
                to: r.get(2).map_err(db)?,
                subject: r.get(3).map_err(db)?,
                body: r.get(4).map_err(db)?,
            },
            attempts: r.get(5).map_err(db)?,
            sent_at: sent.as_deref().map(time).transpose()?,
            last_error: r.get(7).map_err(db)?,
        });
    }
    Ok(out)
}

#[async_trait]
impl PeopleStore for SqliteStore {
    async fn skills(&self) -> StoreResult<Vec<Skill>> {
        self.with_conn(|c| skills(c)).await
    }

    async fn add_skills(&self, list: &[Skill]) -> StoreResult<u64> {
        let list = list.to_vec();
        self.with_conn(move |c| add_skills(c, &list)).await
    }

    async fn upsert_volunteers(&self, list: &[NewVolunteer]) -> StoreResult<UpsertOutcome> {
        let list = list.to_vec();
        self.with_conn(move |c| upsert_volunteers(c, &list)).await
    }

    async fn upsert_projects(&self, list: &[NewProject]) -> StoreResult<UpsertOutcome> {
        let list = list.to_vec();
        self.with_conn(move |c| upsert_projects(c, &list)).await
    }

    async fn volunteers(&self) -> StoreResult<Vec<Volunteer>> {
        self.with_conn(|c| volunteers(c, None)).await
    }

    async fn volunteer(&self, external_id: &str) -> StoreResult<Option<Volunteer>> {
        let id = external_id.to_string();
        self.with_conn(move |c| Ok(volunteers(c, Some(&id))?.pop()))
            .await
    }

    async fn projects(&self) -> StoreResult<Vec<Project>> {
        self.with_conn(|c| projects(c, None)).await
    }

    async fn project(&self, external_id: &str) -> StoreResult<Option<Project>> {
        let id = external_id.to_string();
        self.with_conn(move |c| Ok(projects(c, Some(&id))?.pop()))
            .await
    }

    async fn record_person_links(&self, list: &[PersonLink]) -> StoreResult<()> {
        let list = list.to_vec();
        self.with_conn(move |c| record_links(c, &list)).await
    }

    async fn person_links(&self, status: LinkStatus) -> StoreResult<Vec<PersonLink>> {
        self.with_conn(move |c| links(c, "l.status = ?1", status.code()))
            .await
    }

    async fn links_of_person(&self, external_id: &str) -> StoreResult<Vec<PersonLink>> {
        let id = external_id.to_string();
        self.with_conn(move |c| {
            let mut out = links(c, "p.external_id = ?1", &id)?;
            out.sort_by(|a, b| b.probability.total_cmp(&a.probability));
            Ok(out)
        })
        .await
    }

    async fn decide_person_link(
        &self,
        person: &str,
        state_voter_id: &str,
        status: LinkStatus,
    ) -> StoreResult<bool> {
        let (person, voter) = (person.to_string(), state_voter_id.to_string());
        self.with_conn(move |c| {
            Ok(c.execute(
                "UPDATE person_links SET status = ?3, updated_at = ?4
                 WHERE person_id = (SELECT id FROM people WHERE external_id = ?1)
                   AND state_voter_id = ?2",
                params![person, voter, status.code(), Utc::now().to_rfc3339()],
            )
            .map_err(db)?
                == 1)
        })
        .await
    }

    async fn invite(
        &self,
        project: &str,
        volunteer: &str,
        score: f64,
        explanation: &str,
        email: Option<&OutgoingEmail>,
    ) -> StoreResult<(ProjectMatch, bool)> {
        let (p, v, x) = (
            project.to_string(),
            volunteer.to_string(),
            explanation.to_string(),
        );
        let email = email.cloned();
        self.with_conn(move |c| invite(c, &p, &v, score, &x, email.as_ref()))
            .await
    }

    async fn set_match_state(
        &self,
        project: &str,
        volunteer: &str,
        from: MatchState,
        to: MatchState,
    ) -> StoreResult<ProjectMatch> {
        let (p, v) = (project.to_string(), volunteer.to_string());
        self.with_conn(move |c| set_state(c, &p, &v, from, to))
            .await
    }

    async fn project_match(
        &self,
        project: &str,
        volunteer: &str,
    ) -> StoreResult<Option<ProjectMatch>> {
        let (p, v) = (project.to_string(), volunteer.to_string());
        self.with_conn(move |c| one_match(c, &p, &v)).await
    }

    async fn matches_of_project(&self, project: &str) -> StoreResult<Vec<ProjectMatch>> {
        let p = project.to_string();
        self.with_conn(move |c| {
            matches(
                c,
                "pr.external_id = ?1 ORDER BY m.score DESC, p.external_id",
                &[&p],
            )
        })
        .await
    }

    async fn matches_of_volunteer(&self, volunteer: &str) -> StoreResult<Vec<ProjectMatch>> {
        let v = volunteer.to_string();
        self.with_conn(move |c| {
            matches(
                c,
                "p.external_id = ?1 ORDER BY m.invited_at DESC, pr.external_id",
                &[&v],
            )
        })
        .await
    }

    async fn unsubscribe(&self, email: &str) -> StoreResult<u64> {
        let email = email.trim().to_lowercase();
        self.with_conn(move |c| {
            Ok(c.execute(
                "UPDATE people SET unsubscribed = 1 WHERE unsubscribed = 0
                   AND id IN (SELECT person_id FROM person_emails WHERE email = ?1)",
                [email],
            )
            .map_err(db)? as u64)
        })
        .await
    }

    async fn enqueue_email(&self, email: &OutgoingEmail) -> StoreResult<bool> {
        let email = email.clone();
        self.with_conn(move |c| enqueue(c, &email)).await
    }

    async fn pending_emails(&self, limit: u32) -> StoreResult<Vec<QueuedEmail>> {
        self.with_conn(move |c| {
            queued(
                c,
                "sent_at IS NULL ORDER BY id LIMIT ?1",
                rusqlite::types::Value::Integer(limit as i64),
            )
        })
        .await
    }

    async fn mark_email_sent(&self, id: i64) -> StoreResult<()> {
        self.with_conn(move |c| {
            c.execute(
                "UPDATE email_outbox SET sent_at = ?2 WHERE id = ?1 AND sent_at IS NULL",
                params![id, Utc::now().to_rfc3339()],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn mark_email_failed(&self, id: i64, error: &str) -> StoreResult<()> {
        let error: String = error.chars().take(500).collect();
        self.with_conn(move |c| {
            c.execute(
                "UPDATE email_outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                params![id, error],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn emails_with_prefix(&self, prefix: &str) -> StoreResult<Vec<QueuedEmail>> {
        let prefix = prefix.to_string();
        self.with_conn(move |c| {
            queued(
                c,
                "substr(key, 1, length(?1)) = ?1 ORDER BY id",
                rusqlite::types::Value::Text(prefix),
            )
        })
        .await
    }
}
