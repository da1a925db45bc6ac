//! thrift-codegen in a real build script, as a user's crate runs it: what cargo prints when
//! `build.rs` returns a codegen error through `?`, and the warnings it passes on.
//!
//! Each test writes a small crate (its `build.rs`, an IDL file) under
//! `<target>/build-script/<name>/`, with thrift-codegen as a path build-dependency and the
//! workspace's `Cargo.lock`, and runs `cargo build --offline` on it in the workspace's
//! target folder, so that thrift-codegen and its dependencies are not built again.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace().join("target"),
    }
}

/// What `cargo build` said and whether it succeeded.
struct Build {
    success: bool,
    stderr: String,
}

/// Writes crate `name` with `build_rs` as its build script and `files` (path, text) beside
/// it, builds it, and returns what cargo printed.
fn build(name: &str, build_rs: &str, files: &[(&str, &str)]) -> Build {
    run_cargo("build", name, "", build_rs, files)
}

/// As [`build`], with `cargo <command>` (`check` runs the build script too) and
/// `dependencies` (manifest lines) besides thrift-tower, whose features they may set:
/// `features = ["anyhow"]` there becomes thrift-tower's.
fn run_cargo(
    command: &str,
    name: &str,
    dependencies: &str,
    build_rs: &str,
    files: &[(&str, &str)],
) -> Build {
    let dir = target_dir().join("build-script").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src")).unwrap();
    let codegen = Path::new(env!("CARGO_MANIFEST_DIR"));
    let codegen = codegen.canonicalize().unwrap_or(codegen.to_path_buf());
    let tower = workspace().join("thrift-tower");
    let tower = tower.canonicalize().unwrap_or(tower);
    let (features, dependencies) = match dependencies.strip_prefix("features = ") {
        Some(rest) => rest.split_once('\n').unwrap_or((rest, "")),
        None => ("[]", dependencies),
    };
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
         publish = false\n\n[dependencies]\n\
         thrift-tower = {{ path = {:?}, features = {features} }}\n{dependencies}\n\
         [build-dependencies]\nthrift-codegen = {{ path = {:?} }}\n\n[workspace]\n",
        tower.display().to_string(),
        codegen.display().to_string()
    );
    fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    // The workspace's versions, so that nothing is resolved anew (and offline works).
    if let Ok(lock) = fs::read_to_string(workspace().join("Cargo.lock")) {
        fs::write(dir.join("Cargo.lock"), lock).unwrap();
    }
    fs::write(dir.join("build.rs"), build_rs).unwrap();
    if !files.iter().any(|(path, _)| *path == "src/lib.rs") {
        fs::write(dir.join("src/lib.rs"), "//! A crate to build.\n").unwrap();
    }
    for (path, text) in files {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    let output = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([command, "--offline", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("RUSTFLAGS")
        .current_dir(&dir)
        .output()
        .expect("cargo runs");
    Build {
        success: output.status.success(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The build script of the README: `main` returns the error through `?`.
const BUILD_RS: &str = r#"fn main() -> Result<(), Box<dyn std::error::Error>> {
    thrift_codegen::configure().compile(&["idl/bad.thrift"], &["idl"])?;
    Ok(())
}
"#;

#[test]
fn an_error_returned_through_question_mark_shows_the_place_and_a_caret() {
    let build = build(
        "error_through_question_mark",
        BUILD_RS,
        &[("idl/bad.thrift", "struct Greeting {\n  1: strin text,\n}\n")],
    );
    assert!(!build.success, "the build succeeded:\n{}", build.stderr);
    // Cargo shows the build script's stderr indented by two spaces.
    let expected = "  Error: unknown type `strin` (did you mean `string`?)\n   \
                    --> idl/bad.thrift:2:6\n    |\n  2 |   1: strin text,\n    |      ^^^^^\n";
    assert!(
        build.stderr.contains(expected),
        "expected\n{expected}\nin what cargo printed:\n{}",
        build.stderr
    );
    assert!(
        !build.stderr.contains("Diagnostic {"),
        "a Debug struct:\n{}",
        build.stderr
    );
}

#[test]
fn warnings_reach_cargo_with_the_place_and_a_caret() {
    let build = build(
        "warnings_to_cargo",
        &BUILD_RS.replace("bad.thrift", "odd.thrift"),
        &[(
            "idl/odd.thrift",
            "struct Greeting {\n  1: string text,\n  i32 count,\n}\n",
        )],
    );
    assert!(build.success, "the build failed:\n{}", build.stderr);
    let expected = "warning: warnings_to_cargo@0.1.0: field `count` of `Greeting` has no id: it \
                    gets the implicit id -1, which changes when a field without an id is added \
                    before it (write one, like `1:`)\n\
                    warning: warnings_to_cargo@0.1.0:  --> idl/odd.thrift:3:3\n\
                    warning: warnings_to_cargo@0.1.0:   |\n\
                    warning: warnings_to_cargo@0.1.0: 3 |   i32 count,\n\
                    warning: warnings_to_cargo@0.1.0:   |   ^^^^^^^^^\n";
    assert!(
        build.stderr.contains(expected),
        "expected\n{expected}\nin what cargo printed:\n{}",
        build.stderr
    );
}

#[test]
fn one_include_brings_an_idl_with_its_includes_into_a_module_of_the_user_s() {
    // Generated into a folder of the crate (`out_dir`), and included from there.
    let build_rs = r#"fn main() -> Result<(), Box<dyn std::error::Error>> {
    thrift_codegen::configure()
        .out_dir("src/generated")
        .compile(&["idl/hello.thrift"], &["idl"])?;
    Ok(())
}
"#;
    let lib = r#"//! Uses the generated code.

/// The hello service, private to this crate.
pub(crate) mod api {
    thrift_tower::include_idl!("hello", "src/generated");
}

/// What the included file defines, through the including one.
pub fn greeting() -> String {
    // `base.thrift` comes through `shared.thrift`, as a sibling of `shared`.
    let shared = api::shared::Greeting {
        text: "hi".into(),
        lang: api::base::Lang::FR,
    };
    let args = api::hello_service_messages::SayArgs { greeting: shared };
    args.greeting.text
}
"#;
    let result = run_cargo(
        "check",
        "nested_includes",
        "",
        build_rs,
        &[
            (
                "idl/hello.thrift",
                "include \"shared.thrift\"\nservice HelloService {\n  string say(1: shared.Greeting greeting)\n}\n",
            ),
            (
                "idl/shared.thrift",
                "include \"base.thrift\"\nstruct Greeting {\n  1: string text\n  2: base.Lang lang\n}\n",
            ),
            ("idl/base.thrift", "enum Lang {\n  EN = 1\n  FR = 2\n}\n"),
            ("src/lib.rs", lib),
        ],
    );
    assert!(
        result.success,
        "the crate does not build:\n{}",
        result.stderr
    );
    let dir = target_dir().join("build-script/nested_includes/src/generated");
    let hello = fs::read_to_string(dir.join("hello.rs")).unwrap();
    assert!(
        hello.contains("pub mod shared {")
            && hello.contains("pub mod base {")
            && !hello.contains("pub mod hello {"),
        "{hello}"
    );
}

#[test]
fn question_mark_on_anyhow_in_a_handler_with_thrift_tower_s_feature() {
    let lib = r#"//! A handler that uses `?` on `anyhow::Error`.

pub mod hello {
    thrift_tower::include_idl!("hello");
}

/// Fails with anyhow.
pub struct Hello;

impl hello::HelloService for Hello {
    async fn say(&self, msg: String) -> Result<String, hello::SayError> {
        let n: i32 = msg.parse().map_err(|e| anyhow::anyhow!("not a number: {e}"))?;
        positive(n)?;
        Ok(msg)
    }
}

fn positive(n: i32) -> anyhow::Result<()> {
    anyhow::ensure!(n > 0, "not positive");
    Ok(())
}
"#;
    let result = run_cargo(
        "check",
        "anyhow_in_a_handler",
        "features = [\"anyhow\"]\nanyhow = \"1\"\n",
        BUILD_RS.replace("bad.thrift", "hello.thrift").as_str(),
        &[
            (
                "idl/hello.thrift",
                "service HelloService {\n  string say(1: string msg)\n}\n",
            ),
            ("src/lib.rs", lib),
        ],
    );
    assert!(
        result.success,
        "the crate does not build:\n{}",
        result.stderr
    );
}
