use serde::Serialize;
use std::fmt;

/// The protocol a security-group rule or NACL entry matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Every protocol (`-1` in AWS).
    All,
    /// TCP (6).
    Tcp,
    /// UDP (17).
    Udp,
    /// ICMP (1).
    Icmp,
    /// Any other IP protocol number; its rules cover all of its traffic.
    Number(u8),
}

impl Protocol {
    /// Parses AWS spellings: `-1`, `all`, `tcp`, `udp`, `icmp` or a number 0-255.
    pub fn parse(text: &str) -> Option<Protocol> {
        match text.trim().to_ascii_lowercase().as_str() {
            "-1" | "all" => Some(Protocol::All),
            "tcp" => Some(Protocol::Tcp),
            "udp" => Some(Protocol::Udp),
            "icmp" => Some(Protocol::Icmp),
            other => other.parse::<u8>().ok().map(Protocol::from_number),
        }
    }

    /// The protocol for an IP protocol number, naming TCP, UDP and ICMP.
    pub fn from_number(number: u8) -> Protocol {
        match number {
            6 => Protocol::Tcp,
            17 => Protocol::Udp,
            1 => Protocol::Icmp,
            n => Protocol::Number(n),
        }
    }

    /// Whether rules of this protocol carry a port range.
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::All => f.write_str("all"),
            Protocol::Tcp => f.write_str("tcp"),
            Protocol::Udp => f.write_str("udp"),
            Protocol::Icmp => f.write_str("icmp"),
            Protocol::Number(n) => write!(f, "proto {n}"),
        }
    }
}

/// The ports (or ICMP type and code) a rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortMatch {
    /// Every port, type or code.
    Any,
    /// TCP/UDP destination ports `first..=last`.
    Range {
        /// First port.
        first: u16,
        /// Last port.
        last: u16,
    },
    /// ICMP type and code; `None` means any.
    Icmp {
        /// ICMP type.
        icmp_type: Option<u8>,
        /// ICMP code.
        icmp_code: Option<u8>,
    },
}

/// The traffic a rule matches, apart from addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct TrafficMatch {
    /// Protocol.
    pub protocol: Protocol,
    /// Ports, or ICMP type/code.
    pub ports: PortMatch,
}

impl TrafficMatch {
    /// Everything.
    pub const ALL: TrafficMatch = TrafficMatch {
        protocol: Protocol::All,
        ports: PortMatch::Any,
    };

    /// TCP on `first..=last`.
    pub fn tcp(first: u16, last: u16) -> TrafficMatch {
        TrafficMatch {
            protocol: Protocol::Tcp,
            ports: PortMatch::Range { first, last },
        }
    }

    /// UDP on `first..=last`.
    pub fn udp(first: u16, last: u16) -> TrafficMatch {
        TrafficMatch {
            protocol: Protocol::Udp,
            ports: PortMatch::Range { first, last },
        }
    }
}

impl fmt::Display for TrafficMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.protocol, self.ports) {
            (p, PortMatch::Any) => write!(f, "{p}"),
            (p, PortMatch::Range { first, last }) if first == last => write!(f, "{p}/{first}"),
            (p, PortMatch::Range { first, last }) => write!(f, "{p}/{first}-{last}"),
            (
                p,
                PortMatch::Icmp {
                    icmp_type,
                    icmp_code,
                },
            ) => {
                let show = |v: Option<u8>| v.map_or("any".to_string(), |v| v.to_string());
                write!(f, "{p} type {} code {}", show(icmp_type), show(icmp_code))
            }
        }
    }
}
