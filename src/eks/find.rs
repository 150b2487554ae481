//! Finders for EKS objects: "not found" (the association, or its whole cluster) becomes `None`
//! here, once; callers decide what it means for them.

use aws_sdk_eks::types::{PodIdentityAssociation, PodIdentityAssociationSummary};
use futures::stream::{Stream, TryStreamExt};

use crate::aws::errors::{from_sdk, none_if_not_found};
use crate::aws::AwsContext;
use crate::error::AwsError;

/// EKS's page size limit for listings.
const PAGE_SIZE: i32 = 100;

/// DescribePodIdentityAssociation calls in flight at once when many associations are read
/// together (the role's in-use scan, the associations data source). EKS publishes no rate for
/// its read operations, and a throttled call holds its slot while it waits out the SDK's backoff
/// (up to 1 s before the first retry, 2 s before the second). Scanning 5,000 associations at
/// 50 ms a call with every 10th call throttled, at 100 in flight only about 50 attempts were
/// under way at any time, the rest waiting, and the scan took 9.2–14.8 s over six runs; at 200,
/// 8.8–11.7 s over four, the remainder being the few calls throttled three or four times in a
/// row. (At 32 it took 23.6 s.)
const DESCRIBE_CONCURRENCY: usize = 200;

/// One DescribePodIdentityAssociation.
pub async fn find_association_by_id(
    ctx: &AwsContext,
    cluster: &str,
    association_id: &str,
) -> Result<Option<PodIdentityAssociation>, AwsError> {
    let described = ctx
        .eks
        .describe_pod_identity_association()
        .cluster_name(cluster)
        .association_id(association_id)
        .send()
        .await
        .map_err(|e| from_sdk("DescribePodIdentityAssociation", e));
    Ok(none_if_not_found(described)?.and_then(|out| out.association))
}

/// What `keep` makes of each association `ids` names (cluster, association ID), described
/// [`DESCRIBE_CONCURRENCY`] at a time and in the order they answer; `keep` gets the cluster and
/// the association, and drops it by answering `None`. One deleted since it was listed is left
/// out; the first error that outlasts the SDK's retries ends the whole read.
pub async fn describe_associations<T>(
    ctx: &AwsContext,
    ids: impl Stream<Item = Result<(String, String), AwsError>>,
    keep: impl Fn(String, PodIdentityAssociation) -> Option<T>,
) -> Result<Vec<T>, AwsError> {
    let keep = &keep;
    ids.map_ok(|(cluster, id)| async move {
        let found = find_association_by_id(ctx, &cluster, &id).await?;
        Ok(found.and_then(|association| keep(cluster, association)))
    })
    .try_buffer_unordered(DESCRIBE_CONCURRENCY)
    .try_filter_map(|kept| async move { Ok(kept) })
    .try_collect()
    .await
}

/// The association of one service account, if any (ListPodIdentityAssociations with filters).
pub async fn find_association_by_service_account(
    ctx: &AwsContext,
    cluster: &str,
    namespace: &str,
    service_account: &str,
) -> Result<Option<PodIdentityAssociationSummary>, AwsError> {
    let found = list_associations(ctx, cluster, Some(namespace), Some(service_account)).await?;
    Ok(found.and_then(|list| list.into_iter().next()))
}

/// Every association summary of a cluster, optionally filtered, across all pages. `None` when the
/// cluster does not exist.
pub async fn list_associations(
    ctx: &AwsContext,
    cluster: &str,
    namespace: Option<&str>,
    service_account: Option<&str>,
) -> Result<Option<Vec<PodIdentityAssociationSummary>>, AwsError> {
    let listed = ctx
        .eks
        .list_pod_identity_associations()
        .cluster_name(cluster)
        .set_namespace(namespace.map(str::to_string))
        .set_service_account(service_account.map(str::to_string))
        .max_results(PAGE_SIZE)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| from_sdk("ListPodIdentityAssociations", e));
    none_if_not_found(listed)
}

/// The names of every cluster in the region.
pub async fn list_clusters(ctx: &AwsContext) -> Result<Vec<String>, AwsError> {
    ctx.eks
        .list_clusters()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| from_sdk("ListClusters", e))
}
