//! Code generation speed, through the public path a build script takes
//! (`Builder::generate`: read, parse, resolve, emit, format), on two files of the shared
//! corpus read in place: Hive's metastore (about 2,250 lines, the largest real-world IDL)
//! and Apache's `ThriftTest` (the conformance suite's service).
//!
//! ```text
//! cargo bench -p thrift-codegen --bench generate
//! ```
//!
//! The corpus folder is `$THRIFT_SHARED_IDL`, else `../shared/idl` beside the repository.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput};

fn corpus() -> PathBuf {
    match std::env::var_os("THRIFT_SHARED_IDL") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/idl"),
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let builder = thrift_codegen::configure().cargo_directives(false);
    for (name, file) in [
        ("hive_metastore", "real/hive/hive_metastore.thrift"),
        ("thrift_test", "apache/ThriftTest.thrift"),
    ] {
        let path = corpus().join(file);
        let size = std::fs::metadata(&path)
            .map(|m| m.len())
            .unwrap_or_else(|e| {
                panic!(
                    "cannot read {} ({e}): set THRIFT_SHARED_IDL to the shared IDL folder",
                    path.display()
                )
            });
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(size));
        group.bench_function("generate", |b| {
            b.iter(|| {
                builder
                    .generate(&[black_box(&path)], &[] as &[&Path])
                    .expect("generates")
            })
        });
        group.finish();
    }
    c.final_summary();
}
