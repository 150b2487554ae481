//! EKS Pod Identity associations: the resource and its data sources.

pub mod association;
pub mod association_data;
