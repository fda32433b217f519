//! Command-line arguments.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Prove or refute reachability in AWS network models, without sending a packet.
///
/// netpolicy reads a network (a CloudFormation template, a `terraform show
/// -json` plan or state, a folder of AWS CLI `describe-*` outputs, or its own
/// model format) and checks `.np` policies against it: "no internet -> sg:db :
/// mysql", "only sg:web -> sg:db : tcp/3306", "same reachability A, B". Each
/// assertion is proved or refuted with a concrete packet and the route,
/// security-group rule and NACL entry that decide each hop.
#[derive(Debug, Parser)]
#[command(
    name = "netpolicy",
    version,
    after_help = "Examples:
  netpolicy check policies/inspector-workshop.np
  netpolicy query -m template.json 'no internet -> sg:*Db* : mysql'
  netpolicy explain -m template.json internet instance:WebServer tcp/443
  netpolicy diff before.json after.json policies/web.np --format markdown
  netpolicy graph -m template.json --service ssh --format mermaid

Exit codes: 0 every assertion holds, 1 a violation or an undecided (UNKNOWN) assertion
(or a change, for diff; --allow-unknown lets UNKNOWN pass), 2 an error.
Docs: docs/language.md (policies), docs/semantics.md (what is proved)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check `.np` policies: exit 0 when every assertion holds, 1 on a violation or an UNKNOWN, 2 on an error.
    #[command(
        after_help = "Examples:\n  netpolicy check policies/*.np\n  netpolicy check -m prod.template.json --param Env=prod policies/web.np\n  netpolicy check policies/web.np --format sarif > results.sarif"
    )]
    Check(CheckArgs),
    /// Check one assertion given on the command line, e.g. "internet -> sg:db : mysql".
    #[command(
        after_help = "Examples:\n  netpolicy query -m template.json 'no internet -> sg:*Db* : mysql'\n  netpolicy query -m plan.json 'only sg:web -> sg:db : tcp/5432' --format json"
    )]
    Query(QueryArgs),
    /// Format policies canonically (in place, or `--check` to only report).
    #[command(
        after_help = "Examples:\n  netpolicy fmt policies/*.np\n  netpolicy fmt --check policies/*.np"
    )]
    Fmt(FmtArgs),
    /// Everything the internet can open, per network interface: services, source
    /// prefixes, path and admitting rule; apart, what opens only to a chosen
    /// (privileged) source port.
    #[command(
        after_help = "Examples:\n  netpolicy exposure -m template.json\n  netpolicy exposure -m aws-dump/ --format json"
    )]
    Exposure(ExposureArgs),
    /// Trace one service from a source to a destination, hop by hop.
    #[command(
        after_help = "Examples:\n  netpolicy explain -m template.json internet instance:WebServer tcp/443\n  netpolicy explain -m template.json 'sg:web*' 'subnet:Db*' mysql"
    )]
    Explain(ExplainArgs),
    /// Which interface classes (same subnet, same security groups) reach which, on a service.
    #[command(
        after_help = "Examples:\n  netpolicy matrix -m template.json --service ssh --service tcp/443\n  netpolicy matrix -m org.json --service mysql --format json"
    )]
    Matrix(MatrixArgs),
    /// Who reaches whom, as a picture: VPCs, subnets, security groups or
    /// interface classes as nodes, the internet and on-premises too, edges
    /// labelled with services; flows that violate a policy drawn in red.
    /// Graphviz DOT, Mermaid (renders in pull requests) or an HTML page.
    #[command(
        after_help = "Examples:\n  netpolicy graph -m template.json --service ssh --format mermaid\n  netpolicy graph -m template.json --by vpc --policy policies/web.np > net.dot && dot -Tsvg net.dot > net.svg\n  netpolicy graph -m org.json --focus 'vpc:prod*' --format html > net.html"
    )]
    Graph(GraphArgs),
    /// Write a first policy that records what holds today: internet exposure
    /// per security group, isolated VPCs, who reaches the data tiers, admin
    /// ports closed; every assertion checked before it is written.
    #[command(
        after_help = "Examples:\n  netpolicy init --model template.json --out policies/baseline.np\n  netpolicy check policies/baseline.np"
    )]
    Init(InitArgs),
    /// A language server for `.np` files over stdio: diagnostics as you
    /// type, completion of selector names from the policy's model, hover,
    /// go to definition (docs/editors.md).
    #[command(
        after_help = "Examples:\n  netpolicy lsp   # started by the editor (docs/editors.md)"
    )]
    Lsp,
    /// What a change opens and closes: every flow between BEFORE and AFTER
    /// (any two inputs: templates, a template against a dump, two plans), and
    /// with policies each assertion's verdict before and after. Exit 0 when
    /// nothing changed, 1 when something did (see --fail-on), 2 on an error.
    #[command(
        after_help = "Examples:\n  netpolicy diff main.template.json branch.template.json policies/web.np\n  netpolicy diff template.json aws-dump/ --fail-on opened --format markdown"
    )]
    Diff(DiffArgs),
    /// Export the deployed network with the AWS CLI (read-only calls) into a
    /// folder that `--model` reads.
    #[command(
        after_help = "Examples:\n  netpolicy collect aws-dump/ --region eu-west-1\n  netpolicy collect aws-dump/ --dry-run"
    )]
    Collect(CollectArgs),
    /// Generate a synthetic organization (seeded) as a native model, an AWS CLI
    /// dump, a CloudFormation template or a Terraform plan, for benchmarks and
    /// trials at scale.
    #[command(
        after_help = "Examples:\n  netpolicy gen org.json --preset M\n  netpolicy gen org.template.json --preset S --as cloudformation\n  netpolicy gen dense.json --vpcs 1 --subnets-per-vpc 5 --enis 1000 --security-groups 10 --rules-per-group 60 --shape dense"
    )]
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
    /// What to write the organization as (`--format` is the output format of
    /// the other commands; here the file format is `--as`).
    #[arg(long = "as", value_enum, default_value = "native")]
    pub format: GenFormat,
    /// How the rules cut the packet space: `tidy` (few well-known services),
    /// `dense` (random port ranges from random prefixes, NACLs of 20 random
    /// entries) or `fragmented` (internet sources cut by public deny ranges
    /// and many public prefixes).
    #[arg(long, default_value = "tidy", value_parser = parse_shape)]
    pub shape: netpolicy_core::synth::Shape,
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

fn parse_shape(text: &str) -> Result<netpolicy_core::synth::Shape, String> {
    netpolicy_core::synth::Shape::parse(text)
        .ok_or_else(|| format!("unknown shape `{text}`: use tidy, dense or fragmented"))
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
    /// exports), the AWS CLI dump of the deployed network a template goes
    /// into (pass its ids with --param), or the Terraform plans and states
    /// of the other stacks of the estate.
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
    /// Exit 0 when no assertion is violated, even if some are UNKNOWN (they
    /// rest on parts the input does not fix or netpolicy does not follow).
    #[arg(long)]
    pub allow_unknown: bool,
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
    /// Exit 0 when the assertion is UNKNOWN rather than violated.
    #[arg(long)]
    pub allow_unknown: bool,
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
    /// exports), the AWS CLI dump of the deployed network a template goes
    /// into (pass its ids with --param), or the Terraform plans and states
    /// of the other stacks of the estate.
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

/// Arguments of `graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Services to draw (repeatable; default: all traffic a client opens).
    #[arg(long, value_name = "SERVICE")]
    pub service: Vec<String>,
    /// What a node stands for; `auto`: the finest level whose picture stays
    /// readable (at most 30 nodes and 30 edges): subnets, else VPCs, else
    /// VPCs with the least connected folded into one node.
    #[arg(long, value_enum, default_value = "auto")]
    pub by: GraphBy,
    /// Draw only the flows to and from these interfaces (a selector, as in a
    /// policy: `vpc:prod*`, `sg:web`, `instance:Bastion*`).
    #[arg(long, value_name = "SELECTOR")]
    pub focus: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
    /// Policies whose violations are drawn in red (repeatable): flows that
    /// must not exist in bold, required flows that do not exist dashed.
    #[arg(long, value_name = "PATH")]
    pub policy: Vec<PathBuf>,
}

/// `graph --by` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphBy {
    /// The finest readable level (at most 30 nodes and 30 edges).
    Auto,
    /// One node per VPC.
    Vpc,
    /// One node per subnet.
    Subnet,
    /// One node per security group.
    Sg,
    /// One node per interface class (same subnet and security groups).
    Class,
}

/// `graph --format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
    /// One self-contained HTML page: pan, zoom, click a node for its flows.
    Html,
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
    /// Source: a selector as in a policy (`internet`, `onprem`, `instance:Web*`,
    /// `sg:web`, `subnet:App*`, `cidr:10.0.1.0/24`, `A + B`), or an instance,
    /// interface or load-balancer id or name.
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

/// Arguments of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Write the policy here (its `model` line relative to it) instead of to
    /// standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub out: Option<PathBuf>,
}
