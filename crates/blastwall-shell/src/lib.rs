//! The shell classifier: bash source in, one [`Action`] per command that would run out.
//!
//! Parsing uses a real bash parser (`brush-parser`); no regular expression over the raw string
//! decides anything. The walker sees through everything that can hide a command: wrappers (`sudo`,
//! `env`, `timeout`, `xargs`, `ssh host '…'`, `kubectl exec … --`), nested shells (`bash -c`,
//! `eval`, `source`, here-documents and pipes into a shell), command substitutions, decodings
//! (`base64 -d | sh`, `xxd -r -p`, `rev`, `printf '\x72\x6d'`), interpreter one-liners
//! (`python -c`, `node -e`, `perl -e`, `ruby -e`), variables, functions and aliases defined earlier
//! in the same input, quoting, escapes, brace expansion and globs. Each command found is judged by
//! the rule packs (`blastwall-rules`).
//!
//! Fail closed: input that cannot be parsed, is too large or too deeply nested, or runs code that
//! cannot be known (`curl … | sh`, a command name in an unset variable) becomes an `ask` action
//! with a reason saying so. This crate never runs anything and never touches the file system.

mod code;
mod packages;
mod producers;
mod walker;
mod words;

use std::sync::Arc;

use blastwall_core::{Action, Classifier, Context, Language, Registry};
use blastwall_rules::RuleSet;

pub use walker::Limits;

/// The shell classifier, holding the rule packs it judges with.
pub struct ShellClassifier {
    rules: Arc<RuleSet>,
    limits: Limits,
}

impl ShellClassifier {
    pub fn new(rules: Arc<RuleSet>) -> Self {
        ShellClassifier {
            rules,
            limits: Limits::default(),
        }
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }
}

impl Classifier for ShellClassifier {
    fn language(&self) -> Language {
        Language::Shell
    }

    fn classify(&self, input: &str, ctx: &Context, registry: &Registry) -> Vec<Action> {
        // Defence in depth: the parser's known panics are caught where it is called; anything
        // else that panics still fails closed instead of taking the door down.
        let walk = std::panic::AssertUnwindSafe(|| {
            walker::classify(&self.rules, &self.limits, input, ctx, registry)
        });
        std::panic::catch_unwind(walk).unwrap_or_else(|_| vec![walker::internal_error(input, ctx)])
    }
}
