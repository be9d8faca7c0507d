//! The walker: parses shell source, follows every command that would run (through wrappers,
//! nested shells, substitutions, decodings, functions and aliases) and judges each one.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;

use blastwall_core::{
    Action, BlastRadius, Context, Decision, Effect, Finding, Language, Registry, Resource, Scope,
    Span,
};
use blastwall_rules::{Arg, Invocation, PathClass, RuleSet, WrapperMode, WrapperSpec, positionals};
use brush_parser::ast::{
    self, AndOr, Command, CommandPrefixOrSuffixItem, CompoundCommand, CompoundList,
    IoFileRedirectKind, IoFileRedirectTarget, IoRedirect, Pipeline, SimpleCommand,
};
use brush_parser::word::{Parameter, ParameterExpr, TildeExpr, WordPiece, WordPieceWithSource};

use crate::code::{self, Found};
use crate::producers;
use crate::words::{CharMap, brace_expand, decode_escapes, parse_heredoc_body, parse_word};

mod dispatch;
mod expand;
mod judge;
mod requests;
mod simple;

pub(crate) use judge::internal_error;
use simple::is_autorun_path;

/// Bounds that keep classification fast and finite on hostile input. Past any of them the input
/// is `ask`, with a reason naming the bound.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest input, in bytes, that is parsed at all.
    pub max_input: usize,
    /// Deepest nesting of shells, substitutions, decodings and function calls.
    pub max_depth: usize,
    /// Most commands judged for one input.
    pub max_commands: usize,
    /// Deepest bracket nesting (`$(`, `(`, `{`, backticks) handed to the parser.
    pub max_brackets: usize,
    /// Most words one brace expansion may produce.
    pub max_brace_words: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input: 256 * 1024,
            max_depth: 12,
            max_commands: 4096,
            max_brackets: 16,
            max_brace_words: 64,
        }
    }
}

/// Where a piece of source sits in the door's input.
#[derive(Clone, Debug)]
struct Frame {
    /// Byte offset of this source in the root input, when it appears there verbatim.
    base: Option<usize>,
    /// The root span to report when `base` is unknown (the word the source came from).
    fallback: Span,
    depth: usize,
    via: Vec<String>,
    /// Extra environment hints inherited from the wrapper (`ssh prod-db '…'`).
    hints: Vec<String>,
}

impl Frame {
    fn map(&self, start: usize, end: usize) -> Span {
        match self.base {
            Some(b) => Span::new(b + start, b + end),
            None => self.fallback,
        }
    }
}

/// Standard input of a command: the terminal, text known before it runs, or unknowable output.
#[derive(Clone, Debug)]
enum Stdin {
    Terminal,
    Known(String),
    /// Output of something that cannot be known; the text names the producer.
    Unknown(String),
}

#[derive(Clone, Debug)]
struct Value {
    text: String,
    resolved: bool,
}

pub(crate) fn classify(
    rules: &RuleSet,
    limits: &Limits,
    input: &str,
    ctx: &Context,
    registry: &Registry,
) -> Vec<Action> {
    let mut vars: HashMap<String, Value> = HashMap::new();
    for (k, v) in [
        ("HOME", "~"),
        ("TMPDIR", "/tmp"),
        ("PWD", "."),
        ("OLDPWD", ".."),
        ("IFS", " "),
    ] {
        vars.insert(
            k.into(),
            Value {
                text: v.into(),
                resolved: true,
            },
        );
    }
    for (k, v) in &ctx.vars {
        vars.insert(
            k.clone(),
            Value {
                text: v.clone(),
                resolved: true,
            },
        );
    }
    let mut w = Walker {
        rules,
        limits,
        ctx,
        registry,
        root: input,
        vars,
        functions: HashMap::new(),
        aliases: HashMap::new(),
        cwd: ctx.cwd.clone(),
        actions: Vec::new(),
        commands: 0,
        budget_reported: false,
        calling: Vec::new(),
        files: HashMap::new(),
        git_aliases: HashMap::new(),
        npm_scripts: HashMap::new(),
        pending_writes: Vec::new(),
    };
    let frame = Frame {
        base: Some(0),
        fallback: Span::new(0, input.len()),
        depth: 0,
        via: Vec::new(),
        hints: Vec::new(),
    };
    w.source(input, &frame);
    w.actions
}

struct Walker<'a> {
    rules: &'a RuleSet,
    limits: &'a Limits,
    ctx: &'a Context,
    registry: &'a Registry,
    root: &'a str,
    vars: HashMap<String, Value>,
    functions: HashMap<String, CompoundCommand>,
    aliases: HashMap<String, String>,
    cwd: Option<String>,
    actions: Vec<Action>,
    commands: usize,
    budget_reported: bool,
    calling: Vec<String>,
    /// Files written earlier in the same input (`echo … > x.sh`, `curl -o x.sh`), with what they
    /// hold when that is knowable: running them later runs that.
    files: HashMap<String, Stdin>,
    /// `git config alias.NAME 'body'` earlier in the same input.
    git_aliases: HashMap<String, String>,
    /// `npm pkg set scripts.NAME='body'` earlier in the same input.
    npm_scripts: HashMap<String, String>,
    /// Output redirections of the command being walked (path, and whether `>` truncates it
    /// rather than `>>` appending), recorded once its output is known.
    pending_writes: Vec<(String, bool)>,
}

impl Walker<'_> {
    /// Walks shell source; returns the standard output of its last pipeline when knowable.
    fn source(&mut self, src: &str, frame: &Frame) -> Stdin {
        if src.len() > self.limits.max_input {
            self.fail(
                "shell.too-large",
                &format!(
                    "the command is {} bytes, more than the {} bytes blastwall parses: too large to judge",
                    src.len(),
                    self.limits.max_input
                ),
                frame.map(0, src.len()),
                frame,
            );
            return Stdin::Unknown("an oversized command".into());
        }
        if frame.depth > self.limits.max_depth {
            self.fail(
                "shell.too-deep",
                &format!("commands nested more than {} levels deep (shells in shells, substitutions, decodings)", self.limits.max_depth),
                frame.map(0, src.len()),
                frame,
            );
            return Stdin::Unknown("deeply nested code".into());
        }
        if bracket_depth(src) > self.limits.max_brackets {
            self.fail(
                "shell.too-deep",
                &format!(
                    "brackets nested more than {} levels deep: too complex to judge",
                    self.limits.max_brackets
                ),
                frame.map(0, src.len()),
                frame,
            );
            return Stdin::Unknown("deeply nested code".into());
        }
        if has_oversized_descriptor(src) {
            // The parser panics on descriptor numbers beyond i32 (`&111111111111>`); bash
            // rejects them too.
            self.fail(
                "shell.unparseable",
                "a redirection names a file descriptor number too large to exist; blastwall cannot tell what it would run",
                frame.map(0, src.len()),
                frame,
            );
            return Stdin::Unknown("unparseable code".into());
        }
        let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut parser = brush_parser::Parser::new(
                std::io::BufReader::new(src.as_bytes()),
                &brush_parser::ParserOptions::default(),
            );
            parser.parse_program()
        }));
        let program = match parsed {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                self.fail(
                    "shell.unparseable",
                    &format!("the command is not valid shell ({e}); blastwall cannot tell what it would run"),
                    frame.map(0, src.len()),
                    frame,
                );
                return Stdin::Unknown("unparseable code".into());
            }
            Err(_) => {
                self.fail(
                    "shell.unparseable",
                    "the shell parser failed on this input; blastwall cannot tell what it would run",
                    frame.map(0, src.len()),
                    frame,
                );
                return Stdin::Unknown("unparseable code".into());
            }
        };
        let cm = CharMap::new(src);
        let mut out = Stdin::Terminal;
        for cc in &program.complete_commands {
            out = self.list(cc, frame, &cm);
        }
        out
    }

    /// Walks source found inside a word of the current source (`bash -c '…'`, `$(…)`).
    fn nested(&mut self, src: &str, at: Span, parent: &Frame, via: String) -> Stdin {
        let base = self
            .root
            .get(at.start..at.end)
            .and_then(|s| s.find(src))
            .map(|i| at.start + i);
        let base = base.filter(|b| self.root.get(*b..b + src.len()) == Some(src));
        let mut frame = parent.clone();
        frame.base = base;
        frame.fallback = at;
        frame.depth += 1;
        frame.via.push(via);
        self.source(src, &frame)
    }

    fn list(&mut self, list: &CompoundList, f: &Frame, cm: &CharMap) -> Stdin {
        let mut out = Stdin::Terminal;
        for item in &list.0 {
            out = self.and_or(&item.0, f, cm);
        }
        out
    }

    fn and_or(&mut self, ao: &ast::AndOrList, f: &Frame, cm: &CharMap) -> Stdin {
        let mut out = self.pipeline(&ao.first, f, cm);
        for next in &ao.additional {
            let (AndOr::And(p) | AndOr::Or(p)) = next;
            out = self.pipeline(p, f, cm);
        }
        out
    }

    fn pipeline(&mut self, p: &Pipeline, f: &Frame, cm: &CharMap) -> Stdin {
        let mut stdin = Stdin::Terminal;
        for (i, cmd) in p.seq.iter().enumerate() {
            let before = self.actions.len();
            stdin = self.command(cmd, stdin, f, cm);
            // `env | sort | grep ^LC_`: stages that only reorder or page lines pass them on.
            let next = p.seq[i + 1..].iter().find(|c| !is_pass_through(c));
            if let Some(filter) = next.and_then(narrowing_filter) {
                self.secrets_filtered_out(before, &filter);
            }
            // `history | grep -i token`: the shell history searched for the secrets typed into it.
            if is_history(cmd)
                && let Some(search) = next.and_then(secret_search)
            {
                self.fail_with(
                    "cred.history-search",
                    &format!("searches the shell history for secrets typed into it (`{search}`)"),
                    f.fallback,
                    f,
                    Effect::Read,
                );
            }
        }
        stdin
    }

    /// `cat ~/.kube/config | grep current-context`: a secret read whose output only reaches a
    /// filter that keeps lines naming no secret (or drops the ones that do) shows no secret.
    fn secrets_filtered_out(&mut self, from: usize, filter: &str) {
        for action in &mut self.actions[from..] {
            let rule = action.finding.rule.as_str();
            let prints_secret =
                rule.starts_with("fs.read.credentials") || rule.starts_with("cred.");
            if prints_secret
                && action.effect == Effect::Read
                && action.finding.decision == Decision::Ask
            {
                action.finding.decision = Decision::Allow;
                action.finding.reason = format!(
                    "{}; allowed because only what `{filter}` keeps is shown, and it keeps no secret",
                    action.finding.reason
                );
            }
        }
    }

    fn command(&mut self, cmd: &Command, stdin: Stdin, f: &Frame, cm: &CharMap) -> Stdin {
        match cmd {
            Command::Simple(sc) => self.simple(sc, stdin, f, cm),
            Command::Compound(cc, redirects) => {
                let mut stdin = stdin;
                let outer = std::mem::take(&mut self.pending_writes);
                if let Some(r) = redirects {
                    for redirect in &r.0 {
                        if let Some(s) = self.redirect(redirect, f, cm) {
                            stdin = s;
                        }
                    }
                }
                let writes = std::mem::replace(&mut self.pending_writes, outer);
                let out = self.compound(cc, stdin, f, cm);
                self.record_writes(writes, out, f)
            }
            Command::Function(def) => {
                self.functions
                    .insert(def.fname.value.clone(), def.body.0.clone());
                Stdin::Terminal
            }
            Command::ExtendedTest(test, _) => {
                self.extended_test(&test.expr, f, cm);
                Stdin::Unknown("a test".into())
            }
        }
    }

    fn extended_test(&mut self, e: &ast::ExtendedTestExpr, f: &Frame, cm: &CharMap) {
        use ast::ExtendedTestExpr as E;
        match e {
            E::And(a, b) | E::Or(a, b) => {
                self.extended_test(a, f, cm);
                self.extended_test(b, f, cm);
            }
            E::Not(a) | E::Parenthesized(a) => self.extended_test(a, f, cm),
            E::UnaryTest(_, w) => {
                self.eval_word(w, f, cm);
            }
            E::BinaryTest(_, a, b) => {
                self.eval_word(a, f, cm);
                self.eval_word(b, f, cm);
            }
        }
    }

    fn compound(&mut self, cc: &CompoundCommand, stdin: Stdin, f: &Frame, cm: &CharMap) -> Stdin {
        match cc {
            CompoundCommand::BraceGroup(g) => self.list_with_stdin(&g.list, stdin, f, cm),
            CompoundCommand::Subshell(s) => self.list_with_stdin(&s.list, stdin, f, cm),
            CompoundCommand::ForClause(fc) => {
                let values: Vec<Arg> = match &fc.values {
                    Some(words) => words
                        .iter()
                        .flat_map(|w| self.eval_word(w, f, cm))
                        .collect(),
                    None => vec![Arg {
                        text: "$@".into(),
                        span: Span::default(),
                        resolved: false,
                    }],
                };
                let mut out = Stdin::Terminal;
                // Judge the body once per value (bounded), so `for d in /etc /usr; do rm -rf $d` is seen.
                for v in values.iter().take(8) {
                    self.vars.insert(
                        fc.variable_name.clone(),
                        Value {
                            text: v.text.clone(),
                            resolved: v.resolved,
                        },
                    );
                    out = self.list(&fc.body.list, f, cm);
                }
                if values.is_empty() {
                    out = self.list(&fc.body.list, f, cm);
                }
                out
            }
            CompoundCommand::ArithmeticForClause(afc) => self.list(&afc.body.list, f, cm),
            CompoundCommand::CaseClause(cc) => {
                self.eval_word(&cc.value, f, cm);
                let mut out = Stdin::Terminal;
                for item in &cc.cases {
                    if let Some(list) = &item.cmd {
                        out = self.list(list, f, cm);
                    }
                }
                out
            }
            CompoundCommand::IfClause(ic) => {
                self.list(&ic.condition, f, cm);
                let mut out = self.list(&ic.then, f, cm);
                for e in ic.elses.iter().flatten() {
                    if let Some(c) = &e.condition {
                        self.list(c, f, cm);
                    }
                    out = self.list(&e.body, f, cm);
                }
                out
            }
            CompoundCommand::WhileClause(wc) | CompoundCommand::UntilClause(wc) => {
                self.list(&wc.0, f, cm);
                self.list(&wc.1.list, f, cm)
            }
            CompoundCommand::Arithmetic(a) => {
                self.text_substitutions(&a.expr.value, f);
                let span = f.map(cm.byte(a.loc.start.index), cm.byte(a.loc.end.index));
                let raw = self.root.get(span.start..span.end).unwrap_or("");
                let spaced = raw
                    .strip_prefix('(')
                    .is_some_and(|r| r.starts_with(char::is_whitespace));
                if spaced || f.base.is_none() || a.expr.value.contains(')') {
                    // `( ( rm -rf /etc ) )` reads as arithmetic to the parser; bash falls back to
                    // nested subshells, so judge the text as commands too.
                    return self.nested(&a.expr.value.clone(), span, f, "subshell".into());
                }
                Stdin::Terminal
            }
            CompoundCommand::Coprocess(c) => self.command(&c.body, Stdin::Terminal, f, cm),
        }
    }

    /// A group whose standard input is known (`echo 'rm -rf /' | { sh; }`): the first command
    /// reads it.
    fn list_with_stdin(
        &mut self,
        list: &CompoundList,
        stdin: Stdin,
        f: &Frame,
        cm: &CharMap,
    ) -> Stdin {
        let mut out = Stdin::Terminal;
        let mut stdin = Some(stdin);
        for item in &list.0 {
            let ao = &item.0;
            let first_in = stdin.take().unwrap_or(Stdin::Terminal);
            let mut s = first_in;
            for cmd in &ao.first.seq {
                s = self.command(cmd, s, f, cm);
            }
            out = s;
            for next in &ao.additional {
                let (AndOr::And(p) | AndOr::Or(p)) = next;
                out = self.pipeline(p, f, cm);
            }
        }
        out
    }

    // ----- simple commands --------------------------------------------------------------------

    fn compound_fn(&mut self, body: &CompoundCommand, stdin: Stdin, f: &Frame) -> Stdin {
        // The body's positions belong to the source that defined it, not to the caller's: the
        // caller's frame (base unset) reports the call site instead.
        let cm = CharMap::new("");
        self.compound(body, stdin, f, &cm)
    }
}

/// Does a run of ten or more digits stand right before a redirection operator?
fn has_oversized_descriptor(src: &str) -> bool {
    let b = src.as_bytes();
    let mut run = 0usize;
    for &c in b {
        if c.is_ascii_digit() {
            run += 1;
        } else {
            if run >= 10 && (c == b'<' || c == b'>') {
                return true;
            }
            run = 0;
        }
    }
    false
}

/// The deepest bracket nesting, ignoring quotes roughly; a cheap guard before the parser.
fn bracket_depth(src: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut in_single, mut in_backticks, mut escaped) = (false, false, false);
    for c in src.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        if in_single {
            in_single = c != '\'';
            continue;
        }
        let opens = match c {
            '\\' => {
                escaped = true;
                continue;
            }
            '\'' => {
                in_single = true;
                continue;
            }
            '(' | '{' => true,
            ')' | '}' => false,
            '`' => {
                in_backticks = !in_backticks;
                in_backticks
            }
            _ => continue,
        };
        if opens {
            depth += 1;
            max = max.max(depth);
        } else {
            depth = depth.saturating_sub(1);
        }
    }
    max
}

/// `history` or `fc -l`.
fn is_history(cmd: &Command) -> bool {
    let Command::Simple(sc) = cmd else {
        return false;
    };
    sc.word_or_name
        .as_ref()
        .is_some_and(|w| matches!(w.value.as_str(), "history" | "fc"))
}

/// A `grep` that keeps the lines naming a secret (`grep -i -E 'token|password'`).
fn secret_search(cmd: &Command) -> Option<String> {
    let (name, words) = stage_words(cmd)?;
    if !matches!(name, "grep" | "egrep" | "fgrep" | "rg") {
        return None;
    }
    let names_secret = words
        .iter()
        .filter(|w| !w.starts_with('-'))
        .any(|p| names_a_secret(p));
    (!is_inverted(&words) && names_secret).then(|| format!("{name} {}", words.join(" ")))
}

/// A pipeline stage as written: its program and its words, quotes removed.
fn stage_words(cmd: &Command) -> Option<(&str, Vec<String>)> {
    let Command::Simple(sc) = cmd else {
        return None;
    };
    let name = sc.word_or_name.as_ref()?.value.as_str();
    let words = sc
        .suffix
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|i| match i {
            CommandPrefixOrSuffixItem::Word(w) => Some(w.value.replace(['\'', '"'], "")),
            _ => None,
        })
        .collect();
    Some((name, words))
}

/// `grep -v`, `-iv`, `--invert-match`: the lines that do not match are kept.
fn is_inverted(words: &[String]) -> bool {
    words.iter().any(|w| {
        w == "--invert-match" || (w.starts_with('-') && !w.starts_with("--") && w.contains('v'))
    })
}

/// Does a filter pattern name a secret (`token`, `_authToken`, `PASSWORD`)?
fn names_a_secret(pattern: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|s| p.contains(s))
}

/// A stage that shows every line it reads, only reordered or paged (`sort`, `uniq`, `less`).
fn is_pass_through(cmd: &Command) -> bool {
    let Command::Simple(sc) = cmd else {
        return false;
    };
    sc.word_or_name.as_ref().is_some_and(|w| {
        matches!(
            w.value.as_str(),
            "sort" | "uniq" | "cat" | "less" | "more" | "column" | "nl" | "tac"
        )
    })
}

/// Words that name a secret in a filter's pattern (`grep -i token`, `grep -v _authToken`).
const SECRET_WORDS: &[&str] = &[
    "key",
    "token",
    "secret",
    "pass",
    "pwd",
    "auth",
    "cred",
    "private",
    "session",
    "cookie",
    "bearer",
    "dsn",
    "database_url",
    "aws_",
    "api",
    "cert",
    "sig",
    "salt",
    "otp",
];

/// A pipeline stage that shows only some lines of what it reads, none of them secret: `grep
/// PATTERN` whose pattern names no secret, `grep -v PATTERN` whose pattern does, `wc`, `jq keys`.
/// Returns the stage as written, for the reason.
fn narrowing_filter(cmd: &Command) -> Option<String> {
    let (name, words) = stage_words(cmd)?;
    let shown = format!("{name} {}", words.join(" "));
    match name {
        "wc" => Some(shown),
        "jq" | "yq" => {
            let filter = words.iter().find(|w| !w.starts_with('-'))?;
            matches!(
                filter.trim(),
                "keys" | "keys[]" | "length" | "keys_unsorted" | ". | keys"
            )
            .then_some(shown)
        }
        "grep" | "egrep" | "fgrep" | "rg" => {
            let flags: Vec<&String> = words.iter().filter(|w| w.starts_with('-')).collect();
            let inverted = is_inverted(&words);
            // Counting or listing only names shows no content either.
            let counts = flags.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "-c" | "--count" | "-l" | "-q" | "--quiet" | "-L"
                )
            });
            let mut patterns: Vec<&String> = words
                .windows(2)
                .filter(|w| matches!(w[0].as_str(), "-e" | "--regexp"))
                .map(|w| &w[1])
                .collect();
            if patterns.is_empty() {
                patterns.extend(words.iter().find(|w| !w.starts_with('-')));
            }
            if patterns.is_empty() {
                return None;
            }
            // A pattern that matches every line keeps the secrets too.
            let names_secret = patterns
                .iter()
                .any(|p| matches!(p.as_str(), "" | "^" | "." | ".*" | "=") || names_a_secret(p));
            (counts || inverted == names_secret).then_some(shown)
        }
        _ => None,
    }
}
