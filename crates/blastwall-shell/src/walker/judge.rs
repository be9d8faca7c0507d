//! Turning one invocation into an [`Action`]: the strictest matching rule, its reason and span,
//! the environment, and fail-closed actions for what cannot be judged.

use super::*;

impl Walker<'_> {
    pub(super) fn judge(&mut self, inv: Invocation, f: &Frame) {
        let help = self.rules.is_help(&inv);
        let matches = if help {
            Vec::new()
        } else {
            self.rules.matches(&inv, self.cwd.as_deref())
        };
        self.judge_with(inv, matches, help, f);
    }

    /// Judges the invocation only when a rule names it (a wrapper such as `docker run
    /// --privileged`, an assignment such as `HISTFILE=`): no action for the harmless ones.
    pub(super) fn judge_if_matched(&mut self, inv: &Invocation, f: &Frame) {
        if self.rules.is_help(inv) {
            return;
        }
        let matches = self.rules.matches(inv, self.cwd.as_deref());
        if !matches.is_empty() {
            self.judge_with(inv.clone(), matches, false, f);
        }
    }

    fn judge_with(
        &mut self,
        inv: Invocation,
        matches: Vec<blastwall_rules::RuleMatch<'_>>,
        help: bool,
        f: &Frame,
    ) {
        let span = inv.span();
        let cwd = self.cwd.clone();
        // The strictest match wins; among equals the first in pack order (the more specific).
        let best = matches
            .into_iter()
            .enumerate()
            .max_by_key(|(i, m)| (m.rule.decision, m.rule.effect, std::cmp::Reverse(*i)))
            .map(|(_, m)| m);
        let operation = operation_name(self.rules, &inv);
        let (finding, effect, radius, resource) = match best {
            Some(m) => {
                let class = match (m.target_kind(), m.class) {
                    ("git-branch", Some(PathClass::Protected)) => "a protected branch",
                    ("git-branch", Some(PathClass::Unresolved)) => {
                        "a branch only known when it runs"
                    }
                    ("git-branch", _) => "a branch",
                    (_, Some(c)) => c.describe(),
                    (_, None) => "",
                };
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
                    kind: m.target_kind().into(),
                    name: m.target.clone().unwrap_or_else(|| operation.clone()),
                };
                let note = if target.is_empty() {
                    String::new()
                } else {
                    format!("{class} `{target}`")
                };
                (
                    Finding {
                        rule: m.rule.id.clone(),
                        decision: m.rule.decision,
                        reason,
                        span: m.span,
                    },
                    m.rule.effect,
                    BlastRadius::new(m.rule.scope.unwrap_or(Scope::Single), note),
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
                    BlastRadius::new(
                        if effect == Effect::Read {
                            Scope::None
                        } else {
                            Scope::Single
                        },
                        "",
                    ),
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
        let (mut environment, _) = self
            .ctx
            .environments
            .resolve(hints.iter().map(String::as_str));
        // Free text (`--description temp`, `-m "tmp fix"`) says nothing about what is destroyed:
        // a resource is throwaway only when a name outside such text says so.
        if self.ctx.environments.is_disposable(&environment) {
            let named: Vec<&str> = names_outside_free_text(&inv.args)
                .chain(f.hints.iter().map(String::as_str))
                .collect();
            if !self
                .ctx
                .environments
                .is_disposable(&self.ctx.environments.resolve(named.iter().copied()).0)
            {
                environment = self
                    .ctx
                    .environments
                    .resolve_lasting(hints.iter().map(String::as_str))
                    .0;
            }
        }
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
            blast_radius: radius,
            raw,
            span,
            depth: f.depth,
            via: f.via.clone(),
            finding,
        });
    }

    /// Actions judged by another language's classifier (SQL given to `psql`, an HTTP request
    /// sent by `curl`), placed at `span` of this input. The classifier saw only its own text, so
    /// the environment named by the command's arguments (`-h db.prod`, the URL) is added here.
    pub(super) fn handed_off(
        &mut self,
        actions: Vec<Action>,
        inv: &Invocation,
        span: Span,
        f: &Frame,
    ) {
        let mut hints: Vec<&str> = inv
            .args
            .iter()
            .filter(|a| a.resolved)
            .map(|a| a.text.as_str())
            .chain(f.hints.iter().map(String::as_str))
            .collect();
        // What the statement or request acts on (`DROP DATABASE app_test`) names its
        // environment as well as the client's arguments do.
        hints.extend(actions.iter().map(|a| a.resource.name.as_str()));
        let (environment, found) = self.ctx.environments.resolve(hints);
        for mut a in actions {
            let inner = a.via.clone();
            a.span = span;
            a.finding.span = span;
            a.depth += f.depth + 1;
            a.via = f
                .via
                .iter()
                .cloned()
                .chain([inv.program.clone()])
                .chain(inner)
                .collect();
            if found.is_some() && a.environment.0 == self.ctx.environments.default {
                a.environment = environment.clone();
            }
            self.actions.push(a);
        }
    }

    /// Packages an installer fetches that are known-malicious versions, near-misses of popular
    /// names, or code from outside the registry: each is held, naming the package.
    pub(super) fn judge_packages(&mut self, inv: &Invocation, f: &Frame) {
        use crate::packages::{Concern, concern, requested};
        for r in requested(&inv.program, &inv.args) {
            let (rule, reason) = match concern(&r) {
                None => continue,
                Some(Concern::KnownMalicious) => (
                    "package.known-malicious",
                    format!(
                        "`{}` installs `{}`, a package version known to have shipped malicious code",
                        inv.program, r.arg.text
                    ),
                ),
                Some(Concern::Typosquat { of }) => (
                    "package.typosquat",
                    format!(
                        "`{}` installs `{}`, which looks like a misspelling of the popular package `{of}`: typosquatted names carry malware",
                        inv.program, r.name
                    ),
                ),
                Some(Concern::OutsideRegistry) => (
                    "package.outside-registry",
                    format!(
                        "`{}` installs `{}` straight from a repository or URL, outside the registry: nothing vouches for that code",
                        inv.program, r.name
                    ),
                ),
            };
            self.fail_with(rule, &reason, r.arg.span, f, Effect::Write);
        }
    }

    /// An `ask` action for input that cannot be judged (fail closed).
    pub(super) fn fail(&mut self, rule: &str, reason: &str, span: Span, f: &Frame) {
        self.fail_with(rule, reason, span, f, Effect::Write);
    }

    /// Like [`Walker::fail`] for a mechanism that knows the effect (a saved destroy plan).
    pub(super) fn fail_with(
        &mut self,
        rule: &str,
        reason: &str,
        span: Span,
        f: &Frame,
        effect: Effect,
    ) {
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
            effect,
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

/// `git push`, `kubectl delete`, `rm`: the program and its subcommand words.
pub(super) fn operation_name(rules: &RuleSet, inv: &Invocation) -> String {
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

/// The action for an input whose classification failed inside blastwall itself: `ask`, with a
/// reason that says so.
pub(crate) fn internal_error(input: &str, ctx: &Context) -> Action {
    let span = Span::new(0, input.len());
    Action {
        principal: ctx.principal.clone(),
        environment: ctx.environments.resolve(std::iter::empty()).0,
        door: ctx.door.clone(),
        language: Language::Shell,
        operation: "unknown".into(),
        resource: Resource { kind: "code".into(), name: "unknown".into() },
        effect: Effect::Write,
        blast_radius: BlastRadius::new(Scope::Unknown, "cannot be estimated"),
        raw: input.chars().take(512).collect(),
        span,
        depth: 0,
        via: Vec::new(),
        finding: Finding {
            rule: "shell.internal-error".into(),
            decision: Decision::Ask,
            reason: "blastwall failed while reading this command (please report it); a human should check it".into(),
            span,
        },
    }
}

/// The resolved arguments that are not the value of a free-text option (a description, comment,
/// message, note, title, label or tag).
fn names_outside_free_text(args: &[Arg]) -> impl Iterator<Item = &str> {
    let free_text = |t: &str| {
        let t = t.trim_start_matches('-').to_ascii_lowercase();
        let key = t.split('=').next().unwrap_or("");
        [
            "description",
            "comment",
            "message",
            "note",
            "title",
            "label",
            "tag",
            "body",
            "reason",
            "summary",
            "notes",
            "annotation",
            "m",
        ]
        .iter()
        .any(|k| key == *k || key.ends_with(&format!("-{k}")) || key.ends_with(&format!("_{k}")))
    };
    args.iter().enumerate().filter_map(move |(i, a)| {
        let after_free_text = i > 0
            && args[i - 1].text.starts_with('-')
            && !args[i - 1].text.contains('=')
            && free_text(&args[i - 1].text);
        let is_free_text = a.text.starts_with('-') && a.text.contains('=') && free_text(&a.text);
        (a.resolved && !after_free_text && !is_free_text).then_some(a.text.as_str())
    })
}
