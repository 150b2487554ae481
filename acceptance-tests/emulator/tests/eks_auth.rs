//! The EKS Auth API (`AssumeRoleForPodIdentity`) through `aws-sdk-eksauth` with real SigV4, with
//! moto as IAM and STS: trust policies evaluated for the request EKS makes, credentials issued
//! with session tags, role chaining through a target role, and the refusals.

mod common;

use aws_config::retry::RetryConfig;
use aws_config::Region;
use aws_credential_types::Credentials;
use eks_emulator::client::sdk_config_loader;
use serde_json::{json, Value};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_for_an_allowed_pod() {
    let fixture = setup_pod_identity().await;
    let condition = json!({"StringEquals": {
        "aws:RequestTag/eks-cluster-name": "c1",
        "aws:RequestTag/kubernetes-service-account": "cart"
    }});
    let (role_name, role_arn) = role("cart", &pods_trust(Some(condition))).await;
    let (id, arn) = fixture.associate("c1", "shop", "cart", &role_arn).await;
    let minted = fixture
        .emulator
        .admin
        .mint_token_with(
            &json!({"cluster": "c1", "namespace": "shop", "serviceAccount": "cart",
                                  "podName": "cart-7d9f8b6c5-x2x4z", "podUid": "uid-1"}),
        )
        .expect("token");
    let token = minted["token"].as_str().expect("token string");

    let granted = fixture.assume("c1", token).await.expect("credentials");
    let subject = granted.subject().expect("subject");
    assert_eq!(
        (subject.namespace(), subject.service_account()),
        ("shop", "cart")
    );
    assert_eq!(granted.audience(), PODS);
    let association = granted.pod_identity_association().expect("association");
    assert_eq!(
        (association.association_id(), association.association_arn()),
        (id.as_str(), arn.as_str())
    );
    let user = granted.assumed_role_user().expect("assumed role user");
    let session_prefix =
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/eks-c1-cart-7d9f8b6c5-x2x4z-");
    assert!(user.arn().starts_with(&session_prefix), "{}", user.arn());
    let session_name = user.arn().rsplit('/').next().expect("session name");
    assert!(
        user.assume_role_id().ends_with(&format!(":{session_name}")),
        "{}",
        user.assume_role_id()
    );
    let credentials = granted.credentials().expect("credentials");
    assert!(!credentials.access_key_id().is_empty() && !credentials.session_token().is_empty());
    assert!(credentials.expiration().secs() > epoch_seconds());

    let sessions = fixture.sessions();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let session = &sessions[0];
    assert_eq!(session["roleArn"], json!(role_arn));
    assert_eq!(session["targetRoleArn"], Value::Null);
    assert_eq!(session["assumedRoleArn"], json!(user.arn()));
    assert_eq!(session["accessKeyId"], json!(credentials.access_key_id()));
    assert_eq!(
        session["sessionTags"],
        json!({
            "eks-cluster-arn": format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/c1"),
            "eks-cluster-name": "c1",
            "kubernetes-namespace": "shop",
            "kubernetes-service-account": "cart",
            "kubernetes-pod-name": "cart-7d9f8b6c5-x2x4z",
            "kubernetes-pod-uid": "uid-1",
        })
    );

    // The pod's credentials are STS credentials like any other: EKS takes them.
    let pod_credentials = Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        Some(credentials.session_token().to_owned()),
        None,
        "pod",
    );
    let as_pod = client_with(fixture.emulator.url(), |l| {
        l.credentials_provider(pod_credentials)
    })
    .await;
    as_pod
        .list_clusters()
        .send()
        .await
        .expect("EKS accepts the pod's credentials");

    let logged = requests_log(&fixture.emulator);
    assert!(
        logged
            .iter()
            .any(|r| r["operation"] == "AssumeRoleForPodIdentity"
                && r["status"] == 200
                && r["cluster"] == "c1"),
        "{logged:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_outside_the_trust_conditions() {
    let fixture = setup_pod_identity().await;
    add_cluster(&fixture.emulator, "c2");
    let condition = json!({
        "StringEquals": {"aws:RequestTag/eks-cluster-name": "c1"},
        "StringLike": {"aws:RequestTag/kubernetes-service-account": "cart*"}
    });
    let (_, role_arn) = role("shared", &pods_trust(Some(condition))).await;
    fixture.associate("c1", "shop", "cart", &role_arn).await;
    fixture.associate("c1", "shop", "orders", &role_arn).await;
    fixture.associate("c2", "shop", "cart", &role_arn).await;

    fixture
        .assume_as("c1", "shop", "cart")
        .await
        .expect("allowed pod");
    let other_account = fixture.assume_as("c1", "shop", "orders").await;
    expect_denied(
        other_account,
        "service account outside the trust",
        "\"orders\"",
    );
    let other_cluster = fixture.assume_as("c2", "shop", "cart").await;
    expect_denied(other_cluster, "cluster outside the trust", "\"c2\"");
    assert_eq!(
        fixture.sessions().len(),
        1,
        "only the allowed pod got credentials"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_session_tags_fail_tag_conditions() {
    let fixture = setup_pod_identity().await;
    let condition = json!({"StringEquals": {"aws:RequestTag/kubernetes-namespace": "shop"}});
    let (_, tagged) = role("tagged", &pods_trust(Some(condition))).await;
    let only_assume = json!({"Statement": {"Effect": "Allow", "Principal": {"Service": PODS}, "Action": "sts:AssumeRole"}});
    let (_, untagged) = role("untagged", &only_assume).await;
    let create = |service_account: &str, role_arn: &str| {
        fixture
            .eks
            .create_pod_identity_association()
            .cluster_name("c1")
            .namespace("shop")
            .service_account(service_account)
            .role_arn(role_arn)
            .disable_session_tags(true)
    };
    expect_association(create("tagged", &tagged).send().await, "tagged role");
    expect_association(create("plain", &untagged).send().await, "untagged role");
    fixture
        .associate("c1", "shop", "needs-tags", &untagged)
        .await;

    let refused = fixture.assume_as("c1", "shop", "tagged").await;
    expect_denied(
        refused,
        "tag condition without tags",
        "the request has no aws:RequestTag/kubernetes-namespace",
    );
    fixture
        .assume_as("c1", "shop", "plain")
        .await
        .expect("no tags, no TagSession needed");
    let sessions = fixture.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["sessionTags"], json!({}));
    // With session tags, EKS also needs sts:TagSession.
    let no_tag_session = fixture.assume_as("c1", "shop", "needs-tags").await;
    expect_denied(no_tag_session, "TagSession not trusted", "sts:TagSession");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_trusting_another_service_or_denying_are_refused() {
    let fixture = setup_pod_identity().await;
    let ec2 = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]});
    let (_, ec2_role) = role("ec2", &ec2).await;
    fixture.associate("c1", "shop", "ec2", &ec2_role).await;
    expect_denied(
        fixture.assume_as("c1", "shop", "ec2").await,
        "role of EC2",
        "ec2.amazonaws.com",
    );

    let mut deny = pods_trust(None);
    deny["Statement"]
        .as_array_mut()
        .expect("statements")
        .push(json!({
            "Sid": "NoKubeSystem", "Effect": "Deny", "Principal": "*", "Action": "sts:*",
            "Condition": {"StringEquals": {"aws:RequestTag/kubernetes-namespace": "kube-system"}}
        }));
    let (_, guarded) = role("guarded", &deny).await;
    fixture
        .associate("c1", "kube-system", "app", &guarded)
        .await;
    fixture.associate("c1", "shop", "app", &guarded).await;
    expect_denied(
        fixture.assume_as("c1", "kube-system", "app").await,
        "explicit deny",
        "NoKubeSystem",
    );
    fixture
        .assume_as("c1", "shop", "app")
        .await
        .expect("outside the deny");

    let unsupported = pods_trust(Some(
        json!({"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
    ));
    let (_, unknown) = role("unknown", &unsupported).await;
    fixture.associate("c1", "shop", "unknown", &unknown).await;
    let refused = fixture.assume_as("c1", "shop", "unknown").await;
    expect_denied(
        refused,
        "unsupported condition key",
        "cannot tell whether EKS sends aws:SourceAccount",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_chaining_through_a_target_role() {
    let fixture = setup_pod_identity().await;
    let (role_name, role_arn) = role("chain", &pods_trust(None)).await;
    // The external id comes with the association, so the target's trust is written after it.
    let target_name = unique_name("target");
    let (target_arn, external_id) = fixture
        .associate_with_target("reports", &role_arn, &target_name)
        .await;
    create_role(
        TARGET_ACCOUNT,
        &target_name,
        &trusting(&role_arn, &external_id),
    )
    .await;

    // Cross-account: the association's role needs permission to assume the target too.
    let refused = fixture.assume_as("c1", "shop", "reports").await;
    expect_denied(
        refused,
        "no permission on the target",
        "permission policies",
    );
    allow_to_assume(&role_name, &target_arn).await;

    let granted = fixture
        .assume_as("c1", "shop", "reports")
        .await
        .expect("chained credentials");
    let user = granted.assumed_role_user().expect("assumed role user");
    let prefix =
        format!("arn:aws:sts::{TARGET_ACCOUNT}:assumed-role/{target_name}/eks-c1-reports-");
    assert!(
        user.arn().starts_with(&prefix),
        "the target's session: {}",
        user.arn()
    );
    let sessions = fixture.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["roleArn"], json!(role_arn));
    assert_eq!(sessions[0]["targetRoleArn"], json!(target_arn));
    assert_eq!(sessions[0]["assumedRoleArn"], json!(user.arn()));
    assert_eq!(
        sessions[0]["sessionTags"]["kubernetes-service-account"],
        json!("reports")
    );

    // A target that wants another external id refuses the chain.
    let other_name = unique_name("target");
    let (other_arn, _) = fixture
        .associate_with_target("billing", &role_arn, &other_name)
        .await;
    create_role(
        TARGET_ACCOUNT,
        &other_name,
        &trusting(&role_arn, "another-external-id"),
    )
    .await;
    allow_to_assume(&role_name, &other_arn).await;
    let refused = fixture.assume_as("c1", "shop", "billing").await;
    expect_denied(refused, "another external id", "sts:ExternalId");
    assert_eq!(fixture.sessions().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_account_targets_need_permissions_only_when_trusting_the_account() {
    let fixture = setup_pod_identity().await;
    let (_, role_arn) = role("local", &pods_trust(None)).await;

    // A target in the same account whose trust names the role: the trust alone grants it.
    let named = unique_name("named");
    let (_, external_id) = fixture
        .associate_with_target_in(ACCOUNT, "named", &role_arn, &named)
        .await;
    create_role(ACCOUNT, &named, &trusting(&role_arn, &external_id)).await;
    fixture
        .assume_as("c1", "shop", "named")
        .await
        .expect("trusted by name");

    // A target trusting the whole account delegates to the role's own permissions.
    let delegated = unique_name("delegated");
    let (_, external_id) = fixture
        .associate_with_target_in(ACCOUNT, "delegated", &role_arn, &delegated)
        .await;
    let account_root = format!("arn:aws:iam::{ACCOUNT}:root");
    create_role(ACCOUNT, &delegated, &trusting(&account_root, &external_id)).await;
    let refused = fixture.assume_as("c1", "shop", "delegated").await;
    expect_denied(
        refused,
        "account trust without permissions",
        "permission policies",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_get_credentials_in_the_region_of_their_cluster() {
    const OREGON: &str = "us-west-2";
    let fixture = setup_pod_identity().await;
    let oregon_admin = fixture.emulator.admin.in_region(OREGON);
    oregon_admin.create_cluster("west").expect("Oregon cluster");
    let in_oregon = |loader: aws_config::ConfigLoader| loader.region(Region::new(OREGON));
    let oregon_eks = client_with(fixture.emulator.url(), in_oregon).await;
    let oregon_auth = aws_sdk_eksauth::Client::new(
        &in_oregon(sdk_config_loader(fixture.emulator.url()))
            .retry_config(RetryConfig::disabled())
            .load()
            .await,
    );
    let (_, role_arn) = role("west", &pods_trust(None)).await;
    let created = oregon_eks
        .create_pod_identity_association()
        .cluster_name("west")
        .namespace("shop")
        .service_account("cart")
        .role_arn(&role_arn)
        .send()
        .await;
    let association = expect_association(created, "create in Oregon");
    let association_arn = association.association_arn().expect("arn");
    assert!(
        association_arn.starts_with(&format!("arn:aws:eks:{OREGON}:{ACCOUNT}:")),
        "{association_arn}"
    );
    assert!(fixture
        .emulator
        .admin
        .mint_token("west", "shop", "cart")
        .is_err());
    let token = oregon_admin
        .mint_token("west", "shop", "cart")
        .expect("token");

    // Called in the configured region, EKS Auth does not know the cluster.
    let elsewhere = fixture.assume("west", &token).await;
    expect_error_containing(
        elsewhere,
        "assumed in eu-west-1",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("west"),
    );

    let granted = oregon_auth
        .assume_role_for_pod_identity()
        .cluster_name("west")
        .token(&token)
        .send()
        .await
        .expect("credentials in Oregon");
    let granted_association = granted.pod_identity_association().expect("association");
    assert_eq!(granted_association.association_arn(), association_arn);
    let sessions = oregon_admin.pod_identity_sessions().expect("sessions");
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(
        sessions[0]["sessionTags"]["eks-cluster-arn"],
        format!("arn:aws:eks:{OREGON}:{ACCOUNT}:cluster/west")
    );
    assert!(fixture.sessions().is_empty());
}
