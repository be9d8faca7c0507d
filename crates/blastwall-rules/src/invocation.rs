//! One program invocation after the shell layer unwrapped it: the program, its arguments, their
//! spans, and whether each could be resolved statically.

use blastwall_core::Span;

/// One argument as the program would receive it (quotes removed, escapes applied, known variables
/// expanded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    pub text: String,
    /// Where the argument sits in the door's input.
    pub span: Span,
    /// `false` when part of the argument comes from a variable or command output that cannot be
    /// known before the command runs.
    pub resolved: bool,
}

impl Arg {
    pub fn new(text: impl Into<String>, span: Span) -> Self {
        Arg {
            text: text.into(),
            span,
            resolved: true,
        }
    }
}

/// A program with its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// The program's base name (`/usr/bin/rm` → `rm`), or a pseudo-program such as `>` for an
    /// output redirection that truncates its target.
    pub program: String,
    pub program_span: Span,
    pub args: Vec<Arg>,
}

impl Invocation {
    /// The span from the program to its last argument.
    pub fn span(&self) -> Span {
        self.args
            .iter()
            .fold(self.program_span, |s, a| s.cover(a.span))
    }

    /// Is `flag` present? A one-letter short flag (`-r`) also matches inside a cluster (`-rf`); a
    /// long flag (`--force`) also matches `--force=value`; anything with wildcards is a glob over
    /// each argument. Arguments after `--` are never flags.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.find_flag(flag).is_some()
    }

    /// The first argument matching `flag` (see [`Invocation::has_flag`]).
    pub fn find_flag(&self, flag: &str) -> Option<&Arg> {
        for arg in &self.args {
            let t = arg.text.as_str();
            if flag_matches(flag, t) {
                return Some(arg);
            }
            if t == "--" {
                return None;
            }
        }
        None
    }
}

fn flag_matches(flag: &str, arg: &str) -> bool {
    if blastwall_core::glob::is_pattern(flag) {
        return blastwall_core::glob::matches(flag, arg);
    }
    if arg == flag {
        return true;
    }
    let fb = flag.as_bytes();
    // `-r` inside `-rf`: only for single-letter flags and clusters of letters.
    if fb.len() == 2 && fb[0] == b'-' && fb[1] != b'-' {
        let ab = arg.as_bytes();
        return ab.len() > 2
            && ab[0] == b'-'
            && ab[1] != b'-'
            && ab[1..].iter().all(|b| b.is_ascii_alphanumeric())
            && ab[1..].contains(&fb[1]);
    }
    // `--force=...`, `-delete` exact only.
    flag.starts_with("--")
        && arg
            .strip_prefix(flag)
            .is_some_and(|rest| rest.starts_with('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(args: &[&str]) -> Invocation {
        Invocation {
            program: "x".into(),
            program_span: Span::default(),
            args: args.iter().map(|a| Arg::new(*a, Span::default())).collect(),
        }
    }

    #[test]
    fn flags() {
        assert!(inv(&["-rf", "/"]).has_flag("-r"));
        assert!(inv(&["-fr", "/"]).has_flag("-f"));
        assert!(!inv(&["--reset", "/"]).has_flag("-r"));
        assert!(inv(&["--force=true"]).has_flag("--force"));
        assert!(!inv(&["--force-with-lease"]).has_flag("--force"));
        assert!(!inv(&["--", "-rf"]).has_flag("-r"));
        assert!(inv(&["--", "x"]).has_flag("--"));
        assert!(inv(&["--dry-run=client"]).has_flag("--dry-run*"));
    }
}
