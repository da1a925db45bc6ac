//! The resolved program: every file loaded, every name bound to its definition, typedef
//! chains known, implicit field ids and enum values assigned, constants type-checked. The
//! emitter works from this alone.

use std::path::PathBuf;

pub(crate) use crate::ast::Requiredness;
use crate::ast::{Annotations, BaseType, Doc, StructKind};

/// Every file reachable from the files asked for, in load order (includes first).
#[derive(Debug, Clone, Default)]
pub(crate) struct Program {
    /// The files; [`DefRef::file`] indexes this.
    pub files: Vec<File>,
}

/// One IDL file.
#[derive(Debug, Clone)]
pub(crate) struct File {
    /// Where it was read from.
    pub path: PathBuf,
    /// The file's name without `.thrift`: how other files refer to it (`shared.Foo`).
    pub stem: String,
    /// The `namespace rs` path, if given (e.g. `tutorial::shared`).
    pub rs_namespace: Option<String>,
    /// The files this one includes.
    pub includes: Vec<usize>,
    /// The definitions, in order.
    pub defs: Vec<Def>,
    /// What is valid but likely a mistake in this file, in the order of the text.
    pub warnings: Vec<crate::Diagnostic>,
}

/// A definition: which file, which position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct DefRef {
    /// Index into [`Program::files`].
    pub file: usize,
    /// Index into [`File::defs`].
    pub index: usize,
}

/// A resolved definition.
#[derive(Debug, Clone)]
pub(crate) enum Def {
    /// `const`
    Const(ConstDef),
    /// `typedef`
    Typedef(TypedefDef),
    /// `enum`
    Enum(EnumDef),
    /// `struct`, `union`, `exception`
    Struct(StructDef),
    /// `service`
    Service(ServiceDef),
}

impl Program {
    /// The files `file` includes, directly or through others, in load order.
    pub(crate) fn all_includes(&self, file: usize) -> Vec<usize> {
        let mut found = std::collections::BTreeSet::new();
        let mut todo = self.files[file].includes.clone();
        while let Some(f) = todo.pop() {
            if found.insert(f) {
                todo.extend(&self.files[f].includes);
            }
        }
        found.into_iter().collect()
    }
}

impl Def {
    /// The IDL name.
    pub(crate) fn name(&self) -> &str {
        match self {
            Def::Const(d) => &d.name,
            Def::Typedef(d) => &d.name,
            Def::Enum(d) => &d.name,
            Def::Struct(d) => &d.name,
            Def::Service(d) => &d.name,
        }
    }
}

/// A constant.
#[derive(Debug, Clone)]
pub(crate) struct ConstDef {
    /// IDL name.
    pub name: String,
    /// Declared type.
    pub ty: Ty,
    /// Value, checked against `ty`.
    pub value: Value,
    /// Doc comment.
    pub doc: Doc,
}

/// A typedef.
#[derive(Debug, Clone)]
pub(crate) struct TypedefDef {
    /// IDL name.
    pub name: String,
    /// The aliased type (may itself name a typedef).
    pub ty: Ty,
    /// Doc comment.
    pub doc: Doc,
}

/// An enum.
#[derive(Debug, Clone)]
pub(crate) struct EnumDef {
    /// IDL name.
    pub name: String,
    /// Values in order, implicit ones assigned.
    pub values: Vec<EnumValueDef>,
    /// Doc comment.
    pub doc: Doc,
}

/// One enum value.
#[derive(Debug, Clone)]
pub(crate) struct EnumValueDef {
    /// IDL name.
    pub name: String,
    /// The value.
    pub value: i32,
    /// Doc comment.
    pub doc: Doc,
}

/// A struct, union or exception.
#[derive(Debug, Clone)]
pub(crate) struct StructDef {
    /// Which.
    pub kind: StructKind,
    /// IDL name.
    pub name: String,
    /// Fields, in order, ids assigned.
    pub fields: Vec<FieldDef>,
    /// Doc comment.
    pub doc: Doc,
    /// Annotations.
    #[allow(
        dead_code,
        reason = "kept for the emitter, which reads none of them yet"
    )]
    pub annotations: Annotations,
}

/// A field, argument or declared exception.
#[derive(Debug, Clone)]
pub(crate) struct FieldDef {
    /// The id, explicit or assigned (negative) as Apache's compiler does.
    pub id: i16,
    /// IDL name (the wire name where a protocol uses names).
    pub name: String,
    /// Type.
    pub ty: Ty,
    /// Requiredness.
    pub requiredness: Requiredness,
    /// Default value, checked against `ty`.
    pub default: Option<Value>,
    /// Doc comment.
    pub doc: Doc,
}

/// A service.
#[derive(Debug, Clone)]
pub(crate) struct ServiceDef {
    /// IDL name.
    pub name: String,
    /// The parent service.
    pub extends: Option<DefRef>,
    /// Functions, in order.
    pub functions: Vec<FunctionDef>,
    /// Doc comment.
    pub doc: Doc,
}

/// A function.
#[derive(Debug, Clone)]
pub(crate) struct FunctionDef {
    /// IDL name (the wire's method name).
    pub name: String,
    /// `oneway`
    pub oneway: bool,
    /// Annotated `(idempotent = "true")` or `(idempotent)`: a second call has the effect of
    /// one, so a client may send it again when it cannot know whether the first one ran.
    pub idempotent: bool,
    /// Return type; `None` for `void`.
    pub returns: Option<Ty>,
    /// Arguments.
    pub args: Vec<FieldDef>,
    /// Declared exceptions.
    pub throws: Vec<FieldDef>,
    /// Doc comment.
    pub doc: Doc,
}

/// A resolved type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Ty {
    /// A base type.
    Base(BaseType),
    /// `list<T>`
    List(Box<Ty>),
    /// `set<T>`
    Set(Box<Ty>),
    /// `map<K, V>`
    Map(Box<Ty>, Box<Ty>),
    /// A typedef, enum, struct, union or exception.
    Named(DefRef),
}

/// A constant value, checked against its type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `bool`
    Bool(bool),
    /// Any integer type.
    Int(i64),
    /// `double`
    Double(f64),
    /// `string` or `binary`
    String(String),
    /// `list<T>` or `set<T>`
    List(Vec<Value>),
    /// `map<K, V>`
    Map(Vec<(Value, Value)>),
    /// A struct literal: (index of the field in its struct, value).
    Struct(DefRef, Vec<(usize, Value)>),
    /// An enum value: the enum and the value (not necessarily one the enum names).
    Enum(DefRef, i32),
}

impl Program {
    /// The definition `r` points at.
    pub(crate) fn def(&self, r: DefRef) -> &Def {
        &self.files[r.file].defs[r.index]
    }

    /// `ty` with typedefs replaced by what they name, at the top level only.
    pub(crate) fn resolve<'a>(&'a self, mut ty: &'a Ty) -> &'a Ty {
        // Typedef cycles are rejected while resolving, so this ends.
        while let Ty::Named(r) = ty {
            match self.def(*r) {
                Def::Typedef(t) => ty = &t.ty,
                _ => break,
            }
        }
        ty
    }
}
