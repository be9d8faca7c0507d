//! [`SqliteStore`]: the default backend, one SQLite file (WAL journaling, `synchronous=FULL`).
//!
//! Every change is committed durably before the call returns, so a restart (or a crash) loses no
//! pending request and no vote. Read-modify-write operations run in `BEGIN IMMEDIATE`
//! transactions, which SQLite serialises across connections and processes. This module must never
//! store a token or password in clear and never delete a request or vote.
//!
//! # Schema (format 1)
//!
//! See [`SCHEMA`]. `agents` and `humans` hold identities (token hashes, never tokens);
//! `requests` holds each approval request with its subject in columns (so a subject can be
//! re-encoded and its digest checked on every read); `votes` holds one row per human and request,
//! its primary key refusing a second vote by the same human even if a caller forgot to check.

use std::collections::BTreeSet;
use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use blastwall_core::{Effect, Environment, Language, Resource};
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Row, Transaction, TransactionBehavior,
    params,
};

use super::{DigestChange, RequestChange, Store, StoreError, changes};
use crate::error::ControlError;
use crate::identity::{Agent, Role, StoredAgent, StoredHuman};
use crate::request::{Choice, Request, State, Vote};
use crate::subject::{ActionDigest, ApprovalSubject, door_from_parts, door_parts};

/// `PRAGMA application_id` of a control database ("BWCP").
const APPLICATION_ID: i32 = 0x4257_4350;

/// The layout version in `control_meta`.
const FORMAT: &str = "1";

/// The tables of a control database.
pub const SCHEMA: &str = "
CREATE TABLE control_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE agents (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL UNIQUE,
    environments TEXT NOT NULL,   -- JSON array of environment names
    scopes       TEXT NOT NULL,   -- JSON array of scopes
    token_hash   BLOB NOT NULL,   -- SHA-256 of the token
    created_ms   INTEGER NOT NULL,
    revoked_ms   INTEGER
) STRICT;
CREATE TABLE humans (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL UNIQUE,
    roles          TEXT NOT NULL, -- JSON array: approver, admin
    token_hash     BLOB NOT NULL, -- SHA-256 of the token
    password_hash  TEXT,          -- Argon2id PHC string
    totp_secret    BLOB,
    totp_last_step INTEGER,
    created_ms     INTEGER NOT NULL,
    revoked_ms     INTEGER
) STRICT;
CREATE TABLE requests (
    id            TEXT PRIMARY KEY NOT NULL,
    digest        TEXT NOT NULL,  -- hex SHA-256 of the canonical subject
    agent         TEXT NOT NULL,
    session       TEXT,
    environment   TEXT NOT NULL,
    door_kind     TEXT NOT NULL,
    door_name     TEXT,
    language      TEXT NOT NULL,
    input         TEXT NOT NULL,
    rule          TEXT NOT NULL,
    effect        TEXT NOT NULL,
    resource_kind TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    reason        TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    expires_ms    INTEGER NOT NULL,
    quorum        INTEGER NOT NULL,
    confirmation  TEXT,
    state         TEXT NOT NULL,
    settled_ms    INTEGER
) STRICT;
CREATE INDEX requests_digest ON requests (digest);
CREATE INDEX requests_state ON requests (state, created_ms);
CREATE TABLE votes (
    request_id TEXT NOT NULL REFERENCES requests (id),
    human_id   TEXT NOT NULL,
    human_name TEXT NOT NULL,
    choice     TEXT NOT NULL,
    time_ms    INTEGER NOT NULL,
    PRIMARY KEY (request_id, human_id)
) STRICT;
";

const REQUEST_COLUMNS: &str = "id, digest, agent, session, environment, door_kind, door_name, \
    language, input, rule, effect, resource_kind, resource_name, reason, created_ms, expires_ms, \
    quorum, confirmation, state, settled_ms";

const HUMAN_COLUMNS: &str = "id, name, roles, token_hash, password_hash, totp_secret, \
    totp_last_step, created_ms, revoked_ms";

const AGENT_COLUMNS: &str = "id, name, environments, scopes, token_hash, created_ms, revoked_ms";

/// A [`Store`] in one SQLite file. Open one per process; several processes may share the file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the control database at `path`: missing directories get mode
    /// 700 and a new file mode 600 (it holds token hashes and TOTP secrets).
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_owned();
        let open_err = |source: rusqlite::Error| StoreError::Open {
            path: path.clone(),
            source: Box::new(source),
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(|source| StoreError::Open {
                    path: parent.to_owned(),
                    source: Box::new(source),
                })?;
        }
        // Created here with mode 600 so that SQLite's files (which copy the mode) stay private. A
        // failure is left for SQLite to report.
        let _ = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path);
        let mut conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        let not_db = |e: rusqlite::Error| {
            if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) {
                StoreError::NotAControlStore {
                    path: path.clone(),
                    detail: "SQLite says it is not a database".into(),
                }
            } else {
                open_err(e)
            }
        };
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(not_db)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), %mode, "the control database cannot use WAL journaling");
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        initialise(&mut conn, &path)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // The connection holds no half-done state between calls: every change is one transaction.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn initialise(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let open_err = |source: rusqlite::Error| StoreError::Open {
        path: path.to_owned(),
        source: Box::new(source),
    };
    let not_control = |detail: String| StoreError::NotAControlStore {
        path: path.to_owned(),
        detail,
    };
    // Immediate, so that two processes creating the same new file do not both create the schema.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(open_err)?;
    let app: i32 = tx
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(open_err)?;
    let tables: i64 = tx
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(open_err)?;
    if app == 0 && tables == 0 {
        tx.execute_batch(SCHEMA).map_err(open_err)?;
        tx.execute(
            "INSERT INTO control_meta (key, value) VALUES ('format', ?1)",
            [FORMAT],
        )
        .map_err(open_err)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(open_err)?;
    } else if app != APPLICATION_ID {
        return Err(not_control(format!(
            "its application id is {app:#x}, not {APPLICATION_ID:#x}"
        )));
    } else {
        let format: Option<String> = tx
            .query_row(
                "SELECT value FROM control_meta WHERE key = 'format'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(open_err)?;
        if format.as_deref() != Some(FORMAT) {
            return Err(not_control(format!(
                "its format is {format:?}, this version reads format {FORMAT}"
            )));
        }
    }
    tx.commit().map_err(open_err)
}

fn backend(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |source| StoreError::Backend {
        what,
        source: Box::new(source),
    }
}

fn corrupt(detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        detail: detail.into(),
    }
}

fn conflict_or(
    what: &'static str,
    name: &str,
    op: &'static str,
) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| {
        if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) {
            StoreError::Conflict {
                what,
                name: name.to_owned(),
            }
        } else {
            backend(op)(e)
        }
    }
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn parse_list(text: &str, what: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("{what}: {e}")))
}

fn hash32(bytes: Vec<u8>, who: &str) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| corrupt(format!("the token hash of {who} is not 32 bytes")))
}

/// Raw columns of an agent row, converted outside the row callback so that conversion errors keep
/// their own type.
type AgentRow = (String, String, String, String, Vec<u8>, i64, Option<i64>);

fn agent_row(r: &Row<'_>) -> rusqlite::Result<AgentRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn agent_from(row: AgentRow) -> Result<StoredAgent, StoreError> {
    let (id, name, environments, scopes, hash, created_ms, revoked_ms) = row;
    Ok(StoredAgent {
        token_hash: hash32(hash, &id)?,
        agent: Agent {
            environments: parse_list(&environments, "agent environments")?,
            scopes: parse_list(&scopes, "agent scopes")?,
            id,
            name,
            created_ms,
            revoked_ms,
        },
    })
}

struct HumanRow {
    id: String,
    name: String,
    roles: String,
    token_hash: Vec<u8>,
    password_hash: Option<String>,
    totp_secret: Option<Vec<u8>>,
    totp_last_step: Option<i64>,
    created_ms: i64,
    revoked_ms: Option<i64>,
}

fn human_row(r: &Row<'_>) -> rusqlite::Result<HumanRow> {
    Ok(HumanRow {
        id: r.get(0)?,
        name: r.get(1)?,
        roles: r.get(2)?,
        token_hash: r.get(3)?,
        password_hash: r.get(4)?,
        totp_secret: r.get(5)?,
        totp_last_step: r.get(6)?,
        created_ms: r.get(7)?,
        revoked_ms: r.get(8)?,
    })
}

fn human_from(row: HumanRow) -> Result<StoredHuman, StoreError> {
    let roles = parse_list(&row.roles, "human roles")?
        .iter()
        .map(|r| Role::parse(r).ok_or_else(|| corrupt(format!("unknown role {r:?}"))))
        .collect::<Result<BTreeSet<Role>, _>>()?;
    Ok(StoredHuman {
        token_hash: hash32(row.token_hash, &row.id)?,
        id: row.id,
        name: row.name,
        roles,
        password_hash: row.password_hash,
        totp_secret: row.totp_secret,
        totp_last_step: row.totp_last_step,
        created_ms: row.created_ms,
        revoked_ms: row.revoked_ms,
    })
}

fn roles_json(roles: &BTreeSet<Role>) -> String {
    json_list(
        &roles
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect::<Vec<_>>(),
    )
}

struct RequestRow {
    id: String,
    digest: String,
    agent: String,
    session: Option<String>,
    environment: String,
    door_kind: String,
    door_name: Option<String>,
    language: String,
    input: String,
    rule: String,
    effect: String,
    resource_kind: String,
    resource_name: String,
    reason: String,
    created_ms: i64,
    expires_ms: i64,
    quorum: i64,
    confirmation: Option<String>,
    state: String,
    settled_ms: Option<i64>,
}

fn request_row(r: &Row<'_>) -> rusqlite::Result<RequestRow> {
    Ok(RequestRow {
        id: r.get(0)?,
        digest: r.get(1)?,
        agent: r.get(2)?,
        session: r.get(3)?,
        environment: r.get(4)?,
        door_kind: r.get(5)?,
        door_name: r.get(6)?,
        language: r.get(7)?,
        input: r.get(8)?,
        rule: r.get(9)?,
        effect: r.get(10)?,
        resource_kind: r.get(11)?,
        resource_name: r.get(12)?,
        reason: r.get(13)?,
        created_ms: r.get(14)?,
        expires_ms: r.get(15)?,
        quorum: r.get(16)?,
        confirmation: r.get(17)?,
        state: r.get(18)?,
        settled_ms: r.get(19)?,
    })
}

fn parse_language(s: &str) -> Option<Language> {
    [Language::Shell, Language::Sql, Language::Http]
        .into_iter()
        .find(|l| l.as_str() == s)
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

fn request_from(row: RequestRow, votes: Vec<Vote>) -> Result<Request, StoreError> {
    let id = row.id;
    let bad = |what: &str, value: &str| corrupt(format!("request {id}: {what} {value:?}"));
    let door = door_from_parts(&row.door_kind, row.door_name.clone())
        .ok_or_else(|| bad("door", &row.door_kind))?;
    let language = parse_language(&row.language).ok_or_else(|| bad("language", &row.language))?;
    let effect = parse_effect(&row.effect).ok_or_else(|| bad("effect", &row.effect))?;
    let state = State::parse(&row.state).ok_or_else(|| bad("state", &row.state))?;
    let digest = ActionDigest::parse(&row.digest).ok_or_else(|| bad("digest", &row.digest))?;
    let quorum = u32::try_from(row.quorum).map_err(|_| bad("quorum", &row.quorum.to_string()))?;
    let subject = ApprovalSubject {
        agent: row.agent,
        session: row.session,
        environment: Environment(row.environment),
        door,
        language,
        input: row.input,
        rule: row.rule,
        effect,
        resource: Resource {
            kind: row.resource_kind,
            name: row.resource_name,
        },
    };
    // A subject edited in the database would otherwise be approved under the old digest.
    if subject.digest() != digest {
        return Err(corrupt(format!(
            "request {id}: its subject no longer matches its digest"
        )));
    }
    Ok(Request {
        id,
        subject,
        digest,
        reason: row.reason,
        created_ms: row.created_ms,
        expires_ms: row.expires_ms,
        quorum,
        confirmation: row.confirmation,
        votes,
        state,
        settled_ms: row.settled_ms,
    })
}

fn load_votes(conn: &Connection, request_id: &str) -> Result<Vec<Vote>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT human_id, human_name, choice, time_ms FROM votes WHERE request_id = ?1 \
             ORDER BY time_ms, rowid",
        )
        .map_err(backend("read votes"))?;
    let rows = stmt
        .query_map([request_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .map_err(backend("read votes"))?;
    let mut votes = Vec::new();
    for row in rows {
        let (human_id, human_name, choice, time_ms) = row.map_err(backend("read votes"))?;
        let choice = Choice::parse(&choice)
            .ok_or_else(|| corrupt(format!("a vote on request {request_id} says {choice:?}")))?;
        votes.push(Vote {
            human_id,
            human_name,
            choice,
            time_ms,
        });
    }
    Ok(votes)
}

fn load_requests(
    conn: &Connection,
    filter: &str,
    param: Option<&str>,
) -> Result<Vec<Request>, StoreError> {
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM requests {filter} ORDER BY created_ms, rowid");
    let mut stmt = conn
        .prepare_cached(&sql)
        .map_err(backend("read requests"))?;
    let rows: Vec<RequestRow> = match param {
        Some(p) => stmt.query_map([p], request_row),
        None => stmt.query_map([], request_row),
    }
    .and_then(|rows| rows.collect())
    .map_err(backend("read requests"))?;
    rows.into_iter()
        .map(|row| {
            let votes = load_votes(conn, &row.id)?;
            request_from(row, votes)
        })
        .collect()
}

fn insert_request(tx: &Transaction<'_>, r: &Request) -> Result<(), StoreError> {
    let s = &r.subject;
    let (door_kind, door_name) = door_parts(&s.door);
    tx.execute(
        &format!(
            "INSERT INTO requests ({REQUEST_COLUMNS}) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
        ),
        params![
            r.id,
            r.digest.to_hex(),
            s.agent,
            s.session,
            s.environment.as_str(),
            door_kind,
            door_name,
            s.language.as_str(),
            s.input,
            s.rule,
            s.effect.as_str(),
            s.resource.kind,
            s.resource.name,
            r.reason,
            r.created_ms,
            r.expires_ms,
            i64::from(r.quorum),
            r.confirmation,
            r.state.as_str(),
            r.settled_ms,
        ],
    )
    .map_err(conflict_or("approval request", &r.id, "store a request"))?;
    for vote in &r.votes {
        insert_vote(tx, &r.id, vote)?;
    }
    Ok(())
}

fn insert_vote(tx: &Transaction<'_>, request_id: &str, v: &Vote) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO votes (request_id, human_id, human_name, choice, time_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            request_id,
            v.human_id,
            v.human_name,
            v.choice.as_str(),
            v.time_ms
        ],
    )
    .map_err(conflict_or("vote by", &v.human_name, "store a vote"))?;
    Ok(())
}

fn write_change(tx: &Transaction<'_>, r: &Request, stored_votes: usize) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE requests SET state = ?2, settled_ms = ?3 WHERE id = ?1",
        params![r.id, r.state.as_str(), r.settled_ms],
    )
    .map_err(backend("update a request"))?;
    for vote in &r.votes[stored_votes..] {
        insert_vote(tx, &r.id, vote)?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn insert_agent(&self, a: &StoredAgent) -> Result<(), StoreError> {
        let agent = &a.agent;
        self.lock()
            .execute(
                &format!(
                    "INSERT INTO agents ({AGENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                ),
                params![
                    agent.id,
                    agent.name,
                    json_list(&agent.environments),
                    json_list(&agent.scopes),
                    &a.token_hash[..],
                    agent.created_ms,
                    agent.revoked_ms,
                ],
            )
            .map_err(conflict_or("agent", &agent.name, "store an agent"))?;
        Ok(())
    }

    fn agent(&self, id: &str) -> Result<Option<StoredAgent>, StoreError> {
        let row = self
            .lock()
            .query_row(
                &format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = ?1"),
                [id],
                agent_row,
            )
            .optional()
            .map_err(backend("read an agent"))?;
        row.map(agent_from).transpose()
    }

    fn agents(&self) -> Result<Vec<StoredAgent>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {AGENT_COLUMNS} FROM agents ORDER BY created_ms, rowid"
            ))
            .map_err(backend("read agents"))?;
        let rows: Vec<AgentRow> = stmt
            .query_map([], agent_row)
            .and_then(|rows| rows.collect())
            .map_err(backend("read agents"))?;
        rows.into_iter().map(agent_from).collect()
    }

    fn revoke_agent(&self, id: &str, at_ms: i64) -> Result<bool, StoreError> {
        let n = self
            .lock()
            .execute(
                "UPDATE agents SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
                params![id, at_ms],
            )
            .map_err(backend("revoke an agent"))?;
        Ok(n == 1)
    }

    fn insert_human(&self, h: &StoredHuman) -> Result<(), StoreError> {
        let conn = self.lock();
        insert_human_on(&conn, h)
    }

    fn insert_first_human(&self, h: &StoredHuman) -> Result<bool, StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend("start a transaction"))?;
        let count: i64 = tx
            .query_row("SELECT count(*) FROM humans", [], |r| r.get(0))
            .map_err(backend("count humans"))?;
        if count > 0 {
            return Ok(false);
        }
        insert_human_on(&tx, h)?;
        tx.commit().map_err(backend("commit"))?;
        Ok(true)
    }

    fn human(&self, id: &str) -> Result<Option<StoredHuman>, StoreError> {
        let row = self
            .lock()
            .query_row(
                &format!("SELECT {HUMAN_COLUMNS} FROM humans WHERE id = ?1"),
                [id],
                human_row,
            )
            .optional()
            .map_err(backend("read a human"))?;
        row.map(human_from).transpose()
    }

    fn human_by_name(&self, name: &str) -> Result<Option<StoredHuman>, StoreError> {
        let row = self
            .lock()
            .query_row(
                &format!("SELECT {HUMAN_COLUMNS} FROM humans WHERE name = ?1"),
                [name],
                human_row,
            )
            .optional()
            .map_err(backend("read a human"))?;
        row.map(human_from).transpose()
    }

    fn humans(&self) -> Result<Vec<StoredHuman>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {HUMAN_COLUMNS} FROM humans ORDER BY created_ms, rowid"
            ))
            .map_err(backend("read humans"))?;
        let rows: Vec<HumanRow> = stmt
            .query_map([], human_row)
            .and_then(|rows| rows.collect())
            .map_err(backend("read humans"))?;
        rows.into_iter().map(human_from).collect()
    }

    fn update_human(&self, h: &StoredHuman) -> Result<bool, StoreError> {
        let n = self
            .lock()
            .execute(
                "UPDATE humans SET roles = ?2, token_hash = ?3, password_hash = ?4, \
                 totp_secret = ?5, totp_last_step = ?6, revoked_ms = ?7 WHERE id = ?1",
                params![
                    h.id,
                    roles_json(&h.roles),
                    &h.token_hash[..],
                    h.password_hash,
                    h.totp_secret,
                    h.totp_last_step,
                    h.revoked_ms,
                ],
            )
            .map_err(backend("update a human"))?;
        Ok(n == 1)
    }

    fn request(&self, id: &str) -> Result<Option<Request>, StoreError> {
        let conn = self.lock();
        Ok(load_requests(&conn, "WHERE id = ?1", Some(id))?
            .into_iter()
            .next())
    }

    fn requests(&self, state: Option<State>) -> Result<Vec<Request>, StoreError> {
        let conn = self.lock();
        match state {
            Some(s) => load_requests(&conn, "WHERE state = ?1", Some(s.as_str())),
            None => load_requests(&conn, "", None),
        }
    }

    fn update_request(
        &self,
        id: &str,
        change: RequestChange<'_>,
    ) -> Result<Option<Request>, ControlError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend("start a transaction"))?;
        let Some(before) = load_requests(&tx, "WHERE id = ?1", Some(id))?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let mut after = before.clone();
        change(&mut after)?;
        let (changed, _) = changes(std::slice::from_ref(&before), std::slice::from_ref(&after))?;
        for (request, stored_votes) in changed {
            write_change(&tx, request, stored_votes)?;
        }
        tx.commit().map_err(backend("commit"))?;
        Ok(Some(after))
    }

    fn update_digest(
        &self,
        digest: &ActionDigest,
        change: DigestChange<'_>,
    ) -> Result<Vec<Request>, ControlError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend("start a transaction"))?;
        let before = load_requests(&tx, "WHERE digest = ?1", Some(&digest.to_hex()))?;
        let mut after = before.clone();
        change(&mut after)?;
        let (changed, added) = changes(&before, &after)?;
        for (request, stored_votes) in changed {
            write_change(&tx, request, stored_votes)?;
        }
        for request in added {
            insert_request(&tx, request)?;
        }
        tx.commit().map_err(backend("commit"))?;
        Ok(after)
    }
}

fn insert_human_on(conn: &Connection, h: &StoredHuman) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO humans ({HUMAN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ),
        params![
            h.id,
            h.name,
            roles_json(&h.roles),
            &h.token_hash[..],
            h.password_hash,
            h.totp_secret,
            h.totp_last_step,
            h.created_ms,
            h.revoked_ms,
        ],
    )
    .map_err(conflict_or("human", &h.name, "store a human"))?;
    Ok(())
}
