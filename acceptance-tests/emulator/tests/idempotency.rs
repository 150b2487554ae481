mod common;

use serde_json::json;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_is_idempotent_per_client_request_token() {
    let (emulator, eks) = setup().await;
    let request = |service_account: &str| {
        create_request(&eks, "ns", service_account)
            .tags("k", "v")
            .client_request_token("token-1")
    };

    let first = expect_association(request("sa").send().await, "first create");
    let second = expect_association(request("sa").send().await, "replayed create");
    assert_eq!(first.association_id(), second.association_id());
    assert_eq!(first, second);
    assert_eq!(
        admin_associations(&emulator, "c1").len(),
        1,
        "one association"
    );

    expect_error_containing(
        request("other").send().await,
        "same token, other parameters",
        INVALID_REQUEST,
        "token-1",
    );
    assert_eq!(admin_associations(&emulator, "c1").len(), 1);

    // A failed request stores nothing under its token.
    add_fault(&emulator, json!({"kind": "role_not_found"}));
    let failing = || create_request(&eks, "ns", "late").client_request_token("token-2");
    expect_error(failing().send().await, "role not found", INVALID_PARAMETER);
    let later = expect_association(failing().send().await, "retry with the same token");
    assert_eq!(later.service_account(), Some("late"));
    assert_eq!(admin_associations(&emulator, "c1").len(), 2);

    // Tokens are scoped to the cluster.
    add_cluster(&emulator, "c2");
    let elsewhere = expect_association(
        request("sa").cluster_name("c2").send().await,
        "same token on another cluster",
    );
    assert_ne!(elsewhere.association_id(), first.association_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_is_idempotent_per_client_request_token() {
    let (_emulator, eks) = setup().await;
    let id = new_association_id(&eks, "ns", "sa").await;
    let update = |target: &str| {
        update_request(&eks, &id)
            .target_role_arn(target)
            .client_request_token("update-1")
    };
    let first = expect_association(update(TARGET_ROLE).send().await, "update");
    let replay = expect_association(update(TARGET_ROLE).send().await, "replayed update");
    assert_eq!(
        replay.external_id(),
        first.external_id(),
        "replay does not mint a new external id"
    );
    assert_eq!(replay, first);

    expect_error(
        update(SECOND_TARGET_ROLE).send().await,
        "same token, other target",
        INVALID_REQUEST,
    );
    assert_eq!(
        describe(&eks, &id).await.target_role_arn(),
        Some(TARGET_ROLE)
    );
}
