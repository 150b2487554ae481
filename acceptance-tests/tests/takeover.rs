//! Taking over from hashicorp/aws: a state written by hashicorp/aws (v5, and v6 with its
//! `region` attribute) for `aws_eks_pod_identity_association`, switched to this provider with
//! `terraform state replace-provider`, plans no changes, applies with reads only, and ends up
//! ours; and `aws_iam_role` → `aws_eks_pod_identity_role` with `removed` + `import`, the role
//! kept as it is. Through the real terraform CLI against the EKS emulator and moto.

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
    // hashicorp/aws v6's region kept; v5 has none, and read gives it the provider's.
    assert_eq!(attributes["region"], "eu-west-1", "{attributes:?}");
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

// aws_iam_role → aws_eks_pod_identity_role: `removed { lifecycle { destroy = false } }` for
// hashicorp/aws's resource, `import {}` for ours, the role itself untouched.

const ROLE_NAME: &str = "shop-carts";

/// A filesystem mirror holding hashicorp/aws (`registry.terraform.io/hashicorp/aws/<version>/
/// <os>_<arch>/`): `$PODIDENTITY_TF_PLUGIN_MIRROR`, else `/opt/tf-plugins`. The tests that need
/// it fail, with this said, when it is missing: they never download it.
fn plugin_mirror() -> String {
    let mirror = std::env::var("PODIDENTITY_TF_PLUGIN_MIRROR")
        .unwrap_or_else(|_| "/opt/tf-plugins".to_string());
    assert!(
        std::path::Path::new(&mirror)
            .join("registry.terraform.io/hashicorp/aws")
            .is_dir(),
        "no hashicorp/aws in the filesystem mirror {mirror}: set PODIDENTITY_TF_PLUGIN_MIRROR"
    );
    mirror
}

/// Create role ROLE_NAME in IAM with `trust`, as hashicorp/aws's aws_iam_role would have; its
/// (RoleId, CreateDate as RFC 3339).
fn role_created_by_hashicorp_aws(stack: &Stack, trust: &str) -> (String, String) {
    let iam = stack.iam();
    let created = iam.run(
        iam.client
            .create_role()
            .role_name(ROLE_NAME)
            .path("/")
            .assume_role_policy_document(trust)
            .max_session_duration(3600)
            .send(),
    );
    let role = created.role().expect("role");
    let created_at = role
        .create_date()
        .fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime)
        .expect("date");
    (role.role_id().to_string(), created_at)
}

/// The role's RoleId in IAM now.
fn role_id(stack: &Stack) -> String {
    let iam = stack.iam();
    let got = iam.run(iam.client.get_role().role_name(ROLE_NAME).send());
    got.role().expect("role").role_id().to_string()
}

/// hashicorp/aws's (v5) state of `aws_iam_role.carts` for that role.
fn iam_role_attributes(trust: &str, unique_id: &str, create_date: &str) -> Value {
    json!({
        "arn": role(ROLE_NAME),
        "assume_role_policy": trust,
        "create_date": create_date,
        "description": "",
        "force_detach_policies": false,
        "id": ROLE_NAME,
        "inline_policy": [],
        "managed_policy_arns": [],
        "max_session_duration": 3600,
        "name": ROLE_NAME,
        "name_prefix": "",
        "path": "/",
        "permissions_boundary": "",
        "tags": {},
        "tags_all": {},
        "unique_id": unique_id
    })
}

fn iam_role_state(attributes: Value) -> String {
    let state = json!({
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 7,
        "lineage": "0f2e8a64-7c1b-4b8e-a3d5-2c9e41b7d0aa",
        "outputs": {},
        "resources": [{
            "mode": "managed",
            "type": "aws_iam_role",
            "name": "carts",
            "provider": format!("provider[\"{HASHICORP_AWS}\"]"),
            "instances": [{
                "schema_version": 0,
                "attributes": attributes,
                "sensitive_attributes": [],
                "private": "eyJzY2hlbWFfdmVyc2lvbiI6IjAifQ=="
            }]
        }],
        "check_results": null
    });
    serde_json::to_string_pretty(&state).expect("state JSON")
}

/// The configuration of the switch: hashicorp/aws still required (it must read its own state
/// to forget it), `removed` for its role, `import` and the resource for ours.
fn role_switch_config() -> String {
    format!(
        r#"terraform {{
  required_providers {{
    podidentity = {{
      source = "podidentity/podidentity"
    }}
    aws = {{
      source = "hashicorp/aws"
    }}
  }}
}}

provider "podidentity" {{
}}

provider "aws" {{
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}}

removed {{
  from = aws_iam_role.carts
  lifecycle {{
    destroy = false
  }}
}}

import {{
  to       = aws_eks_pod_identity_role.carts
  provider = podidentity
  id       = "{ROLE_NAME}"
}}

resource "aws_eks_pod_identity_role" "carts" {{
  provider = podidentity
  name     = "{ROLE_NAME}"
}}
"#
    )
}

/// The CLI configuration: no development override, so that `terraform init` installs both
/// providers, as it does for a user: this build from a filesystem mirror in the working
/// directory (where `make install` would put it), hashicorp/aws from the local mirror.
fn cli_config_with_mirrors(tf: &Terraform) {
    let binary = acceptance::harness::terraform::provider_binary().expect("provider binary");
    let package = tf
        .dir()
        .join("mirror/registry.terraform.io/podidentity/podidentity/0.1.0")
        .join(format!(
            "{}_{}",
            std::env::consts::OS,
            match std::env::consts::ARCH {
                "x86_64" => "amd64",
                "aarch64" => "arm64",
                other => other,
            }
        ));
    std::fs::create_dir_all(&package).expect("mirror dir");
    std::fs::copy(
        &binary,
        package.join("terraform-provider-podidentity_v0.1.0"),
    )
    .expect("copy the provider");
    tf.write_file(
        ".terraformrc",
        &format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/podidentity/podidentity\"]\n  }}\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n",
            tf.dir().join("mirror").display(),
            plugin_mirror()
        ),
    );
}

/// Run the removed + import route for a role created with `trust`; the plan JSON of the switch
/// and the plan JSON after it.
fn switch_role(trust: &str) -> (Stack, Terraform, String, Value) {
    let stack = Stack::start();
    let (unique_id, created) = role_created_by_hashicorp_aws(&stack, trust);
    let tf = Terraform::new(&stack);
    cli_config_with_mirrors(&tf);
    tf.write_file(
        "terraform.tfstate",
        &iam_role_state(iam_role_attributes(trust, &unique_id, &created)),
    );
    tf.write_file("main.tf", &role_switch_config());
    let init = tf.run(&["init", "-input=false"]);
    assert!(init.success(), "terraform init:\n{}", init.output());

    let shown = tf.run(&["plan", "-input=false"]).flat_output();
    for expected in [
        "aws_iam_role.carts will no longer be managed by Terraform, but will not be destroyed",
        "Plan: 1 to import, 0 to add,",
        "0 to destroy.",
    ] {
        assert!(shown.contains(expected), "{expected:?} not in {shown}");
    }
    let plan = tf.plan_json();
    let changes = plan["resource_changes"]
        .as_array()
        .expect("changes")
        .clone();
    let iam_role = changes
        .iter()
        .find(|c| c["address"] == "aws_iam_role.carts")
        .expect("aws_iam_role.carts in the plan");
    assert_eq!(
        iam_role["change"]["actions"],
        json!(["forget"]),
        "{iam_role}"
    );
    let ours = changes
        .iter()
        .find(|c| c["address"] == "aws_eks_pod_identity_role.carts")
        .expect("ours in the plan")
        .clone();
    assert!(
        ours["change"]["importing"]["id"] == ROLE_NAME,
        "not imported: {ours}"
    );

    let applied = tf.apply();
    assert!(
        applied.output().contains("0 destroyed"),
        "{}",
        applied.output()
    );
    let iam_actions = stack.moto.actions("iam").expect("moto requests");
    for forbidden in ["DeleteRole", "CreateRole"] {
        assert_eq!(
            iam_actions.iter().filter(|a| *a == forbidden).count(),
            usize::from(forbidden == "CreateRole"),
            "{forbidden}: {iam_actions:?}"
        );
    }
    assert_eq!(role_id(&stack), unique_id, "the role was replaced");

    let state = tf.state_json();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .expect("resources");
    assert_eq!(resources.len(), 1, "{resources:?}");
    assert_eq!(resources[0]["address"], "aws_eks_pod_identity_role.carts");
    assert_eq!(resources[0]["provider_name"], PODIDENTITY);
    assert_eq!(resources[0]["values"]["unique_id"], unique_id);
    (stack, tf, unique_id, ours)
}

#[test]
fn iam_role_with_our_trust_policy_is_switched_without_changes() {
    let trust = acceptance::harness::roles::pod_identity_trust();
    let (_stack, tf, _id, ours) = switch_role(&trust);
    assert_eq!(ours["change"]["actions"], json!(["no-op"]), "{ours}");
    tf.assert_plan_empty();
}

#[test]
fn iam_role_with_another_trust_policy_is_switched_with_an_update_of_it() {
    let trust = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": "sts:AssumeRole"
    }]})
    .to_string();
    let (stack, tf, _id, ours) = switch_role(&trust);
    // The import plans one in-place update: our trust policy (sts:TagSession added). The
    // statement we do not write was imported as an additional one, which the configuration
    // does not keep.
    assert_eq!(ours["change"]["actions"], json!(["update"]), "{ours}");
    let before = &ours["change"]["before"];
    let after = &ours["change"]["after"];
    let changed: Vec<&String> = before
        .as_object()
        .expect("before")
        .iter()
        .filter(|(k, v)| after.get(k.as_str()).is_some_and(|a| a != *v))
        .map(|(k, _)| k)
        .collect();
    let unknown: Vec<&String> = ours["change"]["after_unknown"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| **v == json!(true))
        .map(|(k, _)| k)
        .collect();
    assert!(
        changed
            .iter()
            .chain(unknown.iter())
            .all(|k| *k == "trust_policy" || *k == "additional_trust_statements"),
        "changed {changed:?}, unknown {unknown:?}: {ours}"
    );
    tf.assert_plan_empty();
    let iam = stack.iam();
    let got = iam.run(iam.client.get_role().role_name(ROLE_NAME).send());
    let document = got
        .role()
        .expect("role")
        .assume_role_policy_document()
        .unwrap_or("");
    assert!(document.contains("TagSession"), "{document}");
}

/// Without hashicorp/aws installed, Terraform cannot handle the `removed` block (the state
/// names that provider); `terraform state rm` forgets the role without it, then the import
/// takes it over all the same.
#[test]
fn iam_role_without_hashicorp_aws_is_switched_with_state_rm() {
    let stack = Stack::start();
    let trust = acceptance::harness::roles::pod_identity_trust();
    let (unique_id, created) = role_created_by_hashicorp_aws(&stack, &trust);
    let tf = Terraform::new(&stack);
    tf.write_file(
        "terraform.tfstate",
        &iam_role_state(iam_role_attributes(&trust, &unique_id, &created)),
    );
    let ours = format!(
        "import {{\n  to       = aws_eks_pod_identity_role.carts\n  provider = podidentity\n  id       = \"{ROLE_NAME}\"\n}}\n\n{}",
        hcl::role("carts").string("name", ROLE_NAME)
    );
    tf.write_config(&format!(
        "{}removed {{\n  from = aws_iam_role.carts\n  lifecycle {{\n    destroy = false\n  }}\n}}\n\n{ours}",
        hcl::provider()
    ));
    let run = tf.run(&["plan", "-input=false"]);
    assert!(!run.success(), "{}", run.output());
    assert!(
        run.flat_output().contains(&format!(
            "This state requires provider {HASHICORP_AWS}, but that provider isn't available"
        )),
        "{}",
        run.output()
    );

    let rm = tf.run(&["state", "rm", "aws_iam_role.carts"]);
    assert!(rm.success(), "{}", rm.output());
    tf.write_config(&format!("{}{ours}", hcl::provider()));
    let applied = tf.apply();
    assert!(
        applied
            .output()
            .contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{}",
        applied.output()
    );
    assert_eq!(role_id(&stack), unique_id);
    let iam_actions = stack.moto.actions("iam").expect("moto requests");
    assert!(
        !iam_actions.iter().any(|a| a == "DeleteRole"),
        "{iam_actions:?}"
    );
    tf.assert_plan_empty();
}

/// With hashicorp/aws still installed (a state that holds other hashicorp/aws resources, which
/// `replace-provider` would move too), the `provider = podidentity` of the configuration is
/// enough: the association is taken over without changes, and the rest stays with hashicorp/aws.
#[test]
fn v6_state_is_taken_over_with_hashicorp_aws_still_installed() {
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    stack.create_pod_roles(&[ROLE]);
    let (arn, id) = existing_association(&stack);
    let tf = Terraform::new(&stack);
    cli_config_with_mirrors(&tf);
    tf.write_file(
        "terraform.tfstate",
        &hashicorp_state(v6_attributes(&arn, &id)),
    );
    let association = hcl::association("carts", CLUSTER, "carts", "carts")
        .string("role_arn", &role(ROLE))
        .arg("tags", "{ team = \"carts\" }");
    tf.write_file(
        "main.tf",
        &format!(
            "terraform {{\n  required_providers {{\n    podidentity = {{\n      source = \"podidentity/podidentity\"\n    }}\n    aws = {{\n      source = \"hashicorp/aws\"\n    }}\n  }}\n}}\n\nprovider \"aws\" {{\n  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true\n}}\n\n{}{association}",
            hcl::provider()
        ),
    );
    let init = tf.run(&["init", "-input=false"]);
    assert!(init.success(), "terraform init:\n{}", init.output());
    stack.clear_eks_requests();
    tf.assert_plan_empty();
    tf.apply();
    let operations = stack.eks_operations();
    assert!(writes(&operations).is_empty(), "{operations:?}");
    let raw = raw_state(&tf);
    let resource = &raw["resources"][0];
    assert_eq!(resource["provider"], format!("provider[\"{PODIDENTITY}\"]"));
    let attributes = resource["instances"][0]["attributes"]
        .as_object()
        .expect("attributes");
    assert!(attributes.contains_key("owner_arn"), "{attributes:?}");
    assert_eq!(attributes["region"], "eu-west-1", "{attributes:?}");
    tf.assert_plan_empty();
}
