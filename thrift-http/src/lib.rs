//! Thrift over HTTP, on hyper 1.x: Apache's `THttpServer` and `THttpClient`, as tower
//! services.
//!
//! - [`HttpService`] ([`service`]) turns any Thrift service (a generated server, several
//!   multiplexed, any stack of layers) into a `tower::Service<http::Request<B>>`: mount it
//!   in axum with `Router::route_service`, wrap it in tower-http's layers, or serve it with
//! - [`HttpServer`], a standalone server: an address, a path, graceful shutdown.
//! - [`HttpClient`] is the client side: a `tower::Service<Request, Response = Response>`
//!   that POSTs each call to a URL, under any generated client and any tower layer.
//!
//! Each HTTP request carries one call in its body, in the binary, compact or JSON protocol,
//! and the response carries its reply (nothing, for a oneway call), as Apache's Python,
//! C++ and JavaScript HTTP transports do; every Apache HTTP peer can talk to these.
//!
//! # Getting started
//!
//! ```no_run
//! # async fn run<S>(hello: S) -> Result<(), Box<dyn std::error::Error>>
//! # where S: tower_service::Service<thrift_tower::Request, Response = thrift_tower::Response, Error = std::convert::Infallible>
//! #     + Clone + Send + Sync + 'static, S::Future: Send + 'static {
//! // A server: the hello service at POST http://127.0.0.1:9090/thrift.
//! tokio::spawn(
//!     thrift_http::HttpServer::new()
//!         .path("/thrift")
//!         .serve("127.0.0.1:9090".parse()?, thrift_http::service(hello)),
//! );
//!
//! // A client of it.
//! let http = thrift_http::HttpClient::new("http://127.0.0.1:9090/thrift")?;
//! // let client = HelloServiceClient::new(http);
//! # drop(http);
//! # Ok(())
//! # }
//! ```
//!
//! # Limits
//!
//! A request body is read up to [`HttpService::max_body_size`] (Apache's largest message,
//! 100 MiB, by default; a declared length over it is refused before the body is read) and
//! within [`HttpService::body_timeout`]; the message in it is decoded within the
//! [`Limits`](thrift_tower::protocol::Limits) of `thrift-tower`. The standalone server also
//! bounds how long a request's headers may take. Replies are read by the client up to its
//! limits, too.

mod client;
mod content;
mod server;
mod service;

pub use crate::client::{HttpClient, HttpClientBuilder};
pub use crate::server::HttpServer;
pub use crate::service::{Body, HttpService, service};
