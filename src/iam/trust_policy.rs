//! The trust policy `aws_eks_pod_identity_role` writes and owns, generated deterministically from
//! `allowed_clusters` and `allowed_service_accounts`, read back for import, and the check the data
//! source makes on roles it did not write.
//!
//! The restrictions test the session tags EKS Pod Identity adds when it assumes the role
//! (`eks-cluster-name`, `kubernetes-namespace`, `kubernetes-service-account`): plain strings, so
//! the state that owns the role never needs anything from a cluster state.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::policy_json;
use crate::trust::action_matches;

pub const SERVICE_PRINCIPAL: &str = "pods.eks.amazonaws.com";
pub const ACTIONS: [&str; 2] = ["sts:AssumeRole", "sts:TagSession"];
pub const CLUSTER_TAG: &str = "aws:RequestTag/eks-cluster-name";
pub const NAMESPACE_TAG: &str = "aws:RequestTag/kubernetes-namespace";
pub const SERVICE_ACCOUNT_TAG: &str = "aws:RequestTag/kubernetes-service-account";
/// IAM's default quota for a role trust policy.
pub const MAX_LENGTH: usize = 2048;

#[derive(Serialize)]
struct Document {
    #[serde(rename = "Version")]
    version: &'static str,
    #[serde(rename = "Statement")]
    statement: Vec<Statement>,
}

#[derive(Serialize)]
struct Statement {
    #[serde(rename = "Effect")]
    effect: &'static str,
    #[serde(rename = "Principal")]
    principal: Principal,
    #[serde(rename = "Action")]
    action: [&'static str; 2],
    #[serde(rename = "Condition", skip_serializing_if = "Option::is_none")]
    condition: Option<Condition>,
}

#[derive(Serialize)]
struct Principal {
    #[serde(rename = "Service")]
    service: &'static str,
}

#[derive(Serialize)]
struct Condition {
    #[serde(rename = "StringLike")]
    string_like: BTreeMap<&'static str, Value>,
}

/// A `namespace/name` entry of `allowed_service_accounts`, split.
pub fn split_service_account(entry: &str) -> Option<(&str, &str)> {
    let (namespace, name) = entry.split_once('/')?;
    if namespace.is_empty() || name.is_empty() || name.contains('/') {
        return None;
    }
    Some((namespace, name))
}

/// An `allowed_clusters` entry: a cluster name, with `*` and `?` wildcards.
pub fn check_cluster_pattern(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 100
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_*?".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a cluster name pattern: use 1 to 100 letters, digits, '-', '_' and the wildcards '*' and '?' (for example \"shop-blue\" or \"shop-*\")."
        ))
    }
}

/// An `allowed_service_accounts` entry: `namespace/name`, with `*` and `?` wildcards.
pub fn check_service_account_pattern(s: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "{s:?} is not a service account pattern: use namespace/name, with lowercase letters, digits, '-' (and '.' in the name) and the wildcards '*' and '?' (for example \"carts/carts\" or \"app/*\")."
        )
    };
    let (namespace, name) = split_service_account(s).ok_or_else(bad)?;
    let ns_ok = namespace.len() <= 63
        && namespace
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-*?".contains(c));
    let name_ok = name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.*?".contains(c));
    if ns_ok && name_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// The trust policy for these restrictions: compact JSON, one statement without conditions when
/// unrestricted, one statement with the cluster condition when only clusters are restricted, one
/// statement per service account (each also carrying the cluster condition) otherwise. The
/// output depends only on the sets' contents.
pub fn generate(clusters: &BTreeSet<String>, service_accounts: &BTreeSet<String>) -> String {
    let cluster_values =
        || Value::Array(clusters.iter().map(|c| Value::String(c.clone())).collect());
    let statement = |conditions: BTreeMap<&'static str, Value>| Statement {
        effect: "Allow",
        principal: Principal {
            service: SERVICE_PRINCIPAL,
        },
        action: ACTIONS,
        condition: (!conditions.is_empty()).then_some(Condition {
            string_like: conditions,
        }),
    };
    let mut base = BTreeMap::new();
    if !clusters.is_empty() {
        base.insert(CLUSTER_TAG, cluster_values());
    }
    let statements: Vec<Statement> = if service_accounts.is_empty() {
        vec![statement(base)]
    } else {
        service_accounts
            .iter()
            .filter_map(|entry| split_service_account(entry))
            .map(|(namespace, name)| {
                let mut conditions = base.clone();
                conditions.insert(NAMESPACE_TAG, Value::String(namespace.to_string()));
                conditions.insert(SERVICE_ACCOUNT_TAG, Value::String(name.to_string()));
                statement(conditions)
            })
            .collect()
    };
    let doc = Document {
        version: "2012-10-17",
        statement: statements,
    };
    // Serializing plain strings, maps and arrays cannot fail.
    serde_json::to_string(&doc).unwrap_or_default()
}

/// The restrictions of a trust policy this provider wrote (in any equivalent form), or `None`
/// for any other policy.
pub fn parse(document: &str) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let doc = policy_json::canonical(document).ok()?;
    let statements = doc.get("Statement")?.as_array()?;
    let mut clusters = BTreeSet::new();
    let mut service_accounts = BTreeSet::new();
    for stmt in statements {
        let like = stmt.get("Condition").and_then(|c| c.get("StringLike"));
        let values = |key: &str| -> Vec<String> {
            like.and_then(|l| l.get(key))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        clusters.extend(values(CLUSTER_TAG));
        match (
            values(NAMESPACE_TAG).as_slice(),
            values(SERVICE_ACCOUNT_TAG).as_slice(),
        ) {
            ([namespace], [name]) => {
                service_accounts.insert(format!("{namespace}/{name}"));
            }
            ([], []) => {}
            _ => return None,
        }
    }
    policy_json::equivalent(&generate(&clusters, &service_accounts), document)
        .then_some((clusters, service_accounts))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

/// Whether a trust policy lets EKS Pod Identity assume the role: an Allow statement for the
/// service principal `pods.eks.amazonaws.com` covering both `sts:AssumeRole` and
/// `sts:TagSession`. The error says what is missing.
pub fn check_trusts_pod_identity(document: &str) -> Result<(), String> {
    let doc: Value = serde_json::from_str(&policy_json::decode(document))
        .map_err(|e| format!("the trust policy is not valid JSON ({e})"))?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => return Err("the trust policy has no statements".into()),
    };
    let mut trusted = BTreeSet::new();
    let mut allowed_actions: Vec<String> = Vec::new();
    let mut pods_trusted = false;
    for stmt in &statements {
        let allow = stmt
            .get("Effect")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("allow"));
        if !allow {
            continue;
        }
        let principal = stmt.get("Principal");
        let services = strings(principal.and_then(|p| p.get("Service")));
        for kind in ["Service", "AWS", "Federated"] {
            for p in strings(principal.and_then(|p| p.get(kind))) {
                trusted.insert(p);
            }
        }
        if principal.and_then(Value::as_str) == Some("*") {
            trusted.insert("*".into());
        }
        if services.iter().any(|s| s == SERVICE_PRINCIPAL) {
            pods_trusted = true;
            allowed_actions.extend(strings(stmt.get("Action")));
        }
    }
    if !pods_trusted {
        let list: Vec<String> = trusted.into_iter().collect();
        return Err(if list.is_empty() {
            format!("no Allow statement trusts the service principal {SERVICE_PRINCIPAL}")
        } else {
            format!(
                "no Allow statement trusts the service principal {SERVICE_PRINCIPAL}; it trusts: {}",
                list.join(", ")
            )
        });
    }
    let covered = |action: &str| allowed_actions.iter().any(|a| action_matches(a, action));
    let missing: Vec<&str> = ACTIONS.iter().copied().filter(|a| !covered(a)).collect();
    match missing.as_slice() {
        [] => Ok(()),
        [one] => {
            let present = ACTIONS.iter().find(|a| *a != one).copied().unwrap_or_default();
            Err(format!(
                "the trust policy allows {SERVICE_PRINCIPAL} {present} but not {one}"
            ))
        }
        _ => Err(format!(
            "the trust policy trusts {SERVICE_PRINCIPAL} but allows neither sts:AssumeRole nor sts:TagSession"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn restriction_patterns() {
        for ok in ["shop-blue", "shop-*", "x?", "a_b"] {
            assert!(check_cluster_pattern(ok).is_ok(), "{ok}");
        }
        for bad in ["", "shop.blue", "shop blue", &"c".repeat(101)] {
            assert!(check_cluster_pattern(bad).is_err(), "{bad}");
        }
        for ok in [
            "carts/carts",
            "app/*",
            "kube-system/ebs-csi",
            "a/b.c",
            "?/*",
        ] {
            assert!(check_service_account_pattern(ok).is_ok(), "{ok}");
        }
        for bad in [
            "carts",
            "/carts",
            "carts/",
            "a/b/c",
            "Carts/carts",
            "a.b/c",
            "a/B",
        ] {
            assert!(check_service_account_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unrestricted() {
        assert_eq!(
            generate(&set(&[]), &set(&[])),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#
        );
    }

    #[test]
    fn clusters_only() {
        assert_eq!(
            generate(&set(&["shop-green", "shop-blue"]), &set(&[])),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringLike":{"aws:RequestTag/eks-cluster-name":["shop-blue","shop-green"]}}}]}"#
        );
    }

    #[test]
    fn service_accounts_only() {
        assert_eq!(
            generate(&set(&[]), &set(&["carts/carts", "app/*"])),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringLike":{"aws:RequestTag/kubernetes-namespace":"app","aws:RequestTag/kubernetes-service-account":"*"}}},{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringLike":{"aws:RequestTag/kubernetes-namespace":"carts","aws:RequestTag/kubernetes-service-account":"carts"}}}]}"#
        );
    }

    #[test]
    fn clusters_and_service_accounts() {
        assert_eq!(
            generate(&set(&["shop-*"]), &set(&["app/app-sa"])),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringLike":{"aws:RequestTag/eks-cluster-name":["shop-*"],"aws:RequestTag/kubernetes-namespace":"app","aws:RequestTag/kubernetes-service-account":"app-sa"}}}]}"#
        );
    }

    /// A small deterministic shuffler, so order-independence is checked over many orders.
    fn shuffled(items: &[&str], seed: u64) -> Vec<String> {
        let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        for i in (1..v.len()).rev() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let j = (state >> 33) as usize % (i + 1);
            v.swap(i, j);
        }
        v
    }

    #[test]
    fn generator_is_deterministic_and_parses_back() {
        let clusters = ["shop-blue", "shop-green", "shop-*", "x?"];
        let accounts = [
            "carts/carts",
            "app/*",
            "orders/orders-v2",
            "kube-system/ebs-csi",
        ];
        let expected = generate(&set(&clusters), &set(&accounts));
        for seed in 0..50 {
            let c: BTreeSet<String> = shuffled(&clusters, seed).into_iter().collect();
            let a: BTreeSet<String> = shuffled(&accounts, seed + 1000).into_iter().collect();
            assert_eq!(generate(&c, &a), expected);
        }
        for (c, a) in [
            (set(&[]), set(&[])),
            (set(&clusters), set(&[])),
            (set(&[]), set(&accounts)),
            (set(&clusters), set(&accounts)),
        ] {
            let doc = generate(&c, &a);
            assert!(serde_json::from_str::<Value>(&doc).is_ok());
            assert_eq!(parse(&doc), Some((c, a)), "{doc}");
        }
    }

    #[test]
    fn equivalent_rewrites_parse_and_real_changes_do_not_match() {
        let doc = generate(
            &set(&["shop-blue", "shop-green"]),
            &set(&["app/app-sa", "carts/carts"]),
        );
        let mut value: Value = serde_json::from_str(&doc).unwrap();
        // Reorder statements, turn the action list around, the principal into a list.
        let statements = value["Statement"].as_array_mut().unwrap();
        statements.reverse();
        for s in statements.iter_mut() {
            s["Action"] = serde_json::json!(["sts:TagSession", "sts:AssumeRole"]);
            s["Principal"]["Service"] = serde_json::json!(["pods.eks.amazonaws.com"]);
        }
        let rewritten = serde_json::to_string_pretty(&value).unwrap();
        assert!(policy_json::equivalent(&doc, &rewritten));
        assert!(parse(&rewritten).is_some());

        let narrowed = doc.replace("\"shop-green\"", "\"shop-red\"");
        assert!(!policy_json::equivalent(&doc, &narrowed));
        let other_principal = doc.replace("pods.eks.amazonaws.com", "ec2.amazonaws.com");
        assert_eq!(parse(&other_principal), None);
        assert_eq!(parse(r#"{"Version":"2012-10-17","Statement":[]}"#), None);
    }

    /// A tiny deterministic random source for the rewrites below.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }

        fn coin(&mut self) -> bool {
            self.next().is_multiple_of(2)
        }

        fn shuffle(&mut self, items: &mut [Value]) {
            for i in (1..items.len()).rev() {
                let j = self.next() as usize % (i + 1);
                items.swap(i, j);
            }
        }
    }

    /// A one-element list becomes its string and a string a one-element list, at random; lists
    /// are shuffled.
    fn reshape(value: &mut Value, rng: &mut Lcg) {
        match value {
            Value::Array(items) if items.len() == 1 && rng.coin() => *value = items[0].clone(),
            Value::Array(items) => rng.shuffle(items),
            Value::String(_) if rng.coin() => *value = Value::Array(vec![value.clone()]),
            _ => {}
        }
    }

    /// The same policy written another way: statements, actions and condition values in another
    /// order, strings and one-element lists swapped, other whitespace.
    fn equivalent_rewrite(doc: &str, rng: &mut Lcg) -> String {
        let mut value: Value = serde_json::from_str(doc).unwrap();
        if let Some(statements) = value["Statement"].as_array_mut() {
            rng.shuffle(statements);
            for stmt in statements.iter_mut() {
                reshape(&mut stmt["Action"], rng);
                reshape(&mut stmt["Principal"]["Service"], rng);
                if let Some(like) = stmt
                    .get_mut("Condition")
                    .and_then(|c| c.get_mut("StringLike"))
                    .and_then(Value::as_object_mut)
                {
                    for v in like.values_mut() {
                        reshape(v, rng);
                    }
                }
            }
            if statements.len() == 1 && rng.coin() {
                value["Statement"] = statements[0].clone();
            }
        }
        if rng.coin() {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            value.to_string()
        }
    }

    /// The same policy with one real change.
    fn real_change(doc: &str, rng: &mut Lcg) -> String {
        let mut value: Value = serde_json::from_str(doc).unwrap();
        if value["Statement"].is_object() {
            value["Statement"] = Value::Array(vec![value["Statement"].clone()]);
        }
        let statements = value["Statement"].as_array_mut().unwrap();
        let n = statements.len();
        let stmt = &mut statements[rng.next() as usize % n];
        match rng.next() % 7 {
            0 => stmt["Action"] = json!(["sts:AssumeRole"]),
            1 => stmt["Effect"] = json!("Deny"),
            2 => stmt["Principal"]["Service"] = json!("ec2.amazonaws.com"),
            3 => stmt["Condition"]["StringLike"][CLUSTER_TAG] = json!(["shop-red"]),
            4 => stmt["Condition"]["StringLike"][NAMESPACE_TAG] = json!("other"),
            // Not equivalent: IAM accepts "Allow" in exactly that case.
            5 => stmt["Effect"] = json!("allow"),
            _ => stmt["Condition"]["StringEquals"] = json!({"aws:RequestTag/team": "platform"}),
        }
        value.to_string()
    }

    #[test]
    fn equivalence_holds_under_rewrites_and_fails_on_real_changes() {
        let cases = [
            (set(&[]), set(&[])),
            (set(&["shop-blue", "shop-green", "shop-*"]), set(&[])),
            (set(&[]), set(&["carts/carts", "app/*", "orders/orders"])),
            (set(&["shop-?"]), set(&["carts/carts", "app/app-sa"])),
        ];
        let mut rng = Lcg(7);
        for (clusters, accounts) in &cases {
            let doc = generate(clusters, accounts);
            for _ in 0..200 {
                let rewritten = equivalent_rewrite(&doc, &mut rng);
                assert!(
                    policy_json::equivalent(&doc, &rewritten),
                    "{doc}\n{rewritten}"
                );
                assert_eq!(
                    parse(&rewritten),
                    Some((clusters.clone(), accounts.clone())),
                    "{rewritten}"
                );
                let changed = real_change(&rewritten, &mut rng);
                assert!(!policy_json::equivalent(&doc, &changed), "{doc}\n{changed}");
                assert_ne!(
                    parse(&changed),
                    Some((clusters.clone(), accounts.clone())),
                    "{changed}"
                );
            }
        }
    }

    #[test]
    fn pod_identity_trust_check_says_what_is_missing() {
        let good = generate(&set(&[]), &set(&[]));
        assert!(check_trusts_pod_identity(&good).is_ok());
        let encoded: String =
            percent_encoding::utf8_percent_encode(&good, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        assert!(check_trusts_pod_identity(&encoded).is_ok());

        let no_tag = good.replace(",\"sts:TagSession\"", "");
        assert_eq!(
            check_trusts_pod_identity(&no_tag).unwrap_err(),
            "the trust policy allows pods.eks.amazonaws.com sts:AssumeRole but not sts:TagSession"
        );
        let ec2 = good.replace("pods.eks.amazonaws.com", "ec2.amazonaws.com");
        assert_eq!(
            check_trusts_pod_identity(&ec2).unwrap_err(),
            "no Allow statement trusts the service principal pods.eks.amazonaws.com; it trusts: ec2.amazonaws.com"
        );
        let wildcard = r#"{"Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","pods.eks.amazonaws.com"]},"Action":"sts:*"}}"#;
        assert!(check_trusts_pod_identity(wildcard).is_ok());
        let deny = good.replace("Allow", "Deny");
        assert!(check_trusts_pod_identity(&deny).is_err());
        assert!(check_trusts_pod_identity("{").is_err());
    }

    #[test]
    fn globs() {
        assert!(action_matches("sts:*", "sts:TagSession"));
        assert!(action_matches("*", "sts:AssumeRole"));
        assert!(action_matches("STS:Assume?ole", "sts:AssumeRole"));
        assert!(!action_matches("sts:Assume", "sts:AssumeRole"));
        assert!(!action_matches("s3:*", "sts:AssumeRole"));
    }
}
