//! What a command writes to standard output, when that is knowable without running anything:
//! `echo`, `printf`, `cat` of known input, and decoders (`base64 -d`, `xxd -r -p`, `rev`, `tr`).
//! This is how `echo cm0gLXJmIC8= | base64 -d | sh` is seen to run `rm -rf /`.

use base64::Engine;

use crate::words::decode_escapes;

/// Standard output of `program args` given `stdin`, or `None` when it cannot be known.
pub fn stdout_of(program: &str, args: &[String], stdin: Option<&str>) -> Option<String> {
    let flags: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .take_while(|a| a.starts_with('-'))
        .collect();
    let operands: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    match program {
        // Commands that print nothing, and reading the empty device.
        ":" | "true" | "false" => Some(String::new()),
        "cat" if !operands.is_empty() && operands.iter().all(|o| *o == "/dev/null") => {
            Some(String::new())
        }
        "echo" => {
            let mut i = 0;
            let (mut newline, mut escapes) = (true, false);
            while let Some(a) = args.get(i) {
                if a.len() > 1
                    && a.starts_with('-')
                    && a[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E'))
                {
                    newline &= !a.contains('n');
                    escapes = a.contains('e');
                    i += 1;
                } else {
                    break;
                }
            }
            let text = args[i..].join(" ");
            let mut out = if escapes { decode_escapes(&text) } else { text };
            if newline {
                out.push('\n');
            }
            Some(out)
        }
        "printf" => printf(args),
        "which" | "command" | "type" if !operands.is_empty() => Some(
            operands
                .iter()
                .map(|o| format!("/usr/bin/{o}"))
                .collect::<Vec<_>>()
                .join("\n")
                + "\n",
        ),
        "dirname" if operands.len() == 1 => {
            let p = operands[0].trim_end_matches('/');
            Some(
                match p.rfind('/') {
                    Some(0) => "/".to_owned(),
                    Some(i) => p[..i].to_owned(),
                    None => ".".to_owned(),
                } + "\n",
            )
        }
        "basename" if !operands.is_empty() => Some(
            operands[0]
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_owned()
                + "\n",
        ),
        "realpath" | "readlink" if operands.len() == 1 => Some(format!("{}\n", operands[0])),
        "pwd" => Some(".\n".into()),
        "mktemp" => Some("/tmp/tmp.blastwall\n".into()),
        "git" if args.iter().any(|a| a == "--show-toplevel") => Some(".\n".into()),
        // `ls PATHS` names the paths (a glob stands for what it matches).
        "ls" if !operands.is_empty() && !flags.iter().any(|f| f.contains('l')) => {
            Some(operands.join("\n") + "\n")
        }
        // Filters pass a subset of their input: the input stands for what they output.
        "grep" | "egrep" | "fgrep" | "rg" if operands.len() <= 1 => stdin.map(str::to_owned),
        "head" | "tail" | "sort" | "uniq" | "shuf" if operands.is_empty() => {
            stdin.map(str::to_owned)
        }
        // `find ROOT -name PAT` lists ROOT/…/PAT: it stands as the pattern under ROOT.
        "find"
            if !args
                .iter()
                .any(|a| a == "-exec" || a == "-delete" || a == "-execdir") =>
        {
            let root = args
                .iter()
                .take_while(|a| !a.starts_with('-'))
                .next()
                .map_or(".", String::as_str);
            let name = args
                .windows(2)
                .find(|w| w[0] == "-name" || w[0] == "-iname")
                .map(|w| w[1].as_str());
            Some(match name {
                Some(n) => format!("{}/**/{n}\n", root.trim_end_matches('/')),
                None => format!("{}/*\n", root.trim_end_matches('/')),
            })
        }
        "cat" | "tee" if operands.is_empty() || operands == ["-"] => stdin.map(str::to_owned),
        "base64" | "b64" | "gbase64"
            if flags
                .iter()
                .any(|f| matches!(*f, "-d" | "--decode" | "-D" | "-di" | "-id")) =>
        {
            decode_base64(stdin?)
        }
        "openssl"
            if args
                .iter()
                .any(|a| a == "base64" || a == "-base64" || a == "-a")
                && args.iter().any(|a| a == "-d") =>
        {
            decode_base64(stdin?)
        }
        "xxd"
            if flags.iter().any(|f| f.starts_with("-r"))
                && flags.iter().any(|f| f.contains('p')) =>
        {
            decode_hex(stdin?)
        }
        "basenc" if flags.contains(&"--base16") && flags.contains(&"-d") => decode_hex(stdin?),
        "sed" if operands.len() == 1 && flags.is_empty() => sed_substitute(stdin?, operands[0]),
        "rev" => Some(
            stdin?
                .lines()
                .map(|l| l.chars().rev().collect::<String>())
                .collect::<Vec<_>>()
                .join("\n")
                + "\n",
        ),
        "tr" if operands.len() == 2 && flags.is_empty() => tr(stdin?, operands[0], operands[1]),
        _ => None,
    }
}

/// `sed 's|a|b|g'` with literal text (no regular-expression characters), the one sed script
/// decoders use.
fn sed_substitute(input: &str, script: &str) -> Option<String> {
    let rest = script.strip_prefix('s')?;
    let delim = rest.chars().next()?;
    let parts: Vec<&str> = rest[delim.len_utf8()..].split(delim).collect();
    let [from, to, flags] = parts.as_slice() else {
        return None;
    };
    if from.is_empty() || from.contains(['.', '*', '[', ']', '^', '$', '\\', '+', '?', '(', ')']) {
        return None;
    }
    Some(if flags.contains('g') {
        input.replace(from, to)
    } else {
        input.replacen(from, to, 1)
    })
}

fn printf(args: &[String]) -> Option<String> {
    let (fmt, rest) = args.split_first()?;
    if fmt == "--" {
        return printf(rest);
    }
    let fmt = decode_escapes(fmt);
    let mut out = String::new();
    let mut values = rest.iter().peekable();
    // The format is reused while arguments remain (`printf '%s\n' a b`).
    for _ in 0..64 {
        printf_once(&fmt, &mut values, &mut out);
        if values.peek().is_none() || !fmt.contains('%') {
            break;
        }
    }
    Some(out)
}

fn printf_once(
    fmt: &str,
    values: &mut std::iter::Peekable<std::slice::Iter<'_, String>>,
    out: &mut String,
) {
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Skip flags and width, then the conversion.
        let mut conv = None;
        while let Some(&n) = chars.peek() {
            chars.next();
            if n.is_ascii_alphabetic() || n == '%' {
                conv = Some(n);
                break;
            }
        }
        match conv {
            Some('%') => out.push('%'),
            Some('b') => out.push_str(&decode_escapes(values.next().map_or("", String::as_str))),
            Some('c') => out.extend(values.next().and_then(|v| v.chars().next())),
            Some(_) => out.push_str(values.next().map_or("", String::as_str)),
            None => {}
        }
    }
}

fn decode_base64(text: &str) -> Option<String> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines
        .iter()
        .find_map(|e| e.decode(cleaned.as_bytes()).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn decode_hex(text: &str) -> Option<String> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    let bytes: Option<Vec<u8>> = digits
        .chunks(2)
        .map(|p| {
            std::str::from_utf8(p)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
        })
        .collect();
    Some(String::from_utf8_lossy(&bytes?).into_owned())
}

fn expand_set(set: &str) -> Vec<char> {
    let chars: Vec<char> = decode_escapes(set).chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i + 1] == '-' {
            let (a, b) = (chars[i] as u32, chars[i + 2] as u32);
            out.extend((a..=b).take(256).filter_map(char::from_u32));
            i += 3;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn tr(stdin: &str, from: &str, to: &str) -> Option<String> {
    let (from, to) = (expand_set(from), expand_set(to));
    if from.is_empty() || to.is_empty() {
        return None;
    }
    Some(
        stdin
            .chars()
            .map(|c| match from.iter().position(|f| *f == c) {
                Some(i) => *to.get(i).unwrap_or(to.last().unwrap_or(&c)),
                None => c,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn decoders() {
        assert_eq!(
            stdout_of("base64", &s(&["-d"]), Some("cm0gLXJmIC8=\n")).as_deref(),
            Some("rm -rf /")
        );
        assert_eq!(
            stdout_of("xxd", &s(&["-r", "-p"]), Some("726d202d7266202f")).as_deref(),
            Some("rm -rf /")
        );
        assert_eq!(
            stdout_of("rev", &[], Some("/ fr- mr\n")).as_deref(),
            Some("rm -rf /\n")
        );
        assert_eq!(
            stdout_of("printf", &s(&[r"\x72\x6d -rf %s", "/"]), None).as_deref(),
            Some("rm -rf /")
        );
        assert_eq!(
            stdout_of("tr", &s(&["a-z", "n-za-m"]), Some("ez")).as_deref(),
            Some("rm")
        );
        assert_eq!(stdout_of("curl", &s(&["x"]), None), None);
    }
}
