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
#[derive(Debug, Clone, Default, Deserialize)]
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
    /// How hooks and the CLI reach the control plane (user configuration only).
    #[serde(default)]
    pub control: Option<ControlSection>,
    /// How `blastwall serve` runs (user configuration only).
    #[serde(default)]
    pub serve: Option<ServeSection>,
}

/// `[control]`: where the control plane is and what a hook does when it cannot reach it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlSection {
    /// The daemon's base URL, e.g. `http://127.0.0.1:7878`.
    pub url: String,
    /// A file holding this agent's token (from `blastwall agents create`). The environment
    /// variable `BLASTWALL_AGENT_TOKEN` takes precedence.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// What hooks decide while the daemon is unreachable.
    #[serde(default)]
    pub when_down: WhenDown,
    /// How long a hook waits for humans before answering `ask` (0: answer at once).
    #[serde(default)]
    pub wait_seconds: u64,
}

/// What a hook decides while the control plane is unreachable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WhenDown {
    /// Reads and writes are decided locally; destructive and irreversible actions are denied.
    #[default]
    DenyDestructive,
    /// Reads are decided locally; every change is denied.
    DenyChanges,
    /// Everything is denied.
    DenyAll,
}

/// `[serve]`: how `blastwall serve` runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeSection {
    /// Address to listen on (default `127.0.0.1:7878`).
    #[serde(default)]
    pub listen: Option<String>,
    /// Directory of the control database and the first admin's token.
    #[serde(default)]
    pub state_dir: Option<PathBuf>,
    /// A Cedar policy file, watched and reloaded (default: the embedded policy).
    #[serde(default)]
    pub policy: Option<PathBuf>,
    /// Lifetime of an approval request in seconds (default 900: 15 minutes).
    #[serde(default)]
    pub approval_ttl_seconds: Option<u64>,
    /// The operator's offset from UTC in minutes, for policies about local hours.
    #[serde(default)]
    pub utc_offset_minutes: Option<i32>,
    /// The environment variable holding the shared secret of signed vote callbacks.
    #[serde(default)]
    pub callback_secret_env: Option<String>,
    #[serde(default)]
    pub webhooks: Vec<WebhookSection>,
}

/// One `[[serve.webhooks]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSection {
    pub url: String,
    /// `slack` (incoming-webhook JSON) or `signed` (generic JSON with an HMAC-SHA256 signature).
    pub format: WebhookFormat,
    /// For `signed`: the environment variable holding the secret.
    #[serde(default)]
    pub secret_env: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    Slack,
    Signed,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSection {
    /// Rule id or wildcard (`git.*`) → `allow` | `ask` | `deny`.
    #[serde(default)]
    pub overrides: BTreeMap<String, Decision>,
    /// Extra rule-pack files, relative to the file that names them.
    #[serde(default)]
    pub packs: Vec<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitSection {
    /// Branches (wildcards allowed) added to the protected ones.
    #[serde(default)]
    pub protected_branches: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
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
    /// Its resources are throwaway: a rule's `ask` for destroying a whole cloud, cluster or
    /// database resource there is relaxed to `allow` (never for `prod`).
    #[serde(default)]
    pub disposable: Option<bool>,
}

/// Everything the classifiers and the core need, with the files it came from.
#[derive(Debug)]
pub struct Loaded {
    pub policy: Policy,
    pub rules: RuleSet,
    pub sources: Vec<PathBuf>,
    /// `[control]` of the first file (the user's), if any.
    pub control: Option<ControlSection>,
    /// `[serve]` of the first file (the user's), if any.
    pub serve: Option<ServeSection>,
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

/// The existing files of `files`, read and parsed in order. `[control]` and `[serve]` are
/// accepted only in the first file (the user's, or the one given with `--config`).
pub fn read_files(files: &[PathBuf]) -> Result<Vec<(PathBuf, ConfigFile)>, ConfigError> {
    let mut parsed = Vec::new();
    for (i, path) in files.iter().enumerate() {
        if !path.exists() {
            continue;
        }
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let file = parse(&text, path)?;
        if i > 0 && (file.control.is_some() || file.serve.is_some()) {
            // The project file is writable by the agent working in it: it must not be able to
            // point the hook at another control plane or loosen what happens when it is down.
            return Err(ConfigError::Invalid {
                path: path.clone(),
                message: "[control] and [serve] are read only from the user configuration \
                          (~/.config/blastwall/blastwall.toml or --config), never from a project \
                          file an agent can edit; move them there"
                    .into(),
            });
        }
        parsed.push((path.clone(), file));
    }
    Ok(parsed)
}

/// Loads the embedded packs, then each existing file in order (later files win).
pub fn load(files: &[PathBuf]) -> Result<Loaded, ConfigError> {
    load_parsed(read_files(files)?)
}

/// [`load`] for files already read with [`read_files`].
pub fn load_parsed(parsed: Vec<(PathBuf, ConfigFile)>) -> Result<Loaded, ConfigError> {
    let mut rules = blastwall_rules::embedded()?;
    let mut policy = Policy::default();
    let mut sources = Vec::new();
    let (mut control, mut serve) = (None, None);
    for (path, mut file) in parsed {
        if control.is_none() && serve.is_none() {
            control = file.control.take();
            serve = file.serve.take();
        }
        apply(file, &path, &mut rules, &mut policy)?;
        sources.push(path);
    }
    Ok(Loaded {
        policy,
        rules,
        sources,
        control,
        serve,
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
    if is_prod && section.disposable == Some(true) {
        return Err(ConfigError::Invalid {
            path: path.to_owned(),
            message: format!("[environments.{name}]: production cannot be `disposable`"),
        });
    }
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
        disposable: section
            .disposable
            .or(base.as_ref().map(|b| b.disposable))
            .unwrap_or(false),
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
