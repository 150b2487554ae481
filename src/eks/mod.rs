//! EKS Pod Identity associations: the resource, its data sources, the finders they share, and
//! the scan for associations that use a role.

pub mod association;
pub mod association_data_source;
pub mod find;
pub mod usage;
