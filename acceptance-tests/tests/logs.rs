//! What the provider writes to Terraform's log, read through the real terraform CLI: lines
//! Terraform parses (at the level they were written), one debug line per AWS call, the SDK's
//! internals only at trace, and never a credential.

use std::collections::BTreeMap;

use acceptance::harness::{hcl, Stack, Terraform, ACCOUNT_ID};

/// The prefix Terraform gives a line of this provider it has parsed, at `level` (hclog pads
/// the level to five characters after the bracket: `[INFO]  `, `[DEBUG] `).
fn parsed(level: &str) -> String {
    let pad = " ".repeat(5usize.saturating_sub(level.len()));
    format!("[{level}]{pad} provider.terraform-provider-podidentity: ")
}

/// A role made out of band, and an association of it with a data source reading the cluster.
fn stack_and_config() -> (Stack, String) {
    let stack = Stack::start();
    stack.create_cluster("shop-blue");
    stack.create_pod_role("shop-logs");
    let config = format!(
        "{}{}{}",
        hcl::provider(),
        hcl::association("app", "shop-blue", "app", "app-sa")
            .string("role_arn", &hcl::role_arn("shop-logs")),
        hcl::associations_data_source("all", "shop-blue"),
    );
    (stack, config)
}

/// Lines of the provider Terraform could not parse: it shows them raw, at DEBUG.
fn unparsed_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("provider.terraform-provider-podidentity: {"))
        .collect()
}

#[test]
fn info_lines_reach_terraform_parsed_at_info() {
    let (stack, config) = stack_and_config();
    let mut tf = Terraform::new(&stack);
    tf.set_env("TF_LOG", "info");
    tf.write_config(&config);
    let log = tf.apply().output();

    let info = parsed("INFO");
    let configured = format!("{info}provider configured: ");
    assert!(
        log.lines().any(|l| l.contains(&configured)
            && l.contains("region=eu-west-1")
            && l.contains(&format!("account_id={ACCOUNT_ID}"))),
        "the configure line, with region and account, parsed at INFO:\n{log}"
    );
    assert!(
        log.contains(&format!(
            "{info}created eks_pod_identity_association shop-blue/app/app-sa (a-"
        )),
        "the create, with its target, at INFO:\n{log}"
    );
    assert!(
        unparsed_lines(&log).is_empty(),
        "{:?}",
        unparsed_lines(&log)
    );
    assert!(
        !log.contains("[DEBUG] provider.terraform-provider-podidentity"),
        "nothing of ours below the level asked for"
    );

    // TF_LOG_PROVIDER alone selects the provider's lines.
    let mut tf = Terraform::new(&stack);
    tf.set_env("TF_LOG_PROVIDER", "INFO");
    tf.write_config(&config);
    let log = tf.plan().output();
    assert!(log.contains(&configured), "{log}");
    assert!(
        !log.contains("[INFO]  Terraform version"),
        "only the provider's lines: {log}"
    );
}

#[test]
fn every_aws_call_is_one_parsed_debug_line_naming_its_operation() {
    let (stack, config) = stack_and_config();
    let mut tf = Terraform::new(&stack);
    tf.set_env("TF_LOG", "debug");
    tf.write_config(&config);
    stack.clear_eks_requests();
    stack.moto.clear_requests().expect("moto recording");
    let log = tf.apply().output();

    // What the log says was called, by operation name.
    let call = format!("{}AWS call ", parsed("DEBUG"));
    let mut logged: BTreeMap<String, usize> = BTreeMap::new();
    for line in log.lines().filter(|l| l.contains(&call)) {
        let rest = &line[line.find(&call).map_or(0, |at| at + call.len())..];
        let operation = rest
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .trim_end_matches(':');
        let name = operation.rsplit('.').next().unwrap_or_default().to_string();
        assert!(line.contains("attempt="), "{line}");
        assert!(line.contains("duration_ms="), "{line}");
        assert!(line.contains("status="), "{line}");
        *logged.entry(name).or_default() += 1;
    }
    // What the servers received.
    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    for op in stack.eks_operations() {
        *received.entry(op).or_default() += 1;
    }
    for request in stack.moto.requests().expect("moto recording") {
        *received.entry(request.action).or_default() += 1;
    }
    assert!(
        received.contains_key("CreatePodIdentityAssociation"),
        "{received:?}"
    );
    assert!(received.contains_key("GetRole"), "{received:?}");
    assert!(received.contains_key("GetCallerIdentity"), "{received:?}");
    assert_eq!(logged, received, "one debug line per call received");

    // The association's target is named in its calls.
    assert!(
        log.lines()
            .any(|l| l.contains(&call) && l.contains("CreatePodIdentityAssociation shop-blue")),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains(&call) && l.contains("GetRole role shop-logs")),
        "{log}"
    );
    assert!(
        unparsed_lines(&log).is_empty(),
        "{:?}",
        unparsed_lines(&log)
    );
    for internal in [
        "aws_smithy_runtime",
        "entering 'serialization' phase",
        "aws_config",
    ] {
        assert!(
            !log.contains(internal),
            "SDK internals only at trace: {internal}\n{log}"
        );
    }
}

#[test]
fn trace_shows_the_sdk_but_never_a_credential() {
    let stack = Stack::start();
    stack.create_cluster("shop-blue");
    let key = "AKIATRACELEAKCHECK01";
    let secret = "trace-leak-check-secret-do-not-log-0001";
    let token = "trace-leak-check-session-token-do-not-log-0001";
    stack.add_eks_credentials(key, secret, Some(token));
    let mut tf = Terraform::new(&stack);
    tf.set_env("TF_LOG", "trace")
        .set_env("AWS_ACCESS_KEY_ID", key)
        .set_env("AWS_SECRET_ACCESS_KEY", secret)
        .set_env("AWS_SESSION_TOKEN", token);

    let assume_role = format!(
        "  assume_role {{\n    role_arn     = \"arn:aws:iam::{ACCOUNT_ID}:role/deployer\"\n    session_name = \"trace-check\"\n  }}"
    );
    for provider_body in ["", assume_role.as_str()] {
        tf.write_config(&format!(
            "{}{}",
            hcl::provider().lines(provider_body),
            hcl::associations_data_source("all", "shop-blue"),
        ));
        let log = tf.apply().output();
        assert!(
            log.contains(&parsed("TRACE")) && log.contains("@module=aws_smithy_runtime"),
            "the SDK's internals are there at trace, parsed:\n{log}"
        );
        for (what, leaked) in [
            ("access key id", key),
            ("secret key", secret),
            ("session token", token),
        ] {
            assert!(!log.contains(leaked), "the {what} leaked into the log");
        }
        // The assumed role's keys (moto's, ASIA...) are masked too.
        let access_key_shaped = log.match_indices("ASIA").any(|(at, _)| {
            log[at + 4..]
                .chars()
                .take(16)
                .filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                .count()
                == 16
        });
        assert!(!access_key_shaped, "an access key id leaked into the log");
        assert!(
            unparsed_lines(&log).is_empty(),
            "{:?}",
            unparsed_lines(&log)
        );
    }
}
