//! The README's "Use it in your own crate" made into a crate outside the workspace and run:
//! its `Cargo.toml` lines, IDL files, `build.rs` and `src/main.rs`, taken from the README
//! as they are (each code block after an `<!-- own-crate: PATH -->` line), with the one
//! change that the crates come from this checkout instead of their git repository.
//!
//! The crate is written under `<target>/own-crate/` with the workspace's `Cargo.lock` and
//! built there with `cargo run --offline`, in the workspace's target folder, so nothing is
//! fetched and only the crate itself is compiled.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use std::{env, fs};

use tests::apache_python::repo_root;
use tests::process::run_bounded;

/// The README's files of the crate: (path, text), in the README's order.
fn readme_files(readme: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(path) = line
            .strip_prefix("<!-- own-crate: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert!(fence.starts_with("```"), "no code block after {line}");
        let text: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        files.push((path.to_string(), text.join("\n") + "\n"));
    }
    files
}

/// `manifest`'s dependency lines with the crates of this checkout for their git source.
fn from_this_checkout(manifest: &str, root: &Path) -> String {
    let git = r#"git = "https://github.com/thrift-tower/thrift-tower""#;
    manifest
        .lines()
        .map(|line| {
            for krate in ["thrift-tower", "thrift-codegen"] {
                if line.starts_with(&format!("{krate} = ")) {
                    assert!(line.contains(git), "{line}");
                    let path = format!("path = {:?}", root.join(krate).display().to_string());
                    return line.replace(git, &path);
                }
            }
            line.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn target_dir(root: &Path) -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

#[test]
fn the_readme_s_own_crate_builds_and_runs() {
    let root = repo_root().canonicalize().unwrap();
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let files = readme_files(&readme);
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Cargo.toml",
            "idl/shared.thrift",
            "idl/kv.thrift",
            "build.rs",
            "src/main.rs"
        ]
    );

    let dir = target_dir(&root).join("own-crate");
    let _ = fs::remove_dir_all(&dir);
    for (path, text) in &files {
        let text = if path == "Cargo.toml" {
            format!(
                "[package]\nname = \"own-crate\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
                 publish = false\n\n{}\n\n[workspace]\n",
                from_this_checkout(text, &root)
            )
        } else {
            text.clone()
        };
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    // The workspace's versions, so that nothing is resolved anew and offline works.
    fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();

    let mut command = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .args(["run", "-q", "--offline", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir(&root))
        .env_remove("RUSTFLAGS")
        .current_dir(&dir);
    let run = run_bounded(&mut command, Duration::from_secs(600)).expect("cargo runs");
    assert!(
        run.status.is_some_and(|s| s.success()),
        "the README's crate failed ({:?}):\n{}\n{}",
        run.status,
        run.stdout,
        run.stderr
    );
    assert_eq!(run.stdout, "answer = 42\nno question\n", "{}", run.stderr);
}
