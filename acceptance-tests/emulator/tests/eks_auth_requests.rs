//! The EKS Auth API's requests themselves: service-account tokens (garbled, of another cluster,
//! expired), service accounts without association, the SigV4 service `eks-auth`, injected
//! faults, and an emulator started without IAM.

mod common;

use serde_json::{json, Value};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_must_be_valid_current_and_of_the_cluster() {
    let fixture = setup_pod_identity().await;
    add_cluster(&fixture.emulator, "c2");
    let (_, role_arn) = role("tokens", &pods_trust(None)).await;
    fixture.associate("c1", "shop", "cart", &role_arn).await;

    for garbled in ["not-a-token", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"] {
        let result = fixture.assume("c1", garbled).await;
        expect_error(result, &format!("token {garbled:?}"), INVALID_TOKEN);
    }
    let of_c2 = fixture.token("c2", "shop", "cart");
    let result = fixture.assume("c1", &of_c2).await;
    expect_error_containing(result, "token of another cluster", INVALID_TOKEN, "c1");

    let expired = fixture
        .emulator
        .admin
        .mint_token_with(&json!({"cluster": "c1", "namespace": "shop", "serviceAccount": "cart", "expiresInSeconds": 0}))
        .expect("expired token");
    let result = fixture
        .assume("c1", expired["token"].as_str().expect("token"))
        .await;
    expect_error(result, "expired token", EXPIRED_TOKEN);

    // The cluster deleted and created again has a new issuer: old tokens are invalid.
    let token = fixture.token("c1", "shop", "cart");
    fixture
        .emulator
        .admin
        .delete_cluster("c1")
        .expect("delete c1");
    add_cluster(&fixture.emulator, "c1");
    expect_error(
        fixture.assume("c1", &token).await,
        "token of the old c1",
        INVALID_TOKEN,
    );
    let unknown_cluster = fixture.assume("nope", &token).await;
    expect_error_containing(
        unknown_cluster,
        "unknown cluster",
        RESOURCE_NOT_FOUND,
        "nope",
    );
    assert!(fixture.sessions().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_without_association_is_not_found() {
    let fixture = setup_pod_identity().await;
    let result = fixture.assume_as("c1", "shop", "nobody").await;
    expect_error_containing(result, "no association", RESOURCE_NOT_FOUND, "nobody");
    let missing_token = fixture
        .auth
        .assume_role_for_pod_identity()
        .cluster_name("c1")
        .token("")
        .send()
        .await;
    expect_error_containing(missing_token, "empty token", INVALID_PARAMETER, "token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_must_be_signed_for_eks_auth() {
    let fixture = setup_pod_identity().await;
    let (_, role_arn) = role("signed", &pods_trust(None)).await;
    fixture.associate("c1", "shop", "cart", &role_arn).await;
    let token = fixture.token("c1", "shop", "cart");
    let path = "/clusters/c1/assume-role-for-pod-identity";
    let body = json!({ "token": token }).to_string();

    let signed_for_eks = fixture
        .emulator
        .raw
        .signed("POST", path, &body)
        .expect("answer");
    assert_error(&signed_for_eks, 403, INVALID_SIGNATURE, "signed for eks");
    assert!(
        signed_for_eks.body.contains("'eks-auth'"),
        "{}",
        signed_for_eks.body
    );

    let eks_auth = fixture.emulator.raw.clone().with_service("eks-auth");
    let signed = eks_auth.signed("POST", path, &body).expect("answer");
    assert_eq!(signed.status, 200, "{}", signed.body);
    let answer = json_body(&signed);
    for member in [
        "subject",
        "audience",
        "podIdentityAssociation",
        "assumedRoleUser",
        "credentials",
    ] {
        assert!(answer.get(member).is_some(), "{member} in {answer}");
    }
    assert!(
        answer["credentials"]["expiration"].is_i64(),
        "epoch seconds: {answer}"
    );
    // And the EKS API refuses eks-auth signatures.
    let listed = eks_auth.signed("GET", "/clusters", "").expect("answer");
    assert_error(
        &listed,
        403,
        INVALID_SIGNATURE,
        "EKS call signed for eks-auth",
    );
    assert!(listed.body.contains("'eks'"), "{}", listed.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_name_the_operation() {
    let fixture = setup_pod_identity().await;
    let (_, role_arn) = role("faults", &pods_trust(None)).await;
    fixture.associate("c1", "shop", "cart", &role_arn).await;
    add_fault(
        &fixture.emulator,
        json!({"kind": "throttle", "operation": "AssumeRoleForPodIdentity"}),
    );
    add_fault(
        &fixture.emulator,
        json!({"kind": "server_error", "operation": "AssumeRoleForPodIdentity"}),
    );
    expect_error(
        fixture.assume_as("c1", "shop", "cart").await,
        "throttled",
        THROTTLING,
    );
    expect_error(
        fixture.assume_as("c1", "shop", "cart").await,
        "server error",
        INTERNAL_SERVER,
    );
    fixture
        .assume_as("c1", "shop", "cart")
        .await
        .expect("faults used up");
    let operations: Vec<Value> = requests_log(&fixture.emulator)
        .into_iter()
        .filter(|r| r["operation"] == "AssumeRoleForPodIdentity")
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(operations, [json!(429), json!(500), json!(200)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_iam_the_emulator_says_so() {
    let emulator = start_emulator();
    add_cluster(&emulator, "c1");
    let eks = client(emulator.url()).await;
    new_association_id(&eks, "shop", "cart").await;
    let token = emulator
        .admin
        .mint_token("c1", "shop", "cart")
        .expect("token");
    let auth = eks_auth_client(emulator.url()).await;
    let result = auth
        .assume_role_for_pod_identity()
        .cluster_name("c1")
        .token(token)
        .send()
        .await;
    expect_error_containing(result, "no IAM", INTERNAL_SERVER, "--iam-endpoint");
}
