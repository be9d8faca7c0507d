//! The tamper-evident audit log of blastwall.
//!
//! Every decision from every door (`check`, agent hooks, proxies) is appended to one SQLite
//! database (WAL journaling, `synchronous=FULL`) as a hash-chained record: each record stores the
//! hash of the record before it and the hash of its own canonical content, so an edited, deleted,
//! inserted or reordered record breaks the chain, and [`AuditLog::verify`] names the first bad one.
//!
//! This crate records and checks; it must never decide anything, never make a decision less strict,
//! and never rewrite or delete a stored record.
//!
//! # The contract with doors
//!
//! [`AuditLog::append`] returns a [`Receipt`] only once the record is durable. When it returns an
//! error (disk full, lock timeout, a log that no longer matches its head file), the door keeps its
//! decision at least as strict as it was: an audit failure never turns a `deny` into an `allow`,
//! and a door may treat an `allow` it could not record as `ask`.
//!
//! # Where the log lives
//!
//! [`default_path`]: `$BLASTWALL_AUDIT_LOG`, else `$XDG_STATE_HOME/blastwall/audit.db`, else
//! `~/.local/state/blastwall/audit.db`. Beside the database `audit.db` live `audit.db.head` (the
//! head file), `audit.db.lock` (the append lock) and SQLite's `audit.db-wal` and `audit.db-shm`.
//! New directories get mode 700 and new files mode 600: inputs may contain secrets.
//!
//! # The record and its canonical encoding (format 1)
//!
//! A record's hash is the lowercase hexadecimal SHA-256 of this byte string:
//!
//! ```text
//! message = "blastwall-audit-record/1" 0x0A  field{15}
//! field   = 0x00                                  ; an absent optional text
//!         | 0x01  length:u64 big-endian  bytes    ; a text: its UTF-8 bytes as stored
//!         | 0x02  value:i64 big-endian            ; an integer, two's complement
//! ```
//!
//! with the fields in exactly this order (they are also the database columns and the keys of the
//! JSON Lines export):
//!
//! | # | field | kind | meaning |
//! |---|---|---|---|
//! | 1 | `seq` | integer | 1, 2, 3, ... without gaps |
//! | 2 | `prev_hash` | text | the `hash` of record `seq - 1`; 64 `0`s for record 1 |
//! | 3 | `time_ms` | integer | decision time, milliseconds since the Unix epoch, UTC |
//! | 4 | `version` | text | the blastwall version that wrote the record |
//! | 5 | `door` | text | `check`, `hook:<agent>` or `proxy:<name>` |
//! | 6 | `agent` | optional text | agent identity |
//! | 7 | `session` | optional text | agent session |
//! | 8 | `environment` | text | `dev`, `prod`, `unknown`, ... |
//! | 9 | `cwd` | optional text | working directory of the input |
//! | 10 | `pid` | integer | the process that appended the record |
//! | 11 | `input` | text | the input exactly as the door received it |
//! | 12 | `decision` | text | `allow`, `ask` or `deny` |
//! | 13 | `effect` | text | `read`, `write`, `destructive` or `irreversible` |
//! | 14 | `rule` | text | the rule behind the decision |
//! | 15 | `reason` | text | the reason given |
//!
//! Every field carries its own tag and length, so no two different records share a message (an
//! absent `agent` differs from an empty one, and no text can shift bytes into the next field). An
//! external tool re-verifies an export by rebuilding each message from the JSON fields (`null` →
//! `0x00`), hashing it, comparing with `hash`, and checking that each `prev_hash` is the previous
//! line's `hash` and that `seq` grows by one.
//!
//! # The head file: seeing a truncated tail
//!
//! A chain alone cannot show that its last records were cut off. The head file
//! (`audit.db.head`, one line `blastwall-audit-head/1 <seq> <hash>`) names the last acknowledged
//! record. An append, holding an exclusive `flock` on `audit.db.lock` throughout, does:
//!
//! 1. `BEGIN IMMEDIATE`; read the last record; check that the chain still reaches the record the
//!    head file names (else refuse, see below); insert the new record linked to the last one;
//!    `COMMIT` (durable: `synchronous=FULL`).
//! 2. Write the head file: temporary file, fsync, rename over `audit.db.head`, fsync the directory.
//! 3. Release the lock and return the receipt.
//!
//! Committed records live in the WAL file (`audit.db-wal`) until an append that finds the WAL
//! larger than 256 KiB copies it into `audit.db` and empties it: connections do not checkpoint on
//! close, because each door process appends once and exits, and a checkpoint plus a recreated WAL
//! per decision would quadruple the fsyncs, while a long WAL would make every process that opens
//! the log read all of it. Copy the log as one file only after [`AuditLog::checkpoint`]; otherwise copy the
//! `-wal` file with it.
//!
//! The head file therefore never names a record that is not durably committed, and it never moves
//! backwards, because appends are serialised by the lock (and, independently, by SQLite's write
//! lock, so links stay intact even for a writer that ignored the lock file). `verify` takes the
//! lock shared while it opens its read snapshot and reads the head file, so it never sees a commit
//! whose head update is still to come.
//!
//! `verify` reports a *truncated tail* when the head names a record beyond the end of the chain,
//! and a *head mismatch* when the record it names has another hash. Records after the head are
//! reported as [`VerifyReport::unanchored`], not as tampering: a crash (kill -9, power loss)
//! between step 1 and step 2 leaves exactly one such record, which was never acknowledged. So a
//! crash never makes `verify` report tampering, and every acknowledged record is covered by the
//! head.
//!
//! An append refuses (with [`AuditError::HeadDisagrees`]) to extend a chain that no longer reaches
//! its head: writing a new head would erase the evidence. Decisions keep being made, strictly,
//! while an operator investigates; [`AuditLog::reanchor`] is the operator's way back.
//!
//! ## Residual risk
//!
//! - The hashes carry no secret. Someone who can write both the database and the head file can
//!   rewrite history consistently (recompute every hash and the head). The chain proves integrity
//!   against edits by tools that do not know the format, and against partial tampering; for more,
//!   keep receipts or `verify` output elsewhere (another user, another host, a ticket) and compare
//!   the record at that sequence number later, or ship exports off the machine regularly
//!   ([`Filter::after_seq`] makes that incremental).
//! - The unanchored record a crash leaves behind can be removed without trace until the next
//!   append anchors it. It was never acknowledged, so no door relied on it.
//! - Deleting the database together with its head file leaves nothing to compare with.
//! - The lock is an advisory `flock`; on network filesystems that do not support it, appenders
//!   are still serialised by SQLite, but `verify` may then race an append and report a truncation
//!   that is not one: keep the log on a local disk.

mod encoding;
mod error;
mod head;
mod log;
mod outcome;
mod path;
mod record;
mod verify;

pub use encoding::{GENESIS, MAGIC};
pub use error::AuditError;
pub use log::{AuditLog, Options};
pub use outcome::after_recording;
pub use path::{PATH_VAR, default_path, default_path_from, state_dir, state_dir_from};
pub use record::{
    Filter, NewRecord, Receipt, Record, door_label, now_ms, parse_rfc3339, rfc3339_ms,
};
pub use verify::{Fault, MAX_PROBLEMS, Problem, VerifyReport};
