//! [`PeerIdentity`]: who the certificate a TLS peer showed says it is.

use std::net::IpAddr;

use rustls::pki_types::CertificateDer;
use x509_parser::extensions::GeneralName;

/// A name a certificate's subject alternative names extension gives its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubjectAltName {
    /// A DNS name.
    Dns(String),
    /// An IP address.
    Ip(IpAddr),
    /// An email address (an RFC 822 name).
    Email(String),
    /// A URI (a SPIFFE ID, say).
    Uri(String),
}

/// The identity a TLS client proved with its certificate (checked against the server's
/// client CA roots): in each of its requests'
/// [connection extensions](crate::message::ConnectionInfo::extensions).
///
/// ```
/// use thrift_tower::transport::tls::PeerIdentity;
///
/// # async fn say(msg: String) -> Result<String, thrift_tower::Error> {
/// // In a handler:
/// let client = thrift_tower::server::with_request(|request| {
///     request
///         .connection()
///         .and_then(|c| c.extensions().get::<PeerIdentity>())
///         .and_then(|id| id.common_name().map(str::to_owned))
/// })
/// .flatten();
/// # Ok(format!("{msg} from {client:?}"))
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PeerIdentity {
    subject: String,
    common_name: Option<String>,
    alt_names: Vec<SubjectAltName>,
    certificate: CertificateDer<'static>,
}

impl PeerIdentity {
    /// Reads the end-entity certificate a peer showed; `None` if it cannot be parsed
    /// (rustls has already verified it, so this does not happen with a verified peer).
    pub(super) fn from_certificate(der: &CertificateDer<'_>) -> Option<Self> {
        let (_, certificate) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
        let subject = certificate.subject();
        let common_name = subject
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned);
        let mut alt_names = Vec::new();
        if let Ok(Some(extension)) = certificate.subject_alternative_name() {
            for name in &extension.value.general_names {
                match name {
                    GeneralName::DNSName(dns) => {
                        alt_names.push(SubjectAltName::Dns(dns.to_string()))
                    }
                    GeneralName::RFC822Name(email) => {
                        alt_names.push(SubjectAltName::Email(email.to_string()))
                    }
                    GeneralName::URI(uri) => alt_names.push(SubjectAltName::Uri(uri.to_string())),
                    GeneralName::IPAddress(bytes) => {
                        if let Some(ip) = ip_from(bytes) {
                            alt_names.push(SubjectAltName::Ip(ip));
                        }
                    }
                    _ => {}
                }
            }
        }
        Some(PeerIdentity {
            subject: subject.to_string(),
            common_name,
            alt_names,
            certificate: der.clone().into_owned(),
        })
    }

    /// The certificate's subject, as `O=Example, CN=billing`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The subject's common name (`CN`), if it has one.
    pub fn common_name(&self) -> Option<&str> {
        self.common_name.as_deref()
    }

    /// The names of the subject alternative names extension, in its order.
    pub fn alt_names(&self) -> &[SubjectAltName] {
        &self.alt_names
    }

    /// The certificate itself, DER-encoded, for checks of your own.
    pub fn certificate(&self) -> &[u8] {
        self.certificate.as_ref()
    }
}

fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}
