//! Loading: reading the IDL files, finding their includes (next to the including file, then
//! in each include folder in order) and parsing each file once, with the names it defines
//! indexed. What it produces, a [`Source`] per file with its includes before it, is what the
//! [`Resolver`](super::Resolver) binds names across.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::def_ident;
use crate::Diagnostic;
use crate::ast::{self, Span};

/// A loaded file: its text (for error messages) and syntax tree.
#[derive(Debug)]
pub(super) struct Source {
    pub(super) path: PathBuf,
    pub(super) text: String,
    pub(super) doc: ast::Document,
    pub(super) stem: String,
    /// Include stem → file index.
    pub(super) includes: HashMap<String, usize>,
    pub(super) include_order: Vec<usize>,
    /// Definition name → index.
    pub(super) names: HashMap<String, usize>,
}

impl Source {
    pub(super) fn new(path: PathBuf, text: String, doc: ast::Document) -> Self {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Source {
            path,
            text,
            doc,
            stem,
            includes: HashMap::new(),
            include_order: Vec::new(),
            names: HashMap::new(),
        }
    }

    pub(super) fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(&self.path, &self.text, span, message)
    }

    pub(super) fn index_names(&mut self) -> Result<(), Diagnostic> {
        for (i, def) in self.doc.definitions.iter().enumerate() {
            let ident = def_ident(def);
            if let Some(&prev) = self.names.get(&ident.name) {
                let prev_span = def_ident(&self.doc.definitions[prev]).span;
                let line = self.text[..prev_span.start].matches('\n').count() + 1;
                return Err(self.error(
                    ident.span,
                    format!("`{}` is defined twice (first at line {line})", ident.name),
                ));
            }
            self.names.insert(ident.name.clone(), i);
        }
        Ok(())
    }
}

pub(super) struct Loader<'a> {
    include_dirs: &'a [PathBuf],
    pub(super) sources: Vec<Source>,
    by_path: HashMap<PathBuf, usize>,
    /// Files being loaded, to report include cycles.
    stack: Vec<PathBuf>,
}

impl<'a> Loader<'a> {
    pub(super) fn new(include_dirs: &'a [PathBuf]) -> Self {
        Loader {
            include_dirs,
            sources: Vec::new(),
            by_path: HashMap::new(),
            stack: Vec::new(),
        }
    }

    /// `from`: the including file and the include's span, for error messages.
    pub(super) fn load(
        &mut self,
        path: &Path,
        from: Option<(usize, Span)>,
    ) -> Result<usize, Diagnostic> {
        let canonical = path.canonicalize().map_err(|e| match from {
            Some((file, span)) => {
                self.sources_error(file, span, format!("cannot read `{}`: {e}", path.display()))
            }
            None => Diagnostic::file(path, format!("cannot read the file: {e}")),
        })?;
        if let Some(&id) = self.by_path.get(&canonical) {
            return Ok(id);
        }
        if let Some(pos) = self.stack.iter().position(|p| *p == canonical) {
            let cycle: Vec<String> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| {
                    p.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                })
                .collect();
            let message = format!("include cycle: {}", cycle.join(" -> "));
            return Err(match from {
                Some((file, span)) => self.sources_error(file, span, message),
                None => Diagnostic::file(path, message),
            });
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| Diagnostic::file(path, format!("cannot read the file: {e}")))?;
        let doc = crate::parser::parse(path, &text)?;
        let mut source = Source::new(path.to_path_buf(), text, doc);
        source.index_names()?;

        self.stack.push(canonical.clone());
        // Sources are pushed after their includes; keep this one aside meanwhile.
        let includes: Vec<(String, Span)> = source
            .doc
            .headers
            .iter()
            .filter_map(|h| match h {
                ast::Header::Include { path, span } => Some((path.clone(), *span)),
                _ => None,
            })
            .collect();
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut resolved = Vec::new();
        for (inc, span) in includes {
            let mut candidates: Vec<PathBuf> = Vec::new();
            for candidate in std::iter::once(dir.join(&inc))
                .chain(self.include_dirs.iter().map(|d| d.join(&inc)))
            {
                // The including file's folder is often an include folder too: look (and
                // say so) once.
                if !candidates.iter().any(|c| same_path(c, &candidate)) {
                    candidates.push(candidate);
                }
            }
            let Some(found) = candidates.iter().find(|c| c.is_file()) else {
                let looked: Vec<String> =
                    candidates.iter().map(|c| c.display().to_string()).collect();
                self.stack.pop();
                return Err(source.error(
                    span,
                    format!(
                        "cannot find include `{inc}` (looked for {})",
                        looked.join(", ")
                    ),
                ));
            };
            let id = match self.load_nested(found, &source, span) {
                Ok(id) => id,
                Err(e) => {
                    self.stack.pop();
                    return Err(e);
                }
            };
            let stem = self.sources[id].stem.clone();
            resolved.push((stem, id));
        }
        self.stack.pop();
        for (stem, id) in resolved {
            source.include_order.push(id);
            source.includes.insert(stem, id);
        }
        let id = self.sources.len();
        self.sources.push(source);
        self.by_path.insert(canonical, id);
        Ok(id)
    }

    /// Loads an include of `includer` (not yet in `self.sources`).
    fn load_nested(
        &mut self,
        path: &Path,
        includer: &Source,
        span: Span,
    ) -> Result<usize, Diagnostic> {
        let canonical = path
            .canonicalize()
            .map_err(|e| includer.error(span, format!("cannot read `{}`: {e}", path.display())))?;
        if let Some(pos) = self.stack.iter().position(|p| *p == canonical) {
            let cycle: Vec<String> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| {
                    p.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                })
                .collect();
            return Err(includer.error(span, format!("include cycle: {}", cycle.join(" -> "))));
        }
        self.load(path, None)
    }

    fn sources_error(&self, file: usize, span: Span, message: String) -> Diagnostic {
        self.sources[file].error(span, message)
    }
}

/// Whether `a` and `b` name the same path once `.` components are left out.
fn same_path(a: &Path, b: &Path) -> bool {
    let normal = |p: &Path| -> PathBuf {
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    };
    normal(a) == normal(b)
}
