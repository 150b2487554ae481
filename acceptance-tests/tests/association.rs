//! `aws_eks_pod_identity_association` and its data sources, through the real terraform CLI
//! against the EKS emulator (and moto for STS).

use std::fmt::Display;

use acceptance::harness::hcl::{self, role_arn as role, Block};
use acceptance::harness::{Stack, Terraform};
use serde_json::{json, Value};

const CLUSTER: &str = "shop-blue";

/// The association resource `this` of these tests: carts/carts in CLUSTER, no role yet.
fn carts() -> Block {
    hcl::association("this", CLUSTER, "carts", "carts")
}

/// [`carts`] with the role named `role_name`.
fn carts_with_role(role_name: &str) -> Block {
    carts().string("role_arn", &role(role_name))
}

/// The empty provider block, then `blocks`.
fn config(blocks: impl Display) -> String {
    format!("{}{blocks}", hcl::provider())
}

/// The roles these tests name, trusted by EKS Pod Identity.
const ROLES: &[&str] = &["shop", "shop-v2", "fresh", "orders", "carts"];

fn setup() -> (Stack, Terraform) {
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    stack.create_pod_roles(ROLES);
    let tf = Terraform::new(&stack);
    (stack, tf)
}

/// The id of association `this` in the state of `tf`.
fn association_id(tf: &Terraform) -> String {
    let state = tf.resource("aws_eks_pod_identity_association.this");
    state["association_id"]
        .as_str()
        .expect("association_id")
        .to_string()
}

/// Delete association `this` through the EKS API, as another tool would.
fn delete_out_of_band(stack: &Stack, tf: &Terraform) {
    let eks = stack.eks_api();
    eks.run(
        eks.client
            .delete_pod_identity_association()
            .cluster_name(CLUSTER)
            .association_id(association_id(tf))
            .send(),
    );
}

fn stored(stack: &Stack) -> Vec<Value> {
    stack.associations(CLUSTER)
}

#[test]
fn association_basic_create_import_destroy() {
    let (stack, tf) = setup();
    tf.write_config(&config(carts_with_role("shop")));
    tf.apply();
    tf.assert_plan_empty();

    let state = tf.resource("aws_eks_pod_identity_association.this");
    let id = state["association_id"]
        .as_str()
        .expect("association_id")
        .to_string();
    assert_eq!(state["id"], json!(id));
    assert!(id.starts_with("a-") && id.len() == 19, "{id}");
    assert_eq!(state["role_arn"], json!(role("shop")));
    assert_eq!(state["disable_session_tags"], json!(false));
    assert_eq!(state["external_id"], Value::Null);
    assert!(state["association_arn"]
        .as_str()
        .is_some_and(|a| a.ends_with(&format!(":podidentityassociation/{CLUSTER}/{id}"))));
    assert_eq!(stored(&stack).len(), 1);

    // Import by the hashicorp/aws ID form.
    tf.state_rm("aws_eks_pod_identity_association.this");
    tf.import(
        "aws_eks_pod_identity_association.this",
        &format!("{CLUSTER},{id}"),
    );
    tf.assert_plan_empty();
    assert_eq!(tf.resource("aws_eks_pod_identity_association.this"), state);

    // Import by cluster/namespace/service_account.
    tf.state_rm("aws_eks_pod_identity_association.this");
    tf.import(
        "aws_eks_pod_identity_association.this",
        &format!("{CLUSTER}/carts/carts"),
    );
    tf.assert_plan_empty();
    assert_eq!(tf.resource("aws_eks_pod_identity_association.this"), state);

    tf.destroy();
    assert!(stored(&stack).is_empty());
}

#[test]
fn association_read_is_one_describe_call() {
    let (stack, tf) = setup();
    tf.write_config(&config(carts_with_role("shop")));
    tf.apply();
    stack.clear_eks_requests();
    tf.assert_plan_empty();
    assert_eq!(
        stack.eks_operations(),
        vec!["DescribePodIdentityAssociation"]
    );
}

#[test]
fn association_import_errors_are_clear() {
    let (stack, tf) = setup();
    tf.write_config(&config(carts_with_role("shop")));
    let out = tf.import_fails("aws_eks_pod_identity_association.this", "shop-blue");
    assert!(out.contains("Invalid import ID"), "{out}");
    assert!(out.contains("cluster_name,association_id"), "{out}");
    let out = tf.import_fails(
        "aws_eks_pod_identity_association.this",
        "shop-blue/carts/nobody",
    );
    assert!(
        out.contains("Cannot import non-existent pod identity association"),
        "{out}"
    );
    let out = tf.import_fails(
        "aws_eks_pod_identity_association.this",
        "shop-blue,a-0000000000000000x",
    );
    assert!(
        out.contains("Cannot import non-existent pod identity association"),
        "{out}"
    );

    // Associations owned by an EKS add-on are not ours to manage.
    let owned = stack.create_addon_association(CLUSTER, "carts", "carts", &role("shop"));
    let owned_id = owned["associationId"].as_str().expect("id");
    let out = tf.import_fails(
        "aws_eks_pod_identity_association.this",
        &format!("{CLUSTER},{owned_id}"),
    );
    assert!(out.contains("owned by an EKS add-on"), "{out}");
    assert!(out.contains("addon/"), "names the owner: {out}");
}

#[test]
fn association_update_role_arn_in_place_and_namespace_replaces() {
    let (stack, tf) = setup();
    tf.write_config(&config(carts_with_role("shop")));
    tf.apply();
    let id = tf.resource("aws_eks_pod_identity_association.this")["association_id"].clone();

    tf.write_config(&config(carts_with_role("shop-v2")));
    let actions = tf.planned_actions();
    assert_eq!(
        actions.get("aws_eks_pod_identity_association.this"),
        Some(&vec!["update".to_string()]),
        "{actions:?}"
    );
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.resource("aws_eks_pod_identity_association.this");
    assert_eq!(
        state["association_id"], id,
        "same association, updated in place"
    );
    assert_eq!(stored(&stack)[0]["roleArn"], json!(role("shop-v2")));

    let moved = config(carts_with_role("shop-v2").string("namespace", "orders"));
    tf.write_config(&moved);
    let actions = tf.planned_actions();
    assert_eq!(
        actions.get("aws_eks_pod_identity_association.this"),
        Some(&vec!["delete".to_string(), "create".to_string()]),
        "{actions:?}"
    );
    tf.apply();
    tf.assert_plan_empty();
    let all = stored(&stack);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["namespace"], json!("orders"));
}

#[test]
fn association_target_role_is_really_cleared() {
    let (stack, tf) = setup();
    let target = "arn:aws:iam::111122223333:role/cross-account-reader";
    let with_target = || carts_with_role("shop").string("target_role_arn", target);
    tf.write_config(&config(with_target()));
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.resource("aws_eks_pod_identity_association.this");
    let external_id = state["external_id"]
        .as_str()
        .expect("external id with a target")
        .to_string();
    assert_eq!(stored(&stack)[0]["targetRoleArn"], json!(target));

    // A tag-only change keeps external_id known in the plan.
    let tags = r#"{ app = "carts" }"#;
    tf.write_config(&config(with_target().arg("tags", tags)));
    let plan = tf.plan_json();
    let change = &plan["resource_changes"][0]["change"];
    assert_eq!(change["actions"], json!(["update"]));
    assert_eq!(change["after"]["external_id"], json!(external_id));
    assert_ne!(change["after_unknown"]["external_id"], json!(true));
    tf.apply();

    // Removing target_role_arn clears it in EKS, not only in the state.
    tf.write_config(&config(carts_with_role("shop").arg("tags", tags)));
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored(&stack);
    assert!(
        stored[0].get("targetRoleArn").is_none_or(Value::is_null),
        "{stored:?}"
    );
    assert!(
        stored[0].get("externalId").is_none_or(Value::is_null),
        "{stored:?}"
    );
    let state = tf.resource("aws_eks_pod_identity_association.this");
    assert_eq!(state["target_role_arn"], Value::Null);
    assert_eq!(state["external_id"], Value::Null);
}

const SESSION_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"*"}]}"#;

#[test]
fn association_policy_with_disabled_session_tags() {
    let (stack, tf) = setup();
    let without_tags = || carts_with_role("shop").arg("disable_session_tags", true);
    let hcl = |policy_expr: &str| config(without_tags().arg("policy", policy_expr));
    tf.write_config(&hcl(&format!("jsonencode({})", hcl_policy())));
    tf.apply();
    tf.assert_plan_empty();
    let stored = stored(&stack);
    assert_eq!(stored[0]["disableSessionTags"], json!(true));
    assert!(stored[0]["policy"]
        .as_str()
        .is_some_and(|p| p.contains("dynamodb:GetItem")));

    // The same policy, reordered and reformatted: no diff.
    let reordered = r#"<<-EOT
    {
      "Statement": {
        "Resource": "*",
        "Action": ["dynamodb:Query", "dynamodb:GetItem"],
        "Effect": "Allow"
      },
      "Version": "2012-10-17"
    }
    EOT"#;
    tf.write_config(&hcl(reordered));
    tf.assert_plan_empty();

    // A real change is an in-place update.
    tf.write_config(&hcl(&format!(
        "{:?}",
        SESSION_POLICY.replace("dynamodb:Query", "dynamodb:Scan")
    )));
    assert_eq!(
        tf.planned_actions()
            .get("aws_eks_pod_identity_association.this"),
        Some(&vec!["update".to_string()])
    );
    tf.apply();
    tf.assert_plan_empty();

    // Removing the policy clears it.
    tf.write_config(&config(without_tags()));
    tf.apply();
    tf.assert_plan_empty();
    assert!(stack.associations(CLUSTER)[0]
        .get("policy")
        .is_none_or(Value::is_null));
}

fn hcl_policy() -> &'static str {
    r#"{
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:Query"]
      Resource = "*"
    }]
  }"#
}

#[test]
fn association_policy_without_disabled_session_tags_fails_at_plan() {
    let (stack, tf) = setup();
    let policy = format!("{SESSION_POLICY:?}");
    tf.write_config(&config(carts_with_role("shop").arg("policy", policy)));
    let out = tf.plan_fails();
    assert!(
        out.contains("policy requires disable_session_tags = true"),
        "{out}"
    );
    assert!(out.contains("policy"), "{out}");
    assert!(stack.eks_requests().is_empty());
}

#[test]
fn association_tags_with_default_tags() {
    let (stack, tf) = setup();
    let with = |provider_extra: &str, tags: &str| {
        let provider = hcl::provider().lines(provider_extra);
        format!("{provider}{}", carts_with_role("shop").lines(tags))
    };
    let defaults = "  default_tags {\n    tags = { team = \"platform\", env = \"prod\" }\n  }";

    tf.write_config(&with(
        defaults,
        "  tags = { app = \"carts\", env = \"staging\", owner = \"alice\" }",
    ));
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.resource("aws_eks_pod_identity_association.this");
    assert_eq!(
        state["tags"],
        json!({"app": "carts", "env": "staging", "owner": "alice"})
    );
    assert_eq!(
        state["tags_all"],
        json!({"app": "carts", "env": "staging", "owner": "alice", "team": "platform"})
    );
    assert_eq!(
        stored(&stack)[0]["tags"],
        json!({"app": "carts", "env": "staging", "owner": "alice", "team": "platform"})
    );

    // Change one tag, remove another: TagResource / UntagResource, no Update call.
    stack.clear_eks_requests();
    tf.write_config(&with(defaults, "  tags = { app = \"carts-v2\" }"));
    tf.apply();
    tf.assert_plan_empty();
    let ops = stack.eks_operations();
    assert!(ops.contains(&"TagResource".to_string()), "{ops:?}");
    assert!(ops.contains(&"UntagResource".to_string()), "{ops:?}");
    assert!(
        !ops.contains(&"UpdatePodIdentityAssociation".to_string()),
        "{ops:?}"
    );
    assert_eq!(
        stored(&stack)[0]["tags"],
        json!({"app": "carts-v2", "env": "prod", "team": "platform"})
    );

    // Remove all resource tags: only the defaults remain.
    tf.write_config(&with(defaults, ""));
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        stored(&stack)[0]["tags"],
        json!({"env": "prod", "team": "platform"})
    );
    let state = tf.resource("aws_eks_pod_identity_association.this");
    assert_eq!(state["tags"], Value::Null);

    // Remove the defaults too.
    tf.write_config(&with("", ""));
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(stored(&stack)[0]["tags"], json!({}));
}

#[test]
fn association_disappears_and_is_planned_again() {
    let (stack, tf) = setup();
    tf.write_config(&config(carts_with_role("shop")));
    tf.apply();

    // Deleted out of band: delete the cluster's associations by recreating the cluster is not
    // what we want; delete just this one through the EKS API as another tool would.
    delete_out_of_band(&stack, &tf);
    let actions = tf.planned_actions();
    assert_eq!(
        actions.get("aws_eks_pod_identity_association.this"),
        Some(&vec!["create".to_string()]),
        "{actions:?}"
    );
    let plan = tf.run(&["plan", "-input=false"]);
    assert!(
        plan.flat_output()
            .contains("Pod identity association not found"),
        "warning shown: {}",
        plan.output()
    );
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(stored(&stack).len(), 1);
}

#[test]
fn association_cluster_deleted_then_refresh_and_destroy_succeed() {
    let (stack, tf) = setup();
    tf.write_config(&config(carts_with_role("shop")));
    tf.apply();
    stack.delete_cluster(CLUSTER);
    tf.refresh();
    assert_eq!(
        tf.resource("aws_eks_pod_identity_association.this"),
        Value::Null,
        "dropped from state"
    );
    tf.destroy();
}

#[test]
fn association_destroy_tolerates_not_found() {
    let (stack, tf) = setup();
    tf.write_config(&config(carts_with_role("shop")));
    tf.apply();
    delete_out_of_band(&stack, &tf);
    // -refresh=false: the delete itself meets the missing association.
    let run = tf.run(&["destroy", "-auto-approve", "-input=false", "-refresh=false"]);
    assert!(run.success(), "{}", run.output());
}

#[test]
fn association_duplicate_names_the_existing_one_and_the_import_command() {
    let (stack, tf) = setup();
    let other = Terraform::new(&stack);
    other.write_config(&config(carts_with_role("shop")));
    other.apply();
    let existing = association_id(&other);

    tf.write_config(&config(carts_with_role("shop")));
    let out = tf.apply_fails();
    assert!(
        out.contains(&format!(
            "already has a pod identity association ({existing})"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "terraform import aws_eks_pod_identity_association.NAME {CLUSTER},{existing}"
        )),
        "{out}"
    );
    assert_eq!(stored(&stack).len(), 1);
    assert_eq!(
        tf.resource("aws_eks_pod_identity_association.this"),
        Value::Null
    );
}

#[test]
fn association_create_survives_iam_propagation_errors() {
    let (stack, tf) = setup();
    stack.inject_fault(json!({"kind": "role_not_found", "role_arn": role("fresh"), "count": 3}));
    tf.write_config(&config(carts_with_role("fresh")));
    tf.apply();
    tf.assert_plan_empty();
    let creates = stack
        .eks_requests()
        .iter()
        .filter(|r| r["operation"] == "CreatePodIdentityAssociation")
        .map(|r| r["status"].as_u64().unwrap_or_default())
        .collect::<Vec<_>>();
    assert_eq!(creates, vec![400, 400, 400, 200]);
    assert_eq!(stored(&stack).len(), 1);
}

#[test]
fn association_update_survives_iam_propagation_errors() {
    let (stack, tf) = setup();
    tf.write_config(&config(carts_with_role("shop")));
    tf.apply();
    stack.inject_fault(json!({"kind": "role_not_found", "role_arn": role("fresh"), "count": 2}));
    tf.write_config(&config(carts_with_role("fresh")));
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(stored(&stack)[0]["roleArn"], json!(role("fresh")));
}

#[test]
fn association_create_whose_response_is_lost_is_not_duplicated() {
    let (stack, tf) = setup();
    stack.inject_fault(json!({"kind": "drop_after_commit", "operation": "CreatePodIdentityAssociation", "count": 1}));
    tf.write_config(&config(carts_with_role("shop")));
    tf.apply();
    tf.assert_plan_empty();
    let all = stored(&stack);
    assert_eq!(all.len(), 1, "exactly one association: {all:?}");
    let creates = stack
        .eks_requests()
        .iter()
        .filter(|r| r["operation"] == "CreatePodIdentityAssociation")
        .count();
    assert!(creates >= 2, "the create was retried with the same token");
    assert_eq!(
        tf.resource("aws_eks_pod_identity_association.this")["association_id"],
        all[0]["associationId"]
    );
}

#[test]
fn association_role_from_another_account_is_refused_at_plan() {
    let (stack, tf) = setup();
    let elsewhere = "arn:aws:iam::111122223333:role/elsewhere";
    tf.write_config(&config(carts().string("role_arn", elsewhere)));
    let out = tf.plan_fails();
    assert!(out.contains("Invalid role_arn"), "{out}");
    assert!(
        out.contains("target_role_arn"),
        "suggests the cross-account way: {out}"
    );
    assert!(stack.eks_requests().is_empty());
}

/// (argument lines, expected words in the error, attribute named)
const BAD_INPUTS: &[(&str, &str, &str)] = &[
    ("namespace = \"Carts\"", "Invalid namespace", "DNS-1123 label"),
    ("namespace = \"carts_ns\"", "Invalid namespace", "DNS-1123 label"),
    ("namespace = \"-carts\"", "Invalid namespace", "DNS-1123 label"),
    ("namespace = \"\"", "Invalid namespace", "DNS-1123 label"),
    ("namespace = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "Invalid namespace", "at most 63"),
    ("service_account = \"Carts\"", "Invalid service_account", "DNS-1123 subdomain"),
    ("service_account = \"carts..sa\"", "Invalid service_account", "DNS-1123 subdomain"),
    ("service_account = \"carts sa\"", "Invalid service_account", "DNS-1123 subdomain"),
    ("service_account = \"carts-\"", "Invalid service_account", "DNS-1123 subdomain"),
    ("cluster_name = \"-shop\"", "Invalid cluster_name", "EKS cluster name"),
    ("cluster_name = \"shop.blue\"", "Invalid cluster_name", "EKS cluster name"),
    ("role_arn = \"shop\"", "Invalid role_arn", "IAM role ARN"),
    ("role_arn = \"arn:aws:iam::123456789012:user/shop\"", "Invalid role_arn", "IAM role ARN"),
    ("role_arn = \"arn:aws:iam::12345:role/shop\"", "Invalid role_arn", "IAM role ARN"),
    ("role_arn = \"arn:aws:s3:::shop\"", "Invalid role_arn", "IAM role ARN"),
    ("role_arn = \"arn:aws:iam::123456789012:role/has space\"", "Invalid role_arn", "IAM role ARN"),
    ("target_role_arn = \"arn:aws:iam::111122223333:policy/x\"", "Invalid target_role_arn", "IAM role ARN"),
    ("disable_session_tags = true\n  policy = \"{not json\"", "Invalid policy", "not valid JSON"),
    ("disable_session_tags = true\n  policy = \"[]\"", "Invalid policy", "JSON object"),
    ("disable_session_tags = true\n  policy = \"{\\\"Version\\\":\\\"2012-10-17\\\"}\"", "Invalid policy", "Statement"),
    ("tags = { \"aws:owner\" = \"x\" }", "Invalid tags key", "reserved for AWS"),
    ("tags = { \"\" = \"x\" }", "Invalid tags key", "1 to 128"),
    ("tags = { k = \"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\" }", "Invalid tags value", "at most 256"),
    ("tags = { \"bad*key\" = \"x\" }", "Invalid tags key", "characters AWS does not allow"),
    ("tags = { for i in range(51) : \"k${i}\" => \"v\" }", "Invalid tags", "at most 50"),
];

/// The base association with each `key = value` line of `lines` replacing its argument or
/// added.
fn with_argument(lines: &str) -> Block {
    lines
        .split('\n')
        .map(|line| line.split_once('=').expect("key = value"))
        .fold(carts_with_role("shop"), |block, (key, value)| {
            block.arg(key.trim(), value.trim())
        })
}

#[test]
fn association_bad_inputs_fail_at_plan_without_any_eks_call() {
    assert!(BAD_INPUTS.len() >= 20);
    let (stack, tf) = setup();
    tf.assert_plans_fail(
        BAD_INPUTS
            .iter()
            .map(|(line, summary, detail)| (config(with_argument(line)), *summary, *detail)),
    );
    assert!(
        stack.eks_requests().is_empty(),
        "no EKS call: {:?}",
        stack.eks_operations()
    );
}

#[test]
fn association_data_source_finds_one_association() {
    let (stack, tf) = setup();
    let reader_role = "arn:aws:iam::111122223333:role/reader";
    let carts = carts_with_role("shop")
        .string("target_role_arn", reader_role)
        .arg("tags", r#"{ app = "carts" }"#);
    tf.write_config(&config(carts));
    tf.apply();
    let created = tf.resource("aws_eks_pod_identity_association.this");

    let reader = Terraform::new(&stack);
    let lookup = |name: &str, service_account: &str| {
        config(hcl::association_data_source(
            name,
            CLUSTER,
            "carts",
            service_account,
        ))
    };
    reader.write_config(&lookup("carts", "carts"));
    reader.apply();
    let found = reader.resource("data.aws_eks_pod_identity_association.carts");
    for key in [
        "association_id",
        "association_arn",
        "role_arn",
        "target_role_arn",
        "external_id",
    ] {
        assert_eq!(found[key], created[key], "{key}");
    }
    assert_eq!(found["tags"], json!({"app": "carts"}));
    assert_eq!(found["disable_session_tags"], json!(false));

    reader.write_config(&lookup("nobody", "nobody"));
    let out = reader.plan_fails();
    assert!(out.contains("Pod identity association not found"), "{out}");
    assert!(out.contains("carts/nobody"), "{out}");
}

#[test]
fn associations_data_source_pages_through_every_association() {
    let (stack, tf) = setup();
    // 105 associations: more than one page of ListPodIdentityAssociations (at most 100 a page).
    tf.write_config(&config(format!(
        r#"
resource "aws_eks_pod_identity_association" "many" {{
  provider        = podidentity
  count           = 105
  cluster_name    = "{CLUSTER}"
  namespace       = count.index < 5 ? "orders" : "carts"
  service_account = "sa-${{format("%03d", count.index)}}"
  role_arn        = count.index < 5 ? "{}" : "{}"
}}
"#,
        role("orders"),
        role("carts")
    )));
    let run = tf.run(&["apply", "-auto-approve", "-input=false", "-parallelism=20"]);
    assert!(run.success(), "{}", run.output());
    assert_eq!(stored(&stack).len(), 105);

    let reader = Terraform::new(&stack);
    let listing = |name: &str| hcl::associations_data_source(name, CLUSTER);
    reader.write_config(&config(format!(
        "{}{}{}",
        listing("all"),
        listing("orders").string("namespace", "orders"),
        listing("one").string("service_account", "sa-042")
    )));
    stack.clear_eks_requests();
    reader.apply();
    let all = reader.resource("data.aws_eks_pod_identity_associations.all");
    let list = all["associations"].as_array().expect("list");
    assert_eq!(list.len(), 105);
    assert_eq!(list[0]["namespace"], json!("carts"), "ordered by namespace");
    assert!(list.iter().all(|a| a["role_arn"]
        .as_str()
        .is_some_and(|r| r.starts_with("arn:aws:iam::"))));
    assert_eq!(
        list.iter()
            .filter(|a| a["role_arn"] == json!(role("orders")))
            .count(),
        5
    );
    let list_pages = stack
        .eks_requests()
        .iter()
        .filter(|r| {
            r["operation"] == "ListPodIdentityAssociations"
                && r["query"]
                    .as_str()
                    .is_some_and(|q| !q.contains("namespace="))
                && r["query"]
                    .as_str()
                    .is_some_and(|q| !q.contains("serviceAccount="))
        })
        .count();
    assert_eq!(list_pages, 2, "the unfiltered listing took two pages");

    let orders = reader.resource("data.aws_eks_pod_identity_associations.orders");
    assert_eq!(orders["associations"].as_array().map(Vec::len), Some(5));
    assert!(orders["associations"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|a| a["namespace"] == json!("orders") && a["role_arn"] == json!(role("orders"))));
    let one = reader.resource("data.aws_eks_pod_identity_associations.one");
    assert_eq!(one["associations"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["associations"][0]["service_account"], json!("sa-042"));
    assert_eq!(one["associations"][0]["owner_arn"], Value::Null);
}

#[test]
fn associations_data_source_on_a_missing_cluster_fails() {
    let (_stack, tf) = setup();
    tf.write_config(&config(hcl::associations_data_source("all", "shop-gone")));
    let out = tf.plan_fails();
    assert!(out.contains("Cluster not found"), "{out}");
    assert!(out.contains("shop-gone"), "{out}");
}
