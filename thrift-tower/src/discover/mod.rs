//! Service registration and discovery in ZooKeeper (feature `zookeeper`), in the ServerSet
//! format Finagle, Aurora and the Python tools of the Thrift world share, so that a Rust
//! server joins an existing cluster and a Rust client finds the Java, Scala or Python
//! servers already in it.
//!
//! - A service is a path; each of its servers is an EPHEMERAL_SEQUENTIAL child named
//!   `member_<sequence>` holding a [`Member`] as JSON (Finagle's `ServiceInstance`). Being
//!   ephemeral, a member goes away with its server's ZooKeeper session.
//! - A server registers once it listens and deregisters when its graceful shutdown begins,
//!   before it stops accepting: [`ZooKeeper::registry`] with the server's
//!   [`serve_registered`](crate::server::Router::serve_registered), or by hand with
//!   [`ZooKeeper::register`] and [`Registration::deregister`] in the shutdown signal. After a
//!   session expiry it registers again.
//! - A client follows a service's members ([`ZooKeeper::discover`]): tower's `Change`s of
//!   members, a `Discover` of [`Channel`](crate::Channel)s for tower's balancers
//!   ([`Discovery::channels`]), or a [`Balanced`](crate::client::Balanced) over them. ZooKeeper being down keeps the last
//!   members known; when it returns, the watch catches up.
//!
//! ```no_run
//! use thrift_tower::Endpoint;
//! use thrift_tower::discover::{Member, ZooKeeper};
//!
//! # async fn run() -> Result<(), thrift_tower::Error> {
//! let zookeeper = ZooKeeper::new("zk1:2181,zk2:2181,zk3:2181/prod");
//!
//! // A server at 10.0.0.7:9090.
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:9090").await?;
//! let registration = zookeeper
//!     .register("/services/hello", Member::alive("10.0.0.7", 9090))
//!     .await?;
//! let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let shutdown = async move {
//!     let _ = stopped.await;
//!     // Out of the set first, while still accepting; then the server drains.
//!     registration.deregister().await;
//! };
//! // Server::builder().add_service(...).serve_with_listener(listener, shutdown).await?;
//! # drop((listener, shutdown));
//!
//! // A client of whichever servers are members now.
//! let balanced = zookeeper
//!     .discover("/services/hello")
//!     .balanced(Endpoint::from_static("placeholder:0"));
//! // let client = HelloServiceClient::new(balanced);
//! # drop(balanced);
//! # Ok(())
//! # }
//! ```

mod member;
mod zookeeper;

pub use self::member::{HostPort, MEMBER_PREFIX, Member, Status};
pub use self::zookeeper::{Channels, Discovery, Registration, ServerSetRegistry, ZooKeeper};
