//! Where resources live: the AWS account and Region of each document's
//! provider configurations, for the rules that AWS applies within one
//! account or one Region (a peering's `auto_accept`; security group
//! references across a peering).
//!
//! A resource that records its own account (`owner_id`, its ARN) or Region
//! (the provider 6 `region` attribute, its ARN) says it itself. For the
//! others (a VPC a plan creates has neither until apply), the account and
//! Region are those its provider configuration works in, which a document
//! tells in several places, read strongest first:
//!
//! 1. what names the provider's place outright: the provider block's
//!    `region` (a constant or a root variable), its only
//!    `allowed_account_ids`, the account of the role it assumes
//!    (`assume_role.role_arn`), a `data.aws_caller_identity` it reads, a
//!    `data.aws_region` that selects nothing (no `name`, `id`, `region` or
//!    `endpoint`: the provider's own Region);
//! 2. what its managed resources record: their `owner_id`, the account and
//!    Region of their ARNs, their `region`.
//!
//! When the strongest level that says anything says two things (two
//! accounts), the answer is unknown, with both named: nothing is guessed.
//! A document with no configuration (a state) is one provider as far as
//! this can tell; its resources' own values usually say where they are.

use foldhash::HashMap;
use std::collections::BTreeMap;

use super::build::{str_attr, Linker};
use crate::ingest::{Mode, RawResource};

/// An account or a Region as the input tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Told {
    /// The value, and where it was read.
    Known { value: String, from: String },
    /// Why it cannot be told.
    Unknown(String),
}

impl Told {
    /// The value, when known.
    pub fn value(&self) -> Option<&str> {
        match self {
            Told::Known { value, .. } => Some(value),
            Told::Unknown(_) => None,
        }
    }
}

/// Values read at one level of strength: value -> where it was read.
type Level = BTreeMap<String, String>;

/// What one provider configuration of one document says of its place.
#[derive(Debug, Default)]
struct Evidence {
    account: [Level; 2],
    region: [Level; 2],
}

/// Decides one fact from its levels, strongest first.
fn decide(levels: &[Level; 2], what: &str, whose: &str) -> Told {
    for level in levels {
        match level.len() {
            0 => continue,
            1 => {
                if let Some((value, from)) = level.iter().next() {
                    return Told::Known {
                        value: value.clone(),
                        from: from.clone(),
                    };
                }
            }
            _ => {
                let each: Vec<String> = level.iter().map(|(v, f)| format!("{v} ({f})")).collect();
                return Told::Unknown(format!(
                    "the input gives {whose} several {what}s: {}",
                    each.join(", ")
                ));
            }
        }
    }
    let sources = if what == "account" {
        "allowed_account_ids or assume_role in the provider block, no data.aws_caller_identity, \
         and no resource of it with a known owner_id or ARN"
    } else {
        "region in the provider block, no data.aws_region that selects nothing, and no resource \
         of it with a known region or ARN"
    };
    Told::Unknown(format!(
        "the input does not say which {what} {whose} works in (no {sources})"
    ))
}

/// The account and Region of every provider configuration of every
/// document of the input, gathered once.
#[derive(Debug, Default)]
pub(super) struct Places {
    /// (document, provider key) -> what it says; the key is empty for a
    /// document with no configuration.
    by_key: HashMap<(usize, String), Evidence>,
}

/// The account and Region in an ARN (`arn:aws:ec2:REGION:ACCOUNT:...`).
pub(super) fn arn_parts(r: &RawResource) -> (Option<&str>, Option<&str>) {
    let Some(arn) = str_attr(&r.values, "arn") else {
        return (None, None);
    };
    let mut parts = arn.split(':').skip(3);
    let region = parts.next().filter(|s| !s.is_empty());
    let account = parts.next().filter(|s| !s.is_empty());
    (region, account)
}

/// The arguments of `data.aws_region` that select a Region other than the
/// provider's.
const REGION_SELECTORS: &[&str] = &["name", "id", "region", "endpoint"];

impl Places {
    /// Reads what every document says of its providers' places.
    pub(super) fn gather(lk: &Linker) -> Places {
        let mut places = Places::default();
        for (d, part) in lk.parts().iter().enumerate() {
            let doc = part.doc;
            for key in doc.config.provider_keys() {
                let e = places.by_key.entry((d, key.to_string())).or_default();
                if let Some(region) = doc.config.key_region(key, &doc.variables) {
                    e.region[0].insert(region, format!("the region of provider {key}"));
                }
                for (account, arg) in doc.config.provider_accounts(key) {
                    e.account[0].insert(account, format!("{arg} of provider {key}"));
                }
            }
            // With one provider configuration (or none: a state), every
            // resource uses it, and none needs looking up.
            let keys: Vec<&str> = doc.config.provider_keys().collect();
            let only = match &keys[..] {
                [] => Some(String::new()),
                [one] => Some(one.to_string()),
                _ => None,
            };
            let resources = &lk.raw[part.range.clone()];
            match only {
                Some(key) if !resources.is_empty() => {
                    let e = places.by_key.entry((d, key)).or_default();
                    for r in resources {
                        read_resource(r, doc, e);
                    }
                }
                Some(_) => {}
                None => {
                    for r in resources {
                        let key = doc.config.provider_key(r).unwrap_or_default();
                        let e = places.by_key.entry((d, key)).or_default();
                        read_resource(r, doc, e);
                    }
                }
            }
        }
        places
    }

    fn evidence(&self, lk: &Linker, r: &RawResource) -> (Option<&Evidence>, String) {
        let d = lk.part_index(r);
        let doc = lk.doc(r);
        let keys: Vec<&str> = doc.config.provider_keys().collect();
        let key = match &keys[..] {
            [] => String::new(),
            [one] => one.to_string(),
            _ => doc.config.provider_key(r).unwrap_or_default(),
        };
        let whose = if key.is_empty() {
            format!("the provider of {}", r.address)
        } else {
            format!("provider {key} of {}", r.address)
        };
        (self.by_key.get(&(d, key)), whose)
    }

    /// The account a resource lives in: its own `owner_id` or ARN, or, for
    /// a managed resource, the account its provider works in (a data
    /// source may read an object another account shares).
    pub(super) fn account(&self, lk: &Linker, r: &RawResource) -> Told {
        if let Some(owner) = str_attr(&r.values, "owner_id") {
            return known(owner, format!("owner_id of {}", r.address));
        }
        if let (_, Some(account)) = arn_parts(r) {
            return known(account, format!("the ARN of {}", r.address));
        }
        if r.mode == Mode::Data {
            return Told::Unknown(format!(
                "{} records no owner_id or ARN, and a data source may read an object another \
                 account shares",
                r.address
            ));
        }
        self.provider_account(lk, r)
    }

    /// The account the provider of `r` works in.
    pub(super) fn provider_account(&self, lk: &Linker, r: &RawResource) -> Told {
        match self.evidence(lk, r) {
            (Some(e), whose) => decide(&e.account, "account", &whose),
            (None, whose) => decide(&Default::default(), "account", &whose),
        }
    }

    /// The Region a resource lives in: its own `region` or ARN, else its
    /// provider's.
    pub(super) fn region(&self, lk: &Linker, r: &RawResource) -> Told {
        if let Some(region) = str_attr(&r.values, "region") {
            return known(region, format!("region of {}", r.address));
        }
        if let (Some(region), _) = arn_parts(r) {
            return known(region, format!("the ARN of {}", r.address));
        }
        match self.evidence(lk, r) {
            (Some(e), whose) => decide(&e.region, "Region", &whose),
            (None, whose) => decide(&Default::default(), "Region", &whose),
        }
    }
}

fn known(value: &str, from: String) -> Told {
    Told::Known {
        value: value.to_string(),
        from,
    }
}

/// What one resource says of its provider's place.
fn read_resource(r: &RawResource, doc: &crate::ingest::Document, e: &mut Evidence) {
    let from = |what: &str| format!("{what} of {}", r.address);
    match (r.mode, r.rtype.as_str()) {
        (Mode::Data, "aws_caller_identity") => {
            if let Some(a) = str_attr(&r.values, "account_id").or_else(|| str_attr(&r.values, "id"))
            {
                e.account[0].insert(a.to_string(), r.address.clone());
            }
        }
        // Only where the configuration shows it selects nothing: a state
        // does not say what its data source selected.
        (Mode::Data, "aws_region")
            if doc.config.has_block(r)
                && !REGION_SELECTORS
                    .iter()
                    .any(|a| doc.config.is_configured(r, a)) =>
        {
            let region = ["region", "name", "id"]
                .iter()
                .find_map(|a| str_attr(&r.values, a));
            if let Some(region) = region {
                e.region[0].insert(region.to_string(), r.address.clone());
            }
        }
        // Read for every resource: only a value not seen yet costs more
        // than a look-up.
        (Mode::Managed, _) => {
            let (region, account) = arn_parts(r);
            for (value, what) in [
                (str_attr(&r.values, "owner_id"), "owner_id"),
                (account, "the ARN"),
            ] {
                if let Some(v) = value.filter(|v| !e.account[1].contains_key(*v)) {
                    e.account[1].insert(v.to_string(), from(what));
                }
            }
            for value in region.into_iter().chain(str_attr(&r.values, "region")) {
                // A resource that sets its own `region` (provider 6) says
                // nothing of its provider's.
                if !e.region[1].contains_key(value) && !doc.config.is_configured(r, "region") {
                    e.region[1].insert(value.to_string(), from("region"));
                }
            }
        }
        _ => {}
    }
}
