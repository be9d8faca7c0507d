//! `blastwall.toml`: the operator's configuration, merged from the user file and the project file
//! (the project wins), turned into the [`Policy`] and [`RuleSet`] the core and classifiers use.
//!
//! Unknown keys are errors that name the key, the file and the line: a typo in a security policy
//! must never be silently ignored. This crate reads files; it never writes them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use blastwall_core::{Decision, EnvPattern, Environments, Floors, Policy};
use blastwall_rules::{PackError, PathLists, RuleSet};
use serde::Deserialize;

/// A configuration that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(transparent)]
    Pack(#[from] PackError),
}

/// One `blastwall.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub rules: RulesSection,
    #[serde(default)]
    pub paths: Option<PathLists>,
    #[serde(default)]
    pub git: GitSection,
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentSection>,
    /// The environment of actions no pattern matches (default `unknown`).
    #[serde(default)]
    pub default_environment: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSection {
    /// Rule id or wildcard (`git.*`) → `allow` | `ask` | `deny`.
    #[serde(default)]
    pub overrides: BTreeMap<String, Decision>,
    /// Extra rule-pack files, relative to the file that names them.
    #[serde(default)]
    pub packs: Vec<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitSection {
    /// Branches (wildcards allowed) added to the protected ones.
    #[serde(default)]
    pub protected_branches: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSection {
    /// Patterns matched against hostnames, connection strings, kube contexts, PaaS project and
    /// environment names, paths and the working directory.
    pub patterns: Vec<String>,
    #[serde(default)]
    pub rank: Option<u32>,
    #[serde(default)]
    pub write: Option<Decision>,
    #[serde(default)]
    pub destructive: Option<Decision>,
    #[serde(default)]
    pub irreversible: Option<Decision>,
}

/// Everything the classifiers and the core need, with the files it came from.
#[derive(Debug)]
pub struct Loaded {
    pub policy: Policy,
    pub rules: RuleSet,
    pub sources: Vec<PathBuf>,
}

/// The user configuration file: `$BLASTWALL_CONFIG`, else `$XDG_CONFIG_HOME/blastwall/blastwall.toml`,
/// else `~/.config/blastwall/blastwall.toml`.
pub fn user_config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BLASTWALL_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("blastwall").join("blastwall.toml"))
}

/// The project configuration: `blastwall.toml` or `.blastwall.toml` in `dir` or its nearest
/// ancestor that has one.
pub fn project_config_path(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .flat_map(|d| [d.join("blastwall.toml"), d.join(".blastwall.toml")])
        .find(|p| p.is_file())
}

/// Loads the embedded packs, then each existing file in order (later files win).
pub fn load(files: &[PathBuf]) -> Result<Loaded, ConfigError> {
    let mut rules = blastwall_rules::embedded()?;
    let mut policy = Policy::default();
    let mut sources = Vec::new();
    for path in files {
        if !path.exists() {
            continue;
        }
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let file = parse(&text, path)?;
        apply(file, path, &mut rules, &mut policy)?;
        sources.push(path.clone());
    }
    Ok(Loaded {
        policy,
        rules,
        sources,
    })
}

/// Parses one configuration file's text.
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Syntax {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

fn apply(
    file: ConfigFile,
    path: &Path,
    rules: &mut RuleSet,
    policy: &mut Policy,
) -> Result<(), ConfigError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    for pack in &file.rules.packs {
        let pack_path = dir.join(pack);
        let text = std::fs::read_to_string(&pack_path).map_err(|source| ConfigError::Read {
            path: pack_path.clone(),
            source,
        })?;
        rules.add_pack(&text, &pack_path.display().to_string())?;
    }
    policy.overrides.extend(file.rules.overrides);
    if let Some(paths) = file.paths {
        rules.paths.extend(paths);
    }
    rules.protected_branches.extend(file.git.protected_branches);
    if let Some(d) = file.default_environment {
        policy.environments.default = d;
    }
    for (name, env) in file.environments {
        apply_environment(&mut policy.environments, name, env, path)?;
    }
    Ok(())
}

fn apply_environment(
    envs: &mut Environments,
    name: String,
    section: EnvironmentSection,
    path: &Path,
) -> Result<(), ConfigError> {
    let existing = envs.declared.iter().position(|e| e.name == name);
    let base = existing.map(|i| envs.declared[i].clone());
    let is_prod = matches!(name.as_str(), "prod" | "production");
    let base_floors = base
        .as_ref()
        .map_or(if is_prod { Floors::PROD } else { Floors::NONE }, |b| {
            b.floors
        });
    let floors = Floors {
        read: Decision::Allow,
        write: section.write.unwrap_or(base_floors.write),
        destructive: section.destructive.unwrap_or(base_floors.destructive),
        irreversible: section.irreversible.unwrap_or(base_floors.irreversible),
    };
    if is_prod && (floors.destructive == Decision::Allow || floors.irreversible == Decision::Allow)
    {
        return Err(ConfigError::Invalid {
            path: path.to_owned(),
            message: format!(
                "[environments.{name}]: destructive and irreversible actions in production can be `ask` or `deny`, never `allow`"
            ),
        });
    }
    let pattern = EnvPattern {
        name: name.clone(),
        rank: section.rank.or(base.as_ref().map(|b| b.rank)).unwrap_or(15),
        patterns: section.patterns,
        floors,
    };
    match existing {
        Some(i) => envs.declared[i] = pattern,
        None => envs.declared.push(pattern),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_key_and_line() {
        let err = parse("[rules]\noverides = {}\n", Path::new("blastwall.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("overides") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn prod_can_never_allow_destructive() {
        let dir = std::env::temp_dir().join(format!("bw-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("blastwall.toml");
        std::fs::write(
            &path,
            "[environments.prod]\npatterns = [\"prod\"]\ndestructive = \"allow\"\n",
        )
        .unwrap();
        let err = load(std::slice::from_ref(&path)).unwrap_err().to_string();
        assert!(err.contains("never `allow`"), "{err}");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn later_files_override_earlier_ones() {
        let dir = std::env::temp_dir().join(format!("bw-config-test2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let user = dir.join("user.toml");
        let project = dir.join("project.toml");
        std::fs::write(&user, "[rules.overrides]\n\"git.reset.hard\" = \"deny\"\n").unwrap();
        std::fs::write(&project, "[rules.overrides]\n\"git.reset.hard\" = \"allow\"\n[paths]\nprotected = [\"/srv/data\"]\n").unwrap();
        let loaded = load(&[user, project]).unwrap();
        assert_eq!(loaded.policy.overrides["git.reset.hard"], Decision::Allow);
        assert!(
            loaded
                .rules
                .paths
                .protected
                .contains(&"/srv/data".to_string())
        );
        std::fs::remove_dir_all(dir).ok();
    }
}
