//! The command line of Apache's cross-test programs (`test/tests.json` in Apache Thrift):
//! `--port N --protocol P --transport T [--zlib] [--ssl]`, given as `--flag=value` or
//! `--flag value`, parsed by clap ([`CrossArgs`], flattened into each program's own
//! arguments).
//!
//! `--protocol header` (and `multih`, multiplexed) is Apache's THeader: its frames go on the
//! socket as they are with `--transport buffered`, and each inside a framed transport's
//! frame with `--transport framed`, as Apache's programs stack `THeaderTransport` on the
//! transport they are given ([`Options::framing`]). Apache's THeader does not run over
//! HTTP, so neither does ours.
//!
//! Apache's cross-test runner names zlib as a transport and passes it both ways at once,
//! `--transport=zlib --zlib`: zlib over the socket, with messages back to back inside
//! (Apache's Python test server then serves zlib on the raw socket whatever the transport
//! says). Both spellings are taken here, alone or together, and mean that; zlib with
//! `framed` or `http` is refused, since Apache's programs disagree on what it would be.

use std::path::{Path, PathBuf};

use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;
use thrift_tower::transport::tls::{Certificates, ClientTlsConfig, Identity, ServerTlsConfig};

/// Apache's cross-test flags.
#[derive(Debug, Clone, clap::Args)]
pub struct CrossArgs {
    /// The server's host (clients)
    #[arg(long, default_value = "localhost")]
    host: String,
    /// The port to serve on, or to call
    #[arg(long, default_value_t = 9090)]
    port: u16,
    /// The protocol; the multi* ones go through Apache's multiplexed protocol; header is
    /// THeader (binary inside, from our client)
    #[arg(long, value_enum, default_value_t = ProtocolName::Binary)]
    protocol: ProtocolName,
    /// How messages are carried (`zlib`: buffered, over zlib)
    #[arg(long, value_enum, default_value_t = TransportName::Buffered)]
    transport: TransportName,
    /// A Unix domain socket instead of a TCP port
    #[arg(long, value_name = "PATH")]
    domain_socket: Option<String>,
    /// The path HTTP requests go to (`--transport http`, clients)
    #[arg(long, default_value = "/")]
    path: String,
    /// TLS: servers show --cert/--key and check a client certificate against --ca when one
    /// is shown; clients check the server's certificate for the --host name against --ca
    /// and show --cert/--key
    #[arg(long)]
    ssl: bool,
    /// This program's certificate, PEM (with --ssl; the project's test keys by default)
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// This program's private key, PEM (with --ssl; the project's test keys by default)
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// The CA to trust, PEM (with --ssl; the project's test CA by default)
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// zlib over the socket, as Apache's TZlibTransport (with the buffered transport)
    #[arg(long)]
    zlib: bool,
}

/// Parses this program's command line into `C`, whose arguments flatten [`CrossArgs`]
/// (`cross` picks them out), as clap does (`--help`, `--version`, usage errors with exit
/// status 2), and returns it with the cross-test options.
pub fn parse_command_line<C: clap::Parser>(cross: impl FnOnce(&C) -> &CrossArgs) -> (C, Options) {
    let cli = C::parse();
    match Options::try_from(cross(&cli).clone()) {
        Ok(options) => (cli, options),
        Err(e) => C::command()
            .error(clap::error::ErrorKind::ValueValidation, e)
            .exit(),
    }
}

/// The names `--protocol` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ProtocolName {
    Binary,
    Compact,
    Json,
    Header,
    Multi,
    Multic,
    Multih,
    Multij,
}

impl TryFrom<CrossArgs> for Options {
    type Error = String;

    /// The options, or why they cannot be served.
    fn try_from(args: CrossArgs) -> Result<Self, String> {
        if !args.ssl && (args.cert.is_some() || args.key.is_some() || args.ca.is_some()) {
            return Err("--cert, --key and --ca go with --ssl".into());
        }
        let tls = args.ssl.then(|| TlsFiles {
            cert: args.cert,
            key: args.key,
            ca: args.ca.unwrap_or_else(|| test_key("ca.pem")),
        });
        let (transport, zlib) = match (args.transport, args.zlib) {
            (TransportName::Buffered, zlib) => (Transport::Buffered, zlib),
            (TransportName::Zlib, _) => (Transport::Buffered, true),
            (TransportName::Framed, false) => (Transport::Framed, false),
            (TransportName::Http, false) => (Transport::Http, false),
            (TransportName::Framed | TransportName::Http, true) => {
                return Err(
                    "--zlib runs over the buffered transport only (`--transport zlib`, as in \
                     Apache's cross tests)"
                        .into(),
                );
            }
        };
        let (protocol, multiplexed) = match args.protocol {
            ProtocolName::Binary | ProtocolName::Header => (Protocol::Binary, false),
            ProtocolName::Compact => (Protocol::Compact, false),
            ProtocolName::Json => (Protocol::Json, false),
            ProtocolName::Multi | ProtocolName::Multih => (Protocol::Binary, true),
            ProtocolName::Multic => (Protocol::Compact, true),
            ProtocolName::Multij => (Protocol::Json, true),
        };
        let header = matches!(args.protocol, ProtocolName::Header | ProtocolName::Multih);
        if header && transport == Transport::Http {
            return Err("--protocol header does not run over --transport http \
                        (Apache's THeader does not either)"
                .into());
        }
        Ok(Options {
            host: args.host,
            port: args.port,
            protocol,
            header,
            multiplexed,
            transport,
            zlib,
            domain_socket: args.domain_socket,
            path: args.path,
            tls,
        })
    }
}

/// The names `--transport` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TransportName {
    Buffered,
    Framed,
    Http,
    /// Apache's cross-test name for zlib over buffered.
    Zlib,
}

/// How messages are carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `buffered`: messages back to back.
    Buffered,
    /// `framed`: each message preceded by its length.
    Framed,
    /// `http`: one message per HTTP POST.
    Http,
}

/// Parsed options of a cross-test program.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--host` (clients).
    pub host: String,
    /// `--port`.
    pub port: u16,
    /// `--protocol`, without the multiplexing; inside THeader frames, the protocol a client
    /// sends (a server answers in the one each call is in).
    pub protocol: Protocol,
    /// `--protocol header|multih`: THeader frames.
    pub header: bool,
    /// `--protocol multi|multic|multih|multij`.
    pub multiplexed: bool,
    /// `--transport` (`zlib` is `Buffered` with [`zlib`](Self::zlib)).
    pub transport: Transport,
    /// `--zlib` or `--transport zlib`: the connection's bytes are zlib-compressed.
    pub zlib: bool,
    /// `--domain-socket`.
    pub domain_socket: Option<String>,
    /// `--path` (http).
    pub path: String,
    /// `--ssl`, with its files.
    pub tls: Option<TlsFiles>,
}

/// The PEM files of `--ssl`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// `--cert`: this program's certificate, if given (each program has its default).
    pub cert: Option<PathBuf>,
    /// `--key`: its private key, if given.
    pub key: Option<PathBuf>,
    /// `--ca`: the CA to trust.
    pub ca: PathBuf,
}

impl TlsFiles {
    /// This program's identity: `--cert` and `--key`, or the project's test keys
    /// `NAME.pem` and `NAME.key`.
    pub fn identity(&self, name: &str) -> Result<Identity, thrift_tower::Error> {
        let cert = self
            .cert
            .clone()
            .unwrap_or_else(|| test_key(&format!("{name}.pem")));
        let key = self
            .key
            .clone()
            .unwrap_or_else(|| test_key(&format!("{name}.key")));
        Identity::from_pem_files(cert, key)
    }

    /// The server side of `--ssl`: the server's identity; a client certificate checked
    /// against `--ca` when one is shown (Apache's clients show one).
    pub fn server(&self) -> Result<ServerTlsConfig, thrift_tower::Error> {
        Ok(ServerTlsConfig::new()
            .identity(self.identity("server")?)
            .client_ca_root(Certificates::from_pem_file(&self.ca)?)
            .client_auth_optional(true)
            .alpn_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()]))
    }

    /// The client side of `--ssl`: `--ca` trusted, the client's identity shown (Apache's
    /// Python test server requires one).
    pub fn client(&self) -> Result<ClientTlsConfig, thrift_tower::Error> {
        Ok(ClientTlsConfig::new()
            .ca_certificate(Certificates::from_pem_file(&self.ca)?)
            .identity(self.identity("client")?))
    }
}

/// A file of the project's test keys (`tests/keys/`, made by its `make-keys.sh`).
pub fn test_key(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("keys")
        .join(name)
}

impl Options {
    /// How messages are delimited on a socket: THeader frames (inside framed ones with
    /// `--transport framed`), or the transport's framing.
    pub fn framing(&self) -> Framing {
        match (self.header, self.transport) {
            (true, Transport::Framed) => Framing::FramedHeader,
            (true, _) => Framing::Header,
            (false, Transport::Buffered) => Framing::Buffered,
            // Unused over HTTP, where each body holds one message.
            (false, Transport::Framed | Transport::Http) => Framing::Framed,
        }
    }

    /// `binary/buffered`, `multic/framed`, `json/zlib`...
    pub fn describe(&self) -> String {
        let p = match (self.protocol, self.multiplexed) {
            _ if self.header && self.multiplexed => "multih".to_string(),
            _ if self.header => "header".to_string(),
            (Protocol::Binary, true) => "multi".to_string(),
            (Protocol::Compact, true) => "multic".to_string(),
            (Protocol::Json, true) => "multij".to_string(),
            (other, _) => other.to_string(),
        };
        let t = match self.transport {
            Transport::Buffered if self.zlib => "zlib",
            Transport::Buffered => "buffered",
            Transport::Framed => "framed",
            Transport::Http => "http",
        };
        let tls = if self.tls.is_some() { " over TLS" } else { "" };
        format!("{p}/{t}{tls}")
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(flatten)]
        cross: CrossArgs,
    }

    fn options(args: &[&str]) -> Result<Options, String> {
        let cli = Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        Options::try_from(cli.cross)
    }

    #[test]
    fn zlib_is_buffered_over_zlib_however_apache_spells_it() {
        for args in [
            &["--transport=zlib", "--zlib"][..],
            &["--transport", "zlib"],
            &["--zlib"],
            &["--transport", "buffered", "--zlib"],
        ] {
            let o = options(args).unwrap();
            assert_eq!(
                (o.transport, o.zlib),
                (Transport::Buffered, true),
                "{args:?}"
            );
            assert_eq!(o.describe(), "binary/zlib");
        }
        let o = options(&["--transport", "framed"]).unwrap();
        assert_eq!((o.transport, o.zlib), (Transport::Framed, false));
        for transport in ["framed", "http"] {
            let refused = options(&["--transport", transport, "--zlib"]).unwrap_err();
            assert!(refused.contains("buffered transport only"), "{refused}");
        }
    }
}
