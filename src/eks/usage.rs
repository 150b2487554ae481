//! Which pod identity associations of the region use an IAM role: what keeps the shared role
//! from being deleted while pods still get credentials through it.

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::aws::AwsContext;
use crate::eks::find::{describe_associations, list_associations, list_clusters};
use crate::error::AwsError;

/// Clusters whose associations are listed at once during the scan. Each listing is one page
/// per 100 associations, so a few at a time keep the describes below fed.
const LIST_CONCURRENCY: usize = 8;

/// One association that uses the role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RoleUse {
    pub cluster: String,
    pub namespace: String,
    pub service_account: String,
    pub association_id: String,
}

/// Every association of every cluster of the region whose role or target role is `role_arn`:
/// ListClusters, then ListPodIdentityAssociations of [`LIST_CONCURRENCY`] clusters at a time,
/// and, as their summaries arrive (they carry no role), a DescribePodIdentityAssociation of
/// each, many at a time ([`describe_associations`]). Throttled calls are retried by the SDK within
/// `max_retries`; the first error that outlasts them ends the scan. Sorted by cluster,
/// namespace and service account; an association a listing returned twice is counted once.
pub async fn associations_using(
    ctx: &AwsContext,
    role_arn: &str,
) -> Result<Vec<RoleUse>, AwsError> {
    let clusters = list_clusters(ctx).await?;
    let ids = stream::iter(clusters)
        .map(|cluster| async move {
            let listed = list_associations(ctx, &cluster, None, None).await?;
            let ids: Vec<(String, String)> = listed
                .unwrap_or_default()
                .iter()
                .filter_map(|s| s.association_id())
                .map(|id| (cluster.clone(), id.to_string()))
                .collect();
            Ok::<_, AwsError>(stream::iter(ids).map(Ok::<_, AwsError>))
        })
        .buffer_unordered(LIST_CONCURRENCY)
        .try_flatten();
    let mut users = describe_associations(ctx, ids, |cluster, a| {
        let uses = a.role_arn() == Some(role_arn) || a.target_role_arn() == Some(role_arn);
        uses.then(|| RoleUse {
            namespace: a.namespace().unwrap_or_default().to_string(),
            service_account: a.service_account().unwrap_or_default().to_string(),
            association_id: a.association_id().unwrap_or_default().to_string(),
            cluster,
        })
    })
    .await?;
    users.sort();
    users.dedup();
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
