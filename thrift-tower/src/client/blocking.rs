//! [`Blocking`]: a generated client for code that is not async (scripts, command-line
//! tools, tests of synchronous programs), on top of the async one.

use std::fmt;
use std::future::Future;

use tokio::runtime::{Builder, Runtime};

use super::{Channel, Endpoint};
use crate::error::Error;

/// A client whose calls block until their answer comes: the async client and the runtime
/// that drives it, in one value. What the `thrift` crate's synchronous clients were, with
/// everything of this crate underneath (the same channel, reconnection, timeouts, limits).
///
/// ```no_run
/// use thrift_tower::Endpoint;
/// use thrift_tower::client::Blocking;
/// # #[derive(Clone)] struct HelloServiceClient<S>(S);
/// # impl<S> HelloServiceClient<S> {
/// #     fn new(s: S) -> Self { HelloServiceClient(s) }
/// #     async fn say(&self, msg: String) -> Result<String, thrift_tower::Error> { Ok(msg) }
/// # }
///
/// fn main() -> Result<(), thrift_tower::Error> {
///     // Connects now, and makes the generated client over the channel.
///     let hello = Blocking::connect(Endpoint::from_static("127.0.0.1:9090"), HelloServiceClient::new)?;
///     // Each call blocks until its answer comes.
///     let reply = hello.call(|client| client.say("Hello!".into()))?;
///     println!("{reply}");
///     Ok(())
/// }
/// ```
///
/// The runtime is Tokio's current-thread one, made for this client: the connection is
/// driven only while a call is in progress, on the calling thread, and no thread is
/// started. Do not use it from inside an async runtime (Tokio refuses to block there):
/// async code calls the async client directly.
pub struct Blocking<C> {
    client: C,
    // Dropped after the client, whose channel's task lives on it.
    runtime: Runtime,
}

impl<C> Blocking<C> {
    /// Connects to `endpoint`, and makes the client with `make` over the channel (a
    /// generated client's `new`, or a closure that puts layers between them).
    pub fn connect(endpoint: Endpoint, make: impl FnOnce(Channel) -> C) -> Result<Self, Error> {
        let runtime = Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::from)?;
        let channel = runtime.block_on(endpoint.connect())?;
        Ok(Blocking {
            client: make(channel),
            runtime,
        })
    }

    /// Makes one call (or several, in one async block) and blocks until it ends.
    pub fn call<'a, F: Future>(&'a self, call: impl FnOnce(&'a C) -> F) -> F::Output {
        self.runtime.block_on(call(&self.client))
    }

    /// The async client, for what [`call`](Self::call) does not cover.
    pub fn get_ref(&self) -> &C {
        &self.client
    }
}

impl<C: fmt::Debug> fmt::Debug for Blocking<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blocking")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}
