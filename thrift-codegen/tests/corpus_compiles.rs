//! The generated Rust of every file of the shared IDL corpus compiles, with no warning under
//! the workspace's lints, clippy and `-D warnings`; and rustdoc reads its doc comments (the
//! IDL's, carried over) with no warning and finds no doctest in them.
//!
//! Each corpus file (a *root*) is one test case, `compiles::<file>`: it passes when code
//! generation succeeds and no diagnostic points into the code generated for the root and
//! the files it includes. A diagnostic that points nowhere in particular (into thrift-tower,
//! or without a place) fails `corpus_crate`.
//!
//! A crate per root would take minutes to build, so the roots are compiled together, as one
//! scratch crate under `<target>/corpus-compile/` with a module `r_<n>` per root, holding the
//! modules of the root and of its includes as siblings (generated code names an included
//! file's module `super::<module>`). The crate is checked once, before any case runs, with
//! `cargo clippy` in the workspace's target folder, so thrift-tower and its dependencies are
//! not built again; each case then reports its share of the diagnostics. Type errors can
//! keep rustc from running its lints, so after a build with errors the crate is checked again
//! without the roots that failed, until the remaining ones are known to be clean.
//!
//! The corpus is found as in `corpus.rs`: `$THRIFT_SHARED_IDL` (CI sets it), or else
//! `<workspace>/../shared/idl` when that folder exists. Without either, no case is
//! registered and a note says why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use std::{env, fs};

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

/// The folder of the scratch crate, under the target folder.
const CRATE_FOLDER: &str = "corpus-compile";

/// The scratch crate's library target, as cargo names it in diagnostics.
const CRATE_NAME: &str = "corpus_compile";

/// How many diagnostics a failing case shows; the rest are counted.
const MAX_SHOWN: usize = 30;

fn main() {
    let args = Arguments::from_args();
    let trials = match corpus_dir() {
        Ok(Some(dir)) => trials(&dir, &args),
        Ok(None) => Vec::new(),
        Err(message) => vec![Trial::test("corpus_folder", move || Err(message.into()))],
    };
    libtest_mimic::run(&args, trials).exit();
}

/// The corpus folder; `Ok(None)` when there is none to test (not an error outside CI).
fn corpus_dir() -> Result<Option<PathBuf>, String> {
    if let Some(dir) = env::var_os("THRIFT_SHARED_IDL") {
        let dir = PathBuf::from(dir);
        return if dir.is_dir() {
            Ok(Some(dir))
        } else {
            Err(format!(
                "THRIFT_SHARED_IDL is set to {}, which is not a folder",
                dir.display()
            ))
        };
    }
    let fallback = workspace().join("../shared/idl");
    if fallback.is_dir() {
        Ok(Some(fallback))
    } else {
        eprintln!(
            "note: the corpus compile tests were not run: THRIFT_SHARED_IDL is not set and {} \
             does not exist",
            fallback.display()
        );
        Ok(None)
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One corpus file and what became of it.
struct Root {
    /// The path relative to the corpus folder, with `/`: the case's name.
    name: String,
    path: PathBuf,
    /// Its folder in the crate, `r_<n>`.
    folder: String,
    /// The generated modules (name, code), or why generation failed.
    generated: Result<Vec<(String, String)>, String>,
    /// Rendered diagnostics pointing into the root's code.
    diagnostics: Vec<String>,
    /// Why its code could not be checked.
    unchecked: Option<String>,
}

fn trials(dir: &Path, args: &Arguments) -> Vec<Trial> {
    let mut files = Vec::new();
    if let Err(e) = find_thrift_files(dir, &mut files) {
        let message = format!("cannot list {}: {e}", dir.display());
        return vec![Trial::test("corpus_folder", move || Err(message.into()))];
    }
    if files.is_empty() {
        let message = format!("no .thrift file under {}", dir.display());
        return vec![Trial::test("corpus_folder", move || Err(message.into()))];
    }
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            f.strip_prefix(dir)
                .unwrap_or(f)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    let case = |name: &str| format!("compiles::{name}");

    // Generate and check only the files whose case is going to run (`--list` runs none;
    // `corpus_crate` needs them all), so that a filter naming one file is quick.
    let runs = |name: &str| {
        let probe = Trial::test(name, || Ok(()));
        !args.list && !args.is_filtered_out(&probe) && !args.is_ignored(&probe)
    };
    let all = runs("corpus_crate");
    let selected: Vec<bool> = names.iter().map(|n| all || runs(&case(n))).collect();
    if !selected.contains(&true) {
        let mut trials: Vec<Trial> = names
            .iter()
            .map(|n| Trial::test(case(n), || Ok(())))
            .collect();
        trials.push(Trial::test("corpus_crate", || Ok(())));
        return trials;
    }

    // The cases left out are filtered out by `run`, which counts them.
    let mut trials: Vec<Trial> = names
        .iter()
        .zip(&selected)
        .filter(|(_, selected)| !**selected)
        .map(|(n, _)| Trial::test(case(n), || Ok(())))
        .collect();
    let start = Instant::now();
    let mut roots: Vec<Root> = files
        .into_iter()
        .zip(names)
        .enumerate()
        .filter(|(i, _)| selected[*i])
        .map(|(i, (path, name))| {
            let generated = generate(&path);
            Root {
                name,
                path,
                folder: format!("r_{i}"),
                generated,
                diagnostics: Vec::new(),
                unchecked: None,
            }
        })
        .collect();
    let generated = start.elapsed();
    let problems = check_all(&mut roots);
    eprintln!(
        "note: generated the code of {} IDL files in {:.1}s, checked it in {:.1}s",
        roots.len(),
        generated.as_secs_f64(),
        (start.elapsed() - generated).as_secs_f64()
    );

    let crate_dir = crate_dir();
    for root in roots {
        let outcome = match &root.generated {
            Err(e) => Err(format!(
                "code generation for {} failed:\n{e}",
                root.path.display()
            )),
            Ok(modules) if !root.diagnostics.is_empty() => Err(report(&root, modules, &crate_dir)),
            Ok(_) => match &root.unchecked {
                Some(reason) => Err(format!(
                    "the code generated for {} was not checked: {reason}",
                    root.path.display()
                )),
                None => Ok(()),
            },
        };
        trials.push(Trial::test(case(&root.name), move || {
            outcome.map_err(Failed::from)
        }));
    }
    let crate_result = if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "problems outside any corpus file's code (crate at {}):\n\n{}",
            crate_dir.display(),
            shown(&problems)
        ))
    };
    trials.push(Trial::test("corpus_crate", move || {
        crate_result.map_err(Failed::from)
    }));
    trials.sort_by(|a, b| a.name().cmp(b.name()));
    trials
}

fn find_thrift_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            find_thrift_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "thrift") {
            out.push(path);
        }
    }
    Ok(())
}

/// The modules of `root` and of everything it includes, as `(module, code)`.
fn generate(root: &Path) -> Result<Vec<(String, String)>, String> {
    // A panic is this file's failure, not the end of every case.
    let generated = std::panic::catch_unwind(|| {
        thrift_codegen::configure()
            .nest_includes(false)
            .cargo_directives(false)
            .generate(&[root], &[] as &[PathBuf])
    });
    let files = match generated {
        Ok(result) => result.map_err(|e| e.to_string())?,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            return Err(format!("thrift-codegen panicked: {message}"));
        }
    };
    let mut seen = BTreeSet::new();
    let mut modules = Vec::new();
    for file in files {
        if !seen.insert(file.module.clone()) {
            return Err(format!(
                "two of the files generate the module `{}`; written to one folder, one would \
                 overwrite the other",
                file.module
            ));
        }
        modules.push((file.module, file.code));
    }
    Ok(modules)
}

fn crate_dir() -> PathBuf {
    target_dir().join(CRATE_FOLDER)
}

/// The workspace's target folder, shared so that dependencies are built once.
fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace().join("target"),
    }
}

/// Checks the code of every root that was generated, filling in `diagnostics` and
/// `unchecked`. Returns the crate's own problems: diagnostics outside any root's code, or
/// why it could not be checked.
fn check_all(roots: &mut [Root]) -> Vec<String> {
    let dir = crate_dir();
    let mut problems = Vec::new();
    let mut candidates: Vec<usize> = (0..roots.len())
        .filter(|&i| roots[i].generated.is_ok())
        .collect();
    while !candidates.is_empty() {
        let checked = write_crate(&dir, roots, &candidates)
            .map_err(|e| format!("cannot write the crate in {}: {e}", dir.display()))
            .and_then(|layout| Ok((layout, run_clippy(&dir)?)));
        let (layout, build) = match checked {
            Ok(checked) => checked,
            Err(reason) => {
                for &i in &candidates {
                    roots[i].unchecked = Some(reason.clone());
                }
                problems.push(reason);
                break;
            }
        };
        // An error in a dependency means the crate was not compiled at all.
        let dependency_failed = build.foreign.iter().any(|d| d.error);
        problems.extend(build.foreign.iter().map(|d| d.rendered.clone()));
        if dependency_failed || (!build.success && build.diagnostics.is_empty()) {
            let reason = if dependency_failed {
                "a dependency failed to build (see corpus_crate)".to_string()
            } else {
                let reason = format!(
                    "`cargo clippy` failed without a diagnostic:\n{}",
                    build.stderr
                );
                problems.push(reason.clone());
                reason
            };
            for &i in &candidates {
                roots[i].unchecked = Some(reason.clone());
            }
            break;
        }
        let (mut errors, mut errors_outside) = (false, false);
        for d in &build.diagnostics {
            let owners = layout.owners(d);
            if owners.is_empty() {
                problems.push(d.rendered.clone());
                errors_outside |= d.hard_error;
            }
            for i in owners {
                roots[i].diagnostics.push(d.rendered.clone());
            }
            errors |= d.hard_error;
        }
        // Without errors, rustc ran every lint. Errors can stop it before its lints, so
        // the roots that seem clean are checked again without the failing ones.
        if !errors {
            // The crate compiles: rustdoc reads the doc comments as it would in a user's
            // crate, and none of them may hold a doctest.
            check_docs(&dir, &layout, roots, &mut problems);
            break;
        }
        if errors_outside {
            for &i in &candidates {
                if roots[i].diagnostics.is_empty() {
                    roots[i].unchecked = Some(
                        "errors outside this file's code (see corpus_crate) may have kept \
                         rustc from linting it"
                            .to_string(),
                    );
                }
            }
            break;
        }
        candidates.retain(|&i| roots[i].diagnostics.is_empty());
    }
    problems
}

/// Adds rustdoc's warnings on the generated doc comments, and every doctest in them (an IDL
/// comment is text; a doctest made of it fails in the user's `cargo test`), to their roots.
fn check_docs(dir: &Path, layout: &Layout, roots: &mut [Root], problems: &mut Vec<String>) {
    match run_rustdoc(dir) {
        Ok(build) => {
            problems.extend(build.foreign.iter().map(|d| d.rendered.clone()));
            for d in &build.diagnostics {
                let owners = layout.owners(d);
                if owners.is_empty() {
                    problems.push(d.rendered.clone());
                }
                for i in owners {
                    roots[i]
                        .diagnostics
                        .push(format!("rustdoc: {}", d.rendered));
                }
            }
            if !build.success && build.diagnostics.is_empty() {
                problems.push(format!("`cargo doc` failed:\n{}", build.stderr));
            }
        }
        Err(reason) => problems.push(reason),
    }
    // `--list` names each doctest, `src/r_<n>/<module>.rs - <item> (line <n>): test`,
    // without compiling any.
    let output = Command::new(cargo())
        .args(["test", "--doc", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .args(["--", "--list"])
        .env("CARGO_TARGET_DIR", target_dir())
        .current_dir(dir)
        .output();
    let output = match output {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            problems.push(format!("`cargo test --doc -- --list` failed:\n{stderr}"));
            return;
        }
        Err(e) => {
            problems.push(format!("cannot run `cargo test --doc`: {e}"));
            return;
        }
    };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Some(test) = line.strip_suffix(": test") else {
            continue;
        };
        let owner = layout
            .folders
            .iter()
            .find(|(folder, _)| test.starts_with(folder.as_str()));
        let message = format!("a generated doc comment holds a doctest: {test}");
        match owner {
            Some((_, &i)) => roots[i].diagnostics.push(message),
            None => problems.push(message),
        }
    }
}

/// Which source files and `lib.rs` lines belong to which root.
struct Layout {
    /// `src/r_<n>/` → root index.
    folders: BTreeMap<String, usize>,
    /// Root index → its lines of `lib.rs` (1-based, inclusive).
    lib_lines: Vec<(usize, usize, usize)>,
}

impl Layout {
    /// The roots a diagnostic points into.
    fn owners(&self, d: &Diagnostic) -> BTreeSet<usize> {
        let mut owners = BTreeSet::new();
        for (file, line) in &d.places {
            if file == "src/lib.rs" {
                owners.extend(
                    self.lib_lines
                        .iter()
                        .filter(|(_, first, last)| (*first..=*last).contains(line))
                        .map(|(i, _, _)| *i),
                );
            } else if let Some((_, &i)) = self
                .folders
                .iter()
                .find(|(folder, _)| file.starts_with(folder.as_str()))
            {
                owners.insert(i);
            }
        }
        owners
    }
}

/// Writes the crate with the roots `included`; files whose text is unchanged are left alone,
/// so that an unchanged crate is not checked again.
fn write_crate(dir: &Path, roots: &[Root], included: &[usize]) -> std::io::Result<Layout> {
    let src = dir.join("src");
    fs::create_dir_all(&src)?;
    write_if_changed(&dir.join("Cargo.toml"), &manifest()?)?;
    // The workspace's versions of thrift-tower's dependencies, so that nothing is resolved
    // anew (cargo then drops the packages the crate does not use).
    if let Ok(lock) = fs::read_to_string(workspace().join("Cargo.lock")) {
        write_if_changed(&dir.join("Cargo.lock"), &lock)?;
    }

    let mut lib = String::from(
        "//! Generated by thrift-codegen's `corpus_compiles` test: one module per corpus file.\n",
    );
    let mut layout = Layout {
        folders: BTreeMap::new(),
        lib_lines: Vec::new(),
    };
    let mut wanted = BTreeSet::new();
    for &i in included {
        let root = &roots[i];
        let Ok(modules) = &root.generated else {
            continue;
        };
        let folder = &root.folder;
        let first = lib.lines().count() + 1;
        lib.push_str(&format!(
            "\n/// `{}` and the files it includes.\npub mod {folder} {{\n",
            root.name
        ));
        for (module, code) in modules {
            let file = module.trim_start_matches("r#");
            lib.push_str(&format!(
                "    /// Generated from the IDL module `{file}`.\n    pub mod {module};\n"
            ));
            let path = src.join(folder).join(format!("{file}.rs"));
            fs::create_dir_all(src.join(folder))?;
            write_if_changed(&path, code)?;
            wanted.insert(path);
        }
        lib.push_str("}\n");
        layout.lib_lines.push((i, first, lib.lines().count()));
        layout.folders.insert(format!("src/{folder}/"), i);
    }
    write_if_changed(&src.join("lib.rs"), &lib)?;
    wanted.insert(src.join("lib.rs"));
    remove_others(&src, &wanted)?;
    Ok(layout)
}

/// The scratch crate's manifest: standalone, with the workspace's lints.
fn manifest() -> std::io::Result<String> {
    let workspace_manifest = fs::read_to_string(workspace().join("Cargo.toml"))?;
    let lints = workspace_lints(&workspace_manifest);
    if lints.is_empty() {
        return Err(std::io::Error::other(
            "the workspace's Cargo.toml has no [workspace.lints] tables to copy",
        ));
    }
    let tower = workspace().join("thrift-tower");
    let tower = tower.canonicalize().unwrap_or(tower);
    Ok(format!(
        "# Generated by thrift-codegen's `corpus_compiles` test.\n\
         [package]\n\
         name = \"corpus-compile\"\n\
         version = \"0.0.0\"\n\
         edition = \"2024\"\n\
         publish = false\n\n\
         [dependencies]\n\
         thrift-tower = {{ path = {:?} }}\n\n\
         [lints]\n\
         workspace = true\n\n\
         # Not a member of the project's workspace.\n\
         [workspace]\n\n\
         {lints}",
        tower.display().to_string()
    ))
}

/// The `[workspace.lints.*]` tables of a workspace manifest, as written there.
fn workspace_lints(manifest: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            inside = trimmed.starts_with("[workspace.lints");
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text)?;
    }
    Ok(())
}

/// Removes files and folders under `dir` left from earlier runs (a root that is gone).
fn remove_others(dir: &Path, wanted: &BTreeSet<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            remove_others(&path, wanted)?;
            if fs::read_dir(&path)?.next().is_none() {
                fs::remove_dir(&path)?;
            }
        } else if !wanted.contains(&path) {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// One error or warning of the compiler.
struct Diagnostic {
    rendered: String,
    /// The files (relative to the crate, with `/`) and lines of its primary spans, followed
    /// out of macro expansions.
    places: Vec<(String, usize)>,
    /// An error, not a warning.
    error: bool,
    /// An error that is not a lint made an error by `-D warnings`.
    hard_error: bool,
}

struct Build {
    success: bool,
    /// Those of the scratch crate.
    diagnostics: Vec<Diagnostic>,
    /// Those of other crates (thrift-tower).
    foreign: Vec<Diagnostic>,
    stderr: String,
}

fn run_clippy(dir: &Path) -> Result<Build, String> {
    run_cargo(dir, "clippy", &["--", "-D", "warnings"])
}

/// `cargo doc`: rustdoc's lints (HTML tags, links, bare URLs) on the generated doc comments,
/// as a user's `cargo doc` would report them.
fn run_rustdoc(dir: &Path) -> Result<Build, String> {
    run_cargo(dir, "doc", &["--no-deps"])
}

/// The cargo running this test, so the toolchain is the same.
fn cargo() -> std::ffi::OsString {
    env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Runs `cargo <command> --lib` on the scratch crate and collects its JSON diagnostics.
fn run_cargo(dir: &Path, command: &str, args: &[&str]) -> Result<Build, String> {
    let cargo = cargo();
    let output = Command::new(&cargo)
        .args([command, "--lib", "--message-format=json", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .args(args)
        .env("CARGO_TARGET_DIR", target_dir())
        .current_dir(dir)
        .output()
        .map_err(|e| {
            format!(
                "cannot run `{} {command}`: {e}",
                Path::new(&cargo).display()
            )
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
    let stderr = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
    let mut diagnostics = Vec::new();
    let mut foreign = Vec::new();
    let mut finished = None;
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        match message["reason"].as_str() {
            Some("compiler-message") => {
                let Some(d) = diagnostic(&message["message"], dir) else {
                    continue;
                };
                if message["target"]["name"] == CRATE_NAME {
                    diagnostics.push(d);
                } else {
                    foreign.push(d);
                }
            }
            Some("build-finished") => finished = message["success"].as_bool(),
            _ => {}
        }
    }
    match finished {
        Some(success) => Ok(Build {
            success: success && output.status.success(),
            diagnostics,
            foreign,
            stderr,
        }),
        None => Err(format!(
            "`cargo {command}` on {} did not finish ({}):\n{stderr}",
            dir.display(),
            output.status
        )),
    }
}

/// The error or warning in a rustc JSON diagnostic, or `None` for notes and summaries.
fn diagnostic(message: &Value, dir: &Path) -> Option<Diagnostic> {
    let level = message["level"].as_str().unwrap_or_default();
    if !level.starts_with("error") && level != "warning" {
        return None;
    }
    let text = message["message"].as_str().unwrap_or_default();
    let spans = message["spans"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    // "aborting due to 3 previous errors", "2 warnings emitted": summaries of the others.
    if spans.is_empty() && (text.starts_with("aborting due to") || text.ends_with("emitted")) {
        return None;
    }
    let mut places = Vec::new();
    for span in spans.iter().filter(|s| s["is_primary"] == true) {
        let mut span = span;
        loop {
            let file = relative(span["file_name"].as_str().unwrap_or_default(), dir);
            let ours = file == "src/lib.rs" || file.starts_with("src/r_");
            if ours || span["expansion"].is_null() {
                let line = span["line_start"].as_u64().unwrap_or(0) as usize;
                places.push((file, line));
                break;
            }
            span = &span["expansion"]["span"];
        }
    }
    let code = message["code"]["code"].as_str().unwrap_or_default();
    let lint = !code.is_empty() && !code.starts_with('E');
    Some(Diagnostic {
        rendered: message["rendered"]
            .as_str()
            .unwrap_or(text)
            .trim_end()
            .to_string(),
        places,
        error: level.starts_with("error"),
        hard_error: level.starts_with("error") && !lint,
    })
}

/// A span's file relative to the crate folder, with `/`.
fn relative(file: &str, dir: &Path) -> String {
    let path = Path::new(file);
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// A failing case's message: where its code is, then the diagnostics.
fn report(root: &Root, modules: &[(String, String)], crate_dir: &Path) -> String {
    let files: Vec<String> = modules
        .iter()
        .map(|(m, _)| format!("{}.rs", m.trim_start_matches("r#")))
        .collect();
    format!(
        "the code generated for {} does not compile clean ({} diagnostics); its modules are \
         {} in {}:\n\n{}",
        root.path.display(),
        root.diagnostics.len(),
        files.join(", "),
        crate_dir.join("src").join(&root.folder).display(),
        shown(&root.diagnostics)
    )
}

fn shown(diagnostics: &[String]) -> String {
    let mut out = diagnostics
        .iter()
        .take(MAX_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n\n");
    if diagnostics.len() > MAX_SHOWN {
        out.push_str(&format!(
            "\n\n... and {} more",
            diagnostics.len() - MAX_SHOWN
        ));
    }
    out
}
