//! Reusable validators. Each returns `Err(reason)` with a sentence that says what is allowed;
//! callers attach the attribute path (see [`Problems`]).

use std::collections::BTreeMap;

use tf_provider::AttributePath;
use unicode_general_category::get_general_category;

use crate::error::Error;
use crate::policy_grammar::{self, PolicyKind};

/// Collects validation failures for one configuration object.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<Error>);

impl Problems {
    /// Record `result` against the attribute at `path`; `label` names it in the summary.
    pub fn check(&mut self, path: AttributePath, label: &str, result: Result<(), String>) {
        if let Err(reason) = result {
            self.0
                .push(Error::invalid(path, format!("Invalid {label}"), reason));
        }
    }

    pub fn push(&mut self, err: Error) {
        self.0.push(err);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The attribute path of each problem (its summary when it names no attribute), in order.
    pub fn paths(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|e| match e {
                Error::Invalid { path, .. } => path.to_string(),
                other => other.to_string(),
            })
            .collect()
    }

    pub fn into_result(self) -> Result<(), Vec<Error>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

pub fn attr(name: &'static str) -> AttributePath {
    AttributePath::new(name)
}

fn is_dns_label(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// A Kubernetes namespace name: a DNS-1123 label.
pub fn dns1123_label(s: &str) -> Result<(), String> {
    if s.len() > 63 {
        return Err(format!(
            "{s:?} is {} characters long; a Kubernetes namespace is a DNS-1123 label of at most 63 characters.",
            s.len()
        ));
    }
    if !is_dns_label(s) {
        return Err(format!(
            "{s:?} is not a DNS-1123 label: use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit (for example \"carts\" or \"kube-system\")."
        ));
    }
    Ok(())
}

/// A Kubernetes service account name: a DNS-1123 subdomain.
pub fn dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.len() > 253 {
        return Err(format!(
            "the name is {} characters long; a Kubernetes service account name is a DNS-1123 subdomain of at most 253 characters.",
            s.len()
        ));
    }
    if s.is_empty() || !s.split('.').all(is_dns_label) {
        return Err(format!(
            "{s:?} is not a DNS-1123 subdomain: use lowercase letters, digits, '-' and '.', each '.'-separated part starting and ending with a letter or digit (for example \"app-sa\" or \"my.service-account\")."
        ));
    }
    Ok(())
}

/// An EKS cluster name: 1–100 characters, a letter or digit first, then letters, digits, '-' and '_'.
pub fn cluster_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 100
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an EKS cluster name: use 1 to 100 letters, digits, '-' and '_', starting with a letter or digit."
        ))
    }
}

/// The partition part of an ARN: `aws`, `aws-cn`, `aws-us-gov`, `aws-iso-b`, ...
fn is_partition(p: &str) -> bool {
    let mut parts = p.split('-');
    parts.next() == Some("aws")
        && parts.all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase()))
}

/// A 12-digit AWS account ID.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Characters IAM allows in role, policy and instance profile names.
pub fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// An IAM path: `/` or `/segment/.../`, at most 512 printable ASCII characters.
pub fn iam_path(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 512
        && s.starts_with('/')
        && s.ends_with('/')
        && !s.contains("//")
        && s.bytes().all(|b| (b'!'..=b'~').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an IAM path: it must be \"/\" or begin and end with \"/\" (for example \"/platform/\"), at most 512 printable ASCII characters, no spaces."
        ))
    }
}

/// An IAM role name: 1–64 of letters, digits and `_+=,.@-`.
pub fn iam_role_name(s: &str) -> Result<(), String> {
    iam_name(s, "an IAM role name", 64, "")
}

/// An IAM name (role, policy, prefix): `1..=max` characters of [`is_iam_name_char`]; the error
/// says which rule `s` breaks: its length, or the first character IAM does not allow.
fn iam_name(s: &str, what: &str, max: usize, note: &str) -> Result<(), String> {
    let length = s.chars().count();
    if length == 0 {
        return Err(format!(
            "the value is empty; {what} has 1 to {max} characters{note}."
        ));
    }
    if length > max {
        return Err(format!(
            "{s:?} is {length} characters long; {what} may have at most {max}{note}."
        ));
    }
    if let Some(bad) = s.chars().find(|c| !is_iam_name_char(*c)) {
        return Err(format!(
            "{s:?} contains {bad:?}, which IAM does not allow in {what}: use letters, digits and the characters _+=,.@-{note}."
        ));
    }
    Ok(())
}

/// The parts of an IAM ARN of the given resource type (`role` or `policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IamArn<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    /// What stands between `role/` and the name (`path/…/`); empty when there is no path.
    pub path: &'a str,
    pub name: &'a str,
}

impl<'a> IamArn<'a> {
    /// The parts of a valid role ARN, or `None` for anything else ([`iam_role_arn`] says
    /// what a role ARN is).
    pub fn role(s: &'a str) -> Option<IamArn<'a>> {
        let arn = parse_iam_arn(s, "role")?;
        let path_ok = arn.path.is_empty() || iam_path(&format!("/{}", arn.path)).is_ok();
        (is_account_id(arn.account) && path_ok && iam_role_name(arn.name).is_ok()).then_some(arn)
    }
}

fn parse_iam_arn<'a>(s: &'a str, resource_type: &str) -> Option<IamArn<'a>> {
    let mut parts = s.splitn(6, ':');
    let (arn, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn != "arn" || !is_partition(partition) || service != "iam" || !region.is_empty() {
        return None;
    }
    let rest = resource.strip_prefix(resource_type)?.strip_prefix('/')?;
    let (path, name) = match rest.rfind('/') {
        Some(i) => (&rest[..=i], &rest[i + 1..]),
        None => ("", rest),
    };
    Some(IamArn {
        partition,
        account,
        path,
        name,
    })
}

/// An IAM role ARN: `arn:<partition>:iam::<12-digit account>:role/<optional path/><name>`.
pub fn iam_role_arn(s: &str) -> Result<(), String> {
    match IamArn::role(s) {
        Some(_) => Ok(()),
        None => Err(format!(
            "{s:?} is not an IAM role ARN: expected arn:<partition>:iam::<12-digit account id>:role/<optional path/><role name>, for example \"arn:aws:iam::111122223333:role/shop-dynamodb\"."
        )),
    }
}

/// An IAM managed policy ARN: `arn:<partition>:iam::<account id or aws>:policy/<path/><name>`.
pub fn iam_policy_arn(s: &str) -> Result<(), String> {
    let bad = || {
        Err(format!(
            "{s:?} is not an IAM policy ARN: expected arn:<partition>:iam::<12-digit account id or \"aws\">:policy/<optional path/><policy name>, for example \"arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess\"."
        ))
    };
    let Some(arn) = parse_iam_arn(s, "policy") else {
        return bad();
    };
    if !(is_account_id(arn.account) || arn.account == "aws") {
        return bad();
    }
    if !arn.path.is_empty() && iam_path(&format!("/{}", arn.path)).is_err() {
        return bad();
    }
    if arn.name.is_empty() || arn.name.len() > 128 || !arn.name.chars().all(is_iam_name_char) {
        return bad();
    }
    Ok(())
}

/// A generated role name's prefix: 1–38 characters (IAM adds a 26-character unique suffix).
pub fn iam_role_name_prefix(s: &str) -> Result<(), String> {
    iam_name(
        s,
        "a role name prefix",
        38,
        " (a 26-character unique suffix follows it, and a role name has at most 64)",
    )
}

/// An IAM role description: at most 1000 characters of tab, newline, carriage return and the
/// printable Latin-1 range.
pub fn iam_role_description(s: &str) -> Result<(), String> {
    let allowed =
        |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}');
    if s.chars().count() > 1000 {
        return Err(format!(
            "the description is {} characters long; IAM allows at most 1000.",
            s.chars().count()
        ));
    }
    if let Some(c) = s.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "the description contains {c:?}, which IAM does not allow: use printable ASCII and Latin-1 characters, tabs and newlines."
        ));
    }
    Ok(())
}

/// A role's maximum session duration: 3600 to 43200 seconds.
pub fn iam_max_session_duration(n: i64) -> Result<(), String> {
    if (3600..=43200).contains(&n) {
        Ok(())
    } else {
        Err(format!(
            "{n} is out of range: the maximum session duration is 3600 to 43200 seconds (1 to 12 hours)."
        ))
    }
}

/// An IAM inline policy name: 1–128 of letters, digits and `_+=,.@-`.
pub fn iam_policy_name(s: &str) -> Result<(), String> {
    iam_name(s, "an IAM policy name", 128, "")
}

/// A JSON document whose top level is an object.
pub fn json_object(s: &str) -> Result<(), String> {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err("the document must be a JSON object (a policy starts with '{').".into()),
        Err(err) => Err(format!("the document is not valid JSON: {err}.")),
    }
}

/// IAM's limit for all the inline policies of a role together, white space not counted (IAM
/// and STS quotas: "Role policy size cannot exceed 10,240 characters").
pub const ROLE_INLINE_POLICIES_MAX: usize = 10_240;

/// STS's limit for a session policy ("The plaintext that you use for both inline and managed
/// session policies can't exceed 2,048 characters"). EKS documents no limit of its own for an
/// association's `policy`; it passes it to STS as the session policy when it assumes the role.
pub const SESSION_POLICY_MAX: usize = 2_048;

/// The size of a policy document as IAM counts it: white space is not counted.
pub fn policy_size(document: &str) -> usize {
    document
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r'))
        .count()
}

/// An IAM policy document of `kind`: made of the characters IAM allows in policy documents
/// (tab, line feed, carriage return and U+0020 to U+00FF), JSON, and what IAM's grammar accepts
/// ([`policy_grammar`]).
pub fn policy_document(s: &str, kind: PolicyKind) -> Result<(), String> {
    policy_characters(s)?;
    json_object(s)?;
    let doc: serde_json::Value =
        serde_json::from_str(s).map_err(|err| format!("not valid JSON: {err}"))?;
    policy_grammar::check(&doc, kind)
}

/// The characters IAM allows in policy documents: tab, line feed, carriage return and U+0020
/// to U+00FF.
fn policy_characters(s: &str) -> Result<(), String> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}');
    match s.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(format!(
            "the document contains {c:?} (U+{:04X}), which IAM does not allow in a policy: use tabs, line breaks and the characters U+0020 to U+00FF (write other characters as JSON escapes such as \\u2603).",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

/// Statements to add to a role's trust policy: a JSON array of statements that IAM's grammar
/// for trust policies accepts ([`PolicyKind::Trust`]); `[]` adds none.
pub fn trust_statements(s: &str) -> Result<(), String> {
    policy_characters(s)?;
    let value: serde_json::Value =
        serde_json::from_str(s).map_err(|err| format!("the text is not valid JSON: {err}."))?;
    let serde_json::Value::Array(statements) = value else {
        return Err(
            "the text must be a JSON array of trust policy statements, such as jsonencode([{ Effect = \"Allow\", Principal = { Federated = \"arn:aws:iam::111122223333:oidc-provider/...\" }, Action = \"sts:AssumeRoleWithWebIdentity\" }]); write a single statement inside [ ]."
                .into(),
        );
    };
    if statements.is_empty() {
        return Ok(());
    }
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    policy_grammar::check(&doc, PolicyKind::Trust)
}

/// An inline policy of a role: a policy document that fits IAM's limit for a role's inline
/// policies (which they share: see the role's own check of their total).
pub fn role_policy_document(s: &str) -> Result<(), String> {
    let size = policy_size(s);
    if size > ROLE_INLINE_POLICIES_MAX {
        return Err(format!(
            "the document is {size} characters long, white space not counted; IAM allows {ROLE_INLINE_POLICIES_MAX} for all the inline policies of a role together."
        ));
    }
    policy_document(s, PolicyKind::RoleInline)
}

/// A session policy: a policy document that fits STS's limit.
pub fn session_policy_document(s: &str) -> Result<(), String> {
    let size = s.chars().count();
    if size > SESSION_POLICY_MAX {
        return Err(format!(
            "the policy is {size} characters long; a session policy may have at most {SESSION_POLICY_MAX} (EKS passes it to STS when it assumes the role)."
        ));
    }
    policy_document(s, PolicyKind::Session)
}

/// AWS allows at most this many tags on a resource.
pub const MAX_TAGS: usize = 50;

/// AWS's tag pattern: `[\p{L}\p{Z}\p{N}_.:/=+\-@]`: letters, separators (spaces; not tabs or
/// line breaks, which are control characters), numbers and `_.:/=+-@`.
fn is_tag_char(c: char) -> bool {
    "_.:/=+-@".contains(c)
        || matches!(
            get_general_category(c).abbreviation().as_bytes().first(),
            Some(b'L' | b'Z' | b'N')
        )
}

/// AWS resource tags: at most 50, keys 1–128 characters not starting with `aws:`, values at most
/// 256 characters, both made of letters, digits, spaces and `_.:/=+-@`.
pub fn tags(problems: &mut Problems, attribute: &'static str, tags: &BTreeMap<String, String>) {
    if tags.len() > MAX_TAGS {
        problems.check(
            attr(attribute),
            attribute,
            Err(format!(
                "{} tags are set; AWS allows at most 50 tags on a resource (including provider default_tags).",
                tags.len()
            )),
        );
    }
    for (key, value) in tags {
        let path = attr(attribute).key(key.clone());
        let key_len = key.chars().count();
        if key_len == 0 || key_len > 128 {
            problems.check(
                path.clone(),
                &format!("{attribute} key"),
                Err(format!(
                    "tag key {key:?} is {key_len} characters long; tag keys are 1 to 128 characters."
                )),
            );
        } else if key.to_ascii_lowercase().starts_with("aws:") {
            problems.check(
                path.clone(),
                &format!("{attribute} key"),
                Err(format!(
                    "tag key {key:?} starts with \"aws:\", a prefix reserved for AWS."
                )),
            );
        } else if !key.chars().all(is_tag_char) {
            problems.check(
                path.clone(),
                &format!("{attribute} key"),
                Err(format!(
                    "tag key {key:?} has characters AWS does not allow: use letters, digits, spaces and _.:/=+-@ (no tabs or line breaks)"
                )),
            );
        }
        let value_len = value.chars().count();
        if value_len > 256 {
            problems.check(
                path,
                &format!("{attribute} value"),
                Err(format!(
                    "the value of tag {key:?} is {value_len} characters long; tag values are at most 256 characters."
                )),
            );
        } else if !value.chars().all(is_tag_char) {
            problems.check(
                path,
                &format!("{attribute} value"),
                Err(format!(
                    "the value of tag {key:?} has characters AWS does not allow: use letters, digits, spaces and _.:/=+-@ (no tabs or line breaks)"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_dns_labels() {
        for ok in ["a", "carts", "kube-system", "a1", &"a".repeat(63)] {
            assert!(dns1123_label(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Carts", "-a", "a-", "a_b", "a.b", &"a".repeat(64), "ä"] {
            assert!(dns1123_label(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn service_accounts_are_dns_subdomains() {
        for ok in ["app-sa", "my.service-account", "a", &"a".repeat(63)] {
            assert!(dns1123_subdomain(ok).is_ok(), "{ok}");
        }
        let long = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(62)
        );
        assert_eq!(long.len(), 254);
        for bad in ["", "App", "a..b", ".a", "a.", "a_b", "-a", long.as_str()] {
            assert!(dns1123_subdomain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn role_arns() {
        for ok in [
            "arn:aws:iam::111122223333:role/shop",
            "arn:aws:iam::111122223333:role/platform/team/shop",
            "arn:aws-cn:iam::111122223333:role/a+b=c,d.e@f-g_h",
            "arn:aws-us-gov:iam::111122223333:role/x",
        ] {
            assert!(iam_role_arn(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "shop",
            "arn:aws:iam::111122223333:user/shop",
            "arn:aws:iam::11112222333:role/shop",
            "arn:aws:iam:eu-west-1:111122223333:role/shop",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::111122223333:role/",
            "arn:aws:iam::111122223333:role/has space",
            "arn:aws:iam::aws:role/shop",
            "arn:azure:iam::111122223333:role/shop",
            &format!("arn:aws:iam::111122223333:role/{}", "r".repeat(65)),
        ] {
            assert!(iam_role_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn policy_arns() {
        assert!(iam_policy_arn("arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess").is_ok());
        assert!(
            iam_policy_arn("arn:aws:iam::aws:policy/service-role/AmazonEKSClusterPolicy").is_ok()
        );
        assert!(iam_policy_arn("arn:aws:iam::111122223333:policy/shop").is_ok());
        assert!(iam_policy_arn("arn:aws:iam::111122223333:role/shop").is_err());
        assert!(iam_policy_arn("arn:aws:iam::shop:policy/x").is_err());
    }

    #[test]
    fn paths_and_names() {
        assert!(iam_path("/").is_ok());
        assert!(iam_path("/platform/team/").is_ok());
        for bad in ["", "platform/", "/platform", "/a b/", "//"] {
            assert!(iam_path(bad).is_err(), "{bad}");
        }
        assert!(iam_role_name("shop-dynamodb_read").is_ok());
        assert!(iam_role_name("").is_err());
        assert!(iam_role_name("a/b").is_err());
        let long = "r".repeat(70);
        assert_eq!(
            iam_role_name(&long).unwrap_err(),
            format!("{long:?} is 70 characters long; an IAM role name may have at most 64.")
        );
        assert!(iam_role_name("a/b").unwrap_err().contains("contains '/'"));
        assert!(cluster_name("shop-blue").is_ok());
        assert!(cluster_name("-shop").is_err());
        assert!(cluster_name("shop.blue").is_err());
    }

    #[test]
    fn role_settings() {
        assert!(iam_role_name_prefix("shop-").is_ok());
        for bad in ["", "a b", &"p".repeat(39)] {
            assert!(iam_role_name_prefix(bad).is_err(), "{bad}");
        }
        assert!(iam_role_description("Read access\tfor the shop, caf\u{e9} included").is_ok());
        assert!(iam_role_description(&"d".repeat(1000)).is_ok());
        assert!(iam_role_description(&"d".repeat(1001)).is_err());
        assert!(iam_role_description("snowman \u{2603}").is_err());
        for ok in [3600, 43200] {
            assert!(iam_max_session_duration(ok).is_ok(), "{ok}");
        }
        for bad in [3599, 43201, -1] {
            assert!(iam_max_session_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_documents() {
        assert!(json_object("{}").is_ok());
        assert!(json_object("[]").is_err());
        assert!(json_object("{").is_err());
        let kind = PolicyKind::RoleInline;
        assert!(policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, kind).is_ok());
        assert!(policy_document(r#"{"Version":"2012-10-17"}"#, kind).is_err());
        assert!(policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}"#, kind)
            .unwrap_err()
            .contains("case matters"));
    }

    #[test]
    fn trust_statements_are_a_list_of_trust_policy_statements() {
        let oidc = r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"},"Action":"sts:AssumeRoleWithWebIdentity"}"#;
        assert!(trust_statements(&format!("[{oidc}]")).is_ok());
        assert!(trust_statements("[]").is_ok());
        let single = trust_statements(oidc).unwrap_err();
        assert!(
            single.contains("JSON array") && single.contains("inside [ ]"),
            "{single}"
        );
        assert!(trust_statements("[{")
            .unwrap_err()
            .contains("not valid JSON"));
        let numbered = trust_statements(&format!(
            "[{oidc},{}]",
            oidc.replace("\"Allow\"", "\"allow\"")
        ))
        .unwrap_err();
        assert!(numbered.starts_with("statement 2 has"), "{numbered}");
        let resource = trust_statements(&format!(
            "[{}]",
            oidc.replace(
                "\"Effect\":\"Allow\"",
                "\"Effect\":\"Allow\",\"Resource\":\"*\""
            )
        ))
        .unwrap_err();
        assert!(resource.contains("remove \"Resource\""), "{resource}");
        assert!(trust_statements("[{\"Sid\":\"\u{2603}\"}]")
            .unwrap_err()
            .contains("U+2603"));
    }

    #[test]
    fn policy_sizes_and_characters() {
        let statement = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;
        let doc = |n: usize| {
            let statements = vec![statement; n].join(",");
            format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
        };
        assert_eq!(policy_size("{ \"a\" :\n\t1 }"), 7);
        assert!(role_policy_document(&doc(100)).is_ok());
        let big = doc(200);
        assert!(policy_size(&big) > ROLE_INLINE_POLICIES_MAX);
        assert!(role_policy_document(&big)
            .unwrap_err()
            .contains("white space not counted"));
        assert!(session_policy_document(&doc(30)).is_ok());
        assert!(session_policy_document(&doc(40))
            .unwrap_err()
            .contains("at most 2048"));
        let kind = PolicyKind::Session;
        let snowman =
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::☃"}]}"#;
        assert!(policy_document(snowman, kind)
            .unwrap_err()
            .contains("U+2603"));
        let escaped =
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::\u2603"}]}"#;
        assert!(policy_document(escaped, kind).is_ok());
        let latin1 = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"arn:aws:s3:::caf\u{e9}\"}}";
        assert!(policy_document(latin1, kind).is_ok());
    }

    #[test]
    fn tag_characters_follow_the_aws_pattern() {
        for ok in [
            "team",
            "Équipe",
            "チーム",
            "a b",
            "a\u{2028}b",
            "v1.2:/=+-@_",
            "٣",
        ] {
            assert!(ok.chars().all(is_tag_char), "{ok:?}");
        }
        for bad in ["a\nb", "a\u{b}b", "a\tb", "a*b", "a#b", "\u{2603}", "हि"] {
            assert!(!bad.chars().all(is_tag_char), "{bad:?}");
        }
    }

    #[test]
    fn tag_rules() {
        let mut p = Problems::default();
        let good: BTreeMap<String, String> = [
            ("team".to_string(), "platform".to_string()),
            ("k".into(), "".into()),
        ]
        .into();
        tags(&mut p, "tags", &good);
        assert!(p.is_empty());

        let bad: BTreeMap<String, String> = [
            ("aws:x".to_string(), "v".to_string()),
            ("".into(), "v".into()),
            ("k".repeat(129), "v".into()),
            ("ok".into(), "v".repeat(257)),
            ("bad*key".into(), "v".into()),
        ]
        .into();
        tags(&mut p, "tags", &bad);
        assert_eq!(p.0.len(), 5);

        let mut p = Problems::default();
        let many: BTreeMap<String, String> =
            (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
        tags(&mut p, "tags", &many);
        assert_eq!(p.0.len(), 1);
    }
}
