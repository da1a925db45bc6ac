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
pub enum Target<'a> {
    /// A plain method name: the first service added.
    First,
    /// `Service:method`: the service of that name, and where the plain name starts.
    Named { service: &'a str, method_at: usize },
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
    fn route(&mut self, target: Target<'_>, request: Request, all: Names) -> Self::Future;

    #[doc(hidden)]
    const EMPTY: bool;
}

impl sealed::Sealed for NoRoute {}

impl RouteList for NoRoute {
    type Future = Ready<Result<Response, Infallible>>;

    fn names(_names: &mut Vec<&'static str>) {}

    fn route(&mut self, target: Target<'_>, request: Request, all: Names) -> Self::Future {
        let response = match target {
            // Only a router with no service at all gets here.
            Target::First => unknown_method(&request, "(none)"),
            Target::Named { service, .. } => {
                let mut names = Vec::new();
                all(&mut names);
                unknown_service(&request, service, &names)
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

    fn route(&mut self, target: Target<'_>, mut request: Request, all: Names) -> Self::Future {
        let here = match target {
            // The first service added is the last in the list.
            Target::First => Next::EMPTY,
            Target::Named { service, method_at } if service == S::NAME => {
                // Strip `Service:`; the name shares the received buffer, so this copies
                // nothing.
                let header = request.header_mut();
                header.name = header.name.slice_from(method_at);
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
        // The name is cloned (a reference count) so the request can move on with it.
        let name = request.header().name.clone();
        let target = match name.split_once(':') {
            Some((service, _)) => Target::Named {
                service,
                method_at: service.len() + 1,
            },
            None => Target::First,
        };
        self.list.route(target, request, R::names)
    }
}
