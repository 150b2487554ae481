mod common;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_eks::error::ProvideErrorMetadata;
use aws_sdk_eks::operation::create_pod_identity_association::CreatePodIdentityAssociationError;
use serde_json::json;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_describe_association() {
    let (_emulator, eks) = setup().await;

    let created = create(&eks, "default", "app").await;
    let id = created.association_id().expect("id");
    assert!(id_is_well_formed(id), "association id {id}");
    assert_eq!(
        created.association_arn(),
        Some(format!("arn:aws:eks:eu-west-1:{ACCOUNT}:podidentityassociation/c1/{id}").as_str())
    );
    assert_eq!(created.cluster_name(), Some("c1"));
    assert_eq!(created.namespace(), Some("default"));
    assert_eq!(created.service_account(), Some("app"));
    assert_eq!(created.role_arn(), Some(ROLE));
    assert_eq!(
        created.tags(),
        Some(&HashMap::new()),
        "tags are always present"
    );
    assert_eq!(created.disable_session_tags(), Some(false));
    assert_eq!(created.owner_arn(), None);
    assert_eq!(created.target_role_arn(), None);
    assert_eq!(created.external_id(), None);
    assert_eq!(created.policy(), None);
    assert!(created.created_at().is_some());
    assert_eq!(created.created_at(), created.modified_at());

    let described = describe(&eks, id).await;
    assert_eq!(described, created);

    let unknown_id = "a-00000000000000000";
    expect_error_containing(
        describe_request(&eks, unknown_id).send().await,
        "unknown association",
        RESOURCE_NOT_FOUND,
        unknown_id,
    );
    expect_error_containing(
        describe_request(&eks, id).cluster_name("nope").send().await,
        "unknown cluster",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("nope"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_with_target_role_policy_and_tags() {
    let (_emulator, eks) = setup().await;

    let request = create_with_target_and_policy(&eks, "shop", "cart")
        .tags("env", "prod")
        .tags("team", "shop");
    let created = expect_association(request.send().await, "create association");
    assert_eq!(created.target_role_arn(), Some(TARGET_ROLE));
    let external_id = created
        .external_id()
        .expect("external id with a target role");
    assert_eq!(
        external_id.len(),
        36,
        "external id is a UUID: {external_id}"
    );
    assert_eq!(created.disable_session_tags(), Some(true));
    assert_eq!(created.policy(), Some(POLICY));
    assert_eq!(
        created.tags(),
        Some(&tags(&[("env", "prod"), ("team", "shop")]))
    );
    assert_eq!(
        describe(&eks, created.association_id().expect("id")).await,
        created
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rejects_invalid_parameters() {
    let (emulator, eks) = setup().await;

    let base = || create_request(&eks, "ns", "sa");
    let cases = [
        ("missing namespace", base().set_namespace(None), "namespace"),
        (
            "missing service account",
            base().set_service_account(None),
            "serviceAccount",
        ),
        ("missing role", base().set_role_arn(None), "roleArn"),
        (
            "malformed role",
            base().role_arn("arn:aws:iam::123456789012:user/bob"),
            "roleArn",
        ),
        (
            "role in another account",
            base().role_arn("arn:aws:iam::999999999999:role/app"),
            "account",
        ),
        (
            "malformed target role",
            base().target_role_arn("not-an-arn"),
            "targetRoleArn",
        ),
        (
            "policy without disableSessionTags",
            base().policy(POLICY),
            "disableSessionTags",
        ),
        (
            "policy with disableSessionTags false",
            base().policy(POLICY).disable_session_tags(false),
            "disableSessionTags",
        ),
        (
            "policy not JSON",
            base().policy("{not json").disable_session_tags(true),
            "policy",
        ),
        ("reserved tag prefix", base().tags("aws:owner", "x"), "aws:"),
        ("empty tag key", base().tags("", "x"), "Tag key"),
        ("long tag key", base().tags("k".repeat(129), "x"), "Tag key"),
        ("long tag value", base().tags("k", "v".repeat(257)), "value"),
    ];
    for (what, request, message_part) in cases {
        expect_error_containing(request.send().await, what, INVALID_PARAMETER, message_part);
    }

    let mut too_many = base();
    for i in 0..51 {
        too_many = too_many.tags(format!("k{i}"), "v");
    }
    expect_error(too_many.send().await, "51 tags", INVALID_PARAMETER);

    let no_cluster = expect_error_containing(
        base().cluster_name("missing").send().await,
        "unknown cluster",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("missing"),
    );
    match &no_cluster {
        CreatePodIdentityAssociationError::ResourceNotFoundException(e) => {
            assert_eq!(e.cluster_name(), Some("missing"));
        }
        other => panic!("expected ResourceNotFoundException, got {other:?}"),
    }

    assert!(
        admin_associations(&emulator, "c1").is_empty(),
        "nothing committed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_association_reports_the_existing_id() {
    let (emulator, eks) = setup().await;
    let existing_id = new_association_id(&eks, "default", "app").await;

    let duplicate = create_request(&eks, "default", "app").role_arn(OTHER_ROLE);
    let err = expect_error(
        duplicate.send().await,
        "duplicate association",
        RESOURCE_IN_USE,
    );
    assert_eq!(
        err.message(),
        Some(format!("Association already exists: {existing_id}").as_str())
    );
    match &err {
        CreatePodIdentityAssociationError::ResourceInUseException(e) => {
            assert_eq!(e.cluster_name(), Some("c1"));
        }
        other => panic!("expected ResourceInUseException, got {other:?}"),
    }
    // Same service account in another namespace is a different association.
    create(&eks, "other", "app").await;
    assert_eq!(admin_associations(&emulator, "c1").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_holds_at_most_5000_associations() {
    let (_emulator, eks) = setup().await;
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..4 {
        let eks = eks.clone();
        workers.spawn(async move {
            for i in 0..1250 {
                create(&eks, "bulk", &format!("sa-{worker}-{i}")).await;
            }
        });
    }
    while let Some(result) = workers.join_next().await {
        result.expect("bulk creation worker");
    }
    expect_error(
        create_request(&eks, "bulk", "one-too-many").send().await,
        "5001st association",
        RESOURCE_LIMIT_EXCEEDED,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_changes_only_the_given_fields() {
    let (_emulator, eks) = setup().await;
    let request = create_with_target_and_policy(&eks, "ns", "sa").tags("keep", "me");
    let created = expect_association(request.send().await, "create");
    let id = created.association_id().expect("id");
    tokio::time::sleep(Duration::from_millis(20)).await;

    let updated = expect_association(
        update_request(&eks, id).role_arn(OTHER_ROLE).send().await,
        "update role",
    );
    assert_eq!(updated.role_arn(), Some(OTHER_ROLE));
    assert_eq!(updated.target_role_arn(), Some(TARGET_ROLE));
    assert_eq!(updated.external_id(), created.external_id());
    assert_eq!(updated.policy(), Some(POLICY));
    assert_eq!(updated.disable_session_tags(), Some(true));
    assert_eq!(
        updated.tags(),
        Some(&tags(&[("keep", "me")])),
        "update leaves tags alone"
    );
    assert_eq!(updated.created_at(), created.created_at());
    let (created_at, modified_at) = (
        created.modified_at().expect("modifiedAt").as_secs_f64(),
        updated.modified_at().expect("modifiedAt").as_secs_f64(),
    );
    assert!(
        modified_at > created_at,
        "modifiedAt moves: {created_at} -> {modified_at}"
    );
    assert_eq!(describe(&eks, id).await, updated);

    // An update with nothing in it changes nothing but modifiedAt.
    let unchanged = expect_association(update_request(&eks, id).send().await, "empty update");
    assert_eq!(unchanged.role_arn(), Some(OTHER_ROLE));
    assert_eq!(unchanged.policy(), Some(POLICY));
    assert_eq!(unchanged.external_id(), created.external_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_role_and_external_id_lifecycle() {
    let (_emulator, eks) = setup().await;
    let id = new_association_id(&eks, "ns", "sa").await;
    let update = || update_request(&eks, &id);

    let first = expect_association(
        update().target_role_arn(TARGET_ROLE).send().await,
        "set target",
    );
    let first_external_id = first.external_id().expect("external id").to_owned();
    assert_eq!(first.target_role_arn(), Some(TARGET_ROLE));

    let same = expect_association(
        update().target_role_arn(TARGET_ROLE).send().await,
        "same target",
    );
    assert_eq!(
        same.external_id(),
        Some(first_external_id.as_str()),
        "same target keeps the external id"
    );

    let moved = expect_association(
        update().target_role_arn(SECOND_TARGET_ROLE).send().await,
        "new target",
    );
    assert_eq!(moved.target_role_arn(), Some(SECOND_TARGET_ROLE));
    let second_external_id = moved.external_id().expect("external id");
    assert_ne!(
        second_external_id, first_external_id,
        "a new target gets a new external id"
    );

    let untouched = expect_association(update().role_arn(OTHER_ROLE).send().await, "role only");
    assert_eq!(
        untouched.target_role_arn(),
        Some(SECOND_TARGET_ROLE),
        "absent targetRoleArn leaves it"
    );

    let cleared = expect_association(update().target_role_arn("").send().await, "clear target");
    assert_eq!(cleared.target_role_arn(), None);
    assert_eq!(cleared.external_id(), None);
    let described = describe(&eks, &id).await;
    assert_eq!(described.target_role_arn(), None);
    assert_eq!(described.external_id(), None);

    let bad_target = update().target_role_arn("arn:aws:iam::1:role/x");
    expect_error(bad_target.send().await, "bad target", INVALID_PARAMETER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_enforces_policy_and_role_rules() {
    let (_emulator, eks) = setup().await;
    let id = new_association_id(&eks, "ns", "sa").await;
    let update = || update_request(&eks, &id);

    expect_error_containing(
        update().policy(POLICY).send().await,
        "policy without disableSessionTags",
        INVALID_PARAMETER,
        "disableSessionTags",
    );

    let with_policy = expect_association(
        update()
            .policy(POLICY)
            .disable_session_tags(true)
            .send()
            .await,
        "set policy",
    );
    assert_eq!(with_policy.policy(), Some(POLICY));

    expect_error(
        update().disable_session_tags(false).send().await,
        "re-enable session tags with a policy",
        INVALID_PARAMETER,
    );
    expect_error(
        update().policy("[1,").send().await,
        "policy not JSON",
        INVALID_PARAMETER,
    );

    let cleared = expect_association(update().policy("").send().await, "clear policy");
    assert_eq!(cleared.policy(), None);
    assert_eq!(cleared.disable_session_tags(), Some(true));

    for (what, role) in [
        ("malformed role", "arn:aws:iam::123456789012:group/g"),
        (
            "role in another account",
            "arn:aws:iam::999999999999:role/app",
        ),
        ("empty role", ""),
    ] {
        expect_error(
            update().role_arn(role).send().await,
            what,
            INVALID_PARAMETER,
        );
    }
    assert_eq!(
        describe(&eks, &id).await.role_arn(),
        Some(ROLE),
        "failed updates commit nothing"
    );

    let unknown = update_request(&eks, "a-zzzzzzzzzzzzzzzzz").role_arn(ROLE);
    expect_error(
        unknown.send().await,
        "unknown association",
        RESOURCE_NOT_FOUND,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_returns_the_deleted_association() {
    let (_emulator, eks) = setup().await;
    let created = create(&eks, "ns", "sa").await;
    let id = created.association_id().expect("id");

    let deleted = expect_association(delete_request(&eks, id).send().await, "delete");
    assert_eq!(deleted, created);

    expect_error(
        describe_request(&eks, id).send().await,
        "describe deleted",
        RESOURCE_NOT_FOUND,
    );
    expect_error(
        delete_request(&eks, id).send().await,
        "delete twice",
        RESOURCE_NOT_FOUND,
    );

    // The slot is free again.
    let recreated = create(&eks, "ns", "sa").await;
    assert_ne!(recreated.association_id(), Some(id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addon_owned_associations_refuse_update_and_delete() {
    let (emulator, eks) = setup().await;
    let owned = admin_expect(
        &emulator,
        "POST",
        "/_emulator/clusters/c1/addon-associations",
        Some(
            json!({"namespace": "kube-system", "serviceAccount": "aws-node", "roleArn": ROLE, "addonName": "vpc-cni"}),
        ),
        200,
    );
    let id = owned["associationId"].as_str().expect("associationId");
    let owner = owned["ownerArn"].as_str().expect("ownerArn");
    assert!(
        owner.starts_with(&format!(
            "arn:aws:eks:eu-west-1:{ACCOUNT}:addon/c1/vpc-cni/"
        )),
        "{owner}"
    );

    let described = describe(&eks, id).await;
    assert_eq!(described.owner_arn(), Some(owner));
    let listed = list_request(&eks).send().await.expect("list");
    assert_eq!(listed.associations()[0].owner_arn(), Some(owner));

    expect_error_containing(
        update_request(&eks, id).role_arn(OTHER_ROLE).send().await,
        "update owned",
        INVALID_REQUEST,
        "owned by the EKS add-on",
    );
    expect_error_containing(
        delete_request(&eks, id).send().await,
        "delete owned",
        INVALID_REQUEST,
        "owned by the EKS add-on",
    );
    assert_eq!(describe(&eks, id).await.role_arn(), Some(ROLE));

    // The add-on's service account is taken.
    let dup = expect_error(
        create_request(&eks, "kube-system", "aws-node").send().await,
        "duplicate of owned",
        RESOURCE_IN_USE,
    );
    assert_eq!(
        dup.message(),
        Some(format!("Association already exists: {id}").as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_update_check_the_role_exists_in_iam() {
    let emulator = start_emulator_with_iam();
    add_cluster(&emulator, "c1");
    let eks = client(emulator.url()).await;
    let trust = json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                                     "Action": ["sts:AssumeRole", "sts:TagSession"]}});
    let name = unique_name("present");
    let present = create_role(ACCOUNT, &name, &trust).await;
    let missing = format!("arn:aws:iam::{ACCOUNT}:role/{}", unique_name("missing"));

    let create_with = |service_account: &str, role_arn: &str| {
        create_request(&eks, "ns", service_account).role_arn(role_arn)
    };
    let err = expect_error(
        create_with("sa", &missing).send().await,
        "create with a role IAM does not have",
        INVALID_PARAMETER,
    );
    assert_eq!(err.message(), Some(ROLE_NOT_FOUND));
    // A role of that name under another path is another role.
    let other_path = format!("arn:aws:iam::{ACCOUNT}:role/elsewhere/{name}");
    let err = expect_error(
        create_with("sa", &other_path).send().await,
        "another path",
        INVALID_PARAMETER,
    );
    assert_eq!(err.message(), Some(ROLE_NOT_FOUND));
    // Validation comes first.
    let invalid = eks
        .create_pod_identity_association()
        .cluster_name("c1")
        .namespace("ns")
        .role_arn(&missing)
        .send()
        .await;
    expect_error_containing(
        invalid,
        "no service account",
        INVALID_PARAMETER,
        "serviceAccount",
    );
    assert!(admin_associations(&emulator, "c1").is_empty());

    let created = expect_association(create_with("sa", &present).send().await, "existing role");
    let id = created.association_id().expect("id");
    let err = expect_error(
        update_request(&eks, id).role_arn(&missing).send().await,
        "update to a role IAM does not have",
        INVALID_PARAMETER,
    );
    assert_eq!(err.message(), Some(ROLE_NOT_FOUND));
    assert_eq!(describe(&eks, id).await.role_arn(), Some(present.as_str()));
    let unchanged_role = update_request(&eks, id)
        .disable_session_tags(true)
        .send()
        .await;
    expect_association(unchanged_role, "an update that names no role");

    // The injected propagation delay still fires first, on a role IAM has.
    add_fault(
        &emulator,
        json!({"kind": "role_not_found", "role_arn": present, "count": 1}),
    );
    let err = expect_error(
        create_with("second", &present).send().await,
        "not propagated yet",
        INVALID_PARAMETER,
    );
    assert_eq!(err.message(), Some(ROLE_NOT_FOUND));
    expect_association(create_with("second", &present).send().await, "propagated");
}
