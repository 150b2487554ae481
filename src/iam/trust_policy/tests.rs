//! Unit tests of the trust policy the role writes: generation, reading back, equivalence and
//! the check of roles it did not write.

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

fn oidc_statement() -> Value {
    json!({
        "Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub": "system:serviceaccount:app:app-sa",
            "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:aud": "sts.amazonaws.com"
        }}
    })
}

#[test]
fn additional_statements_follow_ours_as_given() {
    let extra = oidc_statement();
    let doc = generate_with(&set(&["shop-*"]), &set(&[]), std::slice::from_ref(&extra));
    let value: Value = serde_json::from_str(&doc).unwrap();
    let statements = value["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[1], extra);
    assert!(doc.starts_with(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"}"#
    ));
    assert_eq!(
        generate_with(&set(&[]), &set(&["app/*"]), &[]),
        generate(&set(&[]), &set(&["app/*"]))
    );
}

#[test]
fn split_separates_our_statements_from_the_others() {
    let extra = oidc_statement();
    let deny = json!({"Sid": "NoEc2", "Effect": "Deny", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"});
    let doc = generate_with(
        &set(&["shop-blue", "shop-green"]),
        &set(&["app/app-sa", "carts/*"]),
        &[extra.clone(), deny.clone()],
    );
    // In another order, URL-encoded as IAM returns it.
    let mut value: Value = serde_json::from_str(&doc).unwrap();
    value["Statement"].as_array_mut().unwrap().reverse();
    let encoded: String = percent_encoding::utf8_percent_encode(
        &value.to_string(),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    let parts = split(&encoded, &[]).expect("a policy");
    assert_eq!(
        parts.restrictions,
        Some((
            set(&["shop-blue", "shop-green"]),
            set(&["app/app-sa", "carts/*"])
        ))
    );
    assert_eq!(parts.others, vec![deny.clone(), extra.clone()]);
    // A Deny for another principal takes nothing away from the pods.
    assert_eq!(
        parse(&doc),
        Some((
            set(&["shop-blue", "shop-green"]),
            set(&["app/app-sa", "carts/*"])
        ))
    );
    // A Deny that may apply to the pods may refuse what the restrictions allow.
    for deny in [
        json!({"Effect": "Deny", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:RequestTag/kubernetes-namespace": "orders"}}}),
        json!({"Effect": "Deny", "Principal": "*", "Action": "sts:*"}),
        json!({"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:TagSession"}),
        json!({"Effect": "Deny", "Principal": {"AWS": "*"}, "NotAction": "sts:AssumeRoleWithWebIdentity"}),
    ] {
        let doc = generate_with(&set(&["shop-*"]), &set(&[]), &[extra.clone(), deny.clone()]);
        assert_eq!(parse(&doc), None, "{deny}");
    }
    let web_identity_only =
        json!({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity"});
    let doc = generate_with(&set(&["shop-*"]), &set(&[]), &[web_identity_only]);
    assert_eq!(parse(&doc), Some((set(&["shop-*"]), set(&[]))));
    let allow_only = generate_with(&set(&["shop-*"]), &set(&[]), std::slice::from_ref(&extra));
    assert_eq!(parse(&allow_only), Some((set(&["shop-*"]), set(&[]))));

    // An IRSA role: no statement of ours, every statement another.
    let irsa = json!({"Version": "2012-10-17", "Statement": [extra.clone()]}).to_string();
    let parts = split(&irsa, &[]).expect("a policy");
    assert_eq!(parts.restrictions, None);
    assert_eq!(parts.others, vec![extra.clone()]);
    assert_eq!(parse(&irsa), None);

    // Only ours.
    let ours = generate(&set(&[]), &set(&[]));
    assert_eq!(
        split(&ours, &[]),
        Some(TrustParts {
            restrictions: Some((set(&[]), set(&[]))),
            others: vec![],
        })
    );
    assert_eq!(split("not json", &[]), None);
    assert_eq!(split(r#"{"Statement":"x"}"#, &[]), None);
}

#[test]
fn pods_statements_not_of_our_making_are_others() {
    let ours = |condition: Option<Value>| {
        let mut s = json!({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]});
        if let Some(c) = condition {
            s["Condition"] = c;
        }
        s
    };
    let with_sid = {
        let mut s = ours(None);
        s["Sid"] = json!("PodIdentity");
        s
    };
    let equals = ours(Some(
        json!({"StringEquals": {"aws:RequestTag/eks-cluster-name": "shop-blue"}}),
    ));
    let other_tag = ours(Some(
        json!({"StringLike": {"aws:RequestTag/kubernetes-pod-name": "x"}}),
    ));
    let assume_only = json!({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"});
    let two_services = json!({"Effect": "Allow", "Principal": {"Service": ["pods.eks.amazonaws.com", "ec2.amazonaws.com"]}, "Action": ["sts:AssumeRole", "sts:TagSession"]});
    for foreign in [with_sid, equals, other_tag, assume_only, two_services] {
        let doc = json!({"Version": "2012-10-17", "Statement": [foreign.clone()]}).to_string();
        let parts = split(&doc, &[]).unwrap();
        assert_eq!(parts.restrictions, None, "{foreign}");
        assert_eq!(parts.others, vec![foreign.clone()]);
    }

    // Statements of our shape that are not what we write for any restrictions: no
    // restrictions, and they are not others either (the plan rewrites them).
    let blue = ours(Some(json!({"StringLike": {
        "aws:RequestTag/eks-cluster-name": "shop-blue",
        "aws:RequestTag/kubernetes-namespace": "a",
        "aws:RequestTag/kubernetes-service-account": "a"}})));
    let green = ours(Some(json!({"StringLike": {
        "aws:RequestTag/eks-cluster-name": "shop-green",
        "aws:RequestTag/kubernetes-namespace": "b",
        "aws:RequestTag/kubernetes-service-account": "b"}})));
    let doc = json!({"Version": "2012-10-17", "Statement": [blue, green]}).to_string();
    assert_eq!(
        split(&doc, &[]),
        Some(TrustParts {
            restrictions: None,
            others: vec![]
        })
    );

    // A configured additional statement of our shape stays an additional one.
    let unrestricted = ours(None);
    let doc = generate_with(
        &set(&["shop-*"]),
        &set(&[]),
        std::slice::from_ref(&unrestricted),
    );
    let parts = split(&doc, std::slice::from_ref(&unrestricted)).unwrap();
    assert_eq!(parts.restrictions, Some((set(&["shop-*"]), set(&[]))));
    assert_eq!(parts.others, vec![unrestricted]);
}

#[test]
fn a_deny_without_conditions_fails_the_pod_identity_trust_check() {
    let with = |deny: Value| generate_with(&set(&[]), &set(&[]), &[oidc_statement(), deny]);
    let refused = [
        (
            json!({"Sid": "NoPods", "Effect": "Deny", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"}),
            "statement 3 (\"NoPods\") of the trust policy denies pods.eks.amazonaws.com sts:AssumeRole without conditions",
        ),
        (
            json!({"Effect": "Deny", "Principal": "*", "Action": "sts:Tag*"}),
            "statement 3 of the trust policy denies pods.eks.amazonaws.com sts:TagSession without conditions",
        ),
        (
            json!({"Effect": "Deny", "Principal": {"AWS": "*"}, "NotAction": "sts:AssumeRoleWithWebIdentity"}),
            "denies pods.eks.amazonaws.com sts:AssumeRole",
        ),
    ];
    for (deny, message) in refused {
        let err = check_trusts_pod_identity(&with(deny.clone())).unwrap_err();
        assert!(err.contains(message), "{deny}: {err}");
    }
    for harmless in [
        json!({"Effect": "Deny", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
        json!({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity"}),
        json!({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"StringNotLike": {"aws:RequestTag/eks-cluster-name": "shop-*"}}}),
        json!({"Effect": "Deny", "NotPrincipal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"}),
    ] {
        assert_eq!(
            check_trusts_pod_identity(&with(harmless.clone())),
            Ok(()),
            "{harmless}"
        );
    }
}
