//! Which service a call reaches (multiplexed names, routers cloned), and which message
//! types get a reply (oneway calls get none).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::BytesMut;
use thrift_tower::protocol::{self, Limits, Protocol};
use thrift_tower::transport::{Framing, MessageCodec};
use thrift_tower::{
    ApplicationExceptionKind, MessageHeader, MessageType, Request, Response, Server,
};
use tokio_util::codec::Encoder;
use tower_service::Service;

use crate::client::{assert_reply, exception};
use crate::common::peer::eventually;
use crate::serve::serve;
use crate::service::{Args, Probe, TestService, service_a};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multiplexed_names_reach_their_service() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .add_service(service_a(&probe))
            .add_service(TestService::<'B'> {
                probe: Arc::clone(&probe),
            }),
    )
    .await;
    let mut client = server.connect().await;

    assert_reply(&client.call("A:echo", 1).await, "echo", 1);
    assert_reply(&client.call("B:echo", 2).await, "echo", 2);
    assert_reply(&client.call("echo", 3).await, "echo", 3);
    let error = exception(&client.call("C:echo", 4).await, "C:echo", 4);
    assert_eq!(error.kind(), ApplicationExceptionKind::UnknownMethod);

    let call = MessageType::Call;
    assert_eq!(
        probe.seen(),
        [
            ("A", "echo".to_string(), call),
            ("B", "echo".to_string(), call),
            ("A", "echo".to_string(), call),
        ]
    );
}

#[tokio::test]
async fn a_router_cloned_before_adding_a_service_keeps_its_own() {
    use tower::ServiceExt;

    let probe = Probe::new();
    let one = Server::builder().add_service(service_a(&probe));
    let two = one.clone().add_service(TestService::<'B'> {
        probe: Arc::clone(&probe),
    });
    async fn answer<S>(service: S, name: &'static str) -> MessageType
    where
        S: Service<Request, Response = Response, Error = Infallible>,
    {
        let body = protocol::encode(Protocol::Compact, &Args { id: 1 }).unwrap();
        let call = Request::new(
            MessageHeader::new(name.to_string(), MessageType::Call, 1),
            Protocol::Compact,
            body,
        );
        let response = service.oneshot(call).await.unwrap();
        response.header().message_type
    }
    assert_eq!(
        answer(one.clone().into_service(), "B:echo").await,
        MessageType::Exception
    );
    assert_eq!(
        answer(two.clone().into_service(), "B:echo").await,
        MessageType::Reply
    );
    assert_eq!(
        answer(one.into_service(), "A:echo").await,
        MessageType::Reply
    );
    assert_eq!(
        answer(two.into_service(), "A:echo").await,
        MessageType::Reply
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oneway_calls_get_no_reply() {
    let probe = Probe::new();
    let server = serve(Server::builder().add_service(service_a(&probe))).await;
    let mut client = server.connect().await;

    // `echo` answers anyway (the server must drop that); `note` answers as it should.
    client.send("echo", MessageType::Oneway, 1).await;
    client.send("note", MessageType::Oneway, 2).await;
    eventually("both oneway calls ran", || {
        probe.finished.load(Ordering::SeqCst) == 2
    })
    .await;
    let reply = client.call("echo", 3).await;
    assert_reply(&reply, "echo", 3);
    // Nothing came before the reply, and nothing after it.
    let mut alone = BytesMut::new();
    MessageCodec::<Response>::new(Framing::Framed, Some(Protocol::Compact), Limits::default())
        .encode(reply, &mut alone)
        .unwrap();
    assert_eq!(client.raw, alone);
    client.quiet_for(Duration::from_millis(100)).await;
    // The two oneway calls ran concurrently, in either order.
    let mut oneway: Vec<_> = probe.seen()[..2]
        .iter()
        .map(|(_, m, t)| (m.clone(), *t))
        .collect();
    oneway.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        oneway,
        [
            ("echo".to_string(), MessageType::Oneway),
            ("note".to_string(), MessageType::Oneway),
        ]
    );
}
