//! Command-line arguments.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Prove or refute reachability in AWS network models, without sending a packet.
#[derive(Debug, Parser)]
#[command(name = "netpolicy", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check `.np` policies: exit 0 when every assertion holds, 1 on a violation, 2 on an error.
    Check(CheckArgs),
    /// Check one assertion given on the command line, e.g. "internet -> sg:db : mysql".
    Query(QueryArgs),
    /// Format policies canonically (in place, or `--check` to only report).
    Fmt(FmtArgs),
    /// Everything the internet can open, per network interface: services, source
    /// prefixes, path and admitting rule; apart, what opens only to a chosen
    /// (privileged) source port.
    Exposure(ExposureArgs),
    /// Trace one service from a source to a destination, hop by hop.
    Explain(ExplainArgs),
    /// Which interface classes (same subnet, same security groups) reach which, on a service.
    Matrix(MatrixArgs),
    /// What a change opens and closes: every flow between BEFORE and AFTER
    /// (any two inputs: templates, a template against a dump, two plans), and
    /// with policies each assertion's verdict before and after. Exit 0 when
    /// nothing changed, 1 when something did (see --fail-on), 2 on an error.
    ///
    /// Example: netpolicy diff main.template.json branch.template.json policies/web.np
    Diff(DiffArgs),
    /// Export the deployed network with the AWS CLI (read-only calls) into a
    /// folder that `--model` reads.
    Collect(CollectArgs),
    /// Generate a synthetic organization (seeded) as a native model, an AWS CLI
    /// dump, a CloudFormation template or a Terraform plan, for benchmarks and
    /// trials at scale.
    Gen(GenArgs),
}

/// Arguments of `gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    /// Where to write: a folder for `aws-cli`, a file for the others.
    pub out: PathBuf,
    /// A named size: S (1k interfaces), M (10k), L (100k), XL (1M).
    #[arg(long, default_value = "S", value_parser = parse_preset)]
    pub preset: netpolicy_core::synth::Preset,
    /// What to write the organization as (`--format` is kept as an alias).
    #[arg(long = "as", value_enum, default_value = "native", alias = "format")]
    pub format: GenFormat,
    /// The seed: the same seed gives the same organization.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// VPCs (overrides the preset).
    #[arg(long)]
    pub vpcs: Option<usize>,
    /// Subnets per VPC (overrides the preset).
    #[arg(long)]
    pub subnets_per_vpc: Option<usize>,
    /// Instances, one interface each (overrides the preset).
    #[arg(long)]
    pub enis: Option<usize>,
    /// Security groups (overrides the preset).
    #[arg(long)]
    pub security_groups: Option<usize>,
    /// Ingress rules per security group (overrides the preset).
    #[arg(long)]
    pub rules_per_group: Option<usize>,
    /// Distinct security-group sets per subnet (overrides the preset).
    #[arg(long)]
    pub sg_sets_per_subnet: Option<usize>,
    /// VPCs per hub-and-spoke group (overrides the preset).
    #[arg(long)]
    pub hub_size: Option<usize>,
    /// Percentage of VPCs with internet access (overrides the preset).
    #[arg(long)]
    pub internet_percent: Option<u8>,
    /// Internet-facing load balancers (overrides the preset).
    #[arg(long)]
    pub load_balancers: Option<usize>,
}

/// What `gen` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum GenFormat {
    /// The native format (JSON), one file.
    Native,
    /// A folder of `aws ... describe-*` outputs.
    AwsCli,
    /// A CloudFormation template (JSON).
    Cloudformation,
    /// `terraform show -json` output of a plan that creates it.
    Terraform,
}

fn parse_preset(text: &str) -> Result<netpolicy_core::synth::Preset, String> {
    netpolicy_core::synth::Preset::parse(text)
        .ok_or_else(|| format!("unknown preset `{text}`: use S, M, L or XL"))
}

/// Arguments of `collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The folder to write (one subfolder per region when several are given).
    pub dir: PathBuf,
    /// A region to export (repeatable); default: the CLI's configured region.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// The AWS CLI profile to use.
    #[arg(long)]
    pub profile: Option<String>,
    /// Print the calls instead of running them.
    #[arg(long)]
    pub dry_run: bool,
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A model to check against (repeatable: each policy is checked against each);
    /// overrides the policy's `model "..."` line.
    #[arg(long, short = 'm', value_name = "PATH")]
    pub model: Vec<PathBuf>,
    /// Another input to load together with the model as one network
    /// (repeatable): the other templates of a stack set (imports find their
    /// exports), or the AWS CLI dump of the deployed network a template goes
    /// into (pass its ids with --param).
    #[arg(long = "with", value_name = "PATH")]
    pub with: Vec<PathBuf>,
    /// The model's format, when detection guesses wrong.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub model_format: Option<FormatArg>,
    /// A template parameter value (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: OutputFormat,
    /// Print the wall time of each phase and the peak memory to stderr.
    #[arg(long)]
    pub timings: bool,
    /// Policy files.
    #[arg(required = true)]
    pub policies: Vec<PathBuf>,
}

/// Arguments of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The network before the change (any input `--model` reads).
    pub before: PathBuf,
    /// The network after the change.
    pub after: PathBuf,
    /// Policies to check on both sides (their `model` line is not used).
    pub policies: Vec<PathBuf>,
    /// An input loaded together with each side (repeatable): the deployed
    /// network both templates go into, or the other stacks of their set.
    #[arg(long = "with", value_name = "PATH")]
    pub with: Vec<PathBuf>,
    /// The inputs' format, when detection guesses wrong.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub model_format: Option<FormatArg>,
    /// A template parameter value (repeatable), for both sides.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiffFormat,
    /// Which changes make the exit status 1.
    #[arg(long, value_enum, default_value = "any")]
    pub fail_on: FailOn,
    /// List every changed flow in the human output (by default the first 200
    /// of each kind, then a count).
    #[arg(long)]
    pub all: bool,
    /// Print every model warning.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// `--format` values of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Text for people.
    Human,
    /// JSON: `opened`, `closed`, `added`, `removed`, `policies`.
    Json,
    /// Markdown, for a pull-request comment.
    Markdown,
    /// SARIF 2.1.0: one result per changed flow.
    Sarif,
}

/// What `--fail-on` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Flows opened (or interfaces added), or verdicts that became violated.
    Opened,
    /// Flows closed (or interfaces removed), or verdicts that came to hold.
    Closed,
    /// Any change.
    Any,
}

/// Arguments of `query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: OutputFormat,
    /// The assertion, in `.np` syntax.
    pub assertion: String,
}

/// Arguments of `fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Report files that would change (exit 1) instead of rewriting them.
    #[arg(long)]
    pub check: bool,
    /// Policy files.
    #[arg(required = true)]
    pub policies: Vec<PathBuf>,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Text for people.
    Human,
    /// The report as JSON.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// JUnit XML, one test case per assertion.
    Junit,
}

/// The model to load.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// A CloudFormation template, a Terraform plan or state (`terraform show
    /// -json`), a folder of AWS CLI outputs, or a native model.
    #[arg(long, short = 'm', value_name = "PATH")]
    pub model: PathBuf,
    /// Another input to load together with the model as one network
    /// (repeatable): the other templates of a stack set (imports find their
    /// exports), or the AWS CLI dump of the deployed network a template goes
    /// into (pass its ids with --param).
    #[arg(long = "with", value_name = "PATH")]
    pub with: Vec<PathBuf>,
    /// The model's format, when detection guesses wrong.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub model_format: Option<FormatArg>,
    /// A template parameter value (repeatable); also `AWS::Region`, `AWS::AccountId`.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Print every model warning (by default each kind shows a few examples
    /// and a count).
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// Arguments of `exposure`.
#[derive(Debug, Args)]
pub struct ExposureArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Output format: `human`, or `json` (one object per exposed interface).
    #[arg(long, value_enum, default_value = "human")]
    pub format: TableFormat,
}

/// `--format` values of the listing commands (`exposure`, `matrix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    /// Text for people.
    Human,
    /// JSON.
    Json,
}

/// `--model-format` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// netpolicy's native format.
    Native,
    /// An AWS CloudFormation template.
    Cloudformation,
    /// A folder of AWS CLI `describe-*` outputs.
    AwsCli,
    /// `terraform show -json` of a plan or a state.
    Terraform,
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected KEY=VALUE, got `{text}`"))
}

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Source: `internet`, `onprem`, or an instance, interface or load balancer id.
    pub src: String,
    /// Destination, as for the source.
    pub dst: String,
    /// Service: `tcp/443`, `udp/53`, `icmp`, `all`, `ssh`, ... (comma-separated).
    pub service: String,
}

/// Arguments of `matrix`.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Service to ask about (repeatable: each pair lists which it carries).
    #[arg(long, short = 's', default_value = "all")]
    pub service: Vec<String>,
    /// List every class and class pair even on a large model (beyond
    /// 1,000 classes only the counts are printed otherwise).
    #[arg(long)]
    pub all: bool,
    /// Output format: `human`, or `json` (classes, and per service the count
    /// and the class pairs that exchange it).
    #[arg(long, value_enum, default_value = "human")]
    pub format: TableFormat,
}
