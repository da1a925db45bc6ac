//! [`Member`]: one server of a ServerSet, as the JSON Finagle, Aurora and the Python tools
//! of the Thrift world write under a service's path (Finagle's `ServiceInstance`).
//!
//! ```json
//! {"serviceEndpoint": {"host": "10.0.0.7", "port": 9090},
//!  "additionalEndpoints": {"admin": {"host": "10.0.0.7", "port": 9990}},
//!  "status": "ALIVE", "shard": 3, "metadata": {"zone": "eu-1"}}
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Children of a service's path whose names start with this are its members; readers
/// ignore the others (locks, leader election nodes...).
pub const MEMBER_PREFIX: &str = "member_";

/// A host and a port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HostPort {
    /// A name or an address.
    pub host: String,
    /// The port.
    pub port: u16,
}

impl HostPort {
    /// `host:port`, with brackets around an IPv6 address.
    pub fn to_addr(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_addr())
    }
}

/// What a member says of itself; discovery takes only `ALIVE` members unless told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Gone.
    Dead,
    /// Not serving yet.
    Starting,
    /// Serving.
    Alive,
    /// Going away.
    Stopping,
    /// Gone away.
    Stopped,
    /// Serving, with a problem.
    Warning,
}

/// One member of a ServerSet: the JSON of Finagle's `ServiceInstance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// Where the service answers.
    pub service_endpoint: HostPort,
    /// Other ports of the same process, by name (`admin`, `http`...).
    #[serde(default)]
    pub additional_endpoints: BTreeMap<String, HostPort>,
    /// Its state.
    pub status: Status,
    /// Its shard, for sharded services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<i32>,
    /// Anything else, as strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
}

impl Member {
    /// An `ALIVE` member answering at `host:port`.
    pub fn alive(host: impl Into<String>, port: u16) -> Self {
        Member {
            service_endpoint: HostPort {
                host: host.into(),
                port,
            },
            additional_endpoints: BTreeMap::new(),
            status: Status::Alive,
            shard: None,
            metadata: None,
        }
    }

    /// With another endpoint, named.
    pub fn additional_endpoint(
        mut self,
        name: impl Into<String>,
        host: impl Into<String>,
        port: u16,
    ) -> Self {
        self.additional_endpoints.insert(
            name.into(),
            HostPort {
                host: host.into(),
                port,
            },
        );
        self
    }

    /// With a shard.
    pub fn shard(mut self, shard: i32) -> Self {
        self.shard = Some(shard);
        self
    }

    /// With a metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// The JSON written to ZooKeeper.
    pub fn to_json(&self) -> Vec<u8> {
        // A struct of strings, numbers and string maps always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A member from the JSON a node holds; an error says what is wrong with it.
    pub fn from_json(json: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(json)
    }

    /// The endpoint named `name`, or the service endpoint for `None`.
    pub fn endpoint(&self, name: Option<&str>) -> Option<&HostPort> {
        match name {
            None => Some(&self.service_endpoint),
            Some(name) => self.additional_endpoints.get(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finagle_json_reads_and_writes_back() {
        let json = br#"{"serviceEndpoint":{"host":"10.0.0.7","port":9090},
            "additionalEndpoints":{"admin":{"host":"10.0.0.7","port":9990}},
            "status":"ALIVE","shard":3,"metadata":{"zone":"eu-1"}}"#;
        let member = Member::from_json(json).unwrap();
        assert_eq!(
            member,
            Member::alive("10.0.0.7", 9090)
                .additional_endpoint("admin", "10.0.0.7", 9990)
                .shard(3)
                .metadata("zone", "eu-1")
        );
        assert_eq!(Member::from_json(&member.to_json()).unwrap(), member);
        assert_eq!(member.endpoint(Some("admin")).unwrap().port, 9990);
        assert!(member.endpoint(Some("http")).is_none());
    }

    #[test]
    fn optional_fields_may_be_missing_and_are_left_out() {
        let member =
            Member::from_json(br#"{"serviceEndpoint":{"host":"h","port":1},"status":"STARTING"}"#)
                .unwrap();
        assert_eq!(member.status, Status::Starting);
        assert!(member.additional_endpoints.is_empty());
        let json = String::from_utf8(Member::alive("h", 1).to_json()).unwrap();
        assert_eq!(
            json,
            r#"{"serviceEndpoint":{"host":"h","port":1},"additionalEndpoints":{},"status":"ALIVE"}"#
        );
    }

    #[test]
    fn malformed_members_are_errors_not_panics() {
        for bad in [
            &b""[..],
            b"{",
            b"[]",
            br#"{"serviceEndpoint":{"host":"h","port":70000},"status":"ALIVE"}"#,
            br#"{"serviceEndpoint":{"host":"h","port":1},"status":"SLEEPY"}"#,
            br#"{"status":"ALIVE"}"#,
            b"\xff\xfe",
        ] {
            assert!(Member::from_json(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ipv6_hosts_get_brackets() {
        let host = HostPort {
            host: "::1".into(),
            port: 9090,
        };
        assert_eq!(host.to_addr(), "[::1]:9090");
    }
}
