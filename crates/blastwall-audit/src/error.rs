//! Errors of the audit log, written for the person who has to act on them.
//!
//! Every message names the file involved and says what to do. An error here must never be read as
//! permission: a door that cannot record a decision keeps it at least as strict as it was.

use std::path::PathBuf;
use std::time::Duration;

/// Why the audit log could not be opened, written, read or checked.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(
        "no place for the audit log: none of BLASTWALL_AUDIT_LOG, XDG_STATE_HOME (absolute) or HOME is set; \
         set BLASTWALL_AUDIT_LOG to the file the audit log should live in"
    )]
    NoDefaultPath,

    #[error(
        "cannot create the directory {path} for the audit log: {source}; \
         create it by hand (mode 700) or point BLASTWALL_AUDIT_LOG somewhere this user can write"
    )]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "cannot open the audit log {path}: {source}; check that this user can read and write it and \
         its directory; if the file is damaged, move it aside (keep it as evidence) and a new log starts"
    )]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error(
        "{path} is not a blastwall audit log ({detail}); refusing to write into it: point \
         BLASTWALL_AUDIT_LOG (or the configured audit path) at a new file"
    )]
    NotAnAuditLog { path: PathBuf, detail: String },

    #[error(
        "the audit log {path} stayed locked by another process for {waited:?}, so this decision was not \
         recorded; look for a stuck blastwall process holding {path}.lock (`fuser {path}.lock`)"
    )]
    Busy { path: PathBuf, waited: Duration },

    #[error(
        "cannot write to the audit log {path}: {source}; the decision was not recorded. Check free disk \
         space and permissions, then run `blastwall audit verify`"
    )]
    Write {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error(
        "cannot read the audit log {path}: {source}; the file may be damaged: run `blastwall audit verify` \
         and keep a copy of {path} as evidence"
    )]
    Read {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error(
        "record {seq} of the audit log {path} cannot be read ({detail}); the file was edited or damaged: \
         run `blastwall audit verify` and keep a copy of {path} as evidence"
    )]
    Corrupt {
        path: PathBuf,
        seq: u64,
        detail: String,
    },

    #[error(
        "cannot {action} the head file {path} of the audit log: {source}; check free disk space and \
         permissions of its directory. A record committed just before this error stays in the log but \
         was not acknowledged"
    )]
    Head {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "cannot use the lock file {path} of the audit log: {source}; check permissions of its directory"
    )]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "the audit log {path} no longer matches its head file ({detail}): records were removed or \
         rewritten, or the database was moved without its .head file. Nothing more is recorded until \
         this is resolved: keep copies of both files as evidence and run `blastwall audit verify`; if \
         the database was moved on purpose, move its .head file along with it"
    )]
    HeadDisagrees { path: PathBuf, detail: String },

    #[error(
        "cannot write the audit export: {source}; check the destination (disk full, closed pipe)"
    )]
    Export {
        #[source]
        source: std::io::Error,
    },
}
