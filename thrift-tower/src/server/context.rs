//! [`with_request`]: inside a handler of a generated server, the request it is serving.
//!
//! A handler's methods take the call's arguments and nothing else, so that the common case
//! reads like the IDL. What else a call carries (the connection it came on, the transport's
//! headers, its deadline, what layers attached) is there for the handler that asks, for the
//! whole of the call, however deep in the handler's code:
//!
//! ```
//! # struct Hello;
//! # impl Hello {
//! async fn say(&self, msg: String) -> Result<String, thrift_tower::Error> {
//!     let peer = thrift_tower::server::with_request(|request| {
//!         request.connection().and_then(|c| c.peer_addr())
//!     });
//!     Ok(format!("{msg}, from {peer:?}"))
//! }
//! # }
//! ```

use std::future::Future;

use crate::message::Request;

tokio::task_local! {
    /// The request a generated server's handler is serving, without its body.
    static REQUEST: Request;
}

/// Calls `f` with the request the current handler of a generated server is serving (its
/// body is empty: the handler has its arguments); `None` outside one.
pub fn with_request<R>(f: impl FnOnce(&Request) -> R) -> Option<R> {
    REQUEST.try_with(f).ok()
}

/// Runs `future` (a handler's) with `request` as the current request.
pub(crate) fn scope<F: Future>(request: Request, future: F) -> impl Future<Output = F::Output> {
    REQUEST.scope(request, future)
}
