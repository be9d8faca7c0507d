//! The HTTP requests that `curl`, `wget`, HTTPie (`http`, `https`) and `xh` would send, rebuilt
//! from their arguments as HTTP/1.1 message text for the HTTP classifier: method (with `-X`,
//! `--json`, `-G`, `-T`, `-I` and data flags), URL, headers and body.
//!
//! A request whose body or configuration comes from a file, or whose URL or body comes from a
//! variable, cannot be rebuilt; it is reported as unseen and judged fail-closed by the caller.
//! This module only reads arguments; it never sends anything.

use blastwall_rules::{Arg, Invocation};

use super::Stdin;

/// One request a client would send.
pub(super) struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    /// The HTTP/1.1 message text the HTTP classifier reads.
    pub fn message(&self) -> String {
        let clean = |s: &str| s.replace(['\r', '\n'], " ");
        let mut m = format!("{} {} HTTP/1.1\r\n", clean(&self.method), clean(&self.url));
        for (k, v) in &self.headers {
            m.push_str(&format!("{}: {}\r\n", clean(k), clean(v)));
        }
        m.push_str("\r\n");
        m.push_str(&self.body);
        m
    }
}

pub(super) enum Sent {
    /// The requests, each with the argument span that names its URL.
    Known(Vec<(Request, blastwall_core::Span)>),
    /// Something decides the request that cannot be read; the text says what.
    Unseen(String),
    /// Not an HTTP client, or no URL.
    None,
}

/// The requests `inv` would send, if it is an HTTP client.
pub(super) fn sent(inv: &Invocation, stdin: &Stdin) -> Sent {
    let result = match inv.program.as_str() {
        "curl" | "curlie" => curl(&inv.args, stdin),
        "wget" | "wget2" => wget(&inv.args),
        "http" | "https" | "xh" | "xhs" | "httpie" => httpie(&inv.args, inv.program.ends_with('s')),
        _ => return Sent::None,
    };
    match result {
        Ok(requests) if requests.is_empty() => Sent::None,
        Ok(requests) => Sent::Known(requests),
        Err(why) => Sent::Unseen(why),
    }
}

type Built = Result<Vec<(Request, blastwall_core::Span)>, String>;

/// curl options that take a value (the value is the next word unless given as `--opt=value`).
const CURL_VALUE_OPTIONS: &[&str] = &[
    "-A",
    "-b",
    "-c",
    "-C",
    "-d",
    "-D",
    "-e",
    "-E",
    "-F",
    "-H",
    "-K",
    "-m",
    "-o",
    "-P",
    "-Q",
    "-r",
    "-T",
    "-u",
    "-U",
    "-w",
    "-x",
    "-X",
    "-y",
    "-Y",
    "-z",
    "--abstract-unix-socket",
    "--cacert",
    "--capath",
    "--cert",
    "--cert-type",
    "--ciphers",
    "--config",
    "--connect-timeout",
    "--connect-to",
    "--cookie",
    "--cookie-jar",
    "--continue-at",
    "--data",
    "--data-ascii",
    "--data-binary",
    "--data-raw",
    "--data-urlencode",
    "--dns-servers",
    "--dump-header",
    "--expect100-timeout",
    "--form",
    "--form-string",
    "--header",
    "--interface",
    "--json",
    "--keepalive-time",
    "--key",
    "--key-type",
    "--limit-rate",
    "--local-port",
    "--max-filesize",
    "--max-redirs",
    "--max-time",
    "--noproxy",
    "--oauth2-bearer",
    "--output",
    "--pass",
    "--proxy",
    "--proxy-user",
    "--quote",
    "--range",
    "--referer",
    "--request",
    "--resolve",
    "--retry",
    "--retry-delay",
    "--retry-max-time",
    "--unix-socket",
    "--upload-file",
    "--url",
    "--user",
    "--user-agent",
    "--write-out",
    "--aws-sigv4",
    "--variable",
    "--expand-data",
    "--expand-url",
    "--expand-header",
    "--request-target",
    "--output-dir",
    "--trace",
    "--trace-ascii",
    "--stderr",
    "--proto",
    "--proto-redir",
    "--tls-max",
    "--netrc-file",
    "--happy-eyeballs-timeout-ms",
    "--speed-limit",
    "--speed-time",
    "--time-cond",
];

fn curl(args: &[Arg], stdin: &Stdin) -> Built {
    let mut method: Option<String> = None;
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut data: Vec<String> = Vec::new();
    let mut form: Vec<String> = Vec::new();
    let mut json = false;
    let mut get = false;
    let mut head = false;
    let mut upload = false;
    let mut urls: Vec<Arg> = Vec::new();
    let mut i = 0;
    let mut options_done = false;
    while i < args.len() {
        let arg = &args[i];
        let text = arg.text.as_str();
        i += 1;
        if options_done || !text.starts_with('-') || text == "-" {
            urls.push(arg.clone());
            continue;
        }
        if text == "--" {
            options_done = true;
            continue;
        }
        // `--opt=value`, `-XPOST` (a short option with its value attached), or `--opt value`.
        let (name, attached) = match text.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            // `get`: the second character may be multi-byte (`-é`), never slice inside it.
            _ if !text.starts_with("--") && text.len() > 2 => {
                let flag = text.get(..2).unwrap_or("");
                if CURL_VALUE_OPTIONS.contains(&flag) {
                    (flag.to_owned(), Some(text[2..].to_owned()))
                } else {
                    // A cluster of switches (`-sSL`, `-sI`): only the ones that matter here.
                    head |= text[1..].contains('I');
                    get |= text[1..].contains('G');
                    continue;
                }
            }
            _ => (text.to_owned(), None),
        };
        if !CURL_VALUE_OPTIONS.contains(&name.as_str()) {
            match name.as_str() {
                "-I" | "--head" => head = true,
                "-G" | "--get" => get = true,
                _ => {}
            }
            continue;
        }
        let value = match attached {
            Some(v) => Some((v, arg.resolved, arg.span)),
            None => {
                let v = args.get(i).map(|a| (a.text.clone(), a.resolved, a.span));
                i += 1;
                v
            }
        };
        let Some((value, resolved, value_span)) = value else {
            continue;
        };
        let decides = matches!(
            name.as_str(),
            "-X" | "--request"
                | "-H"
                | "--header"
                | "-d"
                | "--data"
                | "--data-ascii"
                | "--data-binary"
                | "--data-raw"
                | "--data-urlencode"
                | "--json"
                | "-F"
                | "--form"
                | "--form-string"
                | "--url"
                | "-K"
                | "--config"
                | "-T"
                | "--upload-file"
                | "--request-target"
        );
        // A header whose value is a secret in a variable (`Authorization: Bearer $TOKEN`) does
        // not change what the request does; one that names the method, body type or target does.
        let harmless_header = matches!(name.as_str(), "-H" | "--header")
            && value.split_once(':').is_some_and(|(header, _)| {
                let header = header.trim().to_ascii_lowercase();
                !header.contains(['$', '`'])
                    && !matches!(
                        header.as_str(),
                        "x-http-method-override"
                            | "x-http-method"
                            | "x-method-override"
                            | "content-type"
                            | "host"
                            | "x-amz-target"
                            | "content-encoding"
                    )
            });
        if decides && !resolved && !harmless_header {
            return Err(format!(
                "its `{name}` comes from a variable or command output that is only known when it runs"
            ));
        }
        match name.as_str() {
            "-X" | "--request" => method = Some(value.to_ascii_uppercase()),
            "-H" | "--header" => {
                if let Some(file) = value.strip_prefix('@') {
                    return Err(format!("its headers come from the file `{file}`"));
                }
                if let Some((k, v)) = value.split_once(':') {
                    headers.push((k.trim().to_owned(), v.trim().to_owned()));
                }
            }
            "-d" | "--data" | "--data-ascii" | "--data-binary" | "--json" => {
                if name == "--json" {
                    json = true;
                }
                data.push(body_value(&value, stdin)?);
            }
            "--data-raw" => data.push(value),
            "--data-urlencode" => data.push(urlencoded(&value, stdin)?),
            "-F" | "--form" | "--form-string" => {
                if name != "--form-string" && value.contains('@') {
                    return Err(format!("its form sends the file named in `{value}`"));
                }
                form.push(value.replace('<', ""));
            }
            "--url" => urls.push(Arg {
                text: value,
                span: value_span,
                resolved,
            }),
            "-K" | "--config" => {
                return Err(format!("its options come from the config file `{value}`"));
            }
            "-T" | "--upload-file" => upload = true,
            _ => {}
        }
    }
    if json {
        headers.push(("Content-Type".into(), "application/json".into()));
        headers.push(("Accept".into(), "application/json".into()));
    }
    let mut body = if json { data.join("") } else { data.join("&") };
    if !form.is_empty() {
        headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        body = form.join("&");
    }
    let has_body = !body.is_empty();
    if has_body
        && !json
        && form.is_empty()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    let method = method.unwrap_or_else(|| {
        if head {
            "HEAD".into()
        } else if upload {
            "PUT".into()
        } else if has_body && !get {
            "POST".into()
        } else {
            "GET".into()
        }
    });
    requests(
        urls,
        &method,
        &headers,
        &body,
        get.then_some(body.as_str()),
        false,
    )
}

/// A `-d` value: literal text, `@file` (unseen) or `@-` (standard input).
fn body_value(value: &str, stdin: &Stdin) -> Result<String, String> {
    match value.strip_prefix('@') {
        Some("-") => match stdin {
            Stdin::Known(text) => Ok(text.clone()),
            _ => Err("its body comes from standard input that cannot be known".into()),
        },
        Some(file) => Err(format!("its body comes from the file `{file}`")),
        None => Ok(value.to_owned()),
    }
}

/// `--data-urlencode name=content` (and `name@file`, `@file`, `content`).
fn urlencoded(value: &str, stdin: &Stdin) -> Result<String, String> {
    if let Some((name, content)) = value.split_once('=') {
        return Ok(format!("{name}={}", encode(content)));
    }
    if value.contains('@') {
        let (name, file) = value.split_once('@').unwrap_or(("", value));
        let content = body_value(&format!("@{file}"), stdin)?;
        return Ok(if name.is_empty() {
            encode(&content)
        } else {
            format!("{name}={}", encode(&content))
        });
    }
    Ok(encode(value))
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One request per URL argument; URLs without a scheme get the client's default.
fn requests(
    urls: Vec<Arg>,
    method: &str,
    headers: &[(String, String)],
    body: &str,
    query: Option<&str>,
    https_default: bool,
) -> Built {
    let mut out = Vec::new();
    for url in urls {
        // A variable in the path is judged twice, as its name and as an opaque id: the stricter
        // reading wins.
        let texts = if url.resolved {
            vec![url.text.clone()]
        } else {
            let unknown = || {
                format!(
                    "its URL `{}` comes from a variable or command output that is only known when it runs",
                    url.text
                )
            };
            vec![
                path_variables_replaced(&url.text, false).ok_or_else(unknown)?,
                path_variables_replaced(&url.text, true).ok_or_else(unknown)?,
            ]
        };
        for text in texts {
            let mut target = absolute(&text, https_default);
            if let Some(q) = query.filter(|q| !q.is_empty()) {
                target.push(if target.contains('?') { '&' } else { '?' });
                target.push_str(q);
            }
            let body = if query.is_some() { "" } else { body };
            out.push((
                Request {
                    method: method.to_owned(),
                    url: target,
                    headers: headers.to_vec(),
                    body: body.to_owned(),
                },
                url.span,
            ));
        }
    }
    Ok(out)
}

fn absolute(url: &str, https_default: bool) -> String {
    if url.contains("://") {
        return url.to_owned();
    }
    let scheme = if https_default { "https" } else { "http" };
    // HTTPie's `:3000/path` means localhost.
    match url.strip_prefix(':') {
        Some(rest) => format!("{scheme}://localhost:{rest}"),
        None => format!("{scheme}://{url}"),
    }
}

fn wget(args: &[Arg]) -> Built {
    let mut method: Option<String> = None;
    let mut headers = Vec::new();
    let mut body: Option<String> = None;
    let mut urls = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let text = arg.text.as_str();
        if !text.starts_with('-') {
            urls.push(arg.clone());
            continue;
        }
        let (name, value) = match text.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (text, None),
        };
        let takes_value = matches!(
            name,
            "--method"
                | "--post-data"
                | "--body-data"
                | "--header"
                | "--post-file"
                | "--body-file"
                | "-O"
                | "--output-document"
                | "-o"
                | "--output-file"
                | "-P"
                | "--directory-prefix"
                | "-U"
                | "--user-agent"
                | "-e"
                | "--execute"
                | "-i"
                | "--input-file"
                | "-T"
                | "--timeout"
                | "-t"
                | "--tries"
                | "--user"
                | "--password"
                | "--referer"
                | "--load-cookies"
                | "--save-cookies"
        );
        let value = match (value, takes_value) {
            (Some(v), _) => v,
            (None, true) => {
                i += 1;
                args.get(i - 1).map(|a| a.text.clone()).unwrap_or_default()
            }
            (None, false) => continue,
        };
        match name {
            "--method" => method = Some(value.to_ascii_uppercase()),
            "--post-data" | "--body-data" => body = Some(value),
            "--header" => {
                if let Some((k, v)) = value.split_once(':') {
                    headers.push((k.trim().to_owned(), v.trim().to_owned()));
                }
            }
            "--post-file" | "--body-file" => {
                return Err(format!("its body comes from the file `{value}`"));
            }
            "-i" | "--input-file" => return Err(format!("its URLs come from the file `{value}`")),
            "-e" | "--execute" => return Err(format!("it runs the wgetrc command `{value}`")),
            _ => {}
        }
    }
    let method = method.unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.into());
    if body.is_some()
        && !headers
            .iter()
            .any(|(k, _): &(String, String)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    requests(
        urls,
        &method,
        &headers,
        &body.unwrap_or_default(),
        None,
        false,
    )
}

/// HTTPie and xh: `http [options] [METHOD] URL [items]`, items being `Header:value`,
/// `param==value`, `field=value`, `field:=json` and `field@file`.
fn httpie(args: &[Arg], https_default: bool) -> Built {
    let words: Vec<&Arg> = args.iter().filter(|a| !a.text.starts_with('-')).collect();
    let form = args
        .iter()
        .any(|a| matches!(a.text.as_str(), "-f" | "--form" | "--multipart"));
    let offline = args.iter().any(|a| a.text == "--offline");
    let mut rest = words.as_slice();
    let mut method = None;
    if let Some(first) = rest.first()
        && first.text.len() <= 10
        && first.text.chars().all(|c| c.is_ascii_uppercase())
        && rest.len() > 1
    {
        method = Some(first.text.clone());
        rest = &rest[1..];
    }
    let Some((url, items)) = rest.split_first() else {
        return Ok(Vec::new());
    };
    let mut headers = Vec::new();
    let mut query = Vec::new();
    let mut fields: Vec<(String, serde_json::Value)> = Vec::new();
    for item in items {
        if !item.resolved {
            return Err(format!(
                "its item `{}` comes from a variable or command output that is only known when it runs",
                item.text
            ));
        }
        let t = item.text.as_str();
        let sep = ["==", ":=@", ":=", "=@", "@", "=", ":"]
            .iter()
            .filter_map(|s| t.find(s).map(|i| (i, *s)))
            .min_by_key(|(i, s)| (*i, std::cmp::Reverse(s.len())));
        let Some((at, sep)) = sep else { continue };
        let (k, v) = (&t[..at], &t[at + sep.len()..]);
        match sep {
            "==" => query.push(format!("{}={}", encode(k), encode(v))),
            ":" => headers.push((k.to_owned(), v.to_owned())),
            "=" => fields.push((k.to_owned(), serde_json::Value::String(v.to_owned()))),
            ":=" => fields.push((
                k.to_owned(),
                serde_json::from_str(v).unwrap_or(serde_json::Value::String(v.to_owned())),
            )),
            _ => return Err(format!("its item `{t}` sends the content of a file")),
        }
    }
    if offline {
        return Ok(Vec::new());
    }
    let body = if fields.is_empty() {
        String::new()
    } else if form {
        headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        fields
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    encode(k),
                    encode(v.as_str().unwrap_or(&v.to_string()))
                )
            })
            .collect::<Vec<_>>()
            .join("&")
    } else {
        headers.push(("Content-Type".into(), "application/json".into()));
        serde_json::Value::Object(fields.into_iter().collect()).to_string()
    };
    let method = method.unwrap_or_else(|| if body.is_empty() { "GET" } else { "POST" }.into());
    let mut url_arg = (*url).clone();
    if !query.is_empty() {
        url_arg
            .text
            .push(if url_arg.text.contains('?') { '&' } else { '?' });
        url_arg.text.push_str(&query.join("&"));
    }
    requests(vec![url_arg], &method, &headers, &body, None, https_default)
}

/// `https://api.cloudflare.com/client/v4/zones/$ZONE_ID/purge_cache`: when the scheme and host
/// are written out and only path or query parts come from variables, each `$NAME` / `${NAME}` is
/// replaced by its name, or (`as_id`) by an opaque identifier. A host, a scheme or a command
/// substitution that is not known keeps the URL unreadable.
fn path_variables_replaced(url: &str, as_id: bool) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host_end = rest.find(['/', '?'])?;
    let host = &rest[..host_end];
    if scheme.contains('$') || host.is_empty() || host.contains(['$', '`', '(']) {
        return None;
    }
    let path = &rest[host_end..];
    if path.contains(['`', '(']) {
        return None;
    }
    let mut out = format!("{scheme}://{host}");
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let braced = chars.peek() == Some(&'{');
        if braced {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphanumeric() || n == '_' {
                name.push(n);
                chars.next();
            } else {
                break;
            }
        }
        if braced && chars.next() != Some('}') {
            return None;
        }
        if name.is_empty() {
            return None;
        }
        if as_id {
            out.push_str("0f1e2d3c4b5a69788796a5b4c3d2e1f0");
        } else {
            out.push_str(&name);
        }
    }
    Some(out)
}
