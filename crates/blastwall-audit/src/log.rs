//! [`AuditLog`]: the SQLite database, appends, queries, export and verification.
//!
//! This is the only module that talks to SQLite. It must never rewrite or delete a stored record,
//! never write the head file ahead of a durable commit, and never report success for a record that
//! is not both committed and anchored.

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use blastwall_core::{Decision, Effect};
use rusqlite::config::DbConfig;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, Row, Transaction, TransactionBehavior};

use crate::encoding::{FIELDS, GENESIS, Value, is_hash, record_hash};
use crate::error::AuditError;
use crate::head::{HeadState, LockFile, empty_head, read_head, sibling, write_head};
use crate::record::{ExportLine, Filter, NewRecord, Receipt, Record, door_label};
use crate::verify::{Fault, MAX_PROBLEMS, Problem, VerifyReport};

/// `PRAGMA application_id` of an audit database ("BWAL"), so that `file(1)` and blastwall itself
/// can tell it from other SQLite files.
const APPLICATION_ID: i32 = 0x4257_414C;

/// The database layout version stored in `audit_meta`; it changes with the canonical encoding.
const FORMAT: &str = "1";

/// The blastwall version written into every record.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The hashed columns in canonical order (see [`FIELDS`]), then the stored hash.
const COLUMNS: &str = "seq, prev_hash, time_ms, version, door, agent, session, environment, cwd, \
                       pid, input, decision, effect, rule, reason, hash";

const SCHEMA: &str = "
CREATE TABLE audit_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE audit_records (
    seq         INTEGER PRIMARY KEY NOT NULL,
    prev_hash   TEXT NOT NULL,
    time_ms     INTEGER NOT NULL,
    version     TEXT NOT NULL,
    door        TEXT NOT NULL,
    agent       TEXT,
    session     TEXT,
    environment TEXT NOT NULL,
    cwd         TEXT,
    pid         INTEGER NOT NULL,
    input       TEXT NOT NULL,
    decision    TEXT NOT NULL,
    effect      TEXT NOT NULL,
    rule        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    hash        TEXT NOT NULL
) STRICT;
CREATE INDEX audit_records_time ON audit_records (time_ms);
";

/// WAL size after which an append copies the WAL into the database file and empties it. Every
/// process that opens the log reads the whole WAL to rebuild its index, so a short WAL keeps each
/// door's start-up short; emptying it costs two more fsyncs once every few dozen appends.
const WAL_TRUNCATE_BYTES: u64 = 256 * 1024;

/// How long to wait for other processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The longest an append (or verify) waits for the lock before giving up with
    /// [`AuditError::Busy`].
    pub lock_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lock_timeout: Duration::from_secs(5),
        }
    }
}

/// An open audit log. One per process is enough; any number of processes may append at once.
#[derive(Debug)]
pub struct AuditLog {
    conn: Connection,
    path: PathBuf,
    head_path: PathBuf,
    lock: LockFile,
    options: Options,
}

impl AuditLog {
    /// Opens (creating if needed) the audit log at `path` with default [`Options`].
    pub fn open(path: impl AsRef<Path>) -> Result<AuditLog, AuditError> {
        Self::open_with(path, Options::default())
    }

    /// Opens (creating if needed) the audit log at `path`: creates missing parent directories
    /// (mode 700) and the file (mode 600), sets WAL journaling, `synchronous=FULL` and a busy
    /// timeout, and creates the schema and the head file of a new log.
    pub fn open_with(path: impl AsRef<Path>, options: Options) -> Result<AuditLog, AuditError> {
        let path = path.as_ref().to_owned();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(|source| AuditError::CreateDir {
                    path: parent.to_owned(),
                    source,
                })?;
        }
        // Created here so that SQLite (and its -wal/-shm files, which copy the mode) never make the
        // log readable by others. A failure is left for SQLite to report.
        let _ = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path);

        let lock = LockFile::open(&path)?;
        let open_err = |source| AuditError::Open {
            path: path.clone(),
            source,
        };
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_timeout(options.lock_timeout).map_err(open_err)?;
        // Each door process opens the log, appends once and exits. Checkpointing on close (and
        // deleting the WAL, which the next process must then recreate and sync with its
        // directory) would cost four extra fsyncs per decision; appends empty the WAL themselves
        // once it grows past `WAL_TRUNCATE_BYTES`.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(open_err)?;
        let log = AuditLog {
            conn,
            head_path: sibling(&path, ".head"),
            path,
            lock,
            options,
        };
        // Initialisation runs under the append lock so that two first openers cannot race.
        log.initialise()?;
        Ok(log)
    }

    fn initialise(&self) -> Result<(), AuditError> {
        let _held = self.lock.exclusive(self.deadline())?;
        self.configure()?;
        self.init_schema()?;
        if read_head(&self.head_path)? == HeadState::Missing && self.last()?.is_none() {
            write_head(&self.head_path, &empty_head())?;
        }
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The head file beside the database.
    pub fn head_path(&self) -> &Path {
        &self.head_path
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.options.lock_timeout
    }

    fn not_audit(&self, detail: impl Into<String>) -> AuditError {
        AuditError::NotAnAuditLog {
            path: self.path.clone(),
            detail: detail.into(),
        }
    }

    fn open_error(&self, source: rusqlite::Error) -> AuditError {
        if source.sqlite_error_code() == Some(ErrorCode::NotADatabase) {
            return self.not_audit(
                "SQLite says it is not a database: it is another kind of file or its header is damaged",
            );
        }
        AuditError::Open {
            path: self.path.clone(),
            source,
        }
    }

    fn configure(&self) -> Result<(), AuditError> {
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| self.open_error(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            // Still correct (appends are serialised either way), only readers block writers.
            tracing::warn!(path = %self.path.display(), %mode, "the audit log cannot use WAL journaling");
        }
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| self.open_error(e))?;
        // Appends truncate the WAL themselves (see `append`).
        self.conn
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(|e| self.open_error(e))
    }

    fn init_schema(&self) -> Result<(), AuditError> {
        let tx = self.begin(TransactionBehavior::Immediate, self.deadline())?;
        let err = |e| self.open_error(e);
        let app_id: i32 = tx
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(err)?;
        let objects: i64 = tx
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(err)?;
        if app_id == 0 && objects == 0 {
            tx.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID};"))
                .map_err(err)?;
            tx.execute_batch(SCHEMA).map_err(err)?;
            tx.execute(
                "INSERT INTO audit_meta (key, value) VALUES ('format', ?1)",
                [FORMAT],
            )
            .map_err(err)?;
            tx.commit().map_err(err)?;
            tracing::debug!(path = %self.path.display(), "created a new audit log");
            return Ok(());
        }
        if app_id != APPLICATION_ID {
            return Err(self.not_audit(format!(
                "it is an SQLite database of another application (application_id {app_id:#x})"
            )));
        }
        let format: Option<String> = tx
            .query_row(
                "SELECT value FROM audit_meta WHERE key = 'format'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.not_audit(format!("its audit_meta table cannot be read: {e}")))?;
        match format.as_deref() {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(self.not_audit(format!(
                    "it is in audit format {other}, this blastwall knows format {FORMAT}: use the \
                     blastwall version that wrote it"
                )));
            }
            None => return Err(self.not_audit("its format is not recorded")),
        }
        let has_records: bool = tx
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'audit_records'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(err)?
            == 1;
        if !has_records {
            // Recreating it would hide the removal of every record.
            return Err(self.not_audit("its audit_records table was removed"));
        }
        Ok(())
    }

    /// Starts a transaction, retrying while SQLite reports the database busy until `deadline`.
    fn begin(
        &self,
        behavior: TransactionBehavior,
        deadline: Instant,
    ) -> Result<Transaction<'_>, AuditError> {
        let start = Instant::now();
        loop {
            match Transaction::new_unchecked(&self.conn, behavior) {
                Ok(tx) => return Ok(tx),
                Err(e) if is_busy(&e) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(AuditError::Busy {
                            path: self.path.clone(),
                            waited: now - start,
                        });
                    }
                    tracing::debug!(path = %self.path.display(), "audit log busy, retrying");
                    std::thread::sleep(Duration::from_millis(5).min(deadline - now));
                }
                Err(e) => return Err(self.write_error(e)),
            }
        }
    }

    fn write_error(&self, source: rusqlite::Error) -> AuditError {
        AuditError::Write {
            path: self.path.clone(),
            source,
        }
    }

    fn read_error(&self, source: rusqlite::Error) -> AuditError {
        AuditError::Read {
            path: self.path.clone(),
            source,
        }
    }

    /// Appends one record and returns its receipt once the record is committed durably
    /// (`synchronous=FULL`) and the head file names it.
    ///
    /// Any error means the record was not acknowledged (it may still be in the log, as an
    /// unanchored last record). The caller must keep its decision at least as strict as it was.
    pub fn append(&self, record: &NewRecord) -> Result<Receipt, AuditError> {
        let _held = self.lock.exclusive(self.deadline())?;
        let tx = self.begin(TransactionBehavior::Immediate, self.deadline())?;
        let last = last_receipt(&tx)
            .map_err(|e| self.read_error(e))?
            .unwrap_or_else(empty_head);
        self.check_head(&tx, &last)?;

        let seq = last.seq + 1;
        let seq_i = i64::try_from(seq).map_err(|_| AuditError::Corrupt {
            path: self.path.clone(),
            seq: last.seq,
            detail: "the sequence number cannot grow any further".to_owned(),
        })?;
        let door = door_label(&record.door);
        let pid = i64::from(std::process::id());
        fn opt(v: &Option<String>) -> Value<'_> {
            v.as_deref()
                .map_or(Value::Absent, |s| Value::Text(s.as_bytes()))
        }
        let values = [
            Value::Int(seq_i),
            Value::Text(last.hash.as_bytes()),
            Value::Int(record.time_ms),
            Value::Text(VERSION.as_bytes()),
            Value::Text(door.as_bytes()),
            opt(&record.agent),
            opt(&record.session),
            Value::Text(record.environment.as_bytes()),
            opt(&record.cwd),
            Value::Int(pid),
            Value::Text(record.input.as_bytes()),
            Value::Text(record.decision.as_str().as_bytes()),
            Value::Text(record.effect.as_str().as_bytes()),
            Value::Text(record.rule.as_bytes()),
            Value::Text(record.reason.as_bytes()),
        ];
        let hash = record_hash(&values);
        {
            let mut insert = tx
                .prepare_cached(&format!(
                    "INSERT INTO audit_records ({COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
                ))
                .map_err(|e| self.write_error(e))?;
            insert
                .execute(rusqlite::params![
                    seq_i,
                    last.hash,
                    record.time_ms,
                    VERSION,
                    door,
                    record.agent,
                    record.session,
                    record.environment,
                    record.cwd,
                    pid,
                    record.input,
                    record.decision.as_str(),
                    record.effect.as_str(),
                    record.rule,
                    record.reason,
                    hash,
                ])
                .map_err(|e| self.write_error(e))?;
        }
        tx.commit().map_err(|e| self.write_error(e))?;
        let receipt = Receipt { seq, hash };
        write_head(&self.head_path, &receipt)?;
        let wal = sibling(&self.path, "-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_TRUNCATE_BYTES) {
            // The record is already durable in the WAL; a failed checkpoint only leaves it there.
            if let Err(e) = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            {
                tracing::warn!(path = %self.path.display(), error = %e, "could not checkpoint the audit log");
            }
        }
        Ok(receipt)
    }

    /// Refuses to extend a chain that no longer reaches the record the head file names: a new head
    /// would erase the evidence of the truncation or rewrite.
    fn check_head(&self, tx: &Transaction<'_>, last: &Receipt) -> Result<(), AuditError> {
        let disagree = |detail: String| AuditError::HeadDisagrees {
            path: self.path.clone(),
            detail,
        };
        let head = match read_head(&self.head_path)? {
            HeadState::At(head) => head,
            HeadState::Missing if last.seq == 0 => return Ok(()),
            HeadState::Missing => {
                return Err(disagree(format!(
                    "{} is missing but the log has {} records",
                    self.head_path.display(),
                    last.seq
                )));
            }
            HeadState::Unreadable(detail) => {
                return Err(disagree(format!("{}: {detail}", self.head_path.display())));
            }
        };
        if head.seq > last.seq {
            return Err(disagree(format!(
                "the head file names record {} but the log ends at record {}",
                head.seq, last.seq
            )));
        }
        let stored = if head.seq == 0 {
            Some(GENESIS.to_owned())
        } else {
            hash_of(tx, head.seq).map_err(|e| self.read_error(e))?
        };
        match stored {
            Some(h) if h == head.hash => Ok(()),
            Some(h) => Err(disagree(format!(
                "record {} has hash {h} but the head file says {}",
                head.seq, head.hash
            ))),
            None => Err(disagree(format!(
                "record {} named by the head file is gone",
                head.seq
            ))),
        }
    }

    /// Copies every record from the WAL into the database file and empties the WAL, so that the
    /// file alone holds the whole log (before copying or archiving it as a single file).
    pub fn checkpoint(&self) -> Result<(), AuditError> {
        let _held = self.lock.exclusive(self.deadline())?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| self.write_error(e))
    }

    /// The last record of the chain, `None` for an empty log.
    pub fn last(&self) -> Result<Option<Receipt>, AuditError> {
        last_receipt(&self.conn).map_err(|e| self.read_error(e))
    }

    /// Makes the head file name the chain's current last record.
    ///
    /// For an operator only, after [`verify`](Self::verify) and after keeping copies of both files:
    /// it accepts the chain as it is now (for example a database moved without its head file).
    /// Never call it to get appends going again automatically; that would erase the evidence.
    pub fn reanchor(&self) -> Result<Receipt, AuditError> {
        let _held = self.lock.exclusive(self.deadline())?;
        let head = self.last()?.unwrap_or_else(empty_head);
        write_head(&self.head_path, &head)?;
        tracing::warn!(path = %self.path.display(), seq = head.seq, "audit log head file rewritten by an operator");
        Ok(head)
    }

    /// The newest `n` records, oldest first.
    pub fn tail(&self, n: usize) -> Result<Vec<Record>, AuditError> {
        self.query(&Filter {
            limit: Some(n),
            ..Filter::default()
        })
    }

    /// The records matching `filter`, oldest first.
    pub fn query(&self, filter: &Filter) -> Result<Vec<Record>, AuditError> {
        let mut out = Vec::new();
        self.for_each(filter, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// Writes the records matching `filter` as JSON Lines, oldest first, one object per record
    /// with every stored field (enough to re-verify the chain elsewhere) plus `time` in RFC 3339.
    /// Returns the number of records written.
    pub fn export_jsonl(&self, filter: &Filter, mut out: impl Write) -> Result<u64, AuditError> {
        let mut n = 0;
        self.for_each(filter, |r| {
            serde_json::to_writer(&mut out, &ExportLine::from(&r))
                .map_err(|e| AuditError::Export { source: e.into() })?;
            out.write_all(b"\n")
                .map_err(|source| AuditError::Export { source })?;
            n += 1;
            Ok(())
        })?;
        out.flush()
            .map_err(|source| AuditError::Export { source })?;
        Ok(n)
    }

    fn for_each(
        &self,
        filter: &Filter,
        mut f: impl FnMut(Record) -> Result<(), AuditError>,
    ) -> Result<(), AuditError> {
        let (sql, params) = select_sql(filter);
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.read_error(e))?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(|e| self.read_error(e))?;
        while let Some(row) = rows.next().map_err(|e| self.read_error(e))? {
            let record = record_from_row(row).map_err(|(seq, detail)| AuditError::Corrupt {
                path: self.path.clone(),
                seq,
                detail,
            })?;
            f(record)?;
        }
        Ok(())
    }

    /// Checks the whole log: SQLite's own structure, every record's hash, every link, the sequence
    /// numbers and the head file. Problems (tampering, damage) are in the report; an `Err` means
    /// the check itself could not run (lock timeout, unreadable head file).
    pub fn verify(&self) -> Result<VerifyReport, AuditError> {
        let mut report = VerifyReport {
            path: self.path.clone(),
            records: 0,
            last: None,
            head: None,
            unanchored: 0,
            problems: Vec::new(),
            more_problems: 0,
        };
        if let Some(detail) = self.quick_check() {
            push(&mut report, None, Fault::StorageDamaged { detail });
        }

        // Take the snapshot and read the head file while no append is between its commit and its
        // head update, so that the two agree.
        let held = self.lock.shared(self.deadline())?;
        let tx = self.begin(TransactionBehavior::Deferred, self.deadline())?;
        if let Err(e) = tx.query_row("SELECT max(seq) FROM audit_records", [], |r| {
            r.get::<_, Option<i64>>(0)
        }) {
            drop(held);
            push(
                &mut report,
                None,
                Fault::StorageDamaged {
                    detail: e.to_string(),
                },
            );
            return Ok(report);
        }
        let head_state = read_head(&self.head_path)?;
        drop(held);

        let head_seq = match &head_state {
            HeadState::At(h) => Some(h.seq),
            _ => None,
        };
        let mut hash_at_head: Option<String> = None;
        let scanned = scan(&tx, &mut report, head_seq, &mut hash_at_head);
        if let Err(e) = scanned {
            push(
                &mut report,
                None,
                Fault::StorageDamaged {
                    detail: e.to_string(),
                },
            );
        }
        drop(tx);

        let last_seq = report.last.as_ref().map_or(0, |r| r.seq);
        match head_state {
            HeadState::Missing if report.records > 0 => push(&mut report, None, Fault::HeadMissing),
            HeadState::Missing => {}
            HeadState::Unreadable(detail) => {
                push(&mut report, None, Fault::HeadUnreadable { detail });
            }
            HeadState::At(head) => {
                if head.seq > last_seq {
                    push(
                        &mut report,
                        Some(last_seq + 1),
                        Fault::TruncatedTail {
                            head_seq: head.seq,
                            last_seq,
                        },
                    );
                } else {
                    report.unanchored = last_seq - head.seq;
                    let stored = if head.seq == 0 {
                        Some(GENESIS.to_owned())
                    } else {
                        hash_at_head
                    };
                    if stored.as_deref() != Some(head.hash.as_str()) {
                        push(
                            &mut report,
                            Some(head.seq),
                            Fault::HeadMismatch {
                                head_hash: head.hash.clone(),
                                stored_hash: stored
                                    .unwrap_or_else(|| "(no such record)".to_owned()),
                            },
                        );
                    }
                }
                report.head = Some(head);
            }
        }
        Ok(report)
    }

    /// SQLite's structural check; `None` when the file is sound.
    fn quick_check(&self) -> Option<String> {
        let lines: Result<Vec<String>, rusqlite::Error> = self
            .conn
            .prepare("PRAGMA quick_check(20)")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect());
        match lines {
            Ok(lines) if lines.len() == 1 && lines[0] == "ok" => None,
            Ok(lines) => Some(lines.join("; ")),
            Err(e) => Some(e.to_string()),
        }
    }
}

fn push(report: &mut VerifyReport, seq: Option<u64>, fault: Fault) {
    if report.problems.len() < MAX_PROBLEMS {
        report.problems.push(Problem { seq, fault });
    } else {
        report.more_problems += 1;
    }
}

/// Walks every record in sequence order, hashing the values exactly as stored.
fn scan(
    conn: &Connection,
    report: &mut VerifyReport,
    head_seq: Option<u64>,
    hash_at_head: &mut Option<String>,
) -> Result<(), rusqlite::Error> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM audit_records ORDER BY seq"))?;
    let mut rows = stmt.query([])?;
    let mut prev: Option<(u64, Vec<u8>)> = None;
    while let Some(row) = rows.next()? {
        report.records += 1;
        let mut faults = Vec::new();
        let mut values = Vec::with_capacity(FIELDS.len());
        for (i, (name, kind)) in FIELDS.iter().enumerate() {
            let value = match row.get_ref(i)? {
                ValueRef::Null => Value::Absent,
                ValueRef::Text(t) => Value::Text(t),
                ValueRef::Integer(n) => Value::Int(n),
                other => {
                    faults.push(malformed(name, format!("holds a {:?}", other.data_type())));
                    Value::Absent
                }
            };
            if faults.is_empty() && !value.fits(*kind) {
                faults.push(malformed(
                    name,
                    format!("holds {value:?}, expected {kind:?}"),
                ));
            }
            values.push(value);
        }
        let stored_hash: Vec<u8> = match row.get_ref(FIELDS.len())? {
            ValueRef::Text(t) => t.to_vec(),
            other => {
                faults.push(malformed(
                    "hash",
                    format!("holds a {:?}", other.data_type()),
                ));
                Vec::new()
            }
        };
        let seq = match values[0] {
            Value::Int(n) => u64::try_from(n).unwrap_or(0),
            _ => 0,
        };

        if faults.is_empty() {
            let computed = record_hash(&values);
            if computed.as_bytes() != stored_hash.as_slice() {
                faults.push(Fault::HashMismatch {
                    stored: String::from_utf8_lossy(&stored_hash).into_owned(),
                    computed,
                });
            }
        }
        let found_prev = match values[1] {
            Value::Text(t) => t,
            _ => &[][..],
        };
        let expected_prev = prev
            .as_ref()
            .map_or(GENESIS.as_bytes(), |(_, h)| h.as_slice());
        if found_prev != expected_prev {
            faults.push(Fault::BrokenLink {
                previous_seq: prev.as_ref().map(|(s, _)| *s),
                expected_prev_hash: String::from_utf8_lossy(expected_prev).into_owned(),
                found_prev_hash: String::from_utf8_lossy(found_prev).into_owned(),
            });
        }
        let expected_seq = prev.as_ref().map_or(1, |(s, _)| s + 1);
        if seq != expected_seq {
            faults.push(Fault::SequenceGap {
                expected: expected_seq,
                found: seq,
            });
        }
        for fault in faults {
            push(report, Some(seq), fault);
        }
        if head_seq == Some(seq) {
            *hash_at_head = Some(String::from_utf8_lossy(&stored_hash).into_owned());
        }
        prev = Some((seq, stored_hash));
    }
    report.last = prev.map(|(seq, hash)| Receipt {
        seq,
        hash: String::from_utf8_lossy(&hash).into_owned(),
    });
    Ok(())
}

fn malformed(column: &str, detail: String) -> Fault {
    Fault::Malformed {
        column: column.to_owned(),
        detail,
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn last_receipt(conn: &Connection) -> Result<Option<Receipt>, rusqlite::Error> {
    let mut stmt =
        conn.prepare_cached("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1")?;
    let mut rows = stmt.query([])?;
    match rows.next()? {
        Some(row) => Ok(Some(Receipt {
            seq: u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
            hash: row.get(1)?,
        })),
        None => Ok(None),
    }
}

fn hash_of(conn: &Connection, seq: u64) -> Result<Option<String>, rusqlite::Error> {
    let Ok(seq) = i64::try_from(seq) else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached("SELECT hash FROM audit_records WHERE seq = ?1")?;
    let mut rows = stmt.query([seq])?;
    match rows.next()? {
        Some(row) => Ok(Some(row.get(0)?)),
        None => Ok(None),
    }
}

/// The SELECT for `filter` and its parameters.
fn select_sql(filter: &Filter) -> (String, Vec<SqlValue>) {
    let mut conds: Vec<&str> = Vec::new();
    let mut params: Vec<SqlValue> = Vec::new();
    if let Some(t) = filter.since_ms {
        conds.push("time_ms >= ?");
        params.push(SqlValue::Integer(t));
    }
    if let Some(t) = filter.until_ms {
        conds.push("time_ms < ?");
        params.push(SqlValue::Integer(t));
    }
    if let Some(s) = filter.after_seq {
        conds.push("seq > ?");
        params.push(SqlValue::Integer(i64::try_from(s).unwrap_or(i64::MAX)));
    }
    for (column, value) in [
        ("agent = ?", &filter.agent),
        ("session = ?", &filter.session),
        ("environment = ?", &filter.environment),
    ] {
        if let Some(v) = value {
            conds.push(column);
            params.push(SqlValue::Text(v.clone()));
        }
    }
    if let Some(d) = filter.decision {
        conds.push("decision = ?");
        params.push(SqlValue::Text(d.as_str().to_owned()));
    }
    if let Some(rule) = &filter.rule {
        if rule.contains('*') {
            conds.push("rule GLOB ?");
            params.push(SqlValue::Text(glob_literal(rule, true)));
        } else {
            conds.push("rule = ?");
            params.push(SqlValue::Text(rule.clone()));
        }
    }
    if let Some(door) = &filter.door {
        if door.contains(':') {
            conds.push("door = ?");
            params.push(SqlValue::Text(door.clone()));
        } else {
            conds.push("(door = ? OR door GLOB ?)");
            params.push(SqlValue::Text(door.clone()));
            params.push(SqlValue::Text(format!("{}:*", glob_literal(door, false))));
        }
    }
    let where_ = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    let sql = match filter.limit {
        Some(n) => {
            params.push(SqlValue::Integer(i64::try_from(n).unwrap_or(i64::MAX)));
            format!(
                "SELECT {COLUMNS} FROM (SELECT {COLUMNS} FROM audit_records{where_} \
                 ORDER BY seq DESC LIMIT ?) ORDER BY seq"
            )
        }
        None => format!("SELECT {COLUMNS} FROM audit_records{where_} ORDER BY seq"),
    };
    (sql, params)
}

/// `s` as a GLOB pattern matching itself literally, keeping `*` as the wildcard if asked.
fn glob_literal(s: &str, star_is_wildcard: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '*' if star_is_wildcard => out.push('*'),
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

fn record_from_row(row: &Row<'_>) -> Result<Record, (u64, String)> {
    let seq = row
        .get::<_, i64>(0)
        .ok()
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or(0);
    let bad = |e: rusqlite::Error| (seq, e.to_string());
    let decision: String = row.get(11).map_err(bad)?;
    let effect: String = row.get(12).map_err(bad)?;
    let hash: String = row.get(15).map_err(bad)?;
    if !is_hash(&hash) {
        return Err((
            seq,
            format!("stored hash {hash:?} is not a SHA-256 hex digest"),
        ));
    }
    Ok(Record {
        seq,
        prev_hash: row.get(1).map_err(bad)?,
        time_ms: row.get(2).map_err(bad)?,
        version: row.get(3).map_err(bad)?,
        door: row.get(4).map_err(bad)?,
        agent: row.get(5).map_err(bad)?,
        session: row.get(6).map_err(bad)?,
        environment: row.get(7).map_err(bad)?,
        cwd: row.get(8).map_err(bad)?,
        pid: row.get(9).map_err(bad)?,
        input: row.get(10).map_err(bad)?,
        decision: Decision::parse(&decision)
            .ok_or_else(|| (seq, format!("unknown decision {decision:?}")))?,
        effect: parse_effect(&effect).ok_or_else(|| (seq, format!("unknown effect {effect:?}")))?,
        rule: row.get(13).map_err(bad)?,
        reason: row.get(14).map_err(bad)?,
        hash,
    })
}

fn parse_effect(s: &str) -> Option<Effect> {
    [
        Effect::Read,
        Effect::Write,
        Effect::Destructive,
        Effect::Irreversible,
    ]
    .into_iter()
    .find(|e| e.as_str() == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_follow_the_canonical_order() {
        let names: Vec<&str> = COLUMNS.split(',').map(str::trim).collect();
        let canonical: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
        assert_eq!(&names[..FIELDS.len()], &canonical[..]);
        assert_eq!(names[FIELDS.len()..], ["hash"]);
    }

    #[test]
    fn glob_literals() {
        assert_eq!(glob_literal("git.*", true), "git.*");
        assert_eq!(glob_literal("a*b?[c", false), "a[*]b[?][[]c");
    }
}
