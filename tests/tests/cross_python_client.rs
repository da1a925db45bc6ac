//! Our ThriftTest server against Apache Thrift's own Python client, over every protocol
//! and transport of Apache's cross-test suite.
//!
//! Each test starts `thrift-test-server` (this package's binary) on a free port, once per
//! transport (`buffered`, `framed`), and runs `tests/python/cross_client.py` against it with
//! Debian's `/usr/bin/python3` and the code `thrift --gen py` makes from Apache's
//! `ThriftTest.thrift`. The client calls every ThriftTest method (and, multiplexed,
//! SecondService), checks each answer and the reply's sequence id and name, and ends with
//! `N passed, M failed`; the test wants exit status 0 and `0 failed`, and shows the client's
//! whole output and the server's stderr otherwise.
//!
//! Requires Debian's `thrift` compiler and `python3-thrift` (`tests/setup-debian.sh`) and the
//! shared IDL folder (`THRIFT_SHARED_IDL`); the tests fail, never skip, without them.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Weak};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tests::apache_python::{IDL_ENV, PYTHON, idl_dir, repo_root};

const SERVER: &str = env!("CARGO_BIN_EXE_thrift-test-server");
const SETUP_HINT: &str = "run tests/setup-debian.sh (it installs Debian's thrift-compiler and \
                          python3-thrift)";
const TRANSPORTS: [&str; 2] = ["buffered", "framed"];
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
fn python_client_multi() {
    check_protocol("multi");
}

#[test]
fn python_client_multic() {
    check_protocol("multic");
}

#[test]
fn python_client_multij() {
    check_protocol("multij");
}

/// Runs the client against a fresh server for each transport and fails with every
/// transport's problem at once.
fn check_protocol(protocol: &str) {
    let generated = generated_python().unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    for transport in TRANSPORTS {
        if let Err(e) = run_pair(&generated, protocol, transport) {
            failures.push(format!("==== {protocol}/{transport} ====\n{e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "Apache's Python client against thrift-test-server failed:\n\n{}",
        failures.join("\n\n")
    );
}

fn run_pair(generated: &GeneratedPython, protocol: &str, transport: &str) -> Result<(), String> {
    let server = Server::start(protocol, transport)?;
    let script = repo_root().join("tests/python/cross_client.py");
    let port = server.port.to_string();
    let mut command = Command::new(PYTHON);
    command
        .arg("-B")
        .arg(&script)
        .arg(generated.path())
        .args(["--host", "127.0.0.1", "--port", &port])
        .args(["--protocol", protocol, "--transport", transport])
        .args(["--timeout", CALL_TIMEOUT_SECS]);
    let run = run_bounded(&mut command, CLIENT_RUN).map_err(|e| {
        format!(
            "cannot run {PYTHON} {}: {e}; {SETUP_HINT}",
            script.display()
        )
    })?;
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
    Err(format!(
        "{why}\n--- client: {PYTHON} -B {} {} --host 127.0.0.1 --port {port} --protocol \
         {protocol} --transport {transport} --timeout {CALL_TIMEOUT_SECS}\n--- client \
         stdout:\n{}\n--- client stderr:\n{}\n--- server stderr:\n{}",
        script.display(),
        generated.path().display(),
        run.stdout,
        run.stderr,
        server.stderr()
    ))
}

// ----------------------------------------------------------------------------------------
// The server

/// A running `thrift-test-server`, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts the server on a free port and waits for its first line. A port another
    /// process took between our probe and the server's bind makes it retry on another.
    fn start(protocol: &str, transport: &str) -> Result<Server, String> {
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            match Server::start_on(port, protocol, transport) {
                Ok(server) => return Ok(server),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    fn start_on(port: u16, protocol: &str, transport: &str) -> Result<Server, String> {
        let port_text = port.to_string();
        let mut child = Command::new(SERVER)
            .args([
                "--port",
                &port_text,
                "--protocol",
                protocol,
                "--transport",
                transport,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {SERVER}: {e}"))?;
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
            port,
            stderr,
        };
        match lines.recv_timeout(SERVER_START) {
            Ok(line) if !line.is_empty() => Ok(server),
            Ok(_) | Err(_) => {
                let status = match server.child.try_wait() {
                    Ok(Some(status)) => format!("exited with {status}"),
                    _ => format!("printed nothing within {SERVER_START:?}"),
                };
                // Let the stderr reader catch up before reporting it.
                thread::sleep(Duration::from_millis(100));
                Err(format!(
                    "{SERVER} --port {port} --protocol {protocol} --transport {transport} \
                     {status}; its stderr:\n{}",
                    server.stderr()
                ))
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
    }
}

/// A port nothing listens on right now.
fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("cannot bind a port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

// ----------------------------------------------------------------------------------------
// Running the client

struct Run {
    /// `None` when it was killed for taking too long.
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
}

/// Runs `command` to its end or until `limit`, whichever comes first, collecting its output.
fn run_bounded(command: &mut Command, limit: Duration) -> std::io::Result<Run> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = Arc::new(Mutex::new(String::new()));
    let stderr = Arc::new(Mutex::new(String::new()));
    let readers = [
        child.stdout.take().map(|p| collect(p, stdout.clone())),
        child.stderr.take().map(|p| collect(p, stderr.clone())),
    ];
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    for reader in readers.into_iter().flatten() {
        let _ = reader.join();
    }
    let take = |s: &Arc<Mutex<String>>| s.lock().map(|s| s.clone()).unwrap_or_default();
    Ok(Run {
        status,
        stdout: take(&stdout),
        stderr: take(&stderr),
    })
}

/// Appends everything `pipe` gives to `into`, on a thread of its own.
fn collect(
    mut pipe: impl Read + Send + 'static,
    into: Arc<Mutex<String>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Ok(mut s) = into.lock() {
                        s.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                }
            }
        }
    })
}

// ----------------------------------------------------------------------------------------
// The Python code generated from ThriftTest.thrift

/// A folder holding `thrift --gen py` output, removed when the last test using it is done.
struct GeneratedPython(PathBuf);

impl GeneratedPython {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for GeneratedPython {
    fn drop(&mut self) {
        // Best effort: a leftover folder in the temporary directory harms nothing.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The generated code, made once while tests that share it run (tests run in parallel
/// threads of one process) and removed when the last of them drops it.
fn generated_python() -> Result<Arc<GeneratedPython>, String> {
    static SHARED: Mutex<Weak<GeneratedPython>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(generated) = shared.upgrade() {
        return Ok(generated);
    }
    let generated = Arc::new(generate_python()?);
    *shared = Arc::downgrade(&generated);
    Ok(generated)
}

fn generate_python() -> Result<GeneratedPython, String> {
    let idl = idl_dir().join("apache/ThriftTest.thrift");
    if !idl.is_file() {
        return Err(format!(
            "{} not found: set {IDL_ENV} to the shared IDL folder (by default ../shared/idl \
             beside the repository)",
            idl.display()
        ));
    }
    check_tool(
        Command::new("thrift").arg("-version"),
        "the thrift compiler",
    )?;
    check_tool(
        Command::new(PYTHON).args([
            "-c",
            "import thrift.protocol.TJSONProtocol, thrift.protocol.TCompactProtocol, \
             thrift.TMultiplexedProcessor",
        ]),
        "Apache Thrift's Python library (python3-thrift) in /usr/bin/python3",
    )?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = GeneratedPython(std::env::temp_dir().join(format!(
        "thrift-tower-cross-python-{}-{nanos}",
        std::process::id()
    )));
    std::fs::create_dir_all(dir.path())
        .map_err(|e| format!("cannot create {}: {e}", dir.path().display()))?;
    let output = Command::new("thrift")
        .args(["--gen", "py", "-out"])
        .arg(dir.path())
        .arg(&idl)
        .output()
        .map_err(|e| format!("cannot run thrift: {e}; {SETUP_HINT}"))?;
    if !output.status.success() {
        return Err(format!(
            "thrift --gen py {} failed ({}):\n{}",
            idl.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(dir)
}

fn check_tool(command: &mut Command, what: &str) -> Result<(), String> {
    match command.output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "{what} is not usable ({:?} exited with {}: {}); {SETUP_HINT}",
            command.get_program(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!(
            "{what} is missing ({:?}: {e}); {SETUP_HINT}",
            command.get_program()
        )),
    }
}
