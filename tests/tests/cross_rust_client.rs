//! Our ThriftTest client (`thrift-test-client`, this package's binary) against Apache
//! Thrift's own Python server, and against our server, over every protocol and transport of
//! Apache's cross-test suite.
//!
//! Each `python_server_*` test starts `tests/python/cross_server.py` with Debian's
//! `/usr/bin/python3` and the code `thrift --gen py` makes from Apache's `ThriftTest.thrift`,
//! once per transport (`buffered`, `framed`, `http`, and `zlib`: Apache's TZlibTransport over
//! buffered, flagged `--transport zlib --zlib` as Apache's cross-test runner does; THeader's
//! `header` and `multih` over `buffered` and `framed`, as Apache's programs run them), on a
//! port it picks itself, waits until it accepts connections, and runs the client against it.
//! `our_server_all_combinations` does the same with `thrift-test-server` for every protocol
//! and transport pair, and `our_server_unix_socket` over a Unix domain socket. The client
//! calls every ThriftTest
//! method (and, multiplexed, SecondService), checks each answer, and ends with
//! `N passed, M failed`; a test wants exit status 0 and `0 failed`, and shows the client's
//! whole output and the server's stderr otherwise.
//!
//! Requires Debian's `thrift` compiler and `python3-thrift` (`tests/setup-debian.sh`) and the
//! shared IDL folder (`THRIFT_SHARED_IDL`); the Python tests fail, never skip, without them.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tests::apache_python::{PYTHON, repo_root};
use tests::process::{
    GeneratedPython, RunningServer, SETUP_HINT, check_client_run, check_pairs, cross_flags,
    describe, generated_python, nanos, run_bounded,
};

const CLIENT: &str = env!("CARGO_BIN_EXE_thrift-test-client");
const OUR_SERVER: &str = env!("CARGO_BIN_EXE_thrift-test-server");
const PROTOCOLS: [&str; 8] = [
    "binary", "compact", "json", "header", "multi", "multic", "multih", "multij",
];
const TRANSPORTS: [&str; 4] = ["buffered", "framed", "http", "zlib"];
/// The transports Apache's programs stack THeader on (not http, where Apache's THeader
/// fails): its frames as they are, and each inside a framed transport's frame. `multih`
/// runs on one of them only against Apache, to keep the time modest: `header` has both.
const HEADER_TRANSPORTS: [&str; 2] = ["buffered", "framed"];
const MULTIH_TRANSPORTS: [&str; 1] = ["framed"];
/// How long a server may take to print that it listens, and then to accept a connection.
const SERVER_START: Duration = Duration::from_secs(30);
/// How long one run of the client may take; each of its calls is also bounded by the
/// client's own per-call timeout.
const CLIENT_RUN: Duration = Duration::from_secs(180);

#[test]
fn python_server_binary() {
    check_python_server("binary");
}

#[test]
fn python_server_compact() {
    check_python_server("compact");
}

#[test]
fn python_server_json() {
    check_python_server("json");
}

#[test]
fn python_server_header() {
    check_python_server("header");
}

#[test]
fn python_server_multi() {
    check_python_server("multi");
}

#[test]
fn python_server_multic() {
    check_python_server("multic");
}

#[test]
fn python_server_multih() {
    check_python_server("multih");
}

#[test]
fn python_server_multij() {
    check_python_server("multij");
}

#[test]
fn our_server_all_combinations() {
    // Ours against ours: THeader's protocols over both of its transports.
    let pairs = PROTOCOLS.iter().flat_map(|p| {
        let transports: &[&str] = if matches!(*p, "header" | "multih") {
            &HEADER_TRANSPORTS
        } else {
            &TRANSPORTS
        };
        transports.iter().map(move |t| (*p, *t))
    });
    check_pairs(
        "thrift-test-client against thrift-test-server",
        pairs,
        |p, t| our_tcp_server(p, t).and_then(|server| run_client(&server, p, t)),
    );
}

#[cfg(unix)]
#[test]
fn our_server_unix_socket() {
    check_pairs(
        "thrift-test-client against thrift-test-server over a Unix domain socket",
        [
            ("binary", "buffered"),
            ("multic", "framed"),
            ("json", "zlib"),
        ],
        |p, t| our_unix_server(p, t).and_then(|server| run_client(&server, p, t)),
    );
}

/// The client with its default settings (one call at a time per connection) against the
/// Python servers other than the threaded one: every case passes, the concurrency cases
/// included, also against TNonblockingServer, which loses calls sent back to back on one
/// connection.
#[test]
fn python_server_kinds_with_default_client_settings() {
    let generated = generated_python().unwrap_or_else(|e| panic!("{e}"));
    let kinds = [
        ("binary", "framed", "nonblocking"),
        ("compact", "framed", "nonblocking"),
        ("multij", "framed", "nonblocking"),
        ("binary", "buffered", "threadpool"),
    ];
    check_pairs(
        "thrift-test-client against Apache's Python TNonblockingServer and TThreadPoolServer",
        kinds.map(|(p, t, _)| (p, t)),
        |p, t| {
            let kind = kinds
                .iter()
                .find(|(kp, kt, _)| (*kp, *kt) == (p, t))
                .map_or("threaded", |k| k.2);
            python_server_of_type(&generated, p, t, kind)
                .and_then(|server| run_client(&server, p, t))
        },
    );
}

/// Our client over TLS (`TSSLServerSocket`, which requires the client certificate our
/// client shows, as Apache's test server does), every protocol once; and against our own
/// server over TLS, https included.
#[test]
fn python_server_over_tls() {
    let generated = generated_python().unwrap_or_else(|e| panic!("{e}"));
    check_pairs(
        "thrift-test-client over TLS against Apache's Python server (cross_server.py)",
        [
            ("binary", "framed+ssl"),
            ("compact", "buffered+ssl"),
            ("json", "framed+ssl"),
            ("multi", "buffered+ssl"),
            ("multic", "framed+ssl"),
            ("multij", "buffered+ssl"),
        ],
        |p, t| python_server(&generated, p, t).and_then(|server| run_client(&server, p, t)),
    );
}

#[test]
fn our_server_over_tls() {
    check_pairs(
        "thrift-test-client over TLS against thrift-test-server",
        [
            ("binary", "buffered+ssl"),
            ("compact", "framed+ssl"),
            ("multij", "http+ssl"),
        ],
        |p, t| our_tcp_server(p, t).and_then(|server| run_client(&server, p, t)),
    );
}

/// Runs the client against a fresh Python server for each transport and fails with every
/// transport's problem at once.
fn check_python_server(protocol: &str) {
    let generated = generated_python().unwrap_or_else(|e| panic!("{e}"));
    check_pairs(
        "thrift-test-client against Apache's Python server (cross_server.py)",
        transports_of(protocol).iter().map(|t| (protocol, *t)),
        |p, t| python_server(&generated, p, t).and_then(|server| run_client(&server, p, t)),
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

/// Runs `thrift-test-client` against `server` and checks its exit status and summary.
fn run_client(server: &RunningServer, protocol: &str, transport: &str) -> Result<(), String> {
    let mut command = Command::new(CLIENT);
    command
        .args(server.address.client_args())
        .args(cross_flags(protocol, transport));
    let client = describe(&command);
    let run =
        run_bounded(&mut command, CLIENT_RUN).map_err(|e| format!("cannot run {client}: {e}"))?;
    check_client_run(&run, &client, protocol, CLIENT_RUN, server)
}

// ----------------------------------------------------------------------------------------
// The servers

/// Apache's Python server, on a port it picks itself (`--port 0`) and prints.
fn python_server(
    generated: &GeneratedPython,
    protocol: &str,
    transport: &str,
) -> Result<RunningServer, String> {
    python_server_of_type(generated, protocol, transport, "threaded")
}

/// Apache's Python server of `server_type` (`threaded`, `threadpool`, `nonblocking`).
fn python_server_of_type(
    generated: &GeneratedPython,
    protocol: &str,
    transport: &str,
    server_type: &str,
) -> Result<RunningServer, String> {
    let script = repo_root().join("tests/python/cross_server.py");
    let mut command = Command::new(PYTHON);
    command
        .arg("-B")
        .arg(&script)
        .arg(generated.path())
        .args(["--port", "0"])
        .args(cross_flags(protocol, transport))
        .args(["--server-type", server_type]);
    RunningServer::on_printed_port(&mut command, SERVER_START)
        .map_err(|e| format!("{e}; {SETUP_HINT}"))
}

/// Our server on a free port.
fn our_tcp_server(protocol: &str, transport: &str) -> Result<RunningServer, String> {
    RunningServer::on_free_port(
        Path::new(OUR_SERVER),
        &cross_flags(protocol, transport),
        SERVER_START,
    )
}

/// Our server on a Unix domain socket in the temporary directory.
#[cfg(unix)]
fn our_unix_server(protocol: &str, transport: &str) -> Result<RunningServer, String> {
    let path = std::env::temp_dir().join(format!(
        "thrift-tower-cross-{}-{}.sock",
        std::process::id(),
        nanos()
    ));
    let mut command = Command::new(OUR_SERVER);
    command
        .arg("--domain-socket")
        .arg(&path)
        .args(cross_flags(protocol, transport));
    RunningServer::on_unix_socket(&mut command, path, SERVER_START)
}
