//! The one adapter between tf-provider's `Resource` / `DataSource` traits and this provider's
//! resources: it fetches the configured AWS context, runs validation before anything else,
//! records whatever part of a create or update succeeded, and turns every error into a
//! diagnostic. Each resource only says what it does ([`ManagedResource`], [`Lookup`]).

use std::collections::BTreeMap;
use std::marker::PhantomData;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostics, Resource};

use crate::aws::{AwsContext, Configured};
use crate::diagnostics::{report, report_all, warn};
use crate::error::Error;
use crate::validate::Problems;

/// A warning to show with a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub summary: String,
    pub detail: String,
}

/// What a managed resource does; [`Managed`] makes it a Terraform resource.
#[async_trait]
pub trait ManagedResource: Send + Sync + 'static {
    type State: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync;

    fn schema() -> Schema;

    /// Checks that need no AWS call. Unknown values are skipped: they are checked again when
    /// Terraform plans with them known.
    fn validate(config: &Self::State, defaults: &BTreeMap<String, String>) -> Problems;

    /// Plan-time checks that need the configured provider (its account, say).
    fn validate_with_context(_config: &Self::State, _ctx: &AwsContext) -> Problems {
        Problems::default()
    }

    /// The planned state, and the attributes whose change forces a replacement. `prior` is
    /// `None` for a create. An error refuses the plan.
    fn plan(
        prior: Option<&Self::State>,
        proposed: Self::State,
        config: &Self::State,
        defaults: &BTreeMap<String, String>,
    ) -> Result<(Self::State, Vec<AttributePath>), Error>;

    /// The object as it is now; `None` when it no longer exists.
    async fn read(ctx: &AwsContext, state: &Self::State) -> Result<Option<Self::State>, Error>;

    /// The warning shown when a refresh finds the object gone: (summary, detail).
    fn gone(state: &Self::State) -> (String, String);

    /// Create; the state is `Some` whenever the object was created, even if a later step failed.
    async fn create(
        ctx: &AwsContext,
        planned: &Self::State,
    ) -> (Option<Self::State>, Result<(), Error>);

    /// Update; the state records whatever part of the update succeeded.
    async fn update(
        ctx: &AwsContext,
        prior: &Self::State,
        planned: &Self::State,
    ) -> (Self::State, Result<(), Error>);

    /// Checks before a destroy is planned: warnings to show, or an error to refuse.
    async fn plan_destroy(_ctx: &AwsContext, _prior: &Self::State) -> Result<Vec<Warning>, Error> {
        Ok(vec![])
    }

    /// Delete; an object already gone is deleted.
    async fn delete(ctx: &AwsContext, state: &Self::State) -> Result<(), Error>;

    /// The state of an existing object from its import ID.
    async fn import(ctx: &AwsContext, id: &str) -> Result<Self::State, Error>;
}

/// A [`ManagedResource`] as a tf-provider `Resource`.
pub struct Managed<R> {
    configured: Configured,
    _resource: PhantomData<fn() -> R>,
}

impl<R> Managed<R> {
    pub fn new(configured: Configured) -> Self {
        Managed {
            configured,
            _resource: PhantomData,
        }
    }
}

impl<R: ManagedResource> Managed<R> {
    /// The plan for a create (`prior` is `None`) or an update: everything checkable at plan
    /// time first (values unknown at validate may be known now), then [`ManagedResource::plan`].
    /// Reports and gives `None` when anything is wrong.
    fn planned(
        &self,
        diags: &mut Diagnostics,
        prior: Option<&R::State>,
        proposed: R::State,
        config: &R::State,
    ) -> Option<(R::State, Vec<AttributePath>)> {
        let defaults = self.configured.default_tags();
        let mut problems = R::validate(config, &defaults);
        if let Ok(ctx) = self.configured.get() {
            problems.0.extend(R::validate_with_context(config, &ctx).0);
        }
        if !problems.is_empty() {
            report_all(diags, &problems.0);
            return None;
        }
        reported(diags, R::plan(prior, proposed, config, &defaults))
    }
}

/// The second half of `result` as a diagnostic (and a log line); the first half as it is.
fn recorded<T>(
    diags: &mut Diagnostics,
    what: &'static str,
    operation: &'static str,
    (value, result): (T, Result<(), Error>),
) -> T {
    match result {
        Ok(()) => {
            tracing::debug!(target: "podidentity::resource", resource = what, "{operation} done")
        }
        Err(err) => {
            tracing::warn!(target: "podidentity::resource", resource = what, "{operation} failed: {err}");
            report(diags, &err);
        }
    }
    value
}

/// The value, or `None` with the error reported.
fn reported<T>(diags: &mut Diagnostics, result: Result<T, Error>) -> Option<T> {
    result.map_err(|err| report(diags, &err)).ok()
}

/// The short type name of a resource, for logs.
fn short_name<R>() -> &'static str {
    let full = std::any::type_name::<R>();
    full.rsplit("::").next().unwrap_or(full)
}

#[async_trait]
impl<R: ManagedResource> Resource for Managed<R> {
    type State<'a> = R::State;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(R::schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        report_all(diags, &R::validate(&config, &BTreeMap::new()).0);
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: Self::State<'a>,
        private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let Some(ctx) = self.configured.get_or_report(diags) else {
            return Some((state, private_state));
        };
        match R::read(&ctx, &state).await {
            Ok(Some(current)) => Some((current, private_state)),
            Ok(None) => {
                let (summary, detail) = R::gone(&state);
                warn(diags, summary, detail, None);
                // A null state removes the object from the state.
                None
            }
            Err(err) => {
                // Keep the state as it was: a failed refresh must not forget the object.
                report(diags, &err);
                Some((state, private_state))
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        self.planned(diags, None, proposed_state, &config_state)
            .map(|(planned, _)| (planned, Value::Null))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>, Vec<AttributePath>)> {
        self.planned(diags, Some(&prior_state), proposed_state, &config_state)
            .map(|(planned, replace)| (planned, prior_private_state, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        let ctx = self.configured.get_or_report(diags)?;
        let warnings = reported(diags, R::plan_destroy(&ctx, &prior_state).await)?;
        for w in warnings {
            warn(diags, w.summary, w.detail, None);
        }
        Some(prior_private_state)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.configured.get_or_report(diags)?;
        let created = R::create(&ctx, &planned_state).await;
        recorded(diags, short_name::<R>(), "create", created)
            .map(|state| (state, planned_private_state))
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.configured.get_or_report(diags)?;
        let state = recorded(
            diags,
            short_name::<R>(),
            "update",
            R::update(&ctx, &prior_state, &planned_state).await,
        );
        Some((state, planned_private_state))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        _planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        let ctx = self.configured.get_or_report(diags)?;
        let result = R::delete(&ctx, &prior_state).await;
        let failed = result.is_err();
        recorded(diags, short_name::<R>(), "delete", ((), result));
        (!failed).then_some(())
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.configured.get_or_report(diags)?;
        reported(diags, R::import(&ctx, &id).await).map(|state| (state, Value::Null))
    }
}

/// What a data source does; [`LookupDataSource`] makes it a Terraform data source.
#[async_trait]
pub trait Lookup: Send + Sync + 'static {
    type State: Serialize + DeserializeOwned + Send + Sync;

    fn schema() -> Schema;

    /// Checks of the arguments that need no AWS call; unknown values are skipped.
    fn validate(config: &Self::State) -> Problems;

    /// The configuration with its computed attributes filled in.
    async fn read(ctx: &AwsContext, config: Self::State) -> Result<Self::State, Error>;
}

/// A [`Lookup`] as a tf-provider `DataSource`.
pub struct LookupDataSource<L> {
    configured: Configured,
    _lookup: PhantomData<fn() -> L>,
}

impl<L> LookupDataSource<L> {
    pub fn new(configured: Configured) -> Self {
        LookupDataSource {
            configured,
            _lookup: PhantomData,
        }
    }
}

#[async_trait]
impl<L: Lookup> DataSource for LookupDataSource<L> {
    type State<'a> = L::State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(L::schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        report_all(diags, &L::validate(&config).0);
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::State<'a>> {
        let problems = L::validate(&config);
        if !problems.is_empty() {
            report_all(diags, &problems.0);
            return None;
        }
        let ctx = self.configured.get_or_report(diags)?;
        reported(diags, L::read(&ctx, config).await)
    }
}
