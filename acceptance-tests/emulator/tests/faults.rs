mod common;

use std::time::{Duration, Instant};

use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eks::types::PodIdentityAssociation;
use serde_json::{json, Value};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_fault() {
    let (emulator, eks) = setup().await;
    let throttle_creates = |count: u32| json!({"kind": "throttle", "operation": "CreatePodIdentityAssociation", "count": count});
    add_fault(&emulator, throttle_creates(2));

    // Other operations are not affected.
    eks.list_clusters()
        .send()
        .await
        .expect("list clusters is not throttled");

    expect_error_containing(
        create_request(&eks, "ns", "sa").send().await,
        "throttled create",
        THROTTLING,
        "Rate exceeded",
    );
    assert!(
        admin_associations(&emulator, "c1").is_empty(),
        "not executed"
    );

    let retrying = retrying_client(emulator.url()).await;
    clear_requests_log(&emulator);
    add_fault(&emulator, throttle_creates(1));
    // One count left from the first fault plus one from the second: two throttles, then success.
    create_request(&retrying, "ns", "sa")
        .send()
        .await
        .expect("retries get through");
    assert_eq!(statuses(&requests_log(&emulator)), [429, 429, 200]);
    assert_eq!(admin_associations(&emulator, "c1").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_fault() {
    let (emulator, eks) = setup().await;
    let id = new_association_id(&eks, "ns", "sa").await;
    add_fault(&emulator, json!({"kind": "server_error", "count": 2}));

    expect_error(
        update_request(&eks, &id).role_arn(OTHER_ROLE).send().await,
        "server error",
        SERVER,
    );
    assert_eq!(
        describe_with_retries(&emulator, &id).await.role_arn(),
        Some(ROLE),
        "not executed"
    );

    add_fault(
        &emulator,
        json!({"kind": "server_error", "operation": "UpdatePodIdentityAssociation", "count": 2}),
    );
    let retrying = retrying_client(emulator.url()).await;
    let updated = expect_association(
        update_request(&retrying, &id)
            .role_arn(OTHER_ROLE)
            .send()
            .await,
        "retries get through",
    );
    assert_eq!(updated.role_arn(), Some(OTHER_ROLE));
    let log = requests_log(&emulator);
    let updates = log
        .iter()
        .filter(|r| r["operation"] == "UpdatePodIdentityAssociation");
    assert_eq!(statuses(updates), [500, 500, 500, 200]);
}

/// Describe through a retrying client (the server_error fault has a count left over for it).
async fn describe_with_retries(emulator: &TestEmulator, id: &str) -> PodIdentityAssociation {
    describe(&retrying_client(emulator.url()).await, id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_after_commit_fault() {
    let (emulator, eks) = setup().await;
    let drop_create =
        || json!({"kind": "drop_after_commit", "operation": "CreatePodIdentityAssociation"});
    add_fault(&emulator, drop_create());

    let err = create_request(&eks, "ns", "sa")
        .send()
        .await
        .expect_err("the connection is dropped");
    match &err {
        SdkError::DispatchFailure(failure) => {
            // hyper: "connection closed before message completed"
            assert!(
                format!("{failure:?}").contains("IncompleteMessage"),
                "connection closed without a response: {failure:?}"
            )
        }
        other => panic!("expected a dispatch failure, got {other:?}"),
    }
    let committed = admin_associations(&emulator, "c1");
    assert_eq!(committed.len(), 1, "committed exactly once");
    assert_eq!(committed[0]["serviceAccount"], "sa");

    // With retries the SDK resends the same client request token and gets the committed association.
    add_fault(&emulator, drop_create());
    let retrying = retrying_client(emulator.url()).await;
    let created = expect_association(
        create_request(&retrying, "ns", "retried").send().await,
        "retry after a dropped response",
    );
    let retried: Vec<Value> = admin_associations(&emulator, "c1")
        .into_iter()
        .filter(|a| a["serviceAccount"] == "retried")
        .collect();
    assert_eq!(retried.len(), 1, "still exactly one");
    assert_eq!(
        retried[0]["associationId"],
        created.association_id().expect("id")
    );
    let creates = requests_log(&emulator)
        .iter()
        .filter(|r| r["operation"] == "CreatePodIdentityAssociation")
        .count();
    assert_eq!(
        creates, 3,
        "one dropped attempt + one dropped and one replayed retry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_not_found_fault() {
    let (emulator, eks) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "role_not_found", "role_arn": OTHER_ROLE, "count": 2}),
    );

    // Other roles are not affected (and do not consume the fault).
    create(&eks, "ns", "unaffected").await;

    let attempt = || create_request(&eks, "ns", "new-role").role_arn(OTHER_ROLE);
    for n in 1..=2 {
        let what = format!("attempt {n}: role not propagated yet");
        let err = expect_error(attempt().send().await, &what, INVALID_PARAMETER);
        assert_eq!(err.message(), Some(ROLE_NOT_FOUND), "{what}");
    }
    assert_eq!(
        admin_associations(&emulator, "c1").len(),
        1,
        "failures commit nothing"
    );
    attempt().send().await.expect("the role exists now");

    // Update that sets the role is affected too.
    let id = new_association_id(&eks, "ns", "switch").await;
    add_fault(&emulator, json!({"kind": "role_not_found"}));
    let update = || update_request(&eks, &id).role_arn(OTHER_ROLE);
    let err = expect_error(
        update().send().await,
        "update to a new role",
        INVALID_PARAMETER,
    );
    assert_eq!(err.message(), Some(ROLE_NOT_FOUND));
    assert_eq!(describe(&eks, &id).await.role_arn(), Some(ROLE));
    update().send().await.expect("second update succeeds");
    assert_eq!(describe(&eks, &id).await.role_arn(), Some(OTHER_ROLE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_fault() {
    let (emulator, eks) = setup().await;
    let delay = Duration::from_millis(600);
    let timed = || async {
        let start = Instant::now();
        describe_cluster(&eks, "c1").await;
        start.elapsed()
    };

    add_fault(
        &emulator,
        json!({"kind": "latency", "latency_ms": 600, "operation": "DescribeCluster", "count": 1}),
    );
    let slowed = timed().await;
    assert!(slowed >= delay, "delayed: {slowed:?}");
    let normal = timed().await;
    assert!(normal < delay, "only one request delayed: {normal:?}");

    add_fault(&emulator, json!({"kind": "latency", "latency_ms": 600}));
    for _ in 0..2 {
        let slowed = timed().await;
        assert!(slowed >= delay, "every request delayed: {slowed:?}");
    }
    admin_expect(&emulator, "DELETE", "/_emulator/faults", None, 204);
    let normal = timed().await;
    assert!(normal < delay, "cleared: {normal:?}");
}
