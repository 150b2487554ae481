//! AWS client construction from the provider settings, error classification and retries.

pub mod calls;
pub mod configure_errors;
pub mod connect;
pub mod errors;
pub mod once;
pub mod regions;
pub mod retry;
pub mod settings;
pub mod transport;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tf_provider::Diagnostics;

use crate::diagnostics::report;
use crate::eks::agent::presence::AgentCache;
use crate::error::Error;
use crate::iam::role_cache::RoleCache;
use regions::Regions;
use settings::TrustCheck;

/// What `ConfigureProvider` produces and every resource and data source shares: the clients,
/// built once, and the provider-level settings resources need.
#[derive(Debug)]
pub struct AwsContext {
    pub eks: aws_sdk_eks::Client,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    pub region: String,
    /// Known when credentials were validated (or an account guard needed it).
    pub account_id: Option<String>,
    /// The tags of the provider's `default_tags` block.
    pub default_tags: BTreeMap<String, String>,
    /// The provider's `ignore_tags`, which every read of tags applies.
    pub ignore_tags: crate::tags::IgnoreTags,
    /// What the association's trust check does (`trust_check`).
    pub trust_check: TrustCheck,
    /// The provider's `skip_region_validation`, which a resource's `region` follows too.
    pub skip_region_validation: bool,
    /// Roles the trust check has read, once each per process. IAM is global: every region's
    /// context shares them.
    pub roles: Arc<RoleCache>,
    /// Clusters whose Pod Identity Agent was looked at, once each per process (in this
    /// context's region: a cluster name is unique per region).
    pub agents: AgentCache,
    /// The contexts of the other regions resources name in their `region` argument.
    pub regions: Regions,
}

/// The slot resources hold: empty until Terraform configures the provider. Terraform starts one
/// plugin process per provider configuration, so it is filled once per process.
#[derive(Debug, Clone, Default)]
pub struct Configured(Arc<RwLock<Option<Arc<AwsContext>>>>);

impl Configured {
    pub fn set(&self, ctx: AwsContext) {
        crate::tags::set_ignored(ctx.ignore_tags.clone());
        if let Ok(mut slot) = self.0.write() {
            *slot = Some(Arc::new(ctx));
        }
    }

    pub fn get(&self) -> Result<Arc<AwsContext>, Error> {
        self.0
            .read()
            .ok()
            .and_then(|slot| slot.clone())
            .ok_or(Error::NotConfigured)
    }

    /// The context, or an error diagnostic saying the provider is not configured.
    pub fn get_or_report(&self, diags: &mut Diagnostics) -> Option<Arc<AwsContext>> {
        match self.get() {
            Ok(ctx) => Some(ctx),
            Err(err) => {
                report(diags, &err);
                None
            }
        }
    }

    /// Default tags, readable at plan time.
    pub fn default_tags(&self) -> BTreeMap<String, String> {
        self.get()
            .map(|ctx| ctx.default_tags.clone())
            .unwrap_or_default()
    }
}
