//! What goes wrong when loading, validating or testing policy, said so that the person on call can
//! fix it: which file, which line and column, what is wrong.
//!
//! This module must never hide a problem behind a generic message: every error names its file.

use std::fmt;
use std::path::PathBuf;

/// One problem at one place in a file. Lines and columns count from 1; columns count characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Everything this crate can refuse.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The policy text does not parse, does not fit the schema, or breaks the annotation
    /// convention. The working policy set (if any) stays in force.
    #[error(
        "policy file {file} is invalid, nothing was loaded:\n{}",
        list(file, problems)
    )]
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },

    /// A policy or case file could not be read (on reload, the set in force stays).
    #[error("cannot read {}: {source}; nothing was loaded from it", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A policy test file is malformed (as opposed to a case that fails).
    #[error("policy test file {file} is invalid:\n{}", list(file, problems))]
    Cases {
        file: String,
        problems: Vec<Problem>,
    },
}

impl PolicyError {
    /// The problems with their places, for callers that show them one by one.
    pub fn problems(&self) -> &[Problem] {
        match self {
            PolicyError::Invalid { problems, .. } | PolicyError::Cases { problems, .. } => problems,
            PolicyError::Read { .. } => &[],
        }
    }
}

fn list(file: &str, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {file}:{p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Line and column (from 1, columns in characters) of a byte offset in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

pub(crate) fn problem_at(text: &str, offset: usize, message: impl Into<String>) -> Problem {
    let (line, column) = line_column(text, offset);
    Problem {
        line,
        column,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_from_one_in_characters() {
        let text = "ab\né x\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 6), (2, 3));
        assert_eq!(line_column(text, 999), (3, 1));
    }
}
