//! Logging in the format Terraform reads from a plugin's stderr (hclog JSON lines), at the level
//! chosen by `TF_LOG_PROVIDER` or else `TF_LOG`. Nothing is printed when neither is set.
//!
//! - The provider's own lines: `info` for what a user cares about (configured, created, updated,
//!   deleted, retried), `debug` for each AWS call (see [`crate::aws::calls::CallLog`]).
//! - The AWS SDK's internals only at `trace`, whatever level the SDK gave them (its warnings
//!   and errors keep theirs). The signing crate is never enabled.
//! - Every line passes through [`redact`]: no access key id, secret key or session token the
//!   provider has seen or loaded reaches the log, nor anything shaped like an access key id.

pub mod redact;

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::lifecycle::{stop_signal, StopRequestLayer, StopSignal};

/// The level Terraform asked for, if any.
pub fn level_from_env(tf_log_provider: Option<&str>, tf_log: Option<&str>) -> Option<Level> {
    let raw = tf_log_provider
        .filter(|v| !v.trim().is_empty())
        .or(tf_log)?;
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        "" | "OFF" => None,
        // Terraform treats any other non-empty value as TRACE.
        _ => Some(Level::TRACE),
    }
}

/// The crates whose events are the AWS SDK's internals.
const SDK_TARGETS: [&str; 7] = [
    "aws_config",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_sdk_eks",
    "aws_sdk_iam",
    "aws_sdk_sts",
];

/// Whether an event is the SDK's: anything that is not the provider's own (or tf-provider's).
fn is_sdk(target: &str) -> bool {
    ![
        "podidentity",
        "terraform_provider_podidentity",
        "tf_provider",
    ]
    .iter()
    .any(|own| {
        target
            .strip_prefix(own)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

/// The per-target filter for a requested level: the SDK's internals only at TRACE (below it,
/// only its warnings and errors).
pub fn targets(level: Level) -> Targets {
    let sdk = if level == Level::TRACE {
        LevelFilter::TRACE
    } else {
        std::cmp::min(LevelFilter::from_level(level), LevelFilter::WARN)
    };
    SDK_TARGETS
        .iter()
        .fold(Targets::new(), |targets, crate_name| {
            targets.with_target(*crate_name, sdk)
        })
        .with_target("podidentity", level)
        .with_target("terraform_provider_podidentity", level)
        .with_target("tf_provider", level)
        .with_target("aws_sigv4", LevelFilter::OFF)
        .with_target("aws_runtime", LevelFilter::OFF)
}

/// Install the global subscriber: the hclog lines Terraform reads, when it asked for them, and
/// always the layer that notices Terraform's stop request ([`StopRequestLayer`]). tf-provider
/// installs its own subscriber when `PLUGIN_LOG_FILE` is set, in which case we leave logging to
/// it (a second global subscriber would panic) and only SIGINT stops the provider.
pub fn init() {
    if std::env::var_os("PLUGIN_LOG_FILE").is_some() {
        return;
    }
    let level = level_from_env(
        std::env::var("TF_LOG_PROVIDER").ok().as_deref(),
        std::env::var("TF_LOG").ok().as_deref(),
    );
    redact::remember_environment();
    let _ = subscriber(level, stop_signal().clone()).try_init();
}

/// The subscriber [`init`] installs, for `level` (none: no log lines).
fn subscriber(level: Option<Level>, stop: StopSignal) -> impl Subscriber + Send + Sync {
    // With no level, a filter that enables nothing rather than no layer: a missing (`None`)
    // layer is interested in everything, and the registry would then record every span the
    // SDK opens (several per AWS call) for no one to read: 8% of the provider's CPU time
    // refreshing 1,000 associations.
    let hclog = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .event_format(HclogFormat)
        .with_filter(level.map_or_else(Targets::new, targets));
    let stop = StopRequestLayer(stop).with_filter(StopRequestLayer::filter());
    tracing_subscriber::registry().with(hclog).with(stop)
}

/// Formats one event as one hclog JSON line.
struct HclogFormat;

impl<S, N> FormatEvent<S, N> for HclogFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        writeln!(writer, "{}", hclog_line(event))
    }
}

fn hclog_line(event: &Event<'_>) -> String {
    let meta = event.metadata();
    let mut fields = FieldCollector::default();
    event.record(&mut fields);
    let mut line = Map::new();
    line.insert(
        "@level".into(),
        Value::from(hclog_level(meta.target(), *meta.level())),
    );
    line.insert(
        "@message".into(),
        Value::from(fields.message.unwrap_or_default()),
    );
    line.insert("@module".into(), Value::from(meta.target()));
    line.insert(
        "@timestamp".into(),
        Value::from(hclog_timestamp(time::OffsetDateTime::now_utc())),
    );
    for (key, value) in fields.rest {
        line.insert(key, value);
    }
    redact::scrub(&Value::Object(line).to_string())
}

/// hclog's level name; the SDK's internals are all `trace` (their warnings and errors aside).
fn hclog_level(target: &str, level: Level) -> &'static str {
    match level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        _ if is_sdk(target) => "trace",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

/// The timestamp as hclog writes and go-plugin parses it: `2006-01-02T15:04:05.000000Z07:00`,
/// exactly six digits of fraction (with nine, Terraform cannot parse the line and shows it raw
/// at DEBUG).
fn hclog_timestamp(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

#[derive(Default)]
struct FieldCollector {
    message: Option<String>,
    rest: Vec<(String, Value)>,
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}

impl FieldCollector {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.rest.push((field.name().to_string(), value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the span `open` opens is recorded under the subscriber for `level`.
    fn recorded(level: Option<Level>, open: impl FnOnce() -> tracing::Span) -> bool {
        tracing::subscriber::with_default(subscriber(level, StopSignal::default()), || {
            !open().is_disabled()
        })
    }

    fn sdk_span() -> tracing::Span {
        tracing::info_span!(target: "aws_smithy_runtime::client::orchestrator", "invoke")
    }

    /// A request span as tower-http's trace layer opens it for each gRPC request.
    fn request_span() -> tracing::Span {
        tracing::debug_span!(target: "tower_http::trace::make_span", "request")
    }

    #[test]
    fn without_a_level_the_sdks_spans_are_not_recorded() {
        assert!(!recorded(None, sdk_span));
        assert!(recorded(Some(Level::TRACE), sdk_span));
    }

    #[test]
    fn the_request_spans_the_stop_layer_reads_are_recorded_at_every_level() {
        assert!(recorded(None, request_span));
        assert!(recorded(Some(Level::WARN), request_span));
    }

    #[test]
    fn provider_level_wins_over_global_level() {
        assert_eq!(
            level_from_env(Some("debug"), Some("trace")),
            Some(Level::DEBUG)
        );
        assert_eq!(level_from_env(None, Some("WARN")), Some(Level::WARN));
        assert_eq!(level_from_env(Some(""), Some("info")), Some(Level::INFO));
        assert_eq!(level_from_env(None, None), None);
        assert_eq!(level_from_env(Some("off"), None), None);
        assert_eq!(level_from_env(None, Some("json")), Some(Level::TRACE));
        assert_eq!(level_from_env(None, Some("chatty")), Some(Level::TRACE));
    }

    #[test]
    fn signing_crate_is_never_logged() {
        let filter = targets(Level::TRACE);
        assert!(!filter.would_enable("aws_sigv4::http_request", &Level::ERROR));
        assert!(filter.would_enable("aws_smithy_runtime::client", &Level::TRACE));
        assert!(filter.would_enable("podidentity::eks", &Level::TRACE));
        assert!(!filter.would_enable("hyper::proto", &Level::ERROR));
    }

    #[test]
    fn sdk_internals_only_at_trace() {
        let debug = targets(Level::DEBUG);
        assert!(!debug.would_enable("aws_smithy_runtime::client::orchestrator", &Level::DEBUG));
        assert!(!debug.would_enable("aws_config::meta::credentials", &Level::INFO));
        assert!(debug.would_enable("aws_config::profile", &Level::WARN));
        assert!(debug.would_enable("podidentity::aws", &Level::DEBUG));
        assert!(!targets(Level::INFO).would_enable("podidentity::aws", &Level::DEBUG));
        assert_eq!(
            hclog_level("aws_smithy_runtime::client", Level::DEBUG),
            "trace"
        );
        assert_eq!(hclog_level("aws_config", Level::WARN), "warn");
        assert_eq!(hclog_level("podidentity::aws", Level::DEBUG), "debug");
        assert_eq!(hclog_level("podidentity", Level::INFO), "info");
        assert_eq!(
            hclog_level("aws_smithy_runtime_api::client", Level::DEBUG),
            "trace"
        );
    }

    #[test]
    fn timestamps_have_exactly_microseconds() {
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789)
            .expect("a valid instant");
        assert_eq!(hclog_timestamp(at), "2023-11-14T22:13:20.123456Z");
        let whole = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("valid");
        assert_eq!(hclog_timestamp(whole), "2023-11-14T22:13:20.000000Z");
    }
}
