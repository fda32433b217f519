//! `netpolicy gen`: a synthetic organization, written as a model file or a dump.

use crate::Outcome;
use crate::args::{GenArgs, GenFormat};
use miette::{IntoDiagnostic, Report, WrapErr};
use netpolicy_core::synth::{self, Spec};
use std::io::Write;
use std::time::Instant;

/// Runs the command.
pub fn run(args: &GenArgs) -> Result<Outcome, Report> {
    let spec = spec(args);
    let start = Instant::now();
    let model = synth::generate(&spec)?;
    let writer: fn(&netpolicy_core::model::Model, &mut dyn Write) -> std::io::Result<()> =
        match args.format {
            GenFormat::AwsCli => {
                synth::aws_cli::write(&model, &args.out)
                    .into_diagnostic()
                    .wrap_err_with(|| {
                        format!("cannot write the dump into {}", args.out.display())
                    })?;
                return Ok(summary(args, &model, start));
            }
            GenFormat::Native => |m, mut out| synth::native::write(m, &mut out),
            GenFormat::Cloudformation => |m, mut out| synth::cloudformation::write(m, &mut out),
            GenFormat::Terraform => |m, mut out| synth::terraform::write(m, &mut out),
        };
    let file = std::fs::File::create(&args.out)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot create {}", args.out.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    writer(&model, &mut out)
        .and_then(|()| out.flush())
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write {}", args.out.display()))?;
    Ok(summary(args, &model, start))
}

fn summary(args: &GenArgs, model: &netpolicy_core::model::Model, start: Instant) -> Outcome {
    let rules: usize = model
        .security_groups()
        .iter()
        .map(|g| g.ingress.len() + g.egress.len())
        .sum();
    eprintln!(
        "wrote {} ({} VPCs, {} subnets, {} interfaces, {} security groups, {} rules, {} peerings, {} load balancers) in {:.1} s",
        args.out.display(),
        model.vpcs().len(),
        model.subnets().len(),
        model.enis().len(),
        model.security_groups().len(),
        rules,
        model.peerings().len(),
        model.load_balancers().len(),
        start.elapsed().as_secs_f64()
    );
    Outcome::Ok
}

fn spec(args: &GenArgs) -> Spec {
    let base = args.preset.spec();
    Spec {
        vpcs: args.vpcs.unwrap_or(base.vpcs),
        subnets_per_vpc: args.subnets_per_vpc.unwrap_or(base.subnets_per_vpc),
        enis: args.enis.unwrap_or(base.enis),
        security_groups: args.security_groups.unwrap_or(base.security_groups),
        rules_per_group: args.rules_per_group.unwrap_or(base.rules_per_group),
        sg_sets_per_subnet: args.sg_sets_per_subnet.unwrap_or(base.sg_sets_per_subnet),
        hub_size: args.hub_size.unwrap_or(base.hub_size),
        internet_percent: args.internet_percent.unwrap_or(base.internet_percent),
        load_balancers: args.load_balancers.unwrap_or(base.load_balancers),
        shape: args.shape,
        seed: args.seed,
    }
}
