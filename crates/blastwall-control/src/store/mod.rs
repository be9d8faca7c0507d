//! Where identities and requests live: the [`Store`] trait and its backends ([`SqliteStore`],
//! [`MemoryStore`]).
//!
//! A store keeps records and runs the closures [`Control`](crate::Control) gives it inside one
//! transaction; it never decides anything itself (no quorum, expiry or role logic here), so that
//! every backend applies exactly the same rules. A backend must make
//! [`Store::update_request`] and [`Store::update_digest`] atomic against every other writer,
//! including other processes or replicas on the same database: two concurrent redemptions of one
//! approval must see each other. A PostgreSQL backend does this with `SELECT ... FOR UPDATE` (or
//! serializable transactions) around the same closures.

mod memory;
mod sqlite;

use std::path::PathBuf;

pub use memory::MemoryStore;
pub use sqlite::SqliteStore;

use crate::error::ControlError;
use crate::identity::{StoredAgent, StoredHuman};
use crate::request::{Request, State};
use crate::subject::ActionDigest;

/// A backend's own error, kept as the source.
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// A change applied to one request inside a transaction; an error discards the change.
pub type RequestChange<'a> = &'a mut dyn FnMut(&mut Request) -> Result<(), ControlError>;

/// A change applied to every request with one digest inside a transaction. It may change their
/// state, settle time and votes (appending only) and push new requests; an error discards
/// everything.
pub type DigestChange<'a> = &'a mut dyn FnMut(&mut Vec<Request>) -> Result<(), ControlError>;

/// Persistent state of the control plane. Synchronous: a server calls it from a blocking task.
pub trait Store: Send + Sync {
    /// Adds an agent; [`StoreError::Conflict`] when its name is taken.
    fn insert_agent(&self, agent: &StoredAgent) -> Result<(), StoreError>;
    fn agent(&self, id: &str) -> Result<Option<StoredAgent>, StoreError>;
    fn agents(&self) -> Result<Vec<StoredAgent>, StoreError>;
    /// Sets `revoked_ms` of an agent not yet revoked; returns whether one was.
    fn revoke_agent(&self, id: &str, at_ms: i64) -> Result<bool, StoreError>;

    /// Adds a human; [`StoreError::Conflict`] when the name is taken.
    fn insert_human(&self, human: &StoredHuman) -> Result<(), StoreError>;
    /// Adds a human only if there is no human at all yet (the first admin); returns whether it
    /// did. Atomic, so two first-time setups cannot both succeed.
    fn insert_first_human(&self, human: &StoredHuman) -> Result<bool, StoreError>;
    fn human(&self, id: &str) -> Result<Option<StoredHuman>, StoreError>;
    fn human_by_name(&self, name: &str) -> Result<Option<StoredHuman>, StoreError>;
    fn humans(&self) -> Result<Vec<StoredHuman>, StoreError>;
    /// Replaces the mutable fields of a human (roles, credentials, revocation); returns whether
    /// the human exists.
    fn update_human(&self, human: &StoredHuman) -> Result<bool, StoreError>;

    fn request(&self, id: &str) -> Result<Option<Request>, StoreError>;
    /// Requests, oldest first; only those in `state` when given.
    fn requests(&self, state: Option<State>) -> Result<Vec<Request>, StoreError>;
    /// Runs `change` on request `id` in a transaction and stores what it changed (state, settle
    /// time, appended votes). `Ok(None)` when there is no such request.
    fn update_request(
        &self,
        id: &str,
        change: RequestChange<'_>,
    ) -> Result<Option<Request>, ControlError>;
    /// Runs `change` on all requests with `digest` (oldest first) in a transaction, stores what it
    /// changed and inserts the requests it added. Returns the requests as stored.
    fn update_digest(
        &self,
        digest: &ActionDigest,
        change: DigestChange<'_>,
    ) -> Result<Vec<Request>, ControlError>;
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot open the control database {path}: {source}; check that this user can read and \
         write it and its directory"
    )]
    Open {
        path: PathBuf,
        #[source]
        source: BackendError,
    },

    #[error(
        "{path} is not a blastwall control database ({detail}); refusing to use it: point the \
         control plane at a new file"
    )]
    NotAControlStore { path: PathBuf, detail: String },

    #[error(
        "the control database failed to {what}: {source}; nothing was changed. Check free disk \
         space and permissions, and for a stuck process holding the database"
    )]
    Backend {
        what: &'static str,
        #[source]
        source: BackendError,
    },

    #[error("{what} {name:?} already exists")]
    Conflict { what: &'static str, name: String },

    #[error(
        "the control database holds a record it cannot read ({detail}); it was edited by hand or \
         damaged: keep a copy as evidence and restore from a backup"
    )]
    Corrupt { detail: String },
}

/// What a backend writes back after a change: the changed requests with how many of their votes
/// were already stored, and the new requests.
pub(crate) type WriteBack<'a> = (Vec<(&'a Request, usize)>, Vec<&'a Request>);

/// Which requests of `before` changed in `after`, and which are new: the write-back plan shared
/// by the backends.
pub(crate) fn changes<'a>(
    before: &[Request],
    after: &'a [Request],
) -> Result<WriteBack<'a>, ControlError> {
    let mut changed = Vec::new();
    let mut added = Vec::new();
    for request in after {
        match before.iter().find(|b| b.id == request.id) {
            Some(old) if old == request => {}
            Some(old) => {
                if request.votes.len() < old.votes.len()
                    || request.votes[..old.votes.len()] != old.votes[..]
                    || request.subject != old.subject
                {
                    return Err(StoreError::Corrupt {
                        detail: format!(
                            "an update of request {} rewrote its subject or votes",
                            request.id
                        ),
                    }
                    .into());
                }
                changed.push((request, old.votes.len()));
            }
            None => added.push(request),
        }
    }
    Ok((changed, added))
}
