#![allow(dead_code)]

use blastwall_core::{Decision, Effect, Language, Scope};
use blastwall_policy::{AgentIdentity, Approval, Request, Situation, Who};

pub fn agent(name: &str, envs: &[&str]) -> Who {
    Who::Agent(AgentIdentity {
        name: name.into(),
        environments: envs.iter().map(|s| (*s).to_owned()).collect(),
        groups: vec!["coding-assistants".into()],
    })
}

pub fn request(who: Who, effect: Effect, env: &str) -> Request {
    Request {
        who,
        effect,
        language: Language::Shell,
        operation: "rm -r".into(),
        door: "hook:claude-code".into(),
        environment: env.into(),
        resource_kind: "path".into(),
        resource_name: "/srv/data".into(),
        resource_tags: vec![],
        blast_radius: Scope::Tree,
        rule: "fs.rm.recursive".into(),
        classifier_decision: Decision::Allow,
        situation: Situation::default(),
    }
}

pub fn with_approval(mut r: Request, approval: Approval) -> Request {
    r.situation.approval = approval;
    r
}
