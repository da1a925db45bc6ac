//! [`Routes`]: one or several generated services behind one `tower::Service`, routed by
//! method name the way Apache's `TMultiplexedProcessor` routes.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_service::Service;

use crate::codegen::{BoxFuture, NamedService, unknown_method};
use crate::message::{Request, Response};

/// A service of any type, behind a box: the router holds services of different types.
/// Dynamic dispatch here costs one indirect call per request, next to a network round
/// trip; it is what lets one server hold several generated services.
type BoxedService = Box<dyn CloneService + Send + Sync>;

trait CloneService {
    /// Calls a clone of the service ("clone, then call"; generated servers are always
    /// ready), so the router itself is shared, not cloned, per call.
    fn call(&self, request: Request) -> BoxFuture<Result<Response, Infallible>>;
    fn clone_box(&self) -> BoxedService;
}

impl<S> CloneService for S
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
{
    fn call(&self, request: Request) -> BoxFuture<Result<Response, Infallible>> {
        Box::pin(Service::call(&mut self.clone(), request))
    }

    fn clone_box(&self) -> BoxedService {
        Box::new(self.clone())
    }
}

/// Routes calls to services by name.
///
/// `Service:method` (Apache's `TMultiplexedProtocol`) goes to the service registered under
/// `Service`, which sees and answers the plain `method`, as Apache's multiplexed servers
/// do. A plain `method` goes to the first service added, so a server with one service
/// answers ordinary clients and multiplexed ones alike.
///
/// Clones share the services: cloning a `Routes` (which a server does per call) is two
/// reference counts, not an allocation.
pub struct Routes {
    services: Arc<HashMap<&'static str, usize>>,
    ordered: Arc<Vec<(&'static str, BoxedService)>>,
}

impl Routes {
    pub(crate) fn new() -> Self {
        Routes {
            services: Arc::new(HashMap::new()),
            ordered: Arc::new(Vec::new()),
        }
    }

    /// Adds a generated server (its [`NamedService::NAME`] is its routing name).
    pub(crate) fn add<S>(mut self, service: S) -> Self
    where
        S: NamedService
            + Service<Request, Response = Response, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let index = self.ordered.len();
        Arc::make_mut(&mut self.services).insert(S::NAME, index);
        // Unshared unless a router with services was cloned before adding more.
        if Arc::get_mut(&mut self.ordered).is_none() {
            let copy = self
                .ordered
                .iter()
                .map(|(n, s)| (*n, s.clone_box()))
                .collect();
            self.ordered = Arc::new(copy);
        }
        if let Some(ordered) = Arc::get_mut(&mut self.ordered) {
            ordered.push((S::NAME, Box::new(service)));
        }
        self
    }

    /// The names of the services, in the order they were added.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.ordered.iter().map(|(name, _)| *name)
    }
}

impl Clone for Routes {
    fn clone(&self) -> Self {
        Routes {
            services: Arc::clone(&self.services),
            ordered: Arc::clone(&self.ordered),
        }
    }
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes")
            .field("services", &self.names().collect::<Vec<_>>())
            .finish()
    }
}

impl Service<Request> for Routes {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Generated servers are always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let name = request.method();
        let target = match name.split_once(':') {
            Some((service, method)) => self.services.get(service).map(|&i| (i, method.len())),
            None => Some((0, name.len())),
        };
        let Some((index, method_len)) = target.filter(|(i, _)| *i < self.ordered.len()) else {
            let known: Vec<&str> = self.names().collect();
            let response = unknown_method(&request, &known.join(", "));
            return Box::pin(std::future::ready(Ok(response)));
        };
        if method_len != request.method().len() {
            // Strip `Service:`; the name shares the received buffer, so this copies nothing.
            let header = request.header_mut();
            let start = header.name.len() - method_len;
            header.name = header.name.slice_from(start);
        }
        self.ordered[index].1.call(request)
    }
}
