//! `aws_eks_pod_identity_role`, through the real terraform CLI against moto (IAM, STS) and the EKS
//! emulator (for the in-use guard).

use std::future::Future;

use acceptance::harness::{hcl, Sdk, Stack, Terraform, ACCOUNT_ID};
use aws_sdk_iam::operation::get_role::GetRoleError;
use serde_json::{json, Value};

const ADDRESS: &str = "aws_eks_pod_identity_role.shared";
const DYNAMODB_READ: &str = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess";
const S3_READ: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const BOUNDARY: &str = "arn:aws:iam::aws:policy/PowerUserAccess";

/// IAM as another tool sees it, with the checks these tests make.
struct Iam {
    sdk: Sdk<aws_sdk_iam::Client>,
    client: aws_sdk_iam::Client,
}

impl Iam {
    fn new(stack: &Stack) -> Iam {
        let sdk = stack.iam();
        let client = sdk.client.clone();
        Iam { sdk, client }
    }

    fn run<T, E: std::fmt::Debug>(&self, call: impl Future<Output = Result<T, E>>) -> T {
        self.sdk.run(call)
    }

    /// The trust policy as IAM holds it, decoded and parsed.
    fn trust_policy(&self, name: &str) -> Value {
        let out = self.run(self.client.get_role().role_name(name).send());
        let raw = out
            .role
            .and_then(|r| r.assume_role_policy_document)
            .expect("trust policy");
        let decoded = percent_decode(&raw);
        serde_json::from_str(&decoded).unwrap_or_else(|e| panic!("{e}: {decoded}"))
    }

    fn role(&self, name: &str) -> aws_sdk_iam::types::Role {
        self.run(self.client.get_role().role_name(name).send())
            .role
            .expect("role")
    }

    /// Whether IAM has the role: only NoSuchEntity means it does not; any other error fails
    /// the test.
    fn exists(&self, name: &str) -> bool {
        match self
            .sdk
            .try_run(self.client.get_role().role_name(name).send())
        {
            Ok(_) => true,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(GetRoleError::is_no_such_entity_exception) =>
            {
                false
            }
            Err(err) => panic!("GetRole {name}: {err:?}"),
        }
    }

    fn attached(&self, name: &str) -> Vec<String> {
        let out = self.run(
            self.client
                .list_attached_role_policies()
                .role_name(name)
                .send(),
        );
        let mut arns: Vec<String> = out
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect();
        arns.sort();
        arns
    }

    fn inline_names(&self, name: &str) -> Vec<String> {
        let mut names = self
            .run(self.client.list_role_policies().role_name(name).send())
            .policy_names;
        names.sort();
        names
    }

    /// A role created outside the provider, with the given trust policy.
    fn create_role(&self, name: &str, trust: &Value) {
        self.run(
            self.client
                .create_role()
                .role_name(name)
                .assume_role_policy_document(trust.to_string())
                .send(),
        );
    }
}

/// IAM returns policy documents URL-encoded.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The role resource `shared` with these argument lines, and its ARN as output `arn`.
fn role_config(args: &str) -> String {
    format!(
        "{}{}{}",
        hcl::provider(),
        hcl::role("shared").lines(args),
        hcl::output("arn", "aws_eks_pod_identity_role.shared.arn")
    )
}

const READ_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"*"}]}"#;

fn full_role() -> String {
    format!(
        r#"  name                     = "shop-dynamodb-read"
  description              = "DynamoDB read access for the shop pods"
  max_session_duration     = 7200
  permissions_boundary     = "{BOUNDARY}"
  policy_arns              = ["{DYNAMODB_READ}"]
  inline_policies          = {{ read = {READ_POLICY:?} }}
  tags                     = {{ app = "shop" }}
  allowed_clusters         = ["shop-*"]
  allowed_service_accounts = ["app/app-sa"]"#
    )
}

fn setup() -> (Stack, Terraform, Iam) {
    let stack = Stack::start();
    let tf = Terraform::new(&stack);
    let iam = Iam::new(&stack);
    (stack, tf, iam)
}

#[test]
fn role_basic_with_name_import_and_destroy() {
    let (_stack, tf, iam) = setup();
    tf.write_config(&role_config(&full_role()));
    tf.apply();
    tf.assert_plan_empty();
    let state = tf.resource(ADDRESS);
    assert_eq!(state["id"], json!("shop-dynamodb-read"));
    assert_eq!(
        state["arn"],
        json!(format!("arn:aws:iam::{ACCOUNT_ID}:role/shop-dynamodb-read"))
    );
    assert!(state["unique_id"].as_str().is_some_and(|u| !u.is_empty()));
    assert!(state["create_date"]
        .as_str()
        .is_some_and(|d| d.ends_with('Z') && d.contains('T')));
    assert_eq!(state["prevent_destroy_when_in_use"], json!(true));

    let role = iam.role("shop-dynamodb-read");
    assert_eq!(
        role.description(),
        Some("DynamoDB read access for the shop pods")
    );
    assert_eq!(role.max_session_duration(), Some(7200));
    assert_eq!(
        role.permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn()),
        Some(BOUNDARY)
    );
    assert_eq!(iam.attached("shop-dynamodb-read"), vec![DYNAMODB_READ]);
    assert_eq!(iam.inline_names("shop-dynamodb-read"), vec!["read"]);

    tf.state_rm(ADDRESS);
    tf.import(ADDRESS, "shop-dynamodb-read");
    tf.assert_plan_empty();
    assert_eq!(tf.resource(ADDRESS), state);

    tf.destroy();
    assert!(!iam.exists("shop-dynamodb-read"));
}

#[test]
fn role_with_name_prefix_and_generated_name() {
    let (_stack, tf, iam) = setup();
    tf.write_config(&role_config("  name_prefix = \"shop-\""));
    tf.apply();
    tf.assert_plan_empty();
    let name = tf.resource(ADDRESS)["name"]
        .as_str()
        .expect("name")
        .to_string();
    assert!(name.starts_with("shop-") && name.len() == 31, "{name}");
    assert!(iam.exists(&name));

    tf.state_rm(ADDRESS);
    tf.import(ADDRESS, &name);
    tf.assert_plan_empty();

    // Changing the prefix replaces the role.
    tf.write_config(&role_config("  name_prefix = \"orders-\""));
    let actions = tf.planned_actions();
    assert_eq!(
        actions.get(ADDRESS),
        Some(&vec!["delete".to_string(), "create".to_string()])
    );

    // Neither name nor prefix: a generated terraform- name. (An empty description, which IAM
    // reports as none, is no diff either.)
    let other = Terraform::new(&_stack);
    other.write_config(&role_config("  description = \"\""));
    other.apply();
    other.assert_plan_empty();
    let generated = other.resource(ADDRESS)["name"]
        .as_str()
        .expect("name")
        .to_string();
    assert!(
        generated.starts_with("terraform-") && generated.len() == 36,
        "{generated}"
    );
}

fn statement(condition: Option<Value>) -> Value {
    let mut s = json!({
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    });
    if let Some(c) = condition {
        s["Condition"] = c;
    }
    s
}

#[test]
fn role_trust_policy_in_iam_for_each_restriction() {
    let (_stack, tf, iam) = setup();
    let cases: Vec<(&str, Value)> = vec![
        (
            "",
            json!({"Version": "2012-10-17", "Statement": [statement(None)]}),
        ),
        (
            "  allowed_clusters = [\"shop-green\", \"shop-blue\"]",
            json!({"Version": "2012-10-17", "Statement": [statement(Some(json!({
                "StringLike": {"aws:RequestTag/eks-cluster-name": ["shop-blue", "shop-green"]}
            })))]}),
        ),
        (
            "  allowed_service_accounts = [\"carts/carts\", \"app/*\"]",
            json!({"Version": "2012-10-17", "Statement": [
                statement(Some(json!({"StringLike": {
                    "aws:RequestTag/kubernetes-namespace": "app",
                    "aws:RequestTag/kubernetes-service-account": "*"
                }}))),
                statement(Some(json!({"StringLike": {
                    "aws:RequestTag/kubernetes-namespace": "carts",
                    "aws:RequestTag/kubernetes-service-account": "carts"
                }}))),
            ]}),
        ),
        (
            "  allowed_clusters = [\"shop-*\"]\n  allowed_service_accounts = [\"app/app-sa\", \"carts/carts\"]",
            json!({"Version": "2012-10-17", "Statement": [
                statement(Some(json!({"StringLike": {
                    "aws:RequestTag/eks-cluster-name": ["shop-*"],
                    "aws:RequestTag/kubernetes-namespace": "app",
                    "aws:RequestTag/kubernetes-service-account": "app-sa"
                }}))),
                statement(Some(json!({"StringLike": {
                    "aws:RequestTag/eks-cluster-name": ["shop-*"],
                    "aws:RequestTag/kubernetes-namespace": "carts",
                    "aws:RequestTag/kubernetes-service-account": "carts"
                }}))),
            ]}),
        ),
    ];
    for (args, expected) in cases {
        tf.write_config(&role_config(&format!("  name = \"shop-trust\"\n{args}")));
        tf.apply();
        tf.assert_plan_empty();
        assert_eq!(iam.trust_policy("shop-trust"), expected, "{args}");
        let state_doc: Value = serde_json::from_str(
            tf.resource(ADDRESS)["trust_policy"]
                .as_str()
                .expect("trust_policy"),
        )
        .expect("json");
        assert_eq!(state_doc, expected, "state shows the same document");
    }
}

/// Apply, then change the role out of band, and check that plan shows an in-place update of
/// `attribute` and that apply restores it.
fn assert_drift_repaired(tf: &Terraform, attribute: &str, check_restored: impl Fn()) {
    let plan = tf.plan_json();
    let change = plan["resource_changes"]
        .as_array()
        .and_then(|rcs| rcs.iter().find(|rc| rc["address"] == ADDRESS))
        .expect("role change")["change"]
        .clone();
    assert_eq!(
        change["actions"],
        json!(["update"]),
        "{attribute}: {change}"
    );
    assert_ne!(
        change["before"][attribute], change["after"][attribute],
        "{attribute} shows the drift"
    );
    tf.apply();
    tf.assert_plan_empty();
    check_restored();
}

#[test]
fn role_drift_is_shown_and_repaired() {
    let (_stack, tf, iam) = setup();
    tf.write_config(&role_config(&full_role()));
    tf.apply();
    let name = "shop-dynamodb-read";
    let trust = iam.trust_policy(name);
    let c = &iam.client;

    iam.run(
        c.update_assume_role_policy()
            .role_name(name)
            .policy_document(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}).to_string(),
            )
            .send(),
    );
    assert_drift_repaired(&tf, "trust_policy", || {
        assert_eq!(iam.trust_policy(name), trust)
    });

    iam.run(
        c.update_role()
            .role_name(name)
            .description("changed by hand")
            .max_session_duration(7200)
            .send(),
    );
    assert_drift_repaired(&tf, "description", || {
        assert_eq!(
            iam.role(name).description(),
            Some("DynamoDB read access for the shop pods")
        )
    });

    iam.run(
        c.update_role()
            .role_name(name)
            .description("DynamoDB read access for the shop pods")
            .max_session_duration(43200)
            .send(),
    );
    assert_drift_repaired(&tf, "max_session_duration", || {
        assert_eq!(iam.role(name).max_session_duration(), Some(7200))
    });

    iam.run(c.delete_role_permissions_boundary().role_name(name).send());
    assert_drift_repaired(&tf, "permissions_boundary", || {
        assert_eq!(
            iam.role(name)
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn()),
            Some(BOUNDARY)
        )
    });

    iam.run(
        c.attach_role_policy()
            .role_name(name)
            .policy_arn(S3_READ)
            .send(),
    );
    assert_drift_repaired(&tf, "policy_arns", || {
        assert_eq!(iam.attached(name), vec![DYNAMODB_READ])
    });

    iam.run(
        c.put_role_policy()
            .role_name(name)
            .policy_name("sneaky")
            .policy_document(READ_POLICY)
            .send(),
    );
    iam.run(
        c.delete_role_policy()
            .role_name(name)
            .policy_name("read")
            .send(),
    );
    assert_drift_repaired(&tf, "inline_policies", || {
        assert_eq!(iam.inline_names(name), vec!["read"])
    });

    iam.run(
        c.tag_role()
            .role_name(name)
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("owner")
                    .value("someone")
                    .build()
                    .expect("tag"),
            )
            .send(),
    );
    assert_drift_repaired(&tf, "tags", || {
        let tags: Vec<String> = iam
            .role(name)
            .tags()
            .iter()
            .map(|t| format!("{}={}", t.key(), t.value()))
            .collect();
        assert_eq!(tags, vec!["app=shop"]);
    });
}

#[test]
fn role_policies_change_in_place_and_equivalent_json_is_no_diff() {
    let (_stack, tf, iam) = setup();
    let name = "shop-policies";
    let with = |policy_arns: &str, inline: &str| {
        role_config(&format!(
            "  name = \"{name}\"\n  policy_arns = {policy_arns}\n  inline_policies = {inline}"
        ))
    };
    tf.write_config(&with(
        &format!("[\"{DYNAMODB_READ}\"]"),
        &format!("{{ read = {READ_POLICY:?} }}"),
    ));
    tf.apply();
    tf.assert_plan_empty();

    // The same documents, reformatted and reordered: no diff.
    let reordered = r#"jsonencode({
      Statement = { Resource = "*", Effect = "Allow", Action = ["dynamodb:Query", "dynamodb:GetItem"] }
      Version   = "2012-10-17"
    })"#;
    tf.write_config(&with(
        &format!("[\"{DYNAMODB_READ}\"]"),
        &format!("{{ read = {reordered} }}"),
    ));
    tf.assert_plan_empty();

    // Add an attachment and an inline policy, next to the reformatted one: in place.
    let write_policy = READ_POLICY.replace("dynamodb:Query", "dynamodb:PutItem");
    tf.write_config(&with(
        &format!("[\"{DYNAMODB_READ}\", \"{S3_READ}\"]"),
        &format!("{{ read = {reordered}, write = {write_policy:?} }}"),
    ));
    assert_eq!(
        tf.planned_actions().get(ADDRESS),
        Some(&vec!["update".to_string()])
    );
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(iam.attached(name), vec![DYNAMODB_READ, S3_READ]);
    assert_eq!(iam.inline_names(name), vec!["read", "write"]);

    // Remove them again, and all of them.
    tf.write_config(&with(
        &format!("[\"{S3_READ}\"]"),
        &format!("{{ write = {write_policy:?} }}"),
    ));
    assert_eq!(
        tf.planned_actions().get(ADDRESS),
        Some(&vec!["update".to_string()])
    );
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(iam.attached(name), vec![S3_READ]);
    assert_eq!(iam.inline_names(name), vec!["write"]);

    tf.write_config(&role_config(&format!("  name = \"{name}\"")));
    tf.apply();
    tf.assert_plan_empty();
    assert!(iam.attached(name).is_empty());
    assert!(iam.inline_names(name).is_empty());
}

#[test]
fn role_refresh_costs_three_calls_plus_one_per_inline_policy() {
    let (stack, tf, _iam) = setup();
    let second = READ_POLICY.replace("dynamodb:Query", "dynamodb:Scan");
    tf.write_config(&role_config(&format!(
        "  name = \"shop-refresh\"\n  policy_arns = [\"{DYNAMODB_READ}\"]\n  inline_policies = {{ a = {READ_POLICY:?}, b = {second:?} }}"
    )));
    tf.apply();
    stack.moto.clear_requests().expect("clear");
    tf.assert_plan_empty();
    let mut calls = stack.moto.actions("iam").expect("recording");
    calls.sort();
    assert_eq!(
        calls,
        vec![
            "GetRole",
            "GetRolePolicy",
            "GetRolePolicy",
            "ListAttachedRolePolicies",
            "ListRolePolicies"
        ]
    );
}

/// The association `app` of app/app-sa in `cluster`, no role yet.
fn app_association(cluster: &str) -> hcl::Block {
    hcl::association("app", cluster, "app", "app-sa")
}

fn association_using(role_arn: &str, cluster: &str) -> String {
    format!(
        "{}{}",
        hcl::provider(),
        app_association(cluster).string("role_arn", role_arn)
    )
}

#[test]
fn role_in_use_is_not_destroyed() {
    let (stack, tf, iam) = setup();
    stack.create_cluster("shop-blue");
    stack.create_cluster("shop-green");
    tf.write_config(&role_config("  name = \"shop-shared\""));
    tf.apply();
    let arn = tf.outputs()["arn"].as_str().expect("arn").to_string();

    let green = Terraform::new(&stack);
    green.write_config(&association_using(&arn, "shop-green"));
    green.apply();

    // A rename replaces the role: the plan says who still names it.
    tf.write_config(&role_config("  name = \"shop-shared-v2\""));
    let plan = tf.plan().flat_output();
    assert!(
        plan.contains("Warning: IAM role shop-shared is in use by 1 pod identity association"),
        "{plan}"
    );
    assert!(plan.contains("This plan replaces the role"), "{plan}");
    assert!(plan.contains("shop-green/app/app-sa"), "{plan}");
    tf.write_config(&role_config("  name = \"shop-shared\""));

    let out = tf.destroy_fails();
    assert!(
        out.contains("IAM role shop-shared is in use by 1 pod identity association"),
        "{out}"
    );
    assert!(out.contains("shop-green/app/app-sa"), "{out}");
    assert!(out.contains("prevent_destroy_when_in_use = false"), "{out}");
    assert!(iam.exists("shop-shared"));

    green.destroy();
    tf.destroy();
    assert!(!iam.exists("shop-shared"));
}

#[test]
fn role_without_the_guard_is_deleted_while_in_use() {
    let (stack, tf, iam) = setup();
    stack.create_cluster("shop-green");
    tf.write_config(&role_config(&format!(
        "  name = \"shop-unguarded\"\n  prevent_destroy_when_in_use = false\n  policy_arns = [\"{DYNAMODB_READ}\"]\n  inline_policies = {{ read = {READ_POLICY:?} }}"
    )));
    tf.apply();
    let arn = tf.outputs()["arn"].as_str().expect("arn").to_string();
    let green = Terraform::new(&stack);
    green.write_config(&association_using(&arn, "shop-green"));
    green.apply();

    stack.clear_eks_requests();
    tf.destroy();
    assert!(!iam.exists("shop-unguarded"));
    assert!(
        stack.eks_requests().is_empty(),
        "no in-use scan without the guard: {:?}",
        stack.eks_operations()
    );
}

#[test]
fn role_deleted_out_of_band_is_planned_again() {
    let (_stack, tf, iam) = setup();
    tf.write_config(&role_config("  name = \"shop-gone\""));
    tf.apply();
    iam.run(iam.client.delete_role().role_name("shop-gone").send());
    assert_eq!(
        tf.planned_actions().get(ADDRESS),
        Some(&vec!["create".to_string()])
    );
    tf.apply();
    tf.assert_plan_empty();
    assert!(iam.exists("shop-gone"));
}

#[test]
fn role_that_already_exists_names_the_import_command() {
    let (_stack, tf, iam) = setup();
    iam.create_role(
        "shop-taken",
        &json!({"Version": "2012-10-17", "Statement": [statement(None)]}),
    );
    tf.write_config(&role_config("  name = \"shop-taken\""));
    let out = tf.apply_fails();
    assert!(out.contains("IAM role shop-taken already exists"), "{out}");
    assert!(
        out.contains("terraform import aws_eks_pod_identity_role.NAME shop-taken"),
        "{out}"
    );
}

#[test]
fn role_import_of_a_foreign_trust_policy_shows_an_update() {
    let (_stack, tf, iam) = setup();
    iam.create_role(
        "shop-irsa",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT_ID}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE")}, "Action": "sts:AssumeRoleWithWebIdentity"}]}),
    );
    tf.write_config(&role_config(
        "  name = \"shop-irsa\"\n  allowed_clusters = [\"shop-*\"]",
    ));
    tf.import(ADDRESS, "shop-irsa");
    let plan = tf.plan_json();
    let change = &plan["resource_changes"][0]["change"];
    assert_eq!(change["actions"], json!(["update"]));
    assert!(change["before"]["trust_policy"]
        .as_str()
        .is_some_and(|t| t.contains("AssumeRoleWithWebIdentity")));
    // The statement that is not one this resource writes was imported as an additional one;
    // the configuration does not list it, so the plan removes it.
    assert!(change["before"]["additional_trust_statements"]
        .as_str()
        .is_some_and(|t| t.contains("AssumeRoleWithWebIdentity")));
    assert!(change["after"]["additional_trust_statements"].is_null());
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        iam.trust_policy("shop-irsa")["Statement"][0]["Principal"],
        json!({"Service": "pods.eks.amazonaws.com"})
    );
}

#[test]
fn role_created_before_a_failed_step_stays_in_state() {
    let (_stack, tf, iam) = setup();
    let missing = format!("arn:aws:iam::{ACCOUNT_ID}:policy/does-not-exist");
    tf.write_config(&role_config(&format!(
        "  name = \"shop-half-made\"\n  policy_arns = [\"{missing}\"]"
    )));
    let out = tf.apply_fails();
    assert!(
        out.contains("Attaching") && out.contains("shop-half-made"),
        "says what failed on which role: {out}"
    );
    // The role exists, and so does its state: the next apply replaces it instead of failing
    // on a name already taken.
    assert!(iam.exists("shop-half-made"));
    assert_eq!(tf.resource(ADDRESS)["name"], json!("shop-half-made"));

    tf.write_config(&role_config("  name = \"shop-half-made\""));
    tf.apply();
    tf.assert_plan_empty();
    assert!(iam.exists("shop-half-made"));
}

#[test]
fn role_import_of_a_name_that_looks_generated_is_no_replace() {
    let (_stack, tf, iam) = setup();
    // Prefix, 18 digits, 8 hex digits: the shape of a generated name.
    let name = "legacy-2026112210101234000000abcd";
    iam.create_role(
        name,
        &json!({"Version": "2012-10-17", "Statement": [statement(None)]}),
    );
    tf.write_config(&role_config(&format!("  name = \"{name}\"")));
    tf.import(ADDRESS, name);
    tf.assert_plan_empty();
}

/// (argument lines, error summary, words of the detail)
const BAD_INPUTS: &[(&str, &str, &str)] = &[
    (
        "allowed_clusters = []",
        "Empty allowed_clusters",
        "would not restrict anything",
    ),
    (
        "allowed_service_accounts = []",
        "Empty allowed_service_accounts",
        "leave allowed_service_accounts out",
    ),
    ("name = \"shop role\"", "Invalid name", "IAM role name"),
    (
        "name = \"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\"",
        "Invalid name",
        "is 65 characters long; an IAM role name may have at most 64",
    ),
    (
        "name_prefix = \"pppppppppppppppppppppppppppppppppppppppp\"",
        "Invalid name_prefix",
        "is 40 characters long; a role name prefix may have at most 38",
    ),
    (
        "name = \"a\"\n  name_prefix = \"b\"",
        "Conflicting name and name_prefix",
        "not both",
    ),
    ("path = \"platform\"", "Invalid path", "IAM path"),
    ("path = \"/a b/\"", "Invalid path", "IAM path"),
    (
        "description = \"snowman \\u2603\"",
        "Invalid description",
        "does not allow",
    ),
    (
        "description = \"${join(\"\", [for i in range(1001) : \"x\"])}\"",
        "Invalid description",
        "at most 1000",
    ),
    (
        "max_session_duration = 3599",
        "Invalid max_session_duration",
        "3600 to 43200",
    ),
    (
        "max_session_duration = 43201",
        "Invalid max_session_duration",
        "3600 to 43200",
    ),
    (
        "permissions_boundary = \"arn:aws:iam::aws:role/x\"",
        "Invalid permissions_boundary",
        "IAM policy ARN",
    ),
    (
        "policy_arns = [\"AmazonS3ReadOnlyAccess\"]",
        "Invalid policy_arns",
        "IAM policy ARN",
    ),
    (
        "inline_policies = { \"bad name\" = \"{}\" }",
        "Invalid inline_policies key",
        "IAM policy name",
    ),
    (
        "inline_policies = { ok = \"{not json\" }",
        "Invalid inline_policies[\"ok\"] document",
        "not valid JSON",
    ),
    (
        "inline_policies = { ok = \"{\\\"Version\\\":\\\"2012-10-17\\\"}\" }",
        "Invalid inline_policies[\"ok\"] document",
        "Statement",
    ),
    (
        "tags = { \"aws:team\" = \"x\" }",
        "Invalid tags key",
        "reserved for AWS",
    ),
    (
        "allowed_clusters = [\"shop.blue\"]",
        "Invalid allowed_clusters",
        "cluster name pattern",
    ),
    (
        "allowed_service_accounts = [\"carts\"]",
        "Invalid allowed_service_accounts",
        "namespace/name",
    ),
    (
        "allowed_service_accounts = [\"Carts/carts\"]",
        "Invalid allowed_service_accounts",
        "namespace/name",
    ),
    (
        "allowed_service_accounts = [for i in range(40) : \"namespace-${i}/service-account-${i}\"]",
        "Invalid allowed_service_accounts",
        "over IAM's limit",
    ),
];

#[test]
fn role_bad_inputs_fail_at_plan_without_any_iam_call() {
    assert!(BAD_INPUTS.len() >= 15);
    let (stack, tf, _iam) = setup();
    tf.assert_plans_fail(
        BAD_INPUTS
            .iter()
            .map(|(args, summary, detail)| (role_config(&format!("  {args}")), *summary, *detail)),
    );
    let iam_calls = stack.moto.actions("iam").expect("recording");
    assert!(iam_calls.is_empty(), "no IAM call: {iam_calls:?}");
}

#[test]
fn role_and_its_associations_in_one_configuration_destroy_together() {
    let (stack, tf, iam) = setup();
    stack.create_cluster("shop-blue");
    let association =
        app_association("shop-blue").arg("role_arn", "aws_eks_pod_identity_role.shared.arn");
    tf.write_config(&format!(
        "{}{association}",
        role_config("  name = \"shop-together\"")
    ));
    tf.apply();
    tf.assert_plan_empty();

    // The destroy plan warns, since the association exists while planning ...
    let plan = tf.run(&["plan", "-destroy", "-input=false"]);
    assert!(plan.success(), "{}", plan.output());
    assert!(
        plan.flat_output()
            .contains("IAM role shop-together is in use by 1 pod identity association(s)"),
        "{}",
        plan.output()
    );
    // ... and the apply deletes the association before the role.
    tf.destroy();
    assert!(!iam.exists("shop-together"));
    assert!(stack.associations("shop-blue").is_empty());
}
