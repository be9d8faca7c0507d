//! A JSON document that keeps the order of object keys, for editing agents' settings files.
//!
//! `serde_json` sorts keys unless its `preserve_order` feature is on, and features unify across
//! the workspace, so turning it on here would change the output of other crates. This module is
//! the local alternative: `serde_json` validates the text and decodes string literals; the tree
//! and the printer here keep keys where the user put them. It must never accept text that
//! `serde_json` rejects.

/// A JSON value whose objects keep their key order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// The number exactly as written.
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Num(_) => "number",
            Json::Str(_) => "string",
            Json::Arr(_) => "array",
            Json::Obj(_) => "object",
        }
    }

    pub(crate) fn str(s: &str) -> Json {
        Json::Str(s.to_owned())
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Obj(members) => members.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Sets `key`, keeping its place if it exists, appending it otherwise.
    pub(crate) fn set(&mut self, key: &str, value: Json) {
        if let Json::Obj(members) = self {
            match members.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => members.push((key.to_owned(), value)),
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &str) {
        if let Json::Obj(members) = self {
            members.retain(|(k, _)| k != key);
        }
    }
}

/// Where and why the text is not JSON.
#[derive(Debug)]
pub(crate) struct ParseError(pub String);

/// Parses strict JSON (what `serde_json` accepts) into an order-keeping tree.
pub(crate) fn parse(text: &str) -> Result<Json, ParseError> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| ParseError(e.to_string()))?;
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let value = p.value()?;
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.pos < self.bytes.len()
            && matches!(self.bytes[self.pos], b' ' | b'\t' | b'\n' | b'\r')
        {
            self.pos += 1;
        }
    }

    fn err(&self, what: &str) -> ParseError {
        ParseError(format!("{what} at byte {}", self.pos))
    }

    fn value(&mut self) -> Result<Json, ParseError> {
        self.ws();
        let Some(&b) = self.bytes.get(self.pos) else {
            return Err(self.err("unexpected end"));
        };
        match b {
            b'{' => {
                self.pos += 1;
                let mut members = Vec::new();
                self.ws();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(Json::Obj(members));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    let value = self.value()?;
                    // Later duplicates win, as in serde_json.
                    members.retain(|(k, _): &(String, Json)| *k != key);
                    members.push((key, value));
                    self.ws();
                    match self.bytes.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Json::Obj(members));
                        }
                        _ => return Err(self.err("expected `,` or `}`")),
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value()?);
                    self.ws();
                    match self.bytes.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Json::Arr(items));
                        }
                        _ => return Err(self.err("expected `,` or `]`")),
                    }
                }
            }
            b'"' => Ok(Json::Str(self.string()?)),
            b't' => self.word("true", Json::Bool(true)),
            b'f' => self.word("false", Json::Bool(false)),
            b'n' => self.word("null", Json::Null),
            _ => {
                let start = self.pos;
                while self.pos < self.bytes.len()
                    && matches!(
                        self.bytes[self.pos],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.pos += 1;
                }
                if start == self.pos {
                    return Err(self.err("unexpected character"));
                }
                Ok(Json::Num(self.text[start..self.pos].to_owned()))
            }
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), ParseError> {
        if self.bytes.get(self.pos) == Some(&b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected `{}`", b as char)))
        }
    }

    fn word(&mut self, w: &str, v: Json) -> Result<Json, ParseError> {
        if self.text[self.pos..].starts_with(w) {
            self.pos += w.len();
            Ok(v)
        } else {
            Err(self.err("unexpected word"))
        }
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.expect(b'"')?;
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    return serde_json::from_str(&self.text[start..self.pos])
                        .map_err(|e| ParseError(e.to_string()));
                }
                _ => self.pos += 1,
            }
        }
        Err(self.err("unterminated string"))
    }
}

/// True when the text has `//` or `/* */` comments outside string literals.
pub(crate) fn has_comments(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < b.len() {
        if in_string {
            match b[i] {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b[i] == b'"' {
            in_string = true;
        } else if b[i] == b'/' && matches!(b.get(i + 1), Some(b'/' | b'*')) {
            return true;
        }
        i += 1;
    }
    false
}

/// The indentation unit of the first indented line, two spaces if there is none.
pub(crate) fn detect_indent(text: &str) -> String {
    for line in text.lines().skip(1) {
        let indent: String = line
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        if !indent.is_empty() && line.len() > indent.len() {
            return indent;
        }
    }
    "  ".to_owned()
}

/// Pretty-prints with the given indentation unit and a final newline.
pub(crate) fn render(value: &Json, indent: &str) -> String {
    let mut out = String::new();
    write(value, indent, 0, &mut out);
    out.push('\n');
    out
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

fn write(value: &Json, indent: &str, depth: usize, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Num(n) => out.push_str(n),
        Json::Str(s) => out.push_str(&quote(s)),
        Json::Arr(items) if items.is_empty() => out.push_str("[]"),
        Json::Obj(members) if members.is_empty() => out.push_str("{}"),
        Json::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&indent.repeat(depth + 1));
                write(item, indent, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&indent.repeat(depth));
            out.push(']');
        }
        Json::Obj(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&indent.repeat(depth + 1));
                out.push_str(&quote(k));
                out.push_str(": ");
                write(v, indent, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&indent.repeat(depth));
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_round_trips() {
        let text = "{\n    \"zeta\": 1,\n    \"alpha\": [true, null, \"x\\n\\u00e9\"],\n    \"mid\": {\"b\": -1.5e3, \"a\": {}}\n}\n";
        let v = parse(text).unwrap();
        let again = render(&v, &detect_indent(text));
        assert!(again.find("zeta").unwrap() < again.find("alpha").unwrap());
        assert_eq!(parse(&again).unwrap(), v);
        assert_eq!(detect_indent(text), "    ");
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        for bad in ["", "{", "{\"a\":}", "[1,]", "{\"a\":1} x", "// c\n{}"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn finds_comments_outside_strings_only() {
        assert!(has_comments("{ // hi\n}"));
        assert!(has_comments("{ /* hi */ }"));
        assert!(!has_comments("{\"url\": \"http://x/*\"}"));
    }
}
