//! TLS on rustls (feature `tls`): a server's incoming connections ([`TlsIncoming`]) and a
//! client's connector ([`TlsConnector`]), each a wrapper around the plain ones, so that any
//! transport above (framed, buffered, THeader, HTTP) runs over TLS unchanged.
//!
//! Configuration is tonic's shape: [`ServerTlsConfig`] and [`ClientTlsConfig`] take an
//! [`Identity`] (a certificate chain and its key) and [`Certificates`] to trust, from PEM
//! bytes or files, or a whole `rustls` configuration for anything else.
//!
//! - The server can require a client certificate signed by a CA it trusts, or take one
//!   when offered ([`ServerTlsConfig::client_auth_optional`]). The client's certificate,
//!   when there is one, reaches each request as a [`PeerIdentity`] in its
//!   [connection's](crate::message::ConnectionInfo) extensions: subject and subject
//!   alternative names, readable by a layer or (through
//!   [`with_request`](crate::server::with_request)) by a handler.
//! - The client checks the server's certificate against the roots it was given, for the
//!   name of the address it connects to (or [`ClientTlsConfig::domain_name`]).
//! - A server serves TLS on a port of its own, or plain and TLS on one port
//!   ([`ServerTlsConfig::allow_plain`]): a TLS client's first byte (0x16, a handshake
//!   record) cannot begin a Thrift message within the limits, so each connection is told
//!   apart by it.
//! - Handshakes run concurrently, each bounded by a timeout, so a client that stalls in
//!   its handshake holds up no other.
//!
//! ```no_run
//! use thrift_tower::transport::TcpIncoming;
//! use thrift_tower::transport::tls::{Certificates, ClientTlsConfig, Identity, ServerTlsConfig, TlsIncoming};
//! use thrift_tower::Endpoint;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // A server: its certificate and key; clients must show a certificate the CA signed.
//! let tls = ServerTlsConfig::new()
//!     .identity(Identity::from_pem_files("server.pem", "server.key")?)
//!     .client_ca_root(Certificates::from_pem_file("ca.pem")?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9443").await?;
//! let incoming = TlsIncoming::new(TcpIncoming::from_listener(listener), tls)?;
//! // Server::builder().add_service(...).serve_with_incoming(incoming, shutdown).await?;
//! # drop(incoming);
//!
//! // A client: trusts the CA, shows its own certificate, checks the name `localhost`.
//! let channel = Endpoint::from_static("localhost:9443")
//!     .tls(
//!         ClientTlsConfig::new()
//!             .ca_certificate(Certificates::from_pem_file("ca.pem")?)
//!             .identity(Identity::from_pem_files("client.pem", "client.key")?),
//!     )?
//!     .connect_lazy();
//! # drop(channel);
//! # Ok(())
//! # }
//! ```

mod config;
mod connector;
mod identity;
mod incoming;
mod stream;

pub use self::config::{Certificates, ClientTlsConfig, Identity, ServerTlsConfig};
pub use self::connector::TlsConnector;
pub use self::identity::{PeerIdentity, SubjectAltName};
pub use self::incoming::TlsIncoming;
pub use self::stream::{TlsInfo, TlsStream};
/// The rustls crate these types are built on, for a configuration of your own
/// ([`ServerTlsConfig::rustls_config`], [`ClientTlsConfig::rustls_config`]).
pub use rustls;
