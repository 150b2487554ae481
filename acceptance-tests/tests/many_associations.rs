//! Reading many associations while EKS throttles: the role's in-use scan and the associations
//! data source page through clusters and describe every association many at a time; with every
//! 10th EKS call throttled they still find each association, and each once.

use std::collections::BTreeMap;

use acceptance::harness::{hcl, Stack, Terraform};
use serde_json::json;

/// More than one page of ListPodIdentityAssociations (100) in the first cluster.
const BLUE: usize = 130;
const GREEN: usize = 40;

/// Every 10th EKS call, whatever its operation, is answered with a ThrottlingException.
fn throttle_every_tenth_call(stack: &Stack) {
    stack.inject_fault(json!({"kind": "throttle", "forever": true, "fraction": 0.1}));
}

/// How many times each of `lines` occurs in `text`.
fn occurrences<'a>(text: &str, lines: &'a [String]) -> BTreeMap<&'a str, usize> {
    lines
        .iter()
        .map(|line| (line.as_str(), text.matches(line.as_str()).count()))
        .collect()
}

#[test]
fn the_in_use_scan_finds_every_association_once_while_eks_throttles() {
    let stack = Stack::start();
    for cluster in ["shop-blue", "shop-green", "shop-empty"] {
        stack.create_cluster(cluster);
    }
    let tf = Terraform::new(&stack);
    let role = hcl::role("shared").string("name", "shop-shared");
    tf.write_config(&format!("{}{role}", hcl::provider()));
    tf.apply();
    let arn = tf.resource("aws_eks_pod_identity_role.shared")["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    let other = stack.create_pod_role("shop-other");

    // The lines the refusal must hold, each once: `cluster/namespace/service_account (`.
    let mut users: Vec<String> = vec![];
    for (cluster, count) in [("shop-blue", BLUE), ("shop-green", GREEN)] {
        let made = stack.create_associations(cluster, &arn, "app", count);
        users.extend(made.iter().map(|ns_sa| format!("{cluster}/{ns_sa} (")));
    }
    // Associations of another role are not the role's users.
    stack.create_associations("shop-green", &other, "other", 25);

    throttle_every_tenth_call(&stack);
    stack.clear_eks_requests();
    // The plan's warning lists the users (the refused destroy would list them again).
    let plan = tf.run(&["plan", "-destroy", "-input=false"]);
    assert!(plan.success(), "{}", plan.output());
    let out = plan.output();
    let in_use = format!(
        "IAM role shop-shared is in use by {} pod identity association(s)",
        BLUE + GREEN
    );
    assert!(out.contains(&in_use), "{out}");
    let found = occurrences(&out, &users);
    let not_once: Vec<_> = found.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        not_once.is_empty(),
        "not listed exactly once: {not_once:?}\n{out}"
    );
    assert!(!out.contains("/other-"), "{out}");
    assert!(
        stack.throttled_eks_requests() > 0,
        "the scan met no throttling: the test proves nothing"
    );

    // The destroy itself scans again, still throttled, and refuses.
    let refused = tf.destroy_fails();
    assert!(refused.contains(&in_use), "{refused}");
}

#[test]
fn the_associations_data_source_lists_every_association_once_while_eks_throttles() {
    let stack = Stack::start();
    stack.create_cluster("shop-blue");
    let role = stack.create_pod_role("shop");
    let count = 250;
    let made = stack.create_associations("shop-blue", &role, "app", count);

    let tf = Terraform::new(&stack);
    let listing = hcl::associations_data_source("all", "shop-blue");
    let ids =
        "[for a in data.aws_eks_pod_identity_associations.all.associations : a.association_id]";
    let names = "sort([for a in data.aws_eks_pod_identity_associations.all.associations : \"${a.namespace}/${a.service_account}\"])";
    tf.write_config(&format!(
        "{}{listing}{}{}{}",
        hcl::provider(),
        hcl::output("listed", &format!("length({ids})")),
        hcl::output("distinct", &format!("length(distinct({ids}))")),
        hcl::output("names", names),
    ));
    throttle_every_tenth_call(&stack);
    stack.clear_eks_requests();
    tf.apply();
    assert!(
        stack.throttled_eks_requests() > 0,
        "the listing met no throttling: the test proves nothing"
    );

    let outputs = tf.outputs();
    assert_eq!(outputs["listed"], json!(count));
    assert_eq!(outputs["distinct"], json!(count));
    let mut expected = made;
    expected.sort();
    assert_eq!(outputs["names"], json!(expected));
}
