//! The AWS Regions a request may be signed for, and the region a verified request was signed
//! for. The emulator keeps one emulated EKS per region, as AWS's regional endpoints do.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::{ApiError, ErrorKind};

/// The codes of the AWS Regions: the commercial ones, China and AWS GovCloud (US), from "AWS
/// Regions" in the AWS Global Infrastructure documentation,
/// <https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html>.
pub const AWS_REGIONS: &[&str] = &[
    // North America
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "ca-west-1",
    "mx-central-1",
    // Africa
    "af-south-1",
    // Asia Pacific
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    // Europe
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    // Middle East
    "il-central-1",
    "me-central-1",
    "me-south-1",
    // South America
    "sa-east-1",
    // China
    "cn-north-1",
    "cn-northwest-1",
    // AWS GovCloud (US)
    "us-gov-east-1",
    "us-gov-west-1",
];

/// Whether `name` is the code of an AWS Region ([`AWS_REGIONS`]).
pub fn is_aws_region(name: &str) -> bool {
    AWS_REGIONS.contains(&name)
}

/// The region of a verified request's credential scope, which the signature check puts into
/// the request's extensions. EKS and EKS Auth handlers work on the world of this region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRegion(pub String);

impl<S: Send + Sync> FromRequestParts<S> for SignedRegion {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<SignedRegion>()
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorKind::Server,
                    "The request reached its handler without a verified signature region.",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_regions_of_every_partition_and_nothing_else() {
        for region in ["eu-west-1", "us-west-2", "cn-north-1", "us-gov-west-1"] {
            assert!(is_aws_region(region), "{region}");
        }
        for name in ["moon-1", "", "EU-WEST-1", "eu-west-1 ", "local"] {
            assert!(!is_aws_region(name), "{name:?}");
        }
    }

    #[test]
    fn lists_each_region_once() {
        let mut sorted = AWS_REGIONS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), AWS_REGIONS.len());
    }
}
