//! A load generator for ThriftTest servers, ours or Apache's:
//! `thrift-test-load [--host H] [--port N] [--protocol binary|compact|json]
//! [--transport buffered|framed|zlib] [--zlib] [--connections C] [--in-flight K] [--seconds S]
//! [--warmup S] [--call string|i32|struct] [--size BYTES]`.
//!
//! It opens `C` connections (each a [`Channel`]) and keeps `K` calls in flight on each: every
//! caller calls, checks the answer, and calls again, until the time is up. Calls made during
//! the warm-up are not counted. Each answer is checked against what the server must return,
//! so a run is also a test that nothing is lost or mixed up under load.
//!
//! Output: a line describing the run, then
//! `calls N errors E rate R/s p50 X us p99 Y us max Z us`. The exit status is 0 when every
//! call succeeded, 1 when one failed or none was made, 2 for bad options.
//!
//! The calls: `string` is `testString` with a string of `--size` bytes, `i32` is `testI32`,
//! `struct` is `testStruct` with an `Xtruct` whose string has `--size` bytes.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tests::cross::{CrossArgs, Transport, parse_command_line};
use tests::thrift_test::{ThriftTestClient, Xtruct};
use thrift_tower::transport::{Framing, TcpConnector, ZlibConnector};
use thrift_tower::{Channel, Endpoint};

/// What each caller sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Call {
    String,
    I32,
    Struct,
}

/// The run's settings.
#[derive(Debug, Clone)]
struct Load {
    connections: usize,
    in_flight: usize,
    seconds: f64,
    warmup: f64,
    call: Call,
    size: usize,
}

/// What one caller saw after the warm-up.
#[derive(Debug, Default)]
struct Tally {
    /// Latency of each successful call, in microseconds.
    latencies: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

/// A load generator for any ThriftTest server: keeps `--connections` connections with
/// `--in-flight` calls in flight on each, checks every answer, and prints the call rate and
/// latency quantiles.
#[derive(Debug, clap::Parser)]
#[command(name = "thrift-test-load", version)]
struct Cli {
    #[command(flatten)]
    cross: CrossArgs,
    /// Connections to the server
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
    connections: u64,
    /// Calls in flight on each connection
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    in_flight: u64,
    /// How long to measure, after the warm-up
    #[arg(long, default_value_t = 5.0, value_parser = positive_seconds)]
    seconds: f64,
    /// How long to call before measuring
    #[arg(long, default_value_t = 1.0, value_parser = seconds)]
    warmup: f64,
    /// What each caller sends
    #[arg(long, value_enum, default_value_t = Call::String)]
    call: Call,
    /// The size of the string sent (`string`, `struct`)
    #[arg(long, default_value_t = 64)]
    size: usize,
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("thrift-test-load: {problem} (see thrift-test-load --help)");
    ExitCode::from(2)
}

/// A duration in seconds, at least 0.
fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(s),
        Ok(_) => Err("expected a number of seconds, at least 0".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// A duration in seconds, above 0.
fn positive_seconds(text: &str) -> Result<f64, String> {
    match seconds(text)? {
        0.0 => Err("expected a number of seconds above 0".into()),
        s => Ok(s),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let (cli, options) = parse_command_line(|cli: &Cli| &cli.cross);
    let load = Load {
        connections: cli.connections as usize,
        in_flight: cli.in_flight as usize,
        seconds: cli.seconds,
        warmup: cli.warmup,
        call: cli.call,
        size: cli.size,
    };
    let framing = match options.transport {
        Transport::Buffered => Framing::Buffered,
        Transport::Framed => Framing::Framed,
        Transport::Http => return usage("the http transport is not supported"),
    };
    if options.multiplexed {
        return usage("multiplexed protocols are not supported");
    }
    let address = format!("{}:{}", options.host, options.port);
    let endpoint = match Endpoint::new(address.clone()) {
        Ok(e) => e
            .protocol(options.protocol)
            .framing(framing)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            // Each channel one connection, its calls pipelined: what --connections and
            // --in-flight mean.
            .max_connections(1)
            .pipelining(load.in_flight),
        Err(e) => return usage(&e.to_string()),
    };
    println!(
        "thrift-test-load: {} to {address}, {} connections x {} calls in flight, {:?} of {} \
         bytes, {} s after {} s of warm-up",
        options.describe(),
        load.connections,
        load.in_flight,
        load.call,
        load.size,
        load.seconds,
        load.warmup
    );

    let mut channels = Vec::with_capacity(load.connections);
    for _ in 0..load.connections {
        match connect(&endpoint, options.zlib).await {
            Ok(c) => channels.push(c),
            Err(e) => {
                println!("cannot connect to {address}: {e}");
                return ExitCode::from(1);
            }
        }
    }

    let text: Arc<str> = "x".repeat(load.size).into();
    let start = Instant::now();
    let counted_from = start + Duration::from_secs_f64(load.warmup);
    let end = counted_from + Duration::from_secs_f64(load.seconds);
    let mut callers = tokio::task::JoinSet::new();
    for channel in &channels {
        for caller in 0..load.in_flight {
            let client = ThriftTestClient::new(channel.clone()).with_protocol(options.protocol);
            let text = Arc::clone(&text);
            let call = load.call;
            callers.spawn(async move {
                caller_loop(client, call, caller as i32, text, counted_from, end).await
            });
        }
    }
    let mut all = Tally::default();
    while let Some(done) = callers.join_next().await {
        match done {
            Ok(t) => {
                all.latencies.extend(t.latencies);
                all.errors += t.errors;
                if all.first_error.is_none() {
                    all.first_error = t.first_error;
                }
            }
            Err(e) => {
                all.errors += 1;
                all.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let calls = all.latencies.len();
    all.latencies.sort_unstable();
    let at = |q: f64| {
        let i = ((calls as f64 - 1.0) * q).round() as usize;
        all.latencies.get(i).copied().unwrap_or(0)
    };
    println!(
        "calls {calls} errors {} rate {:.0}/s p50 {} us p99 {} us max {} us",
        all.errors,
        calls as f64 / load.seconds,
        at(0.50),
        at(0.99),
        at(1.0)
    );
    if let Some(e) = &all.first_error {
        println!("first error: {e}");
    }
    if all.errors == 0 && calls > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// One caller: calls until `end`, counting what finished after `counted_from`.
async fn caller_loop(
    client: ThriftTestClient<Channel>,
    call: Call,
    caller: i32,
    text: Arc<str>,
    counted_from: Instant,
    end: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut n: i32 = 0;
    loop {
        let sent = Instant::now();
        if sent >= end {
            return tally;
        }
        n = n.wrapping_add(1);
        let outcome = match call {
            Call::String => {
                let thing = text.to_string();
                client
                    .test_string(thing.clone())
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|got| check(got == thing, "testString"))
            }
            Call::I32 => {
                let thing = caller.wrapping_mul(1_000_003).wrapping_add(n);
                client
                    .test_i32(thing)
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|got| check(got == thing, "testI32"))
            }
            Call::Struct => {
                let thing = Xtruct {
                    string_thing: text.to_string(),
                    byte_thing: 1,
                    i32_thing: n,
                    i64_thing: -i64::from(n),
                };
                client
                    .test_struct(thing.clone())
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|got| check(got == thing, "testStruct"))
            }
        };
        if sent < counted_from {
            continue;
        }
        match outcome {
            Ok(()) => {
                let micros = sent.elapsed().as_micros();
                tally
                    .latencies
                    .push(u32::try_from(micros).unwrap_or(u32::MAX));
            }
            Err(e) => {
                tally.errors += 1;
                tally.first_error.get_or_insert(e);
            }
        }
    }
}

fn check(same: bool, method: &str) -> Result<(), String> {
    if same {
        Ok(())
    } else {
        Err(format!(
            "{method} answered something other than its argument"
        ))
    }
}

/// Connects, retrying for a while: the server may still be starting. With `zlib`, a zlib
/// stream over TCP carries the messages.
async fn connect(endpoint: &Endpoint, zlib: bool) -> Result<Channel, thrift_tower::Error> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let connected = if zlib {
            // The messages inside a zlib stream, as Apache's TZlibTransport carries them.
            endpoint
                .connect_with_connector(ZlibConnector::new(TcpConnector::new()))
                .await
        } else {
            endpoint.connect().await
        };
        match connected {
            Ok(channel) => return Ok(channel),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
