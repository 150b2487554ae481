//! The rules declared beside each schema attribute ([`Attr`]), applied the same way to every
//! resource and data source: checks of configured values, conflicts, defaults, computed values
//! and replacements.
//!
//! States are handled here as Terraform objects (attribute name to value), converted through
//! the MessagePack encoding tf-provider uses on the wire, so unknown values survive the trip.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tf_provider::value::ValueAny;
use tf_provider::AttributePath;

use crate::error::Error;
use crate::schema::{Attr, DefaultValue, ValueCheck};
use crate::validate::{self, attr, Problems, MAX_TAGS};

type Object = BTreeMap<String, ValueAny>;

fn to_object<S: Serialize>(state: &S) -> Result<Object, Error> {
    let bytes = rmp_serde::to_vec_named(state)
        .map_err(|e| Error::internal(format!("encoding a state: {e}")))?;
    match rmp_serde::from_slice::<ValueAny>(&bytes) {
        Ok(ValueAny::Map(object)) => Ok(object),
        Ok(other) => Err(Error::internal(format!(
            "a state encodes as {other:?}, not as an object"
        ))),
        Err(e) => Err(Error::internal(format!("decoding a state: {e}"))),
    }
}

fn from_object<S: DeserializeOwned>(object: Object) -> Result<S, Error> {
    let bytes = rmp_serde::to_vec_named(&ValueAny::Map(object))
        .map_err(|e| Error::internal(format!("encoding a planned state: {e}")))?;
    rmp_serde::from_slice(&bytes)
        .map_err(|e| Error::internal(format!("decoding a planned state: {e}")))
}

fn is_null(value: Option<&ValueAny>) -> bool {
    matches!(value, None | Some(ValueAny::Null))
}

impl DefaultValue {
    fn to_any(self) -> ValueAny {
        match self {
            DefaultValue::Bool(b) => ValueAny::Bool(b),
            DefaultValue::Number(n) => ValueAny::Number(n),
            DefaultValue::String(s) => ValueAny::String(s.to_string()),
        }
    }
}

/// Every declared check and conflict, over a configuration. Unknown values are skipped: they
/// are checked again once known. `defaults` are the provider's default tags.
pub fn check<S: Serialize>(
    attributes: &[Attr],
    config: &S,
    defaults: &BTreeMap<String, String>,
) -> Result<Problems, Error> {
    let config = to_object(config)?;
    let mut problems = Problems::default();
    for a in attributes {
        let value = config.get(a.name).unwrap_or(&ValueAny::Null);
        if let Some(check) = a.rules.check {
            check_value(&mut problems, a.name, check, value, defaults);
        }
        if let Some((other, detail)) = a.rules.conflicts_with {
            if !is_null(Some(value)) && !is_null(config.get(other)) {
                problems.push(Error::invalid(
                    attr(a.name),
                    format!("Conflicting {other} and {}", a.name),
                    detail,
                ));
            }
        }
    }
    Ok(problems)
}

fn check_value(
    p: &mut Problems,
    name: &'static str,
    check: ValueCheck,
    value: &ValueAny,
    defaults: &BTreeMap<String, String>,
) {
    match (check, value) {
        (ValueCheck::Text(f), ValueAny::String(s)) => p.check(attr(name), name, f(s)),
        (ValueCheck::Text(f), ValueAny::List(items)) => {
            for item in items {
                if let ValueAny::String(s) = item {
                    p.check(attr(name), name, f(s));
                }
            }
        }
        (ValueCheck::Number(f), ValueAny::Number(n)) => p.check(attr(name), name, f(*n)),
        (
            ValueCheck::Map {
                key,
                value,
                value_label,
            },
            ValueAny::Map(map),
        ) => {
            for (k, v) in map {
                let path = attr(name).key(k.clone());
                p.check(path.clone(), &format!("{name} key"), key(k));
                if let ValueAny::String(v) = v {
                    // The key is in the summary: Terraform points at the map's line when the
                    // map is not written out element by element (a local, a for expression).
                    p.check(path, &format!("{name}[{k:?}] {value_label}"), value(v));
                }
            }
        }
        (ValueCheck::Tags, ValueAny::Map(map)) => {
            if let Some(own) = known_strings(map) {
                check_tags(p, name, &own, defaults);
            }
        }
        _ => {}
    }
}

/// The map if every value is a known string (null reads as "").
fn known_strings(map: &BTreeMap<String, ValueAny>) -> Option<BTreeMap<String, String>> {
    map.iter()
        .map(|(k, v)| match v {
            ValueAny::String(s) => Some((k.clone(), s.clone())),
            ValueAny::Null => Some((k.clone(), String::new())),
            _ => None,
        })
        .collect()
}

/// The tags' own rules, then their number once the provider's default tags are added.
fn check_tags(
    p: &mut Problems,
    name: &'static str,
    own: &BTreeMap<String, String>,
    defaults: &BTreeMap<String, String>,
) {
    let before = p.0.len();
    validate::tags(p, name, own);
    let mut all = defaults.clone();
    all.extend(own.clone());
    if p.0.len() == before && all.len() > MAX_TAGS {
        p.check(
            attr(name),
            name,
            Err(format!(
                "{name} and the provider's default_tags add up to {} tags; AWS allows at most {MAX_TAGS} on a resource.",
                all.len()
            )),
        );
    }
}

/// The plan the declared rules give: defaults filled in; computed values unknown in a create
/// (or kept from the prior state in an update, for attributes that use the state for
/// unknown); and the attributes whose change replaces the object. `prior` is `None` for a
/// create.
pub fn plan<S: Serialize + DeserializeOwned>(
    attributes: &[Attr],
    prior: Option<&S>,
    proposed: S,
    config: &S,
) -> Result<(S, Vec<AttributePath>), Error> {
    let mut planned = to_object(&proposed)?;
    let prior = prior.map(to_object).transpose()?;
    let config = to_object(config)?;
    let mut replace = Vec::new();
    for a in attributes {
        let value = planned.entry(a.name.to_string()).or_default();
        if let (Some(default), ValueAny::Null) = (a.rules.default, &*value) {
            *value = default.to_any();
        }
        match &prior {
            None => {
                let computed = a.is_computed_only() || a.rules.use_state_for_unknown;
                if computed && matches!(value, ValueAny::Null) {
                    *value = ValueAny::Unknown;
                }
            }
            Some(prior) => {
                let before = prior.get(a.name).unwrap_or(&ValueAny::Null);
                if a.rules.use_state_for_unknown && is_null(config.get(a.name)) {
                    *value = before.clone();
                }
                if a.rules.requires_replace && value != before {
                    replace.push(attr(a.name));
                }
            }
        }
    }
    Ok((from_object(planned)?, replace))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use tf_provider::value::Value;

    use super::*;
    use crate::schema::{computed, optional, optional_computed, required, string, string_map};
    use crate::value::StringMap;

    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct State {
        id: Value<String>,
        name: Value<String>,
        prefix: Value<String>,
        size: Value<i64>,
        enabled: Value<bool>,
        tags: Value<StringMap>,
    }

    fn s(v: &str) -> Value<String> {
        Value::Value(v.to_string())
    }

    fn attributes() -> Vec<Attr> {
        vec![
            computed("id", string(), "").use_state_for_unknown(),
            optional_computed("name", string(), "")
                .use_state_for_unknown()
                .replace()
                .check(|n| {
                    if n.contains(' ') {
                        Err("no spaces".into())
                    } else {
                        Ok(())
                    }
                }),
            optional("prefix", string(), "").conflicts_with("name", "one or the other"),
            required("size", crate::schema::number(), "").check_number(|n| {
                if n > 0 {
                    Ok(())
                } else {
                    Err("positive".into())
                }
            }),
            optional_computed("enabled", crate::schema::boolean(), "").default(true),
            optional("tags", string_map(), "").check_tags(),
        ]
    }

    #[test]
    fn unknown_values_survive_the_round_trip() {
        let state = State {
            id: Value::Unknown,
            name: s("a"),
            tags: Value::Value([("k".to_string(), Value::Unknown)].into()),
            ..Default::default()
        };
        let back: State = from_object(to_object(&state).expect("object")).expect("state");
        assert_eq!(back, state);
    }

    #[test]
    fn checks_and_conflicts_name_their_attribute() {
        let config = State {
            name: s("a b"),
            prefix: s("p"),
            size: Value::Value(0),
            tags: Value::Value([("aws:x".to_string(), s("v"))].into()),
            ..Default::default()
        };
        let problems = check(&attributes(), &config, &BTreeMap::new()).expect("checked");
        assert_eq!(
            problems.paths(),
            vec!["name", "prefix", "size", "tags[\"aws:x\"]"]
        );

        let unknown = State {
            name: Value::Unknown,
            size: Value::Unknown,
            ..Default::default()
        };
        assert!(check(&attributes(), &unknown, &BTreeMap::new())
            .expect("checked")
            .is_empty());
    }

    #[test]
    fn tags_count_with_the_provider_defaults() {
        let defaults: BTreeMap<String, String> = (0..45)
            .map(|i| (format!("d{i}"), "v".to_string()))
            .collect();
        let own: StringMap = (0..6).map(|i| (format!("o{i}"), s("v"))).collect();
        let config = State {
            size: Value::Value(1),
            tags: Value::Value(own),
            ..Default::default()
        };
        let problems = check(&attributes(), &config, &defaults).expect("checked");
        assert_eq!(problems.paths(), vec!["tags"]);
    }

    #[test]
    fn a_create_fills_defaults_and_leaves_computed_values_unknown() {
        let config = State {
            size: Value::Value(1),
            ..Default::default()
        };
        let (planned, replace) =
            plan(&attributes(), None, config.clone(), &config).expect("planned");
        assert!(replace.is_empty());
        assert!(planned.id.is_unknown());
        assert!(planned.name.is_unknown(), "computed when not configured");
        assert!(planned.prefix.is_null(), "optional stays null");
        assert_eq!(planned.enabled, Value::Value(true));
    }

    #[test]
    fn an_update_keeps_state_for_unknown_and_replaces_on_change() {
        let prior = State {
            id: s("1"),
            name: s("a"),
            size: Value::Value(1),
            enabled: Value::Value(true),
            ..Default::default()
        };
        let config = State {
            size: Value::Value(2),
            ..Default::default()
        };
        let proposed = State {
            id: Value::Null,
            name: Value::Null,
            ..config.clone()
        };
        let (planned, replace) =
            plan(&attributes(), Some(&prior), proposed, &config).expect("planned");
        assert_eq!(planned.id, s("1"));
        assert_eq!(planned.name, s("a"));
        assert!(replace.is_empty());

        let renamed = State {
            name: s("b"),
            ..config
        };
        let (planned, replace) =
            plan(&attributes(), Some(&prior), renamed.clone(), &renamed).expect("planned");
        assert_eq!(planned.name, s("b"));
        assert_eq!(replace, vec![attr("name")]);
    }
}
