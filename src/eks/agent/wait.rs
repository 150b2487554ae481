//! The EKS calls of the agent add-on: finding it, the cluster it runs on and its default version,
//! and waiting for it to settle.

use std::time::Duration;

use aws_sdk_eks::types::{Addon, AddonStatus, Cluster};
use tokio::time::Instant;

use crate::aws::errors::{from_sdk, none_if_not_found};
use crate::aws::AwsContext;
use crate::error::{AwsError, Error};
use crate::lifecycle;

/// The add-on's name at EKS.
pub const ADDON_NAME: &str = "eks-pod-identity-agent";

/// Default for each of `timeouts.create`, `.update` and `.delete`, as hashicorp/aws's
/// `aws_eks_addon`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// Between two looks at a settling add-on: from the first to the last, doubling.
const FIRST_LOOK: Duration = Duration::from_millis(250);
const LONGEST_WAIT: Duration = Duration::from_secs(10);

/// DescribeAddon of the agent; `None` when it (or the cluster) does not exist.
pub async fn find_agent(ctx: &AwsContext, cluster: &str) -> Result<Option<Addon>, AwsError> {
    let described = ctx
        .eks
        .describe_addon()
        .cluster_name(cluster)
        .addon_name(ADDON_NAME)
        .send()
        .await
        .map_err(|e| from_sdk("DescribeAddon", e));
    Ok(none_if_not_found(described)?.and_then(|out| out.addon))
}

/// DescribeCluster; `None` when it does not exist.
pub async fn find_cluster(ctx: &AwsContext, cluster: &str) -> Result<Option<Cluster>, AwsError> {
    let described = ctx
        .eks
        .describe_cluster()
        .name(cluster)
        .send()
        .await
        .map_err(|e| from_sdk("DescribeCluster", e));
    Ok(none_if_not_found(described)?.and_then(|out| out.cluster))
}

/// Whether EKS Auto Mode runs the cluster's compute (and with it the Pod Identity Agent).
pub fn is_auto_mode(cluster: &Cluster) -> bool {
    cluster
        .compute_config()
        .and_then(|c| c.enabled())
        .unwrap_or(false)
}

/// The agent version EKS installs by default on clusters of `kubernetes_version`.
pub async fn default_version(
    ctx: &AwsContext,
    kubernetes_version: &str,
) -> Result<Option<String>, AwsError> {
    let addons: Vec<_> = ctx
        .eks
        .describe_addon_versions()
        .addon_name(ADDON_NAME)
        .kubernetes_version(kubernetes_version)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| from_sdk("DescribeAddonVersions", e))?;
    Ok(addons
        .iter()
        .flat_map(|addon| addon.addon_versions())
        .find(|version| {
            version
                .compatibilities()
                .iter()
                .any(|c| c.default_version() && c.cluster_version() == Some(kubernetes_version))
        })
        .and_then(|version| version.addon_version())
        .map(str::to_string))
}

/// How a wait for the add-on ended.
#[derive(Debug)]
pub enum Settled {
    /// The add-on reached a status that does not change by itself (ACTIVE, a failure, ...).
    Status(Box<Addon>),
    /// The add-on is gone.
    Gone,
}

/// Look at the agent until its status is no longer `transitional`, or it is gone, or `timeout`
/// passes (an error that says what it was last, and that the add-on is kept).
pub async fn settle(
    ctx: &AwsContext,
    cluster: &str,
    transitional: &[AddonStatus],
    timeout: Duration,
    what: &str,
) -> Result<Settled, Error> {
    let started = Instant::now();
    let mut wait = FIRST_LOOK;
    loop {
        let found = find_agent(ctx, cluster).await.map_err(|e| {
            Error::aws(
                format!("Waiting for the Pod Identity Agent of cluster {cluster} to {what}"),
                e,
            )
        })?;
        let Some(addon) = found else {
            return Ok(Settled::Gone);
        };
        let status = addon.status().cloned();
        if !status.as_ref().is_some_and(|s| transitional.contains(s)) {
            return Ok(Settled::Status(Box::new(addon)));
        }
        if started.elapsed() + wait > timeout {
            return Err(Error::refused(
                format!("The Pod Identity Agent of cluster {cluster} did not {what} in time"),
                format!(
                    "After {}s the add-on {ADDON_NAME} is still {}. It is kept in the state; the next apply looks at it again. Raise the timeouts block's value if the cluster needs longer.",
                    timeout.as_secs(),
                    status.as_ref().map_or("in an unknown status", AddonStatus::as_str)
                ),
            ));
        }
        tracing::debug!(
            target: "podidentity::agent",
            cluster,
            status = status.as_ref().map_or("", AddonStatus::as_str),
            "waiting {} ms for the agent to {what}",
            wait.as_millis()
        );
        if lifecycle::sleep(wait).await.is_err() {
            return Err(Error::aws(
                format!("Waiting for the Pod Identity Agent of cluster {cluster} to {what}"),
                AwsError::stopped("DescribeAddon"),
            ));
        }
        wait = std::cmp::min(wait * 2, LONGEST_WAIT);
    }
}

/// The add-on's health issues, one per line, as EKS reports them.
pub fn health_issues(addon: &Addon) -> String {
    let issues: Vec<String> = addon
        .health()
        .map(|h| h.issues())
        .unwrap_or_default()
        .iter()
        .map(|issue| {
            let code = issue.code().map_or("", |c| c.as_str());
            let resources = issue.resource_ids().join(", ");
            let message = issue.message().unwrap_or_default();
            if resources.is_empty() {
                format!("- {code}: {message}")
            } else {
                format!("- {code}: {message} ({resources})")
            }
        })
        .collect();
    if issues.is_empty() {
        "EKS reports no health issue.".to_string()
    } else {
        format!("EKS reports:\n{}", issues.join("\n"))
    }
}
