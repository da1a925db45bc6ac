//! The command line of Apache's cross-test programs (`test/tests.json` in Apache Thrift):
//! `--port N --protocol P --transport T`, given as `--flag=value` or `--flag value`, parsed
//! by clap ([`CrossArgs`], flattened into each program's own arguments).

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
    /// How messages are carried
    #[arg(long, value_enum, default_value_t = Transport::Buffered)]
    transport: Transport,
    /// A Unix domain socket instead of a TCP port
    #[arg(long, value_name = "PATH")]
    domain_socket: Option<String>,
    /// The path HTTP requests go to (`--transport http`, clients)
    #[arg(long, default_value = "/")]
    path: String,
    /// TLS, as Apache's programs take it (not supported yet: refused)
    #[arg(long)]
    ssl: bool,
    /// zlib, as Apache's programs take it (not supported yet: refused)
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
        if args.zlib {
            return Err("--zlib is not supported".into());
        }
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
            transport: args.transport,
            domain_socket: args.domain_socket,
            path: args.path,
        })
    }
}

/// How messages are carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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
    /// `--transport`.
    pub transport: Transport,
    /// `--domain-socket`.
    pub domain_socket: Option<String>,
    /// `--path` (http).
    pub path: String,
}

impl Options {
    /// `binary/buffered`, `multic/framed`...
    pub fn describe(&self) -> String {
        let p = match (self.protocol, self.multiplexed) {
            (Protocol::Binary, true) => "multi".to_string(),
            (Protocol::Compact, true) => "multic".to_string(),
            (Protocol::Json, true) => "multij".to_string(),
            (other, _) => other.to_string(),
        };
        let t = match self.transport {
            Transport::Buffered => "buffered",
            Transport::Framed => "framed",
            Transport::Http => "http",
        };
        format!("{p}/{t}")
    }
}
