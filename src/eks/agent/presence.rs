//! Does a cluster run the Pod Identity Agent? Asked when an association is created, once per
//! cluster per provider process (Terraform applies every association of a configuration in one
//! process, so fifty associations of a cluster cost one DescribeAddon).

use aws_sdk_eks::types::AddonStatus;

use crate::aws::once::OncePerKey;
use crate::aws::AwsContext;
use crate::error::AwsError;
use crate::resource::Warning;

use super::wait::{find_agent, find_cluster, is_auto_mode, ADDON_NAME};

/// What a cluster has to hand pods their credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agent {
    /// The add-on, ACTIVE.
    Active,
    /// EKS Auto Mode, which runs the agent itself.
    AutoMode,
    /// The add-on in another status (CREATING, DEGRADED, ...).
    NotActive(String),
    /// No add-on (a self-managed agent is possible, and invisible to the EKS API).
    Missing,
}

/// Clusters looked at so far.
#[derive(Debug, Default)]
pub struct AgentCache {
    clusters: OncePerKey<Agent>,
}

impl AgentCache {
    /// The agent of `cluster`, looked up once per process. AWS errors are not cached.
    pub async fn get(&self, ctx: &AwsContext, cluster: &str) -> Result<Agent, AwsError> {
        self.clusters.get(cluster, || look(ctx, cluster)).await
    }
}

async fn look(ctx: &AwsContext, cluster: &str) -> Result<Agent, AwsError> {
    match find_agent(ctx, cluster).await? {
        Some(addon) if addon.status() == Some(&AddonStatus::Active) => return Ok(Agent::Active),
        Some(addon) => {
            let status = addon.status().map_or("unknown", AddonStatus::as_str);
            return Ok(Agent::NotActive(status.to_string()));
        }
        None => {}
    }
    let auto = find_cluster(ctx, cluster)
        .await?
        .as_ref()
        .is_some_and(is_auto_mode);
    Ok(if auto {
        Agent::AutoMode
    } else {
        Agent::Missing
    })
}

/// The warning for an association created on `cluster`, when its pods may get no credentials
/// for want of an agent. Never an error: the agent may be self-managed, or on its way.
pub async fn warning(ctx: &AwsContext, cluster: &str) -> Option<Warning> {
    let agent = match ctx.agents.get(ctx, cluster).await {
        Ok(agent) => agent,
        Err(err) => {
            tracing::debug!(target: "podidentity::agent", cluster, "agent check skipped: {err}");
            return None;
        }
    };
    let why = match agent {
        Agent::Active | Agent::AutoMode => return None,
        Agent::NotActive(status) => format!("its {ADDON_NAME} add-on is {status}, not ACTIVE"),
        Agent::Missing => format!("it has no {ADDON_NAME} add-on"),
    };
    Some(Warning {
        summary: format!("Cluster {cluster} may not run the EKS Pod Identity Agent"),
        detail: format!(
            "Cluster {cluster} is not an EKS Auto Mode cluster and {why}. Until an agent runs on its nodes, pods get no credentials from their pod identity associations. Install it in the cluster's configuration:\n\nresource \"aws_eks_pod_identity_agent\" \"this\" {{\n  provider     = podidentity\n  cluster_name = \"{cluster}\"\n}}\n\n(or run the agent as a self-managed DaemonSet, in which case this warning can be ignored)."
        ),
    })
}
