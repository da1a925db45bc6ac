//! The resolver's diagnostics as the user sees them (message, `file:line:col`, the line, the
//! caret), and the rules it applies to valid IDL: implicit field ids and enum values, typedef
//! chains, forward references, where includes are found. Like `tests/errors.rs` for the
//! parser, a change to one of these messages should be a decision, made here.
//!
//! Single files go through [`load_str`]; includes need files, written to a folder of
//! their own under the system's temporary folder and removed at the end.

use std::path::{Path, PathBuf};
use std::{fs, process};

use super::{load, load_str};
use crate::ast::BaseType;
use crate::model::{Def, FieldDef, Program, Ty, Value};

/// Resolves `source` as `bad.thrift` and compares the rendered diagnostic with `expected`
/// (a leading line break is ignored, so the expectation can start on its own line).
fn check(source: &str, expected: &str) {
    let expected = expected.strip_prefix('\n').unwrap_or(expected);
    match load_str(Path::new("bad.thrift"), source) {
        Ok(program) => panic!("resolved without error: {program:#?}"),
        Err(diagnostic) => assert_eq!(diagnostic.to_string(), expected),
    }
}

/// Resolves `source` as `good.thrift`, which must be valid.
fn resolve(source: &str) -> Program {
    load_str(Path::new("good.thrift"), source).unwrap_or_else(|d| panic!("{d}"))
}

/// The definition of `program`'s only file named `name`.
fn def<'a>(program: &'a Program, name: &str) -> &'a Def {
    program.files[0]
        .defs
        .iter()
        .find(|d| d.name() == name)
        .unwrap_or_else(|| panic!("no definition named `{name}`"))
}

fn ids(fields: &[FieldDef]) -> Vec<(i16, &str)> {
    fields.iter().map(|f| (f.id, f.name.as_str())).collect()
}

/// A folder of IDL files for one test, removed when dropped (also when the test fails).
struct Folder(PathBuf);

impl Folder {
    /// A new, empty folder; `test` keeps the folders of tests running at once apart.
    fn new(test: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("thrift-codegen-resolve-{}-{test}", process::id()));
        // Left over from a run that was killed; the process id made it unlikely.
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Folder(path)
    }

    /// Writes `text` to `name` (which may contain `/`) and returns its path.
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Loads `root` (with include folders `dirs`), which must fail, and returns the rendered
/// diagnostic.
fn load_error(root: &Path, dirs: &[PathBuf]) -> String {
    match load(&[root.to_path_buf()], dirs) {
        Ok((program, _)) => panic!("resolved without error: {program:#?}"),
        Err(diagnostic) => diagnostic.to_string(),
    }
}

// Names that are not defined.

#[test]
fn undefined_type() {
    check(
        "struct Person {\n  1: Strin name\n}\n",
        r#"
error: unknown type `Strin` (did you mean `string`?)
 --> bad.thrift:2:6
  |
2 |   1: Strin name
  |      ^^^^^"#,
    );
}

#[test]
fn undefined_type_far_from_every_name_suggests_none() {
    // `Foo` is two edits from `bool`: too far to be what was meant.
    check(
        "struct Person {\n  1: Foo name\n  2: Bar other\n}\n",
        r#"
error: unknown type `Foo`
 --> bad.thrift:2:6
  |
2 |   1: Foo name
  |      ^^^"#,
    );
}

#[test]
fn undefined_type_close_to_a_definition() {
    check(
        "struct Pixel {\n  1: Colour colour\n}\nenum Color { RED }\n",
        r#"
error: unknown type `Colour` (did you mean `Color`?)
 --> bad.thrift:2:6
  |
2 |   1: Colour colour
  |      ^^^^^^"#,
    );
}

#[test]
fn undefined_constant() {
    check(
        "const i32 LIMIT = MAXIMUM\n",
        r#"
error: unknown constant or enum value `MAXIMUM`
 --> bad.thrift:1:19
  |
1 | const i32 LIMIT = MAXIMUM
  |                   ^^^^^^^"#,
    );
}

#[test]
fn undefined_enum_value_in_a_default() {
    check(
        "struct Pixel {\n  1: Color color = Color.PURPLE\n}\nenum Color { RED, PURPLE_ }\n",
        r#"
error: enum `Color` has no value `PURPLE` (did you mean `PURPLE_`?)
 --> bad.thrift:2:20
  |
2 |   1: Color color = Color.PURPLE
  |                    ^^^^^^^^^^^^"#,
    );
}

#[test]
fn dotted_value_of_something_that_is_not_an_enum() {
    check(
        "struct Limits {}\nconst i32 MAX = Limits.MAX\n",
        r#"
error: unknown constant or enum value `Limits.MAX`: `Limits` is a struct, not an enum or an included file
 --> bad.thrift:2:17
  |
2 | const i32 MAX = Limits.MAX
  |                 ^^^^^^^^^^"#,
    );
}

#[test]
fn type_from_a_file_not_included() {
    check(
        "struct User {\n  1: shared.Address address\n}\n",
        r#"
error: unknown type `shared.Address`: no included file is named `shared`
 --> bad.thrift:2:6
  |
2 |   1: shared.Address address
  |      ^^^^^^^^^^^^^^"#,
    );
}

#[test]
fn constant_from_a_file_not_included() {
    check(
        "const i32 PORT = shared.PORT\n",
        r#"
error: unknown constant or enum value `shared.PORT`: no included file is named `shared` and no enum `shared` is defined here
 --> bad.thrift:1:18
  |
1 | const i32 PORT = shared.PORT
  |                  ^^^^^^^^^^^"#,
    );
}

#[test]
fn name_not_in_the_included_file() {
    let dir = Folder::new("name_not_in_the_included_file");
    dir.write("shared.thrift", "struct Address {}\nenum Kind { HOME }\n");
    let user = dir.write(
        "user.thrift",
        "include \"shared.thrift\"\n\nstruct User {\n  1: shared.Adress address\n}\n",
    );
    assert_eq!(
        load_error(&user, &[]),
        format!(
            r#"error: unknown type `shared.Adress`: `shared.thrift` defines no `Adress` (did you mean `Address`?)
 --> {}:4:6
  |
4 |   1: shared.Adress address
  |      ^^^^^^^^^^^^^"#,
            user.display()
        )
    );

    let value = dir.write(
        "value.thrift",
        "include \"shared.thrift\"\n\nconst shared.Kind K = shared.Kind.WORK\n",
    );
    assert_eq!(
        load_error(&value, &[]),
        format!(
            r#"error: enum `Kind` of `shared.thrift` has no value `WORK`
 --> {}:3:23
  |
3 | const shared.Kind K = shared.Kind.WORK
  |                       ^^^^^^^^^^^^^^^^"#,
            value.display()
        )
    );
}

// Includes.

#[test]
fn missing_include_file_lists_where_it_looked() {
    let dir = Folder::new("missing_include_file");
    let main = dir.write("main.thrift", "include \"shared.thrift\"\n");
    let (first, second) = (dir.path("first"), dir.path("second"));
    assert_eq!(
        load_error(&main, &[first.clone(), second.clone()]),
        format!(
            r#"error: cannot find include `shared.thrift` (looked for {}, {}, {})
 --> {}:1:1
  |
1 | include "shared.thrift"
  | ^^^^^^^^^^^^^^^^^^^^^^^"#,
            dir.path("shared.thrift").display(),
            first.join("shared.thrift").display(),
            second.join("shared.thrift").display(),
            main.display()
        )
    );
}

#[test]
fn missing_include_names_each_place_once() {
    // The including file's folder is also an include folder, as in
    // `compile(&["idl/a.thrift"], &["idl"])`, written with and without `./`.
    let dir = Folder::new("missing_include_once");
    let main = dir.write("idl/main.thrift", "include \"nope.thrift\"\n");
    let idl = dir.path("idl");
    let dotted = dir.0.join(".").join("idl");
    assert_eq!(
        load_error(&main, &[idl.clone(), dotted]),
        format!(
            r#"error: cannot find include `nope.thrift` (looked for {})
 --> {}:1:1
  |
1 | include "nope.thrift"
  | ^^^^^^^^^^^^^^^^^^^^^"#,
            idl.join("nope.thrift").display(),
            main.display()
        )
    );
}

#[test]
fn missing_root_file() {
    let dir = Folder::new("missing_root_file");
    let path = dir.path("absent.thrift");
    let error = load_error(&path, &[]);
    // The OS words the reason; the rest is ours.
    let (first, second) = error.split_once('\n').unwrap();
    assert!(
        first.starts_with("error: cannot read the file: "),
        "{error}"
    );
    assert_eq!(second, format!("  --> {}", path.display()));
}

#[test]
fn include_cycle() {
    let dir = Folder::new("include_cycle");
    let a = dir.write("a.thrift", "include \"b.thrift\"\n\nstruct A {}\n");
    let b = dir.write("b.thrift", "include \"a.thrift\"\n\nstruct B {}\n");
    assert_eq!(
        load_error(&a, &[]),
        format!(
            r#"error: include cycle: a.thrift -> b.thrift -> a.thrift
 --> {}:1:1
  |
1 | include "a.thrift"
  | ^^^^^^^^^^^^^^^^^^"#,
            b.display()
        )
    );
}

#[test]
fn include_from_a_string() {
    check(
        "include \"shared.thrift\"\n",
        r#"
error: cannot include `shared.thrift` from IDL given as a string
 --> bad.thrift:1:1
  |
1 | include "shared.thrift"
  | ^^^^^^^^^^^^^^^^^^^^^^^"#,
    );
}

// Duplicates.

#[test]
fn duplicate_field_id() {
    check(
        "struct Point {\n  1: i32 x,\n  1: i32 y\n}\n",
        r#"
error: field id 1 of `Point` is used twice: by `x` and `y`
 --> bad.thrift:3:3
  |
3 |   1: i32 y
  |   ^^^^^^^^"#,
    );
}

#[test]
fn duplicate_argument_id() {
    check(
        "service Geo {\n  void move(1: i32 x, 1: i32 y)\n}\n",
        r#"
error: field id 1 of `Geo.move` is used twice: by `x` and `y`
 --> bad.thrift:2:23
  |
2 |   void move(1: i32 x, 1: i32 y)
  |                       ^^^^^^^^"#,
    );
}

#[test]
fn distinct_ids_duplicate_name() {
    check(
        "struct Point {\n  1: i32 x,\n  2: i32 x\n}\n",
        r#"
error: `Point` has two fields named `x`
 --> bad.thrift:3:10
  |
3 |   2: i32 x
  |          ^"#,
    );
}

#[test]
fn duplicate_field_name_with_implicit_ids() {
    check(
        "struct Point {\n  i32 x,\n  double x\n}\n",
        r#"
error: `Point` has two fields named `x`
 --> bad.thrift:3:10
  |
3 |   double x
  |          ^"#,
    );
}

#[test]
fn duplicate_definition() {
    check(
        "struct Point {}\n\nenum Point { ORIGIN }\n",
        r#"
error: `Point` is defined twice (first at line 1)
 --> bad.thrift:3:6
  |
3 | enum Point { ORIGIN }
  |      ^^^^^"#,
    );
}

#[test]
fn duplicate_enum_value() {
    check(
        "enum Color {\n  RED,\n  GREEN,\n  RED = 7\n}\n",
        r#"
error: enum `Color` has two values named `RED`
 --> bad.thrift:4:3
  |
4 |   RED = 7
  |   ^^^"#,
    );
}

#[test]
fn duplicate_function() {
    check(
        "service Calculator {\n  i32 add(1: i32 a, 2: i32 b),\n  i64 add(1: i64 a, 2: i64 b)\n}\n",
        r#"
error: service `Calculator` has two functions named `add`
 --> bad.thrift:3:7
  |
3 |   i64 add(1: i64 a, 2: i64 b)
  |       ^^^"#,
    );
}

// Cycles.

#[test]
fn typedef_cycle() {
    check(
        "typedef Meters Distance\ntypedef Distance Length\ntypedef Length Meters\n",
        r#"
error: typedef `Distance` refers to itself (Distance -> Meters -> Length -> Distance)
 --> bad.thrift:1:16
  |
1 | typedef Meters Distance
  |                ^^^^^^^^"#,
    );
}

#[test]
fn typedef_of_itself() {
    check(
        "typedef Id Id\n",
        r#"
error: typedef `Id` refers to itself
 --> bad.thrift:1:12
  |
1 | typedef Id Id
  |            ^^"#,
    );
}

#[test]
fn typedef_cycle_is_reported_at_its_own_first_typedef() {
    // `Id` leads into the cycle without being part of it.
    check(
        "typedef A Id\ntypedef B A\ntypedef A B\n",
        r#"
error: typedef `A` refers to itself (A -> B -> A)
 --> bad.thrift:2:11
  |
2 | typedef B A
  |           ^"#,
    );
}

#[test]
fn constant_of_itself() {
    check(
        "const i32 X = X\n",
        r#"
error: constant `X` refers to itself
 --> bad.thrift:1:11
  |
1 | const i32 X = X
  |           ^"#,
    );
}

#[test]
fn constant_cycle() {
    check(
        "const i32 LOW = HIGH\nconst i32 HIGH = LOW\n",
        r#"
error: constant `LOW` refers to itself (LOW -> HIGH -> LOW)
 --> bad.thrift:1:11
  |
1 | const i32 LOW = HIGH
  |           ^^^"#,
    );
}

#[test]
fn service_extends_itself() {
    check(
        "service Child extends Parent {}\nservice Parent extends Child {}\n",
        r#"
error: service `Child` extends itself (Child -> Parent -> Child)
 --> bad.thrift:1:23
  |
1 | service Child extends Parent {}
  |                       ^^^^^^"#,
    );
}

// Constants and defaults of the wrong type.

#[test]
fn string_for_an_i32() {
    check(
        "const i32 PORT = \"9090\"\n",
        r#"
error: expected a value of type `i32`, found a string
 --> bad.thrift:1:18
  |
1 | const i32 PORT = "9090"
  |                  ^^^^^^"#,
    );
}

#[test]
fn i8_out_of_range() {
    check(
        "struct Pixel {\n  1: i8 alpha = 255\n}\n",
        r#"
error: 255 does not fit in `i8` (-128 to 127)
 --> bad.thrift:2:17
  |
2 |   1: i8 alpha = 255
  |                 ^^^"#,
    );
}

#[test]
fn out_of_range_through_a_typedef() {
    check(
        "typedef i16 Port\nconst Port HTTP_ALT = 80800\n",
        r#"
error: 80800 does not fit in `Port`, an `i16` (-32768 to 32767)
 --> bad.thrift:2:23
  |
2 | const Port HTTP_ALT = 80800
  |                       ^^^^^"#,
    );
}

#[test]
fn constant_too_large_for_a_narrower_type() {
    check(
        "const i32 BIG = 100000\nconst i16 SMALL = BIG\n",
        r#"
error: `BIG` (100000) does not fit in `i16` (-32768 to 32767)
 --> bad.thrift:2:19
  |
2 | const i16 SMALL = BIG
  |                   ^^^"#,
    );
}

#[test]
fn enum_value_too_large_for_an_i8() {
    check(
        "enum Code { HUGE = 300 }\nconst i8 C = Code.HUGE\n",
        r#"
error: `Code.HUGE` (300) does not fit in `i8` (-128 to 127)
 --> bad.thrift:2:14
  |
2 | const i8 C = Code.HUGE
  |              ^^^^^^^^^"#,
    );
}

#[test]
fn list_for_a_map() {
    check(
        "const map<string, i32> PORTS = [80, 443]\n",
        r#"
error: expected a value of type `map<string, i32>`, found a list
 --> bad.thrift:1:32
  |
1 | const map<string, i32> PORTS = [80, 443]
  |                                ^^^^^^^^^"#,
    );
}

#[test]
fn wrong_element_in_a_list() {
    check(
        "const list<i32> PORTS = [80, \"443\"]\n",
        r#"
error: expected a value of type `i32`, found a string
 --> bad.thrift:1:30
  |
1 | const list<i32> PORTS = [80, "443"]
  |                              ^^^^^"#,
    );
}

#[test]
fn struct_literal_with_an_unknown_field() {
    check(
        "struct Point {\n  1: i32 x,\n  2: i32 y\n}\nconst Point ORIGIN = { \"x\": 0, \"z\": 0 }\n",
        r#"
error: struct `Point` has no field `z` (it has `x`, `y`)
 --> bad.thrift:5:32
  |
5 | const Point ORIGIN = { "x": 0, "z": 0 }
  |                                ^^^"#,
    );
}

#[test]
fn struct_literal_with_a_misspelled_field() {
    check(
        "struct Point {\n  1: i32 x,\n  2: i32 height\n}\nconst Point P = { \"hieght\": 0 }\n",
        r#"
error: struct `Point` has no field `hieght` (did you mean `height`?)
 --> bad.thrift:5:19
  |
5 | const Point P = { "hieght": 0 }
  |                   ^^^^^^^^"#,
    );
}

#[test]
fn struct_literal_with_an_unquoted_field_name() {
    check(
        "struct Point {\n  1: i32 x\n}\nconst Point ORIGIN = { x: 0 }\n",
        r#"
error: expected a field name of `Point` in quotes (it has `x`)
 --> bad.thrift:4:24
  |
4 | const Point ORIGIN = { x: 0 }
  |                        ^"#,
    );
}

#[test]
fn struct_literal_with_a_field_twice() {
    check(
        "struct Point {\n  1: i32 x\n}\nconst Point ORIGIN = { \"x\": 0, \"x\": 1 }\n",
        r#"
error: field `x` of `Point` is given twice
 --> bad.thrift:4:32
  |
4 | const Point ORIGIN = { "x": 0, "x": 1 }
  |                                ^^^"#,
    );
}

#[test]
fn union_literal_with_two_fields() {
    check(
        "union Id {\n  1: i64 number,\n  2: string name\n}\nconst Id ROOT = { \"number\": 0, \"name\": \"root\" }\n",
        r#"
error: a value of union `Id` sets exactly one field, this one sets 2
 --> bad.thrift:5:17
  |
5 | const Id ROOT = { "number": 0, "name": "root" }
  |                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"#,
    );
}

#[test]
fn double_for_an_i32() {
    check(
        "const i32 RATE = 1.5\n",
        r#"
error: expected a value of type `i32`, found a floating-point number
 --> bad.thrift:1:18
  |
1 | const i32 RATE = 1.5
  |                  ^^^"#,
    );
}

#[test]
fn value_of_another_enum() {
    check(
        "enum Color { RED }\nenum Shape { SQUARE }\nstruct Tile {\n  1: Color color = Shape.SQUARE\n}\n",
        r#"
error: expected a value of type `Color`, found the enum value `Shape.SQUARE`
 --> bad.thrift:4:20
  |
4 |   1: Color color = Shape.SQUARE
  |                    ^^^^^^^^^^^^"#,
    );
}

#[test]
fn integer_too_large_for_an_enum() {
    check(
        "enum Color { RED }\nconst Color C = 3000000000\n",
        r#"
error: 3000000000 does not fit in enum `Color` (enum values are 32-bit: -2147483648 to 2147483647)
 --> bad.thrift:2:17
  |
2 | const Color C = 3000000000
  |                 ^^^^^^^^^^"#,
    );
}

#[test]
fn type_name_as_a_value() {
    check(
        "struct Point {}\nconst i32 P = Point\n",
        r#"
error: expected a value of type `i32`, found `Point`, which is not a constant
 --> bad.thrift:2:15
  |
2 | const i32 P = Point
  |               ^^^^^"#,
    );
}

#[test]
fn service_as_a_type() {
    check(
        "service Calculator {}\nstruct Call {\n  1: Calculator target\n}\n",
        r#"
error: `Calculator` is a service, not a type
 --> bad.thrift:3:6
  |
3 |   1: Calculator target
  |      ^^^^^^^^^^"#,
    );
}

// Services.

#[test]
fn throws_a_struct() {
    check(
        "struct Problem {}\nservice Calculator {\n  i32 divide(1: i32 a, 2: i32 b) throws (1: Problem p)\n}\n",
        r#"
error: `throws` of `Calculator.divide` lists `Problem`, which is a struct, not an exception
 --> bad.thrift:3:45
  |
3 |   i32 divide(1: i32 a, 2: i32 b) throws (1: Problem p)
  |                                             ^^^^^^^"#,
    );
}

#[test]
fn throws_a_typedef_of_a_struct() {
    check(
        "struct Problem {}\ntypedef Problem Oops\nservice Calculator {\n  void reset() throws (1: Oops o)\n}\n",
        r#"
error: `throws` of `Calculator.reset` lists `Oops` (a typedef of `Problem`), which is a struct, not an exception
 --> bad.thrift:4:27
  |
4 |   void reset() throws (1: Oops o)
  |                           ^^^^"#,
    );
}

#[test]
fn extends_a_struct() {
    check(
        "struct Base {}\nservice Calculator extends Base {}\n",
        r#"
error: service `Calculator` extends `Base`, which is a struct, not a service
 --> bad.thrift:2:28
  |
2 | service Calculator extends Base {}
  |                            ^^^^"#,
    );
}

#[test]
fn extends_an_undefined_service() {
    check(
        "service Calculator extends Bsae {}\nservice Base {}\n",
        r#"
error: unknown service `Bsae` (did you mean `Base`?)
 --> bad.thrift:1:28
  |
1 | service Calculator extends Bsae {}
  |                            ^^^^"#,
    );
}

#[test]
fn oneway_returning_a_value() {
    check(
        "service Log {\n  oneway i32 write(1: string line)\n}\n",
        r#"
error: oneway function `Log.write` cannot return a value: the caller gets no reply (declare it `void`)
 --> bad.thrift:2:10
  |
2 |   oneway i32 write(1: string line)
  |          ^^^"#,
    );
}

#[test]
fn oneway_throwing() {
    check(
        "exception Full {}\nservice Log {\n  oneway void write(1: string line) throws (1: Full full)\n}\n",
        r#"
error: oneway function `Log.write` cannot throw: the caller gets no reply
 --> bad.thrift:3:45
  |
3 |   oneway void write(1: string line) throws (1: Full full)
  |                                             ^^^^^^^^^^^^"#,
    );
}

#[test]
fn idempotent_with_another_value() {
    check(
        "service Store {\n  string get(1: string key) (cpp.name = \"Get\", idempotent = \"yes\")\n}\n",
        r#"
error: expected `"true"` or `"false"` (or `"1"` or `"0"`) for `idempotent` of function `Store.get`, found `"yes"`
 --> bad.thrift:2:48
  |
2 |   string get(1: string key) (cpp.name = "Get", idempotent = "yes")
  |                                                ^^^^^^^^^^^^^^^^^^"#,
    );
}

// Fields and enum values out of range, unions.

#[test]
fn union_with_a_required_field() {
    check(
        "union Id {\n  1: required i64 number,\n  2: string name\n}\n",
        r#"
error: union `Id` cannot have a required field: `number` (a union holds exactly one of its fields; remove `required`)
 --> bad.thrift:2:3
  |
2 |   1: required i64 number,
  |   ^^^^^^^^^^^^^^^^^^^^^^"#,
    );
}

#[test]
fn field_id_too_large() {
    check(
        "struct Big {\n  32768: i32 last\n}\n",
        r#"
error: field id 32768 of `Big.last` is too large (field ids are 16-bit: at most 32767)
 --> bad.thrift:2:3
  |
2 |   32768: i32 last
  |   ^^^^^^^^^^^^^^^"#,
    );
}

#[test]
fn enum_value_too_large() {
    check(
        "enum Size {\n  HUGE = 3000000000\n}\n",
        r#"
error: the value of `Size.HUGE`, 3000000000, does not fit in an i32 (enum values are 32-bit: -2147483648 to 2147483647)
 --> bad.thrift:2:3
  |
2 |   HUGE = 3000000000
  |   ^^^^"#,
    );
}

#[test]
fn implicit_enum_value_too_large() {
    check(
        "enum Size {\n  LARGEST = 2147483647,\n  BEYOND\n}\n",
        r#"
error: the value of `Size.BEYOND`, 2147483648 (the previous value plus one), does not fit in an i32 (enum values are 32-bit: -2147483648 to 2147483647)
 --> bad.thrift:3:3
  |
3 |   BEYOND
  |   ^^^^^^"#,
    );
}

// What valid IDL resolves to.

/// Apache's rule, checked against `thrift --gen json` 0.17: a field without an id, or with
/// an id of 0 or less, gets the next of -1, -2, ... in order; each struct, argument list and
/// throws clause counts from -1.
#[test]
fn implicit_field_ids_count_down_from_minus_one() {
    let program = resolve(
        "struct S {\n  i32 a,\n  0: i32 b,\n  -5: i32 c,\n  i32 d,\n  3: i32 e,\n  i32 f\n}\n\
         struct T {\n  i32 g\n}\n\
         exception X {}\n\
         service Svc {\n  void f(i32 a, 0: i32 b, 1: i32 c) throws (X x, 1: X y, X z)\n}\n",
    );
    let Def::Struct(s) = def(&program, "S") else {
        panic!()
    };
    assert_eq!(
        ids(&s.fields),
        [
            (-1, "a"),
            (-2, "b"),
            (-3, "c"),
            (-4, "d"),
            (3, "e"),
            (-5, "f")
        ]
    );
    let Def::Struct(t) = def(&program, "T") else {
        panic!()
    };
    assert_eq!(ids(&t.fields), [(-1, "g")]);
    let Def::Service(svc) = def(&program, "Svc") else {
        panic!()
    };
    let f = &svc.functions[0];
    assert_eq!(ids(&f.args), [(-1, "a"), (-2, "b"), (1, "c")]);
    assert_eq!(ids(&f.throws), [(-1, "x"), (1, "y"), (-2, "z")]);
}

/// Also Apache's: an implicit value is the previous value plus one, the first is 0.
#[test]
fn implicit_enum_values() {
    let program = resolve("enum E {\n  A,\n  B = 5,\n  C,\n  D = -2,\n  F\n}\n");
    let Def::Enum(e) = def(&program, "E") else {
        panic!()
    };
    let values: Vec<(&str, i32)> = e
        .values
        .iter()
        .map(|v| (v.name.as_str(), v.value))
        .collect();
    assert_eq!(values, [("A", 0), ("B", 5), ("C", 6), ("D", -2), ("F", -1)]);
}

#[test]
fn typedef_chains_resolve_to_the_base_type() {
    // Written out of order on purpose: a typedef may name one defined later.
    let program = resolve(
        "typedef Meters Distance\ntypedef Length Meters\ntypedef i64 Length\n\
         struct Trip {\n  1: Distance distance = 42\n}\n",
    );
    let Def::Struct(trip) = def(&program, "Trip") else {
        panic!()
    };
    let field = &trip.fields[0];
    assert_eq!(program.resolve(&field.ty), &Ty::Base(BaseType::I64));
    assert_eq!(field.default, Some(Value::Int(42)));
    // The field keeps the name it was written with.
    assert!(matches!(&field.ty, Ty::Named(r) if program.def(*r).name() == "Distance"));
}

#[test]
fn forward_references() {
    let program = resolve(
        "struct Tree {\n  1: list<Node> nodes,\n  2: Color color = Color.RED,\n  3: i32 size = SIZE\n}\n\
         const i32 SIZE = DOUBLE_SIZE\n\
         const i32 DOUBLE_SIZE = 2\n\
         service Child extends Parent {}\n\
         struct Node {\n  1: optional Tree subtree\n}\n\
         enum Color { RED = 3 }\n\
         service Parent {}\n",
    );
    let Def::Struct(tree) = def(&program, "Tree") else {
        panic!()
    };
    let Ty::List(node) = &tree.fields[0].ty else {
        panic!("{:?}", tree.fields[0].ty)
    };
    assert!(matches!(**node, Ty::Named(r) if program.def(r).name() == "Node"));
    assert!(matches!(tree.fields[1].default, Some(Value::Enum(_, 3))));
    assert_eq!(tree.fields[2].default, Some(Value::Int(2)));
    let Def::Service(child) = def(&program, "Child") else {
        panic!()
    };
    let parent = child.extends.expect("Child extends Parent");
    assert_eq!(program.def(parent).name(), "Parent");
}

/// `"true"` and `"1"` (which a bare `(idempotent)` means) say yes, `"false"` and `"0"` no;
/// no annotation is no.
#[test]
fn idempotent_functions() {
    let program = resolve(
        r#"service Store {
  string get(1: string key) (idempotent = "true")
  string head(1: string key) (idempotent)
  string peek(1: string key) (cpp.name = "Peek", idempotent = '1')
  void put(1: string key) (idempotent = "false")
  void append(1: string key) (idempotent = "0")
  void remove(1: string key)
  void touch(1: string key) (deprecated)
}
"#,
    );
    let Def::Service(store) = def(&program, "Store") else {
        panic!()
    };
    let idempotent: Vec<(&str, bool)> = store
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f.idempotent))
        .collect();
    assert_eq!(
        idempotent,
        [
            ("get", true),
            ("head", true),
            ("peek", true),
            ("put", false),
            ("append", false),
            ("remove", false),
            ("touch", false)
        ]
    );
}

#[test]
fn constants_convert_to_the_type_they_initialise() {
    let program = resolve(
        "const i8 ONE = 1\nconst i64 WIDE = ONE\nconst double RATIO = ONE\n\
         const list<double> RATIOS = [ONE, 2]\nconst list<i16> SHORTS = [ONE]\n\
         const set<double> SHORTS_AS_DOUBLES = SHORTS\n",
    );
    let value = |name: &str| match def(&program, name) {
        Def::Const(c) => c.value.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(value("WIDE"), Value::Int(1));
    assert_eq!(value("RATIO"), Value::Double(1.0));
    assert_eq!(
        value("RATIOS"),
        Value::List(vec![Value::Double(1.0), Value::Double(2.0)])
    );
    assert_eq!(
        value("SHORTS_AS_DOUBLES"),
        Value::List(vec![Value::Double(1.0)])
    );
}

/// Next to the including file first, then each include folder in the order given.
#[test]
fn include_search_order() {
    let dir = Folder::new("include_search_order");
    let (first, second) = (dir.path("first"), dir.path("second"));
    let dirs = [first.clone(), second.clone()];
    dir.write("src/shared.thrift", "struct Beside {}\n");
    dir.write("first/shared.thrift", "struct First {}\n");
    dir.write("second/shared.thrift", "struct Second {}\n");
    let main = dir.write("src/main.thrift", "include \"shared.thrift\"\n");
    let other = dir.write("other/main.thrift", "include \"shared.thrift\"\n");

    // The files a root includes, by the name of their one definition.
    let found = |root: &Path| {
        let (program, roots) = load(&[root.to_path_buf()], &dirs).unwrap_or_else(|d| panic!("{d}"));
        let root = &program.files[roots[0]];
        let names: Vec<String> = root
            .includes
            .iter()
            .map(|&i| program.files[i].defs[0].name().to_string())
            .collect();
        names
    };
    assert_eq!(found(&main), ["Beside"]);
    assert_eq!(found(&other), ["First"]);
    fs::remove_file(first.join("shared.thrift")).unwrap();
    assert_eq!(found(&other), ["Second"]);
}

#[test]
fn included_definitions_are_found_by_file_name() {
    let dir = Folder::new("included_definitions");
    dir.write(
        "idl/shared.thrift",
        "enum Kind { HOME = 1, WORK = 2 }\nstruct Address {\n  1: Kind kind = Kind.WORK\n}\n",
    );
    let user = dir.write(
        "user.thrift",
        "include \"idl/shared.thrift\"\n\
         const shared.Kind DEFAULT_KIND = shared.Kind.HOME\n\
         struct User {\n  1: shared.Address address,\n  2: shared.Kind kind = DEFAULT_KIND\n}\n",
    );
    let (program, roots) = load(&[user], &[]).unwrap_or_else(|d| panic!("{d}"));
    // Includes come first.
    assert_eq!(roots, [1]);
    assert_eq!(program.files[0].stem, "shared");
    let Def::Struct(u) = &program.files[1].defs[1] else {
        panic!()
    };
    assert!(
        matches!(u.fields[0].ty, Ty::Named(r) if r.file == 0 && program.def(r).name() == "Address")
    );
    assert!(matches!(u.fields[1].default, Some(Value::Enum(r, 1)) if r.file == 0));
}
