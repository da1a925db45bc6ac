//! [`Deadline`]: a time limit on each call that travels with it.
//!
//! tower's `TimeoutLayer` bounds a call where it stands, and nothing inside knows. This
//! layer writes the limit into the request ([`Request::deadline`](crate::message::Message::deadline)),
//! keeping the earlier one when the request already has one, so that the layers and the
//! transport inside see the time left: a [`Channel`](crate::Channel) gives up on the call
//! at its deadline and frees its slot, an HTTP client sets its request timeout from it. The
//! call fails with [`Error::is_timeout`] when the deadline passes, whichever of them
//! noticed.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};
use tower_layer::Layer;
use tower_service::Service;

use crate::bytestr::ByteStr;
use crate::error::{BoxError, Error};
use crate::message::{Request, Response};

/// Gives each call a deadline `timeout` from now (or keeps the request's, if earlier) and
/// fails it when the deadline passes.
///
/// ```
/// use std::time::Duration;
/// use thrift_tower::layer::DeadlineLayer;
/// # fn stack<C>(channel: C) -> impl tower::Service<thrift_tower::Request>
/// # where C: tower::Service<thrift_tower::Request, Response = thrift_tower::Response, Error = thrift_tower::Error> {
/// // Every call gets 200 ms, counted once for the whole stack below.
/// let client = tower::ServiceBuilder::new()
///     .layer(DeadlineLayer::new(Duration::from_millis(200)))
///     .service(channel);
/// # client
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Deadline<S> {
    inner: S,
    timeout: Duration,
}

/// The [`Layer`] of [`Deadline`].
#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer {
    timeout: Duration,
}

impl DeadlineLayer {
    /// Each call gets `timeout`, unless its request's deadline is earlier.
    pub const fn new(timeout: Duration) -> Self {
        DeadlineLayer { timeout }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline {
            inner,
            timeout: self.timeout,
        }
    }
}

impl<S> Service<Request> for Deadline<S>
where
    S: Service<Request, Response = Response>,
    S::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Error;
    type Future = DeadlineFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx).map_err(Error::from_service)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let now = Instant::now();
        let ours = now + self.timeout;
        // The smallest wins: a deadline set further out (by the caller, an outer layer)
        // stays if it is earlier.
        let deadline = request.deadline().map_or(ours, |theirs| theirs.min(ours));
        request.set_deadline(Some(deadline));
        let method = request.header().name.clone();
        DeadlineFuture {
            inner: self.inner.call(request),
            sleep: tokio::time::sleep_until(deadline),
            method,
            after: deadline.saturating_duration_since(now),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Deadline`]: the inner future, or a timeout error at the deadline.
    #[must_use = "futures do nothing unless polled"]
    pub struct DeadlineFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        sleep: Sleep,
        method: ByteStr,
        after: Duration,
    }
}

impl<F> fmt::Debug for DeadlineFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadlineFuture")
            .field("method", &self.method)
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

impl<F, E> Future for DeadlineFuture<F>
where
    F: Future<Output = Result<Response, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The deadline first: when a layer inside timed out at the same deadline, the error
        // says the time this layer gave, not what was left of it further in.
        if this.sleep.poll(cx).is_ready() {
            return Poll::Ready(Err(Error::timeout(&**this.method, *this.after)));
        }
        this.inner.poll(cx).map_err(Error::from_service)
    }
}
