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

const OIDC: &str = r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub":"system:serviceaccount:app:app-sa"}}}"#;

fn with_oidc() -> RoleState {
    RoleState {
        additional_trust_statements: s(&format!("[{OIDC}]")),
        ..config()
    }
}

/// A role IAM holds with this trust policy.
fn remote_with_trust(trust: &str) -> RemoteRole {
    RemoteRole {
        role: Role::builder()
            .role_name("shop")
            .role_id("AROAEXAMPLE")
            .arn("arn:aws:iam::123456789012:role/shop")
            .path("/")
            .create_date(aws_smithy_types::DateTime::from_secs(0))
            .assume_role_policy_document(trust)
            .build()
            .expect("role"),
        attached: BTreeSet::new(),
        inline: BTreeMap::new(),
    }
}

fn imported(trust: &str) -> RoleState {
    let prior = RoleState {
        prevent_destroy_when_in_use: Value::Value(true),
        ..Default::default()
    };
    state_from_remote(&remote_with_trust(trust), &prior, &BTreeMap::new())
}

#[test]
fn additional_statements_follow_ours_in_the_planned_trust_policy() {
    let (planned, _) = plan(None, with_oidc(), &with_oidc(), &BTreeMap::new());
    let doc: serde_json::Value = serde_json::from_str(planned.trust_policy.as_str()).unwrap();
    assert_eq!(doc["Statement"].as_array().unwrap().len(), 2);
    assert_eq!(
        doc["Statement"][1]["Action"],
        serde_json::json!("sts:AssumeRoleWithWebIdentity")
    );
    assert!(planned.trust_policy.as_str().contains("shop-*"));

    // The same statement written another way is no change; a real change is one.
    let rewritten = RoleState {
        additional_trust_statements: s(
            r#"[{"Action":["sts:AssumeRoleWithWebIdentity"],"Condition":{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub":["system:serviceaccount:app:app-sa"]}},"Principal":{"Federated":["arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"]},"Effect":"Allow"}]"#,
        ),
        ..planned.clone()
    };
    let (again, _) = plan(
        Some(&planned),
        rewritten.clone(),
        &rewritten,
        &BTreeMap::new(),
    );
    assert_eq!(again, planned);

    let dropped = RoleState {
        additional_trust_statements: Value::Null,
        ..planned.clone()
    };
    let (without, _) = plan(Some(&planned), dropped.clone(), &dropped, &BTreeMap::new());
    assert!(without.additional_trust_statements.is_null());
    assert!(!without
        .trust_policy
        .as_str()
        .contains("AssumeRoleWithWebIdentity"));
    assert_eq!(
        without.allowed_clusters, planned.allowed_clusters,
        "the restrictions stay"
    );

    let unknown = RoleState {
        additional_trust_statements: Value::Unknown,
        ..config()
    };
    let (planned, _) = plan(None, unknown.clone(), &unknown, &BTreeMap::new());
    assert!(planned.trust_policy.is_unknown());
}

#[test]
fn additional_statements_are_checked_at_plan() {
    for bad in [
        OIDC.to_string(),
        "[1]".to_string(),
        format!("[{}]", OIDC.replace("\"Allow\"", "\"allow\"")),
        format!("[{}]", OIDC.replace("Principal", "NotPrincipal")),
        format!(
            "[{}]",
            OIDC.replace("sts:AssumeRoleWithWebIdentity", "s3:GetObject")
        ),
    ] {
        let cfg = RoleState {
            additional_trust_statements: s(&bad),
            ..config()
        };
        assert_eq!(
            invalid_paths(&cfg),
            vec!["additional_trust_statements"],
            "{bad}"
        );
    }
    assert!(invalid_paths(&with_oidc()).is_empty());
    assert!(invalid_paths(&RoleState {
        additional_trust_statements: s("[]"),
        ..config()
    })
    .is_empty());

    // The whole trust policy must fit IAM's quota: the problem is on the additional statements.
    let many: Vec<String> = (0..12)
        .map(|i| OIDC.replace("app-sa", &format!("service-account-{i}")))
        .collect();
    let cfg = RoleState {
        additional_trust_statements: s(&format!("[{}]", many.join(","))),
        ..config()
    };
    let problems = resource::problems::<PodIdentityRole>(
        &PodIdentityRole::attributes(),
        &cfg,
        &BTreeMap::new(),
    );
    assert_eq!(problems.paths(), vec!["additional_trust_statements"]);
    let detail = format!("{:?}", problems.0[0]);
    assert!(detail.contains("over IAM's limit of 2048"), "{detail}");
}

#[test]
fn import_puts_the_other_statements_in_additional_trust_statements() {
    let ours = trust_policy::generate(&["shop-*".to_string()].into(), &BTreeSet::new());
    let mut doc: serde_json::Value = serde_json::from_str(&ours).unwrap();
    doc["Statement"]
        .as_array_mut()
        .unwrap()
        .insert(0, serde_json::from_str(OIDC).unwrap());
    let state = imported(&doc.to_string());
    assert_eq!(state.allowed_clusters, set(&["shop-*"]));
    assert!(state.allowed_service_accounts.is_null());
    assert!(policy_json::statements_equivalent(
        state.additional_trust_statements.as_str(),
        &format!("[{OIDC}]")
    ));
    assert_eq!(state.trust_policy, s(&doc.to_string()));

    // An IRSA role: nothing of ours, so no restrictions, and its statement is an additional
    // one; the plan adds ours to the trust policy.
    let irsa = format!(r#"{{"Version":"2012-10-17","Statement":[{OIDC}]}}"#);
    let state = imported(&irsa);
    assert!(state.allowed_clusters.is_null() && state.allowed_service_accounts.is_null());
    assert!(policy_json::statements_equivalent(
        state.additional_trust_statements.as_str(),
        &format!("[{OIDC}]")
    ));
    let config = RoleState {
        allowed_clusters: Value::Null,
        allowed_service_accounts: Value::Null,
        additional_trust_statements: s(&format!("[{OIDC}]")),
        ..state.clone()
    };
    let (planned, _) = plan(Some(&state), config.clone(), &config, &BTreeMap::new());
    assert_eq!(
        planned.additional_trust_statements,
        state.additional_trust_statements
    );
    assert_ne!(planned.trust_policy, state.trust_policy);
    assert!(planned
        .trust_policy
        .as_str()
        .contains("pods.eks.amazonaws.com"));

    // Only ours: none.
    assert!(imported(&ours).additional_trust_statements.is_null());
}

#[test]
fn a_refresh_shows_changed_additional_statements_and_keeps_equivalent_ones() {
    let (mut prior, _) = plan(None, with_oidc(), &with_oidc(), &BTreeMap::new());
    prior.arn = s("arn:aws:iam::123456789012:role/shop");
    let refresh =
        |trust: &str| state_from_remote(&remote_with_trust(trust), &prior, &BTreeMap::new());

    // The same document, rewritten by IAM: nothing changes.
    let mut doc: serde_json::Value = serde_json::from_str(prior.trust_policy.as_str()).unwrap();
    doc["Statement"].as_array_mut().unwrap().reverse();
    let same = refresh(&doc.to_string());
    assert_eq!(same.trust_policy, prior.trust_policy);
    assert_eq!(
        same.additional_trust_statements,
        prior.additional_trust_statements
    );

    // The OIDC statement edited by hand: shown in additional_trust_statements.
    let edited = prior.trust_policy.as_str().replace("app-sa", "intruder");
    let drifted = refresh(&edited);
    assert_eq!(drifted.trust_policy, s(&edited));
    assert!(drifted
        .additional_trust_statements
        .as_str()
        .contains("intruder"));
    assert_eq!(drifted.allowed_clusters, prior.allowed_clusters);
    let (planned, _) = plan(Some(&drifted), with_oidc(), &with_oidc(), &BTreeMap::new());
    assert_eq!(planned.trust_policy, prior.trust_policy);

    // Our statement edited by hand: the additional statements are still the configured ones.
    let narrowed = prior.trust_policy.as_str().replace("shop-*", "shop-blue");
    let drifted = refresh(&narrowed);
    assert_eq!(
        drifted.additional_trust_statements,
        prior.additional_trust_statements
    );
    assert_eq!(drifted.trust_policy, s(&narrowed));

    // The OIDC statement removed: none left.
    let ours_only = trust_policy::generate(
        &["shop-*".to_string()].into(),
        &["app/app-sa".to_string()].into(),
    );
    assert!(refresh(&ours_only).additional_trust_statements.is_null());
}

#[test]
fn an_additional_statement_for_the_pods_warns_that_it_bypasses_the_restrictions() {
    let pods = r#"[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole"}]"#;
    let widened = RoleState {
        additional_trust_statements: s(pods),
        ..config()
    };
    let warning = trust::widening_warning(&widened).expect("warning");
    assert!(
        warning
            .detail
            .starts_with("Statement 1 of additional_trust_statements"),
        "{}",
        warning.detail
    );
    assert_eq!(trust::widening_warning(&with_oidc()), None);
    let unrestricted = RoleState {
        allowed_clusters: Value::Null,
        allowed_service_accounts: Value::Null,
        ..widened
    };
    assert_eq!(trust::widening_warning(&unrestricted), None);
}
