//! `aws_eks_pod_identity_agent` through the real terraform CLI against the EKS emulator's
//! add-ons: waits for ACTIVE, the default version, disable_ipv6, failures kept in state, Auto
//! Mode refused at plan, import, destroy; and the association's agent warning.

use acceptance::harness::{hcl, Stack, Terraform};
use eks_emulator::client::Admin;
use serde_json::{json, Value};

const CLUSTER: &str = "shop-green";
const AGENT: &str = "aws_eks_pod_identity_agent.this";
const ADDON: &str = "eks-pod-identity-agent";

fn admin(stack: &Stack) -> Admin {
    Admin::new(stack.eks.url())
}

fn agent(body: &str) -> String {
    format!(
        "{}{}",
        hcl::provider(),
        hcl::Block::resource("aws_eks_pod_identity_agent", "this")
            .string("cluster_name", CLUSTER)
            .lines(body)
    )
}

/// The add-on as EKS holds it.
fn addon(stack: &Stack) -> Option<Value> {
    admin(stack)
        .addons(CLUSTER)
        .expect("emulator addons")
        .into_iter()
        .find(|a| a["addonName"] == ADDON)
}

/// Operations of the EKS requests since the last clear.
fn count(stack: &Stack, operation: &str) -> usize {
    stack
        .eks_operations()
        .iter()
        .filter(|op| *op == operation)
        .count()
}

fn stack_with_delay(ms: u64) -> Stack {
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    admin(&stack)
        .set_delays(&json!({ "addonMs": ms }))
        .expect("delays");
    stack
}

#[test]
fn agent_waits_for_active_then_plans_empty_imports_and_is_destroyed() {
    let stack = stack_with_delay(600);
    let tf = Terraform::new(&stack);
    tf.write_config(&agent(""));
    stack.clear_eks_requests();
    tf.apply();
    let state = tf.resource(AGENT);
    assert_eq!(state["status"], json!("ACTIVE"), "create waited: {state}");
    assert!(count(&stack, "DescribeAddon") >= 2, "looked until ACTIVE");
    assert_eq!(count(&stack, "DescribeAddonVersions"), 1);
    let held = addon(&stack).expect("the add-on");
    assert_eq!(held["status"], json!("ACTIVE"));
    assert_eq!(
        state["addon_version"], held["addonVersion"],
        "the default version"
    );
    assert_eq!(state["id"], json!(CLUSTER));
    assert_eq!(state["disable_ipv6"], json!(false));
    assert!(
        held.get("configurationValues")
            .is_none_or(|v| v.is_null() || v == ""),
        "{held}"
    );
    tf.assert_plan_empty();

    // Import into a fresh state: the plan stays empty.
    let other = Terraform::new(&stack);
    other.write_config(&agent(""));
    other.import(AGENT, CLUSTER);
    other.assert_plan_empty();
    assert_eq!(
        other.resource(AGENT)["addon_version"],
        state["addon_version"]
    );

    // Destroy waits until it is gone.
    tf.destroy();
    assert!(addon(&stack).is_none(), "gone once destroy returns");
}

#[test]
fn disable_ipv6_sends_the_seeds_values_and_toggles_in_place() {
    let stack = stack_with_delay(100);
    let tf = Terraform::new(&stack);
    tf.write_config(&agent("  disable_ipv6 = true"));
    tf.apply();
    let held = addon(&stack).expect("the add-on");
    assert_eq!(
        held["configurationValues"],
        json!(r#"{"agent":{"additionalArgs":{"-b":"169.254.170.23"}}}"#)
    );
    let arn = tf.resource(AGENT)["arn"].clone();
    tf.assert_plan_empty();

    tf.write_config(&agent("  disable_ipv6 = false"));
    let actions = tf.planned_actions();
    assert_eq!(
        actions.get(AGENT),
        Some(&vec!["update".to_string()]),
        "{actions:?}"
    );
    tf.apply();
    assert_eq!(tf.resource(AGENT)["arn"], arn, "updated in place");
    let held = addon(&stack).expect("the add-on");
    assert!(
        held["configurationValues"]
            .as_str()
            .is_none_or(|v| v.is_empty() || v == "{}"),
        "{held}"
    );
    tf.assert_plan_empty();

    // configuration_values and disable_ipv6 may not both set the bind address.
    tf.write_config(&agent(
        "  disable_ipv6 = true\n  configuration_values = jsonencode({ agent = { additionalArgs = { \"-b\" = \"10.0.0.1\" } } })",
    ));
    let out = tf.plan_fails();
    assert!(
        out.contains("configuration_values conflicts with disable_ipv6"),
        "{out}"
    );
}

#[test]
fn a_failed_create_reports_health_issues_and_stays_in_state() {
    let stack = stack_with_delay(100);
    admin(&stack)
        .add_addon_fault(&json!({ "status": "CREATE_FAILED", "addonName": ADDON }))
        .expect("fault");
    let tf = Terraform::new(&stack);
    tf.write_config(&agent(""));
    let out = tf.apply_fails();
    assert!(out.contains("was installed but is CREATE_FAILED"), "{out}");
    assert!(out.contains("EKS reports:"), "the health issues: {out}");
    let state = tf.resource(AGENT);
    assert_eq!(
        state["status"],
        json!("CREATE_FAILED"),
        "kept in state: {state}"
    );
    let show = tf.run(&["state", "show", "-no-color", AGENT]);
    assert!(show.stdout.contains("tainted"), "{}", show.output());
}

#[test]
fn an_auto_mode_cluster_is_refused_at_plan() {
    let stack = Stack::start();
    admin(&stack)
        .create_auto_mode_cluster(CLUSTER)
        .expect("auto mode cluster");
    let tf = Terraform::new(&stack);
    tf.write_config(&agent(""));
    stack.clear_eks_requests();
    let out = tf.plan_fails();
    assert!(out.contains("runs EKS Auto Mode"), "{out}");
    assert_eq!(count(&stack, "CreateAddon"), 0);
}

#[test]
fn associations_warn_once_per_cluster_without_an_agent() {
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    stack.create_pod_role("shop");
    let tf = Terraform::new(&stack);
    let associations = format!(
        r#"
resource "aws_eks_pod_identity_association" "many" {{
  provider        = podidentity
  count           = 50
  cluster_name    = "{CLUSTER}"
  namespace       = "app"
  service_account = "sa-${{count.index}}"
  role_arn        = "{}"
}}
"#,
        hcl::role_arn("shop")
    );
    tf.write_config(&format!("{}{associations}", hcl::provider()));
    stack.clear_eks_requests();
    let run = tf.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=20",
    ]);
    assert!(run.success(), "{}", run.output());
    let out = run.output();
    assert!(
        out.contains(&format!(
            "Warning: Cluster {CLUSTER} may not run the EKS Pod Identity Agent"
        )),
        "{out}"
    );
    assert!(
        out.contains("aws_eks_pod_identity_agent"),
        "names the fix: {out}"
    );
    assert_eq!(
        count(&stack, "DescribeAddon"),
        1,
        "one look for fifty associations"
    );

    // With the agent ACTIVE: no warning.
    let with_agent = Terraform::new(&stack);
    with_agent.write_config(&format!(
        "{}{}",
        agent(""),
        hcl::association("one", CLUSTER, "carts", "carts")
            .string("role_arn", &hcl::role_arn("shop"))
            .arg("depends_on", "[aws_eks_pod_identity_agent.this]"),
    ));
    let out = with_agent.apply().output();
    assert!(
        !out.contains("may not run the EKS Pod Identity Agent"),
        "{out}"
    );
}

#[test]
fn the_timeouts_block_bounds_the_wait_and_the_add_on_stays_in_state() {
    let stack = stack_with_delay(8000);
    let tf = Terraform::new(&stack);
    tf.write_config(&agent("  timeouts {\n    create = \"1s\"\n  }"));
    let started = std::time::Instant::now();
    let out = tf.apply_fails();
    assert!(out.contains("did not become ACTIVE in time"), "{out}");
    assert!(out.contains("still CREATING"), "{out}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(7),
        "did not wait out the add-on"
    );
    assert_eq!(
        tf.resource(AGENT)["status"],
        json!("CREATING"),
        "kept in state"
    );

    tf.write_config(&agent("  timeouts {\n    create = \"soon\"\n  }"));
    let out = tf.plan_fails();
    assert!(out.contains("Invalid timeouts.create"), "{out}");
}
