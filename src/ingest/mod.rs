//! Terraform JSON in, loose resource records out.
//!
//! Reads a plan (`terraform show -json plan.out`), a state
//! (`terraform show -json`) or a raw state file (`terraform.tfstate`, version
//! 4), detects which from the document, and produces, per view, the list of
//! network resources with their attribute values. Values not known until
//! apply carry the [`unknown::UNKNOWN`] marker. Only resources whose type
//! matters to reachability are decoded beyond their address; the document is
//! never turned into one whole-document tree.

pub mod address;
pub mod attributes;
pub mod config;
mod config_text;
pub mod decode;
pub mod json;
pub mod unknown;

use foldhash::{HashMap, HashMapExt, HashSet};
use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

pub use address::Key;
pub use config::Config;
pub use json::Json;

/// What kind of document the input was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Plan,
    State,
    RawState,
}

/// Which side of a plan to analyse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// The planned values: the network as it will be after apply.
    Planned,
    /// The prior state: the network as it is before apply.
    Prior,
}

/// Managed resource or data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Managed,
    Data,
}

/// One resource instance, loosely typed.
#[derive(Debug, Clone)]
pub struct RawResource {
    /// Full instance address, exactly as Terraform prints it.
    pub address: String,
    /// Module instance path (`module.net["prod"]`), empty for the root.
    pub module: String,
    pub mode: Mode,
    pub rtype: String,
    pub name: String,
    pub index: Option<Key>,
    /// Attribute values, with [`unknown::UNKNOWN`] where not known until apply.
    pub values: Json,
}

impl RawResource {
    /// `type.name` or `data.type.name`: the address inside its module,
    /// without instance key.
    pub fn rel_address(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.rtype, self.name),
            Mode::Data => format!("data.{}.{}", self.rtype, self.name),
        }
    }
}

/// The resources of one view of a document.
#[derive(Debug, Default)]
pub struct ViewResources {
    pub resources: Vec<RawResource>,
    /// Network resources the plan deletes without replacing, with their
    /// values before the change: routes to them become blackholes.
    pub deleted: Vec<RawResource>,
}

/// A parsed input document.
#[derive(Debug)]
pub struct Document {
    pub kind: DocKind,
    pub format_version: Option<String>,
    pub terraform_version: Option<String>,
    pub planned: ViewResources,
    pub prior: ViewResources,
    pub config: Config,
    /// Root module variable values (plans only).
    pub variables: BTreeMap<String, Value>,
    /// Resource types seen that tfreach does not model (count per type).
    pub skipped_types: BTreeMap<String, usize>,
}

impl Document {
    /// The resources of one view. A state has one view, returned for both.
    pub fn view(&self, view: View) -> &ViewResources {
        match (self.kind, view) {
            (DocKind::Plan, View::Prior) => &self.prior,
            _ => &self.planned,
        }
    }
}

/// Input that cannot be analysed at all.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: {}{message}", at.as_ref().map(|a| format!("at {a}: ")).unwrap_or_default())]
pub struct InputError {
    /// The file name (or `<stdin>`).
    pub file: String,
    /// The JSON path or resource address at fault, when there is one.
    pub at: Option<String>,
    pub message: String,
}

/// Is this a resource type whose attributes tfreach reads?
pub fn is_network_type(t: &str) -> bool {
    const EXACT: &[&str] = &[
        "aws_subnet",
        "aws_default_subnet",
        "aws_route",
        "aws_route_table",
        "aws_default_route_table",
        "aws_route_table_association",
        "aws_main_route_table_association",
        "aws_internet_gateway",
        "aws_internet_gateway_attachment",
        "aws_nat_gateway",
        "aws_egress_only_internet_gateway",
        "aws_vpn_gateway",
        "aws_vpn_gateway_attachment",
        "aws_vpn_gateway_route_propagation",
        "aws_network_interface",
        "aws_default_vpc",
        "aws_default_network_acl",
        "aws_default_security_group",
        "aws_security_group",
        "aws_security_group_rule",
        "aws_instance",
        "aws_eip",
        "aws_eip_association",
        "aws_vpn_connection",
        "aws_vpn_connection_route",
        "aws_dx_gateway_association",
        // Where a document's provider works (model/place.rs).
        "aws_caller_identity",
        "aws_region",
    ];
    EXACT.contains(&t)
        || t.starts_with("aws_vpc")
        || t.starts_with("aws_ec2_transit_gateway")
        || t.starts_with("aws_network_acl")
        || t.starts_with("aws_ec2_managed_prefix_list")
        || t.starts_with("awscc_ec2_")
        || crate::model::workload::WORKLOAD_TYPES.contains(&t)
}

// ---------------------------------------------------------------------------
// The typed, borrowing view of the document. Unknown keys are ignored, as
// the format's compatibility promise asks.

#[derive(Deserialize)]
struct Top<'a> {
    format_version: Option<String>,
    terraform_version: Option<String>,
    #[serde(borrow)]
    planned_values: Option<ValuesRepr<'a>>,
    /// Each change is decoded later, on the thread pool.
    #[serde(borrow)]
    resource_changes: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    prior_state: Option<StateRepr<'a>>,
    #[serde(borrow)]
    values: Option<ValuesRepr<'a>>,
    #[serde(borrow)]
    configuration: Option<&'a RawValue>,
    variables: Option<BTreeMap<String, VariableValue>>,
    version: Option<Value>,
    #[serde(borrow)]
    resources: Option<Vec<V4Resource<'a>>>,
}

#[derive(Deserialize)]
struct VariableValue {
    value: Option<Value>,
}

#[derive(Deserialize)]
struct StateRepr<'a> {
    #[serde(borrow)]
    values: Option<ValuesRepr<'a>>,
}

#[derive(Deserialize)]
struct ValuesRepr<'a> {
    #[serde(borrow)]
    root_module: Option<ModuleRepr<'a>>,
}

#[derive(Deserialize)]
struct ModuleRepr<'a> {
    #[serde(borrow)]
    address: Option<Cow<'a, str>>,
    /// Each resource is decoded later, on the thread pool.
    #[serde(borrow, default)]
    resources: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    child_modules: Vec<ModuleRepr<'a>>,
}

#[derive(Deserialize)]
struct ValuesResource<'a> {
    #[serde(borrow)]
    address: Cow<'a, str>,
    #[serde(borrow)]
    mode: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    rtype: Cow<'a, str>,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    index: Option<&'a RawValue>,
    #[serde(borrow)]
    values: Option<&'a RawValue>,
    #[serde(borrow)]
    deposed_key: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ResourceChange<'a> {
    #[serde(borrow)]
    address: Cow<'a, str>,
    #[serde(borrow)]
    module_address: Option<Cow<'a, str>>,
    #[serde(borrow)]
    mode: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    rtype: Cow<'a, str>,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    index: Option<&'a RawValue>,
    #[serde(borrow)]
    deposed: Option<Cow<'a, str>>,
    #[serde(borrow)]
    change: Change<'a>,
}

#[derive(Deserialize)]
struct Change<'a> {
    #[serde(borrow)]
    actions: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    before: Option<&'a RawValue>,
    #[serde(borrow)]
    after: Option<&'a RawValue>,
    #[serde(borrow)]
    after_unknown: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct V4Resource<'a> {
    #[serde(borrow)]
    module: Option<Cow<'a, str>>,
    #[serde(borrow)]
    mode: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    rtype: Cow<'a, str>,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    instances: Vec<V4Instance<'a>>,
}

#[derive(Deserialize)]
struct V4Instance<'a> {
    #[serde(borrow)]
    index_key: Option<&'a RawValue>,
    #[serde(borrow)]
    attributes: Option<&'a RawValue>,
    #[serde(borrow)]
    deposed: Option<Cow<'a, str>>,
}

// ---------------------------------------------------------------------------

/// Which views of a plan to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Views {
    Both,
    Only(View),
}

impl Views {
    fn has(self, v: View) -> bool {
        match self {
            Views::Both => true,
            Views::Only(x) => x == v,
        }
    }
}

/// Parses input bytes into a [`Document`] with both views of a plan.
/// `file` names the input in errors.
pub fn parse(bytes: &[u8], file: &str) -> Result<Document, InputError> {
    parse_views(bytes, file, Views::Both)
}

/// Parses input bytes, decoding only the views asked for: the other view
/// of a plan is left empty, which saves most of the work on a large plan
/// when only one view is analysed.
pub fn parse_views(bytes: &[u8], file: &str, views: Views) -> Result<Document, InputError> {
    parse_releasing(bytes, file, views, &|_, _| {})
}

/// Told that the input from the start of the first slice to the end of the
/// second is not needed for a while: a caller that mapped the file into
/// memory can hand those pages back, and the system reads them from the
/// file again if they are touched.
pub type Release<'r> = &'r (dyn Fn(&str, &str) + Sync);

/// [`parse_views`], telling `release` which parts of the input are done
/// with: the whole text once the first pass has found its parts (the
/// second pass touches each part again when it decodes it), then each
/// part as the resources are decoded (in document order, a few thousand
/// resources at a time). So the whole input is resident only during the
/// first pass, before the decoded values take their room.
pub fn parse_releasing(
    bytes: &[u8],
    file: &str,
    views: Views,
    release: Release<'_>,
) -> Result<Document, InputError> {
    let err = |at: Option<String>, message: String| InputError {
        file: file.to_string(),
        at,
        message,
    };
    let text = decode::decode(bytes).map_err(|m| err(None, m))?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(err(
            None,
            "the input is empty; expected the JSON that `terraform show -json` prints".into(),
        ));
    }
    if looks_like_plan_log(trimmed) {
        return Err(err(
            None,
            "this is the line-per-event log of `terraform plan -json`, not a plan document; \
             run `terraform plan -out plan.out` and then `terraform show -json plan.out > plan.json`"
                .into(),
        ));
    }
    if !trimmed.starts_with('{') {
        let found = match trimmed.as_bytes()[0] {
            b'[' => "an array",
            b'"' => "a string",
            b't' | b'f' => "a boolean",
            b'n' => "null",
            b'-' | b'0'..=b'9' => "a number",
            _ => "text that is not JSON",
        };
        return Err(err(
            None,
            format!("expected a JSON object (the output of `terraform show -json`), found {found}"),
        ));
    }
    // The depth scan reads the whole text once; it runs on another thread
    // while the typed parse reads it too.
    let (top, deep) = rayon::join(|| parse_top(&text, file), || too_deep(text.as_bytes()));
    let top = top?;
    release(&text, &text);
    let doc = build_document(top, file, views, release, deep.is_some())?;
    // Parts the typed parse skips are not depth-checked by serde_json.
    if let Some(line) = deep {
        return Err(err(
            None,
            format!(
                "the JSON is nested too deeply to be terraform output (more than {MAX_DEPTH} \
                 levels, at line {line})"
            ),
        ));
    }
    Ok(doc)
}

/// The typed, borrowing parse of the whole document. The JSON path of an
/// error is worked out only when there is one: tracking it costs a tenth of
/// the parse.
fn parse_top<'a>(text: &'a str, file: &str) -> Result<Top<'a>, InputError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let top = Top::deserialize(&mut de).map_err(|_| located_error::<Top>(text, "", file))?;
    de.end().map_err(|e| InputError {
        file: file.to_string(),
        at: None,
        message: format!(
            "{}; the input holds more than one JSON document",
            describe_json_error(&e)
        ),
    })?;
    Ok(top)
}

/// The error of decoding `text` as a `T`, at the JSON path where it is
/// (below `prefix`, the path of `text` in the document). Called once a
/// plain decode has failed: tracking the path costs a tenth of the parse.
fn located_error<'a, T: Deserialize<'a>>(text: &'a str, prefix: &str, file: &str) -> InputError {
    use serde_path_to_error::Segment;
    let mut de = serde_json::Deserializer::from_str(text);
    let (at, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => {
            let mut at = prefix.to_string();
            for segment in e.path().iter() {
                match segment {
                    // A segment it could not name (the input ended first).
                    Segment::Unknown => continue,
                    Segment::Seq { .. } => {}
                    _ if !at.is_empty() => at.push('.'),
                    _ => {}
                }
                at.push_str(&segment.to_string());
            }
            (at, describe_json_error(e.inner()))
        }
        Ok(_) => (
            prefix.to_string(),
            "the JSON could not be read twice alike".into(),
        ),
    };
    InputError {
        file: file.to_string(),
        at: (!at.is_empty()).then_some(at),
        message,
    }
}

/// The deepest nesting accepted anywhere in the document, skipped parts
/// included (serde_json checks depth only where it builds values).
const MAX_DEPTH: usize = 128;

/// The line where nesting first goes deeper than [`MAX_DEPTH`], if it does.
/// One pass over the bytes, strings skipped.
fn too_deep(bytes: &[u8]) -> Option<usize> {
    let (mut depth, mut line, mut i) = (0usize, 1usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            // Most of a plan is strings: jump to the quote that ends this
            // one (the next quote or backslash, and past each escape).
            b'"' => loop {
                i += 1;
                let rest = bytes.get(i..).unwrap_or_default();
                match memchr::memchr2(b'"', b'\\', rest) {
                    None => return None,
                    Some(k) if rest[k] == b'\\' => i += k + 1,
                    Some(k) => {
                        i += k;
                        break;
                    }
                }
            },
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(line);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'\n' => line += 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Is this the event log of `terraform plan -json` (one JSON object per
/// line, each with `@level` and `@message`)? Its first line is an event of
/// a few hundred bytes, so only the first [`LOG_LINE_MAX`] bytes are read:
/// a document whose first line is longer (a plan printed on one line) is
/// not a log, and is not scanned twice more before it is parsed.
fn looks_like_plan_log(text: &str) -> bool {
    let head = &text.as_bytes()[..text.len().min(LOG_LINE_MAX)];
    let Some(end) = head.iter().position(|&b| b == b'\n') else {
        return false;
    };
    let first = &text[..end];
    first.starts_with('{')
        && first.contains("\"@level\"")
        && first.contains("\"@message\"")
        && text[end..].lines().any(|l| !l.trim().is_empty())
}

/// The longest first line [`looks_like_plan_log`] reads as a log event.
const LOG_LINE_MAX: usize = 64 * 1024;

fn describe_json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    if msg.contains("recursion limit") {
        format!(
            "the JSON is nested too deeply to be terraform output (line {}, column {})",
            e.line(),
            e.column()
        )
    } else if e.is_eof() {
        format!(
            "the JSON ends too early (line {}, column {}): the file looks truncated",
            e.line(),
            e.column()
        )
    } else {
        msg
    }
}

fn major_version(v: &str) -> Option<u64> {
    v.split('.').next().and_then(|m| m.trim().parse().ok())
}

/// `too_deep_somewhere`: whether the depth scan of the whole text found nesting deeper
/// than [`MAX_DEPTH`] (then the configuration is scanned on its own, so that
/// the error can name it).
fn build_document(
    top: Top<'_>,
    file: &str,
    views: Views,
    release: Release<'_>,
    too_deep_somewhere: bool,
) -> Result<Document, InputError> {
    let err = |at: Option<String>, message: String| InputError {
        file: file.to_string(),
        at,
        message,
    };
    let is_plan = top.planned_values.is_some() || top.resource_changes.is_some();
    let is_raw_state = !is_plan && top.format_version.is_none() && top.version.is_some();
    let kind = if is_plan {
        DocKind::Plan
    } else if is_raw_state {
        DocKind::RawState
    } else if top.format_version.is_some() {
        DocKind::State
    } else {
        return Err(err(
            None,
            "this JSON is not terraform output: expected `format_version` with `planned_values` \
             or `resource_changes` (a plan, from `terraform show -json plan.out`), `values` (a \
             state, from `terraform show -json`), or `version: 4` with `resources` (a \
             terraform.tfstate file)"
                .into(),
        ));
    };

    if let Some(fv) = &top.format_version {
        match major_version(fv) {
            Some(0) | Some(1) => {}
            Some(m) => {
                return Err(err(
                    Some("format_version".into()),
                    format!(
                        "format_version {fv} (major version {m}) is newer than this tfreach \
                         reads (0.x and 1.x); upgrade tfreach"
                    ),
                ))
            }
            None => {
                return Err(err(
                    Some("format_version".into()),
                    format!("expected a version such as \"1.2\", found {fv:?}"),
                ))
            }
        }
    }

    let mut skipped = BTreeMap::new();
    let mut doc = Document {
        kind,
        format_version: top.format_version.clone(),
        terraform_version: top.terraform_version.clone(),
        planned: ViewResources::default(),
        prior: ViewResources::default(),
        config: Config::default(),
        variables: BTreeMap::new(),
        skipped_types: BTreeMap::new(),
    };

    match kind {
        DocKind::RawState => {
            match top.version.as_ref().and_then(Value::as_u64) {
                Some(4) => {}
                other => {
                    return Err(err(
                        Some("version".into()),
                        format!(
                            "expected a version 4 state file (Terraform 0.12 and later), found \
                             version {}",
                            other.map_or_else(|| "that is not a number".into(), |v| v.to_string())
                        ),
                    ))
                }
            }
            let resources = top.resources.unwrap_or_default();
            doc.planned.resources = raw_state_resources(&resources, file, &mut skipped)?;
        }
        DocKind::State => {
            if let Some(values) = &top.values {
                collect_values(
                    values,
                    "values",
                    &mut doc.planned.resources,
                    file,
                    &mut skipped,
                    false,
                    release,
                )?;
            }
        }
        DocKind::Plan => {
            // The prior view in full, or only its data sources, which the
            // planned view needs too.
            if let Some(values) = top.prior_state.as_ref().and_then(|p| p.values.as_ref()) {
                let data_only = !views.has(View::Prior);
                collect_values(
                    values,
                    "prior_state.values",
                    &mut doc.prior.resources,
                    file,
                    &mut skipped,
                    data_only,
                    release,
                )?;
            }
            if views.has(View::Planned) {
                // Data sources read during planning are not in
                // resource_changes; they are in the planned values and the
                // refreshed prior state.
                let mut extra = Vec::new();
                if top.resource_changes.is_some() {
                    if let Some(pv) = &top.planned_values {
                        collect_values(
                            pv,
                            "planned_values",
                            &mut extra,
                            file,
                            &mut BTreeMap::new(),
                            true,
                            release,
                        )?;
                    }
                }
                if let Some(changes) = &top.resource_changes {
                    plan_resources(changes, &mut doc.planned, file, &mut skipped, release)?;
                } else if let Some(pv) = &top.planned_values {
                    collect_values(
                        pv,
                        "planned_values",
                        &mut doc.planned.resources,
                        file,
                        &mut skipped,
                        false,
                        release,
                    )?;
                }
                extra.extend(
                    doc.prior
                        .resources
                        .iter()
                        .filter(|r| r.mode == Mode::Data)
                        .cloned(),
                );
                // Most plans read no data source: no set of every address.
                if !extra.is_empty() {
                    let mut have: HashSet<String> = doc
                        .planned
                        .resources
                        .iter()
                        .map(|r| r.address.clone())
                        .collect();
                    doc.planned.resources.reserve_exact(extra.len());
                    for r in extra {
                        if have.insert(r.address.clone()) {
                            doc.planned.resources.push(r);
                        }
                    }
                }
            }
            if !views.has(View::Prior) {
                doc.prior.resources.clear();
            }
        }
    }

    if let Some(raw) = top.configuration {
        // Its expressions are decoded as they are read, long after this:
        // their depth is checked now, so that the error names them. Nesting
        // in it is never deeper than in the whole text.
        if let Some(line) = too_deep_somewhere
            .then(|| too_deep(raw.get().as_bytes()))
            .flatten()
        {
            return Err(err(
                Some("configuration".into()),
                format!(
                    "the JSON is nested too deeply to be terraform output (more than \
                     {MAX_DEPTH} levels, at line {line} of the configuration)"
                ),
            ));
        }
        doc.config = Config::from_json(raw);
        release(raw.get(), raw.get());
    }
    if let Some(vars) = top.variables {
        doc.variables = vars
            .into_iter()
            .filter_map(|(k, v)| v.value.map(|val| (k, val)))
            .collect();
    }
    doc.skipped_types = skipped;
    Ok(doc)
}

fn mode_of(mode: Option<&str>, at: &str, file: &str) -> Result<Mode, InputError> {
    match mode {
        None | Some("managed") => Ok(Mode::Managed),
        Some("data") => Ok(Mode::Data),
        Some(other) => Err(InputError {
            file: file.to_string(),
            at: Some(at.to_string()),
            message: format!("expected mode \"managed\" or \"data\", found {other:?}"),
        }),
    }
}

/// Decodes a resource's attribute values, keeping only the top-level
/// attributes the model reads ([`attributes::kept`]), with empty strings and
/// nulls left out (the provider writes `""` for every unset optional string,
/// and the model treats both as "not set").
fn parse_values(
    raw: Option<&RawValue>,
    at: &str,
    member: &str,
    file: &str,
) -> Result<Json, InputError> {
    match raw {
        None => Ok(Json::Null),
        Some(r) => attributes::decode(r.get()).map_err(|e| InputError {
            file: file.to_string(),
            at: Some(format!("{at}.{member}")),
            message: describe_json_error(&e),
        }),
    }
}

/// An instance key (`index`, `index_key`), when it is a number or a string.
fn parse_key(raw: Option<&RawValue>) -> Option<Key> {
    let v: Value = serde_json::from_str(raw?.get()).ok()?;
    Key::from_json(&v)
}

/// Drops the empty strings and nulls that merging `after_unknown` left
/// behind at the top level.
fn prune(values: &mut Json) {
    values.retain_members(|v| !(v.is_null() || matches!(v, Json::String(s) if s.is_empty())));
}

fn module_of_address(address: &str) -> String {
    let parts = address::split_traversal(address);
    let mut n = 0;
    while n + 1 < parts.len() && parts[n] == "module" {
        n += 2;
    }
    parts[..n].join(".")
}

/// Decodes the jobs on every thread of the pool, keeping their order; the
/// first failing job, in input order, is the error. Jobs go a chunk at a
/// time, and the input a chunk spans (`span` names each job's JSON text) is
/// released once the chunk is decoded.
fn decode_all<J: Sync, T: Send>(
    jobs: &[J],
    span: impl Fn(&J) -> &str,
    decode: impl Fn(&J) -> Result<T, InputError> + Sync + Send,
    release: Release<'_>,
) -> Result<Vec<T>, InputError> {
    use rayon::prelude::*;
    const CHUNK: usize = 4096;
    let mut out = Vec::with_capacity(jobs.len());
    for chunk in jobs.chunks(CHUNK) {
        let decoded: Vec<Result<T, InputError>> =
            chunk.par_iter().with_min_len(64).map(&decode).collect();
        for d in decoded {
            out.push(d?);
        }
        if let (Some(first), Some(last)) = (chunk.first(), chunk.last()) {
            release(span(first), span(last));
        }
    }
    Ok(out)
}

/// Decodes one element of a resource list, naming the JSON path of an
/// error inside it (worked out only when there is one).
fn parse_element<'a, T: Deserialize<'a>>(
    raw: &'a RawValue,
    at: &str,
    file: &str,
) -> Result<T, InputError> {
    serde_json::from_str(raw.get()).map_err(|_| located_error::<T>(raw.get(), at, file))
}

/// What one element of a resource list turned into.
enum Decoded {
    /// A resource of a type tfreach does not model.
    Skipped(String),
    /// Nothing to keep (deposed, or not asked for).
    Nothing,
    /// A resource in the view.
    Planned(RawResource),
    /// A network resource the plan deletes without replacing.
    Deleted(RawResource),
}

fn collect_values(
    values: &ValuesRepr<'_>,
    at: &str,
    out: &mut Vec<RawResource>,
    file: &str,
    skipped: &mut BTreeMap<String, usize>,
    data_only: bool,
    release: Release<'_>,
) -> Result<(), InputError> {
    let Some(root) = &values.root_module else {
        return Ok(());
    };
    // Every resource, in document order, with its module and path.
    let mut jobs: Vec<(&ModuleRepr<'_>, &RawValue, String)> = Vec::new();
    // An explicit stack: module depth comes from the input.
    let mut stack = vec![(root, format!("{at}.root_module"))];
    while let Some((m, path)) = stack.pop() {
        for (i, raw) in m.resources.iter().enumerate() {
            jobs.push((m, raw, format!("{path}.resources[{i}]")));
        }
        for (i, c) in m.child_modules.iter().enumerate().rev() {
            stack.push((c, format!("{path}.child_modules[{i}]")));
        }
    }
    let decoded = decode_all(
        &jobs,
        |j| j.1.get(),
        |(m, raw, rpath)| {
            let r: ValuesResource = parse_element(raw, rpath, file)?;
            if r.deposed_key.is_some() {
                return Ok(Decoded::Nothing);
            }
            if !is_network_type(&r.rtype) {
                return Ok(Decoded::Skipped(r.rtype.into_owned()));
            }
            let mode = mode_of(r.mode.as_deref(), rpath, file)?;
            if data_only && mode != Mode::Data {
                return Ok(Decoded::Nothing);
            }
            let values = parse_values(r.values, rpath, "values", file)?;
            Ok(Decoded::Planned(RawResource {
                module: m
                    .address
                    .as_deref()
                    .map_or_else(|| module_of_address(&r.address), str::to_string),
                address: r.address.into_owned(),
                mode,
                rtype: r.rtype.into_owned(),
                name: r.name.into_owned(),
                index: parse_key(r.index),
                values,
            }))
        },
        release,
    )?;
    // Exactly the room they take: doubling would leave up to half of the
    // largest vector of the document empty for the whole run.
    let kept = decoded
        .iter()
        .filter(|d| matches!(d, Decoded::Planned(_) | Decoded::Deleted(_)));
    out.reserve_exact(kept.count());
    for d in decoded {
        match d {
            Decoded::Skipped(t) => *skipped.entry(t).or_default() += 1,
            Decoded::Planned(r) | Decoded::Deleted(r) => out.push(r),
            Decoded::Nothing => {}
        }
    }
    Ok(())
}

fn plan_resources(
    changes: &[&RawValue],
    view: &mut ViewResources,
    file: &str,
    skipped: &mut BTreeMap<String, usize>,
    release: Release<'_>,
) -> Result<(), InputError> {
    let jobs: Vec<(usize, &RawValue)> = changes.iter().copied().enumerate().collect();
    let decoded = decode_all(
        &jobs,
        |j| j.1.get(),
        |&(i, raw)| {
            let at = format!("resource_changes[{i}]");
            let rc: ResourceChange = parse_element(raw, &at, file)?;
            if rc.deposed.is_some() {
                return Ok(Decoded::Nothing);
            }
            if !is_network_type(&rc.rtype) {
                return Ok(Decoded::Skipped(rc.rtype.into_owned()));
            }
            let mode = mode_of(rc.mode.as_deref(), &at, file)?;
            let has = |a: &str| rc.change.actions.iter().any(|x| x == a);
            let creates = has("create");
            let removes = has("delete") || has("forget");
            let module = rc
                .module_address
                .as_deref()
                .map_or_else(|| module_of_address(&rc.address), str::to_string);
            let index = parse_key(rc.index);
            if removes && !creates {
                let before = parse_values(rc.change.before, &at, "change.before", file)?;
                return Ok(Decoded::Deleted(RawResource {
                    address: rc.address.into_owned(),
                    module,
                    mode,
                    rtype: rc.rtype.into_owned(),
                    name: rc.name.into_owned(),
                    index,
                    values: before,
                }));
            }
            let mut values = parse_values(rc.change.after, &at, "change.after", file)?;
            if let Some(unk) = rc.change.after_unknown {
                let unk = parse_values(Some(unk), &at, "change.after_unknown", file)?;
                unknown::merge(&mut values, unk);
                prune(&mut values);
            }
            if values.is_null() && mode == Mode::Managed {
                return Ok(Decoded::Nothing);
            }
            Ok(Decoded::Planned(RawResource {
                module,
                address: rc.address.into_owned(),
                mode,
                rtype: rc.rtype.into_owned(),
                name: rc.name.into_owned(),
                index,
                values,
            }))
        },
        release,
    )?;
    // Exactly the room they take (the deleted go to a list of their own).
    let planned = decoded.iter().filter(|d| matches!(d, Decoded::Planned(_)));
    view.resources.reserve_exact(planned.count());
    for d in decoded {
        match d {
            Decoded::Skipped(t) => *skipped.entry(t).or_default() += 1,
            Decoded::Planned(r) => view.resources.push(r),
            Decoded::Deleted(r) => view.deleted.push(r),
            Decoded::Nothing => {}
        }
    }
    Ok(())
}

fn raw_state_resources(
    resources: &[V4Resource<'_>],
    file: &str,
    skipped: &mut BTreeMap<String, usize>,
) -> Result<Vec<RawResource>, InputError> {
    let mut jobs = Vec::new();
    for (i, r) in resources.iter().enumerate() {
        let at = format!("resources[{i}]");
        if !is_network_type(&r.rtype) {
            *skipped.entry(r.rtype.to_string()).or_default() += r.instances.len().max(1);
            continue;
        }
        let mode = mode_of(r.mode.as_deref(), &at, file)?;
        let module = r.module.as_deref().unwrap_or_default().to_string();
        let rel = match mode {
            Mode::Managed => format!("{}.{}", r.rtype, r.name),
            Mode::Data => format!("data.{}.{}", r.rtype, r.name),
        };
        for (j, inst) in r.instances.iter().enumerate() {
            if inst.deposed.is_some() {
                continue;
            }
            jobs.push((
                r,
                inst,
                format!("{at}.instances[{j}]"),
                mode,
                module.clone(),
                rel.clone(),
            ));
        }
    }
    decode_all(
        &jobs,
        |_| "",
        |(r, inst, iat, mode, module, rel)| -> Result<RawResource, InputError> {
            let index = parse_key(inst.index_key);
            let mut addr = address::join(module, rel);
            if let Some(k) = &index {
                addr.push_str(&k.bracketed());
            }
            let values = parse_values(inst.attributes, iat, "attributes", file)?;
            Ok(RawResource {
                address: addr,
                module: module.clone(),
                mode: *mode,
                rtype: r.rtype.to_string(),
                name: r.name.to_string(),
                index,
                values,
            })
        },
        &|_, _| {},
    )
}

/// Index of resource instances by their module-instance-qualified
/// resource address without key, for expanding references.
///
/// Its keys borrow from the resources' own addresses where an address is
/// spelled the way the index would spell it (always, for what Terraform
/// writes), so building it allocates little beyond the tables: on a plan
/// whose every link is followed through the configuration it is built over
/// every resource.
#[derive(Debug, Default)]
pub struct InstanceIndex<'a> {
    by_resource: HashMap<Cow<'a, str>, OneOrMore<(Option<Key>, usize)>>,
    /// The first instance of each whole address (`aws_subnet.a[3]`): what
    /// a reference with a key names, found without a scan.
    by_address: HashMap<Cow<'a, str>, usize>,
    /// Every instance of an address that more than one has, by the first.
    shared_address: HashMap<usize, Vec<usize>>,
    modules: Vec<&'a str>,
}

/// The values of a key of an index: almost always one, kept without a
/// vector of its own.
#[derive(Debug)]
enum OneOrMore<T> {
    One([T; 1]),
    More(Vec<T>),
}

impl<T> OneOrMore<T> {
    fn push(&mut self, x: T) {
        *self = match std::mem::replace(self, OneOrMore::More(Vec::new())) {
            OneOrMore::One([first]) => OneOrMore::More(vec![first, x]),
            OneOrMore::More(mut all) => {
                all.push(x);
                OneOrMore::More(all)
            }
        };
    }

    fn as_slice(&self) -> &[T] {
        match self {
            OneOrMore::One(x) => x,
            OneOrMore::More(v) => v,
        }
    }
}

/// Adds `x` under `key`.
fn add<'a, T>(map: &mut HashMap<Cow<'a, str>, OneOrMore<T>>, key: Cow<'a, str>, x: T) {
    match map.get_mut(key.as_ref()) {
        Some(values) => values.push(x),
        None => {
            map.insert(key, OneOrMore::One([x]));
        }
    }
}

/// The resource part of `r`'s address (the address without its instance
/// key) and its whole address, borrowed, when the address reads module,
/// `data.` for a data source, type, name and bracketed key in the way the
/// index would spell them; `None` otherwise.
fn address_parts(r: &RawResource) -> Option<(&str, &str)> {
    let a = r.address.as_str();
    let rest = if r.module.is_empty() {
        a
    } else {
        a.strip_prefix(r.module.as_str())?.strip_prefix('.')?
    };
    let rest = match r.mode {
        Mode::Managed => rest,
        Mode::Data => rest.strip_prefix("data.")?,
    };
    let key = rest
        .strip_prefix(r.rtype.as_str())?
        .strip_prefix('.')?
        .strip_prefix(r.name.as_str())?;
    let spelled = match &r.index {
        None => key.is_empty(),
        Some(k) => key == k.bracketed(),
    };
    spelled.then(|| (&a[..a.len() - key.len()], a))
}

impl<'a> InstanceIndex<'a> {
    pub fn build(resources: &'a [RawResource]) -> Self {
        let mut by_resource = HashMap::new();
        let mut by_address = HashMap::new();
        let mut shared_address: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, r) in resources.iter().enumerate() {
            let (resource, whole) = match address_parts(r) {
                Some((resource, whole)) => (Cow::Borrowed(resource), Cow::Borrowed(whole)),
                None => {
                    let resource = address::join(&r.module, &r.rel_address());
                    let whole = match &r.index {
                        Some(k) => Cow::Owned(format!("{resource}{}", k.bracketed())),
                        None => Cow::Borrowed(""),
                    };
                    (Cow::Owned(resource), whole)
                }
            };
            if r.index.is_some() {
                match by_address.get(whole.as_ref()) {
                    Some(&first) => shared_address
                        .entry(first)
                        .or_insert_with(|| vec![first])
                        .push(i),
                    None => {
                        by_address.insert(whole, i);
                    }
                }
            }
            add(&mut by_resource, resource, (r.index.clone(), i));
        }
        // A module instance's resources come one after another: the runs
        // are dropped before the sort.
        let mut modules: Vec<&str> = resources.iter().map(|r| r.module.as_str()).collect();
        modules.dedup();
        modules.sort_unstable();
        modules.dedup();
        InstanceIndex {
            by_resource,
            by_address,
            shared_address,
            modules,
        }
    }

    /// Every module instance path that holds a resource.
    pub fn module_paths(&self) -> &[&'a str] {
        &self.modules
    }

    /// The instances of a resource with one key (`bracketed`: `[3]`,
    /// `["a"]`), in document order.
    pub fn instances_keyed(&self, resource: &str, bracketed: &str) -> &[usize] {
        match self
            .by_address
            .get_key_value(format!("{resource}{bracketed}").as_str())
        {
            Some((_, first)) => self
                .shared_address
                .get(first)
                .map_or(std::slice::from_ref(first), Vec::as_slice),
            None => &[],
        }
    }

    /// Instances of a resource (`module.m["a"].aws_subnet.x`).
    pub fn instances(&self, resource: &str) -> &[(Option<Key>, usize)] {
        self.by_resource
            .get(resource)
            .map(OneOrMore::as_slice)
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan log is told by its first line, read no further than
    /// [`LOG_LINE_MAX`] bytes: an event line followed by more is a log; a
    /// document on one line, or whose first line is not an event, is not.
    #[test]
    fn a_plan_log_is_told_by_its_first_line_alone() {
        let event = r#"{"@level":"info","@message":"Terraform 1.9.8","type":"version"}"#;
        assert!(looks_like_plan_log(&format!("{event}\n{event}\n")));
        assert!(looks_like_plan_log(&format!("{event}\r\n\n{event}")));
        assert!(!looks_like_plan_log(&format!("{event}\n\n  \n")));
        assert!(!looks_like_plan_log(event));
        let one_line = format!(
            r#"{{"format_version":"1.2","@level":"x","@message":"{}"}}"#,
            "y".repeat(LOG_LINE_MAX)
        );
        assert!(!looks_like_plan_log(&format!("{one_line}\n{event}")));
        assert!(!looks_like_plan_log(
            "{\n  \"@level\": 1, \"@message\": 2\n}\n"
        ));
    }

    /// The whole input goes back once the first pass has found its parts,
    /// before any value is decoded; the parts then go back in document
    /// order as they are decoded, and the document read while releasing is
    /// the one read without.
    #[test]
    fn the_input_is_released_whole_after_the_first_pass_then_part_by_part() {
        let text = include_str!("../../fixtures/example/plan.json");
        let base = text.as_ptr() as usize;
        let calls = std::sync::Mutex::new(Vec::new());
        let record = |first: &str, last: &str| {
            let lo = first.as_ptr() as usize - base;
            let hi = last.as_ptr() as usize + last.len() - base;
            calls.lock().unwrap().push((lo, hi));
        };
        let views = Views::Both;
        let released = parse_releasing(text.as_bytes(), "plan.json", views, &record).unwrap();
        let calls = calls.into_inner().unwrap();
        assert_eq!(calls.first(), Some(&(0, text.len())));
        assert!(calls.len() > 1, "{calls:?}");
        assert!(calls[1..]
            .iter()
            .all(|&(lo, hi)| lo < hi && hi <= text.len()));
        let plain = parse_views(text.as_bytes(), "plan.json", views).unwrap();
        let addresses = |d: &Document| -> Vec<(String, String)> {
            let all = d.planned.resources.iter().chain(&d.prior.resources);
            all.map(|r| (r.address.clone(), r.values.to_string()))
                .collect()
        };
        assert_eq!(addresses(&released), addresses(&plain));
        assert!(!addresses(&plain).is_empty());
    }

    #[test]
    fn depth_scan_skips_strings_and_escapes() {
        let within = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert_eq!(too_deep(within.as_bytes()), None);
        let over = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(too_deep(over.as_bytes()), Some(1));
        // Brackets in strings, after escaped quotes and backslashes, do not count.
        let quoted = format!(
            "{{\"a\":\"x\\\"{}\\\\\",\n\"b\":{}",
            "[".repeat(200),
            "[".repeat(3)
        );
        assert_eq!(too_deep(quoted.as_bytes()), None);
        let after = format!("\"\\\\\"\n{}", "{".repeat(MAX_DEPTH + 1));
        assert_eq!(too_deep(after.as_bytes()), Some(2));
        // An unterminated string ends the scan.
        assert_eq!(too_deep(b"[\"abc\\"), None);
    }

    fn resource(
        address: &str,
        module: &str,
        mode: Mode,
        name: &str,
        index: Option<Key>,
    ) -> RawResource {
        RawResource {
            address: address.to_string(),
            module: module.to_string(),
            mode,
            rtype: "aws_subnet".to_string(),
            name: name.to_string(),
            index,
            values: Json::Null,
        }
    }

    #[test]
    fn instance_index_finds_instances_however_their_addresses_are_spelled() {
        let m = "module.net[\"a\"]";
        let keyed_y = || {
            let k = Some(Key::Str("k".into()));
            resource("aws_subnet.y[\"k\"]", "", Mode::Managed, "y", k)
        };
        let resources = vec![
            resource(
                "module.net[\"a\"].aws_subnet.x[0]",
                m,
                Mode::Managed,
                "x",
                Some(Key::Int(0)),
            ),
            resource(
                "module.net[\"a\"].data.aws_subnet.d",
                m,
                Mode::Data,
                "d",
                None,
            ),
            // Spelled otherwise than the index would (a key written `[01]`):
            // found under the index's own spelling.
            resource(
                "module.net[\"a\"].aws_subnet.x[01]",
                m,
                Mode::Managed,
                "x",
                Some(Key::Int(1)),
            ),
            // The same address twice: both instances, in document order.
            keyed_y(),
            keyed_y(),
        ];
        assert_eq!(
            address_parts(&resources[0]),
            Some((
                "module.net[\"a\"].aws_subnet.x",
                resources[0].address.as_str()
            ))
        );
        assert_eq!(address_parts(&resources[2]), None);
        let index = InstanceIndex::build(&resources);
        let x: Vec<usize> = index
            .instances("module.net[\"a\"].aws_subnet.x")
            .iter()
            .map(|(_, i)| *i)
            .collect();
        assert_eq!(x, [0, 2]);
        assert_eq!(
            index.instances_keyed("module.net[\"a\"].aws_subnet.x", "[1]"),
            [2]
        );
        assert_eq!(
            index.instances_keyed("module.net[\"a\"].aws_subnet.x", "[0]"),
            [0]
        );
        assert_eq!(
            index.instances("module.net[\"a\"].data.aws_subnet.d")[0],
            (None, 1)
        );
        assert_eq!(index.instances_keyed("aws_subnet.y", "[\"k\"]"), [3, 4]);
        assert!(index.instances_keyed("aws_subnet.y", "[\"j\"]").is_empty());
        assert_eq!(index.module_paths(), ["", m]);
    }
}
