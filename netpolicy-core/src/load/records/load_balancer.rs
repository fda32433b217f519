//! Load-balancer listeners and target groups: the transport their protocol
//! runs on, and their ports.

use crate::load::LoadError;
use crate::load::document::Node;
use crate::load::read::{integer, invalid};
use crate::model::Protocol;
use crate::span::Span;

/// The transport of a listener or target-group protocol (`HTTP`, `TLS`,
/// `UDP`...); `None` for those netpolicy does not follow (`GENEVE`).
pub(crate) fn transport(protocol: &str) -> Option<Protocol> {
    match protocol.to_ascii_uppercase().as_str() {
        "HTTP" | "HTTPS" | "TCP" | "TLS" | "TCP_UDP" => Some(Protocol::Tcp),
        "UDP" => Some(Protocol::Udp),
        _ => None,
    }
}

/// The transports a listener accepts: `TCP_UDP` both, no protocol TCP (the
/// default of every load balancer type that has one).
pub(crate) fn listener_protocols(protocol: Option<&str>) -> Vec<Protocol> {
    match protocol {
        None => vec![Protocol::Tcp],
        Some(p) if p.eq_ignore_ascii_case("TCP_UDP") => vec![Protocol::Tcp, Protocol::Udp],
        Some(p) => transport(p).into_iter().collect(),
    }
}

/// The transport of a target group netpolicy follows: one of instance or
/// IP targets (the default type) over a protocol with a transport. `None` for
/// the others (Lambda, ALB and `GENEVE` target groups, or no protocol), which
/// every reader warns about as not modelled.
pub(crate) fn target_group_transport(
    target_type: Option<&str>,
    protocol: Option<&str>,
) -> Option<Protocol> {
    match target_type.unwrap_or("instance") {
        "instance" | "ip" => protocol.and_then(transport),
        _ => None,
    }
}

/// A listener, target-group or target port, 1-65535.
pub(crate) fn port(node: &Node) -> Result<u16, LoadError> {
    port_number(integer(node)?, node.span)
}

/// [`port`] of a number already read, reported at `span`.
pub(crate) fn port_number(value: i64, span: Span) -> Result<u16, LoadError> {
    u16::try_from(value)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| {
            invalid(
                format!("port {value} is out of range (1-65535)"),
                span,
                None,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_transports() {
        assert_eq!(listener_protocols(None), vec![Protocol::Tcp]);
        assert_eq!(listener_protocols(Some("HTTPS")), vec![Protocol::Tcp]);
        assert_eq!(
            listener_protocols(Some("tcp_udp")),
            vec![Protocol::Tcp, Protocol::Udp]
        );
        assert_eq!(listener_protocols(Some("UDP")), vec![Protocol::Udp]);
        assert!(listener_protocols(Some("GENEVE")).is_empty());
    }

    #[test]
    fn followed_target_groups() {
        let tcp = Some(Protocol::Tcp);
        assert_eq!(target_group_transport(None, Some("HTTP")), tcp);
        assert_eq!(target_group_transport(Some("ip"), Some("tls")), tcp);
        assert_eq!(
            target_group_transport(Some("instance"), Some("UDP")),
            Some(Protocol::Udp)
        );
        assert_eq!(target_group_transport(Some("lambda"), None), None);
        assert_eq!(target_group_transport(Some("alb"), Some("TCP")), None);
        assert_eq!(target_group_transport(None, Some("GENEVE")), None);
        assert_eq!(target_group_transport(None, None), None);
    }

    #[test]
    fn ports_are_1_to_65535() {
        let span = Span::new(crate::span::SourceId(0), 0, 1);
        assert_eq!(port_number(443, span).ok(), Some(443));
        for bad in [0, -1, 65536] {
            assert!(port_number(bad, span).is_err(), "{bad}");
        }
    }
}
