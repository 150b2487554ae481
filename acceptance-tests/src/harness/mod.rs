//! The test harness: the local AWS stack (moto for IAM and STS, the EKS emulator for EKS) and a
//! terraform runner wired to it. Everything stops when its handle is dropped, also when a test
//! panics.

pub mod http;
pub mod moto;
pub mod terraform;

use std::fmt::Debug;
use std::future::Future;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde_json::{json, Value};

use crate::emulator::{EmulatorConfig, EmulatorHandle};
pub use moto::{MotoOptions, MotoRequest, MotoServer};
pub use terraform::{flatten, Terraform, TfRun, REQUIRED_PROVIDERS};

/// Region the stack answers for.
pub const REGION: &str = "eu-west-1";
/// The account moto and the emulator use.
pub const ACCOUNT_ID: &str = "123456789012";
/// Test credentials. The secret is distinctive so tests can prove it never reaches a log.
pub const ACCESS_KEY_ID: &str = "AKIAPODIDENTITYTEST1";
pub const SECRET_ACCESS_KEY: &str = "podidentity-test-secret-must-never-be-logged";

/// The workspace root (the directory holding the top-level Cargo.toml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// moto + the EKS emulator, both on free loopback ports.
pub struct Stack {
    pub moto: MotoServer,
    pub eks: EmulatorHandle,
}

impl Stack {
    pub fn start() -> Stack {
        Self::start_with(&MotoOptions::default())
    }

    pub fn start_with(options: &MotoOptions) -> Stack {
        Self::try_start(options)
            .unwrap_or_else(|e| panic!("cannot start the local AWS stack: {e:#}"))
    }

    pub fn try_start(options: &MotoOptions) -> Result<Stack> {
        let moto = MotoServer::start(options)?;
        let eks = EmulatorHandle::start(EmulatorConfig {
            account_id: ACCOUNT_ID.to_string(),
            region: REGION.to_string(),
        })?;
        Ok(Stack { moto, eks })
    }

    /// The environment a terraform (or any AWS SDK) process needs to use this stack: test
    /// credentials, region, the standard endpoint variables, and no way to reach real AWS
    /// credentials (IMDS off, shared files pointed into `home`).
    pub fn aws_env(&self, home: &Path) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SECRET_ACCESS_KEY.into()),
            ("AWS_REGION".into(), REGION.into()),
            ("AWS_ENDPOINT_URL_EKS".into(), self.eks.url().to_string()),
            ("AWS_ENDPOINT_URL_IAM".into(), self.moto.url().to_string()),
            ("AWS_ENDPOINT_URL_STS".into(), self.moto.url().to_string()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            (
                "AWS_CONFIG_FILE".into(),
                home.join(".aws/config").display().to_string(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                home.join(".aws/credentials").display().to_string(),
            ),
        ]
    }

    fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let body = body.map(|b| b.to_string());
        let resp = http::request(self.eks.url(), method, path, body.as_deref())?;
        if !(200..300).contains(&resp.status) {
            bail!("{method} {path} answered {}: {}", resp.status, resp.body);
        }
        if resp.body.trim().is_empty() {
            Ok(Value::Null)
        } else {
            resp.json()
        }
    }

    fn admin_or_panic(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.admin(method, path, body)
            .unwrap_or_else(|e| panic!("emulator admin call failed: {e:#}"))
    }

    /// Create an EKS cluster in the emulator (what hashicorp/aws's aws_eks_cluster would do).
    pub fn create_cluster(&self, name: &str) -> Value {
        self.admin_or_panic("POST", "/_emulator/clusters", Some(json!({ "name": name })))
    }

    pub fn delete_cluster(&self, name: &str) {
        self.admin_or_panic("DELETE", &format!("/_emulator/clusters/{name}"), None);
    }

    /// Full association objects of a cluster, as DescribePodIdentityAssociation returns them.
    pub fn associations(&self, cluster: &str) -> Vec<Value> {
        let v = self.admin_or_panic(
            "GET",
            &format!("/_emulator/clusters/{cluster}/associations"),
            None,
        );
        v["associations"].as_array().cloned().unwrap_or_default()
    }

    /// An association owned by an EKS add-on (ownerArn set).
    pub fn create_addon_association(
        &self,
        cluster: &str,
        namespace: &str,
        service_account: &str,
        role_arn: &str,
    ) -> Value {
        self.admin_or_panic(
            "POST",
            &format!("/_emulator/clusters/{cluster}/addon-associations"),
            Some(json!({
                "namespace": namespace,
                "serviceAccount": service_account,
                "roleArn": role_arn,
                "addonName": "aws-ebs-csi-driver",
            })),
        )
    }

    /// Every EKS API request the emulator received since the start or the last clear.
    pub fn eks_requests(&self) -> Vec<Value> {
        let v = self.admin_or_panic("GET", "/_emulator/requests", None);
        v["requests"].as_array().cloned().unwrap_or_default()
    }

    /// The operation names of [`Self::eks_requests`].
    pub fn eks_operations(&self) -> Vec<String> {
        self.eks_requests()
            .iter()
            .filter_map(|r| r["operation"].as_str().map(str::to_string))
            .collect()
    }

    pub fn clear_eks_requests(&self) {
        self.admin_or_panic("DELETE", "/_emulator/requests", None);
    }

    /// Register a fault, e.g. `json!({"kind": "throttle", "count": 2})`.
    pub fn inject_fault(&self, fault: Value) {
        self.admin_or_panic("POST", "/_emulator/faults", Some(fault));
    }

    pub fn clear_faults(&self) {
        self.admin_or_panic("DELETE", "/_emulator/faults", None);
    }
}

/// The AWS SDK configuration for the stack: test credentials, the region, ring-based TLS.
async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_credential_types::Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "podidentity-tests",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// An `aws-sdk-eks` client for the stack's emulator, signed with the test credentials: what
/// another tool (the AWS CLI, a script) would use to change things behind Terraform's back.
pub async fn eks_client(stack: &Stack) -> aws_sdk_eks::Client {
    aws_sdk_eks::Client::new(&sdk_config(stack.eks.url()).await)
}

/// An `aws-sdk-iam` client for the stack's moto, for out-of-band changes and checks in tests.
pub async fn iam_client(stack: &Stack) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&sdk_config(stack.moto.url()).await)
}

/// An AWS SDK client for the stack with a runtime of its own, for synchronous tests and the demo:
/// what another tool (the AWS CLI, a script) would use to change things behind Terraform's back,
/// and to check what AWS holds.
pub struct Sdk<C> {
    runtime: tokio::runtime::Runtime,
    pub client: C,
}

impl<C> Sdk<C> {
    fn new(make: impl Future<Output = C>) -> Sdk<C> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start a runtime for the AWS SDK: {e}"));
        let client = runtime.block_on(make);
        Sdk { runtime, client }
    }

    /// Run one call and give its result.
    pub fn try_run<T, E>(&self, call: impl Future<Output = Result<T, E>>) -> Result<T, E> {
        self.runtime.block_on(call)
    }

    /// Run one call that must succeed.
    pub fn run<T, E: Debug>(&self, call: impl Future<Output = Result<T, E>>) -> T {
        self.try_run(call)
            .unwrap_or_else(|e| panic!("AWS call failed: {e:?}"))
    }
}

impl Stack {
    /// IAM (moto) through the AWS SDK.
    pub fn iam(&self) -> Sdk<aws_sdk_iam::Client> {
        Sdk::new(iam_client(self))
    }

    /// EKS (the emulator) through the AWS SDK.
    pub fn eks_api(&self) -> Sdk<aws_sdk_eks::Client> {
        Sdk::new(eks_client(self))
    }
}
