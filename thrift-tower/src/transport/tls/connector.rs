//! [`TlsConnector`]: a client's connector whose connections are TLS.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tower_service::Service;

use super::config::ClientTlsConfig;
use super::stream::TlsStream;
use crate::error::{BoxError, Error};
use crate::transport::Address;

/// Wraps a connector (a [`TcpConnector`](crate::transport::TcpConnector), say): each
/// connection it makes goes through a TLS handshake that checks the server's certificate
/// for the address's host, or for [`ClientTlsConfig::domain_name`]. A failed handshake is
/// a failed connect: the call was not sent.
///
/// [`Endpoint::tls`](crate::Endpoint::tls) puts one around the endpoint's TCP connector.
#[derive(Clone)]
pub struct TlsConnector<C> {
    inner: C,
    tls: tokio_rustls::TlsConnector,
    domain: Option<ServerName<'static>>,
}

impl<C> TlsConnector<C> {
    /// TLS by `config` over the connections `inner` makes.
    pub fn new(inner: C, config: ClientTlsConfig) -> Result<Self, Error> {
        let domain = match &config.domain {
            None => None,
            Some(name) => Some(server_name(name).map_err(|e| Error::config(e.to_string()))?),
        };
        Ok(TlsConnector {
            inner,
            tls: tokio_rustls::TlsConnector::from(config.to_rustls()?),
            domain,
        })
    }
}

fn server_name(host: &str) -> io::Result<ServerName<'static>> {
    ServerName::try_from(host.to_owned()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{host:?} is not a name a TLS certificate can be checked for: {e}"),
        )
    })
}

impl TlsConnector<()> {
    /// The same TLS over the connections `inner` makes.
    pub(crate) fn wrap<C>(&self, inner: C) -> TlsConnector<C> {
        TlsConnector {
            inner,
            tls: self.tls.clone(),
            domain: self.domain.clone(),
        }
    }
}

impl<C> fmt::Debug for TlsConnector<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

impl<C> Service<Address> for TlsConnector<C>
where
    C: Service<Address>,
    C::Response: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    C::Error: Into<BoxError>,
    C::Future: Send + 'static,
{
    type Response = TlsStream<C::Response>;
    type Error = io::Error;
    /// Boxed: one allocation per connection made, not per call.
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner
            .poll_ready(cx)
            .map_err(|e| io::Error::other(e.into()))
    }

    fn call(&mut self, address: Address) -> Self::Future {
        let name = match &self.domain {
            Some(name) => Ok(name.clone()),
            None => match address.host() {
                Some(host) => server_name(host),
                None => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{address} has no host to check a TLS certificate for: set ClientTlsConfig::domain_name"
                    ),
                )),
            },
        };
        let connecting = self.inner.call(address);
        let tls = self.tls.clone();
        Box::pin(async move {
            let name = name?;
            let io = connecting.await.map_err(|e| io::Error::other(e.into()))?;
            let stream = tls.connect(name, io).await?;
            Ok(TlsStream::client(stream))
        })
    }
}
