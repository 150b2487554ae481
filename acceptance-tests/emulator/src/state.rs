//! The state of one emulator instance: its configuration, and behind one lock the emulated
//! worlds (one per region), the injected faults, the request log and the credentials it knows.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::config::{Delays, EmulatorConfig};
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
    pub worlds: Worlds,
    pub faults: FaultQueue,
    pub log: RequestLog,
    pub credentials: KnownCredentials,
    last_request_seq: u64,
}

impl Inner {
    fn new(config: &EmulatorConfig) -> Self {
        Inner {
            worlds: Worlds::new(&config.account_id, config.delays),
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
    /// state has run its time settle first, in every region, so whoever locks sees the worlds
    /// as of now.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.worlds.settle(Instant::now());
        inner
    }

    pub fn next_request_seq(&self) -> u64 {
        let mut inner = self.lock();
        inner.last_request_seq += 1;
        inner.last_request_seq
    }

    /// Back to the emulator as configured: no clusters, tokens, faults or logged requests in any
    /// region, the configured delays, and only the configured credentials.
    pub fn reset(&self) {
        *self.lock() = Inner::new(&self.config);
    }
}

/// One emulated EKS per AWS Region, each made on first use with that region (its ARNs carry
/// it) and the delays in force.
#[derive(Debug)]
pub struct Worlds {
    account_id: String,
    delays: Delays,
    by_region: BTreeMap<String, World>,
}

impl Worlds {
    fn new(account_id: &str, delays: Delays) -> Self {
        Worlds {
            account_id: account_id.to_owned(),
            delays,
            by_region: BTreeMap::new(),
        }
    }

    /// The world of `region`, made now if it has none yet. The caller has checked that
    /// `region` is an AWS Region.
    pub fn of(&mut self, region: &str) -> &mut World {
        let Worlds {
            account_id,
            delays,
            by_region,
        } = self;
        by_region
            .entry(region.to_owned())
            .or_insert_with(|| World::new(account_id, region, *delays))
    }

    /// How long clusters and add-ons stay in their transitional states, in every region.
    pub fn delays(&self) -> Delays {
        self.delays
    }

    /// Changes the delays of every world, and of those made from now on.
    pub fn set_delays(&mut self, delays: Delays) {
        self.delays = delays;
        for world in self.by_region.values_mut() {
            world.set_delays(delays);
        }
    }

    fn settle(&mut self, now: Instant) {
        for world in self.by_region.values_mut() {
            world.settle(now);
        }
    }
}
