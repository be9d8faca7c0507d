//! Decoded text that still knows where it came from: a JSON string literal or a percent-encoded
//! value, decoded, with a map from each decoded byte back to its byte in the message.
//!
//! Findings must point at the bytes the person sees in the request (`volumeDelete` inside a JSON
//! body written with `\u0076olumeDelete`), so decoding keeps offsets. This module never decides
//! anything; when an offset map cannot be built it falls back to the whole encoded value.

use std::borrow::Cow;

use blastwall_core::Span;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// Decoded text and the way back to message offsets.
#[derive(Clone, Debug)]
pub(crate) struct Located {
    pub text: String,
    /// Where the encoded value sits in the message.
    pub whole: Span,
    map: OffsetMap,
}

#[derive(Clone, Debug)]
enum OffsetMap {
    /// The decoded text is the encoded text: offsets shift by `whole.start`.
    Identity,
    /// `table[i]` is the message offset of decoded byte `i`; one extra entry for the end.
    Table(Vec<usize>),
    /// No map could be built: every span is the whole value.
    Whole,
}

impl Located {
    /// Text that appears verbatim at `start` in the message.
    pub fn verbatim(text: &str, start: usize) -> Located {
        Located {
            text: text.to_owned(),
            whole: Span::new(start, start + text.len()),
            map: OffsetMap::Identity,
        }
    }

    /// The message span of decoded bytes `[start, end)`.
    pub fn span(&self, start: usize, end: usize) -> Span {
        match &self.map {
            OffsetMap::Identity => Span::new(self.whole.start + start, self.whole.start + end),
            OffsetMap::Table(t) => match (t.get(start), t.get(end)) {
                (Some(s), Some(e)) if s <= e => Span::new(*s, *e),
                _ => self.whole,
            },
            OffsetMap::Whole => self.whole,
        }
    }

    /// A percent-encoded value (query string or form body); `+` is a space when `plus_is_space`.
    pub fn percent_encoded(raw: &str, start: usize, plus_is_space: bool) -> Located {
        let decoded: String = if plus_is_space {
            form_urlencoded::parse(format!("x={raw}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        } else {
            percent_encoding::percent_decode_str(raw)
                .decode_utf8_lossy()
                .into_owned()
        };
        let whole = Span::new(start, start + raw.len());
        if decoded == raw {
            return Located {
                text: decoded,
                whole,
                map: OffsetMap::Identity,
            };
        }
        let bytes = raw.as_bytes();
        let mut table = Vec::with_capacity(decoded.len() + 1);
        let mut i = 0;
        while i < bytes.len() {
            table.push(start + i);
            let hex = |b: u8| (b as char).is_ascii_hexdigit();
            if bytes[i] == b'%' && i + 2 < bytes.len() && hex(bytes[i + 1]) && hex(bytes[i + 2]) {
                i += 3;
                continue;
            }
            i += 1;
        }
        table.push(start + raw.len());
        let map = if table.len() == decoded.len() + 1 {
            OffsetMap::Table(table)
        } else {
            OffsetMap::Whole
        };
        Located {
            text: decoded,
            whole,
            map,
        }
    }

    /// A JSON string literal (with its quotes) found at `start` in the message.
    pub fn json_string(literal: &str, start: usize) -> Option<Located> {
        let text: String = serde_json::from_str(literal).ok()?;
        let whole = Span::new(start, start + literal.len());
        let inner = literal
            .get(1..literal.len().saturating_sub(1))
            .unwrap_or("");
        if !inner.contains('\\') {
            return Some(Located {
                text,
                whole: Span::new(start + 1, start + 1 + inner.len()),
                map: OffsetMap::Identity,
            });
        }
        let base = start + 1;
        let bytes = inner.as_bytes();
        let mut table = Vec::with_capacity(text.len() + 1);
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\\' && i + 1 < bytes.len() {
                if bytes[i + 1] == b'u' {
                    let unit = |at: usize| {
                        inner
                            .get(at..at + 4)
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                    };
                    let first = unit(i + 2).unwrap_or(0xFFFD);
                    let (ch, consumed) = if (0xD800..0xDC00).contains(&first)
                        && inner.get(i + 6..i + 8) == Some("\\u")
                    {
                        let second = unit(i + 8).unwrap_or(0);
                        let c = 0x10000 + ((first - 0xD800) << 10) + (second.wrapping_sub(0xDC00));
                        (char::from_u32(c).unwrap_or('\u{FFFD}'), 12)
                    } else {
                        (char::from_u32(first).unwrap_or('\u{FFFD}'), 6)
                    };
                    for _ in 0..ch.len_utf8() {
                        table.push(base + i);
                    }
                    i += consumed;
                } else {
                    table.push(base + i);
                    i += 2;
                }
            } else {
                table.push(base + i);
                i += 1;
            }
        }
        table.push(base + inner.len());
        let map = if table.len() == text.len() + 1 {
            OffsetMap::Table(table)
        } else {
            OffsetMap::Whole
        };
        Some(Located { text, whole, map })
    }
}

/// Where a borrowed slice of `outer` starts within it.
pub(crate) fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

/// A JSON object's members in the order written, duplicates kept (a server may take the first
/// or the last of two `query` members; the classifier must see both).
pub(crate) struct Members<'a>(pub Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<Cow<'de, str>, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl<'a> Members<'a> {
    pub fn parse(raw: &'a str) -> Option<Members<'a>> {
        serde_json::from_str(raw).ok()
    }

    /// Every value of the member `key`, whatever the case of its letters (`Sql`, `sql`).
    pub fn all_ignoring_case<'s>(
        &'s self,
        key: &'s str,
    ) -> impl Iterator<Item = &'a RawValue> + 's {
        self.0
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
    }

    /// Every value of the member `key` (usually one).
    pub fn all<'s>(&'s self, key: &'s str) -> impl Iterator<Item = &'a RawValue> + 's {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| *v)
    }
}

/// The elements of a JSON array, borrowed.
pub(crate) fn array_items(raw: &str) -> Option<Vec<&RawValue>> {
    serde_json::from_str(raw).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_map_back() {
        let msg = r#"{"query":"mutation{\u0076olumeDelete(id:1)}"}"#;
        let lit_start = msg.find("\"mutation").unwrap();
        let lit_end = msg.rfind('"').unwrap() + 1;
        let l = Located::json_string(&msg[lit_start..lit_end], lit_start).unwrap();
        assert_eq!(l.text, "mutation{volumeDelete(id:1)}");
        let at = l.text.find("volumeDelete").unwrap();
        assert_eq!(
            l.span(at, at + "volumeDelete".len()).slice(msg),
            "\\u0076olumeDelete"
        );
    }

    #[test]
    fn percent_escapes_map_back() {
        let msg = "q=mutation%7BvolumeDelete%7D";
        let l = Located::percent_encoded(&msg[2..], 2, true);
        assert_eq!(l.text, "mutation{volumeDelete}");
        let at = l.text.find("volumeDelete").unwrap();
        assert_eq!(l.span(at, at + 12).slice(msg), "volumeDelete");
    }

    #[test]
    fn duplicate_members_are_kept() {
        let m = Members::parse(r#"{"query":"a","\u0071uery":"b"}"#).unwrap();
        assert_eq!(m.all("query").count(), 2);
    }
}
