//! What the conformance tests share: an emulator per test, SDK clients for it (through the
//! shared configuration of `eks_emulator::client`), the admin client, request builders and
//! checks of SDK outcomes. Each test file uses a different part of it.
#![allow(dead_code)]

mod addons;
mod eks_auth;
mod moto;

use std::collections::HashMap;
use std::fmt::Debug;
use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_config::ConfigLoader;
use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eks::operation::create_pod_identity_association::builders::CreatePodIdentityAssociationFluentBuilder;
use aws_sdk_eks::operation::create_pod_identity_association::CreatePodIdentityAssociationOutput;
use aws_sdk_eks::operation::delete_pod_identity_association::builders::DeletePodIdentityAssociationFluentBuilder;
use aws_sdk_eks::operation::delete_pod_identity_association::DeletePodIdentityAssociationOutput;
use aws_sdk_eks::operation::describe_pod_identity_association::builders::DescribePodIdentityAssociationFluentBuilder;
use aws_sdk_eks::operation::describe_pod_identity_association::DescribePodIdentityAssociationOutput;
use aws_sdk_eks::operation::list_pod_identity_associations::builders::ListPodIdentityAssociationsFluentBuilder;
use aws_sdk_eks::operation::update_pod_identity_association::builders::UpdatePodIdentityAssociationFluentBuilder;
use aws_sdk_eks::operation::update_pod_identity_association::UpdatePodIdentityAssociationOutput;
use aws_sdk_eks::types::{Cluster, PodIdentityAssociation, PodIdentityAssociationSummary};
use aws_sdk_eks::Client;
use eks_emulator::client::{
    sdk_config_loader, signature_headers, Admin, HttpResponse, RawEks, ACCESS_KEY_ID, REGION,
    SECRET_ACCESS_KEY,
};
use eks_emulator::{Credentials, EmulatorConfig, EmulatorHandle};
use serde_json::Value;

#[allow(unused_imports)]
pub use addons::*;
#[allow(unused_imports)]
pub use eks_auth::*;
#[allow(unused_imports)]
pub use moto::*;

pub const ACCOUNT: &str = "123456789012";
pub const ROLE: &str = "arn:aws:iam::123456789012:role/app";
pub const OTHER_ROLE: &str = "arn:aws:iam::123456789012:role/path/other";
pub const TARGET_ROLE: &str = "arn:aws:iam::210987654321:role/target";
pub const SECOND_TARGET_ROLE: &str = "arn:aws:iam::210987654321:role/target-2";
pub const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
pub const ROLE_NOT_FOUND: &str = "Role provided in the request does not exist";

// Error codes (`x-amzn-errortype`), each of which the SDK maps to the error variant of that name.
pub const ACCESS_DENIED: &str = "AccessDeniedException";
pub const EXPIRED_TOKEN: &str = "ExpiredTokenException";
pub const INTERNAL_SERVER: &str = "InternalServerException";
pub const INVALID_TOKEN: &str = "InvalidTokenException";
pub const BAD_REQUEST: &str = "BadRequestException";
pub const INVALID_PARAMETER: &str = "InvalidParameterException";
pub const INVALID_REQUEST: &str = "InvalidRequestException";
pub const INVALID_SIGNATURE: &str = "InvalidSignatureException";
pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignatureException";
pub const NOT_FOUND: &str = "NotFoundException";
pub const RESOURCE_IN_USE: &str = "ResourceInUseException";
pub const RESOURCE_LIMIT_EXCEEDED: &str = "ResourceLimitExceededException";
pub const RESOURCE_NOT_FOUND: &str = "ResourceNotFoundException";
pub const SERIALIZATION: &str = "SerializationException";
pub const SERVER: &str = "ServerException";
pub const THROTTLING: &str = "ThrottlingException";
pub const UNKNOWN_OPERATION: &str = "UnknownOperationException";
pub const UNRECOGNIZED_CLIENT: &str = "UnrecognizedClientException";

// ----- setup ------------------------------------------------------------------------------------

/// A running emulator with its admin client and a raw-request client signing with the test
/// credentials.
pub struct TestEmulator {
    pub handle: EmulatorHandle,
    pub admin: Admin,
    pub raw: RawEks,
}

impl TestEmulator {
    pub fn url(&self) -> &str {
        self.handle.url()
    }
}

pub fn start_emulator() -> TestEmulator {
    start_emulator_with(EmulatorConfig::default())
}

pub fn start_emulator_with(config: EmulatorConfig) -> TestEmulator {
    let handle = EmulatorHandle::start(config).expect("emulator starts");
    let admin = Admin::new(handle.url());
    let raw = RawEks::new(handle.url());
    TestEmulator { handle, admin, raw }
}

/// An EKS client from the shared configuration, without SDK retries unless `configure` sets
/// them, changed by `configure`.
pub async fn client_with(
    url: &str,
    configure: impl FnOnce(ConfigLoader) -> ConfigLoader,
) -> Client {
    let loader = sdk_config_loader(url).retry_config(RetryConfig::disabled());
    Client::new(&configure(loader).load().await)
}

/// Client with SDK retries disabled, so every fault is visible.
pub async fn client(url: &str) -> Client {
    client_with(url, |loader| loader).await
}

/// Client that retries quickly, as real callers do.
pub async fn retrying_client(url: &str) -> Client {
    let retry = RetryConfig::standard()
        .with_max_attempts(4)
        .with_initial_backoff(Duration::from_millis(5));
    client_with(url, |loader| loader.retry_config(retry)).await
}

/// A fresh emulator with cluster `c1` and a client without retries.
pub async fn setup() -> (TestEmulator, Client) {
    let emulator = start_emulator();
    add_cluster(&emulator, "c1");
    let eks = client(emulator.url()).await;
    (emulator, eks)
}

// ----- raw HTTP -----------------------------------------------------------------------------------

/// A raw EKS API request signed with the test credentials, as the SDK would sign it.
pub fn signed_raw(emulator: &TestEmulator, method: &str, path: &str, body: &str) -> HttpResponse {
    emulator
        .raw
        .signed(method, path, body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// A raw EKS API request with exactly these headers.
pub fn raw_request(
    emulator: &TestEmulator,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> HttpResponse {
    emulator
        .raw
        .send(method, path, headers, "")
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// The SigV4 headers the SDK would add to a bodiless `method url` with these `headers`, signed
/// now with the test credentials.
pub fn test_signature(
    method: &str,
    url: &str,
    headers: &[(String, String)],
) -> Vec<(String, String)> {
    let credentials = Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None);
    signature_headers(
        method,
        url,
        headers,
        b"",
        &credentials,
        REGION,
        SystemTime::now(),
    )
    .unwrap_or_else(|e| panic!("cannot sign {method} {url}: {e}"))
}

/// The body of a response, which must be JSON.
pub fn json_body(response: &HttpResponse) -> Value {
    response
        .json()
        .unwrap_or_else(|e| panic!("response body is not JSON ({e}): {}", response.body))
}

/// The response is an error of this status and `x-amzn-errortype`.
#[track_caller]
pub fn assert_error(response: &HttpResponse, status: u16, error_type: &str, what: &str) {
    assert_eq!(response.status, status, "{what}: {}", response.body);
    assert_eq!(
        response.error_type(),
        Some(error_type),
        "{what}: {}",
        response.body
    );
}

// ----- admin interface ----------------------------------------------------------------------------

/// An admin call that must answer with `status`; its JSON body.
#[track_caller]
pub fn admin_expect(
    emulator: &TestEmulator,
    method: &str,
    path: &str,
    body: Option<Value>,
    status: u16,
) -> Value {
    let (actual, body) = emulator
        .admin
        .call(method, path, body.as_ref())
        .unwrap_or_else(|e| panic!("admin {method} {path}: {e}"));
    assert_eq!(actual, status, "admin {method} {path}: {body}");
    body
}

pub fn add_cluster(emulator: &TestEmulator, name: &str) {
    emulator
        .admin
        .create_cluster(name)
        .unwrap_or_else(|e| panic!("create cluster {name}: {e}"));
}

pub fn add_fault(emulator: &TestEmulator, fault: Value) {
    emulator
        .admin
        .add_fault(&fault)
        .unwrap_or_else(|e| panic!("add fault {fault}: {e}"));
}

pub fn clear_requests_log(emulator: &TestEmulator) {
    emulator.admin.clear_requests().expect("clear request log");
}

pub fn requests_log(emulator: &TestEmulator) -> Vec<Value> {
    emulator.admin.requests().expect("request log")
}

/// The statuses of these logged requests, in order.
pub fn statuses<'a>(requests: impl IntoIterator<Item = &'a Value>) -> Vec<u64> {
    requests
        .into_iter()
        .map(|r| r["status"].as_u64().expect("status"))
        .collect()
}

pub fn admin_associations(emulator: &TestEmulator, cluster: &str) -> Vec<Value> {
    emulator
        .admin
        .associations(cluster)
        .unwrap_or_else(|e| panic!("associations of {cluster}: {e}"))
}

// ----- SDK requests -------------------------------------------------------------------------------

/// CreatePodIdentityAssociation on cluster `c1` with role `ROLE`; further setters add to the
/// request or override these defaults.
pub fn create_request(
    eks: &Client,
    namespace: &str,
    service_account: &str,
) -> CreatePodIdentityAssociationFluentBuilder {
    eks.create_pod_identity_association()
        .cluster_name("c1")
        .namespace(namespace)
        .service_account(service_account)
        .role_arn(ROLE)
}

/// `create_request` with target role `TARGET_ROLE` and session policy `POLICY` (which requires
/// disabled session tags).
pub fn create_with_target_and_policy(
    eks: &Client,
    namespace: &str,
    service_account: &str,
) -> CreatePodIdentityAssociationFluentBuilder {
    create_request(eks, namespace, service_account)
        .target_role_arn(TARGET_ROLE)
        .disable_session_tags(true)
        .policy(POLICY)
}

/// DescribePodIdentityAssociation of `id` on cluster `c1`.
pub fn describe_request(eks: &Client, id: &str) -> DescribePodIdentityAssociationFluentBuilder {
    eks.describe_pod_identity_association()
        .cluster_name("c1")
        .association_id(id)
}

/// UpdatePodIdentityAssociation of `id` on cluster `c1`, changing nothing yet.
pub fn update_request(eks: &Client, id: &str) -> UpdatePodIdentityAssociationFluentBuilder {
    eks.update_pod_identity_association()
        .cluster_name("c1")
        .association_id(id)
}

pub fn delete_request(eks: &Client, id: &str) -> DeletePodIdentityAssociationFluentBuilder {
    eks.delete_pod_identity_association()
        .cluster_name("c1")
        .association_id(id)
}

pub fn list_request(eks: &Client) -> ListPodIdentityAssociationsFluentBuilder {
    eks.list_pod_identity_associations().cluster_name("c1")
}

// ----- SDK outcomes -------------------------------------------------------------------------------

/// Responses that carry one association.
pub trait AssociationResponse {
    fn into_association(self) -> Option<PodIdentityAssociation>;
}

macro_rules! association_responses {
    ($($output:ty),+) => {$(
        impl AssociationResponse for $output {
            fn into_association(self) -> Option<PodIdentityAssociation> {
                self.association
            }
        }
    )+};
}

association_responses!(
    CreatePodIdentityAssociationOutput,
    DescribePodIdentityAssociationOutput,
    UpdatePodIdentityAssociationOutput,
    DeletePodIdentityAssociationOutput
);

/// The association returned by a call that must succeed.
#[track_caller]
pub fn expect_association<O: AssociationResponse, E: Debug, R: Debug>(
    result: Result<O, SdkError<E, R>>,
    what: &str,
) -> PodIdentityAssociation {
    match result {
        Ok(output) => match output.into_association() {
            Some(association) => association,
            None => panic!("{what}: no association in the response"),
        },
        Err(err) => panic!("{what}: {err:?}"),
    }
}

pub async fn create(
    eks: &Client,
    namespace: &str,
    service_account: &str,
) -> PodIdentityAssociation {
    let result = create_request(eks, namespace, service_account).send().await;
    expect_association(result, "create association")
}

/// The id of a new association on `c1` with role `ROLE`.
pub async fn new_association_id(eks: &Client, namespace: &str, service_account: &str) -> String {
    let created = create(eks, namespace, service_account).await;
    created.association_id().expect("id").to_owned()
}

pub async fn describe(eks: &Client, id: &str) -> PodIdentityAssociation {
    expect_association(
        describe_request(eks, id).send().await,
        "describe association",
    )
}

pub async fn describe_cluster(eks: &Client, name: &str) -> Cluster {
    let described = eks.describe_cluster().name(name).send().await;
    described
        .expect("describe cluster")
        .cluster
        .expect("cluster in response")
}

/// All associations of a listing, through the paginator.
pub async fn list_all(
    request: ListPodIdentityAssociationsFluentBuilder,
) -> Vec<PodIdentityAssociationSummary> {
    let pages = request.into_paginator().items().send();
    pages.try_collect().await.expect("paginate associations")
}

/// The tags of resource `arn` (which the response must carry).
pub async fn listed_tags(eks: &Client, arn: &str) -> HashMap<String, String> {
    let listed = eks.list_tags_for_resource().resource_arn(arn).send().await;
    listed.expect("list tags").tags.expect("tags in response")
}

/// The service error of a call that must fail.
#[track_caller]
pub fn service_error<T: Debug, E: Debug, R: Debug>(
    result: Result<T, SdkError<E, R>>,
    what: &str,
) -> E {
    match result {
        Ok(output) => panic!("{what}: expected an error, got {output:?}"),
        Err(SdkError::ServiceError(context)) => context.into_err(),
        Err(other) => panic!("{what}: expected a service error, got {other:?}"),
    }
}

/// The service error of a call that must fail with error code `code`.
#[track_caller]
pub fn expect_error<T: Debug, E: ProvideErrorMetadata + Debug, R: Debug>(
    result: Result<T, SdkError<E, R>>,
    what: &str,
    code: &str,
) -> E {
    let err = service_error(result, what);
    assert_eq!(err.code(), Some(code), "{what}: error code of {err:?}");
    err
}

/// The service error of a call that must fail with error code `code` and a message containing
/// `message_part`.
#[track_caller]
pub fn expect_error_containing<T: Debug, E: ProvideErrorMetadata + Debug, R: Debug>(
    result: Result<T, SdkError<E, R>>,
    what: &str,
    code: &str,
    message_part: &str,
) -> E {
    let err = expect_error(result, what, code);
    let message = err.message().unwrap_or_default();
    assert!(
        message.contains(message_part),
        "{what}: message {message:?} should contain {message_part:?}"
    );
    err
}

pub fn no_cluster_message(name: &str) -> String {
    format!("No cluster found for name: {name}.")
}

pub fn id_is_well_formed(id: &str) -> bool {
    id.strip_prefix("a-").is_some_and(|rest| {
        rest.len() == 17
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

pub fn tags(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
