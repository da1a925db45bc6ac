//! The syntax tree of one IDL file, as written: names are not resolved yet, implicit field
//! ids are not assigned yet. Every node that an error can point at carries a [`Span`].

/// A byte range in one source file. [`crate::Diagnostic`] turns it into `file:line:col`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub(crate) const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// A name and where it was written. Dotted names (`shared.SharedStruct`, `Enum.VALUE`)
/// are kept whole; the resolver splits them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Ident {
    /// The name as written.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// `( key = "value", flag )` after a type, field, definition, function or namespace.
/// An annotation without `= value` has the value `"1"`, as in Apache's compiler.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Annotations(pub Vec<Annotation>);

/// One `key = "value"` annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Annotation {
    /// The key (may be dotted, e.g. `cpp.type`).
    pub key: String,
    /// The value.
    pub value: String,
    /// Where.
    pub span: Span,
}

/// One parsed `.thrift` file.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Document {
    /// `include`, `cpp_include` and `namespace` lines, in order.
    pub headers: Vec<Header>,
    /// Everything else, in order.
    pub definitions: Vec<Definition>,
}

/// A header line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Header {
    /// `include "path.thrift"`
    Include {
        /// The path as written.
        path: String,
        /// Where.
        span: Span,
    },
    /// `cpp_include "header.h"` (kept, unused by Rust).
    CppInclude {
        /// The path as written.
        path: String,
        /// Where.
        span: Span,
    },
    /// `namespace <scope> <name>`; the scope `*` applies to every language.
    Namespace {
        /// `rs`, `py`, `java`, `*`...
        scope: String,
        /// The namespace.
        name: String,
        /// Annotations, e.g. `namespace xsd test (uri = '...')`.
        annotations: Annotations,
        /// Where.
        span: Span,
    },
}

/// A top-level definition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Definition {
    /// `const`
    Const(Const),
    /// `typedef`
    Typedef(Typedef),
    /// `enum`
    Enum(Enum),
    /// `senum` (a legacy set of string constants; Apache still parses it).
    Senum(Senum),
    /// `struct`, `union` or `exception`
    Struct(Struct),
    /// `service`
    Service(Service),
}

/// A doc comment: the text of the `/** ... */` just before a definition, field, enum value
/// or function, with the comment markers and the leading `*` of each line removed.
pub(crate) type Doc = Option<String>;

/// `const <type> <name> = <value>`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Const {
    /// The declared type.
    pub ty: Type,
    /// The name.
    pub name: Ident,
    /// The value.
    pub value: ConstValue,
    /// Doc comment.
    pub doc: Doc,
    /// Annotations.
    pub annotations: Annotations,
}

/// A constant value as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ConstValue {
    /// An integer (decimal, or hex `0x..`), with its sign. `true` and `false` are read as
    /// 1 and 0, as Apache's lexer reads them.
    Int(i64, Span),
    /// A floating-point literal (`1.5`, `-2e10`, `1E+3`).
    Double(f64, Span),
    /// A string literal, `"..."` or `'...'` (escapes as Apache's lexer leaves them).
    Literal(String, Span),
    /// A name: another constant, an enum value (`Enum.VALUE`), possibly from an include.
    Identifier(Ident),
    /// `[ a, b, ... ]` (for lists and sets).
    List(Vec<ConstValue>, Span),
    /// `{ k: v, ... }` (for maps and struct literals).
    Map(Vec<(ConstValue, ConstValue)>, Span),
}

impl ConstValue {
    /// Where the value was written.
    pub(crate) fn span(&self) -> Span {
        match self {
            ConstValue::Int(_, s)
            | ConstValue::Double(_, s)
            | ConstValue::Literal(_, s)
            | ConstValue::List(_, s)
            | ConstValue::Map(_, s) => *s,
            ConstValue::Identifier(i) => i.span,
        }
    }
}

/// `typedef <type> <name>`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Typedef {
    /// The aliased type.
    pub ty: Type,
    /// The new name.
    pub name: Ident,
    /// Doc comment.
    pub doc: Doc,
    /// Annotations.
    pub annotations: Annotations,
}

/// `enum <name> { A, B = 5, ... }`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Enum {
    /// The name.
    pub name: Ident,
    /// The values, in order.
    pub values: Vec<EnumValue>,
    /// Doc comment.
    pub doc: Doc,
    /// Annotations.
    pub annotations: Annotations,
}

/// One enum value; `value` is `None` when implicit (the previous value plus one, or 0).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EnumValue {
    /// The name.
    pub name: Ident,
    /// The explicit value, if written.
    pub value: Option<i64>,
    /// Doc comment.
    pub doc: Doc,
    /// Annotations.
    pub annotations: Annotations,
}

/// `senum <name> { "a", "b" }`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Senum {
    /// The name.
    pub name: Ident,
    /// The strings.
    pub values: Vec<String>,
    /// Doc comment.
    pub doc: Doc,
    /// Annotations (Apache's grammar allowed them after the `}`, as on an `enum`).
    pub annotations: Annotations,
}

/// Which of the three struct-like definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum StructKind {
    /// `struct`
    Struct,
    /// `union`
    Union,
    /// `exception`
    Exception,
}

/// A `struct`, `union` or `exception`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Struct {
    /// Which one.
    pub kind: StructKind,
    /// The name.
    pub name: Ident,
    /// The fields, in order.
    pub fields: Vec<Field>,
    /// Doc comment.
    pub doc: Doc,
    /// Annotations.
    pub annotations: Annotations,
}

/// A field's requiredness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum Requiredness {
    /// Neither keyword ("default" or "opt-in, req-out" in Apache's terms).
    #[default]
    Default,
    /// `required`
    Required,
    /// `optional`
    Optional,
}

/// A field of a struct, or an argument or declared exception of a function.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    /// The explicit id (`1:`), if written; the resolver assigns implicit ones.
    pub id: Option<i64>,
    /// Requiredness.
    pub requiredness: Requiredness,
    /// The type.
    pub ty: Type,
    /// The name.
    pub name: Ident,
    /// `= value`, if written.
    pub default: Option<ConstValue>,
    /// A C++ `&` reference marker was written (kept, no effect in Rust).
    pub reference: bool,
    /// Doc comment.
    pub doc: Doc,
    /// Annotations.
    pub annotations: Annotations,
    /// Where the whole field was written.
    pub span: Span,
}

/// A base type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum BaseType {
    /// `bool`
    Bool,
    /// `i8` or the legacy `byte`
    I8,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `double`
    Double,
    /// `string` (or the legacy `slist`)
    String,
    /// `binary`
    Binary,
    /// `uuid`
    Uuid,
}

/// A type as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Type {
    /// What kind of type.
    pub kind: TypeKind,
    /// Annotations on the type, e.g. `i32 (cpp.type = "long")`. The legacy
    /// `map cpp_type "std::unordered_map" <K, V>` clause of a container is kept here too, as an
    /// annotation with the key `cpp_type`.
    pub annotations: Annotations,
    /// Where the type was written, without its annotations.
    pub span: Span,
}

/// The shape of a [`Type`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TypeKind {
    /// A base type.
    Base(BaseType),
    /// A named type: typedef, enum, struct, union or exception, maybe `include.Name`.
    Named(Ident),
    /// `list<T>`. (The legacy `slist` is not a list: Apache read it as `string`, and so does
    /// the parser, as [`BaseType::String`].)
    List(Box<Type>),
    /// `set<T>`
    Set(Box<Type>),
    /// `map<K, V>`
    Map(Box<Type>, Box<Type>),
}

/// `service <name> [extends <name>] { functions }`
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Service {
    /// The name.
    pub name: Ident,
    /// The parent service, maybe `include.Name`.
    pub extends: Option<Ident>,
    /// The functions, in order.
    pub functions: Vec<Function>,
    /// Doc comment.
    pub doc: Doc,
    /// Annotations.
    pub annotations: Annotations,
}

/// A function of a service.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Function {
    /// `oneway` was written.
    pub oneway: bool,
    /// The return type; `None` for `void`.
    pub returns: Option<Type>,
    /// The name.
    pub name: Ident,
    /// The arguments.
    pub args: Vec<Field>,
    /// The declared exceptions (`throws (...)`).
    pub throws: Vec<Field>,
    /// Doc comment.
    pub doc: Doc,
    /// Annotations.
    pub annotations: Annotations,
}
