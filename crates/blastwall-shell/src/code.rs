//! Interpreter one-liners (`python -c`, `node -e`, `perl -e`, `ruby -e`): finds the library calls
//! that the packs map to shell commands (`shutil.rmtree(p)` → `rm -rf p`, `os.system(s)` → shell
//! source `s`) and extracts their literal arguments.
//!
//! This is a lexer-level scan of the one-liner, not an interpreter: a call whose argument is not a
//! literal yields an *unresolved* argument, which the rules treat as unknown (never as safe).

use blastwall_rules::CodeCall;

/// One call found in interpreter code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCall {
    pub call: String,
    /// Byte offset of the call in the code.
    pub offset: usize,
    pub len: usize,
    pub what: Found,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// An argument vector: words and whether each is a literal.
    Argv(Vec<(String, bool)>),
    /// Shell source passed as one string.
    Shell(String),
    /// Shell source that is not a literal.
    UnknownShell,
}

/// Scans `code` in `language` for the calls in `specs`.
pub fn scan(language: &str, code: &str, specs: &[CodeCall]) -> Vec<FoundCall> {
    let mut found = Vec::new();
    // `import subprocess as s; s.call(…)`: read the code with the aliases spelled out.
    let dealiased = dealias(code);
    let code = dealiased.as_str();
    let strings = string_ranges(code);
    for spec in specs
        .iter()
        .filter(|s| s.languages.iter().any(|l| l == language))
    {
        for call in &spec.calls {
            for offset in call_sites(code, call, spec.bare)
                .into_iter()
                .filter(|o| !strings.iter().any(|r| r.contains(o)))
            {
                let after = &code[offset + call.len()..];
                let (args_text, consumed) = argument_text(after);
                let literals = literals(args_text);
                let len = call.len() + consumed;
                let what = if spec.equivalent == ["shell"] {
                    shell_call(language, args_text, &literals)
                } else if spec.equivalent.first().is_some_and(|w| {
                    w.starts_with('<') && !matches!(w.as_str(), "<sql>" | "<http>" | "<prints>")
                }) {
                    // Pseudo-programs (`<eval>`): known only when the argument is one literal.
                    let single = args_text.trim();
                    let literal = matches!(literals.as_slice(), [Literal::Str(_, true)])
                        && single.starts_with(['"', '\'', '`'])
                        && single.ends_with(['"', '\'', '`']);
                    let mut argv: Vec<(String, bool)> =
                        spec.equivalent.iter().map(|w| (w.clone(), true)).collect();
                    argv.push((single.to_owned(), literal));
                    Found::Argv(argv)
                } else {
                    let mut argv: Vec<(String, bool)> =
                        spec.equivalent.iter().map(|w| (w.clone(), true)).collect();
                    for (marker, flag) in &spec.when_contains {
                        if args_text.contains(marker.as_str()) || call.contains(marker.as_str()) {
                            argv.push((flag.clone(), true));
                        }
                    }
                    // Printing matters only for what it prints (the environment, a secret).
                    if spec.equivalent == ["<prints>"] {
                        let whole_environment = matches!(
                            args_text.trim(),
                            "process.env"
                                | "os.environ"
                                | "dict(os.environ)"
                                | "ENV"
                                | "%ENV"
                                | "ENV.to_h"
                                | "$_ENV"
                                | "getenv()"
                                | "JSON.stringify(process.env)"
                        );
                        if whole_environment {
                            argv.push(("<environment>".into(), true));
                        }
                        if argv.len() == 1 {
                            continue;
                        }
                    }
                    let home = home_expression(args_text);
                    match literals.first() {
                        _ if home.1 => argv.push(home),
                        // `open(F, ">/dev/sda")`: the mode characters are not part of the path.
                        Some(Literal::Str(s, resolved)) if spec.equivalent == [">"] => argv.push((
                            s.trim_start_matches(['>', '+', '<', ' ']).to_owned(),
                            *resolved,
                        )),
                        Some(Literal::Str(s, resolved)) => argv.push((s.clone(), *resolved)),
                        _ => argv.push(resolve_identifier(code, args_text.trim()).unwrap_or(home)),
                    }
                    Found::Argv(argv)
                };
                found.push(FoundCall {
                    call: call.clone(),
                    offset,
                    len,
                    what,
                });
            }
        }
    }
    // Backticks run shell source in Perl and Ruby.
    if matches!(language, "perl" | "ruby") {
        let mut rest = code;
        let mut base = 0;
        while let Some(start) = rest.find('`') {
            let Some(end) = rest[start + 1..].find('`') else {
                break;
            };
            let src = &rest[start + 1..start + 1 + end];
            found.push(FoundCall {
                call: "`…`".into(),
                offset: base + start,
                len: end + 2,
                what: Found::Shell(src.to_owned()),
            });
            base += start + end + 2;
            rest = &rest[start + end + 2..];
        }
    }
    found.sort_by_key(|f| f.offset);
    found.dedup_by_key(|f| f.offset);
    found
}

/// Expressions that mean the home directory in each language.
const HOME_EXPRESSIONS: &[&str] = &[
    "path.expand(\"~\")",
    "path.expand('~')",
    "Sys.getenv(\"HOME\")",
    "process.env.HOME",
    "environ[\"HOME\"]",
    "environ['HOME']",
    "getenv(\"HOME\")",
    "getenv('HOME')",
    "Path.home()",
    "expanduser(",
    "homedir()",
    "$ENV{HOME}",
    "$ENV{'HOME'}",
    "Dir.home",
    "ENV[\"HOME\"]",
    "ENV['HOME']",
    "process.env.HOME",
    "os.UserHomeDir",
    "File.expand_path(\"~\")",
    "$HOME",
];

/// A non-literal argument: the home directory when it spells it, otherwise unresolved.
fn home_expression(args_text: &str) -> (String, bool) {
    if !HOME_EXPRESSIONS.iter().any(|h| args_text.contains(h)) {
        return (args_text.trim().to_owned(), false);
    }
    // `homedir() + '/.ssh/id_rsa'`, `File.join(Dir.home, ".aws", "credentials")`: the home
    // directory joined with the literals that follow it.
    let after = HOME_EXPRESSIONS
        .iter()
        .filter_map(|h| args_text.find(h).map(|i| i + h.len()))
        .max()
        .unwrap_or(0);
    let after = &args_text[after.min(args_text.len())..];
    let after = after.split_once(')').map_or(
        after,
        |(_, r)| if after.starts_with(')') { r } else { after },
    );
    let rest: Vec<String> = literals(after)
        .into_iter()
        .filter_map(|l| match l {
            Literal::Str(s, true) if s != "HOME" && s != "~" => {
                Some(s.trim_matches('/').to_owned())
            }
            _ => None,
        })
        .take_while(|s| {
            !matches!(
                s.as_str(),
                "utf8"
                    | "utf-8"
                    | "utf16le"
                    | "ascii"
                    | "latin1"
                    | "r"
                    | "rb"
                    | "w"
                    | "wb"
                    | "a"
                    | "binary"
                    | "base64"
                    | "hex"
            )
        })
        .filter(|s| !s.is_empty() && !s.contains(['%', '{']))
        .collect();
    if rest.is_empty() {
        ("~".to_owned(), true)
    } else {
        (format!("~/{}", rest.join("/")), true)
    }
}

/// Rewrites `import A as B` aliases back to `A` (`s.call` → `subprocess.call`) and
/// `__import__('os')` to `os`.
fn dealias(code: &str) -> String {
    let mut out = code
        .replace("__import__('os')", "os")
        .replace("__import__(\"os\")", "os");
    out = out
        .replace("__import__('subprocess')", "subprocess")
        .replace("__import__(\"subprocess\")", "subprocess");
    let mut aliases = Vec::new();
    for part in code.split([';', '\n']) {
        let words: Vec<&str> = part.split_whitespace().collect();
        for w in words.windows(4) {
            if w[0] == "import" && w[2] == "as" {
                aliases.push((
                    w[3].trim_end_matches(',').to_owned(),
                    w[1].trim_end_matches(',').to_owned(),
                ));
            }
        }
    }
    for (alias, module) in aliases {
        if alias.chars().all(|c| c.is_alphanumeric() || c == '_') && !alias.is_empty() {
            out = replace_identifier(&out, &format!("{alias}."), &format!("{module}."));
        }
    }
    out
}

/// Replaces `from` where it starts an identifier (not inside a longer name).
fn replace_identifier(code: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(i) = rest.find(from) {
        let before = out
            .chars()
            .next_back()
            .or_else(|| rest[..i].chars().next_back());
        let prev = rest[..i].chars().next_back().or(before);
        out.push_str(&rest[..i]);
        if prev.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Walks `text` calling `visit(index, char, open_quote)` for every unescaped character, where
/// `open_quote` is the quote (one of `quotes`) open before that character; stops when `visit`
/// returns `true`. The one quote-aware scanner of this module.
fn scan_quotes(
    text: &str,
    quotes: &[char],
    mut visit: impl FnMut(usize, char, Option<char>) -> bool,
) {
    let mut open: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        if c == '\\' {
            escaped = true;
            continue;
        }
        if visit(i, c, open) {
            return;
        }
        match open {
            Some(q) if q == c => open = None,
            None if quotes.contains(&c) => open = Some(c),
            _ => {}
        }
    }
}

/// Byte ranges of string literals in `code` (calls inside them are data, not calls).
fn string_ranges(code: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    scan_quotes(code, &['"', '\''], |i, c, open| {
        match open {
            None if c == '"' || c == '\'' => start = i,
            Some(q) if q == c => out.push(start..i),
            _ => {}
        }
        false
    });
    out
}

/// `d = tempfile.mkdtemp()` or `d = '/srv/x'` earlier in the code: what an identifier holds.
fn resolve_identifier(code: &str, ident: &str) -> Option<(String, bool)> {
    if ident.is_empty() || !ident.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let at = code
        .find(&format!("{ident} = "))
        .or_else(|| code.find(&format!("{ident}=")))?;
    let value = code[at..].split_once('=')?.1.trim_start();
    let value = &value[..value.find([';', '\n']).unwrap_or(value.len())];
    if value.contains("mkdtemp")
        || value.contains("TemporaryDirectory")
        || value.contains("mkdtempSync")
        || value.contains("tmpdir()")
    {
        return Some(("/tmp/tmp.blastwall".into(), true));
    }
    match literals(value).first() {
        Some(Literal::Str(s, resolved)) if value.trim_start().starts_with(['"', '\'']) => {
            Some((s.clone(), *resolved))
        }
        _ => None,
    }
}

/// `''.join(map(chr, [114, 109]))`, `map { chr } (114, 109)`: text built from character codes.
fn char_codes(args_text: &str) -> Option<String> {
    if !args_text.contains("chr") && !args_text.contains("fromCharCode") {
        return None;
    }
    let start = args_text.find(['[', '('].as_ref()).map(|i| i + 1)?;
    let digits: String = args_text[start..]
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == ',' || c.is_whitespace())
        .collect();
    let codes: Vec<u32> = digits
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .collect();
    (codes.len() >= 3).then(|| codes.into_iter().filter_map(char::from_u32).collect())
}

/// `pack("H*", "726d…")` (Perl), `["726d…"].pack("H*")` (Ruby): text built from hex.
fn hex_pack(args_text: &str, literals: &[Literal]) -> Option<String> {
    if !args_text.contains("H*") {
        return None;
    }
    let hex = literals.iter().find_map(|l| match l {
        Literal::Str(s, true)
            if s.len() >= 4 && s.len() % 2 == 0 && s.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Some(s.clone())
        }
        Literal::List(items) => items
            .iter()
            .find(|(s, _)| s.len() >= 4 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|(s, _)| s.clone()),
        _ => None,
    })?;
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// `chr(114)+chr(109)+' -rf /srv'`: characters and literals joined with `+`.
fn chr_concat(args_text: &str) -> Option<String> {
    if !args_text.contains("chr(") || !args_text.contains('+') {
        return None;
    }
    let mut out = String::new();
    for part in args_text.split('+') {
        let part = part.trim();
        if let Some(n) = part.strip_prefix("chr(").and_then(|r| r.strip_suffix(')')) {
            out.push(char::from_u32(n.trim().parse().ok()?)?);
        } else if part.len() >= 2
            && (part.starts_with('\'') && part.ends_with('\'')
                || part.starts_with('"') && part.ends_with('"'))
        {
            out.push_str(&part[1..part.len() - 1]);
        } else {
            return None;
        }
    }
    Some(out)
}

fn shell_call(language: &str, args_text: &str, literals: &[Literal]) -> Found {
    if let Some(text) = char_codes(args_text)
        .or_else(|| chr_concat(args_text))
        .or_else(|| hex_pack(args_text, literals))
    {
        return Found::Shell(text);
    }
    if args_text.contains("b64decode")
        || args_text.contains("Buffer.from") && args_text.contains("base64")
    {
        // `os.system(base64.b64decode('cm0g…').decode())`: the literal is the encoded command.
        use base64::Engine;
        if let Some(Literal::Str(s, true)) = literals.first()
            && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(s.trim())
        {
            return Found::Shell(String::from_utf8_lossy(&bytes).into_owned());
        }
        return Found::UnknownShell;
    }
    if let [Literal::Str(program, true), Literal::List(items), ..] = literals {
        // `spawnSync('rm', ['-rf', '/'])`, `execvp('rm', ['rm', '-rf', '/'])`.
        let mut argv = vec![(program.clone(), true)];
        argv.extend(items.iter().filter(|(w, _)| w != program).cloned());
        return Found::Argv(argv);
    }
    match literals.first() {
        Some(Literal::List(items)) => Found::Argv(items.clone()),
        Some(Literal::Str(s, true)) => {
            // `system("rm", "-rf", "/")` (several literals) is an argument vector in Perl/Ruby.
            let words: Vec<(String, bool)> = literals
                .iter()
                .filter_map(|l| match l {
                    Literal::Str(s, r) => Some((s.clone(), *r)),
                    Literal::List(_) => None,
                })
                .collect();
            if words.len() > 1 && matches!(language, "perl" | "ruby") {
                Found::Argv(words)
            } else {
                Found::Shell(s.clone())
            }
        }
        _ => Found::UnknownShell,
    }
}

/// Offsets where `name` is called: not preceded by an identifier character, followed by `(` or
/// (Perl/Ruby style) a space and a quote.
fn call_sites(code: &str, name: &str, bare: bool) -> Vec<usize> {
    if name.contains('*') {
        return pattern_call_sites(code, name);
    }
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before = code[..at].chars().next_back();
        // A Perl method (`->do`) follows its object; anything else must start a word.
        let method = name.starts_with("->");
        if !method && before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let after = code[at + name.len()..].trim_start();
        let bare_end = bare
            && (after.is_empty()
                || (code[at + name.len()..].starts_with(' ')
                    && after.starts_with(|c: char| c.is_alphanumeric() || c == '$' || c == '_'))
                || after.starts_with([';', '}', ')', '\n'])
                || after.starts_with("while")
                || after.starts_with("for"));
        if after.starts_with('(')
            || after.starts_with(['"', '\'', '[', '`', '{'])
            || after.starts_with("qw")
            || after.starts_with("q{")
            || after.starts_with("q(")
            || after.starts_with("qq{")
            || bare_end
        {
            out.push(at);
        }
        if out.len() > 64 {
            break;
        }
    }
    out
}

/// Calls whose name matches a wildcard pattern (`.delete_*`, `terminate*`): every identifier
/// (with its leading `.` for methods) directly followed by `(`.
fn pattern_call_sites(code: &str, pattern: &str) -> Vec<usize> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'(' {
            continue;
        }
        let mut start = i;
        while start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            start -= 1;
        }
        if start == i {
            continue;
        }
        if start > 0 && bytes[start - 1] == b'.' {
            start -= 1;
        }
        if blastwall_core::glob::matches(pattern, &code[start..i]) {
            out.push(start);
        }
        if out.len() > 64 {
            break;
        }
    }
    out
}

/// The text of the call's arguments (inside the parentheses, or up to the end of the statement),
/// and how many bytes of `after` it used.
fn argument_text(after: &str) -> (&str, usize) {
    let trimmed = after.trim_start();
    let skipped = after.len() - trimmed.len();
    if let Some(inner) = trimmed.strip_prefix('(') {
        let mut depth = 1usize;
        let mut end = None;
        scan_quotes(inner, &['"', '\'', '`'], |i, c, open| {
            if open.is_some() {
                return false;
            }
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        return true;
                    }
                }
                _ => {}
            }
            false
        });
        return match end {
            Some(i) => (&inner[..i], skipped + 1 + i + 1),
            None => (inner, after.len()),
        };
    }
    let end = trimmed.find([';', '\n']).unwrap_or(trimmed.len());
    (&trimmed[..end], skipped + end)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Literal {
    /// A string literal and whether it is fully literal (no interpolation).
    Str(String, bool),
    List(Vec<(String, bool)>),
}

/// The top-level literals of an argument list, in order.
fn literals(args: &str) -> Vec<Literal> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = args.char_indices().collect();
    let mut i = 0;
    let mut depth_list: Option<Vec<(String, bool)>> = None;
    while i < chars.len() {
        let (_, c) = chars[i];
        match c {
            '[' if depth_list.is_none() => {
                depth_list = Some(Vec::new());
                i += 1;
            }
            ']' if depth_list.is_some() => {
                out.push(Literal::List(depth_list.take().unwrap_or_default()));
                i += 1;
            }
            // Perl's quote operators: `q{…}`, `qq{…}`, `q(…)`.
            'q' if (i == 0 || !chars[i - 1].1.is_alphanumeric()) && {
                let rest: String = chars[i..].iter().take(3).map(|(_, c)| *c).collect();
                rest.starts_with("q{")
                    || rest.starts_with("q(")
                    || rest.starts_with("qq{")
                    || rest.starts_with("qq(")
            } =>
            {
                let open_at = if chars[i + 1].1 == 'q' { i + 2 } else { i + 1 };
                let close = if chars[open_at].1 == '{' { '}' } else { ')' };
                let end = chars[open_at + 1..]
                    .iter()
                    .position(|(_, c)| *c == close)
                    .map_or(chars.len(), |p| open_at + 1 + p);
                let s: String = chars[open_at + 1..end].iter().map(|(_, c)| *c).collect();
                let resolved = open_at == i + 1 || !s.contains('$');
                match depth_list.as_mut() {
                    Some(list) => list.push((s, resolved)),
                    None => out.push(Literal::Str(s, resolved)),
                }
                i = end + 1;
            }
            '"' | '\'' | '`' => {
                let interpolating_prefix = i > 0 && matches!(chars[i - 1].1, 'f' | 'F');
                let mut s = String::new();
                let mut j = i + 1;
                let mut escaped = false;
                while j < chars.len() {
                    let d = chars[j].1;
                    if escaped {
                        s.push(match d {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == c {
                        break;
                    } else {
                        s.push(d);
                    }
                    j += 1;
                }
                let interpolated = (interpolating_prefix && s.contains('{'))
                    || (c != '\'' && (s.contains("${") || s.contains("#{")))
                    || (c == '"' && s.contains('$') && !s.contains("$("));
                let lit = (s, !interpolated);
                match depth_list.as_mut() {
                    Some(list) => list.push(lit),
                    None => out.push(Literal::Str(lit.0, lit.1)),
                }
                i = j + 1;
            }
            _ => i += 1,
        }
        if out.len() > 32 {
            break;
        }
    }
    if let Some(list) = depth_list {
        out.push(Literal::List(list));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<CodeCall> {
        blastwall_rules::embedded().unwrap().code_calls
    }

    #[test]
    fn python_rmtree_and_subprocess() {
        let f = scan("python", "import shutil; shutil.rmtree('/')", &specs());
        assert_eq!(
            f[0].what,
            Found::Argv(vec![
                ("rm".into(), true),
                ("-rf".into(), true),
                ("/".into(), true)
            ])
        );
        let f = scan(
            "python",
            "import subprocess; subprocess.run(['rm','-rf','/'])",
            &specs(),
        );
        assert_eq!(
            f[0].what,
            Found::Argv(vec![
                ("rm".into(), true),
                ("-rf".into(), true),
                ("/".into(), true)
            ])
        );
        let f = scan("python", "import os; os.system(\"rm -rf ~\")", &specs());
        assert_eq!(f[0].what, Found::Shell("rm -rf ~".into()));
        let f = scan("python", "import os; os.system(cmd)", &specs());
        assert_eq!(f[0].what, Found::UnknownShell);
    }

    #[test]
    fn node_and_ruby_and_perl() {
        let f = scan(
            "javascript",
            "require('fs').rmSync('/', {recursive:true})",
            &specs(),
        );
        assert!(matches!(&f[0].what, Found::Argv(v) if v.iter().any(|(w, _)| w == "-r")));
        let f = scan("ruby", "FileUtils.rm_rf(\"/\")", &specs());
        assert!(matches!(&f[0].what, Found::Argv(v) if v.last().unwrap().0 == "/"));
        let f = scan("perl", "system(\"rm -rf /\")", &specs());
        assert_eq!(f[0].what, Found::Shell("rm -rf /".into()));
        let f = scan("perl", "print `rm -rf ~`", &specs());
        assert_eq!(f[0].what, Found::Shell("rm -rf ~".into()));
    }

    #[test]
    fn plain_code_has_no_calls() {
        assert!(scan("python", "print('shutil.rmtree is dangerous')", &specs()).is_empty());
    }
}
