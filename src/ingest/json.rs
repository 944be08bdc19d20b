//! A compact JSON tree for resources' values and the configuration's
//! expressions.
//!
//! `serde_json::Value` keeps an object in a `BTreeMap`, whose first node
//! holds room for eleven entries: an expression such as
//! `{"references": ["aws_vpc.this.id", "aws_vpc.this"]}` takes over half a
//! kilobyte decoded, and a plan has tens of thousands of objects.
//! Here an object is a boxed slice of its members, sorted by name as a
//! `BTreeMap` would hold them (so walks over an object visit its members in
//! the same order), and a string a boxed `str`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

use super::unknown::UNKNOWN;

/// One JSON value.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Json {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Text),
    Array(Box<[Json]>),
    /// Members sorted by name, each name once (the last one written wins,
    /// as in `serde_json::Value`).
    Object(Box<[(Box<str>, Json)]>),
}

impl Json {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m
                .binary_search_by(|(k, _)| (**k).cmp(key))
                .ok()
                .map(|i| &m[i].1),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Json::Array(_))
    }

    /// An object built from members in any order (the last of a name
    /// written twice wins).
    pub fn object(members: Vec<(Box<str>, Json)>) -> Json {
        Json::Object(sorted(members))
    }

    /// Keeps the members of an object for which `keep` holds.
    pub fn retain_members(&mut self, keep: impl Fn(&Json) -> bool) {
        if let Json::Object(m) = self {
            if !m.iter().all(|(_, v)| keep(v)) {
                let mut v = std::mem::take(m).into_vec();
                v.retain(|(_, x)| keep(x));
                *m = v.into_boxed_slice();
            }
        }
    }

    /// The same value as a `serde_json::Value`.
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.to_string()),
            Json::Array(a) => Value::Array(a.iter().map(Json::to_value).collect()),
            Json::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

/// A string of the tree, read as its text.
///
/// The marker of a value known only after apply ([`UNKNOWN`]) stands in
/// hundreds of thousands of places of a greenfield plan: it is held without
/// an allocation of its own. Any other string is a boxed `str`. Two texts
/// are equal when their strings are, however each is held.
#[derive(Clone)]
pub enum Text {
    Owned(Box<str>),
    /// The unknown marker's text.
    Unknown,
}

impl std::ops::Deref for Text {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        match self {
            Text::Owned(s) => s,
            Text::Unknown => UNKNOWN,
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        **self == **other
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::Owned(s.into())
    }
}

impl From<Box<str>> for Text {
    fn from(s: Box<str>) -> Text {
        Text::Owned(s)
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.into()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s.into_boxed_str().into()))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Json::Array(items.into_boxed_slice()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<Box<str>, Json>()? {
            members.push((k, v));
        }
        Ok(Json::object(members))
    }
}

/// Members sorted by name, of a name written twice the last (a stable sort
/// keeps them in the order written, and the last of each run stays).
fn sorted(mut members: Vec<(Box<str>, Json)>) -> Box<[(Box<str>, Json)]> {
    if !members.windows(2).all(|w| w[0].0 < w[1].0) {
        members.sort_by(|a, b| a.0.cmp(&b.0));
        // Of a run of one name, the last stays.
        let mut i = 0;
        while i + 1 < members.len() {
            if members[i].0 == members[i + 1].0 {
                members.remove(i);
            } else {
                i += 1;
            }
        }
    }
    members.into_boxed_slice()
}

/// A missing member reads as `null`, as with `serde_json::Value`.
impl std::ops::Index<&str> for Json {
    type Output = Json;

    fn index(&self, key: &str) -> &Json {
        static NULL: Json = Json::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

/// A missing element reads as `null`.
impl std::ops::Index<usize> for Json {
    type Output = Json;

    fn index(&self, i: usize) -> &Json {
        static NULL: Json = Json::Null;
        self.as_array().and_then(|a| a.get(i)).unwrap_or(&NULL)
    }
}

impl PartialEq<str> for Json {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Json {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl serde::Serialize for Json {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => n.serialize(s),
            Json::String(x) => s.serialize_str(x),
            Json::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a.iter() {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Json::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m.iter() {
                    map.serialize_entry(&**k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Compact JSON text, as `serde_json::Value` prints.
impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

/// Tests build values with `serde_json::json!` and compare them this way.
#[cfg(test)]
impl From<&Value> for Json {
    fn from(v: &Value) -> Json {
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(s.as_str().into()),
            Value::Array(a) => Json::Array(a.iter().map(Json::from).collect()),
            Value::Object(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| (k.as_str().into(), Json::from(v)))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// JSON text of trees of `leaf`s whose objects' member names match
    /// `names` (short names repeat, so that objects written with a name
    /// twice, and objects that share names, are generated too).
    pub(crate) fn json_text(
        leaf: BoxedStrategy<String>,
        names: &'static str,
    ) -> impl Strategy<Value = String> {
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((names, inner), 0..6).prop_map(|m| {
                    let members: Vec<String> = m
                        .into_iter()
                        .map(|(k, v)| format!("\"{k}\": {v}"))
                        .collect();
                    format!("{{{}}}", members.join(", "))
                }),
            ]
        })
    }

    /// Any JSON value.
    fn any_json() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            (-1.0e9f64..1.0e9).prop_map(|f| format!("{f:e}")),
            "[a-c\\\\\"\u{1}é]{0,4}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        ];
        json_text(leaf.boxed(), "[a-d]{1,2}")
    }

    proptest! {
        /// The compact tree holds what `serde_json::Value` holds, and prints
        /// the same text.
        #[test]
        fn the_tree_reads_as_serde_json_value_does(text in any_json()) {
            let ours: Json = serde_json::from_str(&text).unwrap();
            let theirs: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(ours.to_value(), theirs.clone());
            prop_assert_eq!(ours.to_string(), theirs.to_string());
            prop_assert_eq!(Json::from(&theirs), ours);
        }
    }

    /// The marker held without an allocation reads, prints, compares and
    /// serialises as the same text written out, and a string costs no more
    /// room in the tree than a boxed `str` did.
    #[test]
    fn the_unknown_marker_held_without_an_allocation_is_its_text() {
        let held = Json::String(Text::Unknown);
        let written = Json::String(UNKNOWN.into());
        assert_eq!(held, written);
        assert_eq!(held.as_str(), Some(UNKNOWN));
        assert_eq!(held.to_value(), written.to_value());
        assert_eq!(held.to_string(), written.to_string());
        assert_eq!(format!("{held:?}"), format!("{written:?}"));
        assert_ne!(held, Json::String("x".into()));
        assert_eq!(std::mem::size_of::<Text>(), std::mem::size_of::<Box<str>>());
    }

    #[test]
    fn decodes_as_serde_json_does() {
        let text = r#"{"b": [1, -2, 2.5, "x", null, true], "a": {"references": ["aws_vpc.this.id"]}, "b": {"z": 1, "y": {}}}"#;
        let ours: Json = serde_json::from_str(text).unwrap();
        let theirs: Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours.to_value(), theirs);
        let keys: Vec<&str> = match &ours {
            Json::Object(m) => m.iter().map(|(k, _)| &**k).collect(),
            _ => Vec::new(),
        };
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(
            ours.get("b").and_then(|b| b.get("z")),
            Some(&Json::Number(1.into()))
        );
        assert_eq!(ours.get("c"), None);
        assert_eq!(
            ours.get("a")
                .and_then(|a| a.get("references"))
                .map(|r| r.to_value()),
            Some(serde_json::json!(["aws_vpc.this.id"]))
        );
    }
}
