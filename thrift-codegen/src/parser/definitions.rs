//! The document: headers, then definitions with their fields, enum values and functions.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{opt, value};
use nom::sequence::preceded;

use super::MAX_NESTING;
use super::input::{
    self, Error, PResult, Tokens, block, closest, expect, expected_found, fail, field_name, hard,
    int, keyword, literal, name, separator, soft, sym,
};
use super::lexer::Kind;
use super::types::{annotations_opt, const_value, field_type};
use crate::ast::{
    Const, Definition, Document, Enum, EnumValue, Field, Function, Header, Ident, Requiredness,
    Senum, Service, Span, Struct, StructKind, Type, TypeKind, Typedef,
};

const HEADER_KEYWORDS: &[&str] = &["include", "cpp_include", "namespace"];
const DEFINITION_KEYWORDS: &[&str] = &[
    "const",
    "typedef",
    "enum",
    "senum",
    "struct",
    "union",
    "exception",
    "service",
];

/// Namespace declarations of old Apache versions, which 0.17 rejects with this advice.
const OLD_NAMESPACES: &[(&str, &str)] = &[
    ("cpp_namespace", "cpp"),
    ("java_package", "java"),
    ("delphi_namespace", "delphi"),
    ("php_namespace", "php"),
    ("py_module", "py"),
    ("perl_package", "perl"),
    ("ruby_namespace", "rb"),
    ("smalltalk_category", "st"),
    ("smalltalk_prefix", "st"),
    ("xsd_namespace", "xsd"),
];

/// A whole file: headers, then definitions, then the end.
pub(super) fn document(mut i: Tokens<'_>) -> PResult<'_, Document> {
    let mut document = Document::default();
    loop {
        let token = i.peek();
        match token.kind {
            Kind::Eof => return Ok((i, document)),
            Kind::Word if HEADER_KEYWORDS.contains(&token.text) => {
                if let Some(first) = document.definitions.first() {
                    let first = definition_name(first);
                    let line = i.line_of(first.span.start);
                    let message = format!(
                        "`{}` must come before the definitions (the first is `{}`, line {line})",
                        token.text, first.name
                    );
                    return fail(i, message);
                }
                let (rest, header) = header(i)?;
                document.headers.push(header);
                i = rest;
            }
            _ => match definition(i) {
                Ok((rest, definition)) => {
                    document.definitions.push(definition);
                    i = rest;
                }
                Err(nom::Err::Error(e)) if e.is_at(i) => {
                    let message = top_level_error(i, document.definitions.is_empty());
                    return Err(nom::Err::Failure(Error::message(i, message)));
                }
                Err(e) => return Err(e),
            },
        }
    }
}

fn definition_name(definition: &Definition) -> &Ident {
    match definition {
        Definition::Const(d) => &d.name,
        Definition::Typedef(d) => &d.name,
        Definition::Enum(d) => &d.name,
        Definition::Senum(d) => &d.name,
        Definition::Struct(d) => &d.name,
        Definition::Service(d) => &d.name,
    }
}

/// What was expected where a header or definition should start, with a hint for the
/// common slips.
fn top_level_error(i: Tokens<'_>, headers_allowed: bool) -> String {
    let token = i.peek();
    let expected = if headers_allowed {
        "`include`, `namespace` or a definition (`const`, `typedef`, `enum`, `struct`, `union`, \
         `exception` or `service`)"
    } else {
        "a definition (`const`, `typedef`, `enum`, `struct`, `union`, `exception` or `service`)"
    };
    let mut message = expected_found(expected, token);
    let end = i.prev_end();
    let after_brace = i.source_text(Span::new(end.saturating_sub(1), end)) == "}";
    if matches!(token.kind, Kind::Sym(';' | ',')) && after_brace {
        message.push_str(" (no separator goes after the `}` of a definition)");
    }
    if token.kind == Kind::Word {
        if let Some((_, scope)) = OLD_NAMESPACES.iter().find(|(old, _)| *old == token.text) {
            return format!(
                "`{}` is no longer supported, write `namespace {scope} <name>` instead",
                token.text
            );
        }
        let candidates = DEFINITION_KEYWORDS.iter().chain(if headers_allowed {
            HEADER_KEYWORDS
        } else {
            &[]
        });
        if let Some(k) = closest(token.text, candidates.copied()) {
            message.push_str(&format!(" (did you mean `{k}`?)"));
        }
    }
    message
}

/// `include "file.thrift"`, `cpp_include "header.h"` or `namespace <scope> <name>`.
fn header(i: Tokens<'_>) -> PResult<'_, Header> {
    let start = i.peek().span.start;
    if let Ok((i, _)) = keyword("include")(i) {
        let (i, (path, _)) =
            expect(literal, || "a file name in quotes after `include`").parse(i)?;
        let span = Span::new(start, i.prev_end());
        return Ok((i, Header::Include { path, span }));
    }
    if let Ok((i, _)) = keyword("cpp_include")(i) {
        let (i, (path, _)) =
            expect(literal, || "a file name in quotes after `cpp_include`").parse(i)?;
        let span = Span::new(start, i.prev_end());
        return Ok((i, Header::CppInclude { path, span }));
    }
    let (i, _) = keyword("namespace")(i)?;
    let scope = alt((sym('*').map(|_| "*".to_string()), name.map(|n| n.name)));
    let (i, scope) = expect(
        scope,
        || "a language (like `rs` or `py`) or `*` after `namespace`",
    )
    .parse(i)?;
    let what = || format!("a name after `namespace {scope}`");
    let (i, namespace) = expect(name, what).parse(i)?;
    let (i, annotations) = annotations_opt(i)?;
    let span = Span::new(start, i.prev_end());
    let header = Header::Namespace {
        scope,
        name: namespace.name,
        annotations,
        span,
    };
    Ok((i, header))
}

fn definition(i: Tokens<'_>) -> PResult<'_, Definition> {
    alt((
        const_def.map(Definition::Const),
        typedef.map(Definition::Typedef),
        enum_def.map(Definition::Enum),
        senum.map(Definition::Senum),
        struct_def.map(Definition::Struct),
        service.map(Definition::Service),
    ))
    .parse(i)
}

/// The doc comment before the next token.
fn doc(i: Tokens<'_>) -> Option<String> {
    i.peek().doc.clone()
}

/// The name after `what` (a definition keyword, maybe with a type).
fn name_after<'a>(i: Tokens<'a>, what: impl Fn() -> String) -> PResult<'a, Ident> {
    expect(name, || format!("a name after `{}`", what())).parse(i)
}

/// `const <type> <name> = <value>`, then annotations (an extension: Apache has none on
/// consts) and an optional separator.
fn const_def(i: Tokens<'_>) -> PResult<'_, Const> {
    let doc = doc(i);
    let (i, _) = keyword("const")(i)?;
    let (i, ty) = expect(field_type(0), || "a type after `const`").parse(i)?;
    let (i, name) = name_after(i, || format!("const {}", i.source_text(ty.span)))?;
    let (i, _) = expect(sym('='), || format!("`=` after `{}`", name.name)).parse(i)?;
    let (i, value) = expect(const_value(0), || "a constant value").parse(i)?;
    let (i, annotations) = annotations_opt(i)?;
    let (i, _) = separator(i)?;
    let definition = Const {
        ty,
        name,
        value,
        doc,
        annotations,
    };
    Ok((i, definition))
}

/// `typedef <type> <name>`, annotations, an optional separator.
fn typedef(i: Tokens<'_>) -> PResult<'_, Typedef> {
    let doc = doc(i);
    let (i, _) = keyword("typedef")(i)?;
    let (i, ty) = expect(field_type(0), || "a type after `typedef`").parse(i)?;
    let (i, name) = name_after(i, || format!("typedef {}", i.source_text(ty.span)))?;
    let (i, annotations) = annotations_opt(i)?;
    let (i, _) = separator(i)?;
    let definition = Typedef {
        ty,
        name,
        doc,
        annotations,
    };
    Ok((i, definition))
}

/// `enum <name> { A, B = 2, ... }` and annotations.
fn enum_def(i: Tokens<'_>) -> PResult<'_, Enum> {
    let doc = doc(i);
    let (i, _) = keyword("enum")(i)?;
    let (i, name) = name_after(i, || "enum".to_string())?;
    let owner = || format!("enum `{}`", name.name);
    let (i, open) = expect(sym('{'), || format!("`{{` after {}", owner())).parse(i)?;
    let (i, values) = block(i, open, '}', "an enum value", owner, enum_value)?;
    let (i, annotations) = annotations_opt(i)?;
    let definition = Enum {
        name,
        values,
        doc,
        annotations,
    };
    Ok((i, definition))
}

/// `NAME`, `NAME = 3` or `NAME = -0x10`, annotations, an optional separator.
fn enum_value(i: Tokens<'_>) -> PResult<'_, EnumValue> {
    let doc = doc(i);
    let (i, name) = name(i)?;
    let what = || format!("an integer after `{} =`", name.name);
    let (i, value) = opt(preceded(sym('='), expect(int, what))).parse(i)?;
    let (i, annotations) = annotations_opt(i)?;
    let (i, _) = separator(i)?;
    let value = EnumValue {
        name,
        value: value.map(|(v, _)| v),
        doc,
        annotations,
    };
    Ok((i, value))
}

/// `senum <name> { "a", "b" }` (legacy; Apache removed it in 0.17).
fn senum(i: Tokens<'_>) -> PResult<'_, Senum> {
    let doc = doc(i);
    let (i, _) = keyword("senum")(i)?;
    let (i, name) = name_after(i, || "senum".to_string())?;
    let owner = || format!("senum `{}`", name.name);
    let (i, open) = expect(sym('{'), || format!("`{{` after {}", owner())).parse(i)?;
    let item = (literal, separator).map(|((s, _), _)| s);
    let (i, values) = block(i, open, '}', "a string", owner, item)?;
    let (i, annotations) = annotations_opt(i)?;
    let definition = Senum {
        name,
        values,
        doc,
        annotations,
    };
    Ok((i, definition))
}

/// `struct`, `union` (both may have the legacy `xsd_all` after the name) or `exception`.
fn struct_def(i: Tokens<'_>) -> PResult<'_, Struct> {
    let doc = doc(i);
    let (i, kind) = alt((
        value(StructKind::Struct, keyword("struct")),
        value(StructKind::Union, keyword("union")),
        value(StructKind::Exception, keyword("exception")),
    ))
    .parse(i)?;
    let word = match kind {
        StructKind::Struct => "struct",
        StructKind::Union => "union",
        StructKind::Exception => "exception",
    };
    let (i, name) = name_after(i, || word.to_string())?;
    let (i, _) = if kind == StructKind::Exception {
        (i, None)
    } else {
        opt(keyword("xsd_all")).parse(i)?
    };
    let owner = || format!("{word} `{}`", name.name);
    let (i, open) = expect(sym('{'), || format!("`{{` after {}", owner())).parse(i)?;
    let (i, fields) = block(i, open, '}', "a field", owner, field(0))?;
    let (i, annotations) = annotations_opt(i)?;
    let definition = Struct {
        kind,
        name,
        fields,
        doc,
        annotations,
    };
    Ok((i, definition))
}

/// A field of a struct, or an argument or exception of a function:
/// `[id:] [required|optional] <type> [&] <name> [= <value>] [xsd_optional] [xsd_nillable]
/// [xsd_attrs { fields }] [annotations] [,|;]`. `depth` counts the `xsd_attrs` around it;
/// its type and default value nest further from there (see [`MAX_NESTING`]).
fn field<'a>(depth: usize) -> impl FnMut(Tokens<'a>) -> PResult<'a, Field> {
    move |i: Tokens<'a>| {
        let first = i.peek();
        let doc = first.doc.clone();
        // `name: type` (as in other languages) or `1.5:` where a field id belongs.
        let looks_like_id = matches!(first.kind, Kind::Word | Kind::Double(_) | Kind::Str(_));
        if looks_like_id && i.peek_second().kind == Kind::Sym(':') {
            return hard(i, "a field id like `1:`");
        }
        let (i, id) = opt(int).parse(i)?;
        let i = match id {
            Some((_, span)) => {
                let what = || format!("`:` after the field id `{}`", i.source_text(span));
                expect(sym(':'), what).parse(i)?.0
            }
            None => i,
        };
        let (i, requiredness) = opt(alt((
            value(Requiredness::Required, keyword("required")),
            value(Requiredness::Optional, keyword("optional")),
        )))
        .parse(i)?;
        let started = id.is_some() || requiredness.is_some();
        let (i, ty) = match field_type(depth).parse(i) {
            Ok(ok) => ok,
            Err(nom::Err::Error(e)) if e.is_at(i) => {
                let token = i.peek();
                return if token.kind == Kind::Word && token.text == "void" {
                    let found = expected_found("a type", token);
                    fail(i, format!("{found} (only a function can return `void`)"))
                } else if started {
                    hard(i, "a type")
                } else {
                    soft(i, "a field")
                };
            }
            Err(e) => return Err(e),
        };
        let (i, reference) = opt(sym('&')).parse(i)?;
        let (i, name) = expect(field_name, || "a field name").parse(i)?;
        let what = || format!("a default value after `{} =`", name.name);
        let (i, default) = opt(preceded(sym('='), expect(const_value(depth), what))).parse(i)?;
        let (i, _) = opt(keyword("xsd_optional")).parse(i)?;
        let (i, _) = opt(keyword("xsd_nillable")).parse(i)?;
        let (i, _) = xsd_attrs(i, depth)?;
        let (i, annotations) = annotations_opt(i)?;
        let span = Span::new(first.span.start, i.prev_end());
        let (i, _) = separator(i)?;
        let field = Field {
            id: id.map(|(v, _)| v),
            requiredness: requiredness.unwrap_or_default(),
            ty,
            name,
            default,
            reference: reference.is_some(),
            doc,
            annotations,
            span,
        };
        Ok((i, field))
    }
}

/// The legacy `xsd_attrs { fields }` after a field, read and dropped (it only ever fed
/// Apache's XSD generator).
fn xsd_attrs(i: Tokens<'_>, depth: usize) -> PResult<'_, ()> {
    let Ok((i, _)) = keyword("xsd_attrs")(i) else {
        return Ok((i, ()));
    };
    if depth >= MAX_NESTING {
        return fail(
            i,
            format!("`xsd_attrs` are nested too deeply (more than {MAX_NESTING} levels)"),
        );
    }
    let (i, open) = expect(sym('{'), || "`{` after `xsd_attrs`").parse(i)?;
    let owner = || "`xsd_attrs`".to_string();
    let (i, _) = block(i, open, '}', "a field", owner, field(depth + 1))?;
    Ok((i, ()))
}

/// `service <name> [extends <name>] { functions }` and annotations.
fn service(i: Tokens<'_>) -> PResult<'_, Service> {
    let doc = doc(i);
    let (i, _) = keyword("service")(i)?;
    let (i, name) = name_after(i, || "service".to_string())?;
    let parent = expect(input::name, || "the name of a service after `extends`");
    let (i, extends) = opt(preceded(keyword("extends"), parent)).parse(i)?;
    let owner = || format!("service `{}`", name.name);
    let what = || match extends {
        Some(_) => format!("`{{` after {}", owner()),
        None => format!("`extends` or `{{` after {}", owner()),
    };
    let (i, open) = expect(sym('{'), what).parse(i)?;
    let (i, functions) = block(i, open, '}', "a function", owner, function)?;
    let (i, annotations) = annotations_opt(i)?;
    let definition = Service {
        name,
        extends,
        functions,
        doc,
        annotations,
    };
    Ok((i, definition))
}

/// `[oneway] <type>|void <name>(<fields>) [throws (<fields>)]`, annotations, an optional
/// separator. `async` is Apache's deprecated spelling of `oneway`.
fn function(i: Tokens<'_>) -> PResult<'_, Function> {
    let doc = doc(i);
    let (start, oneway) = opt(alt((keyword("oneway"), keyword("async")))).parse(i)?;
    let mut returns = alt((value(None, keyword("void")), field_type(0).map(Some)));
    let (i, returns) = if oneway.is_some() {
        expect(returns, || "a return type or `void` after `oneway`").parse(start)?
    } else {
        match returns.parse(start) {
            Ok(ok) => ok,
            Err(nom::Err::Error(e)) if e.is_at(start) => return soft(start, "a function"),
            Err(e) => return Err(e),
        }
    };
    if let (
        Some(Type {
            kind: TypeKind::Named(name),
            ..
        }),
        Kind::Sym('('),
    ) = (&returns, &i.peek().kind)
    {
        // `ping()`: the function name was read as the return type.
        let message = format!(
            "expected a return type (a type or `void`) before the function name `{}`",
            name.name
        );
        return fail(start, message);
    }
    let (i, name) = expect(name, || "a function name").parse(i)?;
    let (i, open) = expect(sym('('), || format!("`(` after `{}`", name.name)).parse(i)?;
    let owner = || format!("the arguments of `{}`", name.name);
    let (i, args) = block(i, open, ')', "an argument", owner, field(0))?;
    let (i, throws) = match keyword("throws")(i) {
        Ok((i, _)) => {
            let (i, open) = expect(sym('('), || "`(` after `throws`").parse(i)?;
            let owner = || format!("the exceptions of `{}`", name.name);
            block(i, open, ')', "an exception", owner, field(0))?
        }
        Err(_) => (i, Vec::new()),
    };
    let (i, annotations) = annotations_opt(i)?;
    let (i, _) = separator(i)?;
    let function = Function {
        oneway: oneway.is_some(),
        returns,
        name,
        args,
        throws,
        doc,
        annotations,
    };
    Ok((i, function))
}
