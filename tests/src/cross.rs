//! The command line of Apache's cross-test programs (`test/tests.json` in Apache Thrift):
//! `--port N --protocol P --transport T`, given as `--flag=value` or `--flag value`.

use thrift_tower::protocol::Protocol;

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
    /// `--transport`.
    pub transport: Transport,
    /// `--domain-socket`.
    pub domain_socket: Option<String>,
    /// `--path` (http).
    pub path: String,
}

impl Options {
    /// Parses the arguments (without the program name).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut o = Options {
            host: "localhost".into(),
            port: 9090,
            protocol: Protocol::Binary,
            multiplexed: false,
            transport: Transport::Buffered,
            domain_socket: None,
            path: "/".into(),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f.to_string(), Some(v.to_string())),
                None => (arg.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--host" => o.host = value()?,
                "--port" => o.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
                "--protocol" => {
                    let v = value()?;
                    (o.protocol, o.multiplexed) = match v.as_str() {
                        "binary" => (Protocol::Binary, false),
                        "compact" => (Protocol::Compact, false),
                        "json" => (Protocol::Json, false),
                        "multi" => (Protocol::Binary, true),
                        "multic" => (Protocol::Compact, true),
                        "multij" => (Protocol::Json, true),
                        other => return Err(format!("unknown protocol `{other}`")),
                    }
                }
                "--transport" => {
                    o.transport = match value()?.as_str() {
                        "buffered" => Transport::Buffered,
                        "framed" => Transport::Framed,
                        "http" => Transport::Http,
                        other => return Err(format!("unknown transport `{other}`")),
                    }
                }
                "--domain-socket" => o.domain_socket = Some(value()?),
                "--path" => o.path = value()?,
                // Flags of Apache's programs that do not change what we do.
                "--ssl" | "--zlib" => return Err(format!("{flag} is not supported")),
                other => return Err(format!("unknown option `{other}`")),
            }
        }
        Ok(o)
    }

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
