//! [`Routes`]: one or several generated services behind one `tower::Service`, routed by
//! method name the way Apache's `TMultiplexedProcessor` routes.
//!
//! The services are a list in the type (`Route<C, Route<B, Route<A, NoRoute>>>` for three),
//! so a call reaches its service through static calls and that service's own future is
//! returned inside an enum: the router boxes nothing, and a call costs the server no more
//! allocations with several services than with one.

use std::convert::Infallible;
use std::fmt;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_service::Service;

use super::reply::{not_served, unknown_method, unknown_service};
use crate::message::{Request, Response};

/// A service with a Thrift service name: every generated server carries its IDL name, used
/// to route multiplexed calls (`Service:method`) and as the default HTTP path.
pub trait NamedService {
    /// The service's name in the IDL.
    const NAME: &'static str;
}

/// Routes calls to services by name.
///
/// `Service:method` (Apache's `TMultiplexedProtocol`) goes to the service registered under
/// `Service`, which sees and answers the plain `method`, as Apache's multiplexed servers
/// do. A plain `method` goes to the first service added, so a server with one service
/// answers ordinary clients and multiplexed ones alike.
///
/// Made by [`Server::add_service`](super::Server::add_service); cloning it clones each
/// service (for a generated server, a reference count).
#[derive(Clone)]
pub struct Routes<R = NoRoute> {
    list: R,
}

/// A service in a [`Routes`] list, before the ones added earlier.
#[derive(Debug, Clone)]
pub struct Route<S, Next> {
    service: S,
    next: Next,
}

/// A service that a server may or may not have, chosen at run time
/// ([`Server::add_optional_service`](super::Server::add_optional_service)): when absent,
/// its calls are answered `UNKNOWN_METHOD`, saying the service is not served here. Its type
/// is the same either way, so one server type serves both cases.
#[derive(Debug, Clone)]
pub struct Optional<S> {
    service: Option<S>,
}

impl<S> Optional<S> {
    pub(crate) fn new(service: Option<S>) -> Self {
        Optional { service }
    }
}

impl<S: NamedService> NamedService for Optional<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<Request> for Optional<S>
where
    S: NamedService + Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture<S::Future, Ready<Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match &mut self.service {
            Some(service) => service.poll_ready(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let state = match &mut self.service {
            Some(service) => Reached::Here {
                future: service.call(request),
            },
            None => Reached::Next {
                future: ready(Ok(not_served(&request, S::NAME))),
            },
        };
        RouteFuture { state }
    }
}

/// The end of a [`Routes`] list: what no service answers gets `UNKNOWN_METHOD`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRoute;

impl Routes<NoRoute> {
    pub(crate) fn new() -> Self {
        Routes { list: NoRoute }
    }
}

impl<R: RouteList> Routes<R> {
    /// Adds a generated server (its [`NamedService::NAME`] is its routing name).
    pub(crate) fn add<S>(self, service: S) -> Routes<Route<S, R>>
    where
        S: NamedService,
    {
        Routes {
            list: Route {
                service,
                next: self.list,
            },
        }
    }

    /// The names of the services, in the order they were added.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        R::names(&mut names);
        names
    }
}

impl<R: RouteList> fmt::Debug for Routes<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Routes")
            .field("services", &self.names())
            .finish()
    }
}

/// Lists the names of a route list's services.
// `pub` only because the sealed trait's hidden methods name it; nothing outside the crate
// can call them.
#[allow(unreachable_pub)]
#[doc(hidden)]
pub type Names = fn(&mut Vec<&'static str>);

/// Which service a call goes to.
#[allow(unreachable_pub)]
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// A plain method name: the first service added.
    First,
    /// `Service:method`: the service named by the method name's first `service_len` bytes.
    Named { service_len: usize },
}

mod sealed {
    pub trait Sealed {}
}

/// A list of services a [`Routes`] can route to: [`Route`]s ending with [`NoRoute`].
/// Sealed: only this crate makes lists.
pub trait RouteList: sealed::Sealed {
    /// The future of a call routed through the list.
    type Future: Future<Output = Result<Response, Infallible>>;

    /// Appends the names of the services, first added first.
    #[doc(hidden)]
    fn names(names: &mut Vec<&'static str>);

    /// Calls the service `target` names; `all` lists every name, for the reply to a name
    /// no service has.
    #[doc(hidden)]
    fn route(&mut self, target: Target, request: Request, all: Names) -> Self::Future;

    #[doc(hidden)]
    const EMPTY: bool;
}

impl sealed::Sealed for NoRoute {}

impl RouteList for NoRoute {
    type Future = Ready<Result<Response, Infallible>>;

    fn names(_names: &mut Vec<&'static str>) {}

    fn route(&mut self, target: Target, request: Request, all: Names) -> Self::Future {
        let response = match target {
            // Only a router with no service at all gets here.
            Target::First => unknown_method(&request, "(none)"),
            Target::Named { service_len } => {
                let mut names = Vec::new();
                all(&mut names);
                unknown_service(&request, &request.method()[..service_len], &names)
            }
        };
        ready(Ok(response))
    }

    const EMPTY: bool = true;
}

impl<S, Next> sealed::Sealed for Route<S, Next> {}

impl<S, Next> RouteList for Route<S, Next>
where
    S: NamedService + Service<Request, Response = Response, Error = Infallible>,
    Next: RouteList,
{
    type Future = RouteFuture<S::Future, Next::Future>;

    fn names(names: &mut Vec<&'static str>) {
        Next::names(names);
        names.push(S::NAME);
    }

    fn route(&mut self, target: Target, mut request: Request, all: Names) -> Self::Future {
        let here = match target {
            // The first service added is the last in the list.
            Target::First => Next::EMPTY,
            Target::Named { service_len } if request.method()[..service_len] == *S::NAME => {
                // Strip `Service:`; the name shares the received buffer, so this copies
                // nothing.
                let header = request.header_mut();
                header.name = header.name.slice_from(service_len + 1);
                true
            }
            Target::Named { .. } => false,
        };
        if here {
            RouteFuture {
                state: Reached::Here {
                    future: self.service.call(request),
                },
            }
        } else {
            RouteFuture {
                state: Reached::Next {
                    future: self.next.route(target, request, all),
                },
            }
        }
    }

    const EMPTY: bool = false;
}

pin_project_lite::pin_project! {
    /// The future of a call through a [`Routes`]: the future of the service it reached.
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct RouteFuture<F, N> {
        #[pin]
        state: Reached<F, N>,
    }
}

pin_project_lite::pin_project! {
    #[project = ReachedProj]
    #[derive(Debug)]
    enum Reached<F, N> {
        /// This route's service answers.
        Here { #[pin] future: F },
        /// A route further down the list answers.
        Next { #[pin] future: N },
    }
}

impl<F, N> Future for RouteFuture<F, N>
where
    F: Future<Output = Result<Response, Infallible>>,
    N: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            ReachedProj::Here { future } => future.poll(cx),
            ReachedProj::Next { future } => future.poll(cx),
        }
    }
}

impl<R: RouteList> Service<Request> for Routes<R> {
    type Response = Response;
    type Error = Infallible;
    type Future = R::Future;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Generated servers are always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let target = match request.method().find(':') {
            Some(service_len) => Target::Named { service_len },
            None => Target::First,
        };
        self.list.route(target, request, R::names)
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use tower::ServiceExt;

    use super::*;
    use crate::exception::ApplicationException;
    use crate::protocol::{self, MessageHeader, MessageType, Protocol};

    /// Answers with the name it saw, in a reply naming its service.
    #[derive(Debug, Clone)]
    struct Svc<const N: char>;

    impl NamedService for Svc<'A'> {
        const NAME: &'static str = "Alpha";
    }
    impl NamedService for Svc<'B'> {
        const NAME: &'static str = "Beta";
    }

    impl<const N: char> Service<Request> for Svc<N>
    where
        Self: NamedService,
    {
        type Response = Response;
        type Error = Infallible;
        type Future = Ready<Result<Response, Infallible>>;
        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, request: Request) -> Self::Future {
            let name = format!("{}/{}", Self::NAME, request.method());
            let header = MessageHeader::new(name, MessageType::Reply, 1);
            ready(Ok(Response::new(header, Protocol::Binary, Bytes::new())))
        }
    }

    async fn route<R: RouteList>(routes: &Routes<R>, name: &'static str) -> String
    where
        Routes<R>: Clone,
    {
        let request = Request::new(
            MessageHeader::new(name, MessageType::Call, 1),
            Protocol::Binary,
            Bytes::from_static(b"\x00"),
        );
        let Ok(response) = routes.clone().oneshot(request).await;
        match response.header().message_type {
            MessageType::Reply => response.header().name.to_string(),
            _ => {
                let e: ApplicationException = protocol::decode(
                    Protocol::Binary,
                    response.body().clone(),
                    Default::default(),
                )
                .unwrap();
                format!("{:?}: {}", e.kind(), e.message())
            }
        }
    }

    #[tokio::test]
    async fn names_pick_services_and_unknown_ones_are_answered() {
        let routes = Routes::new().add(Svc::<'A'>).add(Svc::<'B'>);
        assert_eq!(routes.names(), ["Alpha", "Beta"]);
        assert_eq!(route(&routes, "ping").await, "Alpha/ping");
        assert_eq!(route(&routes, "Alpha:ping").await, "Alpha/ping");
        assert_eq!(route(&routes, "Beta:ping").await, "Beta/ping");
        assert_eq!(
            route(&routes, "Gamma:ping").await,
            "UnknownMethod: no service `Gamma` for `Gamma:ping` (this server has `Alpha`, `Beta`)"
        );
        let optional = Routes::new()
            .add(Optional::new(None::<Svc<'A'>>))
            .add(Optional::new(Some(Svc::<'B'>)));
        assert_eq!(route(&optional, "Beta:ping").await, "Beta/ping");
        assert_eq!(
            route(&optional, "ping").await,
            "UnknownMethod: service `Alpha` is not served here (the call was `ping`)"
        );
        assert_eq!(
            route(&Routes::new(), "ping").await,
            "UnknownMethod: no method `ping` in service `(none)`"
        );
    }
}
