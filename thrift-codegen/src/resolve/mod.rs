//! Name resolution: from the [`ast::Document`] of each file to the one [`Program`] the
//! emitter works from, every name bound to its definition, implicit field ids and enum
//! values assigned, constants evaluated and checked against their types.
//!
//! Includes are looked up next to the including file first, then in each include directory
//! in order, as Apache's compiler does. References may be forward; `shared.Name` refers to a
//! definition of the included file `shared.thrift`. Errors point at the offending place.
//!
//! # How it works
//!
//! [`load()`] reads the root files and, depth first, what they include (in `load`); a
//! [`Resolver`] then makes two passes over all the files, looking names up as it goes (in
//! `lookup`):
//!
//! 1. `shapes`: every definition's shape, its types resolved; then `cycles` rejects
//!    typedefs that lead back to themselves, so that following a typedef always ends;
//! 2. `finish`: constants and default values, evaluated and checked (`consts`), service
//!    parents and `throws` clauses; then `cycles` rejects services that extend themselves.

mod consts;
mod cycles;
mod finish;
mod load;
mod lookup;
mod shapes;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
#[cfg(test)]
use std::path::Path;
use std::path::PathBuf;

use self::consts::ConstState;
use self::load::{Loader, Source};
use crate::Diagnostic;
use crate::ast::{self, Span, StructKind};
use crate::model::*;

/// Loads `roots` and everything they include, and resolves the whole program. Returns the
/// program and the indexes of the root files in it.
pub(crate) fn load(
    roots: &[PathBuf],
    include_dirs: &[PathBuf],
) -> Result<(Program, Vec<usize>), Diagnostic> {
    let mut loader = Loader::new(include_dirs);
    let mut root_ids = Vec::new();
    for root in roots {
        root_ids.push(loader.load(root, None)?);
    }
    let program = Resolver::new(loader.sources).run()?;
    Ok((program, root_ids))
}

/// Parses and resolves IDL held in memory (no includes), for tests.
#[cfg(test)]
pub(crate) fn load_str(path: &Path, text: &str) -> Result<Program, Diagnostic> {
    let doc = crate::parser::parse(path, text)?;
    let mut source = Source::new(path.to_path_buf(), text.to_string(), doc);
    if let Some(ast::Header::Include { span, path: inc }) = source
        .doc
        .headers
        .iter()
        .find(|h| matches!(h, ast::Header::Include { .. }))
    {
        return Err(Diagnostic::at(
            path,
            text,
            *span,
            format!("cannot include `{inc}` from IDL given as a string"),
        ));
    }
    source.index_names()?;
    Resolver::new(vec![source]).run()
}

/// The name `def` defines.
fn def_ident(def: &ast::Definition) -> &ast::Ident {
    match def {
        ast::Definition::Const(d) => &d.name,
        ast::Definition::Typedef(d) => &d.name,
        ast::Definition::Enum(d) => &d.name,
        ast::Definition::Senum(d) => &d.name,
        ast::Definition::Struct(d) => &d.name,
        ast::Definition::Service(d) => &d.name,
    }
}

/// What `def` is, with its article: "a struct", "an enum"...
fn def_kind(def: &ast::Definition) -> &'static str {
    match def {
        ast::Definition::Const(_) => "a constant",
        ast::Definition::Typedef(_) => "a typedef",
        ast::Definition::Enum(_) => "an enum",
        ast::Definition::Senum(_) => "a senum",
        ast::Definition::Struct(s) => match s.kind {
            StructKind::Struct => "a struct",
            StructKind::Union => "a union",
            StructKind::Exception => "an exception",
        },
        ast::Definition::Service(_) => "a service",
    }
}

/// Binds the names of the loaded files into a [`Program`], in the two passes of
/// [`run`](Self::run).
struct Resolver {
    sources: Vec<Source>,
    /// Resolved types of typedef targets, filled in pass 1.
    program: Program,
    /// How far each constant's evaluation has got.
    consts: HashMap<DefRef, ConstState>,
    /// The constants in progress, innermost last, to show a cycle.
    const_stack: Vec<DefRef>,
    /// Warnings so far: file, where, and the warning.
    warnings: std::cell::RefCell<Vec<(usize, Span, Diagnostic)>>,
    /// Where the old type name `byte` is written: one warning per file says so.
    byte_uses: std::cell::RefCell<Vec<(usize, Span)>>,
}

impl Resolver {
    fn new(sources: Vec<Source>) -> Self {
        Resolver {
            sources,
            program: Program::default(),
            consts: HashMap::new(),
            const_stack: Vec::new(),
            warnings: Default::default(),
            byte_uses: Default::default(),
        }
    }

    fn err(&self, file: usize, span: Span, message: impl Into<String>) -> Diagnostic {
        self.sources[file].error(span, message)
    }

    /// Records a warning at `span` of `file` (once, however often the place is visited).
    fn warn(&self, file: usize, span: Span, message: impl Into<String>) {
        let mut warnings = self.warnings.borrow_mut();
        if !warnings.iter().any(|(f, s, _)| *f == file && *s == span) {
            let warning = self.sources[file].error(span, message).into_warning();
            warnings.push((file, span, warning));
        }
    }

    fn run(mut self) -> Result<Program, Diagnostic> {
        // Pass 1: every definition's shape, with types resolved; constants and default
        // values are placeholders until pass 2.
        for file in 0..self.sources.len() {
            let mut defs = Vec::new();
            for index in 0..self.sources[file].doc.definitions.len() {
                defs.push(self.shape(file, index)?);
            }
            let src = &self.sources[file];
            let rs_namespace = src.doc.headers.iter().find_map(|h| match h {
                ast::Header::Namespace { scope, name, .. } if scope == "rs" => {
                    Some(name.replace('.', "::"))
                }
                _ => None,
            });
            self.program.files.push(File {
                path: src.path.clone(),
                stem: src.stem.clone(),
                rs_namespace,
                includes: src.include_order.clone(),
                defs,
                warnings: Vec::new(),
            });
        }
        self.check_typedef_cycles()?;
        // Pass 2: constants, default values, service parents and throws clauses.
        for file in 0..self.sources.len() {
            for index in 0..self.sources[file].doc.definitions.len() {
                self.finish(file, index)?;
            }
        }
        self.check_service_chains()?;
        self.warn_byte();
        let mut warnings = self.warnings.take();
        warnings.sort_by_key(|(file, span, _)| (*file, span.start));
        for (file, _, warning) in warnings {
            self.program.files[file].warnings.push(warning);
        }
        Ok(self.program)
    }

    /// One warning per file that writes `byte`, at its first use.
    fn warn_byte(&self) {
        let mut uses = self.byte_uses.take();
        uses.sort_by_key(|(file, span)| (*file, span.start));
        uses.dedup();
        for (i, &(file, span)) in uses.iter().enumerate() {
            if i > 0 && uses[i - 1].0 == file {
                continue;
            }
            let count = uses.iter().filter(|(f, _)| *f == file).count();
            let more = match count {
                1 => String::new(),
                2 => " (here and once more in this file)".to_string(),
                n => format!(" (here and {} more times in this file)", n - 1),
            };
            self.warn(
                file,
                span,
                format!(
                    "`byte` is an old name of `i8`, kept for compatibility: write `i8`, which \
                     says that the type is signed{more}"
                ),
            );
        }
    }

    /// `ty` as the IDL spells it, for messages.
    fn type_name(&self, ty: &Ty) -> String {
        match ty {
            Ty::Base(b) => format!("{b:?}").to_lowercase(),
            Ty::List(t) => format!("list<{}>", self.type_name(t)),
            Ty::Set(t) => format!("set<{}>", self.type_name(t)),
            Ty::Map(k, v) => format!("map<{}, {}>", self.type_name(k), self.type_name(v)),
            Ty::Named(r) => self.program.def(*r).name().to_string(),
        }
    }
}
