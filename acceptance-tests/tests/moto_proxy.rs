//! The fault proxy in front of moto, as the stack starts it: IAM and STS through the real AWS
//! SDK, answers lost after moto committed the request.

use std::time::Duration;

use acceptance::harness::{hcl, iam_client, ProxiedRequest, Stack, Terraform, ACCOUNT_ID};
use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::config::Credentials;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use eks_emulator::client::{sdk_config_loader, test_credentials};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// An IAM client on the stack's IAM endpoint (the proxy), as terraform would reach it.
async fn proxied_iam(
    stack: &Stack,
    retry: RetryConfig,
    credentials: Credentials,
) -> aws_sdk_iam::Client {
    let loader = sdk_config_loader(stack.iam_url())
        .retry_config(retry)
        .credentials_provider(credentials);
    aws_sdk_iam::Client::new(&loader.load().await)
}

async fn without_retries(stack: &Stack) -> aws_sdk_iam::Client {
    proxied_iam(stack, RetryConfig::disabled(), test_credentials()).await
}

fn iam_request(action: &str, status: u16, dropped: bool) -> ProxiedRequest {
    ProxiedRequest {
        service: Some("iam".into()),
        action: Some(action.into()),
        status: Some(status),
        dropped,
    }
}

async fn create_role(
    iam: &aws_sdk_iam::Client,
    name: &str,
) -> Result<(), SdkError<aws_sdk_iam::operation::create_role::CreateRoleError>> {
    let created = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(TRUST)
        .send()
        .await;
    created.map(drop)
}

async fn role_exists(stack: &Stack, name: &str) -> bool {
    let direct = iam_client(stack).await;
    direct.get_role().role_name(name).send().await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_create_role_is_committed_in_moto_and_never_answered() {
    let stack = Stack::start_with_moto_proxy();
    assert_ne!(stack.iam_url(), stack.moto.url());
    stack.drop_moto_answers("CreateRole", 1);

    let lost = create_role(&without_retries(&stack).await, "lost").await;
    assert!(
        matches!(lost, Err(SdkError::DispatchFailure(_))),
        "the connection closed unanswered: {lost:?}"
    );
    assert!(role_exists(&stack, "lost").await, "moto committed it");
    assert_eq!(
        stack.dropped_moto_answers(),
        [iam_request("CreateRole", 200, true)]
    );
    let recorded = stack.moto.requests().expect("moto's recording");
    let creates = recorded.iter().filter(|r| r.action == "CreateRole").count();
    assert_eq!(creates, 1, "{recorded:?}");

    // CreateRole has no idempotency token: the SDK's retry meets the role its first attempt
    // made.
    stack.drop_moto_answers("CreateRole", 1);
    let retry = RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(5));
    let retrying = proxied_iam(&stack, retry, test_credentials()).await;
    let retried = create_role(&retrying, "retried").await;
    let err = retried.expect_err("the retry finds the role");
    assert_eq!(err.code(), Some("EntityAlreadyExists"), "{err:?}");
    assert!(role_exists(&stack, "retried").await);
    let attempts: Vec<(bool, Option<u16>)> = stack
        .proxied_moto_requests()
        .iter()
        .skip(1)
        .map(|r| (r.dropped, r.status))
        .collect();
    assert_eq!(attempts, [(true, Some(200)), (false, Some(409))]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_actions_pass_and_every_answer_can_be_dropped() {
    let stack = Stack::start_with_moto_proxy();
    stack.drop_every_moto_answer("CreateRole");
    let iam = without_retries(&stack).await;

    iam.list_roles()
        .send()
        .await
        .expect("other IAM actions pass");
    let sts_config = sdk_config_loader(stack.iam_url()).load().await;
    let identity = aws_sdk_sts::Client::new(&sts_config)
        .get_caller_identity()
        .send()
        .await
        .expect("STS passes");
    assert_eq!(identity.account(), Some(ACCOUNT_ID));
    for name in ["a", "b", "c"] {
        let lost = create_role(&iam, name).await;
        assert!(
            matches!(lost, Err(SdkError::DispatchFailure(_))),
            "{lost:?}"
        );
        assert!(role_exists(&stack, name).await);
    }
    stack.clear_moto_drops();
    create_role(&iam, "d").await.expect("answered again");

    let caller_identity = ProxiedRequest {
        service: Some("sts".into()),
        action: Some("GetCallerIdentity".into()),
        status: Some(200),
        dropped: false,
    };
    let dropped_create = iam_request("CreateRole", 200, true);
    assert_eq!(
        stack.proxied_moto_requests(),
        [
            iam_request("ListRoles", 200, false),
            caller_identity,
            dropped_create.clone(),
            dropped_create.clone(),
            dropped_create,
            iam_request("CreateRole", 200, false),
        ]
    );
    assert_eq!(stack.dropped_moto_answers().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_requests_reach_moto_unchanged() {
    let stack = Stack::start_with_moto_proxy();
    let direct = iam_client(&stack).await;
    direct
        .create_user()
        .user_name("tester")
        .send()
        .await
        .expect("user");
    direct
        .put_user_policy()
        .user_name("tester")
        .policy_name("everything")
        .policy_document(ALLOW_ALL)
        .send()
        .await
        .expect("policy");
    let key = direct
        .create_access_key()
        .user_name("tester")
        .send()
        .await
        .expect("access key")
        .access_key
        .expect("access key in the answer");
    stack.moto.enforce_auth_from_now().expect("auth enforced");

    // Signed for the proxy's host; moto checks the signature against the headers it receives.
    let credentials = |secret: &str| Credentials::new(&key.access_key_id, secret, None, None, "t");
    let signed = proxied_iam(
        &stack,
        RetryConfig::disabled(),
        credentials(&key.secret_access_key),
    )
    .await;
    signed
        .list_roles()
        .send()
        .await
        .expect("moto verified the signature");
    create_role(&signed, "signed").await.expect("signed create");

    let forged = proxied_iam(&stack, RetryConfig::disabled(), credentials("wrong-secret")).await;
    let refused = forged.list_roles().send().await.expect_err("bad signature");
    // moto's error document is not IAM's shape, so the SDK has no code for it: read the answer.
    let answer = refused.raw_response().expect("an answer");
    let body = answer.body().bytes().map(String::from_utf8_lossy);
    assert_eq!(answer.status().as_u16(), 403, "{body:?}");
    assert!(
        body.as_deref()
            .is_some_and(|b| b.contains("SignatureDoesNotMatch")),
        "{body:?}"
    );
}

#[test]
fn terraform_reaches_iam_and_sts_through_the_proxy() {
    let stack = Stack::start_with_moto_proxy();
    let tf = Terraform::new(&stack);
    assert_eq!(tf.env("AWS_ENDPOINT_URL_IAM"), Some(stack.iam_url()));
    assert_eq!(tf.env("AWS_ENDPOINT_URL_STS"), Some(stack.iam_url()));
    tf.write_config(&format!(
        "{}{}",
        hcl::provider(),
        hcl::role("shared").string("name", "shop-shared")
    ));
    tf.apply();
    let proxied = stack.proxied_moto_requests();
    let seen = |service: &str, action: &str| {
        proxied
            .iter()
            .any(|r| r.service.as_deref() == Some(service) && r.action.as_deref() == Some(action))
    };
    assert!(seen("sts", "GetCallerIdentity"), "{proxied:?}");
    assert!(seen("iam", "CreateRole"), "{proxied:?}");
    assert!(stack.dropped_moto_answers().is_empty());
}
