//! Running the cross-test programs and Apache's Python ones from tests: bounded runs that
//! keep their output, servers on free ports, and Python code generated once per test binary.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, Weak, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::apache_python::{PYTHON, thrift_test_idl};

/// What to do when a tool is missing.
pub const SETUP_HINT: &str = "run tests/setup-debian.sh (it installs Debian's thrift-compiler, \
                              python3-thrift, libthrift-dev, libboost-dev, libssl-dev, \
                              zlib1g-dev, g++, nodejs, npm, chromium, zookeeper and \
                              python3-kazoo)";

/// `program arg arg...`, for reports.
pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The cross-test flags for `protocol` and `transport` (see [`transport_args`]).
pub fn cross_flags(protocol: &str, transport: &str) -> Vec<String> {
    let mut flags = vec!["--protocol".to_string(), protocol.to_string()];
    flags.extend(transport_args(transport));
    flags
}

/// A port nothing listens on right now.
pub fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("cannot bind a port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// Nanoseconds since the epoch, to make names unique.
pub fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// What a bounded run of a program left.
#[derive(Debug)]
pub struct Run {
    /// `None` when it was killed for taking too long.
    pub status: Option<ExitStatus>,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
}

/// Runs `command` to its end or until `limit`, whichever comes first, collecting its output.
pub fn run_bounded(command: &mut Command, limit: Duration) -> std::io::Result<Run> {
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
pub fn collect(
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

/// Where a server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A TCP port on 127.0.0.1.
    Tcp(u16),
    /// A Unix domain socket.
    Unix(PathBuf),
}

impl Address {
    /// The cross-test client flags that reach it.
    pub fn client_args(&self) -> Vec<String> {
        match self {
            Address::Tcp(port) => vec![
                "--host".into(),
                "127.0.0.1".into(),
                "--port".into(),
                port.to_string(),
            ],
            Address::Unix(path) => vec!["--domain-socket".into(), path.display().to_string()],
        }
    }
}

/// A cross-test server process, killed when dropped (and its socket file removed). The
/// cross-test servers print one line on stdout once they listen.
#[derive(Debug)]
pub struct RunningServer {
    child: Child,
    /// Where it listens.
    pub address: Address,
    command: String,
    stderr: Arc<Mutex<String>>,
}

impl RunningServer {
    /// `program --port N args...` on a free port, once it accepts connections. A port
    /// another process took between our probe and the server's bind makes it retry on
    /// another.
    pub fn on_free_port(
        program: &Path,
        args: &[impl AsRef<std::ffi::OsStr>],
        ready: Duration,
    ) -> Result<Self, String> {
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let mut command = Command::new(program);
            command.arg("--port").arg(port.to_string()).args(args);
            let started = Self::spawn(&mut command, ready).and_then(|(mut server, _)| {
                server.address = Address::Tcp(port);
                server.wait_until_accepting(ready)?;
                Ok(server)
            });
            match started {
                Ok(server) => return Ok(server),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// `command`, which is given `--port 0` and prints `... port N ...` as its first line,
    /// once it accepts connections on that port.
    pub fn on_printed_port(command: &mut Command, ready: Duration) -> Result<Self, String> {
        let (mut server, line) = Self::spawn(command, ready)?;
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
        server.wait_until_accepting(ready)?;
        Ok(server)
    }

    /// `command`, which listens on the Unix domain socket `path`, once it accepts
    /// connections there.
    pub fn on_unix_socket(
        command: &mut Command,
        path: PathBuf,
        ready: Duration,
    ) -> Result<Self, String> {
        let (mut server, _) = Self::spawn(command, ready)?;
        server.address = Address::Unix(path);
        server.wait_until_accepting(ready)?;
        Ok(server)
    }

    /// Starts `command` and waits up to `ready` for its first line on stdout, which it
    /// returns. The address is `Tcp(0)` until the caller knows it.
    pub fn spawn(command: &mut Command, ready: Duration) -> Result<(Self, String), String> {
        let description = describe(command);
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
        let mut server = RunningServer {
            child,
            address: Address::Tcp(0),
            command: description,
            stderr,
        };
        match lines.recv_timeout(ready) {
            Ok(line) if !line.is_empty() => Ok((server, line.trim().to_owned())),
            Ok(_) | Err(_) => {
                let status = match server.child.try_wait() {
                    Ok(Some(status)) => format!("exited with {status}"),
                    _ => format!("printed nothing within {ready:?}"),
                };
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
    pub fn wait_until_accepting(&self, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
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
                        "{} does not accept connections at {:?} after {limit:?} ({e}); its \
                         stderr:\n{}",
                        self.command,
                        self.address,
                        self.stderr()
                    ));
                }
                Err(_) => thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// The TCP port it listens on (0 for a Unix domain socket).
    pub fn port(&self) -> u16 {
        match self.address {
            Address::Tcp(port) => port,
            Address::Unix(_) => 0,
        }
    }

    /// Its command line, for reports.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// What it has printed on stderr so far (after a moment for the reader to catch up).
    pub fn stderr(&self) -> String {
        thread::sleep(Duration::from_millis(100));
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Address::Unix(path) = &self.address {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The command-line arguments of a transport as the cross tests name it, as Apache's
/// cross-test runner passes them: `framed`; `framed+ssl` for `--transport framed --ssl` (a
/// flag after each `+`); and `zlib` both as the transport and as a flag (`--transport zlib
/// --zlib`).
pub fn transport_args(transport: &str) -> Vec<String> {
    let mut parts = transport.split('+');
    let base = parts.next().unwrap_or(transport);
    let mut args = vec!["--transport".to_string(), base.to_string()];
    if base == "zlib" {
        args.push("--zlib".to_string());
    }
    args.extend(parts.map(|flag| format!("--{flag}")));
    args
}

/// Runs `run` for every (protocol, transport) pair and, when any failed, panics with all
/// their problems at once, headed `<what> failed`.
pub fn check_pairs<'a>(
    what: &str,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    mut run: impl FnMut(&str, &str) -> Result<(), String>,
) {
    let failures: Vec<String> = pairs
        .into_iter()
        .filter_map(|(protocol, transport)| {
            run(protocol, transport)
                .err()
                .map(|e| format!("==== {protocol}/{transport} ====\n{e}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{what} failed:\n\n{}",
        failures.join("\n\n")
    );
}

/// Checks the run of a cross-test client (`client`, its command line) against `server`:
/// exit status 0, a last line `N passed, 0 failed` with N > 0, and for the multiplexed
/// protocols a `PASS SecondService.` line. Otherwise says why, with everything the client
/// printed and the server's stderr.
pub fn check_client_run(
    run: &Run,
    client: &str,
    protocol: &str,
    limit: Duration,
    server: &RunningServer,
) -> Result<(), String> {
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
        (None, ..) => format!("the client did not finish within {limit:?} and was killed"),
        (Some(status), _, _) if !status.success() => format!("the client exited with {status}"),
        (_, false, _) => format!("the client's last line is {summary:?}, not `N passed, 0 failed`"),
        _ => "the client did not call SecondService".to_owned(),
    };
    Err(format!(
        "{why}\n--- server: {}\n--- client: {client}\n--- client stdout:\n{}\n--- client \
         stderr:\n{}\n--- server stderr:\n{}",
        server.command(),
        run.stdout,
        run.stderr,
        server.stderr()
    ))
}

/// A folder holding `thrift --gen py` output, removed when the last test using it is done.
#[derive(Debug)]
pub struct GeneratedPython(PathBuf);

impl GeneratedPython {
    /// The folder.
    pub fn path(&self) -> &Path {
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
pub fn generated_python() -> Result<Arc<GeneratedPython>, String> {
    static SHARED: Mutex<Weak<GeneratedPython>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(generated) = shared.upgrade() {
        return Ok(generated);
    }
    let generated = Arc::new(generate_python()?);
    *shared = Arc::downgrade(&generated);
    Ok(generated)
}

/// Runs `thrift --gen py` of Apache's ThriftTest.thrift into a new folder.
pub fn generate_python() -> Result<GeneratedPython, String> {
    let idl = thrift_test_idl()?;
    check_tool(
        Command::new("thrift").arg("-version"),
        "the thrift compiler",
    )?;
    check_tool(
        Command::new(PYTHON).args([
            "-c",
            "import thrift.protocol.TJSONProtocol, thrift.protocol.TCompactProtocol, \
             thrift.TMultiplexedProcessor, thrift.server.TServer",
        ]),
        "Apache Thrift's Python library (python3-thrift) in /usr/bin/python3",
    )?;
    let dir = GeneratedPython(std::env::temp_dir().join(format!(
        "thrift-tower-cross-rust-client-{}-{}",
        std::process::id(),
        nanos()
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

/// Checks that `command` runs, saying what is missing and how to install it otherwise.
pub fn check_tool(command: &mut Command, what: &str) -> Result<(), String> {
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
