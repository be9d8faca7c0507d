//! The head file (`<log>.head`) and the append lock (`<log>.lock`) beside the database.
//!
//! The head file holds the sequence number and hash of the last *acknowledged* record, one line:
//! `blastwall-audit-head/1 <seq> <hash>\n`, the sequence number written with 20 digits so that
//! every head has the same length. It is written while the append lock is held, after the
//! record's commit and before the append returns: in place (one 109-byte write, within one disk
//! sector, then `fdatasync`, which needs no journal commit because the file's size does not
//! change) when the file already has that length, else replaced atomically (temporary file,
//! fsync, rename, fsync of the directory). It must never name a record that is not durably
//! committed: that would make `verify` report a truncation after a crash.
//!
//! The append lock is an advisory `flock` on `<log>.lock`: exclusive for appenders (so commit and
//! head update are one step as far as other appenders and verifiers can see), shared for verifiers
//! (so the head they read matches the snapshot they scan). The kernel drops it when a process dies,
//! so a killed appender never leaves the log locked.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{FlockOperation, flock};

use crate::encoding::{GENESIS, is_hash};
use crate::error::AuditError;
use crate::record::Receipt;

const HEAD_MAGIC: &str = "blastwall-audit-head/1";

/// `<log>` + `suffix`, e.g. `audit.db` → `audit.db.head`.
pub(crate) fn sibling(log: &Path, suffix: &str) -> PathBuf {
    let mut s = log.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The head of an empty log.
pub(crate) fn empty_head() -> Receipt {
    Receipt {
        seq: 0,
        hash: GENESIS.to_owned(),
    }
}

/// What the head file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HeadState {
    Missing,
    Unreadable(String),
    At(Receipt),
}

pub(crate) fn read_head(path: &Path) -> Result<HeadState, AuditError> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(HeadState::Missing),
        Err(source) => {
            return Err(AuditError::Head {
                action: "read",
                path: path.to_owned(),
                source,
            });
        }
    };
    Ok(parse_head(&text).map_or_else(
        || {
            HeadState::Unreadable(format!(
                "expected `{HEAD_MAGIC} <seq> <hash>`, found {:?}",
                String::from_utf8_lossy(&text[..text.len().min(120)])
            ))
        },
        HeadState::At,
    ))
}

fn parse_head(bytes: &[u8]) -> Option<Receipt> {
    let text = std::str::from_utf8(bytes).ok()?.strip_suffix('\n')?;
    let mut parts = text.split(' ');
    let (magic, seq, hash) = (parts.next()?, parts.next()?, parts.next()?);
    if magic != HEAD_MAGIC || parts.next().is_some() || !is_hash(hash) {
        return None;
    }
    if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Receipt {
        seq: seq.parse().ok()?,
        hash: hash.to_owned(),
    })
}

/// Replaces the head file with `head`, durably. Call only with the append lock held.
pub(crate) fn write_head(path: &Path, head: &Receipt) -> Result<(), AuditError> {
    let err = |source| AuditError::Head {
        action: "write",
        path: path.to_owned(),
        source,
    };
    let line = format!("{HEAD_MAGIC} {:020} {}\n", head.seq, head.hash);
    if let Ok(file) = OpenOptions::new().write(true).open(path)
        && file.metadata().is_ok_and(|m| m.len() == line.len() as u64)
    {
        use std::os::unix::fs::FileExt;
        file.write_all_at(line.as_bytes(), 0).map_err(err)?;
        return file.sync_data().map_err(err);
    }
    let tmp = sibling(path, ".tmp");
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(err)?;
    file.write_all(line.as_bytes()).map_err(err)?;
    file.sync_all().map_err(err)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(err)?;
    // The rename is only durable once the directory entry is.
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).map_err(err)
}

/// The open lock file of one log.
#[derive(Debug)]
pub(crate) struct LockFile {
    file: File,
    path: PathBuf,
    log: PathBuf,
}

/// A held lock; released on drop.
pub(crate) struct Held<'a>(&'a LockFile);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Err(e) = flock(&self.0.file, FlockOperation::Unlock) {
            // Closing the file would release it too; the next lock attempt reports real trouble.
            tracing::warn!(path = %self.0.path.display(), error = %e, "cannot release the audit lock");
        }
    }
}

impl LockFile {
    pub(crate) fn open(log: &Path) -> Result<LockFile, AuditError> {
        let path = sibling(log, ".lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|source| AuditError::Lock {
                path: path.clone(),
                source,
            })?;
        Ok(LockFile {
            file,
            path,
            log: log.to_owned(),
        })
    }

    pub(crate) fn exclusive(&self, deadline: Instant) -> Result<Held<'_>, AuditError> {
        self.acquire(FlockOperation::NonBlockingLockExclusive, deadline)
    }

    pub(crate) fn shared(&self, deadline: Instant) -> Result<Held<'_>, AuditError> {
        self.acquire(FlockOperation::NonBlockingLockShared, deadline)
    }

    /// Polls with a growing pause rather than blocking, so the wait is bounded by `deadline`.
    fn acquire(&self, op: FlockOperation, deadline: Instant) -> Result<Held<'_>, AuditError> {
        let start = Instant::now();
        let mut pause = Duration::from_micros(200);
        loop {
            match flock(&self.file, op) {
                Ok(()) => return Ok(Held(self)),
                Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {}
                Err(e) => {
                    return Err(AuditError::Lock {
                        path: self.path.clone(),
                        source: e.into(),
                    });
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(AuditError::Busy {
                    path: self.log.clone(),
                    waited: now - start,
                });
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_round_trip_and_rejects() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db.head");
        assert_eq!(read_head(&path).unwrap(), HeadState::Missing);
        let head = Receipt {
            seq: 42,
            hash: "ab".repeat(32),
        };
        write_head(&path, &head).unwrap();
        assert_eq!(read_head(&path).unwrap(), HeadState::At(head));
        for bad in [
            "",
            "blastwall-audit-head/1 42\n",
            "blastwall-audit-head/1 -1 0000000000000000000000000000000000000000000000000000000000000000\n",
            "blastwall-audit-head/1 1 00\n",
            "blastwall-audit-head/2 1 0000000000000000000000000000000000000000000000000000000000000000\n",
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(
                matches!(read_head(&path).unwrap(), HeadState::Unreadable(_)),
                "{bad:?}"
            );
        }
    }
}
