//! TLS between our client and our server over real sockets, with the test keys of
//! `tests/keys/` (made by `tests/keys/make-keys.sh`): the client's certificate identity
//! reaches the handler; a client without the certificate a server requires, a server
//! whose certificate is for another name or from an untrusted CA, are refused; plain and
//! TLS clients share a port when the server allows it; a client that stalls its handshake
//! holds up no other; HTTPS agrees HTTP/2 by ALPN. Interoperability with Apache's
//! libraries is in the cross tests (`over_tls`).

use std::path::PathBuf;
use std::time::Duration;

use examples::hello::{HelloService, HelloServiceClient, HelloServiceServer, SayError};
use thrift_tower::transport::TcpIncoming;
use thrift_tower::transport::tls::{
    Certificates, ClientTlsConfig, Identity, PeerIdentity, ServerTlsConfig, SubjectAltName,
    TlsIncoming, TlsInfo,
};
use thrift_tower::{Endpoint, Server};
use tokio::io::AsyncReadExt;

fn key(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("keys")
        .join(name)
}

fn server_identity() -> Identity {
    Identity::from_pem_files(key("server.pem"), key("server.key")).unwrap()
}

fn client_identity() -> Identity {
    Identity::from_pem_files(key("client.pem"), key("client.key")).unwrap()
}

fn ca() -> Certificates {
    Certificates::from_pem_file(key("ca.pem")).unwrap()
}

/// Answers with what it knows of the caller's certificate.
struct WhoAmI;

impl HelloService for WhoAmI {
    async fn say(&self, msg: String) -> Result<String, SayError> {
        let identity = thrift_tower::server::with_request(|request| {
            request
                .connection()
                .and_then(|c| c.extensions().get::<PeerIdentity>())
                .cloned()
        })
        .flatten();
        let tls = thrift_tower::server::with_request(|request| {
            request
                .connection()
                .and_then(|c| c.extensions().get::<TlsInfo>())
                .cloned()
        })
        .flatten();
        if msg == "alpn?" {
            return Ok(match tls {
                None => "plain".into(),
                Some(tls) => format!(
                    "{} {}",
                    tls.version(),
                    String::from_utf8_lossy(tls.alpn_protocol().unwrap_or(b"none"))
                ),
            });
        }
        Ok(match identity {
            None => format!("{msg} from nobody"),
            Some(id) => format!(
                "{msg} from {} ({}) {:?}",
                id.common_name().unwrap_or("?"),
                id.subject(),
                id.alt_names()
            ),
        })
    }
}

/// Serves [`WhoAmI`] with `config` on a free port of 127.0.0.1.
async fn serve(config: ServerTlsConfig) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let incoming = TlsIncoming::new(TcpIncoming::from_listener(listener), config).unwrap();
    tokio::spawn(
        Server::builder()
            .add_service(HelloServiceServer::new(WhoAmI))
            .serve_with_incoming(incoming, std::future::pending()),
    );
    port
}

fn client(port: u16, config: Option<ClientTlsConfig>) -> HelloServiceClient<thrift_tower::Channel> {
    let mut endpoint = Endpoint::new(format!("localhost:{port}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5));
    if let Some(config) = config {
        endpoint = endpoint.tls(config).unwrap();
    }
    HelloServiceClient::new(endpoint.connect_lazy())
}

/// The transport's error under a failed call (`say` declares no exception).
fn failure(error: &SayError) -> &thrift_tower::Error {
    error.other().unwrap_or_else(|| panic!("{error}"))
}

fn mutual() -> ServerTlsConfig {
    ServerTlsConfig::new()
        .identity(server_identity())
        .client_ca_root(ca())
}

#[tokio::test]
async fn tls_client_certificate_identity_reaches_the_handler() {
    let port = serve(mutual()).await;
    let tls = ClientTlsConfig::new()
        .ca_certificate(ca())
        .identity(client_identity());
    let reply = client(port, Some(tls)).say("hi".into()).await.unwrap();
    assert!(
        reply.starts_with(
            "hi from thrift-tower-test-client (O=thrift-tower tests, CN=thrift-tower-test-client)"
        ),
        "{reply}"
    );
    let names = format!(
        "{:?}",
        [
            SubjectAltName::Dns("client.thrift-tower.test".into()),
            SubjectAltName::Email("client@thrift-tower.test".into()),
            SubjectAltName::Uri("spiffe://thrift-tower.test/client".into()),
            SubjectAltName::Dns("localhost".into()),
            SubjectAltName::Ip([127, 0, 0, 1].into()),
            SubjectAltName::Ip(std::net::Ipv6Addr::LOCALHOST.into()),
        ]
    );
    assert!(reply.ends_with(&names), "{reply}");
}

#[tokio::test]
async fn tls_server_refuses_a_client_without_the_required_certificate() {
    let port = serve(mutual()).await;
    let error = client(port, Some(ClientTlsConfig::new().ca_certificate(ca())))
        .say("hi".into())
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.to_lowercase().contains("certificate"), "{text}");
    // And a client with one is served by the same server afterwards.
    let tls = ClientTlsConfig::new()
        .ca_certificate(ca())
        .identity(client_identity());
    client(port, Some(tls)).say("hi".into()).await.unwrap();
}

#[tokio::test]
async fn tls_optional_client_certificate_serves_both_and_tells_them_apart() {
    let port = serve(mutual().client_auth_optional(true)).await;
    let anonymous = client(port, Some(ClientTlsConfig::new().ca_certificate(ca())));
    assert_eq!(anonymous.say("a".into()).await.unwrap(), "a from nobody");
    let known = client(
        port,
        Some(
            ClientTlsConfig::new()
                .ca_certificate(ca())
                .identity(client_identity()),
        ),
    );
    let reply = known.say("b".into()).await.unwrap();
    assert!(
        reply.starts_with("b from thrift-tower-test-client"),
        "{reply}"
    );
}

#[tokio::test]
async fn tls_client_refuses_a_server_certificate_for_another_name() {
    let port = serve(ServerTlsConfig::new().identity(server_identity())).await;
    let tls = ClientTlsConfig::new()
        .ca_certificate(ca())
        .domain_name("billing.example.com");
    let error = client(port, Some(tls)).say("hi".into()).await.unwrap_err();
    let error = failure(&error);
    assert!(error.is_connect() && error.is_unsent(), "{error}");
    assert!(error.to_string().contains("not valid for name"), "{error}");
}

#[tokio::test]
async fn tls_client_refuses_a_server_certificate_from_an_untrusted_ca() {
    let untrusted =
        Identity::from_pem_files(key("untrusted-server.pem"), key("untrusted-server.key")).unwrap();
    let port = serve(ServerTlsConfig::new().identity(untrusted)).await;
    let error = client(port, Some(ClientTlsConfig::new().ca_certificate(ca())))
        .say("hi".into())
        .await
        .unwrap_err();
    let error = failure(&error);
    assert!(error.is_connect(), "{error}");
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");
}

#[tokio::test]
async fn tls_and_plain_clients_share_a_port_when_the_server_allows_it() {
    let port = serve(mutual().client_auth_optional(true).allow_plain(true)).await;
    let plain = client(port, None);
    let tls = client(
        port,
        Some(
            ClientTlsConfig::new()
                .ca_certificate(ca())
                .identity(client_identity()),
        ),
    );
    for round in 0..3 {
        assert_eq!(
            plain.say(format!("{round}")).await.unwrap(),
            format!("{round} from nobody")
        );
        let reply = tls.say(format!("{round}")).await.unwrap();
        assert!(
            reply.starts_with(&format!("{round} from thrift-tower-test-client")),
            "{reply}"
        );
    }
    // Without allow_plain, a plain client gets nowhere.
    let strict = serve(mutual()).await;
    let error = client(strict, None).say("x".into()).await.unwrap_err();
    let error = failure(&error);
    assert!(error.to_string().contains("the peer speaks TLS"), "{error}");
}

#[tokio::test]
async fn tls_handshake_that_stalls_holds_up_no_other_and_is_closed_at_its_timeout() {
    let port = serve(
        ServerTlsConfig::new()
            .identity(server_identity())
            .handshake_timeout(Duration::from_millis(300)),
    )
    .await;
    // Connected, and silent.
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let tls = client(port, Some(ClientTlsConfig::new().ca_certificate(ca())));
    for i in 0..5 {
        assert_eq!(
            tls.say(format!("{i}")).await.unwrap(),
            format!("{i} from nobody")
        );
    }
    // The server gives up on it: end of stream, within a bound far above the timeout.
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(10), stalled.read(&mut byte))
        .await
        .expect("the stalled connection was not closed");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
}

#[tokio::test]
async fn tls_https_agrees_http2_by_alpn_and_the_handler_sees_it() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = ServerTlsConfig::new()
        .identity(server_identity())
        .alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
    let incoming = TlsIncoming::new(TcpIncoming::from_listener(listener), config).unwrap();
    let service = thrift_http::service(
        Server::builder()
            .add_service(HelloServiceServer::new(WhoAmI))
            .into_service(),
    );
    tokio::spawn(thrift_http::HttpServer::new().serve_with_incoming(
        incoming,
        service,
        std::future::pending(),
    ));
    let https = thrift_http::HttpClient::builder(&format!("https://localhost:{port}/"))
        .timeout(Duration::from_secs(5))
        .build_tls(ClientTlsConfig::new().ca_certificate(ca()))
        .unwrap();
    let client = HelloServiceClient::new(https);
    assert_eq!(client.say("alpn?".into()).await.unwrap(), "TLSv1_3 h2");
    // A plain http:// URL is refused for a TLS client, before anything is sent.
    let error = thrift_http::HttpClient::builder(&format!("http://localhost:{port}/"))
        .build_tls(ClientTlsConfig::new().ca_certificate(ca()))
        .unwrap_err();
    assert!(error.is_config(), "{error}");
}
