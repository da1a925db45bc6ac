//! Many callers at once, on few connections: `thrift-test-load` against `thrift-test-server`
//! for a second per case, every answer checked. It passes when every call succeeded with
//! its own answer (nothing lost, nothing given to another caller) and calls were made; it
//! says nothing about speed (`tests/load.sh` measures that, side by side with Apache's
//! servers).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tests::process::{RunningServer, describe, run_bounded};

const SERVER: &str = env!("CARGO_BIN_EXE_thrift-test-server");
const LOAD: &str = env!("CARGO_BIN_EXE_thrift-test-load");

fn run(protocol: &str, transport: &str, call: &str, size: &str) {
    let server = RunningServer::on_free_port(
        Path::new(SERVER),
        &["--protocol", protocol, "--transport", transport],
        Duration::from_secs(30),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut command = Command::new(LOAD);
    command
        .args(server.address.client_args())
        .args(["--protocol", protocol, "--transport", transport])
        .args(["--connections", "3", "--in-flight", "20"])
        .args(["--seconds", "1", "--warmup", "0.2"])
        .args(["--call", call, "--size", size]);
    let run = run_bounded(&mut command, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", describe(&command)));
    let summary = run.stdout.lines().find(|l| l.starts_with("calls "));
    let clean = summary.is_some_and(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        words.get(1).and_then(|n| n.parse::<u64>().ok()) > Some(0)
            && words.get(2..4) == Some(&["errors", "0"][..])
    });
    assert!(
        run.status.is_some_and(|s| s.success()) && clean,
        "{} ended with {:?}\n--- stdout:\n{}\n--- stderr:\n{}\n--- server stderr:\n{}",
        describe(&command),
        run.status,
        run.stdout,
        run.stderr,
        server.stderr()
    );
}

#[test]
fn many_callers_binary_framed_strings() {
    run("binary", "framed", "string", "64");
}

#[test]
fn many_callers_compact_buffered_structs() {
    run("compact", "buffered", "struct", "1000");
}

#[test]
fn many_callers_json_buffered_large_strings() {
    run("json", "buffered", "string", "100000");
}

/// zlib over the socket, as Apache's cross tests name it (`--transport zlib`): many
/// pipelined calls through one compression stream each way.
#[test]
fn many_callers_binary_zlib_structs() {
    run("binary", "zlib", "struct", "1000");
}
