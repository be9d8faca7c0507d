//! The canonical encoding of a record and its hash: the one byte string each record's hash covers.
//!
//! This module must stay a pure function of the field values: no clock, no database, no
//! environment. Changing it (order, tags, widths, the magic line) breaks every existing chain; a new
//! encoding needs a new magic line and a new format number in the database.
//!
//! See the crate documentation for the byte-level definition.

use sha2::{Digest, Sha256};

/// The first bytes of every canonical message: the format and a newline.
pub const MAGIC: &[u8] = b"blastwall-audit-record/1\n";

/// The `prev_hash` of the first record: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The kind a canonical field must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Text,
    OptText,
}

/// The hashed fields, in hash order. The database columns carry the same names.
pub(crate) const FIELDS: [(&str, Kind); 15] = [
    ("seq", Kind::Int),
    ("prev_hash", Kind::Text),
    ("time_ms", Kind::Int),
    ("version", Kind::Text),
    ("door", Kind::Text),
    ("agent", Kind::OptText),
    ("session", Kind::OptText),
    ("environment", Kind::Text),
    ("cwd", Kind::OptText),
    ("pid", Kind::Int),
    ("input", Kind::Text),
    ("decision", Kind::Text),
    ("effect", Kind::Text),
    ("rule", Kind::Text),
    ("reason", Kind::Text),
];

/// One field value as it enters the hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Absent,
    Text(&'a [u8]),
    Int(i64),
}

impl Value<'_> {
    pub(crate) fn fits(&self, kind: Kind) -> bool {
        matches!(
            (self, kind),
            (Value::Int(_), Kind::Int)
                | (Value::Text(_), Kind::Text | Kind::OptText)
                | (Value::Absent, Kind::OptText)
        )
    }
}

const TAG_ABSENT: u8 = 0x00;
const TAG_TEXT: u8 = 0x01;
const TAG_INT: u8 = 0x02;

/// The canonical message for `values` (which follow [`FIELDS`] in order).
pub(crate) fn canonical(values: &[Value<'_>]) -> Vec<u8> {
    let text_len: usize = values
        .iter()
        .map(|v| match v {
            Value::Text(t) => t.len(),
            _ => 0,
        })
        .sum();
    let mut out = Vec::with_capacity(MAGIC.len() + values.len() * 9 + text_len);
    out.extend_from_slice(MAGIC);
    for value in values {
        match value {
            Value::Absent => out.push(TAG_ABSENT),
            Value::Text(t) => {
                out.push(TAG_TEXT);
                out.extend_from_slice(&(t.len() as u64).to_be_bytes());
                out.extend_from_slice(t);
            }
            Value::Int(i) => {
                out.push(TAG_INT);
                out.extend_from_slice(&i.to_be_bytes());
            }
        }
    }
    out
}

/// Lowercase hex SHA-256 of the canonical message for `values`.
pub(crate) fn record_hash(values: &[Value<'_>]) -> String {
    hex(&Sha256::digest(canonical(values)))
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

/// Whether `s` looks like a hash this module produces (64 lowercase hex digits).
pub(crate) fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_tag_length_value() {
        let msg = canonical(&[Value::Int(1), Value::Text(b"ab"), Value::Absent]);
        let mut want = MAGIC.to_vec();
        want.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 0, 1]);
        want.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 2, b'a', b'b']);
        want.push(0);
        assert_eq!(msg, want);
    }

    #[test]
    fn absent_and_empty_differ_and_boundaries_matter() {
        assert_ne!(
            record_hash(&[Value::Absent]),
            record_hash(&[Value::Text(b"")])
        );
        assert_ne!(
            record_hash(&[Value::Text(b"ab"), Value::Text(b"c")]),
            record_hash(&[Value::Text(b"a"), Value::Text(b"bc")])
        );
    }

    #[test]
    fn known_digest_of_the_magic_alone() {
        // SHA-256 of "blastwall-audit-record/1\n", so an external tool can check its own setup.
        assert_eq!(
            record_hash(&[]),
            "841805cfb61dd3a36a581faac065d7d384761236118ef84d11ba64de4a51a474"
        );
        assert!(is_hash(&record_hash(&[])));
        assert!(is_hash(GENESIS));
        assert!(!is_hash("ABC"));
    }
}
