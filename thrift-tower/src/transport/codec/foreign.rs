//! What a peer speaks when its first bytes are not Thrift: a TLS client on a plain port, an
//! HTTP client on a socket port, a zlib stream. Said in the error instead of a misleading
//! one ("frame of 369295618 bytes exceeds the limit": the length a TLS handshake's first
//! four bytes make). A peer that speaks Thrift in THeader frames to a codec set to another
//! framing is told that, too: THeader is Thrift, not foreign.
//!
//! Asked only when the first message of a connection fails to decode, so it never changes
//! what valid input does.

use crate::error::Error;
use crate::protocol::ProtocolError;

/// How many of a connection's first bytes tell what it speaks.
pub(super) const LOOKS_AT: usize = 16;

/// `error`, the failure to decode a connection's first message from `first` (its first
/// bytes, up to [`LOOKS_AT`]), with what the peer seems to speak when that is recognised.
pub(super) fn explain(error: Error, first: &[u8]) -> Error {
    let Some(cause) = error.protocol_error() else {
        return error;
    };
    let explained = if let Some(framing) = theader(first) {
        format!(
            "the peer frames its messages with {framing}, which this endpoint is not set to \
             read ({cause})"
        )
    } else if let Some(what) = recognise(first) {
        format!("the peer speaks {what}, not Thrift on this connection ({cause})")
    } else {
        return error;
    };
    ProtocolError::new(cause.kind(), explained).into()
}

/// The THeader framing that bytes at the start of a connection are in, if they are.
fn theader(first: &[u8]) -> Option<&'static str> {
    match first {
        // A frame length, then the magic 0x0FFF.
        [_, _, _, _, 0x0f, 0xff, ..] => {
            Some("THeader (`Framing::Header`, or `Framing::Auto` on a server)")
        }
        // THeader frames inside framed ones: two lengths, then the magic.
        [_, _, _, _, _, _, _, _, 0x0f, 0xff, ..] => Some(
            "THeader inside framed frames (`Framing::FramedHeader`, or `Framing::Auto` on a \
             server)",
        ),
        _ => None,
    }
}

/// What the bytes at the start of a connection are, if they are something known.
fn recognise(first: &[u8]) -> Option<&'static str> {
    const HTTP_METHODS: [&[u8]; 9] = [
        b"GET ",
        b"POST ",
        b"PUT ",
        b"HEAD ",
        b"DELETE ",
        b"OPTIONS ",
        b"PATCH ",
        b"CONNECT ",
        b"TRACE ",
    ];
    match first {
        // A TLS record of type handshake (22), protocol version 3.x (SSL 3.0 to TLS 1.3).
        [0x16, 0x03, 0x00..=0x04, ..] => {
            Some("TLS (its first bytes are a TLS handshake: is it a TSSLSocket?)")
        }
        // A TLS alert record (21): what a TLS server answers a plain client with.
        [0x15, 0x03, 0x00..=0x04, ..] => {
            Some("TLS (its first bytes are a TLS alert: it expects a TLS handshake)")
        }
        // HTTP/2's connection preface.
        [b'P', b'R', b'I', b' ', b'*', ..] => Some("HTTP/2 (its first bytes are HTTP/2's preface)"),
        [b'H', b'T', b'T', b'P', b'/', ..] => {
            Some("HTTP (its first bytes are an HTTP response: is it a THttpServer?)")
        }
        _ if HTTP_METHODS.iter().any(|m| first.starts_with(m)) => {
            Some("HTTP (its first bytes are an HTTP request: is it a THttpClient?)")
        }
        // A zlib header (RFC 1950): deflate with a 32 KiB window, and a check that makes the
        // first two bytes a multiple of 31.
        [0x78, flags, ..] if (0x7800 | u16::from(*flags)) % 31 == 0 => {
            Some("zlib (its first bytes are a zlib header: is it a TZlibTransport?)")
        }
        [b'S', b'S', b'H', b'-', ..] => Some("SSH"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ProtocolErrorKind;

    fn failed() -> Error {
        ProtocolError::new(ProtocolErrorKind::InvalidData, "what the codec said").into()
    }

    #[test]
    fn known_first_bytes_are_named() {
        let cases: [(&[u8], &str); 7] = [
            (
                b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
                "TLS (its first bytes are a TLS handshake: is it a TSSLSocket?)",
            ),
            (
                b"POST /thrift HTTP/1.1\r\n",
                "HTTP (its first bytes are an HTTP request: is it a THttpClient?)",
            ),
            (
                b"GET / HTTP/1.1\r\n",
                "HTTP (its first bytes are an HTTP request: is it a THttpClient?)",
            ),
            (
                b"HTTP/1.1 400 Bad Request\r\n",
                "HTTP (its first bytes are an HTTP response: is it a THttpServer?)",
            ),
            (
                b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                "HTTP/2 (its first bytes are HTTP/2's preface)",
            ),
            (
                b"\x78\x9c\x63\x60",
                "zlib (its first bytes are a zlib header: is it a TZlibTransport?)",
            ),
            (b"SSH-2.0-OpenSSH_9.2\r\n", "SSH"),
        ];
        for (bytes, what) in cases {
            let explained = explain(failed(), bytes);
            assert_eq!(
                explained.to_string(),
                format!(
                    "thrift protocol error: invalid data: the peer speaks {what}, not Thrift on \
                     this connection (invalid data: what the codec said)"
                ),
                "{bytes:?}"
            );
            assert_eq!(
                explained.protocol_error().map(ProtocolError::kind),
                Some(ProtocolErrorKind::InvalidData)
            );
        }
    }

    #[test]
    fn theader_is_named_as_a_framing_not_as_foreign() {
        for (bytes, framing) in [
            (
                &b"\x00\x00\x00\x20\x0f\xff\x00\x00"[..],
                "THeader (`Framing::Header`, or `Framing::Auto` on a server)",
            ),
            (
                b"\x00\x00\x00\x24\x00\x00\x00\x20\x0f\xff",
                "THeader inside framed frames (`Framing::FramedHeader`, or `Framing::Auto` on \
                 a server)",
            ),
        ] {
            let explained = explain(failed(), bytes).to_string();
            assert_eq!(
                explained,
                format!(
                    "thrift protocol error: invalid data: the peer frames its messages with \
                     {framing}, which this endpoint is not set to read (invalid data: what the \
                     codec said)"
                )
            );
            assert!(!explained.contains("not Thrift"), "{explained}");
        }
    }

    #[test]
    fn other_bytes_keep_the_codec_s_error() {
        for bytes in [
            &b"\x80\x01\x00\x01"[..],
            b"\x00\x00\x00\x10\x82",
            b"\x78\x00",
            b"",
            b"P",
        ] {
            assert_eq!(
                explain(failed(), bytes).to_string(),
                failed().to_string(),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn a_tls_alert_is_named() {
        // A fatal handshake_failure alert, as a TLS server sends a plain client.
        let error = explain(failed(), b"\x15\x03\x03\x00\x02\x02\x28");
        assert!(
            error
                .to_string()
                .contains("the peer speaks TLS (its first bytes are a TLS alert"),
            "{error}"
        );
    }
}
