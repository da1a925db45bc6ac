//! Parser and whole-pipeline speed on the largest real-world IDL of the shared corpus,
//! Hive's metastore (about 2,250 lines), read in place.
//!
//! ```text
//! cargo bench -p thrift-codegen --bench parse
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
    let path = corpus().join("real/hive/hive_metastore.thrift");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): set THRIFT_SHARED_IDL to the shared IDL folder",
            path.display()
        )
    });
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("hive_metastore");
    group.throughput(Throughput::Bytes(source.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| thrift_codegen::parse(&path, black_box(&source)).expect("parses"))
    });
    group.bench_function("parse+resolve+emit", |b| {
        b.iter(|| {
            thrift_codegen::configure()
                .cargo_directives(false)
                .generate(&[&path], &[] as &[&Path])
                .expect("generates")
        })
    });
    group.finish();
    c.final_summary();
}
