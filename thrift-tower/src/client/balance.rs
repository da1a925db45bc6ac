//! [`Balanced`]: calls spread over several servers, in tonic's shape: a fixed list of
//! endpoints ([`Balanced::list`]), or endpoints added and removed at run time
//! ([`Balanced::with_changes`], tower's `Change`).
//!
//! Underneath are tower's pieces, unchanged: the power-of-two-choices balancer over the
//! [`Channel`]s' [load](super::ChannelLoad) (a server whose connection failed lately ranks
//! last for its [failure penalty](super::Endpoint::failure_penalty), then the one with fewer
//! calls in flight wins), behind a buffer so that the balanced service can be cloned. A
//! server that cannot be reached is backed off and tried again, not dropped.

use std::convert::Infallible;
use std::hash::Hash;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::sync::mpsc;
use tower::balance::p2c::Balance;
use tower::buffer::Buffer;
use tower::discover::Change;
use tower_service::Service;

use super::{Channel, Endpoint};
use crate::error::BoxError;
use crate::message::{Request, Response};

/// Calls waiting for the balancer at once, at most, before callers wait in `poll_ready`.
const BUFFER: usize = 1024;

/// The endpoints as they come, each connected lazily as a [`Channel`].
struct Endpoints<K> {
    changes: mpsc::Receiver<Change<K, Endpoint>>,
}

impl<K> Stream for Endpoints<K> {
    type Item = Result<Change<K, Channel>, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.changes.poll_recv(cx).map(|change| {
            change.map(|change| {
                Ok(match change {
                    Change::Insert(key, endpoint) => Change::Insert(key, endpoint.connect_lazy()),
                    Change::Remove(key) => Change::Remove(key),
                })
            })
        })
    }
}

type Balancer<K> = Balance<Endpoints<K>, Request>;

/// Calls spread over several servers by tower's p2c balancer: see [the module
/// docs](crate::client). A `tower::Service<Request, Response = Response>` like a
/// [`Channel`], for generated clients and any layer (a [retry](crate::layer::RetryPolicy)
/// around it sends a call that could not be sent to another server).
///
/// ```no_run
/// use thrift_tower::Endpoint;
/// use thrift_tower::client::Balanced;
/// use tower::discover::Change;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // A fixed list.
/// let balanced = Balanced::list([
///     Endpoint::from_static("10.0.0.1:9090"),
///     Endpoint::from_static("10.0.0.2:9090"),
/// ]);
/// // let client = HelloServiceClient::new(balanced);
///
/// // Or servers that come and go.
/// let (balanced, changes) = Balanced::with_changes(16);
/// changes.send(Change::Insert("a", Endpoint::from_static("10.0.0.1:9090"))).await?;
/// changes.send(Change::Remove("a")).await?;
/// # drop(balanced);
/// # Ok(())
/// # }
/// ```
pub struct Balanced<K = usize>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    inner: Buffer<Request, <Balancer<K> as Service<Request>>::Future>,
}

impl Balanced<usize> {
    /// Balances over `endpoints`, numbered in order.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the balancer's task starts now.
    pub fn list(endpoints: impl IntoIterator<Item = Endpoint>) -> Self {
        let endpoints: Vec<Endpoint> = endpoints.into_iter().collect();
        let (balanced, changes) = Balanced::with_changes(endpoints.len().max(1));
        for (key, endpoint) in endpoints.into_iter().enumerate() {
            // The channel has room for all of them, and its receiver is alive.
            let _ = changes.try_send(Change::Insert(key, endpoint));
        }
        balanced
    }
}

impl<K> Balanced<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    /// Balances over the endpoints sent on the returned sender as they come
    /// (`Change::Insert(key, endpoint)`) and go (`Change::Remove(key)`); `capacity`
    /// changes may wait to be taken in. Inserting a key again replaces its endpoint.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the balancer's task starts now.
    pub fn with_changes(capacity: usize) -> (Self, mpsc::Sender<Change<K, Endpoint>>) {
        let (sender, changes) = mpsc::channel(capacity.max(1));
        let balance = Balance::new(Endpoints { changes });
        let balanced = Balanced {
            inner: Buffer::new(balance, BUFFER),
        };
        (balanced, sender)
    }
}

impl<K> Clone for Balanced<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    fn clone(&self) -> Self {
        Balanced {
            inner: self.inner.clone(),
        }
    }
}

impl<K> std::fmt::Debug for Balanced<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Balanced").finish_non_exhaustive()
    }
}

impl<K> Service<Request> for Balanced<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    type Response = Response;
    type Error = BoxError;
    type Future = BalancedFuture<K>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        BalancedFuture {
            inner: self.inner.call(request),
        }
    }
}

type BufferFuture<K> =
    tower::buffer::future::ResponseFuture<<Balancer<K> as Service<Request>>::Future>;

pin_project_lite::pin_project! {
    /// The answer to a call through [`Balanced`].
    #[must_use = "futures do nothing unless polled"]
    pub struct BalancedFuture<K>
    where
        K: Hash,
        K: Eq,
        K: Clone,
        K: Send,
        K: 'static,
    {
        #[pin]
        inner: BufferFuture<K>,
    }
}

impl<K> std::fmt::Debug for BalancedFuture<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BalancedFuture").finish_non_exhaustive()
    }
}

impl<K> std::future::Future for BalancedFuture<K>
where
    K: Hash + Eq + Clone + Send + 'static,
{
    type Output = Result<Response, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}
