//! ListAddons paging and the tags of add-ons.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addons_are_tagged_through_their_arn() {
    let (_emulator, eks) = setup().await;
    let created = create_addon_request(&eks, VPC_CNI)
        .tags("team", "network")
        .send()
        .await
        .expect("create")
        .addon
        .expect("addon");
    let arn = created.addon_arn().expect("arn");
    assert_eq!(created.tags(), Some(&tags(&[("team", "network")])));
    assert_eq!(listed_tags(&eks, arn).await, tags(&[("team", "network")]));
    eks.tag_resource()
        .resource_arn(arn)
        .tags("env", "prod")
        .send()
        .await
        .expect("tag");
    eks.untag_resource()
        .resource_arn(arn)
        .tag_keys("team")
        .send()
        .await
        .expect("untag");
    assert_eq!(listed_tags(&eks, arn).await, tags(&[("env", "prod")]));
    let described = describe_addon(&eks, "c1", VPC_CNI).await;
    assert_eq!(described.tags(), Some(&tags(&[("env", "prod")])));

    // Another add-on of that name (another uuid) is another resource.
    let (prefix, _) = arn.rsplit_once('/').expect("uuid");
    let other = format!("{prefix}/00000000-0000-0000-0000-000000000000");
    expect_error(
        eks.list_tags_for_resource()
            .resource_arn(&other)
            .send()
            .await,
        "an add-on ARN with another uuid",
        NOT_FOUND,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_addons_pages_in_name_order() {
    let (_emulator, eks) = setup().await;
    for addon in [VPC_CNI, AGENT, EBS_CSI] {
        create_addon(&eks, addon).await;
    }
    let first = eks
        .list_addons()
        .cluster_name("c1")
        .max_results(2)
        .send()
        .await
        .expect("page 1");
    assert_eq!(first.addons(), [EBS_CSI, AGENT]);
    let second = eks
        .list_addons()
        .cluster_name("c1")
        .max_results(2)
        .next_token(first.next_token().expect("token"))
        .send()
        .await
        .expect("page 2");
    assert_eq!(second.addons(), [VPC_CNI]);
    assert_eq!(second.next_token(), None);
    let all: Vec<String> = eks
        .list_addons()
        .cluster_name("c1")
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("paginate");
    assert_eq!(all, [EBS_CSI, AGENT, VPC_CNI]);

    expect_error(
        eks.list_addons()
            .cluster_name("c1")
            .max_results(0)
            .send()
            .await,
        "maxResults 0",
        INVALID_PARAMETER,
    );
    expect_error(
        eks.list_addons()
            .cluster_name("c1")
            .next_token("forged")
            .send()
            .await,
        "forged token",
        INVALID_PARAMETER,
    );
    expect_error_containing(
        eks.list_addons().cluster_name("nowhere").send().await,
        "unknown cluster",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("nowhere"),
    );
}
