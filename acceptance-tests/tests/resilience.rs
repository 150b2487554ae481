//! A created object is always recorded and nothing hangs, whatever AWS does, through the real
//! terraform CLI against the emulator's faults: answers lost after the create was carried out,
//! storms of throttling, server errors and lost answers, Ctrl-C in the middle of an apply, and a
//! terraform killed outright.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use acceptance::harness::terraform::is_running;
use acceptance::harness::{hcl, Stack, Terraform, TfRun};
use serde_json::{json, Value};

const CLUSTER: &str = "shop-blue";

/// `count` associations `app[i]` for service accounts `sa-i` of namespace `app`.
fn associations(count: usize, provider_body: &str) -> String {
    let app = hcl::association("app", CLUSTER, "app", "sa-${count.index}")
        .arg("count", count)
        .string("role_arn", &hcl::role_arn("shop"));
    format!("{}{app}", hcl::provider().lines(provider_body))
}

fn setup(count: usize, provider_body: &str) -> (Stack, Terraform) {
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    stack.create_pod_role("shop");
    let tf = Terraform::new(&stack);
    tf.write_config(&associations(count, provider_body));
    (stack, tf)
}

/// The association ids EKS holds.
fn in_eks(stack: &Stack) -> BTreeSet<String> {
    stack
        .associations(CLUSTER)
        .iter()
        .filter_map(|a| a["associationId"].as_str().map(str::to_string))
        .collect()
}

/// The association ids the state holds.
fn in_state(tf: &Terraform) -> BTreeSet<String> {
    let state = tf.state_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["type"] == "aws_eks_pod_identity_association")
        .filter_map(|r| r["values"]["association_id"].as_str().map(str::to_string))
        .collect()
}

fn apply(tf: &Terraform, parallelism: usize) -> TfRun {
    tf.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        &format!("-parallelism={parallelism}"),
    ])
}

/// Apply, and once more if the first apply failed; the run that ended it.
fn apply_at_most_twice(tf: &Terraform, parallelism: usize) -> TfRun {
    let first = apply(tf, parallelism);
    if first.success() {
        return first;
    }
    apply(tf, parallelism)
}

#[test]
fn a_create_whose_every_answer_is_lost_is_recorded() {
    let (stack, tf) = setup(1, "  max_retries = 3");
    stack.inject_fault(json!({
        "kind": "drop_after_commit",
        "operation": "CreatePodIdentityAssociation",
        "forever": true,
    }));
    let run = tf.apply();
    let out = run.flat_output();
    assert!(out.contains("recovered after its create failed"), "{out}");
    let creates = stack
        .eks_operations()
        .iter()
        .filter(|op| *op == "CreatePodIdentityAssociation")
        .count();
    assert_eq!(
        creates, 4,
        "the first attempt and max_retries = 3 more, all unanswered"
    );
    assert_eq!(in_eks(&stack).len(), 1);
    assert_eq!(in_state(&tf), in_eks(&stack));
    stack.clear_faults();
    tf.assert_plan_empty();
}

#[test]
fn a_role_whose_create_answer_is_lost_is_recorded() {
    let stack = Stack::start_with_moto_proxy();
    let tf = Terraform::new(&stack);
    tf.write_config(&format!(
        "{}{}",
        hcl::provider().lines("  max_retries = 3"),
        hcl::role("shared")
            .string("name", "shop-lost-answer")
            .lines("  allowed_clusters = [\"shop-*\"]")
    ));
    // IAM creates the role, the answer never arrives; the SDK's retry then meets the role.
    stack.drop_moto_answers("CreateRole", 1);
    let run = tf.apply();
    let out = run.flat_output();
    assert!(out.contains("IAM role shop-lost-answer recovered"), "{out}");
    assert_eq!(stack.dropped_moto_answers().len(), 1);
    let state = tf.resource("aws_eks_pod_identity_role.shared");
    let iam = stack.iam();
    let role = iam
        .run(iam.client.get_role().role_name("shop-lost-answer").send())
        .role
        .expect("role");
    assert_eq!(state["unique_id"], json!(role.role_id()));
    tf.assert_plan_empty();
}

#[test]
fn a_role_that_existed_before_the_create_is_still_refused() {
    let stack = Stack::start_with_moto_proxy();
    let iam = stack.iam();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
    iam.run(
        iam.client
            .create_role()
            .role_name("shop-taken")
            .assume_role_policy_document(trust)
            .send(),
    );
    let tf = Terraform::new(&stack);
    tf.write_config(&format!(
        "{}{}",
        hcl::provider(),
        hcl::role("shared").string("name", "shop-taken")
    ));
    // The first attempt's answer is definite: the role exists already.
    let out = tf.apply_fails();
    assert!(out.contains("IAM role shop-taken already exists"), "{out}");
    assert!(
        out.contains("terraform import aws_eks_pod_identity_role.NAME shop-taken"),
        "{out}"
    );
    assert!(!out.contains("recovered"), "{out}");
}

#[test]
fn a_duplicate_that_existed_before_the_create_is_still_refused() {
    let (stack, tf) = setup(1, "");
    let eks = stack.eks_api();
    let existing = eks
        .run(
            eks.client
                .create_pod_identity_association()
                .cluster_name(CLUSTER)
                .namespace("app")
                .service_account("sa-0")
                .role_arn(hcl::role_arn("shop"))
                .send(),
        )
        .association
        .and_then(|a| a.association_id)
        .expect("association id");
    // The first attempt gets no definite answer; the next one is a definite duplicate.
    stack.inject_fault(json!({
        "kind": "server_error",
        "operation": "CreatePodIdentityAssociation",
    }));
    let out = tf.apply_fails();
    assert!(
        out.contains("already has a pod identity association"),
        "{out}"
    );
    assert!(out.contains(&format!("{CLUSTER},{existing}")), "{out}");
    assert!(!out.contains("recovered"), "{out}");
    assert!(in_state(&tf).is_empty());
}

#[test]
fn a_storm_leaves_no_object_untracked() {
    let (stack, tf) = setup(200, "");
    // Lost answers cost the SDK's shared retry quota twice what throttling does: at these rates
    // it runs dry, and creates whose answers were lost fail although EKS carried them out.
    for fault in [
        json!({"kind": "throttle", "fraction": 0.3, "forever": true}),
        json!({"kind": "server_error", "fraction": 0.1, "forever": true}),
        json!({"kind": "drop_after_commit", "operation": "CreatePodIdentityAssociation", "fraction": 0.3, "forever": true}),
        json!({"kind": "drop_after_commit", "operation": "DeletePodIdentityAssociation", "fraction": 0.3, "forever": true}),
    ] {
        stack.inject_fault(fault);
    }
    let run = apply_at_most_twice(&tf, 50);
    assert!(run.success(), "{}", run.output());
    assert_eq!(in_eks(&stack).len(), 200);
    assert_eq!(in_state(&tf), in_eks(&stack), "state and EKS hold the same");
    tf.assert_plan_empty();

    let destroy = tf.run(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-parallelism=50",
    ]);
    if !destroy.success() {
        tf.destroy();
    }
    assert!(in_eks(&stack).is_empty());
    assert!(in_state(&tf).is_empty());
}

#[test]
fn fifty_creates_with_three_of_every_four_calls_throttled_all_succeed() {
    let (stack, tf) = setup(50, "");
    stack.inject_fault(json!({"kind": "throttle", "fraction": 0.75, "forever": true}));
    // All at once: the backoffs overlap, and the retries of every create draw on no shared quota.
    let run = apply(&tf, 50);
    assert!(run.success(), "{}", run.output());
    assert_eq!(in_eks(&stack).len(), 50);
    assert_eq!(in_state(&tf), in_eks(&stack));
}

#[test]
fn fifty_creates_facing_two_hundred_queued_throttles_all_succeed() {
    // Throttling with no success in between: the SDK's shared retry quota (100 throttled
    // retries) would run out long before each create's max_retries.
    let (stack, tf) = setup(50, "");
    stack.inject_fault(json!({
        "kind": "throttle",
        "operation": "CreatePodIdentityAssociation",
        "count": 200,
    }));
    let run = apply(&tf, 50);
    assert!(run.success(), "{}", run.output());
    assert_eq!(in_eks(&stack).len(), 50);
    assert_eq!(in_state(&tf), in_eks(&stack));
}

#[test]
fn retries_are_logged() {
    let (stack, mut tf) = setup(1, "");
    stack.inject_fault(json!({
        "kind": "throttle",
        "operation": "CreatePodIdentityAssociation",
        "count": 4,
    }));
    tf.set_env("TF_LOG", "DEBUG");
    let log = tf.apply().output();
    assert!(
        log.lines().any(|l| l.contains(
            "[INFO]  provider.terraform-provider-podidentity: retrying EKS.CreatePodIdentityAssociation shop-blue (attempt 2): the previous attempt got ThrottlingException"
        )),
        "each retry at info, with what the previous attempt got: {log}"
    );
    assert!(
        log.contains("EKS.CreatePodIdentityAssociation succeeded after 5 attempts"),
        "an operation that needed more than three attempts at info: {log}"
    );
}

/// Starts an apply of six associations whose first two creates are carried out at once but
/// answered one byte a second, and waits until EKS holds all six.
fn slow_apply(stack: &Stack, tf: &Terraform) -> acceptance::harness::terraform::Running {
    stack.inject_fault(json!({
        "kind": "trickle",
        "operation": "CreatePodIdentityAssociation",
        "count": 2,
        "interval_ms": 1000,
    }));
    let running = tf.start(&["apply", "-auto-approve", "-input=false"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while in_eks(stack).len() < 6 {
        assert!(
            Instant::now() < deadline,
            "the six creates were not carried out"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    running
}

/// What Ctrl-C must give: terraform back within 5 s, and every association EKS holds in the
/// state (the two whose answers were still trickling are recovered).
fn assert_stopped_in_time_with_everything_recorded(
    stack: &Stack,
    tf: &Terraform,
    running: acceptance::harness::terraform::Running,
    interrupted: Instant,
) {
    let run = running.wait();
    let took = interrupted.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "terraform took {took:?} to stop:\n{}",
        run.output()
    );
    assert_eq!(in_eks(stack).len(), 6);
    assert_eq!(
        in_state(tf),
        in_eks(stack),
        "every association EKS holds is in the state:\n{}",
        run.output()
    );
}

#[test]
fn ctrl_c_during_a_slow_apply_stops_at_once_and_records_what_exists() {
    let (stack, tf) = setup(6, "");
    let running = slow_apply(&stack, &tf);
    // A terminal sends SIGINT to terraform and its plugins.
    running.ctrl_c();
    let interrupted = Instant::now();
    assert_stopped_in_time_with_everything_recorded(&stack, &tf, running, interrupted);
    stack.clear_faults();
    tf.assert_plan_empty();
}

#[test]
fn stop_provider_alone_stops_the_provider() {
    let (stack, tf) = setup(6, "");
    let running = slow_apply(&stack, &tf);
    // Only terraform gets the signal; it asks the provider to stop through the plugin protocol.
    running.interrupt();
    let interrupted = Instant::now();
    assert_stopped_in_time_with_everything_recorded(&stack, &tf, running, interrupted);
}

#[test]
fn a_killed_terraform_leaves_no_provider_behind() {
    let (stack, tf) = setup(1, "");
    stack.inject_fault(json!({
        "kind": "latency",
        "operation": "CreatePodIdentityAssociation",
        "latency_ms": 120_000,
    }));
    let mut running = tf.start(&["apply", "-auto-approve", "-input=false"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let creating = |stack: &Stack| {
        stack
            .eks_requests()
            .iter()
            .any(|r: &Value| r["operation"] == "CreatePodIdentityAssociation")
    };
    let plugins = loop {
        let plugins = running.plugin_processes();
        if !plugins.is_empty() && creating(&stack) {
            break plugins;
        }
        assert!(Instant::now() < deadline, "the apply never reached EKS");
        std::thread::sleep(Duration::from_millis(200));
    };
    running.kill();
    let killed = Instant::now();
    while plugins.iter().any(|pid| is_running(*pid)) {
        assert!(
            killed.elapsed() < Duration::from_secs(20),
            "provider processes {plugins:?} still run 20 s after terraform was killed"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = running.wait();
}
