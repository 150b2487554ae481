//! Terraform values (`tf_provider::value::Value`: known, null or unknown) of the shapes the
//! states use, and the conversions between them and plain Rust values.

use std::collections::{BTreeMap, BTreeSet};

use tf_provider::value::Value;

/// A set of strings as Terraform sends it: each element may be unknown.
pub type StringSet = BTreeSet<Value<String>>;

/// A map of strings (tags, inline policies) as Terraform sends it: each value may be unknown.
pub type StringMap = BTreeMap<String, Value<String>>;

/// `as_str` for owned string values of the state (tf-provider has it only for `Cow` values):
/// the text, or "" when null or unknown.
pub trait ValueStr {
    fn as_str(&self) -> &str;
}

impl ValueStr for Value<String> {
    fn as_str(&self) -> &str {
        match self {
            Value::Value(s) => s,
            _ => "",
        }
    }
}

/// The text when it is known.
pub fn known_str(v: &Value<String>) -> Option<&str> {
    v.as_ref_option().map(String::as_str)
}

/// An optional text AWS returned: null when absent or empty.
pub fn text(v: Option<&str>) -> Value<String> {
    match v {
        Some(s) if !s.is_empty() => Value::Value(s.to_string()),
        _ => Value::Null,
    }
}

/// A known set of strings: null is empty, anything unknown is `None`.
pub fn known_set(v: &Value<StringSet>) -> Option<BTreeSet<String>> {
    match v {
        Value::Null => Some(BTreeSet::new()),
        Value::Unknown => None,
        Value::Value(items) => items
            .iter()
            .map(|item| match item {
                Value::Value(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
    }
}

pub fn set_value(items: &BTreeSet<String>) -> Value<StringSet> {
    Value::Value(items.iter().map(|s| Value::Value(s.clone())).collect())
}

/// `items` as the state shows them: null when empty and the configuration did not set it.
pub fn set_or_null(items: &BTreeSet<String>, configured: &Value<StringSet>) -> Value<StringSet> {
    if items.is_empty() && configured.is_null() {
        Value::Null
    } else {
        set_value(items)
    }
}

/// The map if every value is known (a null value reads as ""); null is empty.
pub fn known_map(map: &Value<StringMap>) -> Option<BTreeMap<String, String>> {
    match map {
        Value::Null => Some(BTreeMap::new()),
        Value::Unknown => None,
        Value::Value(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::Value(v) => Some((k.clone(), v.clone())),
                Value::Null => Some((k.clone(), String::new())),
                Value::Unknown => None,
            })
            .collect(),
    }
}

pub fn map_value(map: &BTreeMap<String, String>) -> Value<StringMap> {
    Value::Value(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::Value(v.clone())))
            .collect(),
    )
}

/// `items` as the state shows them: null when empty and the configuration did not set it.
pub fn map_or_null(
    items: &BTreeMap<String, String>,
    configured: &Value<StringMap>,
) -> Value<StringMap> {
    if items.is_empty() && configured.is_null() {
        Value::Null
    } else {
        map_value(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value<String> {
        Value::Value(v.to_string())
    }

    #[test]
    fn texts() {
        assert_eq!(text(Some("a")), s("a"));
        assert_eq!(text(Some("")), Value::Null);
        assert_eq!(text(None), Value::Null);
        assert_eq!(s("a").as_str(), "a");
        assert_eq!(Value::<String>::Unknown.as_str(), "");
        assert_eq!(known_str(&Value::Unknown), None);
    }

    #[test]
    fn sets_and_maps_are_known_only_when_every_element_is() {
        let mut set: StringSet = [s("a")].into();
        assert_eq!(
            known_set(&Value::Value(set.clone())),
            Some(["a".to_string()].into())
        );
        set.insert(Value::Unknown);
        assert_eq!(known_set(&Value::Value(set)), None);
        assert_eq!(known_set(&Value::Null), Some(BTreeSet::new()));

        let map: StringMap = [("k".to_string(), Value::Null)].into();
        assert_eq!(
            known_map(&Value::Value(map)),
            Some([("k".to_string(), String::new())].into())
        );
        let unknown: StringMap = [("k".to_string(), Value::Unknown)].into();
        assert_eq!(known_map(&Value::Value(unknown)), None);
    }

    #[test]
    fn empty_collections_stay_null_unless_configured() {
        assert!(set_or_null(&BTreeSet::new(), &Value::Null).is_null());
        assert_eq!(
            set_or_null(&BTreeSet::new(), &Value::Value(StringSet::new())),
            Value::Value(StringSet::new())
        );
        assert!(map_or_null(&BTreeMap::new(), &Value::Null).is_null());
        assert_eq!(
            map_or_null(&BTreeMap::new(), &Value::Value(StringMap::new())),
            Value::Value(StringMap::new())
        );
    }
}
