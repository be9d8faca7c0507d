//! `@reason` texts: sentences with `{placeholders}` filled from the request when a policy fires.
//!
//! Placeholders are checked when the policy loads, so a misspelt one is a validation error and
//! never a sentence with a hole in it at 3 a.m. This module must never evaluate anything but the
//! fixed list of placeholders below.

use std::fmt;

use crate::request::{Request, Who, scope_name};
use crate::set::list;

/// The placeholders a `@reason` may use.
pub const PLACEHOLDERS: &[&str] = &[
    "principal.name",
    "principal.environments",
    "principal.groups",
    "principal.roles",
    "resource.environment",
    "resource.kind",
    "resource.name",
    "resource.tags",
    "effect",
    "operation",
    "language",
    "door",
    "blast_radius",
    "session",
    "classifier.rule",
    "classifier.decision",
    "approval.state",
    "approval.count",
    "approval.admins",
];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(&'static str),
}

/// A parsed `@reason`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template(Vec<Piece>);

/// What is wrong with a `@reason`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TemplateError {
    Unclosed,
    Unknown(String),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Unclosed => f.write_str("a '{' is never closed by '}'"),
            TemplateError::Unknown(name) => write!(
                f,
                "unknown placeholder {{{name}}}; known ones: {}",
                PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

impl Template {
    pub(crate) fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 1..];
            let close = after.find('}').ok_or(TemplateError::Unclosed)?;
            let name = after[..close].trim();
            let field = PLACEHOLDERS
                .iter()
                .find(|p| **p == name)
                .ok_or_else(|| TemplateError::Unknown(name.to_owned()))?;
            pieces.push(Piece::Field(field));
            rest = &after[close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        Ok(Template(pieces))
    }

    pub(crate) fn render(&self, request: &Request) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Field(f) => out.push_str(&field(f, request)),
            }
        }
        out
    }
}

fn field(name: &str, r: &Request) -> String {
    let none = Vec::new();
    let (environments, groups, roles) = match &r.who {
        Who::Agent(a) => (&a.environments, &a.groups, &none),
        Who::Human(h) => (&none, &none, &h.roles),
    };
    let s = &r.situation;
    match name {
        "principal.name" => r.who.name().to_owned(),
        "principal.environments" => list(environments),
        "principal.groups" => list(groups),
        "principal.roles" => list(roles),
        "resource.environment" => r.environment.clone(),
        "resource.kind" => r.resource_kind.clone(),
        "resource.name" => r.resource_name.clone(),
        "resource.tags" => list(&r.resource_tags),
        "effect" => r.effect.to_string(),
        "operation" => r.operation.clone(),
        "language" => r.language.as_str().to_owned(),
        "door" => r.door.clone(),
        "blast_radius" => scope_name(r.blast_radius).to_owned(),
        "session" => s.session.clone().unwrap_or_default(),
        "classifier.rule" => r.rule.clone(),
        "classifier.decision" => r.classifier_decision.to_string(),
        "approval.state" => s.approval.state.as_str().to_owned(),
        "approval.count" => s.approval.count.to_string(),
        "approval.admins" => s.approval.admins.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_checked() {
        assert!(Template::parse("{effect} in {resource.environment}").is_ok());
        assert_eq!(
            Template::parse("{efect}"),
            Err(TemplateError::Unknown("efect".into()))
        );
        assert_eq!(
            Template::parse("oops {effect"),
            Err(TemplateError::Unclosed)
        );
    }
}
