//! Serving: on a listener of the caller's ([`serve`]) or on a thread of its own
//! ([`EmulatorHandle`]). The fault proxy is served the same ways.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::thread::JoinHandle;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::config::EmulatorConfig;
use crate::connection::{ConnectionControl, SeverableListener};
use crate::state::Emulator;
use crate::{admin, api};

/// Serves the emulator on an already bound listener until `shutdown` completes. Connections
/// still open at that point are dropped with the runtime, not drained.
pub async fn serve(
    listener: TcpListener,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let emulator = Arc::new(Emulator::new(config));
    let app = api::router(emulator.clone())
        .nest("/_emulator", admin::router())
        .with_state(emulator);
    serve_severable(listener, app, shutdown).await
}

/// Serves `app` on `listener` until `shutdown` completes, with a [`ConnectionControl`] for
/// each connection in its requests' `ConnectInfo`.
pub(crate) async fn serve_severable(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app.into_make_service_with_connect_info::<ConnectionControl>();
    let server = axum::serve(SeverableListener::new(listener), app).into_future();
    tokio::select! {
        result = server => result,
        () = shutdown => Ok(()),
    }
}

/// Completes when the server should stop.
pub(crate) type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A server on 127.0.0.1 (port chosen by the OS) on its own thread with its own tokio runtime,
/// so it works from sync tests and from inside other runtimes. Stops on drop.
#[derive(Debug)]
pub(crate) struct ServerThread {
    url: String,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Binds, starts `serve` on thread `name` and returns; the port accepts connections when
    /// this returns.
    pub(crate) fn start<F, S>(name: &str, serve: S) -> std::io::Result<ServerThread>
    where
        S: FnOnce(TcpListener, Shutdown) -> F + Send + 'static,
        F: Future<Output = std::io::Result<()>>,
    {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let url = format!("http://{}", std_listener.local_addr()?);

        // The runtime is built, used and dropped on the server thread only: dropping a runtime
        // inside another runtime's context panics, and callers are often async tests.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let thread_name = name.to_owned();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
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
                let shutdown: Shutdown = Box::pin(async {
                    // A dropped sender also means "stop".
                    let _ = shutdown_rx.await;
                });
                if let Err(err) = runtime.block_on(serve(listener, shutdown)) {
                    eprintln!("{thread_name} stopped: {err}");
                }
            })?;

        let server = ServerThread {
            url,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(server),
            Ok(Err(err)) => Err(err),
            Err(_) => Err(std::io::Error::other(format!(
                "the {name} thread exited before it was ready"
            ))),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A running emulator on 127.0.0.1 (port chosen by the OS). Runs on its own thread with its own
/// tokio runtime, so it works from sync tests and from inside other runtimes. Stops on drop.
#[derive(Debug)]
pub struct EmulatorHandle {
    server: ServerThread,
}

impl EmulatorHandle {
    /// Binds, starts serving and returns; the port accepts connections when this returns.
    pub fn start(config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
        let server = ServerThread::start("eks-emulator", move |listener, shutdown| {
            serve(listener, config, shutdown)
        })?;
        Ok(EmulatorHandle { server })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> &str {
        self.server.url()
    }
}
