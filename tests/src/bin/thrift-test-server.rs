//! The ThriftTest server of Apache's cross-test suite:
//! `thrift-test-server --port N
//! --protocol binary|compact|json|header|multi|multic|multih|multij
//! --transport buffered|framed|http|zlib [--zlib] [--domain-socket PATH]
//! [--ssl [--cert FILE --key FILE] [--ca FILE]]`.
//!
//! It prints one line when it is listening, then serves until killed. `multi*` protocols
//! register ThriftTest as `ThriftTest` and a second service as `SecondService`, as Apache's
//! servers do, so multiplexed clients can call both. `header` and `multih` read THeader
//! frames only (inside framed frames with `--transport framed`), binary or compact inside,
//! each call answered in its own. With zlib (`--zlib` or `--transport zlib`) every
//! connection is a zlib stream (`ZlibIncoming`) carrying buffered messages; with `--ssl`,
//! inside TLS.

use std::process::ExitCode;

use tests::cross::{CrossArgs, Transport, parse_command_line};
use tests::thrift_test::{SecondServiceServer, ThriftTestServer};
use tests::thrift_test_handler::ThriftTestHandler;
use thrift_tower::Server;
use thrift_tower::transport::tls::TlsIncoming;
use thrift_tower::transport::{TcpIncoming, ZlibIncoming};

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
    let mut server = Server::builder().framing(options.framing());
    // THeader frames say their protocol: Apache's Python clients send binary, its C++
    // clients compact.
    if !options.header {
        server = server.protocol(options.protocol);
    }
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
            let incoming = TcpIncoming::from_listener(listener);
            let tls = match options.tls.as_ref().map(|files| files.server()) {
                None => None,
                Some(Ok(config)) => Some(config),
                Some(Err(e)) => {
                    eprintln!("thrift-test-server: --ssl: {e}");
                    return ExitCode::from(2);
                }
            };
            // Any path, as Apache's Python THttpServer answers.
            let http = (options.transport == Transport::Http).then(|| {
                thrift_http::service(router.clone().into_service()).protocol(options.protocol)
            });
            // Over HTTP or not, whatever the connections are.
            macro_rules! serve {
                ($incoming:expr) => {
                    match http {
                        Some(service) => {
                            thrift_http::HttpServer::new()
                                .serve_with_incoming($incoming, service, std::future::pending())
                                .await
                        }
                        None => {
                            router
                                .serve_with_incoming($incoming, std::future::pending())
                                .await
                        }
                    }
                };
            }
            match tls {
                Some(config) => {
                    let incoming = match TlsIncoming::new(incoming, config) {
                        Ok(incoming) => incoming,
                        Err(e) => {
                            eprintln!("thrift-test-server: --ssl: {e}");
                            return ExitCode::from(2);
                        }
                    };
                    if options.zlib {
                        serve!(ZlibIncoming::new(incoming))
                    } else {
                        serve!(incoming)
                    }
                }
                None if options.zlib => serve!(ZlibIncoming::new(incoming)),
                None => serve!(incoming),
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
