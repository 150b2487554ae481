//! Creating a role: CreateRole with its retries, then [`converge`] for the rest; and the
//! recovery of a role whose create failed without a definite answer (CreateRole has no
//! idempotency token, so a retry after a lost answer meets the role it created).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use aws_sdk_iam::types::Role;
use tf_provider::value::Value;

use super::{converge, format_date, is_transient_iam_error, sdk_tags, RoleState};
use crate::aws::calls::LostAnswers;
use crate::aws::errors::from_sdk;
use crate::aws::retry::{retry, Backoff};
use crate::aws::{transport, AwsContext};
use crate::error::{AwsError, Error};
use crate::iam::find::find_role_by_name;
use crate::iam::role_name;
use crate::policy_json;
use crate::resource::{Applied, Warning};
use crate::value::{known_map, map_or_null, set_or_null, ValueStr};

/// CreateRole, then [`converge`] for what CreateRole does not do. The state is `None` only
/// when no role was created. CreateRole has no idempotency token: when an attempt whose answer
/// was lost is followed by EntityAlreadyExists, or the create fails without a definite answer,
/// the role may be this create's own, which [`recover`] finds out.
pub(super) async fn create_role(
    ctx: &AwsContext,
    planned: &RoleState,
) -> Applied<Option<RoleState>> {
    let name = role_name::for_new_role(&planned.name, &planned.name_prefix);
    let trust = planned.trust_policy.as_str().to_string();
    let tags_all = known_map(&planned.tags_all).unwrap_or_default();
    let started = SystemTime::now();
    let lost = LostAnswers::default();
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
            .set_tags((!tags_all.is_empty()).then(|| sdk_tags(&tags_all)))
            .customize()
            .interceptor(lost.clone());
        async move { request.send().await.map_err(|e| from_sdk("CreateRole", e)) }
    })
    .await;
    let mut warnings = Vec::new();
    let role = match result {
        Ok(out) => out.role,
        Err(err) if err.is_code("EntityAlreadyExists") && !lost.any() => {
            return Applied::new(None, Err(already_exists(&name)));
        }
        Err(err) if err.is_code("EntityAlreadyExists") || err.is_ambiguous() => {
            match recover(ctx, planned, &name, &trust, started, &err).await {
                Ok(Some((role, warning))) => {
                    warnings.push(warning);
                    Some(role)
                }
                Ok(None) if err.is_code("EntityAlreadyExists") => {
                    return Applied::new(None, Err(already_exists(&name)));
                }
                Ok(None) => {
                    let context = format!("Creating IAM role {name}");
                    return Applied::new(None, Err(Error::aws(context, err)));
                }
                Err(error) => return Applied::new(None, Err(error)),
            }
        }
        Err(err) => {
            let context = format!("Creating IAM role {name}");
            return Applied::new(None, Err(Error::aws(context, err)));
        }
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
    Applied::new(Some(state), result).with_warnings(warnings)
}

fn already_exists(name: &str) -> Error {
    Error::refused(
        format!("IAM role {name} already exists"),
        format!(
            "A role named {name} exists already. To manage it with this configuration, import it (replace NAME with this resource's name):\n\n  terraform import aws_eks_pod_identity_role.NAME {name}\n\nThe plan after the import shows any difference, such as a trust policy this resource would rewrite."
        ),
    )
}

/// How far before a create a role recovered for it may have been created (clock skew between
/// this machine and AWS).
const CREATE_CLOCK_SLACK: Duration = Duration::from_secs(300);

/// The role `name`, with a warning, when it is the one this create asked for (same trust
/// policy, path and description, created since shortly before this create); `None` when there
/// is no such role or it is another one. The lookup runs even when Terraform asked the provider
/// to stop, within a short deadline; when it fails, the error names the role and the import.
async fn recover(
    ctx: &AwsContext,
    planned: &RoleState,
    name: &str,
    trust: &str,
    started: SystemTime,
    err: &AwsError,
) -> Result<Option<(Role, Warning)>, Error> {
    let found = transport::recovering(find_role_by_name(ctx, name)).await;
    let role = match found {
        Some(Ok(role)) => role,
        Some(Err(lookup)) => return Err(role_may_exist(name, err, &lookup.to_string())),
        None => return Err(role_may_exist(name, err, "the lookup timed out")),
    };
    let Some(role) = role.filter(|role| is_what_was_asked(role, planned, trust, started)) else {
        return Ok(None);
    };
    let warning = Warning {
        summary: format!("IAM role {name} recovered after its create failed"),
        detail: format!(
            "Creating IAM role {name} failed without a definite answer ({err}), but IAM has the role with the trust policy, path and description this configuration asks for, created by this apply. It is recorded in the state and the apply went on with it."
        ),
    };
    Ok(Some((role, warning)))
}

fn is_what_was_asked(role: &Role, planned: &RoleState, trust: &str, started: SystemTime) -> bool {
    let created_since = SystemTime::try_from(*role.create_date())
        .is_ok_and(|created| created + CREATE_CLOCK_SLACK >= started);
    let document = policy_json::decode(role.assume_role_policy_document().unwrap_or_default());
    created_since
        && policy_json::equivalent(&document, trust)
        && role.path() == planned.path.as_str()
        && role.description().unwrap_or_default() == planned.description.as_str()
}

/// The create failed, and whether IAM created the role could not be found out.
fn role_may_exist(name: &str, err: &AwsError, lookup: &str) -> Error {
    Error::refused(
        format!("IAM role {name} may exist"),
        format!(
            "Creating it failed without a definite answer ({err}), and looking it up failed too ({lookup}). If IAM created it, import it before the next apply (replace NAME with this resource's name):\n\n  terraform import aws_eks_pod_identity_role.NAME {name}"
        ),
    )
}
