//! [`with_request`]: inside a handler of a generated server, the request it is serving;
//! [`with_reply_headers`]: the transport headers its reply will carry.
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
//!
//! And a handler can answer with headers as well as a value, as Apache's handlers do with
//! `THeaderProtocol.set_header`: they go out with the reply on a transport that has headers
//! (THeader's info headers, HTTP response headers) and are dropped on one that has none.
//!
//! ```
//! # struct Hello;
//! # impl Hello {
//! async fn say(&self, msg: String) -> Result<String, thrift_tower::Error> {
//!     thrift_tower::server::with_reply_headers(|headers| {
//!         headers.insert("served-by", "eu-west-1");
//!     });
//!     Ok(msg)
//! }
//! # }
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::task::futures::TaskLocalFuture;

use crate::message::{Headers, Request};

/// What a handler of a generated server can reach of the call it serves.
struct Current {
    /// The request, without its body.
    request: Request,
    /// The headers the handler gave its reply. Empty (no allocation) unless it gave some;
    /// a `RefCell` as only the call's own task reaches it, and never across an `await`.
    reply_headers: RefCell<Headers>,
}

tokio::task_local! {
    static CURRENT: Current;
}

/// Calls `f` with the request the current handler of a generated server is serving (its
/// body is empty: the handler has its arguments); `None` outside one.
pub fn with_request<R>(f: impl FnOnce(&Request) -> R) -> Option<R> {
    CURRENT.try_with(|current| f(&current.request)).ok()
}

/// Calls `f` with the headers the reply of the call the current handler of a generated
/// server is serving will carry, to add to or change; `None` outside one (and inside `f`:
/// the headers are lent to one caller at a time).
///
/// They are the reply's whatever the handler returns: its value, a declared exception or
/// an undeclared error (a `TApplicationException` reply); not when it panics, and not for
/// a oneway call, which has no reply. A layer around the server sees them on the
/// [`Response`](crate::Response) and may change them further.
pub fn with_reply_headers<R>(f: impl FnOnce(&mut Headers) -> R) -> Option<R> {
    CURRENT
        .try_with(|current| {
            let mut headers = current.reply_headers.try_borrow_mut().ok()?;
            Some(f(&mut headers))
        })
        .ok()
        .flatten()
}

/// Runs `future` (a handler's) with `request` as the current request, and gives its output
/// with the headers it set for its reply.
pub(crate) fn scope<F: Future>(
    request: Request,
    future: F,
) -> impl Future<Output = (F::Output, Headers)> {
    let current = Current {
        request,
        reply_headers: RefCell::new(Headers::new()),
    };
    Scoped {
        scoped: CURRENT.scope(current, future),
    }
}

pin_project_lite::pin_project! {
    /// A handler's future in its call's scope, answering with its reply's headers too:
    /// taken from the scope once the handler is done, without a look-up of the task-local.
    /// What the reply headers cost a call that sets none, counted with callgrind on the
    /// small echo: about 120 instructions of the server's 5,250 a call (a look-up of the
    /// task-local after the handler, 133; an `async` block around it for that, 233).
    struct Scoped<F: Future> {
        #[pin]
        scoped: TaskLocalFuture<Current, F>,
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = (F::Output, Headers);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut scoped = self.project().scoped;
        let output = std::task::ready!(scoped.as_mut().poll(cx));
        let headers = scoped
            .take_value()
            .map(|current| current.reply_headers.into_inner())
            .unwrap_or_default();
        Poll::Ready((output, headers))
    }
}
