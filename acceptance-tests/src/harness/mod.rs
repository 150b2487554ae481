//! The test harness: the local AWS stack (moto for IAM and STS, the EKS emulator for EKS, and on
//! request a fault proxy in front of moto), a terraform runner wired to it and builders for the
//! configurations the tests write. Everything stops when its handle is dropped, also when a test
//! panics.

pub mod canned;
pub mod eks_auth;
pub mod hcl;
pub mod moto;
pub mod roles;
pub mod terraform;

use std::fmt::Debug;
use std::future::Future;
use std::path::{Path, PathBuf};

use anyhow::Result;
use eks_emulator::client::{sdk_config, Admin, ClientError};
use eks_emulator::{EmulatorConfig, EmulatorHandle, FaultProxy};
use serde_json::Value;

pub use eks_emulator::proxy::ProxiedRequest;

pub use canned::{sts_error, CannedServer};
pub use eks_auth::eks_auth_client;
pub use eks_emulator::client::{ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
pub use hcl::REQUIRED_PROVIDERS;
pub use moto::{MotoOptions, MotoRequest, MotoServer};
pub use terraform::{change_of, changed_attributes, flatten, resource_changes, Terraform, TfRun};

/// The account moto and the emulator use.
pub const ACCOUNT_ID: &str = "123456789012";

/// The workspace root (the directory holding the top-level Cargo.toml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// How to start a [`Stack`].
#[derive(Debug, Clone, Default)]
pub struct StackOptions {
    pub moto: MotoOptions,
    /// Route IAM and STS through a [`FaultProxy`] in front of moto, so that a test can lose
    /// moto's answers after moto executed the request ([`Stack::drop_moto_answers`]).
    pub moto_proxy: bool,
}

/// moto + the EKS emulator (+ the fault proxy in front of moto, when asked for), all on free
/// loopback ports.
pub struct Stack {
    pub moto: MotoServer,
    pub eks: EmulatorHandle,
    /// In front of moto for the stack's IAM and STS clients ([`Self::aws_env`]); `None` unless
    /// started with [`StackOptions::moto_proxy`].
    moto_proxy: Option<FaultProxy>,
    eks_admin: Admin,
}

impl Stack {
    pub fn start() -> Stack {
        Self::start_with(&MotoOptions::default())
    }

    pub fn start_with(options: &MotoOptions) -> Stack {
        Self::start_with_options(&StackOptions {
            moto: options.clone(),
            ..StackOptions::default()
        })
    }

    /// A stack whose IAM and STS endpoint is the fault proxy in front of moto.
    pub fn start_with_moto_proxy() -> Stack {
        Self::start_with_options(&StackOptions {
            moto_proxy: true,
            ..StackOptions::default()
        })
    }

    pub fn start_with_options(options: &StackOptions) -> Stack {
        Self::try_start_with_options(options)
            .unwrap_or_else(|e| panic!("cannot start the local AWS stack: {e:#}"))
    }

    pub fn try_start(options: &MotoOptions) -> Result<Stack> {
        Self::try_start_with_options(&StackOptions {
            moto: options.clone(),
            ..StackOptions::default()
        })
    }

    /// The emulator accepts the test credentials and the temporary credentials moto's STS
    /// issues, as EKS accepts those of AWS's STS (it asks moto directly, past the proxy). It
    /// uses moto as its IAM and STS too, directly (EKS's own calls are not the provider's, so
    /// the proxy's faults are not for them): Create/UpdatePodIdentityAssociation check that the
    /// role exists, and AssumeRoleForPodIdentity evaluates trust policies and issues credentials.
    pub fn try_start_with_options(options: &StackOptions) -> Result<Stack> {
        let moto = MotoServer::start(&options.moto)?;
        let moto_proxy = options
            .moto_proxy
            .then(|| FaultProxy::start(moto.url()))
            .transpose()?;
        let eks = EmulatorHandle::start(EmulatorConfig {
            account_id: ACCOUNT_ID.to_string(),
            region: REGION.to_string(),
            sts_endpoint: Some(moto.url().to_string()),
            iam_endpoint: Some(moto.url().to_string()),
            ..EmulatorConfig::default()
        })?;
        let eks_admin = Admin::new(eks.url());
        Ok(Stack {
            moto,
            eks,
            moto_proxy,
            eks_admin,
        })
    }

    /// The IAM and STS endpoint of [`Self::aws_env`]: the fault proxy's when there is one, else
    /// moto's.
    pub fn iam_url(&self) -> &str {
        self.moto_proxy
            .as_ref()
            .map_or(self.moto.url(), FaultProxy::url)
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
            ("AWS_ENDPOINT_URL_IAM".into(), self.iam_url().to_string()),
            ("AWS_ENDPOINT_URL_STS".into(), self.iam_url().to_string()),
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

    /// Let the emulator accept signatures made with these credentials too (replacing any for
    /// the same access key id), for tests that give terraform other credentials.
    pub fn add_eks_credentials(
        &self,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
    ) {
        admin(
            self.eks_admin
                .add_credentials(access_key_id, secret_access_key, session_token),
        )
    }

    /// Create an EKS cluster in the emulator (what hashicorp/aws's aws_eks_cluster would do).
    pub fn create_cluster(&self, name: &str) -> Value {
        admin(self.eks_admin.create_cluster(name))
    }

    /// Create a cluster from a whole emulator admin request: CreateCluster's members (`name`,
    /// `version`, `tags`, `computeConfig`, ...) and `"autoMode": true`, e.g.
    /// `json!({"name": "shop-blue", "version": "1.30"})`.
    pub fn create_cluster_with(&self, request: Value) -> Value {
        admin(self.eks_admin.create_cluster_with(&request))
    }

    /// Create an EKS Auto Mode cluster (the Pod Identity Agent is built in).
    pub fn create_auto_mode_cluster(&self, name: &str) -> Value {
        admin(self.eks_admin.create_auto_mode_cluster(name))
    }

    /// Delete a cluster at once, with its associations and add-ons.
    pub fn delete_cluster(&self, name: &str) {
        admin(self.eks_admin.delete_cluster(name))
    }

    /// Full add-on objects of a cluster, as DescribeAddon returns them.
    pub fn addons(&self, cluster: &str) -> Vec<Value> {
        admin(self.eks_admin.addons(cluster))
    }

    /// Set an add-on's status and health issues now, e.g. `("DEGRADED", None)` for the issue EKS
    /// reports for a degraded add-on, `("ACTIVE", None)` to heal it.
    pub fn set_addon_health(
        &self,
        cluster: &str,
        addon: &str,
        status: &str,
        issues: Option<Value>,
    ) -> Value {
        admin(
            self.eks_admin
                .set_addon_health(cluster, addon, status, issues.as_ref()),
        )
    }

    /// Decide how the next add-on create or update ends, e.g.
    /// `json!({"status": "CREATE_FAILED", "addonName": "eks-pod-identity-agent"})`.
    pub fn inject_addon_fault(&self, fault: Value) {
        admin(self.eks_admin.add_addon_fault(&fault))
    }

    pub fn clear_addon_faults(&self) {
        admin(self.eks_admin.clear_addon_faults())
    }

    /// Change how long clusters and add-ons stay CREATING/UPDATING/DELETING, e.g.
    /// `json!({"addonMs": 300})`; the delays now in force.
    pub fn set_eks_delays(&self, delays: Value) -> Value {
        admin(self.eks_admin.set_delays(&delays))
    }

    /// Full association objects of a cluster, as DescribePodIdentityAssociation returns them.
    pub fn associations(&self, cluster: &str) -> Vec<Value> {
        admin(self.eks_admin.associations(cluster))
    }

    /// An association owned by an EKS add-on (ownerArn set).
    pub fn create_addon_association(
        &self,
        cluster: &str,
        namespace: &str,
        service_account: &str,
        role_arn: &str,
    ) -> Value {
        admin(self.eks_admin.create_addon_association(
            cluster,
            namespace,
            service_account,
            role_arn,
            "aws-ebs-csi-driver",
        ))
    }

    /// `count` associations of `cluster` for `role_arn`, made through the EKS API 16 at a time:
    /// service accounts `{prefix}-0`, `{prefix}-1`, … in namespaces `ns-0` to `ns-9` (by the
    /// index's last digit). Returns each association's `namespace/service_account`.
    pub fn create_associations(
        &self,
        cluster: &str,
        role_arn: &str,
        prefix: &str,
        count: usize,
    ) -> Vec<String> {
        use futures::stream::{self, StreamExt, TryStreamExt};
        let names: Vec<(String, String)> = (0..count)
            .map(|i| (format!("ns-{}", i % 10), format!("{prefix}-{i}")))
            .collect();
        let eks = self.eks_api();
        let client = &eks.client;
        eks.run(
            stream::iter(&names)
                .map(|(namespace, service_account)| {
                    client
                        .create_pod_identity_association()
                        .cluster_name(cluster)
                        .namespace(namespace)
                        .service_account(service_account)
                        .role_arn(role_arn)
                        .send()
                })
                .buffer_unordered(16)
                .try_collect::<Vec<_>>(),
        );
        names
            .into_iter()
            .map(|(namespace, service_account)| format!("{namespace}/{service_account}"))
            .collect()
    }

    /// Every EKS API request the emulator received since the start or the last clear.
    pub fn eks_requests(&self) -> Vec<Value> {
        admin(self.eks_admin.requests())
    }

    /// The operation names of [`Self::eks_requests`].
    pub fn eks_operations(&self) -> Vec<String> {
        self.eks_requests()
            .iter()
            .filter_map(|r| r["operation"].as_str().map(str::to_string))
            .collect()
    }

    /// How many of [`Self::eks_requests`] the emulator answered with a throttling error (429).
    pub fn throttled_eks_requests(&self) -> usize {
        self.eks_requests()
            .iter()
            .filter(|r| r["status"] == 429)
            .count()
    }

    pub fn clear_eks_requests(&self) {
        admin(self.eks_admin.clear_requests())
    }

    /// Register a fault, e.g. `json!({"kind": "throttle", "count": 2})`.
    pub fn inject_fault(&self, fault: Value) {
        admin(self.eks_admin.add_fault(&fault))
    }

    pub fn clear_faults(&self) {
        admin(self.eks_admin.clear_faults())
    }

    /// The fault proxy in front of moto, which the stack must have been started with
    /// ([`Self::start_with_moto_proxy`]).
    pub fn moto_proxy(&self) -> &FaultProxy {
        self.moto_proxy.as_ref().unwrap_or_else(|| {
            panic!("the stack has no fault proxy in front of moto: start it with Stack::start_with_moto_proxy()")
        })
    }

    /// moto executes the next `count` IAM or STS requests of `action` (e.g. `CreateRole`), and
    /// their clients get no answer: the connection closes instead.
    pub fn drop_moto_answers(&self, action: &str, count: u32) {
        self.moto_proxy().drop_next(action, count)
    }

    /// Like [`Self::drop_moto_answers`] for every request of `action`, until
    /// [`Self::clear_moto_drops`].
    pub fn drop_every_moto_answer(&self, action: &str) {
        self.moto_proxy().drop_every(action)
    }

    pub fn clear_moto_drops(&self) {
        self.moto_proxy().clear_drops()
    }

    /// The IAM and STS requests moto executed whose answers were dropped, in the order moto
    /// answered them.
    pub fn dropped_moto_answers(&self) -> Vec<ProxiedRequest> {
        self.moto_proxy().dropped()
    }

    /// Every IAM and STS request that went through the proxy, answered or dropped.
    pub fn proxied_moto_requests(&self) -> Vec<ProxiedRequest> {
        self.moto_proxy().requests()
    }
}

/// The result of an emulator admin call, which must have worked.
fn admin<T>(result: Result<T, ClientError>) -> T {
    result.unwrap_or_else(|e| panic!("emulator admin call failed: {e}"))
}

/// An `aws-sdk-eks` client for the stack's emulator, signed with the test credentials: what
/// another tool (the AWS CLI, a script) would use to change things behind Terraform's back.
pub async fn eks_client(stack: &Stack) -> aws_sdk_eks::Client {
    aws_sdk_eks::Client::new(&sdk_config(stack.eks.url()).await)
}

/// An `aws-sdk-iam` client for the stack's moto, for out-of-band changes and checks in tests:
/// straight to moto, past the fault proxy and its drops.
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
    /// IAM (moto) through the AWS SDK, straight to moto (past the fault proxy).
    pub fn iam(&self) -> Sdk<aws_sdk_iam::Client> {
        Sdk::new(iam_client(self))
    }

    /// EKS (the emulator) through the AWS SDK.
    pub fn eks_api(&self) -> Sdk<aws_sdk_eks::Client> {
        Sdk::new(eks_client(self))
    }
}
