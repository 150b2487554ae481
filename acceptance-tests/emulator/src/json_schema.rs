//! The part of JSON Schema (draft-06) the add-on configuration schemas use, checked the way EKS
//! reports it: each violation as `$.path: reason`, in the wording of the validator EKS answers
//! with (networknt json-schema-validator), e.g. `$.nodeSelector: is not defined in the schema and
//! the schema does not allow additional properties`.
//!
//! Supported keywords: `$ref` (to `#/definitions/...`), `type` (one name or a list), `properties`,
//! `additionalProperties` (a boolean or a schema), `required`, `items`, `enum`. Annotations
//! (`title`, `description`, `default`, `format`, `$schema`) are ignored, as draft-06 validators
//! ignore `format` by default.

use serde_json::{Map, Value};

/// Every violation of `schema` by `instance`, sorted (so that the order of members in a JSON
/// object does not change the message). Empty: valid.
pub fn validate(schema: &Value, instance: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    Validator { root: schema }.check(schema, instance, "$", &mut errors);
    errors.sort();
    errors
}

struct Validator<'a> {
    root: &'a Value,
}

impl Validator<'_> {
    fn check(&self, schema: &Value, instance: &Value, path: &str, errors: &mut Vec<String>) {
        let Some(schema) = schema.as_object() else {
            // `true`, `{}`: anything goes.
            return;
        };
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            match self.resolve(reference) {
                Some(target) => self.check(target, instance, path, errors),
                None => errors.push(format!("{path}: cannot resolve {reference}")),
            }
            return;
        }
        if let Some(expected) = schema.get("type") {
            if !type_matches(expected, instance) {
                errors.push(format!(
                    "{path}: {} found, {} expected",
                    type_name(instance),
                    expected_types(expected)
                ));
                return;
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(instance) {
                let values: Vec<String> = allowed.iter().map(display).collect();
                errors.push(format!(
                    "{path}: does not have a value in the enumeration [{}]",
                    values.join(", ")
                ));
            }
        }
        if let Some(object) = instance.as_object() {
            self.check_object(schema, object, path, errors);
        }
        if let (Some(items), Some(array)) = (schema.get("items"), instance.as_array()) {
            for (index, item) in array.iter().enumerate() {
                self.check(items, item, &format!("{path}[{index}]"), errors);
            }
        }
    }

    fn check_object(
        &self,
        schema: &Map<String, Value>,
        object: &Map<String, Value>,
        path: &str,
        errors: &mut Vec<String>,
    ) {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    errors.push(format!("{path}.{name}: is missing but it is required"));
                }
            }
        }
        for (name, value) in object {
            let member = format!("{path}.{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(property) => self.check(property, value, &member, errors),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => errors.push(format!(
                        "{member}: is not defined in the schema and the schema does not allow additional properties"
                    )),
                    Some(additional @ Value::Object(_)) => {
                        self.check(additional, value, &member, errors)
                    }
                    _ => {}
                },
            }
        }
    }

    /// `#/definitions/Name` (JSON pointer into the root schema).
    fn resolve(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        self.root.pointer(pointer)
    }
}

fn type_matches(expected: &Value, instance: &Value) -> bool {
    match expected {
        Value::String(name) => is_type(name, instance),
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .any(|name| is_type(name, instance)),
        _ => true,
    }
}

fn is_type(name: &str, instance: &Value) -> bool {
    match name {
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "string" => instance.is_string(),
        "boolean" => instance.is_boolean(),
        "null" => instance.is_null(),
        "number" => instance.is_number(),
        "integer" => {
            instance.is_i64()
                || instance.is_u64()
                || instance.as_f64().is_some_and(|n| n.fract() == 0.0)
        }
        _ => false,
    }
}

fn type_name(instance: &Value) -> &'static str {
    match instance {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
    }
}

fn expected_types(expected: &Value) -> String {
    match expected {
        Value::Array(names) => {
            let names: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
            format!("[{}]", names.join(", "))
        }
        other => display(other),
    }
}

/// A value as the messages show it: strings bare, everything else as JSON.
fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({
            "$ref": "#/definitions/Root",
            "definitions": {
                "Root": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "agent": {"$ref": "#/definitions/Agent"},
                        "replicas": {"type": "integer"},
                        "mode": {"type": "string", "enum": ["a", "b"]},
                        "affinity": {"type": ["object", "null"]},
                        "tolerations": {"type": "array", "items": {"type": "object", "required": ["key"]}}
                    }
                },
                "Agent": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "additionalArgs": {"type": "object", "additionalProperties": {"type": "string"}}
                    }
                }
            }
        })
    }

    #[test]
    fn accepts_what_the_schema_allows() {
        let ok = json!({
            "agent": {"additionalArgs": {"-b": "169.254.170.23"}},
            "replicas": 2,
            "mode": "a",
            "affinity": null,
            "tolerations": [{"key": "k"}]
        });
        assert_eq!(validate(&schema(), &ok), Vec::<String>::new());
        assert!(validate(&schema(), &json!({})).is_empty());
    }

    #[test]
    fn reports_each_violation_with_its_path() {
        let bad = json!({
            "agent": {"additionalArgs": {"-b": 1}, "extra": true},
            "replicas": 1.5,
            "mode": "c",
            "affinity": "x",
            "tolerations": [{}],
            "nodeSelector": {}
        });
        assert_eq!(
            validate(&schema(), &bad),
            [
                "$.affinity: string found, [object, null] expected",
                "$.agent.additionalArgs.-b: integer found, string expected",
                "$.agent.extra: is not defined in the schema and the schema does not allow additional properties",
                "$.mode: does not have a value in the enumeration [a, b]",
                "$.nodeSelector: is not defined in the schema and the schema does not allow additional properties",
                "$.replicas: number found, integer expected",
                "$.tolerations[0].key: is missing but it is required",
            ]
        );
        assert_eq!(
            validate(&schema(), &json!([])),
            ["$: array found, object expected"]
        );
    }
}
