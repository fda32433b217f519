//! A VPC endpoint's type, as EC2 writes it (`VpcEndpointType`).

use crate::model::EndpointKind;

/// What an endpoint of a given type is to netpolicy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndpointType {
    /// A gateway or interface endpoint, modelled.
    Modelled(EndpointKind),
    /// An endpoint that hands packets to an appliance (a Gateway Load
    /// Balancer endpoint, a Network Firewall endpoint): not followed.
    Appliance,
}

/// The endpoint type `text` names, in any case; a Gateway endpoint when the
/// input gives none, as AWS creates it (CloudFormation
/// `AWS::EC2::VPCEndpoint`, `VpcEndpointType`: "Default: Gateway").
pub(crate) fn endpoint_type(text: Option<&str>) -> EndpointType {
    match text.map(str::to_ascii_lowercase).as_deref() {
        None | Some("gateway") => EndpointType::Modelled(EndpointKind::Gateway),
        Some("interface") => EndpointType::Modelled(EndpointKind::Interface),
        Some(_) => EndpointType::Appliance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_as_aws_writes_them() {
        let gateway = EndpointType::Modelled(EndpointKind::Gateway);
        assert_eq!(endpoint_type(None), gateway, "AWS's default");
        assert_eq!(endpoint_type(Some("Gateway")), gateway);
        assert_eq!(
            endpoint_type(Some("interface")),
            EndpointType::Modelled(EndpointKind::Interface)
        );
        assert_eq!(
            endpoint_type(Some("GatewayLoadBalancer")),
            EndpointType::Appliance
        );
    }
}
