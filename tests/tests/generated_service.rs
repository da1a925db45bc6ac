//! The generated ThriftTest server and client, talking in-process: the client is generic
//! over any `tower::Service`, so it calls the server directly, and through tower layers.
//! Every method in every protocol, declared exceptions, and the failures that must become
//! `TApplicationException` replies: an unknown method, arguments that do not decode, an
//! undeclared error and a panic.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use tests::thrift_test::*;
use tests::thrift_test_handler::{ThriftTestHandler, insanity_answer, map_map};
use thrift_tower::protocol::{self, Limits, Protocol};
use thrift_tower::server::AlwaysReply;
use thrift_tower::{
    ApplicationException, ApplicationExceptionKind, MessageHeader, MessageType, Request, Response,
};
use tower::{Service, ServiceExt};

const PROTOCOLS: [Protocol; 3] = [Protocol::Binary, Protocol::Compact, Protocol::Json];

fn xtruct(s: &str) -> Xtruct {
    Xtruct {
        string_thing: s.into(),
        byte_thing: -1,
        i32_thing: i32::MIN,
        i64_thing: i64::MAX,
    }
}

#[tokio::test]
async fn every_method_through_the_generated_client_and_server() {
    for p in PROTOCOLS {
        let client =
            ThriftTestClient::new(ThriftTestServer::new(ThriftTestHandler)).with_protocol(p);
        client.test_void().await.unwrap();
        assert_eq!(
            client
                .test_string("Ünïcode \u{1F600}".into())
                .await
                .unwrap(),
            "Ünïcode \u{1F600}"
        );
        assert!(client.test_bool(true).await.unwrap());
        assert!(!client.test_bool(false).await.unwrap());
        assert_eq!(client.test_byte(-128).await.unwrap(), -128);
        assert_eq!(client.test_i32(i32::MIN).await.unwrap(), i32::MIN);
        assert_eq!(client.test_i64(i64::MAX).await.unwrap(), i64::MAX);
        assert_eq!(client.test_double(-5.25).await.unwrap(), -5.25);
        let all_bytes = Bytes::from((0..=255u8).collect::<Vec<_>>());
        assert_eq!(
            client.test_binary(all_bytes.clone()).await.unwrap(),
            all_bytes
        );
        assert_eq!(client.test_struct(xtruct("s")).await.unwrap(), xtruct("s"));
        let nest = Xtruct2 {
            byte_thing: 1,
            struct_thing: xtruct("n"),
            i32_thing: 3,
        };
        assert_eq!(client.test_nest(nest.clone()).await.unwrap(), nest);
        let map = BTreeMap::from([(1, -1), (2, -2)]);
        assert_eq!(client.test_map(map.clone()).await.unwrap(), map);
        let smap = BTreeMap::from([("a".to_string(), "b".to_string())]);
        assert_eq!(client.test_string_map(smap.clone()).await.unwrap(), smap);
        let set = BTreeSet::from([-1, 0, 1]);
        assert_eq!(client.test_set(set.clone()).await.unwrap(), set);
        assert_eq!(
            client.test_list(vec![3, 2, 1]).await.unwrap(),
            vec![3, 2, 1]
        );
        assert_eq!(
            client.test_enum(Numberz::FIVE).await.unwrap(),
            Numberz::FIVE
        );
        assert_eq!(
            client.test_enum(Numberz(7)).await.unwrap(),
            Numberz(7),
            "unknown values survive"
        );
        assert_eq!(client.test_typedef(-9).await.unwrap(), -9);
        assert_eq!(client.test_map_map(1).await.unwrap(), map_map());
        let insanity = Insanity {
            user_map: BTreeMap::from([(Numberz::FIVE, 5)]),
            xtructs: vec![xtruct("i")],
        };
        assert_eq!(
            client.test_insanity(insanity.clone()).await.unwrap(),
            insanity_answer(insanity)
        );
        let multi = client
            .test_multi(
                1,
                2,
                3,
                BTreeMap::from([(1, "x".to_string())]),
                Numberz::TWO,
                4,
            )
            .await
            .unwrap();
        assert_eq!(
            multi,
            Xtruct {
                string_thing: "Hello2".into(),
                byte_thing: 1,
                i32_thing: 2,
                i64_thing: 3
            }
        );
        client.test_oneway(0).await.unwrap();
    }
}

#[tokio::test]
async fn declared_exceptions_arrive_typed_and_others_as_application_exceptions() {
    for p in PROTOCOLS {
        let client =
            ThriftTestClient::new(ThriftTestServer::new(ThriftTestHandler)).with_protocol(p);
        client.test_exception("ok".into()).await.unwrap();
        match client.test_exception("Xception".into()).await {
            Err(TestExceptionError::Err1(e)) => {
                assert_eq!(
                    e,
                    Xception {
                        error_code: 1001,
                        message: "Xception".into()
                    }
                )
            }
            other => panic!("{p}: {other:?}"),
        }
        // A declared exception is not an undeclared failure.
        let declared = client.test_exception("Xception".into()).await.unwrap_err();
        assert!(declared.other().is_none(), "{declared}");
        match client.test_exception("TException".into()).await {
            Err(TestExceptionError::Other(e)) => {
                let app = e.application_exception().expect("a TApplicationException");
                assert_eq!(app.kind(), ApplicationExceptionKind::InternalError);
                assert_eq!(app.message(), "This is a TException");
            }
            other => panic!("{p}: {other:?}"),
        }
        // The undeclared one, without naming the variant.
        let undeclared = client
            .test_exception("TException".into())
            .await
            .unwrap_err();
        assert!(
            undeclared
                .other()
                .and_then(|e| e.application_exception())
                .is_some(),
            "{undeclared}"
        );
        match client
            .test_multi_exception("Xception2".into(), "x".into())
            .await
        {
            Err(TestMultiExceptionError::Err2(e)) => {
                assert_eq!(
                    (e.error_code, e.struct_thing.string_thing.as_str()),
                    (2002, "This is an Xception2")
                )
            }
            other => panic!("{p}: {other:?}"),
        }
        match client
            .test_multi_exception("Xception".into(), "x".into())
            .await
        {
            Err(TestMultiExceptionError::Err1(e)) => assert_eq!(e.error_code, 1001),
            other => panic!("{p}: {other:?}"),
        }
        let ok = client
            .test_multi_exception("no".into(), "fine".into())
            .await
            .unwrap();
        assert_eq!(ok.string_thing, "fine");
    }
}

/// Sends a raw request to a service and decodes the `TApplicationException` it answers.
async fn application_error<S>(service: S, request: Request) -> ApplicationException
where
    S: Service<Request, Response = Response>,
    S::Error: std::fmt::Debug,
{
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.header().message_type, MessageType::Exception);
    protocol::decode(
        response.protocol(),
        response.body().clone(),
        Limits::default(),
    )
    .unwrap()
}

#[tokio::test]
async fn failures_become_application_exception_replies() {
    for p in PROTOCOLS {
        let server = ThriftTestServer::new(ThriftTestHandler);
        let header = MessageHeader::new("noSuchMethod", MessageType::Call, 7);
        let args = protocol::encode(p, &thrift_test_messages::TestVoidArgs {}).unwrap();
        let e = application_error(server.clone(), Request::new(header, p, args)).await;
        assert_eq!(e.kind(), ApplicationExceptionKind::UnknownMethod);
        assert!(e.message().contains("noSuchMethod"), "{e}");

        // Arguments that are not a struct of this protocol.
        let header = MessageHeader::new("testI32", MessageType::Call, 8);
        let garbage = Bytes::from_static(b"\x0f\x7f\xff\xff\xff");
        let e = application_error(server.clone(), Request::new(header, p, garbage)).await;
        assert_eq!(e.kind(), ApplicationExceptionKind::ProtocolError);
        assert!(e.message().contains("testI32"), "{e}");

        // A handler that panics: the reply says no more than Apache's servers say, the
        // server keeps serving, and a server that sends details says what happened.
        let second = SecondServiceServer::new(ThriftTestHandler);
        let header = MessageHeader::new("secondtestString", MessageType::Call, 9);
        let args = protocol::encode(
            p,
            &second_service_messages::SecondtestStringArgs {
                thing: "panic".into(),
            },
        )
        .unwrap();
        let panics = Request::new(header, p, args);
        let e = application_error(second.clone(), panics.clone()).await;
        assert_eq!(
            (e.kind(), e.message()),
            (ApplicationExceptionKind::InternalError, "Internal error")
        );
        let detailed = AlwaysReply::new(second.clone()).error_details(true);
        let e = application_error(detailed, panics).await;
        assert_eq!(
            (e.kind(), e.message()),
            (
                ApplicationExceptionKind::InternalError,
                "`secondtestString` panicked: asked to panic"
            )
        );
        let client = SecondServiceClient::new(second).with_protocol(p);
        assert_eq!(
            client.secondtest_string("x".into()).await.unwrap(),
            "testString(\"x\")"
        );
    }
}

#[tokio::test]
async fn replies_carry_the_call_s_name_and_seqid_and_oneway_gets_none() {
    let server = ThriftTestServer::new(ThriftTestHandler);
    let p = Protocol::Compact;
    let args = protocol::encode(p, &thrift_test_messages::TestI32Args { thing: 5 }).unwrap();
    let header = MessageHeader::new("testI32", MessageType::Call, 1234);
    let response = server
        .clone()
        .oneshot(Request::new(header, p, args))
        .await
        .unwrap();
    assert_eq!(
        response.header(),
        &MessageHeader::new("testI32", MessageType::Reply, 1234)
    );
    let result: thrift_test_messages::TestI32Result =
        protocol::decode(p, response.body().clone(), Limits::default()).unwrap();
    assert_eq!(result, thrift_test_messages::TestI32Result::Success(5));

    let args = protocol::encode(
        p,
        &thrift_test_messages::TestOnewayArgs {
            seconds_to_sleep: 0,
        },
    )
    .unwrap();
    let header = MessageHeader::new("testOneway", MessageType::Oneway, 5);
    let response = server.oneshot(Request::new(header, p, args)).await.unwrap();
    assert!(response.is_oneway());
    assert!(response.body().is_empty());
}

#[tokio::test]
async fn the_client_works_through_tower_layers() {
    // A timeout layer in front of the server: its error reaches the caller as `Other`.
    let slow = tower::service_fn(|req: Request| async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok::<_, std::convert::Infallible>(Response::oneway(req.header(), req.protocol()))
    });
    let stack = tower::ServiceBuilder::new()
        .timeout(Duration::from_millis(20))
        .service(slow);
    let client = ThriftTestClient::new(stack);
    match client.test_i32(1).await {
        Err(TestI32Error::Other(e)) => {
            assert!(e.is_service(), "{e:?}");
            assert!(e.to_string().contains("timed out"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let stack = tower::ServiceBuilder::new()
        .timeout(Duration::from_secs(5))
        .service(ThriftTestServer::new(ThriftTestHandler));
    let client = ThriftTestClient::new(stack);
    assert_eq!(client.test_i64(-1).await.unwrap(), -1);
}

#[test]
fn a_union_with_two_fields_set_is_refused_and_one_with_one_is_read() {
    // SomeUnion in binary: field 2 (string "a"), then field 3 (i32 5), then stop.
    let one = b"\x0b\x00\x02\x00\x00\x00\x01a\x00";
    let two = b"\x0b\x00\x02\x00\x00\x00\x01a\x08\x00\x03\x00\x00\x00\x05\x00";
    let limits = Limits::default();
    let read = protocol::decode::<SomeUnion>(Protocol::Binary, Bytes::from_static(one), limits);
    assert!(
        matches!(&read, Ok(SomeUnion::StringThing(s)) if s == "a"),
        "{read:?}"
    );
    let error = protocol::decode::<SomeUnion>(Protocol::Binary, Bytes::from_static(two), limits)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid data: union `SomeUnion` has more than one field set"
    );
}
