//! Unit tests of `aws_eks_pod_identity_role`: its declared checks and plan rules, generated
//! names, and the state read back from IAM.

use std::collections::BTreeSet;

use tf_provider::AttributePath;

use super::*;
use crate::resource;

fn s(v: &str) -> Value<String> {
    Value::Value(v.to_string())
}

fn set(items: &[&str]) -> Value<StringSet> {
    Value::Value(items.iter().map(|i| s(i)).collect())
}

fn config() -> RoleState {
    RoleState {
        name: s("shop-dynamodb-read"),
        allowed_clusters: set(&["shop-*"]),
        allowed_service_accounts: set(&["app/app-sa"]),
        ..Default::default()
    }
}

fn invalid_paths(cfg: &RoleState) -> Vec<String> {
    resource::problems::<PodIdentityRole>(&PodIdentityRole::attributes(), cfg, &BTreeMap::new())
        .paths()
}

/// The declared rules, then the role's own plan.
fn plan(
    prior: Option<&RoleState>,
    proposed: RoleState,
    config: &RoleState,
    defaults: &BTreeMap<String, String>,
) -> (RoleState, Vec<AttributePath>) {
    let attributes = PodIdentityRole::attributes();
    resource::plan::<PodIdentityRole>(&attributes, prior, proposed, config, defaults)
        .expect("planned")
}

#[test]
fn a_good_config_passes() {
    assert!(invalid_paths(&config()).is_empty());
}

#[test]
fn empty_restrictions_are_refused_but_unset_ones_mean_any() {
    let unset = RoleState {
        allowed_clusters: Value::Null,
        allowed_service_accounts: Value::Null,
        ..config()
    };
    assert!(invalid_paths(&unset).is_empty());
    let empty = RoleState {
        allowed_clusters: set(&[]),
        allowed_service_accounts: set(&[]),
        ..config()
    };
    assert_eq!(
        invalid_paths(&empty),
        vec!["allowed_clusters", "allowed_service_accounts"]
    );
}

#[test]
fn bad_values_name_their_attribute() {
    let cfg = RoleState {
        name: s("bad name"),
        name_prefix: s("p"),
        path: s("nopath"),
        max_session_duration: Value::Value(60),
        permissions_boundary: s("arn:aws:iam::aws:role/x"),
        policy_arns: set(&["nope"]),
        allowed_clusters: set(&["shop.blue"]),
        allowed_service_accounts: set(&["carts"]),
        ..Default::default()
    };
    assert_eq!(
        invalid_paths(&cfg),
        vec![
            "name",
            "name_prefix",
            "path",
            "max_session_duration",
            "permissions_boundary",
            "policy_arns",
            "allowed_clusters",
            "allowed_service_accounts"
        ]
    );
}

#[test]
fn a_trust_policy_over_the_limit_is_refused() {
    let many: Vec<String> = (0..40)
        .map(|i| format!("namespace-{i}/service-account-{i}"))
        .collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let cfg = RoleState {
        allowed_service_accounts: set(&refs),
        ..config()
    };
    assert_eq!(invalid_paths(&cfg), vec!["allowed_service_accounts"]);
}

#[test]
fn plan_create_fills_defaults_and_the_trust_policy() {
    let (planned, _) = plan(None, config(), &config(), &BTreeMap::new());
    assert_eq!(planned.path, s("/"));
    assert_eq!(planned.max_session_duration, Value::Value(3600));
    assert_eq!(planned.prevent_destroy_when_in_use, Value::Value(true));
    assert_eq!(planned.id, s("shop-dynamodb-read"));
    assert!(planned.arn.is_unknown());
    assert!(planned.trust_policy.as_str().contains("shop-*"));

    let generated = RoleState {
        name: Value::Null,
        ..config()
    };
    let (planned, _) = plan(None, generated.clone(), &generated, &BTreeMap::new());
    assert!(planned.name.is_unknown() && planned.id.is_unknown());
}

#[test]
fn plan_update_replaces_on_name_and_path_only() {
    let (prior, _) = plan(None, config(), &config(), &BTreeMap::new());
    let mut proposed = prior.clone();
    proposed.description = s("new");
    let (planned, replace) = plan(Some(&prior), proposed.clone(), &proposed, &BTreeMap::new());
    assert!(replace.is_empty());
    assert_eq!(planned.trust_policy, prior.trust_policy);

    proposed.path = s("/platform/");
    let (_, replace) = plan(Some(&prior), proposed.clone(), &proposed, &BTreeMap::new());
    assert_eq!(replace, vec![attr("path")]);

    let renamed = RoleState {
        name: s("shop-other"),
        ..prior.clone()
    };
    let (planned, replace) = plan(Some(&prior), renamed.clone(), &renamed, &BTreeMap::new());
    assert_eq!(replace, vec![attr("name")]);
    assert_eq!(planned.id, s("shop-other"));

    // A configuration that leaves the name out keeps the name the role has.
    let unnamed = RoleState {
        name: Value::Null,
        ..config()
    };
    let (planned, replace) = plan(Some(&prior), unnamed.clone(), &unnamed, &BTreeMap::new());
    assert!(replace.is_empty());
    assert_eq!(planned.name, prior.name);
}

#[test]
fn equivalent_inline_documents_keep_their_text() {
    let (mut prior, _) = plan(None, config(), &config(), &BTreeMap::new());
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#;
    prior.inline_policies = Value::Value([("read".to_string(), s(doc))].into());
    let mut proposed = prior.clone();
    proposed.inline_policies = Value::Value(
        [("read".to_string(), s(r#"{"Statement":{"Resource":"*","Action":"s3:GetObject","Effect":"Allow"},"Version":"2012-10-17"}"#))].into(),
    );
    let (planned, _) = plan(Some(&prior), proposed.clone(), &proposed, &BTreeMap::new());
    assert_eq!(planned, prior);
}

#[test]
fn inline_documents_iam_refuses_name_their_policy() {
    let bad = r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let good = bad.replace("allow", "Allow");
    let cfg = RoleState {
        inline_policies: Value::Value(
            [
                ("read".to_string(), s(bad)),
                ("write".to_string(), s(&good)),
            ]
            .into(),
        ),
        ..config()
    };
    assert_eq!(invalid_paths(&cfg), vec!["inline_policies[\"read\"]"]);
    let problems = resource::problems::<PodIdentityRole>(
        &PodIdentityRole::attributes(),
        &cfg,
        &BTreeMap::new(),
    );
    let summary = problems.0[0].to_string();
    assert!(
        summary.contains("Invalid inline_policies[\"read\"] document"),
        "{summary}"
    );
}

#[test]
fn a_partly_equivalent_inline_map_is_planned_as_configured() {
    let (mut prior, _) = plan(None, config(), &config(), &BTreeMap::new());
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#;
    let reformatted = r#"{"Statement":{"Resource":"*","Action":"s3:GetObject","Effect":"Allow"},"Version":"2012-10-17"}"#;
    prior.inline_policies = Value::Value([("read".to_string(), s(doc))].into());
    let mut proposed = prior.clone();
    proposed.inline_policies = Value::Value(
        [
            ("read".to_string(), s(reformatted)),
            ("write".to_string(), s(doc)),
        ]
        .into(),
    );
    // Neither the prior nor the configured map would be a mix of both; the plan says that
    // "read" only changes its text.
    let (planned, _) = plan(Some(&prior), proposed.clone(), &proposed, &BTreeMap::new());
    assert_eq!(planned.inline_policies, proposed.inline_policies);
    let warning =
        role_policies::text_only_changes(&prior.inline_policies, &planned.inline_policies)
            .expect("warning");
    assert_eq!(
        warning.summary,
        "Only the text of inline policy \"read\" changes"
    );
    assert!(
        warning.detail.contains("sends nothing to IAM"),
        "{}",
        warning.detail
    );
    assert_eq!(
        role_policies::text_only_changes(&prior.inline_policies, &prior.inline_policies),
        None
    );

    // An empty map is not the null it replaces.
    prior.inline_policies = Value::Null;
    proposed.inline_policies = Value::Value(StringMap::new());
    let (planned, _) = plan(Some(&prior), proposed.clone(), &proposed, &BTreeMap::new());
    assert_eq!(planned.inline_policies, Value::Value(StringMap::new()));
}

#[test]
fn import_recovers_the_restrictions_from_the_trust_policy() {
    let trust = trust_policy::generate(
        &["shop-*".to_string()].into(),
        &["app/app-sa".to_string()].into(),
    );
    let encoded: String =
        percent_encoding::utf8_percent_encode(&trust, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let role = Role::builder()
        .role_name("shop")
        .role_id("AROAEXAMPLE")
        .arn("arn:aws:iam::123456789012:role/shop")
        .path("/")
        .create_date(aws_smithy_types::DateTime::from_secs(0))
        .assume_role_policy_document(encoded)
        .build()
        .expect("role");
    let remote = RemoteRole {
        role,
        attached: BTreeSet::new(),
        inline: BTreeMap::new(),
    };
    let prior = RoleState {
        prevent_destroy_when_in_use: Value::Value(true),
        ..Default::default()
    };
    let state = state_from_remote(&remote, &prior, &BTreeMap::new());
    assert_eq!(state.allowed_clusters, set(&["shop-*"]));
    assert_eq!(state.allowed_service_accounts, set(&["app/app-sa"]));
    assert_eq!(state.trust_policy, s(&trust));
    assert!(state.policy_arns.is_null() && state.inline_policies.is_null() && state.tags.is_null());
    assert_eq!(state.create_date, s("1970-01-01T00:00:00Z"));
    assert!(state.description.is_null());

    let empty_description = RoleState {
        description: s(""),
        ..state.clone()
    };
    let again = state_from_remote(&remote, &empty_description, &BTreeMap::new());
    assert_eq!(
        again.description,
        s(""),
        "a configured empty description stays"
    );
}
