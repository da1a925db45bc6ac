//! The parser against the shared corpus of real IDL files: Apache's own test IDLs (0.17 and
//! HEAD) and real-world ones (Cassandra, HBase, Hive, Parquet, Jaeger, Zipkin, Scribe).
//!
//! Each file is two test cases, so a failure names the file:
//! - `parse::<file>`: the file parses;
//! - `truncated::<file>`: every prefix of it (cut about every 50 bytes) parses or fails with
//!   a diagnostic that points inside the prefix, and never panics.
//!
//! The corpus is read in place from `$THRIFT_SHARED_IDL` (CI sets it), or else from
//! `<workspace>/../shared/idl` when that folder exists. Without either, no case is
//! registered and a note says why.

use std::path::{Path, PathBuf};
use std::{env, fs};

use libtest_mimic::{Arguments, Failed, Trial};

/// Roughly how far apart the truncation points are.
const TRUNCATION_STEP: usize = 50;

fn main() {
    let args = Arguments::from_args();
    let trials = match corpus_dir() {
        Ok(Some(dir)) => trials(&dir),
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

fn trials(dir: &Path) -> Vec<Trial> {
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
    let mut trials = Vec::new();
    for file in files {
        let name = file
            .strip_prefix(dir)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        let path = file.clone();
        trials.push(Trial::test(format!("parse::{name}"), move || {
            parse_whole(&path)
        }));
        trials.push(Trial::test(format!("truncated::{name}"), move || {
            parse_prefixes(&file)
        }));
    }
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

fn read(path: &Path) -> Result<String, Failed> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

fn parse_whole(path: &Path) -> Result<(), Failed> {
    let source = read(path)?;
    let document = thrift_codegen::parse(path, &source).map_err(|d| d.to_string())?;
    if document.headers.is_empty() && document.definitions.is_empty() {
        return Err(format!("{}: parsed as an empty document", path.display()).into());
    }
    Ok(())
}

fn parse_prefixes(path: &Path) -> Result<(), Failed> {
    let source = read(path)?;
    let mut cut = 0;
    while cut < source.len() {
        let mut end = cut;
        while !source.is_char_boundary(end) {
            end -= 1;
        }
        let prefix = &source[..end];
        if let Err(diagnostic) = thrift_codegen::parse(path, prefix) {
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
                )
                .into());
            }
            let rendered = diagnostic.to_string();
            if rendered.contains("parse error") || diagnostic.message().is_empty() {
                return Err(format!("cut at byte {end}: a vague diagnostic:\n{rendered}").into());
            }
        }
        cut += TRUNCATION_STEP;
    }
    Ok(())
}
