//! Golden files: the Rust generated for each `tests/golden/<name>.thrift` must equal the
//! checked-in `tests/golden/<name>.rs`, so that every change to the generated code shows up
//! in review as a diff of code a person reads.
//!
//! After a deliberate change to the emitter, regenerate the files and read the diff:
//!
//! ```text
//! UPDATE_GOLDEN=1 cargo test -p thrift-codegen --test golden
//! git diff thrift-codegen/tests/golden
//! ```
//!
//! The files are generated as a user who checks generated code in would: one module body
//! per file (`nest_includes(false)`), no Cargo directives. The `tests` crate compiles them
//! under the workspace's lints: the IDL files generated with the defaults again (see
//! `tests/build.rs`), the two generated with other options as they are checked in.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

/// The environment variable that makes the tests rewrite the golden files.
const UPDATE: &str = "UPDATE_GOLDEN";

/// How many unchanged lines a failure shows before and after the lines that differ.
const CONTEXT: usize = 3;
/// How many of the differing lines of each side a failure shows at most.
const SHOWN: usize = 20;

/// Whether `UPDATE_GOLDEN` asks to rewrite the files (set, and neither empty nor `0`).
fn updating() -> bool {
    env::var_os(UPDATE).is_some_and(|v| !v.is_empty() && v != "0")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The builder for `golden/<name>.thrift`: the defaults, except for `options.thrift` and
/// `shared_strings.thrift`.
fn builder(name: &str) -> thrift_codegen::Builder {
    let builder = thrift_codegen::configure()
        .nest_includes(false)
        .cargo_directives(false);
    match name {
        "options" => with_options(builder),
        "shared_strings" => builder.shared_strings(true),
        _ => builder,
    }
}

/// The options of `options.thrift`. The `tests` crate compiles the checked-in file, so
/// these are the only place they are written.
fn with_options(builder: thrift_codegen::Builder) -> thrift_codegen::Builder {
    builder
        .build_server(false)
        .type_attribute(
            ".options.Point",
            "#[derive(serde::Serialize, serde::Deserialize)]",
        )
        .type_attribute("Shape", "#[derive(serde::Serialize, serde::Deserialize)]")
        .type_attribute(
            ".options.Unit",
            "#[derive(serde::Serialize, serde::Deserialize)]",
        )
        .field_attribute(
            ".options.Point.label",
            r#"#[serde(default, skip_serializing_if = "Option::is_none")]"#,
        )
        .field_attribute("Shape.path", r#"#[serde(rename = "polyline")]"#)
        .extern_path(".enums", "crate::golden::enums")
}

/// Generates the code of `golden/<name>.thrift` and compares it with `golden/<name>.rs`,
/// or writes that file when `UPDATE_GOLDEN` is set.
fn check(name: &str) {
    let dir = golden_dir();
    let idl = dir.join(format!("{name}.thrift"));
    let generated = builder(name)
        .generate(&[&idl], &[&dir])
        .unwrap_or_else(|e| panic!("{e}"));
    // Included files are generated too; each has its own golden file.
    let Some(file) = generated.iter().find(|g| g.module == name) else {
        let modules: Vec<&str> = generated.iter().map(|g| g.module.as_str()).collect();
        panic!("{name}.thrift generated no module `{name}`, only {modules:?}");
    };
    let path = dir.join(format!("{name}.rs"));
    if updating() {
        if fs::read_to_string(&path).ok().as_deref() != Some(file.code.as_str()) {
            fs::write(&path, &file.code).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            eprintln!("rewrote {}", path.display());
        }
        return;
    }
    let regenerate = format!(
        "If the change is intended, regenerate the golden files and review their diff:\n  \
         {UPDATE}=1 cargo test -p thrift-codegen --test golden"
    );
    let expected = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => panic!("cannot read {}: {e}\n{regenerate}", path.display()),
    };
    if expected != file.code {
        panic!(
            "the code generated from {name}.thrift differs from {name}.rs:\n\n{}\n{regenerate}",
            diff(&format!("tests/golden/{name}.rs"), &expected, &file.code)
        );
    }
}

/// A unified diff of the first block of lines where `expected` and `actual` differ (with a
/// few lines of context), enough to see what changed without a diff tool.
fn diff(label: &str, expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (old_end, new_end) = (old.len() - suffix, new.len() - suffix);
    let start = prefix.saturating_sub(CONTEXT);
    let mut out = String::new();
    let _ = writeln!(out, "--- {label} (expected)\n+++ {label} (generated)");
    let _ = writeln!(
        out,
        "@@ -{},{} +{},{} @@",
        start + 1,
        old_end - start,
        start + 1,
        new_end - start
    );
    for line in &old[start..prefix] {
        let _ = writeln!(out, " {line}");
    }
    let side = |out: &mut String, sign: char, lines: &[&str]| {
        for line in lines.iter().take(SHOWN) {
            let _ = writeln!(out, "{sign}{line}");
        }
        if lines.len() > SHOWN {
            let _ = writeln!(out, "{sign}... {} more lines", lines.len() - SHOWN);
        }
    };
    side(&mut out, '-', &old[prefix..old_end]);
    side(&mut out, '+', &new[prefix..new_end]);
    let after = (old_end + CONTEXT).min(old.len());
    for line in &old[old_end..after] {
        let _ = writeln!(out, " {line}");
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        let _ = writeln!(out, "(the files differ in their final line break)");
    }
    out
}

/// One test per golden IDL file, so that a failure names the file.
macro_rules! golden {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*

        /// The IDL files that have a test above.
        const TESTED: &[&str] = &[$(stringify!($name)),*];
    };
}

golden!(
    consts,
    enums,
    options,
    service,
    shared_strings,
    structs,
    unions
);

/// Every `.thrift` in the folder has a test, and every `.rs` an IDL file: a file added
/// without a test, or left behind by a removed one, fails here.
#[test]
fn every_golden_file_is_tested() {
    let mut idl = Vec::new();
    let mut rust = Vec::new();
    for entry in fs::read_dir(golden_dir()).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        match path.extension().and_then(|e| e.to_str()) {
            Some("thrift") => idl.push(stem),
            Some("rs") => rust.push(stem),
            _ => panic!("unexpected file {} in the golden folder", path.display()),
        }
    }
    idl.sort();
    rust.sort();
    assert_eq!(idl, TESTED, "add each golden IDL file to `golden!(...)`");
    if !updating() {
        assert_eq!(
            rust, TESTED,
            "each golden `.rs` file needs its `.thrift` file"
        );
    }
}

#[test]
fn diff_shows_the_first_difference_with_context() {
    let expected = "a\nb\nc\nd\ne\nf\ng\n";
    let actual = "a\nb\nc\nd\nE\nf\ng\n";
    assert_eq!(
        diff("x.rs", expected, actual),
        "--- x.rs (expected)\n+++ x.rs (generated)\n@@ -2,4 +2,4 @@\n b\n c\n d\n-e\n+E\n f\n g\n"
    );
    assert_eq!(
        diff("x.rs", "a\n", "a\nb\n"),
        "--- x.rs (expected)\n+++ x.rs (generated)\n@@ -1,1 +1,2 @@\n a\n+b\n"
    );
}
