//! The network with a layer of filtering taken away, for assertions that must
//! hold on the other layers alone (`ignoring sg`, `ignoring nacl`: defense in
//! depth). The engine needs no mode of its own: it evaluates the changed model
//! exactly as any other, so every path (pair by pair, by class, exposure) agrees.

use super::{EniOwner, Model};

/// Which filtering layers an evaluation leaves out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ignored {
    /// Security groups: every interface sends and accepts anything, and
    /// load-balancer nodes and endpoint interfaces behave as hosts that could
    /// be compromised (they may open connections to anyone).
    pub security_groups: bool,
    /// Network ACLs: every subnet lets everything in and out.
    pub network_acls: bool,
}

impl Ignored {
    /// Whether nothing is left out.
    pub fn is_nothing(self) -> bool {
        !self.security_groups && !self.network_acls
    }
}

impl Model {
    /// This model with the layers in `ignored` opened up. Ids, addresses,
    /// routes and spans stay as they are, so selectors and reports still name
    /// the user's objects.
    pub fn ignoring(&self, ignored: Ignored) -> Model {
        let mut model = self.clone();
        model.ignored = ignored;
        if ignored.security_groups {
            for eni in &mut model.parts.enis {
                eni.sg_enforced = false;
                if matches!(
                    eni.owner,
                    EniOwner::LoadBalancer(_) | EniOwner::VpcEndpoint(_)
                ) {
                    eni.owner = EniOwner::None;
                }
            }
        }
        model
    }

    /// The layers this model was opened up in by [`Model::ignoring`]; the
    /// engine lets everything through them and says so in traces.
    pub fn ignored(&self) -> Ignored {
        self.ignored
    }
}
