//! Client request tokens: a repeated token replays what its first request produced, as long as
//! the request is the same.

use super::model::{Association, CreateAssociationRequest, UpdateAssociationRequest};
use super::World;
use crate::error::ApiError;
use crate::operation::Operation;

/// Idempotency tokens are scoped to operation and cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct IdempotencyKey {
    operation: Operation,
    cluster: String,
    token: String,
}

impl IdempotencyKey {
    /// Takes the client request token out of a request (so that it is no part of the request's
    /// fingerprint); the key it is kept under, if it was given and not empty.
    pub(super) fn take(
        operation: Operation,
        cluster: &str,
        token: &mut Option<String>,
    ) -> Option<Self> {
        let token = token.take().filter(|t| !t.is_empty())?;
        Some(IdempotencyKey {
            operation,
            cluster: cluster.to_owned(),
            token,
        })
    }
}

/// The request a token was first used with (token itself removed).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Fingerprint {
    Create(CreateAssociationRequest),
    Update {
        association_id: String,
        request: UpdateAssociationRequest,
    },
}

#[derive(Debug, Clone)]
pub(super) struct IdempotencyRecord {
    fingerprint: Fingerprint,
    association: Association,
}

impl World {
    /// A repeated token: the association it produced (as it stands now, or as it was if it has
    /// since been deleted), or an error if the parameters differ.
    pub(super) fn replay(
        &self,
        key: Option<&IdempotencyKey>,
        fingerprint: &Fingerprint,
    ) -> Result<Option<Association>, ApiError> {
        let Some((key, record)) = key.and_then(|key| Some((key, self.idempotency.get(key)?)))
        else {
            return Ok(None);
        };
        if record.fingerprint != *fingerprint {
            return Err(ApiError::invalid_request(format!(
                "Client request token {} was already used with different request parameters.",
                key.token
            )));
        }
        let snapshot = &record.association;
        let current = self
            .clusters
            .get(&snapshot.cluster_name)
            .and_then(|c| c.association(&snapshot.association_id).ok());
        Ok(Some(current.unwrap_or(snapshot).clone()))
    }

    /// Records what the request under `key` produced, for its replays.
    pub(super) fn remember(
        &mut self,
        key: Option<IdempotencyKey>,
        fingerprint: Fingerprint,
        association: &Association,
    ) {
        if let Some(key) = key {
            let record = IdempotencyRecord {
                fingerprint,
                association: association.clone(),
            };
            self.idempotency.insert(key, record);
        }
    }

    /// Tokens used on a cluster go with it.
    pub(super) fn forget_tokens_of(&mut self, cluster: &str) {
        self.idempotency.retain(|key, _| key.cluster != cluster);
        self.addon_tokens.retain(|key, _| key.cluster != cluster);
    }
}
