//! How the plugin process stops working: when Terraform asks it to stop (Ctrl-C), every AWS call
//! in flight is abandoned and every wait ends, so that Terraform can record what exists and exit
//! within seconds; when Terraform itself goes away, the process exits.
//!
//! Terraform asks in two ways, and both are honoured: the `StopProvider` RPC (which tf-provider
//! answers itself, so it is observed here through the span tf-provider's gRPC trace layer opens
//! for each request), and SIGINT, which a terminal's Ctrl-C sends to the whole process group.
//! Left to its default, SIGINT would kill the provider in the middle of an apply and lose what
//! it had created.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// The path of the plugin protocol's stop request.
const STOP_PROVIDER_RPC: &str = "/tfplugin6.Provider/StopProvider";
/// The span tower-http's trace layer opens for each gRPC request tf-provider serves.
const REQUEST_SPAN_TARGET: &str = "tower_http::trace::make_span";
/// How often the process checks that Terraform is still there.
const PARENT_CHECK: Duration = Duration::from_secs(1);

/// Whether the provider has been asked to stop; clones share the answer.
#[derive(Debug, Clone)]
pub struct StopSignal(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for StopSignal {
    fn default() -> Self {
        StopSignal(Arc::new(tokio::sync::watch::channel(false).0))
    }
}

impl StopSignal {
    /// Asks to stop; `why` is logged the first time.
    pub fn request(&self, why: &str) {
        let newly = self
            .0
            .send_if_modified(|stopped| !std::mem::replace(stopped, true));
        if newly {
            tracing::info!(target: "podidentity", "stopping: {why}; calls in flight are abandoned");
        }
    }

    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once a stop has been asked for.
    pub async fn requested(&self) {
        let mut receiver = self.0.subscribe();
        // The sender lives as long as `self`, so waiting can only end with the value true.
        let _ = receiver.wait_for(|stopped| *stopped).await;
    }

    /// `future`, unless a stop is asked for first.
    pub async fn unless_requested<T>(&self, future: impl Future<Output = T>) -> Result<T, Stopped> {
        if self.is_requested() {
            return Err(Stopped);
        }
        tokio::select! {
            value = future => Ok(value),
            () = self.requested() => Err(Stopped),
        }
    }
}

/// The process's stop signal.
pub fn stop_signal() -> &'static StopSignal {
    static STOP: OnceLock<StopSignal> = OnceLock::new();
    STOP.get_or_init(StopSignal::default)
}

/// The provider was asked to stop while waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Terraform asked the provider to stop")]
pub struct Stopped;

/// Sleep for `delay`, unless the provider is asked to stop first.
pub async fn sleep(delay: Duration) -> Result<(), Stopped> {
    stop_signal()
        .unless_requested(tokio::time::sleep(delay))
        .await
}

/// SIGINT and SIGTERM ask the provider to stop instead of killing it.
pub fn watch_signals() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        for (kind, name) in [
            (SignalKind::interrupt(), "SIGINT"),
            (SignalKind::terminate(), "SIGTERM"),
        ] {
            match signal(kind) {
                Ok(mut signals) => {
                    tokio::spawn(async move {
                        while signals.recv().await.is_some() {
                            stop_signal().request(&format!("received {name}"));
                        }
                    });
                }
                Err(err) => tracing::warn!(target: "podidentity", "cannot watch {name}: {err}"),
            }
        }
    }
}

/// Exits the process when its parent (Terraform) is gone: killed, it cannot stop its plugins,
/// and a plugin left behind holds a port and memory until the machine reboots.
pub fn watch_parent() {
    #[cfg(unix)]
    {
        let parent = std::os::unix::process::parent_id();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PARENT_CHECK).await;
                if std::os::unix::process::parent_id() != parent {
                    tracing::warn!(target: "podidentity", "Terraform (process {parent}) is gone; exiting");
                    std::process::exit(1);
                }
            }
        });
    }
}

/// A tracing layer that notices the `StopProvider` request among the gRPC requests
/// tf-provider serves, and asks the provider to stop.
pub struct StopRequestLayer(pub StopSignal);

impl StopRequestLayer {
    /// The spans and events this layer needs to see.
    pub fn filter() -> tracing_subscriber::filter::Targets {
        tracing_subscriber::filter::Targets::new()
            .with_target(REQUEST_SPAN_TARGET, tracing::Level::TRACE)
    }
}

impl<S: Subscriber> Layer<S> for StopRequestLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        if attrs.metadata().target() != REQUEST_SPAN_TARGET {
            return;
        }
        let mut uri = UriField(false);
        attrs.record(&mut uri);
        if uri.0 {
            self.0.request("Terraform sent StopProvider");
        }
    }
}

/// Whether a span's `uri` field names the stop request.
struct UriField(bool);

impl Visit for UriField {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "uri" && format!("{value:?}").ends_with(STOP_PROVIDER_RPC) {
            self.0 = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// A request span as tower-http's trace layer opens it.
    fn serve_request(stop: &StopSignal, uri: &str) {
        let subscriber = tracing_subscriber::registry()
            .with(StopRequestLayer(stop.clone()).with_filter(StopRequestLayer::filter()));
        tracing::subscriber::with_default(subscriber, || {
            let _span = tracing::span!(
                target: "tower_http::trace::make_span",
                tracing::Level::DEBUG,
                "request",
                method = "POST",
                uri = %uri,
            );
        });
    }

    #[test]
    fn the_stop_request_is_noticed_among_the_requests() {
        let stop = StopSignal::default();
        serve_request(
            &stop,
            "http://127.0.0.1:1234/tfplugin6.Provider/PlanResourceChange",
        );
        assert!(!stop.is_requested());
        serve_request(
            &stop,
            "http://127.0.0.1:1234/tfplugin6.Provider/StopProvider",
        );
        assert!(stop.is_requested());
    }

    #[tokio::test]
    async fn a_stop_ends_waits_and_refuses_new_ones() {
        let stop = StopSignal::default();
        let waiting = {
            let stop = stop.clone();
            tokio::spawn(async move {
                stop.unless_requested(tokio::time::sleep(Duration::from_secs(3600)))
                    .await
            })
        };
        tokio::task::yield_now().await;
        stop.request("test");
        let ended = tokio::time::timeout(Duration::from_secs(5), waiting).await;
        assert!(matches!(ended, Ok(Ok(Err(Stopped)))), "{ended:?}");
        assert_eq!(stop.unless_requested(async { 1 }).await, Err(Stopped));
    }
}
