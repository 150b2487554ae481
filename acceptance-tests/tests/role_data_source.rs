//! Data source `aws_eks_pod_identity_role`: how the cluster states find the shared role.

use acceptance::harness::{hcl, Stack, Terraform, ACCOUNT_ID};
use serde_json::{json, Value};

/// The role data source `shared`, finding role `name`.
fn lookup(name: &str) -> String {
    format!(
        "{}{}",
        hcl::provider(),
        hcl::role_data_source("shared", name)
    )
}

/// Create a role directly in IAM with this trust policy.
fn create_role(stack: &Stack, name: &str, trust: Value) {
    let iam = stack.iam();
    iam.run(
        iam.client
            .create_role()
            .role_name(name)
            .path("/platform/")
            .assume_role_policy_document(trust.to_string())
            .send(),
    );
}

fn trust(principal: Value, action: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action}]})
}

const DYNAMODB_READ: &str = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess";
const S3_READ: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const BOUNDARY: &str = "arn:aws:iam::aws:policy/PowerUserAccess";

/// The elements of a JSON array, sorted (a set as the state shows it).
fn sorted(value: &Value) -> Vec<String> {
    let mut items: Vec<String> = value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect();
    items.sort();
    items
}

#[test]
fn a_role_made_by_the_resource_resolves() {
    let stack = Stack::start();
    let common = Terraform::new(&stack);
    let provider = hcl::provider().lines(
        r#"  default_tags {
    tags = { team = "platform" }
  }"#,
    );
    let role = hcl::role("shared")
        .string("name", "shop-dynamodb-read")
        .string("path", "/shop/")
        .string("description", "DynamoDB read access for the shop app pods")
        .arg("max_session_duration", 7200)
        .string("permissions_boundary", BOUNDARY)
        .arg(
            "policy_arns",
            format!(r#"["{DYNAMODB_READ}", "{S3_READ}"]"#),
        )
        .arg("tags", r#"{ app = "shop" }"#)
        .arg("allowed_clusters", r#"["shop-*"]"#);
    common.write_config(&format!("{provider}{role}"));
    common.apply();
    let role = common.resource("aws_eks_pod_identity_role.shared");

    // Another state, without default_tags, reads every tag the role has.
    let cluster = Terraform::new(&stack);
    cluster.write_config(&lookup("shop-dynamodb-read"));
    stack.moto.clear_requests().expect("clear");
    cluster.apply();
    let found = cluster.resource("data.aws_eks_pod_identity_role.shared");
    for key in [
        "arn",
        "name",
        "path",
        "description",
        "max_session_duration",
        "permissions_boundary",
        "unique_id",
        "create_date",
        "trust_policy",
    ] {
        assert_eq!(found[key], role[key], "{key}");
    }
    assert_eq!(found["id"], json!("shop-dynamodb-read"));
    assert_eq!(found["path"], json!("/shop/"));
    assert_eq!(
        found["description"],
        json!("DynamoDB read access for the shop app pods")
    );
    assert_eq!(found["max_session_duration"], json!(7200));
    assert_eq!(found["permissions_boundary"], json!(BOUNDARY));
    assert_eq!(sorted(&found["policy_arns"]), [DYNAMODB_READ, S3_READ]);
    assert_eq!(sorted(&found["policy_arns"]), sorted(&role["policy_arns"]));
    assert_eq!(found["tags"], json!({"app": "shop", "team": "platform"}));
    assert_eq!(found["tags"], role["tags_all"], "the resource's tags_all");
    assert!(
        found["create_date"]
            .as_str()
            .is_some_and(|d| d.len() >= 20 && d.ends_with('Z')),
        "RFC 3339: {}",
        found["create_date"]
    );
    let iam = stack.moto.actions("iam").expect("recording");
    assert_eq!(
        iam,
        vec!["GetRole", "ListAttachedRolePolicies"],
        "one GetRole and one page of attached policies, nothing written"
    );
}

#[test]
fn a_role_trusted_by_pods_with_wildcard_actions_resolves() {
    let stack = Stack::start();
    create_role(
        &stack,
        "made-by-hand",
        trust(
            json!({"Service": ["ec2.amazonaws.com", "pods.eks.amazonaws.com"]}),
            json!("sts:*"),
        ),
    );
    let tf = Terraform::new(&stack);
    tf.write_config(&lookup("made-by-hand"));
    tf.apply();
    let found = tf.resource("data.aws_eks_pod_identity_role.shared");
    assert_eq!(
        found["arn"],
        json!(format!(
            "arn:aws:iam::{ACCOUNT_ID}:role/platform/made-by-hand"
        ))
    );
    assert_eq!(found["path"], json!("/platform/"));
    // What IAM gives a role made with nothing but a trust policy.
    assert_eq!(found["description"], Value::Null);
    assert_eq!(found["max_session_duration"], json!(3600));
    assert_eq!(found["permissions_boundary"], Value::Null);
    assert_eq!(found["policy_arns"], json!([]));
    assert_eq!(found["tags"], json!({}));
    let doc: Value =
        serde_json::from_str(found["trust_policy"].as_str().expect("doc")).expect("json");
    assert_eq!(
        doc["Statement"][0]["Action"],
        json!("sts:*"),
        "decoded document"
    );
}

/// Look up a role made in IAM with this trust policy, expecting the plan to fail; its output.
fn lookup_fails(name: &str, trust_policy: Value) -> String {
    let stack = Stack::start();
    create_role(&stack, name, trust_policy);
    let tf = Terraform::new(&stack);
    tf.write_config(&lookup(name));
    tf.plan_fails()
}

#[test]
fn a_role_trusting_another_principal_fails_at_plan() {
    let out = lookup_fails(
        "ec2-role",
        trust(
            json!({"Service": "ec2.amazonaws.com"}),
            json!("sts:AssumeRole"),
        ),
    );
    assert!(
        out.contains("IAM role ec2-role cannot be used by EKS Pod Identity"),
        "{out}"
    );
    assert!(
        out.contains("no Allow statement trusts the service principal pods.eks.amazonaws.com; it trusts: ec2.amazonaws.com"),
        "{out}"
    );
}

#[test]
fn a_role_without_tag_session_fails_at_plan() {
    let out = lookup_fails(
        "no-tags",
        trust(
            json!({"Service": "pods.eks.amazonaws.com"}),
            json!("sts:AssumeRole"),
        ),
    );
    assert!(
        out.contains(
            "the trust policy allows pods.eks.amazonaws.com sts:AssumeRole but not sts:TagSession"
        ),
        "{out}"
    );
}

#[test]
fn a_missing_role_or_a_bad_name_fails_at_plan() {
    let stack = Stack::start();
    let tf = Terraform::new(&stack);
    tf.write_config(&lookup("nobody"));
    let out = tf.plan_fails();
    assert!(out.contains("IAM role nobody not found"), "{out}");
    assert!(
        out.contains("common state"),
        "says where the role should come from: {out}"
    );

    tf.write_config(&lookup("bad name"));
    let run = tf.validate();
    assert!(!run.success());
    assert!(
        run.flat_output().contains("Invalid name"),
        "{}",
        run.output()
    );
}
