//! The state of one emulator instance: its configuration, and behind one lock the emulated
//! world, the injected faults, the request log and the credentials it knows.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::config::EmulatorConfig;
use crate::credentials::KnownCredentials;
use crate::faults::FaultQueue;
use crate::iam_sts::IamSts;
use crate::request_log::RequestLog;
use crate::world::World;

/// Shared state of one emulator instance.
pub struct Emulator {
    pub config: EmulatorConfig,
    /// The IAM and STS the emulator calls (moto), as configured.
    pub iam_sts: IamSts,
    inner: Mutex<Inner>,
}

pub struct Inner {
    pub world: World,
    pub faults: FaultQueue,
    pub log: RequestLog,
    pub credentials: KnownCredentials,
    last_request_seq: u64,
}

impl Inner {
    fn new(config: &EmulatorConfig) -> Self {
        Inner {
            world: World::new(&config.account_id, &config.region, config.delays),
            faults: FaultQueue::default(),
            log: RequestLog::default(),
            credentials: KnownCredentials::new(config.credentials.iter().cloned()),
            last_request_seq: 0,
        }
    }
}

impl Emulator {
    pub fn new(config: EmulatorConfig) -> Self {
        let inner = Mutex::new(Inner::new(&config));
        let iam_sts = IamSts::new(
            config.iam_endpoint.clone(),
            config.sts_endpoint.clone(),
            &config.region,
        );
        Emulator {
            config,
            iam_sts,
            inner,
        }
    }

    /// The state stays consistent even if a handler panicked (every operation checks before it
    /// mutates), so a poisoned lock is still usable. Clusters and add-ons whose transitional
    /// state has run its time settle first, so whoever locks sees the world as of now.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.world.settle(Instant::now());
        inner
    }

    pub fn next_request_seq(&self) -> u64 {
        let mut inner = self.lock();
        inner.last_request_seq += 1;
        inner.last_request_seq
    }

    /// Back to the emulator as configured: no clusters, tokens, faults or logged requests, and
    /// only the configured credentials.
    pub fn reset(&self) {
        *self.lock() = Inner::new(&self.config);
    }
}
