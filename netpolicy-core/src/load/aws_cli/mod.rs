//! A folder of AWS CLI outputs (`aws ec2 describe-* --output json`, one file per
//! call, named after it) to a model: the network as deployed.
//!
//! Ids are AWS's (`vpc-0...`, `sg-0...`); `Name` tags are names and the
//! `aws:cloudformation:logical-id` tag an alias, so a policy written against a
//! stack's template runs unchanged against the deployed stack. Fields are read
//! with exactly the CLI's names and nesting; fields netpolicy does not use are
//! skipped, so newer CLI versions keep loading. Several accounts or regions are
//! subfolders, merged into one model. `docs/aws-cli-dump.md` lists the files.

mod ec2;
mod elbv2;

use super::document::{self, Node};
use super::read::Fields;
use super::{LoadError, LoadFailure, reconcile};
use crate::diagnostic::Warning;
use crate::model::{Meta, Model, ModelParts};
use crate::span::{SourceMap, Span};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Whether a dump must have a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    /// Every account has these objects; without the file the model would be wrong.
    Required,
    /// Absent means "none of those".
    Optional,
}

/// The files of a dump, the call that produces each, and whether it is needed.
const FILES: &[(&str, &str, Need)] = &[
    (
        "ec2-describe-vpcs.json",
        "ec2 describe-vpcs",
        Need::Required,
    ),
    (
        "ec2-describe-subnets.json",
        "ec2 describe-subnets",
        Need::Required,
    ),
    (
        "ec2-describe-route-tables.json",
        "ec2 describe-route-tables",
        Need::Required,
    ),
    (
        "ec2-describe-security-groups.json",
        "ec2 describe-security-groups",
        Need::Required,
    ),
    (
        "ec2-describe-network-acls.json",
        "ec2 describe-network-acls",
        Need::Required,
    ),
    (
        "ec2-describe-security-group-rules.json",
        "ec2 describe-security-group-rules",
        Need::Optional,
    ),
    (
        "ec2-describe-network-interfaces.json",
        "ec2 describe-network-interfaces",
        Need::Optional,
    ),
    (
        "ec2-describe-instances.json",
        "ec2 describe-instances",
        Need::Optional,
    ),
    (
        "ec2-describe-internet-gateways.json",
        "ec2 describe-internet-gateways",
        Need::Optional,
    ),
    (
        "ec2-describe-nat-gateways.json",
        "ec2 describe-nat-gateways",
        Need::Optional,
    ),
    (
        "ec2-describe-vpc-peering-connections.json",
        "ec2 describe-vpc-peering-connections",
        Need::Optional,
    ),
    (
        "ec2-describe-vpn-gateways.json",
        "ec2 describe-vpn-gateways",
        Need::Optional,
    ),
    (
        "ec2-describe-vpn-connections.json",
        "ec2 describe-vpn-connections",
        Need::Optional,
    ),
    (
        "ec2-describe-vpc-endpoints.json",
        "ec2 describe-vpc-endpoints",
        Need::Optional,
    ),
    (
        "ec2-describe-managed-prefix-lists.json",
        "ec2 describe-managed-prefix-lists (with get-managed-prefix-list-entries)",
        Need::Optional,
    ),
    (
        "elbv2-describe-load-balancers.json",
        "elbv2 describe-load-balancers",
        Need::Optional,
    ),
    (
        "elbv2-describe-listeners.json",
        "elbv2 describe-listeners",
        Need::Optional,
    ),
    (
        "elbv2-describe-rules.json",
        "elbv2 describe-rules",
        Need::Optional,
    ),
    (
        "elbv2-describe-target-groups.json",
        "elbv2 describe-target-groups",
        Need::Optional,
    ),
    (
        "elbv2-describe-target-health.json",
        "elbv2 describe-target-health",
        Need::Optional,
    ),
    (
        "elbv2-describe-tags.json",
        "elbv2 describe-tags",
        Need::Optional,
    ),
];

/// Whether `dir` holds a dump, directly or in subfolders (one per account or
/// region).
pub fn is_dump_dir(dir: &Path) -> bool {
    !dump_dirs(dir).is_empty()
}

/// Loads a dump folder.
pub fn load_aws_cli_dir(dir: &Path) -> Result<Model, LoadFailure> {
    let mut sources = SourceMap::default();
    let parsed = read_all(dir, &mut sources);
    super::build_model(parsed, sources)
}

fn read_all(dir: &Path, sources: &mut SourceMap) -> Result<(ModelParts, Vec<Warning>), LoadError> {
    let dirs = dump_dirs(dir);
    if dirs.is_empty() {
        return Err(missing(dir, FILES[0].0, FILES[0].1));
    }
    let mut parts = ModelParts::default();
    let mut warnings = Vec::new();
    for d in &dirs {
        let files = read_files(d, sources)?;
        let (p, w) = Dump::new(&files).read()?;
        append(&mut parts, p);
        warnings.extend(w);
    }
    let pruned =
        reconcile::prune_unknown_references(&mut parts, "np::aws::not-in-dump", "the dump");
    warnings.extend(pruned);
    Ok((parts, warnings))
}

/// `dir` if it holds a dump file, then its subfolders that do, recursively, in
/// name order.
fn dump_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if FILES.iter().any(|(f, _, _)| dir.join(f).is_file()) {
        out.push(dir.to_path_buf());
    }
    let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    subdirs.sort();
    for s in subdirs {
        out.extend(dump_dirs(&s));
    }
    out
}

fn missing(dir: &Path, file: &str, call: &str) -> LoadError {
    LoadError::MissingFile {
        dir: dir.display().to_string(),
        file: file.to_string(),
        help: Some(format!(
            "write it with `aws {call} --output json > {file}`, or run `netpolicy collect {}`",
            dir.display()
        )),
    }
}

/// Reads the dump files of one folder and parses them in parallel.
fn read_files(
    dir: &Path,
    sources: &mut SourceMap,
) -> Result<HashMap<&'static str, Node>, LoadError> {
    let mut texts = Vec::new();
    for (file, call, need) in FILES {
        let path = dir.join(file);
        if !path.is_file() {
            if *need == Need::Required {
                return Err(missing(dir, file, call));
            }
            continue;
        }
        let text = super::read_file(&path)?;
        let id = sources.add(path.display().to_string(), text);
        texts.push((*file, id));
    }
    let sources: &SourceMap = sources;
    texts
        .into_par_iter()
        .map(|(file, id)| {
            let text = sources.get(id).map(|s| s.text.as_str()).unwrap_or_default();
            document::parse_json(text, id).map(|node| (file, node))
        })
        .collect()
}

fn append(parts: &mut ModelParts, more: ModelParts) {
    let ModelParts {
        vpcs,
        subnets,
        route_tables,
        internet_gateways,
        nat_gateways,
        vpn_gateways,
        peerings,
        security_groups,
        network_acls,
        enis,
        instances,
        load_balancers,
        target_groups,
        vpc_endpoints,
        prefix_lists,
    } = more;
    parts.vpcs.extend(vpcs);
    parts.subnets.extend(subnets);
    parts.route_tables.extend(route_tables);
    parts.internet_gateways.extend(internet_gateways);
    parts.nat_gateways.extend(nat_gateways);
    parts.vpn_gateways.extend(vpn_gateways);
    parts.peerings.extend(peerings);
    parts.security_groups.extend(security_groups);
    parts.network_acls.extend(network_acls);
    parts.enis.extend(enis);
    parts.instances.extend(instances);
    parts.load_balancers.extend(load_balancers);
    parts.target_groups.extend(target_groups);
    parts.vpc_endpoints.extend(vpc_endpoints);
    // The same AWS-managed list appears in every region's dump.
    for p in prefix_lists {
        if !parts.prefix_lists.iter().any(|q| q.meta.id == p.meta.id) {
            parts.prefix_lists.push(p);
        }
    }
}

/// One folder's files being turned into model objects.
struct Dump<'a> {
    files: &'a HashMap<&'static str, Node>,
    parts: ModelParts,
    warnings: Vec<Warning>,
    /// IPv6 rules, routes and entries skipped, and the first one's span.
    ipv6_skipped: (usize, Option<Span>),
}

impl<'a> Dump<'a> {
    fn new(files: &'a HashMap<&'static str, Node>) -> Self {
        Dump {
            files,
            parts: ModelParts::default(),
            warnings: Vec::new(),
            ipv6_skipped: (0, None),
        }
    }

    fn read(mut self) -> Result<(ModelParts, Vec<Warning>), LoadError> {
        self.read_ec2()?;
        self.read_elbv2()?;
        self.attach_interfaces()?;
        self.link_load_balancer_nodes();
        if let (n @ 1.., span) = self.ipv6_skipped {
            self.warn(
                "np::aws::ipv6-ignored",
                format!(
                    "{n} IPv6 rule(s), route(s) or NACL entr(y/ies) skipped: netpolicy models IPv4 only"
                ),
                span,
            );
        }
        Ok((self.parts, self.warnings))
    }

    /// The top-level list `key` of `file`, each item read as `what`; empty when
    /// the (optional) file is absent.
    fn items(
        &self,
        file: &str,
        key: &str,
        what: &'static str,
    ) -> Result<Vec<Fields<'a>>, LoadError> {
        match self.files.get(file) {
            None => Ok(Vec::new()),
            Some(doc) => Fields::new(doc, "the CLI output")?.objects(key, what),
        }
    }

    fn has(&self, file: &str) -> bool {
        self.files.contains_key(file)
    }

    fn warn(&mut self, code: &'static str, message: String, span: Option<Span>) {
        self.warnings.push(Warning::new(code, message, span));
    }

    fn skip_ipv6(&mut self, span: Span) {
        self.ipv6_skipped.0 += 1;
        self.ipv6_skipped.1.get_or_insert(span);
    }
}

/// Id, `Name` tag, tags and CloudFormation logical id of an object whose tags
/// are under `tags_key` (`Tags` for most calls, `TagSet` for interfaces).
fn meta(f: &Fields<'_>, id_key: &str, tags_key: &str) -> Result<Meta, LoadError> {
    let mut meta = Meta::new(f.req_str(id_key)?).at(f.span());
    meta.tags = tags(f, tags_key)?;
    meta.name = meta.tags.get("Name").cloned();
    meta.aliases = meta
        .tags
        .get("aws:cloudformation:logical-id")
        .cloned()
        .into_iter()
        .collect();
    Ok(meta)
}

fn tags(f: &Fields<'_>, key: &str) -> Result<BTreeMap<String, String>, LoadError> {
    let mut tags = BTreeMap::new();
    for t in f.objects(key, "a tag")? {
        tags.insert(t.req_str("Key")?, t.str("Value")?.unwrap_or_default());
    }
    Ok(tags)
}
