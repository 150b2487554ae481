//! Will the pods get credentials? The association's plan-time trust check, the provider's
//! `trust_check` argument and the trust functions, through the real terraform CLI against moto
//! (IAM) and the EKS emulator.

use std::time::{Duration, Instant};

use acceptance::harness::hcl::{self, Block};
use acceptance::harness::roles::{restricted_trust, trust_for_pods};
use acceptance::harness::{Stack, Terraform};
use serde_json::{json, Value};

const CLUSTER: &str = "shop-blue";

/// The association `carts` of carts/carts in CLUSTER with role `role`.
fn carts(role: &str) -> Block {
    hcl::association("carts", CLUSTER, "carts", "carts").string("role_arn", &hcl::role_arn(role))
}

fn config(provider: Block, blocks: impl std::fmt::Display) -> String {
    format!("{provider}{blocks}")
}

fn setup() -> (Stack, Terraform) {
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    let tf = Terraform::new(&stack);
    (stack, tf)
}

fn get_roles(stack: &Stack) -> usize {
    stack
        .moto
        .actions("iam")
        .expect("moto's request log")
        .iter()
        .filter(|a| *a == "GetRole")
        .count()
}

#[test]
fn plans_fail_when_the_pods_would_be_refused_credentials() {
    let (stack, tf) = setup();
    stack.create_role_with_trust("app-only", &restricted_trust(&[], &["app/app-sa"]));
    stack.create_role_with_trust("green-only", &restricted_trust(&["shop-green"], &[]));
    stack.create_role_with_trust(
        "no-tag-session",
        &json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }]})
        .to_string(),
    );
    stack.create_role_with_trust(
        "for-ec2",
        &json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }]})
        .to_string(),
    );
    stack.create_role_with_trust(
        "blue-by-hand",
        &trust_for_pods(&[("aws:RequestTag/eks-cluster-name", &["shop-blue"])]),
    );
    stack.clear_eks_requests();
    let refused = "would be refused credentials";
    tf.assert_plans_fail([
        (
            config(hcl::provider(), carts("app-only")),
            refused,
            "add \"carts/carts\" to allowed_service_accounts of role app-only",
        ),
        (
            config(hcl::provider(), carts("green-only")),
            refused,
            "add \"shop-blue\" to allowed_clusters of role green-only",
        ),
        (
            config(
                hcl::provider(),
                carts("green-only").arg("disable_session_tags", true),
            ),
            refused,
            "remove disable_session_tags = true",
        ),
        (
            config(
                hcl::provider(),
                carts("blue-by-hand").arg("disable_session_tags", true),
            ),
            refused,
            "EKS sends no session tags",
        ),
        (
            config(hcl::provider(), carts("no-tag-session")),
            refused,
            "sts:TagSession",
        ),
        (
            config(hcl::provider(), carts("for-ec2")),
            refused,
            "pods.eks.amazonaws.com",
        ),
        (
            config(hcl::provider(), carts("missing")),
            "Role not found",
            "Role missing does not exist in IAM",
        ),
    ]);
    assert!(
        stack.eks_operations().is_empty(),
        "the trust check makes no EKS call: {:?}",
        stack.eks_operations()
    );
}

#[test]
fn the_denial_names_statement_condition_and_value() {
    let (stack, tf) = setup();
    stack.create_role_with_trust("green-only", &restricted_trust(&["shop-green"], &[]));
    tf.write_config(&config(hcl::provider(), carts("green-only")));
    let out = tf.plan_fails();
    for words in [
        "Error: The pods of carts/carts in cluster shop-blue would be refused credentials",
        "with aws_eks_pod_identity_association.carts",
        "role_arn",
        "StringLike",
        "aws:RequestTag/eks-cluster-name",
        "\"shop-green\"",
        "eks-cluster-name = \"shop-blue\"",
        "Fix: add \"shop-blue\" to allowed_clusters of role green-only",
    ] {
        assert!(out.contains(words), "{words:?} in: {out}");
    }
}

#[test]
fn a_missing_role_fails_the_plan_within_seconds() {
    let (_stack, tf) = setup();
    tf.write_config(&config(hcl::provider(), carts("not-created-yet")));
    let started = Instant::now();
    let out = tf.plan_fails();
    let took = started.elapsed();
    assert!(out.contains("Role not found"), "{out}");
    assert!(
        took < Duration::from_secs(5),
        "the plan took {took:?}: a missing role must not wait for IAM propagation"
    );
}

#[test]
fn a_condition_on_the_pod_name_is_a_warning() {
    let (stack, tf) = setup();
    stack.create_role_with_trust(
        "by-pod-name",
        &trust_for_pods(&[("aws:RequestTag/kubernetes-pod-name", &["carts-*"])]),
    );
    tf.write_config(&config(hcl::provider(), carts("by-pod-name")));
    let run = tf.plan();
    let out = run.flat_output();
    assert!(
        out.contains("Warning: Cannot tell whether the pods of carts/carts in cluster shop-blue will get credentials"),
        "{out}"
    );
    assert!(out.contains("kubernetes-pod-name"), "{out}");
}

#[test]
fn trust_check_warn_plans_with_a_warning_and_off_reads_nothing() {
    let (stack, tf) = setup();
    stack.create_role_with_trust("green-only", &restricted_trust(&["shop-green"], &[]));
    let provider = |mode: &str| hcl::provider().string("trust_check", mode);

    tf.write_config(&config(provider("warn"), carts("green-only")));
    let out = tf.plan().flat_output();
    assert!(
        out.contains(
            "Warning: The pods of carts/carts in cluster shop-blue would be refused credentials"
        ),
        "{out}"
    );
    assert!(out.contains("trust_check is \"warn\""), "{out}");
    tf.apply();
    assert_eq!(stack.associations(CLUSTER).len(), 1);

    let before = get_roles(&stack);
    tf.write_config(&config(
        provider("off"),
        carts("green-only").arg("tags", "{ team = \"carts\" }"),
    ));
    let out = tf.apply().flat_output();
    assert!(!out.contains("refused credentials"), "{out}");
    assert_eq!(
        get_roles(&stack),
        before,
        "trust_check = \"off\" reads no role"
    );

    tf.write_config(&config(provider("strict"), carts("green-only")));
    let out = tf.plan_fails();
    assert!(out.contains("Invalid trust_check"), "{out}");
    assert!(out.contains("\"error\""), "{out}");
}

#[test]
fn an_unchanged_association_whose_role_stopped_trusting_it_only_warns() {
    let (stack, tf) = setup();
    stack.create_role_with_trust("shared", &restricted_trust(&["shop-blue"], &[]));
    tf.write_config(&config(hcl::provider(), carts("shared")));
    tf.apply();
    tf.assert_plan_empty();
    stack.set_trust("shared", &restricted_trust(&["shop-green"], &[]));
    let out = tf.plan().flat_output();
    assert!(
        out.contains(
            "Warning: The pods of carts/carts in cluster shop-blue would be refused credentials"
        ),
        "{out}"
    );
    assert!(
        out.contains("This plan does not change the association"),
        "{out}"
    );
}

#[test]
fn two_hundred_associations_sharing_a_role_read_it_once() {
    let (stack, tf) = setup();
    stack.create_pod_role("shared");
    tf.write_config(&format!(
        "{}{}",
        hcl::provider(),
        Block::resource("aws_eks_pod_identity_association", "many")
            .arg("count", 200)
            .string("cluster_name", CLUSTER)
            .string("namespace", "app")
            .arg("service_account", "\"sa-${count.index}\"")
            .string("role_arn", &hcl::role_arn("shared"))
    ));
    let before = get_roles(&stack);
    tf.plan();
    assert_eq!(
        get_roles(&stack) - before,
        1,
        "one GetRole for 200 associations"
    );
}

/// The role resource `shared` with these restrictions, and outputs comparing its trust policy
/// with the function's.
fn role_and_functions() -> String {
    let clusters = r#"["shop-green", "shop-blue", "shop-blue"]"#;
    let accounts = r#"["app/app-sa", "carts/*"]"#;
    format!(
        "{}{}{}{}{}{}",
        hcl::provider(),
        hcl::role("shared")
            .string("name", "shop-shared")
            .arg("allowed_clusters", clusters)
            .arg("allowed_service_accounts", accounts),
        hcl::output(
            "function_policy",
            &format!("provider::podidentity::trust_policy({clusters}, {accounts})")
        ),
        hcl::output("role_policy", "aws_eks_pod_identity_role.shared.trust_policy"),
        hcl::output(
            "green_app",
            "provider::podidentity::trust_allows(aws_eks_pod_identity_role.shared.trust_policy, \"shop-green\", \"app\", \"app-sa\")"
        ),
        hcl::output(
            "green_orders",
            "provider::podidentity::trust_explain(aws_eks_pod_identity_role.shared.trust_policy, \"arn:aws:eks:eu-west-1:123456789012:cluster/shop-green\", \"orders\", \"orders\")"
        ),
    )
}

#[test]
fn functions_work_in_outputs_and_match_the_role_byte_for_byte() {
    let (_stack, tf) = setup();
    tf.write_config(&role_and_functions());
    tf.apply();
    let outputs = tf.outputs();
    let function_policy = outputs["function_policy"].as_str().expect("string");
    assert_eq!(Some(function_policy), outputs["role_policy"].as_str());
    assert_eq!(outputs["green_app"], Value::Bool(true));
    let explained = outputs["green_orders"].as_str().expect("string");
    assert!(explained.starts_with("denied"), "{explained}");
    assert!(explained.contains("kubernetes-namespace"), "{explained}");
}

#[test]
fn functions_work_in_the_console_without_provider_configuration() {
    let (_stack, mut tf) = setup();
    // No provider block and no credentials: functions need neither.
    tf.unset_env("AWS_ACCESS_KEY_ID");
    tf.write_config("");
    // The console prints the value of the last expression it reads: one call each.
    let eval = |expression: &str| {
        let run = tf.console(&format!("{expression}\n"));
        assert!(run.success(), "{expression}: {}", run.output());
        run.stdout.trim().to_string()
    };
    let policy = r#"provider::podidentity::trust_policy(["shop-*"], null)"#;
    assert_eq!(
        eval(policy),
        r#""{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"pods.eks.amazonaws.com\"},\"Action\":[\"sts:AssumeRole\",\"sts:TagSession\"],\"Condition\":{\"StringLike\":{\"aws:RequestTag/eks-cluster-name\":[\"shop-*\"]}}}]}""#
    );
    let allows = |cluster: &str| {
        eval(&format!(
            r#"provider::podidentity::trust_allows({policy}, "{cluster}", "app", "app-sa")"#
        ))
    };
    assert_eq!(allows("shop-green"), "true");
    assert_eq!(allows("dev-1"), "false");
    let explained = eval(
        "provider::podidentity::trust_explain(jsonencode({Version = \"2012-10-17\", Statement = [{Effect = \"Allow\", Principal = {Service = \"pods.eks.amazonaws.com\"}, Action = [\"sts:AssumeRole\", \"sts:TagSession\"], Condition = {StringEquals = {\"aws:RequestTag/kubernetes-pod-name\" = \"x\"}}}]}), \"shop-green\", \"app\", \"app-sa\")",
    );
    assert!(explained.starts_with("\"undecided:"), "{explained}");
    assert!(explained.contains("kubernetes-pod-name"), "{explained}");

    let run = tf.console("provider::podidentity::trust_policy([], null)\n");
    assert!(!run.success());
    assert!(
        run.flat_output().contains("would not restrict anything"),
        "{}",
        run.output()
    );
}

/// The trust policy of a target role that role `source` may assume, with `conditions` on
/// `StringEquals` (key, value).
fn chain_trust(source: &str, conditions: &[(&str, &str)]) -> String {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"AWS": hcl::role_arn(source)},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    });
    if !conditions.is_empty() {
        let equals: serde_json::Map<String, Value> = conditions
            .iter()
            .map(|(k, v)| ((*k).to_string(), json!(v)))
            .collect();
        statement["Condition"] = json!({ "StringEquals": equals });
    }
    json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
}

#[test]
fn a_target_role_of_the_same_account_must_trust_the_role() {
    let (stack, tf) = setup();
    stack.create_pod_role("shop");
    stack.create_role_with_trust("reader", &chain_trust("someone-else", &[]));
    tf.write_config(&config(
        hcl::provider(),
        carts("shop").string("target_role_arn", &hcl::role_arn("reader")),
    ));
    let out = tf.plan_fails();
    assert!(
        out.contains("Error: Role shop could not assume the target role reader"),
        "{out}"
    );
    assert!(out.contains("target_role_arn"), "{out}");
    assert!(
        out.contains(&format!("for the principal {}", hcl::role_arn("shop"))),
        "{out}"
    );
    assert!(stack.associations(CLUSTER).is_empty());
}

#[test]
fn an_external_id_condition_is_judged_once_the_external_id_exists() {
    let (stack, tf) = setup();
    stack.create_pod_role("shop");
    stack.create_role_with_trust(
        "reader",
        &chain_trust("shop", &[("sts:ExternalId", "not-the-one-eks-chooses")]),
    );
    tf.write_config(&config(
        hcl::provider(),
        carts("shop").string("target_role_arn", &hcl::role_arn("reader")),
    ));
    // Unknown until EKS chooses it: nothing to say at plan.
    let plan = tf.plan().flat_output();
    assert!(!plan.contains("target role"), "{plan}");
    let out = tf.apply().flat_output();
    assert!(
        out.contains("Warning: Role shop could not assume the target role reader"),
        "{out}"
    );
    assert!(out.contains("sts:ExternalId"), "{out}");
    let external_id = tf.resource("aws_eks_pod_identity_association.carts")["external_id"]
        .as_str()
        .expect("external_id")
        .to_string();
    assert!(
        out.contains(&external_id),
        "names the real external ID: {out}"
    );
    assert_eq!(stack.associations(CLUSTER).len(), 1, "created all the same");
}

#[test]
fn additional_trust_statements_count_in_the_associations_trust_check() {
    let (stack, common) = setup();
    let oidc = json!({
        "Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub": "system:serviceaccount:carts:carts"}},
    });
    let deny_ec2 = json!({
        "Effect": "Deny",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    });
    let deny_orders = json!({
        "Sid": "NoOrders",
        "Effect": "Deny",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:RequestTag/kubernetes-namespace": "orders"}},
    });
    let role = |name: &str, statements: Value| {
        hcl::role(name)
            .string("name", name)
            .arg("allowed_clusters", "[\"shop-blue\"]")
            .string("additional_trust_statements", &statements.to_string())
    };
    common.write_config(&format!(
        "{}{}{}",
        hcl::provider(),
        role("shop-shared", json!([oidc, deny_ec2])),
        role("shop-guarded", json!([oidc, deny_orders])),
    ));
    common.apply();

    let tf = Terraform::new(&stack);
    let pods = |role: &str, cluster: &str, namespace: &str| {
        hcl::association("pods", cluster, namespace, namespace)
            .string("role_arn", &hcl::role_arn(role))
    };
    // Statements for other principals, and a Deny that does not match: allowed.
    for role in ["shop-shared", "shop-guarded"] {
        tf.write_config(&config(hcl::provider(), pods(role, CLUSTER, "carts")));
        tf.plan();
    }
    tf.assert_plans_fail([
        // allowed_clusters keeps restricting next to the additional statements, and the fix
        // still names the entry to add.
        (
            config(hcl::provider(), pods("shop-shared", "shop-green", "carts")),
            "would be refused credentials",
            "Fix: add \"shop-green\" to allowed_clusters of role shop-shared",
        ),
        // An additional Deny that matches refuses, and the error names it.
        (
            config(hcl::provider(), pods("shop-guarded", CLUSTER, "orders")),
            "would be refused credentials",
            "explicitly denied by statement 3 (\"NoOrders\")",
        ),
    ]);
    // The pods EKS Pod Identity lets in are the ones the check allowed.
    tf.write_config(&config(
        hcl::provider(),
        pods("shop-guarded", CLUSTER, "carts"),
    ));
    tf.apply();
    assert!(stack.pod_credentials(CLUSTER, "carts", "carts").is_ok());
}
