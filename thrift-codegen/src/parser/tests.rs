//! The parser's output for small snippets, asserted whole: every grammar feature, with
//! spans. Error messages are in `tests/errors.rs`; the lexer's details in `lexer.rs`.

use std::path::Path;

use super::{MAX_NESTING, parse};
use crate::ast::*;

fn parse_ok(source: &str) -> Document {
    parse(Path::new("t.thrift"), source).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_err(source: &str) -> String {
    match parse(Path::new("t.thrift"), source) {
        Ok(d) => panic!("parsed: {d:#?}"),
        Err(e) => e.message().to_string(),
    }
}

/// The span of the `n`th (0-based) occurrence of `needle` in `source`.
fn nth(source: &str, needle: &str, n: usize) -> Span {
    let start = source
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("no {n}th {needle:?}"))
        .0;
    Span::new(start, start + needle.len())
}

fn at(source: &str, needle: &str) -> Span {
    nth(source, needle, 0)
}

fn ident(source: &str, name: &str) -> Ident {
    ident_nth(source, name, 0)
}

/// `text` as found inside the first occurrence of `context`, for text that occurs often.
fn within(source: &str, context: &str, text: &str) -> Span {
    let outer = at(source, context);
    let inner = context
        .find(text)
        .unwrap_or_else(|| panic!("{text:?} in {context:?}"));
    Span::new(outer.start + inner, outer.start + inner + text.len())
}

fn ident_within(source: &str, context: &str, name: &str) -> Ident {
    Ident {
        name: name.to_string(),
        span: within(source, context, name),
    }
}

fn ident_nth(source: &str, name: &str, n: usize) -> Ident {
    Ident {
        name: name.to_string(),
        span: nth(source, name, n),
    }
}

/// A type without annotations written at `span`.
fn ty(kind: TypeKind, span: Span) -> Type {
    Type {
        kind,
        annotations: Annotations::default(),
        span,
    }
}

fn base(source: &str, text: &str, n: usize, b: BaseType) -> Type {
    ty(TypeKind::Base(b), nth(source, text, n))
}

fn named(source: &str, text: &str, n: usize) -> Type {
    ty(
        TypeKind::Named(ident_nth(source, text, n)),
        nth(source, text, n),
    )
}

fn annotation(source: &str, text: &str, key: &str, value: &str) -> Annotation {
    Annotation {
        key: key.to_string(),
        value: value.to_string(),
        span: at(source, text),
    }
}

/// A field with defaults for everything but id, type and name; `text` is the whole field.
fn field(source: &str, text: &str, id: Option<i64>, ty: Type, name: Ident) -> Field {
    Field {
        id,
        requiredness: Requiredness::Default,
        ty,
        name,
        default: None,
        reference: false,
        doc: None,
        annotations: Annotations::default(),
        span: at(source, text),
    }
}

fn only_definition(document: Document) -> Definition {
    assert!(document.headers.is_empty(), "{:?}", document.headers);
    assert_eq!(document.definitions.len(), 1, "{:#?}", document.definitions);
    document.definitions.into_iter().next().unwrap()
}

fn only_struct(source: &str) -> Struct {
    match only_definition(parse_ok(source)) {
        Definition::Struct(s) => s,
        other => panic!("{other:#?}"),
    }
}

fn only_const(source: &str) -> Const {
    match only_definition(parse_ok(source)) {
        Definition::Const(c) => c,
        other => panic!("{other:#?}"),
    }
}

fn only_service(source: &str) -> Service {
    match only_definition(parse_ok(source)) {
        Definition::Service(s) => s,
        other => panic!("{other:#?}"),
    }
}

/// The value of `const <ty> X = <value>`.
fn const_value(value: &str) -> (String, ConstValue) {
    let source = format!("const i32 X = {value}");
    let value = only_const(&source).value;
    (source, value)
}

/// What `parse` gives for a good file and a bad one (this was the example in its docs when
/// it was public).
#[test]
fn a_document_or_a_diagnostic() {
    let source = "struct Point {\n  1: i32 x\n  2: i32 y\n}\n";
    let document = parse(Path::new("point.thrift"), source).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(document.definitions.len(), 1);

    let error = parse(Path::new("bad.thrift"), "struct Point {\n  1: i32\n}\n").unwrap_err();
    assert_eq!(
        error.to_string(),
        "error: expected a field name, found `}`\n \
         --> bad.thrift:3:1\n  |\n3 | }\n  | ^"
    );
}

#[test]
fn empty_files() {
    assert_eq!(parse_ok(""), Document::default());
    assert_eq!(
        parse_ok("  // nothing\n# at all\n/* here */\n/** dangling */"),
        Document::default()
    );
}

#[test]
fn headers() {
    let src = "include \"shared.thrift\"\ncpp_include 'vector'\nnamespace rs hello.world\n\
               namespace * all\nnamespace xsd test (uri = 'http://x', flag)\n\
               namespace py.twisted t\n";
    let document = parse_ok(src);
    assert!(document.definitions.is_empty());
    assert_eq!(
        document.headers,
        vec![
            Header::Include {
                path: "shared.thrift".into(),
                span: at(src, "include \"shared.thrift\""),
            },
            Header::CppInclude {
                path: "vector".into(),
                span: at(src, "cpp_include 'vector'"),
            },
            Header::Namespace {
                scope: "rs".into(),
                name: "hello.world".into(),
                annotations: Annotations::default(),
                span: at(src, "namespace rs hello.world"),
            },
            Header::Namespace {
                scope: "*".into(),
                name: "all".into(),
                annotations: Annotations::default(),
                span: at(src, "namespace * all"),
            },
            Header::Namespace {
                scope: "xsd".into(),
                name: "test".into(),
                annotations: Annotations(vec![
                    annotation(src, "uri = 'http://x'", "uri", "http://x"),
                    annotation(src, "flag", "flag", "1"),
                ]),
                span: at(src, "namespace xsd test (uri = 'http://x', flag)"),
            },
            Header::Namespace {
                scope: "py.twisted".into(),
                name: "t".into(),
                annotations: Annotations::default(),
                span: at(src, "namespace py.twisted t"),
            },
        ]
    );
}

#[test]
fn typedefs_with_annotations_and_separators() {
    let src = "typedef i32 (cpp.type = \"long\") MyInt (a = 'b');\ntypedef other.Type Alias,\n\
               typedef list<byte> Bytes";
    let document = parse_ok(src);
    let expected = vec![
        Definition::Typedef(Typedef {
            ty: Type {
                kind: TypeKind::Base(BaseType::I32),
                annotations: Annotations(vec![annotation(
                    src,
                    "cpp.type = \"long\"",
                    "cpp.type",
                    "long",
                )]),
                span: at(src, "i32"),
            },
            name: ident(src, "MyInt"),
            doc: None,
            annotations: Annotations(vec![annotation(src, "a = 'b'", "a", "b")]),
        }),
        Definition::Typedef(Typedef {
            ty: named(src, "other.Type", 0),
            name: ident(src, "Alias"),
            doc: None,
            annotations: Annotations::default(),
        }),
        Definition::Typedef(Typedef {
            ty: ty(
                TypeKind::List(Box::new(base(src, "byte", 0, BaseType::I8))),
                at(src, "list<byte>"),
            ),
            name: ident(src, "Bytes"),
            doc: None,
            annotations: Annotations::default(),
        }),
    ];
    assert_eq!(document.definitions, expected);
}

#[test]
fn enums_with_implicit_explicit_hex_and_negative_values() {
    let src = "/** Colors. */\nenum Color {\n  RED,\n  /** The second. */\n  GREEN = 0x10;\n  \
               BLUE = -3 (deprecated = \"yes\")\n  ALPHA\n} (cpp.name = 'C')";
    let value = |name: &str, value: Option<i64>| EnumValue {
        name: ident(src, name),
        value,
        doc: None,
        annotations: Annotations::default(),
    };
    let expected = Definition::Enum(Enum {
        name: ident_within(src, "enum Color", "Color"),
        values: vec![
            value("RED", None),
            EnumValue {
                doc: Some("The second.".into()),
                ..value("GREEN", Some(16))
            },
            EnumValue {
                annotations: Annotations(vec![annotation(
                    src,
                    "deprecated = \"yes\"",
                    "deprecated",
                    "yes",
                )]),
                ..value("BLUE", Some(-3))
            },
            value("ALPHA", None),
        ],
        doc: Some("Colors.".into()),
        annotations: Annotations(vec![annotation(src, "cpp.name = 'C'", "cpp.name", "C")]),
    });
    assert_eq!(only_definition(parse_ok(src)), expected);
    // An empty enum is allowed, as in Apache.
    let src = "enum Empty {}";
    assert_eq!(
        only_definition(parse_ok(src)),
        Definition::Enum(Enum {
            name: ident(src, "Empty"),
            values: vec![],
            doc: None,
            annotations: Annotations::default(),
        })
    );
}

#[test]
fn senums() {
    let src = "senum Names { \"a\", 'b'; \"c\" } (x = \"y\")";
    assert_eq!(
        only_definition(parse_ok(src)),
        Definition::Senum(Senum {
            name: ident(src, "Names"),
            values: vec!["a".into(), "b".into(), "c".into()],
            doc: None,
            annotations: Annotations(vec![annotation(src, "x = \"y\"", "x", "y")]),
        })
    );
}

#[test]
fn integer_constants() {
    for (text, expected) in [
        ("42", 42),
        ("-7", -7),
        ("+7", 7),
        ("0x7fffffff", 0x7fff_ffff),
        ("-0x10", -16),
        ("9223372036854775807", i64::MAX),
        ("-9223372036854775808", i64::MIN),
        ("true", 1),
        ("false", 0),
    ] {
        let (src, value) = const_value(text);
        assert_eq!(value, ConstValue::Int(expected, at(&src, text)), "{text}");
    }
}

#[test]
fn double_constants() {
    for (text, expected) in [
        ("1.0", 1.0),
        ("1e10", 1e10),
        ("-2E-3", -2e-3),
        (".5", 0.5),
        ("+1.5e+2", 150.0),
        ("0.0", 0.0),
    ] {
        let (src, value) = const_value(text);
        assert_eq!(
            value,
            ConstValue::Double(expected, at(&src, text)),
            "{text}"
        );
    }
}

#[test]
fn string_and_identifier_constants() {
    let (src, value) = const_value("\"say \\\"hi\\\"\\n\"");
    assert_eq!(
        value,
        ConstValue::Literal("say \"hi\"\n".into(), Span::new(14, src.len()))
    );
    let (src, value) = const_value("'say \"hi\"'");
    assert_eq!(
        value,
        ConstValue::Literal("say \"hi\"".into(), Span::new(14, src.len()))
    );
    let src = "const Color C = shared.Color.RED";
    assert_eq!(
        only_const(src).value,
        ConstValue::Identifier(ident(src, "shared.Color.RED"))
    );
}

#[test]
fn list_set_and_map_constants() {
    let src = "const map<string, list<i32>> M = { 'a': [1, 2; 3], \"b\": [] ; c: {} }";
    let c = only_const(src);
    let int = |text: &str| {
        let span = within(src, "[1, 2; 3]", text);
        ConstValue::Int(text.parse().unwrap(), span)
    };
    assert_eq!(
        c.value,
        ConstValue::Map(
            vec![
                (
                    ConstValue::Literal("a".into(), at(src, "'a'")),
                    ConstValue::List(vec![int("1"), int("2"), int("3")], at(src, "[1, 2; 3]")),
                ),
                (
                    ConstValue::Literal("b".into(), at(src, "\"b\"")),
                    ConstValue::List(vec![], at(src, "[]")),
                ),
                (
                    ConstValue::Identifier(ident_within(src, "; c:", "c")),
                    ConstValue::Map(vec![], at(src, "{}")),
                ),
            ],
            Span::new(at(src, "{ 'a'").start, src.len()),
        )
    );
    assert_eq!(
        c.ty,
        ty(
            TypeKind::Map(
                Box::new(base(src, "string", 0, BaseType::String)),
                Box::new(ty(
                    TypeKind::List(Box::new(base(src, "i32", 0, BaseType::I32))),
                    at(src, "list<i32>"),
                )),
            ),
            at(src, "map<string, list<i32>>"),
        )
    );
}

#[test]
fn set_constants_use_the_list_syntax() {
    let src = "const set<string> S = [\"a\", 'b']";
    let c = only_const(src);
    assert_eq!(
        c.ty,
        ty(
            TypeKind::Set(Box::new(base(src, "string", 0, BaseType::String))),
            at(src, "set<string>"),
        )
    );
    assert_eq!(
        c.value,
        ConstValue::List(
            vec![
                ConstValue::Literal("a".into(), at(src, "\"a\"")),
                ConstValue::Literal("b".into(), at(src, "'b'")),
            ],
            at(src, "[\"a\", 'b']"),
        )
    );
}

#[test]
fn what_apache_rejects_is_rejected() {
    // `xsd_all` is for structs and unions only.
    assert_eq!(
        parse_err("exception E xsd_all {}"),
        "expected `{` after exception `E`, found keyword `xsd_all`"
    );
    // A named type has no annotations (they belong on its definition).
    assert_eq!(
        parse_err("struct S { 1: Other (a = 'b') x }"),
        "expected a field name, found `(`"
    );
    // No separator after headers or after the `}` of a definition.
    assert_eq!(
        parse_err("include 'a.thrift';"),
        "expected `include`, `namespace` or a definition (`const`, `typedef`, `enum`, \
         `struct`, `union`, `exception` or `service`), found `;`"
    );
    // `true` and `false` are literals, not names.
    assert_eq!(
        parse_err("enum E { true }"),
        "expected `}` or an enum value, found keyword `true`"
    );
}

#[test]
fn struct_literal_constants_and_const_annotations() {
    let src = "/** A point. */\nconst Point ORIGIN = { \"x\": 0, \"y\": 1.5 } (deprecated);";
    let c = only_const(src);
    assert_eq!(
        c,
        Const {
            ty: named(src, "Point", 0),
            name: ident(src, "ORIGIN"),
            value: ConstValue::Map(
                vec![
                    (
                        ConstValue::Literal("x".into(), at(src, "\"x\"")),
                        ConstValue::Int(0, at(src, "0")),
                    ),
                    (
                        ConstValue::Literal("y".into(), at(src, "\"y\"")),
                        ConstValue::Double(1.5, at(src, "1.5")),
                    ),
                ],
                at(src, "{ \"x\": 0, \"y\": 1.5 }"),
            ),
            doc: Some("A point.".into()),
            annotations: Annotations(vec![annotation(src, "deprecated", "deprecated", "1")]),
        }
    );
}

#[test]
fn every_base_type() {
    let src = "struct All { 1: bool a 2: byte b 3: i8 c 4: i16 d 5: i32 e 6: i64 f 7: double g \
               8: string h 9: binary i 10: uuid j 11: slist k }";
    let kinds: Vec<TypeKind> = only_struct(src)
        .fields
        .into_iter()
        .map(|f| f.ty.kind)
        .collect();
    use BaseType::*;
    let expected: Vec<TypeKind> = [
        Bool, I8, I8, I16, I32, I64, Double, String, Binary, Uuid, String,
    ]
    .into_iter()
    .map(TypeKind::Base)
    .collect();
    assert_eq!(kinds, expected);
}

#[test]
fn nested_containers_with_cpp_type_and_annotations() {
    let src = "typedef map cpp_type \"std::unordered_map\" <set<list<i8>>, list<map<i32,string>> \
               cpp_type 'std::deque' (x = \"y\")> (cpp.template = \"T\") Nested";
    let Definition::Typedef(t) = only_definition(parse_ok(src)) else {
        panic!()
    };
    let cpp = |text: &str, value: &str| annotation(src, text, "cpp_type", value);
    let inner_list = Type {
        kind: TypeKind::List(Box::new(ty(
            TypeKind::Map(
                Box::new(base(src, "i32", 0, BaseType::I32)),
                Box::new(base(src, "string", 0, BaseType::String)),
            ),
            at(src, "map<i32,string>"),
        ))),
        annotations: Annotations(vec![
            cpp("cpp_type 'std::deque'", "std::deque"),
            annotation(src, "x = \"y\"", "x", "y"),
        ]),
        span: at(src, "list<map<i32,string>> cpp_type 'std::deque'"),
    };
    let key = ty(
        TypeKind::Set(Box::new(ty(
            TypeKind::List(Box::new(base(src, "i8", 0, BaseType::I8))),
            at(src, "list<i8>"),
        ))),
        at(src, "set<list<i8>>"),
    );
    let expected = Type {
        kind: TypeKind::Map(Box::new(key), Box::new(inner_list)),
        annotations: Annotations(vec![
            cpp("cpp_type \"std::unordered_map\"", "std::unordered_map"),
            annotation(src, "cpp.template = \"T\"", "cpp.template", "T"),
        ]),
        span: Span::new(
            at(src, "map cpp_type").start,
            within(src, "> (cpp", ">").end,
        ),
    };
    assert_eq!(t.ty, expected);
    assert_eq!(t.name, ident(src, "Nested"));
}

#[test]
fn containers_nest_to_the_limit() {
    let deep = |n: usize| format!("typedef {}i32{} T", "list<".repeat(n), ">".repeat(n));
    parse_ok(&deep(MAX_NESTING));
    assert_eq!(
        parse_err(&deep(MAX_NESTING + 1)),
        format!("types are nested too deeply (more than {MAX_NESTING} levels)")
    );
    let deep = |n: usize| format!("const list<i32> L = {}1{}", "[".repeat(n), "]".repeat(n));
    parse_ok(&deep(MAX_NESTING));
    assert_eq!(
        parse_err(&deep(MAX_NESTING + 1)),
        format!("constants are nested too deeply (more than {MAX_NESTING} levels)")
    );
}

#[test]
fn fields_with_every_part() {
    let src = "struct S {\n  /** Doc. */\n  1: required i32 a = 5 (x = \"y\"),\n  \
               -2: optional Other & b;\n  string c = 'd'\n  \
               4: list<i8> d xsd_optional xsd_nillable xsd_attrs { 1: i32 attr } (e)\n}";
    let s = only_struct(src);
    let expected = vec![
        Field {
            requiredness: Requiredness::Required,
            default: Some(ConstValue::Int(5, at(src, "5"))),
            doc: Some("Doc.".into()),
            annotations: Annotations(vec![annotation(src, "x = \"y\"", "x", "y")]),
            ..field(
                src,
                "1: required i32 a = 5 (x = \"y\")",
                Some(1),
                base(src, "i32", 0, BaseType::I32),
                ident_within(src, "i32 a =", "a"),
            )
        },
        Field {
            requiredness: Requiredness::Optional,
            reference: true,
            ..field(
                src,
                "-2: optional Other & b",
                Some(-2),
                named(src, "Other", 0),
                ident(src, "b"),
            )
        },
        Field {
            default: Some(ConstValue::Literal("d".into(), at(src, "'d'"))),
            ..field(
                src,
                "string c = 'd'",
                None,
                base(src, "string", 0, BaseType::String),
                ident_within(src, "string c", "c"),
            )
        },
        Field {
            annotations: Annotations(vec![Annotation {
                key: "e".into(),
                value: "1".into(),
                span: within(src, "(e)", "e"),
            }]),
            ..field(
                src,
                "4: list<i8> d xsd_optional xsd_nillable xsd_attrs { 1: i32 attr } (e)",
                Some(4),
                ty(
                    TypeKind::List(Box::new(base(src, "i8", 0, BaseType::I8))),
                    at(src, "list<i8>"),
                ),
                ident_within(src, "d xsd", "d"),
            )
        },
    ];
    assert_eq!(s.fields, expected);
}

#[test]
fn keywords_name_fields_as_in_apache_head() {
    let src = "struct Thrift5626 { 1: i8 i8 2: uuid uuid 3: list<string> list 4: map<i8,i8> map \
               5: bool required 6: i32 struct }";
    let names: Vec<String> = only_struct(src)
        .fields
        .into_iter()
        .map(|f| f.name.name)
        .collect();
    assert_eq!(
        names,
        ["i8", "uuid", "list", "map", "required", "struct"].map(String::from)
    );
}

#[test]
fn language_keywords_are_names() {
    let src = "struct class { 1: i32 from 2: self def } service import { void yield(1: i32 in) }";
    let document = parse_ok(src);
    assert_eq!(document.definitions.len(), 2);
}

#[test]
fn structs_unions_exceptions_and_xsd_all() {
    let src = "struct A xsd_all { } (a)\nunion U { 1: i32 x; 2: string y, }\nexception E {}";
    let document = parse_ok(src);
    let kinds: Vec<(StructKind, String, usize, usize)> = document
        .definitions
        .iter()
        .map(|d| match d {
            Definition::Struct(s) => (
                s.kind,
                s.name.name.clone(),
                s.fields.len(),
                s.annotations.0.len(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (StructKind::Struct, "A".into(), 0, 1),
            (StructKind::Union, "U".into(), 2, 0),
            (StructKind::Exception, "E".into(), 0, 0),
        ]
    );
}

#[test]
fn services_with_extends_oneway_throws_and_annotations() {
    let src = "/** The service. */\nservice Calc extends shared.Base {\n  /** Adds. */\n  \
               i32 add(1: i32 a, 2: i32 b) throws (1: Oops e) (x = \"y\"),\n  \
               oneway void ping();\n  async void old()\n  map<i32,i32> m(i32 k) \n} (s = 't')";
    let s = only_service(src);
    let function = |name: &str, returns: Option<Type>| Function {
        oneway: false,
        returns,
        name: ident_within(src, &format!(" {name}("), name),
        args: vec![],
        throws: vec![],
        doc: None,
        annotations: Annotations::default(),
    };
    let i32_at = |n| base(src, "i32", n, BaseType::I32);
    let expected = Service {
        name: ident(src, "Calc"),
        extends: Some(ident(src, "shared.Base")),
        functions: vec![
            Function {
                args: vec![
                    field(
                        src,
                        "1: i32 a",
                        Some(1),
                        i32_at(1),
                        ident_within(src, "i32 a,", "a"),
                    ),
                    field(
                        src,
                        "2: i32 b",
                        Some(2),
                        i32_at(2),
                        ident_within(src, "i32 b)", "b"),
                    ),
                ],
                throws: vec![field(
                    src,
                    "1: Oops e",
                    Some(1),
                    named(src, "Oops", 0),
                    ident_within(src, "Oops e", "e"),
                )],
                doc: Some("Adds.".into()),
                annotations: Annotations(vec![annotation(src, "x = \"y\"", "x", "y")]),
                ..function("add", Some(i32_at(0)))
            },
            Function {
                oneway: true,
                ..function("ping", None)
            },
            Function {
                oneway: true,
                ..function("old", None)
            },
            Function {
                args: vec![field(
                    src,
                    "i32 k",
                    None,
                    i32_at(5),
                    ident_within(src, "i32 k", "k"),
                )],
                ..function(
                    "m",
                    Some(ty(
                        TypeKind::Map(Box::new(i32_at(3)), Box::new(i32_at(4))),
                        at(src, "map<i32,i32>"),
                    )),
                )
            },
        ],
        doc: Some("The service.".into()),
        annotations: Annotations(vec![annotation(src, "s = 't'", "s", "t")]),
    };
    assert_eq!(s, expected);
}

#[test]
fn doc_comments_attach_to_the_next_item_only() {
    let src = "/** File. */\nnamespace rs x\n/** Lost: a comment is between. */ // plain\n\
               /* block */\n/** Kept. */\nstruct A {\n  1: i32 a /** Not a's. */\n  2: i32 b\n  \
               /** Dangling. */\n}\nstruct B {}";
    let document = parse_ok(src);
    let structs: Vec<&Struct> = document
        .definitions
        .iter()
        .map(|d| match d {
            Definition::Struct(s) => s,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(structs[0].doc.as_deref(), Some("Kept."));
    assert_eq!(structs[0].fields[0].doc, None);
    assert_eq!(structs[0].fields[1].doc.as_deref(), Some("Not a's."));
    assert_eq!(structs[1].doc, None);
}

#[test]
fn separators_everywhere_they_are_optional() {
    let src = "const i32 A = 1; const i32 B = 2, typedef i32 C; enum E { X; Y, Z } \
               struct S { 1: i32 a; 2: i32 b, 3: i32 c (k = 'v'; l = 'w',) } \
               service V { void f(1: i32 a; 2: i32 b,); void g(), void h() }";
    let document = parse_ok(src);
    assert_eq!(document.definitions.len(), 6);
}

#[test]
fn comments_of_every_kind() {
    let src = "# unix\n// c++\n/* block\n * more */ struct /* inside */ A { // trailing\n} # end";
    assert_eq!(only_struct(src).name, ident(src, "A"));
}

#[test]
fn windows_line_ends_and_byte_order_mark() {
    let src = "\u{feff}/**\r\n * Doc.\r\n */\r\nstruct A {\r\n  1: i32 a\r\n}\r\n";
    let s = only_struct(src);
    assert_eq!(s.doc.as_deref(), Some("Doc."));
    assert_eq!(s.fields[0].span, at(src, "1: i32 a"));
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The parser must return (never panic, never overflow) on any input, and its diagnostic
/// must point inside the text.
fn check_no_panic(source: &str) {
    if let Err(d) = parse(Path::new("fuzz.thrift"), source) {
        let lines: Vec<&str> = source.split('\n').collect();
        assert!(d.line() >= 1 && d.line() <= lines.len(), "{d}\n{source:?}");
        let width = lines[d.line() - 1].chars().count();
        assert!(
            d.column() >= 1 && d.column() <= width + 1,
            "{d}\n{source:?}"
        );
        assert!(!d.message().is_empty());
        let _ = d.to_string();
    }
}

#[test]
fn random_token_soup_never_panics() {
    const PIECES: &[&str] = &[
        "struct",
        "union",
        "exception",
        "enum",
        "senum",
        "service",
        "const",
        "typedef",
        "include",
        "namespace",
        "extends",
        "throws",
        "oneway",
        "void",
        "required",
        "optional",
        "map",
        "list",
        "set",
        "i32",
        "string",
        "cpp_type",
        "xsd_attrs",
        "xsd_all",
        "A",
        "b.c",
        "1",
        "-2",
        "0x",
        "0x1F",
        "1.5",
        ".5",
        "1e",
        "-",
        "+",
        "\"s\"",
        "'t'",
        "\"",
        "'",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "<",
        ">",
        ",",
        ";",
        ":",
        "=",
        "*",
        "&",
        "/*",
        "*/",
        "/**",
        "//",
        "#",
        "\n",
        " ",
        "\t",
        "é",
        "\\",
        "@",
        ".",
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for _ in 0..3000 {
        let len = rng.below(40);
        let source: String = (0..len)
            .map(|_| {
                let piece = PIECES[rng.below(PIECES.len())];
                if rng.below(3) == 0 {
                    piece.to_string()
                } else {
                    format!("{piece} ")
                }
            })
            .collect();
        check_no_panic(&source);
    }
}

#[test]
fn mutated_idl_never_panics() {
    let original = "namespace rs demo\ninclude \"shared.thrift\"\n/** Doc. */\n\
                    enum E { A = 1, B }\nconst map<string, list<i32>> M = { 'a': [1, 2] }\n\
                    struct S { 1: required i32 x = 0x10 (a = 'b'); 2: optional list<S> & y }\n\
                    service V extends shared.Base { oneway void f(1: i32 a) throws (1: X e) }\n";
    let mut rng = Rng(0xfeed_0042_cafe_0007);
    for _ in 0..3000 {
        let mut bytes = original.as_bytes().to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, b"{}()<>[],;:=\"'/*x1.-"[rng.below(20)]),
                _ => {
                    let other = rng.below(bytes.len());
                    bytes.swap(at, other);
                }
            }
        }
        check_no_panic(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn nesting_depth_counts_every_kind_together() {
    // Half the budget in `xsd_attrs`, the rest in the innermost field's type and value.
    let outer = MAX_NESTING / 2;
    let source = |inner: usize, value: usize| {
        format!(
            "struct S {{ {} 1: {}i32{} x = {}1{} {} }}",
            "1: i32 x xsd_attrs { ".repeat(outer),
            "list<".repeat(inner),
            ">".repeat(inner),
            "[".repeat(value),
            "]".repeat(value),
            "}".repeat(outer)
        )
    };
    let rest = MAX_NESTING - outer;
    parse_ok(&source(rest, rest));
    assert_eq!(
        parse_err(&source(rest + 1, 0)),
        format!("types are nested too deeply (more than {MAX_NESTING} levels)")
    );
    assert_eq!(
        parse_err(&source(0, rest + 1)),
        format!("constants are nested too deeply (more than {MAX_NESTING} levels)")
    );
    assert_eq!(
        parse_err(&format!(
            "struct S {{ {} }}",
            "1: i32 x xsd_attrs { ".repeat(MAX_NESTING + 1)
        )),
        format!("`xsd_attrs` are nested too deeply (more than {MAX_NESTING} levels)")
    );
}

#[test]
fn deep_nesting_of_every_kind_is_bounded() {
    // Far past the limit: an error, not a stack overflow.
    check_no_panic(&format!("typedef {} T", "map<".repeat(10_000)));
    check_no_panic(&format!("const i32 X = {}", "{[".repeat(10_000)));
    check_no_panic(&format!(
        "struct S {{ {} }}",
        "1: i32 x xsd_attrs { ".repeat(10_000)
    ));
}
