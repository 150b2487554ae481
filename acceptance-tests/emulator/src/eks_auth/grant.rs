//! The credentials of one AssumeRoleForPodIdentity: the trust check and STS AssumeRole for the
//! association's role, then, with a target role, the same for the target with the first
//! session's credentials (role chaining).
//!
//! What EKS asks for, from the Amazon EKS User Guide: "Create IAM role with trust policy
//! required by EKS Pod Identity" (principal `pods.eks.amazonaws.com`, actions `sts:AssumeRole`
//! and `sts:TagSession`), "Grant Pods access to AWS resources based on tags" (the six session
//! tags, all transitive; none with disableSessionTags, and then no `sts:TagSession`), "Access
//! AWS Resources using EKS Pod Identity Target IAM Roles" (the second assumption, with the
//! association's external id; the association role's permissions must allow `sts:AssumeRole`
//! and `sts:TagSession` on the target), and the EKS Auth API Reference (the session name is
//! `eks-<cluster>-<pod>-<UUID>`).

use std::collections::BTreeMap;

use uuid::Uuid;

use super::trust::{self, Caller, Context, PolicyKind, Verdict};
use crate::error::{ApiError, ErrorKind};
use crate::iam_sts::{role_account_and_name, AssumeRole, IamSts, IamStsError, Role, Session};
use crate::world::{PodIdentityGrant, POD_IDENTITY_AUDIENCE};

/// The message of AWS's AccessDeniedException for a role EKS may not assume, as the Pod
/// Identity Agent reports it.
const ACCESS_DENIED: &str =
    "Unauthorized Exception! EKS does not have permissions to assume the associated role.";
/// STS role session names are at most 64 characters.
const MAX_SESSION_NAME: usize = 64;

/// Credentials issued for a pod.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The session of the association's role, or of the target role when there is one.
    pub session: Session,
    pub session_tags: BTreeMap<String, String>,
}

/// Evaluates the trust (and, with a target role, the chain) and asks the STS of `region` (where
/// AssumeRoleForPodIdentity was called) for the credentials.
pub async fn issue(
    iam_sts: &IamSts,
    grant: &PodIdentityGrant,
    region: &str,
) -> Result<Issued, ApiError> {
    let association = &grant.association;
    let session_tags = if association.disable_session_tags {
        BTreeMap::new()
    } else {
        session_tags(grant)
    };
    let actions = actions(association.disable_session_tags);
    let session_name = session_name(&grant.token.cluster, &grant.token.pod_name);

    let role = find_role(iam_sts, &association.role_arn).await?;
    let mut context = Context::default();
    context.set("sts:RoleSessionName", &session_name);
    request_tags(&mut context, &session_tags);
    let caller = Caller::Service(POD_IDENTITY_AUDIENCE.to_owned());
    let verdict = trust::evaluate(
        &[&role.trust_policy],
        PolicyKind::Trust(&caller),
        &actions,
        &context,
    );
    refuse_unless_allowed(verdict, &format!("the trust policy of {}", role.arn))?;

    let target = association.target_role_arn.as_deref();
    let first = iam_sts
        .assume_role(AssumeRole {
            role_arn: &role.arn,
            session_name: &session_name,
            tags: &session_tags,
            external_id: None,
            // The session policy restricts the credentials the pod gets: the target's, if any.
            policy: association.policy.as_deref().filter(|_| target.is_none()),
            as_session: None,
            region,
        })
        .await
        .map_err(sts_error)?;
    let Some(target) = target else {
        return Ok(Issued {
            session: first,
            session_tags,
        });
    };

    let chain = Chain {
        role: &role,
        first: &first,
        target,
        external_id: association.external_id.as_deref(),
        session_name: &session_name,
        session_tags: &session_tags,
        actions: &actions,
    };
    chain.check(iam_sts).await?;
    let session = iam_sts
        .assume_role(AssumeRole {
            role_arn: target,
            session_name: &session_name,
            // Transitive session tags pass on to the chained session by themselves.
            tags: &BTreeMap::new(),
            external_id: chain.external_id,
            policy: association.policy.as_deref(),
            as_session: Some(&first),
            region,
        })
        .await
        .map_err(sts_error)?;
    Ok(Issued {
        session,
        session_tags,
    })
}

/// The second assumption: a session of the association's role assumes the target role.
struct Chain<'a> {
    role: &'a Role,
    first: &'a Session,
    target: &'a str,
    external_id: Option<&'a str>,
    session_name: &'a str,
    session_tags: &'a BTreeMap<String, String>,
    actions: &'a [&'static str],
}

impl Chain<'_> {
    /// The target's trust policy must allow the session; the role's own permissions must too
    /// when the target is in another account or trusts only the account ("Policy evaluation
    /// logic": cross-account requests need both sides), and must never deny it.
    async fn check(&self, iam_sts: &IamSts) -> Result<(), ApiError> {
        let target_role = find_role(iam_sts, self.target).await?;
        let context = self.context();
        let role_account = account_of(&self.role.arn);
        let caller = |account_principals| Caller::RoleSession {
            role_arn: self.role.arn.clone(),
            session_arn: self.first.assumed_role_arn.clone(),
            account_id: role_account.to_owned(),
            account_principals,
        };
        let trust_of = |caller: &Caller| {
            trust::evaluate(
                &[&target_role.trust_policy],
                PolicyKind::Trust(caller),
                self.actions,
                &context,
            )
        };
        let full = trust_of(&caller(true));
        refuse_unless_allowed(full, &format!("the trust policy of {}", self.target))?;
        let names_the_role = trust_of(&caller(false)) == Verdict::Allowed;
        let permissions_needed = !names_the_role || account_of(self.target) != role_account;

        if let Some(boundary) = &self.role.permissions_boundary {
            return Err(access_denied(&format!(
                "the emulator does not support permissions boundaries ({} has {boundary})",
                self.role.arn
            )));
        }
        let documents = iam_sts
            .permission_policies(&self.role.arn)
            .await
            .map_err(iam_error)?;
        let documents: Vec<&str> = documents.iter().map(String::as_str).collect();
        let resource = PolicyKind::Identity {
            resource: self.target,
        };
        let verdict = trust::evaluate(&documents, resource, self.actions, &context);
        let what = format!("the permission policies of {}", self.role.arn);
        match verdict {
            Verdict::Denied { explicit: true, .. }
            | Verdict::Unsupported {
                deny_at_stake: true,
                ..
            } => refuse_unless_allowed(verdict, &what),
            _ if permissions_needed => refuse_unless_allowed(verdict, &what),
            _ => Ok(()),
        }
    }

    /// The request the first session makes: its principal tags are the role's tags and the
    /// session tags (which win), and it passes the association's external id.
    fn context(&self) -> Context {
        let mut context = Context::default();
        context.set("sts:RoleSessionName", self.session_name);
        match self.external_id {
            Some(external_id) => context.set("sts:ExternalId", external_id),
            None => context.absent("sts:ExternalId"),
        }
        context.set("aws:PrincipalArn", &self.role.arn);
        context.set("aws:PrincipalAccount", account_of(&self.role.arn));
        context.set("aws:PrincipalType", "AssumedRole");
        let mut principal_tags = self.role.tags.clone();
        principal_tags.extend(self.session_tags.clone());
        for (key, value) in &principal_tags {
            context.set(&format!("aws:PrincipalTag/{key}"), value);
        }
        context.absent_prefix("aws:PrincipalTag/");
        context
    }
}

/// The session tags EKS adds ("Grant Pods access to AWS resources based on tags").
fn session_tags(grant: &PodIdentityGrant) -> BTreeMap<String, String> {
    let token = &grant.token;
    [
        ("eks-cluster-arn", grant.cluster_arn.as_str()),
        ("eks-cluster-name", token.cluster.as_str()),
        ("kubernetes-namespace", token.namespace.as_str()),
        ("kubernetes-service-account", token.service_account.as_str()),
        ("kubernetes-pod-name", token.pod_name.as_str()),
        ("kubernetes-pod-uid", token.pod_uid.as_str()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect()
}

/// The request tags of the first assumption, and that there are no others.
fn request_tags(context: &mut Context, session_tags: &BTreeMap<String, String>) {
    for (key, value) in session_tags {
        context.set(&format!("aws:RequestTag/{key}"), value);
    }
    context.absent_prefix("aws:RequestTag/");
    if session_tags.is_empty() {
        context.absent("aws:TagKeys");
    } else {
        context.set_multivalued("aws:TagKeys", session_tags.keys().cloned().collect());
    }
}

fn actions(disable_session_tags: bool) -> Vec<&'static str> {
    if disable_session_tags {
        vec!["sts:AssumeRole"]
    } else {
        vec!["sts:AssumeRole", "sts:TagSession"]
    }
}

/// `eks-<cluster>-<pod>-<UUID>`; the cluster and pod part is cut to keep within STS's 64
/// characters (how EKS shortens it is not documented).
fn session_name(cluster: &str, pod_name: &str) -> String {
    let uuid = Uuid::new_v4().to_string();
    let room = MAX_SESSION_NAME - "eks-".len() - 1 - uuid.len();
    let middle: String = format!("{cluster}-{pod_name}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c))
        .take(room)
        .collect();
    format!("eks-{middle}-{uuid}")
}

async fn find_role(iam_sts: &IamSts, role_arn: &str) -> Result<Role, ApiError> {
    iam_sts
        .get_role(role_arn)
        .await
        .map_err(iam_error)?
        .ok_or_else(|| access_denied(&format!("the role {role_arn} does not exist in IAM")))
}

fn account_of(role_arn: &str) -> &str {
    role_account_and_name(role_arn).map_or("", |(account, _)| account)
}

fn refuse_unless_allowed(verdict: Verdict, what: &str) -> Result<(), ApiError> {
    match verdict {
        Verdict::Allowed => Ok(()),
        Verdict::Denied { reason, .. } => Err(access_denied(&format!("{what}: {reason}"))),
        Verdict::Unsupported { reason, .. } => Err(access_denied(&format!(
            "{what}: {reason}; the emulator refuses what it cannot judge"
        ))),
    }
}

fn access_denied(detail: &str) -> ApiError {
    ApiError::new(
        ErrorKind::AccessDenied,
        format!("{ACCESS_DENIED} (eks-emulator: {detail}.)"),
    )
}

fn iam_error(err: IamStsError) -> ApiError {
    ApiError::new(
        ErrorKind::InternalServer,
        format!("The emulator could not read IAM: {err}."),
    )
}

/// STS refusing is access denied; anything else is the emulator's failure.
fn sts_error(err: IamStsError) -> ApiError {
    match &err {
        IamStsError::AssumeRole {
            code: Some(code), ..
        } if code.starts_with("AccessDenied") => access_denied(&err.to_string()),
        _ => ApiError::new(
            ErrorKind::InternalServer,
            format!("The emulator could not get credentials from STS: {err}."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_fit_sts() {
        let name = session_name(
            "a-very-long-cluster-name-indeed",
            "checkout-7d9f8b6c5-x2x4z",
        );
        assert!(name.len() <= MAX_SESSION_NAME, "{name}");
        assert!(name.starts_with("eks-a-very-long-cluster-na"), "{name}");
        assert!(session_name("c1", "pod").starts_with("eks-c1-pod-"));
    }
}
