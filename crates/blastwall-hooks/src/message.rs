//! The words an agent and its user see: what was stopped, why, and what a human can do about it.
//!
//! The agent's text tells the model not to work around the decision; the user's text tells the
//! human how to proceed if they meant it. Nothing here decides anything.

use blastwall_core::Decision;

use crate::{Agent, Answer, Attempt, HookCall};

/// Longest command or path quoted back in a message.
const MAX_QUOTE: usize = 160;

fn clip(s: &str) -> String {
    let one_line = s.replace('\n', " ⏎ ");
    if one_line.chars().count() <= MAX_QUOTE {
        return one_line;
    }
    let cut: String = one_line.chars().take(MAX_QUOTE).collect();
    format!("{cut}…")
}

fn what(call: &HookCall) -> String {
    let mut parts: Vec<String> = call.attempts.iter().map(describe).collect();
    parts.dedup();
    match parts.len() {
        0 => "this action".to_owned(),
        1 => parts.remove(0),
        _ => parts.join(", "),
    }
}

/// The rule of an action held at the control plane until humans approve it. Such an action is
/// refused in the agent's protocol (its own "ask" would let whoever sits at the agent's
/// terminal bypass the approval wall), with a message saying how it gets approved.
pub const APPROVAL_PENDING: &str = "approval.pending";

fn describe(a: &Attempt) -> String {
    match a {
        Attempt::Shell { command } => format!("the command `{}`", clip(command)),
        Attempt::FileWrite { path } => format!("the write to `{}`", clip(path)),
        Attempt::Mcp { server, tool, .. } => {
            format!("the MCP tool `{}` of `{}`", clip(tool), clip(server))
        }
        Attempt::Other { tool } => format!("the tool `{}`", clip(tool)),
    }
}

fn reason(answer: &Answer) -> String {
    let r = answer.reason.trim().trim_end_matches('.');
    if r.is_empty() {
        "no reason given".to_owned()
    } else {
        r.to_owned()
    }
}

/// For the model: what happened and that it must not try another way.
pub(crate) fn for_agent(call: &HookCall, answer: &Answer) -> String {
    let what = what(call);
    let reason = reason(answer);
    let rule = &answer.rule;
    if rule == APPROVAL_PENDING {
        return format!(
            "blastwall holds {what} at the control plane: {reason}. Tell the user it waits for their approval; once a human has approved it, run exactly the same action again (any change needs a new approval). Do not work around it another way."
        );
    }
    match answer.decision {
        Decision::Allow => format!("blastwall allowed {what} (rule {rule})."),
        Decision::Ask if call.agent.can_ask() => format!(
            "blastwall holds {what} for the user's approval: {reason} (rule {rule}). If the user declines, do not retry it another way; ask them how to proceed."
        ),
        Decision::Ask => format!(
            "blastwall stopped {what} until a human approves it: {reason} (rule {rule}). Do not retry it or work around it another way; tell the user what you wanted to do and why, and let them run it themselves."
        ),
        Decision::Deny => format!(
            "blastwall denied {what}: {reason} (rule {rule}). Do not retry it or work around it another way; tell the user what you wanted to do and why."
        ),
    }
}

/// For the human: what was stopped, why, and how to go ahead if it was meant.
pub(crate) fn for_user(call: &HookCall, answer: &Answer) -> String {
    let what = what(call);
    let reason = reason(answer);
    let rule = &answer.rule;
    let agent = call.agent.display_name();
    if rule == APPROVAL_PENDING {
        return format!("blastwall holds {what} for approval at the control plane: {reason}.");
    }
    match answer.decision {
        Decision::Allow => format!("blastwall allowed {what} (rule {rule})."),
        Decision::Ask if call.agent.can_ask() => format!(
            "blastwall: {what} needs your approval: {reason} (rule {rule}). Approve only if you meant it."
        ),
        Decision::Ask => format!(
            "blastwall stopped {what} until a human approves it: {reason} (rule {rule}). {agent} hooks cannot ask for approval: if you meant it, run it yourself, or set `{rule}` to \"allow\" under [rules.overrides] in blastwall.toml."
        ),
        Decision::Deny => format!(
            "blastwall stopped {what}: {reason} (rule {rule}). If you meant it, run it yourself, or override `{rule}` under [rules.overrides] in blastwall.toml."
        ),
    }
}

/// For both, when nothing could be judged.
pub(crate) fn failure(agent: Agent, message: &str) -> String {
    let message = message.trim().trim_end_matches('.');
    format!(
        "blastwall could not judge this action, so it was stopped (nothing ran): {message}. To find the cause, run `blastwall doctor`; to bypass blastwall for this one action, a human can run it outside {}.",
        agent.display_name()
    )
}
