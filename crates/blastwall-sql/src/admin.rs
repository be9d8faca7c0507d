//! Maintenance and settings statements that neither PostgreSQL's parser nor sqlparser-rs reads
//! in full: SQLite's `PRAGMA` (reads, and settings such as `writable_schema` or `journal_mode`),
//! `VACUUM INTO`, and MySQL's table maintenance (`OPTIMIZE`, `CHECK`, `ANALYZE TABLE`) and
//! `SHOW`.
//!
//! Statements are read from sqlparser-rs's tokens, so comments and quoted text never count as
//! keywords. A statement this module does not recognise is left to the caller (unparseable,
//! `ask`). This module never runs anything.

use sqlparser::dialect::MySqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::judge::{Frame, Judge};

/// Judges one statement; `false` when it is not one this module knows.
pub(crate) fn judge(judge: &mut Judge<'_>, sql: &str, f: &Frame) -> bool {
    let Ok(tokens) = Tokenizer::new(&MySqlDialect {}, sql).tokenize() else {
        return false;
    };
    let words: Vec<Token> = tokens
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_) | Token::SemiColon))
        .collect();
    let keyword = |i: usize| match words.get(i) {
        Some(Token::Word(w)) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
        _ => String::new(),
    };
    let (rule, operation) = match keyword(0).as_str() {
        "PRAGMA" => return pragma_tokens(judge, &words, f),
        // `VACUUM INTO 'file'` writes a new copy of the database; SQLite refuses a file that
        // exists and is not empty, so nothing is overwritten.
        "VACUUM" if vacuum_into(&words) => ("sql.write", "VACUUM INTO"),
        "OPTIMIZE" | "ANALYZE" if table_maintenance(&words) => ("sql.write", "OPTIMIZE TABLE"),
        "CHECK" | "CHECKSUM" if keyword(1) == "TABLE" => ("sql.read", "CHECK TABLE"),
        "SHOW" | "DESCRIBE" | "DESC" => ("sql.read", "SHOW"),
        _ => return false,
    };
    let h = judge.hit(rule, f.outer, f);
    h.operation = operation.into();
    true
}

/// `VACUUM [schema] INTO 'file'`.
fn vacuum_into(words: &[Token]) -> bool {
    let into = |t: Option<&Token>| matches!(t, Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("into"));
    let at = if into(words.get(1)) {
        2
    } else if into(words.get(2)) {
        3
    } else {
        return false;
    };
    matches!(words.get(at), Some(Token::SingleQuotedString(_))) && words.len() == at + 1
}

/// `OPTIMIZE [NO_WRITE_TO_BINLOG | LOCAL] TABLE t, …`: rebuilds or re-analyses, loses nothing.
fn table_maintenance(words: &[Token]) -> bool {
    words.iter().skip(1).take(2).any(
        |t| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("table")),
    )
}

/// `PRAGMA [schema.]name [= value | (value)]`.
fn pragma_tokens(judge: &mut Judge<'_>, words: &[Token], f: &Frame) -> bool {
    let text = |t: &Token| match t {
        Token::Word(w) => Some(w.value.clone()),
        Token::Number(n, _) => Some(n.clone()),
        Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => Some(s.clone()),
        _ => None,
    };
    let mut i = 1;
    let Some(mut name) = words.get(i).and_then(text) else {
        return false;
    };
    i += 1;
    if matches!(words.get(i), Some(Token::Period)) {
        let Some(n) = words.get(i + 1).and_then(text) else {
            return false;
        };
        name = n;
        i += 2;
    }
    let value = match words.get(i) {
        None => None,
        Some(Token::Eq | Token::LParen) => {
            let mut v = String::new();
            for t in &words[i + 1..] {
                match t {
                    Token::RParen => break,
                    Token::Minus => v.push('-'),
                    Token::Plus => {}
                    other => v.push_str(&text(other).unwrap_or_default()),
                }
            }
            Some(v)
        }
        Some(_) => return false,
    };
    pragma(judge, &name, value.as_deref(), f);
    true
}

/// Pragmas that take an argument and only report (`table_info(users)`).
const REPORTING: &[&str] = &[
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "foreign_key_check",
    "integrity_check",
    "quick_check",
    "wal_checkpoint",
    "optimize",
    "incremental_vacuum",
];

/// Judges one pragma: a read when it only reports, a finding when it turns a safeguard off.
pub(crate) fn pragma(judge: &mut Judge<'_>, name: &str, value: Option<&str>, f: &Frame) {
    let name = name.to_ascii_lowercase();
    let Some(value) = value.filter(|_| !REPORTING.contains(&name.as_str())) else {
        judge.hit("sql.read", f.outer, f).operation = "PRAGMA".into();
        return;
    };
    let v = value.trim().to_ascii_lowercase();
    let off = matches!(v.as_str(), "off" | "false" | "no" | "0" | "none");
    let why = format!("PRAGMA {name} = {value}");
    let rule = match name.as_str() {
        "writable_schema" if !off => "sql.server.unsafe-setting",
        "journal_mode" if matches!(v.as_str(), "off" | "memory") => "sql.server.unsafe-setting",
        "synchronous" if off => "sql.server.unsafe-setting",
        "ignore_check_constraints" | "trusted_schema" if !off => "sql.server.unsafe-setting",
        "schema_version" => "sql.server.unsafe-setting",
        "foreign_keys" if off => "sql.security.triggers-off",
        "key" | "rekey" | "hexkey" | "hexrekey" => "sql.security.credential",
        _ => "sql.write",
    };
    let h = judge.hit(rule, f.outer, f);
    h.operation = "PRAGMA".into();
    h.why = why;
    h.target = "the database".into();
    h.transactional = false;
}
