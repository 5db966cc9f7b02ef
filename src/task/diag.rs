//! Located diagnostics: every intake error names `file:line:column`, what is wrong and the fix.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem found in a `.cw` or `.cwvars` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based; 0 when the problem has no place in a file (an environment variable).
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(
                f,
                "{}: {} ({})",
                self.file.display(),
                self.message,
                self.fix
            )
        } else {
            write!(
                f,
                "{}:{}:{}: {} ({})",
                self.file.display(),
                self.line,
                self.column,
                self.message,
                self.fix
            )
        }
    }
}

/// The text of one file, to turn byte offsets into line and column.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    pub fn new(path: &Path, text: String) -> Source {
        Source {
            path: path.to_path_buf(),
            text,
        }
    }

    /// 1-based line and column of byte `offset` (clamped to the text).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[start..].chars().count() + 1)
    }

    /// A diagnostic at the start of `span` (the file's start when unknown).
    pub fn error(
        &self,
        span: Option<Range<usize>>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = self.line_col(span.map_or(0, |s| s.start));
        Diagnostic {
            file: self.path.clone(),
            line,
            column,
            message: message.into(),
            fix: fix.into(),
        }
    }
}

/// Every diagnostic, one per line.
pub fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| format!("{d}\n"))
        .collect::<Vec<_>>()
        .concat()
}

/// The closest of `names` to `word` when it is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    names
        .into_iter()
        .map(|n| (edit_distance(word, n), n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 4) && *d < n.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let s = Source::new(Path::new("a.cw"), "ab\ncdé\nx".into());
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(3), (2, 1));
        assert_eq!(s.line_col(7), (2, 4));
        assert_eq!(s.line_col(100), (3, 2));
    }

    #[test]
    fn typos_are_suggested() {
        assert_eq!(
            did_you_mean("contnet", ["path", "content", "mode"]),
            Some("content")
        );
        assert_eq!(did_you_mean("zzzzzz", ["path", "mode"]), None);
    }
}
