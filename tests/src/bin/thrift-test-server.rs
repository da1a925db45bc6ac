//! The ThriftTest server of Apache's cross-test suite:
//! `thrift-test-server --port N --protocol binary|compact|json|multi|multic|multij
//! --transport buffered|framed|http|zlib [--zlib] [--domain-socket PATH]`.
//!
//! It prints one line when it is listening, then serves until killed. `multi*` protocols
//! register ThriftTest as `ThriftTest` and a second service as `SecondService`, as Apache's
//! servers do, so multiplexed clients can call both. With zlib (`--zlib` or `--transport
//! zlib`) every connection is a zlib stream (`ZlibIncoming`) carrying buffered messages.

use std::process::ExitCode;

use tests::cross::{CrossArgs, Transport, parse_command_line};
use tests::thrift_test::{SecondServiceServer, ThriftTestServer};
use tests::thrift_test_handler::ThriftTestHandler;
use thrift_tower::Server;
use thrift_tower::transport::{Framing, TcpIncoming, ZlibIncoming};

/// The ThriftTest server of Apache's cross-test suite.
#[derive(Debug, clap::Parser)]
#[command(name = "thrift-test-server", version)]
struct Cli {
    #[command(flatten)]
    cross: CrossArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let (_, options) = parse_command_line(|cli: &Cli| &cli.cross);
    let framing = match options.transport {
        Transport::Buffered => Framing::Buffered,
        // Unused over HTTP, where each body holds one message.
        Transport::Framed | Transport::Http => Framing::Framed,
    };
    let server = Server::builder()
        .framing(framing)
        .protocol(options.protocol);
    let router = server
        .add_service(ThriftTestServer::new(ThriftTestHandler))
        .add_optional_service(
            options
                .multiplexed
                .then(|| SecondServiceServer::new(ThriftTestHandler)),
        );
    let result = match &options.domain_socket {
        #[cfg(unix)]
        Some(path) => {
            let _ = std::fs::remove_file(path);
            println!(
                "thrift-test-server listening on {path} ({})",
                options.describe()
            );
            if options.zlib {
                match thrift_tower::transport::UnixIncoming::bind(path) {
                    Ok(incoming) => {
                        let served = router
                            .serve_with_incoming(
                                ZlibIncoming::new(incoming),
                                std::future::pending(),
                            )
                            .await;
                        let _ = std::fs::remove_file(path);
                        served
                    }
                    Err(e) => Err(e.into()),
                }
            } else {
                router.serve_unix(path, std::future::pending()).await
            }
        }
        #[cfg(not(unix))]
        Some(_) => {
            eprintln!("thrift-test-server: domain sockets need a Unix system");
            return ExitCode::from(2);
        }
        None => {
            let listener = match tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await {
                Ok(l) => l,
                Err(e) => {
                    eprintln!(
                        "thrift-test-server: cannot listen on port {}: {e}",
                        options.port
                    );
                    return ExitCode::FAILURE;
                }
            };
            // The bound port: `--port 0` picks a free one, as Apache's servers do.
            let port = listener.local_addr().map_or(options.port, |a| a.port());
            println!(
                "thrift-test-server listening on port {port} ({})",
                options.describe()
            );
            if options.transport == Transport::Http {
                // Any path, as Apache's Python THttpServer answers.
                let service =
                    thrift_http::service(router.into_service()).protocol(options.protocol);
                thrift_http::HttpServer::new()
                    .serve_with_incoming(
                        TcpIncoming::from_listener(listener),
                        service,
                        std::future::pending(),
                    )
                    .await
            } else if options.zlib {
                let incoming = ZlibIncoming::new(TcpIncoming::from_listener(listener));
                router
                    .serve_with_incoming(incoming, std::future::pending())
                    .await
            } else {
                router
                    .serve_with_listener(listener, std::future::pending())
                    .await
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("thrift-test-server: {e}");
            ExitCode::FAILURE
        }
    }
}
