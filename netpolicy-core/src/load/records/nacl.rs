//! A network ACL entry's own fields: its number and its action.

use crate::load::LoadError;
use crate::load::document::Node;
use crate::load::read::{integer, invalid, type_error};
use crate::model::NaclAction;

/// The largest number a NACL entry may have; 32767 is the implicit `*` entry.
pub(crate) const LAST_RULE_NUMBER: i64 = 32766;

/// A rule number, 1-32766.
pub(crate) fn rule_number(node: &Node) -> Result<u16, LoadError> {
    let number = integer(node)?;
    u16::try_from(number)
        .ok()
        .filter(|n| (1..=LAST_RULE_NUMBER).contains(&i64::from(*n)))
        .ok_or_else(|| {
            invalid(
                format!("rule number {number} is out of range (1-{LAST_RULE_NUMBER})"),
                node.span,
                None,
            )
        })
}

/// `allow` or `deny`, in any case.
pub(crate) fn rule_action(node: &Node) -> Result<NaclAction, LoadError> {
    let text = node
        .as_str()
        .ok_or_else(|| type_error("allow or deny", node))?;
    match text.to_ascii_lowercase().as_str() {
        "allow" => Ok(NaclAction::Allow),
        "deny" => Ok(NaclAction::Deny),
        _ => Err(invalid(
            format!("unknown rule action `{text}`"),
            node.span,
            Some("AWS writes `allow` or `deny`".into()),
        )),
    }
}
