//! Our ThriftTest client (`thrift-test-client`, this package's binary) against Apache
//! Thrift's own C++ server, over every protocol and transport of Apache's cross-test suite.
//!
//! Each test starts `cross_server`, the program `tests/cpp/cross_server.cpp` becomes when
//! built against Debian's `libthrift-dev` with the code `thrift --gen cpp` makes from
//! Apache's `ThriftTest.thrift` (see `tests::apache_cpp`; the build happens once and is
//! reused while its inputs do not change), once per transport (`buffered`, `framed`, `http`,
//! and `zlib`: TZlibTransport over buffered, flagged `--transport zlib --zlib` as Apache's
//! cross-test runner does; THeader's `header` and `multih` over `buffered` and `framed`, as
//! Apache's programs run them), on a port it picks itself and prints, waits until it accepts
//! connections, and runs the client against it. The server is a `TThreadedServer` with
//! Apache's transport and protocol factories (for zlib, a `TZlibTransportFactory` around the
//! buffered one), and for the `multi*` protocols a `TMultiplexedProcessor` serving
//! ThriftTest and SecondService. The client calls every ThriftTest method (and, multiplexed,
//! SecondService), checks each answer, and ends with `N passed, M failed`; a test wants exit
//! status 0 and `0 failed`, and shows the client's whole output and the server's stderr
//! otherwise.
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

const CLIENT: &str = env!("CARGO_BIN_EXE_thrift-test-client");
const TRANSPORTS: [&str; 4] = ["buffered", "framed", "http", "zlib"];
/// The transports Apache's programs stack THeader on (not http, where Apache's THeader
/// fails): its frames as they are, and each inside a framed transport's frame. `multih`
/// runs on one of them only, to keep the time modest: `header` has both.
const HEADER_TRANSPORTS: [&str; 2] = ["buffered", "framed"];
const MULTIH_TRANSPORTS: [&str; 1] = ["framed"];
/// How long the server may take to print that it listens, and then to accept a connection.
const SERVER_START: Duration = Duration::from_secs(30);
/// How long one run of the client may take; each of its calls is also bounded by the
/// client's own per-call timeout.
const CLIENT_RUN: Duration = Duration::from_secs(180);

#[test]
fn cpp_server_binary() {
    check_protocol("binary");
}

#[test]
fn cpp_server_compact() {
    check_protocol("compact");
}

#[test]
fn cpp_server_json() {
    check_protocol("json");
}

#[test]
fn cpp_server_header() {
    check_protocol("header");
}

#[test]
fn cpp_server_multi() {
    check_protocol("multi");
}

#[test]
fn cpp_server_multic() {
    check_protocol("multic");
}

#[test]
fn cpp_server_multih() {
    check_protocol("multih");
}

#[test]
fn cpp_server_multij() {
    check_protocol("multij");
}

/// Our client over TLS against Apache's C++ `TSSLServerSocket`, every protocol once, and
/// over https to its `THttpServer`.
#[test]
fn cpp_server_over_tls() {
    let programs =
        cpp_programs(Path::new(env!("CARGO_TARGET_TMPDIR"))).unwrap_or_else(|e| panic!("{e}"));
    check_pairs(
        "thrift-test-client over TLS against Apache's C++ server (cross_server)",
        [
            ("binary", "buffered+ssl"),
            ("compact", "framed+ssl"),
            ("json", "buffered+ssl"),
            ("multi", "framed+ssl"),
            ("multic", "buffered+ssl"),
            ("multij", "framed+ssl"),
            ("compact", "http+ssl"),
        ],
        |p, t| run_pair(&programs, p, t),
    );
}

/// Runs the client against a fresh C++ server for each transport and fails with every
/// transport's problem at once.
fn check_protocol(protocol: &str) {
    let programs =
        cpp_programs(Path::new(env!("CARGO_TARGET_TMPDIR"))).unwrap_or_else(|e| panic!("{e}"));
    check_pairs(
        "thrift-test-client against Apache's C++ server (cross_server)",
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

/// Starts the C++ server on a port it picks itself and prints, and runs `thrift-test-client`
/// against it.
fn run_pair(programs: &CppPrograms, protocol: &str, transport: &str) -> Result<(), String> {
    let mut command = Command::new(&programs.server);
    command
        .args(["--port", "0"])
        .args(cross_flags(protocol, transport));
    let server = RunningServer::on_printed_port(&mut command, SERVER_START)
        .map_err(|e| format!("{e}; {SETUP_HINT}"))?;
    let mut command = Command::new(CLIENT);
    command
        .args(server.address.client_args())
        .args(cross_flags(protocol, transport));
    let client = describe(&command);
    let run =
        run_bounded(&mut command, CLIENT_RUN).map_err(|e| format!("cannot run {client}: {e}"))?;
    check_client_run(&run, &client, protocol, CLIENT_RUN, &server)
}
