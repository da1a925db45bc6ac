//! What flows through tower: a [`Request`] one way, a [`Response`] the other.
//!
//! Both are a [`Message`]: the decoded [`MessageHeader`] (method name, message type,
//! sequence id), the [`Protocol`], and the body still encoded as [`Bytes`], so a layer reads
//! the method name without decoding anything and a retry clones a request for the price of a
//! reference count. Around that, each message has room for what transports and layers know:
//!
//! - [`Headers`]: the transport's key/value headers (THeader's info headers, HTTP headers);
//! - [`ConnectionInfo`]: what the connection that carried it knows of itself (the peer's
//!   address; a TLS identity), shared by every message of the connection;
//! - [`Extensions`]: anything else, by type;
//! - on a request only ([`Call`]): the [`MethodInfo`] the generated client sets (the
//!   method's service, whether it is oneway, whether the IDL marks it idempotent) and a
//!   deadline.
//!
//! None of them costs an allocation while it is unused.
//!
//! ```
//! use thrift_tower::bytes::Bytes;
//! use thrift_tower::message::{MethodInfo, Request};
//! use thrift_tower::protocol::Protocol;
//! use thrift_tower::{MessageHeader, MessageType};
//!
//! const GET: &MethodInfo = &MethodInfo::new("Store", "get").with_idempotent(true);
//!
//! let mut request = Request::new(
//!     MessageHeader::new("get", MessageType::Call, 0),
//!     Protocol::Compact,
//!     Bytes::from_static(b"\x18\x03key\x00"),
//! );
//! request.set_method_info(GET);
//! request.headers_mut().insert("trace-id", "4bf92f35");
//! // What a retry layer asks, without decoding the body or matching names:
//! assert!(request.method_info().is_some_and(|m| m.idempotent));
//! assert_eq!(request.headers().get("trace-id"), Some("4bf92f35"));
//! ```

mod connection;
mod headers;
mod method;

use std::sync::Arc;

use bytes::Bytes;
pub use http::Extensions;
use tokio::time::Instant;

pub use self::connection::ConnectionInfo;
pub use self::headers::Headers;
pub use self::method::MethodInfo;
use crate::exception::ApplicationException;
use crate::protocol::{self, Limits, MessageHeader, MessageType, Protocol, ProtocolError};

/// A Thrift call on its way through tower: a [`Message`] whose arguments are still encoded.
pub type Request = Message<Call>;

/// The answer to a [`Request`]: a reply (the result struct, or a declared exception) or a
/// `TApplicationException`, still encoded; or nothing, for a oneway call
/// ([`Response::oneway`]).
pub type Response = Message<Reply>;

/// A Thrift message as it flows through tower: a [`Request`] (`Message<Call>`) or a
/// [`Response`] (`Message<Reply>`).
///
/// The body is the encoded struct alone (arguments, result or exception), without the
/// message envelope: transports read and write the envelope from the header and the
/// protocol. See [the module docs](self) for what else a message carries.
#[derive(Debug, Clone)]
pub struct Message<K> {
    header: MessageHeader,
    protocol: Protocol,
    body: Bytes,
    headers: Headers,
    connection: Option<Arc<ConnectionInfo>>,
    extensions: Extensions,
    kind: K,
}

/// What only a request carries: the method's [`MethodInfo`] and the call's deadline.
#[derive(Debug, Clone, Default)]
pub struct Call {
    method: Option<&'static MethodInfo>,
    deadline: Option<Instant>,
    /// Set by the server's [`AlwaysReply`](crate::server::AlwaysReply): whether the caller
    /// may be told the details of an internal error.
    error_details: bool,
}

/// What only a response carries: nothing yet.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Reply {}

impl<K: Default> Message<K> {
    /// A message with `header`, whose body is encoded with `protocol`.
    pub fn new(header: MessageHeader, protocol: Protocol, body: Bytes) -> Self {
        Message {
            header,
            protocol,
            body,
            headers: Headers::new(),
            connection: None,
            extensions: Extensions::new(),
            kind: K::default(),
        }
    }
}

impl<K> Message<K> {
    /// The message header.
    pub fn header(&self) -> &MessageHeader {
        &self.header
    }

    /// The message header, to change (a channel sets the sequence id, a router strips a
    /// `Service:` prefix).
    pub fn header_mut(&mut self) -> &mut MessageHeader {
        &mut self.header
    }

    /// The method name as on the wire (`Service:method` when multiplexed).
    pub fn method(&self) -> &str {
        &self.header.name
    }

    /// The protocol the body is encoded with.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The encoded struct: a call's arguments, a reply's result, or an exception.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Replaces the body, which must be encoded with [`protocol`](Message::protocol).
    pub fn set_body(&mut self, body: Bytes) {
        self.body = body;
    }

    /// Replaces the body with one encoded with `protocol`, which becomes the message's.
    pub fn set_body_in(&mut self, protocol: Protocol, body: Bytes) {
        self.protocol = protocol;
        self.body = body;
    }

    /// Takes the body out, leaving an empty one.
    pub(crate) fn take_body(&mut self) -> Bytes {
        std::mem::take(&mut self.body)
    }

    /// Takes the message apart, keeping its body.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// The transport's headers: THeader's info headers, HTTP headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The transport's headers, to change: a transport that has headers sends them.
    pub fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }

    /// What the connection that carried the message knows of itself, if a transport said.
    pub fn connection(&self) -> Option<&ConnectionInfo> {
        self.connection.as_deref()
    }

    /// Attaches what the connection knows of itself (a transport does this; the value is
    /// shared by every message of the connection).
    pub fn set_connection(&mut self, connection: Arc<ConnectionInfo>) {
        self.connection = Some(connection);
    }

    /// What transports and layers attached, by type.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// What transports and layers attached, to change.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }
}

impl Message<Call> {
    /// What the generated client knows of the method called: its service, whether it is
    /// oneway, whether the IDL marks it idempotent. `None` for a request a generated client
    /// did not make (one read from a connection, or made by hand).
    pub fn method_info(&self) -> Option<&'static MethodInfo> {
        self.kind.method
    }

    /// Sets what is known of the method called.
    pub fn set_method_info(&mut self, method: &'static MethodInfo) {
        self.kind.method = Some(method);
    }

    /// When the caller stops waiting for the answer, if it said.
    pub fn deadline(&self) -> Option<Instant> {
        self.kind.deadline
    }

    /// Sets when the caller stops waiting (`None`: never). Layers and transports that know
    /// deadlines honour it: a [`Channel`](crate::Channel) fails the call when it passes
    /// ([`Error::is_timeout`](crate::Error::is_timeout)). Transports without headers do not
    /// send it.
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.kind.deadline = deadline;
    }

    /// Whether the call expects no reply: its message type is
    /// [`Oneway`](MessageType::Oneway).
    pub fn is_oneway(&self) -> bool {
        self.header.message_type == MessageType::Oneway
    }

    pub(crate) fn error_details(&self) -> bool {
        self.kind.error_details
    }

    pub(crate) fn set_error_details(&mut self, on: bool) {
        self.kind.error_details = on;
    }
}

impl Message<Reply> {
    /// What a oneway call yields: nothing is sent back. Its header repeats the call's,
    /// with type [`MessageType::Oneway`], and its body is empty.
    pub fn oneway(request: &MessageHeader, protocol: Protocol) -> Self {
        Message::new(
            MessageHeader::new(request.name.clone(), MessageType::Oneway, request.seqid),
            protocol,
            Bytes::new(),
        )
    }

    /// Whether this is the empty answer to a oneway call, which transports do not send.
    pub fn is_oneway(&self) -> bool {
        self.header.message_type == MessageType::Oneway
    }

    /// The `TApplicationException` this reply carries, decoded, if it is one (message type
    /// [`Exception`](MessageType::Exception)); `Ok(None)` for any other reply. For layers
    /// that act on the server's failures (a retry on `LOADSHEDDING`, a metric per kind):
    /// a generated client turns such a reply into an error only after them.
    pub fn application_exception(&self) -> Result<Option<ApplicationException>, ProtocolError> {
        if self.header.message_type != MessageType::Exception {
            return Ok(None);
        }
        let limits = self.extensions.get::<Limits>().copied().unwrap_or_default();
        protocol::decode(self.protocol, self.body.clone(), limits).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exception_reply_tells_its_exception() {
        use crate::exception::ApplicationExceptionKind;
        let shed = ApplicationException::new(ApplicationExceptionKind::Loadshedding, "busy");
        let header = MessageHeader::new("get", MessageType::Exception, 4);
        let body = protocol::encode(Protocol::Compact, &shed).unwrap();
        let reply = Response::new(header, Protocol::Compact, body);
        assert_eq!(reply.application_exception().unwrap(), Some(shed));
        let ok = Response::new(
            MessageHeader::new("get", MessageType::Reply, 4),
            Protocol::Compact,
            Bytes::from_static(b"\x00"),
        );
        assert_eq!(ok.application_exception().unwrap(), None);
        let garbage = Response::new(
            MessageHeader::new("get", MessageType::Exception, 4),
            Protocol::Compact,
            Bytes::from_static(b"\x19"),
        );
        assert!(garbage.application_exception().is_err());
    }

    #[test]
    fn a_request_carries_its_metadata_and_a_oneway_answer_is_empty() {
        const PUT: &MethodInfo = &MethodInfo::new("Store", "put").with_oneway(true);
        let mut call = Request::new(
            MessageHeader::new("put", MessageType::Oneway, 41),
            Protocol::Json,
            Bytes::from_static(b"{}"),
        );
        assert!(call.method_info().is_none() && call.deadline().is_none());
        call.set_method_info(PUT);
        call.headers_mut().insert("k", "v");
        call.set_connection(Arc::new(ConnectionInfo::new()));
        let deadline = Instant::now();
        call.set_deadline(Some(deadline));
        let copy = call.clone();
        assert_eq!(copy.method_info(), Some(PUT));
        assert_eq!(copy.deadline(), Some(deadline));
        assert_eq!(copy.headers().get("k"), Some("v"));
        assert!(copy.connection().is_some() && copy.is_oneway());
        let answer = Response::oneway(call.header(), call.protocol());
        assert!(answer.is_oneway() && answer.body().is_empty());
        assert_eq!(answer.header().seqid, 41);
        assert_eq!(call.into_body(), Bytes::from_static(b"{}"));
    }
}
