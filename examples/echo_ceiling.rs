//! The benchmark's ceiling (`tests/bench/`): a tokio server that answers each echo call with
//! the reply it must get, from bytes made before the run, parsing nothing of a call but its
//! frame and its header. What a Thrift server could reach if decoding, the handler and
//! encoding cost nothing: the ratio of a real server to it says what they do cost.
//!
//! Framed only (binary or compact), one thread (pin it with `taskset`).
//!
//! ```text
//! cargo run --release -p examples --example echo_ceiling -- --port 9090 --size small
//! ```

use bytes::{Buf, BytesMut};
use clap::{Parser, ValueEnum};
use examples::bench::{Bodies, MessageKind, Size, Wire, parse_header, put_message};
use thrift_tower::protocol::Protocol;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProtocolName {
    Binary,
    Compact,
}

/// The benchmark's ceiling server.
#[derive(Debug, Parser)]
#[command(name = "echo_ceiling")]
struct Cli {
    /// The port to listen on (0: any free one)
    #[arg(long, default_value_t = 9090)]
    port: u16,
    /// The protocol
    #[arg(long, value_enum, default_value_t = ProtocolName::Binary)]
    protocol: ProtocolName,
    /// The calls' size, whose reply it sends
    #[arg(long, value_enum, default_value_t = Size::Small)]
    size: Size,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let wire = Wire {
        protocol: match cli.protocol {
            ProtocolName::Binary => Protocol::Binary,
            ProtocolName::Compact => Protocol::Compact,
        },
        framed: true,
    };
    let bodies = std::sync::Arc::new(Bodies::new(wire.protocol, cli.size));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", cli.port)).await?;
    println!(
        "echo_ceiling listening on port {}",
        listener.local_addr()?.port()
    );
    loop {
        let (mut stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let bodies = bodies.clone();
        tokio::spawn(async move {
            let mut input = BytesMut::with_capacity(64 * 1024);
            let mut output = BytesMut::with_capacity(64 * 1024);
            loop {
                match stream.read_buf(&mut input).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                // Every whole frame read so far is answered, in one write.
                while input.len() >= 4 {
                    let len = u32::from_be_bytes([input[0], input[1], input[2], input[3]]) as usize;
                    if input.len() < 4 + len {
                        input.reserve(4 + len - input.len());
                        break;
                    }
                    let Some((MessageKind::Call, seqid, _)) =
                        parse_header(wire.protocol, &input[4..4 + len])
                    else {
                        return;
                    };
                    put_message(&mut output, wire, MessageKind::Reply, seqid, &bodies.reply);
                    input.advance(4 + len);
                }
                if !output.is_empty() {
                    if stream.write_all(&output).await.is_err() {
                        return;
                    }
                    output.clear();
                }
            }
        });
    }
}
