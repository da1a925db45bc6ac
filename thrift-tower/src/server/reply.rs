//! [`AlwaysReply`]: the one wrapper that turns whatever goes wrong in a call into the
//! `TApplicationException` reply Apache's clients expect, so that every call is answered and
//! the connection lives on.
//!
//! The TCP server puts it around the services and layers it serves; an HTTP adapter does
//! the same, and so can anyone serving Thrift over a transport of their own. The generated
//! servers word what fails inside them (arguments, results, handlers) the same way.
//!

use std::any::Any;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tower_layer::Layer;
use tower_service::Service;
use tracing::{debug, error};

use crate::error::{BoxError, Error};
use crate::exception::{ApplicationException, ApplicationExceptionKind};
use crate::message::{Request, Response};
use crate::protocol::{self, MessageHeader, MessageType, Protocol, ProtocolError};

/// Wraps a Thrift service so that every call gets a reply: errors of the service and of
/// the layers inside it, panics, and calls it cannot serve become `TApplicationException`
/// replies, as the table below says. Its error type is [`Infallible`].
///
/// # What each failure becomes
///
/// | cause | kind (code) | message |
/// |---|---|---|
/// | a method the service does not have | `UNKNOWN_METHOD` (1) | ``no method `m` in service `S` `` |
/// | a `Service:` prefix no service has | `UNKNOWN_METHOD` (1) | ``no service `X` for `X:m` (this server has `S`, `T`) `` |
/// | a service added with `add_optional_service(None)` | `UNKNOWN_METHOD` (1) | ``service `S` is not served here (the call was `m`) `` |
/// | arguments that do not decode | `PROTOCOL_ERROR` (7) | ``cannot decode the arguments of `m`: `` and why |
/// | a result that cannot be encoded | `INTERNAL_ERROR` (6) | ``cannot encode the result of `m`: `` and why |
/// | a handler or layer returns an [`ApplicationException`] (or an [`Error`] holding one) | its own | its own |
/// | tower's load shedder refuses the call (`Overloaded`) | `LOADSHEDDING` (11) | ``the server is overloaded and did not run `m` `` |
/// | tower's `TimeoutLayer` (`Elapsed`), or an [`Error`] that [is a timeout](Error::is_timeout) | `TIMEOUT` (12) | ```m` timed out in the server`` |
/// | a protocol error from a layer or handler | `PROTOCOL_ERROR` (7) | the error |
/// | a handler or layer panics (in `poll_ready`, `call` or the future) | `INTERNAL_ERROR` (6) | ``` `m` panicked: ``` and the panic's message |
/// | any other error of a handler or layer | `INTERNAL_ERROR` (6) | the error |
///
/// # What the client is told, and what is logged
///
/// An internal error (a handler's undeclared error that is not an [`ApplicationException`],
/// a panic, a layer's own error, a result that cannot be encoded; in the service or in a
/// generated server inside it) is logged (`tracing`, at `error`) with the service (of a
/// multiplexed call), the method, the sequence id, the peer and the whole message above;
/// the client is sent only `INTERNAL_ERROR` with `Internal error`, as Apache's servers
/// send it, so that nothing of the server's insides leaks to callers.
/// [`error_details`](Self::error_details) sends the whole message instead, for development.
/// An [`ApplicationException`] a handler returns on purpose is sent as it is. The other
/// kinds are the client's business (what it called, what it sent, how busy the server is):
/// they are sent as the table says, and logged at `debug`.
///
/// A oneway call is never answered, whatever happens.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use thrift_tower::server::AlwaysReplyLayer;
/// # fn wrap<S>(generated_server: S)
/// # where S: tower::Service<thrift_tower::Request, Response = thrift_tower::Response> + Send + 'static,
/// #       S::Error: Into<thrift_tower::BoxError>, S::Future: Send {
///
/// // Whatever the timeout does to a call is answered as a `TIMEOUT` exception.
/// let service = tower::ServiceBuilder::new()
///     .layer(AlwaysReplyLayer::new())
///     .timeout(Duration::from_secs(1))
///     .service(generated_server);
/// # let _ = service;
/// # }
/// ```
#[derive(Debug)]
pub struct AlwaysReply<S> {
    inner: S,
    /// `poll_ready` failed: the next call is answered with this.
    not_ready: Option<Failure>,
    details: bool,
}

/// What the client of an `INTERNAL_ERROR` is told unless the details are sent: the words
/// of Apache's servers.
pub(crate) const INTERNAL_ERROR_MESSAGE: &str = "Internal error";

impl<S> AlwaysReply<S> {
    /// Wraps `inner`.
    pub const fn new(inner: S) -> Self {
        AlwaysReply {
            inner,
            not_ready: None,
            details: false,
        }
    }

    /// Sends clients the whole message of an `INTERNAL_ERROR` (a handler's error, a panic's
    /// message) instead of `Internal error`. For development: the messages may tell a
    /// caller what it should not know of the server.
    pub const fn error_details(mut self, on: bool) -> Self {
        self.details = on;
        self
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Unwraps the service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone> Clone for AlwaysReply<S> {
    /// A clone of the service, to be made ready on its own ("clone, then call"): it does
    /// not inherit a failure of this one's `poll_ready`.
    fn clone(&self) -> Self {
        AlwaysReply::new(self.inner.clone()).error_details(self.details)
    }
}

/// What went wrong before a reply existed.
enum Failure {
    Error(BoxError),
    /// A panic's message: kept rather than its payload, which is not `Sync` (and the
    /// service, holding a failure of `poll_ready`, must be, to be mounted in axum).
    Panic(String),
}

impl Failure {
    fn panic(payload: &(dyn Any + Send)) -> Self {
        Failure::Panic(panic_message(payload).to_owned())
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => f.debug_tuple("Error").field(e).finish(),
            Failure::Panic(p) => f.debug_tuple("Panic").field(p).finish(),
        }
    }
}

impl<S> Service<Request> for AlwaysReply<S>
where
    S: Service<Request, Response = Response>,
    S::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = AlwaysReplyFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        if self.not_ready.is_some() {
            return Poll::Ready(Ok(()));
        }
        let inner = &mut self.inner;
        match catch_unwind(AssertUnwindSafe(|| inner.poll_ready(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Ok(()))) => {}
            Ok(Poll::Ready(Err(e))) => self.not_ready = Some(Failure::Error(e.into())),
            Err(panic) => self.not_ready = Some(Failure::panic(&*panic)),
        }
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // For the generated server inside, which answers its handler's errors itself.
        request.set_error_details(self.details);
        let call = CallOf::new(&request, self.details);
        if let Some(failure) = self.not_ready.take() {
            return AlwaysReplyFuture::answered(call.answer(failure));
        }
        let inner = &mut self.inner;
        match catch_unwind(AssertUnwindSafe(|| inner.call(request))) {
            Ok(future) => AlwaysReplyFuture::running(future, call),
            Err(panic) => AlwaysReplyFuture::answered(call.answer(Failure::panic(&*panic))),
        }
    }
}

/// What a reply to a call needs of it once the request is gone.
#[derive(Debug)]
struct CallOf {
    header: MessageHeader,
    protocol: Protocol,
    peer: Option<SocketAddr>,
    details: bool,
}

impl CallOf {
    fn new(request: &Request, details: bool) -> Self {
        CallOf {
            header: request.header().clone(),
            protocol: request.protocol(),
            peer: request.connection().and_then(|c| c.peer_addr()),
            details,
        }
    }

    /// The reply for `failure`, logged.
    fn answer(self, failure: Failure) -> Response {
        let method: &str = &self.header.name;
        let (exception, internal) = match &failure {
            Failure::Error(e) => {
                let exception = exception_for(method, &**e);
                let internal = exception.kind() == ApplicationExceptionKind::InternalError
                    && !carries_exception(&**e);
                (exception, internal)
            }
            Failure::Panic(p) => (panicked_with(method, p), true),
        };
        let exception = if internal {
            told_of_internal(&self.header, self.peer, self.details, exception)
        } else {
            debug!(method, seqid = self.header.seqid, peer = ?self.peer, %exception, "call failed");
            exception
        };
        if self.header.message_type == MessageType::Oneway {
            return Response::oneway(&self.header, self.protocol);
        }
        exception_reply(&self.header, self.protocol, &exception)
    }
}

/// Whether `error` is, or holds, an [`ApplicationException`]: one a handler or a layer
/// returns on purpose, for the client to see.
fn carries_exception(error: &(dyn std::error::Error + 'static)) -> bool {
    error.is::<ApplicationException>()
        || error
            .downcast_ref::<Error>()
            .is_some_and(|e| e.application_exception().is_some())
}

/// Logs an internal error of the call `header` (a handler's undeclared error, a panic...),
/// and returns what its caller is told: `Internal error`, or with `details` the whole
/// `exception`.
pub(crate) fn told_of_internal(
    header: &MessageHeader,
    peer: Option<SocketAddr>,
    details: bool,
    exception: ApplicationException,
) -> ApplicationException {
    let (service, method) = match header.name.split_once(':') {
        Some((service, method)) => (Some(service), method),
        None => (None, &*header.name),
    };
    error!(
        service,
        method,
        seqid = header.seqid,
        ?peer,
        error = exception.message(),
        "call failed"
    );
    if details {
        return exception;
    }
    ApplicationException::new(
        ApplicationExceptionKind::InternalError,
        INTERNAL_ERROR_MESSAGE,
    )
}

pin_project_lite::pin_project! {
    /// The future of [`AlwaysReply`]: the inner service's, with its failures answered.
    #[must_use = "futures do nothing unless polled"]
    pub struct AlwaysReplyFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<F> {
        /// The inner service's future.
        Running {
            #[pin]
            future: F,
            call: Option<CallOf>,
        },
        /// Answered before the inner service ran (or while it was called).
        Answered { reply: Option<Response> },
    }
}

impl<F> AlwaysReplyFuture<F> {
    fn answered(reply: Response) -> Self {
        AlwaysReplyFuture {
            state: State::Answered { reply: Some(reply) },
        }
    }

    fn running(future: F, call: CallOf) -> Self {
        AlwaysReplyFuture {
            state: State::Running {
                future,
                call: Some(call),
            },
        }
    }
}

impl<F> fmt::Debug for AlwaysReplyFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlwaysReplyFuture").finish_non_exhaustive()
    }
}

impl<F, E> Future for AlwaysReplyFuture<F>
where
    F: Future<Output = Result<Response, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Running { future, call } => {
                let failure = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(Ok(response))) => return Poll::Ready(Ok(response)),
                    Ok(Poll::Ready(Err(e))) => Failure::Error(e.into()),
                    Err(panic) => Failure::panic(&*panic),
                };
                let call = call
                    .take()
                    .expect("AlwaysReplyFuture polled after completion");
                Poll::Ready(Ok(call.answer(failure)))
            }
            StateProj::Answered { reply } => Poll::Ready(Ok(reply
                .take()
                .expect("AlwaysReplyFuture polled after completion"))),
        }
    }
}

/// The [`Layer`] of [`AlwaysReply`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysReplyLayer {
    _private: (),
}

impl AlwaysReplyLayer {
    /// The layer.
    pub const fn new() -> Self {
        AlwaysReplyLayer { _private: () }
    }
}

impl<S> Layer<S> for AlwaysReplyLayer {
    type Service = AlwaysReply<S>;

    fn layer(&self, inner: S) -> AlwaysReply<S> {
        AlwaysReply::new(inner)
    }
}

// ---- One wording per cause ----

/// The exception for an error of a handler or a layer during the call of `method`.
pub(crate) fn exception_for(
    method: &str,
    error: &(dyn std::error::Error + 'static),
) -> ApplicationException {
    if let Some(e) = error.downcast_ref::<ApplicationException>() {
        return e.clone();
    }
    if let Some(e) = error.downcast_ref::<Error>() {
        if let Some(e) = e.application_exception() {
            return e.clone();
        }
        if e.is_timeout() {
            return timed_out(method);
        }
        if let Some(e) = e.protocol_error() {
            return ApplicationException::new(
                ApplicationExceptionKind::ProtocolError,
                e.to_string(),
            );
        }
        // A layer's error the runtime's `Error` carries: classified as itself.
        if let Some(source) = e.service_error() {
            return exception_for(method, source);
        }
    }
    if error.is::<tower::load_shed::error::Overloaded>() {
        return ApplicationException::new(
            ApplicationExceptionKind::Loadshedding,
            format!("the server is overloaded and did not run `{method}`"),
        );
    }
    if error.is::<tower::timeout::error::Elapsed>() {
        return timed_out(method);
    }
    if let Some(e) = error.downcast_ref::<ProtocolError>() {
        return ApplicationException::new(ApplicationExceptionKind::ProtocolError, e.to_string());
    }
    ApplicationException::new(ApplicationExceptionKind::InternalError, error.to_string())
}

fn timed_out(method: &str) -> ApplicationException {
    ApplicationException::new(
        ApplicationExceptionKind::Timeout,
        format!("`{method}` timed out in the server"),
    )
}

/// The exception for a panic in the call of `method`.
pub(crate) fn panicked(method: &str, panic: &(dyn Any + Send)) -> ApplicationException {
    panicked_with(method, panic_message(panic))
}

fn panicked_with(method: &str, message: &str) -> ApplicationException {
    ApplicationException::new(
        ApplicationExceptionKind::InternalError,
        format!("`{method}` panicked: {message}"),
    )
}

/// The exception for arguments of `method` that do not decode.
pub(crate) fn bad_arguments(method: &str, error: &ProtocolError) -> ApplicationException {
    ApplicationException::new(
        ApplicationExceptionKind::ProtocolError,
        format!("cannot decode the arguments of `{method}`: {error}"),
    )
}

/// The exception for a result of `method` that cannot be encoded.
pub(crate) fn bad_result(method: &str, error: &dyn fmt::Display) -> ApplicationException {
    ApplicationException::new(
        ApplicationExceptionKind::InternalError,
        format!("cannot encode the result of `{method}`: {error}"),
    )
}

/// The reply to a call of a method `service` does not have (none for a oneway call).
pub(crate) fn unknown_method(request: &Request, service: &str) -> Response {
    let error = ApplicationException::new(
        ApplicationExceptionKind::UnknownMethod,
        format!("no method `{}` in service `{service}`", request.method()),
    );
    reply_unless_oneway(request, &error)
}

/// The reply to a call named `Service:method` whose service no one has (none for a oneway
/// call).
pub(crate) fn unknown_service(request: &Request, service: &str, known: &[&str]) -> Response {
    let error = ApplicationException::new(
        ApplicationExceptionKind::UnknownMethod,
        format!(
            "no service `{service}` for `{}` (this server has `{}`)",
            request.method(),
            known.join("`, `")
        ),
    );
    reply_unless_oneway(request, &error)
}

/// The reply to a call of service `service`, which this server does not serve (none for a
/// oneway call).
pub(crate) fn not_served(request: &Request, service: &str) -> Response {
    let error = ApplicationException::new(
        ApplicationExceptionKind::UnknownMethod,
        format!(
            "service `{service}` is not served here (the call was `{}`)",
            request.method()
        ),
    );
    reply_unless_oneway(request, &error)
}

fn reply_unless_oneway(request: &Request, error: &ApplicationException) -> Response {
    if request.is_oneway() {
        return Response::oneway(request.header(), request.protocol());
    }
    exception_reply(request.header(), request.protocol(), error)
}

/// A reply of type `Exception` carrying `error`, to the call `header`.
pub(crate) fn exception_reply(
    header: &MessageHeader,
    protocol: Protocol,
    error: &ApplicationException,
) -> Response {
    let reply = MessageHeader::new(header.name.clone(), MessageType::Exception, header.seqid);
    // Encoding a message and a code into a growable buffer cannot fail; should it ever,
    // the reply is an empty struct rather than a panic in the server.
    let body = protocol::encode(protocol, error).unwrap_or_else(|_| empty_struct(protocol));
    Response::new(reply, protocol, body)
}

fn empty_struct(protocol: Protocol) -> Bytes {
    Bytes::from_static(match protocol {
        Protocol::Json => b"{}",
        _ => b"\x00",
    })
}

/// A panic's message, when it has one.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}

pin_project_lite::pin_project! {
    /// Runs a future, catching a panic in it.
    pub(crate) struct CatchUnwind<F> {
        #[pin]
        future: F,
    }
}

impl<F> CatchUnwind<F> {
    pub(crate) fn new(future: F) -> Self {
        CatchUnwind { future }
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.project().future;
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// The wrapper is `Send + Sync` whenever the service is: axum mounts only such services.
#[allow(dead_code)]
fn assert_send_sync<S: Send + Sync>() {
    fn is<T: Send + Sync>() {}
    is::<AlwaysReply<S>>();
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tower::ServiceExt;

    use super::*;

    fn call(name: &'static str, message_type: MessageType) -> Request {
        Request::new(
            MessageHeader::new(name, message_type, 7),
            Protocol::Compact,
            Bytes::from_static(b"\x00"),
        )
    }

    /// What `service`, wrapped with the details of internal errors on, answers to a call
    /// of `name`.
    async fn answer<S>(service: S, name: &'static str) -> Response
    where
        S: Service<Request, Response = Response>,
        S::Error: Into<BoxError>,
    {
        AlwaysReply::new(service)
            .error_details(true)
            .oneshot(call(name, MessageType::Call))
            .await
            .unwrap_or_else(|e| match e {})
    }

    /// The exception `response` carries, checked to answer the call `name` with seqid 7.
    #[track_caller]
    fn exception(response: &Response, name: &str) -> (ApplicationExceptionKind, String) {
        assert_eq!(
            response.header(),
            &MessageHeader::new(name.to_string(), MessageType::Exception, 7)
        );
        let e: ApplicationException = protocol::decode(
            response.protocol(),
            response.body().clone(),
            Default::default(),
        )
        .unwrap();
        (e.kind(), e.message().to_string())
    }

    fn echo(request: Request) -> std::future::Ready<Result<Response, BoxError>> {
        let reply = MessageHeader::new(request.method().to_string(), MessageType::Reply, 7);
        std::future::ready(Ok(Response::new(
            reply,
            request.protocol(),
            request.into_body(),
        )))
    }

    fn failing(
        error: impl Fn() -> BoxError + Clone,
    ) -> impl Service<Request, Response = Response, Error = BoxError> {
        tower::service_fn(move |_: Request| {
            let error = error.clone();
            async move { Err::<Response, _>(error()) }
        })
    }

    /// A service that is never ready.
    #[derive(Clone)]
    struct Busy;

    impl Service<Request> for Busy {
        type Response = Response;
        type Error = BoxError;
        type Future = std::future::Ready<Result<Response, BoxError>>;
        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            Poll::Pending
        }
        fn call(&mut self, request: Request) -> Self::Future {
            echo(request)
        }
    }

    /// A service whose `poll_ready` fails, or panics.
    #[derive(Clone)]
    struct Broken {
        panics: bool,
    }

    impl Service<Request> for Broken {
        type Response = Response;
        type Error = BoxError;
        type Future = std::future::Ready<Result<Response, BoxError>>;
        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            if self.panics {
                panic!("not ready, loudly");
            }
            Poll::Ready(Err("the backend is gone".into()))
        }
        fn call(&mut self, request: Request) -> Self::Future {
            echo(request)
        }
    }

    #[tokio::test]
    async fn a_reply_goes_through_untouched() {
        let response = answer(tower::service_fn(echo), "ping").await;
        assert_eq!(
            response.header(),
            &MessageHeader::new("ping", MessageType::Reply, 7)
        );
        assert_eq!(&response.body()[..], b"\x00");
    }

    #[tokio::test]
    async fn each_failure_becomes_its_documented_exception() {
        use ApplicationExceptionKind as Kind;
        let declined = || -> BoxError {
            Box::new(ApplicationException::new(Kind::WrongMethodName, "not you"))
        };
        let cases: Vec<(Response, &str, Kind, &str)> = vec![
            (
                answer(failing(declined), "auth").await,
                "auth",
                Kind::WrongMethodName,
                "not you",
            ),
            (
                answer(
                    failing(move || Box::new(Error::from(declined_inner()))),
                    "auth",
                )
                .await,
                "auth",
                Kind::WrongMethodName,
                "not you",
            ),
            (
                answer(
                    tower::timeout::Timeout::new(
                        tower::service_fn(|r: Request| async move {
                            tokio::time::sleep(Duration::from_secs(10)).await;
                            echo(r).await
                        }),
                        Duration::from_millis(10),
                    ),
                    "slow",
                )
                .await,
                "slow",
                Kind::Timeout,
                "`slow` timed out in the server",
            ),
            (
                answer(
                    failing(|| {
                        Box::new(Error::from_service(tower::timeout::error::Elapsed::new()))
                    }),
                    "slow",
                )
                .await,
                "slow",
                Kind::Timeout,
                "`slow` timed out in the server",
            ),
            (
                answer(tower::load_shed::LoadShed::new(Busy), "busy").await,
                "busy",
                Kind::Loadshedding,
                "the server is overloaded and did not run `busy`",
            ),
            (
                answer(
                    failing(|| Box::new(ProtocolError::invalid("bad bytes"))),
                    "odd",
                )
                .await,
                "odd",
                Kind::ProtocolError,
                "invalid data: bad bytes",
            ),
            (
                answer(
                    failing(|| Box::new(std::io::Error::other("disk on fire"))),
                    "save",
                )
                .await,
                "save",
                Kind::InternalError,
                "disk on fire",
            ),
            (
                answer(Broken { panics: false }, "gone").await,
                "gone",
                Kind::InternalError,
                "the backend is gone",
            ),
            (
                answer(Broken { panics: true }, "gone").await,
                "gone",
                Kind::InternalError,
                "`gone` panicked: not ready, loudly",
            ),
            (
                answer(
                    tower::service_fn(|r: Request| {
                        if r.method() == "boom" {
                            panic!("in call");
                        }
                        echo(r)
                    }),
                    "boom",
                )
                .await,
                "boom",
                Kind::InternalError,
                "`boom` panicked: in call",
            ),
            (
                answer(
                    tower::service_fn(|_: Request| async move {
                        tokio::task::yield_now().await;
                        if true {
                            panic!("in the future, value {}", 42);
                        }
                        Ok::<Response, BoxError>(Response::oneway(
                            &MessageHeader::new("later", MessageType::Call, 7),
                            Protocol::Compact,
                        ))
                    }),
                    "later",
                )
                .await,
                "later",
                Kind::InternalError,
                "`later` panicked: in the future, value 42",
            ),
        ];
        for (response, name, kind, message) in cases {
            assert_eq!(exception(&response, name), (kind, message.to_string()));
        }
    }

    fn declined_inner() -> ApplicationException {
        ApplicationException::new(ApplicationExceptionKind::WrongMethodName, "not you")
    }

    #[tokio::test]
    async fn a_oneway_call_is_never_answered() {
        let oneway = |service| async move {
            AlwaysReply::new(service)
                .oneshot(call("note", MessageType::Oneway))
                .await
                .unwrap_or_else(|e| match e {})
        };
        let response = oneway(failing(|| "lost".into())).await;
        assert!(response.is_oneway() && response.body().is_empty());
        assert_eq!(response.header().seqid, 7);
        let response = AlwaysReply::new(Broken { panics: true })
            .oneshot(call("note", MessageType::Oneway))
            .await
            .unwrap_or_else(|e| match e {});
        assert!(response.is_oneway());
    }

    #[tokio::test]
    async fn after_a_failed_poll_ready_the_service_is_asked_again() {
        // `poll_ready` failed once; that call is answered with the failure, and the next
        // call finds the service ready again.
        #[derive(Clone)]
        struct FailsOnce(std::sync::Arc<std::sync::atomic::AtomicBool>);
        impl Service<Request> for FailsOnce {
            type Response = Response;
            type Error = BoxError;
            type Future = std::future::Ready<Result<Response, BoxError>>;
            fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
                if self.0.swap(false, std::sync::atomic::Ordering::SeqCst) {
                    return Poll::Ready(Err("once".into()));
                }
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, request: Request) -> Self::Future {
                echo(request)
            }
        }
        let mut service =
            AlwaysReply::new(FailsOnce(std::sync::Arc::new(true.into()))).error_details(true);
        let first = service
            .ready()
            .await
            .unwrap()
            .call(call("a", MessageType::Call))
            .await;
        let first = first.unwrap_or_else(|e| match e {});
        assert_eq!(
            exception(&first, "a"),
            (ApplicationExceptionKind::InternalError, "once".to_string())
        );
        let second = service
            .ready()
            .await
            .unwrap()
            .call(call("a", MessageType::Call))
            .await;
        let second = second.unwrap_or_else(|e| match e {});
        assert_eq!(second.header().message_type, MessageType::Reply);
    }

    /// What `service`, wrapped with the defaults, answers to a call of `name`.
    async fn answer_by_default<S>(service: S, name: &'static str) -> Response
    where
        S: Service<Request, Response = Response>,
        S::Error: Into<BoxError>,
    {
        AlwaysReply::new(service)
            .oneshot(call(name, MessageType::Call))
            .await
            .unwrap_or_else(|e| match e {})
    }

    #[tokio::test]
    async fn internal_errors_tell_the_client_nothing_but_internal_error_by_default() {
        use ApplicationExceptionKind as Kind;
        let internal = (Kind::InternalError, INTERNAL_ERROR_MESSAGE.to_string());
        let io = || -> BoxError { Box::new(std::io::Error::other("disk on fire")) };
        assert_eq!(
            exception(&answer_by_default(failing(io), "save").await, "save"),
            internal
        );
        let response = answer_by_default(Broken { panics: true }, "gone").await;
        assert_eq!(exception(&response, "gone"), internal);
        // An exception a layer returns on purpose is sent as it is, INTERNAL_ERROR too.
        let on_purpose = || -> BoxError {
            Box::new(ApplicationException::new(Kind::InternalError, "on purpose"))
        };
        let response = answer_by_default(failing(on_purpose), "save").await;
        assert_eq!(
            exception(&response, "save"),
            (Kind::InternalError, "on purpose".to_string())
        );
        // The other kinds are the client's business, details or not.
        let response = answer_by_default(tower::load_shed::LoadShed::new(Busy), "busy").await;
        assert_eq!(
            exception(&response, "busy"),
            (
                Kind::Loadshedding,
                "the server is overloaded and did not run `busy`".to_string()
            )
        );
    }

    /// Everything logged while `run` runs on this thread.
    async fn logged<F: Future>(run: F) -> String {
        #[derive(Clone, Default)]
        struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Captured {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::ERROR)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _default = tracing::subscriber::set_default(subscriber);
        run.await;
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[tokio::test]
    async fn internal_errors_are_logged_with_their_call_and_whole_message() {
        let io = || -> BoxError { Box::new(std::io::Error::other("database is on fire")) };
        let log = logged(answer_by_default(failing(io), "Store:get")).await;
        assert!(
            log.contains(" ERROR ")
                && log.contains(
                    "call failed service=\"Store\" method=\"get\" seqid=7 peer=None \
                     error=\"database is on fire\""
                ),
            "{log}"
        );
        let log = logged(answer_by_default(Broken { panics: true }, "gone")).await;
        assert!(
            log.contains("method=\"gone\" seqid=7")
                && log.contains("error=\"`gone` panicked: not ready, loudly\""),
            "{log}"
        );
        // Not the client's own errors.
        let log = logged(answer_by_default(
            tower::load_shed::LoadShed::new(Busy),
            "busy",
        ))
        .await;
        assert_eq!(log, "");
    }
}
