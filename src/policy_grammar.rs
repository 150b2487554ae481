//! The grammar IAM enforces on the policy documents a configuration writes — a role's inline
//! policies and an association's session policy — checked at plan so that a document IAM or STS
//! would refuse never reaches them.
//!
//! Only rules AWS states are checked, each with its source:
//! - "Grammar of the IAM JSON policy language" (IAM User Guide, reference_policies_grammar):
//!   a policy is `{ Version?, Id?, Statement }`; a statement is `{ Sid?, Principal?, Effect,
//!   Action | NotAction, Resource | NotResource, Condition? }`; `Version` is `2008-10-17` or
//!   `2012-10-17`; a condition block maps operators to maps of keys to values.
//!   IAM answers `MalformedPolicyDocument: Syntax errors in policy.` to anything else.
//! - "IAM JSON policy elements: Effect": "Valid values for Effect are Allow and Deny. The Effect
//!   value is case sensitive."
//! - "IAM JSON policy elements: Principal": "You cannot use the Principal element in an
//!   identity-based policy" (IAM: "Policy document should not specify a principal."); and
//!   "...: NotPrincipal": "You cannot use the NotPrincipal element in an IAM identity-based
//!   policy", "NotPrincipal must be used with "Effect":"Deny"". A session policy limits what the
//!   role's identity-based policies grant the session, and names no principal either.
//! - "IAM JSON policy elements: Action / Resource": an action is `"*"` or a service prefix, a
//!   colon and the action name; "Statements must include either a Resource or a NotResource
//!   element. You specify a resource using an ARN." IAM answers "Policy statement must contain
//!   resources.", "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
//!   "Actions/Condition can contain only one colon." and "Action vendors (e.g., aws, ec2, etc.)
//!   must not contain wildcards".
//! - "IAM JSON policy elements: Sid": "The Sid element supports ASCII uppercase letters (A-Z),
//!   lowercase letters (a-z), and numbers (0-9)" (IAM: "Statement IDs (SID) must be
//!   alpha-numeric"), and "In IAM, the Sid value must be unique within a JSON policy".
//! - A role's trust policy is the resource-based policy of the role: the grammar's notes say
//!   "The principal_block element is required in resource-based policies ... and in trust
//!   policies for IAM roles", and a principal is `"*"` or a map of `AWS`, `Federated`, `Service`
//!   or `CanonicalUser` to principal IDs. The role is the resource, so a trust policy names none
//!   (IAM: "Has prohibited field Resource"), and its actions are those of STS (IAM: "AssumeRole
//!   policy may only specify STS AssumeRole actions").
//!
//! Each error is one sentence: what is wrong, and what to write instead.

use serde_json::{Map, Value};

/// Which kind of policy a document is: an inline policy and a session policy are
/// identity-based and name no principal; a trust policy names whom it trusts and no resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// An inline policy of a role.
    RoleInline,
    /// The session policy of an association, which EKS passes to STS when it assumes the role.
    Session,
    /// A role's trust policy (its assume role policy).
    Trust,
}

impl PolicyKind {
    fn why_no_principal(self) -> &'static str {
        match self {
            PolicyKind::RoleInline => {
                "an inline policy applies to its role, so IAM refuses principals in it"
            }
            PolicyKind::Session => {
                "a session policy applies to the role session of the pods, so it cannot name principals"
            }
            PolicyKind::Trust => "",
        }
    }

    /// The elements a statement of this kind may have, as a message lists them.
    fn statement_elements(self) -> &'static str {
        match self {
            PolicyKind::Trust => {
                "Sid, Effect, Principal or NotPrincipal, Action or NotAction, and Condition"
            }
            _ => "Sid, Effect, Action or NotAction, Resource or NotResource, and Condition",
        }
    }
}

const VERSIONS: [&str; 2] = ["2012-10-17", "2008-10-17"];
const POLICY_ELEMENTS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const EXAMPLE_STATEMENT: &str =
    r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::my-bucket/*"}"#;
const EXAMPLE_TRUST_STATEMENT: &str = r#"{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}"#;

impl PolicyKind {
    fn example_statement(self) -> &'static str {
        match self {
            PolicyKind::Trust => EXAMPLE_TRUST_STATEMENT,
            _ => EXAMPLE_STATEMENT,
        }
    }
}

/// What a JSON value is, for messages.
fn shape(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The element `name` is a misspelling of (same letters, other case), if any.
fn known_spelling<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    known.iter().find(|k| k.eq_ignore_ascii_case(name)).copied()
}

/// Check a parsed policy document against IAM's grammar for `kind`; the first problem, as a
/// sentence, when there is one.
pub fn check(document: &Value, kind: PolicyKind) -> Result<(), String> {
    let Value::Object(doc) = document else {
        return Err("the document must be a JSON object (a policy starts with '{').".into());
    };
    for name in doc.keys() {
        if POLICY_ELEMENTS.contains(&name.as_str()) {
            continue;
        }
        return Err(match known_spelling(name, &POLICY_ELEMENTS) {
            Some(known) => format!(
                "the policy has {name:?}, but element names are case-sensitive: write {known:?}."
            ),
            None => format!(
                "the policy has {name:?}, which is not a policy element: a policy has only \"Version\", \"Statement\" and an optional \"Id\"; remove {name:?}."
            ),
        });
    }
    if let Some(version) = doc.get("Version") {
        if !version.as_str().is_some_and(|v| VERSIONS.contains(&v)) {
            return Err(format!(
                "\"Version\" is {version}, which is not a policy language version: write \"Version\": \"2012-10-17\"."
            ));
        }
    }
    if let Some(id) = doc.get("Id").filter(|id| !id.is_string()) {
        return Err(format!(
            "\"Id\" is {}, but it must be a string: quote it or remove it.",
            shape(id)
        ));
    }
    let statements = statements(doc, kind)?;
    let mut sids: Vec<(usize, &str)> = Vec::new();
    for (i, statement) in statements.iter().enumerate() {
        let number = i + 1;
        let Value::Object(statement) = statement else {
            return Err(format!(
                "statement {number} is {}, not an object: write each statement as {}.",
                shape(statement),
                kind.example_statement()
            ));
        };
        check_statement(number, statement, kind)?;
        if let Some(sid) = statement.get("Sid").and_then(Value::as_str) {
            if let Some((first, _)) = sids.iter().find(|(_, s)| !sid.is_empty() && *s == sid) {
                return Err(format!(
                    "statements {first} and {number} both have Sid {sid:?}, but Sids must be unique within a policy: rename one of them."
                ));
            }
            sids.push((number, sid));
        }
    }
    Ok(())
}

/// The statements: `Statement` is one statement or a non-empty list of them.
fn statements(doc: &Map<String, Value>, kind: PolicyKind) -> Result<&[Value], String> {
    let example = kind.example_statement();
    match doc.get("Statement") {
        None => Err(
            "the policy document has no \"Statement\": a policy is {\"Version\": \"2012-10-17\", \"Statement\": [...]}."
                .into(),
        ),
        Some(Value::Array(list)) if list.is_empty() => Err(format!(
            "\"Statement\" is an empty list: add at least one statement, such as {example}."
        )),
        Some(Value::Array(list)) => Ok(list),
        Some(single @ Value::Object(_)) => Ok(std::slice::from_ref(single)),
        Some(other) => Err(format!(
            "\"Statement\" is {}, but it must be a statement object or a list of them, such as [{example}].",
            shape(other)
        )),
    }
}

fn check_statement(
    number: usize,
    statement: &Map<String, Value>,
    kind: PolicyKind,
) -> Result<(), String> {
    let at = format!("statement {number}");
    for name in statement.keys() {
        if STATEMENT_ELEMENTS.contains(&name.as_str()) {
            continue;
        }
        return Err(match known_spelling(name, &STATEMENT_ELEMENTS) {
            Some(known) => {
                format!("{at} has {name:?}, but element names are case-sensitive: write {known:?}.")
            }
            None => format!(
                "{at} has {name:?}, which is not a statement element: use only {}.",
                kind.statement_elements()
            ),
        });
    }
    if let Some(sid) = statement.get("Sid") {
        check_sid(&at, sid)?;
    }
    check_effect(&at, statement.get("Effect"))?;
    if kind == PolicyKind::Trust {
        return check_trust_statement(&at, statement);
    }
    for principal in ["Principal", "NotPrincipal"] {
        if statement.contains_key(principal) {
            return Err(format!(
                "{at} has {principal:?}, but {}: remove {principal:?}.",
                kind.why_no_principal()
            ));
        }
    }
    let actions = one_of(
        &at,
        statement,
        "Action",
        "the actions it allows or denies, such as \"Action\": \"s3:GetObject\"",
    )?;
    for action in actions {
        check_action(&at, action)?;
    }
    let resources = one_of(
        &at,
        statement,
        "Resource",
        "\"Resource\": \"*\" or the ARNs it applies to, such as \"Resource\": \"arn:aws:s3:::my-bucket/*\"",
    )?;
    for resource in resources {
        check_resource(&at, resource)?;
    }
    if let Some(condition) = statement.get("Condition") {
        check_condition(&at, condition)?;
    }
    Ok(())
}

/// A statement of a trust policy (its Sid and Effect checked already): whom it trusts, STS
/// actions, no resource.
fn check_trust_statement(at: &str, statement: &Map<String, Value>) -> Result<(), String> {
    for resource in ["Resource", "NotResource"] {
        if statement.contains_key(resource) {
            return Err(format!(
                "{at} has {resource:?}, but a trust policy applies to its role, so IAM refuses resources in it: remove {resource:?}."
            ));
        }
    }
    let (element, principal) = match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "{at} has both \"Principal\" and \"NotPrincipal\": keep one of them."
            ))
        }
        (None, None) => {
            return Err(format!(
                "{at} has neither \"Principal\" nor \"NotPrincipal\": a trust policy statement names whom it trusts, such as \"Principal\": {{\"Federated\": \"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE\"}}."
            ))
        }
        (Some(p), None) => ("Principal", p),
        (None, Some(p)) => ("NotPrincipal", p),
    };
    if element == "NotPrincipal" && statement.get("Effect").and_then(Value::as_str) != Some("Deny")
    {
        return Err(format!(
            "{at} has \"NotPrincipal\" with \"Effect\": \"Allow\", which IAM does not support: use \"Principal\", or \"NotPrincipal\" with \"Effect\": \"Deny\"."
        ));
    }
    check_principal(at, element, principal)?;
    let actions = one_of(
        at,
        statement,
        "Action",
        "the STS actions it allows or denies, such as \"Action\": \"sts:AssumeRoleWithWebIdentity\"",
    )?;
    for action in actions {
        check_action(at, action)?;
        let service = action.split(':').next().unwrap_or_default();
        if action != "*" && !service.eq_ignore_ascii_case("sts") {
            return Err(format!(
                "{at} has action {action:?}, but a trust policy allows or denies only STS actions such as \"sts:AssumeRole\", \"sts:AssumeRoleWithWebIdentity\" and \"sts:TagSession\": the role's permissions belong in its policies."
            ));
        }
    }
    if let Some(condition) = statement.get("Condition") {
        check_condition(at, condition)?;
    }
    Ok(())
}

const PRINCIPAL_TYPES: [&str; 4] = ["AWS", "Federated", "Service", "CanonicalUser"];

/// `"*"`, or a map of principal types to a principal ID or a non-empty list of them.
fn check_principal(at: &str, element: &str, principal: &Value) -> Result<(), String> {
    let Value::Object(map) = principal else {
        if principal.as_str() == Some("*") {
            return Ok(());
        }
        return Err(format!(
            "{at} has {element:?} as {}, but it must be \"*\" or an object such as {{\"Service\": \"pods.eks.amazonaws.com\"}} or {{\"Federated\": \"arn:aws:iam::111122223333:oidc-provider/...\"}}.",
            match principal {
                Value::String(s) => format!("{s:?}"),
                other => shape(other).to_string(),
            }
        ));
    };
    if map.is_empty() {
        return Err(format!(
            "{at} has an empty {element:?}: name whom it trusts, such as {{\"Service\": \"pods.eks.amazonaws.com\"}}."
        ));
    }
    for (kind, ids) in map {
        if !PRINCIPAL_TYPES.contains(&kind.as_str()) {
            return Err(match known_spelling(kind, &PRINCIPAL_TYPES) {
                Some(known) => format!(
                    "{at} has the principal type {kind:?}, but principal types are case-sensitive: write {known:?}."
                ),
                None => format!(
                    "{at} has the principal type {kind:?}, which IAM does not know: use \"AWS\", \"Federated\", \"Service\" or \"CanonicalUser\"."
                ),
            });
        }
        let ok = match ids {
            Value::String(id) => !id.is_empty(),
            Value::Array(items) => {
                !items.is_empty()
                    && items
                        .iter()
                        .all(|i| i.as_str().is_some_and(|id| !id.is_empty()))
            }
            _ => false,
        };
        if !ok {
            return Err(format!(
                "{at} has {element:?} {kind:?} as {}, but it must be a principal ID or a non-empty list of them.",
                match ids {
                    Value::String(_) => "an empty string",
                    other => shape(other),
                }
            ));
        }
    }
    Ok(())
}

fn check_sid(at: &str, sid: &Value) -> Result<(), String> {
    let Value::String(sid) = sid else {
        return Err(format!(
            "{at} has a \"Sid\" that is {}, but a Sid is a string of letters and digits: quote it or remove it.",
            shape(sid)
        ));
    };
    if sid.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(());
    }
    let suggestion: String = sid.chars().filter(char::is_ascii_alphanumeric).collect();
    let instead = if suggestion.is_empty() {
        "use ASCII letters and digits only, or remove it".to_string()
    } else {
        format!("write {suggestion:?} instead")
    };
    Err(format!(
        "{at} has Sid {sid:?}, but IAM allows only ASCII letters and digits in a Sid: {instead}."
    ))
}

fn check_effect(at: &str, effect: Option<&Value>) -> Result<(), String> {
    match effect {
        Some(Value::String(e)) if e == "Allow" || e == "Deny" => Ok(()),
        None => Err(format!(
            "{at} has no \"Effect\": add \"Effect\": \"Allow\" or \"Effect\": \"Deny\"."
        )),
        Some(other) => {
            let fix = match other.as_str() {
                Some(e) if e.eq_ignore_ascii_case("allow") => "write \"Allow\"",
                Some(e) if e.eq_ignore_ascii_case("deny") => "write \"Deny\"",
                _ => "write \"Allow\" or \"Deny\"",
            };
            Err(format!(
                "{at} has \"Effect\": {other}, but IAM accepts exactly \"Allow\" or \"Deny\" (case matters): {fix}."
            ))
        }
    }
}

/// The values of `element` or of its negation `Not<element>` (exactly one must be there): a
/// string or a non-empty list of strings. `what` says what to write when both are missing.
fn one_of<'a>(
    at: &str,
    statement: &'a Map<String, Value>,
    element: &str,
    what: &str,
) -> Result<Vec<&'a str>, String> {
    let negated = format!("Not{element}");
    let value = match (statement.get(element), statement.get(&negated)) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "{at} has both {element:?} and {negated:?}: keep one of them."
            ))
        }
        (None, None) => {
            return Err(format!(
                "{at} has neither {element:?} nor {negated:?}: add {what}."
            ))
        }
        (Some(v), None) => (element, v),
        (None, Some(v)) => (negated.as_str(), v),
    };
    let (name, value) = value;
    let not_strings = || {
        format!(
            "{at} has {name:?} as {}, but it must be a string or a list of strings.",
            shape(value)
        )
    };
    match value {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) if items.is_empty() => Err(format!(
            "{at} has an empty {name:?} list: list at least one, or use \"*\" for all."
        )),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().ok_or_else(not_strings))
            .collect(),
        _ => Err(not_strings()),
    }
}

fn check_action(at: &str, action: &str) -> Result<(), String> {
    if action == "*" {
        return Ok(());
    }
    let mut parts = action.split(':');
    let vendor = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() || vendor.is_empty() {
        return Err(format!(
            "{at} has action {action:?} without a service prefix: write actions as \"service:action\", such as \"s3:GetObject\", or \"*\" for all."
        ));
    }
    if rest.len() > 1 {
        return Err(format!(
            "{at} has action {action:?} with more than one ':': write it as \"service:action\", such as \"s3:GetObject\"."
        ));
    }
    if vendor.contains(['*', '?']) {
        return Err(format!(
            "{at} has action {action:?} with a wildcard in its service prefix, which IAM refuses: name the service, such as \"s3:Get*\", or use \"*\" for all."
        ));
    }
    Ok(())
}

fn check_resource(at: &str, resource: &str) -> Result<(), String> {
    if resource == "*" || resource.starts_with("arn:") {
        return Ok(());
    }
    Err(format!(
        "{at} has resource {resource:?}, which is neither \"*\" nor an ARN: write an ARN such as \"arn:aws:s3:::my-bucket/*\"."
    ))
}

/// `{ operator: { key: value or [values] } }`, values being strings, numbers or booleans.
fn check_condition(at: &str, condition: &Value) -> Result<(), String> {
    const EXAMPLE: &str = r#""Condition": {"StringEquals": {"aws:ResourceTag/team": "shop"}}"#;
    let Value::Object(operators) = condition else {
        return Err(format!(
            "{at} has \"Condition\" as {}, but it must map condition operators to condition keys and values, such as {EXAMPLE}.",
            shape(condition)
        ));
    };
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else {
            return Err(format!(
                "{at} has condition operator {operator:?} with {}, but it must map condition keys to values, such as {EXAMPLE}.",
                shape(keys)
            ));
        };
        for (key, value) in keys {
            let scalar =
                |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
            let ok = match value {
                Value::Array(items) => items.iter().all(scalar),
                other => scalar(other),
            };
            if !ok {
                return Err(format!(
                    "{at} has condition key {key:?} under {operator:?} with {}, but a condition value is a string, number or boolean, or a list of them.",
                    shape(value)
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
