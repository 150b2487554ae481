//! The EKS clients of the regions resources name in their `region` argument, each built on
//! first use and then shared by every resource of that region for the rest of the process.
//! IAM and STS are global: every region's context shares the provider's clients, credentials
//! (an assumed role is assumed once) and the trust check's role cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::{Region, SdkConfig};

use crate::aws::AwsContext;
use crate::eks::agent::presence::AgentCache;

/// What building another region's EKS client takes, and the contexts built so far.
#[derive(Debug, Clone)]
pub struct Regions {
    /// The provider's configuration (credentials, retries, HTTP client), before the region.
    sdk: SdkConfig,
    /// The provider block's `endpoints.eks`, which every region's client uses.
    eks_endpoint: Option<String>,
    built: Arc<Mutex<HashMap<String, Arc<AwsContext>>>>,
}

impl Regions {
    pub fn new(sdk: SdkConfig, eks_endpoint: Option<String>) -> Self {
        Regions {
            sdk,
            eks_endpoint,
            built: Arc::default(),
        }
    }

    /// The EKS client of `region`, from the provider's configuration.
    fn eks_client(&self, region: &str) -> aws_sdk_eks::Client {
        let sdk = self
            .sdk
            .to_builder()
            .region(Region::new(region.to_string()))
            .build();
        crate::aws::connect::eks_client(&sdk, self.eks_endpoint.as_deref())
    }
}

impl AwsContext {
    /// The context for a resource in `region`: this one when `region` is `None` or the
    /// provider's own, else that region's, built once.
    pub fn in_region(self: &Arc<Self>, region: Option<&str>) -> Arc<AwsContext> {
        let Some(region) = region.filter(|r| *r != self.region) else {
            return Arc::clone(self);
        };
        let mut built = self
            .regions
            .built
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let ctx = built.entry(region.to_string()).or_insert_with(|| {
            tracing::debug!(target: "podidentity::aws", region, "EKS client built for region");
            Arc::new(AwsContext {
                eks: self.regions.eks_client(region),
                iam: self.iam.clone(),
                sts: self.sts.clone(),
                region: region.to_string(),
                account_id: self.account_id.clone(),
                default_tags: self.default_tags.clone(),
                ignore_tags: self.ignore_tags.clone(),
                trust_check: self.trust_check,
                skip_region_validation: self.skip_region_validation,
                roles: Arc::clone(&self.roles),
                agents: AgentCache::default(),
                regions: self.regions.clone(),
            })
        });
        Arc::clone(ctx)
    }
}
