//! Simple commands: their words, assignments and redirections, and what files they write.
//!
//! Never runs anything: a redirection is judged as the write it would be (`> ~/.bashrc`).

use super::*;

impl Walker<'_> {
    pub(super) fn simple(
        &mut self,
        sc: &SimpleCommand,
        stdin: Stdin,
        f: &Frame,
        cm: &CharMap,
    ) -> Stdin {
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
        // Assignments are judged like `export` (`HISTFILE=`, `LD_PRELOAD=…`) when a rule names them.
        if !assignments.is_empty() {
            let args: Vec<Arg> = assignments
                .iter()
                .map(|(n, v)| Arg {
                    text: format!("{n}={}", v.text),
                    span: f.fallback,
                    resolved: v.resolved,
                })
                .collect();
            let inv = Invocation {
                program: "export".into(),
                program_span: f.fallback,
                args,
            };
            self.judge_if_matched(&inv, f);
            // `GIT_EXTERNAL_DIFF='rm -rf ~ #' git diff`: variables whose value a program runs as
            // a command.
            for (name, value) in &assignments {
                if COMMAND_VARIABLES.contains(&name.as_str()) && !value.text.is_empty() {
                    if value.resolved {
                        self.nested(&value.text, f.fallback, f, format!("{name}="));
                    } else {
                        self.fail(
                            "shell.dynamic-code",
                            &format!(
                                "`{name}` names a command to run, and it comes from a variable"
                            ),
                            f.fallback,
                            f,
                        );
                    }
                }
            }
        }
        if argv.is_empty() {
            for (name, value) in assignments {
                self.vars.insert(name, value);
            }
            let writes = std::mem::take(&mut self.pending_writes);
            return self.record_writes(writes, Stdin::Known(String::new()), f);
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
        // `RAILS_ENV=test rails db:reset`: the framework's environment variable names where the
        // command runs.
        let env_names: Vec<String> = assignments
            .iter()
            .filter(|(n, v)| v.resolved && is_environment_variable(n))
            .map(|(_, v)| v.text.clone())
            .collect();
        let out = if env_names.is_empty() {
            self.run(argv, stdin, contents, f)
        } else {
            let mut frame = f.clone();
            frame.hints.extend(env_names);
            self.run(argv, stdin, contents, &frame)
        };
        self.record_writes(writes, out, f)
    }

    /// Files the command's output went to now hold that output; the pipeline gets nothing. A
    /// file truncated and given nothing (`> f`, `: > f`, `echo "" > f`, `cat /dev/null > f`) is
    /// emptied: judged as `empty>` of that path, which the rule packs weigh by what the file is.
    pub(super) fn record_writes(
        &mut self,
        writes: Vec<(String, bool)>,
        out: Stdin,
        f: &Frame,
    ) -> Stdin {
        if writes.is_empty() {
            return out;
        }
        let emptied = matches!(&out, Stdin::Known(text) if text.trim().is_empty());
        for (path, truncates) in writes {
            if truncates && emptied {
                let inv = Invocation {
                    program: "empty>".into(),
                    program_span: f.fallback,
                    args: vec![Arg {
                        text: path.clone(),
                        span: f.fallback,
                        resolved: true,
                    }],
                };
                self.judge_if_matched(&inv, f);
            }
            self.judge_planted_code(&path, &out, f);
            self.files.insert(path, out.clone());
        }
        Stdin::Terminal
    }

    /// Code written into a file that something runs later on its own (a shell start-up file, a
    /// git hook, `setup.py`, `conftest.py`, a cron table) is judged as it is written.
    pub(super) fn judge_planted_code(&mut self, path: &str, content: &Stdin, f: &Frame) {
        let Stdin::Known(code) = content else { return };
        let name = path.rsplit('/').next().unwrap_or(path);
        let python_hook = matches!(
            name,
            "setup.py" | "conftest.py" | "sitecustomize.py" | "usercustomize.py" | "__init__.py"
        );
        if is_autorun_path(path) && !python_hook {
            let via = format!("written to {path}");
            self.nested(&code.clone(), f.fallback, f, via);
        } else if python_hook {
            let inv = Invocation {
                program: "python3".into(),
                program_span: f.fallback,
                args: Vec::new(),
            };
            self.interpreter_code(&inv, "python", &code.clone(), f.fallback, true, f);
        }
    }

    /// Judges an output redirection; returns the new standard input for input redirections.
    pub(super) fn redirect(&mut self, r: &IoRedirect, f: &Frame, cm: &CharMap) -> Option<Stdin> {
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
                    self.pending_writes.extend(
                        args.iter()
                            .filter(|a| a.resolved)
                            .map(|a| (a.text.clone(), pseudo == ">")),
                    );
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
                    match parse_heredoc_body(&doc.doc.value) {
                        Some(pieces) => {
                            let span = self.word_span(&doc.doc, f, cm);
                            let v = self.eval_pieces(&pieces, span, f);
                            v.text
                        }
                        None => doc.doc.value.clone(),
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
}

/// Files that run by themselves later: shell start-up files, git hooks, cron tables, services,
/// Python start-up hooks.
pub(super) fn is_autorun_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        ".bashrc"
            | ".zshrc"
            | ".profile"
            | ".bash_profile"
            | ".zprofile"
            | ".bash_login"
            | ".zshenv"
            | ".bash_logout"
            | "setup.py"
            | "conftest.py"
            | "sitecustomize.py"
            | "usercustomize.py"
    ) || path.contains(".git/hooks/")
        || path.contains("/cron")
        || path.contains("crontab")
        || path.contains("/etc/profile.d/")
        || path.contains("/systemd/system/")
        || path.contains("LaunchAgents/")
        || path.contains("LaunchDaemons/")
        || path.contains("/etc/sudoers")
}

/// Environment variables whose value some program runs as a shell command.
const COMMAND_VARIABLES: &[&str] = &[
    "GIT_EXTERNAL_DIFF",
    "GIT_SSH_COMMAND",
    "GIT_SSH",
    "GIT_EDITOR",
    "GIT_SEQUENCE_EDITOR",
    "GIT_PAGER",
    "GIT_ASKPASS",
    "GIT_PROXY_COMMAND",
    "PAGER",
    "MANPAGER",
    "EDITOR",
    "VISUAL",
    "SUDO_EDITOR",
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    "PROMPT_COMMAND",
    "BROWSER",
    "LESSOPEN",
    "LESSCLOSE",
    "RSYNC_RSH",
    "RSYNC_CONNECT_PROG",
    "CVS_RSH",
];

/// `RAILS_ENV`, `NODE_ENV`, `APP_ENV`, `STAGE`: variables whose value is the environment's name.
fn is_environment_variable(name: &str) -> bool {
    name.ends_with("_ENV")
        || name.ends_with("_ENVIRONMENT")
        || matches!(
            name,
            "ENV" | "ENVIRONMENT" | "STAGE" | "DEPLOY_ENV" | "TARGET_ENV"
        )
}
