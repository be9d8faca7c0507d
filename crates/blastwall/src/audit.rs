//! Recording decisions in the audit log. A decision is recorded before the door answers; what a
//! failed record does to the decision is [`after_recording`].

use std::path::{Path, PathBuf};

pub use blastwall_audit::after_recording;
use blastwall_audit::{AuditLog, NewRecord, Receipt};

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
