//! Types, constant values and annotations: the pieces that fields, typedefs and consts share.

use nom::Parser;
use nom::combinator::opt;
use nom::sequence::preceded;

use super::MAX_NESTING;
use super::input::{
    PResult, Tokens, any_word, block, expect, fail, is_keyword, keyword, literal, separator, soft,
    sym,
};
use super::lexer::Kind;
use crate::ast::{Annotation, Annotations, BaseType, ConstValue, Ident, Span, Type, TypeKind};

/// A field type: a base type or a container, then its annotations, or a named type.
/// `depth` is how deeply it is nested already (see [`MAX_NESTING`]).
pub(super) fn field_type<'a>(depth: usize) -> impl FnMut(Tokens<'a>) -> PResult<'a, Type> {
    move |i: Tokens<'a>| {
        let token = i.peek();
        if token.kind != Kind::Word {
            return soft(i, "a type");
        }
        let base = |b| Ok((i.next(), (TypeKind::Base(b), Vec::new())));
        let (rest, (kind, mut annotations)) = match token.text {
            "bool" => base(BaseType::Bool),
            "byte" | "i8" => base(BaseType::I8),
            "i16" => base(BaseType::I16),
            "i32" => base(BaseType::I32),
            "i64" => base(BaseType::I64),
            "double" => base(BaseType::Double),
            // `slist` was Apache's legacy spelling of `string`.
            "string" | "slist" => base(BaseType::String),
            "binary" => base(BaseType::Binary),
            "uuid" => base(BaseType::Uuid),
            "map" | "list" | "set" => container(i, depth),
            word if is_keyword(word) => soft(i, "a type"),
            _ => Ok((
                i.next(),
                (
                    TypeKind::Named(Ident {
                        name: token.text.to_string(),
                        span: token.span,
                    }),
                    Vec::new(),
                ),
            )),
        }?;
        let span = Span::new(token.span.start, rest.prev_end());
        // As in Apache, a named type has no annotations of its own (its definition has):
        // `Foo (` is more likely a function without a return type.
        let (rest, more) = match kind {
            TypeKind::Named(_) => (rest, Annotations::default()),
            _ => annotations_opt(rest)?,
        };
        annotations.extend(more.0);
        let ty = Type {
            kind,
            annotations: Annotations(annotations),
            span,
        };
        Ok((rest, ty))
    }
}

/// `map<K, V>`, `set<T>` or `list<T>`, each with the legacy `cpp_type "..."` clause (before
/// the `<`, and also after the `>` for lists, as Apache 0.17 wrote it). The clauses are kept
/// as `cpp_type` annotations.
fn container(i: Tokens<'_>, depth: usize) -> PResult<'_, (TypeKind, Vec<Annotation>)> {
    if depth >= MAX_NESTING {
        return fail(
            i,
            format!("types are nested too deeply (more than {MAX_NESTING} levels)"),
        );
    }
    let token = i.peek();
    let which = token.text;
    let open_name = || format!("`{which}<`");
    let mut cpp_types = Vec::new();
    let (i, cpp) = opt(cpp_type).parse(i.next())?;
    cpp_types.extend(cpp);
    let (i, _) = expect(sym('<'), || format!("`<` after `{which}`")).parse(i)?;
    let element = |what: &'static str| {
        expect(field_type(depth + 1), move || {
            format!("the {what} type of {}", open_name())
        })
    };
    let (i, kind) = if which == "map" {
        let (i, key) = element("key").parse(i)?;
        let between = || format!("`,` between the key and value types of {}", open_name());
        let (i, _) = expect(sym(','), between).parse(i)?;
        let (i, value) = element("value").parse(i)?;
        (i, TypeKind::Map(Box::new(key), Box::new(value)))
    } else {
        let (i, element) = element("element").parse(i)?;
        let element = Box::new(element);
        let kind = if which == "set" {
            TypeKind::Set(element)
        } else {
            TypeKind::List(element)
        };
        (i, kind)
    };
    let (mut i, _) = expect(sym('>'), || format!("`>` to close {}", open_name())).parse(i)?;
    if which == "list" {
        let (rest, cpp) = opt(cpp_type).parse(i)?;
        cpp_types.extend(cpp);
        i = rest;
    }
    Ok((i, (kind, cpp_types)))
}

/// `cpp_type "std::vector<int>"`.
fn cpp_type(i: Tokens<'_>) -> PResult<'_, Annotation> {
    let (i, start) = keyword("cpp_type")(i)?;
    let (i, (value, end)) = expect(literal, || "a C++ type in quotes after `cpp_type`").parse(i)?;
    let annotation = Annotation {
        key: "cpp_type".to_string(),
        value,
        span: Span::new(start.start, end.end),
    };
    Ok((i, annotation))
}

/// A constant value: a number, a string, a name, `[ values ]` or `{ key: value }`.
/// `depth` is how deeply it is nested already (see [`MAX_NESTING`]).
pub(super) fn const_value<'a>(depth: usize) -> impl FnMut(Tokens<'a>) -> PResult<'a, ConstValue> {
    move |i: Tokens<'a>| {
        let token = i.peek();
        let span = token.span;
        let value = match &token.kind {
            Kind::Int(v) => ConstValue::Int(*v, span),
            Kind::Double(v) => ConstValue::Double(*v, span),
            Kind::Str(s) => ConstValue::Literal(s.clone(), span),
            Kind::Word if token.text == "true" => ConstValue::Int(1, span),
            Kind::Word if token.text == "false" => ConstValue::Int(0, span),
            Kind::Word if !is_keyword(token.text) => ConstValue::Identifier(Ident {
                name: token.text.to_string(),
                span,
            }),
            Kind::Sym(c @ ('[' | '{')) => {
                if depth >= MAX_NESTING {
                    return fail(
                        i,
                        format!("constants are nested too deeply (more than {MAX_NESTING} levels)"),
                    );
                }
                return if *c == '[' {
                    const_list(i, depth)
                } else {
                    const_map(i, depth)
                };
            }
            _ => return soft(i, "a constant value"),
        };
        Ok((i.next(), value))
    }
}

/// `[ a, b; c ]`: the separators are optional.
fn const_list(i: Tokens<'_>, depth: usize) -> PResult<'_, ConstValue> {
    let open = i.peek().span;
    let element = (const_value(depth + 1), separator).map(|(v, _)| v);
    let owner = || "the list".to_string();
    let (i, values) = block(i.next(), open, ']', "a list element", owner, element)?;
    Ok((
        i,
        ConstValue::List(values, Span::new(open.start, i.prev_end())),
    ))
}

/// `{ k: v, ... }`, also struct literals `{ "field": value }`.
fn const_map(i: Tokens<'_>, depth: usize) -> PResult<'_, ConstValue> {
    let open = i.peek().span;
    let entry = |i| {
        let (i, key) = const_value(depth + 1)(i)?;
        let (i, _) = expect(sym(':'), || "`:` after the map key").parse(i)?;
        let (i, value) = expect(const_value(depth + 1), || "a value after `:`").parse(i)?;
        let (i, _) = separator(i)?;
        Ok((i, (key, value)))
    };
    let owner = || "the map".to_string();
    let (i, entries) = block(i.next(), open, '}', "a map key", owner, entry)?;
    Ok((
        i,
        ConstValue::Map(entries, Span::new(open.start, i.prev_end())),
    ))
}

/// `( key = "value", flag; other = 'v' )`, or nothing.
pub(super) fn annotations_opt(i: Tokens<'_>) -> PResult<'_, Annotations> {
    let open = i.peek().span;
    if sym('(')(i).is_err() {
        return Ok((i, Annotations::default()));
    }
    let owner = || "the annotations".to_string();
    let (i, list) = block(i.next(), open, ')', "an annotation", owner, annotation)?;
    Ok((i, Annotations(list)))
}

/// `key = "value"` or `key` (which means `key = "1"`, as in Apache's compiler).
fn annotation(i: Tokens<'_>) -> PResult<'_, Annotation> {
    let (i, key) = any_word(i)?;
    let what = || format!("a string after `{} =`", key.name);
    let (i, value) = opt(preceded(sym('='), expect(literal, what))).parse(i)?;
    let annotation = Annotation {
        value: value.map_or_else(|| "1".to_string(), |(v, _)| v),
        span: Span::new(key.span.start, i.prev_end()),
        key: key.name,
    };
    let (i, _) = separator(i)?;
    Ok((i, annotation))
}
