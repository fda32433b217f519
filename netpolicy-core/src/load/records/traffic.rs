//! What a rule matches: the protocol, and its port range or ICMP type and code,
//! as EC2 writes them in security-group rules (`IpProtocol`, `FromPort`,
//! `ToPort`) and NACL entries (`Protocol`, `PortRange`, `IcmpTypeCode`). Every
//! reader hands its fields here, so a value is accepted or rejected, with the
//! same words, whatever the format.

use crate::load::LoadError;
use crate::load::document::Node;
use crate::load::read::{integer, invalid, type_error};
use crate::model::{PortMatch, Protocol, TrafficMatch};
use crate::span::Span;

/// An AWS protocol: `-1`/`all`, `tcp`, `udp`, `icmp`, `icmpv6` or a number
/// 0-255.
pub(crate) fn protocol(node: &Node) -> Result<Protocol, LoadError> {
    let text = node
        .scalar_text()
        .ok_or_else(|| type_error("a protocol", node))?;
    if text.trim().eq_ignore_ascii_case("icmpv6") {
        return Ok(Protocol::Number(58));
    }
    Protocol::parse(&text).ok_or_else(|| {
        let help = crate::suggest::suggest(&text, ["tcp", "udp", "icmp", "icmpv6", "all"])
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| {
                "AWS writes -1 (all), tcp, udp, icmp, icmpv6 or a protocol number 0-255".into()
            });
        invalid(format!("unknown protocol `{text}`"), node.span, Some(help))
    })
}

/// The ports of a rule of `protocol`: for TCP and UDP the range `from`-`to`
/// (absent or `-1` meaning every port, a lone `from` one port), for ICMP the
/// type `from` and code `to` (absent or `-1` meaning any); other protocols
/// have no ports. `span` is the rule, for errors about the pair.
pub(crate) fn ports(
    protocol: Protocol,
    from: Option<&Node>,
    to: Option<&Node>,
    span: Span,
) -> Result<PortMatch, LoadError> {
    match protocol {
        Protocol::Tcp | Protocol::Udp => port_range(from, to, span),
        Protocol::Icmp => {
            let icmp_type = icmp_value(from, "type")?;
            let icmp_code = icmp_value(to, "code")?;
            Ok(match (icmp_type, icmp_code) {
                (None, None) => PortMatch::Any,
                (icmp_type, icmp_code) => PortMatch::Icmp {
                    icmp_type,
                    icmp_code,
                },
            })
        }
        _ => Ok(PortMatch::Any),
    }
}

/// [`protocol`] and [`ports`] together.
pub(crate) fn traffic(
    protocol_node: &Node,
    from: Option<&Node>,
    to: Option<&Node>,
    span: Span,
) -> Result<TrafficMatch, LoadError> {
    let protocol = protocol(protocol_node)?;
    let ports = ports(protocol, from, to, span)?;
    Ok(TrafficMatch { protocol, ports })
}

fn port_range(from: Option<&Node>, to: Option<&Node>, span: Span) -> Result<PortMatch, LoadError> {
    let first = from.map(port).transpose()?;
    let last = to.map(port).transpose()?;
    match (first, last) {
        (None, None) | (Some(None), _) | (_, Some(None)) => Ok(PortMatch::Any),
        (None, Some(Some(last))) => Err(invalid(
            format!("the rule ends its port range at {last} but gives no first port"),
            span,
            Some("give FromPort (from_port) too, or -1 for every port".into()),
        )),
        (Some(Some(first)), last) => {
            let last = last.flatten().unwrap_or(first);
            if first > last {
                return Err(invalid(
                    format!("port range {first}-{last} is reversed"),
                    span,
                    Some(format!("did you mean {last}-{first}?")),
                ));
            }
            Ok(PortMatch::Range { first, last })
        }
    }
}

/// A port; `None` for `-1`, which AWS writes for "every port".
fn port(node: &Node) -> Result<Option<u16>, LoadError> {
    match integer(node)? {
        -1 => Ok(None),
        v => u16::try_from(v).map(Some).map_err(|_| {
            invalid(
                format!("port {v} is out of range (0-65535, or -1 for all)"),
                node.span,
                None,
            )
        }),
    }
}

/// An ICMP type or code; `None` when absent or `-1` (any).
fn icmp_value(node: Option<&Node>, what: &str) -> Result<Option<u8>, LoadError> {
    let Some(node) = node else { return Ok(None) };
    match integer(node)? {
        -1 => Ok(None),
        v => u8::try_from(v).map(Some).map_err(|_| {
            invalid(
                format!("ICMP {what} {v} is out of range (0-255, or -1 for any)"),
                node.span,
                None,
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::document::Value;

    fn n(v: i64) -> Node {
        Node {
            value: Value::String(v.to_string().into()),
            span: Span::new(crate::span::SourceId(0), 0, 0),
            tag: None,
        }
    }

    fn tcp(from: Option<i64>, to: Option<i64>) -> Result<PortMatch, LoadError> {
        let (from, to) = (from.map(n), to.map(n));
        ports(
            Protocol::Tcp,
            from.as_ref(),
            to.as_ref(),
            Span::new(crate::span::SourceId(0), 0, 0),
        )
    }

    fn icmp(ty: Option<i64>, code: Option<i64>) -> Result<PortMatch, LoadError> {
        let (ty, code) = (ty.map(n), code.map(n));
        ports(
            Protocol::Icmp,
            ty.as_ref(),
            code.as_ref(),
            Span::new(crate::span::SourceId(0), 0, 0),
        )
    }

    #[test]
    fn port_ranges_as_ec2_reads_them() {
        let range = |first, last| Ok(PortMatch::Range { first, last });
        assert_eq!(tcp(Some(80), Some(443)), range(80, 443));
        assert_eq!(tcp(Some(22), None), range(22, 22));
        assert_eq!(tcp(None, None), Ok(PortMatch::Any));
        assert_eq!(tcp(Some(-1), Some(-1)), Ok(PortMatch::Any));
        assert_eq!(tcp(Some(0), Some(65535)), range(0, 65535));
    }

    #[test]
    fn out_of_range_and_reversed_ports_are_errors() {
        assert!(tcp(Some(-5), Some(80)).is_err());
        assert!(tcp(Some(80), Some(70000)).is_err());
        assert!(tcp(Some(443), Some(80)).is_err());
        assert!(tcp(None, Some(80)).is_err());
    }

    #[test]
    fn icmp_type_and_code() {
        assert_eq!(icmp(Some(-1), Some(-1)), Ok(PortMatch::Any));
        assert_eq!(
            icmp(Some(3), Some(-1)),
            Ok(PortMatch::Icmp {
                icmp_type: Some(3),
                icmp_code: None
            })
        );
        assert!(icmp(Some(300), None).is_err());
        assert!(icmp(Some(8), Some(-2)).is_err());
    }

    #[test]
    fn protocol_spellings() {
        let p = |t: &str| {
            protocol(&Node {
                value: Value::String(t.into()),
                span: Span::new(crate::span::SourceId(0), 0, 0),
                tag: None,
            })
        };
        assert_eq!(p("-1"), Ok(Protocol::All));
        assert_eq!(p("TCP"), Ok(Protocol::Tcp));
        assert_eq!(p("6"), Ok(Protocol::Tcp));
        assert_eq!(p("icmpv6"), Ok(Protocol::Number(58)));
        assert!(p("tcpp").is_err());
        assert!(p("256").is_err());
    }
}
