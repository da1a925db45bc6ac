//! Our ThriftTest server against Apache Thrift's own C++ client, over every protocol and
//! transport of Apache's cross-test suite.
//!
//! Each test starts `thrift-test-server` (this package's binary) on a free port, once per
//! transport (`buffered`, `framed`, `http`, and `zlib`: Apache's TZlibTransport over buffered,
//! flagged `--transport zlib --zlib` as Apache's cross-test runner does; THeader's `header`
//! and `multih` over `buffered` and `framed`, as Apache's programs run them), and runs
//! `cross_client` against it: the program
//! `tests/cpp/cross_client.cpp` becomes when built against Debian's `libthrift-dev` with the
//! code `thrift --gen cpp` makes from Apache's `ThriftTest.thrift` (see
//! `tests::apache_cpp`; the build happens once and is reused while its inputs do not
//! change). The client calls every ThriftTest method (and, multiplexed, SecondService),
//! checks each answer and the reply's sequence id and name, and ends with
//! `N passed, M failed`; the test wants exit status 0 and `0 failed`, and shows the client's
//! whole output and the server's stderr otherwise.
//!
//! Requires Debian's `thrift` compiler, `libthrift-dev`, `libboost-dev`, `zlib1g-dev` and
//! `g++` (`tests/setup-debian.sh`) and the shared IDL folder (`THRIFT_SHARED_IDL`); the
//! tests fail, never skip, without them.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tests::apache_cpp::{CppPrograms, cpp_programs};
use tests::process::{
    RunningServer, SETUP_HINT, check_client_run, check_pairs, cross_flags, describe, run_bounded,
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
/// How long one run of the C++ client may take; each of its calls is also bounded by its
/// own socket timeout (`CALL_TIMEOUT_SECS`).
const CLIENT_RUN: Duration = Duration::from_secs(180);
const CALL_TIMEOUT_SECS: &str = "5";

#[test]
fn cpp_client_binary() {
    check_protocol("binary");
}

#[test]
fn cpp_client_compact() {
    check_protocol("compact");
}

#[test]
fn cpp_client_json() {
    check_protocol("json");
}

#[test]
fn cpp_client_header() {
    check_protocol("header");
}

#[test]
fn cpp_client_multi() {
    check_protocol("multi");
}

#[test]
fn cpp_client_multic() {
    check_protocol("multic");
}

#[test]
fn cpp_client_multih() {
    check_protocol("multih");
}

#[test]
fn cpp_client_multij() {
    check_protocol("multij");
}

/// Apache's C++ `TSSLSocket` (checking our certificate for the host, showing its own) on
/// every protocol once, and `THttpClient` over it.
#[test]
fn cpp_client_over_tls() {
    let programs =
        cpp_programs(Path::new(env!("CARGO_TARGET_TMPDIR"))).unwrap_or_else(|e| panic!("{e}"));
    check_pairs(
        "Apache's C++ client over TLS against thrift-test-server",
        [
            ("binary", "framed+ssl"),
            ("compact", "buffered+ssl"),
            ("json", "framed+ssl"),
            ("multi", "buffered+ssl"),
            ("multic", "framed+ssl"),
            ("multij", "buffered+ssl"),
            ("binary", "http+ssl"),
        ],
        |p, t| run_pair(&programs, p, t),
    );
}

/// Runs the client against a fresh server for each transport and fails with every
/// transport's problem at once.
fn check_protocol(protocol: &str) {
    let programs =
        cpp_programs(Path::new(env!("CARGO_TARGET_TMPDIR"))).unwrap_or_else(|e| panic!("{e}"));
    check_pairs(
        "Apache's C++ client against thrift-test-server",
        transports_of(protocol).iter().map(|t| (protocol, *t)),
        |p, t| run_pair(&programs, p, t),
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

fn run_pair(programs: &CppPrograms, protocol: &str, transport: &str) -> Result<(), String> {
    let server = RunningServer::on_free_port(
        Path::new(SERVER),
        &cross_flags(protocol, transport),
        SERVER_START,
    )?;
    let mut command = Command::new(&programs.client);
    command
        .args(server.address.client_args())
        .args(cross_flags(protocol, transport))
        .args(["--timeout", CALL_TIMEOUT_SECS]);
    let client = describe(&command);
    let run = run_bounded(&mut command, CLIENT_RUN)
        .map_err(|e| format!("cannot run {client}: {e}; {SETUP_HINT}"))?;
    check_client_run(&run, &client, protocol, CLIENT_RUN, &server)
}
