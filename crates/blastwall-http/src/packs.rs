//! HTTP rule packs: the TOML format, the embedded packs, and matching one rule's conditions.
//!
//! Packs know providers (which host, which path, which GraphQL field, which AWS operation means
//! what); the code only knows mechanisms. This module must never look at a request's raw text:
//! it matches the normalized view that `view.rs` builds.

use std::collections::BTreeMap;

use blastwall_core::{Decision, Effect, Scope, glob};
use serde::Deserialize;

use crate::fields::{BodyCond, Pat};

/// The packs compiled into the classifier, in evaluation order.
pub const EMBEDDED_PACKS: &[(&str, &str)] = &[
    ("generic.toml", include_str!("../packs/generic.toml")),
    ("railway.toml", include_str!("../packs/railway.toml")),
    ("paas.toml", include_str!("../packs/paas.toml")),
    ("cloud.toml", include_str!("../packs/cloud.toml")),
    ("aws.toml", include_str!("../packs/aws.toml")),
    (
        "git-hosting.toml",
        include_str!("../packs/git-hosting.toml"),
    ),
    ("data.toml", include_str!("../packs/data.toml")),
    ("exposure.toml", include_str!("../packs/exposure.toml")),
];

/// Why a rule pack could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("rule pack `{file}`: {source}")]
    Toml {
        file: String,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("rule pack `{file}`, rule `{rule}`: {problem}")]
    Invalid {
        file: String,
        rule: String,
        problem: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    pack: PackHeader,
    /// Named sets of segment words, used in path patterns as `{name}`.
    #[serde(default)]
    sets: BTreeMap<String, Vec<String>>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
    /// The dry runs the pack's API really honours, each with its exact name and value.
    #[serde(default, rename = "dry_run")]
    dry_runs: Vec<DryRunSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DryRunSpec {
    /// What the server does instead (`Kubernetes server-side dry run`), for reasons.
    name: String,
    /// Hosts it applies to; the pack's when empty.
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    /// A query or form parameter, matched case-sensitively as servers do.
    #[serde(default)]
    param: Option<String>,
    /// Dotted paths into a JSON body (`configuration.dryRun`), case-sensitive.
    #[serde(default)]
    json: Vec<String>,
    /// The exact values that turn it on (`All`, `true`).
    values: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackHeader {
    id: String,
    description: String,
    /// Hosts the pack speaks for (`*` for any); matched against `host` and `host:port`.
    hosts: Vec<String>,
    /// `provider` rules win over `generic` ones for the same request or field.
    #[serde(default)]
    kind: Option<PackKind>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PackKind {
    Provider,
    Generic,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    no_paths: Vec<String>,
    #[serde(default)]
    query: Vec<String>,
    #[serde(default)]
    no_query: Vec<String>,
    #[serde(default)]
    headers: Vec<String>,
    #[serde(default)]
    content: Vec<String>,
    #[serde(default)]
    aws: Vec<String>,
    #[serde(default)]
    no_aws: Vec<String>,
    #[serde(default)]
    graphql: Vec<String>,
    #[serde(default)]
    graphql_also: Vec<String>,
    #[serde(default)]
    operation_types: Vec<String>,
    #[serde(default)]
    redis: Vec<String>,
    #[serde(default)]
    sql: Vec<String>,
    /// `key=value` globs over the body's members (see `fields.rs`): any one matching.
    #[serde(default)]
    body: Vec<String>,
    /// `key=value` globs: the rule does not apply when every member with such a key has such a
    /// value.
    #[serde(default)]
    unless_all: Vec<String>,
    #[serde(default)]
    mechanism: Option<Mechanism>,
    effect: Effect,
    decision: Decision,
    scope: Scope,
    #[serde(default)]
    resource: Option<String>,
    reason: String,
    #[serde(default)]
    instead: Option<String>,
}

/// Conditions that need code, named in packs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Mechanism {
    /// A PostgREST-style request with no row filter, or only filters every row satisfies
    /// (`id=gte.0`, `not.is.null`): it touches every row of the table.
    Unfiltered,
    /// A body (or GraphQL arguments) that selects no records, or only a filter every record
    /// satisfies (`{}`, `match_all`, `{_is_null: false}`): it reaches them all.
    Unselective,
    /// A body that opens a network rule to the whole internet (`0.0.0.0/0`, `::/0`) on ports
    /// other than the web ones.
    OpenToWorld,
    /// A body that is `null`, empty, or only empty values: a write of it replaces what was
    /// there with nothing.
    Emptied,
    /// A query string with PostgREST filters (`col=op.value`), every one of which every row
    /// satisfies (`id=neq.<nil uuid>`, `created_at=lt.infinity`): on any host.
    PostgrestEverything,
    /// A query string with at least one PostgREST filter that selects rows (`id=eq.42`,
    /// `received_at=lt.2025-03-01`): on any host.
    PostgrestSelective,
    /// A body that deletes more than one record in one request: a batch of `deletes`,
    /// `DeleteRequest`s, or changes whose action is `DELETE`.
    BatchDelete,
}

/// A dry run an API honours: the parameter or JSON member, with its exact name and value, that
/// makes the server only validate a request.
#[derive(Clone, Debug)]
pub(crate) struct DryRun {
    pub name: String,
    pub hosts: Vec<Pat>,
    pub paths: Vec<PathPattern>,
    pub param: Option<String>,
    pub json: Vec<String>,
    pub values: Vec<String>,
}

/// What a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RuleKind {
    /// The request as a whole: method, path, query, headers, content, AWS operation.
    Request,
    /// Each root field of a GraphQL operation.
    GraphQl,
    /// Each Redis command sent over HTTP.
    Redis,
    /// SQL carried in the body, handed to the SQL classifier.
    Sql,
}

/// One segment of a path pattern.
#[derive(Clone, Debug)]
enum Segment {
    /// `*`: any one segment.
    Any,
    /// `**`: any number of segments, including none.
    AnyMany,
    /// `{id}`: a segment that names one record (a number, a UUID, an opaque token).
    Id,
    /// `{name}`: a segment that is not an id.
    Name,
    /// `a|b*|{set}`: one segment matching any alternative.
    /// Literal alternatives are looked up (sorted), wildcard ones matched in turn: sets in packs
    /// hold dozens of words and are matched against every segment.
    OneOf {
        literals: Vec<String>,
        patterns: Vec<Pat>,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct PathPattern(Vec<Segment>);

/// A compiled rule.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub id: String,
    pub kind: RuleKind,
    pub hosts: Vec<Pat>,
    pub methods: Vec<String>,
    pub paths: Vec<PathPattern>,
    pub no_paths: Vec<PathPattern>,
    pub query: Vec<String>,
    pub no_query: Vec<String>,
    pub headers: Vec<String>,
    pub content: Vec<String>,
    pub aws: Vec<String>,
    pub no_aws: Vec<String>,
    pub graphql: Vec<String>,
    pub graphql_also: Vec<String>,
    pub operation_types: Vec<String>,
    pub redis: Vec<String>,
    pub sql: Vec<String>,
    pub body: Vec<BodyCond>,
    pub unless_all: Vec<BodyCond>,
    pub mechanism: Option<Mechanism>,
    pub effect: Effect,
    pub decision: Decision,
    pub scope: Scope,
    pub resource: String,
    pub reason: String,
}

/// A compiled pack.
#[derive(Clone, Debug)]
pub(crate) struct Pack {
    pub id: String,
    pub description: String,
    pub hosts: Vec<Pat>,
    pub kind: PackKind,
    pub rules: Vec<Rule>,
    pub dry_runs: Vec<DryRun>,
}

/// Every pack the classifier judges with.
#[derive(Clone, Debug)]
pub struct HttpRules {
    pub(crate) packs: Vec<Pack>,
}

impl HttpRules {
    /// The embedded packs.
    pub fn embedded() -> Result<HttpRules, PackError> {
        HttpRules::from_sources(EMBEDDED_PACKS)
    }

    /// Packs from `(file name, TOML text)` pairs, in evaluation order.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<HttpRules, PackError> {
        let packs = sources
            .iter()
            .map(|(file, text)| compile_pack(file, text))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(HttpRules { packs })
    }

    /// Every rule id, pack by pack.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.packs
            .iter()
            .flat_map(|p| p.rules.iter().map(|r| r.id.as_str()))
    }

    /// Each pack's id and description, in evaluation order.
    pub fn packs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.packs
            .iter()
            .map(|p| (p.id.as_str(), p.description.as_str()))
    }
}

fn compile_pack(file: &str, text: &str) -> Result<Pack, PackError> {
    let spec: PackFile = toml::from_str(text).map_err(|e| PackError::Toml {
        file: file.into(),
        source: Box::new(e),
    })?;
    let hosts = lower(&spec.pack.hosts);
    let kind = spec.pack.kind.unwrap_or(if hosts.iter().any(|h| h == "*") {
        PackKind::Generic
    } else {
        PackKind::Provider
    });
    let sets: BTreeMap<String, Vec<String>> = spec
        .sets
        .iter()
        .map(|(k, v)| (k.clone(), lower(v)))
        .collect();
    let mut rules = Vec::with_capacity(spec.rules.len());
    for r in spec.rules {
        let invalid = |problem: String| PackError::Invalid {
            file: file.into(),
            rule: r.id.clone(),
            problem,
        };
        let kinds = [
            !r.graphql.is_empty(),
            !r.redis.is_empty(),
            !r.sql.is_empty(),
        ];
        if kinds.iter().filter(|k| **k).count() > 1 {
            return Err(invalid(
                "a rule looks at GraphQL fields, Redis commands or SQL, not several".into(),
            ));
        }
        let kind = if !r.graphql.is_empty() {
            RuleKind::GraphQl
        } else if !r.redis.is_empty() {
            RuleKind::Redis
        } else if !r.sql.is_empty() {
            RuleKind::Sql
        } else {
            RuleKind::Request
        };
        if kind == RuleKind::Request
            && r.methods.is_empty()
            && r.paths.is_empty()
            && r.aws.is_empty()
            && r.content.is_empty()
            && r.headers.is_empty()
            && r.body.is_empty()
        {
            return Err(invalid(
                "a request rule needs at least one condition".into(),
            ));
        }
        let paths = r
            .paths
            .iter()
            .map(|p| compile_path(p, &sets).map_err(&invalid))
            .collect::<Result<Vec<_>, _>>()?;
        let no_paths = r
            .no_paths
            .iter()
            .map(|p| compile_path(p, &sets).map_err(&invalid))
            .collect::<Result<Vec<_>, _>>()?;
        let operation_types = if r.operation_types.is_empty() {
            vec!["mutation".to_owned()]
        } else {
            lower(&r.operation_types)
        };
        let mut reason = r.reason.clone();
        if let Some(instead) = &r.instead {
            reason.push_str("; instead: ");
            reason.push_str(instead);
        }
        rules.push(Rule {
            kind,
            hosts: lower(&r.hosts).iter().map(|h| Pat::new(h)).collect(),
            methods: r.methods.iter().map(|m| m.to_ascii_uppercase()).collect(),
            paths,
            no_paths,
            query: lower(&r.query),
            no_query: lower(&r.no_query),
            headers: lower(&r.headers),
            content: lower(&r.content),
            aws: lower(&r.aws),
            no_aws: lower(&r.no_aws),
            graphql: lower(&r.graphql),
            graphql_also: lower(&r.graphql_also),
            operation_types,
            redis: lower(&r.redis),
            sql: r.sql.clone(),
            body: conditions(&r.body),
            unless_all: conditions(&r.unless_all),
            mechanism: r.mechanism,
            effect: r.effect,
            decision: r.decision,
            scope: r.scope,
            resource: r.resource.clone().unwrap_or_else(|| "http-resource".into()),
            reason,
            id: r.id,
        });
    }
    let mut dry_runs = Vec::with_capacity(spec.dry_runs.len());
    for d in spec.dry_runs {
        let invalid = |problem: String| PackError::Invalid {
            file: file.into(),
            rule: format!("dry run `{}`", d.name),
            problem,
        };
        if d.param.is_none() && d.json.is_empty() || d.values.is_empty() {
            return Err(invalid(
                "a dry run needs a `param` or `json` member and the `values` that turn it on"
                    .into(),
            ));
        }
        dry_runs.push(DryRun {
            hosts: lower(&d.hosts).iter().map(|h| Pat::new(h)).collect(),
            paths: d
                .paths
                .iter()
                .map(|p| compile_path(p, &sets).map_err(&invalid))
                .collect::<Result<Vec<_>, _>>()?,
            param: d.param,
            json: d.json,
            values: d.values,
            name: d.name,
        });
    }
    Ok(Pack {
        id: spec.pack.id,
        description: spec.pack.description,
        hosts: hosts.iter().map(|h| Pat::new(h)).collect(),
        kind,
        rules,
        dry_runs,
    })
}

/// `key=value` conditions; a bare `key` means any value.
fn conditions(v: &[String]) -> Vec<BodyCond> {
    v.iter().map(|c| BodyCond::parse(c)).collect()
}

fn lower(v: &[String]) -> Vec<String> {
    v.iter().map(|s| s.to_ascii_lowercase()).collect()
}

fn compile_path(
    pattern: &str,
    sets: &BTreeMap<String, Vec<String>>,
) -> Result<PathPattern, String> {
    let mut out = Vec::new();
    for seg in pattern.split('/').filter(|s| !s.is_empty()) {
        out.push(match seg {
            "*" => Segment::Any,
            "**" => Segment::AnyMany,
            "{id}" => Segment::Id,
            "{name}" => Segment::Name,
            _ => {
                let mut alts = Vec::new();
                for alt in seg.split('|') {
                    if let Some(name) = alt.strip_prefix('{').and_then(|a| a.strip_suffix('}')) {
                        let set = sets
                            .get(name)
                            .ok_or_else(|| format!("unknown set `{{{name}}}` in `{pattern}`"))?;
                        alts.extend(set.iter().cloned());
                    } else {
                        alts.push(alt.to_ascii_lowercase());
                    }
                }
                let (patterns, mut literals): (Vec<String>, Vec<String>) =
                    alts.into_iter().partition(|a| a.contains(['*', '?', '[']));
                literals.sort();
                literals.dedup();
                let patterns = patterns.iter().map(|p| Pat::new(p)).collect();
                Segment::OneOf { literals, patterns }
            }
        });
    }
    if out.iter().filter(|s| matches!(s, Segment::AnyMany)).count() > 2 {
        return Err(format!("`{pattern}`: at most two `**` per pattern"));
    }
    Ok(PathPattern(out))
}

/// Does a segment name one record rather than a collection or a named thing? Numbers, UUIDs and
/// opaque tokens (8+ characters with a digit) do; `v1`, `users`, `my-app` do not.
pub(crate) fn is_id_segment(seg: &str) -> bool {
    // `42.json`: a format suffix (Rails, Firebase) on an id.
    let seg = seg.strip_suffix(".json").unwrap_or(seg);
    if seg.is_empty() {
        return false;
    }
    if seg.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    seg.len() >= 8
        && seg.bytes().any(|b| b.is_ascii_digit())
        && seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

impl PathPattern {
    /// Matches lowercase, decoded segments.
    pub fn matches(&self, segments: &[String]) -> bool {
        match_segments(&self.0, segments)
    }
}

fn match_segments(pattern: &[Segment], segments: &[String]) -> bool {
    let Some((first, rest)) = pattern.split_first() else {
        return segments.is_empty();
    };
    match first {
        Segment::AnyMany => {
            // With no `**` after this one, the rest needs exactly its own number of segments:
            // one split to try, not one per segment.
            if !rest.iter().any(|r| matches!(r, Segment::AnyMany)) {
                return segments.len() >= rest.len()
                    && match_segments(rest, &segments[segments.len() - rest.len()..]);
            }
            (0..=segments.len()).any(|skip| match_segments(rest, &segments[skip..]))
        }
        _ => match segments.split_first() {
            Some((seg, more)) => segment_matches(first, seg) && match_segments(rest, more),
            None => false,
        },
    }
}

fn segment_matches(pattern: &Segment, seg: &str) -> bool {
    match pattern {
        Segment::Any | Segment::AnyMany => true,
        Segment::Id => is_id_segment(seg),
        Segment::Name => !is_id_segment(seg),
        Segment::OneOf { literals, patterns } => {
            literals.binary_search_by(|l| l.as_str().cmp(seg)).is_ok()
                || patterns.iter().any(|a| a.matches(seg))
        }
    }
}

/// Host patterns against the request's hosts (`host` and `host:port` forms).
pub(crate) fn hosts_match(patterns: &[Pat], hosts: &[String]) -> bool {
    patterns
        .iter()
        .any(|p| matches!(p, Pat::Any) || hosts.iter().any(|h| p.matches(h)))
}

/// Any of the wildcard patterns matches `text` (both already lowercase).
pub(crate) fn any_glob(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| glob::matches(p, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn embedded_packs_load() {
        let rules = HttpRules::embedded().unwrap();
        assert!(rules.rule_ids().count() > 50);
    }

    #[test]
    fn rule_ids_are_unique_per_pack_and_prefixed() {
        let rules = HttpRules::embedded().unwrap();
        for id in rules.rule_ids() {
            assert!(id.starts_with("http."), "{id}");
        }
    }

    #[test]
    fn path_patterns() {
        let sets = BTreeMap::from([("infra".to_owned(), vec!["volumes".to_owned()])]);
        let p = compile_path("/**/{infra}/*", &sets).unwrap();
        assert!(p.matches(&segs("/v1/volumes/abc")));
        assert!(!p.matches(&segs("/v1/volumes")));
        let p = compile_path("/api/todos/{id}", &sets).unwrap();
        assert!(p.matches(&segs("/api/todos/42")));
        assert!(!p.matches(&segs("/api/todos/all")));
        let root = compile_path("/", &sets).unwrap();
        assert!(root.matches(&[]));
    }

    #[test]
    fn ids() {
        for id in ["42", "3f2b9c1e-0000-4000-8000-000000000000", "vol_01h8x9k2"] {
            assert!(is_id_segment(id), "{id}");
        }
        for name in ["v1", "users", "my-app", "production"] {
            assert!(!is_id_segment(name), "{name}");
        }
    }
}
