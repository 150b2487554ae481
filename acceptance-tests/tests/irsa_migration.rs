//! Migrating an IRSA role to EKS Pod Identity (docs/guides/migrating-from-irsa.md) and
//! `additional_trust_statements` of `aws_eks_pod_identity_role`, through the real terraform CLI
//! against moto (IAM) and the EKS emulator: each step's plan changes only what the step says;
//! equivalent statements are no change; out-of-band changes are shown and repaired; bad
//! statements fail at plan without any IAM call; import recovers the statements.

use std::collections::{BTreeMap, BTreeSet};

use acceptance::harness::hcl::{self, Block};
use acceptance::harness::{
    changed_attributes, resource_changes, Sdk, Stack, Terraform, ACCOUNT_ID, REQUIRED_PROVIDERS,
};
use serde_json::{json, Value};

const ROLE: &str = "shop-carts";
const ADDRESS: &str = "aws_eks_pod_identity_role.carts";
const ASSOCIATION: &str = "aws_eks_pod_identity_association.carts";
const CLUSTER: &str = "shop-blue";
/// The cluster's OIDC issuer, without `https://`.
const ISSUER: &str = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const DYNAMODB_READ: &str = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess";

fn oidc_provider_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{ISSUER}")
}

/// The statement of an IRSA role for the pods of `namespace/service_account`.
fn oidc_statement(namespace: &str, service_account: &str) -> Value {
    json!({
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn()},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            format!("{ISSUER}:sub"): format!("system:serviceaccount:{namespace}:{service_account}"),
            format!("{ISSUER}:aud"): "sts.amazonaws.com",
        }},
    })
}

/// The statement `aws_eks_pod_identity_role` writes for `allowed_service_accounts =
/// ["carts/carts"]`.
fn pods_statement() -> Value {
    json!({
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringLike": {
            "aws:RequestTag/kubernetes-namespace": "carts",
            "aws:RequestTag/kubernetes-service-account": "carts",
        }},
    })
}

fn trust(statements: &[Value]) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// A JSON value as an HCL expression, as a person would write it inside `jsonencode(...)`.
fn hcl_value(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let members: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{} = {}", hcl::quoted(k), hcl_value(v)))
                .collect();
            format!("{{ {} }}", members.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(hcl_value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::String(s) => hcl::quoted(s),
        other => other.to_string(),
    }
}

fn jsonencode(statements: &[Value]) -> String {
    format!("jsonencode({})", hcl_value(&json!(statements)))
}

/// IAM as another tool sees it.
struct Iam(Sdk<aws_sdk_iam::Client>);

impl Iam {
    fn new(stack: &Stack) -> Iam {
        Iam(stack.iam())
    }

    /// The cluster's OIDC identity provider, as EKS and eksctl register it for IRSA.
    fn create_oidc_provider(&self) {
        let c = &self.0.client;
        self.0.run(
            c.create_open_id_connect_provider()
                .url(format!("https://{ISSUER}"))
                .client_id_list("sts.amazonaws.com")
                .thumbprint_list("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
                .send(),
        );
    }

    /// An IRSA role for carts/carts, made outside Terraform.
    fn create_irsa_role(&self, statements: &[Value]) {
        let c = &self.0.client;
        self.0.run(
            c.create_role()
                .role_name(ROLE)
                .assume_role_policy_document(trust(statements))
                .send(),
        );
        self.0.run(
            c.attach_role_policy()
                .role_name(ROLE)
                .policy_arn(DYNAMODB_READ)
                .send(),
        );
    }

    /// The role's trust policy as IAM holds it, decoded and parsed.
    fn trust_policy(&self) -> Value {
        let out = self.0.run(self.0.client.get_role().role_name(ROLE).send());
        let raw = out
            .role
            .and_then(|r| r.assume_role_policy_document)
            .expect("trust policy");
        let decoded = percent_encoding::percent_decode_str(&raw)
            .decode_utf8_lossy()
            .into_owned();
        serde_json::from_str(&decoded).unwrap_or_else(|e| panic!("{e}: {decoded}"))
    }

    fn set_trust(&self, statements: &[Value]) {
        self.0.run(
            self.0
                .client
                .update_assume_role_policy()
                .role_name(ROLE)
                .policy_document(trust(statements))
                .send(),
        );
    }
}

/// The statements of a trust policy, as a set (order does not matter to IAM).
fn statement_set(doc: &Value) -> BTreeSet<String> {
    match &doc["Statement"] {
        Value::Array(items) => items.iter().map(Value::to_string).collect(),
        single => [single.to_string()].into(),
    }
}

/// The role block: `carts/carts` may use it, with the DynamoDB policy the IRSA role had and
/// these extra argument lines.
fn role(extra: &str) -> Block {
    hcl::role("carts")
        .string("name", ROLE)
        .arg("allowed_service_accounts", "[\"carts/carts\"]")
        .arg("policy_arns", format!("[\"{DYNAMODB_READ}\"]"))
        .lines(extra)
}

fn role_with(statements: &[Value]) -> Block {
    role("").arg("additional_trust_statements", jsonencode(statements))
}

const IMPORT: &str = r#"
import {
  to       = aws_eks_pod_identity_role.carts
  provider = podidentity
  id       = "shop-carts"
}
"#;

fn association() -> Block {
    hcl::association("carts", CLUSTER, "carts", "carts")
        .arg("role_arn", "aws_eks_pod_identity_role.carts.arn")
}

/// Each resource the plan would change (an import counts): its actions and its change.
fn changes(plan: &Value) -> BTreeMap<String, (Vec<String>, Value)> {
    resource_changes(plan)
        .into_iter()
        .filter(|(_, (actions, change))| actions != &["no-op"] || !change["importing"].is_null())
        .collect()
}

/// The plan changes only `address`, with `actions`, and of it only `attributes`; its change.
fn assert_plan_changes_only(
    tf: &Terraform,
    address: &str,
    actions: &[&str],
    attributes: &[&str],
) -> Value {
    let plan = tf.plan_json();
    let changes = changes(&plan);
    assert_eq!(
        changes.keys().collect::<Vec<_>>(),
        vec![address],
        "only {address} changes: {plan}"
    );
    let (planned, change) = &changes[address];
    assert_eq!(planned, actions, "{change}");
    assert_eq!(changed_attributes(change), attributes, "{change}");
    change.clone()
}

/// The document a JSON string attribute holds.
fn json_attribute(change: &Value, side: &str, name: &str) -> Value {
    let text = change[side][name]
        .as_str()
        .unwrap_or_else(|| panic!("{side}.{name} is not a string: {change}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn an_irsa_role_moves_to_pod_identity_one_planned_step_at_a_time() {
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    let iam = Iam::new(&stack);
    iam.create_oidc_provider();
    let oidc = oidc_statement("carts", "carts");
    iam.create_irsa_role(std::slice::from_ref(&oidc));
    let tf = Terraform::new(&stack);
    let provider = hcl::provider();

    // 1. Import the role, keeping its OIDC statement: the plan adds the statement for EKS Pod
    //    Identity (for carts/carts) to the trust policy, and changes nothing else.
    tf.write_config(&format!(
        "{provider}{IMPORT}{}",
        role_with(std::slice::from_ref(&oidc))
    ));
    let change = assert_plan_changes_only(
        &tf,
        ADDRESS,
        &["update"],
        &["allowed_service_accounts", "trust_policy"],
    );
    assert_eq!(change["importing"]["id"], json!(ROLE), "{change}");
    assert_eq!(
        statement_set(&json_attribute(&change, "before", "trust_policy")),
        statement_set(&json!({"Statement": [oidc]}))
    );
    assert_eq!(
        statement_set(&json_attribute(&change, "after", "trust_policy")),
        statement_set(&json!({"Statement": [pods_statement(), oidc]}))
    );
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        statement_set(&iam.trust_policy()),
        statement_set(&json!({"Statement": [pods_statement(), oidc]})),
        "IAM trusts both: the IRSA pods keep working"
    );

    // 2. Create the association: nothing else changes, and the pods of carts/carts get
    //    credentials through EKS Pod Identity.
    let step2 = format!(
        "{provider}{}{}",
        role_with(std::slice::from_ref(&oidc)),
        association()
    );
    tf.write_config(&step2);
    let plan = tf.plan_json();
    let planned = changes(&plan);
    assert_eq!(
        planned.keys().collect::<Vec<_>>(),
        vec![ASSOCIATION],
        "only the association changes: {plan}"
    );
    assert_eq!(planned[ASSOCIATION].0, ["create"]);
    tf.apply();
    tf.assert_plan_empty();
    let session = stack
        .pod_credentials(CLUSTER, "carts", "carts")
        .expect("the carts pods get credentials");
    assert!(
        session
            .assumed_role_arn
            .contains(&format!(":assumed-role/{ROLE}/")),
        "{}",
        session.assumed_role_arn
    );
    // allowed_service_accounts still restricts the role next to the OIDC statement.
    tf.write_config(&format!(
        "{step2}{}",
        hcl::association("orders", CLUSTER, "orders", "orders")
            .arg("role_arn", "aws_eks_pod_identity_role.carts.arn")
    ));
    let out = tf.plan_fails();
    assert!(out.contains("would be refused credentials"), "{out}");
    assert!(
        out.contains("add \"orders/orders\" to allowed_service_accounts of role shop-carts"),
        "{out}"
    );

    // 3. The workloads switch in Kubernetes (the service account loses its
    //    eks.amazonaws.com/role-arn annotation, the pods restart): nothing to plan here.
    tf.write_config(&step2);
    tf.assert_plan_empty();

    // 4. Drop the OIDC statement: only the trust policy changes.
    tf.write_config(&format!("{provider}{}{}", role(""), association()));
    let change = assert_plan_changes_only(
        &tf,
        ADDRESS,
        &["update"],
        &["additional_trust_statements", "trust_policy"],
    );
    assert!(change["after"]["additional_trust_statements"].is_null());
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        statement_set(&iam.trust_policy()),
        statement_set(&json!({"Statement": [pods_statement()]})),
        "IAM trusts only EKS Pod Identity"
    );
    assert!(stack.pod_credentials(CLUSTER, "carts", "carts").is_ok());
}

#[test]
fn additional_statements_written_another_way_are_no_change() {
    let stack = Stack::start();
    let tf = Terraform::new(&stack);
    let deny = json!({"Sid": "NoEc2", "Effect": "Deny", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"});
    let oidc = oidc_statement("carts", "carts");
    tf.write_config(&format!(
        "{}{}",
        hcl::provider(),
        role_with(&[oidc.clone(), deny.clone()])
    ));
    tf.apply();
    tf.assert_plan_empty();
    let applied = tf.resource(ADDRESS);

    // Reordered, single values as lists and lists as single values, other key order and
    // white space, action names in another case: no change.
    let mut oidc_lists = oidc.clone();
    oidc_lists["Action"] = json!(["STS:AssumeRoleWithWebIdentity"]);
    oidc_lists["Principal"]["Federated"] = json!([oidc_provider_arn()]);
    let mut deny_list = deny.clone();
    deny_list["Principal"]["Service"] = json!(["ec2.amazonaws.com"]);
    let rewritten = [
        jsonencode(&[deny.clone(), oidc.clone()]),
        jsonencode(&[oidc_lists.clone(), deny_list.clone()]),
        jsonencode(&[oidc.clone(), deny.clone(), oidc.clone()]),
        format!(
            "<<EOT\n[\n  {{\"Action\": \"sts:AssumeRole\", \"Principal\": {{\"Service\": \"ec2.amazonaws.com\"}}, \"Effect\": \"Deny\", \"Sid\": \"NoEc2\"}},\n  {}\n]\nEOT",
            serde_json::to_string_pretty(&oidc).expect("json")
        ),
    ];
    for statements in rewritten {
        tf.write_config(&format!(
            "{}{}",
            hcl::provider(),
            role("").arg("additional_trust_statements", &statements)
        ));
        tf.assert_plan_empty();
    }
    tf.apply();
    assert_eq!(tf.resource(ADDRESS), applied, "the state keeps its text");

    // The case of Effect is not an equivalence: IAM accepts exactly "Deny".
    let mut lowercase = deny.clone();
    lowercase["Effect"] = json!("deny");
    tf.write_config(&format!(
        "{}{}",
        hcl::provider(),
        role_with(&[oidc, lowercase])
    ));
    let out = tf.plan_fails();
    assert!(out.contains("Invalid additional_trust_statements"), "{out}");
    assert!(out.contains("statement 2"), "{out}");
    assert!(out.contains("write \"Deny\""), "{out}");
}

#[test]
fn additional_statements_changed_outside_terraform_are_shown_and_repaired() {
    let stack = Stack::start();
    let iam = Iam::new(&stack);
    let tf = Terraform::new(&stack);
    let oidc = oidc_statement("carts", "carts");
    tf.write_config(&format!(
        "{}{}",
        hcl::provider(),
        role_with(std::slice::from_ref(&oidc))
    ));
    tf.apply();
    let configured = statement_set(&iam.trust_policy());

    let cases: Vec<(&str, Vec<Value>)> = vec![
        (
            "the OIDC condition edited",
            vec![pods_statement(), oidc_statement("carts", "everyone")],
        ),
        (
            "a statement added",
            vec![
                pods_statement(),
                oidc.clone(),
                json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_ID}:root")}, "Action": "sts:AssumeRole"}),
            ],
        ),
        ("the OIDC statement removed", vec![pods_statement()]),
    ];
    for (what, statements) in cases {
        iam.set_trust(&statements);
        let change = assert_plan_changes_only(
            &tf,
            ADDRESS,
            &["update"],
            &["additional_trust_statements", "trust_policy"],
        );
        assert_eq!(
            statement_set(
                &json!({"Statement": json_attribute(&change, "after", "additional_trust_statements")})
            ),
            statement_set(&json!({"Statement": [oidc]})),
            "{what}: the plan restores the configured statements"
        );
        tf.apply();
        tf.assert_plan_empty();
        assert_eq!(statement_set(&iam.trust_policy()), configured, "{what}");
    }

    // Our own statement edited: shown as a change of the trust policy only.
    iam.set_trust(&[
        json!({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}),
        oidc.clone(),
    ]);
    assert_plan_changes_only(&tf, ADDRESS, &["update"], &["trust_policy"]);
    tf.apply();
    assert_eq!(statement_set(&iam.trust_policy()), configured);
}

/// (the `additional_trust_statements` expression, words of the error)
fn bad_statements() -> Vec<(String, &'static str)> {
    let oidc = oidc_statement("carts", "carts");
    let with = |key: &str, value: Value| {
        let mut s = oidc.clone();
        s[key] = value;
        jsonencode(&[s])
    };
    let without = |key: &str| {
        let mut s = oidc.clone();
        s.as_object_mut().expect("object").remove(key);
        jsonencode(&[s])
    };
    let many: Vec<Value> = (0..14)
        .map(|i| oidc_statement("carts", &format!("carts-{i}")))
        .collect();
    vec![
        (format!("jsonencode({})", hcl_value(&oidc)), "JSON array"),
        (hcl::quoted("[{"), "not valid JSON"),
        (
            "jsonencode([\"sts:AssumeRole\"])".into(),
            "statement 1 is a string",
        ),
        (with("Effect", json!("allow")), "write \"Allow\""),
        (with("Resource", json!("*")), "remove \"Resource\""),
        (
            without("Principal"),
            "neither \"Principal\" nor \"NotPrincipal\"",
        ),
        (
            {
                let mut s = oidc.clone();
                let principal = s.as_object_mut().expect("object").remove("Principal");
                s["NotPrincipal"] = principal.expect("principal");
                jsonencode(&[s])
            },
            "\"NotPrincipal\" with \"Effect\": \"Allow\"",
        ),
        (
            with("Principal", json!("pods.eks.amazonaws.com")),
            "\"*\" or an object",
        ),
        (
            with("Principal", json!({"OIDC": oidc_provider_arn()})),
            "\"AWS\", \"Federated\", \"Service\" or \"CanonicalUser\"",
        ),
        (with("Action", json!("s3:GetObject")), "only STS actions"),
        (without("Action"), "neither \"Action\" nor \"NotAction\""),
        (with("Sid", json!("irsa-carts")), "write \"irsacarts\""),
        (
            with("Condition", json!({"StringEquals": "sts.amazonaws.com"})),
            "\"StringEquals\" with a string",
        ),
        (
            jsonencode(&[with_sid(&oidc, "Irsa"), with_sid(&oidc, "Irsa")]),
            "both have Sid \"Irsa\"",
        ),
        (jsonencode(&many), "over IAM's limit of 2048"),
    ]
}

fn with_sid(statement: &Value, sid: &str) -> Value {
    let mut s = statement.clone();
    s["Sid"] = json!(sid);
    s
}

#[test]
fn bad_additional_trust_statements_fail_at_plan_without_any_iam_call() {
    let stack = Stack::start();
    let tf = Terraform::new(&stack);
    let cases = bad_statements();
    assert!(cases.len() >= 12);
    tf.assert_plans_fail(cases.iter().map(|(statements, words)| {
        (
            format!(
                "{}{}",
                hcl::provider(),
                role("").arg("additional_trust_statements", statements)
            ),
            "Invalid additional_trust_statements",
            *words,
        )
    }));
    let iam_calls = stack.moto.actions("iam").expect("recording");
    assert!(iam_calls.is_empty(), "no IAM call: {iam_calls:?}");
}

#[test]
fn import_recovers_the_additional_statements() {
    let stack = Stack::start();
    let iam = Iam::new(&stack);
    iam.create_oidc_provider();
    // A role eksctl's migrate-to-pod-identity leaves: the Pod Identity statement added next to
    // the OIDC one.
    let oidc = oidc_statement("carts", "carts");
    iam.create_irsa_role(&[oidc.clone(), pods_statement()]);

    // terraform import, with a configuration that lists the OIDC statement: no change.
    let tf = Terraform::new(&stack);
    tf.write_config(&format!(
        "{}{}",
        hcl::provider(),
        role_with(std::slice::from_ref(&oidc))
    ));
    tf.import(ADDRESS, ROLE);
    tf.assert_plan_empty();
    let state = tf.resource(ADDRESS);
    assert_eq!(state["allowed_service_accounts"], json!(["carts/carts"]));
    let imported: Value = serde_json::from_str(
        state["additional_trust_statements"]
            .as_str()
            .expect("additional_trust_statements"),
    )
    .expect("json");
    assert_eq!(
        statement_set(&json!({"Statement": imported})),
        statement_set(&json!({"Statement": [oidc]}))
    );

    // An import block that generates the configuration: it holds the statement too, and the
    // plan after the import is empty.
    let generated = Terraform::new(&stack);
    generated.write_file("terraform.tf", REQUIRED_PROVIDERS);
    generated.write_file("import.tf", IMPORT);
    let run = generated.run(&["plan", "-input=false", "-generate-config-out=generated.tf"]);
    assert!(run.success(), "{}", run.output());
    let text = std::fs::read_to_string(generated.dir().join("generated.tf")).expect("generated");
    assert!(text.contains("additional_trust_statements"), "{text}");
    assert!(text.contains("AssumeRoleWithWebIdentity"), "{text}");
    generated.apply();
    generated.assert_plan_empty();

    // Without the statement in the configuration, the plan removes it, and only it.
    tf.write_config(&format!("{}{}", hcl::provider(), role("")));
    let change = assert_plan_changes_only(
        &tf,
        ADDRESS,
        &["update"],
        &["additional_trust_statements", "trust_policy"],
    );
    assert_eq!(
        statement_set(&json_attribute(&change, "after", "trust_policy")),
        statement_set(&json!({"Statement": [pods_statement()]}))
    );
}
