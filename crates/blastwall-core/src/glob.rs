//! Shell-style wildcard matching (`*`, `?`, `[abc]`), the one matcher every crate uses for
//! patterns in rule packs and configuration.
//!
//! Linear in practice: the backtracking keeps at most one `*` position, so hostile patterns cannot
//! make it explode.

/// Does `text` match `pattern` as a whole? `*` matches any run (including `/`), `?` one character,
/// `[...]` one character of a set (`[!...]` negated). Case-sensitive.
pub fn matches(pattern: &str, text: &str) -> bool {
    if !is_pattern(pattern) {
        return pattern == text;
    }
    if pattern.is_ascii() && text.is_ascii() {
        return matches_slice(pattern.as_bytes(), text.as_bytes());
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches_slice(&p, &t)
}

/// The matcher over characters (or ASCII bytes): no allocation, one remembered `*`.
fn matches_slice<C: Copy + PartialEq + PartialOrd + Into<u32>>(p: &[C], t: &[C]) -> bool {
    let is = |c: C, ch: char| c.into() == ch as u32;
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            let c = p[pi];
            if is(c, '*') {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            if is(c, '?') {
                pi += 1;
                ti += 1;
                continue;
            }
            if is(c, '[') {
                if let Some((matched, next)) = class_matches(p, pi, t[ti]) {
                    if matched {
                        pi = next;
                        ti += 1;
                        continue;
                    }
                } else if is(t[ti], '[') {
                    pi += 1;
                    ti += 1;
                    continue;
                }
            } else if c == t[ti] {
                pi += 1;
                ti += 1;
                continue;
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| is(c, '*'))
}

/// Matches `c` against the class starting at `p[start] == '['`; returns (matched, index after `]`),
/// or `None` when the class is not closed (then `[` is literal).
fn class_matches<C: Copy + PartialEq + PartialOrd + Into<u32>>(
    p: &[C],
    start: usize,
    c: C,
) -> Option<(bool, usize)> {
    let is = |x: C, ch: char| x.into() == ch as u32;
    let mut i = start + 1;
    let negate = p.get(i).is_some_and(|&x| is(x, '!') || is(x, '^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if is(p[i], ']') && !first {
            return Some((matched != negate, i + 1));
        }
        if i + 2 < p.len() && is(p[i + 1], '-') && !is(p[i + 2], ']') {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
        first = false;
    }
    None
}

/// Does `pattern` contain wildcard characters?
pub fn is_pattern(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards() {
        assert!(matches("delete-*", "delete-db-instance"));
        assert!(matches("*snapshot*", "delete-db-snapshot"));
        assert!(!matches("delete-*", "describe-db"));
        assert!(matches("/e?c", "/etc"));
        assert!(matches("/[ab]in", "/bin"));
        assert!(matches("/[!x]in", "/bin"));
        assert!(!matches("/[!b]in", "/bin"));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(!matches("a*b*c", "aXXbYY"));
    }
}
