//! Word evaluation: quotes, escapes, tildes, braces, variables, positional parameters and
//! command substitutions, the way bash would expand them, as far as that is knowable.
//!
//! Anything only known at run time is marked unresolved, never guessed.

use super::*;

impl Walker<'_> {
    pub(super) fn word_span(&self, w: &ast::Word, f: &Frame, cm: &CharMap) -> Span {
        match &w.loc {
            Some(loc) => f.map(cm.byte(loc.start.index), cm.byte(loc.end.index)),
            None => f.fallback,
        }
    }

    /// Evaluates a word into the arguments it becomes (brace expansion may give several).
    pub(super) fn eval_word(&mut self, w: &ast::Word, f: &Frame, cm: &CharMap) -> Vec<Arg> {
        let span = self.word_span(w, f, cm);
        // `"$@"` and `"${arr[@]}"` become one word per element.
        let bare = w.value.trim_matches('"');
        if bare == "$@" || bare == "${@}" || (bare.starts_with("${") && bare.ends_with("[@]}")) {
            let name = if bare.contains('[') {
                bare[2..bare.len() - 4].to_owned()
            } else {
                "@".to_owned()
            };
            if let Some(v) = self.var(&name) {
                return v
                    .text
                    .split_whitespace()
                    .map(|t| Arg {
                        text: t.to_owned(),
                        span,
                        resolved: v.resolved,
                    })
                    .collect();
            }
        }
        brace_expand(&w.value, self.limits.max_brace_words)
            .into_iter()
            .map(|raw| {
                let v = match parse_word(&raw) {
                    Some(pieces) => self.eval_pieces(&pieces, span, f),
                    None => Value {
                        text: raw.clone(),
                        resolved: false,
                    },
                };
                Arg {
                    text: v.text,
                    span,
                    resolved: v.resolved,
                }
            })
            .collect()
    }

    /// Evaluates a word into one value (assignments, here-strings: no brace expansion).
    pub(super) fn eval_joined(&mut self, w: &ast::Word, f: &Frame, cm: &CharMap) -> Value {
        let span = self.word_span(w, f, cm);
        match parse_word(&w.value) {
            Some(pieces) => self.eval_pieces(&pieces, span, f),
            None => Value {
                text: w.value.clone(),
                resolved: false,
            },
        }
    }

    pub(super) fn eval_pieces(
        &mut self,
        pieces: &[WordPieceWithSource],
        span: Span,
        f: &Frame,
    ) -> Value {
        let mut text = String::new();
        let mut resolved = true;
        for p in pieces {
            match &p.piece {
                WordPiece::Text(t) | WordPiece::SingleQuotedText(t) => text.push_str(t),
                WordPiece::AnsiCQuotedText(t) => text.push_str(&decode_escapes(t)),
                WordPiece::DoubleQuotedSequence(inner)
                | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    let v = self.eval_pieces(inner, span, f);
                    resolved &= v.resolved;
                    text.push_str(&v.text);
                }
                WordPiece::TildeExpansion(t) => match t {
                    TildeExpr::Home => {
                        text.push_str(&self.var("HOME").map_or("~".into(), |v| v.text))
                    }
                    TildeExpr::UserHome(u) if u == "root" => text.push_str("/root"),
                    TildeExpr::UserHome(u) => text.push_str(&format!("/home/{u}")),
                    TildeExpr::WorkingDir => text.push('.'),
                    TildeExpr::OldWorkingDir => text.push_str(".."),
                    _ => {
                        text.push('~');
                        resolved = false;
                    }
                },
                WordPiece::ParameterExpansion(expr) => {
                    let v = self.parameter(expr);
                    resolved &= v.resolved;
                    text.push_str(&v.text);
                }
                WordPiece::CommandSubstitution(src)
                | WordPiece::BackquotedCommandSubstitution(src) => {
                    // `$(<file)` is the file's content.
                    let from_file = src.trim().strip_prefix('<').map(|p| p.trim().to_owned());
                    let out = match from_file {
                        Some(path) if !path.contains(char::is_whitespace) => self
                            .file_content(&path)
                            .unwrap_or_else(|| Stdin::Unknown(format!("the file `{path}`"))),
                        _ => self.nested(src, span, f, "command substitution".into()),
                    };
                    match out {
                        Stdin::Known(s) => text.push_str(s.trim_end_matches('\n')),
                        // `eval "$(direnv hook bash)"`: code a known tool prints for this purpose.
                        Stdin::Unknown(_) if self.rules.is_trusted_code_producer(src) => {}
                        _ => {
                            text.push_str(&format!("$({src})"));
                            resolved = false;
                        }
                    }
                }
                WordPiece::EscapeSequence(s) => {
                    let rest = s.strip_prefix('\\').unwrap_or(s);
                    if rest != "\n" {
                        text.push_str(rest);
                    }
                }
                WordPiece::ArithmeticExpression(e) => {
                    self.text_substitutions(&e.value, f);
                    text.push('0');
                    resolved = false;
                }
            }
        }
        Value { text, resolved }
    }

    pub(super) fn var(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }

    pub(super) fn parameter(&mut self, expr: &ParameterExpr) -> Value {
        let unknown = |name: &str| Value {
            text: format!("${name}"),
            resolved: false,
        };
        let named = |p: &Parameter| match p {
            Parameter::Named(n) => Some(n.clone()),
            Parameter::NamedWithAllIndices { name, .. } => Some(name.clone()),
            Parameter::NamedWithIndex { name, .. } => Some(name.clone()),
            other => Some(other.to_string().trim_start_matches('$').to_owned()),
        };
        match expr {
            ParameterExpr::Parameter {
                parameter,
                indirect: false,
            } => match named(parameter) {
                Some(n) => self.var(&n).unwrap_or_else(|| unknown(&n)),
                None => unknown(&parameter.to_string()),
            },
            ParameterExpr::IndicateErrorIfNullOrUnset {
                parameter,
                indirect: false,
                ..
            } => {
                // `${HOME:?}`: the value, or the command does not run at all.
                match named(parameter) {
                    Some(n) => self.var(&n).unwrap_or_else(|| unknown(&n)),
                    None => unknown(&parameter.to_string()),
                }
            }
            ParameterExpr::UseDefaultValues {
                parameter,
                default_value,
                indirect: false,
                ..
            }
            | ParameterExpr::AssignDefaultValues {
                parameter,
                default_value,
                indirect: false,
                ..
            } => {
                match named(parameter).and_then(|n| self.var(&n)) {
                    Some(v) => v,
                    // Unset: the default is what runs, unless the environment sets it.
                    None => Value {
                        text: default_value.clone().unwrap_or_default(),
                        resolved: false,
                    },
                }
            }
            other => unknown(
                &format!("{{{other:?}}}")
                    .chars()
                    .take(40)
                    .collect::<String>(),
            ),
        }
    }

    /// Finds and walks command substitutions inside free text (arithmetic expressions).
    pub(super) fn text_substitutions(&mut self, text: &str, f: &Frame) {
        if !text.contains("$(") && !text.contains('`') {
            return;
        }
        if let Some(pieces) = parse_word(&format!("\"{text}\"")) {
            self.eval_pieces(&pieces, f.fallback, f);
        }
    }

    // ----- commands ------------------------------------------------------------------------

    /// `$1`… `$9`, `$@`, `$*` and `$#` from an argument list.
    pub(super) fn set_positionals(&mut self, args: &[Arg]) {
        for (i, a) in args.iter().enumerate().take(9) {
            self.vars.insert(
                (i + 1).to_string(),
                Value {
                    text: a.text.clone(),
                    resolved: a.resolved,
                },
            );
        }
        let all = Value {
            text: args
                .iter()
                .map(|a| a.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            resolved: args.iter().all(|a| a.resolved),
        };
        self.vars.insert("@".into(), all.clone());
        self.vars.insert("*".into(), all);
        self.vars.insert(
            "#".into(),
            Value {
                text: args.len().to_string(),
                resolved: true,
            },
        );
    }
}
