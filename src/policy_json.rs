//! IAM policy documents compared by meaning, not by text: statement order, a single string vs a
//! one-element list, key order, whitespace, the case of action names, duplicate list entries and
//! the URL-encoding IAM applies to documents it returns all make no difference. The case of
//! `Effect` does: IAM accepts exactly `Allow` and `Deny` ("The Effect value is case sensitive"),
//! so `allow` is another document, one IAM refuses.

use serde_json::{Map, Value};

/// The canonical form of a policy document, suitable for equality comparison.
pub fn canonical(document: &str) -> Result<Value, serde_json::Error> {
    let value: Value = serde_json::from_str(&decode(document))?;
    Ok(normalize_policy(value))
}

/// True when both documents parse and mean the same policy.
pub fn equivalent(a: &str, b: &str) -> bool {
    match (canonical(a), canonical(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A statement in its canonical form: two statements that mean the same compare equal.
pub fn canonical_statement(statement: &Value) -> Value {
    normalize_statement(statement.clone())
}

/// True when both texts are JSON arrays of statements that mean the same: statement order,
/// duplicates and everything [`equivalent`] ignores make no difference.
pub fn statements_equivalent(a: &str, b: &str) -> bool {
    let canonical_list = |text: &str| -> Option<Value> {
        match serde_json::from_str::<Value>(text).ok()? {
            list @ Value::Array(_) => {
                let mut doc = Map::new();
                doc.insert("Statement".into(), list);
                Some(normalize_policy(Value::Object(doc)))
            }
            _ => None,
        }
    };
    match (canonical_list(a), canonical_list(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// `new`, unless `prior` is an equivalent document: then `prior`, so that a document rewritten
/// without changing its meaning (in the configuration or by AWS) is no change.
pub fn keep_equivalent(
    prior: &tf_provider::value::Value<String>,
    new: tf_provider::value::Value<String>,
) -> tf_provider::value::Value<String> {
    use tf_provider::value::Value;
    match (prior, &new) {
        (Value::Value(old), Value::Value(text)) if equivalent(old, text) => prior.clone(),
        _ => new,
    }
}

/// [`keep_equivalent`] for JSON arrays of statements.
pub fn keep_equivalent_statements(
    prior: &tf_provider::value::Value<String>,
    new: tf_provider::value::Value<String>,
) -> tf_provider::value::Value<String> {
    use tf_provider::value::Value;
    match (prior, &new) {
        (Value::Value(old), Value::Value(text)) if statements_equivalent(old, text) => {
            prior.clone()
        }
        _ => new,
    }
}

/// IAM returns policy documents URL-encoded (RFC 3986). A document that does not start with a
/// JSON brace after trimming is decoded; a JSON document is returned as it is.
pub fn decode(document: &str) -> String {
    let trimmed = document.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return document.to_string();
    }
    percent_encoding::percent_decode_str(document)
        .decode_utf8_lossy()
        .into_owned()
}

/// Serialize with object keys sorted at every level, so equal canonical values give equal text.
pub fn to_sorted_string(value: &Value) -> String {
    let mut out = String::new();
    write_sorted(value, &mut out);
    out
}

fn write_sorted(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_sorted(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn normalize_policy(value: Value) -> Value {
    let Value::Object(mut doc) = value else {
        return value;
    };
    if let Some(statements) = doc.remove("Statement") {
        let mut list: Vec<Value> = as_list(statements)
            .into_iter()
            .map(normalize_statement)
            .collect();
        list.sort_by_cached_key(to_sorted_string);
        list.dedup();
        doc.insert("Statement".into(), Value::Array(list));
    }
    Value::Object(doc)
}

fn normalize_statement(value: Value) -> Value {
    let Value::Object(stmt) = value else {
        return value;
    };
    let mut out = Map::new();
    for (key, v) in stmt {
        let v = match key.as_str() {
            "Action" | "NotAction" => string_set(v, true),
            "Resource" | "NotResource" => string_set(v, false),
            "Principal" | "NotPrincipal" => normalize_principal(v),
            "Condition" => normalize_condition(v),
            "Sid" if v.as_str() == Some("") => continue,
            _ => v,
        };
        out.insert(key, v);
    }
    Value::Object(out)
}

fn as_list(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        other => vec![other],
    }
}

fn scalar_string(value: Value) -> Value {
    match value {
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Number(n) => Value::String(n.to_string()),
        other => other,
    }
}

/// A string or list of strings as a sorted, de-duplicated list. IAM action names are
/// case-insensitive, so actions are compared lower-cased.
fn string_set(value: Value, case_insensitive: bool) -> Value {
    let mut items: Vec<Value> = as_list(value)
        .into_iter()
        .map(scalar_string)
        .map(|v| match v {
            Value::String(s) if case_insensitive => Value::String(s.to_ascii_lowercase()),
            other => other,
        })
        .collect();
    items.sort_by_cached_key(to_sorted_string);
    items.dedup();
    Value::Array(items)
}

fn normalize_principal(value: Value) -> Value {
    match value {
        // "Principal": "*" is the same as {"AWS": "*"}.
        Value::String(s) if s == "*" => {
            let mut map = Map::new();
            map.insert("AWS".into(), Value::Array(vec![Value::String(s)]));
            Value::Object(map)
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, string_set(v, false)))
                .collect(),
        ),
        other => other,
    }
}

fn normalize_condition(value: Value) -> Value {
    match value {
        Value::Object(ops) => Value::Object(
            ops.into_iter()
                .map(|(op, keys)| {
                    let keys = match keys {
                        Value::Object(keys) => Value::Object(
                            keys.into_iter()
                                .map(|(k, v)| (k, string_set(v, false)))
                                .collect(),
                        ),
                        other => other,
                    };
                    (op, keys)
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;

    #[test]
    fn formatting_and_order_do_not_matter() {
        let reordered = r#"{
            "Statement": {
                "Action": ["sts:TagSession", "sts:AssumeRole", "sts:AssumeRole"],
                "Principal": {"Service": ["pods.eks.amazonaws.com"]},
                "Effect": "Allow"
            },
            "Version": "2012-10-17"
        }"#;
        assert!(equivalent(BASE, reordered));
    }

    #[test]
    fn effect_case_is_a_difference() {
        for other in ["allow", "ALLOW", "aLLow"] {
            let changed = BASE.replace("\"Allow\"", &format!("{other:?}"));
            assert_ne!(changed, BASE);
            assert!(!equivalent(BASE, &changed), "{other}");
            assert!(!equivalent(&changed, BASE), "{other}");
        }
        let deny = r#"{"Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}"#;
        assert!(!equivalent(deny, &deny.replace("Deny", "deny")));
        use tf_provider::value::Value;
        let prior = Value::Value(BASE.to_string());
        let lowercase = Value::Value(BASE.replace("\"Allow\"", "\"allow\""));
        assert_eq!(keep_equivalent(&prior, lowercase.clone()), lowercase);
    }

    #[test]
    fn statement_order_does_not_matter() {
        let a = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}"#;
        let b = r#"{"Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        assert!(equivalent(a, b));
    }

    #[test]
    fn url_encoded_documents_from_iam_are_decoded() {
        let encoded: String =
            percent_encoding::utf8_percent_encode(BASE, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        assert!(encoded.starts_with("%7B"));
        assert!(equivalent(BASE, &encoded));
    }

    #[test]
    fn real_differences_are_differences() {
        let other_service = BASE.replace("pods.eks", "ec2");
        assert!(!equivalent(BASE, &other_service));
        let fewer_actions = BASE.replace(",\"sts:TagSession\"", "");
        assert!(!equivalent(BASE, &fewer_actions));
        let deny = BASE.replace("Allow", "Deny");
        assert!(!equivalent(BASE, &deny));
        let with_condition = BASE.replace(
            "]}]}",
            "],\"Condition\":{\"StringLike\":{\"aws:RequestTag/eks-cluster-name\":\"shop-*\"}}}]}",
        );
        assert!(!equivalent(BASE, &with_condition));
        assert!(!equivalent(BASE, "not json"));
    }

    #[test]
    fn condition_values_and_principal_star() {
        let a = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"StringLike":{"k":["b","a"]}}}]}"#;
        let b = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["S3:*"],"Resource":["*"],"Condition":{"StringLike":{"k":["a","b"]},"Bool":{"aws:SecureTransport":"true"}}}]}"#;
        assert!(equivalent(a, b));
    }

    #[test]
    fn equivalent_text_is_kept_and_changes_are_not() {
        use tf_provider::value::Value;
        let prior = Value::Value(BASE.to_string());
        let reformatted =
            Value::Value(serde_json::to_string_pretty(&canonical(BASE).unwrap()).unwrap());
        assert_eq!(keep_equivalent(&prior, reformatted), prior);
        let changed = Value::Value(BASE.replace("Allow", "Deny"));
        assert_eq!(keep_equivalent(&prior, changed.clone()), changed);
        assert_eq!(keep_equivalent(&prior, Value::Null), Value::Null);
        assert_eq!(keep_equivalent(&Value::Null, changed.clone()), changed);
        assert!(keep_equivalent(&prior, Value::Unknown).is_unknown());
    }

    #[test]
    fn statement_lists_compare_by_meaning() {
        let a = r#"[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/A"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"k:sub":"system:serviceaccount:app:app-sa","k:aud":"sts.amazonaws.com"}}},{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}]"#;
        let b = r#"[
            {"Principal":{"AWS":["*"]},"Action":["STS:AssumeRole"],"Effect":"Deny"},
            {"Condition":{"StringEquals":{"k:aud":["sts.amazonaws.com"],"k:sub":"system:serviceaccount:app:app-sa"}},
             "Action":["sts:AssumeRoleWithWebIdentity"],"Effect":"Allow",
             "Principal":{"Federated":["arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/A"]}}
        ]"#;
        assert!(statements_equivalent(a, b));
        assert!(statements_equivalent("[]", " [ ] "));
        assert!(!statements_equivalent(
            a,
            &a.replace("\"Deny\"", "\"deny\"")
        ));
        assert!(!statements_equivalent(a, &a.replace("app-sa", "other")));
        assert!(!statements_equivalent(a, "[]"));
        // Only lists: a single statement object is not a list of statements.
        assert!(!statements_equivalent(
            r#"{"Effect":"Allow"}"#,
            r#"{"Effect":"Allow"}"#
        ));
        assert_eq!(
            canonical_statement(&serde_json::from_str(r#"{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"x"}}"#).unwrap()),
            canonical_statement(&serde_json::from_str(r#"{"Principal":{"Service":["x"]},"Effect":"Allow","Action":["STS:assumerole"]}"#).unwrap())
        );
        use tf_provider::value::Value as V;
        let prior = V::Value(a.to_string());
        assert_eq!(
            keep_equivalent_statements(&prior, V::Value(b.to_string())),
            prior
        );
        assert_eq!(keep_equivalent_statements(&prior, V::Null), V::Null);
    }

    #[test]
    fn sorted_serialization_is_stable() {
        let v: Value = serde_json::from_str(r#"{"b":1,"a":{"d":[2,1],"c":true}}"#).unwrap();
        assert_eq!(to_sorted_string(&v), r#"{"a":{"c":true,"d":[2,1]},"b":1}"#);
    }
}
