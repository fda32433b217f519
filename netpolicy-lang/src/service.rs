//! Service expressions: what traffic an assertion is about.
//!
//! A service is a comma-separated list of items: `tcp/22`, `tcp/1024-65535`,
//! `udp/53`, `tcp` (every port), `icmp` (every type), `icmp/8` (one type), a
//! bare port (`3306`, meaning TCP), a protocol number (`proto/47`), `all`, or a
//! well-known name (`ssh`, `https`, ...).
//! TCP and UDP clients use an ephemeral source port (1024-65535), as docs/semantics.md
//! says, so NACL checks on the reply are realistic.

use netpolicy_core::packet::{Cube, Dim, EPHEMERAL_PORTS, ICMP, IntervalSet, PacketSet, TCP, UDP};
use netpolicy_core::suggest::suggest;

/// Well-known service names and what they stand for.
pub const NAMED_SERVICES: &[(&str, &str)] = &[
    ("ssh", "tcp/22"),
    ("telnet", "tcp/23"),
    ("smtp", "tcp/25"),
    ("dns", "udp/53,tcp/53"),
    ("http", "tcp/80"),
    ("ntp", "udp/123"),
    ("ldap", "tcp/389"),
    ("https", "tcp/443"),
    ("smb", "tcp/445"),
    ("mssql", "tcp/1433"),
    ("oracle", "tcp/1521"),
    ("nfs", "tcp/2049"),
    ("mysql", "tcp/3306"),
    ("rdp", "tcp/3389"),
    ("postgres", "tcp/5432"),
    ("redis", "tcp/6379"),
    ("elasticsearch", "tcp/9200"),
    ("mongodb", "tcp/27017"),
];

/// Why a service expression is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("invalid service `{item}`: {reason}")]
#[diagnostic(code(np::service::invalid))]
pub struct ServiceError {
    /// The offending item.
    pub item: String,
    /// What is wrong with it.
    pub reason: String,
    /// Byte range of the item within the expression.
    #[label("{reason}")]
    pub span: (usize, usize),
    /// A suggestion.
    #[help]
    pub help: Option<String>,
}

/// Parses a service expression into the packets it covers (any addresses).
pub fn parse_service(text: &str) -> Result<PacketSet, ServiceError> {
    let mut out = PacketSet::empty();
    let mut offset = 0;
    for raw in text.split(',') {
        let item = raw.trim();
        let start = offset + (raw.len() - raw.trim_start().len());
        out = out.union(&parse_item(item, (start, item.len()))?);
        offset += raw.len() + 1;
    }
    Ok(out)
}

/// One item of a service expression as a security-group rule or NACL
/// entry writes it (the native model's `protocol`, `ports`, `icmp_type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTraffic {
    /// `tcp`, `udp`, `icmp`, `all` or a protocol number.
    pub protocol: String,
    /// A port or port range (`443`, `1024-65535`), for TCP and UDP.
    pub ports: Option<String>,
    /// One ICMP type, for ICMP.
    pub icmp_type: Option<u8>,
}

/// The rule items a service expression stands for, in order: names expanded
/// (`dns` is `udp/53` and `tcp/53`), a bare port as TCP. Accepts exactly what
/// [`parse_service`] accepts, with the same errors.
pub fn rule_traffic(text: &str) -> Result<Vec<RuleTraffic>, ServiceError> {
    parse_service(text)?;
    let mut out = Vec::new();
    for item in text.split(',').map(|i| i.trim().to_ascii_lowercase()) {
        if let Some((_, expansion)) = NAMED_SERVICES.iter().find(|(n, _)| *n == item) {
            out.extend(rule_traffic(expansion)?);
            continue;
        }
        let item = if item.chars().all(|c| c.is_ascii_digit() || c == '-') {
            format!("tcp/{item}")
        } else {
            item
        };
        let (protocol, rest) = match item.split_once('/') {
            Some((p, rest)) => (p.to_string(), Some(rest.to_string())),
            None => (item.clone(), None),
        };
        out.push(match protocol.as_str() {
            "icmp" => RuleTraffic {
                protocol,
                ports: None,
                icmp_type: rest.and_then(|t| t.parse().ok()),
            },
            "proto" => RuleTraffic {
                protocol: rest.unwrap_or_default(),
                ports: None,
                icmp_type: None,
            },
            _ => RuleTraffic {
                protocol,
                ports: rest,
                icmp_type: None,
            },
        });
    }
    Ok(out)
}

fn error(item: &str, reason: &str, span: (usize, usize), help: Option<String>) -> ServiceError {
    ServiceError {
        item: item.to_string(),
        reason: reason.to_string(),
        span,
        help,
    }
}

fn parse_item(item: &str, span: (usize, usize)) -> Result<PacketSet, ServiceError> {
    let lower = item.to_ascii_lowercase();
    if lower.is_empty() {
        return Err(error(
            item,
            "empty service",
            span,
            Some("write e.g. `tcp/443` or `ssh`".into()),
        ));
    }
    if lower == "all" {
        return Ok(PacketSet::client_traffic());
    }
    // A bare port (`db-sg:3306`) means TCP.
    if !lower.is_empty() && lower.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return parse_item(&format!("tcp/{lower}"), span);
    }
    if let Some((_, expansion)) = NAMED_SERVICES.iter().find(|(n, _)| *n == lower) {
        return parse_service(expansion)
            .map_err(|_| error(item, "bad built-in service", span, None));
    }
    let (proto, ports) = match lower.split_once('/') {
        Some((p, ports)) => (p, Some(ports)),
        None => (lower.as_str(), None),
    };
    let ephemeral = IntervalSet::range(u32::from(EPHEMERAL_PORTS.0), u32::from(EPHEMERAL_PORTS.1));
    match proto {
        "tcp" | "udp" => {
            let number = if proto == "tcp" { TCP } else { UDP };
            let dports = match ports {
                None => Dim::DstPort.full(),
                Some(p) => port_range(p).ok_or_else(|| {
                    error(
                        item,
                        "expected a port (0-65535) or a range such as 1024-65535",
                        span,
                        None,
                    )
                })?,
            };
            Ok(PacketSet::for_protocols(
                &IntervalSet::single(u32::from(number)),
                &ephemeral,
                &dports,
            ))
        }
        "icmp" => {
            let types = match ports {
                None => IntervalSet::range(0, 255),
                Some(t) => t
                    .parse::<u8>()
                    .map(|t| IntervalSet::single(u32::from(t)))
                    .map_err(|_| error(item, "expected an ICMP type (0-255)", span, None))?,
            };
            Ok(PacketSet::from_cube(
                Cube::full()
                    .with(Dim::Protocol, IntervalSet::single(u32::from(ICMP)))
                    .with(Dim::DstPort, types)
                    .with(Dim::SrcPort, IntervalSet::range(0, 255)),
            ))
        }
        "proto" => {
            let n = ports.and_then(|p| p.parse::<u8>().ok()).ok_or_else(|| {
                error(
                    item,
                    "expected a protocol number, e.g. proto/47",
                    span,
                    None,
                )
            })?;
            Ok(PacketSet::for_protocols(
                &IntervalSet::single(u32::from(n)),
                &ephemeral,
                &Dim::DstPort.full(),
            ))
        }
        _ => {
            let names = NAMED_SERVICES
                .iter()
                .map(|(n, _)| *n)
                .chain(["tcp", "udp", "icmp", "all"]);
            let help = suggest(&lower, names)
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| {
                    Some(
                        "use tcp/PORT, udp/PORT, icmp, all, proto/NUMBER or a name such as ssh"
                            .into(),
                    )
                });
            Err(error(item, "unknown service", span, help))
        }
    }
}

fn port_range(text: &str) -> Option<IntervalSet> {
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let (a, b) = (a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?);
    (a <= b).then(|| IntervalSet::range(u32::from(a), u32::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_expand_into_the_rules_they_stand_for() {
        let rule = |protocol: &str, ports: Option<&str>, icmp_type| RuleTraffic {
            protocol: protocol.into(),
            ports: ports.map(Into::into),
            icmp_type,
        };
        assert_eq!(
            rule_traffic("https, dns, 8080-8081").ok(),
            Some(vec![
                rule("tcp", Some("443"), None),
                rule("udp", Some("53"), None),
                rule("tcp", Some("53"), None),
                rule("tcp", Some("8080-8081"), None),
            ])
        );
        assert_eq!(
            rule_traffic("icmp/8, proto/47, all").ok(),
            Some(vec![
                rule("icmp", None, Some(8)),
                rule("47", None, None),
                rule("all", None, None),
            ])
        );
        assert!(rule_traffic("htps").is_err());
    }

    #[test]
    fn names_ranges_and_lists_parse() {
        assert_eq!(parse_service("ssh").unwrap().service_summary(), "tcp/22");
        assert_eq!(
            parse_service("dns").unwrap().service_summary(),
            "tcp/53, udp/53"
        );
        assert_eq!(
            parse_service("tcp/80, tcp/443").unwrap().service_summary(),
            "tcp/80, tcp/443"
        );
        assert_eq!(
            parse_service("tcp/1024-65535").unwrap().service_summary(),
            "tcp/1024-65535"
        );
        assert_eq!(
            parse_service("icmp/8").unwrap().service_summary(),
            "icmp type 8"
        );
        assert_eq!(parse_service("3306").unwrap().service_summary(), "tcp/3306");
        assert_eq!(
            parse_service("proto/47").unwrap().service_summary(),
            "proto 47"
        );
        assert!(
            parse_service("all")
                .unwrap()
                .same_as(&PacketSet::client_traffic())
        );
    }

    #[test]
    fn errors_point_at_the_item_and_suggest() {
        let e = parse_service("tcp/80, shh").unwrap_err();
        assert_eq!(e.span, (8, 3));
        assert_eq!(e.help.as_deref(), Some("did you mean `ssh`?"));
        assert!(parse_service("tcp/99999").is_err());
        assert!(parse_service("tcp/90-80").is_err());
        assert!(parse_service("icmp/300").is_err());
        assert!(parse_service("").is_err());
    }
}
