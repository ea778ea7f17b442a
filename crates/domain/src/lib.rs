//! Types and rules of the votebase domain, with no I/O: voters and their normalised
//! fields, snapshots and the changes between them, users and roles, audit entries and
//! the parsed form of a voter search. Every other crate speaks in these types.

pub mod ballots;
pub mod contacts;
pub mod csv_safe;
pub mod disinfo;
pub mod donations;
pub mod exchange;
pub mod incidents;
pub mod orgs;
pub mod people;
pub mod purges;
pub mod results;
pub mod search;
pub mod snapshots;
pub mod uploads;
pub mod users;
pub mod voters;

pub use ballots::{BallotCategory, BallotEvent, BallotMethod};
pub use contacts::{ContactChannel, ContactEvent, ContactResult, SurveyAnswer, SurveyQuestion};
pub use orgs::{OrgName, Organization};
pub use search::{AddressQuery, NameQuery, VoterQuery};
pub use snapshots::{ChangeKind, FieldChange, HistoryMark, SnapshotSummary, VoteHistoryRecord};
pub use users::{AuditEntry, Role, User};
pub use voters::{Address, Gender, Party, Phone, VoterFacets, VoterRecord, VoterStatus};
