//! The request message: the text form every door hands to this classifier, its typed twin
//! [`HttpRequest`], and the parsed view with byte offsets that findings point into.
//!
//! This module only splits the message (request line, headers, body) and remembers where each
//! part sits. It must never interpret what the request does, and never allocate in proportion to
//! a body it was told not to read.

use blastwall_core::Span;

/// The most header lines a message may carry before it is refused as unparseable.
const MAX_HEADERS: usize = 128;

/// One HTTP request as a proxy sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpRequest {
    /// The request method as sent (`GET`, `DELETE`, ...).
    pub method: String,
    /// The absolute URL (`https://host/path?query`).
    pub url: String,
    /// Header names and values in the order they were sent.
    pub headers: Vec<(String, String)>,
    /// The body, verbatim.
    pub body: String,
}

/// Why a request message could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HttpError {
    #[error("the message has no request line")]
    Empty,
    #[error("the request line or headers are malformed: {0}")]
    Malformed(String),
    #[error("the message has more than {MAX_HEADERS} header lines")]
    TooManyHeaders,
    #[error("the header `{0}` is not valid UTF-8")]
    HeaderEncoding(String),
}

impl HttpRequest {
    /// A request without headers or body.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        HttpRequest {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }

    /// The message text this request is classified as. Line breaks inside the method, URL or
    /// headers become spaces: a header value cannot smuggle a second header or an early body.
    pub fn to_message(&self) -> String {
        let flat = |s: &str| s.replace(['\r', '\n'], " ");
        let mut out = String::with_capacity(
            self.method.len() + self.url.len() + self.body.len() + 16 + 32 * self.headers.len(),
        );
        out.push_str(&flat(&self.method));
        out.push(' ');
        out.push_str(&flat(&self.url));
        out.push_str(" HTTP/1.1\r\n");
        for (name, value) in &self.headers {
            out.push_str(&flat(name));
            out.push_str(": ");
            out.push_str(&flat(value));
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        out.push_str(&self.body);
        out
    }

    /// Reads a request message (`METHOD SP URL SP HTTP/1.1`, header lines, a blank line, the
    /// body). CRLF and LF line ends are both accepted.
    pub fn parse_message(message: &str) -> Result<HttpRequest, HttpError> {
        let parsed = ParsedMessage::parse(message)?;
        Ok(HttpRequest {
            method: parsed.method.to_owned(),
            url: parsed.target.to_owned(),
            headers: parsed
                .headers
                .iter()
                .map(|h| (h.name.to_owned(), h.value.to_owned()))
                .collect(),
            body: parsed.body.to_owned(),
        })
    }
}

/// One header line with the offsets of its name and value in the message.
#[derive(Clone, Debug)]
pub(crate) struct HeaderLine<'m> {
    pub name: &'m str,
    pub value: &'m str,
    pub span: Span,
    pub value_span: Span,
}

/// A message split into its parts, each still borrowed from the message text.
#[derive(Clone, Debug)]
pub(crate) struct ParsedMessage<'m> {
    pub method: &'m str,
    pub method_span: Span,
    pub target: &'m str,
    pub target_span: Span,
    pub request_line: Span,
    pub headers: Vec<HeaderLine<'m>>,
    pub body: &'m str,
    pub body_start: usize,
}

impl<'m> ParsedMessage<'m> {
    pub fn parse(message: &'m str) -> Result<ParsedMessage<'m>, HttpError> {
        Self::parse_with(message, true)
    }

    fn parse_with(message: &'m str, retry_partial: bool) -> Result<ParsedMessage<'m>, HttpError> {
        if message.trim().is_empty() {
            return Err(HttpError::Empty);
        }
        let bytes = message.as_bytes();
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let header_end = match request.parse(bytes) {
            Ok(httparse::Status::Complete(n)) => n,
            // A message that ends right after its headers, without the blank line: the body is
            // empty. Parse again with the blank line supplied; offsets stay those of `message`.
            Ok(httparse::Status::Partial) if retry_partial => {
                return Self::parse_without_blank_line(message);
            }
            Ok(httparse::Status::Partial) => {
                return Err(HttpError::Malformed("the header section never ends".into()));
            }
            Err(httparse::Error::TooManyHeaders) => return Err(HttpError::TooManyHeaders),
            Err(e) => return Err(HttpError::Malformed(e.to_string())),
        };
        let base = message.as_ptr() as usize;
        let offset_of = |s: &[u8]| (s.as_ptr() as usize).saturating_sub(base);
        let method = request.method.unwrap_or("");
        let target = request.path.unwrap_or("");
        let method_start = offset_of(method.as_bytes());
        let target_start = offset_of(target.as_bytes());
        let line_end = message.find('\n').unwrap_or(message.len());
        let line_end = if message[..line_end].ends_with('\r') {
            line_end - 1
        } else {
            line_end
        };
        let mut lines = Vec::with_capacity(request.headers.len());
        for h in request.headers.iter() {
            let value = std::str::from_utf8(h.value)
                .map_err(|_| HttpError::HeaderEncoding(h.name.to_owned()))?;
            let name_start = offset_of(h.name.as_bytes());
            let value_start = if value.is_empty() {
                name_start + h.name.len()
            } else {
                offset_of(h.value)
            };
            lines.push(HeaderLine {
                name: h.name,
                value,
                span: Span::new(name_start, value_start + value.len()),
                value_span: Span::new(value_start, value_start + value.len()),
            });
        }
        Ok(ParsedMessage {
            method,
            method_span: Span::new(method_start, method_start + method.len()),
            target,
            target_span: Span::new(target_start, target_start + target.len()),
            request_line: Span::new(0, line_end),
            headers: lines,
            body: message.get(header_end..).unwrap_or(""),
            body_start: header_end.min(message.len()),
        })
    }

    fn parse_without_blank_line(message: &'m str) -> Result<ParsedMessage<'m>, HttpError> {
        let mut completed = String::with_capacity(message.len() + 4);
        completed.push_str(message);
        completed.push_str(if message.ends_with('\n') {
            "\n"
        } else {
            "\n\n"
        });
        let parsed = ParsedMessage::parse_owned_probe(&completed)?;
        // Re-borrow every part from `message`: the probe only told where they are.
        let at = |s: Span| message.get(s.start..s.end).unwrap_or("");
        Ok(ParsedMessage {
            method: at(parsed.method_span),
            method_span: parsed.method_span,
            target: at(parsed.target_span),
            target_span: parsed.target_span,
            request_line: parsed.request_line,
            headers: parsed
                .headers
                .iter()
                .map(|h| HeaderLine {
                    name: at(Span::new(h.span.start, h.span.start + h.name.len())),
                    value: at(h.value_span),
                    span: h.span,
                    value_span: h.value_span,
                })
                .collect(),
            body: "",
            body_start: message.len(),
        })
    }

    /// Parses a message that is known to end with a blank line, copying out only the offsets.
    fn parse_owned_probe(completed: &str) -> Result<ParsedMessage<'_>, HttpError> {
        match ParsedMessage::parse_with(completed, false) {
            Ok(p) if p.body.is_empty() => Ok(p),
            Ok(_) => Err(HttpError::Malformed("the header section never ends".into())),
            Err(e) => Err(e),
        }
    }

    /// The value of the first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&HeaderLine<'m>> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_every_part() {
        let req = HttpRequest::new("POST", "https://api.example.com/x?a=1")
            .header("Content-Type", "application/json")
            .body("{\"a\":1}\n");
        let msg = req.to_message();
        assert_eq!(HttpRequest::parse_message(&msg).unwrap(), req);
    }

    #[test]
    fn lf_line_ends_and_missing_blank_line() {
        let p = ParsedMessage::parse("DELETE https://h/x HTTP/1.1\nHost: h\n").unwrap();
        assert_eq!(p.method, "DELETE");
        assert_eq!(p.header("host").unwrap().value, "h");
        assert_eq!(p.body, "");
        let p = ParsedMessage::parse("GET https://h/ HTTP/1.1").unwrap();
        assert_eq!(p.target, "https://h/");
    }

    #[test]
    fn spans_point_into_the_message() {
        let msg = "PUT https://h/a HTTP/1.1\r\nX-A: b\r\n\r\nbody";
        let p = ParsedMessage::parse(msg).unwrap();
        assert_eq!(p.method_span.slice(msg), "PUT");
        assert_eq!(p.target_span.slice(msg), "https://h/a");
        assert_eq!(p.headers[0].value_span.slice(msg), "b");
        assert_eq!(&msg[p.body_start..], "body");
        assert_eq!(p.request_line.slice(msg), "PUT https://h/a HTTP/1.1");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(ParsedMessage::parse("").is_err());
        assert!(ParsedMessage::parse("not a request\r\n\r\n").is_err());
    }
}
