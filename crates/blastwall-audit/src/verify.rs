//! What [`AuditLog::verify`](crate::AuditLog::verify) found: [`VerifyReport`], [`Problem`], [`Fault`].
//!
//! Plain data and messages only. A report must never soften a finding: anything that could be
//! tampering is a problem, and only what a crash can leave behind (records after the head, see
//! [`VerifyReport::unanchored`]) is reported as clean.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::record::Receipt;

/// The most problems a report lists; past the first bad record the rest is mostly consequence.
pub const MAX_PROBLEMS: usize = 100;

/// The outcome of checking a whole log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The database checked.
    pub path: PathBuf,
    /// Records read.
    pub records: u64,
    /// The last record of the chain (`None` for an empty log).
    pub last: Option<Receipt>,
    /// What the head file said, when it could be read.
    pub head: Option<Receipt>,
    /// Records after the one the head file names. A crash between a record's commit and the head
    /// update leaves one such record, which was never acknowledged; these records are not yet
    /// protected against truncation.
    pub unanchored: u64,
    /// Problems in log order, the first bad record first; at most [`MAX_PROBLEMS`].
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`].
    pub more_problems: u64,
}

impl VerifyReport {
    /// No problem at all.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The first thing wrong, if anything is.
    pub fn first_problem(&self) -> Option<&Problem> {
        self.problems.first()
    }

    /// The sequence number of the first bad (or first missing) record.
    pub fn first_bad_seq(&self) -> Option<u64> {
        self.problems.iter().find_map(|p| p.seq)
    }

    /// Everything wrong with record `seq`.
    pub fn faults_of(&self, seq: u64) -> Vec<&Fault> {
        self.problems
            .iter()
            .filter(|p| p.seq == Some(seq))
            .map(|p| &p.fault)
            .collect()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = self
            .last
            .as_ref()
            .map_or_else(|| "empty".to_owned(), |r| format!("last record {}", r.seq));
        if self.is_clean() {
            write!(
                f,
                "{}: {} records verified, {last}, chain intact",
                self.path.display(),
                self.records
            )?;
            if self.unanchored > 0 {
                write!(
                    f,
                    " ({} record(s) after the head file: an interrupted append, not yet protected against truncation)",
                    self.unanchored
                )?;
            }
            return Ok(());
        }
        writeln!(
            f,
            "{}: TAMPERING OR DAMAGE: {} problem(s) in {} records ({last}); keep a copy of the database and its .head file as evidence",
            self.path.display(),
            self.problems.len() as u64 + self.more_problems,
            self.records
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        if self.more_problems > 0 {
            writeln!(f, "  ... and {} more", self.more_problems)?;
        }
        Ok(())
    }
}

/// One thing wrong, with the record it concerns when there is one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The record concerned (for a truncated tail: the first missing record).
    pub seq: Option<u64>,
    pub fault: Fault,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "record {seq}: {}", self.fault),
            None => write!(f, "{}", self.fault),
        }
    }
}

/// What is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "fault")]
pub enum Fault {
    /// The record's content does not hash to its stored hash: a field was edited or a byte flipped.
    HashMismatch { stored: String, computed: String },
    /// The record does not point at the record before it: a record was deleted, inserted or moved.
    BrokenLink {
        /// The record it follows in the database (`None` when it is the first one).
        previous_seq: Option<u64>,
        expected_prev_hash: String,
        found_prev_hash: String,
    },
    /// The sequence number is not one more than the previous one.
    SequenceGap { expected: u64, found: u64 },
    /// A column has the wrong type or is missing (the file was edited below SQL level or damaged).
    Malformed { column: String, detail: String },
    /// The head file names a record beyond the end of the chain: records were cut off the end.
    TruncatedTail { head_seq: u64, last_seq: u64 },
    /// The record the head file names has a different hash: history was rewritten.
    HeadMismatch {
        head_hash: String,
        stored_hash: String,
    },
    /// The log has records but no head file: it was deleted, or the database was moved without it.
    HeadMissing,
    /// The head file cannot be parsed.
    HeadUnreadable { detail: String },
    /// SQLite itself reports damage in the file.
    StorageDamaged { detail: String },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::HashMismatch { stored, computed } => write!(
                f,
                "content does not match its hash (a field was edited or a byte flipped): stored {stored}, content hashes to {computed}"
            ),
            Fault::BrokenLink {
                previous_seq,
                expected_prev_hash,
                found_prev_hash,
            } => {
                let before = previous_seq.map_or_else(
                    || "the start of the log".to_owned(),
                    |s| format!("record {s}"),
                );
                write!(
                    f,
                    "does not link to {before} (a record was deleted, inserted or moved): expected prev_hash {expected_prev_hash}, found {found_prev_hash}"
                )
            }
            Fault::SequenceGap { expected, found } => write!(
                f,
                "sequence number {found} where {expected} was expected (records are missing or were renumbered)"
            ),
            Fault::Malformed { column, detail } => {
                write!(f, "column `{column}` is malformed: {detail}")
            }
            Fault::TruncatedTail { head_seq, last_seq } => write!(
                f,
                "missing: the head file says the log reaches record {head_seq} but it ends at {last_seq} (records were cut off the end)"
            ),
            Fault::HeadMismatch {
                head_hash,
                stored_hash,
            } => write!(
                f,
                "the head file gives hash {head_hash} but the record has {stored_hash} (the log was rewritten)"
            ),
            Fault::HeadMissing => write!(
                f,
                "the head file is missing although the log has records (deleted, or the database was moved without it)"
            ),
            Fault::HeadUnreadable { detail } => write!(f, "the head file is unreadable: {detail}"),
            Fault::StorageDamaged { detail } => {
                write!(f, "SQLite reports the database file damaged: {detail}")
            }
        }
    }
}
