//! Code the examples share, so tests can run exactly what the examples run: the Rust
//! generated from `idl/hello.thrift`, and the hello service's handler.

/// Generated from `idl/hello.thrift`.
pub mod hello {
    thrift_tower::include_idl!("hello");
}

/// Generated from `idl/echo.thrift`: the benchmark's service.
pub mod echo {
    thrift_tower::include_idl!("echo");
}

/// Generated from `idl/echo.thrift` with `shared_strings(true)`: the same service, with
/// every string a [`thrift_tower::ByteStr`] that shares the received message.
pub mod echo_shared {
    include!(concat!(env!("OUT_DIR"), "/shared/echo.rs"));
}

pub mod axum_app;
pub mod bench;
pub mod discovery;
pub mod stack;
pub mod web;

use hello::{HelloService, SayError};

/// The benchmark's echo service: answers with the request's payload and items, for the
/// code generated with `String`s ([`echo`]) and with shared strings ([`echo_shared`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Echo;

impl echo::EchoService for Echo {
    async fn echo(
        &self,
        request: echo::EchoRequest,
    ) -> Result<echo::EchoResponse, echo::EchoError> {
        Ok(echo::EchoResponse {
            payload: request.payload,
            items: request.items,
        })
    }
}

impl echo_shared::EchoService for Echo {
    async fn echo(
        &self,
        request: echo_shared::EchoRequest,
    ) -> Result<echo_shared::EchoResponse, echo_shared::EchoError> {
        Ok(echo_shared::EchoResponse {
            payload: request.payload,
            items: request.items,
        })
    }
}

/// The hello service: answers `"Received: " + msg` and prints that line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hello;

impl HelloService for Hello {
    async fn say(&self, msg: String) -> Result<String, SayError> {
        let reply = format!("Received: {msg}");
        println!("{reply}");
        Ok(reply)
    }
}

/// Serves [`Hello`] on `listener` until `shutdown` completes: what `hello_server` runs.
pub async fn serve_hello(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), thrift_tower::Error> {
    thrift_tower::Server::builder()
        .add_service(hello::HelloServiceServer::new(Hello))
        .serve_with_listener(listener, shutdown)
        .await
}

/// Calls `say("Hello!")` on the hello service at `addr` (buffered transport, binary
/// protocol, as the Python tutorial's client): what `hello_client` runs.
pub async fn say_hello(addr: &str) -> Result<String, hello::SayError> {
    let channel = thrift_tower::Endpoint::new(addr)?
        .connect_timeout(std::time::Duration::from_secs(5))
        .connect()
        .await?;
    let client = hello::HelloServiceClient::new(channel);
    client.say("Hello!".into()).await
}
