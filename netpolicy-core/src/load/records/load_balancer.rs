//! Load-balancer listeners and target groups: the transport their protocol
//! runs on, and their ports.

use crate::load::LoadError;
use crate::load::document::{Node, Value};
use crate::load::read::{integer, invalid};
use crate::model::{LoadBalancerKind, Protocol, TargetRef};
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

/// The load-balancer type `text` names, in any case; an application load
/// balancer when the input gives none, as AWS creates it
/// (`CreateLoadBalancer`, `Type`: "The default is application"). `None` for
/// a type netpolicy does not model (Gateway Load Balancers).
pub(crate) fn kind(text: Option<&str>) -> Option<LoadBalancerKind> {
    match text.map(str::to_ascii_lowercase).as_deref() {
        None | Some("application") => Some(LoadBalancerKind::Application),
        Some("network") => Some(LoadBalancerKind::Network),
        Some(_) => None,
    }
}

/// A target of a group of `target_type` (instance targets when absent, as
/// AWS defaults): the address an IP target registers, else the instance.
pub(crate) fn target(target_type: Option<&str>, id: &Node) -> Result<TargetRef, LoadError> {
    target_id(target_type, crate::load::read::string(id)?, id.span)
}

/// [`target`] for an id already read (`span`: where it is written).
pub(crate) fn target_id(
    target_type: Option<&str>,
    id: String,
    span: Span,
) -> Result<TargetRef, LoadError> {
    if !target_type.is_some_and(|t| t.eq_ignore_ascii_case("ip")) {
        return Ok(TargetRef::Instance(id));
    }
    id.parse()
        .map(TargetRef::Ip)
        .map_err(|_| invalid(format!("`{id}` is not an IPv4 address"), span, None))
}

/// Whether a load balancer with `scheme` has public nodes: AWS's default
/// scheme is `internet-facing` (Elastic Load Balancing API reference,
/// `CreateLoadBalancer`: "The default is an Internet-facing load
/// balancer"); only `internal` makes it private.
pub(crate) fn internet_facing(scheme: Option<&str>) -> bool {
    !scheme.is_some_and(|s| s.eq_ignore_ascii_case("internal"))
}

/// Whether a network load balancer forwarding to a target group keeps the
/// client's address as the source its targets see (AWS, "Edit target group
/// attributes for your Network Load Balancer", client IP preservation):
/// always for UDP and TCP_UDP groups (it cannot be turned off); for TCP and
/// TLS groups the `preserve_client_ip.enabled` attribute, by default on for
/// instance targets and off for IP targets. An application load balancer
/// never does (the engine asks only for network ones).
pub(crate) fn preserves_client_ip(
    target_type: Option<&str>,
    protocol: Option<&str>,
    attribute: Option<bool>,
) -> bool {
    let protocol = protocol.unwrap_or_default().to_ascii_uppercase();
    if matches!(protocol.as_str(), "UDP" | "TCP_UDP" | "QUIC" | "TCP_QUIC") {
        return true;
    }
    attribute.unwrap_or(target_type.unwrap_or("instance") == "instance")
}

/// The target-group attribute that turns client IP preservation on or off.
pub(crate) const PRESERVE_CLIENT_IP: &str = "preserve_client_ip.enabled";

/// The target-group attribute keys AWS documents (Elastic Load Balancing
/// API reference, `TargetGroupAttribute`): any other is a typo that would
/// leave a setting at its default unnoticed.
const ATTRIBUTE_KEYS: &[&str] = &[
    "deregistration_delay.timeout_seconds",
    "deregistration_delay.connection_termination.enabled",
    "stickiness.enabled",
    "stickiness.type",
    "stickiness.lb_cookie.duration_seconds",
    "stickiness.app_cookie.cookie_name",
    "stickiness.app_cookie.duration_seconds",
    "load_balancing.algorithm.type",
    "load_balancing.algorithm.anomaly_mitigation",
    "load_balancing.cross_zone.enabled",
    "slow_start.duration_seconds",
    "lambda.multi_value_headers.enabled",
    PRESERVE_CLIENT_IP,
    "proxy_protocol_v2.enabled",
    "target_health_state.unhealthy.connection_termination.enabled",
    "target_health_state.unhealthy.draining_interval_seconds",
    "target_group_health.dns_failover.minimum_healthy_targets.count",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
];

/// Why a target-group attribute key is not one AWS knows, if it is not.
pub(crate) fn unknown_attribute_key(key: &str) -> Option<String> {
    (!ATTRIBUTE_KEYS.contains(&key)).then(|| {
        format!("target-group attribute `{key}` is not one AWS knows (a typo of `{PRESERVE_CLIENT_IP}`?): ignored")
    })
}

/// The value of a target-group attribute given as text (`"true"`,
/// `"false"`), or why it is not a boolean.
pub(crate) fn boolean_attribute(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!(
            "`{PRESERVE_CLIENT_IP}` is `{value}`, not true or false: the default for the group's type and protocol applies"
        )),
    }
}

/// [`boolean_attribute`] of a value as a document holds it: text (AWS and
/// Terraform write `"true"`), a boolean, or nothing (`None`: the default).
pub(crate) fn preserve_client_ip_value(node: &Node) -> Result<Option<bool>, String> {
    match &node.value {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => boolean_attribute(s).map(Some),
        _ => {
            let text = node
                .scalar_text()
                .unwrap_or_else(|| "a list or mapping".into());
            boolean_attribute(&text).map(Some)
        }
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
    fn client_ip_preservation_defaults() {
        // Instance targets: on by default, the attribute turns it off.
        assert!(preserves_client_ip(None, Some("TCP"), None));
        assert!(preserves_client_ip(Some("instance"), Some("TLS"), None));
        assert!(!preserves_client_ip(
            Some("instance"),
            Some("TCP"),
            Some(false)
        ));
        // IP targets: off for TCP and TLS unless turned on.
        assert!(!preserves_client_ip(Some("ip"), Some("TCP"), None));
        assert!(!preserves_client_ip(Some("ip"), Some("tls"), None));
        assert!(preserves_client_ip(Some("ip"), Some("TCP"), Some(true)));
        // UDP and TCP_UDP: always, whatever the attribute says.
        assert!(preserves_client_ip(Some("ip"), Some("UDP"), None));
        assert!(preserves_client_ip(
            Some("ip"),
            Some("TCP_UDP"),
            Some(false)
        ));
        assert_eq!(boolean_attribute(" True"), Ok(true));
        assert!(boolean_attribute("yes").is_err());
        assert!(unknown_attribute_key("stickiness.enabled").is_none());
        assert!(unknown_attribute_key("preserve_client_ip.enable").is_some());
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
