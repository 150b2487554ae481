//! What the trust check reads of a role — its ARN and trust policy — read once per role per
//! provider process. Terraform plans every association of a configuration in one provider
//! process, so 200 associations sharing a role cost one GetRole, not 200: concurrent lookups of
//! the same role wait for the first one.

use std::time::{Duration, Instant};

use crate::aws::once::OncePerKey;
use crate::aws::retry::{until_found, Backoff};
use crate::aws::AwsContext;
use crate::error::AwsError;
use crate::iam::find::find_role_by_name;
use crate::policy_json;

/// A role as the trust check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleTrust {
    pub arn: String,
    pub name: String,
    /// The trust policy, URL-decoded.
    pub trust_policy: String,
}

/// Roles read so far by name; `None` records a role that does not exist.
#[derive(Debug, Default)]
pub struct RoleCache {
    roles: OncePerKey<Option<RoleTrust>>,
}

/// How long a lookup keeps asking for a role IAM does not show: a role created by this same
/// apply a moment ago may take a second or two to appear in GetRole. Short enough that a plan
/// naming a role that does not exist fails within seconds.
const APPEARING: Backoff = Backoff {
    first: Duration::from_millis(250),
    max: Duration::from_secs(1),
    deadline: Duration::from_millis(2500),
    reason: "IAM may not show a role created a moment ago yet",
};

impl RoleCache {
    /// The role named `name`, read once per process. AWS errors are not cached: the next
    /// lookup asks again.
    pub async fn get(&self, ctx: &AwsContext, name: &str) -> Result<Option<RoleTrust>, AwsError> {
        self.roles.get(name, || read(ctx, name)).await
    }
}

async fn read(ctx: &AwsContext, name: &str) -> Result<Option<RoleTrust>, AwsError> {
    let started = Instant::now();
    let found = until_found(APPEARING, "GetRole", || find_role_by_name(ctx, name)).await?;
    tracing::debug!(
        target: "podidentity::trust",
        role = name,
        found = found.is_some(),
        waited_ms = started.elapsed().as_millis() as u64,
        "role read for the trust check"
    );
    Ok(found.map(|role| RoleTrust {
        trust_policy: role
            .assume_role_policy_document()
            .map(policy_json::decode)
            .unwrap_or_default(),
        arn: role.arn,
        name: role.role_name,
    }))
}
