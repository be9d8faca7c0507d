//! Package installs: which packages a package-manager command fetches, and whether one of them is
//! a version known to be malicious, a near-miss of a popular name (a typosquat), or code from
//! outside the registry.
//!
//! The data are plain lists in `data/` (popular names per registry, known-malicious versions),
//! embedded at build time. This module only reads argument words: it never resolves a name
//! against a registry, so it must not be taken as a vulnerability scanner.

use std::collections::HashSet;
use std::sync::OnceLock;

use blastwall_rules::Arg;

/// The registry a package name belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Registry {
    PyPi,
    Npm,
    RubyGems,
}

impl Registry {
    fn key(self) -> &'static str {
        match self {
            Registry::PyPi => "pypi",
            Registry::Npm => "npm",
            Registry::RubyGems => "rubygems",
        }
    }

    /// PyPI treats `_`, `.` and `-` alike and ignores case; npm names are lower case.
    fn normalize(self, name: &str) -> String {
        let lower = name.to_ascii_lowercase();
        match self {
            Registry::PyPi => lower.replace(['_', '.'], "-"),
            _ => lower,
        }
    }
}

/// One package a command asks for.
#[derive(Clone, Debug)]
pub(crate) struct Requested<'a> {
    pub arg: &'a Arg,
    pub registry: Registry,
    /// As written (`lodash@4.17.21`, `requests==2.31.0`).
    pub name: String,
    pub version: Option<String>,
    /// Not a registry name at all: a VCS or archive URL, `github:user/repo`.
    pub outside_registry: bool,
}

/// Why a requested package is held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Concern {
    KnownMalicious,
    Typosquat { of: &'static str },
    OutsideRegistry,
}

/// The packages an installer invocation fetches (`pip install a b`, `npm i x@1`, `npx -y tool`,
/// `gem install g -v 1`). `program` is the installer's name, `args` its arguments.
pub(crate) fn requested<'a>(program: &str, args: &'a [Arg]) -> Vec<Requested<'a>> {
    // Called for every command: decide by name before looking at the words.
    if !matches!(
        program,
        "pip"
            | "pip3"
            | "pipx"
            | "uv"
            | "poetry"
            | "pdm"
            | "rye"
            | "pipenv"
            | "npm"
            | "pnpm"
            | "yarn"
            | "bun"
            | "cnpm"
            | "npx"
            | "bunx"
            | "pnpx"
            | "gem"
    ) {
        return Vec::new();
    }
    let words: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
    let (registry, start, value_options): (Registry, usize, &[&str]) = match program {
        "pip" | "pip3" | "pipx" => match first_word(&words, &["install", "download"]) {
            Some(i) => (Registry::PyPi, i + 1, PIP_VALUE_OPTIONS),
            None => return Vec::new(),
        },
        "uv" => match words.iter().position(|w| *w == "add" || *w == "install") {
            Some(i) => (Registry::PyPi, i + 1, PIP_VALUE_OPTIONS),
            None => return Vec::new(),
        },
        "poetry" | "pdm" | "rye" | "pipenv" => match first_word(&words, &["add", "install"]) {
            Some(i) => (Registry::PyPi, i + 1, PIP_VALUE_OPTIONS),
            None => return Vec::new(),
        },
        "npm" | "pnpm" | "yarn" | "bun" | "cnpm" => {
            match first_word(&words, &["install", "i", "add", "isntall", "in", "ins"]) {
                Some(i) => (Registry::Npm, i + 1, NPM_VALUE_OPTIONS),
                None => return Vec::new(),
            }
        }
        // The first word that is not an option is the package `npx` fetches and runs.
        "npx" | "bunx" | "pnpx" => {
            let Some(i) = positional_index(&words, 0, NPM_VALUE_OPTIONS) else {
                return Vec::new();
            };
            let registry = Registry::Npm;
            return parse(registry, &args[i]).into_iter().collect();
        }
        "gem" => match first_word(&words, &["install"]) {
            Some(i) => (Registry::RubyGems, i + 1, GEM_VALUE_OPTIONS),
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    let mut i = start;
    while i < args.len() {
        let w = words[i];
        if value_options.contains(&w) {
            // `gem install x -v 1.6.13`: the version belongs to the package before it.
            if registry == Registry::RubyGems
                && matches!(w, "-v" | "--version")
                && let (Some(last), Some(v)) = (out.last_mut(), words.get(i + 1))
            {
                let last: &mut Requested = last;
                last.version = Some((*v).to_owned());
            }
            i += 2;
            continue;
        }
        if w.starts_with('-') {
            i += 1;
            continue;
        }
        out.extend(parse(registry, &args[i]));
        i += 1;
    }
    out
}

/// The index of the first of `subcommands` among the leading words (options skipped).
fn first_word(words: &[&str], subcommands: &[&str]) -> Option<usize> {
    words
        .iter()
        .position(|w| !w.starts_with('-'))
        .filter(|&i| subcommands.contains(&words[i]))
}

fn positional_index(words: &[&str], from: usize, value_options: &[&str]) -> Option<usize> {
    let mut i = from;
    while i < words.len() {
        if value_options.contains(&words[i]) {
            i += 2;
        } else if words[i].starts_with('-') {
            i += 1;
        } else {
            return Some(i);
        }
    }
    None
}

const PIP_VALUE_OPTIONS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--src",
    "--trusted-host",
    "--python-version",
    "--python",
    "-p",
    "--platform",
    "--implementation",
    "--abi",
    "--only-binary",
    "--no-binary",
    "--upgrade-strategy",
    "--progress-bar",
    "--cache-dir",
    "--log",
    "--proxy",
    "--cert",
    "--client-cert",
    "-d",
    "--dest",
    "--group",
    "-G",
    "--extras",
    "-E",
    "--source",
    "--with",
];

const NPM_VALUE_OPTIONS: &[&str] = &[
    "--registry",
    "--prefix",
    "-C",
    "--dir",
    "--cwd",
    "--filter",
    "-F",
    "-w",
    "--workspace",
    "--tag",
    "-p",
    "--package",
    "-c",
    "--call",
    "--cache",
    "--userconfig",
];

const GEM_VALUE_OPTIONS: &[&str] = &[
    "-v",
    "--version",
    "-i",
    "--install-dir",
    "-n",
    "--bindir",
    "-s",
    "--source",
    "--platform",
    "-P",
    "--trust-policy",
];

/// One package argument: its name and version, or that it comes from outside the registry.
fn parse(registry: Registry, arg: &Arg) -> Option<Requested<'_>> {
    let text = arg.text.as_str();
    if !arg.resolved || text.is_empty() {
        return None;
    }
    // Local paths and archives already on disk are the project's own business.
    if text.starts_with(['.', '/', '~']) || text.starts_with("file:") {
        return None;
    }
    let remote = text.contains("://")
        || text.starts_with("git+")
        || text.starts_with("github:")
        || text.starts_with("gitlab:")
        || text.starts_with("bitbucket:")
        || (registry == Registry::Npm && !text.starts_with('@') && text.contains('/'));
    if remote {
        return Some(Requested {
            arg,
            registry,
            name: text.to_owned(),
            version: None,
            outside_registry: true,
        });
    }
    if text.ends_with(".whl") || text.ends_with(".tar.gz") || text.ends_with(".tgz") {
        return None;
    }
    let (name, version) = match registry {
        Registry::Npm => {
            // `@scope/name@1.2.3`, `name@latest`.
            let at = text[1..].find('@').map(|i| i + 1);
            match at {
                Some(i) => (&text[..i], Some(&text[i + 1..])),
                None => (text, None),
            }
        }
        _ => {
            let end = text
                .find(['[', '=', '<', '>', '!', '~', ';', '@', ' ', ','])
                .unwrap_or(text.len());
            let version = text[end..]
                .trim_start_matches(['=', '<', '>', '!', '~', '@', ' '])
                .split([',', ';'])
                .next()
                .filter(|v| !v.is_empty() && !text[end..].starts_with('['));
            (&text[..end], version)
        }
    };
    if name.is_empty() || name.contains(['$', '*', '(']) {
        return None;
    }
    Some(Requested {
        arg,
        registry,
        name: name.to_owned(),
        version: version.map(str::to_owned),
        outside_registry: false,
    })
}

struct Data {
    popular_pypi: Vec<&'static str>,
    popular_npm: Vec<&'static str>,
    popular: HashSet<(&'static str, &'static str)>,
    /// (registry, normalized name, version or `*`).
    malicious: HashSet<(&'static str, String, &'static str)>,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let lines = |text: &'static str| -> Vec<&'static str> {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect()
        };
        let popular_pypi = lines(include_str!("../data/popular-pypi.txt"));
        let popular_npm = lines(include_str!("../data/popular-npm.txt"));
        let popular = popular_pypi
            .iter()
            .map(|n| ("pypi", *n))
            .chain(popular_npm.iter().map(|n| ("npm", *n)))
            .collect();
        let malicious = lines(include_str!("../data/malicious.txt"))
            .into_iter()
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                let (reg, name, version) = (parts.next()?, parts.next()?, parts.next()?);
                let registry = match reg {
                    "pypi" => Registry::PyPi,
                    "npm" => Registry::Npm,
                    _ => Registry::RubyGems,
                };
                Some((registry.key(), registry.normalize(name), version))
            })
            .collect();
        Data {
            popular_pypi,
            popular_npm,
            popular,
            malicious,
        }
    })
}

/// Why `r` should be held, if it should.
pub(crate) fn concern(r: &Requested) -> Option<Concern> {
    if r.outside_registry {
        return Some(Concern::OutsideRegistry);
    }
    let d = data();
    let key = r.registry.key();
    let name = r.registry.normalize(&r.name);
    if d.malicious.contains(&(key, name.clone(), "*"))
        || r.version.as_deref().is_some_and(|v| {
            let v = v.trim_start_matches(['=', 'v', '^', '~']);
            d.malicious
                .iter()
                .any(|(k, n, mv)| *k == key && *n == name && *mv == v)
        })
    {
        return Some(Concern::KnownMalicious);
    }
    let popular: &[&'static str] = match r.registry {
        Registry::PyPi => &d.popular_pypi,
        Registry::Npm => &d.popular_npm,
        Registry::RubyGems => return None,
    };
    if d.popular.contains(&(key, name.as_str())) {
        return None;
    }
    // The name as written, with look-alike characters read as what they imitate (`jeIlyfish`).
    let lookalike = r
        .name
        .replace('I', "l")
        .to_ascii_lowercase()
        .replace('0', "o")
        .replace("rn", "m");
    let lookalike = r.registry.normalize(&lookalike);
    popular
        .iter()
        .find(|p| is_near_miss(&name, p) || (lookalike != name && lookalike == **p))
        .map(|p| Concern::Typosquat { of: p })
}

/// Is `name` a likely mistyping or imitation of the popular `p`?
fn is_near_miss(name: &str, p: &str) -> bool {
    // A popular name with a decoration an author would not add (`jquery.js`, `d3.js`,
    // `beautifulsoup5`, `python3-dateutil`).
    for suffix in [".js", "js", "-js", "2", "3", "5", "-py", "py", "-python"] {
        if name.strip_suffix(suffix) == Some(p) {
            return true;
        }
    }
    for prefix in ["py-", "python-", "python3-", "node-", "js-"] {
        if name.strip_prefix(prefix) == Some(p) {
            return true;
        }
    }
    let allowed = match p.chars().count() {
        0..=4 => return false,
        5..=9 => 1,
        _ => 2,
    };
    if name.len().abs_diff(p.len()) > allowed {
        return false;
    }
    edit_distance(name, p) <= allowed
}

/// Damerau–Levenshtein distance (adjacent transpositions count as one edit).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[n][m]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(program: &str, words: &[&str]) -> Vec<Option<Concern>> {
        let args: Vec<Arg> = words
            .iter()
            .map(|w| Arg::new((*w).to_owned(), Default::default()))
            .collect();
        requested(program, &args).iter().map(concern).collect()
    }

    #[test]
    fn typosquats_of_popular_names_are_found() {
        for (program, words) in [
            ("pip", &["install", "reqeusts"][..]),
            ("pip", &["install", "jeIlyfish"]),
            ("pip", &["install", "beautifulsoup5"]),
            ("npm", &["i", "lodahs"]),
            ("npm", &["install", "expresss"]),
            ("npm", &["install", "jquery.js"]),
            ("yarn", &["add", "electorn"]),
            ("npx", &["-y", "create-reactjs-app"]),
        ] {
            let found = check(program, words);
            assert!(
                matches!(
                    found.as_slice(),
                    [Some(Concern::Typosquat { .. } | Concern::KnownMalicious)]
                ),
                "{program} {words:?}: {found:?}"
            );
        }
    }

    #[test]
    fn popular_and_unrelated_names_pass() {
        for (program, words) in [
            ("pip", &["install", "requests==2.31.0"][..]),
            ("pip", &["install", "-r", "requirements.txt"]),
            ("pip", &["install", "-e", ".[dev]"]),
            ("npm", &["install", "--save-dev", "eslint-plugin-react"]),
            ("npm", &["install", "lodash@4.17.21"]),
            ("pnpm", &["add", "-D", "vitest"]),
            ("yarn", &["add", "-D", "@types/node"]),
            ("npx", &["prettier", "--write", "src"]),
            ("npx", &["create-vite@latest", "my-app"]),
            (
                "pip",
                &["install", "scapy", "scipy", "ioredis-like-package"],
            ),
        ] {
            let found = check(program, words);
            assert!(
                found.iter().all(Option::is_none),
                "{program} {words:?}: {found:?}"
            );
        }
    }

    #[test]
    fn known_malicious_versions_and_remote_sources_are_found() {
        assert_eq!(
            check("npm", &["install", "event-stream@3.3.6"]),
            [Some(Concern::KnownMalicious)]
        );
        assert_eq!(check("npm", &["install", "event-stream@4.0.1"]), [None]);
        assert_eq!(
            check("gem", &["install", "rest-client", "-v", "1.6.13"]),
            [Some(Concern::KnownMalicious)]
        );
        assert_eq!(
            check(
                "pip",
                &["install", "git+https://github.com/someone/requests.git"]
            ),
            [Some(Concern::OutsideRegistry)]
        );
    }
}
