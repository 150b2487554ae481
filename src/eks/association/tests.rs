//! Unit tests of `aws_eks_pod_identity_association`: its declared checks and plan rules,
//! import IDs, and the state read back from EKS.

use super::*;
use crate::resource;
use crate::value::map_value;

fn s(v: &str) -> Value<String> {
    Value::Value(v.to_string())
}

fn config() -> AssociationState {
    AssociationState {
        cluster_name: s("shop-blue"),
        namespace: s("carts"),
        service_account: s("carts"),
        role_arn: s("arn:aws:iam::123456789012:role/shop"),
        ..Default::default()
    }
}

fn invalid_paths(cfg: &AssociationState) -> Vec<String> {
    resource::problems::<Association>(&Association::attributes(), cfg, &BTreeMap::new()).paths()
}

/// The plan Terraform gets for `proposed`, configured as proposed.
fn plan(
    prior: Option<&AssociationState>,
    proposed: AssociationState,
    defaults: &BTreeMap<String, String>,
) -> (AssociationState, Vec<AttributePath>) {
    let attributes = Association::attributes();
    resource::plan::<Association>(&attributes, prior, proposed.clone(), &proposed, defaults)
        .expect("planned")
}

#[test]
fn a_good_config_passes() {
    assert!(invalid_paths(&config()).is_empty());
}

#[test]
fn policy_needs_disabled_session_tags() {
    let mut cfg = config();
    cfg.policy = s(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    );
    assert_eq!(invalid_paths(&cfg), vec!["policy"]);
    cfg.disable_session_tags = Value::Value(true);
    assert!(invalid_paths(&cfg).is_empty());
    cfg.disable_session_tags = Value::Unknown;
    assert!(invalid_paths(&cfg).is_empty(), "unknown is checked later");
}

#[test]
fn unknown_values_are_not_judged() {
    let cfg = AssociationState {
        cluster_name: Value::Unknown,
        namespace: Value::Unknown,
        service_account: Value::Unknown,
        role_arn: Value::Unknown,
        ..Default::default()
    };
    assert!(invalid_paths(&cfg).is_empty());
}

#[test]
fn plan_create_marks_computed_unknown_and_defaults_session_tags() {
    let defaults: BTreeMap<String, String> = [("team".to_string(), "platform".to_string())].into();
    let (planned, replace) = plan(None, config(), &defaults);
    assert!(replace.is_empty());
    assert!(planned.association_id.is_unknown());
    assert_eq!(planned.disable_session_tags, Value::Value(false));
    assert!(
        planned.external_id.is_null(),
        "no target role, no external id"
    );
    assert_eq!(known_map(&planned.tags_all), Some(defaults));
}

fn prior() -> AssociationState {
    let mut p = config();
    p.id = s("a-0123456789abcdefg");
    p.association_id = s("a-0123456789abcdefg");
    p.association_arn = s(
        "arn:aws:eks:eu-west-1:123456789012:podidentityassociation/shop-blue/a-0123456789abcdefg",
    );
    p.disable_session_tags = Value::Value(false);
    p.target_role_arn = s("arn:aws:iam::111122223333:role/target");
    p.external_id = s("ext-1");
    p.tags_all = map_value(&BTreeMap::new());
    p
}

#[test]
fn plan_update_keeps_external_id_unless_the_target_changes() {
    let mut proposed = prior();
    proposed.role_arn = s("arn:aws:iam::123456789012:role/other");
    let (planned, replace) = plan(Some(&prior()), proposed.clone(), &BTreeMap::new());
    assert!(replace.is_empty(), "role_arn is updated in place");
    assert_eq!(planned.external_id, s("ext-1"));

    proposed.target_role_arn = s("arn:aws:iam::111122223333:role/another");
    let (planned, _) = plan(Some(&prior()), proposed.clone(), &BTreeMap::new());
    assert!(planned.external_id.is_unknown());

    proposed.target_role_arn = Value::Null;
    let (planned, _) = plan(Some(&prior()), proposed, &BTreeMap::new());
    assert!(planned.external_id.is_null());
}

#[test]
fn plan_update_replaces_on_identity_changes() {
    let mut proposed = prior();
    proposed.namespace = s("orders");
    let (_, replace) = plan(Some(&prior()), proposed, &BTreeMap::new());
    assert_eq!(replace, vec![attr("namespace")]);
}

#[test]
fn equivalent_policy_is_no_change() {
    let mut old = prior();
    old.disable_session_tags = Value::Value(true);
    old.policy = s(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#,
    );
    let mut proposed = old.clone();
    proposed.policy = s(
        r#"{ "Statement": { "Resource": "*", "Action": "s3:GetObject", "Effect": "Allow" }, "Version": "2012-10-17" }"#,
    );
    let (planned, _) = plan(Some(&old), proposed, &BTreeMap::new());
    assert_eq!(planned, old);
}

#[test]
fn session_policies_iam_refuses_name_the_policy() {
    let mut cfg = config();
    cfg.disable_session_tags = Value::Value(true);
    for doc in [
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
    ] {
        cfg.policy = s(doc);
        assert_eq!(invalid_paths(&cfg), vec!["policy"], "{doc}");
    }
}

#[test]
fn effect_case_is_a_change() {
    let mut old = prior();
    old.disable_session_tags = Value::Value(true);
    old.policy = s(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
    );
    let mut proposed = old.clone();
    proposed.policy = s(&old.policy.as_str().replace("Deny", "deny"));
    let (planned, _) = plan(Some(&old), proposed.clone(), &BTreeMap::new());
    assert_eq!(planned.policy, proposed.policy);
}

#[test]
fn import_ids() {
    assert_eq!(
        parse_import_id("shop-blue,a-0123456789abcdefg").unwrap(),
        ImportId::ById {
            cluster: "shop-blue".into(),
            association_id: "a-0123456789abcdefg".into()
        }
    );
    assert_eq!(
        parse_import_id("shop-blue/carts/carts").unwrap(),
        ImportId::ByServiceAccount {
            cluster: "shop-blue".into(),
            namespace: "carts".into(),
            service_account: "carts".into()
        }
    );
    for bad in [
        "",
        "shop-blue",
        "shop-blue,",
        "shop-blue,x-1",
        "a/b",
        "a/B/c",
        "a/b/c/d",
        ",a-1",
    ] {
        assert!(parse_import_id(bad).is_err(), "{bad}");
    }
}

#[test]
fn existing_id_is_parsed_from_the_conflict_message() {
    assert_eq!(
        create::existing_id_from_message("Association already exists: a-0123456789abcdefg"),
        Some("a-0123456789abcdefg".to_string())
    );
    assert_eq!(
        create::existing_id_from_message("Association already exists"),
        None
    );
}

#[test]
fn state_from_api_keeps_equivalent_policy_text_and_splits_tags() {
    let api = PodIdentityAssociation::builder()
        .cluster_name("shop-blue")
        .namespace("carts")
        .service_account("carts")
        .role_arn("arn:aws:iam::123456789012:role/shop")
        .association_id("a-0123456789abcdefg")
        .association_arn("arn:aws:eks:eu-west-1:123456789012:podidentityassociation/shop-blue/a-0123456789abcdefg")
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
        .disable_session_tags(true)
        .tags("team", "platform")
        .tags("app", "carts")
        .build();
    let prior = AssociationState {
        policy: s(
            r#"{"Statement":[{"Resource":"*","Action":["s3:GetObject"],"Effect":"Allow"}],"Version":"2012-10-17"}"#,
        ),
        ..Default::default()
    };
    let defaults: BTreeMap<String, String> = [("team".to_string(), "platform".to_string())].into();
    let state = state_from_api(&api, &prior, &defaults);
    assert_eq!(state.policy, prior.policy);
    assert_eq!(state.id, s("a-0123456789abcdefg"));
    assert!(state.target_role_arn.is_null());
    assert!(state.owner_arn.is_null());
    assert_eq!(known_map(&state.tags).map(|t| t.len()), Some(1));
    assert_eq!(known_map(&state.tags_all).map(|t| t.len()), Some(2));
}
