//! Path classes: what a path *is* (the root, a system directory, a home directory, a `.git`
//! directory, a database data directory, a credential store, something disposable), so that rules
//! judge targets rather than words. The lists come from the packs' `[paths]` tables and the user's
//! protected paths.

use serde::{Deserialize, Serialize};

/// What a path is, from most to least sensitive (the first class that applies is taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathClass {
    /// Part of it comes from a variable or command output that cannot be known before it runs.
    Unresolved,
    /// `/` itself or everything directly under it.
    Root,
    /// A block device (`/dev/sda`).
    Device,
    /// A system directory or something directly in it (`/etc`, `/usr/*`).
    System,
    /// A home directory (`~`, `$HOME`, `/home/alice`, `/root`).
    Home,
    /// A path the configuration declares protected.
    Protected,
    /// A credential store (`~/.ssh`, `~/.aws/credentials`, `~/.kube/config`).
    Credential,
    /// A database's data directory (`/var/lib/postgresql`, `pgdata`).
    Database,
    /// A repository's `.git` directory.
    Git,
    /// A file worth keeping (`*.db`, `.env`, shell start-up files).
    Valuable,
    /// Every file of a kind worth keeping, taken by a wildcard (`*.sql`, `src/*.go`).
    Bulk,
    /// The whole working directory (`.`, `*`, `./*`).
    WorkingDir,
    /// A temporary directory (`/tmp/x`).
    Temp,
    /// Something a build regenerates (`target`, `node_modules`, `dist`).
    Disposable,
    /// The parent directory or outside the project (`..`, `../x`).
    Parent,
    /// Anything else.
    Ordinary,
}

impl PathClass {
    pub const fn as_str(self) -> &'static str {
        match self {
            PathClass::Unresolved => "unresolved",
            PathClass::Root => "root",
            PathClass::Device => "device",
            PathClass::System => "system",
            PathClass::Home => "home",
            PathClass::Protected => "protected",
            PathClass::Credential => "credential",
            PathClass::Database => "database",
            PathClass::Git => "git",
            PathClass::Valuable => "valuable",
            PathClass::Bulk => "bulk",
            PathClass::WorkingDir => "working-dir",
            PathClass::Temp => "temp",
            PathClass::Disposable => "disposable",
            PathClass::Parent => "parent",
            PathClass::Ordinary => "ordinary",
        }
    }

    /// A few words for reasons: "the root directory", "a home directory".
    pub const fn describe(self) -> &'static str {
        match self {
            PathClass::Unresolved => "a path that is only known when the command runs",
            PathClass::Root => "the root directory",
            PathClass::Device => "a block device",
            PathClass::System => "a system directory",
            PathClass::Home => "a home directory",
            PathClass::Protected => "a protected path",
            PathClass::Credential => "a credential store",
            PathClass::Database => "a database data directory",
            PathClass::Git => "a repository's .git directory",
            PathClass::Valuable => "a file worth keeping",
            PathClass::Bulk => "every file of a kind worth keeping",
            PathClass::WorkingDir => "the whole working directory",
            PathClass::Temp => "a temporary directory",
            PathClass::Disposable => "a regenerable build or cache directory",
            PathClass::Parent => "a path outside the working directory",
            PathClass::Ordinary => "an ordinary path",
        }
    }
}

/// The path lists of the packs (merged) plus the user's protected paths.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PathLists {
    #[serde(default)]
    pub system: Vec<String>,
    #[serde(default)]
    pub home: Vec<String>,
    #[serde(default)]
    pub devices: Vec<String>,
    #[serde(default)]
    pub credentials: Vec<String>,
    #[serde(default)]
    pub database: Vec<String>,
    #[serde(default)]
    pub valuable: Vec<String>,
    #[serde(default)]
    pub temp: Vec<String>,
    /// Directory names (any path component) a build or tool regenerates.
    #[serde(default)]
    pub disposable: Vec<String>,
    #[serde(default)]
    pub protected: Vec<String>,
    /// Paths that are never credentials even inside a credential directory (`*.pub`, `known_hosts`).
    #[serde(default)]
    pub public: Vec<String>,
    /// File types worth keeping when a wildcard takes every one of them (`*.sql`, `src/*.go`):
    /// one such file may be scratch, all of them are the project's data or source.
    #[serde(default)]
    pub bulk: Vec<String>,
    /// The lists above sorted for fast lookup; built on first use, dropped by [`PathLists::extend`].
    #[serde(skip)]
    compiled: std::sync::OnceLock<Compiled>,
}

/// One list of path patterns, bucketed so a lookup tries only the patterns that can match.
#[derive(Clone, Debug, Default)]
struct PatternSet {
    literal: std::collections::HashSet<String>,
    /// Wildcard patterns starting with `/`.
    rooted: Vec<String>,
    /// Wildcard patterns starting with `~`.
    home: Vec<String>,
    /// Other wildcard patterns (`**/pgdata`, `*.db`) with their longest literal run.
    anywhere: Vec<(String, String)>,
    /// Literal entries with a `/` (`vendor/bundle`), with `/entry` and `entry/` precomputed.
    nested: Vec<(String, String, String)>,
}

impl PatternSet {
    fn new(patterns: &[String]) -> PatternSet {
        let mut set = PatternSet::default();
        for p in patterns {
            if !has_wildcard(p) {
                set.literal.insert(p.clone());
                if p.contains('/') {
                    set.nested
                        .push((p.clone(), format!("/{p}"), format!("{p}/")));
                }
            } else if p.starts_with('/') {
                set.rooted.push(p.clone());
            } else if p.starts_with('~') {
                set.home.push(p.clone());
            } else {
                let run = if p.contains('[') {
                    String::new()
                } else {
                    p.split(['*', '?', '/'])
                        .max_by_key(|r| r.len())
                        .unwrap_or("")
                        .to_owned()
                };
                set.anywhere.push((p.clone(), run));
            }
        }
        set
    }

    fn matches(&self, path: &str) -> bool {
        if self.literal.contains(path) {
            return true;
        }
        let bucket: &[String] = if path.starts_with('/') {
            &self.rooted
        } else if path.starts_with('~') {
            &self.home
        } else {
            &[]
        };
        bucket.iter().any(|p| path_matches(p, path))
            || self
                .anywhere
                .iter()
                .any(|(p, run)| path.contains(run.as_str()) && path_matches(p, path))
    }
}

impl PatternSet {
    /// Does one path component match an entry (`node_modules`, `*.egg-info`)?
    fn matches_component(&self, comp: &str) -> bool {
        self.literal.contains(comp)
            || self.anywhere.iter().any(|(p, run)| {
                // A target written as the same wildcard (`*.py[co]`) is what the entry means.
                p == comp || (comp.contains(run.as_str()) && blastwall_core::glob::matches(p, comp))
            })
    }

    /// Entries with a `/` in them (`vendor/bundle`) anywhere in the path.
    fn rooted_or_nested_match(&self, path: &str) -> bool {
        self.nested.iter().any(|(entry, as_suffix, as_prefix)| {
            path == entry || path.ends_with(as_suffix.as_str()) || path.contains(as_prefix.as_str())
        })
    }
}

#[derive(Clone, Debug, Default)]
struct Compiled {
    system: PatternSet,
    home: PatternSet,
    devices: PatternSet,
    credentials: PatternSet,
    database: PatternSet,
    valuable: PatternSet,
    temp: PatternSet,
    protected: PatternSet,
    public: PatternSet,
    disposable: PatternSet,
    bulk: PatternSet,
}

/// Equal lists are equal whether or not either has been compiled yet.
impl PartialEq for PathLists {
    fn eq(&self, other: &PathLists) -> bool {
        let PathLists {
            system,
            home,
            devices,
            credentials,
            database,
            valuable,
            temp,
            disposable,
            protected,
            public,
            bulk,
            compiled: _,
        } = self;
        *system == other.system
            && *home == other.home
            && *devices == other.devices
            && *credentials == other.credentials
            && *database == other.database
            && *valuable == other.valuable
            && *temp == other.temp
            && *disposable == other.disposable
            && *protected == other.protected
            && *public == other.public
            && *bulk == other.bulk
    }
}

impl PathLists {
    pub fn extend(&mut self, other: PathLists) {
        self.system.extend(other.system);
        self.home.extend(other.home);
        self.devices.extend(other.devices);
        self.credentials.extend(other.credentials);
        self.database.extend(other.database);
        self.valuable.extend(other.valuable);
        self.temp.extend(other.temp);
        self.disposable.extend(other.disposable);
        self.protected.extend(other.protected);
        self.public.extend(other.public);
        self.bulk.extend(other.bulk);
        self.compiled = std::sync::OnceLock::new();
    }

    /// Classifies a path as the shell layer resolved it. `resolved == false` is always
    /// [`PathClass::Unresolved`].
    pub fn classify(&self, path: &str, resolved: bool) -> PathClass {
        self.classify_in(path, resolved, None)
    }

    /// Like [`PathLists::classify`], with relative paths taken relative to `cwd` when it is known
    /// (`rm -rf *` in `/` is the root; `rm -rf ..` in `/home/alice/proj` is a home directory).
    pub fn classify_in(&self, path: &str, resolved: bool, cwd: Option<&str>) -> PathClass {
        if !resolved {
            return self.unresolved_class(path, cwd);
        }
        let joined;
        let path = match cwd {
            Some(dir) if !path.starts_with(['/', '~', '$']) && !dir.is_empty() => {
                joined = format!("{dir}/{path}");
                joined.as_str()
            }
            _ => path,
        };
        let norm = normalize_path(path);
        // Everything inside a directory (`dir/*`, `dir/.*`) is as valuable as the directory.
        let subject = strip_all_contents(&norm);
        if subject == "/" {
            return PathClass::Root;
        }
        let c = self.compiled();
        if has_wildcard(subject) {
            // A wildcard that could reach a sensitive path counts as that path (`/e*c`, `/hom?/*`).
            if let Some(class) = self.wildcard_reach(subject) {
                return class;
            }
        }
        // The operator's own declaration names the rule that fires, before the built-in lists.
        if c.protected.matches(subject) {
            return PathClass::Protected;
        }
        if c.devices.matches(subject) {
            return PathClass::Device;
        }
        // Credentials first: `/etc/shadow` is a secret before it is a system file.
        if c.credentials.matches(subject) && !c.public.matches(subject) {
            return PathClass::Credential;
        }
        if c.system.matches(subject) {
            return PathClass::System;
        }
        if c.home.matches(subject) {
            return PathClass::Home;
        }
        if c.database.matches(subject) {
            return PathClass::Database;
        }
        if subject == ".git" || subject.ends_with("/.git") {
            return PathClass::Git;
        }
        if c.valuable.matches(subject) {
            return PathClass::Valuable;
        }
        if subject == "." || subject == "*" || subject == "~+" {
            return PathClass::WorkingDir;
        }
        if c.temp.matches(subject) {
            return PathClass::Temp;
        }
        // Disposable names are matched per component (`a/node_modules/b`); multi-component
        // entries (`cypress/videos`) against the whole path.
        if subject
            .split('/')
            .any(|comp| c.disposable.matches_component(comp))
            || c.disposable.rooted_or_nested_match(subject)
        {
            return PathClass::Disposable;
        }
        if subject == ".." || subject.starts_with("../") {
            return PathClass::Parent;
        }
        let last = subject.rsplit('/').next().unwrap_or(subject);
        if has_wildcard(last) && c.bulk.matches_component(last) {
            return PathClass::Bulk;
        }
        PathClass::Ordinary
    }

    /// A path only partly known (`/tmp/pytest-of-$USER`, `target/$PROFILE`): when the known
    /// prefix is already inside a temporary or regenerable directory, the unknown rest cannot leave
    /// it; anything else stays unresolved.
    fn unresolved_class(&self, path: &str, cwd: Option<&str>) -> PathClass {
        // `/proc/$(pgrep postgres)/environ`, `/home/$USER/.ssh/id_rsa`: whatever the unknown part
        // turns out to be, the known parts already name a secret.
        if let Some(shape) = unknown_parts_as_wildcards(path)
            && self.compiled().credentials.matches(&shape)
        {
            return PathClass::Credential;
        }
        let known = &path[..path.find('$').unwrap_or(path.len())];
        let Some(slash) = known.rfind('/') else {
            return PathClass::Unresolved;
        };
        let dir = &known[..slash];
        if dir.is_empty() || dir.contains("..") || path[slash..].contains("..") {
            return PathClass::Unresolved;
        }
        match self.classify_in(dir, true, cwd) {
            c @ (PathClass::Temp | PathClass::Disposable)
                if dir != "/tmp" || slash + 1 < known.len() =>
            {
                c
            }
            _ => PathClass::Unresolved,
        }
    }

    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            let protected: Vec<String> = self
                .protected
                .iter()
                .flat_map(|p| [p.clone(), format!("{p}/**")])
                .collect();
            Compiled {
                system: PatternSet::new(&self.system),
                home: PatternSet::new(&self.home),
                devices: PatternSet::new(&self.devices),
                credentials: PatternSet::new(&self.credentials),
                database: PatternSet::new(&self.database),
                valuable: PatternSet::new(&self.valuable),
                temp: PatternSet::new(&self.temp),
                protected: PatternSet::new(&protected),
                public: PatternSet::new(&self.public),
                bulk: PatternSet::new(&self.bulk),
                disposable: PatternSet::new(&self.disposable),
            }
        })
    }

    fn wildcard_reach(&self, pattern: &str) -> Option<PathClass> {
        let reaches = |list: &[String]| {
            list.iter()
                .filter(|p| !has_wildcard(p))
                .any(|p| path_matches(pattern, p))
        };
        let last = pattern.rsplit('/').next().unwrap_or("");
        if last.starts_with('.') && path_matches(last, ".git") {
            return Some(PathClass::Git);
        }
        if !pattern.starts_with('/') && !pattern.starts_with('~') {
            return None;
        }
        // Everything of a kind below `/` (`find / -name '*.log' -delete`) includes the system's.
        if pattern.starts_with("/**") || pattern.starts_with("/*/**") {
            return Some(PathClass::System);
        }
        if !has_wildcard(last) && path_matches(pattern, &format!("/home/{last}")) {
            return Some(PathClass::Home);
        }
        if reaches(&self.system) {
            return Some(PathClass::System);
        }
        if reaches(&self.home) || path_matches(pattern, "/home/user") {
            return Some(PathClass::Home);
        }
        if reaches(&self.credentials) {
            return Some(PathClass::Credential);
        }
        if reaches(&self.database) {
            return Some(PathClass::Database);
        }
        None
    }
}

/// `/proc/$(pgrep x)/environ` → `/proc/*/environ`: each `$NAME`, `${…}` or `$(…)` becomes `*`,
/// when the unknown parts stay within one path component.
fn unknown_parts_as_wildcards(path: &str) -> Option<String> {
    let mut out = String::with_capacity(path.len());
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some(&open @ ('(' | '{')) => {
                let close = if open == '(' { ')' } else { '}' };
                let mut depth = 0usize;
                for c in chars.by_ref() {
                    if c == open {
                        depth += 1;
                    } else if c == close {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                }
                if depth != 0 {
                    return None;
                }
            }
            _ => {
                while chars
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    chars.next();
                }
            }
        }
        out.push('*');
    }
    Some(out)
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `dir/*`, `dir/.*`, `dir/{*,.*}` → `dir`; `/*` → `/`.
fn strip_all_contents(path: &str) -> &str {
    for suffix in ["/*", "/.*", "/**"] {
        if let Some(dir) = path.strip_suffix(suffix) {
            return if dir.is_empty() { "/" } else { dir };
        }
    }
    path
}

/// Lexical normalization: `$HOME`/`${HOME}` → `~`, duplicate and trailing slashes removed, `.` and
/// `..` components folded (`/tmp/../etc` → `/etc`), a leading `./` dropped.
pub fn normalize_path(path: &str) -> String {
    let p = path.trim();
    let p = if let Some(rest) = p.strip_prefix("${HOME}") {
        format!("~{rest}")
    } else if let Some(rest) = p.strip_prefix("$HOME") {
        format!("~{rest}")
    } else {
        p.to_owned()
    };
    if p.is_empty() {
        return String::new();
    }
    let absolute = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for comp in p.split('/') {
        match comp {
            "" | "." => {}
            ".." => match out.last() {
                Some(&last) if last != ".." && last != "~" => {
                    out.pop();
                }
                // `~/..` is the directory holding every home.
                Some(&"~") => {
                    out.pop();
                    out.push("/home");
                }
                _ if absolute => {}
                _ => out.push(".."),
            },
            c => out.push(c),
        }
    }
    if out.first() == Some(&"/home") {
        let rest = out[1..].join("/");
        return if rest.is_empty() {
            "/home".into()
        } else {
            format!("/home/{rest}")
        };
    }
    let joined = out.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// Component-wise wildcard match: `*` within one component, `**` any number of components.
fn path_matches(pattern: &str, path: &str) -> bool {
    if !has_wildcard(pattern) {
        return pattern == path;
    }
    match_components(Some(pattern), Some(path))
}

/// Matches the rest of a pattern against the rest of a path, one `/`-separated component at a
/// time, without allocating.
fn match_components(pat: Option<&str>, path: Option<&str>) -> bool {
    let Some(pat) = pat else {
        return path.is_none();
    };
    let (head, rest) = match pat.split_once('/') {
        Some((h, r)) => (h, Some(r)),
        None => (pat, None),
    };
    if head == "**" {
        // Zero components, or one more and try again.
        let mut cursor = path;
        loop {
            if match_components(rest, cursor) {
                return true;
            }
            match cursor {
                Some(c) => cursor = c.split_once('/').map(|(_, r)| r),
                None => return false,
            }
        }
    }
    let Some(path) = path else { return false };
    let (comp, path_rest) = match path.split_once('/') {
        Some((c, r)) => (c, Some(r)),
        None => (path, None),
    };
    blastwall_core::glob::matches(head, comp) && match_components(rest, path_rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> PathLists {
        crate::embedded().expect("embedded packs load").paths
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize_path("/tmp/../etc/"), "/etc");
        assert_eq!(normalize_path("/tmp/../../"), "/");
        assert_eq!(normalize_path("./target/"), "target");
        assert_eq!(normalize_path("$HOME/"), "~");
        assert_eq!(normalize_path("${HOME}/.ssh"), "~/.ssh");
        assert_eq!(normalize_path("../x"), "../x");
        assert_eq!(normalize_path("//"), "/");
    }

    #[test]
    fn classes() {
        let l = lists();
        let c = |p: &str| l.classify(p, true);
        assert_eq!(c("/"), PathClass::Root);
        assert_eq!(c("/*"), PathClass::Root);
        assert_eq!(c("/etc"), PathClass::System);
        assert_eq!(c("/e*c"), PathClass::System);
        assert_eq!(c("~"), PathClass::Home);
        assert_eq!(c("~/*"), PathClass::Home);
        assert_eq!(c("/home/alice"), PathClass::Home);
        assert_eq!(c(".git"), PathClass::Git);
        assert_eq!(c("repo/.git/"), PathClass::Git);
        assert_eq!(c("node_modules"), PathClass::Disposable);
        assert_eq!(c("./target"), PathClass::Disposable);
        assert_eq!(c("/tmp/build-123"), PathClass::Temp);
        assert_eq!(c("src"), PathClass::Ordinary);
        assert_eq!(c("*"), PathClass::WorkingDir);
        assert_eq!(c("/var/lib/postgresql/15/main"), PathClass::Database);
        assert_eq!(c("~/.ssh/id_rsa"), PathClass::Credential);
        assert_eq!(c("/dev/sda"), PathClass::Device);
        assert_eq!(c("prod.db"), PathClass::Valuable);
        assert_eq!(l.classify("x", false), PathClass::Unresolved);
    }
}
