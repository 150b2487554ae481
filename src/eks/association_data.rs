//! Data sources `aws_eks_pod_identity_association` (one association by service account) and
//! `aws_eks_pod_identity_associations` (all associations of a cluster, with their roles).

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::Value;

use crate::aws::AwsContext;
use crate::eks::association::{find_association_by_id, list_associations};
use crate::error::Error;
use crate::resource::{Lookup, LookupDataSource};
use crate::schema::{block, computed, optional, required, string, string_map, ValueStr};
use crate::tags::{self, TagMap};
use crate::validate::{self, Problems};

/// Describe calls in flight at once when listing a cluster's associations with their roles.
const DESCRIBE_CONCURRENCY: usize = 8;

// ---------------------------------------------------------------------------------------------
// aws_eks_pod_identity_association

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AssociationLookup {
    #[serde(default)]
    pub id: Value<String>,
    #[serde(default)]
    pub cluster_name: Value<String>,
    #[serde(default)]
    pub namespace: Value<String>,
    #[serde(default)]
    pub service_account: Value<String>,
    #[serde(default)]
    pub association_id: Value<String>,
    #[serde(default)]
    pub association_arn: Value<String>,
    #[serde(default)]
    pub role_arn: Value<String>,
    #[serde(default)]
    pub target_role_arn: Value<String>,
    #[serde(default)]
    pub external_id: Value<String>,
    #[serde(default)]
    pub disable_session_tags: Value<bool>,
    #[serde(default)]
    pub policy: Value<String>,
    #[serde(default)]
    pub owner_arn: Value<String>,
    #[serde(default)]
    pub tags: Value<TagMap>,
}

/// `aws_eks_pod_identity_association` (data source).
#[derive(Debug, Clone, Copy)]
pub struct AssociationByServiceAccount;

pub type AssociationDataSource = LookupDataSource<AssociationByServiceAccount>;

fn lookup_problems(
    cluster: &Value<String>,
    namespace: &Value<String>,
    service_account: &Value<String>,
) -> Problems {
    let mut p = Problems::default();
    p.check_known("cluster_name", cluster, validate::cluster_name);
    p.check_known("namespace", namespace, validate::dns1123_label);
    p.check_known(
        "service_account",
        service_account,
        validate::dns1123_subdomain,
    );
    p
}

fn text(v: Option<&str>) -> Value<String> {
    match v {
        Some(s) if !s.is_empty() => Value::Value(s.to_string()),
        _ => Value::Null,
    }
}

#[async_trait]
impl Lookup for AssociationByServiceAccount {
    type State = AssociationLookup;

    fn schema() -> Schema {
        Schema {
            version: 0,
            block: block(
                "Looks up the pod identity association of one service account.",
                vec![
                    ("id", computed(string(), "The association ID.")),
                    (
                        "cluster_name",
                        required(string(), "Name of the EKS cluster."),
                    ),
                    (
                        "namespace",
                        required(string(), "Kubernetes namespace of the service account."),
                    ),
                    (
                        "service_account",
                        required(string(), "Name of the service account."),
                    ),
                    (
                        "association_id",
                        computed(string(), "ID of the association."),
                    ),
                    (
                        "association_arn",
                        computed(string(), "ARN of the association."),
                    ),
                    ("role_arn", computed(string(), "ARN of the IAM role.")),
                    (
                        "target_role_arn",
                        computed(string(), "ARN of the target role, if any."),
                    ),
                    (
                        "external_id",
                        computed(string(), "External ID used with the target role, if any."),
                    ),
                    (
                        "disable_session_tags",
                        computed(
                            crate::schema::boolean(),
                            "Whether session tags are disabled.",
                        ),
                    ),
                    ("policy", computed(string(), "Session policy, if any.")),
                    (
                        "owner_arn",
                        computed(
                            string(),
                            "ARN of the EKS add-on owning the association, if any.",
                        ),
                    ),
                    ("tags", computed(string_map(), "Tags of the association.")),
                ],
                vec![],
            ),
        }
    }

    fn validate(config: &AssociationLookup) -> Problems {
        lookup_problems(
            &config.cluster_name,
            &config.namespace,
            &config.service_account,
        )
    }

    async fn read(ctx: &AwsContext, config: AssociationLookup) -> Result<AssociationLookup, Error> {
        lookup(ctx, config).await
    }
}

async fn lookup(ctx: &AwsContext, config: AssociationLookup) -> Result<AssociationLookup, Error> {
    let cluster = config.cluster_name.as_str().to_string();
    let namespace = config.namespace.as_str().to_string();
    let service_account = config.service_account.as_str().to_string();
    let context = || {
        format!("Looking up the pod identity association of {namespace}/{service_account} in cluster {cluster}")
    };
    let not_found = |why: String| Error::refused("Pod identity association not found", why);
    let summaries = list_associations(ctx, &cluster, Some(&namespace), Some(&service_account))
        .await
        .map_err(|e| Error::aws(context(), e))?
        .ok_or_else(|| {
            not_found(format!(
                "Cluster {cluster} does not exist in region {}.",
                ctx.region
            ))
        })?;
    let id = summaries
        .first()
        .and_then(|s| s.association_id())
        .map(str::to_string)
        .ok_or_else(|| {
            not_found(format!(
                "Cluster {cluster} has no pod identity association for service account {namespace}/{service_account}."
            ))
        })?;
    let found = find_association_by_id(ctx, &cluster, &id)
        .await
        .map_err(|e| Error::aws(context(), e))?
        .ok_or_else(|| {
            not_found(format!(
                "Association {id} of cluster {cluster} disappeared while it was read."
            ))
        })?;
    let api_tags: BTreeMap<String, String> = found
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(AssociationLookup {
        id: Value::Value(id.clone()),
        association_id: Value::Value(id),
        association_arn: text(found.association_arn()),
        role_arn: text(found.role_arn()),
        target_role_arn: text(found.target_role_arn()),
        external_id: text(found.external_id()),
        disable_session_tags: Value::Value(found.disable_session_tags().unwrap_or(false)),
        policy: text(found.policy()),
        owner_arn: text(found.owner_arn()),
        tags: tags::to_value(&api_tags),
        ..config
    })
}

// ---------------------------------------------------------------------------------------------
// aws_eks_pod_identity_associations

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AssociationEntry {
    #[serde(default)]
    pub association_id: Value<String>,
    #[serde(default)]
    pub association_arn: Value<String>,
    #[serde(default)]
    pub namespace: Value<String>,
    #[serde(default)]
    pub service_account: Value<String>,
    #[serde(default)]
    pub role_arn: Value<String>,
    #[serde(default)]
    pub target_role_arn: Value<String>,
    #[serde(default)]
    pub owner_arn: Value<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AssociationList {
    #[serde(default)]
    pub id: Value<String>,
    #[serde(default)]
    pub cluster_name: Value<String>,
    #[serde(default)]
    pub namespace: Value<String>,
    #[serde(default)]
    pub service_account: Value<String>,
    #[serde(default)]
    pub associations: Value<Vec<AssociationEntry>>,
}

/// `aws_eks_pod_identity_associations` (data source).
#[derive(Debug, Clone, Copy)]
pub struct AssociationsOfCluster;

pub type AssociationsDataSource = LookupDataSource<AssociationsOfCluster>;

fn entry_type() -> AttributeType {
    AttributeType::Object(
        [
            "association_id",
            "association_arn",
            "namespace",
            "service_account",
            "role_arn",
            "target_role_arn",
            "owner_arn",
        ]
        .into_iter()
        .map(|name| (name.to_string(), AttributeType::String))
        .collect(),
    )
}

#[async_trait]
impl Lookup for AssociationsOfCluster {
    type State = AssociationList;

    fn schema() -> Schema {
        Schema {
            version: 0,
            block: block(
                "Lists the pod identity associations of a cluster with their roles, for example to check that blue and green clusters grant the same roles.",
                vec![
                    ("id", computed(string(), "The cluster name.")),
                    ("cluster_name", required(string(), "Name of the EKS cluster.")),
                    ("namespace", optional(string(), "Only associations of this namespace.")),
                    ("service_account", optional(string(), "Only associations of service accounts with this name.")),
                    ("associations", computed(AttributeType::List(Box::new(entry_type())), "The associations, ordered by namespace and service account: `association_id`, `association_arn`, `namespace`, `service_account`, `role_arn`, `target_role_arn`, `owner_arn`.")),
                ],
                vec![],
            ),
        }
    }

    fn validate(config: &AssociationList) -> Problems {
        lookup_problems(
            &config.cluster_name,
            &config.namespace,
            &config.service_account,
        )
    }

    async fn read(ctx: &AwsContext, config: AssociationList) -> Result<AssociationList, Error> {
        list_with_roles(ctx, config).await
    }
}

async fn list_with_roles(
    ctx: &AwsContext,
    config: AssociationList,
) -> Result<AssociationList, Error> {
    let cluster = config.cluster_name.as_str().to_string();
    let context = || format!("Listing the pod identity associations of cluster {cluster}");
    let summaries = list_associations(
        ctx,
        &cluster,
        config.namespace.as_ref_option().map(String::as_str),
        config.service_account.as_ref_option().map(String::as_str),
    )
    .await
    .map_err(|e| Error::aws(context(), e))?
    .ok_or_else(|| {
        Error::refused(
            "Cluster not found",
            format!("Cluster {cluster} does not exist in region {}.", ctx.region),
        )
    })?;
    // Summaries carry no role: describe each, a few at a time, keeping the order.
    let described: Vec<Option<AssociationEntry>> = stream::iter(summaries)
        .map(|summary| {
            let cluster = cluster.clone();
            async move {
                let id = summary.association_id().unwrap_or_default().to_string();
                let found = find_association_by_id(ctx, &cluster, &id).await?;
                Ok::<_, crate::error::AwsError>(found.map(|a| AssociationEntry {
                    association_id: text(a.association_id()),
                    association_arn: text(a.association_arn()),
                    namespace: text(a.namespace()),
                    service_account: text(a.service_account()),
                    role_arn: text(a.role_arn()),
                    target_role_arn: text(a.target_role_arn()),
                    owner_arn: text(a.owner_arn()),
                }))
            }
        })
        .buffered(DESCRIBE_CONCURRENCY)
        .try_collect()
        .await
        .map_err(|e| Error::aws(context(), e))?;
    // An association deleted between List and Describe is simply not listed.
    let mut entries: Vec<AssociationEntry> = described.into_iter().flatten().collect();
    entries.sort_by(|a, b| {
        (a.namespace.as_str(), a.service_account.as_str())
            .cmp(&(b.namespace.as_str(), b.service_account.as_str()))
    });
    Ok(AssociationList {
        id: Value::Value(cluster.clone()),
        associations: Value::Value(entries),
        ..config
    })
}
