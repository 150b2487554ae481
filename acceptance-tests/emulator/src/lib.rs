//! An EKS API emulator speaking the real rest-json wire protocol, for the pod identity
//! association operations and the cluster operations they depend on, and for the EKS Auth API
//! (`AssumeRoleForPodIdentity`, with service-account tokens minted by the admin interface, trust
//! policies read from IAM and evaluated by the emulator, credentials from STS). Requests must carry a valid
//! SigV4 signature made with credentials the emulator knows. An admin interface under
//! `/_emulator/` shows the requests, injects faults and changes the emulated world directly.
//!
//! Use [`EmulatorHandle::start`] from tests, or [`serve`] on a listener you bound yourself;
//! [`client`] has what tests need to talk to it. [`FaultProxy`] puts the same kind of faults in
//! front of an AWS Query-protocol endpoint (moto's IAM and STS).

mod admin;
mod api;
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
mod operation;
pub mod proxy;
mod request_log;
mod sigv4;
mod state;
mod validation;
mod world;

pub use config::{Credentials, EmulatorConfig};
pub use handle::{serve, EmulatorHandle};
pub use proxy::FaultProxy;
