//! Unix domain sockets, on both sides: [`UnixIncoming`], the connections a server accepts,
//! and [`UnixConnector`], the connections a channel makes.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::net::{UnixListener, UnixStream};
use tower_service::Service;

use super::connect::Address;

/// The connections a Unix domain socket listener accepts, as a stream for
/// [`Router::serve_with_incoming`](crate::server::Router::serve_with_incoming).
#[derive(Debug)]
pub struct UnixIncoming {
    listener: UnixListener,
}

impl UnixIncoming {
    /// Listens at `path` (which must not exist yet).
    pub fn bind(path: impl AsRef<Path>) -> io::Result<Self> {
        Ok(Self::from_listener(UnixListener::bind(path)?))
    }

    /// The connections of a listener that is already bound.
    pub fn from_listener(listener: UnixListener) -> Self {
        UnixIncoming { listener }
    }
}

impl Stream for UnixIncoming {
    type Item = io::Result<UnixStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|accepted| Some(accepted.map(|(stream, _)| stream)))
    }
}

/// Connects to a Unix domain socket [`Address`]: what an
/// [`Endpoint::unix`](crate::Endpoint::unix) uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnixConnector;

impl Service<Address> for UnixConnector {
    type Response = UnixStream;
    type Error = io::Error;
    /// Boxed: one allocation per connection made, not per call.
    type Future = Pin<Box<dyn Future<Output = io::Result<UnixStream>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, address: Address) -> Self::Future {
        Box::pin(async move {
            match address.unix_path() {
                Some(path) => UnixStream::connect(path).await,
                None => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{address} is not the path of a Unix domain socket"),
                )),
            }
        })
    }
}
