//! An EKS API emulator speaking the real rest-json wire protocol, for the pod identity
//! association operations, the cluster operations they depend on, the EKS add-on operations
//! (Create/Describe/Update/DeleteAddon, ListAddons, DescribeUpdate, DescribeAddonVersions,
//! DescribeAddonConfiguration, with add-on-owned associations), and for the EKS Auth API
//! (`AssumeRoleForPodIdentity`, with service-account tokens minted by the admin interface, trust
//! policies read from IAM and evaluated by the emulator, credentials from STS). Requests must carry a valid
//! SigV4 signature made with credentials the emulator knows, for an AWS Region: the emulator
//! keeps one world per region, and each request works on the world of the region it is signed
//! for. An admin interface under `/_emulator/` shows the requests, injects faults and changes
//! the emulated worlds directly.
//!
//! Clusters (`CREATING`, `DELETING`) and add-ons (`CREATING`, `UPDATING`, `DELETING`) stay in
//! their transitional states for the [`Delays`] of the configuration, changed at runtime with
//! `POST /_emulator/delays`; add-on faults (`POST /_emulator/addon-faults`) make a create or
//! update end `CREATE_FAILED`, `UPDATE_FAILED` or `DEGRADED` with health issues. The add-ons,
//! their versions and configuration schemas are fixed data (`eks-pod-identity-agent`,
//! `aws-ebs-csi-driver`, `vpc-cni` on Kubernetes 1.29 to 1.33).
//!
//! Use [`EmulatorHandle::start`] from tests, or [`serve`] on a listener you bound yourself;
//! [`client`] has what tests need to talk to it. [`FaultProxy`] puts the same kind of faults in
//! front of an AWS Query-protocol endpoint (moto's IAM and STS).

mod admin;
mod api;
mod catalog;
pub mod client;
mod config;
mod connection;
mod credentials;
mod eks_auth;
mod error;
mod faults;
mod handle;
mod http;
mod iam_sts;
mod json_schema;
mod operation;
pub mod proxy;
mod regions;
mod request_log;
mod sigv4;
mod state;
mod validation;
mod world;

pub use config::{Credentials, Delays, EmulatorConfig};
pub use handle::{serve, EmulatorHandle};
pub use proxy::FaultProxy;
