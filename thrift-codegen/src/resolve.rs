//! Loads IDL files with their includes and resolves every name: the step from
//! [`ast::Document`]s to a [`Program`].
//!
//! Includes are looked up next to the including file first, then in each include directory
//! in order, as Apache's compiler does. References may be forward; `shared.Name` refers to a
//! definition of the included file `shared.thrift`. Errors point at the offending place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::Diagnostic;
use crate::ast::{self, BaseType, ConstValue, Requiredness, Span, StructKind, TypeKind};
use crate::model::*;

#[cfg(test)]
mod tests;

/// A loaded file: its text (for error messages) and syntax tree.
#[derive(Debug)]
struct Source {
    path: PathBuf,
    text: String,
    doc: ast::Document,
    stem: String,
    /// Include stem → file index.
    includes: HashMap<String, usize>,
    include_order: Vec<usize>,
    /// Definition name → index.
    names: HashMap<String, usize>,
}

/// Loads `roots` and everything they include, and resolves the whole program. Returns the
/// program and the indexes of the root files in it.
pub(crate) fn load(
    roots: &[PathBuf],
    include_dirs: &[PathBuf],
) -> Result<(Program, Vec<usize>), Diagnostic> {
    let mut loader = Loader {
        include_dirs,
        sources: Vec::new(),
        by_path: HashMap::new(),
        stack: Vec::new(),
    };
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

impl Source {
    fn new(path: PathBuf, text: String, doc: ast::Document) -> Self {
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

    fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(&self.path, &self.text, span, message)
    }

    fn index_names(&mut self) -> Result<(), Diagnostic> {
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

struct Loader<'a> {
    include_dirs: &'a [PathBuf],
    sources: Vec<Source>,
    by_path: HashMap<PathBuf, usize>,
    /// Files being loaded, to report include cycles.
    stack: Vec<PathBuf>,
}

impl Loader<'_> {
    /// `from`: the including file and the include's span, for error messages.
    fn load(&mut self, path: &Path, from: Option<(usize, Span)>) -> Result<usize, Diagnostic> {
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
            let candidates: Vec<PathBuf> = std::iter::once(dir.join(&inc))
                .chain(self.include_dirs.iter().map(|d| d.join(&inc)))
                .collect();
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

/// What kind of definition a name must denote where it is written, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// A type: after a field id, in a typedef, in `throws`...
    Type,
    /// A constant or an enum value, in a constant or a default value.
    Value,
    /// The service after `extends`.
    Service,
}

impl Want {
    fn noun(self) -> &'static str {
        match self {
            Want::Type => "type",
            Want::Value => "constant or enum value",
            Want::Service => "service",
        }
    }

    /// The names `def` offers where `self` is wanted, for "did you mean" hints.
    fn candidates(self, def: &ast::Definition) -> Vec<String> {
        match (self, def) {
            (
                Want::Type,
                ast::Definition::Typedef(_)
                | ast::Definition::Enum(_)
                | ast::Definition::Senum(_)
                | ast::Definition::Struct(_),
            )
            | (Want::Value, ast::Definition::Const(_))
            | (Want::Service, ast::Definition::Service(_)) => vec![def_ident(def).name.clone()],
            (Want::Value, ast::Definition::Enum(e)) => e
                .values
                .iter()
                .map(|v| format!("{}.{}", e.name.name, v.name.name))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The base types' keywords, for "did you mean" hints on unknown types.
const BASE_TYPE_NAMES: &[&str] = &[
    "bool", "byte", "i8", "i16", "i32", "i64", "double", "string", "binary", "uuid",
];

/// ` (did you mean `x`?)` when one of `candidates` is close to `name`, else nothing.
fn did_you_mean(name: &str, candidates: &[String]) -> String {
    let close = candidates
        .iter()
        .map(|c| (crate::parser::edit_distance(name, c), c))
        .filter(|(d, c)| *d <= 2 && *d < c.chars().count() / 2 + 1)
        .min();
    match close {
        Some((_, c)) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
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

/// What a name refers to.
#[derive(Debug, Clone, Copy)]
enum Target {
    Def(DefRef),
    EnumValue(DefRef, usize),
}

/// State of a constant during resolution, to allow forward references and catch cycles.
#[derive(Debug, Clone)]
enum ConstState {
    Pending,
    InProgress,
    Done(Ty, Value),
}

struct Resolver {
    sources: Vec<Source>,
    /// Resolved types of typedef targets, filled in pass 1.
    program: Program,
    consts: HashMap<DefRef, ConstState>,
    /// The constants in progress, innermost last, to show a cycle.
    const_stack: Vec<DefRef>,
}

impl Resolver {
    fn new(sources: Vec<Source>) -> Self {
        Resolver {
            sources,
            program: Program::default(),
            consts: HashMap::new(),
            const_stack: Vec::new(),
        }
    }

    fn err(&self, file: usize, span: Span, message: impl Into<String>) -> Diagnostic {
        self.sources[file].error(span, message)
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
        Ok(self.program)
    }

    fn lookup(&self, file: usize, ident: &ast::Ident, want: Want) -> Result<Target, Diagnostic> {
        let src = &self.sources[file];
        let name = ident.name.as_str();
        if let Some(&i) = src.names.get(name) {
            return Ok(Target::Def(DefRef { file, index: i }));
        }
        // `Enum.VALUE`, `include.Name`, `include.Enum.VALUE`
        let parts: Vec<&str> = name.split('.').collect();
        let (scope, rest) = match src.includes.get(parts[0]) {
            Some(&inc) if parts.len() > 1 => (inc, &parts[1..]),
            _ => (file, &parts[..]),
        };
        let scope_src = &self.sources[scope];
        match rest {
            [def] => {
                if let Some(&i) = scope_src.names.get(*def) {
                    return Ok(Target::Def(DefRef {
                        file: scope,
                        index: i,
                    }));
                }
            }
            [en, value] => {
                if let Some(&i) = scope_src.names.get(*en)
                    && let ast::Definition::Enum(e) = &scope_src.doc.definitions[i]
                    && let Some(v) = e.values.iter().position(|v| v.name.name == *value)
                {
                    return Ok(Target::EnumValue(
                        DefRef {
                            file: scope,
                            index: i,
                        },
                        v,
                    ));
                }
            }
            _ => {}
        }
        let message = if scope == file {
            self.not_found_here(file, name, &parts, want)
        } else {
            self.not_found_in(scope, name, rest, want)
        };
        Err(self.err(file, ident.span, message))
    }

    /// Why `name` (split at dots into `parts`, not starting with an include) is not found in
    /// `file`.
    fn not_found_here(&self, file: usize, name: &str, parts: &[&str], want: Want) -> String {
        let src = &self.sources[file];
        let noun = want.noun();
        match parts {
            [_] => {
                let mut candidates: Vec<String> = Vec::new();
                if want == Want::Type {
                    candidates.extend(BASE_TYPE_NAMES.iter().map(|s| s.to_string()));
                }
                for def in &src.doc.definitions {
                    candidates.extend(want.candidates(def));
                }
                format!("unknown {noun} `{name}`{}", did_you_mean(name, &candidates))
            }
            [first, value] => match src.names.get(*first).map(|&i| &src.doc.definitions[i]) {
                Some(ast::Definition::Enum(e)) if want == Want::Value => {
                    let values: Vec<String> =
                        e.values.iter().map(|v| v.name.name.clone()).collect();
                    format!(
                        "enum `{first}` has no value `{value}`{}",
                        did_you_mean(value, &values)
                    )
                }
                Some(def) => {
                    let also = if want == Want::Value {
                        "an enum or "
                    } else {
                        ""
                    };
                    format!(
                        "unknown {noun} `{name}`: `{first}` is {}, not {also}an included file",
                        def_kind(def)
                    )
                }
                None => {
                    let also = if want == Want::Value {
                        format!(" and no enum `{first}` is defined here")
                    } else {
                        String::new()
                    };
                    format!("unknown {noun} `{name}`: no included file is named `{first}`{also}")
                }
            },
            _ => format!("unknown {noun} `{name}`"),
        }
    }

    /// Why `rest` of `name` is not found in the included file `scope`.
    fn not_found_in(&self, scope: usize, name: &str, rest: &[&str], want: Want) -> String {
        let src = &self.sources[scope];
        let file_name = src
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let noun = want.noun();
        match rest {
            [def] => {
                let candidates: Vec<String> = src
                    .doc
                    .definitions
                    .iter()
                    .flat_map(|d| want.candidates(d))
                    .collect();
                format!(
                    "unknown {noun} `{name}`: `{file_name}` defines no `{def}`{}",
                    did_you_mean(def, &candidates)
                )
            }
            [first, value] => match src.names.get(*first).map(|&i| &src.doc.definitions[i]) {
                Some(ast::Definition::Enum(e)) if want == Want::Value => {
                    let values: Vec<String> =
                        e.values.iter().map(|v| v.name.name.clone()).collect();
                    format!(
                        "enum `{first}` of `{file_name}` has no value `{value}`{}",
                        did_you_mean(value, &values)
                    )
                }
                Some(def) => format!(
                    "unknown {noun} `{name}`: `{first}` of `{file_name}` is {}, not an enum",
                    def_kind(def)
                ),
                None => format!("unknown {noun} `{name}`: `{file_name}` defines no `{first}`"),
            },
            _ => format!("unknown {noun} `{name}`"),
        }
    }

    fn resolve_type(&self, file: usize, ty: &ast::Type) -> Result<Ty, Diagnostic> {
        Ok(match &ty.kind {
            TypeKind::Base(b) => Ty::Base(*b),
            TypeKind::List(t) => Ty::List(Box::new(self.resolve_type(file, t)?)),
            TypeKind::Set(t) => Ty::Set(Box::new(self.resolve_type(file, t)?)),
            TypeKind::Map(k, v) => Ty::Map(
                Box::new(self.resolve_type(file, k)?),
                Box::new(self.resolve_type(file, v)?),
            ),
            TypeKind::Named(ident) => match self.lookup(file, ident, Want::Type)? {
                Target::Def(r) => match &self.sources[r.file].doc.definitions[r.index] {
                    ast::Definition::Typedef(_)
                    | ast::Definition::Enum(_)
                    | ast::Definition::Struct(_)
                    | ast::Definition::Senum(_) => Ty::Named(r),
                    def @ (ast::Definition::Const(_) | ast::Definition::Service(_)) => {
                        return Err(self.err(
                            file,
                            ident.span,
                            format!("`{}` is {}, not a type", ident.name, def_kind(def)),
                        ));
                    }
                },
                Target::EnumValue(..) => {
                    return Err(self.err(
                        file,
                        ident.span,
                        format!("`{}` is an enum value, not a type", ident.name),
                    ));
                }
            },
        })
    }

    fn fields(
        &self,
        file: usize,
        fields: &[ast::Field],
        owner: &str,
    ) -> Result<Vec<FieldDef>, Diagnostic> {
        let mut out: Vec<FieldDef> = Vec::new();
        // Apache gives fields without a (positive) id the ids -1, -2, ... in order.
        let mut next_auto: i64 = -1;
        for f in fields {
            let id = match f.id {
                Some(id) if id > 0 => {
                    if id > i64::from(i16::MAX) {
                        return Err(self.err(
                            file,
                            f.span,
                            format!(
                                "field id {id} of `{owner}.{}` is too large (field ids are \
                                 16-bit: at most 32767)",
                                f.name.name
                            ),
                        ));
                    }
                    id
                }
                _ => {
                    let id = next_auto;
                    next_auto -= 1;
                    id
                }
            };
            if let Some(i) = out.iter().position(|o| i64::from(o.id) == id) {
                return Err(self.err(
                    file,
                    f.span,
                    format!(
                        "field id {id} of `{owner}` is used twice: by `{}` and `{}`",
                        out[i].name, f.name.name
                    ),
                ));
            }
            if out.iter().any(|o| o.name == f.name.name) {
                return Err(self.err(
                    file,
                    f.name.span,
                    format!("`{owner}` has two fields named `{}`", f.name.name),
                ));
            }
            out.push(FieldDef {
                id: id as i16,
                name: f.name.name.clone(),
                ty: self.resolve_type(file, &f.ty)?,
                requiredness: f.requiredness,
                default: None,
                doc: f.doc.clone(),
            });
        }
        Ok(out)
    }

    fn shape(&self, file: usize, index: usize) -> Result<Def, Diagnostic> {
        let placeholder = Value::Bool(false);
        Ok(match &self.sources[file].doc.definitions[index] {
            ast::Definition::Const(c) => Def::Const(ConstDef {
                name: c.name.name.clone(),
                ty: self.resolve_type(file, &c.ty)?,
                value: placeholder,
                doc: c.doc.clone(),
            }),
            ast::Definition::Typedef(t) => Def::Typedef(TypedefDef {
                name: t.name.name.clone(),
                ty: self.resolve_type(file, &t.ty)?,
                doc: t.doc.clone(),
            }),
            ast::Definition::Senum(s) => Def::Typedef(TypedefDef {
                name: s.name.name.clone(),
                ty: Ty::Base(BaseType::String),
                doc: s.doc.clone(),
            }),
            ast::Definition::Enum(e) => {
                let mut values: Vec<EnumValueDef> = Vec::new();
                let mut next: i64 = 0;
                for v in &e.values {
                    let value = v.value.unwrap_or(next);
                    let Ok(value32) = i32::try_from(value) else {
                        let implicit = if v.value.is_none() {
                            " (the previous value plus one)"
                        } else {
                            ""
                        };
                        return Err(self.err(
                            file,
                            v.name.span,
                            format!(
                                "the value of `{}.{}`, {value}{implicit}, does not fit in an \
                                 i32 (enum values are 32-bit: {} to {})",
                                e.name.name,
                                v.name.name,
                                i32::MIN,
                                i32::MAX
                            ),
                        ));
                    };
                    if values.iter().any(|o| o.name == v.name.name) {
                        return Err(self.err(
                            file,
                            v.name.span,
                            format!(
                                "enum `{}` has two values named `{}`",
                                e.name.name, v.name.name
                            ),
                        ));
                    }
                    values.push(EnumValueDef {
                        name: v.name.name.clone(),
                        value: value32,
                        doc: v.doc.clone(),
                    });
                    next = value + 1;
                }
                Def::Enum(EnumDef {
                    name: e.name.name.clone(),
                    values,
                    doc: e.doc.clone(),
                })
            }
            ast::Definition::Struct(s) => Def::Struct(StructDef {
                kind: s.kind,
                name: s.name.name.clone(),
                fields: self.fields(file, &s.fields, &s.name.name)?,
                doc: s.doc.clone(),
                annotations: s.annotations.clone(),
            }),
            ast::Definition::Service(s) => {
                let mut functions: Vec<FunctionDef> = Vec::new();
                for f in &s.functions {
                    if functions.iter().any(|o| o.name == f.name.name) {
                        return Err(self.err(
                            file,
                            f.name.span,
                            format!(
                                "service `{}` has two functions named `{}`",
                                s.name.name, f.name.name
                            ),
                        ));
                    }
                    let owner = format!("{}.{}", s.name.name, f.name.name);
                    let returns = match &f.returns {
                        Some(t) => Some(self.resolve_type(file, t)?),
                        None => None,
                    };
                    if f.oneway
                        && let Some(t) = &f.returns
                    {
                        return Err(self.err(
                            file,
                            t.span,
                            format!(
                                "oneway function `{owner}` cannot return a value: the caller \
                                 gets no reply (declare it `void`)"
                            ),
                        ));
                    }
                    if f.oneway
                        && let Some(t) = f.throws.first()
                    {
                        return Err(self.err(
                            file,
                            t.span,
                            format!(
                                "oneway function `{owner}` cannot throw: the caller gets no reply"
                            ),
                        ));
                    }
                    functions.push(FunctionDef {
                        name: f.name.name.clone(),
                        oneway: f.oneway,
                        returns,
                        args: self.fields(file, &f.args, &owner)?,
                        throws: self.fields(file, &f.throws, &owner)?,
                        doc: f.doc.clone(),
                    });
                }
                Def::Service(ServiceDef {
                    name: s.name.name.clone(),
                    extends: None,
                    functions,
                    doc: s.doc.clone(),
                })
            }
        })
    }

    /// Rejects typedefs that lead back to themselves, reported at the first typedef of the
    /// cycle: `typedef B A` `typedef A B`.
    fn check_typedef_cycles(&self) -> Result<(), Diagnostic> {
        for (file, f) in self.program.files.iter().enumerate() {
            for (index, def) in f.defs.iter().enumerate() {
                let Def::Typedef(t) = def else { continue };
                let start = DefRef { file, index };
                let mut chain = vec![start];
                let mut ty = &t.ty;
                while let Ty::Named(r) = ty {
                    if *r == start {
                        let span = def_ident(&self.sources[file].doc.definitions[index]).span;
                        return Err(self.err(
                            file,
                            span,
                            format!(
                                "typedef `{}` refers to itself{}",
                                t.name,
                                self.cycle(&chain)
                            ),
                        ));
                    }
                    // A cycle that does not pass through `start` is reported at its own
                    // first typedef.
                    if chain.contains(r) {
                        break;
                    }
                    chain.push(*r);
                    match self.program.def(*r) {
                        Def::Typedef(next) => ty = &next.ty,
                        _ => break,
                    }
                }
            }
        }
        Ok(())
    }

    /// Rejects a service that extends itself, directly or not (Apache's compiler cannot
    /// meet one: it wants a parent defined before its child).
    fn check_service_chains(&self) -> Result<(), Diagnostic> {
        for (file, f) in self.program.files.iter().enumerate() {
            for (index, def) in f.defs.iter().enumerate() {
                let Def::Service(service) = def else { continue };
                let ast::Definition::Service(written) = &self.sources[file].doc.definitions[index]
                else {
                    continue;
                };
                let start = DefRef { file, index };
                let mut chain = vec![start];
                let mut parent = service.extends;
                while let Some(p) = parent {
                    if p == start {
                        let span = written
                            .extends
                            .as_ref()
                            .map_or(written.name.span, |e| e.span);
                        return Err(self.err(
                            file,
                            span,
                            format!(
                                "service `{}` extends itself{}",
                                service.name,
                                self.cycle(&chain)
                            ),
                        ));
                    }
                    if chain.contains(&p) {
                        break;
                    }
                    chain.push(p);
                    let Def::Service(ps) = self.program.def(p) else {
                        break;
                    };
                    parent = ps.extends;
                }
            }
        }
        Ok(())
    }

    /// ` (A -> B -> A)` for a cycle through more than one definition, else nothing.
    fn cycle(&self, chain: &[DefRef]) -> String {
        if chain.len() < 2 {
            return String::new();
        }
        let names: Vec<&str> = chain
            .iter()
            .chain(&chain[..1])
            .map(|r| {
                def_ident(&self.sources[r.file].doc.definitions[r.index])
                    .name
                    .as_str()
            })
            .collect();
        format!(" ({})", names.join(" -> "))
    }

    fn finish(&mut self, file: usize, index: usize) -> Result<(), Diagnostic> {
        let r = DefRef { file, index };
        match &self.sources[file].doc.definitions[index] {
            ast::Definition::Const(_) => {
                let (_, value) = self.const_value(r)?;
                if let Def::Const(c) = &mut self.program.files[file].defs[index] {
                    c.value = value;
                }
            }
            ast::Definition::Struct(s) => {
                let s = s.clone();
                let mut defaults = Vec::new();
                for (i, f) in s.fields.iter().enumerate() {
                    if let Some(v) = &f.default {
                        let ty = match &self.program.files[file].defs[index] {
                            Def::Struct(d) => d.fields[i].ty.clone(),
                            _ => continue,
                        };
                        defaults.push((i, self.value(file, &ty, v)?));
                    }
                    if s.kind == StructKind::Union && f.requiredness == Requiredness::Required {
                        return Err(self.err(
                            file,
                            f.span,
                            format!(
                                "union `{}` cannot have a required field: `{}` (a union holds \
                                 exactly one of its fields; remove `required`)",
                                s.name.name, f.name.name
                            ),
                        ));
                    }
                }
                if let Def::Struct(d) = &mut self.program.files[file].defs[index] {
                    for (i, v) in defaults {
                        d.fields[i].default = Some(v);
                    }
                }
            }
            ast::Definition::Service(s) => {
                let s = s.clone();
                let extends = match &s.extends {
                    Some(ident) => match self.lookup(file, ident, Want::Service)? {
                        Target::Def(p) if matches!(self.program.def(p), Def::Service(_)) => Some(p),
                        target => {
                            let what = match target {
                                Target::Def(p) => {
                                    def_kind(&self.sources[p.file].doc.definitions[p.index])
                                }
                                Target::EnumValue(..) => "an enum value",
                            };
                            return Err(self.err(
                                file,
                                ident.span,
                                format!(
                                    "service `{}` extends `{}`, which is {what}, not a service",
                                    s.name.name, ident.name
                                ),
                            ));
                        }
                    },
                    None => None,
                };
                for (fi, f) in s.functions.iter().enumerate() {
                    for (ti, t) in f.throws.iter().enumerate() {
                        let ty = match &self.program.files[file].defs[index] {
                            Def::Service(d) => d.functions[fi].throws[ti].ty.clone(),
                            _ => continue,
                        };
                        let what = match self.program.resolve(&ty) {
                            Ty::Named(r) => match self.program.def(*r) {
                                Def::Struct(d) if d.kind == StructKind::Exception => continue,
                                _ => def_kind(&self.sources[r.file].doc.definitions[r.index]),
                            },
                            Ty::Base(_) => "a base type",
                            Ty::List(_) | Ty::Set(_) | Ty::Map(..) => "a container",
                        };
                        let named = self.type_name(&ty);
                        let alias = match self.program.resolve(&ty) {
                            resolved if *resolved != ty => {
                                format!(" (a typedef of `{}`)", self.type_name(resolved))
                            }
                            _ => String::new(),
                        };
                        return Err(self.err(
                            file,
                            t.ty.span,
                            format!(
                                "`throws` of `{}.{}` lists `{named}`{alias}, which is {what}, \
                                 not an exception",
                                s.name.name, f.name.name
                            ),
                        ));
                    }
                    for (ai, a) in f.args.iter().enumerate() {
                        if let Some(v) = &a.default {
                            let ty = match &self.program.files[file].defs[index] {
                                Def::Service(d) => d.functions[fi].args[ai].ty.clone(),
                                _ => continue,
                            };
                            let value = self.value(file, &ty, v)?;
                            if let Def::Service(d) = &mut self.program.files[file].defs[index] {
                                d.functions[fi].args[ai].default = Some(value);
                            }
                        }
                    }
                }
                if let Def::Service(d) = &mut self.program.files[file].defs[index] {
                    d.extends = extends;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The value of a constant, resolving the constants it refers to first.
    fn const_value(&mut self, r: DefRef) -> Result<(Ty, Value), Diagnostic> {
        match self.consts.get(&r).cloned().unwrap_or(ConstState::Pending) {
            ConstState::Done(ty, v) => Ok((ty, v)),
            ConstState::InProgress => {
                let name = def_ident(&self.sources[r.file].doc.definitions[r.index]).clone();
                let from = self.const_stack.iter().position(|c| *c == r).unwrap_or(0);
                Err(self.err(
                    r.file,
                    name.span,
                    format!(
                        "constant `{}` refers to itself{}",
                        name.name,
                        self.cycle(&self.const_stack[from..])
                    ),
                ))
            }
            ConstState::Pending => {
                self.consts.insert(r, ConstState::InProgress);
                self.const_stack.push(r);
                let ast::Definition::Const(c) =
                    self.sources[r.file].doc.definitions[r.index].clone()
                else {
                    unreachable_const(r)?
                };
                let ty = match self.program.def(r) {
                    Def::Const(d) => d.ty.clone(),
                    _ => unreachable_const(r)?,
                };
                let value = self.value(r.file, &ty, &c.value)?;
                self.const_stack.pop();
                self.consts
                    .insert(r, ConstState::Done(ty.clone(), value.clone()));
                Ok((ty, value))
            }
        }
    }

    fn type_name(&self, ty: &Ty) -> String {
        match ty {
            Ty::Base(b) => format!("{b:?}").to_lowercase(),
            Ty::List(t) => format!("list<{}>", self.type_name(t)),
            Ty::Set(t) => format!("set<{}>", self.type_name(t)),
            Ty::Map(k, v) => format!("map<{}, {}>", self.type_name(k), self.type_name(v)),
            Ty::Named(r) => self.program.def(*r).name().to_string(),
        }
    }

    /// Checks `v` against `ty` and converts it.
    fn value(&mut self, file: usize, ty: &Ty, v: &ConstValue) -> Result<Value, Diagnostic> {
        let resolved = self.program.resolve(ty).clone();
        let mismatch = |this: &Self, what: &str| {
            this.err(
                file,
                v.span(),
                format!(
                    "expected a value of type `{}`, found {what}",
                    this.type_name(ty)
                ),
            )
        };
        // A name stands for another constant's value, or an enum value.
        if let ConstValue::Identifier(ident) = v {
            // `true` and `false` are integer tokens to Apache's lexer.
            if matches!(ident.name.as_str(), "true" | "false")
                && matches!(resolved, Ty::Base(BaseType::Bool))
            {
                return Ok(Value::Bool(ident.name == "true"));
            }
            let target = self.lookup(file, ident, Want::Value);
            // Where an enum is expected, Apache's compiler reads `Other.VALUE` by its last
            // part only, as a value of the expected enum (its EnumTest has
            // `MyEnum2 me2_2 = MyEnum1.ME2_2`); do the same where the name does not already
            // denote a value of that enum or a constant.
            if let Ty::Named(e) = &resolved
                && let Def::Enum(en) = self.program.def(*e)
                && let Some((_, last)) = ident.name.rsplit_once('.')
                && !matches!(target, Ok(Target::Def(_)))
                && !matches!(target, Ok(Target::EnumValue(r, _)) if r == *e)
                && let Some(value) = en.values.iter().find(|v| v.name == last)
            {
                return Ok(Value::Enum(*e, value.value));
            }
            return match target? {
                Target::EnumValue(e, i) => {
                    let Def::Enum(en) = self.program.def(e) else {
                        return Err(mismatch(self, "a name"));
                    };
                    let value = en.values[i].value;
                    match &resolved {
                        Ty::Named(r) if *r == e => Ok(Value::Enum(e, value)),
                        Ty::Base(BaseType::I8 | BaseType::I16 | BaseType::I32 | BaseType::I64) => {
                            self.check_int(file, v.span(), ty, i64::from(value), &ident.name)?;
                            Ok(Value::Int(i64::from(value)))
                        }
                        _ => Err(mismatch(self, &format!("the enum value `{}`", ident.name))),
                    }
                }
                Target::Def(r) => match self.program.def(r) {
                    Def::Const(_) => {
                        let (cty, value) = self.const_value(r)?;
                        if self.compatible(&resolved, &cty) {
                            self.convert(file, v.span(), ty, value, &ident.name)
                        } else {
                            Err(mismatch(
                                self,
                                &format!(
                                    "the constant `{}` of type `{}`",
                                    ident.name,
                                    self.type_name(&cty)
                                ),
                            ))
                        }
                    }
                    _ => Err(mismatch(
                        self,
                        &format!("`{}`, which is not a constant", ident.name),
                    )),
                },
            };
        }
        match (&resolved, v) {
            (Ty::Base(BaseType::Bool), ConstValue::Int(i, _)) if *i == 0 || *i == 1 => {
                Ok(Value::Bool(*i == 1))
            }
            (
                Ty::Base(BaseType::I8 | BaseType::I16 | BaseType::I32 | BaseType::I64),
                ConstValue::Int(i, _),
            ) => {
                self.check_int(file, v.span(), ty, *i, "")?;
                Ok(Value::Int(*i))
            }
            (Ty::Base(BaseType::Double), ConstValue::Int(i, _)) => Ok(Value::Double(*i as f64)),
            (Ty::Base(BaseType::Double), ConstValue::Double(d, _)) => Ok(Value::Double(*d)),
            (Ty::Base(BaseType::String | BaseType::Binary), ConstValue::Literal(s, _)) => {
                Ok(Value::String(s.clone()))
            }
            (Ty::Base(BaseType::Uuid), ConstValue::Literal(s, _)) => {
                let hex: String = s
                    .trim_matches(|c| c == '{' || c == '}')
                    .chars()
                    .filter(|c| *c != '-')
                    .collect();
                if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(self.err(file, v.span(), format!("`{s}` is not a UUID")));
                }
                Ok(Value::String(s.clone()))
            }
            (Ty::List(elem) | Ty::Set(elem), ConstValue::List(items, _)) => {
                let elem = (**elem).clone();
                let mut out = Vec::new();
                for item in items {
                    out.push(self.value(file, &elem, item)?);
                }
                Ok(Value::List(out))
            }
            // `{}` is accepted as an empty list or set, as Apache's compiler does.
            (Ty::List(_) | Ty::Set(_), ConstValue::Map(items, _)) if items.is_empty() => {
                Ok(Value::List(Vec::new()))
            }
            (Ty::Map(k, val), ConstValue::Map(items, _)) => {
                let (k, val) = ((**k).clone(), (**val).clone());
                let mut out = Vec::new();
                for (ik, iv) in items {
                    out.push((self.value(file, &k, ik)?, self.value(file, &val, iv)?));
                }
                Ok(Value::Map(out))
            }
            (Ty::Map(..), ConstValue::List(items, _)) if items.is_empty() => {
                Ok(Value::Map(Vec::new()))
            }
            (Ty::Named(r), ConstValue::Int(i, _))
                if matches!(self.program.def(*r), Def::Enum(_)) =>
            {
                let Ok(i32v) = i32::try_from(*i) else {
                    return Err(self.err(
                        file,
                        v.span(),
                        format!(
                            "{i} does not fit in enum `{}` (enum values are 32-bit: {} to {})",
                            self.type_name(ty),
                            i32::MIN,
                            i32::MAX
                        ),
                    ));
                };
                Ok(Value::Enum(*r, i32v))
            }
            (Ty::Named(r), ConstValue::Map(items, _))
                if matches!(self.program.def(*r), Def::Struct(_)) =>
            {
                let r = *r;
                let Def::Struct(sd) = self.program.def(r).clone() else {
                    return Err(mismatch(self, "a map"));
                };
                let kind = match sd.kind {
                    StructKind::Struct => "struct",
                    StructKind::Union => "union",
                    StructKind::Exception => "exception",
                };
                let field_list = || {
                    let names: Vec<String> =
                        sd.fields.iter().map(|f| format!("`{}`", f.name)).collect();
                    if names.is_empty() {
                        "it has none".to_string()
                    } else {
                        format!("it has {}", names.join(", "))
                    }
                };
                let mut out: Vec<(usize, Value)> = Vec::new();
                for (k, val) in items {
                    let ConstValue::Literal(fname, span) = k else {
                        return Err(self.err(
                            file,
                            k.span(),
                            format!(
                                "expected a field name of `{}` in quotes ({})",
                                sd.name,
                                field_list()
                            ),
                        ));
                    };
                    let Some(i) = sd.fields.iter().position(|f| f.name == *fname) else {
                        let names: Vec<String> = sd.fields.iter().map(|f| f.name.clone()).collect();
                        let hint = match did_you_mean(fname, &names) {
                            h if h.is_empty() => format!(" ({})", field_list()),
                            h => h,
                        };
                        return Err(self.err(
                            file,
                            *span,
                            format!("{kind} `{}` has no field `{fname}`{hint}", sd.name),
                        ));
                    };
                    if out.iter().any(|(o, _)| *o == i) {
                        return Err(self.err(
                            file,
                            *span,
                            format!("field `{fname}` of `{}` is given twice", sd.name),
                        ));
                    }
                    let value = self.value(file, &sd.fields[i].ty, val)?;
                    out.push((i, value));
                }
                if sd.kind == StructKind::Union && out.len() != 1 {
                    return Err(self.err(
                        file,
                        v.span(),
                        format!(
                            "a value of union `{}` sets exactly one field, this one sets {}",
                            sd.name,
                            out.len()
                        ),
                    ));
                }
                Ok(Value::Struct(r, out))
            }
            (_, ConstValue::Int(..)) => Err(mismatch(self, "an integer")),
            (_, ConstValue::Double(..)) => Err(mismatch(self, "a floating-point number")),
            (_, ConstValue::Literal(..)) => Err(mismatch(self, "a string")),
            (_, ConstValue::List(..)) => Err(mismatch(self, "a list")),
            (_, ConstValue::Map(..)) => Err(mismatch(self, "a map")),
            (_, ConstValue::Identifier(_)) => Err(mismatch(self, "a name")),
        }
    }

    /// Checks that the integer `i` fits the integer type `ty` resolves to. `name`: the
    /// constant or enum value `i` comes from, if any.
    fn check_int(
        &self,
        file: usize,
        span: Span,
        ty: &Ty,
        i: i64,
        name: &str,
    ) -> Result<(), Diagnostic> {
        let Ty::Base(b) = self.program.resolve(ty) else {
            return Ok(());
        };
        let (lo, hi) = match b {
            BaseType::I8 => (i64::from(i8::MIN), i64::from(i8::MAX)),
            BaseType::I16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
            BaseType::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => return Ok(()),
        };
        if (lo..=hi).contains(&i) {
            return Ok(());
        }
        let what = if name.is_empty() {
            i.to_string()
        } else {
            format!("`{name}` ({i})")
        };
        let base = self.type_name(&Ty::Base(*b));
        let named = self.type_name(ty);
        let target = if named == base {
            format!("`{base}` ({lo} to {hi})")
        } else {
            format!("`{named}`, an `{base}` ({lo} to {hi})")
        };
        Err(self.err(file, span, format!("{what} does not fit in {target}")))
    }

    /// The value of another constant, `name`, as a value of type `ty` (whose type it is
    /// [`compatible`](Self::compatible) with): integers checked against a narrower type,
    /// converted to `double` where one is expected.
    fn convert(
        &self,
        file: usize,
        span: Span,
        ty: &Ty,
        value: Value,
        name: &str,
    ) -> Result<Value, Diagnostic> {
        Ok(match (self.program.resolve(ty), value) {
            (Ty::Base(BaseType::Double), Value::Int(i)) => Value::Double(i as f64),
            (Ty::Base(_), Value::Int(i)) => {
                self.check_int(file, span, ty, i, name)?;
                Value::Int(i)
            }
            (Ty::List(elem) | Ty::Set(elem), Value::List(items)) => Value::List(
                items
                    .into_iter()
                    .map(|v| self.convert(file, span, elem, v, name))
                    .collect::<Result<_, _>>()?,
            ),
            (Ty::Map(k, v), Value::Map(entries)) => Value::Map(
                entries
                    .into_iter()
                    .map(|(ek, ev)| {
                        Ok((
                            self.convert(file, span, k, ek, name)?,
                            self.convert(file, span, v, ev, name)?,
                        ))
                    })
                    .collect::<Result<_, Diagnostic>>()?,
            ),
            (_, value) => value,
        })
    }

    /// Whether a constant of type `from` may initialise a value of type `to` (integers are
    /// checked against a narrower type by [`convert`](Self::convert)).
    fn compatible(&self, to: &Ty, from: &Ty) -> bool {
        let (to, from) = (self.program.resolve(to), self.program.resolve(from));
        let int = |b: &BaseType| {
            matches!(
                b,
                BaseType::I8 | BaseType::I16 | BaseType::I32 | BaseType::I64
            )
        };
        match (to, from) {
            (Ty::Base(a), Ty::Base(b)) => {
                a == b
                    || (int(a) || *a == BaseType::Double) && int(b)
                    || matches!(
                        (a, b),
                        (BaseType::String, BaseType::Binary) | (BaseType::Binary, BaseType::String)
                    )
            }
            (Ty::List(a), Ty::List(b))
            | (Ty::Set(a), Ty::Set(b))
            | (Ty::List(a), Ty::Set(b))
            | (Ty::Set(a), Ty::List(b)) => self.compatible(a, b),
            (Ty::Map(ak, av), Ty::Map(bk, bv)) => {
                self.compatible(ak, bk) && self.compatible(av, bv)
            }
            (Ty::Named(a), Ty::Named(b)) => a == b,
            _ => false,
        }
    }
}

#[cold]
fn unreachable_const<T>(r: DefRef) -> Result<T, Diagnostic> {
    Err(Diagnostic::file(
        Path::new(""),
        format!("internal error: definition {r:?} is not a constant"),
    ))
}
