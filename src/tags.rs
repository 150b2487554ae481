//! Tags with provider `default_tags`: planning `tags_all`, splitting what AWS returns back into
//! `tags` and `tags_all`, and the add/remove sets for an update.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::RwLock;

use tf_provider::value::Value;

use crate::value::{known_map, map_value, StringMap};

/// The provider's `ignore_tags`: tags with these keys, or keys with these prefixes, are left out
/// of what is read, so that they never show as drift and are never removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreTags {
    pub keys: BTreeSet<String>,
    pub key_prefixes: BTreeSet<String>,
}

impl IgnoreTags {
    pub fn ignores(&self, key: &str) -> bool {
        self.keys.contains(key)
            || self
                .key_prefixes
                .iter()
                .any(|p| key.starts_with(p.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.key_prefixes.is_empty()
    }
}

/// The `ignore_tags` of the configured provider. Terraform starts one plugin process per
/// provider configuration, so there is one per process, set when the provider is configured.
static IGNORED: RwLock<IgnoreTags> = RwLock::new(IgnoreTags {
    keys: BTreeSet::new(),
    key_prefixes: BTreeSet::new(),
});

/// Make `ignore` the tags every read leaves out ([`split_for_state`]).
pub fn set_ignored(ignore: IgnoreTags) {
    if let Ok(mut slot) = IGNORED.write() {
        *slot = ignore;
    }
}

/// `api` without the tags `ignore_tags` names.
fn without_ignored(api: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    match IGNORED.read() {
        Ok(ignore) if !ignore.is_empty() => api
            .iter()
            .filter(|(k, _)| !ignore.ignores(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => api.clone(),
    }
}

/// The planned `tags_all`: default tags overlaid with the resource's own tags. Unknown while
/// any configured tag is unknown.
pub fn plan_tags_all(
    tags: &Value<StringMap>,
    defaults: &BTreeMap<String, String>,
) -> Value<StringMap> {
    match known_map(tags) {
        None => Value::Unknown,
        Some(own) => {
            let mut all = defaults.clone();
            all.extend(own);
            map_value(&all)
        }
    }
}

/// Split the tags AWS reports into `(tags, tags_all)` for the state.
///
/// A tag belongs to `tags` when the configuration manages it (its key is in the prior `tags`),
/// or when it is neither one of the default tags with the default's value nor a tag that was a
/// default tag when the state was last written (in the prior `tags_all` but not in `tags`, with
/// that value): an out-of-band tag then shows as drift to remove, while a default tag whose key
/// or value the provider block changed shows as a change of `tags_all` only. A resource without
/// `tags` in its configuration keeps `tags` null. Tags the provider's `ignore_tags` names are
/// left out of both.
pub fn split_for_state(
    api: &BTreeMap<String, String>,
    prior_tags: &Value<StringMap>,
    prior_tags_all: &Value<StringMap>,
    defaults: &BTreeMap<String, String>,
) -> (Value<StringMap>, Value<StringMap>) {
    let api = &without_ignored(api);
    let prior_keys: BTreeSet<&String> = match prior_tags {
        Value::Value(map) => map.keys().collect(),
        _ => BTreeSet::new(),
    };
    let prior_defaults: BTreeMap<String, String> = known_map(prior_tags_all)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !prior_keys.contains(k))
        .collect();
    let own: BTreeMap<String, String> = api
        .iter()
        .filter(|(k, v)| {
            prior_keys.contains(k)
                || (defaults.get(*k) != Some(*v) && prior_defaults.get(*k) != Some(*v))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let tags = if own.is_empty() && prior_tags.is_null() {
        Value::Null
    } else {
        map_value(&own)
    };
    (tags, map_value(api))
}

/// What to send to make `old` become `new`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TagChanges {
    pub set: BTreeMap<String, String>,
    pub remove: Vec<String>,
}

impl TagChanges {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

pub fn diff(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> TagChanges {
    TagChanges {
        set: new
            .iter()
            .filter(|(k, v)| old.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        remove: old
            .keys()
            .filter(|k| !new.contains_key(*k))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ignore_tags_match_keys_and_prefixes() {
        let ignore = IgnoreTags {
            keys: ["owner".to_string()].into(),
            key_prefixes: ["kubernetes.io/".to_string()].into(),
        };
        assert!(ignore.ignores("owner"));
        assert!(ignore.ignores("kubernetes.io/cluster/shop"));
        assert!(!ignore.ignores("owners"));
        assert!(!ignore.ignores("app"));
        assert!(IgnoreTags::default().is_empty());
    }

    #[test]
    fn tags_all_overlays_defaults() {
        let defaults = m(&[("team", "platform"), ("env", "prod")]);
        let tags = map_value(&m(&[("env", "staging"), ("app", "carts")]));
        assert_eq!(
            known_map(&plan_tags_all(&tags, &defaults)),
            Some(m(&[
                ("team", "platform"),
                ("env", "staging"),
                ("app", "carts")
            ]))
        );
        assert_eq!(
            known_map(&plan_tags_all(&Value::Null, &defaults)),
            Some(defaults.clone())
        );
        let mut unknown = StringMap::new();
        unknown.insert("x".into(), Value::Unknown);
        assert!(plan_tags_all(&Value::Value(unknown), &defaults).is_unknown());
    }

    #[test]
    fn split_keeps_configured_keys_and_drops_matching_defaults() {
        let defaults = m(&[("team", "platform")]);
        let api = m(&[("team", "platform"), ("app", "carts")]);
        let (tags, all) = split_for_state(
            &api,
            &map_value(&m(&[("app", "carts")])),
            &Value::Null,
            &defaults,
        );
        assert_eq!(known_map(&tags), Some(m(&[("app", "carts")])));
        assert_eq!(known_map(&all), Some(api.clone()));

        // No tags configured and only defaults present: tags stays null.
        let (tags, _) = split_for_state(&defaults, &Value::Null, &Value::Null, &defaults);
        assert!(tags.is_null());

        // A default overridden out of band shows up in tags, as drift.
        let (tags, _) = split_for_state(
            &m(&[("team", "other")]),
            &Value::Null,
            &Value::Null,
            &defaults,
        );
        assert_eq!(known_map(&tags), Some(m(&[("team", "other")])));

        // The configuration sets a tag to the default's value: it stays in tags.
        let (tags, _) = split_for_state(&defaults, &map_value(&defaults), &Value::Null, &defaults);
        assert_eq!(known_map(&tags), Some(defaults.clone()));

        // tags = {} in configuration stays an empty map.
        let (tags, _) = split_for_state(
            &BTreeMap::new(),
            &map_value(&BTreeMap::new()),
            &Value::Null,
            &defaults,
        );
        assert_eq!(tags, map_value(&BTreeMap::new()));
    }

    #[test]
    fn a_default_tag_the_provider_block_renamed_is_not_a_tag_of_the_resource() {
        // Written with default_tags { cost-center = "cc-1234" }; the key is now "costcenter".
        let prior_tags = map_value(&m(&[("team", "shop")]));
        let prior_all = map_value(&m(&[("team", "shop"), ("cost-center", "cc-1234")]));
        let api = m(&[("team", "shop"), ("cost-center", "cc-1234")]);
        let defaults = m(&[("costcenter", "cc-1234")]);
        let (tags, all) = split_for_state(&api, &prior_tags, &prior_all, &defaults);
        assert_eq!(known_map(&tags), Some(m(&[("team", "shop")])));
        assert_eq!(known_map(&all), Some(api.clone()));

        // A tag added out of band under the old default's key with another value is drift.
        let api = m(&[("team", "shop"), ("cost-center", "other")]);
        let (tags, _) = split_for_state(&api, &prior_tags, &prior_all, &defaults);
        assert_eq!(known_map(&tags), Some(api));
    }

    #[test]
    fn diff_sets_changed_and_removes_missing() {
        let changes = diff(&m(&[("a", "1"), ("b", "2")]), &m(&[("b", "3"), ("c", "4")]));
        assert_eq!(changes.set, m(&[("b", "3"), ("c", "4")]));
        assert_eq!(changes.remove, vec!["a".to_string()]);
        assert!(diff(&m(&[("a", "1")]), &m(&[("a", "1")])).is_empty());
    }
}
