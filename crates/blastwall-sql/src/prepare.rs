//! Client-level preparation of SQL text before PostgreSQL's parser sees it, keeping every byte
//! offset: psql meta-commands (`\! cmd`, `\i file`, `\gexec`, `\c db`) and sqlite3's
//! dot-commands (`.tables`, `.shell cmd`, `.read file`; only where a statement may start, as
//! sqlite3 reads them) are taken out and listed,
//! MySQL executable comments (`/*!50001 DROP TABLE t */`) are opened so their content is parsed
//! as the server would run it, and on request MySQL backtick identifiers become double-quoted.
//!
//! Removed text is replaced by spaces of the same byte length, so spans found in the prepared
//! text point at the same bytes of the original. This module only rewrites text; it never judges.

use blastwall_core::Span;

/// A client meta-command found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// A psql command without its backslash (`!`, `i`, `gexec`, `c`, `copy`), or a sqlite3
    /// dot-command with its dot (`.tables`, `.shell`, `.read`).
    pub name: String,
    /// The rest of the line, trimmed.
    pub arg: String,
    pub span: Span,
}

pub struct Prepared {
    pub sql: String,
    pub metas: Vec<Meta>,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Code,
    Single { escapes: bool },
    Double,
    Backtick,
    LineComment,
    BlockComment(u32),
}

/// Prepares `input`. `backticks`: treat `` `name` `` as a quoted identifier (MySQL).
pub fn prepare(input: &str, backticks: bool) -> Prepared {
    let bytes = input.as_bytes();
    let mut out = bytes.to_vec();
    let mut metas = Vec::new();
    let mut state = State::Code;
    // Open executable comments, whose closing `*/` must be blanked too.
    let mut executable_open = 0u32;
    // Whether only whitespace and comments came since the last `;` (or the start): where sqlite3
    // reads a line that starts with `.` as a dot-command.
    let mut statement_start = true;
    let mut line_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        if state == State::Code
            && b == b'.'
            && statement_start
            && line_start
            && next.is_some_and(|c| c.is_ascii_alphabetic())
        {
            let end = bytes[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(bytes.len(), |p| i + p);
            let line = &input[i + 1..end];
            let name_len = line
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(line.len());
            metas.push(Meta {
                name: format!(".{}", &line[..name_len]),
                arg: line[name_len..].trim().to_owned(),
                span: Span::new(i, end),
            });
            out[i..end].fill(b' ');
            i = end;
            continue;
        }
        if b == b'\n' && matches!(state, State::Code | State::LineComment) {
            line_start = true;
        } else if state == State::Code {
            match b {
                b';' => {
                    statement_start = true;
                    line_start = false;
                }
                b' ' | b'\t' | b'\r' => {}
                b'-' if next == Some(b'-') => {}
                b'/' if next == Some(b'*') => {}
                _ => {
                    statement_start = false;
                    line_start = false;
                }
            }
        }
        match state {
            State::Code => match b {
                b'\'' => {
                    let escapes = i > 0
                        && matches!(bytes[i - 1], b'e' | b'E')
                        && (i < 2 || !bytes[i - 2].is_ascii_alphanumeric());
                    state = State::Single { escapes };
                }
                b'"' => state = State::Double,
                b'`' if backticks => {
                    out[i] = b'"';
                    state = State::Backtick;
                }
                b'-' if next == Some(b'-') => state = State::LineComment,
                b'/' if next == Some(b'*') => {
                    let rest = &bytes[i + 2..];
                    let marker = if rest.starts_with(b"!") {
                        1
                    } else if rest.starts_with(b"M!") {
                        2
                    } else {
                        0
                    };
                    if marker > 0 {
                        let mut end = i + 2 + marker;
                        while end < bytes.len() && bytes[end].is_ascii_digit() {
                            end += 1;
                        }
                        out[i..end].fill(b' ');
                        executable_open += 1;
                        i = end;
                        continue;
                    }
                    state = State::BlockComment(1);
                    i += 2;
                    continue;
                }
                b'*' if next == Some(b'/') && executable_open > 0 => {
                    out[i..i + 2].fill(b' ');
                    executable_open -= 1;
                    i += 2;
                    continue;
                }
                b'$' => {
                    if let Some(len) = dollar_tag(&bytes[i..]) {
                        let tag = &bytes[i..i + len];
                        let body_start = i + len;
                        let end = find(&bytes[body_start..], tag)
                            .map_or(bytes.len(), |p| body_start + p + len);
                        i = end;
                        continue;
                    }
                }
                b'\\' => {
                    let end = bytes[i..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(bytes.len(), |p| i + p);
                    let line = &input[i + 1..end];
                    let (name, arg) = split_meta(line);
                    metas.push(Meta {
                        name,
                        arg,
                        span: Span::new(i, end),
                    });
                    out[i..end].fill(b' ');
                    i = end;
                    continue;
                }
                _ => {}
            },
            State::Single { escapes } => {
                if escapes && b == b'\\' {
                    i += 2;
                    continue;
                }
                if b == b'\'' {
                    if next == Some(b'\'') {
                        i += 2;
                        continue;
                    }
                    state = State::Code;
                }
            }
            State::Double => {
                if b == b'"' {
                    state = State::Code;
                }
            }
            State::Backtick => {
                if b == b'`' {
                    if next == Some(b'`') {
                        i += 2;
                        continue;
                    }
                    out[i] = b'"';
                    state = State::Code;
                } else if b == b'"' {
                    // A double quote inside a backtick identifier would end the rewritten one.
                    out[i] = b'_';
                }
            }
            State::LineComment => {
                if b == b'\n' {
                    state = State::Code;
                }
            }
            State::BlockComment(depth) => {
                if b == b'*' && next == Some(b'/') {
                    state = if depth == 1 {
                        State::Code
                    } else {
                        State::BlockComment(depth - 1)
                    };
                    i += 2;
                    continue;
                }
                if b == b'/' && next == Some(b'*') {
                    state = State::BlockComment(depth + 1);
                    i += 2;
                    continue;
                }
            }
        }
        i += 1;
    }
    // Only ASCII bytes were written over ASCII bytes, or whole runs replaced by spaces, so the
    // result is still UTF-8; fall back to the input rather than panic if that ever breaks.
    let sql = String::from_utf8(out).unwrap_or_else(|_| input.to_owned());
    Prepared { sql, metas }
}

/// Length of a dollar-quote tag (`$$`, `$body$`) at the start of `s`.
fn dollar_tag(s: &[u8]) -> Option<usize> {
    let mut j = 1;
    while j < s.len() && (s[j].is_ascii_alphanumeric() || s[j] == b'_') {
        if j == 1 && s[j].is_ascii_digit() {
            return None; // `$1` is a parameter
        }
        j += 1;
    }
    (s.get(j) == Some(&b'$')).then_some(j + 1)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `!ls -l` → (`!`, `ls -l`); `gexec` → (`gexec`, ``); `c prod_db` → (`c`, `prod_db`).
fn split_meta(line: &str) -> (String, String) {
    if let Some(rest) = line.strip_prefix('!') {
        return ("!".into(), rest.trim().to_owned());
    }
    let name_len = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '+' || c == '?'))
        .unwrap_or(line.len());
    let (name, rest) = line.split_at(name_len);
    // `\\` separates meta-commands on one line; what follows is SQL again only in rare scripts,
    // so the whole rest is kept as the argument (and judged with the command).
    (name.to_owned(), rest.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executable_comment_is_opened_in_place() {
        let p = prepare("SELECT 1; /*!50001 DROP TABLE t */", false);
        assert_eq!(p.sql, "SELECT 1;          DROP TABLE t   ");
        assert_eq!(p.sql.len(), "SELECT 1; /*!50001 DROP TABLE t */".len());
    }

    #[test]
    fn sqlite_dot_commands_are_read_only_where_a_statement_may_start() {
        let p = prepare(
            ".tables\nSELECT 1;\n  .shell ls\n-- note\n.read x.sql\nSELECT t\n.col FROM t;",
            false,
        );
        let names: Vec<&str> = p.metas.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, [".tables", ".shell", ".read"]);
        assert_eq!(p.metas[1].arg, "ls");
        // `t\n.col` continues a statement: it stays SQL.
        assert!(p.sql.contains(".col FROM t"), "{}", p.sql);
        assert_eq!(
            p.sql.len(),
            ".tables\nSELECT 1;\n  .shell ls\n-- note\n.read x.sql\nSELECT t\n.col FROM t;".len()
        );
    }

    #[test]
    fn meta_commands_are_listed_and_blanked() {
        let p = prepare("SELECT 1;\n\\! rm -rf /\nSELECT 2 \\gexec\n", false);
        assert_eq!(p.metas.len(), 2);
        assert_eq!(p.metas[0].name, "!");
        assert_eq!(p.metas[0].arg, "rm -rf /");
        assert_eq!(p.metas[1].name, "gexec");
        assert!(!p.sql.contains('\\'));
    }

    #[test]
    fn backslashes_in_literals_are_not_meta_commands() {
        let p = prepare("SELECT E'a\\'b', '\\x', $$ \\! x $$, \"\\q\"", false);
        assert!(p.metas.is_empty());
    }

    #[test]
    fn backticks_become_double_quotes() {
        let p = prepare("DROP TABLE `users`", true);
        assert_eq!(p.sql, "DROP TABLE \"users\"");
    }
}
