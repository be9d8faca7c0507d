//! Notification payloads for an approval request: a Slack-compatible incoming-webhook message, and
//! generic JSON signed with HMAC-SHA256 (also how callbacks are checked).
//!
//! This module builds bytes and checks signatures; it must never send anything, never put a token
//! or secret in a payload, and never compare signatures except in constant time.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::error::ControlError;
use crate::request::Request;
use crate::secret::{hex, unhex};

/// The HTTP header that carries the signature of a signed body.
pub const SIGNATURE_HEADER: &str = "X-Blastwall-Signature";

/// The scheme in front of the signature's hex digits.
const SCHEME: &str = "sha256=";

/// Longest input shown in a chat message; the rest is cut (the CLI shows it whole).
const MAX_SHOWN_INPUT: usize = 1500;

type HmacSha256 = Hmac<Sha256>;

/// The command a human runs to approve `request`.
pub fn approve_command(request: &Request) -> String {
    match &request.confirmation {
        Some(text) => format!(
            "blastwall approvals approve {} --confirm {}",
            request.id,
            shell_word(text)
        ),
        None => format!("blastwall approvals approve {}", request.id),
    }
}

/// The command a human runs to deny `request`.
pub fn deny_command(request: &Request) -> String {
    format!("blastwall approvals deny {}", request.id)
}

/// A Slack-compatible incoming-webhook message: what waits, why, and how to approve or deny.
pub fn slack_message(request: &Request) -> Value {
    let s = &request.subject;
    let who = match &s.session {
        Some(session) => format!("{} (session {})", s.agent, session),
        None => s.agent.clone(),
    };
    let quorum = if request.quorum > 1 {
        format!(", {} approvals needed", request.quorum)
    } else {
        String::new()
    };
    let text = format!(
        "blastwall: agent {who} waits for approval {} to run a {} action on {} in {}{quorum}",
        request.id, s.effect, s.resource.name, s.environment
    );
    let summary = format!(
        "*Agent `{}` waits for approval `{}`*\n*What:* {} on `{}` ({}) in *{}*\n*Why:* {}\n*Rule:* `{}`{}",
        mrkdwn(&who),
        request.id,
        s.effect,
        mrkdwn(&s.resource.name),
        mrkdwn(&s.resource.kind),
        mrkdwn(s.environment.as_str()),
        mrkdwn(&request.reason),
        mrkdwn(&s.rule),
        mrkdwn(&quorum),
    );
    let input = code_block(&s.input);
    let commands = format!(
        "*Approve:* `{}`\n*Deny:* `{}`",
        mrkdwn(&approve_command(request)),
        mrkdwn(&deny_command(request)),
    );
    let expires = format!(
        "Expires at {} ms since the epoch. Approval covers this exact action once; digest `{}`.",
        request.expires_ms, request.digest
    );
    json!({
        "text": text,
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": summary } },
            { "type": "section", "text": { "type": "mrkdwn", "text": input } },
            { "type": "section", "text": { "type": "mrkdwn", "text": commands } },
            { "type": "context", "elements": [ { "type": "mrkdwn", "text": expires } ] },
        ],
    })
}

/// The generic JSON notification for `request` and its signature header value
/// (`sha256=<hex HMAC-SHA256 of the body>`).
pub fn signed_json(request: &Request, secret: &[u8]) -> (Vec<u8>, String) {
    let payload = json!({
        "type": "blastwall.approval.requested",
        "request": request,
        "approve_command": approve_command(request),
        "deny_command": deny_command(request),
    });
    // Serializing a `Value` built from plain data cannot fail.
    let body = serde_json::to_vec(&payload).unwrap_or_default();
    let header = sign(&body, secret);
    (body, header)
}

/// The signature header value for `body`.
pub fn sign(body: &[u8], secret: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(body);
    format!("{SCHEME}{}", hex(&mac.finalize().into_bytes()))
}

/// Checks a signature header against `body`, in constant time. A tampered body, a wrong secret or
/// a malformed header are all refused.
pub fn verify_signature(body: &[u8], header: &str, secret: &[u8]) -> Result<(), ControlError> {
    let digits = header
        .trim()
        .strip_prefix(SCHEME)
        .ok_or(ControlError::BadSignature {
            detail: "the header does not start with sha256=",
        })?;
    let given = unhex(digits).ok_or(ControlError::BadSignature {
        detail: "the signature is not hexadecimal",
    })?;
    let mut mac = mac(secret);
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| ControlError::BadSignature {
            detail: "the body does not match its signature",
        })
}

fn mac(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC accepts keys of any length")
}

/// Text made safe for Slack mrkdwn: the three characters Slack requires escaped, and backticks,
/// which would end a code span.
fn mrkdwn(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "'")
}

fn code_block(input: &str) -> String {
    let mut shown: String = input.chars().take(MAX_SHOWN_INPUT).collect();
    if shown.len() < input.len() {
        shown.push_str(" [cut]");
    }
    let escaped = shown
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("```", "'''");
    format!("```{escaped}```")
}

/// `s` as one POSIX shell word.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'-' | b'_' | b'.' | b'/' | b':' | b'@' | b'=' | b',')
        });
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_quote_only_when_needed() {
        assert_eq!(shell_word("/srv/data"), "/srv/data");
        assert_eq!(shell_word("my db"), "'my db'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$(rm -rf /)"), "'$(rm -rf /)'");
    }

    #[test]
    fn signatures_round_trip_and_refuse_changes() {
        let sig = sign(b"body", b"k");
        assert!(verify_signature(b"body", &sig, b"k").is_ok());
        assert!(verify_signature(b"body!", &sig, b"k").is_err());
        assert!(verify_signature(b"body", &sig, b"other").is_err());
        assert!(verify_signature(b"body", "sha256=zz", b"k").is_err());
        assert!(verify_signature(b"body", &sig[7..], b"k").is_err());
    }
}
