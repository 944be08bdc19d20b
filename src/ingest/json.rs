//! A compact JSON tree for the configuration's expressions.
//!
//! `serde_json::Value` keeps an object in a `BTreeMap`, whose first node
//! holds room for eleven entries: an expression such as
//! `{"references": ["aws_vpc.this.id", "aws_vpc.this"]}` takes over half a
//! kilobyte decoded, and a greenfield plan has tens of thousands of them.
//! Here an object is a boxed slice of its members, sorted by name as a
//! `BTreeMap` would hold them (so walks over an object visit its members in
//! the same order), and a string a boxed `str`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// One JSON value.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Json {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Box<str>),
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
        Ok(Json::String(s.into_boxed_str()))
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
        let mut members: Vec<(Box<str>, Json)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<Box<str>, Json>()? {
            members.push((k, v));
        }
        // Sorted by name; of a name written twice the last stays (a stable
        // sort keeps them in order, and the last of each run is kept).
        members.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Box<str>, Json)> = Vec::with_capacity(members.len());
        for m in members {
            match out.last_mut() {
                Some(last) if last.0 == m.0 => *last = m,
                _ => out.push(m),
            }
        }
        Ok(Json::Object(out.into_boxed_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
