use serde_json::{json, Value};

use super::*;

const ALLOW: &str = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;

/// A 2012-10-17 policy with these statements (JSON objects, comma-separated).
fn policy(statements: &str) -> Value {
    serde_json::from_str(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#
    ))
    .unwrap_or_else(|e| panic!("{e}: {statements}"))
}

/// [`ALLOW`] with `member` (`"Key": value`) added, or replacing the member of that key.
fn statement_with(member: &str) -> Value {
    let mut statement: Value = serde_json::from_str(ALLOW).unwrap();
    let extra: Value = serde_json::from_str(&format!("{{{member}}}")).unwrap();
    for (k, v) in extra.as_object().unwrap() {
        statement[k] = v.clone();
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

fn statement_without(element: &str) -> Value {
    let mut doc = policy(ALLOW);
    doc["Statement"][0].as_object_mut().unwrap().remove(element);
    doc
}

#[test]
fn documents_iam_accepts_pass() {
    let good = [
        policy(ALLOW),
        json!({"Statement": serde_json::from_str::<Value>(ALLOW).unwrap()}),
        json!({"Version": "2008-10-17", "Id": "shop", "Statement": [serde_json::from_str::<Value>(ALLOW).unwrap()]}),
        policy(&format!(
            r#"{ALLOW},{{"Sid":"DenyDeletes1","Effect":"Deny","NotAction":["s3:Get*","s3:List*"],"NotResource":["arn:aws:s3:::logs","arn:aws:s3:::logs/*"]}}"#
        )),
        statement_with(r#""Action": "*""#),
        statement_with(r#""Action": ["dynamodb:GetItem", "DynamoDB:query"]"#),
        statement_with(r#""Sid": """#),
        policy(
            r#"{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"","Effect":"Deny","Action":"iam:*","Resource":"*"}"#,
        ),
        statement_with(
            r#""Condition": {"StringEquals": {"aws:ResourceTag/team": ["shop", "orders"]}, "Bool": {"aws:SecureTransport": true}, "NumericLessThan": {"s3:max-keys": 10}, "ForAnyValue:StringLike": {"aws:TagKeys": "team*"}}"#,
        ),
        statement_with(r#""Resource": "arn:aws:s3:::my-bucket/${aws:PrincipalTag/team}/*""#),
    ];
    for doc in good {
        for kind in [PolicyKind::RoleInline, PolicyKind::Session] {
            assert_eq!(check(&doc, kind), Ok(()), "{doc}");
        }
    }
}

/// Each document IAM refuses, with words of the error that say what and how to fix.
#[test]
fn documents_iam_refuses_fail_with_what_to_write() {
    let cases: Vec<(&str, Value, &[&str])> = vec![
        (
            "lowercase Effect",
            statement_with(r#""Effect": "allow""#),
            &["\"allow\"", "case matters", "write \"Allow\""],
        ),
        (
            "uppercase Effect",
            statement_with(r#""Effect": "ALLOW""#),
            &["write \"Allow\""],
        ),
        (
            "lowercase Deny",
            statement_with(r#""Effect": "deny""#),
            &["write \"Deny\""],
        ),
        (
            "unknown Effect",
            statement_with(r#""Effect": "Permit""#),
            &["\"Permit\"", "exactly \"Allow\" or \"Deny\""],
        ),
        (
            "Effect not a string",
            statement_with(r#""Effect": true"#),
            &["true", "\"Allow\" or \"Deny\""],
        ),
        ("no Effect", statement_without("Effect"), &["no \"Effect\""]),
        (
            "unknown Version",
            json!({"Version": "2012-10-18", "Statement": [serde_json::from_str::<Value>(ALLOW).unwrap()]}),
            &["\"2012-10-18\"", "\"2012-10-17\""],
        ),
        (
            "Version a number",
            json!({"Version": 2012, "Statement": [serde_json::from_str::<Value>(ALLOW).unwrap()]}),
            &["2012", "not a policy language version"],
        ),
        (
            "no Statement",
            json!({"Version": "2012-10-17"}),
            &["no \"Statement\""],
        ),
        (
            "empty Statement",
            json!({"Version": "2012-10-17", "Statement": []}),
            &["empty list"],
        ),
        (
            "Statement a string",
            json!({"Statement": "Allow everything"}),
            &["a string", "statement object"],
        ),
        (
            "statement not an object",
            json!({"Statement": [serde_json::from_str::<Value>(ALLOW).unwrap(), "s3:*"]}),
            &["statement 2 is a string"],
        ),
        (
            "no Action",
            statement_without("Action"),
            &["neither \"Action\" nor \"NotAction\""],
        ),
        (
            "Action and NotAction",
            statement_with(r#""NotAction": "s3:PutObject""#),
            &["both \"Action\" and \"NotAction\""],
        ),
        (
            "empty Action",
            statement_with(r#""Action": []"#),
            &["empty \"Action\" list"],
        ),
        (
            "Action a number",
            statement_with(r#""Action": 7"#),
            &["a number", "string or a list of strings"],
        ),
        (
            "Action list of objects",
            statement_with(r#""Action": [{"s3": "GetObject"}]"#),
            &["string or a list of strings"],
        ),
        (
            "action without service",
            statement_with(r#""Action": "GetObject""#),
            &["\"GetObject\"", "service prefix"],
        ),
        (
            "action with two colons",
            statement_with(r#""Action": "s3:Get:Object""#),
            &["more than one ':'"],
        ),
        (
            "wildcard service",
            statement_with(r#""Action": "*:Untag*""#),
            &["wildcard in its service prefix"],
        ),
        (
            "no Resource",
            statement_without("Resource"),
            &[
                "neither \"Resource\" nor \"NotResource\"",
                "\"Resource\": \"*\"",
            ],
        ),
        (
            "Resource and NotResource",
            statement_with(r#""NotResource": "arn:aws:s3:::logs""#),
            &["both \"Resource\" and \"NotResource\""],
        ),
        (
            "resource not an ARN",
            statement_with(r#""Resource": "my-bucket""#),
            &["\"my-bucket\"", "neither \"*\" nor an ARN"],
        ),
        (
            "unknown top-level element",
            json!({"Version": "2012-10-17", "Comment": "x", "Statement": [serde_json::from_str::<Value>(ALLOW).unwrap()]}),
            &["\"Comment\"", "not a policy element"],
        ),
        (
            "top-level element in another case",
            json!({"version": "2012-10-17", "Statement": [serde_json::from_str::<Value>(ALLOW).unwrap()]}),
            &["case-sensitive", "write \"Version\""],
        ),
        (
            "Id not a string",
            json!({"Id": 1, "Statement": [serde_json::from_str::<Value>(ALLOW).unwrap()]}),
            &["\"Id\" is a number"],
        ),
        (
            "unknown statement element",
            statement_with(r#""Actions": "s3:GetObject""#),
            &["\"Actions\"", "not a statement element"],
        ),
        (
            "statement element in another case",
            statement_with(r#""effect": "Allow""#),
            &["case-sensitive", "write \"Effect\""],
        ),
        (
            "Condition a string",
            statement_with(r#""Condition": "aws:SecureTransport""#),
            &["\"Condition\" as a string", "StringEquals"],
        ),
        (
            "Condition operator a list",
            statement_with(r#""Condition": {"StringEquals": ["a"]}"#),
            &["\"StringEquals\" with a list"],
        ),
        (
            "Condition value an object",
            statement_with(r#""Condition": {"StringEquals": {"aws:ResourceTag/team": {"v": 1}}}"#),
            &["\"aws:ResourceTag/team\"", "an object"],
        ),
        (
            "Condition value null",
            statement_with(r#""Condition": {"Null": {"aws:ResourceTag/team": null}}"#),
            &["with null"],
        ),
        (
            "Sid with a dash",
            statement_with(r#""Sid": "read-all""#),
            &["\"read-all\"", "letters and digits", "write \"readall\""],
        ),
        (
            "Sid with only symbols",
            statement_with(r#""Sid": "--""#),
            &["use ASCII letters and digits only"],
        ),
        (
            "Sid a number",
            statement_with(r#""Sid": 1"#),
            &["a number", "quote it"],
        ),
        (
            "duplicate Sids",
            policy(&format!(
                r#"{{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}},{ALLOW},{{"Sid":"Read","Effect":"Deny","Action":"s3:PutObject","Resource":"*"}}"#
            )),
            &["statements 1 and 3 both have Sid \"Read\"", "rename one"],
        ),
        ("not an object", json!([]), &["JSON object"]),
    ];
    let mut failures = Vec::new();
    for (name, doc, words) in &cases {
        for kind in [PolicyKind::RoleInline, PolicyKind::Session] {
            match check(doc, kind) {
                Ok(()) => failures.push(format!("{name}: accepted {doc}")),
                Err(msg) => {
                    let missing: Vec<_> = words.iter().filter(|w| !msg.contains(**w)).collect();
                    if !missing.is_empty() {
                        failures.push(format!("{name}: {msg:?} lacks {missing:?}"));
                    }
                    if !msg.ends_with('.') || msg.matches(". ").count() > 0 {
                        failures.push(format!("{name}: not one sentence: {msg:?}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn principals_are_refused_in_identity_and_session_policies() {
    for (member, element) in [
        (
            r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#,
            "\"Principal\"",
        ),
        (r#""Principal": "*""#, "\"Principal\""),
        (
            r#""NotPrincipal": {"Service": "ec2.amazonaws.com"}"#,
            "\"NotPrincipal\"",
        ),
    ] {
        let doc = statement_with(member);
        let inline = check(&doc, PolicyKind::RoleInline).unwrap_err();
        assert!(
            inline.contains(element) && inline.contains("inline policy"),
            "{inline}"
        );
        assert!(inline.contains(&format!("remove {element}")), "{inline}");
        let session = check(&doc, PolicyKind::Session).unwrap_err();
        assert!(
            session.contains(element) && session.contains("session policy"),
            "{session}"
        );
    }
    // NotPrincipal with Allow is refused too, as every NotPrincipal is here.
    let deny = statement_with(
        r#""Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}"#,
    );
    assert!(check(&deny, PolicyKind::RoleInline).is_err());
}

#[test]
fn the_first_problem_is_reported_with_its_statement() {
    let doc = policy(&format!(
        r#"{ALLOW},{{"Effect":"Allow","Action":"s3GetObject","Resource":"*"}},{{"Effect":"allow","Action":"s3:*","Resource":"*"}}"#
    ));
    let err = check(&doc, PolicyKind::RoleInline).unwrap_err();
    assert!(
        err.starts_with("statement 2 has action \"s3GetObject\""),
        "{err}"
    );
}

/// The OIDC statement of an IRSA role.
const OIDC: &str = r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub":"system:serviceaccount:app:app-sa","oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:aud":"sts.amazonaws.com"}}}"#;

/// A trust policy whose one statement is [`OIDC`] with `member` added or replaced, or removed
/// when `member` is a bare element name.
fn trust_with(member: &str) -> Value {
    let mut statement: Value = serde_json::from_str(OIDC).unwrap();
    if member.starts_with('"') {
        let extra: Value = serde_json::from_str(&format!("{{{member}}}")).unwrap();
        for (k, v) in extra.as_object().unwrap() {
            statement[k] = v.clone();
        }
    } else {
        statement.as_object_mut().unwrap().remove(member);
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

#[test]
fn trust_policies_iam_accepts_pass() {
    let good = [
        policy(OIDC),
        policy(
            r#"{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringLike":{"aws:RequestTag/eks-cluster-name":["shop-*"]}}}"#,
        ),
        policy(
            r#"{"Sid":"NoOthers","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}"#,
        ),
        policy(r#"{"Effect":"Allow","Principal":"*","Action":"sts:*"}"#),
        policy(
            r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","111122223333"],"Service":"ec2.amazonaws.com"},"Action":"*"}"#,
        ),
        trust_with(r#""Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]"#),
        policy(&format!("{OIDC},{}", OIDC.replace(":app-sa", ":other"))),
    ];
    for doc in good {
        assert_eq!(check(&doc, PolicyKind::Trust), Ok(()), "{doc}");
    }
}

#[test]
fn trust_policies_iam_refuses_fail_with_what_to_write() {
    let cases: Vec<(&str, Value, &[&str])> = vec![
        (
            "Resource",
            trust_with(r#""Resource": "*""#),
            &["\"Resource\"", "remove \"Resource\""],
        ),
        (
            "NotResource",
            trust_with(r#""NotResource": "arn:aws:s3:::x""#),
            &["remove \"NotResource\""],
        ),
        (
            "no principal",
            trust_with("Principal"),
            &["neither \"Principal\" nor \"NotPrincipal\"", "Federated"],
        ),
        (
            "both principals",
            trust_with(r#""NotPrincipal": {"AWS": "*"}"#),
            &["both \"Principal\" and \"NotPrincipal\""],
        ),
        (
            "NotPrincipal with Allow",
            {
                let mut doc = trust_with("Principal");
                doc["Statement"][0]["NotPrincipal"] =
                    json!({"AWS": "arn:aws:iam::111122223333:root"});
                doc
            },
            &["\"NotPrincipal\" with \"Effect\": \"Allow\"", "\"Deny\""],
        ),
        (
            "principal a service name",
            trust_with(r#""Principal": "pods.eks.amazonaws.com""#),
            &["\"pods.eks.amazonaws.com\"", "\"*\" or an object"],
        ),
        (
            "principal type in another case",
            trust_with(
                r#""Principal": {"federated": "arn:aws:iam::111122223333:oidc-provider/x"}"#,
            ),
            &["case-sensitive", "write \"Federated\""],
        ),
        (
            "unknown principal type",
            trust_with(r#""Principal": {"Oidc": "x"}"#),
            &[
                "\"Oidc\"",
                "\"AWS\", \"Federated\", \"Service\" or \"CanonicalUser\"",
            ],
        ),
        (
            "empty principal",
            trust_with(r#""Principal": {}"#),
            &["empty \"Principal\""],
        ),
        (
            "principal ids empty",
            trust_with(r#""Principal": {"Service": []}"#),
            &["\"Service\" as a list", "non-empty list"],
        ),
        (
            "action of another service",
            trust_with(r#""Action": ["sts:AssumeRole", "s3:GetObject"]"#),
            &["\"s3:GetObject\"", "only STS actions"],
        ),
        (
            "action without service",
            trust_with(r#""Action": "AssumeRole""#),
            &["service prefix"],
        ),
        (
            "no action",
            trust_with("Action"),
            &["neither \"Action\" nor \"NotAction\""],
        ),
        (
            "lowercase Effect",
            trust_with(r#""Effect": "allow""#),
            &["write \"Allow\""],
        ),
        (
            "unknown element",
            trust_with(r#""Principals": "*""#),
            &["\"Principals\"", "Principal or NotPrincipal"],
        ),
        (
            "bad Sid",
            trust_with(r#""Sid": "irsa-app""#),
            &["write \"irsaapp\""],
        ),
        (
            "condition value an object",
            trust_with(r#""Condition": {"StringEquals": {"k": {"a": 1}}}"#),
            &["\"k\"", "an object"],
        ),
        (
            "statement not an object",
            json!({"Statement": ["sts:AssumeRole"]}),
            &["statement 1 is a string", "pods.eks.amazonaws.com"],
        ),
    ];
    let mut failures = Vec::new();
    for (name, doc, words) in &cases {
        match check(doc, PolicyKind::Trust) {
            Ok(()) => failures.push(format!("{name}: accepted {doc}")),
            Err(msg) => {
                let missing: Vec<_> = words.iter().filter(|w| !msg.contains(**w)).collect();
                if !missing.is_empty() {
                    failures.push(format!("{name}: {msg:?} lacks {missing:?}"));
                }
                if !msg.ends_with('.') || msg.matches(". ").count() > 0 {
                    failures.push(format!("{name}: not one sentence: {msg:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // A trust statement is not a permissions statement, and the other way round.
    assert!(check(&policy(OIDC), PolicyKind::RoleInline).is_err());
    assert!(check(&policy(ALLOW), PolicyKind::Trust).is_err());
}
