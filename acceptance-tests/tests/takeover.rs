//! Taking over from hashicorp/aws: a state written by hashicorp/aws (v5, and v6 with its
//! `region` attribute) for `aws_eks_pod_identity_association`, switched to this provider with
//! `terraform state replace-provider`, plans no changes, applies with reads only, and ends up
//! ours; through the real terraform CLI against the EKS emulator.

use acceptance::harness::hcl::{self, role_arn as role};
use acceptance::harness::{Stack, Terraform};
use serde_json::{json, Value};

const CLUSTER: &str = "shop-blue";
const ROLE: &str = "carts";
const HASHICORP_AWS: &str = "registry.terraform.io/hashicorp/aws";
const PODIDENTITY: &str = "registry.terraform.io/podidentity/podidentity";

/// The association hashicorp/aws created: carts/carts in CLUSTER, tagged team=carts, made
/// straight through the EKS API. Its (association_arn, association_id).
fn existing_association(stack: &Stack) -> (String, String) {
    let eks = stack.eks_api();
    let created = eks.run(
        eks.client
            .create_pod_identity_association()
            .cluster_name(CLUSTER)
            .namespace("carts")
            .service_account("carts")
            .role_arn(role(ROLE))
            .tags("team", "carts")
            .send(),
    );
    let association = created.association().expect("association");
    (
        association.association_arn().expect("arn").to_string(),
        association.association_id().expect("id").to_string(),
    )
}

/// The attributes hashicorp/aws v5 records for that association (no target role, no policy).
fn v5_attributes(arn: &str, id: &str) -> Value {
    json!({
        "association_arn": arn,
        "association_id": id,
        "cluster_name": CLUSTER,
        "disable_session_tags": false,
        "external_id": null,
        "id": id,
        "namespace": "carts",
        "policy": null,
        "role_arn": role(ROLE),
        "service_account": "carts",
        "tags": {"team": "carts"},
        "tags_all": {"team": "carts"},
        "target_role_arn": null
    })
}

/// The same, as hashicorp/aws v6 records it: v5's attributes and `region`.
fn v6_attributes(arn: &str, id: &str) -> Value {
    let mut attributes = v5_attributes(arn, id);
    attributes["region"] = json!("eu-west-1");
    attributes
}

/// A `terraform.tfstate` (format 4) as hashicorp/aws leaves it: resource `carts` at schema
/// version 0, provider `hashicorp/aws`.
fn hashicorp_state(attributes: Value) -> String {
    let state = json!({
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 3,
        "lineage": "5b0c2a57-3d5e-4c1e-9f40-6a1d2f0c7e11",
        "outputs": {},
        "resources": [{
            "mode": "managed",
            "type": "aws_eks_pod_identity_association",
            "name": "carts",
            "provider": format!("provider[\"{HASHICORP_AWS}\"]"),
            "instances": [{
                "schema_version": 0,
                "attributes": attributes,
                "sensitive_attributes": []
            }]
        }],
        "check_results": null
    });
    serde_json::to_string_pretty(&state).expect("state JSON")
}

/// The configuration after the switch: the same resource, now with `provider = podidentity`.
fn config() -> String {
    let association = hcl::association("carts", CLUSTER, "carts", "carts")
        .string("role_arn", &role(ROLE))
        .arg("tags", "{ team = \"carts\" }");
    format!("{}{association}", hcl::provider())
}

/// A stack with the cluster, the role and the association hashicorp/aws made, and a working
/// directory holding hashicorp/aws's state of it (built by `attributes`) and our configuration.
fn takeover_setup(attributes: fn(&str, &str) -> Value) -> (Stack, Terraform, String) {
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    stack.create_pod_roles(&[ROLE]);
    let (arn, id) = existing_association(&stack);
    let tf = Terraform::new(&stack);
    tf.write_file("terraform.tfstate", &hashicorp_state(attributes(&arn, &id)));
    tf.write_config(&config());
    (stack, tf, id)
}

fn replace_provider(tf: &Terraform) {
    let run = tf.run(&[
        "state",
        "replace-provider",
        "-auto-approve",
        HASHICORP_AWS,
        PODIDENTITY,
    ]);
    assert!(run.success(), "replace-provider failed:\n{}", run.output());
}

/// The state file as written on disk.
fn raw_state(tf: &Terraform) -> Value {
    let text = std::fs::read_to_string(tf.dir().join("terraform.tfstate")).expect("state file");
    serde_json::from_str(&text).expect("state JSON")
}

/// EKS operations that change something.
fn writes(operations: &[String]) -> Vec<&String> {
    operations
        .iter()
        .filter(|op| {
            !(op.starts_with("Describe") || op.starts_with("List") || op.starts_with("Get"))
        })
        .collect()
}

/// The takeover itself, the same for v5 and v6 states: replace-provider, an empty plan, an
/// apply that only reads, and a state that is ours afterwards.
fn assert_takeover(stack: &Stack, tf: &Terraform, id: &str) {
    replace_provider(tf);
    stack.clear_eks_requests();

    tf.assert_plan_empty();
    let applied = tf.apply();
    assert!(
        applied.output().contains("0 added, 0 changed, 0 destroyed"),
        "{}",
        applied.output()
    );
    let operations = stack.eks_operations();
    assert!(
        writes(&operations).is_empty(),
        "the takeover changed something in EKS: {operations:?}"
    );
    assert!(
        operations
            .iter()
            .any(|op| op == "DescribePodIdentityAssociation"),
        "the takeover did not read the association: {operations:?}"
    );

    // The association is the one hashicorp/aws created, still alone.
    let stored = stack.associations(CLUSTER);
    assert_eq!(stored.len(), 1, "{stored:?}");

    // The state is ours: our provider, our attributes, nothing of hashicorp/aws left.
    let raw = raw_state(tf);
    let resource = &raw["resources"][0];
    assert_eq!(resource["provider"], format!("provider[\"{PODIDENTITY}\"]"));
    let instance = &resource["instances"][0];
    assert_eq!(instance["schema_version"], 0);
    let attributes = instance["attributes"].as_object().expect("attributes");
    assert!(
        attributes.contains_key("owner_arn"),
        "owner_arn missing: {attributes:?}"
    );
    assert!(
        !attributes.contains_key("region"),
        "an attribute we do not have is left in the state: {attributes:?}"
    );
    assert_eq!(attributes["association_id"], id);
    assert_eq!(attributes["id"], id);
    assert_eq!(attributes["tags_all"], json!({"team": "carts"}));

    // And it stays quiet.
    tf.assert_plan_empty();
}

#[test]
fn v5_state_is_taken_over_without_changes() {
    let (stack, tf, id) = takeover_setup(v5_attributes);
    assert_takeover(&stack, &tf, &id);
}

#[test]
fn v6_state_with_region_is_taken_over_without_changes() {
    let (stack, tf, id) = takeover_setup(v6_attributes);
    assert_takeover(&stack, &tf, &id);
}

/// Without `terraform state replace-provider`, the state still names hashicorp/aws: Terraform
/// wants that provider installed, and says so, before anything reaches AWS.
#[test]
fn without_replace_provider_terraform_asks_for_hashicorp_aws() {
    let (stack, tf, _id) = takeover_setup(v5_attributes);
    stack.clear_eks_requests();
    let run = tf.run(&["plan", "-input=false"]);
    assert!(!run.success(), "{}", run.output());
    let output = run.flat_output();
    assert!(
        output.contains(&format!(
            "This state requires provider {HASHICORP_AWS}, but that provider isn't available"
        )),
        "{output}"
    );
    assert!(
        writes(&stack.eks_operations()).is_empty(),
        "{:?}",
        stack.eks_operations()
    );
    assert_eq!(stack.associations(CLUSTER).len(), 1);
}
