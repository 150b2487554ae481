//! What the EKS Auth tests share: an emulator with moto as IAM and STS, EKS and EKS Auth
//! clients, pod tokens, trust policies and roles, and checks of refusals.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::retry::RetryConfig;
use aws_sdk_eksauth::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eksauth::operation::assume_role_for_pod_identity::{
    AssumeRoleForPodIdentityError, AssumeRoleForPodIdentityOutput,
};
use eks_emulator::client::sdk_config_loader;
use serde_json::{json, Value};

use super::*;

pub const PODS: &str = "pods.eks.amazonaws.com";
pub const TARGET_ACCOUNT: &str = "210987654321";
pub const AWS_REFUSAL: &str =
    "Unauthorized Exception! EKS does not have permissions to assume the associated role.";

pub type AuthResult =
    Result<AssumeRoleForPodIdentityOutput, SdkError<AssumeRoleForPodIdentityError>>;

/// An emulator with moto for IAM and STS, cluster `c1`, and EKS and EKS Auth clients.
pub struct Fixture {
    pub emulator: TestEmulator,
    pub eks: aws_sdk_eks::Client,
    pub auth: aws_sdk_eksauth::Client,
}

pub async fn setup_pod_identity() -> Fixture {
    let emulator = start_emulator_with_iam();
    add_cluster(&emulator, "c1");
    let eks = client(emulator.url()).await;
    let auth = eks_auth_client(emulator.url()).await;
    Fixture {
        emulator,
        eks,
        auth,
    }
}

pub async fn eks_auth_client(url: &str) -> aws_sdk_eksauth::Client {
    let loader = sdk_config_loader(url).retry_config(RetryConfig::disabled());
    aws_sdk_eksauth::Client::new(&loader.load().await)
}

/// The documented pod identity trust policy, with `condition` if given.
pub fn pods_trust(condition: Option<Value>) -> Value {
    let mut statement = json!({
        "Sid": "AllowEksAuthToAssumeRoleForPodIdentity",
        "Effect": "Allow",
        "Principal": {"Service": PODS},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    });
    if let Some(condition) = condition {
        statement["Condition"] = condition;
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// A new role in this account trusted as `trust` says: its name and ARN.
pub async fn role(prefix: &str, trust: &Value) -> (String, String) {
    let name = unique_name(prefix);
    let arn = create_role(ACCOUNT, &name, trust).await;
    (name, arn)
}

impl Fixture {
    /// An association of `namespace/service_account` in `cluster` with `role_arn`, made by
    /// `customize`; its id and ARN.
    pub async fn associate(
        &self,
        cluster: &str,
        namespace: &str,
        service_account: &str,
        role_arn: &str,
    ) -> (String, String) {
        let request = self
            .eks
            .create_pod_identity_association()
            .cluster_name(cluster)
            .namespace(namespace)
            .service_account(service_account)
            .role_arn(role_arn);
        let created = expect_association(request.send().await, "create association");
        let id = created.association_id().expect("id").to_owned();
        (id, created.association_arn().expect("arn").to_owned())
    }

    pub fn token(&self, cluster: &str, namespace: &str, service_account: &str) -> String {
        self.emulator
            .admin
            .mint_token(cluster, namespace, service_account)
            .unwrap_or_else(|e| panic!("mint token: {e}"))
    }

    pub async fn assume(&self, cluster: &str, token: &str) -> AuthResult {
        let request = self.auth.assume_role_for_pod_identity();
        request.cluster_name(cluster).token(token).send().await
    }

    /// AssumeRoleForPodIdentity for a pod of `namespace/service_account` in `cluster`.
    pub async fn assume_as(
        &self,
        cluster: &str,
        namespace: &str,
        service_account: &str,
    ) -> AuthResult {
        let token = self.token(cluster, namespace, service_account);
        self.assume(cluster, &token).await
    }

    pub fn sessions(&self) -> Vec<Value> {
        self.emulator
            .admin
            .pod_identity_sessions()
            .expect("pod identity sessions")
    }
}

/// The refusal of a pod whose role's policies do not let EKS in.
#[track_caller]
pub fn expect_denied(result: AuthResult, what: &str, reason_part: &str) {
    let err = expect_error_containing(result, what, ACCESS_DENIED, AWS_REFUSAL);
    let message = err.message().unwrap_or_default();
    assert!(
        message.contains(reason_part),
        "{what}: {message:?} should name {reason_part:?}"
    );
}

pub fn epoch_seconds() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(now.as_secs()).expect("seconds")
}

/// The trust policy of a target role: the association's role, with this external id.
pub fn trusting(role_arn: &str, external_id: &str) -> Value {
    json!({"Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": role_arn},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}}
    }]})
}

/// Lets role `role_name` assume `target_arn`, as the EKS user guide has the association's role
/// do for its target.
pub async fn allow_to_assume(role_name: &str, target_arn: &str) {
    let permissions = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": target_arn
    }]});
    put_role_policy(ACCOUNT, role_name, &permissions).await;
}

impl Fixture {
    /// An association of `shop/service_account` in c1 with `role_arn` and target role
    /// `target_name` in TARGET_ACCOUNT (which need not exist yet); the target's ARN and the
    /// association's external id.
    pub async fn associate_with_target(
        &self,
        service_account: &str,
        role_arn: &str,
        target_name: &str,
    ) -> (String, String) {
        self.associate_with_target_in(TARGET_ACCOUNT, service_account, role_arn, target_name)
            .await
    }

    /// [`Self::associate_with_target`] with the target in `account`.
    pub async fn associate_with_target_in(
        &self,
        account: &str,
        service_account: &str,
        role_arn: &str,
        target_name: &str,
    ) -> (String, String) {
        let target_arn = format!("arn:aws:iam::{account}:role/{target_name}");
        let created = create_request(&self.eks, "shop", service_account)
            .role_arn(role_arn)
            .target_role_arn(&target_arn)
            .send()
            .await;
        let created = expect_association(created, "association with a target role");
        let external_id = created.external_id().expect("external id").to_owned();
        (target_arn, external_id)
    }
}
