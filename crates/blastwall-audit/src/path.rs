//! Where the audit log lives when nothing else is configured.
//!
//! Reads environment variables only; it must never create anything (that is `AuditLog::open`'s job).

use std::ffi::OsString;
use std::path::PathBuf;

use crate::error::AuditError;

/// The variable that overrides the audit log's location.
pub const PATH_VAR: &str = "BLASTWALL_AUDIT_LOG";

/// The default audit log: `$BLASTWALL_AUDIT_LOG`, else `$XDG_STATE_HOME/blastwall/audit.db`, else
/// `$HOME/.local/state/blastwall/audit.db`.
pub fn default_path() -> Result<PathBuf, AuditError> {
    default_path_from(|name| std::env::var_os(name))
}

/// [`default_path`] with the environment given as a function (for callers and tests that do not
/// read the process environment). Empty values count as unset, and so does a relative
/// `XDG_STATE_HOME`, as the XDG base directory specification requires.
pub fn default_path_from(var: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, AuditError> {
    match var(PATH_VAR).filter(|v| !v.is_empty()) {
        Some(path) => Ok(PathBuf::from(path)),
        None => state_dir_from(var)
            .map(|dir| dir.join("audit.db"))
            .ok_or(AuditError::NoDefaultPath),
    }
}

/// blastwall's state directory: `$XDG_STATE_HOME/blastwall`, else
/// `$HOME/.local/state/blastwall`; `None` when neither is set.
pub fn state_dir() -> Option<PathBuf> {
    state_dir_from(|name| std::env::var_os(name))
}

/// [`state_dir`] with the environment given as a function. Empty values count as unset, and so
/// does a relative `XDG_STATE_HOME`, as the XDG base directory specification requires.
pub fn state_dir_from(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(state) = set("XDG_STATE_HOME").filter(|p| p.is_absolute()) {
        return Some(state.join("blastwall"));
    }
    set("HOME").map(|home| home.join(".local/state/blastwall"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.into())
    }

    #[test]
    fn precedence() {
        let all = [
            (PATH_VAR, "/x/log.db"),
            ("XDG_STATE_HOME", "/state"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(
            default_path_from(env(&all)).unwrap(),
            PathBuf::from("/x/log.db")
        );
        assert_eq!(
            default_path_from(env(&all[1..])).unwrap(),
            PathBuf::from("/state/blastwall/audit.db")
        );
        assert_eq!(
            default_path_from(env(&[("XDG_STATE_HOME", "rel"), ("HOME", "/home/u")])).unwrap(),
            PathBuf::from("/home/u/.local/state/blastwall/audit.db")
        );
        assert_eq!(
            default_path_from(env(&[(PATH_VAR, ""), ("HOME", "/h")])).unwrap(),
            PathBuf::from("/h/.local/state/blastwall/audit.db")
        );
        assert!(matches!(
            default_path_from(env(&[])),
            Err(AuditError::NoDefaultPath)
        ));
    }
}
