//! The benchmark's idle-connection probe (`tests/bench/`): how much resident memory an echo
//! server keeps for each connection that made a call and then went quiet.
//!
//! It makes one warm-up call on a connection of its own and closes it, reads the server's
//! resident memory (`VmRSS` of `/proc/PID/status`, so it runs on the server's machine), then
//! opens `--connections` connections and makes one small call on each (checking the reply's
//! type, seqid and bytes), waits `--settle` seconds with all of them open and idle, and reads
//! the resident memory again. It prints one JSON line:
//!
//! ```text
//! {"label":"ours","connections":10000,"rss_before_kib":4120,"rss_after_kib":40120,"kib_per_connection":3.6,"errors":0}
//! ```
//!
//! ```text
//! cargo run --release -p examples --example echo_idle -- --port 9090 --server-pid PID
//! ```
//!
//! Each connection takes a file descriptor on both sides: the open-file limit (`ulimit -n`)
//! of this process and of the server must allow `--connections` and some.

use std::process::ExitCode;
use std::time::Duration;

use bytes::BytesMut;
use clap::Parser;
use examples::bench::{Bodies, MessageKind, Size, Wire, message_len, parse_header, put_message};
use thrift_tower::protocol::Protocol;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The idle-connection probe.
#[derive(Debug, Parser)]
#[command(name = "echo_idle")]
struct Cli {
    /// The server's port on 127.0.0.1 (framed binary)
    #[arg(long, default_value_t = 9090)]
    port: u16,
    /// The server's process id, whose resident memory is read
    #[arg(long)]
    server_pid: u32,
    /// Connections held open
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Seconds to wait, all connections idle, before the second reading
    #[arg(long, default_value_t = 1.0)]
    settle: f64,
    /// A name for the run, written in its line
    #[arg(long, default_value = "run")]
    label: String,
}

const WIRE: Wire = Wire {
    protocol: Protocol::Binary,
    framed: true,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let bodies = Bodies::new(WIRE.protocol, Size::Small);
    let addr = format!("127.0.0.1:{}", cli.port);
    let rss = || resident_kib(cli.server_pid);

    let result = async {
        // The first connection and call allocate what the server keeps whatever the number
        // of connections (the runtime's and the service's first allocations).
        drop(open_and_call(&addr, &bodies).await?);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = rss()?;
        let mut open = Vec::with_capacity(cli.connections);
        for _ in 0..cli.connections {
            open.push(open_and_call(&addr, &bodies).await?);
        }
        tokio::time::sleep(Duration::from_secs_f64(cli.settle)).await;
        let after = rss()?;
        drop(open);
        Ok::<_, String>((before, after))
    }
    .await;
    let (before, after, errors) = match &result {
        Ok((before, after)) => (*before, *after, 0),
        Err(e) => {
            eprintln!("echo_idle: {e}");
            (0, 0, 1)
        }
    };
    let per_connection = after.saturating_sub(before) as f64 / cli.connections.max(1) as f64;
    println!(
        "{{\"label\":\"{}\",\"connections\":{},\"rss_before_kib\":{before},\"rss_after_kib\":{after},\"kib_per_connection\":{per_connection:.2},\"errors\":{errors}}}",
        cli.label.replace(['"', '\\'], "_"),
        cli.connections,
    );
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Opens a connection, makes one call on it and checks the reply; the connection stays
/// open for as long as the stream is kept.
async fn open_and_call(addr: &str, bodies: &Bodies) -> Result<TcpStream, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let mut call = BytesMut::new();
    put_message(&mut call, WIRE, MessageKind::Call, 1, &bodies.call);
    stream
        .write_all(&call)
        .await
        .map_err(|e| format!("write: {e}"))?;
    let len = message_len(WIRE, 1, &bodies.reply);
    let mut reply = vec![0; len];
    stream
        .read_exact(&mut reply)
        .await
        .map_err(|e| format!("read: {e}"))?;
    match parse_header(WIRE.protocol, &reply[4..]) {
        Some((MessageKind::Reply, 1, at)) if reply[4 + at..] == bodies.reply[..] => Ok(stream),
        _ => Err(format!(
            "not the expected reply: {:02x?}",
            &reply[..reply.len().min(32)]
        )),
    }
}

/// The resident memory of process `pid`, in KiB.
fn resident_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read the server's /proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status"))
}
