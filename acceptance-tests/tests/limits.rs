//! AWS's size and character limits, refused at plan and naming the attribute, before any call:
//! policy sizes as IAM and STS count them, the characters IAM allows in policy documents, and
//! the characters of tags (`[\p{L}\p{Z}\p{N}_.:/=+\-@]`).

use acceptance::harness::{hcl, Stack, Terraform};

const CLUSTER: &str = "shop-blue";

/// A policy document of `n` statements as the configuration writes it; each statement takes
/// 68 characters, white space not counted.
fn policy(n: usize, sid: &str) -> String {
    format!(
        "jsonencode({{ Version = \"2012-10-17\", Statement = [for i in range({n}) : {{ Sid = \"{sid}${{i}}\", Effect = \"Allow\", Action = \"s3:GetObject\", Resource = \"*\" }}] }})"
    )
}

/// (resource: "association" or "role", its argument lines, error summary, words of the detail)
fn bad_inputs() -> Vec<(&'static str, String, &'static str, &'static str)> {
    vec![
        (
            "association",
            format!("disable_session_tags = true\n  policy = {}", policy(40, "s")),
            "Invalid policy",
            "at most 2048",
        ),
        (
            "association",
            format!("disable_session_tags = true\n  policy = {}", policy(1, "\u{2603}")),
            "Invalid policy",
            "U+2603",
        ),
        (
            "association",
            "tags = { team = \"plat\\nform\" }".to_string(),
            "Invalid tags value",
            "no tabs or line breaks",
        ),
        (
            "association",
            "tags = { team = \"plat\\u000bform\" }".to_string(),
            "Invalid tags value",
            "no tabs or line breaks",
        ),
        (
            "association",
            "tags = { \"snow\u{2603}\" = \"x\" }".to_string(),
            "Invalid tags key",
            "characters AWS does not allow",
        ),
        (
            "role",
            format!("inline_policies = {{ big = {} }}", policy(200, "s")),
            "Invalid inline_policies[\"big\"] document",
            "white space not counted",
        ),
        (
            "role",
            format!(
                "inline_policies = {{ a = {}, b = {} }}",
                policy(90, "a"),
                policy(90, "b")
            ),
            "Invalid inline_policies",
            "add up to",
        ),
        (
            "role",
            format!("inline_policies = {{ euro = {} }}", policy(1, "\u{20ac}")),
            "Invalid inline_policies[\"euro\"] document",
            "U+20AC",
        ),
        (
            "role",
            "tags = { owner = \"a\\tb\" }".to_string(),
            "Invalid tags value",
            "no tabs or line breaks",
        ),
        (
            "role",
            "tags = { owner = \"a\\nb\" }".to_string(),
            "Invalid tags value",
            "no tabs or line breaks",
        ),
        (
            "role",
            "allowed_service_accounts = [for i in range(40) : \"namespace-${i}/service-account-${i}\"]"
                .to_string(),
            "Invalid allowed_service_accounts",
            "over IAM's limit",
        ),
    ]
}

fn configuration(resource: &str, lines: &str) -> String {
    let block = match resource {
        "association" => hcl::association("this", CLUSTER, "carts", "carts")
            .string("role_arn", &hcl::role_arn("shop")),
        _ => hcl::role("this").string("name", "shop-limits"),
    };
    format!("{}{}", hcl::provider(), block.lines(&format!("  {lines}")))
}

#[test]
fn aws_limits_fail_at_plan_without_any_api_call() {
    let rows = bad_inputs();
    assert!(rows.len() >= 10);
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    stack.clear_eks_requests();
    let tf = Terraform::new(&stack);
    tf.assert_plans_fail(rows.iter().map(|(resource, lines, summary, detail)| {
        (configuration(resource, lines), *summary, *detail)
    }));
    assert!(
        stack.eks_requests().is_empty(),
        "no EKS call: {:?}",
        stack.eks_operations()
    );
    let iam_calls = stack.moto.actions("iam").expect("recording");
    assert!(iam_calls.is_empty(), "no IAM call: {iam_calls:?}");
}

#[test]
fn policies_within_the_limits_pass() {
    let stack = Stack::start();
    let tf = Terraform::new(&stack);
    // 140 statements of 68 characters: within 10,240 once white space is not counted, as IAM
    // counts, though the configuration's text is longer.
    tf.write_config(&configuration(
        "role",
        &format!("inline_policies = {{ read = {} }}", policy(140, "s")),
    ));
    tf.plan();
}
