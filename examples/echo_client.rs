//! The echo benchmark's load generator on thrift-tower's own client (`tests/bench/`): the
//! generated `EchoServiceClient` drives an echo server, so that beside `echo_load` (the same
//! load from hand-written bytes, no client at all) it measures what the client costs. Its
//! flags are `echo_load`'s, plus `--client`:
//!
//! - `channel`: `--connections` channels, each from `Endpoint::connect` with one
//!   connection carrying `--in-flight` calls at once (`pipelining`), and a client on each.
//! - `pool`: one channel whose endpoint opens up to `--connections` connections
//!   (`max_connections`), each carrying `--in-flight` calls; one client shared by all the
//!   callers.
//! - `balanced`: `client::Balanced` over `--connections` endpoints to the one address (each
//!   a channel of one connection carrying `--in-flight` calls); one client shared by all.
//!
//! The callers are what a program making that many calls at once would write: one spawned
//! task per call in flight (connections × in-flight of them), each with a clone of its
//! client, calling `echo` in a loop with a clone of the request built once, and waiting
//! for the answer before making the next call. Each answer must be the request echoed:
//! its payload and number of items each time, the whole value in one call of 64.
//!
//! `--strings shared` runs the same client on the code generated with
//! `shared_strings(true)`, whose strings are inline or share the received reply.
//!
//! One thread, as `echo_load` (pin it with `taskset`); after `--warmup` seconds it counts
//! for `--seconds` and prints `echo_load`'s JSON line with the client named:
//!
//! ```text
//! {"label":"run","client":"pool","size":"small","connections":4,"in_flight":16,...}
//! ```
//!
//! Framed binary only, as `echo_ceiling` speaks. The exit status is 0 when every call was
//! answered as it should be.
//!
//! ```text
//! cargo run --release -p examples --example echo_ceiling -- --port 9090 --size small &
//! cargo run --release -p examples --example echo_client -- --port 9090 --client pool \
//!     --connections 4 --in-flight 16
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use examples::bench::{LoadArgs, Size, Tally, cpu_seconds, request};
use thrift_tower::client::Balanced;
use thrift_tower::protocol::{self, Limits, Protocol};
use thrift_tower::transport::Framing;
use thrift_tower::{BoxError, Endpoint, Request, Response};
use tokio::task::JoinHandle;

/// How the client reaches the server.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ClientKind {
    /// A channel per connection.
    Channel,
    /// One channel of several connections.
    Pool,
    /// A balancer over a channel per connection.
    Balanced,
}

impl ClientKind {
    fn name(self) -> &'static str {
        match self {
            ClientKind::Channel => "channel",
            ClientKind::Pool => "pool",
            ClientKind::Balanced => "balanced",
        }
    }
}

/// The benchmark's load generator on the generated client.
#[derive(Debug, Parser)]
#[command(name = "echo_client")]
struct Cli {
    #[command(flatten)]
    load: LoadArgs,
    /// How the client reaches the server
    #[arg(long, value_enum, default_value_t = ClientKind::Channel)]
    client: ClientKind,
    /// Which generated code calls: `String` fields (the default), or `ByteStr` fields
    /// (`shared_strings(true)`)
    #[arg(long, value_enum, default_value_t = Strings::Owned)]
    strings: Strings,
}

/// The generated code's strings.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Strings {
    Owned,
    Shared,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let start = Instant::now();
    let counting_from = start + Duration::from_secs_f64(cli.load.warmup);
    let until = counting_from + Duration::from_secs_f64(cli.load.seconds);
    let started = match cli.strings {
        Strings::Owned => owned::start(&cli, counting_from, until).await,
        Strings::Shared => shared::start(&cli, counting_from, until).await,
    };
    let callers = match started {
        Ok(callers) => callers,
        Err(e) => {
            eprintln!("echo_client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cpu_before = cpu_seconds();
    let mut tally = Tally::default();
    for caller in callers {
        match caller.await {
            Ok(caller) => tally.add(caller),
            Err(e) => tally.failed(format!("a caller's task failed: {e}")),
        }
    }
    let cpu = cpu_seconds() - cpu_before;
    let wall = start.elapsed().as_secs_f64();
    let strings = match cli.strings {
        Strings::Owned => "owned",
        Strings::Shared => "shared",
    };
    cli.load
        .run_line(&[("client", cli.client.name()), ("strings", strings)])
        .report("echo_client", &mut tally, 100.0 * cpu / wall)
}

/// The client, written once for each generated module: `$module` is `echo` or
/// `echo_shared`, `$request` builds the request in its types.
macro_rules! client_on {
    ($name:ident, $module:ident, $request:expr) => {
        mod $name {
            use super::*;
            use examples::$module::{EchoRequest, EchoResponse, EchoServiceClient};

            /// Connects as `cli` asks and starts the callers, counting from `counting_from`
            /// to `until`.
            pub(crate) async fn start(
                cli: &Cli,
                counting_from: Instant,
                until: Instant,
            ) -> Result<Vec<JoinHandle<Tally>>, thrift_tower::Error> {
                let build: fn(Size) -> EchoRequest = $request;
                let request = build(cli.load.size);
                let expected = EchoResponse {
                    payload: request.payload.clone(),
                    items: request.items.clone(),
                };
                let plan = Arc::new(Plan {
                    request,
                    expected,
                    counting_from,
                    until,
                });
                start_callers(cli, &plan).await
            }

            /// What every caller sends, what it must get back, and when it counts.
            #[derive(Debug)]
            struct Plan {
                request: EchoRequest,
                expected: EchoResponse,
                counting_from: Instant,
                until: Instant,
            }

            impl Plan {
                /// Whether `response` is the request echoed: compared whole when `fully`,
                /// otherwise by its payload and its number of items.
                fn is_echo(&self, response: &EchoResponse, fully: bool) -> bool {
                    if fully {
                        *response == self.expected
                    } else {
                        response.payload == self.expected.payload
                            && response.items.len() == self.expected.items.len()
                    }
                }
            }

            /// Builds the clients `cli` asks for and starts their callers.
            async fn start_callers(
                cli: &Cli,
                plan: &Arc<Plan>,
            ) -> Result<Vec<JoinHandle<Tally>>, thrift_tower::Error> {
                let connections = cli.load.connections.max(1);
                let in_flight = cli.load.in_flight.max(1);
                // Every connection carries `in_flight` calls at once, framed as the ceiling
                // reads them.
                let endpoint = Endpoint::new(cli.load.addr())?
                    .framing(Framing::Framed)
                    .pipelining(in_flight);
                Ok(match cli.client {
                    ClientKind::Channel => {
                        let mut callers = Vec::with_capacity(connections * in_flight);
                        for _ in 0..connections {
                            let channel = endpoint.clone().max_connections(1).connect().await?;
                            callers.extend(spawn_callers(
                                &EchoServiceClient::new(channel),
                                in_flight,
                                plan,
                            ));
                        }
                        callers
                    }
                    ClientKind::Pool => {
                        let channel = endpoint.max_connections(connections).connect().await?;
                        spawn_callers(
                            &EchoServiceClient::new(channel),
                            connections * in_flight,
                            plan,
                        )
                    }
                    ClientKind::Balanced => {
                        let one = endpoint.max_connections(1);
                        let balanced = Balanced::list(std::iter::repeat_n(one, connections));
                        spawn_callers(
                            &EchoServiceClient::new(balanced),
                            connections * in_flight,
                            plan,
                        )
                    }
                })
            }

            /// Starts `callers` tasks calling through `client`.
            fn spawn_callers<S>(
                client: &EchoServiceClient<S>,
                callers: usize,
                plan: &Arc<Plan>,
            ) -> Vec<JoinHandle<Tally>>
            where
                S: tower::Service<Request, Response = Response> + Clone + Send + 'static,
                S::Error: Into<BoxError>,
                S::Future: Send,
            {
                (0..callers)
                    .map(|_| tokio::spawn(caller(client.clone(), plan.clone())))
                    .collect()
            }

            /// Calls `echo` one call after another until the plan's end, and tallies the
            /// answers. A call that fails ends the caller (the next would most likely fail
            /// alike); a wrong answer is counted and the calls go on.
            async fn caller<S>(client: EchoServiceClient<S>, plan: Arc<Plan>) -> Tally
            where
                S: tower::Service<Request, Response = Response> + Clone,
                S::Error: Into<BoxError>,
            {
                let mut tally = Tally::default();
                let mut calls: u64 = 0;
                // One clock read per call, as `echo_load` reads about one: the time an
                // answer came is when the next call starts (the check of the answer in
                // between is counted in the next call's latency).
                let mut sent = Instant::now();
                loop {
                    if sent >= plan.until {
                        return tally;
                    }
                    let answer = client.echo(plan.request.clone()).await;
                    let now = Instant::now();
                    calls += 1;
                    match answer {
                        Ok(response) if plan.is_echo(&response, calls % 64 == 1) => {
                            tally.answered(sent, now, plan.counting_from, plan.until);
                        }
                        Ok(response) => tally.failed(format!(
                            "a reply that is not the request echoed: \
                             a payload of {} bytes, {} items",
                            response.payload.len(),
                            response.items.len()
                        )),
                        Err(e) => {
                            tally.failed(format!("a call failed: {e}"));
                            return tally;
                        }
                    }
                    sent = now;
                }
            }
        }
    };
}

client_on!(owned, echo, request);
client_on!(shared, echo_shared, |size| {
    // The same request in the shared-strings types: encoded by the `String` ones, read back.
    let bytes = protocol::encode(Protocol::Binary, &request(size)).expect("encode the request");
    protocol::decode(Protocol::Binary, bytes, Limits::default()).expect("decode the request")
});
