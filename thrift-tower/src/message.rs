//! [`Request`] and [`Response`]: what flows through tower. A header, a protocol and a body
//! that stays encoded until the generated server or client decodes it.

use bytes::Bytes;
pub use http::Extensions;

use crate::protocol::{MessageHeader, MessageType, Protocol};

/// A Thrift call on its way through tower: the decoded [`MessageHeader`], the protocol,
/// and the arguments still encoded.
///
/// The body is the encoded argument struct alone, without the message envelope, so layers
/// can read the method name without decoding anything, and cloning a request (to retry it)
/// costs a reference count. [`Extensions`] carry what transports and layers know about the
/// call: the peer's address, a deadline, a TLS identity...
#[derive(Debug, Clone)]
pub struct Request {
    header: MessageHeader,
    protocol: Protocol,
    body: Bytes,
    extensions: Extensions,
}

impl Request {
    /// A request with `header`, whose body is encoded with `protocol`.
    pub fn new(header: MessageHeader, protocol: Protocol, body: Bytes) -> Self {
        Request {
            header,
            protocol,
            body,
            extensions: Extensions::new(),
        }
    }

    /// The message header.
    pub fn header(&self) -> &MessageHeader {
        &self.header
    }

    /// The message header, to change (a channel sets the sequence id, a router strips a
    /// `Service:` prefix).
    pub fn header_mut(&mut self) -> &mut MessageHeader {
        &mut self.header
    }

    /// The method name.
    pub fn method(&self) -> &str {
        &self.header.name
    }

    /// The protocol the body is encoded with.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The encoded argument struct.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// What transports and layers attached to the call.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// What transports and layers attached to the call, to change.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }

    /// Splits the request into its parts.
    pub fn into_parts(self) -> (MessageHeader, Protocol, Bytes, Extensions) {
        (self.header, self.protocol, self.body, self.extensions)
    }

    /// A request from its parts.
    pub fn from_parts(
        header: MessageHeader,
        protocol: Protocol,
        body: Bytes,
        extensions: Extensions,
    ) -> Self {
        Request {
            header,
            protocol,
            body,
            extensions,
        }
    }
}

/// The answer to a [`Request`]: a reply (the result struct, or a declared exception) or a
/// `TApplicationException`, still encoded; or nothing, for a oneway call.
#[derive(Debug, Clone)]
pub struct Response {
    header: MessageHeader,
    protocol: Protocol,
    body: Bytes,
    extensions: Extensions,
}

impl Response {
    /// A response with `header`, whose body is encoded with `protocol`.
    pub fn new(header: MessageHeader, protocol: Protocol, body: Bytes) -> Self {
        Response {
            header,
            protocol,
            body,
            extensions: Extensions::new(),
        }
    }

    /// What a oneway call yields: nothing is sent back. Its header repeats the call's,
    /// with type [`MessageType::Oneway`], and its body is empty.
    pub fn oneway(request: &MessageHeader, protocol: Protocol) -> Self {
        Response::new(
            MessageHeader::new(request.name.clone(), MessageType::Oneway, request.seqid),
            protocol,
            Bytes::new(),
        )
    }

    /// Whether this is the empty answer to a oneway call, which transports do not send.
    pub fn is_oneway(&self) -> bool {
        self.header.message_type == MessageType::Oneway
    }

    /// The message header.
    pub fn header(&self) -> &MessageHeader {
        &self.header
    }

    /// The message header, to change.
    pub fn header_mut(&mut self) -> &mut MessageHeader {
        &mut self.header
    }

    /// The protocol the body is encoded with.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The encoded result struct or `TApplicationException`.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// What transports and layers attached to the reply.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// What transports and layers attached to the reply, to change.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }

    /// Splits the response into its parts.
    pub fn into_parts(self) -> (MessageHeader, Protocol, Bytes, Extensions) {
        (self.header, self.protocol, self.body, self.extensions)
    }
}
