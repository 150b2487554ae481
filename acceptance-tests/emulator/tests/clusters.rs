mod common;

use serde_json::json;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_operations_round_trip() {
    let emulator = start_emulator();
    let eks = client(emulator.url()).await;

    let created = eks
        .create_cluster()
        .name("blue")
        .role_arn("arn:aws:iam::123456789012:role/cluster")
        .tags("team", "platform")
        .send()
        .await
        .expect("create cluster")
        .cluster
        .expect("cluster");
    assert_eq!(created.name(), Some("blue"));
    assert_eq!(
        created.arn(),
        Some("arn:aws:eks:eu-west-1:123456789012:cluster/blue")
    );
    assert_eq!(created.version(), Some("1.31"));
    assert_eq!(created.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert!(created
        .endpoint()
        .is_some_and(|e| e.starts_with("https://")));
    assert!(created.created_at().is_some());
    assert!(created.platform_version().is_some());
    assert_eq!(created.tags(), Some(&tags(&[("team", "platform")])));

    let described = describe_cluster(&eks, "blue").await;
    assert_eq!(described.arn(), created.arn());
    assert_eq!(
        described.role_arn(),
        Some("arn:aws:iam::123456789012:role/cluster")
    );

    let duplicate = eks.create_cluster().name("blue").send().await;
    expect_error(duplicate, "duplicate cluster", RESOURCE_IN_USE);

    for name in ["green", "common"] {
        eks.create_cluster()
            .name(name)
            .send()
            .await
            .expect("create cluster");
    }
    let first = eks
        .list_clusters()
        .max_results(2)
        .send()
        .await
        .expect("list clusters");
    assert_eq!(first.clusters(), ["blue", "common"]);
    let token = first.next_token().expect("second page");
    let second = eks
        .list_clusters()
        .max_results(2)
        .next_token(token)
        .send()
        .await
        .expect("list clusters page 2");
    assert_eq!(second.clusters(), ["green"]);
    assert_eq!(second.next_token(), None);
    let all: Vec<String> = eks
        .list_clusters()
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("paginate clusters");
    assert_eq!(all, ["blue", "common", "green"]);

    let bad_page = eks.list_clusters().max_results(0).send().await;
    expect_error(bad_page, "maxResults 0", INVALID_PARAMETER);
    let bad_token = eks.list_clusters().next_token("forged").send().await;
    expect_error(bad_token, "forged token", INVALID_PARAMETER);

    let deleted = eks
        .delete_cluster()
        .name("green")
        .send()
        .await
        .expect("delete cluster")
        .cluster
        .expect("cluster");
    assert_eq!(deleted.name(), Some("green"));
    assert_eq!(deleted.status().map(|s| s.as_str()), Some("DELETING"));

    expect_error_containing(
        eks.describe_cluster().name("green").send().await,
        "deleted cluster",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("green"),
    );
    let gone_again = eks.delete_cluster().name("green").send().await;
    expect_error(gone_again, "delete twice", RESOURCE_NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_clusters_and_reset() {
    let emulator = start_emulator();
    let clusters = "/_emulator/clusters";
    let cluster = admin_expect(
        &emulator,
        "POST",
        clusters,
        Some(json!({"name": "c1", "tags": {"env": "test"}})),
        200,
    );
    assert_eq!(cluster["name"], "c1");
    assert_eq!(
        cluster["arn"],
        format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/c1")
    );
    assert_eq!(cluster["tags"], json!({"env": "test"}));
    admin_expect(
        &emulator,
        "POST",
        clusters,
        Some(json!({"name": "c1"})),
        409,
    );

    let eks = client(emulator.url()).await;
    let created = create(&eks, "ns", "sa").await;
    let listed = admin_associations(&emulator, "c1");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]["associationId"],
        created.association_id().expect("id")
    );
    assert_eq!(listed[0]["roleArn"], ROLE);

    let unknown_cluster_associations = "/_emulator/clusters/none/associations";
    admin_expect(&emulator, "GET", unknown_cluster_associations, None, 404);
    admin_expect(&emulator, "DELETE", "/_emulator/clusters/none", None, 404);
    for bad_fault in [
        json!({"kind": "meteor"}),
        json!({"kind": "throttle", "operation": "DescribeNothing"}),
    ] {
        admin_expect(&emulator, "POST", "/_emulator/faults", Some(bad_fault), 400);
    }

    add_fault(&emulator, json!({"kind": "throttle", "count": 5}));
    admin_expect(&emulator, "POST", "/_emulator/reset", None, 204);
    assert!(requests_log(&emulator).is_empty());
    expect_error(
        eks.describe_cluster().name("c1").send().await,
        "cluster after reset (faults were cleared too)",
        RESOURCE_NOT_FOUND,
    );

    add_cluster(&emulator, "c1");
    create(&eks, "ns", "sa").await;
    admin_expect(&emulator, "DELETE", "/_emulator/clusters/c1", None, 204);
    expect_error(
        eks.describe_cluster().name("c1").send().await,
        "admin-deleted cluster",
        RESOURCE_NOT_FOUND,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_cluster_deletes_its_associations() {
    let (emulator, eks) = setup().await;
    let request = || {
        create_request(&eks, "ns", "sa")
            .tags("k", "v")
            .client_request_token("before-delete")
    };
    let created = expect_association(request().send().await, "create");
    create(&eks, "ns", "sa2").await;

    eks.delete_cluster()
        .name("c1")
        .send()
        .await
        .expect("delete cluster");
    let associations = "/_emulator/clusters/c1/associations";
    admin_expect(&emulator, "GET", associations, None, 404);
    expect_error_containing(
        describe_request(&eks, created.association_id().expect("id"))
            .send()
            .await,
        "association of deleted cluster",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("c1"),
    );

    eks.create_cluster()
        .name("c1")
        .send()
        .await
        .expect("recreate cluster");
    let listed = list_request(&eks).send().await.expect("list");
    assert!(
        listed.associations().is_empty(),
        "associations went with the cluster"
    );
    expect_error(
        eks.list_tags_for_resource()
            .resource_arn(created.association_arn().expect("arn"))
            .send()
            .await,
        "tags of a deleted association",
        NOT_FOUND,
    );
    // The old token is gone with the cluster: it creates a new association.
    let again = expect_association(request().send().await, "create after recreate");
    assert_ne!(again.association_id(), created.association_id());
}
