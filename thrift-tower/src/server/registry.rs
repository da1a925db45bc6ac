//! [`Registry`]: what a server tells a service registry of its life, so that it is listed
//! while it serves and delisted before it stops accepting.

use std::future::Future;
use std::net::SocketAddr;

use crate::error::Error;

/// A service registry a server announces itself in (ZooKeeper's ServerSets with the
/// `zookeeper` feature: `discover::ZooKeeper::registry`; Consul, etcd or a file of your
/// own).
///
/// [`Router::serve_registered`](super::Router::serve_registered) calls
/// [`register`](Registry::register) once the listener is bound, before the first
/// connection is accepted, and [`deregister`](Registry::deregister) when the shutdown
/// signal fires, while the server still accepts: clients stop picking it before its
/// listener closes, and the calls they already sent are served.
pub trait Registry: Send {
    /// The server listens at `addr` (the port bound, for a listener on port 0). An error
    /// stops the server before it serves.
    fn register(&mut self, addr: SocketAddr) -> impl Future<Output = Result<(), Error>> + Send;

    /// The server's graceful shutdown has begun.
    fn deregister(&mut self) -> impl Future<Output = ()> + Send;
}
