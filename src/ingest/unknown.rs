//! Rebuilding planned objects from `after` and `after_unknown`.
//!
//! Terraform drops unknown object members from `after` (and nulls unknown
//! list elements) and marks them `true` in `after_unknown`. The merge puts an
//! explicit marker where a value is unknown until apply, so the model builder
//! can never mistake "unknown" for "unset".

use serde_json::Value;

/// The marker that stands for a value known only after apply. It contains
/// control characters that no provider attribute holds.
pub const UNKNOWN: &str = "\u{1}tfreach:unknown\u{1}";

/// True when the value is the unknown marker.
pub fn is_unknown(v: &Value) -> bool {
    matches!(v, Value::String(s) if s == UNKNOWN)
}

/// Merges the `after_unknown` tree into `after`, in place.
pub fn merge(after: &mut Value, unknown: &Value) {
    match unknown {
        Value::Bool(true) => *after = Value::String(UNKNOWN.to_string()),
        Value::Object(members) => {
            if !after.is_object() {
                *after = Value::Object(Default::default());
            }
            if let Value::Object(obj) = after {
                for (k, u) in members {
                    let slot = obj.entry(k.clone()).or_insert(Value::Null);
                    merge(slot, u);
                }
            }
        }
        Value::Array(items) => {
            if !after.is_array() {
                *after = Value::Array(Vec::new());
            }
            if let Value::Array(arr) = after {
                while arr.len() < items.len() {
                    arr.push(Value::Null);
                }
                for (slot, u) in arr.iter_mut().zip(items) {
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

    #[test]
    fn unknown_members_and_elements_are_marked() {
        let mut after = json!({"cidr_block": "10.0.0.0/16", "subnet_ids": ["subnet-1", null],
                               "route": [{"cidr_block": "10.1.0.0/16", "gateway_id": ""}]});
        let unk = json!({"id": true, "subnet_ids": [false, true],
                         "route": [{"vpc_peering_connection_id": true}]});
        merge(&mut after, &unk);
        assert!(is_unknown(&after["id"]));
        assert_eq!(after["subnet_ids"][0], "subnet-1");
        assert!(is_unknown(&after["subnet_ids"][1]));
        assert!(is_unknown(&after["route"][0]["vpc_peering_connection_id"]));
        assert_eq!(after["route"][0]["gateway_id"], "");
        assert_eq!(after["cidr_block"], "10.0.0.0/16");
    }

    #[test]
    fn whole_collection_unknown() {
        let mut after = json!({});
        merge(&mut after, &json!({"route": true}));
        assert!(is_unknown(&after["route"]));
    }
}
