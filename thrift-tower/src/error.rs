//! [`Error`]: what transports, servers and clients return.
//!
//! Opaque, with `is_*` predicates, so its insides can change without breaking users. Its
//! causes are the protocol layer's [`ProtocolError`], the peer's [`ApplicationException`],
//! I/O and connection failures, timeouts, and errors of tower layers on the way.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::exception::ApplicationException;
use crate::protocol::ProtocolError;

/// The error of transports, servers and clients.
///
/// Opaque on purpose: ask it what it is with the `is_*` predicates, and reach the cause
/// through [`std::error::Error::source`].
pub struct Error {
    inner: Box<ErrorInner>,
}

enum ErrorInner {
    Protocol(ProtocolError),
    Application(ApplicationException),
    Io(std::io::Error),
    /// The connection failed before any byte of the call was written: it never reached
    /// the server.
    Unsent(std::io::Error),
    /// A transport error after some of the call was written: the server may have run it.
    Sent(std::io::Error),
    /// Connecting to `target` failed: nothing was sent.
    Connect {
        target: String,
        source: std::io::Error,
    },
    /// A call's deadline passed before its reply came.
    Timeout {
        method: String,
        after: Duration,
    },
    /// A configuration or request that cannot work, whatever the peer does.
    Config(Cow<'static, str>),
    /// An error of a tower layer or service (a timeout, a load shed...).
    Service(BoxError),
}

/// The error type of tower's layers.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Error {
    /// The error of a tower service or layer on the way: a [`Error`] stays what it is, and
    /// anything else (a timeout, a load shed...) is kept as its source.
    pub fn from_service(error: impl Into<BoxError>) -> Self {
        let error = error.into();
        let error = match error.downcast::<Error>() {
            Ok(e) => return *e,
            Err(e) => e,
        };
        let error = match error.downcast::<ApplicationException>() {
            Ok(e) => return Error::from(*e),
            Err(e) => e,
        };
        let error = match error.downcast::<ProtocolError>() {
            Ok(e) => return Error::from(*e),
            Err(e) => e,
        };
        match error.downcast::<std::io::Error>() {
            Ok(e) => Error::from(*e),
            Err(e) => Error {
                inner: Box::new(ErrorInner::Service(e)),
            },
        }
    }

    /// A handler's failure that its IDL does not declare: the caller gets an
    /// `INTERNAL_ERROR` `TApplicationException`. Generated error types convert
    /// `std::io::Error`, boxed errors and (with the `anyhow` feature) `anyhow::Error` into
    /// it with `?`; for any other error type, `.map_err(thrift_tower::Error::internal)?`.
    ///
    /// ```
    /// fn parse(text: &str) -> Result<i32, thrift_tower::Error> {
    ///     let n: i32 = text.parse().map_err(thrift_tower::Error::internal)?;
    ///     Ok(n)
    /// }
    /// let e = parse("ten").unwrap_err();
    /// assert!(e.is_service());
    /// assert_eq!(e.to_string(), "invalid digit found in string");
    /// ```
    pub fn internal(error: impl Into<BoxError>) -> Self {
        Error {
            inner: Box::new(ErrorInner::Service(error.into())),
        }
    }

    /// A tower service or layer on the way failed (see [`Error::from_service`]), or a
    /// handler did ([`Error::internal`]).
    pub fn is_service(&self) -> bool {
        matches!(*self.inner, ErrorInner::Service(_))
    }

    /// Bytes could not be encoded or decoded.
    pub fn is_protocol(&self) -> bool {
        matches!(*self.inner, ErrorInner::Protocol(_))
    }

    /// The peer answered with a `TApplicationException`.
    pub fn is_application(&self) -> bool {
        matches!(*self.inner, ErrorInner::Application(_))
    }

    /// The transport failed: connecting, reading from or writing to the connection. See
    /// [`is_connect`](Error::is_connect) for the failures that happen before anything is
    /// sent.
    pub fn is_io(&self) -> bool {
        matches!(
            *self.inner,
            ErrorInner::Io(_)
                | ErrorInner::Unsent(_)
                | ErrorInner::Sent(_)
                | ErrorInner::Connect { .. }
        )
    }

    /// The call provably never reached a server: the connection could not be made
    /// ([`is_connect`](Error::is_connect)), or it broke before any byte of the call was
    /// written. Sending it again cannot run it twice, whatever the method. Any other
    /// transport error ([`is_io`](Error::is_io)) may have come after the server read the
    /// call.
    pub fn is_unsent(&self) -> bool {
        matches!(
            *self.inner,
            ErrorInner::Unsent(_) | ErrorInner::Connect { .. }
        )
    }

    /// The connection could not be made (the address did not resolve, the peer refused,
    /// the connect timeout passed): the call was not sent, so retrying it is safe.
    pub fn is_connect(&self) -> bool {
        matches!(*self.inner, ErrorInner::Connect { .. })
    }

    /// A deadline passed, whichever layer saw it: a call's timeout (the channel's, the
    /// request's deadline), tower's `TimeoutLayer` on the client (its `Elapsed`, as
    /// [`Error::from_service`] keeps it), the server's (a `TApplicationException` of kind
    /// `TIMEOUT`), the connect timeout, or an I/O operation the operating system timed out.
    pub fn is_timeout(&self) -> bool {
        match &*self.inner {
            ErrorInner::Timeout { .. } => true,
            ErrorInner::Io(e)
            | ErrorInner::Unsent(e)
            | ErrorInner::Sent(e)
            | ErrorInner::Connect { source: e, .. } => e.kind() == std::io::ErrorKind::TimedOut,
            ErrorInner::Service(e) => e.is::<tower::timeout::error::Elapsed>(),
            ErrorInner::Application(e) => {
                e.kind() == crate::exception::ApplicationExceptionKind::Timeout
            }
            _ => false,
        }
    }

    /// The configuration or the request cannot work, whatever the peer does: an address
    /// that is not `host:port`, [`Framing::Auto`](crate::transport::Framing::Auto) on a
    /// client, a request encoded with another protocol than its channel's. Retrying does
    /// not help.
    pub fn is_config(&self) -> bool {
        matches!(*self.inner, ErrorInner::Config(_))
    }

    /// The `TApplicationException` the peer sent, if that is what this is.
    pub fn application_exception(&self) -> Option<&ApplicationException> {
        match &*self.inner {
            ErrorInner::Application(e) => Some(e),
            _ => None,
        }
    }

    /// The error of a tower service or layer, if that is what this is.
    pub(crate) fn service_error(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.inner {
            ErrorInner::Service(e) => Some(&**e),
            _ => None,
        }
    }

    /// The protocol error, if that is what this is.
    pub fn protocol_error(&self) -> Option<&ProtocolError> {
        match &*self.inner {
            ErrorInner::Protocol(e) => Some(e),
            _ => None,
        }
    }
}

impl Error {
    /// Connecting to `target` failed with `source`: nothing was sent, so a retry is safe
    /// ([`is_connect`](Error::is_connect)). For transports of other crates (HTTP, say).
    pub fn connect(target: impl Into<String>, source: std::io::Error) -> Self {
        Error {
            inner: Box::new(ErrorInner::Connect {
                target: target.into(),
                source,
            }),
        }
    }

    /// The call to `method` had no reply `after` its timeout
    /// ([`is_timeout`](Error::is_timeout)). For transports of other crates.
    pub fn timeout(method: impl Into<String>, after: Duration) -> Self {
        Error {
            inner: Box::new(ErrorInner::Timeout {
                method: method.into(),
                after,
            }),
        }
    }

    /// A configuration or request that cannot work, whatever the peer does
    /// ([`is_config`](Error::is_config)). For transports of other crates.
    pub fn config(message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            inner: Box::new(ErrorInner::Config(message.into())),
        }
    }

    /// This transport error, for a call none of which was written
    /// ([`is_unsent`](Error::is_unsent)); other errors stay as they are.
    pub(crate) fn unsent(self) -> Self {
        match *self.inner {
            ErrorInner::Io(e) => Error {
                inner: Box::new(ErrorInner::Unsent(e)),
            },
            inner => Error {
                inner: Box::new(inner),
            },
        }
    }

    /// This transport error, for a call some of which was written: it says the server may
    /// have run the call. Other errors stay as they are.
    pub(crate) fn sent(self) -> Self {
        match *self.inner {
            ErrorInner::Io(e) => Error {
                inner: Box::new(ErrorInner::Sent(e)),
            },
            inner => Error {
                inner: Box::new(inner),
            },
        }
    }

    /// The same error again, for each of several callers that failed for one reason
    /// (a broken connection fails every call on it). Neither `io::Error` nor a boxed
    /// error can be cloned: those keep their kind and message, and lose their source.
    pub(crate) fn replicate(&self) -> Self {
        fn io(e: &std::io::Error) -> std::io::Error {
            std::io::Error::new(e.kind(), e.to_string())
        }
        let inner = match &*self.inner {
            ErrorInner::Protocol(e) => {
                ErrorInner::Protocol(ProtocolError::new(e.kind(), e.message().to_owned()))
            }
            ErrorInner::Application(e) => ErrorInner::Application(e.clone()),
            ErrorInner::Io(e) => ErrorInner::Io(io(e)),
            ErrorInner::Unsent(e) => ErrorInner::Unsent(io(e)),
            ErrorInner::Sent(e) => ErrorInner::Sent(io(e)),
            ErrorInner::Connect { target, source } => ErrorInner::Connect {
                target: target.clone(),
                source: io(source),
            },
            ErrorInner::Timeout { method, after } => ErrorInner::Timeout {
                method: method.clone(),
                after: *after,
            },
            ErrorInner::Config(message) => ErrorInner::Config(message.clone()),
            ErrorInner::Service(e) => ErrorInner::Service(e.to_string().into()),
        };
        Error {
            inner: Box::new(inner),
        }
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Error {
            inner: Box::new(ErrorInner::Protocol(e)),
        }
    }
}

impl From<ApplicationException> for Error {
    fn from(e: ApplicationException) -> Self {
        Error {
            inner: Box::new(ErrorInner::Application(e)),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error {
            inner: Box::new(ErrorInner::Io(e)),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.inner {
            ErrorInner::Protocol(e) => f.debug_tuple("Error::Protocol").field(e).finish(),
            ErrorInner::Application(e) => f.debug_tuple("Error::Application").field(e).finish(),
            ErrorInner::Io(e) => f.debug_tuple("Error::Io").field(e).finish(),
            ErrorInner::Unsent(e) => f.debug_tuple("Error::Unsent").field(e).finish(),
            ErrorInner::Sent(e) => f.debug_tuple("Error::Sent").field(e).finish(),
            ErrorInner::Connect { target, source } => f
                .debug_struct("Error::Connect")
                .field("target", target)
                .field("source", source)
                .finish(),
            ErrorInner::Timeout { method, after } => f
                .debug_struct("Error::Timeout")
                .field("method", method)
                .field("after", after)
                .finish(),
            ErrorInner::Config(e) => f.debug_tuple("Error::Config").field(e).finish(),
            ErrorInner::Service(e) => f.debug_tuple("Error::Service").field(e).finish(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.inner {
            ErrorInner::Protocol(e) => write!(f, "thrift protocol error: {e}"),
            ErrorInner::Application(e) => write!(f, "thrift application exception: {e}"),
            ErrorInner::Io(e) => write!(f, "thrift transport error: {e}"),
            ErrorInner::Unsent(e) => {
                write!(f, "thrift transport error: {e} (the call was not sent)")
            }
            ErrorInner::Sent(e) => write!(
                f,
                "thrift transport error: {e} (after the call was sent: the server may have run it)"
            ),
            ErrorInner::Connect { target, source } => {
                write!(
                    f,
                    "thrift transport error: cannot connect to {target}: {source}"
                )
            }
            ErrorInner::Timeout { method, after } => {
                write!(f, "thrift call `{method}` timed out after {after:?}")
            }
            ErrorInner::Config(e) => write!(f, "thrift configuration error: {e}"),
            ErrorInner::Service(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.inner {
            ErrorInner::Protocol(e) => Some(e),
            ErrorInner::Application(e) => Some(e),
            ErrorInner::Io(e) | ErrorInner::Unsent(e) | ErrorInner::Sent(e) => Some(e),
            ErrorInner::Connect { source, .. } => Some(source),
            ErrorInner::Timeout { .. } | ErrorInner::Config(_) => None,
            ErrorInner::Service(e) => Some(&**e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exception::ApplicationExceptionKind;

    #[test]
    fn a_timeout_is_a_timeout_whichever_layer_saw_it() {
        let timeouts = [
            Error::timeout("get", Duration::from_secs(1)),
            Error::from_service(tower::timeout::error::Elapsed::new()),
            Error::from(ApplicationException::new(
                ApplicationExceptionKind::Timeout,
                "`get` timed out in the server",
            )),
            Error::from(std::io::Error::from(std::io::ErrorKind::TimedOut)),
            Error::connect("db:9090", std::io::ErrorKind::TimedOut.into()),
        ];
        for e in &timeouts {
            assert!(e.is_timeout(), "{e:?}");
        }
        let others = [
            Error::from_service("the backend is gone"),
            Error::from(ApplicationException::new(
                ApplicationExceptionKind::Loadshedding,
                "busy",
            )),
            Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
        ];
        for e in &others {
            assert!(!e.is_timeout(), "{e:?}");
        }
    }

    #[test]
    fn only_a_call_that_never_left_is_unsent() {
        let refused = Error::connect("db:9090", std::io::ErrorKind::ConnectionRefused.into());
        assert!(refused.is_unsent() && refused.is_io());
        let broken = Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(!broken.is_unsent() && broken.is_io());
        let unsent = broken.replicate().unsent();
        assert!(unsent.is_unsent() && unsent.is_io() && !unsent.is_connect());
        assert!(unsent.replicate().is_unsent());
        // A call that was written: still a transport error, and its text says it may
        // have run.
        let sent = broken.replicate().sent();
        assert!(sent.is_io() && !sent.is_unsent());
        assert!(sent.to_string().contains("may have run"), "{sent}");
        assert!(sent.replicate().to_string().contains("may have run"));
        // Errors that are not the transport's stay as they are.
        assert!(!Error::config("no").unsent().is_unsent());
        assert!(
            !Error::config("no")
                .sent()
                .to_string()
                .contains("may have run")
        );
    }
}
