//! `aws_eks_pod_identity_role`: the IAM role trusted by `pods.eks.amazonaws.com` that a common
//! state owns and every cluster state associates with, without a dependency back on them.
//!
//! Reads top to bottom: state → schema → validation → plan → the Terraform resource → create and
//! converge (the one path that makes IAM match the plan) → delete and the in-use guard → import →
//! state mapping → finders.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_iam::types::{Role, Tag};
use aws_smithy_types::date_time::Format;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::Value;
use tf_provider::AttributePath;

use crate::aws::errors::from_sdk;
use crate::aws::retry::{retry, Backoff};
use crate::aws::AwsContext;
use crate::eks::association::{find_association_by_id, list_associations};
use crate::error::{AwsError, Error};
use crate::iam::trust_policy;
use crate::policy_json;
use crate::resource::{Managed, ManagedResource, Warning};
use crate::schema::{
    block, boolean, computed, number, optional, optional_computed, string, string_map, string_set,
    ValueStr,
};
use crate::tags::{self, TagMap};
use crate::validate::{self, attr, Problems};

pub type StringSet = BTreeSet<Value<String>>;

/// The resource's state, attribute for attribute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleState {
    #[serde(default)]
    pub id: Value<String>,
    #[serde(default)]
    pub arn: Value<String>,
    #[serde(default)]
    pub name: Value<String>,
    #[serde(default)]
    pub name_prefix: Value<String>,
    #[serde(default)]
    pub path: Value<String>,
    #[serde(default)]
    pub description: Value<String>,
    #[serde(default)]
    pub max_session_duration: Value<i64>,
    #[serde(default)]
    pub permissions_boundary: Value<String>,
    #[serde(default)]
    pub policy_arns: Value<StringSet>,
    #[serde(default)]
    pub inline_policies: Value<TagMap>,
    #[serde(default)]
    pub tags: Value<TagMap>,
    #[serde(default)]
    pub tags_all: Value<TagMap>,
    #[serde(default)]
    pub allowed_clusters: Value<StringSet>,
    #[serde(default)]
    pub allowed_service_accounts: Value<StringSet>,
    #[serde(default)]
    pub prevent_destroy_when_in_use: Value<bool>,
    #[serde(default)]
    pub unique_id: Value<String>,
    #[serde(default)]
    pub create_date: Value<String>,
    #[serde(default)]
    pub trust_policy: Value<String>,
}

pub const DEFAULT_PATH: &str = "/";
pub const DEFAULT_MAX_SESSION_DURATION: i64 = 3600;
/// Associations in flight at once when checking whether the role is still in use.
const SCAN_CONCURRENCY: usize = 8;

/// The resource type.
#[derive(Debug, Clone, Copy)]
pub struct PodIdentityRole;

/// `aws_eks_pod_identity_role` as served to Terraform.
pub type RoleResource = Managed<PodIdentityRole>;

pub fn role_schema() -> Schema {
    Schema {
        version: 0,
        block: block(
            "An IAM role trusted by `pods.eks.amazonaws.com`, shared by the clusters of several states through EKS Pod Identity associations.",
            vec![
                ("id", computed(string(), "The role name.")),
                ("arn", computed(string(), "ARN of the role.")),
                ("name", optional_computed(string(), "Name of the role (1–64 of letters, digits and `_+=,.@-`). Generated when neither `name` nor `name_prefix` is set. Changing it replaces the role.")),
                ("name_prefix", optional_computed(string(), "Prefix (1–38 characters) of a generated unique name. Conflicts with `name`. Changing it replaces the role. Set from the name when a role with a generated name is imported.")),
                ("path", optional_computed(string(), "IAM path of the role. Default `/`. Changing it replaces the role.")),
                ("description", optional(string(), "Description of the role (at most 1000 characters).")),
                ("max_session_duration", optional_computed(number(), "Maximum session duration in seconds, 3600–43200. Default 3600.")),
                ("permissions_boundary", optional(string(), "ARN of the managed policy used as the role's permissions boundary.")),
                ("policy_arns", optional(string_set(), "ARNs of the managed policies attached to the role. Managed exclusively: other attachments are removed.")),
                ("inline_policies", optional(string_map(), "Inline policies, name to JSON document. Managed exclusively: other inline policies are removed. Equivalent JSON gives no diff.")),
                ("tags", optional(string_map(), "Tags of the role. Merged over the provider's `default_tags`.")),
                ("tags_all", computed(string_map(), "All tags of the role, including the provider's `default_tags`.")),
                ("allowed_clusters", optional(string_set(), "Names of the EKS clusters whose pods may use the role (`*` and `?` wildcards allowed). Unset: any cluster.")),
                ("allowed_service_accounts", optional(string_set(), "Service accounts that may use the role, as `namespace/name` (`*` and `?` wildcards allowed). Unset: any service account.")),
                ("prevent_destroy_when_in_use", optional_computed(boolean(), "Refuse to delete the role while a pod identity association in the region uses it. Default `true`.")),
                ("unique_id", computed(string(), "The stable unique ID IAM gives the role.")),
                ("create_date", computed(string(), "When the role was created (RFC 3339).")),
                ("trust_policy", computed(string(), "The trust policy the role has: the one this resource writes from `allowed_clusters` and `allowed_service_accounts`.")),
            ],
            vec![],
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Validation

/// A known set of strings: null is empty, anything unknown is `None`.
pub fn known_set(v: &Value<StringSet>) -> Option<BTreeSet<String>> {
    match v {
        Value::Null => Some(BTreeSet::new()),
        Value::Unknown => None,
        Value::Value(items) => items
            .iter()
            .map(|item| match item {
                Value::Value(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
    }
}

fn set_value(items: &BTreeSet<String>) -> Value<StringSet> {
    Value::Value(items.iter().map(|s| Value::Value(s.clone())).collect())
}

/// `items` as the state shows them: null when empty and the configuration did not set it.
fn set_or_null(items: &BTreeSet<String>, configured: &Value<StringSet>) -> Value<StringSet> {
    if items.is_empty() && configured.is_null() {
        Value::Null
    } else {
        set_value(items)
    }
}

fn map_or_null(items: &BTreeMap<String, String>, configured: &Value<TagMap>) -> Value<TagMap> {
    if items.is_empty() && configured.is_null() {
        Value::Null
    } else {
        tags::to_value(items)
    }
}

fn is_cluster_pattern_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_*?".contains(c)
}

fn cluster_pattern(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 100 || !s.chars().all(is_cluster_pattern_char) {
        return Err(format!(
            "{s:?} is not a cluster name pattern: use 1 to 100 letters, digits, '-', '_' and the wildcards '*' and '?' (for example \"shop-blue\" or \"shop-*\")."
        ));
    }
    Ok(())
}

fn service_account_pattern(s: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "{s:?} is not a service account pattern: use namespace/name, with lowercase letters, digits, '-' (and '.' in the name) and the wildcards '*' and '?' (for example \"carts/carts\" or \"app/*\")."
        )
    };
    let (namespace, name) = trust_policy::split_service_account(s).ok_or_else(bad)?;
    let ns_ok = namespace.len() <= 63
        && namespace
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-*?".contains(c));
    let name_ok = name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.*?".contains(c));
    if ns_ok && name_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// IAM allows tab, newline, carriage return and the printable Latin-1 range in descriptions.
fn description(s: &str) -> Result<(), String> {
    let allowed =
        |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}');
    if s.chars().count() > 1000 {
        return Err(format!(
            "the description is {} characters long; IAM allows at most 1000.",
            s.chars().count()
        ));
    }
    if let Some(c) = s.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "the description contains {c:?}, which IAM does not allow: use printable ASCII and Latin-1 characters, tabs and newlines."
        ));
    }
    Ok(())
}

fn name_prefix(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 38 || !s.chars().all(validate::is_iam_name_char) {
        return Err(format!(
            "{s:?} is not a role name prefix: use 1 to 38 letters, digits and the characters _+=,.@- (a 26-character unique suffix is added)."
        ));
    }
    Ok(())
}

fn check_each(
    p: &mut Problems,
    name: &'static str,
    set: &Value<StringSet>,
    check: fn(&str) -> Result<(), String>,
) {
    if let Value::Value(items) = set {
        for item in items {
            if let Value::Value(s) = item {
                p.check(attr(name), name, check(s));
            }
        }
    }
}

/// Everything that can be checked without calling AWS. Unknown values are skipped: they are
/// checked again once known.
pub fn validate_config(cfg: &RoleState, defaults: &BTreeMap<String, String>) -> Problems {
    let mut p = Problems::default();
    p.check_known("name", &cfg.name, validate::iam_role_name);
    p.check_known("name_prefix", &cfg.name_prefix, name_prefix);
    if !cfg.name.is_null() && !cfg.name_prefix.is_null() {
        p.push(Error::invalid(
            attr("name_prefix"),
            "Conflicting name and name_prefix",
            "Set name for a fixed role name, or name_prefix for a generated unique name with that prefix, not both.",
        ));
    }
    p.check_known("path", &cfg.path, validate::iam_path);
    p.check_known("description", &cfg.description, description);
    if let Value::Value(n) = cfg.max_session_duration {
        p.check(
            attr("max_session_duration"),
            "max_session_duration",
            if (3600..=43200).contains(&n) {
                Ok(())
            } else {
                Err(format!("{n} is out of range: the maximum session duration is 3600 to 43200 seconds (1 to 12 hours)."))
            },
        );
    }
    p.check_known(
        "permissions_boundary",
        &cfg.permissions_boundary,
        validate::iam_policy_arn,
    );
    check_each(
        &mut p,
        "policy_arns",
        &cfg.policy_arns,
        validate::iam_policy_arn,
    );
    if let Value::Value(policies) = &cfg.inline_policies {
        for (policy_name, document) in policies {
            let path = attr("inline_policies").key(policy_name.clone());
            p.check(
                path.clone(),
                "inline_policies key",
                validate::iam_policy_name(policy_name),
            );
            if let Value::Value(doc) = document {
                p.check(
                    path,
                    "inline_policies document",
                    validate::policy_document(doc),
                );
            }
        }
    }
    if let Some(own) = tags::known(&cfg.tags) {
        validate::tags(&mut p, "tags", &own);
        let mut all = defaults.clone();
        all.extend(own);
        if all.len() > 50 && p.is_empty() {
            p.check(
                attr("tags"),
                "tags",
                Err(format!("tags and the provider's default_tags add up to {} tags; a role can have at most 50.", all.len())),
            );
        }
    }
    check_each(
        &mut p,
        "allowed_clusters",
        &cfg.allowed_clusters,
        cluster_pattern,
    );
    check_each(
        &mut p,
        "allowed_service_accounts",
        &cfg.allowed_service_accounts,
        service_account_pattern,
    );
    if p.is_empty() {
        if let (Some(clusters), Some(accounts)) = (
            known_set(&cfg.allowed_clusters),
            known_set(&cfg.allowed_service_accounts),
        ) {
            let len = trust_policy::generate(&clusters, &accounts).len();
            if len > trust_policy::MAX_LENGTH {
                p.check(
                    attr("allowed_service_accounts"),
                    "allowed_service_accounts",
                    Err(format!(
                        "the trust policy for these restrictions is {len} characters, over IAM's limit of {}: use fewer entries, or wildcards such as \"app/*\".",
                        trust_policy::MAX_LENGTH
                    )),
                );
            }
        }
    }
    p
}

// ---------------------------------------------------------------------------------------------
// Plan

/// The planned state. `prior` is `None` for a create.
fn plan(
    prior: Option<&RoleState>,
    proposed: RoleState,
    config: &RoleState,
    defaults: &BTreeMap<String, String>,
) -> (RoleState, Vec<AttributePath>) {
    let mut planned = proposed;
    let mut replace = Vec::new();
    if planned.path.is_null() {
        planned.path = Value::Value(DEFAULT_PATH.to_string());
    }
    if planned.max_session_duration.is_null() {
        planned.max_session_duration = Value::Value(DEFAULT_MAX_SESSION_DURATION);
    }
    if planned.prevent_destroy_when_in_use.is_null() {
        planned.prevent_destroy_when_in_use = Value::Value(true);
    }
    planned.tags_all = tags::plan_tags_all(&planned.tags, defaults);
    planned.trust_policy = match (
        known_set(&planned.allowed_clusters),
        known_set(&planned.allowed_service_accounts),
    ) {
        (Some(clusters), Some(accounts)) => {
            Value::Value(trust_policy::generate(&clusters, &accounts))
        }
        _ => Value::Unknown,
    };

    match prior {
        None => {
            if !matches!(config.name, Value::Value(_)) {
                planned.name = Value::Unknown;
            }
            planned.arn = Value::Unknown;
            planned.unique_id = Value::Unknown;
            planned.create_date = Value::Unknown;
        }
        Some(prior) => {
            let generated_name = config.name.is_null();
            if prior.name_prefix != planned.name_prefix {
                replace.push(attr("name_prefix"));
                if generated_name {
                    planned.name = Value::Unknown;
                }
            }
            if prior.name != planned.name && !planned.name.is_unknown() {
                replace.push(attr("name"));
            }
            if prior.path != planned.path {
                replace.push(attr("path"));
            }
            planned.arn = prior.arn.clone();
            planned.unique_id = prior.unique_id.clone();
            planned.create_date = prior.create_date.clone();
            planned.trust_policy =
                policy_json::keep_equivalent(&prior.trust_policy, planned.trust_policy);
            // Equivalent inline documents are no change: keep the prior text. Terraform accepts
            // a planned value of a non-computed attribute only when it is the configured or the
            // prior value, so this is decided for the whole map, not document by document.
            if inline_policies_equivalent(&prior.inline_policies, &planned.inline_policies) {
                planned.inline_policies = prior.inline_policies.clone();
            }
        }
    }
    planned.id = planned.name.clone();
    (planned, replace)
}

/// Both maps are set and known, have the same policy names, and equivalent documents under each
/// name. (Null and an empty map are not equivalent here: Terraform must see the configured one.)
fn inline_policies_equivalent(a: &Value<TagMap>, b: &Value<TagMap>) -> bool {
    if !(matches!(a, Value::Value(_)) && matches!(b, Value::Value(_))) {
        return false;
    }
    match (tags::known(a), tags::known(b)) {
        (Some(a), Some(b)) => {
            a.len() == b.len()
                && a.iter().all(|(name, doc)| {
                    b.get(name)
                        .is_some_and(|other| policy_json::equivalent(doc, other))
                })
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// The Terraform resource

#[async_trait]
impl ManagedResource for PodIdentityRole {
    type State = RoleState;

    fn schema() -> Schema {
        role_schema()
    }

    fn validate(config: &RoleState, defaults: &BTreeMap<String, String>) -> Problems {
        validate_config(config, defaults)
    }

    fn plan(
        prior: Option<&RoleState>,
        proposed: RoleState,
        config: &RoleState,
        defaults: &BTreeMap<String, String>,
    ) -> Result<(RoleState, Vec<AttributePath>), Error> {
        Ok(plan(prior, proposed, config, defaults))
    }

    async fn read(ctx: &AwsContext, state: &RoleState) -> Result<Option<RoleState>, Error> {
        let name = state.name.as_str();
        find_role_tolerating_propagation(ctx, name, state)
            .await
            .map(|found| found.map(|remote| state_from_remote(&remote, state, &ctx.default_tags)))
            .map_err(|e| Error::aws(format!("Reading IAM role {name}"), e))
    }

    fn gone(state: &RoleState) -> (String, String) {
        (
            "IAM role not found".into(),
            format!(
                "Role {} no longer exists (it was deleted outside Terraform). It was removed from the state; the next plan creates it again.",
                state.name.as_str()
            ),
        )
    }

    async fn create(
        ctx: &AwsContext,
        planned: &RoleState,
    ) -> (Option<RoleState>, Result<(), Error>) {
        create_role(ctx, planned).await
    }

    async fn update(
        ctx: &AwsContext,
        prior: &RoleState,
        planned: &RoleState,
    ) -> (RoleState, Result<(), Error>) {
        let mut state = prior.clone();
        let result = converge(ctx, &mut state, planned).await;
        (state, result)
    }

    /// Only a warning: associations of this same configuration that reference the role are
    /// deleted before it during the apply. [`Self::delete`] refuses if any is left.
    async fn plan_destroy(ctx: &AwsContext, prior: &RoleState) -> Result<Vec<Warning>, Error> {
        let users = users_of(ctx, prior).await?;
        if users.is_empty() {
            return Ok(vec![]);
        }
        Ok(vec![Warning {
            summary: format!(
                "IAM role {} is in use by {} pod identity association(s)",
                prior.name.as_str(),
                users.len()
            ),
            detail: format!(
                "{}\n\nThe role will only be deleted if these associations are gone by then: deleted earlier in this apply (associations of this configuration that reference the role are), or by destroying the states that own them.",
                describe_users(ctx, &users)
            ),
        }])
    }

    async fn delete(ctx: &AwsContext, state: &RoleState) -> Result<(), Error> {
        // Checked again at apply: an association may have appeared since the plan.
        ensure_not_in_use(ctx, state).await?;
        let name = state.name.as_str();
        delete_role(ctx, name)
            .await
            .map_err(|e| Error::aws(format!("Deleting IAM role {name}"), e))
    }

    async fn import(ctx: &AwsContext, id: &str) -> Result<RoleState, Error> {
        import_role(ctx, id).await
    }
}

// ---------------------------------------------------------------------------------------------
// Create and converge

/// IAM answers these while a principal or a concurrent change is settling.
fn is_transient_iam_error(err: &AwsError) -> bool {
    err.is_code("ConcurrentModification")
        || err.is_code("ConcurrentModificationException")
        || (err.is_code("MalformedPolicyDocument") && err.message().contains("Invalid principal"))
}

/// A unique 26-character suffix: a UTC timestamp to the tenth of a millisecond, then 8 random
/// hex digits, so names sort by creation time like hashicorp/aws's generated names.
fn unique_suffix() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let now = time::OffsetDateTime::now_utc();
    let random = uuid::Uuid::new_v4().as_u128() as u32;
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{:04}{:08x}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.nanosecond() / 100_000,
        random ^ counter
    )
}

/// The prefix of a name made by [`unique_suffix`] (`None` for other names and for the default
/// `terraform-` names, which have no configured prefix).
pub fn prefix_of_generated_name(name: &str) -> Option<String> {
    let split = name.len().checked_sub(26)?;
    let (prefix, suffix) = (name.get(..split)?, name.get(split..)?);
    let (stamp, random) = suffix.split_at(18);
    let generated = stamp.bytes().all(|b| b.is_ascii_digit())
        && random
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (generated && !prefix.is_empty() && prefix != "terraform-").then(|| prefix.to_string())
}

fn role_name_for(planned: &RoleState) -> String {
    match (&planned.name, &planned.name_prefix) {
        (Value::Value(name), _) => name.clone(),
        (_, Value::Value(prefix)) => format!("{prefix}{}", unique_suffix()),
        _ => format!("terraform-{}", unique_suffix()),
    }
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// CreateRole, then [`converge`] for what CreateRole does not do. Returns the state to record
/// (`None` only when no role was created) and the first error.
async fn create_role(
    ctx: &AwsContext,
    planned: &RoleState,
) -> (Option<RoleState>, Result<(), Error>) {
    let name = role_name_for(planned);
    let trust = planned.trust_policy.as_str().to_string();
    let tags_all = tags::known(&planned.tags_all).unwrap_or_default();
    let result = retry(Backoff::IAM_PROPAGATION, is_transient_iam_error, |_| {
        let request = ctx
            .iam
            .create_role()
            .role_name(&name)
            .path(planned.path.as_str())
            .assume_role_policy_document(&trust)
            .set_description(planned.description.as_ref_option().cloned())
            .set_max_session_duration(
                planned
                    .max_session_duration
                    .as_ref_option()
                    .map(|n| *n as i32),
            )
            .set_permissions_boundary(planned.permissions_boundary.as_ref_option().cloned())
            .set_tags((!tags_all.is_empty()).then(|| sdk_tags(&tags_all)));
        async move { request.send().await.map_err(|e| from_sdk("CreateRole", e)) }
    })
    .await;
    let role = match result {
        Ok(out) => out.role,
        Err(err) if err.is_code("EntityAlreadyExists") => {
            return (
                None,
                Err(Error::refused(
                    format!("IAM role {name} already exists"),
                    format!(
                        "A role named {name} exists already. To manage it with this configuration, import it (replace NAME with this resource's name):\n\n  terraform import aws_eks_pod_identity_role.NAME {name}\n\nThe plan after the import shows any difference, such as a trust policy this resource would rewrite."
                    ),
                )),
            )
        }
        Err(err) => return (None, Err(Error::aws(format!("Creating IAM role {name}"), err))),
    };
    let mut state = planned.clone();
    state.name = Value::Value(name.clone());
    state.id = Value::Value(name.clone());
    if let Some(role) = &role {
        state.arn = Value::Value(role.arn().to_string());
        state.unique_id = Value::Value(role.role_id().to_string());
        state.create_date = Value::Value(format_date(role));
        state.path = Value::Value(role.path().to_string());
    }
    // Attachments and inline policies are not part of CreateRole: converge from none.
    state.policy_arns = set_or_null(&BTreeSet::new(), &planned.policy_arns);
    state.inline_policies = map_or_null(&BTreeMap::new(), &planned.inline_policies);
    let result = converge(ctx, &mut state, planned).await;
    (Some(state), result)
}

/// Make the role `current` describes match `target`, one IAM change at a time, recording each in
/// `current` as it succeeds, so that on error `current` is what exists.
async fn converge(
    ctx: &AwsContext,
    current: &mut RoleState,
    target: &RoleState,
) -> Result<(), Error> {
    let name = current.name.as_str().to_string();
    let fail = |what: &str, err: AwsError| Error::aws(format!("{what} of IAM role {name}"), err);
    let iam = &ctx.iam;

    if current.trust_policy != target.trust_policy {
        let document = target.trust_policy.as_str().to_string();
        retry(Backoff::IAM_PROPAGATION, is_transient_iam_error, |_| {
            let request = iam
                .update_assume_role_policy()
                .role_name(&name)
                .policy_document(&document);
            async move {
                request
                    .send()
                    .await
                    .map_err(|e| from_sdk("UpdateAssumeRolePolicy", e))
            }
        })
        .await
        .map_err(|e| fail("Updating the trust policy", e))?;
        current.trust_policy = target.trust_policy.clone();
    }

    if current.description != target.description
        || current.max_session_duration != target.max_session_duration
    {
        // Both are sent: UpdateRole implementations differ on what an absent member means.
        iam.update_role()
            .role_name(&name)
            .description(target.description.as_str())
            .max_session_duration(
                target
                    .max_session_duration
                    .as_ref_option()
                    .copied()
                    .unwrap_or(DEFAULT_MAX_SESSION_DURATION) as i32,
            )
            .send()
            .await
            .map_err(|e| {
                fail(
                    "Updating the description and session duration",
                    from_sdk("UpdateRole", e),
                )
            })?;
        current.description = target.description.clone();
        current.max_session_duration = target.max_session_duration;
    }

    if current.permissions_boundary != target.permissions_boundary {
        match &target.permissions_boundary {
            Value::Value(arn) => {
                iam.put_role_permissions_boundary()
                    .role_name(&name)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .map_err(|e| {
                        fail(
                            "Setting the permissions boundary",
                            from_sdk("PutRolePermissionsBoundary", e),
                        )
                    })?;
            }
            _ => match iam
                .delete_role_permissions_boundary()
                .role_name(&name)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) => {
                    let err = from_sdk("DeleteRolePermissionsBoundary", e);
                    if !err.is_not_found() {
                        return Err(fail("Removing the permissions boundary", err));
                    }
                }
            },
        }
        current.permissions_boundary = target.permissions_boundary.clone();
    }

    let mut attached = known_set(&current.policy_arns).unwrap_or_default();
    let wanted = known_set(&target.policy_arns).unwrap_or_default();
    for arn in attached.difference(&wanted).cloned().collect::<Vec<_>>() {
        detach_policy(iam, &name, &arn)
            .await
            .map_err(|e| fail(&format!("Detaching {arn}"), e))?;
        attached.remove(&arn);
        current.policy_arns = set_or_null(&attached, &target.policy_arns);
    }
    for arn in wanted.difference(&attached).cloned().collect::<Vec<_>>() {
        iam.attach_role_policy()
            .role_name(&name)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(|e| fail(&format!("Attaching {arn}"), from_sdk("AttachRolePolicy", e)))?;
        attached.insert(arn);
        current.policy_arns = set_or_null(&attached, &target.policy_arns);
    }
    current.policy_arns = set_or_null(&attached, &target.policy_arns);

    let mut inline = tags::known(&current.inline_policies).unwrap_or_default();
    let wanted = tags::known(&target.inline_policies).unwrap_or_default();
    for policy in inline
        .keys()
        .filter(|k| !wanted.contains_key(*k))
        .cloned()
        .collect::<Vec<_>>()
    {
        delete_inline_policy(iam, &name, &policy)
            .await
            .map_err(|e| fail(&format!("Deleting inline policy {policy}"), e))?;
        inline.remove(&policy);
        current.inline_policies = map_or_null(&inline, &target.inline_policies);
    }
    for (policy, document) in &wanted {
        if inline
            .get(policy)
            .is_some_and(|current| policy_json::equivalent(current, document))
        {
            // Same meaning, maybe another text: nothing to send, record the planned text.
            inline.insert(policy.clone(), document.clone());
            continue;
        }
        iam.put_role_policy()
            .role_name(&name)
            .policy_name(policy)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| {
                fail(
                    &format!("Putting inline policy {policy}"),
                    from_sdk("PutRolePolicy", e),
                )
            })?;
        inline.insert(policy.clone(), document.clone());
        current.inline_policies = map_or_null(&inline, &target.inline_policies);
    }
    current.inline_policies = map_or_null(&inline, &target.inline_policies);

    let old_tags = tags::known(&current.tags_all).unwrap_or_default();
    let new_tags = tags::known(&target.tags_all).unwrap_or_default();
    let changes = tags::diff(&old_tags, &new_tags);
    if !changes.remove.is_empty() {
        iam.untag_role()
            .role_name(&name)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .map_err(|e| fail("Removing tags", from_sdk("UntagRole", e)))?;
    }
    if !changes.set.is_empty() {
        iam.tag_role()
            .role_name(&name)
            .set_tags(Some(sdk_tags(&changes.set)))
            .send()
            .await
            .map_err(|e| fail("Tagging", from_sdk("TagRole", e)))?;
    }
    current.tags = target.tags.clone();
    current.tags_all = target.tags_all.clone();

    // What only the configuration holds.
    current.allowed_clusters = target.allowed_clusters.clone();
    current.allowed_service_accounts = target.allowed_service_accounts.clone();
    current.prevent_destroy_when_in_use = target.prevent_destroy_when_in_use;
    current.name_prefix = target.name_prefix.clone();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Delete and the in-use guard

/// One association that uses the role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RoleUse {
    pub cluster: String,
    pub namespace: String,
    pub service_account: String,
    pub association_id: String,
}

/// The associations that keep the role from being deleted: none when
/// `prevent_destroy_when_in_use` is false.
async fn users_of(ctx: &AwsContext, state: &RoleState) -> Result<Vec<RoleUse>, Error> {
    if state.prevent_destroy_when_in_use == Value::Value(false) {
        return Ok(vec![]);
    }
    let Value::Value(arn) = &state.arn else {
        return Ok(vec![]);
    };
    associations_using(ctx, arn).await.map_err(|e| {
        Error::aws(
            format!(
                "Checking whether IAM role {} is in use",
                state.name.as_str()
            ),
            e,
        )
    })
}

fn describe_users(ctx: &AwsContext, users: &[RoleUse]) -> String {
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
        "These associations in region {} use the role (cluster/namespace/service_account):\n{}",
        ctx.region,
        list.join("\n")
    )
}

/// Refuse when `prevent_destroy_when_in_use` holds and an association in the region uses the
/// role (as its role or its target role).
async fn ensure_not_in_use(ctx: &AwsContext, state: &RoleState) -> Result<(), Error> {
    let users = users_of(ctx, state).await?;
    if users.is_empty() {
        return Ok(());
    }
    Err(Error::refused(
        format!(
            "IAM role {} is in use by {} pod identity association(s)",
            state.name.as_str(),
            users.len()
        ),
        format!(
            "{}\n\nDeleting the role would take credentials away from their pods. Delete or move those associations first (destroy the cluster state that owns them), then retry; or set prevent_destroy_when_in_use = false to delete the role regardless.",
            describe_users(ctx, users.as_slice())
        ),
    ))
}

/// Every association of every cluster of the region whose role or target role is `role_arn`:
/// ListClusters, then per cluster ListPodIdentityAssociations and a Describe per association, a
/// bounded number at a time.
pub async fn associations_using(
    ctx: &AwsContext,
    role_arn: &str,
) -> Result<Vec<RoleUse>, AwsError> {
    let clusters = list_clusters(ctx).await?;
    let mut summaries = Vec::new();
    for cluster in &clusters {
        if let Some(list) = list_associations(ctx, cluster, None, None).await? {
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

async fn list_clusters(ctx: &AwsContext) -> Result<Vec<String>, AwsError> {
    ctx.eks
        .list_clusters()
        .max_results(100)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| from_sdk("ListClusters", e))
}

/// Detach managed policies, delete inline policies, leave instance profiles, then DeleteRole
/// (retried while IAM still reports a conflict). A role already gone is deleted.
async fn delete_role(ctx: &AwsContext, name: &str) -> Result<(), AwsError> {
    let iam = &ctx.iam;
    let remote = match find_role(ctx, name).await? {
        Some(remote) => remote,
        None => return Ok(()),
    };
    for arn in &remote.attached {
        detach_policy(iam, name, arn).await?;
    }
    for policy in remote.inline.keys() {
        delete_inline_policy(iam, name, policy).await?;
    }
    for profile in instance_profiles(ctx, name).await? {
        gone_is_ok(
            iam.remove_role_from_instance_profile()
                .role_name(name)
                .instance_profile_name(&profile)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| from_sdk("RemoveRoleFromInstanceProfile", e)),
        )?;
    }
    let result = retry(
        Backoff::CONFLICT,
        |e| e.is_code("DeleteConflict") || is_transient_iam_error(e),
        |_| {
            let request = iam.delete_role().role_name(name);
            async move {
                request
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| from_sdk("DeleteRole", e))
            }
        },
    )
    .await;
    gone_is_ok(result)
}

/// `Ok` when the call succeeded or what it would remove was already gone.
fn gone_is_ok<T>(result: Result<T, AwsError>) -> Result<(), AwsError> {
    match result {
        Ok(_) => Ok(()),
        Err(err) if err.is_not_found() => Ok(()),
        Err(err) => Err(err),
    }
}

async fn detach_policy(iam: &aws_sdk_iam::Client, role: &str, arn: &str) -> Result<(), AwsError> {
    gone_is_ok(
        iam.detach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| from_sdk("DetachRolePolicy", e)),
    )
}

async fn delete_inline_policy(
    iam: &aws_sdk_iam::Client,
    role: &str,
    policy: &str,
) -> Result<(), AwsError> {
    gone_is_ok(
        iam.delete_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| from_sdk("DeleteRolePolicy", e)),
    )
}

async fn instance_profiles(ctx: &AwsContext, name: &str) -> Result<Vec<String>, AwsError> {
    let profiles = ctx
        .iam
        .list_instance_profiles_for_role()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| from_sdk("ListInstanceProfilesForRole", e))?;
    Ok(profiles
        .iter()
        .map(|p| p.instance_profile_name().to_string())
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Import

async fn import_role(ctx: &AwsContext, id: &str) -> Result<RoleState, Error> {
    validate::iam_role_name(id).map_err(|reason| {
        Error::invalid(
            AttributePath::root(),
            "Invalid import ID",
            format!("The import ID is the role name. {reason}"),
        )
    })?;
    let remote = find_role(ctx, id)
        .await
        .map_err(|e| Error::aws(format!("Reading IAM role {id}"), e))?
        .ok_or_else(|| {
            Error::refused(
                "Cannot import non-existent IAM role",
                format!("There is no IAM role named {id} in this account."),
            )
        })?;
    let prior = RoleState {
        prevent_destroy_when_in_use: Value::Value(true),
        name_prefix: prefix_of_generated_name(id)
            .map(Value::Value)
            .unwrap_or_default(),
        ..Default::default()
    };
    Ok(state_from_remote(&remote, &prior, &ctx.default_tags))
}

// ---------------------------------------------------------------------------------------------
// State mapping

fn format_date(role: &Role) -> String {
    role.create_date().fmt(Format::DateTime).unwrap_or_default()
}

/// The state for what IAM holds, keeping from `prior` what only the configuration knows: the
/// text of equivalent documents, which tags are managed in `tags`, and the restrictions the trust
/// policy was generated from. A prior without restrictions (an import) takes them from a trust
/// policy of the shape this resource writes.
pub fn state_from_remote(
    remote: &RemoteRole,
    prior: &RoleState,
    defaults: &BTreeMap<String, String>,
) -> RoleState {
    let role = &remote.role;
    let text = |v: Option<&str>| match v {
        Some(s) if !s.is_empty() => Value::Value(s.to_string()),
        _ => Value::Null,
    };
    let trust = policy_json::decode(role.assume_role_policy_document().unwrap_or_default());
    let trust_policy =
        policy_json::keep_equivalent(&prior.trust_policy, Value::Value(trust.clone()));
    let (allowed_clusters, allowed_service_accounts) = if prior.allowed_clusters.is_null()
        && prior.allowed_service_accounts.is_null()
        && prior.arn.is_null()
    {
        match trust_policy::parse(&trust) {
            Some((clusters, accounts)) => (
                set_or_null(&clusters, &Value::Null),
                set_or_null(&accounts, &Value::Null),
            ),
            None => (Value::Null, Value::Null),
        }
    } else {
        (
            prior.allowed_clusters.clone(),
            prior.allowed_service_accounts.clone(),
        )
    };
    let old_inline = tags::known(&prior.inline_policies).unwrap_or_default();
    let inline: BTreeMap<String, String> = remote
        .inline
        .iter()
        .map(|(name, doc)| match old_inline.get(name) {
            Some(old) if policy_json::equivalent(old, doc) => (name.clone(), old.clone()),
            _ => (name.clone(), doc.clone()),
        })
        .collect();
    let api_tags: BTreeMap<String, String> = role
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    let (tags, tags_all) = tags::split_for_state(&api_tags, &prior.tags, defaults);
    RoleState {
        id: Value::Value(role.role_name().to_string()),
        arn: Value::Value(role.arn().to_string()),
        name: Value::Value(role.role_name().to_string()),
        name_prefix: prior.name_prefix.clone(),
        path: Value::Value(role.path().to_string()),
        // IAM does not tell an empty description from none: keep a configured "".
        description: match (text(role.description()), &prior.description) {
            (Value::Null, Value::Value(old)) if old.is_empty() => prior.description.clone(),
            (found, _) => found,
        },
        max_session_duration: Value::Value(
            role.max_session_duration()
                .map(i64::from)
                .unwrap_or(DEFAULT_MAX_SESSION_DURATION),
        ),
        permissions_boundary: text(
            role.permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn()),
        ),
        policy_arns: set_or_null(&remote.attached, &prior.policy_arns),
        inline_policies: map_or_null(&inline, &prior.inline_policies),
        tags,
        tags_all,
        allowed_clusters,
        allowed_service_accounts,
        prevent_destroy_when_in_use: match prior.prevent_destroy_when_in_use {
            Value::Value(b) => Value::Value(b),
            _ => Value::Value(true),
        },
        unique_id: Value::Value(role.role_id().to_string()),
        create_date: Value::Value(format_date(role)),
        trust_policy,
    }
}

// ---------------------------------------------------------------------------------------------
// Finders: NoSuchEntity becomes `None` here, once.

/// What a refresh reads: the role (with its tags, boundary and trust policy), its attached
/// managed policies and its inline policies (documents decoded).
#[derive(Debug, Clone)]
pub struct RemoteRole {
    pub role: Role,
    pub attached: BTreeSet<String>,
    pub inline: BTreeMap<String, String>,
}

/// GetRole + ListAttachedRolePolicies + ListRolePolicies + GetRolePolicy per inline policy.
pub async fn find_role(ctx: &AwsContext, name: &str) -> Result<Option<RemoteRole>, AwsError> {
    let role = match ctx.iam.get_role().role_name(name).send().await {
        Ok(out) => match out.role {
            Some(role) => role,
            None => return Ok(None),
        },
        Err(e) => {
            let err = from_sdk("GetRole", e);
            return if err.is_not_found() {
                Ok(None)
            } else {
                Err(err)
            };
        }
    };
    let attached: BTreeSet<String> = ctx
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| from_sdk("ListAttachedRolePolicies", e))?
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect();
    let names: Vec<String> = ctx
        .iam
        .list_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| from_sdk("ListRolePolicies", e))?;
    let mut inline = BTreeMap::new();
    for policy in names {
        let out = ctx
            .iam
            .get_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await
            .map_err(|e| from_sdk("GetRolePolicy", e))?;
        inline.insert(policy, policy_json::decode(&out.policy_document));
    }
    Ok(Some(RemoteRole {
        role,
        attached,
        inline,
    }))
}

/// [`find_role`], but a role created moments ago that IAM does not show yet is waited for.
async fn find_role_tolerating_propagation(
    ctx: &AwsContext,
    name: &str,
    prior: &RoleState,
) -> Result<Option<RemoteRole>, AwsError> {
    let recently_created = prior
        .create_date
        .as_ref_option()
        .and_then(|d| {
            time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
        })
        .is_some_and(|created| {
            time::OffsetDateTime::now_utc() - created < time::Duration::seconds(60)
        });
    let mut found = find_role(ctx, name).await?;
    if found.is_none() && recently_created {
        // IAM usually shows a new role everywhere within seconds; a role deleted by hand right
        // after its creation costs this wait on the next refresh or two.
        let backoff = Backoff {
            first: Duration::from_millis(500),
            max: Duration::from_secs(4),
            deadline: Duration::from_secs(8),
        };
        for delay in backoff.delays() {
            tokio::time::sleep(delay).await;
            found = find_role(ctx, name).await?;
            if found.is_some() {
                break;
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value<String> {
        Value::Value(v.to_string())
    }

    fn set(items: &[&str]) -> Value<StringSet> {
        Value::Value(items.iter().map(|i| s(i)).collect())
    }

    fn config() -> RoleState {
        RoleState {
            name: s("shop-dynamodb-read"),
            allowed_clusters: set(&["shop-*"]),
            allowed_service_accounts: set(&["app/app-sa"]),
            ..Default::default()
        }
    }

    fn invalid_paths(cfg: &RoleState) -> Vec<String> {
        validate_config(cfg, &BTreeMap::new()).paths()
    }

    #[test]
    fn a_good_config_passes() {
        assert!(invalid_paths(&config()).is_empty());
    }

    #[test]
    fn bad_values_name_their_attribute() {
        let cfg = RoleState {
            name: s("bad name"),
            name_prefix: s("p"),
            path: s("nopath"),
            max_session_duration: Value::Value(60),
            permissions_boundary: s("arn:aws:iam::aws:role/x"),
            policy_arns: set(&["nope"]),
            allowed_clusters: set(&["shop.blue"]),
            allowed_service_accounts: set(&["carts"]),
            ..Default::default()
        };
        assert_eq!(
            invalid_paths(&cfg),
            vec![
                "name",
                "name_prefix",
                "path",
                "max_session_duration",
                "permissions_boundary",
                "policy_arns",
                "allowed_clusters",
                "allowed_service_accounts"
            ]
        );
    }

    #[test]
    fn a_trust_policy_over_the_limit_is_refused() {
        let many: Vec<String> = (0..40)
            .map(|i| format!("namespace-{i}/service-account-{i}"))
            .collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let cfg = RoleState {
            allowed_service_accounts: set(&refs),
            ..config()
        };
        assert_eq!(invalid_paths(&cfg), vec!["allowed_service_accounts"]);
    }

    #[test]
    fn plan_create_fills_defaults_and_the_trust_policy() {
        let (planned, _) = plan(None, config(), &config(), &BTreeMap::new());
        assert_eq!(planned.path, s("/"));
        assert_eq!(planned.max_session_duration, Value::Value(3600));
        assert_eq!(planned.prevent_destroy_when_in_use, Value::Value(true));
        assert_eq!(planned.id, s("shop-dynamodb-read"));
        assert!(planned.arn.is_unknown());
        assert!(planned.trust_policy.as_str().contains("shop-*"));

        let generated = RoleState {
            name: Value::Null,
            ..config()
        };
        let (planned, _) = plan(None, generated.clone(), &generated, &BTreeMap::new());
        assert!(planned.name.is_unknown() && planned.id.is_unknown());
    }

    #[test]
    fn plan_update_replaces_on_name_and_path_only() {
        let (prior, _) = plan(None, config(), &config(), &BTreeMap::new());
        let mut proposed = prior.clone();
        proposed.description = s("new");
        let (planned, replace) = plan(Some(&prior), proposed.clone(), &proposed, &BTreeMap::new());
        assert!(replace.is_empty());
        assert_eq!(planned.trust_policy, prior.trust_policy);

        proposed.path = s("/platform/");
        let (_, replace) = plan(Some(&prior), proposed.clone(), &proposed, &BTreeMap::new());
        assert_eq!(replace, vec![attr("path")]);
    }

    #[test]
    fn equivalent_inline_documents_keep_their_text() {
        let (mut prior, _) = plan(None, config(), &config(), &BTreeMap::new());
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#;
        prior.inline_policies = Value::Value([("read".to_string(), s(doc))].into());
        let mut proposed = prior.clone();
        proposed.inline_policies = Value::Value(
            [("read".to_string(), s(r#"{"Statement":{"Resource":"*","Action":"s3:GetObject","Effect":"Allow"},"Version":"2012-10-17"}"#))].into(),
        );
        let (planned, _) = plan(Some(&prior), proposed.clone(), &proposed, &BTreeMap::new());
        assert_eq!(planned, prior);
    }

    #[test]
    fn a_partly_equivalent_inline_map_is_planned_as_configured() {
        let (mut prior, _) = plan(None, config(), &config(), &BTreeMap::new());
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#;
        let reformatted = r#"{"Statement":{"Resource":"*","Action":"s3:GetObject","Effect":"Allow"},"Version":"2012-10-17"}"#;
        prior.inline_policies = Value::Value([("read".to_string(), s(doc))].into());
        let mut proposed = prior.clone();
        proposed.inline_policies = Value::Value(
            [
                ("read".to_string(), s(reformatted)),
                ("write".to_string(), s(doc)),
            ]
            .into(),
        );
        // Neither the prior nor the configured map would be a mix of both.
        let (planned, _) = plan(Some(&prior), proposed.clone(), &proposed, &BTreeMap::new());
        assert_eq!(planned.inline_policies, proposed.inline_policies);

        // An empty map is not the null it replaces.
        prior.inline_policies = Value::Null;
        proposed.inline_policies = Value::Value(TagMap::new());
        let (planned, _) = plan(Some(&prior), proposed.clone(), &proposed, &BTreeMap::new());
        assert_eq!(planned.inline_policies, Value::Value(TagMap::new()));
    }

    #[test]
    fn generated_names_are_unique_and_fit() {
        let a = role_name_for(&RoleState {
            name_prefix: s(&"p".repeat(38)),
            ..Default::default()
        });
        let b = role_name_for(&RoleState {
            name_prefix: s(&"p".repeat(38)),
            ..Default::default()
        });
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(validate::iam_role_name(&a).is_ok());
        let c = role_name_for(&RoleState::default());
        assert!(c.starts_with("terraform-") && c.len() == 36, "{c}");

        let d = role_name_for(&RoleState {
            name_prefix: s("shop-"),
            ..Default::default()
        });
        assert_eq!(prefix_of_generated_name(&d), Some("shop-".to_string()));
        assert_eq!(prefix_of_generated_name(&c), None);
        assert_eq!(prefix_of_generated_name("shop-dynamodb-read"), None);
        assert_eq!(
            prefix_of_generated_name("shop-2026112210101234zzzzzzzz"),
            None
        );
    }

    #[test]
    fn import_recovers_the_restrictions_from_the_trust_policy() {
        let trust = trust_policy::generate(
            &["shop-*".to_string()].into(),
            &["app/app-sa".to_string()].into(),
        );
        let encoded: String =
            percent_encoding::utf8_percent_encode(&trust, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let role = Role::builder()
            .role_name("shop")
            .role_id("AROAEXAMPLE")
            .arn("arn:aws:iam::123456789012:role/shop")
            .path("/")
            .create_date(aws_smithy_types::DateTime::from_secs(0))
            .assume_role_policy_document(encoded)
            .build()
            .expect("role");
        let remote = RemoteRole {
            role,
            attached: BTreeSet::new(),
            inline: BTreeMap::new(),
        };
        let prior = RoleState {
            prevent_destroy_when_in_use: Value::Value(true),
            ..Default::default()
        };
        let state = state_from_remote(&remote, &prior, &BTreeMap::new());
        assert_eq!(state.allowed_clusters, set(&["shop-*"]));
        assert_eq!(state.allowed_service_accounts, set(&["app/app-sa"]));
        assert_eq!(state.trust_policy, s(&trust));
        assert!(
            state.policy_arns.is_null() && state.inline_policies.is_null() && state.tags.is_null()
        );
        assert_eq!(state.create_date, s("1970-01-01T00:00:00Z"));
        assert!(state.description.is_null());

        let empty_description = RoleState {
            description: s(""),
            ..state.clone()
        };
        let again = state_from_remote(&remote, &empty_description, &BTreeMap::new());
        assert_eq!(
            again.description,
            s(""),
            "a configured empty description stays"
        );
    }
}
