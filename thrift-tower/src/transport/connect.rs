//! [`Address`]: where a channel connects, as its [`Endpoint`](crate::Endpoint) was told.
//!
//! A channel opens its connections through a *connector*: any
//! `tower::Service<Address>` whose response is a byte stream. [`TcpConnector`] and
//! [`UnixConnector`] are the two an endpoint uses by itself; a TLS connector wraps the TCP
//! one, and a test may hand out in-memory pipes
//! ([`Endpoint::connect_with_connector`](crate::Endpoint::connect_with_connector)).
//!
//! [`TcpConnector`]: super::TcpConnector
//! [`UnixConnector`]: super::UnixConnector

use std::fmt;
#[cfg(unix)]
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Where to connect: a `host:port`, or the path of a Unix domain socket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    repr: Repr,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// `host:port`, resolved at each connection; `host_end` is where the host ends.
    HostPort { text: String, host_end: usize },
    #[cfg(unix)]
    Unix(PathBuf),
}

impl Address {
    /// A `host:port` (`"127.0.0.1:9090"`, `"[::1]:9090"`, `"example.com:9090"`), resolved
    /// each time a connection is made.
    ///
    /// Fails ([`Error::is_config`]) if `addr` does not end in `:port`.
    pub fn new(addr: impl Into<String>) -> Result<Self, Error> {
        let text = addr.into();
        let host_end = text
            .rsplit_once(':')
            .filter(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
            .map(|(host, _)| host.len());
        match host_end {
            Some(host_end) => Ok(Address {
                repr: Repr::HostPort { text, host_end },
            }),
            None => Err(Error::config(format!(
                "`{text}` is not an address of the form host:port \
                 (like \"127.0.0.1:9090\", \"[::1]:9090\" or \"example.com:9090\")"
            ))),
        }
    }

    /// The Unix domain socket at `path`.
    #[cfg(unix)]
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        Address {
            repr: Repr::Unix(path.into()),
        }
    }

    /// The `host:port`, as given; `None` for a Unix socket.
    pub fn host_port(&self) -> Option<&str> {
        match &self.repr {
            Repr::HostPort { text, .. } => Some(text),
            #[cfg(unix)]
            Repr::Unix(_) => None,
        }
    }

    /// The host, without the brackets of an IPv6 address (what a TLS connector checks the
    /// server's certificate against); `None` for a Unix socket.
    pub fn host(&self) -> Option<&str> {
        match &self.repr {
            Repr::HostPort { text, host_end } => {
                let host = &text[..*host_end];
                Some(
                    host.strip_prefix('[')
                        .and_then(|h| h.strip_suffix(']'))
                        .unwrap_or(host),
                )
            }
            #[cfg(unix)]
            Repr::Unix(_) => None,
        }
    }

    /// The port; `None` for a Unix socket.
    pub fn port(&self) -> Option<u16> {
        match &self.repr {
            Repr::HostPort { text, host_end } => text[host_end + 1..].parse().ok(),
            #[cfg(unix)]
            Repr::Unix(_) => None,
        }
    }

    /// The socket's path, for a Unix domain socket.
    #[cfg(unix)]
    pub fn unix_path(&self) -> Option<&Path> {
        match &self.repr {
            Repr::Unix(path) => Some(path),
            Repr::HostPort { .. } => None,
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::HostPort { text, .. } => f.write_str(text),
            #[cfg(unix)]
            Repr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

impl From<std::net::SocketAddr> for Address {
    fn from(addr: std::net::SocketAddr) -> Self {
        let text = addr.to_string();
        let host_end = text.len() - 1 - addr.port().to_string().len();
        Address {
            repr: Repr::HostPort { text, host_end },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports() {
        let a = Address::new("example.com:9090").unwrap();
        assert_eq!((a.host(), a.port()), (Some("example.com"), Some(9090)));
        let a = Address::new("[::1]:80").unwrap();
        assert_eq!((a.host(), a.port()), (Some("::1"), Some(80)));
        assert_eq!(a.host_port(), Some("[::1]:80"));
        let a = Address::from("[::1]:7".parse::<std::net::SocketAddr>().unwrap());
        assert_eq!((a.host(), a.port()), (Some("::1"), Some(7)));
        for bad in ["example.com", ":80", "host:99999", "host:"] {
            assert!(Address::new(bad).unwrap_err().is_config(), "{bad}");
        }
        #[cfg(unix)]
        {
            let u = Address::unix("/run/x.sock");
            assert_eq!(u.to_string(), "unix:/run/x.sock");
            assert_eq!((u.host(), u.port()), (None, None));
        }
    }
}
