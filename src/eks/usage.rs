//! Which pod identity associations of the region use an IAM role: what keeps the shared role
//! from being deleted while pods still get credentials through it.

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::aws::AwsContext;
use crate::eks::find::{find_association_by_id, list_associations, list_clusters};
use crate::error::AwsError;

/// Describe calls in flight at once during the scan.
const SCAN_CONCURRENCY: usize = 8;

/// One association that uses the role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RoleUse {
    pub cluster: String,
    pub namespace: String,
    pub service_account: String,
    pub association_id: String,
}

/// Every association of every cluster of the region whose role or target role is `role_arn`:
/// ListClusters, then per cluster ListPodIdentityAssociations, then a Describe per association
/// (summaries carry no role), a bounded number at a time. Sorted by cluster, namespace and
/// service account.
pub async fn associations_using(
    ctx: &AwsContext,
    role_arn: &str,
) -> Result<Vec<RoleUse>, AwsError> {
    let mut summaries = Vec::new();
    for cluster in list_clusters(ctx).await? {
        if let Some(list) = list_associations(ctx, &cluster, None, None).await? {
            summaries.extend(list.into_iter().map(|s| (cluster.clone(), s)));
        }
    }
    let found: Vec<Option<RoleUse>> = stream::iter(summaries)
        .map(|(cluster, summary)| async move {
            let id = summary.association_id().unwrap_or_default().to_string();
            let association = find_association_by_id(ctx, &cluster, &id).await?;
            Ok::<_, AwsError>(association.and_then(|a| {
                let uses = a.role_arn() == Some(role_arn) || a.target_role_arn() == Some(role_arn);
                uses.then(|| RoleUse {
                    cluster: cluster.clone(),
                    namespace: a.namespace().unwrap_or_default().to_string(),
                    service_account: a.service_account().unwrap_or_default().to_string(),
                    association_id: id.clone(),
                })
            }))
        })
        .buffer_unordered(SCAN_CONCURRENCY)
        .try_collect()
        .await?;
    let mut users: Vec<RoleUse> = found.into_iter().flatten().collect();
    users.sort();
    Ok(users)
}

/// The associations as a person reads them: one `cluster/namespace/service_account (id)` a line.
pub fn describe(region: &str, users: &[RoleUse]) -> String {
    let list: Vec<String> = users
        .iter()
        .map(|u| {
            format!(
                "  - {}/{}/{} ({})",
                u.cluster, u.namespace, u.service_account, u.association_id
            )
        })
        .collect();
    format!(
        "These associations in region {region} use the role (cluster/namespace/service_account):\n{}",
        list.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_is_one_line() {
        let users = [RoleUse {
            cluster: "shop-green".into(),
            namespace: "app".into(),
            service_account: "app-sa".into(),
            association_id: "a-0123456789abcdefg".into(),
        }];
        assert_eq!(
            describe("eu-west-1", &users),
            "These associations in region eu-west-1 use the role (cluster/namespace/service_account):\n  - shop-green/app/app-sa (a-0123456789abcdefg)"
        );
    }
}
