//! Clusters `CREATING` and `DELETING` for a while, what they refuse meanwhile, their Kubernetes
//! version, and EKS Auto Mode clusters as DescribeCluster shows them.

mod common;

use std::time::Duration;

use aws_sdk_eks::operation::create_addon::CreateAddonError;
use aws_sdk_eks::types::{
    BlockStorage, ComputeConfigRequest, ElasticLoadBalancing, IpFamily,
    KubernetesNetworkConfigRequest, StorageConfigRequest,
};
use serde_json::json;

use common::*;

const DELAY: Duration = Duration::from_millis(300);
const NOT_ACTIVE: &str = "Cluster 'c1' is not in ACTIVE status";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creating_cluster_takes_no_associations_or_addons() {
    let emulator = start_emulator();
    let eks = client(emulator.url()).await;
    set_delays(&emulator, json!({"clusterCreatingMs": DELAY.as_millis()}));
    let created = eks
        .create_cluster()
        .name("c1")
        .send()
        .await
        .expect("create")
        .cluster
        .expect("cluster");
    assert_eq!(created.status().map(|s| s.as_str()), Some("CREATING"));
    assert_eq!(
        describe_cluster(&eks, "c1")
            .await
            .status()
            .map(|s| s.as_str()),
        Some("CREATING")
    );
    expect_error_containing(
        create_request(&eks, "ns", "sa").send().await,
        "association on a CREATING cluster",
        INVALID_REQUEST,
        NOT_ACTIVE,
    );
    let err = expect_error_containing(
        create_addon_request(&eks, AGENT).send().await,
        "add-on on a CREATING cluster",
        INVALID_REQUEST,
        NOT_ACTIVE,
    );
    let CreateAddonError::InvalidRequestException(invalid) = err else {
        panic!("typed error: {err:?}");
    };
    assert_eq!(invalid.cluster_name(), Some("c1"));
    // Reading is fine.
    let listed = list_request(&eks).send().await.expect("list associations");
    assert!(listed.associations().is_empty());

    let waited = wait_for_cluster(&eks, "c1", Some("ACTIVE")).await;
    assert!(waited >= DELAY / 2, "ACTIVE after {waited:?}");
    create(&eks, "ns", "sa").await;
    create_addon(&eks, AGENT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleting_cluster_is_listed_until_it_is_gone() {
    let (emulator, eks) = setup().await;
    let id = new_association_id(&eks, "ns", "sa").await;
    create_addon(&eks, AGENT).await;
    set_delays(&emulator, json!({"clusterDeletingMs": DELAY.as_millis()}));
    let deleted = eks
        .delete_cluster()
        .name("c1")
        .send()
        .await
        .expect("delete")
        .cluster
        .expect("cluster");
    assert_eq!(deleted.status().map(|s| s.as_str()), Some("DELETING"));
    let listed = eks.list_clusters().send().await.expect("list");
    assert_eq!(listed.clusters(), ["c1"]);
    assert_eq!(
        describe_cluster(&eks, "c1")
            .await
            .status()
            .map(|s| s.as_str()),
        Some("DELETING")
    );
    expect_error_containing(
        create_request(&eks, "ns", "sa2").send().await,
        "association on a DELETING cluster",
        INVALID_REQUEST,
        NOT_ACTIVE,
    );
    expect_error(
        delete_request(&eks, &id).send().await,
        "delete an association of a DELETING cluster",
        INVALID_REQUEST,
    );
    expect_error(
        eks.delete_addon()
            .cluster_name("c1")
            .addon_name(AGENT)
            .send()
            .await,
        "delete an add-on of a DELETING cluster",
        INVALID_REQUEST,
    );
    describe(&eks, &id).await;
    let again = eks.delete_cluster().name("c1").send().await.expect("again");
    assert_eq!(
        again
            .cluster
            .and_then(|c| c.status)
            .map(|s| s.as_str().to_owned()),
        Some("DELETING".to_owned())
    );

    let waited = wait_for_cluster(&eks, "c1", None).await;
    assert!(waited >= DELAY / 2, "gone after {waited:?}");
    expect_error_containing(
        eks.describe_addon()
            .cluster_name("c1")
            .addon_name(AGENT)
            .send()
            .await,
        "add-on of a deleted cluster",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("c1"),
    );
    admin_expect(&emulator, "GET", "/_emulator/clusters/c1/addons", None, 404);
    assert!(eks
        .list_clusters()
        .send()
        .await
        .expect("list")
        .clusters()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kubernetes_version_is_chosen_at_creation() {
    let emulator = start_emulator();
    let eks = client(emulator.url()).await;
    let admin_created = add_cluster_of_version(&emulator, "v130", "1.30");
    assert_eq!(admin_created["version"], "1.30");
    let created = eks
        .create_cluster()
        .name("v133")
        .version("1.33")
        .send()
        .await
        .expect("create 1.33");
    assert_eq!(created.cluster.expect("cluster").version(), Some("1.33"));
    assert_eq!(describe_cluster(&eks, "v130").await.version(), Some("1.30"));
    expect_error_containing(
        eks.create_cluster()
            .name("old")
            .version("1.20")
            .send()
            .await,
        "a version EKS does not offer",
        INVALID_PARAMETER,
        "unsupported Kubernetes version 1.20",
    );
    let body = json!({"name": "old", "version": "1.20"});
    admin_expect(&emulator, "POST", "/_emulator/clusters", Some(body), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_mode_clusters_show_their_capabilities() {
    let emulator = start_emulator();
    let eks = client(emulator.url()).await;
    emulator
        .admin
        .create_auto_mode_cluster("auto")
        .expect("admin auto mode cluster");
    let auto = describe_cluster(&eks, "auto").await;
    let compute = auto.compute_config().expect("computeConfig");
    assert_eq!(compute.enabled(), Some(true));
    assert_eq!(compute.node_pools(), ["general-purpose", "system"]);
    assert_eq!(
        compute.node_role_arn(),
        Some("arn:aws:iam::123456789012:role/AmazonEKSAutoNodeRole")
    );
    let storage = auto.storage_config().and_then(|s| s.block_storage());
    assert_eq!(storage.and_then(|b| b.enabled()), Some(true));
    let network = auto.kubernetes_network_config().expect("network config");
    assert_eq!(
        network.elastic_load_balancing().and_then(|e| e.enabled()),
        Some(true)
    );
    assert_eq!(network.ip_family(), Some(&IpFamily::Ipv4));
    assert_eq!(network.service_ipv4_cidr(), Some("172.20.0.0/16"));

    // Without Auto Mode: no compute or storage capability, load balancing off.
    add_cluster(&emulator, "standard");
    let standard = describe_cluster(&eks, "standard").await;
    assert!(standard.compute_config().is_none());
    assert!(standard.storage_config().is_none());
    let balancing = standard
        .kubernetes_network_config()
        .and_then(|n| n.elastic_load_balancing())
        .and_then(|e| e.enabled());
    assert_eq!(balancing, Some(false));

    // Through CreateCluster, the three capabilities go together.
    let on = |enabled| ElasticLoadBalancing::builder().enabled(enabled).build();
    let compute = ComputeConfigRequest::builder()
        .enabled(true)
        .node_pools("general-purpose")
        .node_role_arn("arn:aws:iam::123456789012:role/nodes")
        .build();
    let storage = StorageConfigRequest::builder()
        .block_storage(BlockStorage::builder().enabled(true).build())
        .build();
    let network = |enabled| {
        KubernetesNetworkConfigRequest::builder()
            .elastic_load_balancing(on(enabled))
            .build()
    };
    let created = eks
        .create_cluster()
        .name("auto-api")
        .compute_config(compute.clone())
        .storage_config(storage.clone())
        .kubernetes_network_config(network(true))
        .bootstrap_self_managed_addons(false)
        .send()
        .await
        .expect("Auto Mode through CreateCluster")
        .cluster
        .expect("cluster");
    assert_eq!(
        created.compute_config().and_then(|c| c.enabled()),
        Some(true)
    );
    assert_eq!(
        created.compute_config().map(|c| c.node_pools().to_vec()),
        Some(vec!["general-purpose".to_owned()])
    );
    expect_error_containing(
        eks.create_cluster()
            .name("half")
            .compute_config(compute)
            .storage_config(storage)
            .kubernetes_network_config(network(false))
            .send()
            .await,
        "load balancing off with compute on",
        INVALID_PARAMETER,
        "all either fully enabled or fully disabled",
    );
    expect_error(
        eks.create_cluster()
            .name("pools")
            .compute_config(
                ComputeConfigRequest::builder()
                    .enabled(false)
                    .node_pools("system")
                    .build(),
            )
            .send()
            .await,
        "node pools without the compute capability",
        INVALID_PARAMETER,
    );
}
