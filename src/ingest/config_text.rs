//! The parts of a plan's `configuration` block that the index keeps, each
//! as its JSON text, read in one pass.
//!
//! The configuration of a large plan holds a block per resource, and taking
//! it apart level by level (the module, then its resource list, then each
//! block, each as a map of its members) read the same text three times and
//! named every member of every block. [`module_in_one_pass`] reads a
//! module once, keeping only the members the index reads. It wants the
//! shapes Terraform writes (objects where it writes objects, arrays where it
//! writes arrays, names without escapes) and gives up on anything else;
//! [`module_by_members`] reads any shape, passing over what it does not
//! understand, and is what the index falls back on.

use foldhash::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The member names the index reads, in the order of [`Members`]' slots.
const NAMES: [&str; 8] = [
    "address",
    "expressions",
    "for_each_expression",
    "count_expression",
    "provider_config_key",
    "module",
    "expression",
    "default",
];

/// The members of one object that the index reads, each as its text (the
/// last of a name written twice wins, as in a map of the members).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Members<'a>([Option<&'a RawValue>; NAMES.len()]);

impl<'a> Members<'a> {
    fn of(map: &HashMap<String, &'a RawValue>) -> Members<'a> {
        let mut m = Members::default();
        for (slot, name) in m.0.iter_mut().zip(NAMES) {
            *slot = map.get(name).copied();
        }
        m
    }

    pub(super) fn address(&self) -> Option<&'a RawValue> {
        self.0[0]
    }

    pub(super) fn expressions(&self) -> Option<&'a RawValue> {
        self.0[1]
    }

    /// The `for_each` expression, else the `count` expression.
    pub(super) fn iteration(&self) -> Option<&'a RawValue> {
        self.0[2].or(self.0[3])
    }

    pub(super) fn provider_config_key(&self) -> Option<&'a RawValue> {
        self.0[4]
    }

    /// A module call's module.
    pub(super) fn module(&self) -> Option<&'a RawValue> {
        self.0[5]
    }

    /// An output's expression.
    pub(super) fn expression(&self) -> Option<&'a RawValue> {
        self.0[6]
    }

    /// A variable's default.
    pub(super) fn default_value(&self) -> Option<&'a RawValue> {
        self.0[7]
    }
}

/// One module of the configuration: its resource blocks in document order,
/// and its outputs, variables and module calls by name, each with the
/// members the index reads.
#[derive(Debug, Default)]
pub(super) struct ModuleText<'a> {
    pub(super) resources: Vec<Members<'a>>,
    pub(super) outputs: Vec<(String, Members<'a>)>,
    pub(super) variables: Vec<(String, Members<'a>)>,
    pub(super) calls: Vec<(String, Members<'a>)>,
}

/// The members of a JSON object, each as its text (none when it is not an
/// object).
pub(super) fn members(raw: Option<&RawValue>) -> HashMap<String, &RawValue> {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or_default()
}

/// A module read from any shape: a part that is not an object or an array
/// where one is expected reads as empty.
pub(super) fn module_by_members(raw: &RawValue) -> ModuleText<'_> {
    let m = members(Some(raw));
    let named = |name: &str| -> Vec<(String, Members<'_>)> {
        members(m.get(name).copied())
            .into_iter()
            .map(|(k, v)| (k, Members::of(&members(Some(v)))))
            .collect()
    };
    let resources: Vec<&RawValue> = m
        .get("resources")
        .and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or_default();
    ModuleText {
        resources: resources
            .into_iter()
            .map(|r| Members::of(&members(Some(r))))
            .collect(),
        outputs: named("outputs"),
        variables: named("variables"),
        calls: named("module_calls"),
    }
}

/// A module read in one pass, or `None` where it is not in the shape
/// Terraform writes.
pub(super) fn module_in_one_pass(raw: &RawValue) -> Option<ModuleText<'_>> {
    serde_json::from_str(raw.get()).ok()
}

/// The configuration block's root module (read in one pass) and its
/// `provider_config`, or `None` where the block is not in the shape
/// Terraform writes.
pub(super) fn config_in_one_pass(raw: &RawValue) -> Option<ConfigText<'_>> {
    serde_json::from_str(raw.get()).ok()
}

#[derive(Debug, Default)]
pub(super) struct ConfigText<'a> {
    pub(super) root: Option<ModuleText<'a>>,
    pub(super) provider_config: Option<&'a RawValue>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut m = Members::default();
                while let Some(key) = map.next_key::<&'de str>()? {
                    match NAMES.iter().position(|n| *n == key) {
                        Some(i) => m.0[i] = Some(map.next_value::<&'de RawValue>()?),
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(m)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// An object's members by name, in document order.
struct Named<'a>(Vec<(String, Members<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Named<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Named<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of objects")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Members<'a>>()? {
                    out.push((k, v));
                }
                // A name written twice gives up: a map of the members keeps
                // the last, and two module calls of one name would index
                // the first call's module.
                let mut names: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
                names.sort_unstable();
                if names.windows(2).any(|w| w[0] == w[1]) {
                    return Err(de::Error::custom("a name written twice"));
                }
                Ok(Named(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Sets a part read once; a part written twice gives up (a map of the
/// members would keep the last, and the one-pass reader does not try to).
fn once<T, E: de::Error>(slot: &mut Option<T>, value: T, name: &str) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::custom(format!("`{name}` written twice")));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de: 'a, 'a> Deserialize<'de> for ModuleText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = ModuleText<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a module object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut resources, mut outputs, mut variables, mut calls) =
                    (None, None, None, None);
                while let Some(key) = map.next_key::<&'de str>()? {
                    match key {
                        "resources" => {
                            once(&mut resources, map.next_value::<Vec<Members>>()?, key)?
                        }
                        "outputs" => once(&mut outputs, map.next_value::<Named>()?.0, key)?,
                        "variables" => once(&mut variables, map.next_value::<Named>()?.0, key)?,
                        "module_calls" => once(&mut calls, map.next_value::<Named>()?.0, key)?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(ModuleText {
                    resources: resources.unwrap_or_default(),
                    outputs: outputs.unwrap_or_default(),
                    variables: variables.unwrap_or_default(),
                    calls: calls.unwrap_or_default(),
                })
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ConfigText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = ConfigText<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a configuration object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = ConfigText::default();
                while let Some(key) = map.next_key::<&'de str>()? {
                    match key {
                        "root_module" => once(&mut out.root, map.next_value()?, key)?,
                        "provider_config" => out.provider_config = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}
