//! Our ThriftTest server against Apache Thrift's own Python client, over every protocol
//! and transport of Apache's cross-test suite.
//!
//! Each test starts `thrift-test-server` (this package's binary) on a free port, once per
//! transport (`buffered`, `framed`, `http`, and `zlib`: Apache's TZlibTransport over buffered,
//! flagged `--transport zlib --zlib` as Apache's cross-test runner does; THeader's `header`
//! and `multih` over `buffered` and `framed`, as Apache's programs run them; and over TLS,
//! Apache's `TSSLSocket` and `THttpClient` over https, in `python_client_over_tls`), and
//! runs `tests/python/cross_client.py` against it with
//! Debian's `/usr/bin/python3` and the code `thrift --gen py` makes from Apache's
//! `ThriftTest.thrift`. The client calls every ThriftTest method (and, multiplexed,
//! SecondService), checks each answer and the reply's sequence id and name, and ends with
//! `N passed, M failed`; the test wants exit status 0 and `0 failed`, and shows the client's
//! whole output and the server's stderr otherwise.
//!
//! Requires Debian's `thrift` compiler and `python3-thrift` (`tests/setup-debian.sh`) and the
//! shared IDL folder (`THRIFT_SHARED_IDL`); the tests fail, never skip, without them.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tests::apache_python::{PYTHON, repo_root};
use tests::process::{
    GeneratedPython, RunningServer, SETUP_HINT, check_client_run, check_pairs, cross_flags,
    describe, generated_python, run_bounded,
};

const SERVER: &str = env!("CARGO_BIN_EXE_thrift-test-server");
const TRANSPORTS: [&str; 4] = ["buffered", "framed", "http", "zlib"];
/// The transports Apache's programs stack THeader on (not http, where Apache's THeader
/// fails): its frames as they are, and each inside a framed transport's frame. `multih`
/// runs on one of them only, to keep the time modest: `header` has both.
const HEADER_TRANSPORTS: [&str; 2] = ["buffered", "framed"];
const MULTIH_TRANSPORTS: [&str; 1] = ["framed"];
/// How long the server may take to print that it listens.
const SERVER_START: Duration = Duration::from_secs(30);
/// How long one run of the Python client may take; each of its calls is also bounded by
/// its own socket timeout (`CALL_TIMEOUT_SECS`).
const CLIENT_RUN: Duration = Duration::from_secs(180);
const CALL_TIMEOUT_SECS: &str = "5";

#[test]
fn python_client_binary() {
    check_protocol("binary");
}

#[test]
fn python_client_compact() {
    check_protocol("compact");
}

#[test]
fn python_client_json() {
    check_protocol("json");
}

#[test]
fn python_client_header() {
    check_protocol("header");
}

#[test]
fn python_client_multi() {
    check_protocol("multi");
}

#[test]
fn python_client_multic() {
    check_protocol("multic");
}

#[test]
fn python_client_multih() {
    check_protocol("multih");
}

#[test]
fn python_client_multij() {
    check_protocol("multij");
}

/// Every protocol once over TLS (with the client certificate Apache's clients show), on
/// each transport Apache's Python client takes TLS with.
#[test]
fn python_client_over_tls() {
    let generated = generated_python().unwrap_or_else(|e| panic!("{e}"));
    check_pairs(
        "Apache's Python client over TLS against thrift-test-server",
        [
            ("binary", "buffered+ssl"),
            ("compact", "framed+ssl"),
            ("json", "buffered+ssl"),
            ("multi", "framed+ssl"),
            ("multic", "buffered+ssl"),
            ("multij", "framed+ssl"),
            ("binary", "http+ssl"),
            ("multic", "http+ssl"),
        ],
        |p, t| run_pair(&generated, p, t),
    );
}

/// Runs the client against a fresh server for each transport and fails with every
/// transport's problem at once.
fn check_protocol(protocol: &str) {
    let generated = generated_python().unwrap_or_else(|e| panic!("{e}"));
    check_pairs(
        "Apache's Python client against thrift-test-server",
        transports_of(protocol).iter().map(|t| (protocol, *t)),
        |p, t| run_pair(&generated, p, t),
    );
}

/// The transports `protocol` runs over.
fn transports_of(protocol: &str) -> &'static [&'static str] {
    match protocol {
        "header" => &HEADER_TRANSPORTS,
        "multih" => &MULTIH_TRANSPORTS,
        _ => &TRANSPORTS,
    }
}

fn run_pair(generated: &GeneratedPython, protocol: &str, transport: &str) -> Result<(), String> {
    let server = RunningServer::on_free_port(
        Path::new(SERVER),
        &cross_flags(protocol, transport),
        SERVER_START,
    )?;
    let script = repo_root().join("tests/python/cross_client.py");
    let mut command = Command::new(PYTHON);
    command
        .arg("-B")
        .arg(&script)
        .arg(generated.path())
        .args(server.address.client_args())
        .args(cross_flags(protocol, transport))
        .args(["--timeout", CALL_TIMEOUT_SECS]);
    let client = describe(&command);
    let run = run_bounded(&mut command, CLIENT_RUN)
        .map_err(|e| format!("cannot run {client}: {e}; {SETUP_HINT}"))?;
    check_client_run(&run, &client, protocol, CLIENT_RUN, &server)
}
