//! What a command does with the words after its name: builtins (`eval`, `source`, `cd`),
//! functions and aliases, wrappers, shells, interpreters, `find -exec`, and files written earlier.
//!
//! Every path ends in `judge` or `fail`: a command is never silently dropped.

use super::*;

impl Walker<'_> {
    pub(super) fn run(
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

        self.judge_packages(&inv, f);
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
            && let Some(content) = self.file_content(&first.text)
        {
            return self.run_file_content(&inv, &first.text, content, f);
        }
        // `make -f FILE` of a makefile written earlier in the same input runs its recipes.
        if let Some((path, content)) = build_file(&inv)
            .and_then(|path| Some((path.text.clone(), self.file_content(&path.text)?)))
        {
            let content = match content {
                Stdin::Known(text) => Stdin::Known(recipes(&text)),
                other => other,
            };
            return self.run_file_content(&inv, &path, content, f);
        }
        for write in self.note_downloads(&inv) {
            if let Some(path) = write.args.first().map(|a| a.text.clone())
                && is_autorun_path(&path)
            {
                let reason = format!(
                    "downloads code into `{path}`, which runs by itself later (a hook, start-up file or service)"
                );
                self.fail_with(
                    "shell.planted-code",
                    &reason,
                    write.program_span,
                    f,
                    Effect::Destructive,
                );
            }
            self.judge_if_matched(&write, f);
        }
        // Option values that are shell source (`ssh -o ProxyCommand=…`, `git -c core.pager=…`).
        for (code, arg) in self.rules.shell_option_values(&inv) {
            let via = format!(
                "{} {}",
                inv.program,
                arg.text.split('=').next().unwrap_or("")
            );
            if arg.resolved {
                self.nested(&code, arg.span, f, via);
            } else {
                self.fail(
                    "shell.dynamic-code",
                    &format!(
                        "`{}` runs `{code}`, which is only known when it runs",
                        inv.program
                    ),
                    arg.span,
                    f,
                );
            }
        }
        // Programs equivalent to a command (`rimraf` → `rm -rf`).
        if let Some(spec) = self
            .rules
            .program_spec(&program)
            .filter(|p| !p.equivalent.is_empty())
        {
            let mut argv: Vec<Arg> = spec
                .equivalent
                .iter()
                .map(|w| Arg {
                    text: w.clone(),
                    span: first.span,
                    resolved: true,
                })
                .collect();
            argv.extend(inv.args.iter().cloned());
            let mut frame = f.clone();
            frame.via.push(program.clone());
            return self.run(argv, stdin, HashMap::new(), &frame);
        }
        // Output of something unknowable piped to a raw network socket (`env | nc host 80`).
        if matches!(
            program.as_str(),
            "nc" | "ncat" | "netcat" | "socat" | "telnet" | "nc.openbsd" | "nc.traditional"
        ) && let Stdin::Unknown(what) = &stdin
        {
            let reason = format!(
                "sends the output of {what} to a raw network socket: data (often secrets) leaves the machine"
            );
            self.fail_with(
                "net.exfiltration",
                &reason,
                inv.span(),
                f,
                Effect::Destructive,
            );
            return Stdin::Unknown(program);
        }
        if let Some(out) = self.npm_script(&inv, f) {
            return out;
        }
        // An installer given a file downloaded earlier in the same input (`dpkg -i /tmp/u.deb`).
        if matches!(
            program.as_str(),
            "dpkg"
                | "rpm"
                | "apt"
                | "apt-get"
                | "yum"
                | "dnf"
                | "zypper"
                | "installer"
                | "pip"
                | "pip3"
                | "npm"
                | "gem"
                | "msiexec"
                | "pkg"
                | "snap"
                | "flatpak"
                | "insmod"
                | "modprobe"
        ) && let Some(file) = inv
            .args
            .iter()
            .find(|a| matches!(self.file_content(&a.text), Some(Stdin::Unknown(_))))
        {
            let reason = format!(
                "installs `{}`, downloaded earlier in the same command: its code is only known when it runs",
                file.text
            );
            self.fail("shell.unknown-code", &reason, inv.span(), f);
            return Stdin::Unknown(program);
        }

        match program.as_str() {
            // `trap 'rm -rf ~' EXIT`: the handler runs when the signal comes.
            "trap" => {
                if let Some(handler) = inv.args.first().filter(|a| !a.text.starts_with('-'))
                    && !handler.text.is_empty()
                {
                    return if handler.resolved {
                        self.nested(&handler.text.clone(), handler.span, f, "trap".into())
                    } else {
                        self.fail(
                            "shell.dynamic-code",
                            "a trap handler built at run time",
                            handler.span,
                            f,
                        );
                        Stdin::Unknown("trap".into())
                    };
                }
            }
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
                self.note_git_alias(&inv, f);
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
                    self.fail_with(
                        "iac.terraform.destroy-plan",
                        &reason,
                        inv.span(),
                        f,
                        Effect::Destructive,
                    );
                    return Stdin::Unknown(program);
                }
            }
            // `tee FILE`: FILE now holds standard input.
            "tee" => {
                for a in inv
                    .args
                    .iter()
                    .filter(|a| a.resolved && !a.text.starts_with('-'))
                {
                    self.judge_planted_code(&a.text, &stdin, f);
                    self.files.insert(a.text.clone(), stdin.clone());
                }
            }
            // GNU sed's `e` command runs a shell command (`sed -n '1e rm -rf ~' file`).
            "sed" | "gsed" => {
                let scripts: Vec<&Arg> = inv
                    .args
                    .windows(2)
                    .filter(|w| w[0].text == "-e" || w[0].text == "--expression")
                    .map(|w| &w[1])
                    .chain(self.rules.positionals(&inv).into_iter().take(1))
                    .collect();
                for script in scripts {
                    for cmd in script.text.split([';', '\n']) {
                        let body = cmd.trim_start_matches(|c: char| {
                            c.is_ascii_digit() || matches!(c, '$' | ',' | ' ' | '!')
                        });
                        if let Some(shell) = body.strip_prefix("e ").or_else(|| {
                            body.strip_prefix('e')
                                .filter(|r| r.starts_with(char::is_whitespace))
                        }) {
                            self.nested(shell.trim(), script.span, f, "sed e".into());
                        }
                    }
                }
            }
            "make" | "gmake" => {
                // `… | make -f -`: the recipes read from standard input are shell commands.
                let from_stdin =
                    inv.args.windows(2).any(|w| {
                        w[0].text == "-f" && (w[1].text == "-" || w[1].text == "/dev/stdin")
                    }) || inv
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
            self.judge_if_matched(&inv, f);
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
        match requests::sent(&inv, &stdin) {
            requests::Sent::Known(sent) => {
                for (request, span) in sent {
                    match self
                        .registry
                        .classify(Language::Http, &request.message(), self.ctx)
                    {
                        Some(actions) => self.handed_off(actions, &inv, span, f),
                        None => self.fail(
                            "net.http.unjudged",
                            &format!(
                                "`{program}` sends a {} request that cannot be judged: no HTTP classifier is in this build",
                                request.method
                            ),
                            span,
                            f,
                        ),
                    }
                }
                // The client's own rules (uploads of secrets, ...) still apply.
                self.judge_if_matched(&inv, f);
                return Stdin::Unknown(format!("`{program}`"));
            }
            requests::Sent::Unseen(why) => {
                self.fail(
                    "net.http.unseen",
                    &format!("`{program}` sends a request that cannot be judged: {why}"),
                    inv.span(),
                    f,
                );
                return Stdin::Unknown(format!("`{program}`"));
            }
            requests::Sent::None => {}
        }
        if program == "cqlsh"
            && let Some(out) = self.cql(&inv, &stdin, f)
        {
            return out;
        }
        // `psql -f FILE` of a file written earlier in the same input runs what was written.
        let script =
            script_file(&inv).and_then(|path| Some((path, self.file_content(&path.text)?)));
        let client = match script {
            Some((path, Stdin::Known(text))) => ClientSql::Known(text, path.span),
            Some((path, Stdin::Unknown(producer))) => ClientSql::Unseen(format!(
                "the file `{}`, written by {producer} earlier in the same command,",
                path.text
            )),
            _ => client_sql(&inv, &stdin),
        };
        match client {
            ClientSql::Known(sql, span) => {
                if let Some(actions) = self.registry.classify(Language::Sql, &sql, self.ctx) {
                    self.handed_off(actions, &inv, span, f);
                    return Stdin::Unknown(format!("`{program}`"));
                }
            }
            ClientSql::Unseen(producer) => {
                self.fail(
                    "db.sql-unseen",
                    &format!(
                        "`{program}` runs the SQL that {producer} gives it, which blastwall cannot read; a human should check the statements"
                    ),
                    inv.span(),
                    f,
                );
                return Stdin::Unknown(format!("`{program}`"));
            }
            ClientSql::None => {}
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

    /// Runs a file written earlier in the same input: its known content as shell source, or a
    /// fail-closed finding when it was downloaded or produced by something unknowable.
    pub(super) fn run_file_content(
        &mut self,
        inv: &Invocation,
        path: &str,
        content: Stdin,
        f: &Frame,
    ) -> Stdin {
        match content {
            Stdin::Known(src) => self.nested(&src, inv.span(), f, format!("file {path}")),
            Stdin::Unknown(what) => self.unknown_code(
                inv,
                &format!("`{path}`, written by {what} earlier in the same command"),
                f,
            ),
            Stdin::Terminal => Stdin::Unknown(path.to_owned()),
        }
    }

    /// The one fail-closed finding for a program that runs code nobody can see yet: the output
    /// of `what` (a download, a file written earlier, an unknown command).
    fn unknown_code(&mut self, inv: &Invocation, what: &str, f: &Frame) -> Stdin {
        let reason = format!(
            "`{}` runs code from {what}, which is only known when it runs (for example a script downloaded from the network)",
            inv.program
        );
        self.fail("shell.unknown-code", &reason, inv.span(), f);
        Stdin::Unknown(inv.program.clone())
    }

    /// `curl -o FILE`, `wget -O FILE`: FILE now holds something downloaded; the writes are
    /// returned, to be judged like `>`.
    pub(super) fn note_downloads(&mut self, inv: &Invocation) -> Vec<Invocation> {
        let mut downloads = Vec::new();
        let flags: &[&str] = match inv.program.as_str() {
            "curl" => &["-o", "--output"],
            "wget" => &["-O", "--output-document"],
            "aria2c" => &["-o", "--out"],
            "http" | "https" | "xh" => &["-o", "--output"],
            "git"
                if self
                    .rules
                    .positionals(inv)
                    .first()
                    .is_some_and(|a| a.text == "clone") =>
            {
                let pos = self.rules.positionals(inv);
                if let Some(url) = pos.get(1) {
                    let dir = pos.get(2).map(|d| d.text.clone()).unwrap_or_else(|| {
                        url.text
                            .trim_end_matches('/')
                            .trim_end_matches(".git")
                            .rsplit('/')
                            .next()
                            .unwrap_or("")
                            .to_owned()
                    });
                    let what = format!("`git clone {}`", url.text);
                    self.files.insert(
                        format!("{}/", dir.trim_end_matches('/')),
                        Stdin::Unknown(what),
                    );
                }
                return downloads;
            }
            "scp" | "rsync" | "gsutil" | "aws" => {
                if let Some(last) = inv
                    .args
                    .last()
                    .filter(|a| a.resolved && !a.text.starts_with('-'))
                {
                    let what = format!("`{}` (a copy from elsewhere)", inv.program);
                    self.files.insert(last.text.clone(), Stdin::Unknown(what));
                }
                return downloads;
            }
            _ => return downloads,
        };
        let dir = inv
            .args
            .windows(2)
            .find(|w| w[0].text == "-d" || w[0].text == "--dir")
            .filter(|_| inv.program == "aria2c")
            .map(|w| w[1].text.clone());
        for (i, a) in inv.args.iter().enumerate() {
            // `-sLo FILE`: a short-option cluster ending with the output flag.
            let cluster = a.text.len() > 2
                && a.text.starts_with('-')
                && !a.text.starts_with("--")
                && flags
                    .iter()
                    .any(|fl| fl.len() == 2 && a.text.ends_with(&fl[1..]));
            let value = if flags.contains(&a.text.as_str()) || cluster {
                inv.args.get(i + 1).map(|v| match &dir {
                    Some(d) => format!("{}/{}", d.trim_end_matches('/'), v.text),
                    None => v.text.clone(),
                })
            } else {
                flags
                    .iter()
                    .find_map(|fl| a.text.strip_prefix(&format!("{fl}=")))
                    .map(str::to_owned)
            };
            if let Some(path) = value {
                // The download overwrites its target like `>` would (`curl -o /usr/sbin/sshd`).
                let write = Invocation {
                    program: ">".into(),
                    program_span: a.span,
                    args: vec![Arg {
                        text: path.clone(),
                        span: a.span,
                        resolved: true,
                    }],
                };
                downloads.push(write);
                self.files.insert(
                    path,
                    Stdin::Unknown(format!("`{}` (downloaded)", inv.program)),
                );
            }
        }
        downloads
    }

    /// What a file written, downloaded or cloned earlier in the same input holds.
    pub(super) fn file_content(&self, path: &str) -> Option<Stdin> {
        let norm = blastwall_rules::normalize_path(path);
        self.files
            .get(path)
            .or_else(|| self.files.get(&norm))
            .cloned()
            .or_else(|| {
                self.files.iter().find_map(|(k, v)| {
                    let dir = k.strip_suffix('/')?;
                    let dir = blastwall_rules::normalize_path(dir);
                    (norm.starts_with(&format!("{dir}/"))).then(|| v.clone())
                })
            })
    }

    /// `npm pkg set scripts.NAME='…'` then `npm run NAME` (or `npm install` for the install
    /// hooks): the script runs.
    fn npm_script(&mut self, inv: &Invocation, f: &Frame) -> Option<Stdin> {
        if !matches!(inv.program.as_str(), "npm" | "pnpm" | "yarn" | "bun") {
            return None;
        }
        let pos = self.rules.positionals(inv);
        let words: Vec<&str> = pos.iter().map(|a| a.text.as_str()).collect();
        match words.as_slice() {
            ["pkg", "set", rest @ ..] => {
                for kv in rest {
                    if let Some((name, body)) =
                        kv.strip_prefix("scripts.").and_then(|r| r.split_once('='))
                    {
                        self.npm_scripts.insert(name.to_owned(), body.to_owned());
                    }
                }
                None
            }
            ["set-script", name, body, ..] => {
                self.npm_scripts
                    .insert((*name).to_owned(), (*body).to_owned());
                None
            }
            _ => {
                let hooks: Vec<String> = match words.as_slice() {
                    ["run" | "run-script", name, ..] => vec![(*name).to_owned()],
                    ["install" | "i" | "ci" | "add", ..] | [] => {
                        ["preinstall", "install", "postinstall", "prepare"]
                            .iter()
                            .map(|s| (*s).to_owned())
                            .collect()
                    }
                    [name, ..] => vec![(*name).to_owned()],
                };
                let bodies: Vec<(String, String)> = hooks
                    .into_iter()
                    .filter_map(|h| self.npm_scripts.get(&h).map(|b| (h, b.clone())))
                    .collect();
                if bodies.is_empty() {
                    return None;
                }
                let mut out = Stdin::Terminal;
                for (name, body) in bodies {
                    out = self.nested(
                        &body,
                        inv.span(),
                        f,
                        format!("{} script {name}", inv.program),
                    );
                }
                Some(out)
            }
        }
    }

    /// `git config [--global] alias.NAME 'body'`: later `git NAME` runs the body. A shell alias
    /// (`!…`) stays in the configuration and runs whenever anyone types `git NAME`, so its body
    /// is judged now, as it is planted.
    pub(super) fn note_git_alias(&mut self, inv: &Invocation, f: &Frame) {
        let pos = self.rules.positionals(inv);
        if pos.first().is_some_and(|a| a.text == "config")
            && let Some(key) = pos.get(1)
            && let Some(name) = key.text.strip_prefix("alias.")
            && let Some(body) = pos.get(2)
        {
            self.git_aliases.insert(name.to_owned(), body.text.clone());
            if let Some(code) = body.text.strip_prefix('!') {
                if body.resolved {
                    self.nested(code, body.span, f, format!("git alias {name}"));
                } else {
                    self.fail(
                        "shell.dynamic-code",
                        "a git shell alias defined from a variable",
                        body.span,
                        f,
                    );
                }
            }
        }
    }

    /// `git -c alias.x='!rm -rf ~' x`: an alias defined on the command line runs its body.
    pub(super) fn git_alias(&mut self, inv: &Invocation, f: &Frame) -> Option<Stdin> {
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

    /// Standard input run as shell commands by a program that is not itself a shell
    /// (`… | cmd.exe`, `sudo -i <<< '…'`).
    fn shell_on_stdin(&mut self, inv: &Invocation, stdin: Stdin, f: &Frame) -> Stdin {
        let sh = Invocation {
            program: "sh".into(),
            program_span: inv.program_span,
            args: Vec::new(),
        };
        self.shell_without_flag(&sh, stdin, &HashMap::new(), f)
    }

    /// What a script argument holds, when that can be known: the output of a process
    /// substitution (`bash <(…)`), standard input (`/dev/stdin`, `-`), or a file written earlier
    /// in the same input. `None` for a script file on disk, which is not visible here.
    fn script_content(
        &self,
        inv: &Invocation,
        script: &Arg,
        stdin: &Stdin,
        contents: &HashMap<usize, Stdin>,
    ) -> Option<Stdin> {
        let idx = inv.args.iter().position(|a| std::ptr::eq(a, script));
        if let Some(c) = idx.and_then(|i| contents.get(&i)) {
            return Some(c.clone());
        }
        if script.text == "/dev/stdin" || script.text == "-" {
            return Some(stdin.clone());
        }
        if let Some(c) = self.file_content(&script.text) {
            return Some(c);
        }
        (!script.resolved).then(|| Stdin::Unknown(format!("the script `{}`", script.text)))
    }

    pub(super) fn source_builtin(
        &mut self,
        inv: &Invocation,
        stdin: Stdin,
        contents: &HashMap<usize, Stdin>,
        f: &Frame,
    ) -> Stdin {
        let Some(file) = inv.args.first() else {
            return Stdin::Terminal;
        };
        let content = self.script_content(inv, file, &stdin, contents);
        match content {
            Some(Stdin::Known(src)) => {
                self.nested(&src, file.span, f, format!("{} <(…)", inv.program))
            }
            Some(Stdin::Unknown(what)) => self.unknown_code(inv, &what, f),
            _ => {
                self.judge(inv.clone(), f);
                Stdin::Unknown(inv.program.clone())
            }
        }
    }

    pub(super) fn shell_without_flag(
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
        // `at -f FILE`: the file holds the commands.
        let from_file = stdin_only
            .then(|| {
                inv.args
                    .windows(2)
                    .find(|w| w[0].text == "-f")
                    .map(|w| w[1].clone())
            })
            .flatten();
        let content = match pos.first() {
            _ if from_file.is_some() => from_file
                .as_ref()
                .and_then(|a| self.file_content(&a.text))
                .unwrap_or_else(|| {
                    Stdin::Unknown(format!(
                        "the file `{}`",
                        from_file.as_ref().map_or("", |a| a.text.as_str())
                    ))
                }),
            _ if reads_stdin => stdin,
            Some(script) => match self.script_content(inv, script, &stdin, contents) {
                Some(c) => c,
                None => {
                    // A script file: its content is not visible here.
                    self.judge(inv.clone(), f);
                    return Stdin::Unknown(inv.program.clone());
                }
            },
            None if inv.args.iter().any(|a| a.text == "-s") || pos.is_empty() => stdin,
            None => Stdin::Terminal,
        };
        match content {
            Stdin::Known(src) => {
                let via = format!("piped into {}", inv.program);
                self.nested(&src, inv.span(), f, via)
            }
            Stdin::Unknown(what) => self.unknown_code(inv, &what, f),
            Stdin::Terminal => {
                // An interactive shell (`sudo /bin/bash`, `vim -c ':!/bin/sh'`, `find -exec sh -p`):
                // what is typed into it later never passes through blastwall.
                let informational = inv.args.iter().any(|a| {
                    matches!(
                        a.text.as_str(),
                        "--version" | "-version" | "--help" | "-h" | "-n" | "--noexec"
                    )
                });
                // A shell inside a container or on another host is that environment's business
                // (`docker exec -it web bash`); here it is an escape from judging.
                let remote = f.via.last().is_some_and(|w| {
                    matches!(
                        w.as_str(),
                        "docker"
                            | "podman"
                            | "nerdctl"
                            | "kubectl"
                            | "oc"
                            | "lxc"
                            | "incus"
                            | "ssh"
                            | "multipass"
                            | "toolbox"
                            | "distrobox"
                    )
                });
                if informational || remote {
                    self.judge(inv.clone(), f);
                } else {
                    let reason = format!(
                        "starts an interactive `{}`: whatever runs in it afterwards is never judged",
                        inv.program
                    );
                    self.fail("shell.interactive", &reason, inv.span(), f);
                }
                Stdin::Unknown(inv.program.clone())
            }
        }
    }

    pub(super) fn interpreter(
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
                // Only where the words are input files (Perl and Ruby's `-n`/`-p` loops, awk);
                // for Python and Node they are the script's own arguments.
                if !files.is_empty() && matches!(language, "perl" | "ruby" | "awk") {
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
                let script = positionals(&inv.args, &[]).first().copied();
                let content = match script {
                    Some(s) => self.script_content(inv, s, &stdin, contents),
                    None => Some(stdin),
                };
                match content {
                    Some(Stdin::Known(src)) => (src, inv.span()),
                    Some(Stdin::Unknown(what)) => return self.unknown_code(inv, &what, f),
                    _ => {
                        self.judge(inv.clone(), f);
                        // `python manage.py flush`: the script is a program with rules of its own.
                        if let Some(script) = script {
                            let at = inv
                                .args
                                .iter()
                                .position(|a| std::ptr::eq(a, script))
                                .unwrap_or(0);
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

    pub(super) fn interpreter_code(
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
                Found::Argv(words) if words.first().is_some_and(|w| w.0 == "<sql>") => {
                    self.code_sql(inv, &words, call_span, f);
                }
                Found::Argv(words) if words.first().is_some_and(|w| w.0 == "<http>") => {
                    let mut frame = f.clone();
                    frame.depth += 1;
                    frame.via.push(via);
                    self.code_http(inv, &words, call_span, &frame);
                }
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

    /// `cqlsh -e '…'` or CQL on standard input: statements that only read (SELECT, DESCRIBE, USE,
    /// …) pass; anything else is held, naming its first word. CQL is not SQL, so the SQL
    /// classifier is not asked.
    fn cql(&mut self, inv: &Invocation, stdin: &Stdin, f: &Frame) -> Option<Stdin> {
        let text = match (embedded_cql(inv), stdin) {
            (Some(arg), _) if arg.resolved => arg.text.clone(),
            (None, Stdin::Known(text)) => text.clone(),
            _ => return None,
        };
        const READS: &[&str] = &[
            "SELECT",
            "DESCRIBE",
            "DESC",
            "USE",
            "SHOW",
            "LIST",
            "CONSISTENCY",
            "SERIAL",
            "TRACING",
            "EXPAND",
            "PAGING",
            "HELP",
            "CAPTURE",
            "CLEAR",
            "CLS",
            "EXIT",
            "QUIT",
            "LOGIN",
        ];
        let statements: Vec<&str> = text
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty() && !s.starts_with("--") && !s.starts_with("//"))
            .collect();
        let writes: Vec<String> = statements
            .iter()
            .map(|s| {
                s.split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase()
            })
            .filter(|w| !READS.contains(&w.as_str()))
            .collect();
        if writes.is_empty() {
            return Some(Stdin::Unknown("`cqlsh`".into()));
        }
        if writes.iter().all(|w| w == "INSERT") {
            return None;
        }
        let reason = format!(
            "`cqlsh` runs CQL that changes data or schema (`{}`): a human should read the statements",
            writes.join("`, `")
        );
        self.fail_with("db.cql-write", &reason, inv.span(), f, Effect::Destructive);
        Some(Stdin::Unknown("`cqlsh`".into()))
    }

    /// SQL a one-liner hands to a database driver (`cur.execute('DROP SCHEMA public CASCADE')`):
    /// judged by the SQL classifier. Text that does not start like SQL (`db.query('users')`) is
    /// not SQL; SQL built at run time that starts with a destructive verb is held unseen.
    fn code_sql(&mut self, inv: &Invocation, words: &[(String, bool)], span: Span, f: &Frame) {
        let Some((text, literal)) = words.get(1) else {
            return;
        };
        let body = text.trim_matches(|c: char| c.is_whitespace() || "'\"`".contains(c));
        let first = body
            .split(|c: char| !c.is_ascii_alphabetic())
            .find(|w| !w.is_empty())
            .unwrap_or("")
            .to_ascii_uppercase();
        const SQL_START: &[&str] = &[
            "SELECT", "INSERT", "UPDATE", "DELETE", "DROP", "TRUNCATE", "ALTER", "CREATE", "GRANT",
            "REVOKE", "WITH", "DO", "COPY", "MERGE", "REPLACE", "VACUUM", "BEGIN", "SET", "CALL",
            "EXECUTE", "PREPARE", "RENAME", "SHOW", "EXPLAIN", "ANALYZE", "REINDEX", "CLUSTER",
            "COMMENT", "LOCK", "PRAGMA", "ATTACH", "DETACH", "USE",
        ];
        if !SQL_START.contains(&first.as_str()) {
            return;
        }
        if !*literal {
            if matches!(
                first.as_str(),
                "DROP" | "TRUNCATE" | "DELETE" | "ALTER" | "UPDATE"
            ) {
                let reason = format!(
                    "`{}` runs SQL built when it runs (`{}`…): a human should check the statements",
                    inv.program,
                    body.chars().take(60).collect::<String>()
                );
                self.fail_with("db.sql-unseen", &reason, span, f, Effect::Destructive);
            }
            return;
        }
        if let Some(actions) = self.registry.classify(Language::Sql, body, self.ctx) {
            self.handed_off(actions, inv, span, f);
        }
    }

    /// An HTTP request a one-liner makes (`requests.delete(url)`, `fetch(url, {method:'DELETE'})`):
    /// judged as the same request sent by curl. Sending the whole environment is held.
    fn code_http(&mut self, inv: &Invocation, words: &[(String, bool)], span: Span, f: &Frame) {
        const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
        let method = words
            .iter()
            .skip(1)
            .rev()
            .find(|(w, _)| METHODS.contains(&w.as_str()))
            .map_or("GET", |(w, _)| w.as_str());
        let url = words.last().filter(|(w, _)| w.contains("://"));
        if words.iter().any(|(w, _)| w == "<environment>") {
            let to = url.map_or("a server".to_owned(), |(u, _)| format!("`{u}`"));
            let reason = format!(
                "`{}` sends the whole environment (tokens and passwords included) to {to}",
                inv.program
            );
            self.fail_with(
                "cred.env-exfiltration",
                &reason,
                span,
                f,
                Effect::Destructive,
            );
        }
        let Some((url, resolved)) = url else {
            return;
        };
        let arg = |text: &str, resolved: bool| Arg {
            text: text.to_owned(),
            span,
            resolved,
        };
        let argv = vec![
            arg("curl", true),
            arg("-X", true),
            arg(method, true),
            arg(url, *resolved),
        ];
        self.run(argv, Stdin::Terminal, HashMap::new(), f);
    }

    pub(super) fn wrapper_for(&self, inv: &Invocation) -> Option<WrapperSpec> {
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

    pub(super) fn wrapper(
        &mut self,
        inv: &Invocation,
        spec: &WrapperSpec,
        stdin: Stdin,
        f: &Frame,
    ) -> Stdin {
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
        let mut entrypoint: Option<Arg> = None;
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
                // `-dmS name`: a short cluster whose last letter takes a value.
                let cluster_value = !t.starts_with("--")
                    && t.len() > 2
                    && spec
                        .value_options
                        .iter()
                        .any(|o| o.len() == 2 && t.ends_with(&o[1..]));
                if spec.value_options.iter().any(|o| o == t)
                    || cluster_value
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
                if let Some((_, program)) = spec
                    .entrypoints
                    .iter()
                    .find(|(image, _)| blastwall_core::glob::matches(image, t))
                {
                    entrypoint = Some(Arg {
                        text: program.clone(),
                        span: args[i].span,
                        resolved: true,
                    });
                }
                skip_left -= 1;
                i += 1;
                continue;
            }
            break;
        }
        // An image whose entrypoint is a known program runs it with the words that follow.
        let mut inner: Vec<Arg> = entrypoint.into_iter().collect();
        inner.extend(args[i.min(args.len())..].iter().cloned());
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
        let exec_instead = spec.exec_flags.iter().any(|x| {
            args.iter().any(|a| {
                a.text == *x
                    || is_short_cluster_with(&a.text, x.chars().nth(1).unwrap_or('x'))
                        && x.len() == 2
            })
        });
        let mode = if exec_instead {
            WrapperMode::Exec
        } else {
            spec.mode
        };
        match mode {
            WrapperMode::ShellString => {
                if inner.is_empty() {
                    // `… | cmd.exe`, `… | ssh host`: the commands come on standard input.
                    if !matches!(stdin, Stdin::Terminal) {
                        return self.shell_on_stdin(inv, stdin, &frame);
                    }
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
                    .all(|a| !a.text.contains(|c: char| ";|&<>()$`'\"\\\n*?".contains(c)));
                if simple {
                    // `ssh host sh`, `ssh host 'bash -s'` (reading a here-document or a pipe): run
                    // the words as a command, with that input.
                    let words: Vec<Arg> = inner
                        .iter()
                        .flat_map(|a| {
                            a.text.split_whitespace().map(|w| Arg {
                                text: w.to_owned(),
                                span: a.span,
                                resolved: true,
                            })
                        })
                        .collect();
                    if !words.is_empty() {
                        return self.run(words, stdin, HashMap::new(), &frame);
                    }
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
                    // `sudo -i <<< 'cmd'`, `su -s`: a login shell reading standard input.
                    let shell = args.iter().any(|a| {
                        matches!(a.text.as_str(), "-i" | "-s" | "--login" | "--shell" | "-")
                    });
                    if shell && !matches!(stdin, Stdin::Terminal) {
                        return self.shell_on_stdin(inv, stdin, &frame);
                    }
                    self.judge(inv.clone(), f);
                    return Stdin::Unknown(inv.program.clone());
                }
                self.run(inner, stdin, HashMap::new(), &frame)
            }
        }
    }

    /// `find … -delete` and `find … -exec CMD {} ;`: the deletion or command applies to the
    /// starting points (or to what the name filters select under them).
    pub(super) fn find(&mut self, inv: &Invocation, f: &Frame) {
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
                        text: format!("{}/**/{}", root.text.trim_end_matches('/'), n.text),
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
                            text: format!("{}/**/{}", root.text.trim_end_matches('/'), n.text),
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
}

/// The SQL a database client runs from its command line (`psql -c`, `mysql -e`, `sqlite3 db 'SQL'`).
/// The SQL a database client runs, when it is known: the statement given with `-c`/`-e`, or the
/// text piped or here-documented into a client with no script flag. Unknown SQL (a variable, a
/// file, another program's output) is left to the client's rule, which asks.
pub(super) enum ClientSql {
    Known(String, Span),
    /// SQL fed from something unknowable; the text names it.
    Unseen(String),
    None,
}

/// The CQL given to `cqlsh -e` / `--execute`.
fn embedded_cql(inv: &Invocation) -> Option<&Arg> {
    let i = inv
        .args
        .iter()
        .position(|a| a.text == "-e" || a.text == "--execute")?;
    inv.args.get(i + 1)
}

pub(super) fn client_sql(inv: &Invocation, stdin: &Stdin) -> ClientSql {
    if let Some(arg) = embedded_sql(inv) {
        return if arg.resolved {
            ClientSql::Known(arg.text.clone(), arg.span)
        } else {
            ClientSql::None
        };
    }
    let has = |word: &str| inv.args.iter().any(|a| a.text == word);
    let client = matches!(
        inv.program.as_str(),
        "psql"
            | "pgcli"
            | "mysql"
            | "mariadb"
            | "mycli"
            | "sqlite3"
            | "litecli"
            | "cockroach"
            | "usql"
            | "duckdb"
            | "clickhouse-client"
    ) || match inv.program.as_str() {
        // PaaS CLIs that open a database session reading standard input.
        "heroku" => has("pg:psql"),
        "fly" | "flyctl" => (has("postgres") || has("pg")) && has("connect"),
        "railway" => has("connect"),
        "pscale" => has("shell"),
        "supabase" => has("db") && has("shell"),
        "neonctl" => has("psql"),
        _ => false,
    };
    let scripted = inv.args.iter().any(|a| {
        matches!(
            a.text.as_str(),
            "-f" | "--file" | "-i" | "--init" | "-source"
        ) || a.text.starts_with("--file=")
    });
    match stdin {
        Stdin::Known(text) if client && !scripted => ClientSql::Known(text.clone(), inv.span()),
        Stdin::Unknown(producer) if client && !scripted => ClientSql::Unseen(producer.clone()),
        _ => ClientSql::None,
    }
}

/// The makefile `make -f FILE` (or `--file`, `--makefile`, `-fFILE`) reads, when named.
fn build_file(inv: &Invocation) -> Option<Arg> {
    if !matches!(inv.program.as_str(), "make" | "gmake" | "bmake" | "remake") {
        return None;
    }
    for (i, a) in inv.args.iter().enumerate() {
        let t = a.text.as_str();
        if matches!(t, "-f" | "--file" | "--makefile") {
            return inv.args.get(i + 1).filter(|a| a.resolved).cloned();
        }
        let value = t
            .strip_prefix("--file=")
            .or_else(|| t.strip_prefix("--makefile="))
            .or_else(|| t.strip_prefix("-f").filter(|v| !v.is_empty()));
        if let Some(v) = value.filter(|_| a.resolved) {
            return Some(Arg {
                text: v.to_owned(),
                span: a.span,
                resolved: true,
            });
        }
    }
    None
}

/// The shell lines of a makefile's recipes (tab-indented lines, without the `@`, `-` and `+`
/// prefixes make strips), one per line: what `make` would hand to the shell.
fn recipes(makefile: &str) -> String {
    makefile
        .lines()
        .filter_map(|l| l.strip_prefix('\t'))
        .map(|l| l.trim_start_matches(['@', '-', '+']).replace("$$", "$"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The script file a database client is told to run (`psql -f FILE`, `sqlite3 -init FILE`), when
/// its name is known.
fn script_file(inv: &Invocation) -> Option<&Arg> {
    if !matches!(
        inv.program.as_str(),
        "psql" | "pgcli" | "cockroach" | "usql" | "duckdb" | "sqlite3" | "litecli"
    ) {
        return None;
    }
    let i = inv
        .args
        .iter()
        .position(|a| matches!(a.text.as_str(), "-f" | "--file" | "-init" | "--init"))?;
    inv.args.get(i + 1).filter(|a| a.resolved)
}

pub(super) fn embedded_sql(inv: &Invocation) -> Option<&Arg> {
    let flags: &[&str] = match inv.program.as_str() {
        "psql" | "pgcli" | "cockroach" | "usql" => &["-c", "--command"],
        "mysql" | "mariadb" | "mycli" => &["-e", "--execute"],
        "clickhouse-client" | "duckdb" => &["-q", "--query", "-c"],
        // `heroku pg:psql -a app -c '…'`: a PaaS CLI opening a psql session.
        "heroku" if inv.args.iter().any(|a| a.text == "pg:psql") => &["-c", "--command"],
        "wrangler" if inv.args.iter().any(|a| a.text == "d1") => &["--command"],
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

/// `/usr/bin/rm` → `rm`; `RM` → `rm` (case-insensitive file systems run it too).
pub(super) fn program_name(text: &str) -> String {
    let base = text.rsplit('/').next().unwrap_or(text);
    let base = if base.is_empty() { text } else { base };
    // `vercel@latest` (run through npx): the package's program.
    let base = match base.split_once('@') {
        Some((name, _)) if !name.is_empty() => name,
        _ => base,
    };
    base.to_ascii_lowercase()
}

/// `-c`, `-lc`, `-xec`: a short-option cluster containing `flag`, where it takes the next word.
pub(super) fn is_short_cluster_with(arg: &str, flag: char) -> bool {
    let b = arg.as_bytes();
    b.len() >= 2
        && b[0] == b'-'
        && b[1] != b'-'
        && arg[1..].chars().all(|c| c.is_ascii_alphabetic())
        && arg[1..].contains(flag)
}
