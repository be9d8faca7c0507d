//! What an approval is bound to: the [`ApprovalSubject`] and its [`ActionDigest`].
//!
//! A human approves one exact action by one agent in one session and environment. The digest is
//! the SHA-256 of the subject's canonical encoding, so an action that differs in a single byte (or
//! comes from another agent, session, environment or door) has another digest and finds no
//! approval.
//!
//! This module must stay a pure function of the subject's fields: no clock, no randomness, no
//! store. Changing the encoding (order, tags, widths, the magic line) invalidates every stored
//! request; a new encoding needs a new magic line.
//!
//! # Canonical encoding (format 1)
//!
//! ```text
//! message = "blastwall-approval-subject/1" 0x0A  field{11}
//! field   = 0x00                                ; an absent optional text
//!         | 0x01  length:u64 big-endian  bytes  ; a text: its UTF-8 bytes
//! ```
//!
//! Fields, in this order: `agent`, `session` (optional), `environment`, door kind (`check`, `hook`
//! or `proxy`), door name (optional: absent for `check`), `language` (`shell`, `sql`, `http`),
//! `input`, `rule`, `effect` (`read`, `write`, `destructive`, `irreversible`), resource kind,
//! resource name. Every field carries its own tag and length, so no text can shift bytes into its
//! neighbour and an absent session differs from an empty one. The digest is shown as 64 lowercase
//! hex digits.

use std::fmt;

use blastwall_core::{Action, Door, Effect, Environment, Language, Resource};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secret::{hex, unhex};

/// The first bytes of every canonical subject: the format and a newline.
pub const SUBJECT_MAGIC: &[u8] = b"blastwall-approval-subject/1\n";

/// Everything an approval is bound to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalSubject {
    /// The id of the authenticated agent (never what the agent says about itself).
    pub agent: String,
    /// The agent's session, when the door knows it.
    pub session: Option<String>,
    pub environment: Environment,
    pub door: Door,
    pub language: Language,
    /// The input exactly as the door received it (the whole command line, statement or request,
    /// not only the part a rule matched), so that approving one command of a list does not
    /// approve a changed list.
    pub input: String,
    /// The rule that asked.
    pub rule: String,
    pub effect: Effect,
    pub resource: Resource,
}

impl ApprovalSubject {
    /// The subject of an `ask` verdict: `action` is the action that settled it, `input` the door's
    /// whole input, `agent` and `session` the authenticated identity (the action's own principal is
    /// what the agent claims and is not used).
    pub fn for_action(
        agent: impl Into<String>,
        session: Option<String>,
        action: &Action,
        input: impl Into<String>,
    ) -> Self {
        ApprovalSubject {
            agent: agent.into(),
            session,
            environment: action.environment.clone(),
            door: action.door.clone(),
            language: action.language,
            input: input.into(),
            rule: action.finding.rule.clone(),
            effect: action.effect,
            resource: action.resource.clone(),
        }
    }

    /// The canonical encoding (see the module documentation).
    pub fn canonical(&self) -> Vec<u8> {
        let (door_kind, door_name) = door_parts(&self.door);
        let fields: [Option<&str>; 11] = [
            Some(&self.agent),
            self.session.as_deref(),
            Some(self.environment.as_str()),
            Some(door_kind),
            door_name,
            Some(self.language.as_str()),
            Some(&self.input),
            Some(&self.rule),
            Some(self.effect.as_str()),
            Some(&self.resource.kind),
            Some(&self.resource.name),
        ];
        let len: usize = fields.iter().flatten().map(|f| f.len() + 9).sum();
        let mut out = Vec::with_capacity(SUBJECT_MAGIC.len() + len + fields.len());
        out.extend_from_slice(SUBJECT_MAGIC);
        for field in fields {
            match field {
                None => out.push(0x00),
                Some(text) => {
                    out.push(0x01);
                    out.extend_from_slice(&(text.len() as u64).to_be_bytes());
                    out.extend_from_slice(text.as_bytes());
                }
            }
        }
        out
    }

    /// SHA-256 of the canonical encoding.
    pub fn digest(&self) -> ActionDigest {
        ActionDigest(Sha256::digest(self.canonical()).into())
    }
}

/// The door as two fields: its kind and its name (absent for `check`).
pub(crate) fn door_parts(door: &Door) -> (&'static str, Option<&str>) {
    match door {
        Door::Check => ("check", None),
        Door::Hook(name) => ("hook", Some(name)),
        Door::Proxy(name) => ("proxy", Some(name)),
    }
}

/// The door back from its two fields.
pub(crate) fn door_from_parts(kind: &str, name: Option<String>) -> Option<Door> {
    match (kind, name) {
        ("check", None) => Some(Door::Check),
        ("hook", Some(name)) => Some(Door::Hook(name)),
        ("proxy", Some(name)) => Some(Door::Proxy(name)),
        _ => None,
    }
}

/// The SHA-256 digest of an [`ApprovalSubject`]. Displays and serializes as 64 lowercase hex
/// digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionDigest(pub [u8; 32]);

impl ActionDigest {
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// Parses 64 hex digits.
    pub fn parse(s: &str) -> Option<ActionDigest> {
        let bytes = unhex(s)?;
        Some(ActionDigest(bytes.try_into().ok()?))
    }
}

impl fmt::Display for ActionDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ActionDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActionDigest({})", self.to_hex())
    }
}

impl Serialize for ActionDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ActionDigest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ActionDigest::parse(&s)
            .ok_or_else(|| serde::de::Error::custom("a digest is 64 hexadecimal digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject() -> ApprovalSubject {
        ApprovalSubject {
            agent: "agt_1".into(),
            session: Some("s1".into()),
            environment: Environment("prod".into()),
            door: Door::Hook("claude-code".into()),
            language: Language::Shell,
            input: "rm -rf /srv/data".into(),
            rule: "fs.rm.recursive".into(),
            effect: Effect::Destructive,
            resource: Resource {
                kind: "path".into(),
                name: "/srv/data".into(),
            },
        }
    }

    #[test]
    fn layout_is_magic_then_tagged_fields() {
        let mut s = subject();
        s.session = None;
        s.door = Door::Check;
        let msg = s.canonical();
        assert!(msg.starts_with(SUBJECT_MAGIC));
        let rest = &msg[SUBJECT_MAGIC.len()..];
        let mut want = vec![1, 0, 0, 0, 0, 0, 0, 0, 5];
        want.extend_from_slice(b"agt_1");
        want.push(0); // no session
        assert!(rest.starts_with(&want));
    }

    #[test]
    fn every_field_changes_the_digest() {
        let base = subject().digest();
        type Change = Box<dyn Fn(&mut ApprovalSubject)>;
        let variants: Vec<Change> = vec![
            Box::new(|s| s.agent.push('x')),
            Box::new(|s| s.session = None),
            Box::new(|s| s.session = Some(String::new())),
            Box::new(|s| s.environment = Environment("dev".into())),
            Box::new(|s| s.door = Door::Proxy("claude-code".into())),
            Box::new(|s| s.language = Language::Sql),
            Box::new(|s| s.input.push(' ')),
            Box::new(|s| s.rule.push('x')),
            Box::new(|s| s.effect = Effect::Irreversible),
            Box::new(|s| s.resource.kind = "dir".into()),
            Box::new(|s| s.resource.name.push('/')),
        ];
        for change in variants {
            let mut s = subject();
            change(&mut s);
            assert_ne!(s.digest(), base, "{s:?}");
        }
    }

    #[test]
    fn bytes_cannot_move_between_fields() {
        let mut a = subject();
        let mut b = subject();
        a.rule = "ab".into();
        a.input = "c".into();
        b.rule = "a".into();
        b.input = "bc".into();
        assert_ne!(a.digest(), b.digest());
    }

    #[test]
    fn digest_round_trips_as_hex() {
        let d = subject().digest();
        assert_eq!(ActionDigest::parse(&d.to_hex()), Some(d));
        assert_eq!(d.to_hex().len(), 64);
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<ActionDigest>(&json).unwrap(), d);
        assert_eq!(ActionDigest::parse("00"), None);
    }
}
