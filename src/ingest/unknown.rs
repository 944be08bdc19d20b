//! Rebuilding planned objects from `after` and `after_unknown`.
//!
//! Terraform drops unknown object members from `after` (and nulls unknown
//! list elements) and marks them `true` in `after_unknown`. The merge puts an
//! explicit marker where a value is unknown until apply, so the model builder
//! can never mistake "unknown" for "unset".

use super::json::{Json, Text};

/// The marker that stands for a value known only after apply. It contains
/// control characters that no provider attribute holds.
pub const UNKNOWN: &str = "\u{1}tfreach:unknown\u{1}";

/// True when the value is the unknown marker.
pub fn is_unknown(v: &Json) -> bool {
    matches!(v, Json::String(s) if &**s == UNKNOWN)
}

/// Merges the `after_unknown` tree into `after`, in place, taking the
/// names it adds from `unknown`. Both trees' objects are sorted by name, so
/// an object that gains members is rebuilt in one pass, with no sort.
pub fn merge(after: &mut Json, unknown: Json) {
    match unknown {
        Json::Bool(true) => *after = Json::String(Text::Unknown),
        Json::Object(members) => {
            if !after.is_object() {
                *after = Json::Object(Box::default());
            }
            let Json::Object(have) = after else {
                return;
            };
            let missing = missing(have, &members);
            if missing == 0 {
                for (k, u) in members.into_vec() {
                    if let Ok(i) = have.binary_search_by(|(s, _)| s.cmp(&k)) {
                        merge(&mut have[i].1, u);
                    }
                }
                return;
            }
            // Exactly the merged length, so that boxing it does not copy.
            let mut out = Vec::with_capacity(have.len() + missing);
            let mut old = std::mem::take(have).into_vec().into_iter().peekable();
            for (k, u) in members.into_vec() {
                while let Some(o) = old.next_if(|(o, _)| *o < k) {
                    out.push(o);
                }
                let mut slot = old.next_if(|(o, _)| *o == k).unwrap_or((k, Json::Null));
                merge(&mut slot.1, u);
                out.push(slot);
            }
            out.extend(old);
            *have = out.into_boxed_slice();
        }
        Json::Array(items) => {
            if !after.is_array() {
                *after = Json::Array(Box::default());
            }
            if let Json::Array(arr) = after {
                if arr.len() < items.len() {
                    let mut v = std::mem::take(arr).into_vec();
                    v.resize(items.len(), Json::Null);
                    *arr = v.into_boxed_slice();
                }
                for (slot, u) in arr.iter_mut().zip(items.into_vec()) {
                    merge(slot, u);
                }
            }
        }
        _ => {}
    }
}

/// How many of `add`'s names `have` lacks (both sorted by name, each name
/// once).
fn missing(have: &[(Box<str>, Json)], add: &[(Box<str>, Json)]) -> usize {
    let (mut i, mut n) = (0, 0);
    for (k, _) in add {
        while i < have.len() && have[i].0 < *k {
            i += 1;
        }
        if i < have.len() && have[i].0 == *k {
            i += 1;
        } else {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::json::tests::json_text;
    use proptest::prelude::*;
    use serde_json::json;

    fn merged(after: serde_json::Value, unknown: serde_json::Value) -> Json {
        let mut after = Json::from(&after);
        merge(&mut after, Json::from(&unknown));
        after
    }

    #[test]
    fn unknown_members_and_elements_are_marked() {
        let after = merged(
            json!({"cidr_block": "10.0.0.0/16", "subnet_ids": ["subnet-1", null],
                   "route": [{"cidr_block": "10.1.0.0/16", "gateway_id": ""}]}),
            json!({"id": true, "subnet_ids": [false, true],
                   "route": [{"vpc_peering_connection_id": true}]}),
        );
        assert!(is_unknown(&after["id"]));
        assert_eq!(after["subnet_ids"][0], "subnet-1");
        assert!(is_unknown(&after["subnet_ids"][1]));
        assert!(is_unknown(&after["route"][0]["vpc_peering_connection_id"]));
        assert_eq!(after["route"][0]["gateway_id"], "");
        assert_eq!(after["cidr_block"], "10.0.0.0/16");
    }

    #[test]
    fn whole_collection_unknown() {
        let after = merged(json!({}), json!({"route": true}));
        assert!(is_unknown(&after["route"]));
    }

    /// The merge as it was first written: add each missing name as `null`
    /// to a copy of the members, sort them, then merge member by member.
    fn merged_by_sorting(after: &mut Json, unknown: &Json) {
        match unknown {
            Json::Bool(true) => *after = Json::String(UNKNOWN.into()),
            Json::Object(members) => {
                if !after.is_object() {
                    *after = Json::Object(Box::default());
                }
                let Json::Object(have) = after else {
                    return;
                };
                let mut v = std::mem::take(have).into_vec();
                for (k, _) in members.iter() {
                    if !v.iter().any(|(h, _)| h == k) {
                        v.push((k.clone(), Json::Null));
                    }
                }
                v.sort_by(|a, b| a.0.cmp(&b.0));
                for (k, u) in members.iter() {
                    if let Ok(i) = v.binary_search_by(|(s, _)| s.cmp(k)) {
                        merged_by_sorting(&mut v[i].1, u);
                    }
                }
                *have = v.into_boxed_slice();
            }
            Json::Array(items) => {
                if !after.is_array() {
                    *after = Json::Array(Box::default());
                }
                if let Json::Array(arr) = after {
                    let mut v = std::mem::take(arr).into_vec();
                    if v.len() < items.len() {
                        v.resize(items.len(), Json::Null);
                    }
                    for (slot, u) in v.iter_mut().zip(items.iter()) {
                        merged_by_sorting(slot, u);
                    }
                    *arr = v.into_boxed_slice();
                }
            }
            _ => {}
        }
    }

    proptest! {
        /// Merging in one pass gives the tree that adding the missing names
        /// and sorting gave.
        #[test]
        fn merging_in_one_pass_gives_what_sorting_gave(
            after in json_text(prop_oneof![
                Just("null".to_string()),
                Just("\"x\"".to_string()),
                Just("\"\"".to_string()),
                Just("3".to_string()),
            ].boxed(), "[a-e]"),
            unknown in json_text(prop_oneof![Just("true".to_string()), Just("false".to_string())].boxed(), "[a-e]"),
        ) {
            let after: Json = serde_json::from_str(&after).unwrap();
            let unknown: Json = serde_json::from_str(&unknown).unwrap();
            let mut ours = after.clone();
            merge(&mut ours, unknown.clone());
            let mut theirs = after;
            merged_by_sorting(&mut theirs, &unknown);
            prop_assert_eq!(ours, theirs);
        }
    }
}
