//! Will the pods get credentials? The plan-time trust check of an association (PRODUCT §8).
//!
//! When the role is in the provider's account and the association's cluster, namespace,
//! service account and role are known, plan reads the role's trust policy (once per role per
//! provider process, [`crate::iam::role_cache`]) and evaluates the request EKS Pod Identity will
//! make for the association's pods ([`crate::trust`]). The check uses IAM only: no EKS call.
//! A role that does not exist, or a trust policy that refuses the pods, fails the plan on
//! `role_arn`, naming the statement, the condition, the value EKS sends, and the fix. When
//! Terraform plans again at apply with values that were unknown before (a role created by the
//! same apply), the check runs then, before the association is created.

use tf_provider::value::Value;

use super::AssociationState;
use crate::aws::settings::TrustCheck;
use crate::aws::AwsContext;
use crate::error::Error;
use crate::iam::role_cache::RoleTrust;
use crate::iam::trust_policy;
use crate::resource::Warning;
use crate::trust::{self, KeyValue, PodIdentityRequest, Policy, Request, Verdict};
use crate::validate::{attr, IamArn};
use crate::value::known_str;

/// What the check knows of an association: everything EKS's request depends on.
struct Pods<'a> {
    cluster: &'a str,
    namespace: &'a str,
    service_account: &'a str,
    role_arn: &'a str,
    target_role_arn: Option<&'a str>,
    external_id: Option<&'a str>,
    session_tags: bool,
}

impl<'a> Pods<'a> {
    /// `None` while any of it is unknown: Terraform plans again with it known.
    fn of(state: &'a AssociationState) -> Option<Pods<'a>> {
        let session_tags = match state.disable_session_tags {
            Value::Value(disabled) => !disabled,
            Value::Null => true,
            Value::Unknown => return None,
        };
        let target_role_arn = match &state.target_role_arn {
            Value::Unknown => return None,
            other => known_str(other).filter(|t| !t.is_empty()),
        };
        Some(Pods {
            cluster: known_str(&state.cluster_name)?,
            namespace: known_str(&state.namespace)?,
            service_account: known_str(&state.service_account)?,
            role_arn: known_str(&state.role_arn)?,
            target_role_arn,
            external_id: known_str(&state.external_id).filter(|e| !e.is_empty()),
            session_tags,
        })
    }

    fn service_account_entry(&self) -> String {
        format!("{}/{}", self.namespace, self.service_account)
    }

    /// Whether these pods ask for the same thing as `other`'s.
    fn same_request(&self, other: &Pods<'_>) -> bool {
        (
            self.cluster,
            self.namespace,
            self.service_account,
            self.role_arn,
            self.target_role_arn,
            self.session_tags,
        ) == (
            other.cluster,
            other.namespace,
            other.service_account,
            other.role_arn,
            other.target_role_arn,
            other.session_tags,
        )
    }
}

/// The trust check for `planned`: warnings, or the error that refuses the plan.
pub(super) async fn check(
    ctx: &AwsContext,
    prior: Option<&AssociationState>,
    planned: &AssociationState,
) -> Result<Vec<Warning>, Error> {
    if ctx.trust_check == TrustCheck::Off {
        return Ok(vec![]);
    }
    let Some(pods) = Pods::of(planned) else {
        return Ok(vec![]);
    };
    // An association whose request does not change keeps its pods' fate; when its role has
    // since stopped trusting them, that is news, but not this plan's doing.
    let unchanged = prior
        .and_then(Pods::of)
        .is_some_and(|before| before.same_request(&pods));
    let Some(account) = ctx.account_id.as_deref() else {
        // Without the caller's account (skip_credentials_validation) a role of another account
        // would read as missing: nothing is checked rather than something wrong, and the plan
        // says so.
        tracing::debug!(target: "podidentity::trust", "trust check skipped: account unknown");
        if unchanged {
            return Ok(vec![]);
        }
        return Ok(vec![Warning {
            summary: "role_arn not checked: skip_credentials_validation = true".into(),
            detail: format!(
                "With skip_credentials_validation = true the provider does not know its AWS account, so the plan did not check that {} is in the cluster's account, exists and trusts the pods of {}/{} in cluster {}; EKS or the pods will find out instead. Set skip_credentials_validation = false (the default) to have the plan check it.",
                pods.role_arn, pods.namespace, pods.service_account, pods.cluster
            ),
        }]);
    };
    let Some(role_arn) = IamArn::role(pods.role_arn).filter(|arn| arn.account == account) else {
        // Refused by the association's own checks of role_arn.
        return Ok(vec![]);
    };
    let mut findings = Findings::default();
    if let Some(role) = findings.role(ctx, pods.role_arn, "role_arn").await? {
        let cluster_arn = format!(
            "arn:{}:eks:{}:{account}:cluster/{}",
            role_arn.partition, ctx.region, pods.cluster
        );
        let requests = trust::pod_identity_requests(&PodIdentityRequest {
            cluster_name: pods.cluster,
            cluster_arn: Some(&cluster_arn),
            namespace: pods.namespace,
            service_account: pods.service_account,
            session_tags: pods.session_tags,
        });
        let who = format!(
            "pods of {} in cluster {}",
            pods.service_account_entry(),
            pods.cluster
        );
        findings.judge(
            &role,
            &requests,
            "role_arn",
            |denial| {
                (
                    format!("The {who} would be refused credentials"),
                    format!(
                        "Role {}'s trust policy does not let EKS Pod Identity assume it for them: {denial}. {}.\n\nFix: {}.",
                        role.name,
                        sent(&pods),
                        fix_for_pods(&role, &pods, &requests)
                    ),
                )
            },
            || format!("Cannot tell whether the {who} will get credentials"),
            |_| false,
        );
        if let Some(target) = pods
            .target_role_arn
            .filter(|t| account_of(t) == Some(account))
        {
            if let Some(target_role) = findings.role(ctx, target, "target_role_arn").await? {
                check_chain(&mut findings, &role, &target_role, &pods);
            }
        }
    }
    findings.finish(ctx.trust_check, unchanged)
}

/// After a create or an update that chose a new external ID: conditions of the target role's
/// trust on `sts:ExternalId` judged with the real one. Only warnings: the association exists.
pub(super) async fn check_external_id(ctx: &AwsContext, state: &AssociationState) -> Vec<Warning> {
    let (Some(pods), Some(account)) = (Pods::of(state), ctx.account_id.as_deref()) else {
        return vec![];
    };
    let Some(target) = pods.target_role_arn else {
        return vec![];
    };
    if ctx.trust_check == TrustCheck::Off
        || pods.external_id.is_none()
        || account_of(pods.role_arn) != Some(account)
        || account_of(target) != Some(account)
    {
        return vec![];
    }
    let mut findings = Findings::default();
    let roles = (
        findings.role(ctx, pods.role_arn, "role_arn").await,
        findings.role(ctx, target, "target_role_arn").await,
    );
    if let (Ok(Some(role)), Ok(Some(target_role))) = roles {
        check_chain(&mut findings, &role, &target_role, &pods);
    }
    findings.into_warnings(
        "The association was created; its pods get credentials for role_arn but not for target_role_arn until the target role's trust policy allows them.",
    )
}

/// `target_role_arn` in the provider's account: its trust must let the association's role
/// assume it, with the external ID EKS passes. That ID is chosen when the association is
/// created, so until then conditions on it are not judged.
fn check_chain(findings: &mut Findings, role: &RoleTrust, target: &RoleTrust, pods: &Pods<'_>) {
    let requests: Vec<Request> =
        trust::role_chain_requests(&role.arn, pods.external_id, pods.session_tags)
            .into_iter()
            .map(|request| match pods.external_id {
                Some(_) => request,
                None => request.with_key(
                    "sts:ExternalId",
                    KeyValue::Unknown(EXTERNAL_ID_NOT_CHOSEN.into()),
                ),
            })
            .collect();
    findings.judge(
        target,
        &requests,
        "target_role_arn",
        |denial| {
            (
                format!(
                    "Role {} could not assume the target role {}",
                    role.name, target.name
                ),
                format!(
                    "EKS Pod Identity chains from role_arn to target_role_arn, but role {}'s trust policy does not let {} assume it: {denial}.\n\nFix: let its trust policy allow {} for the principal {}{}.",
                    target.name,
                    role.arn,
                    trust::actions(pods.session_tags).join(" and "),
                    role.arn,
                    pods.external_id
                        .map(|id| format!(" with sts:ExternalId \"{id}\" (this association's external_id)"))
                        .unwrap_or_default()
                ),
            )
        },
        || {
            format!(
                "Cannot tell whether role {} can assume the target role {}",
                role.name, target.name
            )
        },
        // Judged once the association exists and its external ID is known.
        |why| why.reason.contains(EXTERNAL_ID_NOT_CHOSEN),
    );
}

/// Why `sts:ExternalId` is unknown at plan.
const EXTERNAL_ID_NOT_CHOSEN: &str = "EKS chooses the external ID when it creates the association";

/// The account of a role ARN (`None` for what is not one: the attribute's own check refuses it).
fn account_of(arn: &str) -> Option<&str> {
    IamArn::role(arn).map(|arn| arn.account)
}

/// What the check found: refusals (errors on an attribute, unless `trust_check = "warn"` or
/// the association does not change) and warnings.
#[derive(Default)]
struct Findings {
    refusals: Vec<Error>,
    warnings: Vec<Warning>,
}

impl Findings {
    fn refuse(&mut self, attribute: &'static str, summary: String, detail: String) {
        self.refusals
            .push(Error::invalid(attr(attribute), summary, detail));
    }

    fn warn(&mut self, summary: String, detail: String) {
        self.warnings.push(Warning { summary, detail });
    }

    /// The role `arn` names, read once per process. A missing role is a refusal; a role IAM
    /// would not show is a warning.
    async fn role(
        &mut self,
        ctx: &AwsContext,
        arn: &str,
        attribute: &'static str,
    ) -> Result<Option<RoleTrust>, Error> {
        let Some(name) = IamArn::role(arn).map(|arn| arn.name) else {
            return Ok(None);
        };
        match ctx.roles.get(ctx, name).await {
            Ok(Some(role)) if role.arn == arn => return Ok(Some(role)),
            Ok(Some(role)) => self.refuse(
                attribute,
                "Role not found".into(),
                format!(
                    "{attribute} is {arn}, but the role named {name} is {}: the path differs, and EKS would not find the role. Use the ARN IAM reports.",
                    role.arn
                ),
            ),
            Ok(None) => self.refuse(
                attribute,
                "Role not found".into(),
                format!(
                    "Role {name} does not exist in IAM ({arn}), so EKS would refuse the association and no pod could get credentials. Create the role first (in the state that owns it, or in this one with aws_eks_pod_identity_role and a reference to its arn), or correct {attribute}."
                ),
            ),
            Err(err) if err.is_stopped() => return Err(Error::aws("Reading a role's trust policy", err)),
            Err(err) => self.warn(
                format!("Cannot tell whether the pods will get credentials from role {name}"),
                format!(
                    "Its trust policy could not be read ({err}). Give the provider's credentials iam:GetRole on the role, or set trust_check = \"off\" in the provider block."
                ),
            ),
        }
        Ok(None)
    }

    /// Evaluate `requests` against `role`'s trust policy: a refusal on `attribute` when they
    /// are denied, a warning when the evaluator cannot decide.
    fn judge(
        &mut self,
        role: &RoleTrust,
        requests: &[Request],
        attribute: &'static str,
        refused: impl FnOnce(&trust::Denial) -> (String, String),
        undecided_summary: impl FnOnce() -> String,
        ignore: impl Fn(&trust::Uncertainty) -> bool,
    ) {
        let policy = match Policy::parse(&role.trust_policy) {
            Ok(policy) => policy,
            Err(err) => {
                self.warn(
                    undecided_summary(),
                    format!(
                        "The trust policy of role {} cannot be evaluated: {err}.",
                        role.name
                    ),
                );
                return;
            }
        };
        match trust::evaluate_all(&policy, requests) {
            Verdict::Allowed { .. } => {}
            Verdict::Denied(denial) => {
                let (summary, detail) = refused(&denial);
                self.refuse(attribute, summary, detail);
            }
            Verdict::Undecided(why) => {
                let why: Vec<String> = why
                    .iter()
                    .filter(|u| !ignore(u))
                    .map(ToString::to_string)
                    .collect();
                if !why.is_empty() {
                    self.warn(
                        undecided_summary(),
                        format!(
                            "The trust policy of role {} has conditions the provider cannot judge before a pod asks: {}. The pods may or may not get credentials.",
                            role.name,
                            why.join("; ")
                        ),
                    );
                }
            }
        }
    }

    /// The error that refuses the plan, or the warnings to show with it.
    fn finish(mut self, mode: TrustCheck, unchanged: bool) -> Result<Vec<Warning>, Error> {
        if mode == TrustCheck::Error && !unchanged {
            if !self.refusals.is_empty() {
                return Err(self.refusals.swap_remove(0));
            }
            return Ok(self.warnings);
        }
        Ok(self.into_warnings(if unchanged {
            "This plan does not change the association, so it is not refused; the role changed, or was changed elsewhere."
        } else {
            "Planned anyway because the provider's trust_check is \"warn\"."
        }))
    }

    /// Every finding as a warning, refusals with `why` they are not errors.
    fn into_warnings(self, why: &str) -> Vec<Warning> {
        let Findings {
            refusals,
            mut warnings,
        } = self;
        warnings.extend(refusals.into_iter().filter_map(|err| match err {
            Error::Invalid {
                summary, detail, ..
            } => Some(Warning {
                summary,
                detail: format!("{detail}\n\n{why}"),
            }),
            _ => None,
        }));
        warnings
    }
}

/// The session tags EKS sends for these pods, as a user reads them.
fn sent(pods: &Pods<'_>) -> String {
    if pods.session_tags {
        format!(
            "EKS sends the session tags eks-cluster-name = \"{}\", kubernetes-namespace = \"{}\" and kubernetes-service-account = \"{}\"",
            pods.cluster, pods.namespace, pods.service_account
        )
    } else {
        "EKS sends no session tags (disable_session_tags = true) and does not ask for sts:TagSession".to_string()
    }
}

/// The fix for pods refused by `role`: for a role whose trust policy is one
/// `aws_eks_pod_identity_role` writes, the entry to add (checked by evaluating the policy with
/// it); otherwise what the trust policy must allow.
fn fix_for_pods(role: &RoleTrust, pods: &Pods<'_>, requests: &[Request]) -> String {
    let generic = format!(
        "let role {}'s trust policy allow {} for the service principal {} with the session tags above",
        role.name,
        trust::actions(pods.session_tags).join(" and "),
        trust_policy::SERVICE_PRINCIPAL
    );
    let Some((clusters, service_accounts)) = trust_policy::parse(&role.trust_policy) else {
        return generic;
    };
    if !pods.session_tags && (!clusters.is_empty() || !service_accounts.is_empty()) {
        return format!(
            "remove disable_session_tags = true from this association: role {}'s conditions test session tags, which EKS sends only when they are enabled",
            role.name
        );
    }
    let add_cluster = format!(
        "add \"{}\" to allowed_clusters of role {}",
        pods.cluster, role.name
    );
    let add_service_account = format!(
        "add \"{}\" to allowed_service_accounts of role {}",
        pods.service_account_entry(),
        role.name
    );
    let mut with_cluster = clusters.clone();
    with_cluster.insert(pods.cluster.to_string());
    let mut with_service_account = service_accounts.clone();
    with_service_account.insert(pods.service_account_entry());
    let candidates = [
        (
            !clusters.is_empty(),
            (&with_cluster, &service_accounts),
            add_cluster.clone(),
        ),
        (
            !service_accounts.is_empty(),
            (&clusters, &with_service_account),
            add_service_account.clone(),
        ),
        (
            !clusters.is_empty() && !service_accounts.is_empty(),
            (&with_cluster, &with_service_account),
            format!("{add_cluster}, and {add_service_account}"),
        ),
    ];
    for (applies, (c, s), fix) in candidates {
        if !applies {
            continue;
        }
        let allowed = Policy::parse(&trust_policy::generate(c, s))
            .map(|policy| {
                matches!(
                    trust::evaluate_all(&policy, requests),
                    Verdict::Allowed { .. }
                )
            })
            .unwrap_or(false);
        if allowed {
            return fix;
        }
    }
    generic
}
