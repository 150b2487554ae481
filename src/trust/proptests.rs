//! Property tests: rewrites that IAM documents as meaning the same policy never change the
//! verdict kind. Policies are random over a small vocabulary of clusters, namespaces, service
//! accounts, keys and operators (including ones the evaluator does not know); requests are random
//! EKS Pod Identity requests.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::*;

const CLUSTERS: &[&str] = &[
    "shop-blue",
    "shop-green",
    "shop-*",
    "Shop-Green",
    "shop-?????",
    "prod-*",
    "${aws:username}",
];
const NAMESPACES: &[&str] = &["carts", "orders", "app", "*", "CARTS"];
const ACCOUNTS: &[&str] = &["carts", "orders", "app-*", "*"];
const ARNS: &[&str] = &[
    "arn:aws:eks:*:111122223333:cluster/shop-*",
    "arn:aws:eks:eu-west-1:111122223333:cluster/shop-blue",
    "arn:aws:eks:*:*:cluster/*",
    "arn:aws:eks:*:cluster/*",
];
const TAG_KEYS: &[&str] = &["eks-cluster-name", "team", "eks-*", "kubernetes-*"];
const POD_NAMES: &[&str] = &["carts-*"];
const TEAMS: &[&str] = &["shop"];

/// Condition keys and the values a policy may compare them with.
const KEYS: &[(&str, &[&str])] = &[
    ("aws:RequestTag/eks-cluster-name", CLUSTERS),
    ("aws:RequestTag/kubernetes-namespace", NAMESPACES),
    ("aws:RequestTag/kubernetes-service-account", ACCOUNTS),
    ("aws:RequestTag/eks-cluster-arn", ARNS),
    ("aws:RequestTag/kubernetes-pod-name", POD_NAMES),
    ("aws:RequestTag/team", TEAMS),
    ("aws:TagKeys", TAG_KEYS),
    ("aws:SourceArn", ARNS),
];

const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "StringLikeIfExists",
    "StringNotEqualsIfExists",
    "ArnLike",
    "ArnNotEquals",
    "ForAnyValue:StringLike",
    "ForAllValues:StringEquals",
    "ForAllValues:StringNotLike",
    "ForAnyValue:StringLikeIfExists",
    "Null",
    "StringMatches",
];

const ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "sts:TagSession",
    "sts:*",
    "s3:GetObject",
    "sts:Assume?ole",
];

fn principal() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!({"Service": "pods.eks.amazonaws.com"}),
        json!({"Service": ["ec2.amazonaws.com", "pods.eks.amazonaws.com"]}),
        json!({"Service": "ec2.amazonaws.com"}),
        json!("*"),
        json!({"AWS": "*"}),
        json!({"AWS": "111122223333"}),
    ])
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    let entry = (
        prop::sample::select(OPERATORS),
        0..KEYS.len(),
        any::<prop::sample::Index>(),
        1usize..=3,
        any::<bool>(),
    )
        .prop_map(|(op, key, pick, n, null_true)| {
            let (name, pool) = KEYS[key];
            let values: Vec<&str> = if op == "Null" {
                vec![if null_true { "true" } else { "false" }]
            } else {
                (0..n.min(pool.len()))
                    .map(|i| pool[(pick.index(pool.len()) + i) % pool.len()])
                    .collect()
            };
            (op, name, values)
        });
    prop::collection::vec(entry, 0..=3).prop_map(|entries| {
        if entries.is_empty() {
            return None;
        }
        let mut ops = Map::new();
        for (op, key, values) in entries {
            let keys = ops
                .entry(op.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(keys) = keys {
                keys.insert(key.to_string(), json!(values));
            }
        }
        Some(Value::Object(ops))
    })
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["Allow", "Allow", "Allow", "Deny"]),
        principal(),
        prop::sample::subsequence(ACTIONS, 1..=3),
        condition(),
        prop::option::of(prop::sample::select(vec!["A", "B", "AllowGreen"])),
    )
        .prop_map(|(effect, principal, actions, condition, sid)| {
            let mut stmt = Map::new();
            if let Some(sid) = sid {
                stmt.insert("Sid".into(), json!(sid));
            }
            stmt.insert("Effect".into(), json!(effect));
            stmt.insert("Principal".into(), principal);
            stmt.insert("Action".into(), json!(actions));
            if let Some(condition) = condition {
                stmt.insert("Condition".into(), condition);
            }
            Value::Object(stmt)
        })
}

fn policy_with(statements: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Value> {
    prop::collection::vec(statement(), statements)
        .prop_map(|list| json!({"Version": "2012-10-17", "Statement": list}))
}

fn policy() -> impl Strategy<Value = Value> {
    policy_with(1..=4)
}

/// A random association, owned so that the test can borrow it.
#[derive(Debug, Clone)]
struct Association {
    cluster: String,
    with_arn: bool,
    namespace: String,
    service_account: String,
    session_tags: bool,
}

fn association() -> impl Strategy<Value = Association> {
    (
        prop::sample::select(vec!["shop-blue", "shop-green", "Shop-Green", "prod-x"]),
        any::<bool>(),
        prop::sample::select(vec!["carts", "orders", "app"]),
        prop::sample::select(vec!["carts", "orders", "app-x"]),
        any::<bool>(),
    )
        .prop_map(
            |(cluster, with_arn, namespace, service_account, session_tags)| Association {
                cluster: cluster.into(),
                with_arn,
                namespace: namespace.into(),
                service_account: service_account.into(),
                session_tags,
            },
        )
}

fn kind(doc: &Value, association: &Association) -> VerdictKind {
    let text = doc.to_string();
    let policy = match Policy::parse(&text) {
        Ok(p) => p,
        Err(e) => panic!("generated policy does not parse: {e}\n{text}"),
    };
    let arn = format!(
        "arn:aws:eks:eu-west-1:111122223333:cluster/{}",
        association.cluster
    );
    let pod = PodIdentityRequest {
        cluster_name: &association.cluster,
        cluster_arn: association.with_arn.then_some(arn.as_str()),
        namespace: &association.namespace,
        service_account: &association.service_account,
        session_tags: association.session_tags,
    };
    evaluate_all(&policy, &pod_identity_requests(&pod)).kind()
}

/// A small deterministic source of choices for the rewrites.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

fn statements_mut(doc: &mut Value) -> Vec<&mut Map<String, Value>> {
    match doc.get_mut("Statement") {
        Some(Value::Array(items)) => items.iter_mut().filter_map(Value::as_object_mut).collect(),
        Some(Value::Object(one)) => vec![one],
        _ => Vec::new(),
    }
}

/// Every list-or-string site: Action, each Principal type, each condition key.
fn for_each_value_site(doc: &mut Value, mut f: impl FnMut(&mut Value)) {
    for stmt in statements_mut(doc) {
        if let Some(action) = stmt.get_mut("Action") {
            f(action);
        }
        if let Some(Value::Object(kinds)) = stmt.get_mut("Principal") {
            kinds.values_mut().for_each(&mut f);
        }
        if let Some(Value::Object(ops)) = stmt.get_mut("Condition") {
            for keys in ops.values_mut() {
                if let Value::Object(keys) = keys {
                    keys.values_mut().for_each(&mut f);
                }
            }
        }
    }
}

fn change_case(text: &str, mix: &mut Mix) -> String {
    text.chars()
        .map(|c| {
            if mix.coin() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn reorder_statements(doc: &mut Value, mix: &mut Mix) {
    if let Some(Value::Array(items)) = doc.get_mut("Statement") {
        mix.shuffle(items);
    }
}

fn reorder_values(doc: &mut Value, mix: &mut Mix) {
    for_each_value_site(doc, |v| {
        if let Value::Array(items) = v {
            mix.shuffle(items);
        }
    });
}

fn single_or_list(doc: &mut Value, mix: &mut Mix) {
    for_each_value_site(doc, |v| {
        let replacement = match v {
            Value::Array(items) if items.len() == 1 && mix.coin() => items[0].clone(),
            Value::String(_) if mix.coin() => Value::Array(vec![v.clone()]),
            _ => return,
        };
        *v = replacement;
    });
}

fn condition_key_case(doc: &mut Value, mix: &mut Mix) {
    for stmt in statements_mut(doc) {
        if let Some(Value::Object(ops)) = stmt.get_mut("Condition") {
            for keys in ops.values_mut() {
                if let Value::Object(map) = keys {
                    let renamed: Map<String, Value> = std::mem::take(map)
                        .into_iter()
                        .map(|(k, v)| (change_case(&k, mix), v))
                        .collect();
                    *map = renamed;
                }
            }
        }
    }
}

fn action_case(doc: &mut Value, mix: &mut Mix) {
    for stmt in statements_mut(doc) {
        match stmt.get_mut("Action") {
            Some(Value::Array(actions)) => {
                for a in actions.iter_mut() {
                    if let Value::String(s) = a {
                        *s = change_case(s, mix);
                    }
                }
            }
            Some(Value::String(s)) => *s = change_case(s, mix),
            _ => {}
        }
    }
}

fn sids(doc: &mut Value, mix: &mut Mix) {
    for stmt in statements_mut(doc) {
        match mix.next() % 3 {
            0 => {
                stmt.remove("Sid");
            }
            1 => {
                stmt.insert("Sid".into(), json!(format!("Renamed{}", mix.next() % 100)));
            }
            _ => {}
        }
    }
}

fn split_allow_actions(doc: &mut Value) {
    let Some(Value::Array(items)) = doc.get_mut("Statement") else {
        return;
    };
    let mut split = Vec::new();
    for stmt in items.drain(..) {
        match (stmt.get("Effect"), stmt.get("Action")) {
            (Some(e), Some(Value::Array(actions))) if e == "Allow" && actions.len() > 1 => {
                for action in actions {
                    let mut one = stmt.clone();
                    one["Action"] = action.clone();
                    split.push(one);
                }
            }
            _ => split.push(stmt),
        }
    }
    *items = split;
}

fn duplicate_statement(doc: &mut Value, mix: &mut Mix) {
    if let Some(Value::Array(items)) = doc.get_mut("Statement") {
        if !items.is_empty() {
            let i = (mix.next() % items.len() as u64) as usize;
            let copy = items[i].clone();
            items.insert((mix.next() % (items.len() as u64 + 1)) as usize, copy);
        }
    }
}

proptest! {
    #[test]
    fn reordering_statements_keeps_the_verdict(doc in policy(), a in association(), seed in 1u64..) {
        let mut rewritten = doc.clone();
        reorder_statements(&mut rewritten, &mut Mix(seed));
        prop_assert_eq!(kind(&doc, &a), kind(&rewritten, &a));
    }

    #[test]
    fn reordering_values_keeps_the_verdict(doc in policy(), a in association(), seed in 1u64..) {
        let mut rewritten = doc.clone();
        reorder_values(&mut rewritten, &mut Mix(seed));
        prop_assert_eq!(kind(&doc, &a), kind(&rewritten, &a));
    }

    #[test]
    fn single_string_or_one_element_list_keeps_the_verdict(doc in policy(), a in association(), seed in 1u64..) {
        let mut rewritten = doc.clone();
        single_or_list(&mut rewritten, &mut Mix(seed));
        prop_assert_eq!(kind(&doc, &a), kind(&rewritten, &a));
    }

    #[test]
    fn condition_key_case_keeps_the_verdict(doc in policy(), a in association(), seed in 1u64..) {
        let mut rewritten = doc.clone();
        condition_key_case(&mut rewritten, &mut Mix(seed));
        prop_assert_eq!(kind(&doc, &a), kind(&rewritten, &a));
    }

    #[test]
    fn action_name_case_keeps_the_verdict(doc in policy(), a in association(), seed in 1u64..) {
        let mut rewritten = doc.clone();
        action_case(&mut rewritten, &mut Mix(seed));
        prop_assert_eq!(kind(&doc, &a), kind(&rewritten, &a));
    }

    #[test]
    fn sid_changes_keep_the_verdict(doc in policy(), a in association(), seed in 1u64..) {
        let mut rewritten = doc.clone();
        sids(&mut rewritten, &mut Mix(seed));
        prop_assert_eq!(kind(&doc, &a), kind(&rewritten, &a));
    }

    #[test]
    fn statement_object_or_one_element_array_keeps_the_verdict(doc in policy_with(1..=1), a in association()) {
        let mut rewritten = doc.clone();
        let single = rewritten["Statement"][0].clone();
        rewritten["Statement"] = single;
        prop_assert_eq!(kind(&doc, &a), kind(&rewritten, &a));
    }

    #[test]
    fn splitting_allow_actions_keeps_the_verdict(doc in policy(), a in association()) {
        let mut rewritten = doc.clone();
        split_allow_actions(&mut rewritten);
        prop_assert_eq!(kind(&doc, &a), kind(&rewritten, &a));
    }

    #[test]
    fn duplicating_a_statement_keeps_the_verdict(doc in policy(), a in association(), seed in 1u64..) {
        let mut rewritten = doc.clone();
        duplicate_statement(&mut rewritten, &mut Mix(seed));
        prop_assert_eq!(kind(&doc, &a), kind(&rewritten, &a));
    }

    #[test]
    fn all_rewrites_together_keep_the_verdict(doc in policy(), a in association(), seed in 1u64..) {
        let mut rewritten = doc.clone();
        let mix = &mut Mix(seed);
        split_allow_actions(&mut rewritten);
        duplicate_statement(&mut rewritten, mix);
        reorder_statements(&mut rewritten, mix);
        reorder_values(&mut rewritten, mix);
        single_or_list(&mut rewritten, mix);
        condition_key_case(&mut rewritten, mix);
        action_case(&mut rewritten, mix);
        sids(&mut rewritten, mix);
        prop_assert_eq!(kind(&doc, &a), kind(&rewritten, &a));
    }

    #[test]
    fn generated_trust_policies_allow_exactly_the_listed_associations(
        clusters in prop::collection::btree_set(prop::sample::select(vec!["shop-blue", "shop-green", "shop-*"]).prop_map(String::from), 0..=2),
        accounts in prop::collection::btree_set(prop::sample::select(vec!["carts/carts", "orders/*", "app/app-x"]).prop_map(String::from), 0..=2),
        a in association(),
    ) {
        let doc = crate::iam::trust_policy::generate(&clusters, &accounts);
        let policy = Policy::parse(&doc).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let pod = PodIdentityRequest {
            cluster_name: &a.cluster,
            cluster_arn: None,
            namespace: &a.namespace,
            service_account: &a.service_account,
            session_tags: a.session_tags,
        };
        let like = |pattern: &str, text: &str| simple_glob(&format!("^{}$", pattern.replace('*', ".*")), text);
        let cluster_ok = clusters.is_empty() || clusters.iter().any(|c| like(c, &a.cluster));
        let account_ok = accounts.is_empty() || accounts.iter().any(|e| {
            let (ns, sa) = e.split_once('/').unwrap();
            like(ns, &a.namespace) && like(sa, &a.service_account)
        });
        let restricted = !clusters.is_empty() || !accounts.is_empty();
        let expected = if (restricted && !a.session_tags) || !(cluster_ok && account_ok) {
            VerdictKind::Denied
        } else {
            VerdictKind::Allowed
        };
        prop_assert_eq!(evaluate_all(&policy, &pod_identity_requests(&pod)).kind(), expected);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = Policy::parse(&text);
    }
}

/// `^…$` with `.*` only: enough for the oracle above, independent of the evaluator's glob.
fn simple_glob(re: &str, text: &str) -> bool {
    let body = &re[1..re.len() - 1];
    let parts: Vec<&str> = body.split(".*").collect();
    if parts.len() == 1 {
        return body == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// The properties are only as strong as the policies they see: the generator must reach every
/// verdict kind often (an all-undecided generator would make every rewrite look harmless).
#[test]
fn generator_reaches_every_verdict_kind() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut counts = std::collections::HashMap::new();
    for _ in 0..1000 {
        let doc = policy().new_tree(&mut runner).unwrap().current();
        let a = association().new_tree(&mut runner).unwrap().current();
        *counts.entry(kind(&doc, &a)).or_insert(0) += 1;
    }
    for k in [
        VerdictKind::Allowed,
        VerdictKind::Denied,
        VerdictKind::Undecided,
    ] {
        assert!(counts.get(&k).copied().unwrap_or(0) >= 100, "{counts:?}");
    }
}
