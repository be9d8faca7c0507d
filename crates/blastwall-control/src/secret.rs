//! Randomness, tokens and their hashes.
//!
//! A token is shown once, when it is issued, and only its SHA-256 hash is kept. This module must
//! never log, store or return a token except from the function that issues it, and must never
//! compare secrets with `==`.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ControlError;

/// Random bytes from the operating system.
pub(crate) fn random<const N: usize>() -> Result<[u8; N], ControlError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| ControlError::Random {
        detail: e.to_string(),
    })?;
    Ok(bytes)
}

/// A random identifier: `prefix` followed by 24 lowercase hex digits (96 bits). Safe in URLs,
/// file names and shell words without quoting.
pub(crate) fn new_id(prefix: &str) -> Result<String, ControlError> {
    Ok(format!("{prefix}{}", hex(&random::<12>()?)))
}

/// A new token for the principal `id`: `<id>.<64 hex digits>` (256 random bits). The id in front
/// lets [`authenticate`](crate::Control::authenticate) find the one stored hash to compare with.
pub(crate) fn new_token(id: &str) -> Result<String, ControlError> {
    Ok(format!("{id}.{}", hex(&random::<32>()?)))
}

/// The principal id a token claims to belong to (not yet verified).
pub(crate) fn token_id(token: &str) -> Option<&str> {
    let (id, secret) = token.split_once('.')?;
    (!id.is_empty() && !secret.is_empty()).then_some(id)
}

/// SHA-256 of a token, as stored.
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `token` hashes to `stored`, in time independent of where they differ.
pub(crate) fn token_matches(token: &str, stored: &[u8; 32]) -> bool {
    token_hash(token).ct_eq(stored).into()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    s
}

/// Lowercase or uppercase hex digits → bytes; `None` for anything else.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_id_and_match_only_themselves() {
        let token = new_token("agt_0123").unwrap();
        assert_eq!(token_id(&token), Some("agt_0123"));
        let stored = token_hash(&token);
        assert!(token_matches(&token, &stored));
        let mut other = token.clone();
        other.pop();
        other.push('x');
        assert!(!token_matches(&other, &stored));
        assert_eq!(token_id("no-dot"), None);
        assert_eq!(token_id(".secret"), None);
        assert_eq!(token_id("id."), None);
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(
            unhex(&hex(&[0, 1, 0xab, 0xff])),
            Some(vec![0, 1, 0xab, 0xff])
        );
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        assert!(new_id("apr_").unwrap().starts_with("apr_"));
        assert_eq!(new_id("apr_").unwrap().len(), 4 + 24);
    }
}
