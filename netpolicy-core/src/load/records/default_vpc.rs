//! The default VPC, as AWS creates it in every region: where an instance
//! without a subnet and a security group without a VPC land.
//!
//! 172.31.0.0/16, one default subnet per availability zone (a /20 each, in
//! zone order, mapping public addresses on launch), an internet gateway, a
//! main route table that sends 0.0.0.0/0 to it, the default NACL (allows
//! everything) and the default security group (members reach each other,
//! everything goes out). The most exposed kind of network, and the one most
//! public samples deploy into.

use crate::diagnostic::Warning;
use crate::model::*;
use ipnet::Ipv4Net;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// The default VPC's id.
pub(crate) const ID: &str = "default-vpc";

/// The zones a region has default subnets in, at least.
const ZONES: [char; 3] = ['a', 'b', 'c'];

/// The id of the default subnet in `zone` (`us-east-1a`).
pub(crate) fn subnet(zone: &str) -> String {
    format!("{ID}/{zone}")
}

/// The zone a resource lands in when it names none (or one that cannot be
/// read): the region's first.
pub(crate) fn first_zone(region: &str) -> String {
    format!("{region}a")
}

/// The default subnet's block in `zone`: the /20 at the zone letter's place
/// (`a` 172.31.0.0/20, `b` 172.31.16.0/20, ...), as AWS numbers them.
fn block(zone: &str) -> Option<Ipv4Net> {
    let letter = zone.chars().last().filter(char::is_ascii_lowercase)?;
    let index = u32::from(letter) - u32::from('a');
    let base = u32::from(Ipv4Addr::new(172, 31, 0, 0)) + (index << 12);
    Ipv4Net::new(Ipv4Addr::from(base), 20)
        .ok()
        .filter(|_| index < 16)
}

/// Adds the default VPC to `parts` with a subnet in each of `zones` (and
/// the region's first three), returning the warning that says so and
/// naming the `users` that landed there.
pub(crate) fn add(
    parts: &mut ModelParts,
    region: &str,
    zones: &BTreeSet<String>,
    users: &[String],
    code: &'static str,
) -> Warning {
    let gateway = format!("{ID}/internet-gateway");
    let table = format!("{ID}/main-route-table");
    parts.vpcs.push(Vpc {
        meta: Meta {
            name: Some("default VPC".into()),
            ..Meta::new(ID)
        },
        cidr_blocks: vec![Ipv4Net::new(Ipv4Addr::new(172, 31, 0, 0), 16).unwrap_or_default()],
        main_route_table: Some(table.clone()),
        default_network_acl: None,
    });
    parts.internet_gateways.push(InternetGateway {
        meta: Meta::new(gateway.clone()),
        vpc: Some(ID.into()),
    });
    parts.route_tables.push(RouteTable {
        meta: Meta::new(table),
        vpc: ID.into(),
        routes: vec![Route {
            destination: RouteDestination::Cidr(Ipv4Net::default()),
            target: RouteTarget::InternetGateway(gateway),
            span: None,
        }],
    });
    let mut all: BTreeSet<String> = ZONES.iter().map(|z| format!("{region}{z}")).collect();
    all.extend(zones.iter().cloned());
    for zone in all {
        let Some(cidr) = block(&zone) else { continue };
        parts.subnets.push(Subnet {
            meta: Meta {
                name: Some(format!("default subnet {zone}")),
                ..Meta::new(subnet(&zone))
            },
            vpc: ID.into(),
            cidr,
            availability_zone: Some(zone),
            map_public_ip_on_launch: true,
            route_table: None,
            network_acl: None,
        });
    }
    let shown: Vec<&str> = users.iter().take(5).map(String::as_str).collect();
    let more = users.len().saturating_sub(shown.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Warning::new(
        code,
        format!(
            "{}{more} name no VPC or subnet: placed in the default VPC `{ID}` (172.31.0.0/16, public default subnets, an internet gateway), as AWS does",
            shown.join(", ")
        ),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_subnets_follow_the_zone_letter() {
        assert_eq!(
            block("us-east-1a").map(|b| b.to_string()).as_deref(),
            Some("172.31.0.0/20")
        );
        assert_eq!(
            block("eu-west-3c").map(|b| b.to_string()).as_deref(),
            Some("172.31.32.0/20")
        );
        assert_eq!(block("us-east-1?"), None);
    }
}
