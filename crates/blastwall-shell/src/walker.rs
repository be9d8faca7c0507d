//! The walker: parses shell source, follows every command that would run (through wrappers,
//! nested shells, substitutions, decodings, functions and aliases) and judges each one.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;

use blastwall_core::{
    Action, BlastRadius, Context, Decision, Effect, Finding, Language, Registry, Resource, Scope,
    Span,
};
use blastwall_rules::{Arg, Invocation, RuleSet, WrapperMode, WrapperSpec, positionals};
use brush_parser::ast::{
    self, AndOr, Command, CommandPrefixOrSuffixItem, CompoundCommand, CompoundList,
    IoFileRedirectKind, IoFileRedirectTarget, IoRedirect, Pipeline, SimpleCommand,
};
use brush_parser::word::{Parameter, ParameterExpr, TildeExpr, WordPiece, WordPieceWithSource};

use crate::code::{self, Found};
use crate::producers;
use crate::words::{CharMap, brace_expand, decode_escapes};

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
    /// Output redirections of the command being walked, recorded once its output is known.
    pending_writes: Vec<String>,
}

impl Walker<'_> {
    // ----- sources -------------------------------------------------------------------------

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
        let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut parser = brush_parser::Parser::new(
                std::io::BufReader::new(src.as_bytes()),
                &parser_options(),
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
        for cmd in &p.seq {
            stdin = self.command(cmd, stdin, f, cm);
        }
        stdin
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
                self.record_writes(writes, out)
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

    fn simple(&mut self, sc: &SimpleCommand, stdin: Stdin, f: &Frame, cm: &CharMap) -> Stdin {
        let mut stdin = stdin;
        let mut assignments: Vec<(String, Value)> = Vec::new();
        let mut argv: Vec<Arg> = Vec::new();
        let mut contents: HashMap<usize, Stdin> = HashMap::new();
        let mut items: Vec<&CommandPrefixOrSuffixItem> = Vec::new();
        if let Some(prefix) = &sc.prefix {
            items.extend(prefix.0.iter());
        }
        let name_index = items.len();
        if let Some(suffix) = &sc.suffix {
            items.extend(suffix.0.iter());
        }
        // Alias expansion of the command name.
        if let Some(name) = &sc.word_or_name
            && let Some(value) = self.aliases.get(&name.value).cloned()
            && !self.calling.contains(&name.value)
        {
            let rest: Vec<&str> = sc
                .suffix
                .iter()
                .flat_map(|s| s.0.iter())
                .filter_map(|i| match i {
                    CommandPrefixOrSuffixItem::Word(w) => Some(w.value.as_str()),
                    _ => None,
                })
                .collect();
            let src = format!("{value} {}", rest.join(" "));
            let span = self.word_span(name, f, cm);
            self.calling.push(name.value.clone());
            let out = self.nested(&src, span, f, format!("alias {}", name.value));
            self.calling.pop();
            return out;
        }
        for (i, item) in items.iter().enumerate() {
            if i == name_index
                && let Some(w) = &sc.word_or_name
            {
                argv.extend(self.eval_word(w, f, cm));
            }
            match item {
                CommandPrefixOrSuffixItem::Word(w) => argv.extend(self.eval_word(w, f, cm)),
                CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    let value = match &a.value {
                        ast::AssignmentValue::Scalar(v) => self.eval_joined(v, f, cm),
                        ast::AssignmentValue::Array(items) => {
                            let mut text = Vec::new();
                            let mut resolved = true;
                            for (_, v) in items {
                                let val = self.eval_joined(v, f, cm);
                                resolved &= val.resolved;
                                text.push(val.text);
                            }
                            Value {
                                text: text.join(" "),
                                resolved,
                            }
                        }
                    };
                    let name = match &a.name {
                        ast::AssignmentName::VariableName(n)
                        | ast::AssignmentName::ArrayElementName(n, _) => n.clone(),
                    };
                    if i >= name_index {
                        // `export X=1`: an argument of the builtin; it also sets the variable.
                        let text = format!("{name}={}", value.text);
                        argv.push(Arg {
                            text,
                            span: self.word_span(w, f, cm),
                            resolved: value.resolved,
                        });
                    }
                    assignments.push((name, value));
                }
                CommandPrefixOrSuffixItem::IoRedirect(r) => {
                    if let Some(s) = self.redirect(r, f, cm) {
                        stdin = s;
                    }
                }
                CommandPrefixOrSuffixItem::ProcessSubstitution(_, sub) => {
                    let mut out = self.list(&sub.list, f, cm);
                    // `source <(kubectl completion bash)`: code a known tool prints for this purpose.
                    if matches!(out, Stdin::Unknown(_))
                        && self.rules.is_trusted_code_producer(&sub.list.to_string())
                    {
                        out = Stdin::Known(String::new());
                    }
                    let span = f.map(cm.byte(sub.loc.start.index), cm.byte(sub.loc.end.index));
                    contents.insert(argv.len(), out);
                    argv.push(Arg {
                        text: "/dev/fd/63".into(),
                        span,
                        resolved: true,
                    });
                }
            }
        }
        if sc.word_or_name.is_some() && name_index == items.len() && argv.is_empty() {
            // No suffix: the name was not yet evaluated.
            if let Some(w) = &sc.word_or_name {
                argv.extend(self.eval_word(w, f, cm));
            }
        }
        if argv.is_empty() {
            for (name, value) in assignments {
                self.vars.insert(name, value);
            }
            let writes = std::mem::take(&mut self.pending_writes);
            return self.record_writes(writes, Stdin::Known(String::new()));
        }
        for (name, value) in &assignments {
            if matches!(
                argv[0].text.as_str(),
                "export" | "declare" | "typeset" | "local" | "readonly"
            ) {
                self.vars.insert(name.clone(), value.clone());
            }
        }
        let writes = std::mem::take(&mut self.pending_writes);
        let out = self.run(argv, stdin, contents, f);
        self.record_writes(writes, out)
    }

    /// Files the command's output went to now hold that output; the pipeline gets nothing.
    fn record_writes(&mut self, writes: Vec<String>, out: Stdin) -> Stdin {
        if writes.is_empty() {
            return out;
        }
        for path in writes {
            self.files.insert(path, out.clone());
        }
        Stdin::Terminal
    }

    /// Judges an output redirection; returns the new standard input for input redirections.
    fn redirect(&mut self, r: &IoRedirect, f: &Frame, cm: &CharMap) -> Option<Stdin> {
        match r {
            IoRedirect::File(_, kind, target) => match target {
                IoFileRedirectTarget::Filename(w) => {
                    let pseudo = match kind {
                        IoFileRedirectKind::Write
                        | IoFileRedirectKind::Clobber
                        | IoFileRedirectKind::ReadAndWrite => ">",
                        IoFileRedirectKind::Append => ">>",
                        // `>& /dev/tcp/host/port`: a file name, not a descriptor number.
                        IoFileRedirectKind::DuplicateOutput
                            if !w.value.chars().all(|c| c.is_ascii_digit() || c == '-') =>
                        {
                            ">"
                        }
                        IoFileRedirectKind::Read => {
                            let args = self.eval_word(w, f, cm);
                            let span = self.word_span(w, f, cm);
                            let known = args.first().and_then(|a| self.files.get(&a.text).cloned());
                            let name = args.first().map_or(String::new(), |a| a.text.clone());
                            // Reading a file is judged too: `nc host < ~/.aws/credentials`.
                            self.judge(
                                Invocation {
                                    program: "<".into(),
                                    program_span: span,
                                    args,
                                },
                                f,
                            );
                            return Some(
                                known.unwrap_or(Stdin::Unknown(format!("the file `{name}`"))),
                            );
                        }
                        _ => return None,
                    };
                    let args = self.eval_word(w, f, cm);
                    let span = self.word_span(w, f, cm);
                    self.pending_writes
                        .extend(args.iter().filter(|a| a.resolved).map(|a| a.text.clone()));
                    if args.iter().all(|a| {
                        a.resolved
                            && matches!(
                                a.text.as_str(),
                                "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/tty"
                            )
                    }) {
                        return None;
                    }
                    let inv = Invocation {
                        program: pseudo.into(),
                        program_span: span,
                        args,
                    };
                    self.judge(inv, f);
                    None
                }
                IoFileRedirectTarget::ProcessSubstitution(_, sub) => {
                    let out = self.list(&sub.list, f, cm);
                    Some(out)
                }
                // `>& /dev/tcp/host/port`: a file name where a descriptor number usually stands.
                IoFileRedirectTarget::Duplicate(w)
                    if !w.value.chars().all(|c| c.is_ascii_digit() || c == '-') =>
                {
                    let args = self.eval_word(w, f, cm);
                    let span = self.word_span(w, f, cm);
                    self.judge(
                        Invocation {
                            program: ">".into(),
                            program_span: span,
                            args,
                        },
                        f,
                    );
                    None
                }
                _ => None,
            },
            IoRedirect::HereDocument(_, doc) => {
                let text = if doc.requires_expansion {
                    let opts = parser_options();
                    match brush_parser::word::parse_heredoc(&doc.doc.value, &opts) {
                        Ok(pieces) => {
                            let span = self.word_span(&doc.doc, f, cm);
                            let v = self.eval_pieces(&pieces, span, f);
                            v.text
                        }
                        Err(_) => doc.doc.value.clone(),
                    }
                } else {
                    doc.doc.value.clone()
                };
                Some(Stdin::Known(text))
            }
            IoRedirect::HereString(_, w) => {
                let v = self.eval_joined(w, f, cm);
                Some(if v.resolved {
                    Stdin::Known(v.text + "\n")
                } else {
                    Stdin::Unknown(format!("`{}`", w.value))
                })
            }
            IoRedirect::OutputAndError(w, append) => {
                let args = self.eval_word(w, f, cm);
                if args.iter().all(|a| a.resolved && a.text == "/dev/null") {
                    return None;
                }
                let span = self.word_span(w, f, cm);
                let pseudo = if *append { ">>" } else { ">" };
                self.judge(
                    Invocation {
                        program: pseudo.into(),
                        program_span: span,
                        args,
                    },
                    f,
                );
                None
            }
        }
    }

    // ----- words ---------------------------------------------------------------------------

    fn word_span(&self, w: &ast::Word, f: &Frame, cm: &CharMap) -> Span {
        match &w.loc {
            Some(loc) => f.map(cm.byte(loc.start.index), cm.byte(loc.end.index)),
            None => f.fallback,
        }
    }

    /// Evaluates a word into the arguments it becomes (brace expansion may give several).
    fn eval_word(&mut self, w: &ast::Word, f: &Frame, cm: &CharMap) -> Vec<Arg> {
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
        let opts = parser_options();
        brace_expand(&w.value, self.limits.max_brace_words)
            .into_iter()
            .map(|raw| {
                let v = match brush_parser::word::parse(&raw, &opts) {
                    Ok(pieces) => self.eval_pieces(&pieces, span, f),
                    Err(_) => Value {
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
    fn eval_joined(&mut self, w: &ast::Word, f: &Frame, cm: &CharMap) -> Value {
        let span = self.word_span(w, f, cm);
        match brush_parser::word::parse(&w.value, &parser_options()) {
            Ok(pieces) => self.eval_pieces(&pieces, span, f),
            Err(_) => Value {
                text: w.value.clone(),
                resolved: false,
            },
        }
    }

    fn eval_pieces(&mut self, pieces: &[WordPieceWithSource], span: Span, f: &Frame) -> Value {
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
                    let out = self.nested(src, span, f, "command substitution".into());
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

    fn var(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }

    fn parameter(&mut self, expr: &ParameterExpr) -> Value {
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
    fn text_substitutions(&mut self, text: &str, f: &Frame) {
        if !text.contains("$(") && !text.contains('`') {
            return;
        }
        if let Ok(pieces) = brush_parser::word::parse(&format!("\"{text}\""), &parser_options()) {
            self.eval_pieces(&pieces, f.fallback, f);
        }
    }

    // ----- commands ------------------------------------------------------------------------

    fn run(
        &mut self,
        argv: Vec<Arg>,
        stdin: Stdin,
        contents: HashMap<usize, Stdin>,
        f: &Frame,
    ) -> Stdin {
        self.commands += 1;
        if self.commands > self.limits.max_commands {
            if !self.budget_reported {
                self.budget_reported = true;
                let span = argv.first().map_or(f.fallback, |a| a.span);
                self.fail(
                    "shell.too-many-commands",
                    &format!(
                        "more than {} commands in one input: too many to judge",
                        self.limits.max_commands
                    ),
                    span,
                    f,
                );
            }
            return Stdin::Unknown("too many commands".into());
        }
        let Some(first) = argv.first() else {
            return Stdin::Terminal;
        };
        if !first.resolved {
            self.fail(
                "shell.dynamic-command",
                &format!(
                    "the command name `{}` comes from a variable or command output that is only known when it runs",
                    first.text
                ),
                first.span,
                f,
            );
            return Stdin::Unknown(format!("`{}`", first.text));
        }
        // A command name that expanded to several words (`C="rm -rf"; $C ~`, `rm${IFS}-rf${IFS}/`)
        // is word-split the way the shell would.
        let ifs: Vec<char> = self
            .var("IFS")
            .map_or(vec![' ', '\t', '\n'], |v| v.text.chars().collect());
        let is_sep = |c: char| ifs.contains(&c) || c.is_whitespace();
        if first.text.split(is_sep).filter(|w| !w.is_empty()).count() > 1 {
            let mut split: Vec<Arg> = first
                .text
                .split(is_sep)
                .filter(|w| !w.is_empty())
                .map(|w| Arg {
                    text: w.to_owned(),
                    span: first.span,
                    resolved: true,
                })
                .collect();
            split.extend(argv[1..].iter().cloned());
            let contents = contents
                .into_iter()
                .map(|(k, v)| (k + split.len() - 1, v))
                .collect();
            self.commands -= 1;
            return self.run(split, stdin, contents, f);
        }
        let mut program = program_name(&first.text);
        if program.contains(['*', '?'])
            || (program.len() > 2 && program.contains('[') && program.contains(']'))
        {
            // `/bin/r? -rf /`: the shell expands the name; take the known program it can reach.
            match self
                .rules
                .known_programs()
                .find(|k| blastwall_core::glob::matches(&program, k))
            {
                Some(k) => program = k.to_owned(),
                None => {
                    let reason = format!(
                        "the command name `{}` is a wildcard: what runs depends on the files present",
                        first.text
                    );
                    self.fail("shell.dynamic-command", &reason, first.span, f);
                    return Stdin::Unknown(program);
                }
            }
        }
        let args: Vec<Arg> = argv[1..].to_vec();
        let contents: HashMap<usize, Stdin> = contents
            .into_iter()
            .filter(|(k, _)| *k > 0)
            .map(|(k, v)| (k - 1, v))
            .collect();
        let inv = Invocation {
            program: program.clone(),
            program_span: first.span,
            args,
        };

        if self.functions.contains_key(&first.text) && self.calling.contains(&first.text) {
            let reason = format!(
                "the function `{}` calls itself: a fork bomb or runaway recursion",
                first.text
            );
            self.fail("shell.recursive-function", &reason, first.span, f);
            return Stdin::Unknown(first.text.clone());
        }
        // Functions defined earlier in the same input.
        if let Some(body) = self.functions.get(&first.text).cloned()
            && !self.calling.contains(&first.text)
            && f.depth < self.limits.max_depth
        {
            self.calling.push(first.text.clone());
            let mut frame = f.clone();
            frame.depth += 1;
            frame.via.push(format!("function {}", first.text));
            frame.base = None;
            frame.fallback = inv.span();
            let saved: Vec<(String, Option<Value>)> = (1..=inv.args.len().min(9))
                .map(|i| (i.to_string(), self.vars.get(&i.to_string()).cloned()))
                .collect();
            self.set_positionals(&inv.args);
            let out = self.compound_fn(&body, stdin, &frame);
            for (k, v) in saved {
                match v {
                    Some(v) => self.vars.insert(k, v),
                    None => self.vars.remove(&k),
                };
            }
            self.calling.pop();
            return out;
        }

        // A file written or downloaded earlier in the same input runs what it holds.
        if first.text.contains('/')
            && let Some(content) = self.files.get(&first.text).cloned()
        {
            return self.run_file_content(&inv, &first.text, content, f);
        }
        self.note_downloads(&inv);

        match program.as_str() {
            "eval" => {
                let words: Vec<&str> = inv.args.iter().map(|a| a.text.as_str()).collect();
                if inv.args.iter().any(|a| !a.resolved) {
                    self.fail(
                        "shell.dynamic-code",
                        &format!(
                            "`eval` runs `{}`, which is only known when it runs",
                            words.join(" ")
                        ),
                        inv.span(),
                        f,
                    );
                    return Stdin::Unknown("eval".into());
                }
                return self.nested(&words.join(" "), inv.span(), f, "eval".into());
            }
            "source" | "." => return self.source_builtin(&inv, stdin, &contents, f),
            "alias" => {
                for a in &inv.args {
                    if let Some((name, value)) = a.text.split_once('=') {
                        self.aliases.insert(name.to_owned(), value.to_owned());
                    }
                }
                self.judge(inv, f);
                return Stdin::Terminal;
            }
            "cd" | "pushd" => {
                if let Some(dir) = inv.args.iter().find(|a| !a.text.starts_with('-')) {
                    self.cwd = if !dir.resolved {
                        Some("$UNKNOWN".into())
                    } else if dir.text.starts_with(['/', '~']) {
                        Some(dir.text.clone())
                    } else {
                        Some(match &self.cwd {
                            Some(c) => format!("{c}/{}", dir.text),
                            None => dir.text.clone(),
                        })
                    };
                } else {
                    self.cwd = Some("~".into());
                }
                self.judge(inv, f);
                return Stdin::Terminal;
            }
            "set" if inv.args.first().is_some_and(|a| a.text == "--") => {
                let rest = inv.args[1..].to_vec();
                self.set_positionals(&rest);
            }
            "git" => {
                self.note_git_alias(&inv);
                if let Some(out) = self.git_alias(&inv, f) {
                    return out;
                }
            }
            "terraform" | "tofu" | "terragrunt" => {
                // `plan -destroy -out=F` then `apply F`: the saved plan destroys.
                let pos = self.rules.positionals(&inv);
                let sub = pos.first().map(|a| a.text.as_str());
                if sub == Some("plan") && inv.has_flag("-destroy") {
                    for a in &inv.args {
                        if let Some(out) = a.text.strip_prefix("-out=") {
                            self.files
                                .insert(out.to_owned(), Stdin::Unknown("a destroy plan".into()));
                        }
                    }
                } else if sub == Some("apply")
                    && let Some(plan) = pos.get(1)
                    && matches!(self.files.get(&plan.text), Some(Stdin::Unknown(w)) if w == "a destroy plan")
                {
                    let reason = format!(
                        "`{program} apply {}` applies a plan saved with `-destroy`: every resource in it is deleted",
                        plan.text
                    );
                    self.fail("iac.terraform.destroy-plan", &reason, inv.span(), f);
                    return Stdin::Unknown(program);
                }
            }
            "make" | "gmake" => {
                // `… | make -f -`: the recipes read from standard input are shell commands.
                let from_stdin = inv
                    .args
                    .windows(2)
                    .any(|w| w[0].text == "-f" && w[1].text == "-")
                    || inv
                        .args
                        .iter()
                        .any(|a| a.text == "--file=-" || a.text == "-f-");
                if from_stdin && let Stdin::Known(text) = &stdin {
                    let recipes: Vec<&str> =
                        text.lines().filter_map(|l| l.strip_prefix('\t')).collect();
                    let span = inv.span();
                    self.judge(inv, f);
                    return self.nested(&recipes.join("\n"), span, f, "make recipe".into());
                }
            }
            "unset" => {
                for a in &inv.args {
                    self.vars.remove(&a.text);
                }
            }
            "busybox" | "toybox" if !inv.args.is_empty() => {
                return self.run(argv[1..].to_vec(), stdin, HashMap::new(), f);
            }
            _ => {}
        }

        // Clients that read commands on standard input (`echo FLUSHALL | redis-cli`).
        if let Stdin::Known(text) = &stdin
            && self
                .rules
                .program_spec(&program)
                .is_some_and(|p| p.stdin_as_args)
        {
            let mut inv = inv.clone();
            inv.args
                .extend(text.split_whitespace().take(64).map(|w| Arg {
                    text: w.to_owned(),
                    span: inv.program_span,
                    resolved: true,
                }));
            self.judge(inv, f);
            return Stdin::Unknown(format!("`{program}`"));
        }
        if program == "command" && inv.args.iter().any(|a| a.text == "-v" || a.text == "-V") {
            let names: Vec<String> = inv
                .args
                .iter()
                .filter(|a| !a.text.starts_with('-'))
                .map(|a| a.text.clone())
                .collect();
            self.judge(inv, f);
            return producers::stdout_of("which", &names, None)
                .map_or(Stdin::Unknown("command -v".into()), Stdin::Known);
        }
        // A shell given source with its code flag (`bash -c`, `su -c`).
        if let Some(spec) = self.rules.shell_for(&program).cloned() {
            let flag = spec.code_flag.chars().next().unwrap_or('c');
            if let Some(idx) = inv
                .args
                .iter()
                .position(|a| is_short_cluster_with(&a.text, flag))
            {
                return match inv.args.get(idx + 1) {
                    Some(code) if code.resolved => {
                        let via = format!("{program} -{flag}");
                        // `bash -c '…' arg0 arg1`: the words after the code are $0, $1, …
                        let rest: Vec<Arg> = inv.args[idx + 2..].to_vec();
                        let saved = self.vars.clone();
                        if let Some((zero, others)) = rest.split_first() {
                            self.vars.insert(
                                "0".into(),
                                Value {
                                    text: zero.text.clone(),
                                    resolved: zero.resolved,
                                },
                            );
                            self.set_positionals(others);
                        }
                        let out = self.nested(&code.text.clone(), code.span, f, via);
                        if !rest.is_empty() {
                            self.vars = saved;
                        }
                        out
                    }
                    Some(code) => {
                        let reason = format!(
                            "`{program} -{flag}` runs `{}`, which is only known when it runs",
                            code.text
                        );
                        self.fail("shell.dynamic-code", &reason, code.span, f);
                        Stdin::Unknown(program)
                    }
                    None => Stdin::Terminal,
                };
            }
        }
        if let Some(spec) = self.wrapper_for(&inv) {
            // The wrapper itself may be what matters (`docker run --privileged`, `ssh -R`).
            if !self.rules.matches(&inv, self.cwd.as_deref()).is_empty() {
                self.judge(inv.clone(), f);
            }
            return self.wrapper(&inv, &spec, stdin, f);
        }
        if self.rules.shell_for(&program).is_some() {
            return self.shell_without_flag(&inv, stdin, &contents, f);
        }
        if let Some(spec) = self.rules.interpreter_for(&program).cloned() {
            if spec.code_positional {
                let code = positionals(&inv.args, &["-f".into(), "-v".into(), "-F".into()])
                    .first()
                    .map(|a| (*a).clone());
                if let Some(code) = code {
                    return self.interpreter_code(
                        &inv,
                        &spec.language,
                        &code.text,
                        code.span,
                        code.resolved,
                        f,
                    );
                }
            }
            return self.interpreter(&inv, &spec.language, &spec.code_flags, stdin, &contents, f);
        }
        if program == "find" {
            self.find(&inv, f);
        }
        if let Some(sql) = embedded_sql(&inv)
            && let Some(actions) = self.registry.classify(Language::Sql, &sql.text, self.ctx)
        {
            // The SQL classifier judges the statement; its spans are relative to the SQL text.
            for mut a in actions {
                a.span = sql.span;
                a.finding.span = sql.span;
                a.depth = f.depth + 1;
                a.via = f
                    .via
                    .iter()
                    .cloned()
                    .chain([format!("{} -c", inv.program)])
                    .collect();
                self.actions.push(a);
            }
            return Stdin::Unknown(format!("`{program}`"));
        }
        let texts: Option<Vec<String>> = inv
            .args
            .iter()
            .map(|a| a.resolved.then(|| a.text.clone()))
            .collect();
        let known_stdin = match &stdin {
            Stdin::Known(s) => Some(s.as_str()),
            _ => None,
        };
        let out = texts
            .and_then(|t| producers::stdout_of(&program, &t, known_stdin))
            .map(Stdin::Known)
            .unwrap_or_else(|| Stdin::Unknown(format!("`{program}`")));
        self.judge(inv, f);
        out
    }

    /// `$1`… `$9`, `$@`, `$*` and `$#` from an argument list.
    fn set_positionals(&mut self, args: &[Arg]) {
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

    /// Runs a file written earlier in the same input: its known content as shell source, or a
    /// fail-closed finding when it was downloaded or produced by something unknowable.
    fn run_file_content(
        &mut self,
        inv: &Invocation,
        path: &str,
        content: Stdin,
        f: &Frame,
    ) -> Stdin {
        match content {
            Stdin::Known(src) => self.nested(&src, inv.span(), f, format!("file {path}")),
            Stdin::Unknown(what) => {
                let reason = format!(
                    "runs `{path}`, which was written by {what} earlier in the same command: its code is only known when it runs"
                );
                self.fail("shell.unknown-code", &reason, inv.span(), f);
                Stdin::Unknown(path.to_owned())
            }
            Stdin::Terminal => Stdin::Unknown(path.to_owned()),
        }
    }

    /// `curl -o FILE`, `wget -O FILE`: FILE now holds something downloaded.
    fn note_downloads(&mut self, inv: &Invocation) {
        let flags: &[&str] = match inv.program.as_str() {
            "curl" => &["-o", "--output"],
            "wget" => &["-O", "--output-document"],
            "aria2c" => &["-o", "--out"],
            "http" | "https" | "xh" => &["-o", "--output"],
            "scp" | "rsync" | "gsutil" | "aws" => {
                if let Some(last) = inv
                    .args
                    .last()
                    .filter(|a| a.resolved && !a.text.starts_with('-'))
                {
                    let what = format!("`{}` (a copy from elsewhere)", inv.program);
                    self.files.insert(last.text.clone(), Stdin::Unknown(what));
                }
                return;
            }
            _ => return,
        };
        for (i, a) in inv.args.iter().enumerate() {
            let value = if flags.contains(&a.text.as_str()) {
                inv.args.get(i + 1).map(|v| v.text.clone())
            } else {
                flags
                    .iter()
                    .find_map(|fl| a.text.strip_prefix(&format!("{fl}=")))
                    .map(str::to_owned)
            };
            if let Some(path) = value {
                self.files.insert(
                    path,
                    Stdin::Unknown(format!("`{}` (downloaded)", inv.program)),
                );
            }
        }
    }

    /// `git config [--global] alias.NAME 'body'`: later `git NAME` runs the body.
    fn note_git_alias(&mut self, inv: &Invocation) {
        let pos = self.rules.positionals(inv);
        if pos.first().is_some_and(|a| a.text == "config")
            && let Some(key) = pos.get(1)
            && let Some(name) = key.text.strip_prefix("alias.")
            && let Some(body) = pos.get(2)
        {
            self.git_aliases.insert(name.to_owned(), body.text.clone());
        }
    }

    /// `git -c alias.x='!rm -rf ~' x`: an alias defined on the command line runs its body.
    fn git_alias(&mut self, inv: &Invocation, f: &Frame) -> Option<Stdin> {
        let pos = self.rules.positionals(inv);
        let sub = pos.first()?;
        let configured = self
            .git_aliases
            .get(&sub.text)
            .map(|b| (b.clone(), inv.span(), true));
        let (body, span, resolved) = configured.or_else(|| {
            inv.args.windows(2).find_map(|w| {
                let v = if w[0].text == "-c" { Some(&w[1]) } else { None }?;
                let (key, body) = v.text.split_once('=')?;
                (key == format!("alias.{}", sub.text))
                    .then(|| (body.to_owned(), v.span, v.resolved))
            })
        })?;
        let sub_index = inv.args.iter().position(|a| std::ptr::eq(a, *sub))?;
        let rest: Vec<&str> = inv.args[sub_index + 1..]
            .iter()
            .map(|a| a.text.as_str())
            .collect();
        if !resolved {
            self.fail(
                "shell.dynamic-code",
                "a git alias defined from a variable",
                span,
                f,
            );
            return Some(Stdin::Unknown("git".into()));
        }
        let via = format!("git alias {}", sub.text);
        Some(match body.strip_prefix('!') {
            Some(shell) => self.nested(&format!("{shell} {}", rest.join(" ")), span, f, via),
            None => self.nested(&format!("git {body} {}", rest.join(" ")), span, f, via),
        })
    }

    fn compound_fn(&mut self, body: &CompoundCommand, stdin: Stdin, f: &Frame) -> Stdin {
        // The body's positions belong to the source that defined it, not to the caller's: the
        // caller's frame (base unset) reports the call site instead.
        let cm = CharMap::new("");
        self.compound(body, stdin, f, &cm)
    }

    fn source_builtin(
        &mut self,
        inv: &Invocation,
        stdin: Stdin,
        contents: &HashMap<usize, Stdin>,
        f: &Frame,
    ) -> Stdin {
        let Some(file) = inv.args.first() else {
            return Stdin::Terminal;
        };
        let content = contents.get(&0).cloned().or(match file.text.as_str() {
            "/dev/stdin" | "-" => Some(stdin),
            _ => None,
        });
        match content {
            Some(Stdin::Known(src)) => {
                self.nested(&src, file.span, f, format!("{} <(…)", inv.program))
            }
            Some(Stdin::Unknown(what)) => {
                let reason = format!(
                    "`{}` runs code produced by {what}, which is only known when it runs",
                    inv.program
                );
                self.fail("shell.unknown-code", &reason, inv.span(), f);
                Stdin::Unknown(inv.program.clone())
            }
            _ => {
                self.judge(inv.clone(), f);
                Stdin::Unknown(inv.program.clone())
            }
        }
    }

    fn shell_without_flag(
        &mut self,
        inv: &Invocation,
        stdin: Stdin,
        contents: &HashMap<usize, Stdin>,
        f: &Frame,
    ) -> Stdin {
        let pos = positionals(&inv.args, &["-o".into(), "-O".into(), "+O".into()]);
        let stdin_only = self
            .rules
            .shell_for(&inv.program)
            .is_some_and(|s| s.stdin_only);
        // `-s`: the script is standard input and the words are its arguments (`curl … | sh -s -- -y`).
        let reads_stdin = stdin_only
            || inv
                .args
                .iter()
                .take_while(|a| a.text != "--")
                .any(|a| a.text == "-s" || is_short_cluster_with(&a.text, 's'));
        let content = match pos.first() {
            _ if reads_stdin => stdin,
            Some(script) => {
                let idx = inv
                    .args
                    .iter()
                    .position(|a| std::ptr::eq(a, *script))
                    .unwrap_or(usize::MAX);
                match contents.get(&idx).or_else(|| self.files.get(&script.text)) {
                    Some(c) => c.clone(),
                    None if script.text == "/dev/stdin" || script.text == "-" => stdin,
                    None if !script.resolved => {
                        Stdin::Unknown(format!("the script `{}`", script.text))
                    }
                    None => {
                        // A script file: its content is not visible here.
                        self.judge(inv.clone(), f);
                        return Stdin::Unknown(inv.program.clone());
                    }
                }
            }
            None if inv.args.iter().any(|a| a.text == "-s") || pos.is_empty() => stdin,
            None => Stdin::Terminal,
        };
        match content {
            Stdin::Known(src) => {
                let via = format!("piped into {}", inv.program);
                self.nested(&src, inv.span(), f, via)
            }
            Stdin::Unknown(what) => {
                let reason = format!(
                    "pipes {what} into `{}`: the code it runs is only known when it runs (for example a script downloaded from the network)",
                    inv.program
                );
                self.fail("shell.unknown-code", &reason, inv.span(), f);
                Stdin::Unknown(inv.program.clone())
            }
            Stdin::Terminal => {
                self.judge(inv.clone(), f);
                Stdin::Unknown(inv.program.clone())
            }
        }
    }

    fn interpreter(
        &mut self,
        inv: &Invocation,
        language: &str,
        code_flags: &[String],
        stdin: Stdin,
        contents: &HashMap<usize, Stdin>,
        f: &Frame,
    ) -> Stdin {
        let mut code: Option<&Arg> = None;
        for (i, a) in inv.args.iter().enumerate() {
            if a.text == "--" {
                break;
            }
            let hit = code_flags.iter().any(|flag| {
                a.text == *flag || {
                    let letter = flag.trim_start_matches('-');
                    letter.len() == 1
                        && is_short_cluster_with(&a.text, letter.chars().next().unwrap_or('c'))
                        && a.text.ends_with(letter)
                }
            });
            if hit {
                code = inv.args.get(i + 1);
                // Files named after the code are read by it (`perl -ne print ~/.netrc`).
                let files: Vec<Arg> = inv
                    .args
                    .iter()
                    .skip(i + 2)
                    .filter(|a| !a.text.starts_with('-'))
                    .cloned()
                    .collect();
                if !files.is_empty() {
                    let reader = Invocation {
                        program: "cat".into(),
                        program_span: inv.program_span,
                        args: files,
                    };
                    self.judge(reader, f);
                }
                break;
            }
            if let Some((flag, _)) = a.text.split_once('=')
                && code_flags.iter().any(|c| c == flag)
            {
                code = Some(a);
                break;
            }
        }
        let (text, span) = match code {
            Some(a) if a.resolved => (
                a.text
                    .split_once('=')
                    .filter(|_| a.text.starts_with("--"))
                    .map_or(a.text.clone(), |(_, v)| v.to_owned()),
                a.span,
            ),
            Some(a) => {
                let reason = format!(
                    "`{}` runs code `{}` that is only known when it runs",
                    inv.program, a.text
                );
                self.fail("shell.dynamic-code", &reason, a.span, f);
                return Stdin::Unknown(inv.program.clone());
            }
            None => {
                let script = positionals(&inv.args, &[]).first().map(|a| (*a).clone());
                let content = match &script {
                    Some(s) if s.text == "-" || s.text == "/dev/stdin" => Some(stdin),
                    Some(s) => {
                        let idx = inv.args.iter().position(|a| a == s).unwrap_or(usize::MAX);
                        contents
                            .get(&idx)
                            .or_else(|| self.files.get(&s.text))
                            .cloned()
                    }
                    None => Some(stdin),
                };
                match content {
                    Some(Stdin::Known(src)) => (src, inv.span()),
                    Some(Stdin::Unknown(what)) => {
                        let reason = format!(
                            "pipes {what} into `{}`: the code it runs is only known when it runs",
                            inv.program
                        );
                        self.fail("shell.unknown-code", &reason, inv.span(), f);
                        return Stdin::Unknown(inv.program.clone());
                    }
                    _ => {
                        self.judge(inv.clone(), f);
                        // `python manage.py flush`: the script is a program with rules of its own.
                        if let Some(script) = script {
                            let at = inv.args.iter().position(|a| *a == script).unwrap_or(0);
                            let mut argv = inv.args[at..].to_vec();
                            argv[0].text = program_name(&argv[0].text);
                            let mut frame = f.clone();
                            frame.via.push(inv.program.clone());
                            self.run(argv, Stdin::Terminal, HashMap::new(), &frame);
                        }
                        return Stdin::Unknown(inv.program.clone());
                    }
                }
            }
        };
        self.interpreter_code(inv, language, &text, span, true, f)
    }

    fn interpreter_code(
        &mut self,
        inv: &Invocation,
        language: &str,
        text: &str,
        span: Span,
        resolved: bool,
        f: &Frame,
    ) -> Stdin {
        if !resolved {
            let reason = format!(
                "`{}` runs code `{text}` that is only known when it runs",
                inv.program
            );
            self.fail("shell.dynamic-code", &reason, span, f);
            return Stdin::Unknown(inv.program.clone());
        }
        let found = code::scan(language, text, &self.rules.code_calls);
        let base = self
            .root
            .get(span.start..span.end)
            .and_then(|s| s.find(text))
            .map(|i| span.start + i);
        if found.is_empty() {
            self.judge(inv.clone(), f);
            return Stdin::Unknown(inv.program.clone());
        }
        for call in found {
            let call_span = base.map_or(span, |b| {
                Span::new(b + call.offset, b + call.offset + call.len)
            });
            let via = format!("{} {}", inv.program, call.call);
            match call.what {
                Found::Argv(words) => {
                    let mut frame = f.clone();
                    frame.depth += 1;
                    frame.via.push(via);
                    let argv: Vec<Arg> = words
                        .into_iter()
                        .map(|(text, resolved)| Arg {
                            text,
                            span: call_span,
                            resolved,
                        })
                        .collect();
                    self.run(argv, Stdin::Terminal, HashMap::new(), &frame);
                }
                Found::Shell(src) => {
                    self.nested(&src, call_span, f, via);
                }
                Found::UnknownShell => {
                    let reason = format!(
                        "`{}` calls `{}` with a command built when it runs",
                        inv.program, call.call
                    );
                    self.fail("shell.dynamic-code", &reason, call_span, f);
                }
            }
        }
        Stdin::Unknown(inv.program.clone())
    }

    fn wrapper_for(&self, inv: &Invocation) -> Option<WrapperSpec> {
        self.rules
            .wrappers_for(&inv.program)
            .into_iter()
            .find(|w| {
                if w.subcommand.is_empty() {
                    return true;
                }
                let value_options: &[String] = self
                    .rules
                    .program_spec(&inv.program)
                    .map_or(&[], |p| &p.value_options);
                let pos = positionals(&inv.args, value_options);
                w.subcommand.iter().enumerate().all(|(i, s)| {
                    pos.get(i)
                        .is_some_and(|a| s.split('|').any(|alt| a.text == alt))
                })
            })
            .cloned()
    }

    fn wrapper(&mut self, inv: &Invocation, spec: &WrapperSpec, stdin: Stdin, f: &Frame) -> Stdin {
        let args = &inv.args;
        // `env -S 'rm -rf /'`: the string is split into a command line.
        if spec.mode == WrapperMode::Env
            && let Some(i) = args
                .iter()
                .position(|a| a.text == "-S" || a.text == "--split-string")
            && let Some(cmd) = args.get(i + 1)
        {
            let rest: Vec<&str> = args[i + 2..].iter().map(|a| a.text.as_str()).collect();
            return self.nested(
                &format!("{} {}", cmd.text, rest.join(" ")),
                cmd.span,
                f,
                "env -S".into(),
            );
        }
        let mut i = 0;
        // Skip the subcommand words (`kubectl exec`), options before them included.
        let mut sub_left = spec.subcommand.len();
        let mut skip_left = spec.skip;
        let mut hints = Vec::new();
        let program_values: Vec<String> = self
            .rules
            .program_spec(&inv.program)
            .map_or(Vec::new(), |p| p.value_options.clone());
        if spec.mode == WrapperMode::AfterDoubleDash
            && let Some(dd) = args.iter().position(|a| a.text == "--")
        {
            hints.extend(args[..dd].iter().map(|a| a.text.clone()));
            i = dd + 1;
            sub_left = 0;
            skip_left = 0;
        }
        while i < args.len() {
            let t = args[i].text.as_str();
            if t == "--" {
                i += 1;
                continue;
            }
            if t.starts_with('-') && t.len() > 1 {
                hints.push(t.to_owned());
                if spec.value_options.iter().any(|o| o == t)
                    || (sub_left > 0 && program_values.iter().any(|o| o == t))
                {
                    if let Some(v) = args.get(i + 1) {
                        hints.push(v.text.clone());
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            if spec.mode == WrapperMode::Env && t.contains('=') && !t.starts_with('=') {
                i += 1;
                continue;
            }
            if sub_left > 0 {
                sub_left -= 1;
                i += 1;
                continue;
            }
            if skip_left > 0 {
                hints.push(t.to_owned());
                skip_left -= 1;
                i += 1;
                continue;
            }
            break;
        }
        let inner: Vec<Arg> = args[i.min(args.len())..].to_vec();
        let mut frame = f.clone();
        frame.depth += 1;
        frame.via.push(inv.program.clone());
        frame.hints.extend(hints);
        if frame.depth > self.limits.max_depth {
            self.fail(
                "shell.too-deep",
                "wrappers nested too deeply to judge",
                inv.span(),
                f,
            );
            return Stdin::Unknown(inv.program.clone());
        }
        match spec.mode {
            WrapperMode::ShellString => {
                if inner.is_empty() {
                    self.judge(inv.clone(), f);
                    return Stdin::Unknown(inv.program.clone());
                }
                if inner.iter().any(|a| !a.resolved) {
                    let text: Vec<&str> = inner.iter().map(|a| a.text.as_str()).collect();
                    let reason = format!(
                        "`{}` runs `{}`, which is only known when it runs",
                        inv.program,
                        text.join(" ")
                    );
                    self.fail("shell.dynamic-code", &reason, inv.span(), &frame);
                    return Stdin::Unknown(inv.program.clone());
                }
                let simple = inner
                    .iter()
                    .all(|a| !a.text.contains(|c: char| " ;|&<>()$`'\"\\\n*?".contains(c)));
                if simple {
                    // `ssh host sh` (reading a here-document or a pipe): run the words as a command.
                    return self.run(inner, stdin, HashMap::new(), &frame);
                }
                let src: Vec<&str> = inner.iter().map(|a| a.text.as_str()).collect();
                let span = inner.iter().fold(inner[0].span, |s, a| s.cover(a.span));
                let mut parent = frame.clone();
                parent.depth -= 1;
                parent.via.pop();
                self.nested(&src.join(" "), span, &parent, inv.program.clone())
            }
            WrapperMode::Xargs => {
                // `parallel ::: 'cmd one' 'cmd two'`: each word after `:::` is a command.
                if inner.first().is_some_and(|a| a.text == ":::") {
                    let mut out = Stdin::Unknown(inv.program.clone());
                    for cmd in inner.iter().skip(1).take(16) {
                        out = if cmd.resolved {
                            self.nested(&cmd.text, cmd.span, f, inv.program.clone())
                        } else {
                            let reason = format!(
                                "`{}` runs `{}`, which is only known when it runs",
                                inv.program, cmd.text
                            );
                            self.fail("shell.dynamic-code", &reason, cmd.span, f);
                            Stdin::Unknown(inv.program.clone())
                        };
                    }
                    return out;
                }
                let mut argv = if inner.is_empty() {
                    vec![Arg {
                        text: "echo".into(),
                        span: inv.program_span,
                        resolved: true,
                    }]
                } else {
                    inner
                };
                let replace = args
                    .iter()
                    .position(|a| a.text == "-I" || a.text == "-i")
                    .and_then(|p| args.get(p + 1))
                    .map(|a| a.text.clone())
                    .or_else(|| {
                        args.iter().find_map(|a| {
                            a.text
                                .strip_prefix("-I")
                                .filter(|r| !r.is_empty())
                                .map(str::to_owned)
                        })
                    });
                // `-0`/`-d`: the input is split on NUL or the delimiter, not on blanks; `-I`: on lines.
                let whole = args.iter().any(|a| {
                    matches!(a.text.as_str(), "-0" | "--null") || a.text.starts_with("-d")
                });
                let by_line = replace.is_some()
                    || args
                        .iter()
                        .any(|a| a.text == "-L" || a.text.starts_with("-L"));
                let items: Vec<Arg> = match &stdin {
                    Stdin::Known(s) if whole || by_line => {
                        let parts: Vec<&str> = if whole {
                            s.split(['\0']).collect()
                        } else {
                            s.lines().collect()
                        };
                        parts
                            .into_iter()
                            .map(|p| p.trim_end_matches('\n'))
                            .filter(|p| !p.is_empty())
                            .take(64)
                            .map(|p| Arg {
                                text: p.to_owned(),
                                span: inv.program_span,
                                resolved: true,
                            })
                            .collect()
                    }
                    Stdin::Known(s) => s
                        .split_whitespace()
                        .take(64)
                        .map(|w| Arg {
                            text: w.trim_matches(['"', '\'']).to_owned(),
                            span: inv.program_span,
                            resolved: true,
                        })
                        .collect(),
                    // Unknown input: one unresolved argument naming where it comes from.
                    Stdin::Unknown(what) => vec![Arg {
                        text: format!("(output of {what})"),
                        span: inv.program_span,
                        resolved: false,
                    }],
                    Stdin::Terminal => vec![Arg {
                        text: "(input of xargs)".into(),
                        span: inv.program_span,
                        resolved: false,
                    }],
                };
                match replace {
                    Some(r) => {
                        for item in items.iter().take(8) {
                            let substituted: Vec<Arg> = argv
                                .iter()
                                .map(|a| Arg {
                                    text: a.text.replace(&r, &item.text),
                                    span: a.span,
                                    resolved: a.resolved && (item.resolved || !a.text.contains(&r)),
                                })
                                .collect();
                            self.run(substituted, Stdin::Terminal, HashMap::new(), &frame);
                        }
                        Stdin::Unknown("xargs".into())
                    }
                    None => {
                        argv.extend(items);
                        self.run(argv, Stdin::Terminal, HashMap::new(), &frame)
                    }
                }
            }
            _ => {
                if inner.is_empty() {
                    self.judge(inv.clone(), f);
                    return Stdin::Unknown(inv.program.clone());
                }
                self.run(inner, stdin, HashMap::new(), &frame)
            }
        }
    }

    /// `find … -delete` and `find … -exec CMD {} ;`: the deletion or command applies to the
    /// starting points (or to what the name filters select under them).
    fn find(&mut self, inv: &Invocation, f: &Frame) {
        let args = &inv.args;
        let first_expr = args
            .iter()
            .position(|a| a.text.starts_with('-') || a.text == "(" || a.text == "!")
            .unwrap_or(args.len());
        let mut roots: Vec<Arg> = args[..first_expr].to_vec();
        if roots.is_empty() {
            roots.push(Arg {
                text: ".".into(),
                span: inv.program_span,
                resolved: true,
            });
        }
        const FILTERS: &[&str] = &[
            "-name",
            "-iname",
            "-path",
            "-ipath",
            "-wholename",
            "-regex",
            "-iregex",
            "-mtime",
            "-mmin",
            "-atime",
            "-amin",
            "-ctime",
            "-newer",
            "-size",
            "-empty",
            "-user",
            "-group",
            "-perm",
            "-links",
            "-inum",
            "-samefile",
        ];
        let name = args
            .windows(2)
            .find(|w| matches!(w[0].text.as_str(), "-name" | "-iname"))
            .map(|w| w[1].clone());
        let filtered = args.iter().any(|a| FILTERS.contains(&a.text.as_str()));
        let mut frame = f.clone();
        frame.depth += 1;
        frame.via.push("find".into());
        if let Some(del) = args.iter().find(|a| a.text == "-delete") {
            for root in &roots {
                // find descends: deleting what `-name` selects anywhere below the root is judged
                // as a recursive delete of `root/NAME` (`./*.pyc` is disposable, `./*.py` is not).
                let target = match &name {
                    Some(n) => Arg {
                        text: format!("{}/{}", root.text.trim_end_matches('/'), n.text),
                        span: n.span,
                        resolved: root.resolved && n.resolved,
                    },
                    None => root.clone(),
                };
                let flag = Arg {
                    text: "-r".into(),
                    span: del.span,
                    resolved: true,
                };
                let argv = vec![
                    Arg {
                        text: "rm".into(),
                        span: del.span,
                        resolved: true,
                    },
                    flag,
                    target,
                ];
                self.run(argv, Stdin::Terminal, HashMap::new(), &frame);
            }
        }
        let mut i = 0;
        while i < args.len() {
            if matches!(
                args[i].text.as_str(),
                "-exec" | "-execdir" | "-ok" | "-okdir"
            ) {
                let end = args[i + 1..]
                    .iter()
                    .position(|a| a.text == ";" || a.text == "+" || a.text == "\\;")
                    .map_or(args.len(), |p| i + 1 + p);
                let cmd: Vec<Arg> = args[i + 1..end].to_vec();
                for root in roots.iter().take(4) {
                    let target = match &name {
                        Some(n) if filtered => Arg {
                            text: format!("{}/{}", root.text, n.text),
                            span: n.span,
                            resolved: root.resolved && n.resolved,
                        },
                        _ => root.clone(),
                    };
                    let mut argv: Vec<Arg> = Vec::new();
                    for a in &cmd {
                        if a.text.contains("{}") {
                            argv.push(Arg {
                                text: a.text.replace("{}", &target.text),
                                span: a.span,
                                resolved: a.resolved && target.resolved,
                            });
                        } else {
                            argv.push(a.clone());
                        }
                    }
                    if !filtered && argv.first().is_some_and(|a| program_name(&a.text) == "rm") {
                        argv.insert(
                            1,
                            Arg {
                                text: "-r".into(),
                                span: args[i].span,
                                resolved: true,
                            },
                        );
                    }
                    if !argv.is_empty() {
                        self.run(argv, Stdin::Terminal, HashMap::new(), &frame);
                    }
                }
                i = end;
            }
            i += 1;
        }
    }

    // ----- judging ---------------------------------------------------------------------------

    fn judge(&mut self, inv: Invocation, f: &Frame) {
        let span = inv.span();
        let cwd = self.cwd.clone();
        let help = self.rules.is_help(&inv);
        let matches = if help {
            Vec::new()
        } else {
            self.rules.matches(&inv, cwd.as_deref())
        };
        // The strictest match wins; among equals the first in pack order (the more specific).
        let best = matches
            .into_iter()
            .enumerate()
            .max_by_key(|(i, m)| (m.rule.decision, m.rule.effect, std::cmp::Reverse(*i)))
            .map(|(_, m)| m);
        let operation = operation_name(self.rules, &inv);
        let (finding, effect, scope, resource) = match best {
            Some(m) => {
                let class = m.class.map_or("", |c| c.describe());
                let target = m.target.clone().unwrap_or_default();
                let mut reason = m
                    .rule
                    .reason
                    .replace("{program}", &inv.program)
                    .replace("{target}", &target)
                    .replace("{class}", class);
                if let Some(instead) = &m.rule.instead {
                    reason.push_str(&format!(
                        "; instead: {}",
                        instead.replace("{program}", &inv.program)
                    ));
                }
                let resource = Resource {
                    kind: if m.target.is_some() {
                        "path".into()
                    } else {
                        "command".into()
                    },
                    name: m.target.clone().unwrap_or_else(|| operation.clone()),
                };
                let resource = if m.rule.id.starts_with("git.push") {
                    Resource {
                        kind: "git-branch".into(),
                        name: resource.name,
                    }
                } else {
                    resource
                };
                (
                    Finding {
                        rule: m.rule.id.clone(),
                        decision: m.rule.decision,
                        reason,
                        span: m.span,
                    },
                    m.rule.effect,
                    m.rule.scope.unwrap_or(Scope::Single),
                    resource,
                )
            }
            None => {
                let effect = if help || self.rules.is_read_only(&inv.program) {
                    Effect::Read
                } else {
                    Effect::Write
                };
                let (rule, reason) = if help {
                    ("shell.help", format!("`{operation}` only shows help"))
                } else {
                    (
                        "shell.no-rule",
                        format!("no rule stops `{operation}` ({effect})"),
                    )
                };
                (
                    Finding {
                        rule: rule.into(),
                        decision: Decision::Allow,
                        reason,
                        span,
                    },
                    effect,
                    if effect == Effect::Read {
                        Scope::None
                    } else {
                        Scope::Single
                    },
                    Resource {
                        kind: "command".into(),
                        name: operation.clone(),
                    },
                )
            }
        };
        let hints: Vec<String> = inv
            .args
            .iter()
            .filter(|a| a.resolved)
            .map(|a| a.text.clone())
            .chain(f.hints.iter().cloned())
            .chain(cwd.iter().cloned())
            .collect();
        let (environment, _) = self
            .ctx
            .environments
            .resolve(hints.iter().map(String::as_str));
        let raw = match self.root.get(span.start..span.end) {
            Some(s) if f.base.is_some() && !s.is_empty() => s.to_owned(),
            _ => std::iter::once(inv.program.as_str())
                .chain(inv.args.iter().map(|a| a.text.as_str()))
                .collect::<Vec<_>>()
                .join(" "),
        };
        self.actions.push(Action {
            principal: self.ctx.principal.clone(),
            environment,
            door: self.ctx.door.clone(),
            language: Language::Shell,
            operation,
            resource,
            effect,
            blast_radius: BlastRadius::new(scope, ""),
            raw,
            span,
            depth: f.depth,
            via: f.via.clone(),
            finding,
        });
    }

    /// An `ask` action for input that cannot be judged (fail closed).
    fn fail(&mut self, rule: &str, reason: &str, span: Span, f: &Frame) {
        let (environment, _) = self
            .ctx
            .environments
            .resolve(f.hints.iter().map(String::as_str));
        let raw = self
            .root
            .get(span.start..span.end)
            .unwrap_or("")
            .chars()
            .take(512)
            .collect();
        self.actions.push(Action {
            principal: self.ctx.principal.clone(),
            environment,
            door: self.ctx.door.clone(),
            language: Language::Shell,
            operation: "unknown".into(),
            resource: Resource {
                kind: "code".into(),
                name: "unknown".into(),
            },
            effect: Effect::Write,
            blast_radius: BlastRadius::new(Scope::Unknown, "cannot be estimated"),
            raw,
            span,
            depth: f.depth,
            via: f.via.clone(),
            finding: Finding {
                rule: rule.into(),
                decision: Decision::Ask,
                reason: reason.into(),
                span,
            },
        });
    }
}

/// The SQL a database client runs from its command line (`psql -c`, `mysql -e`, `sqlite3 db 'SQL'`).
fn embedded_sql(inv: &Invocation) -> Option<&Arg> {
    let flags: &[&str] = match inv.program.as_str() {
        "psql" | "pgcli" | "cockroach" | "usql" => &["-c", "--command"],
        "mysql" | "mariadb" | "mycli" => &["-e", "--execute"],
        "clickhouse-client" | "duckdb" => &["-q", "--query", "-c"],
        "sqlite3" | "litecli" => {
            return inv.args.iter().filter(|a| !a.text.starts_with('-')).nth(1);
        }
        _ => return None,
    };
    let i = inv
        .args
        .iter()
        .position(|a| flags.contains(&a.text.as_str()))?;
    inv.args.get(i + 1)
}

fn parser_options() -> brush_parser::ParserOptions {
    brush_parser::ParserOptions {
        tilde_expansion_at_word_start: true,
        ..Default::default()
    }
}

/// `/usr/bin/rm` → `rm`; `RM` → `rm` (case-insensitive file systems run it too).
fn program_name(text: &str) -> String {
    let base = text.rsplit('/').next().unwrap_or(text);
    let base = if base.is_empty() { text } else { base };
    base.to_ascii_lowercase()
}

/// `-c`, `-lc`, `-xec`: a short-option cluster containing `flag`, where it takes the next word.
fn is_short_cluster_with(arg: &str, flag: char) -> bool {
    let b = arg.as_bytes();
    b.len() >= 2
        && b[0] == b'-'
        && b[1] != b'-'
        && arg[1..].chars().all(|c| c.is_ascii_alphabetic())
        && arg[1..].contains(flag)
}

/// `git push`, `kubectl delete`, `rm`: the program and its subcommand words.
fn operation_name(rules: &RuleSet, inv: &Invocation) -> String {
    let pos = rules.positionals(inv);
    let mut op = inv.program.clone();
    for a in pos.iter().take(2) {
        if a.text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
            && !a.text.is_empty()
            && a.text.len() < 32
        {
            op.push(' ');
            op.push_str(&a.text);
        } else {
            break;
        }
    }
    for flag in inv
        .args
        .iter()
        .filter(|a| a.text.starts_with('-') && a.text.len() < 24)
        .take(3)
    {
        op.push(' ');
        op.push_str(&flag.text);
    }
    op
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
