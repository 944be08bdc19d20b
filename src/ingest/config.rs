//! The plan's `configuration` block, and resolving references through it.
//!
//! When an ID is unknown until apply, the only record of what a resource
//! points at is the list of references in its configuration expression.
//! References are module-relative; they are resolved here through module
//! outputs, input variables, `count.index`, `each.key` and `each.value`, by
//! aligning instance keys.

use foldhash::{HashMap, HashSet, HashSetExt};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use serde_json::value::RawValue;
use serde_json::Value;

use super::config_text::{self, ModuleText};
use super::json::Json;

use super::address::{
    module_path_text, parse_module_path, split_index, split_traversal, static_module_path,
    ModuleStep,
};
use super::{InstanceIndex, RawResource};

/// How deep a chain of outputs and variables may go before it is taken for
/// a loop.
const MAX_DEPTH: usize = 32;

/// An expression of the configuration, kept as its JSON text and decoded
/// the first time it is read. Most expressions of a plan whose IDs are known
/// are never read, and decoding all of them was a large part of reading a
/// plan and of its memory. Once decoded, the text is dropped: on a plan
/// whose IDs are unknown every expression is read, and the texts were a
/// third of the configuration's memory beside the trees.
#[derive(Debug, Default)]
struct Expr {
    text: Mutex<Option<Box<RawValue>>>,
    value: OnceLock<Json>,
}

impl Expr {
    fn new(raw: Option<&RawValue>) -> Expr {
        Expr {
            text: Mutex::new(raw.map(RawValue::to_owned)),
            value: OnceLock::new(),
        }
    }

    /// The text, while the expression is not decoded. (Nothing panics while
    /// holding the lock, but a poisoned one still holds the text.)
    fn text(&self) -> MutexGuard<'_, Option<Box<RawValue>>> {
        self.text.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The decoded expression (`null` where the block has none). The text
    /// was checked as JSON when the configuration was read, and its depth
    /// with the whole document.
    fn get(&self) -> &Json {
        self.value.get_or_init(|| {
            self.text()
                .take()
                .and_then(|t| serde_json::from_str(t.get()).ok())
                .unwrap_or(Json::Null)
        })
    }
}

#[derive(Debug, Default)]
struct ResourceCfg {
    expressions: Expr,
    iter_expr: Expr,
    provider_key: Option<String>,
}

#[derive(Debug, Default)]
struct CallCfg {
    expressions: Expr,
    iter_expr: Expr,
}

#[derive(Debug, Default)]
struct ModuleCfg {
    resources: HashMap<String, ResourceCfg>,
    outputs: HashMap<String, Expr>,
    calls: HashMap<String, CallCfg>,
    defaults: HashMap<String, Value>,
}

/// The configuration, indexed by static module path (`module.a.module.b`).
#[derive(Debug, Default)]
pub struct Config {
    modules: HashMap<String, ModuleCfg>,
    provider_region: HashMap<String, Json>,
    /// Each provider configuration's expressions, by key (`aws`, `aws.east`).
    providers: HashMap<String, Json>,
}

/// What a reference led to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A resource instance of the view (its index in the view's list).
    Instance(usize),
    /// A literal string (an ID given as a variable or constant).
    Literal(String),
    /// A resource instance picked by matching instance keys where the
    /// configuration computes the key through a value the plan does not
    /// record: an assumption, with the reason it was made.
    Aligned(usize, String),
}

/// A part of the block read as `T`: an object's members or an array's
/// elements each as its text, a string, a value. `None` when it is absent
/// or not of that shape: a part tfreach does not understand is passed over,
/// as it always was.
fn read_as<'a, T: serde::Deserialize<'a>>(raw: Option<&'a RawValue>) -> Option<T> {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
}

/// The configuration read in one pass, where it is in the shape Terraform
/// writes ([`config_text`]).
fn one_pass(raw: &RawValue) -> Option<Config> {
    let top = config_text::config_in_one_pass(raw)?;
    let mut cfg = Config::default();
    if let Some(root) = top.root {
        cfg.add_modules(root, config_text::module_in_one_pass)?;
    }
    cfg.add_providers(top.provider_config);
    Some(cfg)
}

/// The configuration read from any shape, part by part.
fn by_members(raw: &RawValue) -> Config {
    let top = config_text::members(Some(raw));
    let mut cfg = Config::default();
    if let Some(root) = top.get("root_module") {
        let read = |m| Some(config_text::module_by_members(m));
        // Reading by members never gives up.
        let _ = cfg.add_modules(config_text::module_by_members(root), read);
    }
    cfg.add_providers(top.get("provider_config").copied());
    cfg
}

impl Config {
    /// The index of a plan's `configuration` block, from its JSON text:
    /// modules by static path, with their resources, outputs, variable
    /// defaults and calls; expressions stay text until they are read.
    pub fn from_json(raw: &RawValue) -> Config {
        one_pass(raw).unwrap_or_else(|| by_members(raw))
    }

    /// Indexes the modules below `root`, reading each with `read`.
    fn add_modules<'a>(
        &mut self,
        root: ModuleText<'a>,
        read: impl Fn(&'a RawValue) -> Option<ModuleText<'a>>,
    ) -> Option<()> {
        let mut stack = vec![(String::new(), root)];
        while let Some((path, m)) = stack.pop() {
            let mut mc = ModuleCfg::default();
            for r in m.resources {
                let Some(addr) = read_as::<String>(r.address()) else {
                    continue;
                };
                mc.resources.insert(
                    addr,
                    ResourceCfg {
                        expressions: Expr::new(r.expressions()),
                        iter_expr: Expr::new(r.iteration()),
                        provider_key: read_as(r.provider_config_key()),
                    },
                );
            }
            for (k, o) in m.outputs {
                mc.outputs.insert(k, Expr::new(o.expression()));
            }
            for (k, o) in m.variables {
                if let Some(d) = o.default_value() {
                    mc.defaults
                        .insert(k, read_as(Some(d)).unwrap_or(Value::Null));
                }
            }
            for (name, c) in m.calls {
                mc.calls.insert(
                    name.clone(),
                    CallCfg {
                        expressions: Expr::new(c.expressions()),
                        iter_expr: Expr::new(c.iteration()),
                    },
                );
                if let Some(child) = c.module() {
                    let cp = if path.is_empty() {
                        format!("module.{name}")
                    } else {
                        format!("{path}.module.{name}")
                    };
                    stack.push((cp, read(child)?));
                }
            }
            self.modules.insert(path, mc);
        }
        Some(())
    }

    /// Indexes the provider configurations (`provider_config`).
    fn add_providers(&mut self, provider_config: Option<&RawValue>) {
        for (key, p) in config_text::members(provider_config) {
            let p = config_text::members(Some(p));
            let expressions = read_as(p.get("expressions").copied()).unwrap_or(Json::Null);
            if let Some(r) = expressions.get("region") {
                self.provider_region.insert(key.clone(), r.clone());
            }
            self.providers.insert(key, expressions);
        }
    }

    fn resource_cfg(&self, res: &RawResource) -> Option<(&ResourceCfg, Vec<ModuleStep>)> {
        let steps = parse_module_path(&res.module)?;
        let m = self.modules.get(&static_module_path(&steps))?;
        let rc = m.resources.get(&res.rel_address())?;
        Some((rc, steps))
    }

    /// Is the attribute set in the configuration at all?
    pub fn is_configured(&self, res: &RawResource, attr: &str) -> bool {
        self.resource_cfg(res)
            .and_then(|(rc, _)| rc.expressions.get().get(attr))
            .is_some()
    }

    /// Is the attribute at a path (into nested blocks) set in the
    /// configuration?
    pub fn is_configured_path(&self, res: &RawResource, path: &[&str]) -> bool {
        let Some((rc, _)) = self.resource_cfg(res) else {
            return false;
        };
        let mut expr = rc.expressions.get();
        for a in path {
            match step(expr, a) {
                Some(e) => expr = e,
                None => return false,
            }
        }
        true
    }

    /// Does the attribute's expression go through a local value? Locals are
    /// not in the plan's configuration, so such links cannot be followed.
    pub fn through_local(&self, res: &RawResource, attr: &[&str]) -> bool {
        let Some((rc, _)) = self.resource_cfg(res) else {
            return false;
        };
        let mut expr = rc.expressions.get();
        for a in attr {
            match step(expr, a) {
                Some(e) => expr = e,
                None => return false,
            }
        }
        refs_of(expr).iter().any(|r| r.starts_with("local."))
    }

    /// Does the attribute's expression pick an instance by a key that
    /// depends on the referring instance (`count.index`, `each.key`,
    /// `each.value`)? Links followed that way rest on matching keys.
    pub fn keyed_by_instance(&self, res: &RawResource, attr: &str) -> bool {
        let Some((rc, _)) = self.resource_cfg(res) else {
            return false;
        };
        rc.expressions.get().get(attr).is_some_and(|e| {
            refs_of(e)
                .iter()
                .any(|r| *r == "count.index" || *r == "each.key" || r.starts_with("each.value"))
        })
    }

    /// Does the configuration hold a block for this resource (a state has
    /// no configuration)?
    pub fn has_block(&self, res: &RawResource) -> bool {
        self.resource_cfg(res).is_some()
    }

    /// The key of the provider configuration a resource uses (`aws`,
    /// `aws.east`): a module's inherited provider (`vpc:aws`) is the one
    /// its key ends with. `None` without a configuration block.
    pub fn provider_key(&self, res: &RawResource) -> Option<String> {
        let (rc, _) = self.resource_cfg(res)?;
        let key = rc.provider_key.as_deref().unwrap_or("aws");
        Some(self.normal_key(key).to_string())
    }

    fn normal_key<'k>(&self, key: &'k str) -> &'k str {
        if self.providers.contains_key(key) {
            key
        } else {
            key.rsplit(':').next().unwrap_or(key)
        }
    }

    /// The provider configurations' keys.
    pub fn provider_keys(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }

    /// The account a provider configuration names as a constant, with the
    /// argument that names it: its one `allowed_account_ids`, or the
    /// account in the ARN of the role it assumes (`assume_role.role_arn`).
    /// Several that disagree are all returned.
    pub fn provider_accounts(&self, key: &str) -> Vec<(String, &'static str)> {
        let Some(e) = self.providers.get(key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(Json::Array(ids)) = e
            .get("allowed_account_ids")
            .and_then(|a| a.get("constant_value"))
        {
            if let [Json::String(id)] = &ids[..] {
                out.push((id.to_string(), "allowed_account_ids"));
            }
        }
        let roles = match e.get("assume_role") {
            Some(Json::Array(blocks)) => blocks.iter().collect(),
            Some(b @ Json::Object(_)) => vec![b],
            _ => Vec::new(),
        };
        for b in roles {
            let arn = b
                .get("role_arn")
                .and_then(|a| a.get("constant_value"))
                .and_then(Json::as_str);
            // arn:PARTITION:iam::ACCOUNT:role/NAME
            if let Some(account) = arn
                .and_then(|a| a.split(':').nth(4))
                .filter(|a| !a.is_empty())
            {
                out.push((account.to_string(), "assume_role.role_arn"));
            }
        }
        out
    }

    /// The region a resource's provider configuration names, when it is a
    /// constant or a root variable.
    pub fn provider_region(
        &self,
        res: &RawResource,
        variables: &BTreeMap<String, Value>,
    ) -> Option<String> {
        let (rc, _) = self.resource_cfg(res)?;
        let key = rc.provider_key.as_deref().unwrap_or("aws");
        self.key_region(key, variables)
    }

    /// The region the provider configuration `key` names, when it is a
    /// constant or a root variable.
    pub fn key_region(&self, key: &str, variables: &BTreeMap<String, Value>) -> Option<String> {
        // A key such as `module.x:aws` may not exist: fall back to the root's.
        let expr = self.provider_region.get(key).or_else(|| {
            self.provider_region
                .get(key.rsplit(':').next().unwrap_or("aws"))
        })?;
        if let Some(s) = expr.get("constant_value").and_then(Json::as_str) {
            return Some(s.to_string());
        }
        let refs = refs_of(expr);
        let var = refs.iter().find_map(|r| r.strip_prefix("var."))?;
        variables
            .get(var)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// Resolves the expression of attribute `attr` (a path into the
    /// resource's expressions) to the resource instances or literals it
    /// refers to. An `Err` says why it cannot be resolved.
    pub fn resolve(
        &self,
        res: &RawResource,
        attr: &[&str],
        index: &InstanceIndex<'_>,
        variables: &BTreeMap<String, Value>,
    ) -> Result<Vec<Target>, String> {
        let (rc, steps) = self
            .resource_cfg(res)
            .ok_or_else(|| "the plan's configuration has no block for this resource".to_string())?;
        let mut expr = rc.expressions.get();
        for a in attr {
            expr = step(expr, a).ok_or_else(|| {
                format!(
                    "the configuration sets no `{}` expression for it",
                    attr.join(".")
                )
            })?;
        }
        let ctx = Ctx {
            self_key: res.index.as_ref().map(|k| k.bracketed()),
            iter_refs: refs_of(rc.iter_expr.get()),
            iter_expr: Some(rc.iter_expr.get()),
            owner: Owner::Resource(super::address::join(&res.module, &res.rel_address())),
            module: steps,
        };
        let r = Resolver {
            cfg: self,
            index,
            variables,
        };
        let out = r.expression(&ctx, expr, 0)?;
        if out.is_empty() {
            return Err(format!(
                "its `{}` expression refers to nothing tfreach can follow",
                attr.join(".")
            ));
        }
        Ok(out)
    }
}

/// One step of an attribute path into a resource's expressions: an
/// attribute of an object, an element of a list of blocks (by number, or
/// the only block when there is one), or, where the path goes on into an
/// expression that merges the references of its blocks, that expression.
fn step<'v>(expr: &'v Json, a: &str) -> Option<&'v Json> {
    match expr {
        Json::Array(items) => match a.parse::<usize>() {
            Ok(i) => items.get(i),
            Err(_) => match &items[..] {
                [only] => step(only, a),
                _ => None,
            },
        },
        Json::Object(_) => expr
            .get(a)
            .or_else(|| expr.get("references").is_some().then_some(expr)),
        _ => None,
    }
}

/// Every `references` string anywhere under an expression node (block
/// expressions nest; an attribute written as blocks is one merged node).
fn refs_of(expr: &Json) -> Vec<&str> {
    let mut out = Vec::new();
    let mut stack = vec![expr];
    while let Some(v) = stack.pop() {
        match v {
            Json::Object(m) => {
                if let Some(Json::Array(rs)) = v.get("references") {
                    out.extend(rs.iter().filter_map(Json::as_str));
                }
                for (k, c) in m.iter() {
                    if &**k != "references" && &**k != "constant_value" {
                        stack.push(c);
                    }
                }
            }
            Json::Array(a) => stack.extend(a.iter().rev()),
            _ => {}
        }
    }
    out
}

/// Constant strings anywhere under an expression node.
fn constants_of(expr: &Json) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = expr.get("constant_value") {
        match c {
            Json::String(s) => out.push(s.to_string()),
            Json::Array(a) => out.extend(a.iter().filter_map(Json::as_str).map(str::to_string)),
            _ => {}
        }
    }
    out
}

struct Ctx<'c> {
    module: Vec<ModuleStep>,
    /// The bracketed key of the instance whose expression this is.
    self_key: Option<String>,
    /// References of that block's `for_each` / `count` expression.
    iter_refs: Vec<&'c str>,
    /// That expression itself, to read `each.value` from when it is recorded.
    iter_expr: Option<&'c Json>,
    /// The block whose instance this is.
    owner: Owner,
}

/// The block an expression belongs to, whose instances are compared with
/// those of the blocks it refers to.
enum Owner {
    /// A resource block (absolute address without instance key).
    Resource(String),
    /// A module call: the calling module instance and the call's name.
    Call(Vec<ModuleStep>, String),
    /// A module output (no instances of its own).
    Output,
}

struct Resolver<'a> {
    cfg: &'a Config,
    index: &'a InstanceIndex<'a>,
    variables: &'a BTreeMap<String, Value>,
}

#[derive(Default)]
struct ResourceRef {
    keys: Vec<String>,
    unkeyed_attr: bool,
}

impl Resolver<'_> {
    fn expression(&self, ctx: &Ctx<'_>, expr: &Json, depth: usize) -> Result<Vec<Target>, String> {
        let refs = refs_of(expr);
        if refs.is_empty() {
            return Ok(constants_of(expr)
                .into_iter()
                .map(Target::Literal)
                .collect());
        }
        self.references(ctx, &refs, depth)
    }

    fn references(
        &self,
        ctx: &Ctx<'_>,
        refs: &[&str],
        depth: usize,
    ) -> Result<Vec<Target>, String> {
        if depth > MAX_DEPTH {
            return Err(
                "its references loop, or chain through more than 32 outputs and variables"
                    .to_string(),
            );
        }
        let dynamic_key = refs
            .iter()
            .any(|r| *r == "count.index" || *r == "each.key" || r.starts_with("each.value"));
        let mut resources: BTreeMap<String, ResourceRef> = BTreeMap::new();
        let mut modules: BTreeMap<(String, Option<String>), Vec<String>> = BTreeMap::new();
        let mut vars: Vec<String> = Vec::new();
        let mut each_value = false;
        // Attributes read from `each.value` (`each.value.transit_gateway_attachment_id`).
        let mut each_attrs: Vec<String> = Vec::new();
        let mut opaque: Vec<String> = Vec::new();
        for r in refs {
            let parts = split_traversal(r);
            match parts[0] {
                "var" if parts.len() >= 2 => {
                    if !vars.contains(&parts[1].to_string()) {
                        vars.push(parts[1].to_string())
                    }
                }
                "local" => opaque.push(r.to_string()),
                "module" if parts.len() >= 2 => {
                    let (name, key) = split_index(parts[1]);
                    let entry = modules
                        .entry((name.to_string(), key.map(str::to_string)))
                        .or_default();
                    if let Some(out) = parts.get(2) {
                        let out = split_index(out).0.to_string();
                        if !entry.contains(&out) {
                            entry.push(out);
                        }
                    }
                }
                "each" if parts.get(1) == Some(&"value") => {
                    each_value = true;
                    if let Some(a) = parts.get(2) {
                        let a = split_index(a).0.to_string();
                        if !each_attrs.contains(&a) {
                            each_attrs.push(a);
                        }
                    }
                }
                "each" | "count" | "path" | "terraform" | "self" => {}
                "data" if parts.len() >= 3 => {
                    let (name, key) = split_index(parts[2]);
                    let subject = format!("data.{}.{}", parts[1], name);
                    note_resource(&mut resources, subject, key, parts.len() > 3);
                }
                _ if parts.len() >= 2 => {
                    let (name, key) = split_index(parts[1]);
                    let subject = format!("{}.{}", parts[0], name);
                    note_resource(&mut resources, subject, key, parts.len() > 2);
                }
                _ => opaque.push(r.to_string()),
            }
        }

        let mut out = Vec::new();
        // Set when an instance key cannot be told: the whole expression
        // then cannot be followed (a partial answer would be a guess).
        let mut key_failure: Option<String> = None;
        let module_text = module_path_text(&ctx.module);
        for (subject, rr) in &resources {
            let abs = super::address::join(&module_text, subject);
            let instances = self.index.instances(&abs);
            if !rr.keys.is_empty() {
                for k in &rr.keys {
                    out.extend(
                        self.index
                            .instances_keyed(&abs, k)
                            .iter()
                            .map(|&i| Target::Instance(i)),
                    );
                }
            } else if rr.unkeyed_attr {
                out.extend(
                    instances
                        .iter()
                        .filter(|(k, _)| k.is_none())
                        .map(|(_, i)| Target::Instance(*i)),
                );
            } else if dynamic_key && ctx.self_key.is_some() {
                match self.keyed(ctx, subject, &abs, refs, instances) {
                    Ok(ts) => out.extend(ts),
                    Err(why) => {
                        key_failure.get_or_insert(why);
                    }
                }
            } else {
                out.extend(instances.iter().map(|(_, i)| Target::Instance(*i)));
            }
        }

        for ((name, key), outputs) in &modules {
            let static_parent = static_module_path(&ctx.module);
            let Some(parent) = self.cfg.modules.get(&static_parent) else {
                continue;
            };
            if !parent.calls.contains_key(name) {
                return Err(format!("module call `{name}` is not in the configuration"));
            }
            let child_static = if static_parent.is_empty() {
                format!("module.{name}")
            } else {
                format!("{static_parent}.module.{name}")
            };
            let Some(child_cfg) = self.cfg.modules.get(&child_static) else {
                continue;
            };
            let keys: Vec<Option<String>> = match key {
                Some(k) => vec![Some(k.clone())],
                None if dynamic_key && ctx.self_key.is_some() => vec![ctx.self_key.clone()],
                None => self.module_instance_keys(&ctx.module, name),
            };
            for k in keys {
                let mut child = ctx.module.clone();
                child.push(ModuleStep {
                    name: name.clone(),
                    key: k,
                });
                for o in outputs {
                    let Some(expr) = child_cfg.outputs.get(o).map(Expr::get) else {
                        return Err(format!("module `{name}` has no output `{o}`"));
                    };
                    let cctx = Ctx {
                        module: child.clone(),
                        self_key: None,
                        iter_refs: Vec::new(),
                        iter_expr: None,
                        owner: Owner::Output,
                    };
                    out.extend(self.expression(&cctx, expr, depth + 1)?);
                }
            }
        }

        for v in &vars {
            out.extend(self.variable(ctx, v, depth)?);
        }

        if each_value {
            if let Some(v) = self.each_value(ctx) {
                // A recorded `for_each`: each.value is a plain value. Where it
                // picks an instance key it was used above; otherwise its
                // strings are what the attribute is set to (IDs).
                if resources.is_empty() {
                    let mut named = |x: Option<&Value>| {
                        if let Some(Value::String(s)) = x {
                            out.push(Target::Literal(s.clone()));
                        }
                    };
                    if each_attrs.is_empty() {
                        named(Some(&v));
                    }
                    for a in &each_attrs {
                        named(v.get(a));
                    }
                }
            } else {
                if ctx.iter_refs.is_empty() {
                    return Err("it uses each.value of a for_each tfreach cannot follow".into());
                }
                // `for_each = module.m` makes each.value an instance of the
                // module, whose attributes are its outputs.
                let mut iter_refs: Vec<String> = Vec::new();
                for &r in &ctx.iter_refs {
                    let parts = split_traversal(r);
                    if parts.len() == 2 && parts[0] == "module" && !each_attrs.is_empty() {
                        iter_refs.extend(each_attrs.iter().map(|a| format!("{r}.{a}")));
                    } else {
                        iter_refs.push(r.to_string());
                    }
                }
                iter_refs.push("each.key".to_string());
                let iter_refs: Vec<&str> = iter_refs.iter().map(String::as_str).collect();
                // `each.value` of an instance is the element with its own key.
                out.extend(self.references(
                    &Ctx {
                        module: ctx.module.clone(),
                        self_key: ctx.self_key.clone(),
                        iter_refs: Vec::new(),
                        iter_expr: None,
                        owner: Owner::Output,
                    },
                    &iter_refs,
                    depth + 1,
                )?);
            }
        }

        if let Some(why) = key_failure {
            return Err(why);
        }
        if out.is_empty() && !opaque.is_empty() {
            return Err(format!(
                "it goes through `{}`, which the plan does not record",
                opaque[0]
            ));
        }
        Ok(dedup(out))
    }

    fn variable(&self, ctx: &Ctx<'_>, name: &str, depth: usize) -> Result<Vec<Target>, String> {
        let Some((call, parent)) = ctx.module.split_last() else {
            return Ok(match self.variables.get(name) {
                Some(Value::String(s)) => vec![Target::Literal(s.clone())],
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| Target::Literal(s.to_string()))
                    .collect(),
                _ => Vec::new(),
            });
        };
        let parent_cfg = self
            .cfg
            .modules
            .get(&static_module_path(parent))
            .and_then(|m| m.calls.get(&call.name));
        let Some(call_cfg) = parent_cfg else {
            return Err(format!(
                "the call of module `{}` is not in the configuration",
                call.name
            ));
        };
        match call_cfg.expressions.get().get(name) {
            Some(expr) => self.expression(
                &Ctx {
                    module: parent.to_vec(),
                    self_key: call.key.clone(),
                    iter_refs: refs_of(call_cfg.iter_expr.get()),
                    iter_expr: Some(call_cfg.iter_expr.get()),
                    owner: Owner::Call(parent.to_vec(), call.name.clone()),
                },
                expr,
                depth + 1,
            ),
            None => {
                let child = self.cfg.modules.get(&static_module_path(&ctx.module));
                Ok(match child.and_then(|c| c.defaults.get(name)) {
                    Some(Value::String(s)) => vec![Target::Literal(s.clone())],
                    _ => Vec::new(),
                })
            }
        }
    }

    /// The instances of `subject` (a block referred to without a static key)
    /// that the instance `ctx` names, when its expression also refers to
    /// `count.index`, `each.key` or `each.value`.
    ///
    /// Terraform's references do not say how the key is computed, only what
    /// it reads. Keys are matched only where that is sound:
    /// - `each.value` attributes that the plan records (a constant or
    ///   variable `for_each`) and that name an instance: that instance;
    /// - a block with one instance: any valid key names it;
    /// - nothing else the key could be computed from but `count.index`,
    ///   `each.key` and recorded scalar variables (switches such as
    ///   `var.single_nat_gateway ? 0 : count.index`): the instance with the
    ///   same key;
    /// - a key that also reads a value the plan does not record (a `local`,
    ///   a variable holding a list or a map) can map instance `k` to any
    ///   other (`aws_vpc.vpc[local.layout[count.index].vpc]`). Only when the
    ///   reference is indexed by `count.index` / `each.key` right away and
    ///   both blocks have the same instances is the same key taken, as an
    ///   assumption ([`Target::Aligned`]) that the model states and drops
    ///   when it yields what AWS cannot have; otherwise this is an `Err`.
    fn keyed(
        &self,
        ctx: &Ctx<'_>,
        subject: &str,
        abs: &str,
        refs: &[&str],
        instances: &[(Option<super::address::Key>, usize)],
    ) -> Result<Vec<Target>, String> {
        let by_key = |k: &str| -> Vec<usize> { self.index.instances_keyed(abs, k).to_vec() };
        let mut unrecorded: Option<String> = None;
        let each_value: Vec<&str> = refs
            .iter()
            .copied()
            .filter(|r| {
                let p = split_traversal(r);
                p[0] == "each" && p.get(1) == Some(&"value")
            })
            .collect();
        if !each_value.is_empty() {
            match self.each_value(ctx) {
                Some(v) => {
                    let mut named = Vec::new();
                    // Recorded flags (`each.value.enabled ? ... : ...`) pick
                    // no key; other recorded values may be part of one.
                    let mut only_flags = true;
                    // `each.value.x` is listed with its prefix `each.value`.
                    let with_attr = each_value.iter().any(|r| split_traversal(r).len() > 2);
                    for r in &each_value {
                        let parts = split_traversal(r);
                        let val = match parts.get(2) {
                            None if with_attr => continue,
                            None => Some(&v),
                            Some(a) => v.get(split_index(a).0),
                        };
                        only_flags &= matches!(val, Some(Value::Bool(_) | Value::Null));
                        if let Some(k) = val.and_then(key_text) {
                            for i in by_key(&k) {
                                if !named.contains(&i) {
                                    named.push(i);
                                }
                            }
                        }
                    }
                    if !named.is_empty() {
                        return Ok(named.into_iter().map(Target::Instance).collect());
                    }
                    if !only_flags {
                        unrecorded = Some(format!(
                            "`{}` (recorded, but naming no instance of `{subject}`)",
                            each_value[0]
                        ));
                    }
                }
                None => unrecorded = Some(format!("`{}`", each_value[0])),
            }
        }
        if instances.len() == 1 {
            return Ok(vec![Target::Instance(instances[0].1)]);
        }
        for r in refs {
            let parts = split_traversal(r);
            let opaque = match parts[0] {
                "local" => true,
                "var" if parts.len() >= 2 => !matches!(
                    self.var_value(&ctx.module, split_index(parts[1]).0, 0),
                    Some(Value::Bool(_) | Value::Number(_) | Value::String(_) | Value::Null)
                ),
                _ => false,
            };
            if opaque && unrecorded.is_none() {
                unrecorded = Some(format!("`{r}`"));
            }
        }
        let self_key = ctx.self_key.as_deref().unwrap_or_default();
        let aligned = by_key(self_key);
        let Some(through) = unrecorded else {
            return Ok(aligned.into_iter().map(Target::Instance).collect());
        };
        let indexed_by_key = refs
            .windows(2)
            .any(|w| w[0] == subject && (w[1] == "count.index" || w[1] == "each.key"));
        if indexed_by_key && !aligned.is_empty() && self.same_instances(ctx, instances) {
            let why = format!(
                "its instance key is computed through {through}, which the plan does not record, \
                 and `{subject}` has the same instances as the block that refers to it"
            );
            return Ok(aligned
                .into_iter()
                .map(|i| Target::Aligned(i, why.clone()))
                .collect());
        }
        Err(format!(
            "it picks an instance of `{subject}` by a key computed through {through}, which the \
             plan does not record"
        ))
    }

    /// `each.value` of the instance `ctx` names, when its `for_each` is
    /// recorded in the plan (a constant, or a variable with a known value).
    fn each_value(&self, ctx: &Ctx<'_>) -> Option<Value> {
        let key = ctx.self_key.as_deref().and_then(unbracket)?;
        match self.recorded(&ctx.module, ctx.iter_expr?, 0)? {
            Value::Object(m) => m.get(&key).cloned(),
            Value::Array(a) => a.into_iter().find(|v| v.as_str() == Some(key.as_str())),
            _ => None,
        }
    }

    /// The value of an expression in `module` when the plan records it: a
    /// constant, or a variable whose value is recorded.
    fn recorded(&self, module: &[ModuleStep], expr: &Json, depth: usize) -> Option<Value> {
        if let Some(c) = expr.get("constant_value") {
            return Some(c.to_value());
        }
        match refs_of(expr).as_slice() {
            [r] => match split_traversal(r).as_slice() {
                ["var", name] => self.var_value(module, name, depth),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value of input variable `name` of `module` as the plan records it:
    /// the plan's variables at the root, the call's argument or the
    /// variable's default in a module.
    fn var_value(&self, module: &[ModuleStep], name: &str, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let Some((call, parent)) = module.split_last() else {
            return self.variables.get(name).cloned();
        };
        let call_cfg = self
            .cfg
            .modules
            .get(&static_module_path(parent))?
            .calls
            .get(&call.name)?;
        match call_cfg.expressions.get().get(name) {
            Some(expr) => self.recorded(parent, expr, depth + 1),
            None => self
                .cfg
                .modules
                .get(&static_module_path(module))?
                .defaults
                .get(name)
                .cloned(),
        }
    }

    /// Does the block `ctx` belongs to have the same instance keys as
    /// `instances`?
    fn same_instances(
        &self,
        ctx: &Ctx<'_>,
        instances: &[(Option<super::address::Key>, usize)],
    ) -> bool {
        let theirs: BTreeSet<Option<String>> = instances
            .iter()
            .map(|(k, _)| k.as_ref().map(|x| x.bracketed()))
            .collect();
        let ours: BTreeSet<Option<String>> = match &ctx.owner {
            Owner::Resource(abs) => self
                .index
                .instances(abs)
                .iter()
                .map(|(k, _)| k.as_ref().map(|x| x.bracketed()))
                .collect(),
            Owner::Call(parent, name) => self
                .module_instance_keys(parent, name)
                .into_iter()
                .collect(),
            Owner::Output => return false,
        };
        ours == theirs
    }

    /// Keys of the instances of module call `name` under `parent`, from the
    /// module paths that hold resources.
    fn module_instance_keys(&self, parent: &[ModuleStep], name: &str) -> Vec<Option<String>> {
        let prefix = {
            let p = module_path_text(parent);
            if p.is_empty() {
                format!("module.{name}")
            } else {
                format!("{p}.module.{name}")
            }
        };
        let mut keys: Vec<Option<String>> = Vec::new();
        for m in self.index.module_paths() {
            if let Some(rest) = m.strip_prefix(&prefix) {
                let key = if rest.is_empty() || rest.starts_with('.') {
                    None
                } else if rest.starts_with('[') {
                    let parts = split_traversal(&m[prefix.len() - name.len()..]);
                    split_index(parts[0]).1.map(str::to_string)
                } else {
                    continue;
                };
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        if keys.is_empty() {
            keys.push(None);
        }
        keys
    }
}

/// The targets in order, each once.
fn dedup(mut out: Vec<Target>) -> Vec<Target> {
    if out.len() <= 16 {
        let mut kept: Vec<Target> = Vec::with_capacity(out.len());
        for t in out {
            if !kept.contains(&t) {
                kept.push(t);
            }
        }
        return kept;
    }
    let mut seen = HashSet::new();
    out.retain(|t| seen.insert(t.clone()));
    out
}

fn note_resource(
    map: &mut BTreeMap<String, ResourceRef>,
    subject: String,
    key: Option<&str>,
    has_attr: bool,
) {
    let e = map.entry(subject).or_default();
    match key {
        Some(k)
            if !k.contains("count.index")
                && !k.contains("each.")
                && !e.keys.iter().any(|x| x == k) =>
        {
            e.keys.push(k.to_string());
        }
        Some(_) => {}
        None if has_attr => e.unkeyed_attr = true,
        None => {}
    }
}

/// The bracketed instance key a recorded value names (`"prod"` names
/// `["prod"]`, `2` names `[2]`).
fn key_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(format!("[{}]", super::address::go_quote(s))),
        Value::Number(n) => n.as_i64().map(|i| format!("[{i}]")),
        _ => None,
    }
}

/// The key inside a bracketed instance key (`["prod"]` -> `prod`, `[2]` -> `2`).
fn unbracket(k: &str) -> Option<String> {
    let inner = k.strip_prefix('[')?.strip_suffix(']')?;
    if inner.starts_with('"') {
        serde_json::from_str::<String>(inner).ok()
    } else {
        Some(inner.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// An expression is decoded once, and its text goes when it is: the
    /// tree answers every later read.
    #[test]
    fn an_expression_drops_its_text_once_decoded() {
        let raw: Box<RawValue> =
            serde_json::from_str(r#"{"vpc_id": {"references": ["aws_vpc.a.id", "aws_vpc.a"]}}"#)
                .unwrap();
        let e = Expr::new(Some(&raw));
        assert!(e.text().is_some());
        let want: Json = serde_json::from_str(raw.get()).unwrap();
        assert_eq!(e.get(), &want);
        assert!(e.text().is_none());
        assert_eq!(e.get(), &want);
        assert_eq!(Expr::new(None).get(), &Json::Null);
    }

    /// Everything the index holds, in a stable order.
    fn dump(cfg: &Config) -> String {
        let text = |e: &Expr| e.text().as_ref().map(|t| t.get().to_string());
        let mut out = String::new();
        let mut paths: Vec<&String> = cfg.modules.keys().collect();
        paths.sort();
        for p in paths {
            let m = &cfg.modules[p];
            writeln!(out, "module {p:?}").unwrap();
            let mut rs: Vec<_> = m.resources.iter().collect();
            rs.sort_by(|a, b| a.0.cmp(b.0));
            for (a, r) in rs {
                let (e, i) = (text(&r.expressions), text(&r.iter_expr));
                writeln!(out, " resource {a} {e:?} {i:?} {:?}", r.provider_key).unwrap();
            }
            let mut os: Vec<_> = m.outputs.iter().collect();
            os.sort_by(|a, b| a.0.cmp(b.0));
            for (k, o) in os {
                writeln!(out, " output {k} {:?}", text(o)).unwrap();
            }
            let mut cs: Vec<_> = m.calls.iter().collect();
            cs.sort_by(|a, b| a.0.cmp(b.0));
            for (k, c) in cs {
                let (e, i) = (text(&c.expressions), text(&c.iter_expr));
                writeln!(out, " call {k} {e:?} {i:?}").unwrap();
            }
            let mut ds: Vec<_> = m.defaults.iter().collect();
            ds.sort_by(|a, b| a.0.cmp(b.0));
            for (k, d) in ds {
                writeln!(out, " default {k} {d}").unwrap();
            }
        }
        let mut ps: Vec<_> = cfg.providers.iter().collect();
        ps.sort_by(|a, b| a.0.cmp(b.0));
        for (k, p) in ps {
            writeln!(out, "provider {k} {p} {:?}", cfg.provider_region.get(k)).unwrap();
        }
        out
    }

    fn configuration(text: &str) -> Option<Box<RawValue>> {
        let top: foldhash::HashMap<String, Box<RawValue>> = serde_json::from_str(text).ok()?;
        top.into_iter()
            .find(|(k, _)| k == "configuration")
            .map(|(_, v)| v)
    }

    /// Every configuration block of the bundled plans is in the shape
    /// Terraform writes, and reading it in one pass indexes what reading it
    /// part by part does.
    #[test]
    fn one_pass_indexes_what_reading_by_members_does_on_every_fixture() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut stack = vec![root];
        let mut read = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let Some(raw) = configuration(&text) else {
                    continue;
                };
                let fast = one_pass(&raw);
                assert!(fast.is_some(), "{} fell back", path.display());
                assert_eq!(
                    dump(&fast.unwrap()),
                    dump(&by_members(&raw)),
                    "{}",
                    path.display()
                );
                read += 1;
            }
        }
        assert!(read >= 100, "only {read} configurations read");
    }

    /// Shapes Terraform does not write make the one-pass reader give up,
    /// and the index is then the one read part by part.
    #[test]
    fn shapes_terraform_does_not_write_are_read_by_members() {
        let cases = [
            // A block that is not an object, beside one that is.
            r#"{"root_module": {"resources": [1, {"address": "aws_vpc.a", "expressions": {"cidr_block": {"constant_value": "10.0.0.0/16"}}}]}}"#,
            // `resources` written twice: the last one counts.
            r#"{"root_module": {"resources": [{"address": "aws_vpc.a"}], "resources": [{"address": "aws_vpc.b"}]}}"#,
            // A name written with an escape.
            r#"{"root_module": {"resources": [{"addr\u0065ss": "aws_vpc.a"}]}}"#,
            // A root module that is not an object.
            r#"{"root_module": null, "provider_config": {"aws": {"expressions": {"region": {"constant_value": "eu-west-1"}}}}}"#,
            // A child module that is not an object.
            r#"{"root_module": {"module_calls": {"net": {"module": [], "expressions": {}}}}}"#,
            // Two module calls of one name: the last one counts.
            r#"{"root_module": {"module_calls": {"net": {"module": {"resources": [{"address": "aws_vpc.a"}]}}, "net": {"module": {"resources": [{"address": "aws_vpc.b"}]}}}}}"#,
            // Outputs that are not objects.
            r#"{"root_module": {"outputs": {"id": "x"}, "variables": {"v": {"default": "y"}}}}"#,
        ];
        for text in cases {
            let raw: Box<RawValue> = serde_json::from_str(text).unwrap();
            assert!(one_pass(&raw).is_none(), "{text}");
            assert!(!dump(&Config::from_json(&raw)).is_empty(), "{text}");
        }
        let raw: Box<RawValue> = serde_json::from_str(cases[1]).unwrap();
        assert!(dump(&Config::from_json(&raw)).contains("resource aws_vpc.b"));
        assert!(!dump(&Config::from_json(&raw)).contains("resource aws_vpc.a"));
        let raw: Box<RawValue> = serde_json::from_str(cases[2]).unwrap();
        assert!(dump(&Config::from_json(&raw)).contains("resource aws_vpc.a"));
        let raw: Box<RawValue> = serde_json::from_str(cases[5]).unwrap();
        assert!(dump(&Config::from_json(&raw)).contains("resource aws_vpc.b"));
        assert!(!dump(&Config::from_json(&raw)).contains("resource aws_vpc.a"));
    }

    /// Nested modules, outputs, variables and calls read alike both ways.
    #[test]
    fn one_pass_reads_nested_modules_as_reading_by_members_does() {
        let text = r#"{"provider_config": {"aws": {"name": "aws", "expressions": {"region": {"references": ["var.region"]}}}},
          "root_module": {
            "resources": [{"address": "aws_vpc.hub", "mode": "managed", "expressions": {"cidr_block": {"constant_value": "10.0.0.0/16"}}, "count_expression": {"constant_value": 2}, "provider_config_key": "aws"}],
            "variables": {"region": {"default": "eu-west-1"}, "n": {}},
            "module_calls": {"vpc": {"source": "./vpc", "for_each_expression": {"references": ["var.vpcs"]}, "expressions": {"cidr": {"references": ["var.cidr"]}},
              "module": {"outputs": {"id": {"expression": {"references": ["aws_vpc.this.id", "aws_vpc.this"]}}},
                         "resources": [{"address": "aws_vpc.this", "expressions": {"cidr_block": {"references": ["var.cidr"]}}}],
                         "module_calls": {"sub": {"module": {"resources": [{"address": "aws_subnet.s"}]}}}}}}}}"#;
        let raw: Box<RawValue> = serde_json::from_str(text).unwrap();
        let fast = one_pass(&raw).expect("the shape Terraform writes");
        let dumped = dump(&fast);
        assert_eq!(dumped, dump(&by_members(&raw)));
        let want = r#"module ""
 resource aws_vpc.hub Some("{\"cidr_block\": {\"constant_value\": \"10.0.0.0/16\"}}") Some("{\"constant_value\": 2}") Some("aws")
 call vpc Some("{\"cidr\": {\"references\": [\"var.cidr\"]}}") Some("{\"references\": [\"var.vpcs\"]}")
 default region "eu-west-1"
module "module.vpc"
 resource aws_vpc.this Some("{\"cidr_block\": {\"references\": [\"var.cidr\"]}}") None None
 output id Some("{\"references\": [\"aws_vpc.this.id\", \"aws_vpc.this\"]}")
 call sub None None
module "module.vpc.module.sub"
 resource aws_subnet.s None None None
provider aws {"region":{"references":["var.region"]}} Some(Object([("references", Array([String("var.region")]))]))
"#;
        assert_eq!(dumped, want);
    }
}
