//! Content types: `application/x-thrift`, which Apache's HTTP transports send and expect, and
//! `application/vnd.apache.thrift.{binary,compact,json}`, which name the protocol (Apache's
//! JavaScript client sends and accepts the JSON one).

use http::HeaderValue;
use http::header::{ACCEPT, CONTENT_TYPE};
use thrift_tower::protocol::Protocol;

/// What Apache's HTTP transports send and expect.
pub(crate) const X_THRIFT: &str = "application/x-thrift";

/// The protocol a content type names, if it is one of the `vnd.apache.thrift` types.
pub(crate) fn named_protocol(value: &HeaderValue) -> Option<Protocol> {
    let media = value.to_str().ok()?.split(';').next()?.trim();
    let (kind, sub) = media.split_once('/')?;
    if !kind.eq_ignore_ascii_case("application") {
        return None;
    }
    let sub = sub.to_ascii_lowercase();
    match sub.strip_prefix("vnd.apache.thrift.")? {
        "binary" => Some(Protocol::Binary),
        "compact" => Some(Protocol::Compact),
        "json" => Some(Protocol::Json),
        _ => None,
    }
}

/// Whether a content type is one a Thrift peer sends: `application/x-thrift` or one of the
/// `vnd.apache.thrift` types.
pub(crate) fn is_thrift(value: &HeaderValue) -> bool {
    let Some(media) = value.to_str().ok().and_then(|v| v.split(';').next()) else {
        return false;
    };
    media.trim().eq_ignore_ascii_case(X_THRIFT) || named_protocol(value).is_some()
}

/// The content type of a reply in `protocol` to a request whose headers are `asked`: the
/// `vnd.apache.thrift` type when the request's `Accept` or `Content-Type` used those,
/// `application/x-thrift` otherwise. Made from constants only: nothing of the request is
/// copied into the reply.
pub(crate) fn reply_content_type(asked: &http::HeaderMap, protocol: Protocol) -> HeaderValue {
    let named = [ACCEPT, CONTENT_TYPE]
        .iter()
        .flat_map(|name| asked.get_all(name))
        .any(|value| named_protocol(value).is_some());
    HeaderValue::from_static(match (named, protocol) {
        (true, Protocol::Binary) => "application/vnd.apache.thrift.binary",
        (true, Protocol::Compact) => "application/vnd.apache.thrift.compact",
        (true, Protocol::Json) => "application/vnd.apache.thrift.json; charset=utf-8",
        _ => X_THRIFT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_name_protocols() {
        let v = |s: &'static str| HeaderValue::from_static(s);
        assert_eq!(
            named_protocol(&v("application/vnd.apache.thrift.json; charset=utf-8")),
            Some(Protocol::Json)
        );
        assert_eq!(
            named_protocol(&v("Application/VND.apache.thrift.Compact")),
            Some(Protocol::Compact)
        );
        assert_eq!(named_protocol(&v("application/x-thrift")), None);
        assert!(is_thrift(&v("application/x-thrift")));
        assert!(is_thrift(&v("application/vnd.apache.thrift.binary")));
        assert!(!is_thrift(&v("text/html; charset=utf-8")));

        let mut asked = http::HeaderMap::new();
        assert_eq!(reply_content_type(&asked, Protocol::Json), X_THRIFT);
        asked.insert(
            ACCEPT,
            v("application/vnd.apache.thrift.json; charset=utf-8"),
        );
        assert_eq!(
            reply_content_type(&asked, Protocol::Json),
            "application/vnd.apache.thrift.json; charset=utf-8"
        );
    }
}
