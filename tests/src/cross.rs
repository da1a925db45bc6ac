//! The command line of Apache's cross-test programs (`test/tests.json` in Apache Thrift):
//! `--port N --protocol P --transport T [--zlib]`, given as `--flag=value` or
//! `--flag value`, parsed by clap ([`CrossArgs`], flattened into each program's own
//! arguments).
//!
//! Apache's cross-test runner names zlib as a transport and passes it both ways at once,
//! `--transport=zlib --zlib`: zlib over the socket, with messages back to back inside
//! (Apache's Python test server then serves zlib on the raw socket whatever the transport
//! says). Both spellings are taken here, alone or together, and mean that; zlib with
//! `framed` or `http` is refused, since Apache's programs disagree on what it would be.

use thrift_tower::protocol::Protocol;

/// Apache's cross-test flags.
#[derive(Debug, Clone, clap::Args)]
pub struct CrossArgs {
    /// The server's host (clients)
    #[arg(long, default_value = "localhost")]
    host: String,
    /// The port to serve on, or to call
    #[arg(long, default_value_t = 9090)]
    port: u16,
    /// The protocol; the multi* ones go through Apache's multiplexed protocol
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
    /// TLS, as Apache's programs take it (not supported yet: refused)
    #[arg(long)]
    ssl: bool,
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
    Multi,
    Multic,
    Multij,
}

impl TryFrom<CrossArgs> for Options {
    type Error = String;

    /// The options, or why they cannot be served.
    fn try_from(args: CrossArgs) -> Result<Self, String> {
        if args.ssl {
            return Err("--ssl is not supported".into());
        }
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
            ProtocolName::Binary => (Protocol::Binary, false),
            ProtocolName::Compact => (Protocol::Compact, false),
            ProtocolName::Json => (Protocol::Json, false),
            ProtocolName::Multi => (Protocol::Binary, true),
            ProtocolName::Multic => (Protocol::Compact, true),
            ProtocolName::Multij => (Protocol::Json, true),
        };
        Ok(Options {
            host: args.host,
            port: args.port,
            protocol,
            multiplexed,
            transport,
            zlib,
            domain_socket: args.domain_socket,
            path: args.path,
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
    /// `--protocol`, without the multiplexing.
    pub protocol: Protocol,
    /// `--protocol multi|multic|multij`.
    pub multiplexed: bool,
    /// `--transport` (`zlib` is `Buffered` with [`zlib`](Self::zlib)).
    pub transport: Transport,
    /// `--zlib` or `--transport zlib`: the connection's bytes are zlib-compressed.
    pub zlib: bool,
    /// `--domain-socket`.
    pub domain_socket: Option<String>,
    /// `--path` (http).
    pub path: String,
}

impl Options {
    /// `binary/buffered`, `multic/framed`, `json/zlib`...
    pub fn describe(&self) -> String {
        let p = match (self.protocol, self.multiplexed) {
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
        format!("{p}/{t}")
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
