//! The shared AWS vocabulary: what every reader turns its document into.
//!
//! The pipeline of a load is *read -> records -> model*. A format's reader
//! (`native`, `aws_cli`, `cloudformation`, `terraform`) knows only its syntax:
//! where a value sits, how references are written, what the format leaves
//! unknown. What a value means in AWS is decided here, once for every format:
//! protocols, port ranges and ICMP types ([`traffic`]), NACL entry numbers and
//! actions ([`nacl`]), route target fields ([`route`]), listener and target
//! group protocols and ports ([`load_balancer`]), which interfaces are public
//! at launch ([`public_address`]), what stands for a value the
//! document leaves unknown ([`unknown`]), and the records being
//! assembled, found by id in constant time ([`Records`]), and what a load
//! left out ([`coverage`]). [`Model::build`]
//! then checks the references between records and freezes the model.
//!
//! [`Model::build`]: crate::model::Model::build

pub(crate) mod coverage;
pub(crate) mod default_group;
pub(crate) mod default_vpc;
pub(crate) mod endpoint;
pub(crate) mod external;
pub(crate) mod finish;
mod index;
pub(crate) mod load_balancer;
pub(crate) mod nacl;
pub(crate) mod public_address;
pub(crate) mod reconcile;
pub(crate) mod route;
pub(crate) mod traffic;
pub(crate) mod unknown;

pub(crate) use index::Records;

use super::LoadError;
use super::read::invalid;
use crate::span::Span;

/// `owner` (at `span`) names a `kind` with `id` that `document` (`the
/// template`, `the plan`) does not define.
pub(crate) fn dangling(owner: &str, kind: &str, id: &str, span: Span, document: &str) -> LoadError {
    invalid(
        format!("`{owner}` names {kind} `{id}`, which is not in {document}"),
        span,
        None,
    )
}

/// The id of the interface an instance is launched with at `device_index`
/// where the input gives it none (a template's `NetworkInterfaces` entry
/// without an id).
pub(crate) fn launched_interface(instance: &str, device_index: i64) -> String {
    format!("{instance}/eni{device_index}")
}

/// The id of the interface an instance is launched with (device 0) where the
/// input gives it none (a template's `SubnetId` on the instance, a native
/// inline instance).
pub(crate) fn primary_interface(instance: &str) -> String {
    launched_interface(instance, 0)
}
