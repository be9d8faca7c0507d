//! Recording decisions in the audit log, and what a failed record does to a decision.
//!
//! A decision is recorded before the door answers. If the record cannot be written, a deny
//! stays a deny and an ask stays an ask; an allow of anything beyond a read becomes an ask,
//! because an unrecorded change is exactly what the log exists to prevent. A read stays allowed
//! and the failure is reported on standard error.

use std::path::{Path, PathBuf};

use blastwall_audit::{AuditLog, NewRecord, Receipt};
use blastwall_core::{Decision, Effect};

/// The audit log a command writes to: the given path, else `BLASTWALL_AUDIT_LOG`, else the XDG
/// state directory.
pub fn log_path(configured: Option<&Path>) -> Result<PathBuf, String> {
    match configured {
        Some(p) => Ok(p.to_owned()),
        None => blastwall_audit::default_path().map_err(|e| e.to_string()),
    }
}

/// Appends records to one log, opened on first use; `None` records nothing (`--no-audit`).
pub struct Recorder {
    path: Option<Result<PathBuf, String>>,
    log: Option<Result<AuditLog, String>>,
}

impl Recorder {
    pub fn new(path: Option<Result<PathBuf, String>>) -> Recorder {
        Recorder { path, log: None }
    }

    /// Records nothing.
    pub fn disabled() -> Recorder {
        Recorder::new(None)
    }

    pub fn is_enabled(&self) -> bool {
        self.path.is_some()
    }

    /// Appends `record`; the error says what failed, for the person who has to fix it. A
    /// disabled recorder answers `Ok` with an empty receipt.
    pub fn append(&mut self, record: &NewRecord) -> Result<Receipt, String> {
        let Some(path) = &self.path else {
            return Ok(Receipt {
                seq: 0,
                hash: String::new(),
            });
        };
        let log = self.log.get_or_insert_with(|| {
            let path = path.clone()?;
            AuditLog::open(&path).map_err(|e| e.to_string())
        });
        match log {
            Ok(log) => log.append(record).map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        }
    }
}

/// The decision to answer with after trying to record it.
pub fn after_recording(
    decision: Decision,
    effect: Effect,
    recorded: &Result<Receipt, String>,
) -> (Decision, Option<String>) {
    match recorded {
        Ok(_) => (decision, None),
        Err(why) if decision == Decision::Allow && effect > Effect::Read => (
            Decision::Ask,
            Some(format!(
                "blastwall could not record this decision in its audit log, so a human must approve it: {why}"
            )),
        ),
        Err(_) => (decision, None),
    }
}
