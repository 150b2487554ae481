//! The shared IAM role trusted by `pods.eks.amazonaws.com`: the resource, its trust policy and
//! its data source.

pub mod role;
pub mod role_data;
pub mod trust_policy;
