//! The add-on operations: CreateAddon, DescribeAddon, UpdateAddon, DeleteAddon, ListAddons,
//! DescribeUpdate (add-on updates), DescribeAddonVersions and DescribeAddonConfiguration.

use std::collections::hash_map::Entry;
use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::associations::role_in_iam;
use super::extract::{JsonBody, Label, QueryParams};
use super::in_cluster;
use crate::catalog;
use crate::error::{ApiError, ErrorKind};
use crate::regions::SignedRegion;
use crate::state::{Emulator, Inner};
use crate::world::{AddonVersionsFilter, CreateAddonRequest, RolesInIam, UpdateAddonRequest};

pub async fn create(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label(cluster): Label<String>,
    JsonBody(request): JsonBody<CreateAddonRequest>,
) -> Result<Json<Value>, ApiError> {
    let roles = roles_in_iam(&emulator, request.roles()).await?;
    let Inner { worlds, faults, .. } = &mut *emulator.lock();
    let world = worlds.of(&region);
    let result = world.create_addon(&cluster, request, faults, &roles);
    let addon = in_cluster(&cluster, result)?;
    Ok(Json(json!({ "addon": addon })))
}

pub async fn list(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label(cluster): Label<String>,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = query.page();
    let result = emulator
        .lock()
        .worlds
        .of(&region)
        .list_addons(&cluster, page);
    in_cluster(&cluster, result).map(Json)
}

pub async fn describe(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label((cluster, addon)): Label<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let result = emulator
        .lock()
        .worlds
        .of(&region)
        .describe_addon(&cluster, &addon);
    let addon = in_cluster(&cluster, result)?;
    Ok(Json(json!({ "addon": addon })))
}

pub async fn update(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label((cluster, addon)): Label<(String, String)>,
    JsonBody(request): JsonBody<UpdateAddonRequest>,
) -> Result<Json<Value>, ApiError> {
    let roles = roles_in_iam(&emulator, request.roles()).await?;
    let Inner { worlds, faults, .. } = &mut *emulator.lock();
    let world = worlds.of(&region);
    let result = world.update_addon(&cluster, &addon, request, faults, &roles);
    let update = in_cluster(&cluster, result)?;
    Ok(Json(json!({ "update": update })))
}

/// `preserve` is a boolean query parameter (`true`/`false`); absent means false.
pub async fn delete(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label((cluster, addon)): Label<(String, String)>,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let preserve = match query.value("preserve") {
        None => false,
        Some(value) => value.parse::<bool>().map_err(|_| {
            ApiError::invalid_parameter(format!("preserve must be true or false, not {value:?}."))
        })?,
    };
    let result = emulator
        .lock()
        .worlds
        .of(&region)
        .delete_addon(&cluster, &addon, preserve);
    let addon = in_cluster(&cluster, result)?;
    Ok(Json(json!({ "addon": addon })))
}

pub async fn describe_update(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label((cluster, update_id)): Label<(String, String)>,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let addon = query.value("addonName").filter(|a| !a.is_empty());
    let result = emulator
        .lock()
        .worlds
        .of(&region)
        .describe_update(&cluster, &update_id, addon);
    let update = in_cluster(&cluster, result)?;
    Ok(Json(json!({ "update": update })))
}

pub async fn describe_versions(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let value = |key| {
        query
            .value(key)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let filter = AddonVersionsFilter {
        kubernetes_version: value("kubernetesVersion"),
        addon_name: value("addonName"),
        types: query.values("types"),
        publishers: query.values("publishers"),
        owners: query.values("owners"),
    };
    let page = query.page();
    let mut inner = emulator.lock();
    inner
        .worlds
        .of(&region)
        .describe_addon_versions(&filter, page)
        .map(Json)
}

/// Both query parameters are required. The API reference lists InvalidParameterException and
/// ResourceNotFoundException without saying which answers what: the emulator answers an add-on
/// it does not know with ResourceNotFoundException and a version the add-on does not have with
/// InvalidParameterException.
pub async fn describe_configuration(query: QueryParams) -> Result<Json<Value>, ApiError> {
    let required = |key: &str| {
        query
            .value(key)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::invalid_parameter(format!("{key} is required.")))
    };
    let (name, version) = (required("addonName")?, required("addonVersion")?);
    let addon = catalog::addon(name).ok_or_else(|| {
        ApiError::new(
            ErrorKind::ResourceNotFound,
            format!("No addon found for name: {name}"),
        )
        .with_addon(name)
    })?;
    let version = addon.version(version).ok_or_else(|| {
        ApiError::invalid_parameter("Addon version specified is not supported").with_addon(name)
    })?;
    Ok(Json(addon.configuration(version)))
}

/// What IAM says about each role the request names (see
/// [`role_in_iam`](super::associations::role_in_iam)).
async fn roles_in_iam(emulator: &Emulator, roles: Vec<String>) -> Result<RolesInIam, ApiError> {
    let mut answers = RolesInIam::new();
    for role in roles {
        if let Entry::Vacant(entry) = answers.entry(role) {
            let answer = role_in_iam(emulator, Some(entry.key())).await?;
            entry.insert(answer);
        }
    }
    Ok(answers)
}
