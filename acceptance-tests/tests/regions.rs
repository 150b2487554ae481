//! The `region` argument: one provider block managing clusters in two regions (the
//! `examples/multi-region` configuration), import IDs with `@region`, a region checked at plan,
//! a change of region planned as a replacement. Through the real terraform CLI against the EKS
//! emulator, which keeps one world per region and takes a request's region from its signature.

use std::collections::BTreeSet;

use acceptance::harness::{hcl, workspace_root, Stack, Terraform, REGION};
use eks_emulator::client::Admin;
use serde_json::Value;

const BLUE: &str = "shop-blue";
const GREEN: &str = "shop-green";
const GREEN_REGION: &str = "us-west-2";

/// The emulator's admin API in `region`.
fn admin_in(stack: &Stack, region: &str) -> Admin {
    Admin::new(stack.eks.url()).in_region(region)
}

/// A stack with BLUE in the provider's region and GREEN in GREEN_REGION.
fn two_region_stack() -> Stack {
    let stack = Stack::start();
    stack.create_cluster(BLUE);
    admin_in(&stack, GREEN_REGION)
        .create_cluster(GREEN)
        .expect("green cluster");
    stack
}

/// The regions the requests about `cluster` were signed for.
fn signed_regions(stack: &Stack, cluster: &str) -> BTreeSet<String> {
    stack
        .eks_requests()
        .iter()
        .filter(|r| r["cluster"] == cluster)
        .map(|r| r["region"].as_str().unwrap_or("(unsigned)").to_string())
        .collect()
}

fn associations_in(stack: &Stack, region: &str, cluster: &str) -> Vec<Value> {
    admin_in(stack, region)
        .associations(cluster)
        .expect("emulator associations")
}

#[test]
fn blue_and_green_in_two_regions_share_one_role_from_one_provider_block() {
    let stack = two_region_stack();
    let tf = Terraform::new(&stack);
    tf.copy_config_from(&workspace_root().join("examples/multi-region"));
    tf.apply();

    // Each association is in its own cluster's region, and only there.
    let blue = associations_in(&stack, REGION, BLUE);
    let green = associations_in(&stack, GREEN_REGION, GREEN);
    assert_eq!((blue.len(), green.len()), (1, 1), "{blue:?} {green:?}");
    // No cluster of the other's name in either region.
    assert!(admin_in(&stack, GREEN_REGION).associations(BLUE).is_err());
    assert!(admin_in(&stack, REGION).associations(GREEN).is_err());
    assert_eq!(blue[0]["roleArn"], green[0]["roleArn"]);

    // Every request about a cluster was signed for that cluster's region.
    let blue_regions = signed_regions(&stack, BLUE);
    let green_regions = signed_regions(&stack, GREEN);
    assert_eq!(blue_regions, BTreeSet::from([REGION.to_string()]));
    assert_eq!(green_regions, BTreeSet::from([GREEN_REGION.to_string()]));

    // The state says so, and so do the ARNs and the data source read in green's region.
    let outputs = tf.outputs();
    let arns = &outputs["association_arns"];
    assert!(
        arns["blue"]
            .as_str()
            .is_some_and(|a| a.starts_with(&format!("arn:aws:eks:{REGION}:"))),
        "{arns}"
    );
    assert!(
        arns["green"]
            .as_str()
            .is_some_and(|a| a.starts_with(&format!("arn:aws:eks:{GREEN_REGION}:"))),
        "{arns}"
    );
    assert_eq!(outputs["green_roles"][0], green[0]["roleArn"]);
    for (address, region) in [
        ("aws_eks_pod_identity_association.blue", REGION),
        ("aws_eks_pod_identity_association.green", GREEN_REGION),
        ("aws_eks_pod_identity_agent.blue", REGION),
        ("aws_eks_pod_identity_agent.green", GREEN_REGION),
        ("data.aws_eks_pod_identity_associations.green", GREEN_REGION),
    ] {
        assert_eq!(tf.resource(address)["region"], region, "{address}");
    }

    // Refresh reads each one in its region: nothing to change.
    stack.clear_eks_requests();
    tf.assert_plan_empty();
    assert_eq!(
        signed_regions(&stack, GREEN),
        BTreeSet::from([GREEN_REGION.to_string()])
    );

    tf.destroy();
    assert!(associations_in(&stack, GREEN_REGION, GREEN).is_empty());
    assert!(associations_in(&stack, REGION, BLUE).is_empty());
}

fn green_association(region: Option<&str>) -> String {
    let mut block = hcl::Block::resource("aws_eks_pod_identity_association", "green")
        .string("cluster_name", GREEN)
        .string("namespace", "app")
        .string("service_account", "app-sa")
        .string("role_arn", &hcl::role_arn("app"));
    if let Some(region) = region {
        block = block.string("region", region);
    }
    format!("{}{}", hcl::provider(), block.lines(""))
}

#[test]
fn an_association_of_another_region_is_imported_with_its_region_suffix() {
    let stack = two_region_stack();
    stack.create_pod_role("app");
    let tf = Terraform::new(&stack);
    tf.write_config(&green_association(Some(GREEN_REGION)));
    tf.apply();
    let id = tf.resource("aws_eks_pod_identity_association.green")["association_id"].clone();
    tf.state_rm("aws_eks_pod_identity_association.green");

    // Without the suffix, the provider's region is searched, where green has no such cluster.
    let out = tf.import_fails(
        "aws_eks_pod_identity_association.green",
        &format!("{GREEN}/app/app-sa"),
    );
    assert!(
        out.contains(&format!("does not exist in region {REGION}")),
        "{out}"
    );
    let out = tf.import_fails(
        "aws_eks_pod_identity_association.green",
        &format!("{GREEN}/app/app-sa@moon-1"),
    );
    assert!(
        out.contains("ends in @moon-1") && out.contains("skip_region_validation"),
        "{out}"
    );

    tf.import(
        "aws_eks_pod_identity_association.green",
        &format!("{GREEN}/app/app-sa@{GREEN_REGION}"),
    );
    let imported = tf.resource("aws_eks_pod_identity_association.green");
    assert_eq!(imported["association_id"], id);
    assert_eq!(imported["region"], GREEN_REGION);
    tf.assert_plan_empty();
}

#[test]
fn a_region_is_checked_at_plan_and_a_change_of_region_replaces() {
    let stack = two_region_stack();
    stack.create_pod_role("app");
    let tf = Terraform::new(&stack);

    stack.clear_eks_requests();
    tf.write_config(&green_association(Some("us-wst-2")));
    let out = tf.plan_fails();
    assert!(
        out.contains("Invalid region") && out.contains("\"us-wst-2\" is not an AWS region"),
        "{out}"
    );
    assert!(
        stack.eks_requests().is_empty(),
        "{:?}",
        stack.eks_requests()
    );

    tf.write_config(&green_association(Some(GREEN_REGION)));
    tf.apply();
    // Left out, the region is the provider's: green would move there, so it is replaced.
    tf.write_config(&green_association(None));
    let actions = tf.planned_actions();
    assert_eq!(
        actions["aws_eks_pod_identity_association.green"],
        ["delete", "create"],
        "{actions:?}"
    );
}

#[test]
fn a_hashicorp_aws_v6_state_of_another_region_is_taken_over_in_that_region() {
    let stack = two_region_stack();
    stack.create_pod_role("app");
    let tf = Terraform::new(&stack);
    let config = green_association(Some(GREEN_REGION));
    tf.write_config(&config);
    tf.apply();

    // The state as hashicorp/aws v6 writes it: its provider, its attributes (no owner_arn),
    // and `region`.
    let path = tf.dir().join("terraform.tfstate");
    let mut state: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("JSON");
    state["resources"][0]["provider"] =
        Value::from("provider[\"registry.terraform.io/hashicorp/aws\"]");
    let attributes = state["resources"][0]["instances"][0]["attributes"]
        .as_object_mut()
        .expect("attributes");
    attributes.remove("owner_arn");
    assert_eq!(attributes["region"], GREEN_REGION);
    std::fs::write(&path, state.to_string()).expect("write state");
    let run = tf.run(&[
        "state",
        "replace-provider",
        "-auto-approve",
        "registry.terraform.io/hashicorp/aws",
        "registry.terraform.io/podidentity/podidentity",
    ]);
    assert!(run.success(), "{}", run.output());

    // Read where it is (a read in the provider's region would find nothing and plan a create).
    stack.clear_eks_requests();
    tf.assert_plan_empty();
    assert_eq!(
        signed_regions(&stack, GREEN),
        BTreeSet::from([GREEN_REGION.to_string()])
    );
    let resource = tf.resource("aws_eks_pod_identity_association.green");
    assert_eq!(resource["region"], GREEN_REGION);
}
