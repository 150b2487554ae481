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
    assert_eq!(lines.len(), 9, "{lines:#?}");
    assert!(lines.last().is_some_and(|l| l.starts_with("[8/8]")));
}
