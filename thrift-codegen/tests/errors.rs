//! The parser's diagnostics as the user sees them: for each broken snippet, the whole
//! rendered error (message, `file:line:col`, the line, the caret), as `Builder::generate`
//! returns it to a build script. These messages are the parser's user interface; a change
//! to one should be a decision, made here.
//!
//! Each snippet is written as `bad.thrift` to a folder of its own under the system's
//! temporary folder, removed at the end.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::{fs, process};

/// Generates code for `source` as `bad.thrift` and compares the rendered error with
/// `expected` (a leading line break is ignored, so the expectation can start on its own
/// line), where `bad.thrift` stands for the path of the file written.
fn check(source: &str, expected: &str) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let expected = expected.strip_prefix('\n').unwrap_or(expected);
    let dir = std::env::temp_dir().join(format!(
        "thrift-codegen-errors-{}-{}",
        process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.thrift");
    fs::write(&path, source).unwrap();
    let result = thrift_codegen::configure()
        .cargo_directives(false)
        .generate(&[&path], &[] as &[&Path]);
    let _ = fs::remove_dir_all(&dir);
    match result {
        Ok(files) => panic!("generated without error: {files:#?}"),
        Err(error) => {
            assert!(
                matches!(&error, thrift_codegen::Error::Idl(d) if d.path() == path),
                "not a diagnostic in bad.thrift: {error:?}"
            );
            let expected =
                expected.replacen("--> bad.thrift:", &format!("--> {}:", path.display()), 1);
            assert_eq!(error.to_string(), expected);
        }
    }
}

#[test]
fn neither_a_field_nor_the_closing_brace() {
    check(
        "struct Point {\n  1: i32 x,\n  , 2: i32 y\n}\n",
        r#"
error: expected `}` or a field, found `,`
 --> bad.thrift:3:3
  |
3 |   , 2: i32 y
  |   ^"#,
    );
}

#[test]
fn name_colon_type_instead_of_id_type_name() {
    check(
        "struct Point {\n  x: i32\n}\n",
        r#"
error: expected a field id like `1:`, found `x`
 --> bad.thrift:2:3
  |
2 |   x: i32
  |   ^"#,
    );
}

#[test]
fn field_id_without_colon() {
    check(
        "struct Point {\n  1 i32 x\n}\n",
        r#"
error: expected `:` after the field id `1`, found keyword `i32`
 --> bad.thrift:2:5
  |
2 |   1 i32 x
  |     ^^^"#,
    );
}

#[test]
fn field_without_name() {
    check(
        "struct Point {\n  1: i32\n}\n",
        r#"
error: expected a field name, found `}`
 --> bad.thrift:3:1
  |
3 | }
  | ^"#,
    );
}

#[test]
fn unterminated_string() {
    check(
        "const string GREETING = \"hello\n",
        r#"
error: unterminated string literal
 --> bad.thrift:1:25
  |
1 | const string GREETING = "hello
  |                         ^^^^^^"#,
    );
}

#[test]
fn unterminated_comment() {
    check(
        "struct Point {}\n/* the end\n",
        r#"
error: unterminated comment
 --> bad.thrift:2:1
  |
2 | /* the end
  | ^^"#,
    );
}

#[test]
fn map_not_closed() {
    check(
        "struct Index {\n  1: map<string, list<i32> entries\n}\n",
        r#"
error: expected `>` to close `map<`, found `entries`
 --> bad.thrift:2:28
  |
2 |   1: map<string, list<i32> entries
  |                            ^^^^^^^"#,
    );
}

#[test]
fn integer_out_of_range() {
    check(
        "const i64 BIG = 9223372036854775808\n",
        r#"
error: integer literal out of range (Thrift integers are signed 64-bit)
 --> bad.thrift:1:17
  |
1 | const i64 BIG = 9223372036854775808
  |                 ^^^^^^^^^^^^^^^^^^^"#,
    );
}

#[test]
fn end_of_file_inside_a_struct() {
    check(
        "namespace rs geo\n\nstruct Point {\n  1: i32 x\n  2: i32 y\n",
        r#"
error: unexpected end of file, expected `}` to close struct `Point` opened at line 3
 --> bad.thrift:5:11
  |
5 |   2: i32 y
  |           ^"#,
    );
}

#[test]
fn misspelled_keyword() {
    check(
        "strcut Point {\n}\n",
        r#"
error: expected `include`, `namespace` or a definition (`const`, `typedef`, `enum`, `struct`, `union`, `exception` or `service`), found `strcut` (did you mean `struct`?)
 --> bad.thrift:1:1
  |
1 | strcut Point {
  | ^^^^^^"#,
    );
}

#[test]
fn header_after_a_definition() {
    check(
        "struct Point {}\ninclude \"shared.thrift\"\n",
        r#"
error: `include` must come before the definitions (the first is `Point`, line 1)
 --> bad.thrift:2:1
  |
2 | include "shared.thrift"
  | ^^^^^^^"#,
    );
}

#[test]
fn annotation_value_not_a_string() {
    check(
        "struct Point {\n  1: i32 x (go.tag = 1)\n}\n",
        r#"
error: expected a string after `go.tag =`, found `1`
 --> bad.thrift:2:22
  |
2 |   1: i32 x (go.tag = 1)
  |                      ^"#,
    );
}

#[test]
fn enum_value_not_an_integer() {
    check(
        "enum Color {\n  RED = 1,\n  GREEN = 2.5\n}\n",
        r#"
error: expected an integer after `GREEN =`, found `2.5`
 --> bad.thrift:3:11
  |
3 |   GREEN = 2.5
  |           ^^^"#,
    );
}

#[test]
fn unknown_escape() {
    check(
        "const string PATH = \"C:\\Windows\"\n",
        r#"
error: unknown escape `\W` in string literal (the escapes are `\n`, `\r`, `\t`, `\"`, `\'` and `\\`)
 --> bad.thrift:1:24
  |
1 | const string PATH = "C:\Windows"
  |                        ^^"#,
    );
}

#[test]
fn unexpected_character_after_a_tab() {
    check(
        "struct Point {\n\t1: i32 @x\n}\n",
        "error: unexpected character `@`\n --> bad.thrift:2:9\n  |\n2 | \t1: i32 @x\n  | \t       ^",
    );
}

#[test]
fn void_field() {
    check(
        "struct Point {\n  1: void x\n}\n",
        r#"
error: expected a type, found keyword `void` (only a function can return `void`)
 --> bad.thrift:2:6
  |
2 |   1: void x
  |      ^^^^"#,
    );
}

#[test]
fn function_without_return_type() {
    check(
        "service Pinger {\n  ping()\n}\n",
        r#"
error: expected a return type (a type or `void`) before the function name `ping`
 --> bad.thrift:2:3
  |
2 |   ping()
  |   ^^^^"#,
    );
}

#[test]
fn function_without_parentheses() {
    check(
        "service Pinger {\n  void ping\n}\n",
        r#"
error: expected `(` after `ping`, found `}`
 --> bad.thrift:3:1
  |
3 | }
  | ^"#,
    );
}

#[test]
fn const_without_equals() {
    check(
        "const i32 ANSWER 42\n",
        r#"
error: expected `=` after `ANSWER`, found `42`
 --> bad.thrift:1:18
  |
1 | const i32 ANSWER 42
  |                  ^^"#,
    );
}

#[test]
fn end_of_file_inside_a_list() {
    check(
        "const list<i32> PRIMES = [2, 3, 5,\n",
        r#"
error: unexpected end of file, expected `]` to close the list opened at line 1
 --> bad.thrift:1:35
  |
1 | const list<i32> PRIMES = [2, 3, 5,
  |                                   ^"#,
    );
}

#[test]
fn semicolon_after_brace() {
    check(
        "struct Point {\n  1: i32 x\n};\n",
        r#"
error: expected a definition (`const`, `typedef`, `enum`, `struct`, `union`, `exception` or `service`), found `;` (no separator goes after the `}` of a definition)
 --> bad.thrift:3:2
  |
3 | };
  |  ^"#,
    );
}

#[test]
fn columns_count_characters() {
    check(
        "const string CAFE = \"café\" + \"au lait\"\n",
        r#"
error: expected a number after `+`
 --> bad.thrift:1:28
  |
1 | const string CAFE = "café" + "au lait"
  |                            ^"#,
    );
}

#[test]
fn keyword_where_a_name_belongs() {
    check(
        "typedef i32\nstruct Point {}\n",
        r#"
error: expected a name after `typedef i32`, found keyword `struct`
 --> bad.thrift:2:1
  |
2 | struct Point {}
  | ^^^^^^"#,
    );
}

#[test]
fn old_namespace_declaration() {
    check(
        "java_package org.example\n",
        r#"
error: `java_package` is no longer supported, write `namespace java <name>` instead
 --> bad.thrift:1:1
  |
1 | java_package org.example
  | ^^^^^^^^^^^^"#,
    );
}

#[test]
fn double_without_fraction_digits() {
    check(
        "const double HALF = 1.\n",
        r#"
error: expected a digit after `1.` (write `1.0`)
 --> bad.thrift:1:22
  |
1 | const double HALF = 1.
  |                      ^"#,
    );
}

#[test]
fn throws_without_parentheses() {
    check(
        "service S {\n  void f() throws E\n}\n",
        r#"
error: expected `(` after `throws`, found `E`
 --> bad.thrift:2:19
  |
2 |   void f() throws E
  |                   ^"#,
    );
}

#[test]
fn end_of_file_inside_arguments() {
    check(
        "service S {\n  void f(1: i32 a,\n",
        r#"
error: unexpected end of file, expected `)` to close the arguments of `f` opened at line 2
 --> bad.thrift:2:19
  |
2 |   void f(1: i32 a,
  |                   ^"#,
    );
}

#[test]
fn sign_without_number() {
    check(
        "enum E {\n  A = -\n}\n",
        r#"
error: expected a number after `-`
 --> bad.thrift:2:7
  |
2 |   A = -
  |       ^"#,
    );
}
