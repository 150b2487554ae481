//! The managed policies attached to a role and its inline policies, both managed exclusively:
//! converged one IAM call at a time, each change recorded in the state as it succeeds, and
//! removed before the role is deleted.

use std::collections::BTreeSet;

use aws_sdk_iam::Client;
use tf_provider::value::Value;

use crate::aws::errors::{from_sdk, ok_if_gone};
use crate::error::{AwsError, Error};
use crate::iam::find::RemoteRole;
use crate::policy_json;
use crate::resource::Warning;
use crate::value::{known_map, known_set, map_or_null, set_or_null, StringMap, StringSet};

/// The error of one step of a change to `role`.
pub fn step_failed(what: &str, role: &str, err: AwsError) -> Error {
    Error::aws(format!("{what} of IAM role {role}"), err)
}

/// Detach what `target` does not hold, then attach what it adds. `current` is the state's
/// `policy_arns`.
pub async fn converge_attachments(
    iam: &Client,
    role: &str,
    current: &mut Value<StringSet>,
    target: &Value<StringSet>,
) -> Result<(), Error> {
    let mut attached = known_set(current).unwrap_or_default();
    let wanted = known_set(target).unwrap_or_default();
    let removed: Vec<String> = attached.difference(&wanted).cloned().collect();
    for arn in removed {
        detach(iam, role, &arn)
            .await
            .map_err(|e| step_failed(&format!("Detaching {arn}"), role, e))?;
        attached.remove(&arn);
        *current = set_or_null(&attached, target);
    }
    let added: Vec<String> = wanted.difference(&attached).cloned().collect();
    for arn in added {
        iam.attach_role_policy()
            .role_name(role)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(|e| {
                step_failed(
                    &format!("Attaching {arn}"),
                    role,
                    from_sdk("AttachRolePolicy", e),
                )
            })?;
        attached.insert(arn);
        *current = set_or_null(&attached, target);
    }
    *current = set_or_null(&attached, target);
    Ok(())
}

/// Delete the inline policies `target` does not name, then put those that are new or whose
/// document means something else. `current` is the state's `inline_policies`.
pub async fn converge_inline_policies(
    iam: &Client,
    role: &str,
    current: &mut Value<StringMap>,
    target: &Value<StringMap>,
) -> Result<(), Error> {
    let mut inline = known_map(current).unwrap_or_default();
    let wanted = known_map(target).unwrap_or_default();
    let removed: BTreeSet<String> = inline
        .keys()
        .filter(|k| !wanted.contains_key(*k))
        .cloned()
        .collect();
    for policy in removed {
        delete_inline(iam, role, &policy)
            .await
            .map_err(|e| step_failed(&format!("Deleting inline policy {policy}"), role, e))?;
        inline.remove(&policy);
        *current = map_or_null(&inline, target);
    }
    for (policy, document) in &wanted {
        let same_meaning = inline
            .get(policy)
            .is_some_and(|current| policy_json::equivalent(current, document));
        if !same_meaning {
            iam.put_role_policy()
                .role_name(role)
                .policy_name(policy)
                .policy_document(document)
                .send()
                .await
                .map_err(|e| {
                    step_failed(
                        &format!("Putting inline policy {policy}"),
                        role,
                        from_sdk("PutRolePolicy", e),
                    )
                })?;
        }
        // An equivalent document needs no call: the planned text is recorded.
        inline.insert(policy.clone(), document.clone());
        *current = map_or_null(&inline, target);
    }
    *current = map_or_null(&inline, target);
    Ok(())
}

/// The warning of a plan that shows inline policies as changed whose new text means the same as
/// the old. Terraform takes the planned `inline_policies` either as configured or as it was,
/// never mixed: when one policy really changes, every policy is planned with its configured text,
/// also those written differently with the same meaning. Their apply only records the text.
pub fn text_only_changes(prior: &Value<StringMap>, planned: &Value<StringMap>) -> Option<Warning> {
    let (old, new) = (known_map(prior)?, known_map(planned)?);
    let names: Vec<String> = new
        .iter()
        .filter(|(name, text)| {
            old.get(*name)
                .is_some_and(|before| before != *text && policy_json::equivalent(before, text))
        })
        .map(|(name, _)| format!("{name:?}"))
        .collect();
    if names.is_empty() {
        return None;
    }
    let (policies, them) = match names.len() {
        1 => ("inline policy", "it"),
        _ => ("inline policies", "them"),
    };
    Some(Warning {
        summary: format!("Only the text of {policies} {} changes", names.join(", ")),
        detail: format!(
            "The configuration writes {them} differently from the state, with the same meaning. Terraform plans inline_policies as a whole, and another inline policy changes, so the plan shows {them} too: the apply records the configured text and sends nothing to IAM for {them}."
        ),
    })
}

/// Detach every managed policy and delete every inline policy of the role as IAM holds it.
pub async fn remove_all(iam: &Client, remote: &RemoteRole) -> Result<(), AwsError> {
    let role = remote.role.role_name();
    for arn in &remote.attached {
        detach(iam, role, arn).await?;
    }
    for policy in remote.inline.keys() {
        delete_inline(iam, role, policy).await?;
    }
    Ok(())
}

async fn detach(iam: &Client, role: &str, arn: &str) -> Result<(), AwsError> {
    ok_if_gone(
        iam.detach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| from_sdk("DetachRolePolicy", e)),
    )
}

async fn delete_inline(iam: &Client, role: &str, policy: &str) -> Result<(), AwsError> {
    ok_if_gone(
        iam.delete_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| from_sdk("DeleteRolePolicy", e)),
    )
}
