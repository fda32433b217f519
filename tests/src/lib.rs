//! Test support for netpolicy: a brute-force oracle that walks one concrete packet
//! through a model, and a generator of small random networks to cross-check the
//! engine against it.
//!
//! The oracle shares no code with the engine's set logic: it reads the model and
//! decides each hop with plain comparisons, straight from docs/semantics.md.

pub mod generate;
pub mod oracle;

/// The files of the workshop's AWS CLI dump that damage tests and the fuzzer
/// mutate, one at a time.
pub const DUMP_FILES: &[&str] = &[
    "ec2-describe-instances.json",
    "ec2-describe-network-interfaces.json",
    "ec2-describe-route-tables.json",
    "ec2-describe-security-groups.json",
    "elbv2-describe-listeners.json",
    "elbv2-describe-target-health.json",
];

/// Each assertion of `policy` as written, with its status on `model`, in
/// policy order; the parse or check error as text.
pub fn statuses(
    model: &netpolicy_core::model::Model,
    policy: &str,
) -> Result<Vec<(String, netpolicy_lang::report::Status)>, String> {
    let mut sources = netpolicy_core::span::SourceMap::default();
    let id = sources.add("policy.np", policy);
    let parsed = netpolicy_lang::parse_policy(policy, id).map_err(|e| e.to_string())?;
    let report =
        netpolicy_lang::check::check_policy(model, &parsed, &sources, "policy.np", "the input")
            .map_err(|e| e.to_string())?;
    Ok((report.verdicts.into_iter())
        .map(|v| (v.assertion, v.status))
        .collect())
}

/// Renders a diagnostic as a user sees it without colour, at a fixed width, for
/// snapshot tests.
pub fn render_diagnostic(diagnostic: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100);
    match handler.render_report(&mut out, diagnostic) {
        Ok(()) => out,
        Err(e) => format!("render failed: {e}"),
    }
}
