//! The merged [`RuleSet`] of every loaded pack, and matching an [`Invocation`] against it.

use blastwall_core::{Span, glob};

use crate::invocation::{Arg, Invocation};
use crate::model::{
    CodeCall, InterpreterSpec, PackError, PackFile, PackMeta, ProgramSpec, Rule, ShellSpec,
    TargetMode, WrapperSpec,
};
use crate::paths::{PathClass, PathLists};

/// The embedded packs, parsed and checked by the build script (see `build.rs`).
static EMBEDDED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/packs.postcard"));

/// What matched: the rule, the part of the input it points at, and the target it is about.
#[derive(Clone, Debug)]
pub struct RuleMatch<'r> {
    pub rule: &'r Rule,
    pub span: Span,
    /// The target (path, branch, resource) the decision is about, when there is one.
    pub target: Option<String>,
    pub class: Option<PathClass>,
}

impl RuleMatch<'_> {
    /// What kind of thing the target is: `git-branch` for refspecs, `path` otherwise, `command`
    /// when the rule has no target.
    pub fn target_kind(&self) -> &'static str {
        match (&self.target, &self.rule.targets_from) {
            (None, _) => "command",
            (Some(_), TargetMode::Refspecs) => "git-branch",
            (Some(_), _) => "path",
        }
    }
}

/// Every loaded pack merged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleSet {
    pub packs: Vec<PackMeta>,
    pub rules: Vec<Rule>,
    pub programs: Vec<ProgramSpec>,
    pub wrappers: Vec<WrapperSpec>,
    pub shells: Vec<ShellSpec>,
    pub interpreters: Vec<InterpreterSpec>,
    pub code_calls: Vec<CodeCall>,
    pub paths: PathLists,
    pub read_only: Vec<String>,
    pub protected_branches: Vec<String>,
    pub trusted_code_producers: Vec<String>,
    /// Lookups by program name, rebuilt after every pack so that judging a command looks only at
    /// the rules and specs its program can match.
    index: Indexes,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Indexes {
    rules: NameIndex,
    programs: NameIndex,
    wrappers: NameIndex,
    shells: NameIndex,
    interpreters: NameIndex,
    read_only: NameIndex,
}

/// Positions of the entries naming a program: literal names in a map, wildcard ones in a list.
#[derive(Clone, Debug, Default, PartialEq)]
struct NameIndex {
    literal: std::collections::HashMap<String, Vec<usize>>,
    wildcard: Vec<usize>,
}

impl NameIndex {
    fn build<'a>(lists: impl Iterator<Item = &'a [String]> + Clone) -> NameIndex {
        // Sized once: growing the map rehashes every name, a large part of start-up.
        let names = lists.clone().map(<[String]>::len).sum();
        let mut index = NameIndex {
            literal: std::collections::HashMap::with_capacity(names),
            wildcard: Vec::new(),
        };
        for (i, names) in lists.enumerate() {
            let mut wild = false;
            for name in names {
                if glob::is_pattern(name) {
                    wild = true;
                } else {
                    let entry = index.literal.entry(name.clone()).or_default();
                    if entry.last() != Some(&i) {
                        entry.push(i);
                    }
                }
            }
            if wild {
                index.wildcard.push(i);
            }
        }
        index
    }

    /// Entries that may name `program`, in order (callers confirm wildcard ones).
    fn candidates(&self, program: &str) -> Vec<usize> {
        let literal = self.literal.get(program).map_or(&[][..], Vec::as_slice);
        if self.wildcard.is_empty() {
            return literal.to_vec();
        }
        let mut idx: Vec<usize> = literal.iter().chain(&self.wildcard).copied().collect();
        idx.sort_unstable();
        idx.dedup();
        idx
    }
}

/// The embedded packs.
pub fn embedded() -> Result<RuleSet, PackError> {
    let files: Vec<PackFile> = postcard::from_bytes(EMBEDDED).map_err(|e| PackError::Syntax {
        origin: "(embedded)".to_owned(),
        message: e.to_string(),
    })?;
    let mut set = RuleSet::default();
    for file in files {
        set.merge(file);
    }
    set.reindex();
    Ok(set)
}

impl RuleSet {
    /// Adds one pack. A rule whose id is already loaded replaces the earlier one in place.
    pub fn add_pack(&mut self, text: &str, origin: &str) -> Result<(), PackError> {
        let file = PackFile::parse(text, origin)?;
        self.merge(file);
        self.reindex();
        Ok(())
    }

    /// Adds one parsed pack without rebuilding the indexes.
    fn merge(&mut self, file: PackFile) {
        self.packs.push(file.pack);
        for rule in file.rule {
            match self.rules.iter_mut().find(|r| r.id == rule.id) {
                Some(existing) => *existing = rule,
                None => self.rules.push(rule),
            }
        }
        if let Some(paths) = file.paths {
            self.paths.extend(paths);
        }
        self.programs.extend(file.program);
        self.wrappers.extend(file.wrapper);
        self.shells.extend(file.shell);
        self.interpreters.extend(file.interpreter);
        self.code_calls.extend(file.code_call);
        self.read_only.extend(file.read_only);
        self.protected_branches.extend(file.protected_branches);
        self.trusted_code_producers
            .extend(file.trusted_code_producers);
    }

    fn reindex(&mut self) {
        self.index = Indexes {
            rules: NameIndex::build(self.rules.iter().map(|r| r.programs.as_slice())),
            programs: NameIndex::build(self.programs.iter().map(|p| p.names.as_slice())),
            wrappers: NameIndex::build(self.wrappers.iter().map(|w| w.names.as_slice())),
            shells: NameIndex::build(self.shells.iter().map(|s| s.names.as_slice())),
            interpreters: NameIndex::build(self.interpreters.iter().map(|s| s.names.as_slice())),
            read_only: NameIndex::build(self.read_only.iter().map(std::slice::from_ref)),
        };
    }

    /// The rules that can match `program`, in pack order.
    fn candidate_rules(&self, program: &str) -> impl Iterator<Item = &Rule> {
        self.index
            .rules
            .candidates(program)
            .into_iter()
            .map(|i| &self.rules[i])
            .filter(move |r| any_glob(&r.programs, program))
    }

    /// The shell source carried in option values of `inv` (`ssh -o ProxyCommand=…`), with the
    /// argument each came from.
    pub fn shell_option_values<'a>(&self, inv: &'a Invocation) -> Vec<(String, &'a Arg)> {
        let mut out = Vec::new();
        for spec in self.program_specs(&inv.program) {
            for entry in &spec.shell_options {
                let (opt, prefix) = entry.split_once(':').unwrap_or((entry.as_str(), ""));
                for (i, a) in inv.args.iter().enumerate() {
                    let value = if a.text == opt {
                        inv.args.get(i + 1).map(|v| (v.text.as_str(), v))
                    } else if let Some(v) =
                        a.text.strip_prefix(opt).and_then(|r| r.strip_prefix('='))
                    {
                        Some((v, a))
                    } else if opt.len() == 2
                        && opt.starts_with('-')
                        && a.text.len() > 2
                        && a.text.starts_with(opt)
                        && !a.text.starts_with("--")
                    {
                        // `-oProxyCommand=…`: a short option with its value attached.
                        Some((&a.text[2..], a))
                    } else {
                        None
                    };
                    if let Some((v, arg)) = value
                        && let Some(code) = v.strip_prefix(prefix)
                        && !code.trim().is_empty()
                    {
                        out.push((json_commands(code), arg));
                    }
                }
            }
        }
        out
    }

    /// How to read `program`'s command line: the first spec naming it that lists value options
    /// (specs that only set help behaviour do not hide it).
    pub fn program_spec(&self, program: &str) -> Option<&ProgramSpec> {
        let mut first = None;
        for i in self.index.programs.candidates(program) {
            let p = &self.programs[i];
            if any_glob(&p.names, program) {
                if !p.value_options.is_empty() {
                    return Some(p);
                }
                first.get_or_insert(p);
            }
        }
        first
    }

    fn program_specs(&self, program: &str) -> Vec<&ProgramSpec> {
        let idx = self.index.programs.candidates(program);
        idx.into_iter()
            .map(|i| &self.programs[i])
            .filter(|p| any_glob(&p.names, program))
            .collect()
    }

    /// Wrapper specs naming `program`, in pack order.
    pub fn wrappers_for(&self, program: &str) -> Vec<&WrapperSpec> {
        let idx = self.index.wrappers.candidates(program);
        idx.into_iter()
            .map(|i| &self.wrappers[i])
            .filter(|w| any_glob(&w.names, program))
            .collect()
    }

    /// The shell spec naming `program`.
    pub fn shell_for(&self, program: &str) -> Option<&ShellSpec> {
        let idx = self.index.shells.candidates(program);
        idx.into_iter()
            .map(|i| &self.shells[i])
            .find(|s| any_glob(&s.names, program))
    }

    /// The interpreter spec naming `program`.
    pub fn interpreter_for(&self, program: &str) -> Option<&InterpreterSpec> {
        let idx = self.index.interpreters.candidates(program);
        idx.into_iter()
            .map(|i| &self.interpreters[i])
            .find(|s| any_glob(&s.names, program))
    }

    /// Every program name the packs mention literally (for resolving `/bin/r?`).
    pub fn known_programs(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .flat_map(|r| r.programs.iter())
            .chain(self.wrappers.iter().flat_map(|w| w.names.iter()))
            .chain(self.shells.iter().flat_map(|s| s.names.iter()))
            .chain(self.interpreters.iter().flat_map(|s| s.names.iter()))
            .map(String::as_str)
            .filter(|n| !glob::is_pattern(n))
    }

    /// Does any pack know this program (a rule that is not a catch-all, a program spec, a
    /// wrapper, shell, interpreter or read-only entry)?
    pub fn knows(&self, program: &str) -> bool {
        let ix = &self.index;
        // Literal names first: one map lookup each.
        if ix
            .rules
            .literal
            .get(program)
            .is_some_and(|rules| rules.iter().any(|&i| !self.rules[i].unless_known))
            || [
                &ix.programs,
                &ix.wrappers,
                &ix.shells,
                &ix.interpreters,
                &ix.read_only,
            ]
            .iter()
            .any(|index| index.literal.contains_key(program))
        {
            return true;
        }
        let rules =
            ix.rules.wildcard.iter().any(|&i| {
                !self.rules[i].unless_known && any_glob(&self.rules[i].programs, program)
            });
        rules
            || ix
                .programs
                .wildcard
                .iter()
                .any(|&i| any_glob(&self.programs[i].names, program))
            || ix
                .wrappers
                .wildcard
                .iter()
                .any(|&i| any_glob(&self.wrappers[i].names, program))
            || ix
                .shells
                .wildcard
                .iter()
                .any(|&i| any_glob(&self.shells[i].names, program))
            || ix
                .interpreters
                .wildcard
                .iter()
                .any(|&i| any_glob(&self.interpreters[i].names, program))
            || ix
                .read_only
                .wildcard
                .iter()
                .any(|&i| glob::matches(&self.read_only[i], program))
    }

    pub fn is_read_only(&self, program: &str) -> bool {
        let idx = self.index.read_only.candidates(program);
        idx.into_iter()
            .any(|i| glob::matches(&self.read_only[i], program))
    }

    /// Is `command` (the source of a substitution) a known producer of shell code to evaluate?
    pub fn is_trusted_code_producer(&self, command: &str) -> bool {
        let command = command.trim();
        !command.contains([';', '|', '&', '`', '$', '\n', '>', '<'])
            && any_glob(&self.trusted_code_producers, command)
    }

    pub fn is_protected_branch(&self, branch: &str) -> bool {
        any_glob(&self.protected_branches, branch)
    }

    /// The positional arguments of an invocation (flags and their values skipped).
    pub fn positionals<'a>(&self, inv: &'a Invocation) -> Vec<&'a Arg> {
        let value_options: &[String] = self
            .program_spec(&inv.program)
            .map_or(&[], |p| &p.value_options);
        positionals(&inv.args, value_options)
    }

    /// Is this invocation only asking for help (`--help`, `-h`, `help ...`)?
    pub fn is_help(&self, inv: &Invocation) -> bool {
        let specs = self.program_specs(&inv.program);
        let dash_h = specs.iter().any(|p| p.dash_h_is_help);
        if specs.iter().any(|p| p.help_word)
            && self.positionals(inv).iter().any(|a| a.text == "help")
        {
            return true;
        }
        let mut before_dd = inv.args.iter().take_while(|a| a.text != "--");
        if before_dd.any(|a| a.text == "--help" || a.text == "-help" || (dash_h && a.text == "-h"))
        {
            return true;
        }
        self.positionals(inv)
            .first()
            .is_some_and(|a| a.text == "help")
    }

    /// Every rule matching the invocation; relative targets are taken relative to `cwd` when known.
    pub fn matches<'r>(&'r self, inv: &Invocation, cwd: Option<&str>) -> Vec<RuleMatch<'r>> {
        let positionals = self.positionals(inv);
        // Several rules judge the same targets: classify each path once.
        let classes = ClassCache::default();
        let known = std::cell::OnceCell::new();
        self.candidate_rules(&inv.program)
            .filter(|r| !r.unless_known || !*known.get_or_init(|| self.knows(&inv.program)))
            .filter_map(|r| self.match_rule(r, inv, &positionals, cwd, &classes))
            .collect()
    }

    fn match_rule<'r>(
        &self,
        rule: &'r Rule,
        inv: &Invocation,
        positionals: &[&Arg],
        cwd: Option<&str>,
        classes: &ClassCache,
    ) -> Option<RuleMatch<'r>> {
        let mut span = inv.program_span;
        // Subcommand: first word first, the rest in order.
        let mut next = 0usize;
        for (i, word) in rule.subcommand.iter().enumerate() {
            let found = positionals[next..]
                .iter()
                .position(|a| word.split('|').any(|alt| glob::matches(alt, &a.text)))
                .filter(|&at| i > 0 || at == 0)?;
            span = span.cover(positionals[next + found].span);
            next += found + 1;
        }
        if !rule.any_positional.is_empty() {
            let hit = positionals
                .iter()
                .find(|a| rule.any_positional.matches(&a.text))?;
            span = span.cover(hit.span);
        }
        if positionals
            .iter()
            .any(|a| rule.no_positional.matches(&a.text))
        {
            return None;
        }
        for group in &rule.flags {
            let hit = group.split('|').find_map(|f| inv.find_flag(f))?;
            span = span.cover(hit.span);
        }
        if rule
            .no_flags
            .iter()
            .any(|f| f.split('|').any(|f| inv.has_flag(f)))
        {
            return None;
        }
        if !rule.any_arg.is_empty() {
            let hit = inv.args.iter().find(|a| rule.any_arg.matches(&a.text))?;
            span = span.cover(hit.span);
        }
        if rule.targets.is_empty() {
            return Some(RuleMatch {
                rule,
                span,
                target: None,
                class: None,
            });
        }
        if rule.targets_from == TargetMode::Refspecs {
            return self.match_refspecs(rule, span, &positionals[next..]);
        }
        let default_arg;
        let mut targets: Vec<&Arg> = match &rule.targets_from {
            TargetMode::Operands => positionals[next..].to_vec(),
            TargetMode::Last => positionals.last().copied().into_iter().collect(),
            TargetMode::Refspecs => Vec::new(),
            TargetMode::Key(key) => inv
                .args
                .iter()
                .filter(|a| {
                    a.text
                        .strip_prefix(key.as_str())
                        .is_some_and(|r| r.starts_with('='))
                })
                .collect(),
        };
        if targets.is_empty()
            && let Some(default) = &rule.default_target
        {
            default_arg = Arg::new(default.clone(), inv.program_span);
            targets.push(&default_arg);
        }
        targets.into_iter().find_map(|t| {
            let text = match &rule.targets_from {
                TargetMode::Key(key) => &t.text[key.len() + 1..],
                _ => t.text.as_str(),
            };
            let class = classes.get(text, t.resolved, || {
                self.paths.classify_in(text, t.resolved, cwd)
            });
            rule.targets.contains(&class).then(|| RuleMatch {
                rule,
                span: span.cover(t.span),
                target: Some(text.to_owned()),
                class: Some(class),
            })
        })
    }
}

impl RuleSet {
    fn match_refspecs<'r>(
        &self,
        rule: &'r Rule,
        span: Span,
        operands: &[&Arg],
    ) -> Option<RuleMatch<'r>> {
        let refspecs = operands.get(1..).unwrap_or(&[]);
        if refspecs.is_empty() {
            return rule
                .targets
                .contains(&PathClass::Unresolved)
                .then(|| RuleMatch {
                    rule,
                    span,
                    target: Some("the current branch".into()),
                    class: Some(PathClass::Unresolved),
                });
        }
        refspecs.iter().find_map(|spec| {
            let text = spec.text.trim_start_matches('+');
            let dst = text.rsplit_once(':').map_or(text, |(_, d)| d);
            let dst = dst.strip_prefix("refs/heads/").unwrap_or(dst);
            let class =
                if !spec.resolved || dst == "HEAD" || dst.is_empty() && !text.starts_with(':') {
                    PathClass::Unresolved
                } else if self.is_protected_branch(dst) {
                    PathClass::Protected
                } else {
                    PathClass::Ordinary
                };
            rule.targets.contains(&class).then(|| RuleMatch {
                rule,
                span: span.cover(spec.span),
                target: Some(dst.to_owned()),
                class: Some(class),
            })
        })
    }
}

/// `["mkfs …", "reboot"]` (a JSON list of commands, as cloud run-command APIs take them) → one
/// line each; anything else unchanged.
fn json_commands(code: &str) -> String {
    let trimmed = code.trim();
    if !trimmed.starts_with('[') {
        return code.to_owned();
    }
    let mut out = Vec::new();
    let mut rest = trimmed;
    while let Some(start) = rest.find('"') {
        let Some(len) = rest[start + 1..].find('"') else {
            break;
        };
        out.push(rest[start + 1..start + 1 + len].replace("\\\"", "\""));
        rest = &rest[start + len + 2..];
    }
    out.join("\n")
}

/// Path classes already computed for one invocation.
#[derive(Default)]
struct ClassCache(std::cell::RefCell<Vec<(String, bool, PathClass)>>);

impl ClassCache {
    fn get(&self, text: &str, resolved: bool, compute: impl FnOnce() -> PathClass) -> PathClass {
        if let Some((_, _, c)) = self
            .0
            .borrow()
            .iter()
            .find(|(t, r, _)| t == text && *r == resolved)
        {
            return *c;
        }
        let class = compute();
        self.0.borrow_mut().push((text.to_owned(), resolved, class));
        class
    }
}

/// Positionals of an argument list: not flags, not values of `value_options`; everything after
/// `--`.
pub fn positionals<'a>(args: &'a [Arg], value_options: &[String]) -> Vec<&'a Arg> {
    let mut out = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        let t = a.text.as_str();
        if t == "--" {
            out.extend(iter);
            break;
        }
        if t.starts_with('-') && t.len() > 1 {
            if value_options.iter().any(|o| o == t) {
                iter.next();
            }
            continue;
        }
        out.push(a);
    }
    out
}

fn any_glob(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| glob::matches(p, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_packs_load() {
        let set = embedded().expect("embedded packs are valid");
        assert!(set.rules.len() > 50, "only {} rules", set.rules.len());
        let mut ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "rule ids are unique");
    }

    /// The packs parsed from their TOML text now, as a user pack would be.
    fn parsed_from_toml() -> RuleSet {
        let mut set = RuleSet::default();
        for name in crate::model::EMBEDDED_PACKS {
            let path = format!("{}/packs/{name}.toml", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).expect("pack file readable");
            set.add_pack(&text, &path).expect("pack valid");
        }
        set
    }

    #[test]
    fn embedded_form_equals_the_toml_packs() {
        let embedded = embedded().unwrap();
        let parsed = parsed_from_toml();
        assert_eq!(embedded.packs, parsed.packs);
        assert_eq!(embedded.rules, parsed.rules);
        assert_eq!(embedded.programs, parsed.programs);
        assert_eq!(embedded.wrappers, parsed.wrappers);
        assert_eq!(embedded.shells, parsed.shells);
        assert_eq!(embedded.interpreters, parsed.interpreters);
        assert_eq!(embedded.code_calls, parsed.code_calls);
        assert_eq!(embedded.paths, parsed.paths);
        assert_eq!(embedded.read_only, parsed.read_only);
        assert_eq!(embedded.protected_branches, parsed.protected_branches);
        assert_eq!(
            embedded.trusted_code_producers,
            parsed.trusted_code_producers
        );
        // Everything, the indexes included.
        assert_eq!(embedded, parsed);
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_line() {
        let mut set = RuleSet::default();
        let err = set
            .add_pack(
                "[pack]\nid = \"x\"\ndescription = \"y\"\nbogus = 1\n",
                "user.toml",
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("bogus") && err.contains("line 4"), "{err}");
    }

    #[test]
    fn user_rule_replaces_embedded_rule_with_same_id() {
        let mut set = embedded().unwrap();
        let id = set.rules[0].id.clone();
        let n = set.rules.len();
        let pack = format!(
            "[pack]\nid='u'\ndescription='u'\n[[rule]]\nid='{id}'\nprograms=['x']\neffect='read'\ndecision='allow'\nreason='r'\n"
        );
        set.add_pack(&pack, "user.toml").unwrap();
        assert_eq!(set.rules.len(), n);
        assert_eq!(set.rules[0].programs, vec!["x".to_string()]);
    }
}
