//! The blue/green upgrade lifecycle of examples/blue-green, through terraform against the local
//! stack: the reason the provider exists.

use acceptance::harness::Stack;
use acceptance::story::{example_dir, Color, Story, ROLE_NAME};

fn common_sources() -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(example_dir("common"))
        .expect("common example")
        .flatten()
    {
        if entry.path().extension().is_some_and(|e| e == "tf") {
            text.push_str(&std::fs::read_to_string(entry.path()).expect("read .tf"));
        }
    }
    text
}

#[test]
fn common_references_nothing_from_the_cluster_states() {
    let text = common_sources();
    for word in [
        "blue",
        "green",
        "terraform_remote_state",
        "oidc",
        "aws_eks_pod_identity_association",
    ] {
        assert!(
            !text.to_lowercase().contains(word),
            "examples/blue-green/common mentions {word:?}: the common state must not depend on a cluster state"
        );
    }
    for color in [Color::Blue, Color::Green] {
        let dir = example_dir(color.name());
        let main = std::fs::read_to_string(dir.join("main.tf")).expect("cluster example");
        assert!(
            !main.contains("data \"terraform_remote_state\""),
            "{} finds the role by name",
            color.name()
        );
        assert!(main.contains("data \"aws_eks_pod_identity_role\""));
    }
}

#[test]
fn blue_green_upgrade_lifecycle() {
    let stack = Stack::start();
    let story = Story::new(&stack);
    story.create_clusters();

    story.common.apply();
    assert!(
        story.common.plan_is_empty(),
        "common plan empty after its apply"
    );
    let trust = story.trust_policy_in_iam().expect("trust policy");

    // Cluster states only read IAM: no IAM write while they are applied.
    for color in [Color::Blue, Color::Green] {
        stack.moto.clear_requests().expect("clear recording");
        story.cluster_state(color).apply();
        let writes = stack.moto.iam_writes().expect("recording");
        assert!(
            writes.is_empty(),
            "{} apply wrote to IAM: {writes:?}",
            color.name()
        );
        story.cluster_state(color).assert_plan_empty();
        assert!(
            story.common.plan_is_empty(),
            "common plan empty after {} apply",
            color.name()
        );
        assert_eq!(
            story.trust_policy_in_iam().expect("trust"),
            trust,
            "trust policy unchanged"
        );
    }

    let role_arn = format!(
        "arn:aws:iam::{}:role/{ROLE_NAME}",
        acceptance::harness::ACCOUNT_ID
    );
    for color in [Color::Blue, Color::Green] {
        assert_eq!(
            story.associations(color),
            vec![("app/app-sa".to_string(), role_arn.clone())],
            "{} cluster uses the shared role",
            color.name()
        );
    }

    // Cutover: blue goes away; the role and its trust policy do not change.
    story.blue.destroy();
    assert!(story.associations(Color::Blue).is_empty());
    assert_eq!(story.associations(Color::Green).len(), 1);
    assert!(
        story.common.plan_is_empty(),
        "common plan empty after blue destroy"
    );
    assert_eq!(story.trust_policy_in_iam().expect("trust"), trust);

    // The common state cannot delete the role while green uses it.
    let out = story.common.destroy_fails();
    assert!(out.contains("in use"), "{out}");
    assert!(
        out.contains("shop-green/app/app-sa"),
        "names green's association: {out}"
    );
    assert_eq!(
        story.trust_policy_in_iam().expect("role still there"),
        trust
    );

    story.green.destroy();
    story.common.destroy();
    assert!(!story.role_exists().expect("GetRole"), "role deleted");
}

#[test]
fn blue_and_green_apply_concurrently() {
    let stack = Stack::start();
    let story = Story::new(&stack);
    story.create_clusters();
    story.common.apply();
    std::thread::scope(|scope| {
        let blue = scope.spawn(|| story.blue.apply());
        let green = scope.spawn(|| story.green.apply());
        assert!(blue.join().is_ok(), "blue apply");
        assert!(green.join().is_ok(), "green apply");
    });
    assert_eq!(story.associations(Color::Blue).len(), 1);
    assert_eq!(story.associations(Color::Green).len(), 1);
    assert!(story.common.plan_is_empty());
}

#[test]
fn the_demo_story_runs_start_to_finish() {
    let stack = Stack::start();
    let story = Story::new(&stack);
    let mut lines = Vec::new();
    story
        .run(&mut |line| lines.push(line.to_string()))
        .unwrap_or_else(|e| panic!("story failed: {e:#}\n{}", lines.join("\n")));
    assert_eq!(lines.len(), 13, "{lines:#?}");
    let text = lines.join("\n");
    for words in [
        "[6/10] a pod of app/app-sa in shop-green gets credentials: arn:aws:sts::123456789012:assumed-role/shop-dynamodb-read/",
        "eks-cluster-name=shop-green",
        "kubernetes-service-account=app-sa",
        "[7/10] a pod of app/intruder in shop-green, associated by hand outside Terraform, is refused: AccessDeniedException",
        "a pod of app/app-sa in shop-blue is refused now: ResourceNotFoundException",
    ] {
        assert!(text.contains(words), "{words:?} in:\n{text}");
    }
    assert!(lines.last().is_some_and(|l| l.starts_with("[10/10]")));
}

/// The cutover mistake: the shared role trusts shop-blue only, and green is planned. The green
/// state's plan fails before any EKS call, naming the cluster and the fix; once common adds
/// shop-green, green applies and its pods get credentials.
#[test]
fn green_is_refused_at_plan_until_the_shared_role_trusts_it() {
    let stack = Stack::start();
    let story = Story::new(&stack);
    story.create_clusters();
    story.common.write_file(
        "terraform.tfvars",
        "cluster_name_patterns = [\"shop-blue\"]\n",
    );
    story.common.apply();
    story.blue.apply();

    stack.clear_eks_requests();
    let out = story.green.plan_fails();
    for words in [
        "Error: The pods of app/app-sa in cluster shop-green would be refused credentials",
        "\"shop-green\"",
        "Fix: add \"shop-green\" to allowed_clusters of role shop-dynamodb-read",
    ] {
        assert!(out.contains(words), "{words:?} in: {out}");
    }
    // The trust check makes no EKS call; the only one is the agent's plan-time look at the
    // cluster (is it Auto Mode?). Nothing is created.
    assert_eq!(
        stack.eks_operations(),
        vec!["DescribeCluster".to_string()],
        "the trust check makes no EKS call"
    );
    assert!(story.associations(Color::Green).is_empty());

    story.common.write_file(
        "terraform.tfvars",
        "cluster_name_patterns = [\"shop-blue\", \"shop-green\"]\n",
    );
    story.common.apply();
    story.green.apply();
    let session = stack
        .pod_credentials("shop-green", "app", "app-sa")
        .unwrap_or_else(|refused| panic!("green pod refused: {refused}"));
    assert!(
        session
            .assumed_role_arn
            .contains(":assumed-role/shop-dynamodb-read/"),
        "{session:?}"
    );
    assert!(
        session
            .session_tags
            .contains(&"eks-cluster-name=shop-green".to_string()),
        "{session:?}"
    );
    let other = stack.pod_credentials("shop-green", "app", "other-sa");
    assert!(other.is_err(), "{other:?}");
}
