//! Users, roles and the audit log. A role decides what a user may do; every read of a
//! voter page and every export of personal data is an audit entry with who, when, what.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a user may do, from most to least trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users and tokens.
    Admin,
    /// Imports, exports and every voter.
    DataManager,
    /// Searches voters, builds lists, reads voter pages.
    Organizer,
    /// Sees only what an assignment needs; no search of the whole file.
    Volunteer,
    /// Runs the voter-protection effort on election day: every county's incidents.
    Coordinator,
    /// Volunteer lawyer: incidents of their counties.
    Lawyer,
    /// Poll observer: incidents of their counties.
    Observer,
    /// Takes hotline calls: incident intake and results keyed over the phone.
    HotlineOperator,
}

/// An action a route or command needs permission for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Search voters and read voter pages.
    ReadVoters,
    /// Read snapshot lists and change counts.
    ReadSnapshots,
    /// Import files and export personal data.
    ImportExport,
    /// Manage users and API tokens.
    ManageUsers,
    /// Read the audit log.
    ReadAudit,
    /// Enter voter-protection incidents (hotline intake, observers' reports).
    IncidentIntake,
    /// Look a caller up in the voter file by name and ZIP (minimal fields, audited).
    CallerLookup,
    /// See incidents (lawyers and observers: only their counties).
    IncidentRead,
    /// Work incidents: triage, assign, escalate, resolve, close, reopen, notes.
    IncidentWork,
    /// See reporters' names and phone numbers.
    IncidentContact,
    /// Export incidents for the legal team (audited).
    IncidentExport,
    /// Set incident rules and who covers which county.
    IncidentManage,
    /// Set up election-night results, issue chair codes, read readiness and reconciliation, make third checks.
    ManageResults,
    /// Key precinct results read over the phone (hotline).
    KeyResults,
    /// Record contact attempts (door, phone, text) with survey answers and tags.
    RecordContacts,
    /// Campaign side of volunteer matching: read projects, their ranked candidates and
    /// matches, invite volunteers, accept or decline those who said yes.
    ManageVolunteers,
    /// Export the whole organization as an archive (everything it holds, audit included;
    /// transfers at wind-down).
    ArchiveOrganization,
}

impl Role {
    /// All roles.
    pub const ALL: [Role; 8] = [
        Self::Admin,
        Self::DataManager,
        Self::Organizer,
        Self::Volunteer,
        Self::Coordinator,
        Self::Lawyer,
        Self::Observer,
        Self::HotlineOperator,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::DataManager => "data_manager",
            Self::Organizer => "organizer",
            Self::Volunteer => "volunteer",
            Self::Coordinator => "coordinator",
            Self::Lawyer => "lawyer",
            Self::Observer => "observer",
            Self::HotlineOperator => "hotline_operator",
        }
    }

    /// Whether this role holds `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Self::Admin => true,
            Self::DataManager => !matches!(
                permission,
                ManageUsers
                    | ArchiveOrganization
                    | IncidentIntake
                    | CallerLookup
                    | IncidentRead
                    | IncidentWork
                    | IncidentContact
                    | IncidentExport
                    | IncidentManage
            ),
            Self::Organizer => matches!(
                permission,
                ReadVoters | ReadSnapshots | RecordContacts | ManageVolunteers
            ),
            Self::Volunteer if matches!(permission, RecordContacts) => true,
            Self::Coordinator if matches!(permission, ManageResults | KeyResults) => true,
            Self::HotlineOperator if matches!(permission, KeyResults) => true,
            Self::Coordinator
                if matches!(
                    permission,
                    IncidentIntake
                        | CallerLookup
                        | IncidentRead
                        | IncidentWork
                        | IncidentContact
                        | IncidentExport
                        | IncidentManage
                ) =>
            {
                true
            }
            Self::Lawyer
                if matches!(
                    permission,
                    IncidentRead | IncidentWork | IncidentContact | IncidentExport
                ) =>
            {
                true
            }
            Self::Observer
                if matches!(permission, IncidentIntake | IncidentRead | IncidentWork) =>
            {
                true
            }
            Self::HotlineOperator
                if matches!(
                    permission,
                    IncidentIntake | CallerLookup | IncidentRead | IncidentContact
                ) =>
            {
                true
            }
            Self::Volunteer
            | Self::Coordinator
            | Self::Lawyer
            | Self::Observer
            | Self::HotlineOperator => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A role name that is not one of ours.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "unknown role {0:?}: use admin, data_manager, organizer, volunteer, coordinator, lawyer, observer or hotline_operator"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Role::ALL
            .into_iter()
            .find(|r| r.code() == norm)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// A user of one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (user name, or `cli:<os user>` for the command line).
    pub actor: String,
    /// What kind of access: `voter.read`, `voter.search`, `export`, `import`, `user.add`…
    pub action: String,
    /// What it touched: a voter id, a file name, a query.
    pub subject: String,
    /// Free detail (row counts, channel); never personal data beyond the subject id.
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_loosely_and_grant_in_order() {
        assert_eq!("Data-Manager".parse::<Role>(), Ok(Role::DataManager));
        assert_eq!("admin".parse::<Role>(), Ok(Role::Admin));
        assert!("mayor".parse::<Role>().is_err());
        assert!(Role::Admin.allows(Permission::ManageUsers));
        assert!(!Role::DataManager.allows(Permission::ManageUsers));
        for role in Role::ALL {
            assert_eq!(
                role.allows(Permission::ArchiveOrganization),
                role == Role::Admin,
                "only administrators export whole organizations"
            );
        }
        assert!(Role::DataManager.allows(Permission::ImportExport));
        assert!(Role::Organizer.allows(Permission::ReadVoters));
        assert!(!Role::Organizer.allows(Permission::ImportExport));
        assert!(!Role::Volunteer.allows(Permission::ReadVoters));
        assert!(Role::Organizer.allows(Permission::ManageVolunteers));
        assert!(Role::DataManager.allows(Permission::ManageVolunteers));
        assert!(!Role::Volunteer.allows(Permission::ManageVolunteers));
        assert!(!Role::Coordinator.allows(Permission::ManageVolunteers));
    }
}
