//! The organization's do-not-contact list as use cases: [`add`] records one entry (a
//! voter id, a phone made E.164, an email) from the CLI, the API or the page; [`import`]
//! reads a CSV of entries all-or-nothing, each bad row named by line; [`remove`] takes an
//! entry off (admins only, the row is kept); [`suppressed_set`] is what every export and
//! universe of voters honours, and [`suppressed_people`] what every export of people who
//! may not be voters (donor call lists, volunteers) honours: a person is left out when a
//! live entry names their phone or email, or a voter they are linked to. Entries also arrive without a caller: a texting STOP, an
//! `optedOut` status or a do-not-call result at contact import, a volunteer's email
//! unsubscribe (the store adds them in the same transaction), and opt-outs received over
//! an exchange agreement ([`crate::exchange`]). Who may do what is [`authorize`].

use std::collections::HashSet;
use std::io::Read;
use votebase_domain::Role;
use votebase_domain::exchange::{NewSuppression, Suppression, SuppressionError};
use votebase_domain::people::LinkStatus;
use votebase_domain::users::Permission;
use votebase_store::{Store, StoreError};

/// What a caller wants to do with the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionAction {
    /// Read the list (roles that read voters).
    Read,
    /// Add an entry (roles that record contacts: anyone who hears "do not contact me").
    Add,
    /// Import a file of entries (import/export permission).
    Import,
    /// Take an entry off (admins only).
    Remove,
}

/// The caller's role may not do this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("your role may not {0}")]
pub struct SuppressionForbidden(&'static str);

/// The one rule of who may read, add, import and remove suppressions.
pub fn authorize(role: Role, action: SuppressionAction) -> Result<(), SuppressionForbidden> {
    let (ok, what) = match action {
        SuppressionAction::Read => (
            role.allows(Permission::ReadVoters),
            "read the suppression list",
        ),
        SuppressionAction::Add => (role.allows(Permission::RecordContacts), "add suppressions"),
        SuppressionAction::Import => (role.allows(Permission::ImportExport), "import suppressions"),
        SuppressionAction::Remove => (role == Role::Admin, "remove suppressions (admins only)"),
    };
    if ok {
        Ok(())
    } else {
        Err(SuppressionForbidden(what))
    }
}

/// Why a suppression could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum SuppressionFailure {
    /// The entry is not valid.
    #[error(transparent)]
    Invalid(#[from] SuppressionError),
    /// The phone could not be made E.164.
    #[error("phone {0:?} is not a phone number")]
    Phone(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One entry as a person types it: the phone in any usual writing.
#[derive(Debug, Clone, Default)]
pub struct SuppressionInput {
    /// State voter id, or empty.
    pub state_voter_id: String,
    /// Phone as written, or empty.
    pub phone: String,
    /// Email, or empty.
    pub email: String,
    /// `all` (empty), `text`, `phone`, `email`, `door`.
    pub channel: String,
    /// Why.
    pub reason: String,
}

impl SuppressionInput {
    /// The checked entry from `source` by `created_by`.
    pub fn entry(
        &self,
        source: &str,
        created_by: &str,
    ) -> Result<NewSuppression, SuppressionFailure> {
        let phone = if self.phone.trim().is_empty() {
            String::new()
        } else {
            let p = votebase_normalize::phone::normalize_phone(&self.phone);
            if p.e164.is_empty() {
                return Err(SuppressionFailure::Phone(self.phone.clone()));
            }
            p.e164
        };
        Ok(NewSuppression {
            state_voter_id: self.state_voter_id.clone(),
            phone,
            email: self.email.clone(),
            channel: self.channel.clone(),
            reason: if self.reason.trim().is_empty() {
                "do not contact".into()
            } else {
                self.reason.trim().to_string()
            },
            source: source.into(),
            source_key: String::new(),
            created_by: created_by.into(),
        }
        .validate()?)
    }
}

/// Records one entry (source `manual`); false when the same entry was already there.
pub async fn add(
    store: &dyn Store,
    input: &SuppressionInput,
    created_by: &str,
) -> Result<(NewSuppression, bool), SuppressionFailure> {
    let entry = input.entry("manual", created_by)?;
    let added = store.add_suppression(&entry).await?;
    Ok((entry, added))
}

/// Takes entry `id` off the list (the row stays, with who and when); false when there
/// is no such live entry.
pub async fn remove(store: &dyn Store, id: i64, by: &str) -> Result<bool, StoreError> {
    store.remove_suppression(id, by).await
}

/// The voters every export and universe leaves out.
pub async fn suppressed_set(store: &dyn Store) -> Result<HashSet<String>, StoreError> {
    Ok(store.suppressed_voter_ids().await?.into_iter().collect())
}

/// What the live suppressions cover, to match people by: the voters (as
/// [`suppressed_set`]), the phones (E.164) and emails (lowercase) of the entries, and the
/// people (external ids) linked or confirmed as one of those voters.
#[derive(Debug, Clone, Default)]
pub struct SuppressedPeople {
    voters: HashSet<String>,
    phones: HashSet<String>,
    emails: HashSet<String>,
    people: HashSet<String>,
}

impl SuppressedPeople {
    /// Whether a live entry covers the person `external_id` (may be empty) reached at
    /// `phones` (any usual writing) and `emails`: their phone or email is on the list, or
    /// a voter they are linked to is.
    pub fn covers<'a>(
        &self,
        external_id: &str,
        phones: impl IntoIterator<Item = &'a str>,
        emails: impl IntoIterator<Item = &'a str>,
    ) -> bool {
        if !external_id.is_empty() && self.people.contains(external_id) {
            return true;
        }
        if phones.into_iter().any(|p| {
            let p = p.trim();
            !p.is_empty() && {
                let e164 = votebase_normalize::phone::normalize_phone(p).e164;
                !e164.is_empty() && self.phones.contains(&e164)
            }
        }) {
            return true;
        }
        emails.into_iter().any(|e| {
            let e = e.trim().to_lowercase();
            !e.is_empty() && self.emails.contains(&e)
        })
    }

    /// Whether the voter `state_voter_id` is covered.
    pub fn covers_voter(&self, state_voter_id: &str) -> bool {
        self.voters.contains(state_voter_id)
    }

    /// Nothing is suppressed.
    pub fn is_empty(&self) -> bool {
        self.voters.is_empty() && self.phones.is_empty() && self.emails.is_empty()
    }

    /// Keeps the rows no entry covers (all of them when `include_suppressed`); returns
    /// them and how many were left out. `who` gives a row's person id, phones and emails.
    pub fn retain<T>(
        &self,
        rows: Vec<T>,
        include_suppressed: bool,
        who: impl Fn(&T) -> (&str, Vec<&str>, Vec<&str>),
    ) -> (Vec<T>, u64) {
        if include_suppressed || self.is_empty() {
            return (rows, 0);
        }
        let before = rows.len();
        let kept: Vec<T> = rows
            .into_iter()
            .filter(|r| {
                let (id, phones, emails) = who(r);
                !self.covers(id, phones, emails)
            })
            .collect();
        let removed = (before - kept.len()) as u64;
        (kept, removed)
    }
}

/// Reads what the live suppressions cover (see [`SuppressedPeople`]).
pub async fn suppressed_people(store: &dyn Store) -> Result<SuppressedPeople, StoreError> {
    let voters = suppressed_set(store).await?;
    let mut out = SuppressedPeople {
        voters,
        ..Default::default()
    };
    for entry in store.suppressions(i64::MAX, false).await? {
        let e = entry.entry;
        if !e.phone.is_empty() {
            out.phones.insert(e.phone);
        }
        if !e.email.is_empty() {
            out.emails.insert(e.email.trim().to_lowercase());
        }
    }
    if !out.voters.is_empty() {
        for status in [LinkStatus::Linked, LinkStatus::Confirmed] {
            for link in store.person_links(status).await? {
                if out.voters.contains(&link.state_voter_id) {
                    out.people.insert(link.person);
                }
            }
        }
    }
    Ok(out)
}

/// The one sentence a front end prints after an export that left people out.
pub fn removed_note(removed: u64, include_suppressed: bool) -> Option<String> {
    match (removed, include_suppressed) {
        (_, true) => Some("people on the do-not-contact list are included".into()),
        (0, false) => None,
        (n, false) => Some(format!(
            "{n} people left out: they are on the do-not-contact list (add --include-suppressed to keep them)"
        )),
    }
}

/// The newest entries (live only unless `include_removed`).
pub async fn list(
    store: &dyn Store,
    limit: i64,
    include_removed: bool,
) -> Result<Vec<Suppression>, StoreError> {
    store.suppressions(limit, include_removed).await
}

/// A row of a suppression file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// Why.
    pub message: String,
}

/// Why a suppression file was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// The file could not be read as CSV, or its header names none of the columns.
    #[error("{0}")]
    File(String),
    /// Rows that cannot be used: nothing was written.
    #[error("{} bad rows, nothing written; first: line {}: {}", .0.len(), .0[0].line, .0[0].message)]
    Rows(Vec<BadRow>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportOutcome {
    /// Entries new to the list.
    pub added: u64,
    /// Entries already on it.
    pub already: u64,
}

/// Reads a CSV with a header naming any of `state_voter_id` (or `voter_id`), `phone`,
/// `email`, `channel`, `reason` (case and spaces ignored) and records every row under
/// source `import`, keyed by its content, so loading the same file twice changes
/// nothing. All or nothing: any bad row (no id, phone or email; a phone that is not a
/// number; an unknown channel) is listed with its line and nothing is written.
pub async fn import<R: Read>(
    store: &dyn Store,
    file_name: &str,
    reader: R,
    default_reason: &str,
    created_by: &str,
) -> Result<ImportOutcome, ImportFailure> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let header: Vec<String> = csv
        .headers()
        .map_err(|e| ImportFailure::File(format!("{file_name}: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase().replace(' ', "_"))
        .collect();
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let voter = col(&["state_voter_id", "voter_id", "ncid"]);
    let phone = col(&["phone", "cell", "phone_number"]);
    let email = col(&["email", "email_address"]);
    let channel = col(&["channel"]);
    let reason = col(&["reason"]);
    if voter.is_none() && phone.is_none() && email.is_none() {
        return Err(ImportFailure::File(format!(
            "{file_name}: the header names none of state_voter_id, phone, email"
        )));
    }
    let mut entries = Vec::new();
    let mut bad = Vec::new();
    for (i, record) in csv.records().enumerate() {
        let line = i as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                bad.push(BadRow {
                    line,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let cell = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let input = SuppressionInput {
            state_voter_id: cell(voter),
            phone: cell(phone),
            email: cell(email),
            channel: cell(channel),
            reason: match cell(reason) {
                r if r.is_empty() => default_reason.to_string(),
                r => r,
            },
        };
        match input.entry("import", created_by) {
            Ok(e) => entries.push(e),
            Err(e) => bad.push(BadRow {
                line,
                message: e.to_string(),
            }),
        }
    }
    if !bad.is_empty() {
        return Err(ImportFailure::Rows(bad));
    }
    let mut outcome = ImportOutcome::default();
    for e in &entries {
        if store.add_suppression(e).await? {
            outcome.added += 1;
        } else {
            outcome.already += 1;
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_may_do_what() {
        assert!(authorize(Role::Volunteer, SuppressionAction::Add).is_ok());
        assert!(authorize(Role::Volunteer, SuppressionAction::Read).is_err());
        assert!(authorize(Role::Organizer, SuppressionAction::Read).is_ok());
        assert!(authorize(Role::Organizer, SuppressionAction::Import).is_err());
        assert!(authorize(Role::DataManager, SuppressionAction::Import).is_ok());
        assert!(authorize(Role::DataManager, SuppressionAction::Remove).is_err());
        assert!(authorize(Role::Admin, SuppressionAction::Remove).is_ok());
        assert!(authorize(Role::Lawyer, SuppressionAction::Add).is_err());
    }

    #[test]
    fn phones_are_made_e164_and_bad_ones_refused() {
        let input = SuppressionInput {
            phone: "(919) 226-4000".into(),
            ..Default::default()
        };
        let e = input.entry("manual", "ann").unwrap();
        assert_eq!(e.phone, "+19192264000");
        assert_eq!(e.reason, "do not contact");
        let bad = SuppressionInput {
            phone: "12".into(),
            ..Default::default()
        };
        assert!(matches!(
            bad.entry("manual", "ann"),
            Err(SuppressionFailure::Phone(_))
        ));
        assert!(matches!(
            SuppressionInput::default().entry("manual", "ann"),
            Err(SuppressionFailure::Invalid(SuppressionError::Empty))
        ));
    }
}
