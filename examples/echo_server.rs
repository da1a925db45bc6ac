//! The benchmark's server (`tests/bench/`): the echo service of `idl/echo.thrift` from
//! generated code, with `Server::builder()`'s defaults. `--strings shared` serves the code
//! generated with `shared_strings(true)` instead, whose strings share the request's buffer.
//!
//! ```text
//! cargo run --release -p examples --example echo_server -- --port 9090 --protocol binary --transport framed
//! ```
//!
//! It prints `echo_server listening on port N` once it listens (`--port 0` picks a free
//! port), then serves until it is killed.

use clap::Parser;
use examples::Echo;
use examples::bench::{ProtocolName, TransportName};
use examples::{echo, echo_shared};
use thrift_tower::Server;
use thrift_tower::transport::Framing;

/// The echo service of the benchmark.
#[derive(Debug, Parser)]
#[command(name = "echo_server")]
struct Cli {
    /// The port to listen on (0: any free one)
    #[arg(long, default_value_t = 9090)]
    port: u16,
    /// The protocol
    #[arg(long, value_enum, default_value_t = ProtocolName::Binary)]
    protocol: ProtocolName,
    /// How messages are delimited
    #[arg(long, value_enum, default_value_t = TransportName::Framed)]
    transport: TransportName,
    /// Which generated code serves: `String` fields (the default), or `ByteStr` fields
    /// that share the request's buffer (`shared_strings(true)`)
    #[arg(long, value_enum, default_value_t = Strings::Owned)]
    strings: Strings,
}

/// The generated code's strings.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Strings {
    Owned,
    Shared,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let protocol = cli.protocol.protocol();
    let framing = match cli.transport {
        TransportName::Buffered => Framing::Buffered,
        TransportName::Framed => Framing::Framed,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", cli.port)).await?;
    println!(
        "echo_server listening on port {}",
        listener.local_addr()?.port()
    );
    let builder = Server::builder().framing(framing).protocol(protocol);
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match cli.strings {
        Strings::Owned => {
            builder
                .add_service(echo::EchoServiceServer::new(Echo))
                .serve_with_listener(listener, stop)
                .await?
        }
        Strings::Shared => {
            builder
                .add_service(echo_shared::EchoServiceServer::new(Echo))
                .serve_with_listener(listener, stop)
                .await?
        }
    }
    Ok(())
}
