//! The example runs, and its policies are snapshot-tested the way a user of
//! the `testing` feature would.

use netpolicy::build::{Instance, NetworkBuilder, SecurityGroup, Subnet, Vpc};
use netpolicy::{Network, Policy, assert_policy_snapshot};

#[test]
fn the_example_runs() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_embedding"))
        .output()
        .expect("the example starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("VIOLATED no ssh from the internet"),
        "{stdout}"
    );
    assert!(
        stdout.contains("no security group matches `Nope`"),
        "{stdout}"
    );
    assert!(stdout.contains("no instance matches `Nada`"), "{stdout}");
    assert!(stdout.contains("2 holds, 0 violated"), "{stdout}");
}

#[test]
fn workshop_policy_snapshot() -> Result<(), netpolicy::Error> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let policy = Policy::from_file(format!("{root}/policies/inspector-workshop.np"))?;
    let network = Network::for_policy(&policy)?;
    assert_policy_snapshot!(network, policy);
    Ok(())
}

#[test]
fn built_network_snapshot() -> Result<(), netpolicy::Error> {
    let network = NetworkBuilder::new()
        .name("two-tier")
        .vpc(Vpc::new("prod", "10.0.0.0/16").with_internet_gateway())
        .subnet(Subnet::new("web", "prod", "10.0.1.0/24").public())
        .subnet(Subnet::new("data", "prod", "10.0.2.0/24"))
        .security_group(SecurityGroup::new("web-sg", "prod").ingress("tcp/443", "0.0.0.0/0"))
        .security_group(SecurityGroup::new("db-sg", "prod").ingress("tcp/5432", "10.0.0.0/16"))
        .instance(Instance::new("web-1", "web").group("web-sg"))
        .instance(Instance::new("db-1", "data").group("db-sg"))
        .build()?;
    let policy = Policy::parse(
        "tiers.np",
        "assert \"db only from web\": only sg:web-sg -> sg:db-sg : tcp/5432\n\
         no internet -> sg:db-sg",
    )?;
    assert_policy_snapshot!(network, policy);
    Ok(())
}
