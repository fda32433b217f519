//! Whether an instance's interface gets a public IPv4 address at launch.

/// The public address an interface launched with an instance gets: `Some`
/// when the launch decides it, `None` when its subnet's
/// `MapPublicIpOnLaunch` does (once every subnet is read). AWS (EC2 user
/// guide, "Public IPv4 addresses" and the launch settings): only the
/// interface at device index 0 can get one, and none does when the instance
/// is launched with more than one interface; `AssociatePublicIpAddress`
/// overrides the subnet otherwise. An Elastic IP associated later gives one
/// whatever this says.
pub(crate) fn at_launch(
    associate: Option<bool>,
    device_index: i64,
    interfaces_at_launch: usize,
) -> Option<bool> {
    match associate {
        _ if device_index != 0 || interfaces_at_launch > 1 => Some(false),
        Some(given) => Some(given),
        None => None,
    }
}

/// Gives a public address to each interface of `interfaces` (launched where
/// [`at_launch`] left it to the subnet) whose subnet maps public addresses
/// on launch. Only ever adds one: an Elastic IP associated with the
/// interface stays, whatever the subnet maps.
pub(crate) fn follow_subnets(parts: &mut crate::model::ModelParts, interfaces: &[String]) {
    if interfaces.is_empty() {
        return;
    }
    let mapping: std::collections::HashSet<&str> = (parts.subnets.iter())
        .filter(|s| s.map_public_ip_on_launch)
        .map(|s| s.meta.id.as_str())
        .collect();
    let interfaces: std::collections::HashSet<&str> =
        interfaces.iter().map(String::as_str).collect();
    for e in &mut parts.enis {
        if interfaces.contains(e.meta.id.as_str()) && mapping.contains(e.subnet.as_str()) {
            e.auto_public_ip = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lone_primary_interface_is_public_at_launch() {
        assert_eq!(at_launch(None, 0, 1), None, "the subnet decides");
        assert_eq!(at_launch(Some(false), 0, 1), Some(false));
        assert_eq!(at_launch(Some(true), 0, 1), Some(true));
        assert_eq!(at_launch(None, 1, 2), Some(false), "device 1 never");
        assert_eq!(at_launch(None, 0, 2), Some(false), "two interfaces: none");
    }
}
