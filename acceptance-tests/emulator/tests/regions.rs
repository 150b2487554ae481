//! One world per region: each EKS API request works on the clusters, associations and add-ons
//! of the region its signature is scoped to, as AWS's regional endpoints do; a scope that names
//! no AWS Region is refused; admin calls pick their region with `x-emulator-region`.

mod common;

use aws_sdk_eks::config::Region;
use aws_sdk_eks::types::PodIdentityAssociationSummary;
use aws_sdk_eks::Client;
use eks_emulator::client::REGION_HEADER;
use serde_json::{json, Value};

use common::*;

const OREGON: &str = "us-west-2";
const IRELAND: &str = "eu-west-1";

/// A client without retries whose requests are signed for `region`.
async fn client_in(emulator: &TestEmulator, region: &str) -> Client {
    let region = Region::new(region.to_owned());
    client_with(emulator.url(), |loader| loader.region(region)).await
}

async fn create_cluster(eks: &Client, name: &str) -> String {
    let created = eks.create_cluster().name(name).send().await;
    let cluster = created.expect("create cluster").cluster.expect("cluster");
    cluster.arn().expect("cluster ARN").to_owned()
}

async fn cluster_names(eks: &Client) -> Vec<String> {
    let listed = eks.list_clusters().send().await.expect("list clusters");
    listed.clusters().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_live_in_the_region_their_request_was_signed_for() {
    let emulator = start_emulator();
    let oregon = client_in(&emulator, OREGON).await;
    let ireland = client_in(&emulator, IRELAND).await;

    let arn = create_cluster(&oregon, "west").await;
    assert_eq!(arn, format!("arn:aws:eks:{OREGON}:{ACCOUNT}:cluster/west"));
    assert_eq!(cluster_names(&oregon).await, ["west"]);
    assert!(cluster_names(&ireland).await.is_empty());
    expect_error_containing(
        ireland.describe_cluster().name("west").send().await,
        "an Oregon cluster described in Ireland",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("west"),
    );

    create_cluster(&ireland, "east").await;
    assert_eq!(cluster_names(&ireland).await, ["east"]);
    assert_eq!(cluster_names(&oregon).await, ["west"]);
    expect_error(
        oregon.describe_cluster().name("east").send().await,
        "an Irish cluster described in Oregon",
        RESOURCE_NOT_FOUND,
    );
    expect_error(
        ireland.delete_cluster().name("west").send().await,
        "an Oregon cluster deleted in Ireland",
        RESOURCE_NOT_FOUND,
    );

    // One name, two clusters: each region's carries its region.
    let irish_twin = create_cluster(&ireland, "west").await;
    assert_eq!(
        irish_twin,
        format!("arn:aws:eks:{IRELAND}:{ACCOUNT}:cluster/west")
    );
    let oregon_west = describe_cluster(&oregon, "west").await;
    assert_eq!(oregon_west.arn(), Some(arn.as_str()));
    let ireland_west = describe_cluster(&ireland, "west").await;
    assert_eq!(ireland_west.arn(), Some(irish_twin.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn associations_are_listed_only_in_their_region() {
    let emulator = start_emulator();
    let oregon = client_in(&emulator, OREGON).await;
    let ireland = client_in(&emulator, IRELAND).await;
    create_cluster(&oregon, "c1").await;
    create_cluster(&ireland, "c1").await;

    let west = expect_association(
        create_request(&oregon, "ns", "west-sa").send().await,
        "create in Oregon",
    );
    assert!(
        west.association_arn()
            .is_some_and(|arn| arn.starts_with(&format!("arn:aws:eks:{OREGON}:{ACCOUNT}:"))),
        "{west:?}"
    );
    let east = expect_association(
        create_request(&ireland, "ns", "east-sa").send().await,
        "create in Ireland",
    );
    assert!(
        east.association_arn()
            .is_some_and(|arn| arn.starts_with(&format!("arn:aws:eks:{IRELAND}:{ACCOUNT}:"))),
        "{east:?}"
    );

    let accounts = |listed: Vec<PodIdentityAssociationSummary>| {
        listed
            .iter()
            .map(|summary| summary.service_account().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(accounts(list_all(list_request(&oregon)).await), ["west-sa"]);
    assert_eq!(
        accounts(list_all(list_request(&ireland)).await),
        ["east-sa"]
    );
    let west_id = west.association_id().expect("id");
    expect_error(
        describe_request(&ireland, west_id).send().await,
        "an Oregon association described in Ireland",
        RESOURCE_NOT_FOUND,
    );
    describe(&oregon, west_id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_for_a_name_that_is_no_region_is_refused() {
    let emulator = start_emulator();
    let moon = client_in(&emulator, "moon-1").await;
    expect_error_containing(
        moon.list_clusters().send().await,
        "signed for moon-1",
        INVALID_SIGNATURE,
        "Credential should be scoped to a valid region. ",
    );
    expect_error(
        moon.create_cluster().name("c").send().await,
        "create signed for moon-1",
        INVALID_SIGNATURE,
    );
    // China and GovCloud are AWS Regions too.
    for region in ["cn-north-1", "us-gov-west-1"] {
        let eks = client_in(&emulator, region).await;
        assert!(cluster_names(&eks).await.is_empty(), "{region}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_log_records_each_requests_region() {
    let emulator = start_emulator();
    let oregon = client_in(&emulator, OREGON).await;
    let ireland = client_in(&emulator, IRELAND).await;
    create_cluster(&oregon, "c").await;
    let _ = ireland.describe_cluster().name("c").send().await;
    let _ = client_in(&emulator, "moon-1")
        .await
        .list_clusters()
        .send()
        .await;
    // The log is one across regions, whichever region the admin client names.
    for admin in [emulator.admin.clone(), emulator.admin.in_region(OREGON)] {
        let log: Vec<(Value, Value, Value)> = admin
            .requests()
            .expect("request log")
            .iter()
            .map(|r| {
                (
                    r["operation"].clone(),
                    r["status"].clone(),
                    r["region"].clone(),
                )
            })
            .collect();
        assert_eq!(
            log,
            [
                (json!("CreateCluster"), json!(200), json!(OREGON)),
                (json!("DescribeCluster"), json!(404), json!(IRELAND)),
                (json!("ListClusters"), json!(403), json!("moon-1")),
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_interface_works_on_the_region_its_header_names() {
    let emulator = start_emulator();
    let oregon_admin = emulator.admin.in_region(OREGON);
    let oregon = client_in(&emulator, OREGON).await;

    create_cluster(&oregon, "west").await;
    add_cluster(&emulator, "home");
    let in_oregon = oregon_admin.create_cluster("admin-made").expect("create");
    assert_eq!(
        in_oregon["arn"],
        format!("arn:aws:eks:{OREGON}:{ACCOUNT}:cluster/admin-made")
    );
    assert_eq!(cluster_names(&oregon).await, ["admin-made", "west"]);
    assert_eq!(cluster_names(&client(emulator.url()).await).await, ["home"]);

    // Cluster-scoped admin calls see the named region's clusters only.
    expect_association(
        create_request(&oregon, "ns", "sa")
            .cluster_name("west")
            .send()
            .await,
        "create in Oregon",
    );
    let associations = oregon_admin.associations("west").expect("associations");
    assert_eq!(associations.len(), 1);
    assert!(emulator.admin.associations("west").is_err());
    assert!(emulator.admin.in_region(IRELAND).addons("west").is_err());
    assert!(oregon_admin.addons("west").expect("add-ons").is_empty());
    assert!(emulator.admin.delete_cluster("west").is_err());
    oregon_admin
        .delete_cluster("west")
        .expect("delete in Oregon");
    assert_eq!(cluster_names(&oregon).await, ["admin-made"]);

    // Tokens are minted for the named region's clusters, and sessions are kept per region.
    assert!(emulator.admin.mint_token("admin-made", "ns", "sa").is_err());
    oregon_admin
        .mint_token("admin-made", "ns", "sa")
        .expect("token for an Oregon cluster");
    assert!(oregon_admin
        .pod_identity_sessions()
        .expect("sessions")
        .is_empty());

    // Delays are the emulator's, whichever region is named.
    oregon_admin
        .set_delays(&json!({"clusterMs": 1234}))
        .expect("set delays");
    assert_eq!(
        emulator.admin.delays().expect("delays")["clusterCreatingMs"],
        1234
    );

    // A name that is no AWS Region is refused.
    let (status, body) = emulator
        .admin
        .in_region("moon-1")
        .call("GET", "/_emulator/clusters/home/addons", None)
        .expect("admin call");
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(REGION_HEADER) && message.contains("moon-1"),
        "{message}"
    );
    assert!(emulator
        .admin
        .in_region("moon-1")
        .create_cluster("x")
        .is_err());

    // Reset empties every region.
    emulator.admin.reset().expect("reset");
    assert!(cluster_names(&oregon).await.is_empty());
}
