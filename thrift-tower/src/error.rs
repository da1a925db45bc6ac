//! Errors: the protocol layer's [`ProtocolError`], Thrift's [`ApplicationException`], and
//! the crate-wide [`Error`].
//!
//! A [`ProtocolError`] says why bytes could not be read or written (truncated input, a length
//! over a limit, bad UTF-8...). An [`ApplicationException`] is the `TApplicationException`
//! that travels on the wire as a reply when a call fails outside its declared exceptions.
//! [`Error`] is what transports, servers and clients return: opaque, with `is_*` predicates,
//! so its insides can change without breaking users.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::protocol::{FieldHeader, ProtocolReader, ProtocolWriter, Thrift, WireType};

/// What went wrong while encoding or decoding; mirrors the type codes of Apache's
/// `TProtocolException`, plus [`Eof`](ProtocolErrorKind::Eof) for input that ends early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtocolErrorKind {
    /// The input ended before the value did. A transport that reads incrementally waits
    /// for more bytes when it sees this; everywhere else it is truncated input.
    Eof,
    /// The bytes are not a valid encoding: a bad type id, bad UTF-8, a bad varint,
    /// malformed JSON or base64, a missing required field.
    InvalidData,
    /// A length or count on the wire is negative.
    NegativeSize,
    /// A length, count or message is larger than a limit or than the bytes that remain.
    SizeLimit,
    /// A message header carries an unknown protocol id or version.
    BadVersion,
    /// The operation is not supported by this protocol.
    NotImplemented,
    /// Structs and containers are nested deeper than the recursion limit.
    DepthLimit,
    /// Anything else.
    Unknown,
}

impl ProtocolErrorKind {
    /// The `TProtocolException` type code Apache's libraries use for this kind.
    /// [`Eof`](ProtocolErrorKind::Eof) has none there (it is a transport error), so it maps to
    /// `INVALID_DATA`.
    pub const fn code(self) -> i32 {
        match self {
            ProtocolErrorKind::Unknown => 0,
            ProtocolErrorKind::InvalidData | ProtocolErrorKind::Eof => 1,
            ProtocolErrorKind::NegativeSize => 2,
            ProtocolErrorKind::SizeLimit => 3,
            ProtocolErrorKind::BadVersion => 4,
            ProtocolErrorKind::NotImplemented => 5,
            ProtocolErrorKind::DepthLimit => 6,
        }
    }
}

/// An error while encoding or decoding a Thrift value.
///
/// Boxed so that `Result<T, ProtocolError>` stays one word wider than `T` on the hot path;
/// errors are rare and may allocate.
pub struct ProtocolError {
    inner: Box<ProtocolErrorInner>,
}

struct ProtocolErrorInner {
    kind: ProtocolErrorKind,
    message: Cow<'static, str>,
    /// For [`ProtocolErrorKind::Eof`]: at least how many more bytes the input needed (0:
    /// unknown), so a transport can wait for them before parsing again.
    short_by: usize,
}

impl ProtocolError {
    /// An error of `kind` with a message saying what was wrong and where.
    pub fn new(kind: ProtocolErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        ProtocolError {
            inner: Box::new(ProtocolErrorInner {
                kind,
                message: message.into(),
                short_by: 0,
            }),
        }
    }

    /// Input ended `short_by` bytes (at least) before the value did.
    #[cold]
    pub fn incomplete(message: impl Into<Cow<'static, str>>, short_by: usize) -> Self {
        let mut e = Self::new(ProtocolErrorKind::Eof, message);
        e.inner.short_by = short_by;
        e
    }

    /// For input that ended early: at least how many more bytes it needed (0 when not
    /// known). A transport waiting for a message to complete need not parse it again
    /// before that many more bytes have come.
    pub fn short_by(&self) -> usize {
        self.inner.short_by
    }

    /// Input ended while `what` was being read.
    #[cold]
    pub fn eof(what: &'static str) -> Self {
        Self::new(
            ProtocolErrorKind::Eof,
            format!("input ended while reading {what}"),
        )
    }

    /// Invalid bytes.
    #[cold]
    pub fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ProtocolErrorKind::InvalidData, message)
    }

    /// What went wrong.
    pub fn kind(&self) -> ProtocolErrorKind {
        self.inner.kind
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The input ended early (see [`ProtocolErrorKind::Eof`]).
    pub fn is_eof(&self) -> bool {
        self.inner.kind == ProtocolErrorKind::Eof
    }

    /// A limit was exceeded: a size or the nesting depth.
    pub fn is_limit(&self) -> bool {
        matches!(
            self.inner.kind,
            ProtocolErrorKind::SizeLimit | ProtocolErrorKind::DepthLimit
        )
    }
}

impl fmt::Debug for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProtocolError")
            .field("kind", &self.inner.kind)
            .field("message", &self.inner.message)
            .finish()
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.inner.kind {
            ProtocolErrorKind::Eof => "truncated input",
            ProtocolErrorKind::InvalidData => "invalid data",
            ProtocolErrorKind::NegativeSize => "negative size",
            ProtocolErrorKind::SizeLimit => "size limit exceeded",
            ProtocolErrorKind::BadVersion => "bad protocol version",
            ProtocolErrorKind::NotImplemented => "not implemented",
            ProtocolErrorKind::DepthLimit => "nesting too deep",
            ProtocolErrorKind::Unknown => "protocol error",
        };
        write!(f, "{what}: {}", self.inner.message)
    }
}

impl std::error::Error for ProtocolError {}

/// The type of an [`ApplicationException`]: the type codes of Apache's
/// `TApplicationException`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationExceptionKind {
    /// `UNKNOWN` (0)
    Unknown,
    /// `UNKNOWN_METHOD` (1): the server has no such method.
    UnknownMethod,
    /// `INVALID_MESSAGE_TYPE` (2)
    InvalidMessageType,
    /// `WRONG_METHOD_NAME` (3)
    WrongMethodName,
    /// `BAD_SEQUENCE_ID` (4)
    BadSequenceId,
    /// `MISSING_RESULT` (5): a reply carried no result and no declared exception.
    MissingResult,
    /// `INTERNAL_ERROR` (6): the handler failed or panicked.
    InternalError,
    /// `PROTOCOL_ERROR` (7): the arguments could not be decoded.
    ProtocolError,
    /// `INVALID_TRANSFORM` (8)
    InvalidTransform,
    /// `INVALID_PROTOCOL` (9)
    InvalidProtocol,
    /// `UNSUPPORTED_CLIENT_TYPE` (10)
    UnsupportedClientType,
    /// A code this library does not know, kept as received.
    Other(i32),
}

impl ApplicationExceptionKind {
    /// The wire code.
    pub const fn code(self) -> i32 {
        match self {
            Self::Unknown => 0,
            Self::UnknownMethod => 1,
            Self::InvalidMessageType => 2,
            Self::WrongMethodName => 3,
            Self::BadSequenceId => 4,
            Self::MissingResult => 5,
            Self::InternalError => 6,
            Self::ProtocolError => 7,
            Self::InvalidTransform => 8,
            Self::InvalidProtocol => 9,
            Self::UnsupportedClientType => 10,
            Self::Other(code) => code,
        }
    }

    /// The kind for a wire code; unknown codes are kept in [`Other`](Self::Other).
    pub const fn from_code(code: i32) -> Self {
        match code {
            0 => Self::Unknown,
            1 => Self::UnknownMethod,
            2 => Self::InvalidMessageType,
            3 => Self::WrongMethodName,
            4 => Self::BadSequenceId,
            5 => Self::MissingResult,
            6 => Self::InternalError,
            7 => Self::ProtocolError,
            8 => Self::InvalidTransform,
            9 => Self::InvalidProtocol,
            10 => Self::UnsupportedClientType,
            other => Self::Other(other),
        }
    }
}

/// Thrift's `TApplicationException`: a failure of a call that is not one of its declared
/// exceptions, sent as a reply of type `Exception`.
///
/// On the wire it is a struct with field 1 `message: string` and field 2 `type: i32`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApplicationException {
    kind: ApplicationExceptionKind,
    message: String,
}

impl ApplicationException {
    /// An exception of `kind` with `message`.
    pub fn new(kind: ApplicationExceptionKind, message: impl Into<String>) -> Self {
        ApplicationException {
            kind,
            message: message.into(),
        }
    }

    /// The type code.
    pub fn kind(&self) -> ApplicationExceptionKind {
        self.kind
    }

    /// The message (may be empty).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ApplicationException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ApplicationExceptionKind::Unknown => "unknown application error",
            ApplicationExceptionKind::UnknownMethod => "unknown method",
            ApplicationExceptionKind::InvalidMessageType => "invalid message type",
            ApplicationExceptionKind::WrongMethodName => "wrong method name",
            ApplicationExceptionKind::BadSequenceId => "bad sequence id",
            ApplicationExceptionKind::MissingResult => "missing result",
            ApplicationExceptionKind::InternalError => "internal error",
            ApplicationExceptionKind::ProtocolError => "protocol error",
            ApplicationExceptionKind::InvalidTransform => "invalid transform",
            ApplicationExceptionKind::InvalidProtocol => "invalid protocol",
            ApplicationExceptionKind::UnsupportedClientType => "unsupported client type",
            ApplicationExceptionKind::Other(_) => "application error",
        };
        if let ApplicationExceptionKind::Other(code) = self.kind {
            write!(f, "{what} (type {code})")?;
        } else {
            f.write_str(what)?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApplicationException {}

impl From<ProtocolError> for ApplicationException {
    fn from(err: ProtocolError) -> Self {
        ApplicationException::new(ApplicationExceptionKind::ProtocolError, err.to_string())
    }
}

impl Thrift for ApplicationException {
    const WIRE_TYPE: WireType = WireType::Struct;

    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let mut message = String::new();
        let mut kind = ApplicationExceptionKind::Unknown;
        r.read_struct_begin()?;
        loop {
            let FieldHeader { wire_type, id } = r.read_field_begin()?;
            match (id, wire_type) {
                (_, WireType::Stop) => break,
                (1, WireType::String) => message = r.read_string()?,
                (2, WireType::I32) => kind = ApplicationExceptionKind::from_code(r.read_i32()?),
                _ => r.skip(wire_type)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(ApplicationException { kind, message })
    }

    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_struct_begin("TApplicationException")?;
        w.write_field_begin("message", WireType::String, 1)?;
        w.write_string(&self.message)?;
        w.write_field_end()?;
        w.write_field_begin("type", WireType::I32, 2)?;
        w.write_i32(self.kind.code())?;
        w.write_field_end()?;
        w.write_field_stop()?;
        w.write_struct_end()
    }
}

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

    /// The `TApplicationException` a server sends for this error: the exception itself if
    /// that is what it is, otherwise `INTERNAL_ERROR` (`PROTOCOL_ERROR` for a protocol
    /// error) with this error's message.
    pub fn to_application_exception(&self) -> ApplicationException {
        match &*self.inner {
            ErrorInner::Application(e) => e.clone(),
            ErrorInner::Protocol(e) => {
                ApplicationException::new(ApplicationExceptionKind::ProtocolError, e.to_string())
            }
            _ => {
                ApplicationException::new(ApplicationExceptionKind::InternalError, self.to_string())
            }
        }
    }

    /// A tower service or layer on the way failed (see [`Error::from_service`]).
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
        matches!(*self.inner, ErrorInner::Io(_) | ErrorInner::Connect { .. })
    }

    /// The connection could not be made (the address did not resolve, the peer refused,
    /// the connect timeout passed): the call was not sent, so retrying it is safe.
    pub fn is_connect(&self) -> bool {
        matches!(*self.inner, ErrorInner::Connect { .. })
    }

    /// A deadline passed: a call's timeout, the connect timeout, or an I/O operation that
    /// the operating system timed out. (The error of tower's `TimeoutLayer` is a
    /// [service error](Error::is_service) instead: its source is tower's `Elapsed`.)
    pub fn is_timeout(&self) -> bool {
        match &*self.inner {
            ErrorInner::Timeout { .. } => true,
            ErrorInner::Io(e) | ErrorInner::Connect { source: e, .. } => {
                e.kind() == std::io::ErrorKind::TimedOut
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

    /// The protocol error, if that is what this is.
    pub fn protocol_error(&self) -> Option<&ProtocolError> {
        match &*self.inner {
            ErrorInner::Protocol(e) => Some(e),
            _ => None,
        }
    }
}

impl Error {
    /// Connecting to `target` failed with `source`.
    pub(crate) fn connect(target: impl Into<String>, source: std::io::Error) -> Self {
        Error {
            inner: Box::new(ErrorInner::Connect {
                target: target.into(),
                source,
            }),
        }
    }

    /// The call to `method` had no reply `after` its timeout.
    pub(crate) fn timeout(method: impl Into<String>, after: Duration) -> Self {
        Error {
            inner: Box::new(ErrorInner::Timeout {
                method: method.into(),
                after,
            }),
        }
    }

    /// A configuration or request that cannot work.
    pub(crate) fn config(message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            inner: Box::new(ErrorInner::Config(message.into())),
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
            ErrorInner::Io(e) => Some(e),
            ErrorInner::Connect { source, .. } => Some(source),
            ErrorInner::Timeout { .. } | ErrorInner::Config(_) => None,
            ErrorInner::Service(e) => Some(&**e),
        }
    }
}
