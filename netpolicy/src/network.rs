//! A loaded network and its compiled engine, owned together.

use crate::Format;
use crate::error::{Error, ErrorKind, Message, UnreadableModel};
use crate::policy::{Policy, file_name};
use crate::reach::Reachability;
use netpolicy_core::diagnostic::Warning;
use netpolicy_core::engine::{Engine, InterfaceExposure};
use netpolicy_core::load;
use netpolicy_core::load::cloudformation::TemplateOptions;
use netpolicy_core::model::Model;
use netpolicy_lang::check::{CheckOptions, Names, check_policy_options, validate_policy};
use netpolicy_lang::report::Report;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A network loaded from a template, plan, AWS CLI dump, native model or
/// code, compiled for queries. Load once, check many policies; it carries no
/// lifetime, so a service can keep one in a struct or an `Arc`.
///
/// ```
/// use netpolicy::{Format, Network, Policy};
///
/// let network = Network::parse("net.yaml", r#"
/// vpcs: [{id: app, cidr_blocks: [10.0.0.0/16]}]
/// subnets: [{id: private, vpc: app, cidr: 10.0.1.0/24}]
/// security_groups: [{id: db, vpc: app, ingress: [{protocol: tcp, ports: 5432, from: 10.0.0.0/16}]}]
/// instances: [{id: db-1, subnet: private, security_groups: [db]}]
/// "#, Format::Native)?;
/// let report = network.check(&"no internet -> sg:db : tcp/5432".parse::<Policy>()?)?;
/// assert!(!report.has_violations());
/// # Ok::<(), netpolicy::Error>(())
/// ```
pub struct Network {
    name: String,
    engine: Engine<'static>,
}

/// How inputs are read.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct LoadOptions {
    /// The input format; detected from the content when `None`.
    pub format: Option<Format>,
    /// CloudFormation parameter values (`--param K=V` on the command line).
    pub parameters: BTreeMap<String, String>,
}

impl LoadOptions {
    /// Reads inputs as `format` instead of detecting it.
    pub fn format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    /// Sets a CloudFormation parameter.
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.insert(name.into(), value.into());
        self
    }
}

impl Network {
    /// Loads a file in any format netpolicy reads (detected), or an AWS CLI
    /// dump folder. Reports name the network by its file name.
    pub fn load(path: impl AsRef<Path>) -> Result<Network, Error> {
        Network::load_with(&[path.as_ref()], &LoadOptions::default())
    }

    /// Loads inputs as one network (templates of a stack set, over at most one
    /// AWS CLI dump), with options. Reports name it by the first file's name.
    pub fn load_with(paths: &[impl AsRef<Path>], options: &LoadOptions) -> Result<Network, Error> {
        let paths: Vec<PathBuf> = paths.iter().map(|p| p.as_ref().to_path_buf()).collect();
        let template = TemplateOptions {
            parameters: options.parameters.clone(),
            ..TemplateOptions::default()
        };
        let model =
            load::load_model_files(&paths, options.format, &template).map_err(Error::network)?;
        let name = paths.first().map(|p| file_name(p)).unwrap_or_default();
        Ok(Network::from_model(name, model))
    }

    /// Loads the model a policy names with `model "..."`. A file that cannot
    /// be read is an [`ErrorKind::Io`] error pointing at that line.
    pub fn for_policy(policy: &Policy) -> Result<Network, Error> {
        match policy.model_path() {
            Some(path) => Network::load(&path).map_err(|e| match (e.kind(), policy.model_span()) {
                (ErrorKind::Io, Some(span)) => policy.cite(
                    ErrorKind::Io,
                    UnreadableModel {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                        span,
                    },
                ),
                _ => e,
            }),
            None => Err(Error::new(
                ErrorKind::Policy,
                Message {
                    message: format!("policy `{}` names no model", policy.name()),
                    help: Some("add `model \"path/to/template.json\"` to the policy".into()),
                },
                None,
            )),
        }
    }

    /// Reads a network from text in `format` (not an AWS CLI dump, which is a
    /// folder); errors point into `text`, called `name`.
    pub fn parse(name: &str, text: &str, format: Format) -> Result<Network, Error> {
        let model = load::load_text(name, text, format, &TemplateOptions::default())
            .map_err(Error::network)?;
        Ok(Network::from_model(name, model))
    }

    /// A network from a model built in code (see [`crate::build`]) or loaded
    /// by other means.
    pub fn from_model(name: impl Into<String>, model: Model) -> Network {
        Network {
            name: name.into(),
            engine: Engine::owning(model),
        }
    }

    /// What reports call the network.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model: VPCs, subnets, groups, interfaces, ...
    pub fn model(&self) -> &Model {
        self.engine.model()
    }

    /// The compiled engine, for queries the facade does not wrap.
    pub fn engine(&self) -> &Engine<'static> {
        &self.engine
    }

    /// What loading noticed but did not stop at (results may be incomplete).
    pub fn warnings(&self) -> &[Warning] {
        self.model().warnings()
    }

    /// Checks every assertion of `policy`, keeping five counterexamples per
    /// verdict. Every unknown name is reported, not just the first.
    pub fn check(&self, policy: &Policy) -> Result<Report, Error> {
        self.check_with(policy, &CheckOptions::default())
    }

    /// [`Network::check`] with options (e.g. every counterexample:
    /// `CheckOptions::default().all_counterexamples()`).
    pub fn check_with(&self, policy: &Policy, options: &CheckOptions) -> Result<Report, Error> {
        let names = Names {
            policy: policy.name(),
            model: &self.name,
        };
        let checked = check_policy_options(
            &self.engine,
            policy.ast(),
            policy.sources(),
            names,
            options,
            &|| {},
        );
        // Names are resolved once on the way to a report; only a policy that
        // fails is walked again, to report every error and not just the first.
        checked.map_err(|first| {
            Error::all(self.validate(policy).errors)
                .unwrap_or_else(|| policy.cite(ErrorKind::Policy, first))
        })
    }

    /// Every error and warning checking `policy` here would meet, without
    /// checking it.
    pub fn validate(&self, policy: &Policy) -> Validation {
        let mut errors: Vec<Error> = validate_policy(&self.engine, policy.ast(), policy.sources())
            .into_iter()
            .map(|e| policy.cite(ErrorKind::Policy, e))
            .collect();
        if policy.assertions() == 0 {
            errors.push(policy.cite(
                ErrorKind::Policy,
                netpolicy_lang::check::CheckError::NoAssertion {
                    name: policy.name().to_string(),
                },
            ));
        }
        Validation {
            errors,
            warnings: self.warnings().to_vec(),
        }
    }

    /// Who reaches whom on a service, with a hop-by-hop trace of one packet
    /// per path: `network.reach("internet", "sg:web", "tcp/443")`. Endpoints
    /// are selectors as in a policy; the service as after `:` in a policy.
    pub fn reach(&self, from: &str, to: &str, service: &str) -> Result<Reachability, Error> {
        crate::reach::reach(&self.engine, from, to, service)
    }

    /// What the internet can open on each interface.
    pub fn exposure(&self) -> Vec<InterfaceExposure> {
        self.engine.exposure()
    }
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("name", &self.name)
            .field("interfaces", &self.model().enis().len())
            .finish()
    }
}

/// What [`Network::validate`] found.
#[derive(Debug)]
#[non_exhaustive]
pub struct Validation {
    /// Every error, each pointing into the policy.
    pub errors: Vec<Error>,
    /// The network's warnings (the policy's results may be incomplete).
    pub warnings: Vec<Warning>,
}

impl Validation {
    /// Whether the policy can be checked.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}
