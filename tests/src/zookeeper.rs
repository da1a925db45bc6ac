//! A standalone ZooKeeper server for the discovery tests: Debian's `zookeeper` package (3.8)
//! run with a `zoo.cfg` and a data directory of its own, on a free loopback port, started,
//! stopped and restarted by the test. No mock: the tests talk to the real thing.
//!
//! Requires Debian's `zookeeper` and a Java runtime (`tests/setup-debian.sh`); a test fails,
//! never skips, without them.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{free_port, nanos};

/// Debian's ZooKeeper jar; its manifest names the jars it needs.
const JAR: &str = "/usr/share/java/zookeeper.jar";
/// Where Debian keeps ZooKeeper's log4j settings, put first on the class path.
const CONF: &str = "/etc/zookeeper/conf";

/// What to run when ZooKeeper is missing.
pub const ZOOKEEPER_HINT: &str =
    "run tests/setup-debian.sh (it installs Debian's zookeeper, a Java runtime and python3-kazoo)";

/// A ZooKeeper server of a test's own.
#[derive(Debug)]
pub struct ZooKeeperServer {
    /// The port it listens on, the same across restarts.
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl ZooKeeperServer {
    /// Starts one on a free port and waits until it answers.
    pub fn start() -> Result<Self, String> {
        Self::start_on(free_port()?)
    }

    /// Starts one on `port` and waits until it answers.
    pub fn start_on(port: u16) -> Result<Self, String> {
        if !std::path::Path::new(JAR).exists() {
            return Err(format!("{JAR} is missing; {ZOOKEEPER_HINT}"));
        }
        let dir = std::env::temp_dir().join(format!(
            "thrift-tower-zk-{}-{}",
            std::process::id(),
            nanos()
        ));
        std::fs::create_dir_all(dir.join("data")).map_err(|e| e.to_string())?;
        let config = format!(
            "tickTime=500\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             admin.enableServer=false\nminSessionTimeout=1000\nmaxSessionTimeout=60000\n\
             4lw.commands.whitelist=srvr\n",
            dir.join("data").display()
        );
        std::fs::write(dir.join("zoo.cfg"), config).map_err(|e| e.to_string())?;
        let mut server = ZooKeeperServer {
            port,
            dir,
            child: None,
        };
        server.run()?;
        Ok(server)
    }

    /// The connection string (`127.0.0.1:PORT`).
    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn run(&mut self) -> Result<(), String> {
        let log =
            std::fs::File::create(self.dir.join("zookeeper.log")).map_err(|e| e.to_string())?;
        let child = Command::new("java")
            .arg("-cp")
            .arg(format!("{CONF}:{JAR}"))
            .arg("-Dzookeeper.admin.enableServer=false")
            .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
            .arg(self.dir.join("zoo.cfg"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run java: {e}; {ZOOKEEPER_HINT}"))?;
        self.child = Some(child);
        // Serving once `srvr` (a four-letter word) tells its mode: it listens a moment
        // before it serves, and drops connections meanwhile.
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(format!(
                    "ZooKeeper exited with {status}: {}",
                    std::fs::read_to_string(self.dir.join("zookeeper.log")).unwrap_or_default()
                ));
            }
            if self.serving() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "ZooKeeper did not listen on {} within 60 s",
            self.port
        ))
    }

    fn serving(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut answer = String::new();
        stream.write_all(b"srvr").is_ok()
            && stream.read_to_string(&mut answer).is_ok()
            && answer.contains("Mode:")
    }

    /// Stops it (killed: its sessions live on in its data, as after a crash).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port with its data wiped: every session it knew is gone,
    /// so its clients' sessions expire when they reconnect.
    pub fn restart_empty(&mut self) -> Result<(), String> {
        self.stop();
        let data = self.dir.join("data");
        std::fs::remove_dir_all(&data).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
        self.run()
    }

    /// Starts it again on the same port with the same data.
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        self.run()
    }
}

impl Drop for ZooKeeperServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
