//! The benchmark's load generator (`tests/bench/`): keeps `--connections` connections to an
//! echo server with `--in-flight` calls in flight on each, reads the replies in order and
//! checks each one (message type, seqid, bytes), and after `--warmup` seconds counts for
//! `--seconds`. It prints one JSON line:
//!
//! ```text
//! {"label":"ours","size":"small","connections":16,"in_flight":1,"seconds":5.0,"calls":512345,
//!  "calls_per_sec":102469,"p50_us":152,"p99_us":310,"p999_us":598,"errors":0,"cpu_percent":97.1}
//! ```
//!
//! Its messages are written by hand (`examples::bench`), not by thrift-tower's client, so
//! it measures the server. A reply must match the expected bytes; one that differs (a map's
//! entries in another order) is decoded and compared by value, each time for a
//! connection's first 256 such replies and one in 16 after, the rest checked by length. It runs on one thread: pin it with `taskset` away from the
//! server. The exit status is 0 when every call was answered as it should be.
//!
//! ```text
//! cargo run --release -p examples --example echo_load -- --port 9090 --connections 16
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use clap::Parser;
use examples::bench::{
    Bodies, LoadArgs, MessageKind, ProtocolName, Tally, TransportName, Wire, cpu_seconds,
    message_len, parse_header, put_message, same_reply,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Semaphore, mpsc};

/// The benchmark's load generator.
#[derive(Debug, Parser)]
#[command(name = "echo_load")]
struct Cli {
    #[command(flatten)]
    load: LoadArgs,
    /// The protocol
    #[arg(long, value_enum, default_value_t = ProtocolName::Binary)]
    protocol: ProtocolName,
    /// How messages are delimited
    #[arg(long, value_enum, default_value_t = TransportName::Framed)]
    transport: TransportName,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let wire = Wire {
        protocol: cli.protocol.protocol(),
        framed: matches!(cli.transport, TransportName::Framed),
    };
    let bodies = Arc::new(Bodies::new(wire.protocol, cli.load.size));
    let start = Instant::now();
    let counting_from = start + Duration::from_secs_f64(cli.load.warmup);
    let until = counting_from + Duration::from_secs_f64(cli.load.seconds);
    let addr = cli.load.addr();
    let connections: Vec<_> = (0..cli.load.connections.max(1))
        .map(|_| {
            let (addr, bodies) = (addr.clone(), bodies.clone());
            let in_flight = cli.load.in_flight.max(1);
            tokio::spawn(async move {
                let mut tally = Tally::default();
                if let Err(e) = connection(
                    &addr,
                    wire,
                    &bodies,
                    in_flight,
                    counting_from,
                    until,
                    &mut tally,
                )
                .await
                {
                    tally.failed(e);
                }
                tally
            })
        })
        .collect();
    let cpu_before = cpu_seconds();
    // The counted window is measured from the warm-up's end to the last reply.
    let mut tally = Tally::default();
    for connection in connections {
        tally.add(connection.await.unwrap_or_default());
    }
    let cpu = cpu_seconds() - cpu_before;
    let wall = start.elapsed().as_secs_f64();
    cli.load
        .run_line(&[])
        .report("echo_load", &mut tally, 100.0 * cpu / wall)
}

/// Drives one connection until `until`, then waits for the replies still due.
async fn connection(
    addr: &str,
    wire: Wire,
    bodies: &Bodies,
    in_flight: usize,
    counting_from: Instant,
    until: Instant,
    tally: &mut Tally,
) -> Result<(), String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut reader, mut writer) = stream.into_split();
    let window = Arc::new(Semaphore::new(in_flight));
    // Each call's send time, in order: replies come in the same order.
    let (sent_tx, mut sent_rx) = mpsc::unbounded_channel::<Instant>();
    let call = bodies.call.clone();
    let writing = {
        let window = window.clone();
        tokio::spawn(async move {
            let mut buf = BytesMut::new();
            let mut seqid: i32 = 0;
            loop {
                let Ok(permit) = window.acquire().await else {
                    return Ok(());
                };
                permit.forget();
                if Instant::now() >= until {
                    return Ok(());
                }
                // What the window allows now goes out in one write.
                let mut batch = 1;
                while let Ok(more) = window.try_acquire() {
                    more.forget();
                    batch += 1;
                }
                buf.clear();
                let now = Instant::now();
                for _ in 0..batch {
                    seqid = seqid.wrapping_add(1);
                    put_message(&mut buf, wire, MessageKind::Call, seqid, &call);
                    let _ = sent_tx.send(now);
                }
                if let Err(e) = writer.write_all(&buf).await {
                    return Err(format!("write: {e}"));
                }
            }
        })
    };

    let mut expected_seqid: i32 = 0;
    let mut buf = BytesMut::with_capacity(64 * 1024);
    // The reply's bytes as this server writes them: ours at first. A server may write a
    // map's entries in another order (volo-thrift: hash order, different in each reply), so
    // a reply whose bytes differ is checked by value instead: every one of a connection's
    // first 256, then one in 16, so that decoding does not make the load generator the
    // bottleneck; the others must at least have the expected length.
    let expected = bodies.reply.clone();
    let mut reordered: u64 = 0;
    loop {
        let Some(sent) = sent_rx.recv().await else {
            // The writer is done and every reply it was due has come.
            break;
        };
        expected_seqid = expected_seqid.wrapping_add(1);
        let len = if wire.framed {
            read_at_least(&mut reader, &mut buf, 4).await?;
            4 + u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize
        } else {
            message_len(wire, expected_seqid, &expected)
        };
        read_at_least(&mut reader, &mut buf, len).await?;
        let message = buf.split_to(len);
        let message = if wire.framed {
            &message[4..]
        } else {
            &message[..]
        };
        match parse_header(wire.protocol, message) {
            Some((MessageKind::Reply, seqid, at))
                if seqid == expected_seqid && message[at..] == expected[..] => {}
            Some((MessageKind::Reply, seqid, at))
                if seqid == expected_seqid && message.len() - at == expected.len() && {
                    reordered += 1;
                    (reordered > 256 && reordered % 16 != 0)
                        || same_reply(wire.protocol, &expected, &message[at..])
                } => {}
            Some((kind, seqid, _)) => {
                return Err(format!(
                    "expected the reply to call {expected_seqid}, got a {kind:?} with seqid {seqid} \
                     ({} bytes)",
                    message.len()
                ));
            }
            None => {
                return Err(format!(
                    "not an echo reply: {:02x?}",
                    &message[..message.len().min(32)]
                ));
            }
        }
        tally.answered(sent, Instant::now(), counting_from, until);
        window.add_permits(1);
    }
    match writing.await {
        Ok(result) => result,
        Err(e) => Err(e.to_string()),
    }
}

/// Reads until `buf` holds at least `n` bytes.
async fn read_at_least(
    reader: &mut tokio::net::tcp::OwnedReadHalf,
    buf: &mut BytesMut,
    n: usize,
) -> Result<(), String> {
    while buf.len() < n {
        buf.reserve(n - buf.len());
        match reader.read_buf(buf).await {
            Ok(0) => return Err("the server closed the connection".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("read: {e}")),
        }
    }
    Ok(())
}
