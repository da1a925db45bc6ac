//! The client side of the channel tests: calls whose arguments are a [`Payload`], made the
//! way tower makes them.

use std::future::poll_fn;
use std::time::Duration;

use thrift_tower::protocol::{self, Limits, Protocol};
use thrift_tower::{Channel, Error, MessageHeader, MessageType, Request, Response};
use tower_service::Service;

use crate::test_server::Payload;

pub(crate) fn request(
    method: &'static str,
    seqid: i32,
    protocol: Protocol,
    payload: Payload,
) -> Request {
    let header = MessageHeader::new(method, MessageType::Call, seqid);
    Request::new(
        header,
        protocol,
        protocol::encode(protocol, &payload).unwrap(),
    )
}

pub(crate) fn oneway(seqid: i32, protocol: Protocol, payload: Payload) -> Request {
    let mut request = request("note", seqid, protocol, payload);
    request.header_mut().message_type = MessageType::Oneway;
    request
}

/// Ready, then call: what tower's `ServiceExt::oneshot` does.
pub(crate) async fn call(channel: &mut Channel, request: Request) -> Result<Response, Error> {
    let response = async {
        poll_fn(|cx| channel.poll_ready(cx)).await?;
        channel.call(request).await
    };
    tokio::time::timeout(Duration::from_secs(20), response)
        .await
        .expect("the call neither completed nor failed")
}

pub(crate) fn payload_of(response: &Response) -> Payload {
    protocol::decode(
        response.protocol(),
        response.body().clone(),
        Limits::default(),
    )
    .unwrap()
}
