//! The policy set in force, shared by every evaluation, and its hot reload.
//!
//! Readers take an `Arc` of the current set and keep it for as long as they evaluate; a reload
//! swaps the `Arc` in one step. This module must never let a file that fails to read, parse or
//! validate replace the set in force, and must never leave the store without a set.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::error::PolicyError;
use crate::set::{PolicySet, validate};

/// What a successful reload changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReloadReport {
    pub path: PathBuf,
    /// Number of policies now in force.
    pub policies: usize,
    /// Whether the text differs from the set it replaced.
    pub changed: bool,
    /// Policy ids that are new, and ids that are gone.
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// Holds the policy set in force.
#[derive(Debug)]
pub struct PolicyStore {
    current: RwLock<Arc<PolicySet>>,
}

impl Default for PolicyStore {
    /// A store serving the embedded default policy.
    fn default() -> Self {
        PolicyStore::new(PolicySet::defaults())
    }
}

impl PolicyStore {
    pub fn new(set: PolicySet) -> PolicyStore {
        PolicyStore {
            current: RwLock::new(Arc::new(set)),
        }
    }

    /// The set in force now.
    pub fn current(&self) -> Arc<PolicySet> {
        // A panic while holding the lock cannot leave a half-written Arc behind: keep serving.
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reads, validates and installs the policy file at `path`. On any error the set in force
    /// stays as it was and the error says why.
    pub fn reload_from(&self, path: &Path) -> Result<ReloadReport, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_owned(),
            source,
        })?;
        let set = validate(&text, &path.display().to_string())?;
        Ok(self.install(set, path))
    }

    /// Installs an already validated set (for policies that do not come from a file).
    pub fn replace(&self, set: PolicySet) -> ReloadReport {
        let path = PathBuf::from(set.file());
        self.install(set, &path)
    }

    fn install(&self, set: PolicySet, path: &Path) -> ReloadReport {
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let old: BTreeSet<&String> = guard.ids().iter().collect();
        let new: BTreeSet<&String> = set.ids().iter().collect();
        let report = ReloadReport {
            path: path.to_owned(),
            policies: set.len(),
            changed: guard.source() != set.source(),
            added: new.difference(&old).map(|s| (*s).clone()).collect(),
            removed: old.difference(&new).map(|s| (*s).clone()).collect(),
        };
        *guard = Arc::new(set);
        report
    }
}
