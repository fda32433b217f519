//! netpolicy embedded in a program: load a network, check a policy, ask one
//! question with its trace, list exposure, validate a policy with typos, and
//! build a network in code. `cargo run -p netpolicy-embedding-example`.

use netpolicy::build::{Instance, NetworkBuilder, SecurityGroup, Subnet, Vpc};
use netpolicy::{CheckOptions, Network, Policy, Report};

fn main() -> miette::Result<()> {
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/cloudformation"
    );
    let network = Network::load(format!("{fixtures}/inspector-reachability-workshop.json"))?;

    let policy: Policy = r#"assert "no ssh from the internet": no internet -> * : ssh"#.parse()?;
    let report = network.check_with(&policy, &CheckOptions::default().all_counterexamples())?;
    print!("{}", report.render_text());
    let json = serde_json::to_string(&report).map_err(|e| miette::miette!("{e}"))?;
    let read_back: Report = serde_json::from_str(&json).map_err(|e| miette::miette!("{e}"))?;
    assert_eq!(read_back, report);

    println!(
        "\n{}",
        network.reach("internet", "instance:BastionAZ1", "ssh")?
    );

    for x in network.exposure().iter().filter(|x| !x.is_empty()) {
        let services: Vec<&str> = x.open.iter().map(|o| o.service.as_str()).collect();
        println!("exposed: {} on {}", x.label, services.join(", "));
    }

    let typos: Policy = "no internet -> sg:Nope : ssh\nno instance:Nada -> internet".parse()?;
    for error in network.validate(&typos).errors {
        println!("{error}");
    }

    let built = NetworkBuilder::new()
        .vpc(Vpc::new("prod", "10.0.0.0/16").with_internet_gateway())
        .subnet(Subnet::new("web", "prod", "10.0.1.0/24").public())
        .subnet(Subnet::new("data", "prod", "10.0.2.0/24"))
        .security_group(SecurityGroup::new("web-sg", "prod").ingress("tcp/443", "0.0.0.0/0"))
        .security_group(SecurityGroup::new("db-sg", "prod").ingress("tcp/5432", "sg:web-sg"))
        .instance(Instance::new("web-1", "web").group("web-sg"))
        .instance(Instance::new("db-1", "data").group("db-sg"))
        .build()?;
    let tiers: Policy = "only sg:web-sg -> sg:db-sg : tcp/5432\nno internet -> sg:db-sg".parse()?;
    print!("\n{}", built.check(&tiers)?.render_text());
    Ok(())
}
