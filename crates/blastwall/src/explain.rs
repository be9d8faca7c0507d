//! `blastwall explain`: a verdict as a tree a person can follow — what was parsed, which rule
//! judged each command, on which part of the input, and what settled the final decision.

use std::fmt::Write;

use blastwall_core::{Decision, Span, Verdict};

/// Renders `verdict` for `input`.
pub fn render(input: &str, verdict: &Verdict) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "input     {}", one_line(input, 200));
    let _ = writeln!(
        out,
        "decision  {}  (exit {})",
        verdict.decision.as_str().to_uppercase(),
        crate::exit_code(verdict.decision)
    );
    let _ = writeln!(out, "rule      {}", verdict.rule);
    let _ = writeln!(out, "reason    {}", verdict.reason);
    let _ = writeln!(
        out,
        "effect    {}   environment  {}",
        verdict.effect, verdict.environment
    );
    if verdict.span != Span::default() {
        let _ = writeln!(out, "{}", caret(input, verdict.span, "at        "));
    }
    let _ = writeln!(out, "\nactions found: {}", verdict.actions.len());
    for (i, j) in verdict.actions.iter().enumerate() {
        let a = &j.action;
        let indent = "   ".repeat(a.depth.min(8));
        let via = if a.via.is_empty() {
            String::new()
        } else {
            format!("  via {}", a.via.join(" › "))
        };
        let _ = writeln!(
            out,
            "{indent}{}. {:<5} {}{via}",
            i + 1,
            j.decision.as_str(),
            one_line(&a.operation, 80)
        );
        let _ = writeln!(
            out,
            "{indent}   effect {}, blast radius {}{}, environment {}, resource {} `{}`",
            a.effect,
            scope_name(a.blast_radius.scope),
            if a.blast_radius.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", a.blast_radius.note)
            },
            a.environment,
            a.resource.kind,
            one_line(&a.resource.name, 80)
        );
        let _ = writeln!(
            out,
            "{indent}   rule {}: {}",
            a.finding.rule, a.finding.reason
        );
        if j.decision != a.finding.decision {
            let _ = writeln!(
                out,
                "{indent}   settled by {} (the rule said {})",
                j.settled_by, a.finding.decision
            );
        }
        let at = a.finding.span.slice(input);
        let _ = writeln!(
            out,
            "{indent}   input `{}` (bytes {}..{})",
            one_line(at, 120),
            a.finding.span.start,
            a.finding.span.end
        );
        if !at.contains(a.raw.as_str()) {
            let _ = writeln!(out, "{indent}   runs  `{}`", one_line(&a.raw, 120));
        }
    }
    if verdict.decision != Decision::Allow {
        let _ = writeln!(
            out,
            "\nto change this decision, override the rule in blastwall.toml:\n  [rules.overrides]\n  \"{}\" = \"allow\"   # or \"ask\" / \"deny\"",
            verdict.rule
        );
    }
    out
}

fn scope_name(scope: blastwall_core::Scope) -> &'static str {
    use blastwall_core::Scope;
    match scope {
        Scope::None => "none",
        Scope::Single => "single",
        Scope::Tree => "tree",
        Scope::Project => "project",
        Scope::Host => "host",
        Scope::Account => "account",
        Scope::Unknown => "unknown",
    }
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.chars().map(|c| if c == '\n' { '⏎' } else { c }).collect();
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max).collect::<String>())
    } else {
        flat
    }
}

/// The input line holding the span, with carets under it.
fn caret(input: &str, span: Span, label: &str) -> String {
    let start = span.start.min(input.len());
    let line_start = input[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = input[start..].find('\n').map_or(input.len(), |i| start + i);
    let line = &input[line_start..line_end];
    if line.chars().count() > 200 {
        return format!("{label}bytes {}..{}", span.start, span.end);
    }
    let pad = input[line_start..start].chars().count();
    let end = span.end.min(line_end).max(start);
    let width = input[start..end].chars().count().max(1);
    format!(
        "{label}{line}\n{}{}{}",
        " ".repeat(label.chars().count()),
        " ".repeat(pad),
        "^".repeat(width)
    )
}
