//! What the add-on and cluster-state tests share: add-on names, requests on cluster `c1`,
//! polling for a status, and the emulator's delays.

use std::time::{Duration, Instant};

use aws_sdk_eks::operation::create_addon::builders::CreateAddonFluentBuilder;
use aws_sdk_eks::operation::update_addon::builders::UpdateAddonFluentBuilder;
use aws_sdk_eks::types::{Addon, Update};
use aws_sdk_eks::Client;
use serde_json::{json, Value};

use super::TestEmulator;

pub const AGENT: &str = "eks-pod-identity-agent";
pub const EBS_CSI: &str = "aws-ebs-csi-driver";
pub const VPC_CNI: &str = "vpc-cni";
/// The service account of the EBS CSI driver's controller, which can get an association.
pub const EBS_CSI_SA: &str = "ebs-csi-controller-sa";
/// Seed 003: the agent listens on IPv4 only.
pub const DISABLE_IPV6: &str = r#"{"agent":{"additionalArgs":{"-b":"169.254.170.23"}}}"#;
/// How long a test waits for a status before it fails.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// CreateAddon of `addon` on cluster `c1`.
pub fn create_addon_request(eks: &Client, addon: &str) -> CreateAddonFluentBuilder {
    eks.create_addon().cluster_name("c1").addon_name(addon)
}

/// UpdateAddon of `addon` on cluster `c1`, changing nothing yet.
pub fn update_addon_request(eks: &Client, addon: &str) -> UpdateAddonFluentBuilder {
    eks.update_addon().cluster_name("c1").addon_name(addon)
}

/// CreateAddon on `c1`, which must succeed; the add-on it answers with.
pub async fn create_addon(eks: &Client, addon: &str) -> Addon {
    let created = create_addon_request(eks, addon).send().await;
    created
        .unwrap_or_else(|e| panic!("create add-on {addon}: {e:?}"))
        .addon
        .expect("addon in response")
}

pub async fn describe_addon(eks: &Client, cluster: &str, addon: &str) -> Addon {
    let described = eks
        .describe_addon()
        .cluster_name(cluster)
        .addon_name(addon)
        .send()
        .await;
    described
        .unwrap_or_else(|e| panic!("describe add-on {addon}: {e:?}"))
        .addon
        .expect("addon in response")
}

pub async fn describe_update(eks: &Client, addon: &str, id: &str) -> Update {
    let described = eks
        .describe_update()
        .name("c1")
        .addon_name(addon)
        .update_id(id)
        .send()
        .await;
    described
        .unwrap_or_else(|e| panic!("describe update {id}: {e:?}"))
        .update
        .expect("update in response")
}

pub fn status_of(addon: &Addon) -> &str {
    addon.status().map_or("", |s| s.as_str())
}

/// Polls DescribeAddon on `c1` until the add-on has `status`; the add-on and how long that
/// took.
pub async fn wait_for_addon(eks: &Client, addon: &str, status: &str) -> (Addon, Duration) {
    let start = Instant::now();
    loop {
        let described = describe_addon(eks, "c1", addon).await;
        if status_of(&described) == status {
            return (described, start.elapsed());
        }
        assert!(
            start.elapsed() < SETTLE_TIMEOUT,
            "{addon} still {} after {SETTLE_TIMEOUT:?}, waiting for {status}",
            status_of(&described)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls DescribeAddon on `c1` until the add-on is gone; how long that took.
pub async fn wait_for_addon_gone(eks: &Client, addon: &str) -> Duration {
    let start = Instant::now();
    loop {
        let described = eks
            .describe_addon()
            .cluster_name("c1")
            .addon_name(addon)
            .send()
            .await;
        if described.is_err() {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < SETTLE_TIMEOUT,
            "{addon} still there after {SETTLE_TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls DescribeCluster until the cluster has `status` (None: until it is gone); how long
/// that took.
pub async fn wait_for_cluster(eks: &Client, name: &str, status: Option<&str>) -> Duration {
    let start = Instant::now();
    loop {
        let described = eks.describe_cluster().name(name).send().await;
        let current = described
            .ok()
            .and_then(|d| d.cluster)
            .and_then(|c| c.status)
            .map(|s| s.as_str().to_owned());
        if current.as_deref() == status {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < SETTLE_TIMEOUT,
            "cluster {name} still {current:?} after {SETTLE_TIMEOUT:?}, waiting for {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Changes the emulator's delays (`{"addonMs": 300}`, `{"clusterCreatingMs": 100}`, ...).
pub fn set_delays(emulator: &TestEmulator, delays: Value) -> Value {
    emulator
        .admin
        .set_delays(&delays)
        .unwrap_or_else(|e| panic!("set delays {delays}: {e}"))
}

/// A cluster of this Kubernetes version, through the admin interface.
pub fn add_cluster_of_version(emulator: &TestEmulator, name: &str, version: &str) -> Value {
    let request = json!({ "name": name, "version": version });
    emulator
        .admin
        .create_cluster_with(&request)
        .unwrap_or_else(|e| panic!("create cluster {request}: {e}"))
}

pub fn add_addon_fault(emulator: &TestEmulator, fault: Value) {
    emulator
        .admin
        .add_addon_fault(&fault)
        .unwrap_or_else(|e| panic!("add add-on fault {fault}: {e}"))
}
