//! Client request tokens of CreateAddon and UpdateAddon: a repeated token replays what its first
//! request produced (the add-on or update as it stands now), as long as the request is the same.

use super::model::{Addon, AddonUpdate, CreateAddonRequest, UpdateAddonRequest};
use crate::error::ApiError;
use crate::operation::Operation;
use crate::world::World;

/// Tokens are scoped to operation, cluster and add-on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(in crate::world) struct AddonTokenKey {
    operation: Operation,
    pub(in crate::world) cluster: String,
    addon: String,
    token: String,
}

impl AddonTokenKey {
    /// Takes the token out of the request (so that it is no part of the request's fingerprint);
    /// the key it is kept under, if it was given and not empty.
    pub(in crate::world) fn take(
        operation: Operation,
        cluster: &str,
        addon: &str,
        token: &mut Option<String>,
    ) -> Option<Self> {
        let token = token.take().filter(|t| !t.is_empty())?;
        Some(AddonTokenKey {
            operation,
            cluster: cluster.to_owned(),
            addon: addon.to_owned(),
            token,
        })
    }
}

/// The request a token was first used with (token removed) and what it produced.
#[derive(Debug, Clone)]
pub(in crate::world) enum AddonTokenRecord {
    Create {
        request: Box<CreateAddonRequest>,
        addon: Box<Addon>,
    },
    Update {
        request: Box<UpdateAddonRequest>,
        update: Box<AddonUpdate>,
    },
}

impl AddonTokenRecord {
    pub(super) fn create(request: CreateAddonRequest, addon: &Addon) -> Self {
        AddonTokenRecord::Create {
            request: Box::new(request),
            addon: Box::new(addon.clone()),
        }
    }

    pub(super) fn update(request: UpdateAddonRequest, update: &AddonUpdate) -> Self {
        AddonTokenRecord::Update {
            request: Box::new(request),
            update: Box::new(update.clone()),
        }
    }
}

impl World {
    /// A repeated CreateAddon token: the add-on it created, as it is now (or was, if it has since
    /// gone).
    pub(super) fn replay_create(
        &self,
        key: Option<&AddonTokenKey>,
        request: &CreateAddonRequest,
    ) -> Result<Option<Addon>, ApiError> {
        let Some((key, record)) = self.token_record(key) else {
            return Ok(None);
        };
        match record {
            AddonTokenRecord::Create {
                request: first,
                addon,
            } if **first == *request => {
                let current = self
                    .clusters
                    .get(&addon.cluster_name)
                    .and_then(|c| c.addons.get(&addon.addon_name))
                    .filter(|a| a.addon_arn == addon.addon_arn);
                Ok(Some(current.unwrap_or(addon).clone()))
            }
            _ => Err(token_reused(key)),
        }
    }

    /// A repeated UpdateAddon token: the update it started, as it is now.
    pub(super) fn replay_update(
        &self,
        key: Option<&AddonTokenKey>,
        request: &UpdateAddonRequest,
        addon: &Addon,
    ) -> Result<Option<AddonUpdate>, ApiError> {
        let Some((key, record)) = self.token_record(key) else {
            return Ok(None);
        };
        match record {
            AddonTokenRecord::Update {
                request: first,
                update,
            } if **first == *request => {
                let current = addon.updates.iter().find(|u| u.id == update.id);
                Ok(Some(current.unwrap_or(update).clone()))
            }
            _ => Err(token_reused(key)),
        }
    }

    pub(super) fn remember_addon_token(
        &mut self,
        key: Option<AddonTokenKey>,
        record: AddonTokenRecord,
    ) {
        if let Some(key) = key {
            self.addon_tokens.insert(key, record);
        }
    }

    fn token_record<'a>(
        &'a self,
        key: Option<&'a AddonTokenKey>,
    ) -> Option<(&'a AddonTokenKey, &'a AddonTokenRecord)> {
        let key = key?;
        Some((key, self.addon_tokens.get(key)?))
    }
}

fn token_reused(key: &AddonTokenKey) -> ApiError {
    ApiError::invalid_request(format!(
        "Client request token {} was already used with different request parameters.",
        key.token
    ))
}
