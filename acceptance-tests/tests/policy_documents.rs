//! Policy documents written in the configuration — the role's inline policies and the
//! association's session policy — through the real terraform CLI: what IAM would refuse fails at
//! plan, naming the attribute, before any call to IAM or EKS; a document written another way
//! with the same meaning stays as it is in the plan, also next to real changes.

use acceptance::harness::hcl::{self, role_arn};
use acceptance::harness::{self, change_of, Stack, Terraform};
use serde_json::{json, Value};

const ROLE: &str = "aws_eks_pod_identity_role.shared";
const ASSOCIATION: &str = "aws_eks_pod_identity_association.this";
const CLUSTER: &str = "shop-blue";

const READ_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"*"}]}"#;

/// [`READ_POLICY`] written another way: one statement object instead of a list, other key and
/// action order.
const READ_POLICY_REWRITTEN: &str = r#"jsonencode({
    Statement = { Resource = "*", Action = ["dynamodb:Query", "dynamodb:GetItem"], Effect = "Allow" }
    Version   = "2012-10-17"
  })"#;

fn role_config(args: &str) -> String {
    format!("{}{}", hcl::provider(), hcl::role("shared").lines(args))
}

/// The role `shop-policies` with this description and inline policies (an HCL map body).
fn role_with(description: &str, inline: &str) -> String {
    role_config(&format!(
        "  name = \"shop-policies\"\n  description = \"{description}\"\n  inline_policies = {{ {inline} }}"
    ))
}

/// The association `this` of carts/carts with session tags disabled and these argument lines.
fn association_config(role: &str, args: &str) -> String {
    let association = hcl::association("this", CLUSTER, "carts", "carts")
        .string("role_arn", &role_arn(role))
        .arg("disable_session_tags", true)
        .lines(args);
    format!("{}{association}", hcl::provider())
}

/// A policy document in HCL with these statements (HCL objects, comma-separated).
fn statements(list: &str) -> String {
    format!("jsonencode({{ Version = \"2012-10-17\", Statement = [{list}] }})")
}

/// A policy of one statement, `Effect = "Allow", Action = "s3:GetObject", Resource = "*"`, with
/// the members of `changes` (`Key = value` lines; `Key = null` removes one) replaced or added.
fn statement(changes: &str) -> String {
    let mut members: Vec<(String, String)> = [
        ("Effect", "\"Allow\""),
        ("Action", "\"s3:GetObject\""),
        ("Resource", "\"*\""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for line in changes.lines() {
        let (key, value) = line.split_once(" = ").expect("Key = value");
        members.retain(|(k, _)| k != key);
        if value != "null" {
            members.push((key.to_string(), value.to_string()));
        }
    }
    let body: Vec<String> = members.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    statements(&format!("{{ {} }}", body.join(", ")))
}

/// A document of `n` statements (68 characters each, white space not counted).
fn many_statements(n: usize) -> String {
    statements(&format!(
        "for i in range({n}) : {{ Sid = \"s${{i}}\", Effect = \"Allow\", Action = \"s3:GetObject\", Resource = \"*\" }}"
    ))
}

const INLINE: &str = "Invalid inline_policies[\"read\"] document";
const SESSION: &str = "Invalid policy";

/// (resource: "role" or "association", the policy's HCL expression, error summary, words of the
/// detail). Role rows put the document in `inline_policies["read"]`, association rows in
/// `policy`.
fn bad_policies() -> Vec<(&'static str, String, &'static str, &'static str)> {
    vec![
        ("role", statement("Effect = \"allow\""), INLINE, "IAM accepts exactly \"Allow\" or \"Deny\" (case matters): write \"Allow\"."),
        ("role", statement("Effect = \"ALLOW\""), INLINE, "write \"Allow\""),
        ("role", statement("Effect = \"Permit\""), INLINE, "\"Permit\", but IAM accepts exactly \"Allow\" or \"Deny\""),
        ("role", statement("Effect = null"), INLINE, "has no \"Effect\""),
        ("role", statement("").replace("2012-10-17", "2012-10-18"), INLINE, "\"2012-10-18\", which is not a policy language version"),
        ("role", statement("").replace("\"2012-10-17\"", "1"), INLINE, "\"Version\" is 1"),
        ("role", "jsonencode({ Version = \"2012-10-17\" })".into(), INLINE, "no \"Statement\""),
        ("role", statements(""), INLINE, "\"Statement\" is an empty list"),
        ("role", statements("\"s3:GetObject\""), INLINE, "statement 1 is a string, not an object"),
        ("role", statement("Action = null"), INLINE, "neither \"Action\" nor \"NotAction\""),
        ("role", statement("NotAction = \"s3:PutObject\""), INLINE, "both \"Action\" and \"NotAction\""),
        ("role", statement("Action = []"), INLINE, "empty \"Action\" list"),
        ("role", statement("Action = \"GetObject\""), INLINE, "without a service prefix"),
        ("role", statement("Resource = null"), INLINE, "neither \"Resource\" nor \"NotResource\""),
        ("role", statement("NotResource = \"arn:aws:s3:::logs\""), INLINE, "both \"Resource\" and \"NotResource\""),
        ("role", statement("Resource = \"my-bucket\""), INLINE, "neither \"*\" nor an ARN"),
        ("role", statement("Principal = { AWS = \"arn:aws:iam::123456789012:root\" }"), INLINE, "has \"Principal\", but an inline policy applies to its role"),
        ("role", statement("NotPrincipal = { Service = \"ec2.amazonaws.com\" }"), INLINE, "has \"NotPrincipal\", but an inline policy applies to its role"),
        ("role", statement("Condition = \"aws:SecureTransport\""), INLINE, "\"Condition\" as a string"),
        ("role", statement("Condition = { StringEquals = [\"a\"] }"), INLINE, "condition operator \"StringEquals\" with a list"),
        ("role", statement("Sid = \"read-all\""), INLINE, "only ASCII letters and digits in a Sid"),
        ("role", statements("{ Sid = \"Read\", Effect = \"Allow\", Action = \"s3:GetObject\", Resource = \"*\" }, { Sid = \"Read\", Effect = \"Deny\", Action = \"s3:PutObject\", Resource = \"*\" }"), INLINE, "statements 1 and 2 both have Sid \"Read\""),
        ("role", statement("").replace("Version =", "Comment = \"x\", Version ="), INLINE, "\"Comment\", which is not a policy element"),
        ("role", statement("Actions = \"s3:PutObject\""), INLINE, "\"Actions\", which is not a statement element"),
        ("role", many_statements(200), INLINE, "white space not counted"),
        ("role", "\"{not json\"".into(), INLINE, "not valid JSON"),
        ("association", statement("Effect = \"allow\""), SESSION, "(case matters): write \"Allow\"."),
        ("association", statement("Effect = \"Permit\""), SESSION, "\"Permit\", but IAM accepts exactly \"Allow\" or \"Deny\""),
        ("association", statement("").replace("2012-10-17", "2012-10-18"), SESSION, "not a policy language version"),
        ("association", statements(""), SESSION, "\"Statement\" is an empty list"),
        ("association", statement("Action = null"), SESSION, "neither \"Action\" nor \"NotAction\""),
        ("association", statement("Principal = \"*\""), SESSION, "has \"Principal\", but a session policy applies to the role session of the pods"),
        ("association", statement("Effect = \"Deny\"\nNotPrincipal = { AWS = \"arn:aws:iam::123456789012:root\" }"), SESSION, "has \"NotPrincipal\""),
        ("association", many_statements(40), SESSION, "at most 2048"),
        ("association", "\"{not json\"".into(), SESSION, "not valid JSON"),
    ]
}

#[test]
fn policy_documents_iam_refuses_fail_at_plan_without_any_iam_or_eks_call() {
    let rows = bad_policies();
    assert!(rows.len() >= 15);
    let stack = Stack::start();
    let tf = Terraform::new(&stack);
    stack.moto.clear_requests().expect("clear");
    stack.clear_eks_requests();
    tf.assert_plans_fail(rows.iter().map(|(resource, policy, summary, detail)| {
        let config = match *resource {
            "role" => role_with("shop", &format!("read = {policy}")),
            _ => association_config("shop", &format!("  policy = {policy}")),
        };
        (config, *summary, *detail)
    }));
    let iam_calls = stack.moto.actions("iam").expect("recording");
    assert!(iam_calls.is_empty(), "no IAM call: {iam_calls:?}");
    assert!(
        stack.eks_requests().is_empty(),
        "no EKS call: {:?}",
        stack.eks_operations()
    );
}

#[test]
fn role_inline_policy_effect_in_another_case_is_a_plan_error_not_an_empty_plan() {
    let stack = Stack::start();
    let tf = Terraform::new(&stack);
    tf.write_config(&role_with("shop", &format!("read = {READ_POLICY:?}")));
    tf.apply();
    tf.assert_plan_empty();
    let before = tf.resource(ROLE)["inline_policies"].clone();

    stack.moto.clear_requests().expect("clear");
    let lowercase = READ_POLICY.replace("\"Allow\"", "\"allow\"");
    tf.write_config(&role_with("shop", &format!("read = {lowercase:?}")));
    let out = tf.plan_fails();
    assert!(out.contains(INLINE), "{out}");
    assert!(
        out.contains("statement 1 has \"Effect\": \"allow\", but IAM accepts exactly \"Allow\" or \"Deny\" (case matters): write \"Allow\"."),
        "{out}"
    );
    let iam_calls = stack.moto.actions("iam").expect("recording");
    assert!(iam_calls.is_empty(), "no IAM call: {iam_calls:?}");
    assert_eq!(tf.resource(ROLE)["inline_policies"], before);
}

/// The attributes whose planned value differs from the prior one, in the plan of `address`.
fn changed_attributes(plan: &Value, address: &str) -> Vec<String> {
    let change =
        change_of(plan, address).unwrap_or_else(|| panic!("no change of {address}: {plan}"));
    harness::changed_attributes(change)
}

/// Plan: only `attributes` of `address` change; apply; the next plan is empty.
fn apply_only(tf: &Terraform, address: &str, attributes: &[&str]) {
    let plan = tf.plan_json();
    assert_eq!(changed_attributes(&plan, address), attributes);
    tf.apply();
    tf.assert_plan_empty();
}

#[test]
fn role_equivalent_inline_policy_stays_unchanged_next_to_a_real_change() {
    let stack = Stack::start();
    let tf = Terraform::new(&stack);
    tf.write_config(&role_with("shop", &format!("read = {READ_POLICY:?}")));
    tf.apply();
    let stored = tf.resource(ROLE)["inline_policies"].clone();

    // The same policy written another way: no change.
    tf.write_config(&role_with(
        "shop",
        &format!("read = {READ_POLICY_REWRITTEN}"),
    ));
    tf.assert_plan_empty();

    // A change made outside Terraform: only it shows, and the policy keeps its text.
    let iam = stack.iam();
    iam.run(
        iam.client
            .update_role()
            .role_name("shop-policies")
            .description("changed by hand")
            .max_session_duration(3600)
            .send(),
    );
    apply_only(&tf, ROLE, &["description"]);

    // A change in the configuration: the same.
    tf.write_config(&role_with(
        "shop pods",
        &format!("read = {READ_POLICY_REWRITTEN}"),
    ));
    apply_only(&tf, ROLE, &["description"]);
    assert_eq!(tf.resource(ROLE)["inline_policies"], stored);
}

#[test]
fn role_equivalent_inline_policy_next_to_a_change_of_another_inline_policy() {
    let stack = Stack::start();
    let tf = Terraform::new(&stack);
    tf.write_config(&role_with("shop", &format!("read = {READ_POLICY:?}")));
    tf.apply();
    tf.write_config(&role_with(
        "shop",
        &format!("read = {READ_POLICY_REWRITTEN}"),
    ));
    tf.assert_plan_empty();

    // Another inline policy added outside Terraform: Terraform plans inline_policies as a
    // whole, configured or as it was, so "read" shows with its configured text; the plan says
    // that only its text changes, and the apply removes the other one and leaves "read" alone.
    let iam = stack.iam();
    iam.run(
        iam.client
            .put_role_policy()
            .role_name("shop-policies")
            .policy_name("sneaky")
            .policy_document(READ_POLICY)
            .send(),
    );
    let plan = tf.plan();
    let out = plan.flat_output();
    assert!(
        out.contains("Warning: Only the text of inline policy \"read\" changes"),
        "{out}"
    );
    assert!(out.contains("sends nothing to IAM"), "{out}");
    stack.moto.clear_requests().expect("clear");
    tf.apply();
    let writes: Vec<String> = stack
        .moto
        .iam_writes()
        .expect("recording")
        .iter()
        .map(|r| r.action.clone())
        .collect();
    assert_eq!(writes, vec!["DeleteRolePolicy"]);
    tf.assert_plan_empty();
}

#[test]
fn role_trust_policy_rewritten_in_iam_stays_unchanged_next_to_a_real_change() {
    let stack = Stack::start();
    let tf = Terraform::new(&stack);
    tf.write_config(&role_config(
        "  name = \"shop-trust\"\n  description = \"shop\"\n  allowed_clusters = [\"shop-blue\"]",
    ));
    tf.apply();
    let trust = tf.resource(ROLE)["trust_policy"].clone();

    // IAM holds the same trust policy written another way, and another description.
    let rewritten = json!({
        "Statement": {
            "Condition": {"StringLike": {"aws:RequestTag/eks-cluster-name": "shop-blue"}},
            "Action": ["sts:TagSession", "sts:AssumeRole"],
            "Principal": {"Service": ["pods.eks.amazonaws.com"]},
            "Effect": "Allow"
        },
        "Version": "2012-10-17"
    });
    let iam = stack.iam();
    iam.run(
        iam.client
            .update_assume_role_policy()
            .role_name("shop-trust")
            .policy_document(rewritten.to_string())
            .send(),
    );
    tf.assert_plan_empty();
    iam.run(
        iam.client
            .update_role()
            .role_name("shop-trust")
            .description("changed by hand")
            .max_session_duration(3600)
            .send(),
    );
    apply_only(&tf, ROLE, &["description"]);
    assert_eq!(tf.resource(ROLE)["trust_policy"], trust);
}

#[test]
fn association_equivalent_policy_stays_unchanged_next_to_a_real_change() {
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    stack.create_pod_roles(&["shop", "orders"]);
    let tf = Terraform::new(&stack);
    tf.write_config(&association_config(
        "shop",
        &format!("  policy = {READ_POLICY:?}"),
    ));
    tf.apply();
    let stored = tf.resource(ASSOCIATION)["policy"].clone();

    tf.write_config(&association_config(
        "shop",
        &format!("  policy = {READ_POLICY_REWRITTEN}"),
    ));
    tf.assert_plan_empty();

    // The role changed outside Terraform: only role_arn shows.
    let eks = stack.eks_api();
    let id = tf.resource(ASSOCIATION)["association_id"]
        .as_str()
        .expect("association_id")
        .to_string();
    eks.run(
        eks.client
            .update_pod_identity_association()
            .cluster_name(CLUSTER)
            .association_id(&id)
            .role_arn(role_arn("orders"))
            .send(),
    );
    apply_only(&tf, ASSOCIATION, &["role_arn"]);

    // A change in the configuration: the same.
    tf.write_config(&association_config(
        "orders",
        &format!("  policy = {READ_POLICY_REWRITTEN}"),
    ));
    apply_only(&tf, ASSOCIATION, &["role_arn"]);
    assert_eq!(tf.resource(ASSOCIATION)["policy"], stored);
}
