//! EKS Pod Identity: the associations (the resource, its data sources, the finders they share,
//! the scan for associations that use a role) and the Pod Identity Agent add-on.

pub mod agent;
pub mod association;
pub mod association_data_source;
pub mod find;
pub mod usage;
