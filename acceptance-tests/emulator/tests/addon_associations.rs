//! Pod identity associations owned by an add-on: created with it in its namespace, listed in
//! its `podIdentityAssociations`, changed through UpdateAddon only, deleted with it.

mod common;

use aws_sdk_eks::types::AddonPodIdentityAssociations;
use aws_sdk_eks::Client;
use serde_json::json;

use common::*;

fn pod_identity(service_account: &str, role_arn: &str) -> AddonPodIdentityAssociations {
    AddonPodIdentityAssociations::builder()
        .service_account(service_account)
        .role_arn(role_arn)
        .build()
        .expect("association")
}

/// The associations of `c1` that `owner` owns: (service account, role, namespace).
async fn owned_by(eks: &Client, owner: &str) -> Vec<(String, String, String)> {
    let mut owned = Vec::new();
    for summary in list_all(list_request(eks)).await {
        if summary.owner_arn() == Some(owner) {
            let id = summary.association_id().expect("id");
            let association = describe(eks, id).await;
            owned.push((
                association.service_account().expect("sa").to_owned(),
                association.role_arn().expect("role").to_owned(),
                association.namespace().expect("namespace").to_owned(),
            ));
        }
    }
    owned
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owned_associations_come_and_go_with_the_addon() {
    let (_emulator, eks) = setup().await;
    let created = create_addon_request(&eks, EBS_CSI)
        .pod_identity_associations(pod_identity(EBS_CSI_SA, ROLE))
        .send()
        .await
        .expect("create with an association")
        .addon
        .expect("addon");
    let arn = created.addon_arn().expect("arn").to_owned();
    let [association_arn] = created.pod_identity_associations() else {
        panic!("one association: {:?}", created.pod_identity_associations());
    };
    assert!(association_arn.starts_with(&format!(
        "arn:aws:eks:eu-west-1:{ACCOUNT}:podidentityassociation/c1/a-"
    )));
    assert_eq!(
        owned_by(&eks, &arn).await,
        [(EBS_CSI_SA.into(), ROLE.into(), "kube-system".into())]
    );
    let id = association_arn.rsplit('/').next().expect("id");
    assert!(id_is_well_formed(id));

    // Owned: the association operations leave it alone.
    expect_error(
        delete_request(&eks, id).send().await,
        "delete an owned association",
        INVALID_REQUEST,
    );
    expect_error(
        update_request(&eks, id).role_arn(OTHER_ROLE).send().await,
        "update an owned association",
        INVALID_REQUEST,
    );

    // UpdateAddon changes the role in place...
    update_addon_request(&eks, EBS_CSI)
        .pod_identity_associations(pod_identity(EBS_CSI_SA, OTHER_ROLE))
        .send()
        .await
        .expect("change the role");
    let updated = describe_addon(&eks, "c1", EBS_CSI).await;
    assert_eq!(
        updated.pod_identity_associations(),
        std::slice::from_ref(association_arn)
    );
    assert_eq!(
        owned_by(&eks, &arn).await,
        [(EBS_CSI_SA.into(), OTHER_ROLE.into(), "kube-system".into())]
    );
    // ...leaves them as they are without podIdentityAssociations...
    update_addon_request(&eks, EBS_CSI)
        .addon_version("v1.38.1-eksbuild.2")
        .send()
        .await
        .expect("version only");
    assert_eq!(owned_by(&eks, &arn).await.len(), 1);
    // ...and deletes them with an empty list.
    update_addon_request(&eks, EBS_CSI)
        .set_pod_identity_associations(Some(Vec::new()))
        .send()
        .await
        .expect("no associations");
    let without = describe_addon(&eks, "c1", EBS_CSI).await;
    assert!(without.pod_identity_associations().is_empty());
    assert!(owned_by(&eks, &arn).await.is_empty());

    update_addon_request(&eks, EBS_CSI)
        .pod_identity_associations(pod_identity(EBS_CSI_SA, ROLE))
        .send()
        .await
        .expect("associate again");
    assert_eq!(owned_by(&eks, &arn).await.len(), 1);
    eks.delete_addon()
        .cluster_name("c1")
        .addon_name(EBS_CSI)
        .send()
        .await
        .expect("delete the add-on");
    wait_for_addon_gone(&eks, EBS_CSI).await;
    assert!(
        owned_by(&eks, &arn).await.is_empty(),
        "gone with the add-on"
    );
    assert!(list_all(list_request(&eks)).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preserve_keeps_the_associations_unowned() {
    let (_emulator, eks) = setup().await;
    let created = create_addon_request(&eks, VPC_CNI)
        .pod_identity_associations(pod_identity("aws-node", ROLE))
        .send()
        .await
        .expect("create")
        .addon
        .expect("addon");
    let association_arn = created.pod_identity_associations()[0].clone();
    eks.delete_addon()
        .cluster_name("c1")
        .addon_name(VPC_CNI)
        .preserve(true)
        .send()
        .await
        .expect("delete, preserving");
    wait_for_addon_gone(&eks, VPC_CNI).await;
    let remaining = list_all(list_request(&eks)).await;
    let [kept] = remaining.as_slice() else {
        panic!("the association stays: {remaining:?}");
    };
    assert_eq!(kept.association_arn(), Some(association_arn.as_str()));
    assert_eq!(kept.owner_arn(), None, "no longer owned");
    let id = kept.association_id().expect("id");
    expect_association(delete_request(&eks, id).send().await, "now deletable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_identity_only_where_the_addon_offers_it() {
    let (emulator, eks) = setup().await;
    expect_error_containing(
        create_addon_request(&eks, AGENT)
            .pod_identity_associations(pod_identity("eks-pod-identity-agent", ROLE))
            .send()
            .await,
        "the agent uses the node role",
        INVALID_PARAMETER,
        "Pod Identity feature is not supported for addon version: v1.3.5-eksbuild.2",
    );
    expect_error_containing(
        create_addon_request(&eks, EBS_CSI)
            .pod_identity_associations(pod_identity("ebs-csi-node-sa", ROLE))
            .send()
            .await,
        "a service account the add-on does not use",
        INVALID_PARAMETER,
        "Service account ebs-csi-node-sa in pod identity configuration is not supported for addon aws-ebs-csi-driver",
    );
    expect_error(
        create_addon_request(&eks, EBS_CSI)
            .pod_identity_associations(pod_identity(EBS_CSI_SA, ROLE))
            .pod_identity_associations(pod_identity(EBS_CSI_SA, OTHER_ROLE))
            .send()
            .await,
        "the same service account twice",
        INVALID_PARAMETER,
    );
    expect_error(
        create_addon_request(&eks, EBS_CSI)
            .pod_identity_associations(pod_identity(EBS_CSI_SA, TARGET_ROLE))
            .send()
            .await,
        "a role in another account",
        INVALID_PARAMETER,
    );
    add_fault(
        &emulator,
        json!({"kind": "role_not_found", "operation": "CreateAddon"}),
    );
    expect_error_containing(
        create_addon_request(&eks, EBS_CSI)
            .pod_identity_associations(pod_identity(EBS_CSI_SA, ROLE))
            .send()
            .await,
        "a role IAM does not know yet",
        INVALID_PARAMETER,
        ROLE_NOT_FOUND,
    );

    // The service account already has an association of its own.
    create(&eks, "kube-system", EBS_CSI_SA).await;
    expect_error_containing(
        create_addon_request(&eks, EBS_CSI)
            .pod_identity_associations(pod_identity(EBS_CSI_SA, ROLE))
            .send()
            .await,
        "an association that exists",
        RESOURCE_IN_USE,
        "Association already exists",
    );
    // None of the refused creates left an add-on behind.
    assert!(emulator.admin.addons("c1").expect("addons").is_empty());
    assert_eq!(list_all(list_request(&eks)).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_looked_up_in_iam() {
    let emulator = start_emulator_with_iam();
    add_cluster(&emulator, "c1");
    let eks = client(emulator.url()).await;
    let (_, present) = role("ebs", &pods_trust(None)).await;
    let missing = format!("arn:aws:iam::{ACCOUNT}:role/{}", unique_name("missing"));
    expect_error_containing(
        create_addon_request(&eks, EBS_CSI)
            .pod_identity_associations(pod_identity(EBS_CSI_SA, &missing))
            .send()
            .await,
        "a role IAM does not have",
        INVALID_PARAMETER,
        ROLE_NOT_FOUND,
    );
    create_addon_request(&eks, EBS_CSI)
        .pod_identity_associations(pod_identity(EBS_CSI_SA, &present))
        .send()
        .await
        .expect("a role IAM has");
    expect_error_containing(
        update_addon_request(&eks, EBS_CSI)
            .pod_identity_associations(pod_identity(EBS_CSI_SA, &missing))
            .send()
            .await,
        "update to a role IAM does not have",
        INVALID_PARAMETER,
        ROLE_NOT_FOUND,
    );
}
