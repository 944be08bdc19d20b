//! A steady estate written as several states, one per group of VPCs, the
//! way separate Terraform configurations hold one estate: what joins the
//! documents is AWS IDs alone.
//!
//! - `network.json`: the transit gateway, its route tables, routes,
//!   associations and propagations (what a network account manages);
//! - `vpcs-NNNN.json`, one per `group` consecutive VPCs: their module
//!   instances (`module.vpc[i]`), the routes of their route tables, and the
//!   peerings they request (a peering with a VPC of another group names it
//!   by ID, as a cross-configuration peering does).
//!
//! The estate is the one [`write_plan`](crate::write_plan) writes, in the
//! state its plan's `prior_state` holds, so the analysis of the documents
//! together must give the same verdict counts as that of the plan.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::{EstateSpec, Mode};

/// Writes the estate of `spec` (steady only) into `dir` as one state per
/// `group` VPCs and a network state, and returns the files written,
/// network first.
pub fn write_split(spec: &EstateSpec, group: usize, dir: &Path) -> io::Result<Vec<PathBuf>> {
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidInput, e);
    if spec.mode != Mode::Steady {
        return Err(invalid(
            "a split estate is linked by AWS ID, which a greenfield plan does not know yet: \
             split a steady estate"
                .into(),
        ));
    }
    if group == 0 {
        return Err(invalid("a group holds at least one VPC".into()));
    }
    let tree: Value = serde_json::from_slice(&crate::state_tree(spec)?)?;
    let mut docs = Documents::new(group, spec.vpcs);
    let modules = tree["child_modules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut owner: HashMap<String, usize> = HashMap::new();
    for m in modules {
        let Some(i) = module_index(&m) else {
            return Err(invalid(format!("unexpected module {}", m["address"])));
        };
        for r in m["resources"].as_array().into_iter().flatten() {
            let own = matches!(
                r["type"].as_str(),
                Some("aws_vpc" | "aws_route_table" | "aws_ec2_transit_gateway_vpc_attachment")
            );
            if let (true, Some(id)) = (own, r["values"]["id"].as_str()) {
                owner.insert(id.to_string(), i);
            }
        }
        docs.groups[i / group].1.push(m);
    }
    for r in tree["resources"].as_array().cloned().unwrap_or_default() {
        let by = |attr: &str| r["values"][attr].as_str().and_then(|id| owner.get(id));
        let vpc = match r["type"].as_str() {
            Some("aws_route") => by("route_table_id").copied(),
            Some("aws_vpc_peering_connection") => by("vpc_id").copied(),
            _ => None,
        };
        match vpc {
            Some(i) => docs.groups[i / group].0.push(r),
            None => docs.network.push(r),
        }
    }
    docs.write(dir)
}

/// `module.vpc[i]` -> `i`.
fn module_index(m: &Value) -> Option<usize> {
    m["address"]
        .as_str()?
        .strip_prefix("module.vpc[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The resources of each document: the network's root resources, and per
/// group its root resources and module instances.
struct Documents {
    network: Vec<Value>,
    groups: Vec<(Vec<Value>, Vec<Value>)>,
}

impl Documents {
    fn new(group: usize, vpcs: usize) -> Self {
        Documents {
            network: Vec::new(),
            groups: vec![(Vec::new(), Vec::new()); vpcs.div_ceil(group)],
        }
    }

    fn write(self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut files = Vec::new();
        if !self.network.is_empty() {
            let path = dir.join("network.json");
            write_state(&path, self.network, Vec::new())?;
            files.push(path);
        }
        for (g, (root, modules)) in self.groups.into_iter().enumerate() {
            let path = dir.join(format!("vpcs-{g:04}.json"));
            write_state(&path, root, modules)?;
            files.push(path);
        }
        Ok(files)
    }
}

/// One `terraform show -json` state document.
fn write_state(path: &Path, resources: Vec<Value>, modules: Vec<Value>) -> io::Result<()> {
    let mut root = Map::new();
    if !resources.is_empty() {
        root.insert("resources".into(), Value::Array(resources));
    }
    if !modules.is_empty() {
        root.insert("child_modules".into(), Value::Array(modules));
    }
    let doc = json!({
        "format_version": "1.0",
        "terraform_version": crate::TERRAFORM_VERSION,
        "values": {"root_module": root},
    });
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    serde_json::to_writer(&mut w, &doc)?;
    w.write_all(b"\n")?;
    w.flush()
}
