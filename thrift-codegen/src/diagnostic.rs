//! [`Diagnostic`]: an error or a warning about an IDL file, shown as `file:line:col` with
//! the offending line and a caret under the place, the way rustc shows them.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::ast::Span;

/// An error or a warning at a place in an IDL file (or about a file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    warning: bool,
    path: PathBuf,
    /// 1-based line; 0 when the error is about the whole file (it could not be read...).
    line: usize,
    /// 1-based column, in characters.
    column: usize,
    /// The text of the line, without its line break.
    line_text: String,
    /// How many characters to underline (at least 1).
    width: usize,
    message: String,
}

impl Diagnostic {
    /// An error at `span` of `source`, the text of the file at `path`.
    pub(crate) fn at(path: &Path, source: &str, span: Span, message: impl Into<String>) -> Self {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line_text = source[line_start..line_end]
            .trim_end_matches('\r')
            .to_string();
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(source, span.end.clamp(start, line_end));
        let width = source[start..end].chars().count().max(1);
        Diagnostic {
            warning: false,
            path: path.to_path_buf(),
            line,
            column,
            line_text,
            width,
            message: message.into(),
        }
    }

    /// An error about a whole file (it cannot be read, an include cycle...).
    pub(crate) fn file(path: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            warning: false,
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            line_text: String::new(),
            width: 0,
            message: message.into(),
        }
    }

    /// The same place and message, as a warning: the IDL is valid, but likely not what
    /// its author meant (Apache's compiler warns about the same things).
    pub(crate) fn into_warning(mut self) -> Self {
        self.warning = true;
        self
    }

    /// Whether this is a warning (code is still generated) rather than an error.
    pub fn is_warning(&self) -> bool {
        self.warning
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The 1-based line (0 for an error about the whole file).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The 1-based column, counted in characters.
    pub fn column(&self) -> usize {
        self.column
    }

    /// What is wrong, without the place.
    pub fn message(&self) -> &str {
        &self.message
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Diagnostic {
    /// ```text
    /// error: expected `}` or a field, found `strin`
    ///   --> idl/bad.thrift:4:3
    ///    |
    ///  4 |   strin name
    ///    |   ^^^^^
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = if self.warning { "warning" } else { "error" };
        writeln!(f, "{level}: {}", self.message)?;
        if self.line == 0 {
            return write!(f, "  --> {}", self.path.display());
        }
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        writeln!(
            f,
            "{pad}--> {}:{}:{}",
            self.path.display(),
            self.line,
            self.column
        )?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{number} | {}", self.line_text)?;
        // Tabs before the caret stay tabs so the caret lines up with the text.
        let lead: String = self
            .line_text
            .chars()
            .take(self.column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{pad} | {lead}{}", "^".repeat(self.width))
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_line_and_column() {
        let src = "struct A {\n  1: strin name\n}\n";
        let at = src.find("strin").unwrap();
        let d = Diagnostic::at(
            Path::new("a.thrift"),
            src,
            Span::new(at, at + 5),
            "unknown type `strin`",
        );
        assert_eq!((d.line(), d.column()), (2, 6));
        assert_eq!(
            d.to_string(),
            "error: unknown type `strin`\n --> a.thrift:2:6\n  |\n2 |   1: strin name\n  |      ^^^^^"
        );
    }

    #[test]
    fn end_of_file_and_multibyte_text() {
        let src = "const string s = \"é\" x";
        let d = Diagnostic::at(
            Path::new("b.thrift"),
            src,
            Span::new(src.len(), src.len()),
            "unexpected end",
        );
        assert_eq!((d.line(), d.column()), (1, 23));
        assert!(d.to_string().ends_with("|                       ^"), "{d}");
    }
}
