//! What a TLS server and client are configured with: [`Identity`], [`Certificates`],
//! [`ServerTlsConfig`], [`ClientTlsConfig`], turned into rustls configurations.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::error::Error;

/// A certificate chain (the end entity's first) and its private key: what a server shows
/// its clients, or a client a server that asks for one.
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    /// From PEM text: `certificates` holds one or more `CERTIFICATE` blocks, `key` a
    /// PKCS#8, PKCS#1 (RSA) or SEC1 (EC) private key.
    pub fn from_pem(certificates: impl AsRef<[u8]>, key: impl AsRef<[u8]>) -> Result<Self, Error> {
        let chain = Certificates::from_pem(certificates)?.0;
        let key = PrivateKeyDer::from_pem_slice(key.as_ref())
            .map_err(|e| Error::config(format!("no private key in the PEM given: {e}")))?;
        Ok(Identity { chain, key })
    }

    /// From PEM files, as [`from_pem`](Self::from_pem) reads them.
    pub fn from_pem_files(
        certificates: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self, Error> {
        let (certificates, key) = (certificates.as_ref(), key.as_ref());
        Identity::from_pem(read(certificates)?, read(key)?).map_err(|e| {
            Error::config(format!(
                "{} and {}: {e}",
                certificates.display(),
                key.display()
            ))
        })
    }
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Identity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("Identity")
            .field("certificates", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// Certificates to trust: the CAs a client checks a server against, or a server its
/// clients.
#[derive(Clone)]
pub struct Certificates(Vec<CertificateDer<'static>>);

impl Certificates {
    /// Every `CERTIFICATE` block of PEM text; at least one.
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        let certificates = CertificateDer::pem_slice_iter(pem.as_ref())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::config(format!("unreadable PEM certificate: {e}")))?;
        if certificates.is_empty() {
            return Err(Error::config("no CERTIFICATE in the PEM given"));
        }
        Ok(Certificates(certificates))
    }

    /// Every certificate of a PEM file.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        Certificates::from_pem(read(path)?)
            .map_err(|e| Error::config(format!("{}: {e}", path.display())))
    }

    fn roots(&self) -> Result<RootCertStore, Error> {
        let mut roots = RootCertStore::empty();
        for certificate in &self.0 {
            roots
                .add(certificate.clone())
                .map_err(|e| Error::config(format!("a certificate cannot be trusted: {e}")))?;
        }
        Ok(roots)
    }
}

impl fmt::Debug for Certificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Certificates").field(&self.0.len()).finish()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::config(format!("cannot read {}: {e}", path.display())))
}

/// The cryptography rustls uses here: *ring*'s, named rather than taken from the process
/// default, so that another crate's choice of provider cannot make ours panic.
///
/// rustls now steers to aws-lc-rs for its post-quantum key exchange; *ring* is kept because
/// it builds with a C compiler alone (aws-lc needs far more build time, and cmake on some
/// targets), and the peers this crate talks to (Apache's OpenSSL-based libraries) agree on
/// the classical groups anyway. A user who wants post-quantum key exchange gives a rustls
/// configuration of their own ([`ServerTlsConfig::rustls_config`]).
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_error(what: &str, e: rustls::Error) -> Error {
    Error::config(format!("{what}: {e}"))
}

/// How long a server waits for a client's first byte and TLS handshake, unless told.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A TLS server's settings: for [`TlsIncoming`](super::TlsIncoming).
#[derive(Clone, Debug)]
pub struct ServerTlsConfig {
    identity: Option<Identity>,
    client_ca: Option<Certificates>,
    client_auth_optional: bool,
    alpn: Vec<Vec<u8>>,
    pub(super) handshake_timeout: Duration,
    pub(super) allow_plain: bool,
    rustls: Option<Arc<ServerConfig>>,
}

impl ServerTlsConfig {
    /// No identity yet (one is needed), no client certificates asked for, a 10 s
    /// handshake timeout, TLS only.
    pub fn new() -> Self {
        ServerTlsConfig {
            identity: None,
            client_ca: None,
            client_auth_optional: false,
            alpn: Vec::new(),
            handshake_timeout: HANDSHAKE_TIMEOUT,
            allow_plain: false,
            rustls: None,
        }
    }

    /// The certificate chain and key the server shows.
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Asks each client for a certificate signed by one of `roots`, and refuses the
    /// connection without one, unless [`client_auth_optional`](Self::client_auth_optional).
    pub fn client_ca_root(mut self, roots: Certificates) -> Self {
        self.client_ca = Some(roots);
        self
    }

    /// With [`client_ca_root`](Self::client_ca_root): a client without a certificate is
    /// served too (its requests carry no [`PeerIdentity`](super::PeerIdentity)); one with
    /// a certificate the roots did not sign is still refused.
    pub fn client_auth_optional(mut self, optional: bool) -> Self {
        self.client_auth_optional = optional;
        self
    }

    /// The application protocols offered in ALPN, most preferred first (`b"h2"`,
    /// `b"http/1.1"` for HTTPS).
    pub fn alpn_protocols(mut self, protocols: Vec<Vec<u8>>) -> Self {
        self.alpn = protocols;
        self
    }

    /// How long a connection may take to send its first byte and finish its handshake
    /// before it is closed.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Serves plain connections on the same port too: a connection whose first byte is not
    /// a TLS handshake record's is served as it is (its requests carry no
    /// [`PeerIdentity`](super::PeerIdentity)).
    pub fn allow_plain(mut self, allow: bool) -> Self {
        self.allow_plain = allow;
        self
    }

    /// A rustls configuration of your own, used as it is: the settings above but the
    /// handshake timeout and [`allow_plain`](Self::allow_plain) are ignored.
    pub fn rustls_config(mut self, config: Arc<ServerConfig>) -> Self {
        self.rustls = Some(config);
        self
    }

    /// The rustls configuration these settings make (for a server of your own, an HTTPS
    /// one say). Fails without an identity, or with a key that does not match it.
    pub fn to_rustls(&self) -> Result<Arc<ServerConfig>, Error> {
        if let Some(config) = &self.rustls {
            return Ok(config.clone());
        }
        let identity = self.identity.clone().ok_or_else(|| {
            Error::config("a TLS server needs an identity: ServerTlsConfig::identity")
        })?;
        let provider = provider();
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("TLS versions", e))?;
        let builder = match &self.client_ca {
            None => builder.with_no_client_auth(),
            Some(roots) => {
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots.roots()?), provider);
                let verifier = if self.client_auth_optional {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                let verifier = verifier
                    .build()
                    .map_err(|e| Error::config(format!("the client CA roots: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(identity.chain, identity.key)
            .map_err(|e| tls_error("the server's certificate and key", e))?;
        config.alpn_protocols = self.alpn.clone();
        Ok(Arc::new(config))
    }
}

impl Default for ServerTlsConfig {
    fn default() -> Self {
        ServerTlsConfig::new()
    }
}

/// A TLS client's settings: for [`TlsConnector`](super::TlsConnector) and
/// [`Endpoint::tls`](crate::Endpoint::tls).
#[derive(Clone, Debug, Default)]
pub struct ClientTlsConfig {
    roots: Option<Certificates>,
    identity: Option<Identity>,
    pub(super) domain: Option<String>,
    alpn: Vec<Vec<u8>>,
    rustls: Option<Arc<ClientConfig>>,
}

impl ClientTlsConfig {
    /// Nothing trusted yet (roots are needed), no client certificate, the server's name
    /// taken from the address.
    pub fn new() -> Self {
        ClientTlsConfig::default()
    }

    /// The CAs the server's certificate must chain to.
    pub fn ca_certificate(mut self, roots: Certificates) -> Self {
        self.roots = Some(roots);
        self
    }

    /// The certificate chain and key shown to a server that asks for one.
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// The name the server's certificate must be for, instead of the host of the address
    /// connected to (connecting to an IP address, say, to a server whose certificate names
    /// it by DNS name).
    pub fn domain_name(mut self, name: impl Into<String>) -> Self {
        self.domain = Some(name.into());
        self
    }

    /// The application protocols offered in ALPN, most preferred first.
    pub fn alpn_protocols(mut self, protocols: Vec<Vec<u8>>) -> Self {
        self.alpn = protocols;
        self
    }

    /// A rustls configuration of your own, used as it is (only
    /// [`domain_name`](Self::domain_name) still applies).
    pub fn rustls_config(mut self, config: Arc<ClientConfig>) -> Self {
        self.rustls = Some(config);
        self
    }

    /// The rustls configuration these settings make (for an HTTPS client, say). Fails
    /// without roots to trust, or with a key that does not match its certificate.
    pub fn to_rustls(&self) -> Result<Arc<ClientConfig>, Error> {
        if let Some(config) = &self.rustls {
            return Ok(config.clone());
        }
        let roots = self.roots.as_ref().ok_or_else(|| {
            Error::config("a TLS client needs the CAs to trust: ClientTlsConfig::ca_certificate")
        })?;
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("TLS versions", e))?
            .with_root_certificates(roots.roots()?);
        let mut config = match self.identity.clone() {
            None => builder.with_no_client_auth(),
            Some(identity) => builder
                .with_client_auth_cert(identity.chain, identity.key)
                .map_err(|e| tls_error("the client's certificate and key", e))?,
        };
        config.alpn_protocols = self.alpn.clone();
        Ok(Arc::new(config))
    }
}
