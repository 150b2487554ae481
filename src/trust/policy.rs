//! A trust policy document read into the parts the evaluator needs.
//!
//! Parsing accepts every shape IAM documents for the same meaning — a single statement object or
//! an array, a single string or a list, `"Principal": "*"` — and the URL-encoded form IAM returns
//! from GetRole. It rejects only documents that are not policies at all; elements it can read but
//! does not evaluate (an unknown operator, `Resource` in a trust policy) are kept and make the
//! verdict undecided instead.

use serde_json::Value;
use thiserror::Error;

use super::verdict::StatementRef;
use crate::policy_json;

/// The policy language version in which `${…}` is a policy variable.
const CURRENT_VERSION: &str = "2012-10-17";
const OLD_VERSION: &str = "2008-10-17";

/// Why a document is not a policy the evaluator can read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    /// The text is not JSON (after URL-decoding).
    #[error("the policy is not valid JSON: {0}")]
    NotJson(String),
    /// The JSON is not an object.
    #[error("the policy is not a JSON object")]
    NotAnObject,
    /// The document has no `Statement` element.
    #[error("the policy has no Statement element")]
    NoStatement,
    /// `Statement` is neither an object nor an array of objects.
    #[error("the Statement element must be an object or an array of objects")]
    StatementShape,
    /// `Version` is not one IAM supports.
    #[error("Version {0:?} is not a policy language version (use \"2012-10-17\")")]
    Version(String),
    /// One statement is malformed; `number` is 1-based.
    #[error("statement {number}: {problem}")]
    Statement {
        /// 1-based position of the statement in the document.
        number: usize,
        /// What is wrong with it.
        problem: String,
    },
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// The statement grants the request when it applies.
    Allow,
    /// The statement denies the request when it applies; an applicable Deny always wins.
    Deny,
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// A parsed trust policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Whether `${…}` is a policy variable (Version 2012-10-17) or literal text.
    pub(crate) variables: bool,
    pub(crate) statements: Vec<Statement>,
}

/// Who a statement names: `Principal` or, when `negated`, `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principals {
    pub negated: bool,
    pub spec: PrincipalSpec,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalSpec {
    /// `"Principal": "*"`.
    Everyone,
    /// `{"AWS": [...], "Service": [...], ...}` as (type, values) pairs.
    Listed(Vec<(String, Vec<String>)>),
}

/// `Action` or, when `negated`, `NotAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Actions {
    pub negated: bool,
    pub patterns: Vec<String>,
}

/// One `operator → key → values` entry of a `Condition` block, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConditionEntry {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    pub reference: StatementRef,
    pub effect: Effect,
    pub principals: Principals,
    pub actions: Actions,
    pub conditions: Vec<ConditionEntry>,
    /// Elements a trust policy statement does not have (`Resource`, misspellings, …).
    pub unsupported: Vec<String>,
}

impl Policy {
    /// Reads a policy document: JSON, or the URL-encoded JSON IAM returns.
    pub fn parse(document: &str) -> Result<Policy, PolicyError> {
        let decoded = policy_json::decode(document);
        let value: Value =
            serde_json::from_str(&decoded).map_err(|e| PolicyError::NotJson(e.to_string()))?;
        let Value::Object(doc) = value else {
            return Err(PolicyError::NotAnObject);
        };
        let variables = match doc.get("Version") {
            None => false,
            Some(Value::String(v)) if v == CURRENT_VERSION => true,
            Some(Value::String(v)) if v == OLD_VERSION => false,
            Some(other) => return Err(PolicyError::Version(scalar_text(other))),
        };
        let statements = match doc.get("Statement") {
            None => return Err(PolicyError::NoStatement),
            Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
            Some(single @ Value::Object(_)) => vec![single],
            Some(_) => return Err(PolicyError::StatementShape),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                parse_statement(index, value).map_err(|problem| PolicyError::Statement {
                    number: index + 1,
                    problem,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy {
            variables,
            statements,
        })
    }

    /// How many statements the policy has.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// The statements' references (index and Sid), in document order.
    pub fn statement_refs(&self) -> impl Iterator<Item = &StatementRef> {
        self.statements.iter().map(|s| &s.reference)
    }
}

fn parse_statement(index: usize, value: &Value) -> Result<Statement, String> {
    let Value::Object(stmt) = value else {
        return Err("a statement must be a JSON object".into());
    };
    let sid = match stmt.get("Sid") {
        None => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("Sid must be a string".into()),
    };
    // IAM JSON policy elements: Effect — "Allow" or "Deny". IAM stores them in this case; other
    // cases are read the same way policy_json compares them.
    let effect = match stmt.get("Effect").and_then(Value::as_str) {
        Some(e) if e.eq_ignore_ascii_case("allow") => Effect::Allow,
        Some(e) if e.eq_ignore_ascii_case("deny") => Effect::Deny,
        _ => return Err("Effect must be \"Allow\" or \"Deny\"".into()),
    };
    let principals = match (stmt.get("Principal"), stmt.get("NotPrincipal")) {
        (Some(_), Some(_)) => return Err("it has both Principal and NotPrincipal".into()),
        (None, None) => {
            return Err("it has neither Principal nor NotPrincipal: a trust policy statement must name whom it trusts".into())
        }
        (Some(p), None) => Principals {
            negated: false,
            spec: parse_principal(p, "Principal")?,
        },
        (None, Some(p)) => Principals {
            negated: true,
            spec: parse_principal(p, "NotPrincipal")?,
        },
    };
    let actions = match (stmt.get("Action"), stmt.get("NotAction")) {
        (Some(_), Some(_)) => return Err("it has both Action and NotAction".into()),
        (None, None) => return Err("it has neither Action nor NotAction".into()),
        (Some(a), None) => Actions {
            negated: false,
            patterns: strings(a, "Action")?,
        },
        (None, Some(a)) => Actions {
            negated: true,
            patterns: strings(a, "NotAction")?,
        },
    };
    let conditions = match stmt.get("Condition") {
        None => Vec::new(),
        Some(c) => parse_condition(c)?,
    };
    const KNOWN: [&str; 7] = [
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Condition",
    ];
    let unsupported = stmt
        .keys()
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .cloned()
        .collect();
    Ok(Statement {
        reference: StatementRef { index, sid },
        effect,
        principals,
        actions,
        conditions,
        unsupported,
    })
}

fn parse_principal(value: &Value, element: &str) -> Result<PrincipalSpec, String> {
    match value {
        // IAM JSON policy elements: Principal — "Principal": "*" means everyone.
        Value::String(s) if s == "*" => Ok(PrincipalSpec::Everyone),
        Value::Object(map) => map
            .iter()
            .map(|(kind, values)| Ok((kind.clone(), strings(values, element)?)))
            .collect::<Result<Vec<_>, String>>()
            .map(PrincipalSpec::Listed),
        _ => Err(format!(
            "{element} must be \"*\" or an object such as {{\"Service\": \"pods.eks.amazonaws.com\"}}"
        )),
    }
}

fn parse_condition(value: &Value) -> Result<Vec<ConditionEntry>, String> {
    let Value::Object(operators) = value else {
        return Err("Condition must be an object of operators".into());
    };
    let mut entries = Vec::new();
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else {
            return Err(format!(
                "Condition operator {operator} must map condition keys to values"
            ));
        };
        for (key, values) in keys {
            entries.push(ConditionEntry {
                operator: operator.clone(),
                key: key.clone(),
                values: strings(values, &format!("the values of {operator} {key}"))?,
            });
        }
    }
    Ok(entries)
}

/// A string or a list of strings. Booleans and numbers are read as their text, as IAM does for
/// condition values such as `"Bool": {"aws:SecureTransport": true}`.
fn strings(value: &Value, element: &str) -> Result<Vec<String>, String> {
    let scalar = |v: &Value| match v {
        Value::String(_) | Value::Bool(_) | Value::Number(_) => Ok(scalar_text(v)),
        _ => Err(format!("{element} must be a string or a list of strings")),
    };
    match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        single => scalar(single).map(|s| vec![s]),
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_problem() {
        let cases = [
            ("{", "not valid JSON"),
            ("[]", "not a JSON object"),
            ("{}", "no Statement"),
            (r#"{"Statement":"x"}"#, "object or an array"),
            (r#"{"Version":"2020-01-01","Statement":[]}"#, "Version"),
            (r#"{"Statement":[1]}"#, "statement 1: a statement must be"),
            (
                r#"{"Statement":{"Effect":"Maybe","Principal":"*","Action":"*"}}"#,
                "Effect must be",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*"}}"#,
                "both Principal and NotPrincipal",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"*"}}"#,
                "neither Principal nor NotPrincipal",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*"}}"#,
                "neither Action nor NotAction",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","NotAction":"*"}}"#,
                "both Action and NotAction",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"pods.eks.amazonaws.com","Action":"*"}}"#,
                "Principal must be",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":[]}}"#,
                "Condition must be",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringLike":{"k":{"a":1}}}}}"#,
                "list of strings",
            ),
            (
                r#"{"Statement":{"Sid":5,"Effect":"Allow","Principal":"*","Action":"*"}}"#,
                "Sid must be",
            ),
        ];
        for (doc, want) in cases {
            let err = Policy::parse(doc).expect_err(doc).to_string();
            assert!(err.contains(want), "{doc}: {err}");
        }
    }

    #[test]
    fn shapes_that_mean_the_same_parse_the_same() {
        let a = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"Bool":{"k":true}}}}"#,
        )
        .unwrap();
        let b = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["pods.eks.amazonaws.com"]},"Action":["sts:AssumeRole"],"Condition":{"Bool":{"k":["true"]}}}]}"#,
        )
        .unwrap();
        assert_eq!(a, b);
        let encoded: String = percent_encoding::utf8_percent_encode(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}"#,
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string();
        assert_eq!(Policy::parse(&encoded).unwrap().statement_count(), 1);
    }

    #[test]
    fn unsupported_elements_are_kept() {
        let p = Policy::parse(
            r#"{"Statement":{"Sid":"","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#,
        )
        .unwrap();
        assert_eq!(p.statements[0].unsupported, vec!["Resource".to_string()]);
        assert_eq!(p.statements[0].reference.sid, None);
        assert!(!p.variables);
    }
}
