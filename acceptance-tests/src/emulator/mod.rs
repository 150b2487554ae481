//! An EKS API emulator speaking the real rest-json wire protocol (SigV4-checked), for the pod
//! identity association operations and the cluster operations they depend on, plus an admin
//! interface under `/_emulator/` for inspecting requests and injecting faults.
//!
//! Use [`EmulatorHandle::start`] from tests, or [`serve`] on a listener you bound yourself.

mod admin;
mod api;
mod connection;
mod error;
mod faults;
mod request_log;
mod routing;
mod sigv4;
mod validation;
mod world;

use std::future::{Future, IntoFuture};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use connection::{ConnectionControl, SeverableListener};
use faults::FaultQueue;
use request_log::RequestLog;
use world::World;

/// The account and region the emulated EKS endpoint lives in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorConfig {
    pub account_id: String,
    pub region: String,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            account_id: "123456789012".to_owned(),
            region: "eu-west-1".to_owned(),
        }
    }
}

/// Shared state of one emulator instance.
struct Emulator {
    config: EmulatorConfig,
    inner: Mutex<Inner>,
}

struct Inner {
    world: World,
    faults: FaultQueue,
    log: RequestLog,
    last_request_seq: u64,
}

impl Emulator {
    fn new(config: EmulatorConfig) -> Self {
        let inner = Inner {
            world: World::new(&config.account_id, &config.region),
            faults: FaultQueue::default(),
            log: RequestLog::default(),
            last_request_seq: 0,
        };
        Emulator {
            config,
            inner: Mutex::new(inner),
        }
    }

    /// The state stays consistent even if a handler panicked (every operation checks before it
    /// mutates), so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn next_request_seq(&self) -> u64 {
        let mut inner = self.lock();
        inner.last_request_seq += 1;
        inner.last_request_seq
    }

    /// Back to a fresh emulator: no clusters, tokens, faults or logged requests.
    fn reset(&self) {
        let mut inner = self.lock();
        inner.world = World::new(&self.config.account_id, &self.config.region);
        inner.faults.clear();
        inner.log.clear();
        inner.last_request_seq = 0;
    }
}

fn router(emulator: Arc<Emulator>) -> Router {
    Router::new()
        .nest("/_emulator", admin::router())
        .fallback(api::handle)
        .with_state(emulator)
}

/// Serves the emulator on an already bound listener until `shutdown` completes. Connections
/// still open at that point are dropped with the runtime, not drained.
pub async fn serve(
    listener: TcpListener,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(Arc::new(Emulator::new(config)))
        .into_make_service_with_connect_info::<ConnectionControl>();
    let server = axum::serve(SeverableListener::new(listener), app).into_future();
    tokio::select! {
        result = server => result,
        () = shutdown => Ok(()),
    }
}

/// A running emulator on 127.0.0.1 (port chosen by the OS). Runs on its own thread with its own
/// tokio runtime, so it works from sync tests and from inside other runtimes. Stops on drop.
#[derive(Debug)]
pub struct EmulatorHandle {
    url: String,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EmulatorHandle {
    /// Binds, starts serving and returns; the port accepts connections when this returns.
    pub fn start(config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let url = format!("http://{}", std_listener.local_addr()?);

        // The runtime is built, used and dropped on the emulator thread only: dropping a runtime
        // inside another runtime's context panics, and callers are often async tests.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("eks-emulator".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                let listener = {
                    let _context = runtime.enter();
                    TcpListener::from_std(std_listener)
                };
                let listener = match listener {
                    Ok(listener) => listener,
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                let shutdown = async {
                    // A dropped sender also means "stop".
                    let _ = shutdown_rx.await;
                };
                if let Err(err) = runtime.block_on(serve(listener, config, shutdown)) {
                    eprintln!("eks-emulator stopped: {err}");
                }
            })?;

        let handle = EmulatorHandle {
            url,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(handle),
            Ok(Err(err)) => Err(err),
            Err(_) => Err(std::io::Error::other(
                "the emulator thread exited before it was ready",
            )),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
