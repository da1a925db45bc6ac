//! [`ProtocolError`]: why bytes could not be read or written as Thrift (truncated input, a
//! length over a limit, bad UTF-8...), with the kinds of Apache's `TProtocolException`.

use std::borrow::Cow;
use std::fmt;

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

/// The error for a struct whose required field was absent.
#[cold]
pub fn missing_required_field(struct_name: &str, field_name: &str) -> ProtocolError {
    ProtocolError::invalid(format!(
        "required field `{field_name}` of `{struct_name}` is missing"
    ))
}

/// For a generated union's reader, before it reads a field: fails when `value` already
/// holds one (a union has exactly one field set).
#[inline]
pub fn union_field_unset<T>(value: &Option<T>, union_name: &str) -> Result<(), ProtocolError> {
    match value {
        None => Ok(()),
        Some(_) => Err(union_error(union_name, "more than one field set")),
    }
}

/// For a generated union's reader, after the struct's end: the one field that was read, or
/// the error for a union with no field this side knows (none set, or only unknown ones).
#[inline]
pub fn union_value<T>(value: Option<T>, union_name: &str) -> Result<T, ProtocolError> {
    match value {
        Some(v) => Ok(v),
        None => Err(union_error(union_name, "no field set that this side knows")),
    }
}

#[cold]
fn union_error(union_name: &str, what: &str) -> ProtocolError {
    ProtocolError::invalid(format!("union `{union_name}` has {what}"))
}
