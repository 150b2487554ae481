//! What a plan says, through the real terraform CLI: only real changes, in the attribute where
//! they are, and messages that say what is true (lengths, what a plan saves, what to do with an
//! object that was never in the state, which checks were skipped).

use acceptance::harness::{flatten, hcl, Stack, Terraform, ACCOUNT_ID};
use serde_json::{json, Value};

const CLUSTER: &str = "shop-blue";

fn stack() -> Stack {
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    stack.create_pod_role("shop");
    stack
}

fn association() -> String {
    hcl::association("this", CLUSTER, "app", "app-sa")
        .string("role_arn", &hcl::role_arn("shop"))
        .to_string()
}

/// The planned change of `address`: (before, after).
fn change(tf: &Terraform, address: &str) -> (Value, Value) {
    let plan = tf.plan_json();
    let changes = plan["resource_changes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let found = changes
        .iter()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("{address} is not in the plan: {plan}"));
    (
        found["change"]["before"].clone(),
        found["change"]["after"].clone(),
    )
}

#[test]
fn renaming_a_default_tag_key_changes_tags_all_only() {
    let stack = stack();
    let tf = Terraform::new(&stack);
    let with_default = |key: &str| {
        format!(
            "{}{}",
            hcl::provider().lines(&format!(
                "  default_tags {{\n    tags = {{ \"{key}\" = \"cc-1234\" }}\n  }}"
            )),
            hcl::role("shared")
                .string("name", "shop-shared")
                .arg("tags", "{ team = \"shop\" }"),
        )
    };
    tf.write_config(&with_default("cost-center"));
    tf.apply();
    tf.assert_plan_empty();

    tf.write_config(&with_default("costcenter"));
    let (before, after) = change(&tf, "aws_eks_pod_identity_role.shared");
    assert_eq!(before["tags"], json!({"team": "shop"}), "{before}");
    assert_eq!(
        after["tags"],
        json!({"team": "shop"}),
        "tags is not changed"
    );
    assert_eq!(
        before["tags_all"],
        json!({"team": "shop", "cost-center": "cc-1234"})
    );
    assert_eq!(
        after["tags_all"],
        json!({"team": "shop", "costcenter": "cc-1234"})
    );
    tf.apply();
    tf.assert_plan_empty();
    let role = stack.iam();
    let tags = role.run(role.client.list_role_tags().role_name("shop-shared").send());
    let keys: Vec<&str> = tags.tags().iter().map(|t| t.key()).collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        keys.contains(&"costcenter") && keys.contains(&"team"),
        "{keys:?}"
    );
}

#[test]
fn a_role_name_too_long_says_how_long_it_is() {
    let stack = stack();
    let tf = Terraform::new(&stack);
    let name = "shop-".repeat(14);
    stack.moto.clear_requests().expect("moto recording");
    tf.write_config(&format!(
        "{}{}",
        hcl::provider(),
        hcl::role("long").string("name", &name)
    ));
    let out = flatten(&tf.plan_fails());
    assert!(
        out.contains(&format!(
            "\"{name}\" is 70 characters long; an IAM role name may have at most 64."
        )),
        "{out}"
    );
    assert!(stack.moto.iam_writes().expect("moto recording").is_empty());
}

#[test]
fn a_refresh_only_plan_does_not_claim_to_have_changed_the_state() {
    let stack = stack();
    let tf = Terraform::new(&stack);
    tf.write_config(&format!("{}{}", hcl::provider(), association()));
    tf.apply();
    let id = tf.resource("aws_eks_pod_identity_association.this")["association_id"]
        .as_str()
        .expect("association_id")
        .to_string();
    let eks = stack.eks_api();
    eks.run(
        eks.client
            .delete_pod_identity_association()
            .cluster_name(CLUSTER)
            .association_id(&id)
            .send(),
    );

    let run = tf.run(&["plan", "-refresh-only", "-input=false", "-no-color"]);
    assert!(run.success(), "{}", run.output());
    let out = flatten(&run.output());
    assert!(
        out.contains(&format!(
            "Association {id} of cluster {CLUSTER} no longer exists"
        )),
        "{out}"
    );
    assert!(
        out.contains("Applying this run removes it from the state (a plan alone changes nothing)"),
        "{out}"
    );
    assert!(!out.contains("It was removed from the state"), "{out}");
    // And indeed the plan saved nothing.
    assert_eq!(
        tf.resource("aws_eks_pod_identity_association.this")["association_id"],
        json!(id)
    );
}

#[test]
fn an_add_on_association_refused_at_import_is_not_sent_to_state_rm() {
    let stack = stack();
    let tf = Terraform::new(&stack);
    tf.write_config(&format!("{}{}", hcl::provider(), association()));
    let owned =
        stack.create_addon_association(CLUSTER, "kube-system", "ebs-csi", &hcl::role_arn("shop"));
    let owned_id = owned["associationId"].as_str().expect("id");
    let out = flatten(&tf.import_fails(
        "aws_eks_pod_identity_association.this",
        &format!("{CLUSTER},{owned_id}"),
    ));
    assert!(
        out.contains("Association owned by an EKS add-on cannot be imported"),
        "{out}"
    );
    assert!(out.contains("remove the import block"), "{out}");
    assert!(
        !out.contains("state rm"),
        "it was never in the state: {out}"
    );
}

#[test]
fn skipping_credentials_validation_says_role_arn_was_not_checked() {
    let stack = stack();
    let tf = Terraform::new(&stack);
    tf.write_config(&format!(
        "{}{}",
        hcl::provider().lines("  skip_credentials_validation = true"),
        // A role of another account: with the account known, the plan would refuse it.
        hcl::association("this", CLUSTER, "app", "app-sa")
            .string("role_arn", "arn:aws:iam::210987654321:role/shop"),
    ));
    let out = flatten(&tf.plan().output());
    assert!(
        out.contains("Warning: role_arn not checked: skip_credentials_validation = true"),
        "{out}"
    );
    assert!(
        out.contains("arn:aws:iam::210987654321:role/shop is in the cluster's account"),
        "{out}"
    );

    // With the account known, the same plan fails on the account.
    tf.write_config(&format!(
        "{}{}",
        hcl::provider(),
        hcl::association("this", CLUSTER, "app", "app-sa")
            .string("role_arn", "arn:aws:iam::210987654321:role/shop"),
    ));
    let out = flatten(&tf.plan_fails());
    assert!(out.contains(&format!("account {ACCOUNT_ID}")), "{out}");
}
