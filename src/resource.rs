//! The one adapter between tf-provider's `Resource` / `DataSource` traits and this provider's
//! resources: it fetches the configured AWS context, runs the declared checks and plan rules
//! (see [`crate::rules`]) before anything else, records whatever part of a create or update
//! succeeded, and turns every error into a diagnostic. Each resource only says what it is and
//! what it does ([`ManagedResource`], [`Lookup`]).

pub mod region;

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tf_provider::schema::{NestedBlock, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{
    AttributePath, DataSource, Diagnostics, DynamicDataSource, DynamicResource, Resource,
};

use crate::aws::{AwsContext, Configured};
use crate::diagnostics::{report, report_all, warn};
use crate::error::Error;
use crate::rules;
use crate::schema::{block, field_names, schema, Attr};
use crate::validate::Problems;

/// A warning to show with a plan or an apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub summary: String,
    pub detail: String,
}

/// What a create or an update did.
#[derive(Debug)]
pub struct Applied<S> {
    /// The state to record: what exists, even when a later step failed.
    pub state: S,
    /// The first error.
    pub result: Result<(), Error>,
    /// What Terraform should tell about it (an object recovered after its answer was lost).
    pub warnings: Vec<Warning>,
}

impl<S> Applied<S> {
    pub fn new(state: S, result: Result<(), Error>) -> Self {
        Applied {
            state,
            result,
            warnings: Vec::new(),
        }
    }

    pub fn with_warnings(mut self, warnings: Vec<Warning>) -> Self {
        self.warnings.extend(warnings);
        self
    }
}

/// What a managed resource is and does; [`Managed`] makes it a Terraform resource.
#[async_trait]
pub trait ManagedResource: Send + Sync + 'static {
    /// The state, one field per schema attribute.
    type State: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync;

    /// The type name without the provider's `aws_` prefix.
    const NAME: &'static str;
    /// What the resource is, in markdown.
    const DESCRIPTION: &'static str;
    /// The state's schema version. Keep it at 0, the version hashicorp/aws records for its
    /// resources of the same name: at equal versions Terraform itself drops the attributes a
    /// prior state has and the schema lacks and reads the ones it lacks as null (`owner_arn` in
    /// a hashicorp/aws v5 state, `region` too), then tf-provider hands the state over as it is;
    /// read fills in what is null. So hashicorp/aws v6's `region` is kept, and a v5 state gets
    /// the provider's. A different version would send every such state to tf-provider's upgrade
    /// hook, which a resource outside tf-provider 0.2.2 cannot implement (its argument type is
    /// private to that crate): the upgrade would fail.
    const SCHEMA_VERSION: i64 = 0;

    /// Every attribute with its check and plan rules (replace, default, use state for unknown,
    /// conflicts), applied by [`Managed`] before anything below.
    fn attributes() -> Vec<Attr>;

    /// Nested blocks (such as `timeouts`), each a field of the state too.
    fn blocks() -> Vec<(&'static str, NestedBlock)> {
        Vec::new()
    }

    /// The `region` of an object that lives in one AWS region ([`region::attribute`]), which
    /// chooses the context every call for it gets; `None` for a global (IAM) one.
    fn region(_state: &Self::State) -> Option<&Value<String>> {
        None
    }

    /// The same, to fill in.
    fn region_mut(_state: &mut Self::State) -> Option<&mut Value<String>> {
        None
    }

    /// Checks across attributes that need no AWS call. Unknown values are skipped: they are
    /// checked again when Terraform plans with them known.
    fn validate(_config: &Self::State, _defaults: &BTreeMap<String, String>) -> Problems {
        Problems::default()
    }

    /// Plan-time checks that need the configured provider (its account, say).
    fn validate_with_context(_config: &Self::State, _ctx: &AwsContext) -> Problems {
        Problems::default()
    }

    /// The plan once the declared rules are applied: what they cannot say (values derived
    /// from other attributes, equivalent documents kept as they were). `prior` is `None` for a
    /// create. An error refuses the plan.
    fn plan(
        _prior: Option<&Self::State>,
        planned: Self::State,
        _config: &Self::State,
        _defaults: &BTreeMap<String, String>,
    ) -> Result<Self::State, Error> {
        Ok(planned)
    }

    /// Plan-time checks that need AWS calls, made once the plan is known (and again when
    /// Terraform plans once more at apply, with values that were unknown before): warnings to
    /// show, or an error to refuse the plan. `replacing` is true when the plan replaces the
    /// object.
    async fn check_plan(
        _ctx: &AwsContext,
        _prior: Option<&Self::State>,
        _planned: &Self::State,
        _replacing: bool,
    ) -> Result<Vec<Warning>, Error> {
        Ok(vec![])
    }

    /// The object as it is now; `None` when it no longer exists.
    async fn read(ctx: &AwsContext, state: &Self::State) -> Result<Option<Self::State>, Error>;

    /// The warning shown when a refresh finds the object gone: (summary, detail).
    fn gone(state: &Self::State) -> (String, String);

    /// What the object is, in the words of the log lines that report its create, update and
    /// delete (`shop-blue/app/app-sa`, a role's name).
    fn target(_state: &Self::State) -> String {
        String::new()
    }

    /// Create; the state is `Some` whenever the object was created, even if a later step failed
    /// or the answer to the create was lost.
    async fn create(ctx: &AwsContext, planned: &Self::State) -> Applied<Option<Self::State>>;

    /// Update; the state records whatever part of the update succeeded.
    async fn update(
        ctx: &AwsContext,
        prior: &Self::State,
        planned: &Self::State,
    ) -> Applied<Self::State>;

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
    attributes: Vec<Attr>,
    _resource: PhantomData<fn() -> R>,
}

/// Every check of a configuration that needs no AWS call: the declared ones, then the
/// resource's own.
pub fn problems<R: ManagedResource>(
    attributes: &[Attr],
    config: &R::State,
    defaults: &BTreeMap<String, String>,
) -> Problems {
    let mut problems =
        rules::check(attributes, config, defaults).unwrap_or_else(|err| Problems(vec![err]));
    problems.0.extend(R::validate(config, defaults).0);
    problems
}

/// The plan of a create (`prior` is `None`) or an update: the declared rules, then
/// [`ManagedResource::plan`]; with the attributes whose change replaces the object.
pub fn plan<R: ManagedResource>(
    attributes: &[Attr],
    prior: Option<&R::State>,
    proposed: R::State,
    config: &R::State,
    defaults: &BTreeMap<String, String>,
) -> Result<(R::State, Vec<AttributePath>), Error> {
    let (planned, replace) = rules::plan(attributes, prior, proposed, config)?;
    Ok((R::plan(prior, planned, config, defaults)?, replace))
}

impl<R: ManagedResource> Managed<R> {
    pub fn new(configured: Configured) -> Self {
        Managed {
            configured,
            attributes: R::attributes(),
            _resource: PhantomData,
        }
    }

    /// The plan for a create (`prior` is `None`) or an update: everything checkable at plan
    /// time first (values unknown at validate may be known now), then [`plan`]. Reports and
    /// gives `None` when anything is wrong.
    fn planned(
        &self,
        diags: &mut Diagnostics,
        prior: Option<&R::State>,
        mut proposed: R::State,
        config: &R::State,
    ) -> Option<(R::State, Vec<AttributePath>)> {
        let defaults = self.configured.default_tags();
        let mut problems = problems::<R>(&self.attributes, config, &defaults);
        let mut config = config.clone();
        let mut prior = prior.cloned();
        if let Ok(ctx) = self.configured.get() {
            problems
                .0
                .extend(region::problems(R::region(&config), &ctx).0);
            let ctx = region::context(&ctx, R::region(&config));
            problems.0.extend(R::validate_with_context(&config, &ctx).0);
            // A region left out is the provider's, as if written: planned as such, and a
            // change of the provider's region replaces the object. A prior state without one
            // (hashicorp/aws v5's, not refreshed) is in the provider's region.
            if R::region(&config).is_some_and(Value::is_null) {
                region::fill(R::region_mut(&mut config), &ctx.region);
                // Terraform proposes the prior region; the provider's is the one meant.
                if let Some(slot) = R::region_mut(&mut proposed) {
                    *slot = Value::Value(ctx.region.clone());
                }
                if let Some(prior) = prior.as_mut() {
                    region::fill(R::region_mut(prior), &ctx.region);
                }
            }
        }
        if !problems.is_empty() {
            report_all(diags, &problems.0);
            return None;
        }
        reported(
            diags,
            plan::<R>(
                &self.attributes,
                prior.as_ref(),
                proposed,
                &config,
                &defaults,
            ),
        )
    }

    /// The configured context, for the region of `state`; `None` with an error reported
    /// while the provider is not configured.
    fn context(&self, diags: &mut Diagnostics, state: &R::State) -> Option<Arc<AwsContext>> {
        let ctx = self.configured.get_or_report(diags)?;
        Some(region::context(&ctx, R::region(state)))
    }

    /// Whether the resource has a `region` (and its import IDs an `@region` suffix).
    fn is_regional(&self) -> bool {
        self.attributes.iter().any(|a| a.name == "region")
    }

    /// [`ManagedResource::check_plan`] with its warnings and error reported; `false` refuses
    /// the plan. Skipped while the provider is not configured (its configuration has values
    /// known only after apply).
    async fn checked(
        &self,
        diags: &mut Diagnostics,
        prior: Option<&R::State>,
        planned: &R::State,
        replacing: bool,
    ) -> bool {
        let Ok(ctx) = self.configured.get() else {
            return true;
        };
        let ctx = region::context(&ctx, R::region(planned));
        match R::check_plan(&ctx, prior, planned, replacing).await {
            Ok(warnings) => {
                for w in warnings {
                    tracing::warn!(target: "podidentity::resource", resource = R::NAME, "plan: {}", w.summary);
                    warn(diags, w.summary, w.detail, None);
                }
                true
            }
            Err(err) => {
                report(diags, &err);
                false
            }
        }
    }
}

/// The warnings and the error of `applied` as diagnostics (and log lines); its state as it is.
/// `done` is the past tense of the operation ("created"), `target` what it was done to.
fn recorded<T>(
    diags: &mut Diagnostics,
    what: &'static str,
    done: &'static str,
    target: &str,
    applied: Applied<T>,
) -> T {
    for w in applied.warnings {
        tracing::warn!(target: "podidentity::resource", resource = what, aws_target = target, "{what} {target}: {}", w.summary);
        warn(diags, w.summary, w.detail, None);
    }
    match applied.result {
        Ok(()) => {
            tracing::info!(target: "podidentity::resource", resource = what, aws_target = target, "{done} {what} {target}")
        }
        Err(err) => {
            tracing::warn!(target: "podidentity::resource", resource = what, aws_target = target, "{what} {target} not {done}: {err}");
            report(diags, &err);
        }
    }
    applied.state
}

/// The value, or `None` with the error reported.
fn reported<T>(diags: &mut Diagnostics, result: Result<T, Error>) -> Option<T> {
    result.map_err(|err| report(diags, &err)).ok()
}

#[async_trait]
impl<R: ManagedResource> Resource for Managed<R> {
    type State<'a> = R::State;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(Schema {
            version: R::SCHEMA_VERSION,
            block: block(R::DESCRIPTION, &self.attributes, R::blocks()),
        })
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        report_all(
            diags,
            &problems::<R>(&self.attributes, &config, &BTreeMap::new()).0,
        );
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
        let ctx = region::context(&ctx, R::region(&state));
        match R::read(&ctx, &state).await {
            Ok(Some(mut current)) => {
                region::fill(R::region_mut(&mut current), &ctx.region);
                Some((current, private_state))
            }
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
        let (planned, _) = self.planned(diags, None, proposed_state, &config_state)?;
        self.checked(diags, None, &planned, false)
            .await
            .then_some((planned, Value::Null))
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
        let (planned, replace) =
            self.planned(diags, Some(&prior_state), proposed_state, &config_state)?;
        self.checked(diags, Some(&prior_state), &planned, !replace.is_empty())
            .await
            .then_some((planned, prior_private_state, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        let ctx = self.context(diags, &prior_state)?;
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
        let ctx = self.context(diags, &planned_state)?;
        let mut created = R::create(&ctx, &planned_state).await;
        if let Some(state) = created.state.as_mut() {
            region::fill(R::region_mut(state), &ctx.region);
        }
        let target = R::target(created.state.as_ref().unwrap_or(&planned_state));
        recorded(diags, R::NAME, "created", &target, created)
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
        let ctx = self.context(diags, &prior_state)?;
        let state = recorded(
            diags,
            R::NAME,
            "updated",
            &R::target(&prior_state),
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
        let ctx = self.context(diags, &prior_state)?;
        let result = R::delete(&ctx, &prior_state).await;
        let failed = result.is_err();
        recorded(
            diags,
            R::NAME,
            "deleted",
            &R::target(&prior_state),
            Applied::new((), result),
        );
        (!failed).then_some(())
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.configured.get_or_report(diags)?;
        let (id, region) = if self.is_regional() {
            reported(diags, region::split_import_id(&id, &ctx))?
        } else {
            (id.as_str(), None)
        };
        let ctx = ctx.in_region(region);
        let mut state = reported(diags, R::import(&ctx, id).await)?;
        region::fill(R::region_mut(&mut state), &ctx.region);
        Some((state, Value::Null))
    }
}

/// What a data source is and does; [`LookupDataSource`] makes it a Terraform data source.
#[async_trait]
pub trait Lookup: Send + Sync + 'static {
    /// The configuration and result, one field per schema attribute.
    type State: Serialize + DeserializeOwned + Send + Sync;

    /// The type name without the provider's `aws_` prefix.
    const NAME: &'static str;
    /// What the data source finds, in markdown.
    const DESCRIPTION: &'static str;

    /// Every attribute with its check.
    fn attributes() -> Vec<Attr>;

    /// The `region` to look in, as [`ManagedResource::region`].
    fn region(_config: &Self::State) -> Option<&Value<String>> {
        None
    }

    /// The same, to fill in.
    fn region_mut(_config: &mut Self::State) -> Option<&mut Value<String>> {
        None
    }

    /// The configuration with its computed attributes filled in.
    async fn read(ctx: &AwsContext, config: Self::State) -> Result<Self::State, Error>;
}

/// A [`Lookup`] as a tf-provider `DataSource`.
pub struct LookupDataSource<L> {
    configured: Configured,
    attributes: Vec<Attr>,
    _lookup: PhantomData<fn() -> L>,
}

impl<L: Lookup> LookupDataSource<L> {
    pub fn new(configured: Configured) -> Self {
        LookupDataSource {
            configured,
            attributes: L::attributes(),
            _lookup: PhantomData,
        }
    }

    fn problems(&self, config: &L::State) -> Problems {
        rules::check(&self.attributes, config, &BTreeMap::new())
            .unwrap_or_else(|err| Problems(vec![err]))
    }
}

#[async_trait]
impl<L: Lookup> DataSource for LookupDataSource<L> {
    type State<'a> = L::State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(0, L::DESCRIPTION, &self.attributes))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        report_all(diags, &self.problems(&config).0);
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::State<'a>> {
        let mut problems = self.problems(&config);
        let ctx = self.configured.get_or_report(diags)?;
        problems
            .0
            .extend(region::problems(L::region(&config), &ctx).0);
        if !problems.is_empty() {
            report_all(diags, &problems.0);
            return None;
        }
        let ctx = region::context(&ctx, L::region(&config));
        let mut found = reported(diags, L::read(&ctx, config).await)?;
        region::fill(L::region_mut(&mut found), &ctx.region);
        Some(found)
    }
}

/// A resource or data source type as the provider serves it; `S` is tf-provider's
/// `dyn DynamicResource` or `dyn DynamicDataSource`.
pub struct ServedType<S: ?Sized> {
    /// The type name without the provider's `aws_` prefix.
    pub name: &'static str,
    pub serve: fn(Configured) -> Box<S>,
    /// The declared attributes, and the state's field names: the two name the same set.
    pub attributes: fn() -> Vec<Attr>,
    pub state_fields: fn() -> Vec<&'static str>,
    /// The names of the nested blocks, also fields of the state.
    pub blocks: fn() -> Vec<&'static str>,
}

pub type ResourceType = ServedType<dyn DynamicResource>;
pub type DataSourceType = ServedType<dyn DynamicDataSource>;

impl ResourceType {
    pub const fn of<R: ManagedResource>() -> Self {
        ServedType {
            name: R::NAME,
            serve: serve_resource::<R>,
            attributes: R::attributes,
            state_fields: field_names::<R::State>,
            blocks: block_names::<R>,
        }
    }
}

impl DataSourceType {
    pub const fn of<L: Lookup>() -> Self {
        ServedType {
            name: L::NAME,
            serve: serve_data_source::<L>,
            attributes: L::attributes,
            state_fields: field_names::<L::State>,
            blocks: Vec::new,
        }
    }
}

fn block_names<R: ManagedResource>() -> Vec<&'static str> {
    R::blocks().into_iter().map(|(name, _)| name).collect()
}

fn serve_resource<R: ManagedResource>(configured: Configured) -> Box<dyn DynamicResource> {
    Box::new(Managed::<R>::new(configured))
}

fn serve_data_source<L: Lookup>(configured: Configured) -> Box<dyn DynamicDataSource> {
    Box::new(LookupDataSource::<L>::new(configured))
}
