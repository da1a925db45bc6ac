//! The `thrift-codegen` binary: its command line (clap's help, version and errors, the
//! flags it always had), the files it writes, and the IDL warnings it prints on stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::{fs, process};

/// A folder of its own under the system's temporary folder, removed at the end.
struct Folder(PathBuf);

impl Folder {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "thrift-codegen-cli-{}-{}",
            process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Folder(path)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs the binary with `args` in `dir`.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thrift-codegen"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn version_and_help() {
    let dir = Folder::new();
    let version = run(&dir.0, &["--version"]);
    assert!(version.status.success());
    assert_eq!(
        stdout(&version),
        format!("thrift-codegen {}\n", env!("CARGO_PKG_VERSION"))
    );
    let help = run(&dir.0, &["--help"]);
    assert!(help.status.success());
    let text = stdout(&help);
    for flag in [
        "Usage: thrift-codegen [OPTIONS] --out <DIR> <FILE>...",
        "-o, --out <DIR>",
        "-I, --include <DIR>",
        "--nest-includes",
        "--no-client",
        "--no-server",
        "--type-attribute <PATH=ATTR>",
        "--field-attribute <PATH=ATTR>",
        "--extern-path <IDL_PATH=RUST_PATH>",
        "--no-warnings",
        "-V, --version",
    ] {
        assert!(text.contains(flag), "no `{flag}` in:\n{text}");
    }
}

#[test]
fn usage_errors_exit_with_2() {
    let dir = Folder::new();
    let unknown = run(&dir.0, &["-o", "out", "--wrap", "a.thrift"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).starts_with("error: unexpected argument '--wrap' found"),
        "{}",
        stderr(&unknown)
    );
    let no_out = run(&dir.0, &["a.thrift"]);
    assert_eq!(no_out.status.code(), Some(2));
    assert!(
        stderr(&no_out).starts_with(
            "error: the following required arguments were not provided:\n  --out <DIR>"
        ),
        "{}",
        stderr(&no_out)
    );
    let no_file = run(&dir.0, &["-o", "out"]);
    assert_eq!(no_file.status.code(), Some(2));
    assert!(
        stderr(&no_file).contains("<FILE>..."),
        "{}",
        stderr(&no_file)
    );
    let bad_pair = run(&dir.0, &["-o", "out", "--type-attribute", "x", "a.thrift"]);
    assert_eq!(bad_pair.status.code(), Some(2));
    assert!(
        stderr(&bad_pair).contains("expected PATH=VALUE, found `x`"),
        "{}",
        stderr(&bad_pair)
    );
}

#[test]
fn writes_a_file_per_idl_module_with_the_old_flags() {
    let dir = Folder::new();
    dir.write(
        "idl/shared.thrift",
        "struct Greeting {\n  1: string text\n}\n",
    );
    dir.write(
        "idl/hello.thrift",
        "include \"shared.thrift\"\nservice HelloService {\n  string say(1: shared.Greeting g)\n}\n",
    );
    // `-Iidl` (attached) and `-I idl` both work, as before.
    for include in [&["-Iidl"][..], &["-I", "idl"][..]] {
        let mut args = vec!["-o", "src/generated"];
        args.extend(include);
        args.push("idl/hello.thrift");
        let output = run(&dir.0, &args);
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(stderr(&output), "");
        let hello = fs::read_to_string(dir.0.join("src/generated/hello.rs")).unwrap();
        assert!(hello.contains("super::shared::Greeting"), "{hello}");
        assert!(dir.0.join("src/generated/shared.rs").is_file());
    }
}

#[test]
fn builder_options_on_the_command_line() {
    let dir = Folder::new();
    dir.write("shared.thrift", "struct Greeting {\n  1: string text\n}\n");
    let idl = "include \"shared.thrift\"\nstruct Note {\n  1: string text\n}\n\
               service HelloService {\n  string say(1: shared.Greeting g, 2: Note n)\n}\n";
    dir.write("hello.thrift", idl);
    let output = run(
        &dir.0,
        &[
            "-o",
            "out",
            "--nest-includes",
            "--no-server",
            "--type-attribute",
            ".hello.Note=#[derive(Default)]",
            "--field-attribute",
            r#"Note.text=#[doc(alias = "body")]"#,
            "--extern-path",
            ".shared=::common::shared",
            "hello.thrift",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let hello = fs::read_to_string(dir.0.join("out/hello.rs")).unwrap();
    assert!(hello.contains("HelloServiceClient") && !hello.contains("HelloServiceServer"));
    assert!(
        hello.contains("#[derive(Default)]\npub struct Note"),
        "{hello}"
    );
    assert!(
        hello.contains("#[doc(alias = \"body\")]\n    pub text"),
        "{hello}"
    );
    assert!(hello.contains("::common::shared::Greeting"), "{hello}");
    assert!(!hello.contains("pub mod shared"), "{hello}");
}

#[test]
fn warnings_go_to_stderr_and_the_files_are_written() {
    let dir = Folder::new();
    dir.write("odd.thrift", "struct Point {\n  1: i32 x,\n  i32 y,\n}\n");
    let output = run(&dir.0, &["-o", "out", "odd.thrift"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "warning: field `y` of `Point` has no id: it gets the implicit id -1, which changes \
         when a field without an id is added before it (write one, like `1:`)\n \
         --> odd.thrift:3:3\n  |\n3 |   i32 y,\n  |   ^^^^^\n\n"
    );
    assert!(dir.0.join("out/odd.rs").is_file());
    let quiet = run(&dir.0, &["-o", "out", "--no-warnings", "odd.thrift"]);
    assert!(quiet.status.success());
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn an_idl_error_exits_with_1_and_shows_the_place() {
    let dir = Folder::new();
    dir.write("bad.thrift", "struct Point {\n  1: Foo x\n}\n");
    let output = run(&dir.0, &["-o", "out", "bad.thrift"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: unknown type `Foo`\n --> bad.thrift:2:6\n  |\n2 |   1: Foo x\n  |      ^^^\n"
    );
}
