//! Load-balancer listeners and target groups: the transport their protocol
//! runs on, and their ports.

use crate::load::LoadError;
use crate::load::document::Node;
use crate::load::read::{integer, invalid};
use crate::model::Protocol;

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

/// A listener or target port, 1-65535.
pub(crate) fn port(node: &Node) -> Result<u16, LoadError> {
    let v = integer(node)?;
    u16::try_from(v).ok().filter(|p| *p != 0).ok_or_else(|| {
        invalid(
            format!("port {v} is out of range (1-65535)"),
            node.span,
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
}
