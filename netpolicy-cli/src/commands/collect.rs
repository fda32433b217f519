//! `netpolicy collect`: runs the read-only AWS CLI calls a dump needs and writes
//! their answers where `check --model DIR` reads them.
//!
//! Calls that answer for one resource at a time (listeners per load balancer,
//! target health per target group, prefix-list entries per list, tags per 20
//! ARNs) are run per resource and merged into one file, with what the merge
//! needs to stay unambiguous (`TargetGroupArn` on each target-health answer,
//! `Entries` on each prefix list). `docs/aws-cli-dump.md` lists the IAM
//! permissions.

use crate::Outcome;
use crate::args::CollectArgs;
use miette::{IntoDiagnostic, Report, miette};
use netpolicy_core::load::aws_cli::FILES;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

/// Runs the command.
pub fn run(args: &CollectArgs) -> Result<Outcome, Report> {
    let regions: Vec<Option<&str>> = if args.regions.is_empty() {
        vec![None]
    } else {
        args.regions.iter().map(|r| Some(r.as_str())).collect()
    };
    for region in &regions {
        let dir = match region {
            Some(r) if regions.len() > 1 => args.dir.join(r),
            _ => args.dir.clone(),
        };
        let aws = Aws {
            region: *region,
            profile: args.profile.as_deref(),
            dry_run: args.dry_run,
        };
        collect(&aws, &dir)?;
    }
    Ok(Outcome::Ok)
}

struct Aws<'a> {
    region: Option<&'a str>,
    profile: Option<&'a str>,
    dry_run: bool,
}

impl Aws<'_> {
    /// The command line of one call.
    fn command_line(&self, service: &str, operation: &str, extra: &[&str]) -> Vec<String> {
        let mut line: Vec<String> = vec![service.into(), operation.into()];
        line.extend(extra.iter().map(|s| s.to_string()));
        line.extend(["--output".into(), "json".into()]);
        if let Some(r) = self.region {
            line.extend(["--region".into(), r.into()]);
        }
        if let Some(p) = self.profile {
            line.extend(["--profile".into(), p.into()]);
        }
        line
    }

    /// Runs one call and parses its answer (in a dry run, prints it and answers
    /// an empty object).
    fn call(&self, service: &str, operation: &str, extra: &[&str]) -> Result<Value, Report> {
        let line = self.command_line(service, operation, extra);
        if self.dry_run {
            let quoted: Vec<String> = line.iter().map(|a| shell_quote(a)).collect();
            println!("aws {}", quoted.join(" "));
            return Ok(json!({}));
        }
        let output = Command::new("aws").args(&line).output().map_err(|e| {
            miette!("cannot run `aws`: {e} (is the AWS CLI installed and on PATH?)")
        })?;
        if !output.status.success() {
            return Err(miette!(
                "`aws {}` failed: {}",
                line.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        serde_json::from_slice(&output.stdout).into_diagnostic()
    }
}

fn collect(aws: &Aws<'_>, dir: &Path) -> Result<(), Report> {
    if !aws.dry_run {
        std::fs::create_dir_all(dir).into_diagnostic()?;
    }
    let write = |file: &str, value: &Value| -> Result<(), Report> {
        if aws.dry_run {
            return Ok(());
        }
        let text = serde_json::to_string_pretty(value).into_diagnostic()?;
        std::fs::write(dir.join(file), text + "\n").into_diagnostic()
    };
    let mut answers = std::collections::HashMap::new();
    for f in FILES.iter().filter(|f| !f.per_resource) {
        let mut answer = aws.call(f.service, f.operation, &[])?;
        if f.operation == "describe-managed-prefix-lists" {
            add_prefix_list_entries(aws, &mut answer)?;
        }
        write(f.file, &answer)?;
        answers.insert(f.operation, answer);
    }
    let arns = |answer: Option<&Value>, list: &str, key: &str| -> Vec<String> {
        answer
            .and_then(|a| a.get(list))
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get(key).and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let lbs = arns(
        answers.get("describe-load-balancers"),
        "LoadBalancers",
        "LoadBalancerArn",
    );
    let tgs = arns(
        answers.get("describe-target-groups"),
        "TargetGroups",
        "TargetGroupArn",
    );
    let mut listeners = Vec::new();
    for lb in &lbs {
        let a = aws.call("elbv2", "describe-listeners", &["--load-balancer-arn", lb])?;
        listeners.extend(items(&a, "Listeners"));
    }
    let listener_arns: Vec<String> = listeners
        .iter()
        .filter_map(|l| {
            l.get("ListenerArn")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    write(
        "elbv2-describe-listeners.json",
        &json!({ "Listeners": listeners }),
    )?;
    let mut rules = Vec::new();
    for l in &listener_arns {
        let a = aws.call("elbv2", "describe-rules", &["--listener-arn", l])?;
        rules.extend(items(&a, "Rules"));
    }
    write("elbv2-describe-rules.json", &json!({ "Rules": rules }))?;
    // Target health and attributes (client IP preservation of network
    // load balancers) are asked per target group.
    for operation in ["describe-target-health", "describe-target-group-attributes"] {
        let answers = per_target_group(aws, operation, &tgs)?;
        write(&format!("elbv2-{operation}.json"), &Value::Array(answers))?;
    }
    let mut tags = Vec::new();
    let all: Vec<&String> = lbs.iter().chain(&tgs).collect();
    // describe-tags takes at most 20 ARNs per call.
    for chunk in all.chunks(20) {
        let mut extra = vec!["--resource-arns"];
        extra.extend(chunk.iter().map(|s| s.as_str()));
        let a = aws.call("elbv2", "describe-tags", &extra)?;
        tags.extend(items(&a, "TagDescriptions"));
    }
    write(
        "elbv2-describe-tags.json",
        &json!({ "TagDescriptions": tags }),
    )?;
    if aws.dry_run {
        println!(
            "# then per load balancer: elbv2 describe-listeners; per listener: describe-rules; per target group: describe-target-health, describe-target-group-attributes; per 20 ARNs: describe-tags; per prefix list: ec2 get-managed-prefix-list-entries"
        );
    } else {
        eprintln!("wrote {}", dir.display());
    }
    Ok(())
}

/// `operation`'s answer for each target group, each carrying the
/// `TargetGroupArn` it was asked for (the answers do not repeat it).
fn per_target_group(aws: &Aws<'_>, operation: &str, tgs: &[String]) -> Result<Vec<Value>, Report> {
    let mut answers = Vec::new();
    for tg in tgs {
        let mut a = aws.call("elbv2", operation, &["--target-group-arn", tg])?;
        if let Some(o) = a.as_object_mut() {
            o.insert("TargetGroupArn".into(), Value::String(tg.clone()));
        }
        answers.push(a);
    }
    Ok(answers)
}

fn items(answer: &Value, key: &str) -> Vec<Value> {
    answer
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// `describe-managed-prefix-lists` names the lists; their CIDRs come from one
/// `get-managed-prefix-list-entries` per list, stored as `Entries` on each.
fn add_prefix_list_entries(aws: &Aws<'_>, answer: &mut Value) -> Result<(), Report> {
    let Some(lists) = answer.get_mut("PrefixLists").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for list in lists {
        let Some(id) = list
            .get("PrefixListId")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            continue;
        };
        let entries = aws.call(
            "ec2",
            "get-managed-prefix-list-entries",
            &["--prefix-list-id", &id],
        )?;
        if let Some(o) = list.as_object_mut() {
            o.insert("Entries".into(), Value::Array(items(&entries, "Entries")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_carry_region_and_profile() {
        let aws = Aws {
            region: Some("eu-west-1"),
            profile: Some("audit"),
            dry_run: true,
        };
        assert_eq!(
            aws.command_line("ec2", "describe-vpcs", &[]).join(" "),
            "ec2 describe-vpcs --output json --region eu-west-1 --profile audit"
        );
    }
}

/// An argument as a POSIX shell reads it back: bare when it is made of safe
/// characters, else in single quotes.
fn shell_quote(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if safe {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod quoting_tests {
    use super::shell_quote;

    #[test]
    fn arguments_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("describe-vpcs"), "describe-vpcs");
        assert_eq!(
            shell_quote("Name=vpc-id,Values=a b"),
            "'Name=vpc-id,Values=a b'"
        );
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
