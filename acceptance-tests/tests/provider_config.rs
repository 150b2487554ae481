//! The provider block, configured through the real terraform CLI against moto and the EKS
//! emulator: endpoints, credentials, region, account guards, retries, logging, and what a person
//! sees when running the binary by hand.

use acceptance::harness::{
    flatten, hcl, sts_error, CannedServer, MotoOptions, Stack, Terraform, ACCESS_KEY_ID,
    ACCOUNT_ID, REGION,
};
use serde_json::json;

// A configuration that makes terraform configure the provider and call EKS once.
use hcl::one_eks_call_with_provider as config_with;

/// The STS actions moto received, in order.
fn sts_actions(stack: &Stack) -> Vec<String> {
    stack.moto.actions("sts").expect("moto recording")
}

fn stack_with_cluster() -> Stack {
    let stack = Stack::start();
    stack.create_cluster("shop-blue");
    stack
}

#[test]
fn provider_configures_against_the_stack_from_environment_variables() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(""));
    tf.apply();
    assert_eq!(tf.outputs()["count"], json!(0));

    let sts = sts_actions(&stack);
    assert!(
        sts.contains(&"GetCallerIdentity".to_string()),
        "credentials validated: {sts:?}"
    );
    assert!(stack
        .eks_operations()
        .contains(&"ListPodIdentityAssociations".to_string()));
    let requests = stack.eks_requests();
    assert!(
        requests.iter().all(|r| r["access_key_id"] == ACCESS_KEY_ID),
        "every EKS call is SigV4-signed with the configured key: {requests:?}"
    );
    assert!(
        requests.iter().all(|r| r["region"] == REGION),
        "and signed for the configured region: {requests:?}"
    );
}

#[test]
fn endpoints_block_wins_over_environment_variables() {
    let stack = stack_with_cluster();
    let mut tf = Terraform::new(&stack);
    // Nothing listens there: if the variable won, the calls would fail.
    for var in [
        "AWS_ENDPOINT_URL_EKS",
        "AWS_ENDPOINT_URL_IAM",
        "AWS_ENDPOINT_URL_STS",
    ] {
        tf.set_env(var, "http://127.0.0.1:9");
    }
    tf.write_config(&config_with(&format!(
        "  region = \"eu-west-1\"\n  endpoints {{\n    eks = \"{}\"\n    iam = \"{}\"\n    sts = \"{}\"\n  }}",
        stack.eks.url(),
        stack.moto.url(),
        stack.moto.url()
    )));
    tf.apply();
    assert!(!stack.eks_requests().is_empty());
}

#[test]
fn missing_region_is_a_clear_error() {
    let stack = stack_with_cluster();
    let mut tf = Terraform::new(&stack);
    tf.unset_env("AWS_REGION");
    tf.write_config(&config_with(""));
    let out = tf.plan_fails();
    assert!(out.contains("No AWS region configured"), "{out}");
    assert!(out.contains("AWS_REGION"), "{out}");
    assert!(
        stack.eks_requests().is_empty(),
        "no EKS call without a region"
    );
}

#[test]
fn region_from_the_provider_block_is_used() {
    let stack = stack_with_cluster();
    let mut tf = Terraform::new(&stack);
    tf.unset_env("AWS_REGION");
    tf.write_config(&config_with("  region = \"eu-west-1\""));
    tf.apply();
}

#[test]
fn a_disallowed_account_is_refused() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with("  allowed_account_ids = [\"111122223333\"]"));
    let out = tf.plan_fails();
    assert!(
        out.contains(&format!("AWS account {ACCOUNT_ID} is not allowed")),
        "{out}"
    );
    assert!(out.contains("111122223333"), "{out}");
    assert!(
        stack.eks_requests().is_empty(),
        "nothing reaches EKS: {:?}",
        stack.eks_operations()
    );
}

#[test]
fn a_forbidden_account_is_refused() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(&format!(
        "  forbidden_account_ids = [\"{ACCOUNT_ID}\"]"
    )));
    let out = tf.plan_fails();
    assert!(
        out.contains(&format!("AWS account {ACCOUNT_ID} is forbidden")),
        "{out}"
    );
}

#[test]
fn an_allowed_account_passes() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(&format!(
        "  allowed_account_ids = [\"{ACCOUNT_ID}\"]"
    )));
    tf.apply();
}

/// `terraform validate` of [`config_with`] `provider_body`, which must fail; its output.
fn validate_fails(stack: &Stack, provider_body: &str) -> String {
    let tf = Terraform::new(stack);
    tf.write_config(&config_with(provider_body));
    let run = tf.validate();
    assert!(!run.success());
    run.flat_output()
}

#[test]
fn both_account_guards_fail_validation_without_any_call() {
    let stack = stack_with_cluster();
    let out = validate_fails(
        &stack,
        "  allowed_account_ids   = [\"111122223333\"]\n  forbidden_account_ids = [\"444455556666\"]",
    );
    assert!(out.contains("Conflicting account guards"), "{out}");
    assert!(out.contains("forbidden_account_ids"), "{out}");
    assert!(stack.moto.requests().expect("recording").is_empty());
}

#[test]
fn invalid_provider_arguments_name_the_attribute() {
    let stack = stack_with_cluster();
    let out = validate_fails(
        &stack,
        "  max_retries = -3\n  assume_role {\n    role_arn = \"deployer\"\n    duration = \"3 days\"\n  }",
    );
    assert!(out.contains("Invalid max_retries"), "{out}");
    assert!(out.contains("Invalid assume_role.role_arn"), "{out}");
    assert!(out.contains("Invalid assume_role.duration"), "{out}");
}

#[test]
fn credentials_that_do_not_work_are_rejected_at_configure() {
    // moto enforcing IAM authentication: the test access key does not exist there.
    let stack = Stack::start_with(&MotoOptions { enforce_auth: true });
    stack.create_cluster("shop-blue");
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(""));
    let out = tf.plan_fails();
    assert!(
        out.contains("AWS rejected the provider's credentials"),
        "{out}"
    );
    assert!(out.contains("GetCallerIdentity"), "{out}");
    assert!(out.contains("InvalidClientTokenId"), "{out}");
    assert!(stack.eks_requests().is_empty());
}

/// A configure-time failure as Terraform shows it: one sentence of cause, one of fix, and
/// nothing a Rust program prints for its programmers.
fn assert_plain(out: &str, cause: &str, fix: &str) {
    assert!(out.contains(&format!("Error: {cause}")), "cause: {out}");
    assert!(out.contains(&format!("Fix: {fix}")), "fix: {out}");
    // The summary, and the detail, without Terraform's quote of the provider block.
    let error = &out[out.find("Error: ").unwrap_or(0)..];
    let summary = &error[..error.find(" with provider[").unwrap_or(error.len())];
    let detail = &error[error.find("Fix: ").unwrap_or(0)..];
    for debug in ["{", "Error(", "Some(", "HttpInfo", "ConnectorError"] {
        assert!(
            !summary.contains(debug),
            "a Debug rendering ({debug}) in: {summary}"
        );
        assert!(
            !detail.contains(debug),
            "a Debug rendering ({debug}) in: {detail}"
        );
    }
}

#[test]
fn missing_credentials_are_a_clear_error() {
    let stack = stack_with_cluster();
    let mut tf = Terraform::new(&stack);
    tf.unset_env("AWS_ACCESS_KEY_ID")
        .unset_env("AWS_SECRET_ACCESS_KEY");
    tf.write_config(&config_with(""));
    let out = tf.plan_fails();
    assert_plain(
        &flatten(&out),
        "No AWS credentials found",
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    );
    assert!(stack.eks_requests().is_empty());
}

#[test]
fn expired_credentials_are_a_clear_error() {
    let stack = stack_with_cluster();
    let sts = CannedServer::xml(
        403,
        &sts_error(
            "ExpiredToken",
            "The security token included in the request is expired",
        ),
    );
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(&format!(
        "  endpoints {{\n    sts = \"{}\"\n  }}",
        sts.url()
    )));
    let out = tf.plan_fails();
    assert_plain(
        &flatten(&out),
        "The provider's AWS credentials have expired (STS answered ExpiredToken: The security token included in the request is expired).",
        "get fresh credentials",
    );
    assert_eq!(sts.hits(), 1, "asked once, not retried");
}

#[test]
fn an_unreachable_endpoint_is_a_clear_error() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(
        "  endpoints {\n    sts = \"http://127.0.0.1:9\"\n  }",
    ));
    let out = tf.plan_fails();
    assert_plain(
        &flatten(&out),
        "Cannot reach AWS STS at http://127.0.0.1:9 (http://127.0.0.1:9 refused the connection: nothing accepts connections there).",
        "check the STS endpoint override",
    );
}

#[test]
fn a_region_that_does_not_exist_is_a_clear_error() {
    let stack = stack_with_cluster();
    let mut tf = Terraform::new(&stack);
    // AWS's own endpoint for the region: its name does not resolve.
    tf.unset_env("AWS_ENDPOINT_URL_STS");
    // Past the region check, to reach AWS's own endpoint for it.
    tf.write_config(&config_with(
        "  region                 = \"eu-wst-1\"\n  skip_region_validation = true",
    ));
    let out = tf.plan_fails();
    assert_plain(
        &flatten(&out),
        "Cannot reach AWS STS at https://sts.eu-wst-1.amazonaws.com (https://sts.eu-wst-1.amazonaws.com does not resolve: DNS knows no such name).",
        "check that region \"eu-wst-1\" is an AWS region",
    );
}

#[test]
fn a_refused_assume_role_is_a_clear_error() {
    let stack = stack_with_cluster();
    let role = format!("arn:aws:iam::{ACCOUNT_ID}:role/deployer");
    let sts = CannedServer::xml(
        403,
        &sts_error(
            "AccessDenied",
            &format!("User: arn:aws:iam::{ACCOUNT_ID}:user/ci is not authorized to perform: sts:AssumeRole on resource: {role}"),
        ),
    );
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(&format!(
        "  endpoints {{\n    sts = \"{}\"\n  }}\n  assume_role {{\n    role_arn = \"{role}\"\n  }}",
        sts.url()
    )));
    let out = flatten(&tf.plan_fails());
    assert_plain(
        &out,
        &format!("AWS refused to let the provider's credentials assume role {role} (sts:AssumeRole answered AccessDenied: User: arn:aws:iam::{ACCOUNT_ID}:user/ci is not authorized"),
        "allow the provider's credentials in the role's trust policy",
    );
    assert!(stack.eks_requests().is_empty());
}

#[test]
fn skip_credentials_validation_skips_sts() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with("  skip_credentials_validation = true"));
    tf.apply();
    assert_eq!(sts_actions(&stack), Vec::<String>::new());
}

#[test]
fn shared_credentials_file_and_profile_are_read() {
    let stack = stack_with_cluster();
    let (key, secret) = ("AKIAPROFILEKEY000001", "profile-secret");
    stack.add_eks_credentials(key, secret, None);
    let mut tf = Terraform::new(&stack);
    tf.unset_env("AWS_ACCESS_KEY_ID")
        .unset_env("AWS_SECRET_ACCESS_KEY");
    tf.write_file(
        "creds/credentials",
        &format!("[ops]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    );
    let creds = tf.dir().join("creds/credentials");
    tf.write_config(&config_with(&format!(
        "  profile                  = \"ops\"\n  shared_credentials_files = [\"{}\"]",
        creds.display()
    )));
    tf.apply();
    let keys: Vec<_> = stack
        .eks_requests()
        .iter()
        .map(|r| r["access_key_id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(keys.iter().all(|k| k == key), "{keys:?}");
}

#[test]
fn assume_role_calls_sts_and_uses_the_role_credentials() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(&format!(
        "  assume_role {{\n    role_arn     = \"arn:aws:iam::{ACCOUNT_ID}:role/deployer\"\n    session_name = \"platform-ci\"\n    duration     = \"30m\"\n  }}"
    )));
    tf.apply();
    let sts = sts_actions(&stack);
    assert!(sts.contains(&"AssumeRole".to_string()), "{sts:?}");
    let keys: Vec<String> = stack
        .eks_requests()
        .iter()
        .map(|r| r["access_key_id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(!keys.is_empty());
    assert!(
        keys.iter().all(|k| k != ACCESS_KEY_ID),
        "EKS calls use the assumed role's keys, not the base ones: {keys:?}"
    );
}

#[test]
fn assume_role_reaches_sts_through_the_endpoints_block() {
    let stack = stack_with_cluster();
    let mut tf = Terraform::new(&stack);
    // Nothing listens there: if the variable won for the call that assumes the role, it would
    // fail.
    tf.set_env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    tf.write_config(&config_with(&format!(
        "  endpoints {{\n    sts = \"{}\"\n  }}\n  assume_role {{\n    role_arn = \"arn:aws:iam::{ACCOUNT_ID}:role/deployer\"\n  }}",
        stack.moto.url()
    )));
    tf.apply();
    let sts = sts_actions(&stack);
    assert!(sts.contains(&"AssumeRole".to_string()), "{sts:?}");
}

/// Two throttled ListPodIdentityAssociations, then an apply with `settings` in the provider
/// block: the SDK retries both and the apply succeeds.
fn assert_two_throttles_are_retried(settings: &str) {
    let stack = stack_with_cluster();
    stack.inject_fault(
        json!({"kind": "throttle", "operation": "ListPodIdentityAssociations", "count": 2}),
    );
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(settings));
    tf.apply();
    let list_calls = stack
        .eks_operations()
        .iter()
        .filter(|op| *op == "ListPodIdentityAssociations")
        .count();
    assert!(
        list_calls >= 3,
        "two throttled attempts, then success: {list_calls}"
    );
}

#[test]
fn throttling_is_retried_by_the_sdk() {
    assert_two_throttles_are_retried("");
}

#[test]
fn max_retries_zero_surfaces_throttling() {
    let stack = stack_with_cluster();
    stack.inject_fault(
        json!({"kind": "throttle", "operation": "ListPodIdentityAssociations", "count": 1}),
    );
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with("  max_retries = 0"));
    let out = tf.plan_fails();
    assert!(out.contains("ThrottlingException"), "{out}");
}

#[test]
fn running_the_binary_by_hand_explains_itself() {
    let bin = acceptance::harness::terraform::provider_binary().expect("provider binary");
    let out = std::process::Command::new(&bin)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run provider");
    assert_eq!(out.status.code(), Some(1), "exits non-zero");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("This is a Terraform provider plugin"),
        "{text}"
    );
    assert!(text.contains("required_providers"), "{text}");
    assert!(text.contains("dev_overrides"), "{text}");

    let version = std::process::Command::new(&bin)
        .arg("--version")
        .output()
        .expect("run provider --version");
    assert!(version.status.success());
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("terraform-provider-podidentity "));
}

/// An apply with `access_key`, `secret_key` and, if given, `token` in the provider block, and the
/// environment as `environment` leaves it: every EKS call is signed with the block's key.
fn assert_signed_with_the_block_key(
    (key, secret, token): (&str, &str, Option<&str>),
    environment: impl FnOnce(&mut Terraform),
) {
    let stack = stack_with_cluster();
    stack.add_eks_credentials(key, secret, token);
    let mut tf = Terraform::new(&stack);
    environment(&mut tf);
    let mut settings = format!("  access_key = \"{key}\"\n  secret_key = \"{secret}\"");
    if let Some(token) = token {
        settings.push_str(&format!("\n  token      = \"{token}\""));
    }
    tf.write_config(&config_with(&settings));
    tf.apply();
    let requests = stack.eks_requests();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|r| r["access_key_id"] == key),
        "every EKS call is signed with the provider block's key: {requests:?}"
    );
}

#[test]
fn static_credentials_in_the_provider_block_win_over_the_environment() {
    let block = ("AKIABLOCKKEY00000001", "block-secret", Some("block-token"));
    assert_signed_with_the_block_key(block, |tf| {
        // Credentials of the environment that EKS does not know: if they won, EKS would
        // refuse them.
        tf.set_env("AWS_ACCESS_KEY_ID", "AKIAWRONGKEY00000001")
            .set_env("AWS_SECRET_ACCESS_KEY", "wrong-secret");
    });
}

#[test]
fn static_credentials_work_without_any_in_the_environment() {
    let block = ("AKIABLOCKKEY00000002", "block-secret-2", None);
    assert_signed_with_the_block_key(block, |tf| {
        tf.unset_env("AWS_ACCESS_KEY_ID")
            .unset_env("AWS_SECRET_ACCESS_KEY");
    });
}

#[test]
fn access_key_without_secret_key_fails_the_plan() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with("  access_key = \"AKIABLOCKKEY00000003\""));
    let out = flatten(&tf.plan_fails());
    assert!(out.contains("Invalid access_key"), "{out}");
    assert!(out.contains("access_key needs secret_key"), "{out}");
    assert!(stack.eks_requests().is_empty());
}

#[test]
fn an_unknown_region_fails_the_plan_naming_region() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with("  region = \"eu-wst-1\""));
    let out = flatten(&tf.plan_fails());
    assert!(out.contains("Invalid region"), "{out}");
    assert!(
        out.contains("\"eu-wst-1\" is not an AWS region this provider knows"),
        "{out}"
    );
    assert!(out.contains("skip_region_validation"), "{out}");
    assert!(
        stack.moto.requests().expect("recording").is_empty(),
        "nothing called"
    );
}

#[test]
fn skip_region_validation_accepts_any_region_name() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    // A region name the provider does not know: configure (GetCallerIdentity, which moto answers
    // in any region) passes and the EKS call is signed for it (the emulator, which serves the AWS
    // Regions only, then refuses it).
    tf.write_config(&config_with(
        "  region                 = \"xx-future-9\"\n  skip_region_validation = true",
    ));
    let out = flatten(&tf.plan_fails());
    assert!(!out.contains("Invalid region"), "{out}");
    assert!(
        sts_actions(&stack).contains(&"GetCallerIdentity".to_string()),
        "configured: {out}"
    );
    assert!(
        out.contains("Credential should be scoped to a valid region"),
        "{out}"
    );
}

#[test]
fn adaptive_retry_mode_is_accepted_and_retries() {
    assert_two_throttles_are_retried("  retry_mode = \"adaptive\"");
}

#[test]
fn an_invalid_retry_mode_fails_the_plan() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with("  retry_mode = \"legacy\""));
    let out = flatten(&tf.plan_fails());
    assert!(out.contains("Invalid retry_mode"), "{out}");
    assert!(out.contains("\"legacy\" is not a retry mode"), "{out}");
}

/// A role, an association and the agent, each with tag `app = "shop"`, and the provider block
/// `provider_body`.
fn tagged_config(provider_body: &str) -> String {
    format!(
        "{}{}{}{}",
        hcl::provider().lines(provider_body),
        hcl::Block::resource("aws_eks_pod_identity_agent", "this")
            .string("cluster_name", "shop-blue")
            .lines("  tags = { app = \"shop\" }"),
        hcl::role("shared").lines("  name = \"shop-shared\"\n  tags = { app = \"shop\" }"),
        hcl::association("carts", "shop-blue", "carts", "carts")
            .arg("role_arn", "aws_eks_pod_identity_role.shared.arn")
            .lines("  tags = { app = \"shop\" }"),
    )
}

/// Apply [`tagged_config`], then tag the role, the association and the agent out of band with
/// `key`.
fn apply_then_tag_out_of_band(stack: &Stack, tf: &Terraform, provider_body: &str, key: &str) {
    tf.write_config(&tagged_config(provider_body));
    tf.apply();
    tf.assert_plan_empty();
    let iam = stack.iam();
    iam.run(
        iam.client
            .tag_role()
            .role_name("shop-shared")
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key(key)
                    .value("someone")
                    .build()
                    .expect("tag"),
            )
            .send(),
    );
    let arn = tf.resource("aws_eks_pod_identity_association.carts")["association_arn"]
        .as_str()
        .expect("association_arn")
        .to_string();
    let agent = tf.resource("aws_eks_pod_identity_agent.this")["arn"]
        .as_str()
        .expect("agent arn")
        .to_string();
    let eks = stack.eks_api();
    for arn in [arn, agent] {
        eks.run(
            eks.client
                .tag_resource()
                .resource_arn(arn)
                .tags(key, "someone")
                .send(),
        );
    }
}

#[test]
fn ignore_tags_keys_hide_out_of_band_tags() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    apply_then_tag_out_of_band(
        &stack,
        &tf,
        "  ignore_tags {\n    keys = [\"owner\"]\n  }",
        "owner",
    );
    tf.assert_plan_empty();
    // Applying keeps them: nothing removes an ignored tag.
    tf.apply();
    let iam = stack.iam();
    let role = iam.run(iam.client.get_role().role_name("shop-shared").send());
    let keys: Vec<&str> = role
        .role()
        .map(|r| r.tags().iter().map(|t| t.key()).collect())
        .unwrap_or_default();
    assert!(keys.contains(&"owner"), "{keys:?}");
    let state = tf.resource("aws_eks_pod_identity_association.carts");
    assert_eq!(state["tags_all"], json!({"app": "shop"}));
}

#[test]
fn ignore_tags_key_prefixes_hide_out_of_band_tags() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    apply_then_tag_out_of_band(
        &stack,
        &tf,
        "  ignore_tags {\n    key_prefixes = [\"kubernetes.io/\"]\n  }",
        "kubernetes.io/owner",
    );
    tf.assert_plan_empty();
}

#[test]
fn without_ignore_tags_out_of_band_tags_are_drift() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    apply_then_tag_out_of_band(&stack, &tf, "", "owner");
    let actions = tf.planned_actions();
    for address in [
        "aws_eks_pod_identity_role.shared",
        "aws_eks_pod_identity_association.carts",
        "aws_eks_pod_identity_agent.this",
    ] {
        assert_eq!(
            actions.get(address).map(Vec::as_slice),
            Some(&["update".to_string()][..]),
            "the out-of-band tag of {address} shows as drift to remove: {actions:?}"
        );
    }
}

#[test]
fn assume_role_with_web_identity_calls_sts_and_uses_the_role_credentials() {
    let stack = stack_with_cluster();
    let mut tf = Terraform::new(&stack);
    // No credentials in the environment: only the web identity gives any.
    tf.unset_env("AWS_ACCESS_KEY_ID")
        .unset_env("AWS_SECRET_ACCESS_KEY");
    tf.write_file(
        "token",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl\n",
    );
    let token = tf.dir().join("token");
    tf.write_config(&config_with(&format!(
        "  assume_role_with_web_identity {{\n    role_arn                = \"arn:aws:iam::{ACCOUNT_ID}:role/ci\"\n    session_name            = \"ci-run\"\n    web_identity_token_file = \"{}\"\n    duration                = \"30m\"\n  }}",
        token.display()
    )));
    tf.apply();
    // An unsigned call (the token is the proof), so found by its parameters.
    let params = stack
        .moto
        .request_params("AssumeRoleWithWebIdentity")
        .expect("recording");
    // At least once per provider process (terraform apply starts one to plan, one to apply).
    assert!(!params.is_empty(), "{params:?}");
    assert_eq!(
        params[0].get("RoleArn").map(String::as_str),
        Some(format!("arn:aws:iam::{ACCOUNT_ID}:role/ci").as_str()),
        "{params:?}"
    );
    assert!(
        params[0]
            .get("WebIdentityToken")
            .is_some_and(|t| t.starts_with("eyJhbGciOiJSUzI1NiJ9.")),
        "the token of the file: {params:?}"
    );
    assert_eq!(
        params[0].get("RoleSessionName").map(String::as_str),
        Some("ci-run"),
        "{params:?}"
    );
    assert_eq!(
        params[0].get("DurationSeconds").map(String::as_str),
        Some("1800"),
        "{params:?}"
    );
    let keys: Vec<String> = stack
        .eks_requests()
        .iter()
        .map(|r| r["access_key_id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(!keys.is_empty());
    assert!(
        keys.iter().all(|k| !k.is_empty() && k != ACCESS_KEY_ID),
        "EKS calls use the web identity role's keys: {keys:?}"
    );
}

#[test]
fn assume_role_with_web_identity_needs_its_token_file() {
    let stack = stack_with_cluster();
    let out = validate_fails(
        &stack,
        &format!("  assume_role_with_web_identity {{\n    role_arn = \"arn:aws:iam::{ACCOUNT_ID}:role/ci\"\n  }}"),
    );
    assert!(
        out.contains("Invalid assume_role_with_web_identity.web_identity_token_file"),
        "{out}"
    );
}
