//! Associations an EKS add-on owns, as the associations data source and the association
//! resource see them: listed with their owner and add-on, told apart by a filter, and never
//! changed through the resource.

use acceptance::harness::{hcl, Stack, Terraform};
use serde_json::{json, Value};

const CLUSTER: &str = "shop-blue";

#[test]
fn associations_data_source_tells_add_on_associations_apart() {
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    stack.create_pod_roles(&["ebs-csi", "carts"]);
    let owned = stack.create_addon_association(
        CLUSTER,
        "kube-system",
        "ebs-csi-controller-sa",
        &hcl::role_arn("ebs-csi"),
    );
    let owner = owned["ownerArn"].as_str().expect("ownerArn").to_string();
    let tf = Terraform::new(&stack);
    let listing = |name: &str| hcl::associations_data_source(name, CLUSTER);
    tf.write_config(&format!(
        "{}{}{}{}{}",
        hcl::provider(),
        hcl::association("carts", CLUSTER, "carts", "carts")
            .string("role_arn", &hcl::role_arn("carts")),
        listing("all").arg("depends_on", "[aws_eks_pod_identity_association.carts]"),
        listing("addons")
            .arg("owned_by_addon", "true")
            .arg("depends_on", "[aws_eks_pod_identity_association.carts]"),
        listing("mine")
            .arg("owned_by_addon", "false")
            .arg("depends_on", "[aws_eks_pod_identity_association.carts]"),
    ));
    tf.apply();

    let entries = |name: &str| -> Vec<Value> {
        tf.resource(&format!("data.aws_eks_pod_identity_associations.{name}"))["associations"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let all = entries("all");
    assert_eq!(all.len(), 2, "{all:?}");
    let addon = &all[1];
    assert_eq!(addon["namespace"], json!("kube-system"));
    assert_eq!(addon["owner_arn"], json!(owner));
    assert_eq!(addon["addon_name"], json!("aws-ebs-csi-driver"));
    assert_eq!(all[0]["owner_arn"], Value::Null);
    assert_eq!(all[0]["addon_name"], Value::Null);

    let addons = entries("addons");
    assert_eq!(addons.len(), 1);
    assert_eq!(addons[0]["service_account"], json!("ebs-csi-controller-sa"));
    let mine = entries("mine");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["service_account"], json!("carts"));
    tf.assert_plan_empty();

    // Taking the add-on's association over through the resource is still refused.
    let owned_id = owned["associationId"].as_str().expect("id");
    let taker = Terraform::new(&stack);
    taker.write_config(&format!(
        "{}{}",
        hcl::provider(),
        hcl::association("this", CLUSTER, "kube-system", "ebs-csi-controller-sa")
            .string("role_arn", &hcl::role_arn("ebs-csi")),
    ));
    let out = taker.import_fails(
        "aws_eks_pod_identity_association.this",
        &format!("{CLUSTER},{owned_id}"),
    );
    assert!(out.contains("owned by an EKS add-on"), "{out}");
}
