//! Classifiers: the plug-ins that turn raw input of one language into [`Action`]s.
//!
//! A classifier may find a piece of another language inside its input (SQL given to `psql -c`, an
//! HTTP request sent by `curl`) and hand it to the [`Registry`], which routes it to the classifier
//! of that language. A classifier never performs the action, never does I/O and never knows which
//! door called it.

use std::collections::BTreeMap;

use crate::action::{Action, Door, Language, Principal};
use crate::environment::Environments;

/// What a door knows about where and by whom the input is run.
#[derive(Clone, Debug)]
pub struct Context {
    pub principal: Principal,
    pub door: Door,
    /// The working directory the input runs in, when known.
    pub cwd: Option<String>,
    /// Environment variables the door knows (never secrets: the door decides what to pass).
    pub vars: BTreeMap<String, String>,
    pub environments: Environments,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            principal: Principal::default(),
            door: Door::Check,
            cwd: None,
            vars: BTreeMap::new(),
            environments: Environments::default(),
        }
    }
}

/// Turns raw input of one language into actions.
pub trait Classifier: Send + Sync {
    fn language(&self) -> Language;

    /// Classifies `input`. Must not panic, must terminate in bounded time, and must fail closed:
    /// input it cannot understand yields an action whose finding is `ask` or `deny`.
    fn classify(&self, input: &str, ctx: &Context, registry: &Registry) -> Vec<Action>;
}

/// The classifiers a door has, one per language.
#[derive(Default)]
pub struct Registry {
    classifiers: Vec<Box<dyn Classifier>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a classifier, replacing any earlier one of the same language.
    pub fn with(mut self, classifier: Box<dyn Classifier>) -> Self {
        self.classifiers
            .retain(|c| c.language() != classifier.language());
        self.classifiers.push(classifier);
        self
    }

    pub fn get(&self, language: Language) -> Option<&dyn Classifier> {
        self.classifiers
            .iter()
            .find(|c| c.language() == language)
            .map(|c| c.as_ref())
    }

    /// Classifies `input` as `language`, or `None` when no classifier for it is registered (the
    /// caller must then fail closed).
    pub fn classify(&self, language: Language, input: &str, ctx: &Context) -> Option<Vec<Action>> {
        self.get(language).map(|c| c.classify(input, ctx, self))
    }
}
