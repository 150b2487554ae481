//! The shared IAM role trusted by `pods.eks.amazonaws.com`: the resource, its trust policy and
//! policies, its data source, and the finders they share.

pub mod find;
pub mod role;
pub mod role_cache;
pub mod role_data_source;
pub mod role_name;
pub mod role_policies;
pub mod trust_policy;
