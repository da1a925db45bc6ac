//! Apache Thrift's C++ cross-test programs, built from source for the interop tests:
//! `tests/cpp/cross_server.cpp` and `tests/cpp/cross_client.cpp`, compiled against Debian's
//! `libthrift-dev` with the code `thrift --gen cpp` makes from Apache's `ThriftTest.thrift`.
//!
//! [`cpp_programs`] builds them once per test binary into `apache-cpp/` under the folder it
//! is given (the tests give `CARGO_TARGET_TMPDIR`, which is inside the cargo target
//! directory), and does nothing when the programs there are newer than every input (the
//! IDL, the two sources and the header they share, `tests/cpp/cross_flags.h`) and were built with the same recipe (recorded in a stamp file
//! beside them). A build generates the code, compiles each generated `.cpp` file once into
//! an object file that both programs link, compiles the two programs' sources, and links
//! them with `-lthriftz -lz -lthrift`, running as many compilers at once as the machine has
//! cores. It
//! builds in a folder of its own and moves the finished programs into place, so test
//! binaries that build at the same moment do not disturb each other. Upgrading the
//! compiler or the library is not noticed: remove `apache-cpp/` to rebuild.
//!
//! Nothing here is optional: when `thrift`, `g++`, the C++ library or its headers, or the
//! IDL are missing, [`cpp_programs`] fails with a message that says to run
//! `tests/setup-debian.sh`, and a failed compilation reports the compiler's output.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::SystemTime;

use crate::apache_python::{repo_root, thrift_test_idl};
use crate::process::{SETUP_HINT, check_tool, describe, nanos};

/// Options every compilation gets.
const CXXFLAGS: [&str; 2] = ["-O2", "-std=c++17"];
/// Options the programs' own sources get beside [`CXXFLAGS`].
const WARNINGS: [&str; 2] = ["-Wall", "-Wextra"];
/// Libraries the programs link: `libthriftz` (TZlibTransport, for `--zlib`) with zlib,
/// then libthrift.
const LIBS: [&str; 4] = ["-lthriftz", "-lz", "-lthrift", "-lpthread"];
/// The programs: their names, which are also their sources' names in `tests/cpp/`.
const PROGRAMS: [&str; 2] = ["cross_server", "cross_client"];

/// The built C++ programs.
#[derive(Debug, Clone)]
pub struct CppPrograms {
    /// `cross_server`: a ThriftTest server on Apache's C++ library.
    pub server: PathBuf,
    /// `cross_client`: a ThriftTest client on Apache's C++ library.
    pub client: PathBuf,
}

/// Builds the programs (or finds them up to date) under `dir`, once per process: tests
/// that run at the same time wait for the first one's build and share its outcome, and
/// later calls return it at once, whatever `dir` they give.
pub fn cpp_programs(dir: &Path) -> Result<CppPrograms, String> {
    static BUILT: OnceLock<Result<CppPrograms, String>> = OnceLock::new();
    BUILT.get_or_init(|| build(&dir.join("apache-cpp"))).clone()
}

/// Builds into `out` unless what is there is up to date.
fn build(out: &Path) -> Result<CppPrograms, String> {
    let idl = thrift_test_idl()?;
    let sources_dir = repo_root().join("tests/cpp");
    let sources: Vec<PathBuf> = PROGRAMS
        .iter()
        .map(|p| sources_dir.join(format!("{p}.cpp")))
        .collect();
    let bin = out.join("bin");
    let programs = CppPrograms {
        server: bin.join(PROGRAMS[0]),
        client: bin.join(PROGRAMS[1]),
    };
    let stamp = bin.join("recipe");
    let mut inputs = sources.clone();
    inputs.push(sources_dir.join("cross_flags.h"));
    inputs.push(idl.clone());
    let recipe = recipe(&idl, &sources);
    if up_to_date(
        &[&programs.server, &programs.client],
        &inputs,
        &stamp,
        &recipe,
    )? {
        return Ok(programs);
    }

    check_tool(
        Command::new("thrift").arg("-version"),
        "the thrift compiler",
    )?;
    check_tool(Command::new("g++").arg("--version"), "the C++ compiler g++")?;
    let staging = Staging(out.join(format!("build-{}-{}", std::process::id(), nanos())));
    let gen_dir = staging.0.join("gen-cpp");
    let obj_dir = staging.0.join("obj");
    for dir in [&gen_dir, &obj_dir, &bin] {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }

    let mut generate = Command::new("thrift");
    generate
        .args(["--gen", "cpp", "-out"])
        .arg(&gen_dir)
        .arg(&idl);
    run(&mut generate)?;

    // The generated sources (not the server skeletons `thrift` writes beside them), each
    // compiled once and linked into both programs, then the programs' own sources.
    let mut generated: Vec<PathBuf> = std::fs::read_dir(&gen_dir)
        .map_err(|e| format!("cannot list {}: {e}", gen_dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|n| n.ends_with(".cpp") && !n.ends_with(".skeleton.cpp"))
        })
        .collect();
    generated.sort();
    if generated.is_empty() {
        return Err(format!(
            "thrift --gen cpp wrote no .cpp file into {}",
            gen_dir.display()
        ));
    }
    let object = |source: &Path| {
        let stem = source.file_stem().unwrap_or_default().to_string_lossy();
        obj_dir.join(format!("{stem}.o"))
    };
    // Largest source last, so that it is taken first and the longest compilation does
    // not start when the others are done.
    let mut compile_sources: Vec<&PathBuf> = generated.iter().chain(&sources).collect();
    compile_sources.sort_by_key(|p| std::fs::metadata(p).map_or(0, |m| m.len()));
    let mut compiles = Vec::new();
    for source in compile_sources {
        let mut command = Command::new("g++");
        command.args(CXXFLAGS);
        if sources.contains(source) {
            command.args(WARNINGS).arg(keys_define());
        }
        command
            .arg("-I")
            .arg(&gen_dir)
            .arg("-c")
            .arg(source)
            .arg("-o")
            .arg(object(source));
        compiles.push(command);
    }
    run_parallel(compiles)?;

    let shared: Vec<PathBuf> = generated.iter().map(|s| object(s)).collect();
    let mut links = Vec::new();
    for (name, source) in PROGRAMS.iter().zip(&sources) {
        let mut command = Command::new("g++");
        command
            .args(CXXFLAGS)
            .arg("-o")
            .arg(staging.0.join(name))
            .arg(object(source))
            .args(&shared)
            .args(LIBS);
        links.push(command);
    }
    run_parallel(links)?;

    for name in PROGRAMS {
        let (from, to) = (staging.0.join(name), bin.join(name));
        std::fs::rename(&from, &to)
            .map_err(|e| format!("cannot move {} to {}: {e}", from.display(), to.display()))?;
    }
    std::fs::write(&stamp, &recipe)
        .map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(programs)
}

/// Where the programs find the project's test keys when `--ssl` names none: `tests/keys/`.
fn keys_define() -> String {
    format!(
        "-DCROSS_KEYS_DIR=\"{}\"",
        crate::cross::test_key("").display()
    )
}

/// What a build does, written beside the programs: a build that would do something else
/// (other flags, another IDL) does not reuse them.
fn recipe(idl: &Path, sources: &[PathBuf]) -> String {
    let mut text = format!(
        "thrift --gen cpp {}\ng++ {} (sources: {} {})\nlink {}\n",
        idl.display(),
        CXXFLAGS.join(" "),
        WARNINGS.join(" "),
        keys_define(),
        LIBS.join(" ")
    );
    for source in sources {
        text.push_str(&format!("source {}\n", source.display()));
    }
    text
}

/// True when every output exists, is newer than every input, and was built by `recipe`.
fn up_to_date(
    outputs: &[&Path],
    inputs: &[PathBuf],
    stamp: &Path,
    recipe: &str,
) -> Result<bool, String> {
    if std::fs::read_to_string(stamp).ok().as_deref() != Some(recipe) {
        return Ok(false);
    }
    let mut newest_input = SystemTime::UNIX_EPOCH;
    for input in inputs {
        let modified = std::fs::metadata(input)
            .and_then(|m| m.modified())
            .map_err(|e| format!("cannot read {}: {e}", input.display()))?;
        newest_input = newest_input.max(modified);
    }
    Ok(outputs.iter().all(|output| {
        std::fs::metadata(output)
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified > newest_input)
    }))
}

/// Runs `command` to its end, failing with its output unless it succeeds.
fn run(command: &mut Command) -> Result<(), String> {
    let what = describe(command);
    let output = command
        .output()
        .map_err(|e| format!("cannot run {what}: {e}; {SETUP_HINT}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}):\n{}{}\n(if a header or library is missing: {SETUP_HINT})",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// Runs `commands`, as many at once as the machine has cores, taking them from the end,
/// and fails with the output of every one that failed.
fn run_parallel(commands: Vec<Command>) -> Result<(), String> {
    let workers = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(commands.len());
    let queue = Mutex::new(commands);
    let failures = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                    let Some(mut command) = next else { break };
                    if let Err(e) = run(&mut command) {
                        failures.lock().unwrap_or_else(|e| e.into_inner()).push(e);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n\n"))
    }
}

/// The folder a build works in, removed when the build ends, whether it succeeded or not.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        // Best effort: a leftover folder under the target directory harms nothing.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
