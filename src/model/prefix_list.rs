//! Customer-managed prefix lists as route destinations and security group
//! peers.
//!
//! A route whose destination is a prefix list (`destination_prefix_list_id`)
//! behaves as one route per entry of the list, each with the entry's own
//! prefix length; where a plain CIDR route has the same prefix, the CIDR
//! route wins (see `analysis::lpm`). The entries come from
//! `aws_ec2_managed_prefix_list` (its `entry` blocks), the data source of
//! the same name (`entries`), and `aws_ec2_managed_prefix_list_entry`
//! resources. A list that is not in the input, or whose entries are not
//! known until apply, leaves its routes unknown.

use foldhash::{HashMap, HashMapExt};

use crate::ingest::Json;

use super::build::{attr_unknown, str_attr, Builder, Found};
use super::security_group::SgRule;
use super::{Dest, Origin, Route};
use crate::ingest::unknown::is_unknown;
use crate::ingest::{Mode, RawResource};
use crate::net::Prefix;

/// The resource types that define a prefix list.
pub(super) const LIST_TYPES: &[&str] = &["aws_ec2_managed_prefix_list"];
const ENTRY_TYPE: &str = "aws_ec2_managed_prefix_list_entry";

/// What the input says a list holds.
#[derive(Debug, Clone)]
enum Entries {
    Known(Vec<Prefix>),
    /// Not known until apply: the reason.
    Unknown(String),
}

impl<'a> Builder<'a> {
    /// The list a route names through an unknown `destination_prefix_list_id`,
    /// followed through the configuration: a destination that names the
    /// list by address, expanded by [`Builder::expand_prefix_lists`].
    /// `path` is the attribute (`destination_prefix_list_id` of an
    /// `aws_route`) or the inline route block, whose references are merged.
    pub(super) fn customer_list_via_config(&self, r: &RawResource, path: &[&str]) -> Option<Dest> {
        let found = self.customer_lists_via_config(r, path, 1)?;
        found.into_iter().next().map(Dest::PrefixList)
    }

    /// The addresses of the `n` lists of the input that the configuration
    /// of `path` names, when it names exactly `n` of them and nothing it
    /// cannot follow: the IDs a security group rule or a route gives for
    /// lists the same plan creates.
    pub(super) fn customer_lists_via_config(
        &self,
        r: &RawResource,
        path: &[&str],
        n: usize,
    ) -> Option<Vec<String>> {
        let found = self.lk.via_config(r, path, LIST_TYPES);
        let mut lists = Vec::new();
        for f in &found {
            match f {
                Found::Raw(i) => lists.push(self.raw(*i).address.clone()),
                _ => return None,
            }
        }
        lists.sort();
        lists.dedup();
        (n > 0 && lists.len() == n).then_some(lists)
    }

    /// Replaces every route to a prefix list that the input holds by one
    /// route per entry (origin [`Origin::PrefixList`]), or by a route whose
    /// destination is unknown when the entries are. Routes to lists outside
    /// the input stay as they are.
    ///
    /// A security group rule whose peer is such a list becomes one rule per
    /// entry, the entry as its block (an empty list admits nothing), or a
    /// rule that is not known when the entries are not.
    pub(super) fn expand_prefix_lists(&mut self) {
        let lists = self.prefix_list_entries();
        if lists.is_empty() {
            return;
        }
        for g in &mut self.model.security_groups {
            for rules in [&mut g.ingress, &mut g.egress] {
                expand_rules(rules, &lists);
            }
        }
        for t in &mut self.model.route_tables {
            if !t
                .routes
                .iter()
                .any(|r| matches!(&r.dest, Dest::PrefixList(k) if lists.contains_key(k)))
            {
                continue;
            }
            let mut out = Vec::with_capacity(t.routes.len());
            for r in t.routes.drain(..) {
                let entries = match &r.dest {
                    Dest::PrefixList(k) => lists.get(k),
                    _ => None,
                };
                match entries {
                    None => out.push(r),
                    Some((_, Entries::Unknown(why))) => out.push(Route {
                        dest: Dest::Unknown(why.clone()),
                        ..r
                    }),
                    Some((_, Entries::Known(ps))) => {
                        out.extend(ps.iter().map(|p| Route {
                            resource: r.resource.clone(),
                            dest: Dest::Cidr(*p),
                            target: r.target.clone(),
                            origin: Origin::PrefixList,
                        }));
                    }
                }
            }
            t.routes = out;
        }
    }

    /// The entries of every prefix list in the input, keyed by its ID and
    /// by its address (how a route names a list not yet created), with the
    /// list's address.
    fn prefix_list_entries(&self) -> HashMap<String, (String, Entries)> {
        let raw = self.lk.raw;
        let mut lists: Vec<(usize, Entries)> = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            if LIST_TYPES.contains(&r.rtype.as_str()) {
                lists.push((i, own_entries(self, r)));
            }
        }
        if lists.is_empty() {
            return HashMap::new();
        }
        // Entries added by their own resources.
        for r in raw.iter().filter(|r| r.rtype == ENTRY_TYPE) {
            let cidr = entry_cidr(r, "cidr");
            match self.lk.link(r, "prefix_list_id", LIST_TYPES) {
                Found::Raw(i) | Found::Assumed(i, _) => {
                    if let Some((_, e)) = lists.iter_mut().find(|(j, _)| *j == i) {
                        add(e, cidr);
                    }
                }
                Found::Unresolved(why) => {
                    // It could belong to any list of the input.
                    for (_, e) in &mut lists {
                        add(e, Err(why.clone()));
                    }
                }
                Found::External(_) | Found::Deleted(..) | Found::None => {}
            }
        }
        let mut out = HashMap::new();
        for (i, e) in lists {
            let r = &raw[i];
            if let Some(id) = str_attr(&r.values, "id") {
                out.insert(id.to_string(), (r.address.clone(), e.clone()));
            }
            out.insert(r.address.clone(), (r.address.clone(), e));
        }
        out
    }
}

/// [`Builder::expand_prefix_lists`] for the rules of one side of a
/// security group.
fn expand_rules(rules: &mut Vec<SgRule>, lists: &HashMap<String, (String, Entries)>) {
    let named = |r: &SgRule| r.prefix_list.as_ref().and_then(|k| lists.get(k));
    if !rules.iter().any(|r| named(r).is_some()) {
        return;
    }
    let mut out = Vec::with_capacity(rules.len());
    for r in rules.drain(..) {
        match named(&r) {
            None => out.push(r),
            Some((_, Entries::Unknown(why))) => out.push(SgRule {
                unknown: Some(why.clone()),
                ..r
            }),
            Some((list, Entries::Known(ps))) => {
                out.extend(ps.iter().map(|p| SgRule {
                    cidr: Some(*p),
                    peer: Some(format!("{p} (an entry of {list})")),
                    prefix_list: None,
                    ..r.clone()
                }));
            }
        }
    }
    *rules = out;
}

/// The entries a list resource or data source lists itself.
fn own_entries(b: &Builder<'_>, r: &RawResource) -> Entries {
    let attr = if r.mode == Mode::Data {
        "entries"
    } else {
        "entry"
    };
    match r.values.get(attr) {
        // Left unset on a list this plan creates: it starts empty and
        // holds what its entry resources add.
        Some(v) if is_unknown(v) && !b.lk.doc(r).config.is_configured(r, attr) => {
            Entries::Known(Vec::new())
        }
        Some(v) if is_unknown(v) => Entries::Unknown(format!(
            "the entries of prefix list {} are not known until apply",
            r.address
        )),
        Some(Json::Array(items)) => {
            let mut e = Entries::Known(Vec::new());
            for item in items {
                let cidr = if is_unknown(item) {
                    Err(format!(
                        "an entry of prefix list {} is not known until apply",
                        r.address
                    ))
                } else {
                    entry_cidr_of(item, &r.address)
                };
                add(&mut e, cidr);
            }
            e
        }
        _ => Entries::Known(Vec::new()),
    }
}

/// The `cidr` of an entry resource.
fn entry_cidr(r: &RawResource, attr: &str) -> Result<Prefix, String> {
    if attr_unknown(&r.values, attr) {
        return Err(format!(
            "the `{attr}` of {} is not known until apply",
            r.address
        ));
    }
    entry_cidr_of(&r.values, &r.address)
}

fn entry_cidr_of(v: &Json, who: &str) -> Result<Prefix, String> {
    if attr_unknown(v, "cidr") {
        return Err(format!(
            "an entry of prefix list {who} is not known until apply"
        ));
    }
    match str_attr(v, "cidr").map(str::parse::<Prefix>) {
        Some(Ok(p)) => Ok(p),
        Some(Err(e)) => Err(format!("an entry of {who} cannot be read: {e}")),
        None => Err(format!("an entry of {who} has no CIDR block")),
    }
}

/// Adds one entry, or makes the list unknown when the entry is.
fn add(e: &mut Entries, cidr: Result<Prefix, String>) {
    match (e, cidr) {
        (Entries::Known(v), Ok(p)) => {
            if !v.contains(&p) {
                v.push(p);
            }
        }
        (e @ Entries::Known(_), Err(why)) => *e = Entries::Unknown(why),
        (Entries::Unknown(_), _) => {}
    }
}

// Kept in a file of its own: the test of ingest's attribute list reads
// this file, and the test documents spell out JSON keys that are no
// attributes.
#[cfg(test)]
mod tests;
