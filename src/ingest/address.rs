//! Terraform address syntax: instance keys, module paths, reference strings.
//!
//! Addresses are compared as opaque strings; this module only splits them
//! where the configuration's module-relative references must be turned into
//! absolute instance addresses.

use serde_json::Value;

/// The `count` or `for_each` key of a resource or module instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Int(i64),
    Str(String),
}

impl Key {
    /// Reads an `index` / `index_key` value from Terraform JSON.
    pub fn from_json(v: &Value) -> Option<Key> {
        match v {
            Value::Number(n) => n.as_i64().map(Key::Int),
            Value::String(s) => Some(Key::Str(s.clone())),
            _ => None,
        }
    }

    /// The bracketed form Terraform prints: `[0]` or `["a\"b"]`.
    pub fn bracketed(&self) -> String {
        match self {
            Key::Int(i) => format!("[{i}]"),
            Key::Str(s) => format!("[{}]", go_quote(s)),
        }
    }
}

/// Quotes a string the way Go's `%q` does for the characters Terraform keys
/// hold in practice.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Splits a traversal at the dots that are outside brackets and quotes:
/// `module.m["a.b"].x` gives `module`, `m["a.b"]`, `x`.
pub fn split_traversal(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '.' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Splits `name[key]` into the name and the bracketed key text, if any.
pub fn split_index(step: &str) -> (&str, Option<&str>) {
    match step.find('[') {
        Some(i) if step.ends_with(']') => (&step[..i], Some(&step[i..])),
        _ => (step, None),
    }
}

/// One step of a module instance path: the call name and the bracketed key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleStep {
    pub name: String,
    pub key: Option<String>,
}

/// Parses a module instance address (`module.a["x"].module.b`); the root
/// module is the empty string.
pub fn parse_module_path(path: &str) -> Option<Vec<ModuleStep>> {
    if path.is_empty() {
        return Some(Vec::new());
    }
    let parts = split_traversal(path);
    if parts.len() % 2 != 0 {
        return None;
    }
    let mut steps = Vec::new();
    for pair in parts.chunks(2) {
        if pair[0] != "module" {
            return None;
        }
        let (name, key) = split_index(pair[1]);
        steps.push(ModuleStep {
            name: name.to_string(),
            key: key.map(str::to_string),
        });
    }
    Some(steps)
}

/// Renders module steps back to an instance path.
pub fn module_path_text(steps: &[ModuleStep]) -> String {
    module_path(steps, true)
}

/// The configuration path of a module instance path: the keys removed.
pub fn static_module_path(steps: &[ModuleStep]) -> String {
    module_path(steps, false)
}

/// `module.a["k"].module.b`, with the instance keys or without them.
fn module_path(steps: &[ModuleStep], keys: bool) -> String {
    let mut out = String::new();
    for (i, s) in steps.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str("module.");
        out.push_str(&s.name);
        if let Some(k) = s.key.as_ref().filter(|_| keys) {
            out.push_str(k);
        }
    }
    out
}

/// Joins a module instance path and a module-relative resource address.
pub fn join(module: &str, rel: &str) -> String {
    if module.is_empty() {
        rel.to_string()
    } else {
        format!("{module}.{rel}")
    }
}

/// The key of an instance address's last step (`aws_subnet.a[2]` gives `[2]`).
pub fn instance_key_of(address: &str) -> Option<String> {
    let parts = split_traversal(address);
    parts
        .last()
        .and_then(|last| split_index(last).1.map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_keys() {
        assert_eq!(
            split_traversal(r#"module.m["a.b]"].aws_vpc.this"#),
            vec!["module", r#"m["a.b]"]"#, "aws_vpc", "this"]
        );
        let steps = parse_module_path(r#"module.net["prod"].module.sub[0]"#).unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].key.as_deref(), Some(r#"["prod"]"#));
        assert_eq!(static_module_path(&steps), "module.net.module.sub");
        assert_eq!(
            module_path_text(&steps),
            r#"module.net["prod"].module.sub[0]"#
        );
    }

    #[test]
    fn quotes_like_terraform() {
        assert_eq!(Key::Str("a\"b".into()).bracketed(), r#"["a\"b"]"#);
        assert_eq!(Key::Int(3).bracketed(), "[3]");
    }
}
