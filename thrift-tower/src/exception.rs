//! [`ApplicationException`]: Thrift's `TApplicationException`, the failure of a call outside
//! its declared exceptions, which travels on the wire as a reply of type `Exception`.

use std::fmt;

use crate::protocol::{
    FieldHeader, ProtocolError, ProtocolReader, ProtocolWriter, Thrift, WireType,
};

/// The type of an [`ApplicationException`]: the type codes of Apache's
/// `TApplicationException`, and two that fbthrift adds for a server that sheds load or
/// times a call out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
    /// `LOADSHEDDING` (11, fbthrift's code): the server was overloaded and did not run the
    /// call, so it can be sent again. Apache's clients, which do not name this code, see an
    /// application exception of type 11 with its message.
    Loadshedding,
    /// `TIMEOUT` (12, fbthrift's code): the call ran out of time in the server, which
    /// stopped it; it may or may not have taken effect.
    Timeout,
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
            Self::Loadshedding => 11,
            Self::Timeout => 12,
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
            11 => Self::Loadshedding,
            12 => Self::Timeout,
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
            ApplicationExceptionKind::Loadshedding => "server overloaded",
            ApplicationExceptionKind::Timeout => "timed out in the server",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_comes_back_as_it_went() {
        for code in -1..=20 {
            let kind = ApplicationExceptionKind::from_code(code);
            assert_eq!(kind.code(), code);
            let named = !matches!(kind, ApplicationExceptionKind::Other(_));
            assert_eq!(named, (0..=12).contains(&code), "{code}: {kind:?}");
        }
        assert_eq!(
            ApplicationExceptionKind::from_code(11),
            ApplicationExceptionKind::Loadshedding
        );
        assert_eq!(
            ApplicationExceptionKind::from_code(12),
            ApplicationExceptionKind::Timeout
        );
        let e = ApplicationException::new(ApplicationExceptionKind::Timeout, "`m` ran long");
        assert_eq!(e.to_string(), "timed out in the server: `m` ran long");
        let e = ApplicationException::new(ApplicationExceptionKind::Other(40), "");
        assert_eq!(e.to_string(), "application error (type 40)");
    }
}
