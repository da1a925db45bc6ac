//! IDL warnings as the user sees them: for each snippet that Apache's compiler warns about,
//! the whole rendered warning (message, `file:line:col`, the line, the caret). Code is
//! still generated. `Builder::compile` prints these as `cargo:warning` lines from a build
//! script (see `build_script.rs`) and on stderr from the `thrift-codegen` binary (see
//! `cli.rs`).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::{fs, process};

/// Generates code for `source` as `odd.thrift` and returns its rendered warnings, with the
/// file's path written `odd.thrift`.
fn warnings(source: &str) -> Vec<String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "thrift-codegen-warnings-{}-{}",
        process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("odd.thrift");
    fs::write(&path, source).unwrap();
    let result = thrift_codegen::configure()
        .cargo_directives(false)
        .generate(&[&path], &[] as &[&Path]);
    let _ = fs::remove_dir_all(&dir);
    let files = result.unwrap_or_else(|e| panic!("{e}"));
    files
        .iter()
        .flat_map(|f| &f.warnings)
        .map(|w| {
            assert!(w.is_warning(), "{w}");
            w.to_string()
                .replace(&format!("{}:", path.display()), "odd.thrift:")
        })
        .collect()
}

/// `source` gives exactly the warning `expected` (a leading line break is ignored).
fn check(source: &str, expected: &str) {
    let expected = expected.strip_prefix('\n').unwrap_or(expected);
    assert_eq!(warnings(source), [expected]);
}

#[test]
fn field_without_an_id() {
    check(
        "struct Point {\n  1: i32 x,\n  i32 y,\n}\n",
        r#"
warning: field `y` of `Point` has no id: it gets the implicit id -1, which changes when a field without an id is added before it (write one, like `1:`)
 --> odd.thrift:3:3
  |
3 |   i32 y,
  |   ^^^^^"#,
    );
}

#[test]
fn argument_without_an_id() {
    check(
        "service S {\n  void f(1: i32 a, string b)\n}\n",
        r#"
warning: argument `b` of `S.f` has no id: it gets the implicit id -1, which changes when an argument without an id is added before it (write one, like `1:`)
 --> odd.thrift:2:20
  |
2 |   void f(1: i32 a, string b)
  |                    ^^^^^^^^"#,
    );
}

#[test]
fn field_id_zero() {
    check(
        "struct Point {\n  0: i32 x,\n  1: i32 y,\n}\n",
        r#"
warning: the id 0 of field `x` of `Point` is not positive, so it is ignored and the field gets the implicit id -1, as with Apache's compiler (ids go from 1 to 32767)
 --> odd.thrift:2:3
  |
2 |   0: i32 x,
  |   ^"#,
    );
}

#[test]
fn negative_field_id() {
    check(
        "struct Point {\n  -3: i32 x,\n}\n",
        r#"
warning: the id -3 of field `x` of `Point` is not positive, so it is ignored and the field gets the implicit id -1, as with Apache's compiler (ids go from 1 to 32767)
 --> odd.thrift:2:3
  |
2 |   -3: i32 x,
  |   ^^"#,
    );
}

#[test]
fn optional_argument() {
    check(
        "service S {\n  void f(1: optional i32 limit)\n}\n",
        r#"
warning: `optional` is ignored in an argument list: argument `limit` of `S.f` is always sent, as with Apache's compiler
 --> odd.thrift:2:13
  |
2 |   void f(1: optional i32 limit)
  |             ^^^^^^^^"#,
    );
}

#[test]
fn optional_exception() {
    check(
        "exception E {}\nservice S {\n  void f() throws (1: optional E e)\n}\n",
        r#"
warning: `optional` is ignored in a throws list, as with Apache's compiler
 --> odd.thrift:3:23
  |
3 |   void f() throws (1: optional E e)
  |                       ^^^^^^^^"#,
    );
}

#[test]
fn byte_once_per_file() {
    check(
        "typedef byte Small\nstruct S {\n  1: byte a,\n  2: map<byte, i8> m,\n}\n",
        r#"
warning: `byte` is an old name of `i8`, kept for compatibility: write `i8`, which says that the type is signed (here and 2 more times in this file)
 --> odd.thrift:1:9
  |
1 | typedef byte Small
  |         ^^^^"#,
    );
}

#[test]
fn list_of_i8() {
    check(
        "struct Blob {\n  1: list<i8> data,\n}\n",
        r#"
warning: consider `binary` instead of `list<i8>`: it holds the same bytes as one value (`Bytes` in Rust, not a `Vec<i8>`), though on the wire it is not a list
 --> odd.thrift:2:6
  |
2 |   1: list<i8> data,
  |      ^^^^^^^^"#,
    );
}

#[test]
fn warnings_come_in_the_order_of_the_text() {
    let all = warnings("struct A {\n  i32 x,\n  0: list<i8> y,\n}\n");
    let places: Vec<&str> = all
        .iter()
        .map(|w| w.lines().nth(1).unwrap().trim())
        .collect();
    assert_eq!(
        places,
        [
            "--> odd.thrift:2:3",
            "--> odd.thrift:3:3",
            "--> odd.thrift:3:6"
        ]
    );
}

#[test]
fn clean_idl_has_no_warning() {
    assert_eq!(
        warnings(
            "struct A {\n  1: i32 x,\n  2: optional binary y,\n}\nservice S {\n  void f(1: required i32 a)\n}\n"
        ),
        Vec::<String>::new()
    );
}

#[test]
fn an_optional_argument_is_generated_as_a_plain_one() {
    let dir = std::env::temp_dir().join(format!("thrift-codegen-warnings-arg-{}", process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("odd.thrift");
    fs::write(&path, "service S {\n  void f(1: optional i32 limit)\n}\n").unwrap();
    let files = thrift_codegen::configure()
        .generate(&[&path], &[] as &[&Path])
        .unwrap();
    let _ = fs::remove_dir_all(&dir);
    assert!(files[0].code.contains("limit: i32,"), "{}", files[0].code);
    assert!(!files[0].code.contains("Option<i32>"), "{}", files[0].code);
}
