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

use super::document::{self, JsonOutline, KeySet, Node};
use super::read::Fields;
use super::records::finish::{Finish, Format, Ipv6Skip, Ipv6Skipped, Outside};
use super::records::{self, Records};
use super::{LoadError, LoadFailure};
use crate::diagnostic::Warning;
use crate::model::{Meta, Model, ModelParts};
use crate::span::{SourceMap, Span};
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One file of a dump: its name, the AWS CLI call that writes it, and whether a
/// dump must have it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DumpFile {
    /// File name, `ec2-describe-vpcs.json`.
    pub file: &'static str,
    /// The service, `ec2` or `elbv2`.
    pub service: &'static str,
    /// The operation, `describe-vpcs`.
    pub operation: &'static str,
    /// Whether a dump without it is an error (every account has these objects,
    /// so a missing file would make the model silently wrong); a missing
    /// optional file means "none of those".
    pub required: bool,
    /// Whether the call needs one run per resource (listeners per load balancer,
    /// target health per target group...): `netpolicy collect` merges the answers.
    pub per_resource: bool,
}

/// The files a dump may hold, in reading order.
pub const FILES: &[DumpFile] = &[
    DumpFile {
        file: "ec2-describe-vpcs.json",
        service: "ec2",
        operation: "describe-vpcs",
        required: true,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-subnets.json",
        service: "ec2",
        operation: "describe-subnets",
        required: true,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-route-tables.json",
        service: "ec2",
        operation: "describe-route-tables",
        required: true,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-security-groups.json",
        service: "ec2",
        operation: "describe-security-groups",
        required: true,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-network-acls.json",
        service: "ec2",
        operation: "describe-network-acls",
        required: true,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-security-group-rules.json",
        service: "ec2",
        operation: "describe-security-group-rules",
        required: false,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-network-interfaces.json",
        service: "ec2",
        operation: "describe-network-interfaces",
        required: false,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-instances.json",
        service: "ec2",
        operation: "describe-instances",
        required: false,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-internet-gateways.json",
        service: "ec2",
        operation: "describe-internet-gateways",
        required: false,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-nat-gateways.json",
        service: "ec2",
        operation: "describe-nat-gateways",
        required: false,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-vpc-peering-connections.json",
        service: "ec2",
        operation: "describe-vpc-peering-connections",
        required: false,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-vpn-gateways.json",
        service: "ec2",
        operation: "describe-vpn-gateways",
        required: false,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-vpn-connections.json",
        service: "ec2",
        operation: "describe-vpn-connections",
        required: false,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-vpc-endpoints.json",
        service: "ec2",
        operation: "describe-vpc-endpoints",
        required: false,
        per_resource: false,
    },
    DumpFile {
        file: "ec2-describe-managed-prefix-lists.json",
        service: "ec2",
        operation: "describe-managed-prefix-lists",
        required: false,
        per_resource: false,
    },
    DumpFile {
        file: "elbv2-describe-load-balancers.json",
        service: "elbv2",
        operation: "describe-load-balancers",
        required: false,
        per_resource: false,
    },
    DumpFile {
        file: "elbv2-describe-listeners.json",
        service: "elbv2",
        operation: "describe-listeners",
        required: false,
        per_resource: true,
    },
    DumpFile {
        file: "elbv2-describe-rules.json",
        service: "elbv2",
        operation: "describe-rules",
        required: false,
        per_resource: true,
    },
    DumpFile {
        file: "elbv2-describe-target-groups.json",
        service: "elbv2",
        operation: "describe-target-groups",
        required: false,
        per_resource: false,
    },
    DumpFile {
        file: "elbv2-describe-target-health.json",
        service: "elbv2",
        operation: "describe-target-health",
        required: false,
        per_resource: true,
    },
    DumpFile {
        file: "elbv2-describe-target-group-attributes.json",
        service: "elbv2",
        operation: "describe-target-group-attributes",
        required: false,
        per_resource: true,
    },
    DumpFile {
        file: "elbv2-describe-tags.json",
        service: "elbv2",
        operation: "describe-tags",
        required: false,
        per_resource: true,
    },
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

pub(crate) fn read_all(
    dir: &Path,
    sources: &mut SourceMap,
) -> Result<(ModelParts, Vec<Warning>), LoadError> {
    let dirs = dump_dirs(dir);
    if dirs.is_empty() {
        return Err(missing(dir, &FILES[0]));
    }
    let mut parts = ModelParts::default();
    let mut warnings = Vec::new();
    let mut finish = Finish::new(Format::Dump, Outside::Pruned);
    for d in &dirs {
        let files = read_files(d, sources)?;
        let (p, w, implied) = Dump::new(&files).read()?;
        parts.append(p);
        warnings.extend(w);
        finish.append(implied);
    }
    warnings.extend(records::finish::finish(&mut parts, finish, &|_| None));
    Ok((parts, warnings))
}

/// `dir` if it holds a dump file, then its subfolders that do, recursively, in
/// name order.
fn dump_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if FILES.iter().any(|f| dir.join(f.file).is_file()) {
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

fn missing(dir: &Path, f: &DumpFile) -> LoadError {
    LoadError::MissingFile {
        dir: dir.display().to_string(),
        file: f.file.to_string(),
        help: Some(format!(
            "write it with `aws {} {} --output json > {}`, or run `netpolicy collect {}`",
            f.service,
            f.operation,
            f.file,
            dir.display()
        )),
    }
}

/// The listings that make up most of a dump (`describe-instances` alone is
/// about four fifths of it, most of that fields netpolicy does not use): their
/// items are located, then parsed and read in parallel, each item's tree
/// dropped once read, so memory stays near the size of the model.
const LONG_LISTINGS: &[&str] = &[
    "ec2-describe-network-interfaces.json",
    "ec2-describe-instances.json",
];

/// The parsed files of one folder: long listings apart.
struct Files<'a> {
    trees: HashMap<&'static str, Node>,
    long: HashMap<&'static str, Listing<'a>>,
}

/// A long listing: outlined, or parsed whole where the outline does not apply
/// (the full parser also words a syntax error more precisely).
enum Listing<'a> {
    Outline(JsonOutline<'a>),
    Tree(Node),
}

/// Reads the dump files of one folder and parses them in parallel.
fn read_files<'s>(dir: &Path, sources: &'s mut SourceMap) -> Result<Files<'s>, LoadError> {
    let mut texts = Vec::new();
    for f in FILES {
        let path = dir.join(f.file);
        if !path.is_file() {
            if f.required {
                return Err(missing(dir, f));
            }
            continue;
        }
        let text = super::read_file(&path)?;
        let id = sources.add(path.display().to_string(), text);
        texts.push((f.file, id));
    }
    let sources: &'s SourceMap = sources;
    let parsed: Vec<(&'static str, Listing<'s>)> = texts
        .into_par_iter()
        .map(|(file, id)| {
            let text = sources.get(id).map(|s| s.text.as_str()).unwrap_or_default();
            let outline = LONG_LISTINGS
                .contains(&file)
                .then(|| document::outline_json(text, id).ok())
                .flatten();
            match outline {
                Some(outline) => Ok((file, Listing::Outline(outline))),
                None => document::parse_json(text, id).map(|node| (file, Listing::Tree(node))),
            }
        })
        .collect::<Result<_, LoadError>>()?;
    let mut files = Files {
        trees: HashMap::new(),
        long: HashMap::new(),
    };
    for (file, listing) in parsed {
        match listing {
            Listing::Tree(node) if !LONG_LISTINGS.contains(&file) => {
                files.trees.insert(file, node);
            }
            listing => {
                files.long.insert(file, listing);
            }
        }
    }
    Ok(files)
}

/// One folder's files being turned into model objects.
struct Dump<'a> {
    files: &'a Files<'a>,
    parts: Records,
    warnings: Vec<Warning>,
    /// IPv6 rules, routes and entries skipped, and the first one's span.
    ipv6_skipped: Ipv6Skipped,
    /// Each VPC's `default` group.
    default_groups: records::default_group::DefaultGroups,
    /// Whether long listings build every field (tests compare this with the
    /// fields the readers declare).
    build_all: bool,
    /// VPC endpoints of types netpolicy does not follow (Gateway Load
    /// Balancer, Network Firewall's), which routes may name.
    appliance_endpoints: std::collections::HashSet<String>,
}

impl<'a> Dump<'a> {
    fn new(files: &'a Files<'a>) -> Self {
        Dump {
            files,
            parts: Records::default(),
            warnings: Vec::new(),
            ipv6_skipped: Ipv6Skipped::default(),
            default_groups: records::default_group::DefaultGroups::default(),
            build_all: false,
            appliance_endpoints: std::collections::HashSet::new(),
        }
    }

    /// The folder's records, warnings, and what they imply for the records
    /// step ([`records::finish`]).
    fn read(mut self) -> Result<(ModelParts, Vec<Warning>, Finish), LoadError> {
        self.read_ec2()?;
        self.read_elbv2()?;
        self.attach_interfaces()?;
        self.link_load_balancer_nodes();
        let mut finish = Finish::new(Format::Dump, Outside::Pruned);
        finish.appliance_endpoints = std::mem::take(&mut self.appliance_endpoints);
        finish.ipv6 = std::mem::take(&mut self.ipv6_skipped);
        finish.default_groups = std::mem::take(&mut self.default_groups);
        Ok((self.parts.into_parts(), self.warnings, finish))
    }

    /// The top-level list `key` of `file`, each item read as `what`; empty when
    /// the (optional) file is absent.
    fn items(
        &self,
        file: &str,
        key: &str,
        what: &'static str,
    ) -> Result<Vec<Fields<'a>>, LoadError> {
        match self.files.trees.get(file) {
            None => Ok(Vec::new()),
            Some(doc) => Fields::new(doc, "the CLI output")?.objects(key, what),
        }
    }

    /// Every item of the top-level list `key` of the long listing `file`, read
    /// as `what` by `read`, in parallel; results keep document order and the
    /// first error in it is returned. Empty when the file is absent. Only the
    /// fields in `keep` (at any depth) are built: `read` must read no other.
    fn par_items<T: Send>(
        &self,
        (file, key, what): (&str, &str, &'static str),
        keep: &[&str],
        read: impl Fn(&Fields<'_>) -> Result<T, LoadError> + Sync,
    ) -> Result<Vec<T>, LoadError> {
        let one = |node: &Node| read(&Fields::new(node, what)?);
        let keep = KeySet::new(keep);
        let results: Vec<Result<T, LoadError>> = match self.files.long.get(file) {
            None => Vec::new(),
            Some(Listing::Tree(doc)) => Fields::new(doc, "the CLI output")?
                .list(key)?
                .par_iter()
                .map(one)
                .collect(),
            Some(Listing::Outline(outline)) => {
                let keep = (!self.build_all).then_some(&keep);
                outline.read_list(key, keep, one)?
            }
        };
        results.into_iter().collect()
    }

    fn has(&self, file: &str) -> bool {
        self.files.trees.contains_key(file) || self.files.long.contains_key(file)
    }

    fn warn(&mut self, code: &'static str, message: String, span: Option<Span>) {
        self.warnings.push(Warning::new(code, message, span));
    }

    /// Counts an IPv6 part skipped at `span`, which makes `skip` unknown.
    fn skip_ipv6(&mut self, span: Span, skip: Ipv6Skip) {
        self.ipv6_skipped.note(Some(span), skip);
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

#[cfg(test)]
mod tests;
