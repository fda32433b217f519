//! Names to engine endpoints.

use netpolicy_core::engine::Endpoint;
use netpolicy_core::model::Model;
use netpolicy_core::suggest::suggest;

/// A name that denotes no endpoint of the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("no endpoint named `{name}`")]
#[diagnostic(code(np::resolve::unknown_endpoint))]
pub struct ResolveError {
    /// The name.
    pub name: String,
    /// A suggestion.
    #[help]
    pub help: Option<String>,
}

/// Resolves `internet`, `onprem`, or the id or name of an interface, instance
/// (its interfaces) or load balancer (its nodes).
pub fn resolve_endpoint(model: &Model, name: &str) -> Result<Vec<Endpoint>, ResolveError> {
    match name {
        "internet" => return Ok(vec![Endpoint::Internet]),
        "onprem" => return Ok(vec![Endpoint::OnPrem]),
        _ => {}
    }
    let matches = |id: &str, n: Option<&String>| id == name || n.is_some_and(|n| n == name);
    if let Some(e) = model
        .enis()
        .iter()
        .find(|e| matches(&e.meta.id, e.meta.name.as_ref()) && !e.meta.id.contains('/'))
    {
        return Ok(vec![Endpoint::Eni(e.meta.id.clone())]);
    }
    if let Some(i) = model
        .instances()
        .iter()
        .find(|i| matches(&i.meta.id, i.meta.name.as_ref()))
    {
        return Ok(i.enis.iter().map(|e| Endpoint::Eni(e.clone())).collect());
    }
    if let Some(lb) = model
        .load_balancers()
        .iter()
        .find(|l| matches(&l.meta.id, l.meta.name.as_ref()))
    {
        return Ok(lb.nodes.iter().map(|e| Endpoint::Eni(e.clone())).collect());
    }
    if let Some(e) = model.enis().iter().find(|e| e.meta.id == name) {
        return Ok(vec![Endpoint::Eni(e.meta.id.clone())]);
    }
    let candidates = model
        .enis()
        .iter()
        .map(|e| e.meta.id.as_str())
        .chain(model.instances().iter().map(|i| i.meta.id.as_str()))
        .chain(model.load_balancers().iter().map(|l| l.meta.id.as_str()))
        .chain(["internet", "onprem"]);
    Err(ResolveError {
        name: name.to_string(),
        help: suggest(name, candidates).map(|s| format!("did you mean `{s}`?")),
    })
}
