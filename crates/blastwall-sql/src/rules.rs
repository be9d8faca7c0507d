//! The SQL rule table (`rules.toml`, embedded): the effect, decision, scope and reason of every
//! rule id the classifier can emit, and the server functions it watches.
//!
//! This module only loads and looks up data; it never decides which rule applies.

use std::collections::HashMap;
use std::sync::OnceLock;

use blastwall_core::{Decision, Effect, Scope};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    rule: Vec<SqlRule>,
    #[serde(default)]
    function: Vec<FunctionRule>,
}

/// The judgement one SQL rule id stands for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlRule {
    pub id: String,
    pub effect: Effect,
    pub decision: Decision,
    pub scope: Scope,
    /// May hold `{target}` and `{why}`.
    pub reason: String,
    #[serde(default)]
    pub instead: Option<String>,
}

/// A server function worth a finding whenever it is called.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionRule {
    pub names: Vec<String>,
    pub rule: String,
    /// `non-constant-argument`: only when an argument is not a literal (the call picks its
    /// victims by query, as in `SELECT pg_terminate_backend(pid) FROM pg_stat_activity`).
    #[serde(default)]
    pub when: Option<String>,
}

pub struct Table {
    rules: HashMap<String, SqlRule>,
    functions: HashMap<String, FunctionRule>,
}

impl Table {
    fn load(text: &str) -> Result<Table, toml::de::Error> {
        let file: File = toml::from_str(text)?;
        let rules = file.rule.into_iter().map(|r| (r.id.clone(), r)).collect();
        let functions = file
            .function
            .into_iter()
            .flat_map(|f| {
                f.names
                    .clone()
                    .into_iter()
                    .map(move |n| (n.to_ascii_lowercase(), f.clone()))
            })
            .collect();
        Ok(Table { rules, functions })
    }

    /// The rule of `id`. Every id the classifier emits is in the table (a test checks it).
    pub fn rule(&self, id: &str) -> &SqlRule {
        self.rules
            .get(id)
            .or_else(|| self.rules.get("sql.internal-error"))
            .expect("rules.toml defines sql.internal-error")
    }

    pub fn function(&self, name: &str) -> Option<&FunctionRule> {
        self.functions.get(name)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.rules.keys().map(String::as_str)
    }
}

/// The embedded table, parsed once.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        Table::load(include_str!("../rules.toml")).expect("rules.toml is checked by the tests")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_table_loads() {
        let t = super::table();
        assert!(t.ids().any(|id| id == "sql.drop.table"));
        assert!(t.function("lo_unlink").is_some());
    }
}
