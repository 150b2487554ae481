mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_on_associations_and_clusters() {
    let (_emulator, eks) = setup().await;
    let created = expect_association(
        create_request(&eks, "ns", "sa").tags("a", "1").send().await,
        "create",
    );
    let association_arn = created.association_arn().expect("arn").to_owned();
    let cluster_arn = format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/c1");

    for arn in [&association_arn, &cluster_arn] {
        eks.tag_resource()
            .resource_arn(arn)
            .tags("b", "2")
            .tags("c", "3")
            .send()
            .await
            .expect("tag");
        eks.tag_resource()
            .resource_arn(arn)
            .tags("b", "two")
            .send()
            .await
            .expect("overwrite tag");
        eks.untag_resource()
            .resource_arn(arn)
            .tag_keys("c")
            .tag_keys("not-there")
            .send()
            .await
            .expect("untag");
    }
    let association_tags = tags(&[("a", "1"), ("b", "two")]);
    let cluster_tags = tags(&[("b", "two")]);
    assert_eq!(listed_tags(&eks, &association_arn).await, association_tags);
    assert_eq!(listed_tags(&eks, &cluster_arn).await, cluster_tags);
    let cluster = describe_cluster(&eks, "c1").await;
    assert_eq!(cluster.tags(), Some(&cluster_tags));

    let id = created.association_id().expect("id");
    assert_eq!(describe(&eks, id).await.tags(), Some(&association_tags));
    let updated = expect_association(
        update_request(&eks, id).role_arn(OTHER_ROLE).send().await,
        "update",
    );
    assert_eq!(updated.tags(), Some(&association_tags), "update keeps tags");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_operations_validate_tags_and_resources() {
    let (_emulator, eks) = setup().await;
    let arn = create(&eks, "ns", "sa")
        .await
        .association_arn()
        .expect("arn")
        .to_owned();
    let tag = || eks.tag_resource().resource_arn(&arn);

    for (what, key, value) in [
        ("reserved prefix", "aws:x".to_owned(), "v".to_owned()),
        ("long key", "k".repeat(129), "v".to_owned()),
        ("long value", "k".to_owned(), "v".repeat(257)),
    ] {
        expect_error(tag().tags(key, value).send().await, what, BAD_REQUEST);
    }
    let mut fifty = tag();
    for i in 0..50 {
        fifty = fifty.tags(format!("k{i}"), "v");
    }
    fifty.send().await.expect("50 tags are allowed");
    expect_error(
        tag().tags("one-more", "v").send().await,
        "51st tag",
        BAD_REQUEST,
    );
    assert_eq!(listed_tags(&eks, &arn).await.len(), 50);

    let unknown =
        format!("arn:aws:eks:eu-west-1:{ACCOUNT}:podidentityassociation/c1/a-00000000000000000");
    expect_error(
        eks.list_tags_for_resource()
            .resource_arn(&unknown)
            .send()
            .await,
        "unknown arn",
        NOT_FOUND,
    );
    expect_error(
        eks.tag_resource()
            .resource_arn(format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/none"))
            .tags("k", "v")
            .send()
            .await,
        "unknown cluster arn",
        NOT_FOUND,
    );
    expect_error(
        eks.untag_resource()
            .resource_arn("arn:aws:s3:::bucket")
            .tag_keys("k")
            .send()
            .await,
        "non-EKS arn",
        BAD_REQUEST,
    );
}
