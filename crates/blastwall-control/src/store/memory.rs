//! [`MemoryStore`]: everything in one mutex, lost when the process ends. For tests and for trying
//! the control plane out; never for a deployment, since a restart forgets every pending request.

use std::sync::{Mutex, MutexGuard};

use super::{DigestChange, RequestChange, Store, StoreError, changes};
use crate::error::ControlError;
use crate::identity::{StoredAgent, StoredHuman};
use crate::request::{Request, State};
use crate::subject::ActionDigest;

#[derive(Default)]
struct Inner {
    agents: Vec<StoredAgent>,
    humans: Vec<StoredHuman>,
    /// In creation order.
    requests: Vec<Request>,
}

/// A [`Store`] in memory.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic in another thread cannot leave a half-applied change: changes are applied to a
        // copy and swapped in whole.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for MemoryStore {
    fn insert_agent(&self, agent: &StoredAgent) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner
            .agents
            .iter()
            .any(|a| a.agent.name == agent.agent.name)
        {
            return Err(StoreError::Conflict {
                what: "agent",
                name: agent.agent.name.clone(),
            });
        }
        inner.agents.push(agent.clone());
        Ok(())
    }

    fn agent(&self, id: &str) -> Result<Option<StoredAgent>, StoreError> {
        Ok(self
            .lock()
            .agents
            .iter()
            .find(|a| a.agent.id == id)
            .cloned())
    }

    fn agents(&self) -> Result<Vec<StoredAgent>, StoreError> {
        Ok(self.lock().agents.clone())
    }

    fn revoke_agent(&self, id: &str, at_ms: i64) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        match inner
            .agents
            .iter_mut()
            .find(|a| a.agent.id == id && a.agent.revoked_ms.is_none())
        {
            Some(a) => {
                a.agent.revoked_ms = Some(at_ms);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn insert_human(&self, human: &StoredHuman) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner.humans.iter().any(|h| h.name == human.name) {
            return Err(StoreError::Conflict {
                what: "human",
                name: human.name.clone(),
            });
        }
        inner.humans.push(human.clone());
        Ok(())
    }

    fn insert_first_human(&self, human: &StoredHuman) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        if !inner.humans.is_empty() {
            return Ok(false);
        }
        inner.humans.push(human.clone());
        Ok(true)
    }

    fn human(&self, id: &str) -> Result<Option<StoredHuman>, StoreError> {
        Ok(self.lock().humans.iter().find(|h| h.id == id).cloned())
    }

    fn human_by_name(&self, name: &str) -> Result<Option<StoredHuman>, StoreError> {
        Ok(self.lock().humans.iter().find(|h| h.name == name).cloned())
    }

    fn humans(&self) -> Result<Vec<StoredHuman>, StoreError> {
        Ok(self.lock().humans.clone())
    }

    fn update_human(&self, human: &StoredHuman) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        match inner.humans.iter_mut().find(|h| h.id == human.id) {
            Some(h) => {
                *h = human.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn request(&self, id: &str) -> Result<Option<Request>, StoreError> {
        Ok(self.lock().requests.iter().find(|r| r.id == id).cloned())
    }

    fn requests(&self, state: Option<State>) -> Result<Vec<Request>, StoreError> {
        Ok(self
            .lock()
            .requests
            .iter()
            .filter(|r| state.is_none_or(|s| r.state == s))
            .cloned()
            .collect())
    }

    fn update_request(
        &self,
        id: &str,
        change: RequestChange<'_>,
    ) -> Result<Option<Request>, ControlError> {
        let mut inner = self.lock();
        let Some(slot) = inner.requests.iter_mut().find(|r| r.id == id) else {
            return Ok(None);
        };
        let mut copy = slot.clone();
        change(&mut copy)?;
        changes(std::slice::from_ref(slot), std::slice::from_ref(&copy))?;
        *slot = copy.clone();
        Ok(Some(copy))
    }

    fn update_digest(
        &self,
        digest: &ActionDigest,
        change: DigestChange<'_>,
    ) -> Result<Vec<Request>, ControlError> {
        let mut inner = self.lock();
        let before: Vec<Request> = inner
            .requests
            .iter()
            .filter(|r| r.digest == *digest)
            .cloned()
            .collect();
        let mut after = before.clone();
        change(&mut after)?;
        let (changed, added) = changes(&before, &after)?;
        if let Some(clash) = added
            .iter()
            .find(|new| inner.requests.iter().any(|r| r.id == new.id))
        {
            return Err(StoreError::Conflict {
                what: "approval request",
                name: clash.id.clone(),
            }
            .into());
        }
        for (request, _) in changed {
            if let Some(slot) = inner.requests.iter_mut().find(|r| r.id == request.id) {
                *slot = request.clone();
            }
        }
        for request in added {
            inner.requests.push(request.clone());
        }
        Ok(after)
    }
}
