//! Our ThriftTest client (`thrift-test-client`, this package's binary) against Apache
//! Thrift's own Python server, and against our server, over every protocol and transport of
//! Apache's cross-test suite.
//!
//! Each `python_server_*` test starts `tests/python/cross_server.py` with Debian's
//! `/usr/bin/python3` and the code `thrift --gen py` makes from Apache's `ThriftTest.thrift`,
//! once per transport (`buffered`, `framed`), on a port it picks itself, waits until it
//! accepts connections, and runs the client against it. `our_server_all_combinations` does
//! the same with `thrift-test-server` for all twelve protocol and transport pairs, and
//! `our_server_unix_socket` over a Unix domain socket. The client calls every ThriftTest
//! method (and, multiplexed, SecondService), checks each answer, and ends with
//! `N passed, M failed`; a test wants exit status 0 and `0 failed`, and shows the client's
//! whole output and the server's stderr otherwise.
//!
//! Requires Debian's `thrift` compiler and `python3-thrift` (`tests/setup-debian.sh`) and the
//! shared IDL folder (`THRIFT_SHARED_IDL`); the Python tests fail, never skip, without them.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tests::apache_python::{PYTHON, repo_root};
use tests::process::{
    GeneratedPython, SETUP_HINT, collect, describe, free_port, generated_python, nanos, run_bounded,
};

const CLIENT: &str = env!("CARGO_BIN_EXE_thrift-test-client");
const OUR_SERVER: &str = env!("CARGO_BIN_EXE_thrift-test-server");
const PROTOCOLS: [&str; 6] = ["binary", "compact", "json", "multi", "multic", "multij"];
const TRANSPORTS: [&str; 2] = ["buffered", "framed"];
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
fn python_server_multi() {
    check_python_server("multi");
}

#[test]
fn python_server_multic() {
    check_python_server("multic");
}

#[test]
fn python_server_multij() {
    check_python_server("multij");
}

#[test]
fn our_server_all_combinations() {
    let mut failures = Vec::new();
    for protocol in PROTOCOLS {
        for transport in TRANSPORTS {
            let outcome = Server::ours_tcp(protocol, transport)
                .and_then(|server| run_client(&server, protocol, transport));
            if let Err(e) = outcome {
                failures.push(format!("==== {protocol}/{transport} ====\n{e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "thrift-test-client against thrift-test-server failed:\n\n{}",
        failures.join("\n\n")
    );
}

#[cfg(unix)]
#[test]
fn our_server_unix_socket() {
    let mut failures = Vec::new();
    for (protocol, transport) in [("binary", "buffered"), ("multic", "framed")] {
        let outcome = Server::ours_unix(protocol, transport)
            .and_then(|server| run_client(&server, protocol, transport));
        if let Err(e) = outcome {
            failures.push(format!("==== {protocol}/{transport} (unix) ====\n{e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "thrift-test-client against thrift-test-server over a Unix domain socket failed:\n\n{}",
        failures.join("\n\n")
    );
}

/// Runs the client against a fresh Python server for each transport and fails with every
/// transport's problem at once.
fn check_python_server(protocol: &str) {
    let generated = generated_python().unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    for transport in TRANSPORTS {
        let outcome = Server::python(&generated, protocol, transport)
            .and_then(|server| run_client(&server, protocol, transport));
        if let Err(e) = outcome {
            failures.push(format!("==== {protocol}/{transport} ====\n{e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "thrift-test-client against Apache's Python server (cross_server.py) failed:\n\n{}",
        failures.join("\n\n")
    );
}

/// Runs `thrift-test-client` against `server` and checks its exit status and summary.
fn run_client(server: &Server, protocol: &str, transport: &str) -> Result<(), String> {
    let mut args: Vec<String> = match &server.address {
        Address::Tcp(port) => vec![
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
        ],
        Address::Unix(path) => vec!["--domain-socket".into(), path.display().to_string()],
    };
    args.extend(["--protocol", protocol, "--transport", transport].map(String::from));
    let run = run_bounded(Command::new(CLIENT).args(&args), CLIENT_RUN)
        .map_err(|e| format!("cannot run {CLIENT}: {e}"))?;
    let summary = run.stdout.lines().rev().find(|l| !l.trim().is_empty());
    let clean_summary = summary.is_some_and(|line| {
        line.strip_suffix(" passed, 0 failed")
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n > 0)
    });
    let multiplexed_checked =
        !protocol.starts_with("multi") || run.stdout.contains("PASS SecondService.");
    if run.status.is_some_and(|s| s.success()) && clean_summary && multiplexed_checked {
        return Ok(());
    }
    let why = match (&run.status, clean_summary, multiplexed_checked) {
        (None, ..) => format!("the client did not finish within {CLIENT_RUN:?} and was killed"),
        (Some(status), _, _) if !status.success() => format!("the client exited with {status}"),
        (_, false, _) => format!("the client's last line is {summary:?}, not `N passed, 0 failed`"),
        _ => "the client did not call SecondService".to_owned(),
    };
    // Let the server's stderr reader catch up before reporting it.
    thread::sleep(Duration::from_millis(100));
    Err(format!(
        "{why}\n--- server: {}\n--- client: {CLIENT} {}\n--- client stdout:\n{}\n--- client \
         stderr:\n{}\n--- server stderr:\n{}",
        server.command,
        args.join(" "),
        run.stdout,
        run.stderr,
        server.stderr()
    ))
}

// ----------------------------------------------------------------------------------------
// The servers

/// Where a server listens.
enum Address {
    Tcp(u16),
    Unix(PathBuf),
}

/// A running server process, killed when dropped (and its socket file removed).
struct Server {
    child: Child,
    address: Address,
    /// The command line, for reports.
    command: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Apache's Python server, on a port it picks itself (`--port 0`) and prints.
    fn python(
        generated: &GeneratedPython,
        protocol: &str,
        transport: &str,
    ) -> Result<Server, String> {
        let script = repo_root().join("tests/python/cross_server.py");
        let mut command = Command::new(PYTHON);
        command
            .arg("-B")
            .arg(&script)
            .arg(generated.path())
            .args(["--port", "0", "--protocol", protocol])
            .args(["--transport", transport]);
        let (mut server, line) =
            Server::spawn(command, Address::Tcp(0)).map_err(|e| format!("{e}; {SETUP_HINT}"))?;
        // `cross_server.py listening on port N (...)`
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|p| *p != 0)
            .ok_or_else(|| {
                format!(
                    "{} printed {line:?}, not `... listening on port N ...`",
                    server.command
                )
            })?;
        server.address = Address::Tcp(port);
        server.wait_until_accepting()?;
        Ok(server)
    }

    /// Our server on a free port. A port another process took between our probe and the
    /// server's bind makes it retry on another.
    fn ours_tcp(protocol: &str, transport: &str) -> Result<Server, String> {
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let mut command = Command::new(OUR_SERVER);
            command
                .args(["--port", &port.to_string(), "--protocol", protocol])
                .args(["--transport", transport]);
            match Server::spawn(command, Address::Tcp(port)) {
                Ok((server, _)) => {
                    server.wait_until_accepting()?;
                    return Ok(server);
                }
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// Our server on a Unix domain socket in the temporary directory.
    #[cfg(unix)]
    fn ours_unix(protocol: &str, transport: &str) -> Result<Server, String> {
        let path = std::env::temp_dir().join(format!(
            "thrift-tower-cross-{}-{}.sock",
            std::process::id(),
            nanos()
        ));
        let mut command = Command::new(OUR_SERVER);
        command.arg("--domain-socket").arg(&path).args([
            "--protocol",
            protocol,
            "--transport",
            transport,
        ]);
        let (server, _) = Server::spawn(command, Address::Unix(path))?;
        server.wait_until_accepting()?;
        Ok(server)
    }

    /// Starts `command` and waits for its first line on stdout.
    fn spawn(mut command: Command, address: Address) -> Result<(Server, String), String> {
        let description = describe(&command);
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {description}: {e}"))?;
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(pipe) = child.stderr.take() {
            collect(pipe, stderr.clone());
        }
        let stdout = child.stdout.take().ok_or("no server stdout")?;
        let (first_line, lines) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = first_line.send(line);
            // Keep draining, so the server never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let mut server = Server {
            child,
            address,
            command: description,
            stderr,
        };
        match lines.recv_timeout(SERVER_START) {
            Ok(line) if !line.is_empty() => Ok((server, line.trim().to_owned())),
            Ok(_) | Err(_) => {
                let status = match server.child.try_wait() {
                    Ok(Some(status)) => format!("exited with {status}"),
                    _ => format!("printed nothing within {SERVER_START:?}"),
                };
                // Let the stderr reader catch up before reporting it.
                thread::sleep(Duration::from_millis(100));
                Err(format!(
                    "{} {status}; its stderr:\n{}",
                    server.command,
                    server.stderr()
                ))
            }
        }
    }

    /// Connects until a connection is accepted: a server may print its line before it
    /// listens.
    fn wait_until_accepting(&self) -> Result<(), String> {
        let deadline = Instant::now() + SERVER_START;
        loop {
            let attempt = match &self.address {
                Address::Tcp(port) => {
                    let addr = SocketAddr::from(([127, 0, 0, 1], *port));
                    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map(drop)
                }
                #[cfg(unix)]
                Address::Unix(path) => std::os::unix::net::UnixStream::connect(path).map(drop),
                #[cfg(not(unix))]
                Address::Unix(_) => Err(std::io::Error::other("no Unix domain sockets here")),
            };
            match attempt {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    return Err(format!(
                        "{} does not accept connections after {SERVER_START:?} ({e}); its \
                         stderr:\n{}",
                        self.command,
                        self.stderr()
                    ));
                }
                Err(_) => thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Address::Unix(path) = &self.address {
            let _ = std::fs::remove_file(path);
        }
    }
}
