//! Small pure helpers for words: ANSI-C escape decoding, brace expansion, character offsets.

use std::panic::{AssertUnwindSafe, catch_unwind};

use brush_parser::word::{BraceExpressionMember, BraceExpressionOrText, WordPieceWithSource};

/// Parses a word into its pieces. The parser panics on some malformed input (a `~N` directory
/// stack index beyond `usize`); that is an unparseable word, not a crash.
pub fn parse_word(raw: &str) -> Option<Vec<WordPieceWithSource>> {
    let options = brush_parser::ParserOptions::default();
    catch_unwind(AssertUnwindSafe(|| {
        brush_parser::word::parse(raw, &options).ok()
    }))
    .ok()
    .flatten()
}

/// Parses a here-document body (quotes are literal there), like [`parse_word`].
pub fn parse_heredoc_body(raw: &str) -> Option<Vec<WordPieceWithSource>> {
    let options = brush_parser::ParserOptions::default();
    catch_unwind(AssertUnwindSafe(|| {
        brush_parser::word::parse_heredoc(raw, &options).ok()
    }))
    .ok()
    .flatten()
}

/// Decodes the escapes of `$'…'` strings and `echo -e` / `printf` formats: `\n`, `\t`, `\xHH`,
/// `\NNN` (octal), `\uHHHH`, `\\`, `\'`, `\"`, `\e`.
pub fn decode_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' || i + 1 >= chars.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let n = chars[i + 1];
        i += 2;
        match n {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'e' | 'E' => out.push('\u{1b}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'x' => {
                let (v, used) = take_digits(&chars[i..], 16, 2);
                i += used;
                push_code(&mut out, v, used, "\\x");
            }
            'u' | 'U' => {
                let (v, used) = take_digits(&chars[i..], 16, if n == 'u' { 4 } else { 8 });
                i += used;
                push_code(&mut out, v, used, "\\u");
            }
            '0'..='7' => {
                // `\0NNN` (echo) and `\NNN` (printf, $'…').
                let start = if n == '0' { i } else { i - 1 };
                let (v, used) = take_digits(&chars[start..], 8, 3);
                i = start + used;
                push_code(&mut out, v, used.max(1), "\\0");
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

fn take_digits(chars: &[char], radix: u32, max: usize) -> (u32, usize) {
    let mut v = 0u32;
    let mut used = 0;
    for c in chars.iter().take(max) {
        match c.to_digit(radix) {
            Some(d) => {
                v = v.saturating_mul(radix).saturating_add(d);
                used += 1;
            }
            None => break,
        }
    }
    (v, used)
}

fn push_code(out: &mut String, v: u32, used: usize, literal: &str) {
    if used == 0 {
        out.push_str(literal);
        return;
    }
    out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
}

/// Most `{` in one word handed to the brace-expansion parser.
const MAX_BRACES: usize = 8;

/// Expands `{a,b}` and `{1..3}` in a raw word, keeping at most `limit` results. Returns the word
/// itself when it has no brace expression (or the expression is malformed).
pub fn brace_expand(raw: &str, limit: usize) -> Vec<String> {
    if !raw.contains('{') {
        return vec![raw.to_owned()];
    }
    // The brace-expansion grammar backtracks exponentially on runs of unmatched `{`: a word with
    // more braces than any real command uses is taken literally (and judged as it stands).
    if raw.matches('{').count() > MAX_BRACES {
        return vec![raw.to_owned()];
    }
    let options = brush_parser::ParserOptions::default();
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        brush_parser::word::parse_brace_expansions(raw, &options)
    }));
    match parsed {
        Ok(Ok(Some(pieces))) => {
            let mut out = expand_seq(&pieces, limit);
            if out.is_empty() {
                out.push(raw.to_owned());
            }
            out
        }
        _ => vec![raw.to_owned()],
    }
}

fn expand_seq(pieces: &[BraceExpressionOrText], limit: usize) -> Vec<String> {
    let mut acc = vec![String::new()];
    for piece in pieces {
        let options: Vec<String> = match piece {
            BraceExpressionOrText::Text(t) => vec![t.clone()],
            BraceExpressionOrText::Expr(members) => {
                let mut opts = Vec::new();
                for m in members {
                    opts.extend(expand_member(m, limit));
                    if opts.len() >= limit {
                        break;
                    }
                }
                opts
            }
        };
        let mut next = Vec::new();
        'outer: for prefix in &acc {
            for o in &options {
                next.push(format!("{prefix}{o}"));
                if next.len() >= limit {
                    break 'outer;
                }
            }
        }
        acc = next;
    }
    acc
}

fn expand_member(m: &BraceExpressionMember, limit: usize) -> Vec<String> {
    match m {
        BraceExpressionMember::Child(seq) => expand_seq(seq, limit),
        BraceExpressionMember::NumberSequence {
            start,
            end,
            increment,
        } => {
            let step = increment.unsigned_abs().max(1) as i64;
            let (lo, hi) = (*start.min(end), *start.max(end));
            (0..limit as i64)
                .map(|k| lo.saturating_add(k.saturating_mul(step)))
                .take_while(|v| *v <= hi)
                .map(|v| v.to_string())
                .collect()
        }
        BraceExpressionMember::CharSequence {
            start,
            end,
            increment,
        } => {
            let step = increment.unsigned_abs().max(1) as u32;
            let (lo, hi) = (*start.min(end) as u32, *start.max(end) as u32);
            (0..limit as u32)
                .map(|k| lo.saturating_add(k.saturating_mul(step)))
                .take_while(|v| *v <= hi)
                .filter_map(char::from_u32)
                .map(|c| c.to_string())
                .collect()
        }
    }
}

/// Maps character indexes (what the parser reports) to byte offsets in `s`.
pub struct CharMap {
    /// Byte offset of every char, plus the length at the end.
    offsets: Vec<usize>,
}

impl CharMap {
    pub fn new(s: &str) -> Self {
        let mut offsets: Vec<usize> = s.char_indices().map(|(b, _)| b).collect();
        offsets.push(s.len());
        CharMap { offsets }
    }

    pub fn byte(&self, char_index: usize) -> usize {
        self.offsets
            .get(char_index)
            .copied()
            .unwrap_or(*self.offsets.last().unwrap_or(&0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(decode_escapes(r"\x72\x6d \055rf"), "rm -rf");
        assert_eq!(decode_escapes(r"\162\155"), "rm");
        assert_eq!(decode_escapes(r"a\nb"), "a\nb");
        assert_eq!(decode_escapes(r"\u0072m"), "rm");
    }

    #[test]
    fn braces() {
        assert_eq!(brace_expand("/{etc,usr}", 64), vec!["/etc", "/usr"]);
        assert_eq!(brace_expand("{rm,-rf,/}", 64), vec!["rm", "-rf", "/"]);
        assert_eq!(brace_expand("f{1..3}", 64), vec!["f1", "f2", "f3"]);
        assert_eq!(brace_expand("plain", 64), vec!["plain"]);
        assert_eq!(brace_expand("{x}", 64), vec!["{x}"]);
    }
}
