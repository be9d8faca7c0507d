//! SQL text carried by HTTP requests, before the SQL classifier sees it: does a string read as
//! SQL, how to hand over statements written for other servers (SQLite's and MySQL's `?`
//! placeholders), and what can still be said of a statement the SQL classifier cannot parse
//! (ClickHouse's dialect): only that a lone read reads.
//!
//! Nothing here judges SQL; the registry's SQL classifier does. This module only decides what
//! to hand it and how to read its answer when it cannot parse.

/// Leading whitespace, `(`, `;` and comments skipped; MySQL executable comments (`/*!50000 …`)
/// opened, as the server runs their content.
fn skip_noise(text: &str) -> &str {
    let mut t = text;
    loop {
        t = t.trim_start_matches(|c: char| c.is_whitespace() || c == '(' || c == ';');
        if let Some(rest) = t.strip_prefix("/*!") {
            t = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            continue;
        }
        if let Some(rest) = t.strip_prefix("/*") {
            t = rest.split_once("*/").map_or("", |(_, r)| r);
            continue;
        }
        if let Some(rest) = t.strip_prefix("--").or_else(|| t.strip_prefix('#')) {
            t = rest.split_once('\n').map_or("", |(_, r)| r);
            continue;
        }
        return t;
    }
}

fn words(text: &str, n: usize) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(n)
        .map(str::to_ascii_uppercase)
        .collect()
}

/// The first keyword of the statement, uppercase.
pub(crate) fn first_word(text: &str) -> String {
    skip_noise(text)
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// What `DROP`, `CREATE` and `ALTER` are followed by in SQL (and not in "drop earrings").
const OBJECT_KINDS: &[&str] = &[
    "TABLE",
    "DATABASE",
    "SCHEMA",
    "INDEX",
    "VIEW",
    "USER",
    "ROLE",
    "FUNCTION",
    "PROCEDURE",
    "TRIGGER",
    "SEQUENCE",
    "TYPE",
    "EXTENSION",
    "MATERIALIZED",
    "TEMPORARY",
    "TEMP",
    "OR",
    "UNIQUE",
    "POLICY",
    "DICTIONARY",
    "COLUMN",
    "OWNED",
    "KEYSPACE",
    "STAGE",
    "WAREHOUSE",
    "SYSTEM",
    "DOMAIN",
    "PUBLICATION",
    "SUBSCRIPTION",
    "SERVER",
    "FOREIGN",
    "RULE",
    "AGGREGATE",
    "PARTITION",
    "EVENT",
    "IF",
    "SHARE",
    "STREAM",
    "TASK",
    "PIPE",
    "LIVE",
    "EXTERNAL",
    "TABLESPACE",
    "GROUP",
    "CATALOG",
    "CONNECTION",
    "SECRET",
    "QUOTA",
    "SETTINGS",
    "NAMED",
];

/// Does the text read as a SQL statement (its first keyword, and the words that keyword needs:
/// `DELETE … FROM`, `UPDATE … SET`, `INSERT INTO`)? A search for the word "delete" does not.
pub(crate) fn looks_like_sql(text: &str) -> bool {
    let body = skip_noise(text);
    let w = words(body, 64);
    let Some(first) = w.first() else {
        return false;
    };
    let has = |k: &str| w.iter().skip(1).any(|x| x == k);
    match first.as_str() {
        "DELETE" => has("FROM") || w.len() >= 3 && has("WHERE"),
        "UPDATE" => has("SET"),
        "INSERT" | "REPLACE" | "UPSERT" => has("INTO"),
        "DROP" | "CREATE" | "ALTER" | "UNDROP" => {
            w.get(1).is_some_and(|k| OBJECT_KINDS.contains(&k.as_str()))
        }
        "SELECT" | "WITH" | "TRUNCATE" | "GRANT" | "REVOKE" | "MERGE" | "VACUUM" | "PRAGMA"
        | "COPY" | "EXPLAIN" | "SHOW" | "CALL" | "DO" | "REINDEX" | "COMMENT" | "DESCRIBE"
        | "DESC" | "OPTIMIZE" | "ATTACH" | "DETACH" | "RENAME" | "KILL" | "SYSTEM" | "EXCHANGE" => {
            w.len() >= 2
        }
        "BEGIN" | "SET" => w.len() >= 2 && !text.contains('\n') || w.len() >= 3,
        _ => false,
    }
}

/// `?` placeholders (SQLite, MySQL, ClickHouse drivers) as PostgreSQL's `$n`, outside strings,
/// quoted names and comments. Returns the text and, for each inserted byte, the original offset
/// it stands for, so spans can be mapped back; `None` when there is no placeholder.
pub(crate) fn number_placeholders(text: &str) -> Option<(String, Vec<usize>)> {
    let mut n = 0usize;
    rewrite_placeholders(text, |bytes, i| {
        Some(match bytes[i] {
            b'?' if !matches!(bytes.get(i + 1), Some(b'|' | b'&')) => {
                n += 1;
                Some((format!("${n}"), 1))
            }
            _ => None,
        })
    })
}

/// Placeholders (`$1`, `?`) replaced by the literal values sent beside the statement, outside
/// strings, quoted names and comments. Returns the text and, for each of its bytes, the original
/// offset it stands for; `None` when a placeholder has no value or there is none.
pub(crate) fn bind_params(
    text: &str,
    params: &[serde_json::Value],
) -> Option<(String, Vec<usize>)> {
    let literal = |v: &serde_json::Value| -> Option<String> {
        Some(match v {
            serde_json::Value::Null => "NULL".into(),
            serde_json::Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => format!("'{}'", s.replace('\'', "''")),
            _ => return None,
        })
    };
    let mut next_question = 0usize;
    rewrite_placeholders(text, |bytes, i| {
        let (index, len) = match bytes[i] {
            b'$' => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                if digits == 0 {
                    return Some(None);
                }
                let n: usize = text[i + 1..i + 1 + digits].parse().ok()?;
                (n.checked_sub(1)?, 1 + digits)
            }
            b'?' if !matches!(bytes.get(i + 1), Some(b'|' | b'&')) => {
                next_question += 1;
                (next_question - 1, 1)
            }
            _ => return Some(None),
        };
        Some(Some((literal(params.get(index)?)?, len)))
    })
}

/// Copies `text`, asking `at` about each byte outside strings, quoted names and comments: `None`
/// gives up, `Some(None)` keeps the byte, `Some(Some((replacement, len)))` replaces `len` bytes.
/// Returns the new text and, for each of its bytes, the original offset it stands for; `None`
/// when nothing was replaced.
fn rewrite_placeholders(
    text: &str,
    mut at: impl FnMut(&[u8], usize) -> Option<Option<(String, usize)>>,
) -> Option<(String, Vec<usize>)> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    // `back[i]` is the original offset of byte `i` of `out`.
    let mut back: Vec<usize> = Vec::with_capacity(text.len() + 16);
    let mut any = false;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let mut replaced: Option<(String, usize)> = None;
        match quote {
            Some(q) => {
                if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'\'' | b'"' | b'`' => quote = Some(b),
                b'-' if bytes.get(i + 1) == Some(&b'-') => quote = Some(b'\n'),
                _ => replaced = at(bytes, i)?,
            },
        }
        if let Some((replacement, len)) = replaced {
            back.extend(std::iter::repeat_n(i, replacement.len()));
            out.push_str(&replacement);
            any = true;
            i += len;
            continue;
        }
        // Copy one whole character.
        let len = text[i..].chars().next().map_or(1, char::len_utf8);
        back.extend(i..i + len);
        out.push_str(&text[i..i + len]);
        i += len;
    }
    back.push(text.len());
    any.then_some((out, back))
}

/// A ClickHouse insert whose rows travel in the body: `INSERT INTO t [(cols)] FORMAT Name`, one
/// statement, nothing that reads or writes anything else.
pub(crate) fn is_plain_insert(text: &str) -> bool {
    let body = skip_noise(text);
    let trimmed = body.trim_end().trim_end_matches(';');
    if trimmed.contains(';') || trimmed.contains("/*") || trimmed.contains("--") {
        return false;
    }
    let w = words(trimmed, 256);
    let n = w.len();
    n >= 5
        && w[0] == "INSERT"
        && w[1] == "INTO"
        && w[n - 2] == "FORMAT"
        && !w[2..n - 2].iter().any(|x| {
            WRITE_WORDS.contains(&x.as_str())
                || matches!(
                    x.as_str(),
                    "SELECT" | "FROM" | "FUNCTION" | "TABLE" | "WITH" | "VALUES"
                )
        })
}

/// Keywords that make a statement more than a read, whatever it starts with.
const WRITE_WORDS: &[&str] = &[
    "INSERT", "UPDATE", "DELETE", "DROP", "TRUNCATE", "ALTER", "CREATE", "GRANT", "REVOKE",
    "MERGE", "REPLACE", "RENAME", "ATTACH", "DETACH", "OPTIMIZE", "SYSTEM", "KILL", "INTO",
    "EXCHANGE", "SET", "CALL", "EXECUTE", "EXEC", "COPY", "OUTFILE", "DUMPFILE", "LOAD",
];

/// Can a statement the SQL classifier could not parse still be told to only read? Only a single
/// statement that starts with a read keyword and has no keyword that writes anywhere in it.
pub(crate) fn is_plain_read(text: &str) -> bool {
    let body = skip_noise(text);
    let trimmed = body.trim_end().trim_end_matches(';');
    if trimmed.contains(';') || trimmed.contains("/*!") {
        return false;
    }
    let w = words(trimmed, 4096);
    matches!(
        w.first().map(String::as_str),
        Some("SELECT" | "SHOW" | "DESCRIBE" | "DESC" | "EXPLAIN" | "EXISTS")
    ) && !w.iter().any(|x| WRITE_WORDS.contains(&x.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_shapes() {
        for s in [
            "SELECT 1",
            "/*!50000 DROP TABLE customers */",
            "-- c\nDELETE FROM t",
            "update users set a = 1",
            "TRUNCATE TABLE events",
        ] {
            assert!(looks_like_sql(s), "{s}");
        }
        for s in ["delete", "select", "Update the docs", "drop earrings"] {
            assert!(!looks_like_sql(s), "{s}");
        }
    }

    #[test]
    fn placeholders_are_numbered_outside_strings() {
        let (out, back) = number_placeholders("SELECT * FROM t WHERE a = ? AND b = '?'").unwrap();
        assert_eq!(out, "SELECT * FROM t WHERE a = $1 AND b = '?'");
        assert_eq!(back[out.find("$1").unwrap()], 26);
        assert!(number_placeholders("SELECT 1").is_none());
        assert!(number_placeholders("SELECT data ?| array['a']").is_none());
    }

    #[test]
    fn parameters_are_bound_outside_strings() {
        let params = [serde_json::json!(1), serde_json::json!("o'k")];
        let (out, back) = bind_params(
            "DELETE FROM t WHERE $1 = $1 AND n = $2 AND s = '$1'",
            &params,
        )
        .unwrap();
        assert_eq!(out, "DELETE FROM t WHERE 1 = 1 AND n = 'o''k' AND s = '$1'");
        assert_eq!(back[out.find("'o''k'").unwrap()], 36);
        let (out, _) = bind_params("SELECT ? + ?", &params).unwrap();
        assert_eq!(out, "SELECT 1 + 'o''k'");
        assert!(bind_params("SELECT $3", &params).is_none());
        assert!(bind_params("SELECT 1", &params).is_none());
    }

    #[test]
    fn clickhouse_inserts_with_rows_in_the_body() {
        assert!(is_plain_insert(
            "INSERT INTO analytics.events FORMAT JSONEachRow"
        ));
        assert!(is_plain_insert("insert into t (a, b) format CSV"));
        assert!(!is_plain_insert(
            "INSERT INTO t SELECT * FROM u FORMAT JSON"
        ));
        assert!(!is_plain_insert("INSERT INTO t FORMAT CSV; DROP TABLE t"));
        assert!(!is_plain_insert(
            "INSERT INTO TABLE FUNCTION s3('x') FORMAT CSV"
        ));
    }

    #[test]
    fn plain_reads() {
        assert!(is_plain_read(
            "SELECT toDate(ts) d, count() FROM events GROUP BY d FORMAT JSON"
        ));
        assert!(!is_plain_read("SELECT 1; DROP TABLE t"));
        assert!(!is_plain_read("SELECT * INTO OUTFILE '/tmp/x' FROM t"));
        assert!(!is_plain_read("ALTER TABLE events DELETE WHERE 1"));
    }
}
