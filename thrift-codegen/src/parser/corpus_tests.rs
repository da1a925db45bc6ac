//! The parser against the shared corpus of real IDL files: Apache's own test IDLs (0.17 and
//! HEAD) and real-world ones (Cassandra, HBase, Hive, Parquet, Jaeger, Zipkin, Scribe).
//!
//! Two tests, each over every file; a failure lists every file that failed, by its path in
//! the corpus, with the reason:
//! - `parse::<file>`: the file parses;
//! - `truncated::<file>`: every prefix of it (cut about every 50 bytes) parses or fails with
//!   a diagnostic that points inside the prefix, and never panics.
//!
//! The corpus is read in place from `$THRIFT_SHARED_IDL` (CI sets it), or else from
//! `<workspace>/../shared/idl` when that folder exists. Without either, both tests pass
//! without checking anything and a note says why.

use std::path::{Path, PathBuf};
use std::{env, fs};

use super::parse;

/// Roughly how far apart the truncation points are.
const TRUNCATION_STEP: usize = 50;

#[test]
fn every_corpus_file_parses() {
    check_each("parse", parse_whole);
}

#[test]
fn every_prefix_of_a_corpus_file_parses_or_points_inside_itself() {
    check_each("truncated", parse_prefixes);
}

/// Runs `check` on every corpus file and fails with the list of `<label>::<file>: <why>`
/// for the files it rejects.
fn check_each(label: &str, check: fn(&Path) -> Result<(), String>) {
    let dir = match corpus_dir() {
        Ok(Some(dir)) => dir,
        Ok(None) => return,
        Err(message) => panic!("corpus_folder: {message}"),
    };
    let files = corpus_files(&dir).unwrap_or_else(|message| panic!("corpus_folder: {message}"));
    let mut failures = Vec::new();
    for file in &files {
        // A panic is a failure of this file, not of the whole run.
        let outcome = std::panic::catch_unwind(|| check(file))
            .unwrap_or_else(|_| Err("panicked (see the panic message above)".to_string()));
        if let Err(why) = outcome {
            let name = file
                .strip_prefix(&dir)
                .unwrap_or(file)
                .to_string_lossy()
                .replace('\\', "/");
            failures.push(format!("{label}::{name}: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus files failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
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
    let fallback = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/idl");
    if fallback.is_dir() {
        Ok(Some(fallback))
    } else {
        eprintln!(
            "note: the IDL corpus tests were not run: THRIFT_SHARED_IDL is not set and {} does \
             not exist",
            fallback.display()
        );
        Ok(None)
    }
}

/// Every `.thrift` file under `dir`, sorted; an error when there is none.
fn corpus_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    find_thrift_files(dir, &mut files)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    if files.is_empty() {
        return Err(format!("no .thrift file under {}", dir.display()));
    }
    files.sort();
    Ok(files)
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

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn parse_whole(path: &Path) -> Result<(), String> {
    let source = read(path)?;
    let document = parse(path, &source).map_err(|d| d.to_string())?;
    if document.headers.is_empty() && document.definitions.is_empty() {
        return Err(format!("{}: parsed as an empty document", path.display()));
    }
    Ok(())
}

fn parse_prefixes(path: &Path) -> Result<(), String> {
    let source = read(path)?;
    let mut cut = 0;
    while cut < source.len() {
        let mut end = cut;
        while !source.is_char_boundary(end) {
            end -= 1;
        }
        let prefix = &source[..end];
        if let Err(diagnostic) = parse(path, prefix) {
            let lines: Vec<&str> = prefix.split('\n').collect();
            let (line, column) = (diagnostic.line(), diagnostic.column());
            let inside = line >= 1
                && line <= lines.len()
                && column >= 1
                && column <= lines[line - 1].chars().count() + 1;
            if !inside {
                return Err(format!(
                    "cut at byte {end}: the diagnostic points at {line}:{column}, outside the \
                     text:\n{diagnostic}"
                ));
            }
            let rendered = diagnostic.to_string();
            if rendered.contains("parse error") || diagnostic.message().is_empty() {
                return Err(format!(
                    "cut at byte {end}: a vague diagnostic:\n{rendered}"
                ));
            }
        }
        cut += TRUNCATION_STEP;
    }
    Ok(())
}
