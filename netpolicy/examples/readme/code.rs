use netpolicy::{Network, Policy};

fn main() -> miette::Result<()> {
    // A CloudFormation template, a Terraform plan (JSON), an AWS CLI dump
    // folder or a native model: the format is detected.
    let network = Network::load("network.json")?;
    let policy: Policy = "no internet -> vpc:* : ssh, rdp".parse()?;
    let report = network.check(&policy)?;
    print!("{}", report.render_text());
    // One question, with the path each answer takes.
    println!("{}", network.reach("internet", "vpc:*", "ssh")?);
    Ok(())
}
