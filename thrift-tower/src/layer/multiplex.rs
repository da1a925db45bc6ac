//! [`Multiplex`]: names calls `Service:method`, as Apache's `TMultiplexedProtocol` does,
//! so a client reaches one service of a multiplexed server.

use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use crate::bytestr::ByteStr;
use crate::message::Request;

/// Prefixes every call's method name with `Service:`.
///
/// ```
/// use thrift_tower::layer::MultiplexLayer;
/// let layer = MultiplexLayer::new("ThriftTest");
/// # let _ = layer;
/// ```
#[derive(Debug, Clone)]
pub struct Multiplex<S> {
    inner: S,
    service: &'static str,
}

impl<S> Multiplex<S> {
    /// Wraps `inner`, naming calls `service:method`.
    pub const fn new(inner: S, service: &'static str) -> Self {
        Multiplex { inner, service }
    }
}

impl<S: Service<Request>> Service<Request> for Multiplex<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let header = request.header_mut();
        // One small allocation per call for the joined name; multiplexed servers expect
        // it in the message header, which is written from this string.
        header.name = ByteStr::from(format!("{}:{}", self.service, header.name));
        self.inner.call(request)
    }
}

/// The [`Layer`] of [`Multiplex`].
#[derive(Debug, Clone, Copy)]
pub struct MultiplexLayer {
    service: &'static str,
}

impl MultiplexLayer {
    /// A layer naming calls `service:method`.
    pub const fn new(service: &'static str) -> Self {
        MultiplexLayer { service }
    }
}

impl<S> Layer<S> for MultiplexLayer {
    type Service = Multiplex<S>;

    fn layer(&self, inner: S) -> Multiplex<S> {
        Multiplex::new(inner, self.service)
    }
}
