//! Environments (dev, staging, prod, custom) and how an action is placed in one.
//!
//! A classifier collects *hints* from the input (arguments, hostnames, kube contexts, paths, the
//! working directory); [`Environments::resolve`] matches them against the declared patterns. When
//! several environments match, the one with the highest `rank` wins: an action that touches both a
//! dev and a prod resource is a prod action.

use serde::{Deserialize, Serialize};

use crate::Decision;
use crate::action::Effect;
use crate::glob;

/// The environment an action runs against.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Environment(pub String);

impl Environment {
    /// The environment of an action no pattern matched.
    pub fn unknown() -> Self {
        Environment("unknown".to_owned())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The least strict decision allowed for each effect in an environment.
///
/// A floor only ever makes a decision stricter; nothing (not even a user rule override) brings a
/// decision below the floor of its environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Floors {
    pub read: Decision,
    pub write: Decision,
    pub destructive: Decision,
    pub irreversible: Decision,
}

impl Floors {
    /// No floor at all: rule decisions stand as they are.
    pub const NONE: Floors = Floors {
        read: Decision::Allow,
        write: Decision::Allow,
        destructive: Decision::Allow,
        irreversible: Decision::Allow,
    };

    /// Production: anything destructive needs approval, anything irreversible is refused.
    pub const PROD: Floors = Floors {
        read: Decision::Allow,
        write: Decision::Allow,
        destructive: Decision::Ask,
        irreversible: Decision::Deny,
    };

    pub fn for_effect(&self, effect: Effect) -> Decision {
        match effect {
            Effect::Read => self.read,
            Effect::Write => self.write,
            Effect::Destructive => self.destructive,
            Effect::Irreversible => self.irreversible,
        }
    }
}

/// One declared environment: its name, how it is recognized, how strict it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvPattern {
    pub name: String,
    /// Higher wins when several environments match one action.
    pub rank: u32,
    /// Patterns matched against every hint. A pattern without `*`/`?` matches a hint that has it
    /// as a whole token (hints split at non-alphanumeric characters): `prod` matches
    /// `db.prod.internal` and `--context=prod` but not `product`. A pattern with wildcards must
    /// match the whole hint.
    pub patterns: Vec<String>,
    pub floors: Floors,
    /// Resources here are throwaway (test databases, temporary buckets, preview namespaces): a
    /// rule's `ask` for a destructive action on a whole cloud, cluster or database resource is
    /// relaxed to `allow`. Only bare names count as hints for such an environment (no spaces,
    /// `key=value`, options, paths, URLs or `host:path`), so a comment, a label selector or a
    /// scratch directory elsewhere in the command cannot make a resource look disposable; a
    /// higher-ranked match (prod, staging) always wins.
    #[serde(default)]
    pub disposable: bool,
}

impl EnvPattern {
    fn matches(&self, hint: &str) -> bool {
        if self.disposable
            && (hint.contains([' ', '\t', '\n', '=', '/', '\\', ':', '@']) || hint.starts_with('-'))
        {
            return false;
        }
        // The hint's tokens are split once for all of this environment's plain patterns.
        let mut tokens: Option<Vec<&str>> = None;
        self.patterns.iter().any(|p| {
            if p.contains(['*', '?']) {
                return glob::matches(p, hint);
            }
            tokens
                .get_or_insert_with(|| {
                    hint.split(|c: char| !c.is_ascii_alphanumeric())
                        .filter(|t| !t.is_empty())
                        .collect()
                })
                .iter()
                .any(|t| t.eq_ignore_ascii_case(p))
        })
    }
}

/// The declared environments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environments {
    pub declared: Vec<EnvPattern>,
    /// The environment of an action that matches no pattern.
    pub default: String,
}

impl Default for Environments {
    /// Built-in defaults: `prod` recognized by the usual names, `staging`, and everything else
    /// `unknown` (treated like dev).
    fn default() -> Self {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        Environments {
            declared: vec![
                EnvPattern {
                    name: "prod".into(),
                    rank: 30,
                    patterns: names(&["prod", "production", "prd", "live"]),
                    floors: Floors::PROD,
                    disposable: false,
                },
                EnvPattern {
                    name: "staging".into(),
                    rank: 20,
                    patterns: names(&["staging", "stage", "stg", "preprod"]),
                    floors: Floors::NONE,
                    disposable: false,
                },
                EnvPattern {
                    name: "disposable".into(),
                    rank: 15,
                    patterns: names(&[
                        "test",
                        "tests",
                        "testing",
                        "tmp",
                        "temp",
                        "scratch",
                        "sandbox",
                        "preview",
                        "previews",
                        "ephemeral",
                        "e2e",
                        "fixture",
                        "fixtures",
                        "localstack",
                        "throwaway",
                        "disposable",
                        "pr-[0-9]*",
                        "*-pr-[0-9]*",
                        "*_pr_[0-9]*",
                        "*-pr[0-9]*",
                    ]),
                    floors: Floors::NONE,
                    disposable: true,
                },
                EnvPattern {
                    name: "dev".into(),
                    rank: 10,
                    patterns: names(&["dev", "development", "local", "localhost"]),
                    floors: Floors::NONE,
                    disposable: false,
                },
            ],
            default: "unknown".into(),
        }
    }
}

impl Environments {
    /// Like [`Environments::resolve`], ignoring disposable environments: for hints that may be
    /// free text (a JSON body, a description) and so must not make a resource look throwaway.
    pub fn resolve_lasting<'h>(
        &self,
        hints: impl IntoIterator<Item = &'h str>,
    ) -> (Environment, Option<String>) {
        let lasting = Environments {
            declared: self
                .declared
                .iter()
                .filter(|e| !e.disposable)
                .cloned()
                .collect(),
            default: self.default.clone(),
        };
        lasting.resolve(hints)
    }

    /// The environment the hints point at, and the hint that decided it.
    pub fn resolve<'h>(
        &self,
        hints: impl IntoIterator<Item = &'h str>,
    ) -> (Environment, Option<String>) {
        let mut best: Option<(&EnvPattern, &str)> = None;
        for hint in hints {
            for env in &self.declared {
                if best.is_some_and(|(b, _)| b.rank >= env.rank) {
                    continue;
                }
                if env.matches(hint) {
                    best = Some((env, hint));
                }
            }
        }
        match best {
            Some((env, hint)) => (Environment(env.name.clone()), Some(hint.to_owned())),
            None => (Environment(self.default.clone()), None),
        }
    }

    /// Is this a declared disposable environment (see [`EnvPattern::disposable`])?
    pub fn is_disposable(&self, env: &Environment) -> bool {
        self.declared
            .iter()
            .any(|e| e.name == env.0 && e.disposable)
    }

    /// The floors of an environment; an undeclared one has none.
    pub fn floors(&self, env: &Environment) -> Floors {
        self.declared
            .iter()
            .find(|e| e.name == env.0)
            .map_or(Floors::NONE, |e| e.floors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prod_token_matches_hostnames_but_not_words_containing_it() {
        let envs = Environments::default();
        assert_eq!(envs.resolve(["db.prod.internal"]).0.as_str(), "prod");
        assert_eq!(envs.resolve(["--context=production"]).0.as_str(), "prod");
        assert_eq!(envs.resolve(["product-catalog"]).0.as_str(), "unknown");
    }

    #[test]
    fn highest_rank_wins() {
        let envs = Environments::default();
        assert_eq!(
            envs.resolve(["dev", "staging", "dev"]).0.as_str(),
            "staging"
        );
        assert_eq!(envs.resolve(["dev", "prod"]).0.as_str(), "prod");
    }
}
