//! Rebuilding planned objects from `after` and `after_unknown`.
//!
//! Terraform drops unknown object members from `after` (and nulls unknown
//! list elements) and marks them `true` in `after_unknown`. The merge puts an
//! explicit marker where a value is unknown until apply, so the model builder
//! can never mistake "unknown" for "unset".

use super::json::Json;

/// The marker that stands for a value known only after apply. It contains
/// control characters that no provider attribute holds.
pub const UNKNOWN: &str = "\u{1}tfreach:unknown\u{1}";

/// True when the value is the unknown marker.
pub fn is_unknown(v: &Json) -> bool {
    matches!(v, Json::String(s) if &**s == UNKNOWN)
}

/// Merges the `after_unknown` tree into `after`, in place.
pub fn merge(after: &mut Json, unknown: &Json) {
    match unknown {
        Json::Bool(true) => *after = Json::String(UNKNOWN.into()),
        Json::Object(members) => {
            let slots = after.ensure_members(members.iter().map(|(k, _)| &**k));
            for (k, u) in members.iter() {
                if let Ok(i) = slots.binary_search_by(|(s, _)| s.cmp(k)) {
                    merge(&mut slots[i].1, u);
                }
            }
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
                for (slot, u) in arr.iter_mut().zip(items.iter()) {
                    merge(slot, u);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(after: serde_json::Value, unknown: serde_json::Value) -> Json {
        let mut after = Json::from(&after);
        merge(&mut after, &Json::from(&unknown));
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
}
