//! What goes into the log ([`NewRecord`]), what comes out ([`Record`], [`Receipt`]) and how to
//! select records ([`Filter`]).
//!
//! Plain data only: nothing here touches the database or the clock, except
//! [`NewRecord::from_verdict`], which stamps the current time and working directory.

use std::time::{SystemTime, UNIX_EPOCH};

use blastwall_core::{Decision, Door, Effect, Principal, Verdict};
use serde::Serialize;

/// One decision to record. The log adds the sequence number, the previous hash, the blastwall
/// version and the process id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecord {
    /// When the decision was made, in milliseconds since the Unix epoch (UTC).
    pub time_ms: i64,
    /// The door the input came through.
    pub door: Door,
    /// The agent identity, when the door knows it.
    pub agent: Option<String>,
    /// The agent session, when the door knows it.
    pub session: Option<String>,
    /// The environment the decision was made for (`dev`, `prod`, `unknown`, ...).
    pub environment: String,
    /// The working directory the input would have run in, when known.
    pub cwd: Option<String>,
    /// The input exactly as the door received it (command line, SQL statement, request line).
    pub input: String,
    pub decision: Decision,
    /// The strongest effect among the input's actions.
    pub effect: Effect,
    /// The rule behind the decision.
    pub rule: String,
    /// The reason given to the agent and the operator.
    pub reason: String,
}

impl NewRecord {
    /// A record of `verdict` for `input`, stamped with the current time and working directory.
    pub fn from_verdict(
        door: Door,
        principal: &Principal,
        input: impl Into<String>,
        verdict: &Verdict,
    ) -> Self {
        NewRecord {
            time_ms: now_ms(),
            door,
            agent: principal.agent.clone(),
            session: principal.session.clone(),
            environment: verdict.environment.as_str().to_owned(),
            cwd: std::env::current_dir()
                .ok()
                .map(|p| p.to_string_lossy().into_owned()),
            input: input.into(),
            decision: verdict.decision,
            effect: verdict.effect,
            rule: verdict.rule.clone(),
            reason: verdict.reason.clone(),
        }
    }
}

/// The current time in milliseconds since the Unix epoch (0 for a clock set before 1970).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// How a door is written in the log: `check`, `hook:<agent>`, `proxy:<name>`.
pub fn door_label(door: &Door) -> String {
    match door {
        Door::Check => "check".to_owned(),
        Door::Hook(name) => format!("hook:{name}"),
        Door::Proxy(name) => format!("proxy:{name}"),
    }
}

/// Proof that a record is in the log: its sequence number and hash. Returned by
/// [`AuditLog::append`](crate::AuditLog::append) only once the record is durable.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Receipt {
    pub seq: u64,
    /// Lowercase hex SHA-256 of the record's canonical encoding.
    pub hash: String,
}

/// One stored record, as read back from the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub seq: u64,
    pub time_ms: i64,
    /// The blastwall version that wrote the record.
    pub version: String,
    /// See [`door_label`].
    pub door: String,
    pub agent: Option<String>,
    pub session: Option<String>,
    pub environment: String,
    pub cwd: Option<String>,
    /// The process that appended the record.
    pub pid: i64,
    pub input: String,
    pub decision: Decision,
    pub effect: Effect,
    pub rule: String,
    pub reason: String,
    /// The hash of the record before this one ([`GENESIS`](crate::GENESIS) for the first).
    pub prev_hash: String,
    pub hash: String,
}

impl Record {
    /// The record's time as RFC 3339 in UTC with milliseconds (`2026-03-21T09:05:07.042Z`).
    pub fn time_rfc3339(&self) -> String {
        rfc3339_ms(self.time_ms)
    }
}

/// Serialises as one line of the JSON Lines export (same keys, same order).
impl Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ExportLine::from(self).serialize(serializer)
    }
}

/// One line of the JSON Lines export: every stored field, in canonical order, plus a readable time.
#[derive(Serialize)]
pub(crate) struct ExportLine<'a> {
    seq: u64,
    time: String,
    time_ms: i64,
    version: &'a str,
    door: &'a str,
    agent: Option<&'a str>,
    session: Option<&'a str>,
    environment: &'a str,
    cwd: Option<&'a str>,
    pid: i64,
    input: &'a str,
    decision: Decision,
    effect: Effect,
    rule: &'a str,
    reason: &'a str,
    prev_hash: &'a str,
    hash: &'a str,
}

impl<'a> From<&'a Record> for ExportLine<'a> {
    fn from(r: &'a Record) -> Self {
        ExportLine {
            seq: r.seq,
            time: r.time_rfc3339(),
            time_ms: r.time_ms,
            version: &r.version,
            door: &r.door,
            agent: r.agent.as_deref(),
            session: r.session.as_deref(),
            environment: &r.environment,
            cwd: r.cwd.as_deref(),
            pid: r.pid,
            input: &r.input,
            decision: r.decision,
            effect: r.effect,
            rule: &r.rule,
            reason: &r.reason,
            prev_hash: &r.prev_hash,
            hash: &r.hash,
        }
    }
}

/// Which records a query or export returns. Every set field must match; `Filter::default()` is
/// everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Records at or after this time (ms since the Unix epoch).
    pub since_ms: Option<i64>,
    /// Records strictly before this time.
    pub until_ms: Option<i64>,
    /// Records with a sequence number above this one (for incremental shipping).
    pub after_seq: Option<u64>,
    pub agent: Option<String>,
    pub session: Option<String>,
    pub environment: Option<String>,
    pub decision: Option<Decision>,
    /// A rule id, or a pattern where `*` matches any run of characters (`git.*`).
    pub rule: Option<String>,
    /// A door label (`hook:claude-code`) or just its kind (`hook`, `proxy`, `check`).
    pub door: Option<String>,
    /// Keep only the newest `limit` matches (still returned oldest first).
    pub limit: Option<usize>,
}

/// Milliseconds since the epoch as RFC 3339 UTC, proleptic Gregorian calendar.
pub fn rfc3339_ms(time_ms: i64) -> String {
    let secs = time_ms.div_euclid(1000);
    let millis = time_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = date_of_day(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// `2026-11-25T10:00:00Z` or `2026-11-25T10:00:00.250Z` (UTC) as ms since the epoch; `None` for
/// anything else.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let text = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))?;
    let (date, time) = text.split_once(['T', ' '])?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let millis: i64 = format!("{frac:0<3}").get(..3)?.parse().ok()?;
    Some(((day_number(y, m, day) * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + millis)
}

/// (year, month, day) → day number since 1970-01-01; the inverse of [`date_of_day`].
fn day_number(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Day number since 1970-01-01 → (year, month, day). Works in 400-year cycles of 146,097 days,
/// counted from 0000-03-01 so that the leap day ends each cycle year.
fn date_of_day(days: i64) -> (i64, i64, i64) {
    const CYCLE: i64 = 146_097;
    let from_march_0 = days + 719_468;
    let cycle = from_march_0.div_euclid(CYCLE);
    let day_of_cycle = from_march_0.rem_euclid(CYCLE);
    let year_of_cycle =
        (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36_524 - day_of_cycle / 146_096) / 365;
    let day_of_year =
        day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_cycle + cycle * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_parses_back() {
        for ms in [0, 1_764_064_800_250, 951_782_400_000, -86_400_000] {
            assert_eq!(parse_rfc3339(&rfc3339_ms(ms)), Some(ms));
        }
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_709_251_199_999), "2024-02-29T23:59:59.999Z");
        assert_eq!(rfc3339_ms(4_102_444_800_000), "2100-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn door_labels() {
        assert_eq!(door_label(&Door::Check), "check");
        assert_eq!(door_label(&Door::Hook("cursor".into())), "hook:cursor");
        assert_eq!(door_label(&Door::Proxy("pg".into())), "proxy:pg");
    }
}
