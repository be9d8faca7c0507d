//! What policy is asked about: who (an agent with its scope and groups, or a human with roles),
//! what (effect, language, operation), where (the resource and its environment) and in which
//! situation (time, session, approval state, whether a snapshot is possible).
//!
//! A [`Request`] is plain data the control plane fills from what it knows; this module must never
//! look anything up (no clock, no store, no configuration): the caller passes the facts in.

use blastwall_core::{Action, Decision, Door, Effect, Language, Scope, Verdict};
use serde::{Deserialize, Serialize};

/// An agent as policy sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentIdentity {
    pub name: String,
    /// The environments the agent may act in.
    #[serde(default)]
    pub environments: Vec<String>,
    /// Its groups (`AgentGroup` entities, parents of the agent in Cedar).
    #[serde(default)]
    pub groups: Vec<String>,
}

/// A human as policy sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HumanIdentity {
    pub name: String,
    /// `approver`, `admin`.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Who acts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Who {
    Agent(AgentIdentity),
    Human(HumanIdentity),
}

impl Who {
    pub fn name(&self) -> &str {
        match self {
            Who::Agent(a) => &a.name,
            Who::Human(h) => &h.name,
        }
    }
}

/// Where the approval of this exact action stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalState {
    /// No request was opened for it.
    #[default]
    None,
    /// A request waits for votes.
    Pending,
    /// The request reached its quorum.
    Approved,
}

impl ApprovalState {
    pub const fn as_str(self) -> &'static str {
        match self {
            ApprovalState::None => "none",
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
        }
    }
}

/// The approval of this exact action, as the approval wall knows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    #[serde(default)]
    pub state: ApprovalState,
    /// Distinct humans who approved.
    #[serde(default)]
    pub count: u32,
    /// How many of them are admins.
    #[serde(default)]
    pub admins: u32,
}

impl Approval {
    /// No request yet.
    pub const NONE: Approval = Approval {
        state: ApprovalState::None,
        count: 0,
        admins: 0,
    };

    /// Approved by `count` distinct humans, `admins` of them admins.
    pub const fn approved(count: u32, admins: u32) -> Approval {
        Approval {
            state: ApprovalState::Approved,
            count,
            admins,
        }
    }
}

/// A day of the week.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    #[default]
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const fn as_str(self) -> &'static str {
        match self {
            Weekday::Monday => "monday",
            Weekday::Tuesday => "tuesday",
            Weekday::Wednesday => "wednesday",
            Weekday::Thursday => "thursday",
            Weekday::Friday => "friday",
            Weekday::Saturday => "saturday",
            Weekday::Sunday => "sunday",
        }
    }
}

/// The time of week policy sees: hour of day (0–23) and weekday.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeOfWeek {
    #[serde(default)]
    pub hour: u8,
    #[serde(default)]
    pub weekday: Weekday,
}

impl TimeOfWeek {
    /// The time of week of a Unix timestamp in seconds, shifted by `utc_offset_secs` (the
    /// operator's time zone: policies about office hours mean local hours).
    pub fn from_unix(secs: i64, utc_offset_secs: i32) -> TimeOfWeek {
        let local = secs + i64::from(utc_offset_secs);
        let days = local.div_euclid(86_400);
        let hour = (local.rem_euclid(86_400) / 3_600) as u8;
        // 1970-01-01 was a Thursday.
        let weekday = match (days + 3).rem_euclid(7) {
            0 => Weekday::Monday,
            1 => Weekday::Tuesday,
            2 => Weekday::Wednesday,
            3 => Weekday::Thursday,
            4 => Weekday::Friday,
            5 => Weekday::Saturday,
            _ => Weekday::Sunday,
        };
        TimeOfWeek { hour, weekday }
    }
}

/// What the control plane knows besides the action itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Situation {
    #[serde(default)]
    pub time: TimeOfWeek,
    /// The agent session; `None` when the door does not know it.
    #[serde(default)]
    pub session: Option<String>,
    #[serde(default)]
    pub approval: Approval,
    /// Whether a snapshot of the resource can be taken before the action runs.
    #[serde(default)]
    pub snapshot_possible: bool,
}

/// One question to policy: may this principal do this, here, now?
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub who: Who,
    pub effect: Effect,
    pub language: Language,
    /// The operation as the classifier names it.
    pub operation: String,
    /// `check`, `hook:<agent>` or `proxy:<name>`.
    pub door: String,
    pub environment: String,
    pub resource_kind: String,
    pub resource_name: String,
    pub resource_tags: Vec<String>,
    pub blast_radius: Scope,
    /// The rule that judged the action and the rule's own decision (before overrides and floors).
    pub rule: String,
    pub classifier_decision: Decision,
    pub situation: Situation,
}

impl Request {
    /// The question for one classified action. The classifier's decision is the rule's own
    /// (`finding.decision`), so that a local override can never launder a rule's deny.
    pub fn from_action(action: &Action, who: Who, situation: Situation) -> Request {
        let mut situation = situation;
        if situation.session.is_none() {
            situation.session.clone_from(&action.principal.session);
        }
        Request {
            who,
            effect: action.effect,
            language: action.language,
            operation: action.operation.clone(),
            door: door_name(&action.door),
            environment: action.environment.0.clone(),
            resource_kind: action.resource.kind.clone(),
            resource_name: action.resource.name.clone(),
            resource_tags: Vec::new(),
            blast_radius: action.blast_radius.scope,
            rule: action.finding.rule.clone(),
            classifier_decision: action.finding.decision,
            situation,
        }
    }

    /// One question per action of a verdict; evaluate them with
    /// [`PolicySet::evaluate_all`](crate::PolicySet::evaluate_all) so the strictest answer wins.
    pub fn from_verdict(verdict: &Verdict, who: &Who, situation: &Situation) -> Vec<Request> {
        verdict
            .actions
            .iter()
            .map(|j| Request::from_action(&j.action, who.clone(), situation.clone()))
            .collect()
    }

    /// Adds resource tags (`pii`, `billing`, ...), which classifiers do not know.
    pub fn with_tags(mut self, tags: impl IntoIterator<Item = impl Into<String>>) -> Request {
        self.resource_tags.extend(tags.into_iter().map(Into::into));
        self
    }
}

/// The name of a door as policy sees it.
pub fn door_name(door: &Door) -> String {
    match door {
        Door::Check => "check".to_owned(),
        Door::Hook(agent) => format!("hook:{agent}"),
        Door::Proxy(name) => format!("proxy:{name}"),
    }
}

pub(crate) fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::None => "none",
        Scope::Single => "single",
        Scope::Tree => "tree",
        Scope::Project => "project",
        Scope::Host => "host",
        Scope::Account => "account",
        Scope::Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekday_and_hour_of_unix_time() {
        // 2024-01-06 13:30 UTC was a Saturday.
        let t = TimeOfWeek::from_unix(1_704_547_800, 0);
        assert_eq!((t.hour, t.weekday), (13, Weekday::Saturday));
        // Two hours east it is 15:30.
        assert_eq!(TimeOfWeek::from_unix(1_704_547_800, 7_200).hour, 15);
        assert_eq!(TimeOfWeek::from_unix(0, 0).weekday, Weekday::Thursday);
    }
}
