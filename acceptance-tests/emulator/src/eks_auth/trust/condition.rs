//! The Condition element (IAM User Guide, "IAM JSON policy elements: Condition operators",
//! "Single-valued vs. multivalued context keys" and "...IfExists condition operators"):
//!
//! - several values for one key are OR, several keys and several operators are AND;
//! - condition key names are case-insensitive; values are case-sensitive except in the
//!   `…IgnoreCase` operators;
//! - a key missing from the request fails the positive operators and satisfies the negated ones
//!   (`StringNotEquals`, `StringNotLike`, `ArnNotEquals`, `ArnNotLike`,
//!   `StringNotEqualsIgnoreCase`); `…IfExists` satisfies any operator when the key is missing;
//! - `ForAnyValue:` needs one request value to satisfy the operator (none when the key is
//!   missing), `ForAllValues:` needs every one to (true when the key is missing);
//! - `ArnEquals` and `ArnLike` both compare the six colon-separated parts, with `*` and `?`.
//!
//! Anything else (numeric, date, IP and binary operators, policy variables, a multivalued key
//! without a set operator, a key the emulator cannot tell present or absent) is unknown.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::glob;

/// A three-valued answer: yes, no (and why), or unknown (and why the emulator cannot tell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No(String),
    Unknown(String),
}

/// The condition keys of one request: those it has, and those it certainly lacks. A key that is
/// neither is one the emulator cannot judge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Lower-case key → (values, multivalued).
    present: BTreeMap<String, (Vec<String>, bool)>,
    absent_keys: BTreeSet<String>,
    /// Lower-case prefixes (`aws:requesttag/`) all of whose other keys are absent.
    absent_prefixes: Vec<String>,
}

enum Lookup<'a> {
    Present(&'a [String], bool),
    Absent,
    Unknown,
}

impl Context {
    /// A single-valued key.
    pub fn set(&mut self, key: &str, value: &str) {
        let values = vec![value.to_owned()];
        self.present.insert(key.to_lowercase(), (values, false));
    }

    /// A multivalued key, e.g. `aws:TagKeys`.
    pub fn set_multivalued(&mut self, key: &str, values: Vec<String>) {
        self.present.insert(key.to_lowercase(), (values, true));
    }

    /// The request certainly lacks `key`.
    pub fn absent(&mut self, key: &str) {
        self.absent_keys.insert(key.to_lowercase());
    }

    /// The request has no key starting with `prefix` beyond those set.
    pub fn absent_prefix(&mut self, prefix: &str) {
        self.absent_prefixes.push(prefix.to_lowercase());
    }

    fn lookup(&self, key: &str) -> Lookup<'_> {
        let key = key.to_lowercase();
        if let Some((values, multivalued)) = self.present.get(&key) {
            return Lookup::Present(values, *multivalued);
        }
        let known_absent = self.absent_keys.contains(&key)
            || self
                .absent_prefixes
                .iter()
                .any(|p| key.starts_with(p.as_str()));
        if known_absent {
            Lookup::Absent
        } else {
            Lookup::Unknown
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Equals,
    EqualsIgnoreCase,
    Like,
    Arn,
    Bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOperator {
    AnyValue,
    AllValues,
}

/// A condition operator: `[ForAnyValue:|ForAllValues:]<base>[IfExists]`.
#[derive(Debug, Clone, Copy)]
struct Operator {
    /// `None` for `Null`.
    compare: Option<Compare>,
    negated: bool,
    set: Option<SetOperator>,
    if_exists: bool,
}

fn parse_operator(name: &str) -> Result<Operator, String> {
    let unsupported = || format!("the emulator does not support the condition operator {name:?}");
    let (set, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
        (Some(SetOperator::AnyValue), rest)
    } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
        (Some(SetOperator::AllValues), rest)
    } else {
        (None, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let (compare, negated) = match base {
        "StringEquals" => (Some(Compare::Equals), false),
        "StringNotEquals" => (Some(Compare::Equals), true),
        "StringEqualsIgnoreCase" => (Some(Compare::EqualsIgnoreCase), false),
        "StringNotEqualsIgnoreCase" => (Some(Compare::EqualsIgnoreCase), true),
        "StringLike" => (Some(Compare::Like), false),
        "StringNotLike" => (Some(Compare::Like), true),
        "ArnEquals" | "ArnLike" => (Some(Compare::Arn), false),
        "ArnNotEquals" | "ArnNotLike" => (Some(Compare::Arn), true),
        "Bool" => (Some(Compare::Bool), false),
        "Null" if set.is_none() && !if_exists => (None, false),
        _ => return Err(unsupported()),
    };
    Ok(Operator {
        compare,
        negated,
        set,
        if_exists,
    })
}

/// The Condition block of a statement (absent: satisfied).
pub fn evaluate_block(block: Option<&Map<String, Value>>, context: &Context) -> Tri {
    let Some(block) = block else {
        return Tri::Yes;
    };
    let mut unknown = None;
    for (operator_name, keys) in block {
        let operator = match parse_operator(operator_name) {
            Ok(operator) => operator,
            Err(reason) => {
                unknown.get_or_insert(reason);
                continue;
            }
        };
        let Value::Object(keys) = keys else {
            unknown.get_or_insert(format!("{operator_name} must map condition keys to values"));
            continue;
        };
        for (key, wanted) in keys {
            match evaluate_key(operator_name, operator, key, wanted, context) {
                Tri::Yes => {}
                no @ Tri::No(_) => return no,
                Tri::Unknown(reason) => {
                    unknown.get_or_insert(reason);
                }
            }
        }
    }
    match unknown {
        Some(reason) => Tri::Unknown(reason),
        None => Tri::Yes,
    }
}

/// The policy's values for one key: strings, booleans or numbers, alone or in a list.
fn policy_values(wanted: &Value) -> Option<Vec<String>> {
    let one = |value: &Value| match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match wanted {
        Value::Array(list) => list.iter().map(one).collect(),
        other => one(other).map(|value| vec![value]),
    }
}

fn evaluate_key(
    operator_name: &str,
    operator: Operator,
    key: &str,
    wanted: &Value,
    context: &Context,
) -> Tri {
    let what = format!("{operator_name} {key}");
    let Some(wanted) = policy_values(wanted) else {
        return Tri::Unknown(format!(
            "{what}: the emulator does not support these values"
        ));
    };
    if wanted.iter().any(|value| value.contains("${")) {
        return Tri::Unknown(format!(
            "{what}: the emulator does not support policy variables"
        ));
    }
    let lookup = context.lookup(key);
    let Some(compare) = operator.compare else {
        return null(&what, &wanted, lookup);
    };
    let (values, multivalued) = match lookup {
        Lookup::Unknown => {
            return Tri::Unknown(format!(
                "{what}: the emulator cannot tell whether EKS sends {key} in this request"
            ))
        }
        Lookup::Absent => {
            let holds = operator.if_exists
                || match operator.set {
                    Some(SetOperator::AllValues) => true,
                    Some(SetOperator::AnyValue) => false,
                    None => operator.negated,
                };
            return if holds {
                Tri::Yes
            } else {
                Tri::No(format!("{what}: the request has no {key}"))
            };
        }
        Lookup::Present(values, multivalued) => (values, multivalued),
    };
    if multivalued && operator.set.is_none() {
        return Tri::Unknown(format!(
            "{what}: {key} is multivalued, which the emulator supports only with ForAnyValue: or ForAllValues:"
        ));
    }
    let satisfies = |value: &String| {
        let any = wanted.iter().any(|w| compares(compare, w, value));
        any != operator.negated
    };
    let holds = match operator.set {
        Some(SetOperator::AllValues) => values.iter().all(satisfies),
        _ => values.iter().any(satisfies),
    };
    if holds {
        Tri::Yes
    } else {
        let verb = if operator.negated {
            "excludes"
        } else {
            "wants"
        };
        Tri::No(format!(
            "{what}: the request has {}, the policy {verb} {}",
            quoted(values),
            quoted(&wanted)
        ))
    }
}

/// `Null`: `true` wants the key absent, `false` present.
fn null(what: &str, wanted: &[String], lookup: Lookup<'_>) -> Tri {
    let present = match lookup {
        Lookup::Unknown => {
            return Tri::Unknown(format!(
                "{what}: the emulator cannot tell whether EKS sends this key"
            ))
        }
        Lookup::Absent => false,
        Lookup::Present(..) => true,
    };
    let mut holds = false;
    for value in wanted {
        match value.to_ascii_lowercase().as_str() {
            "true" => holds |= !present,
            "false" => holds |= present,
            _ => return Tri::Unknown(format!("{what}: Null takes true or false, not {value:?}")),
        }
    }
    if holds {
        Tri::Yes
    } else if present {
        Tri::No(format!("{what}: the request has the key"))
    } else {
        Tri::No(format!("{what}: the request lacks the key"))
    }
}

fn compares(compare: Compare, wanted: &str, value: &str) -> bool {
    match compare {
        Compare::Equals => wanted == value,
        Compare::EqualsIgnoreCase => wanted.to_lowercase() == value.to_lowercase(),
        Compare::Like => glob(wanted, value),
        Compare::Bool => wanted.eq_ignore_ascii_case(value),
        Compare::Arn => {
            let wanted: Vec<&str> = wanted.splitn(6, ':').collect();
            let value: Vec<&str> = value.splitn(6, ':').collect();
            wanted.len() == 6
                && value.len() == 6
                && wanted.iter().zip(&value).all(|(w, v)| glob(w, v))
        }
    }
}

fn quoted(values: &[String]) -> String {
    match values {
        [one] => format!("{one:?}"),
        many => format!("{many:?}"),
    }
}
