//! Answers worth asking AWS once per provider process, by key: concurrent askers of the same key
//! wait for the first one. Errors are not kept: the next asker asks again.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

#[derive(Debug)]
pub struct OncePerKey<T> {
    slots: Mutex<HashMap<String, Arc<OnceCell<T>>>>,
}

impl<T> Default for OncePerKey<T> {
    fn default() -> Self {
        OncePerKey {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> OncePerKey<T> {
    /// The answer for `key`: kept from an earlier call, or what `ask` answers now.
    pub async fn get<E, F, Fut>(&self, key: &str, ask: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let slot = {
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            slots.entry(key.to_string()).or_default().clone()
        };
        slot.get_or_try_init(ask).await.cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn each_key_is_asked_once_and_errors_are_asked_again() {
        let once = OncePerKey::<u32>::default();
        let asked = AtomicU32::new(0);
        let ask = || async { Ok::<_, ()>(asked.fetch_add(1, Ordering::SeqCst)) };
        assert_eq!(once.get("a", ask).await, Ok(0));
        assert_eq!(once.get("a", ask).await, Ok(0));
        assert_eq!(once.get("b", ask).await, Ok(1));
        assert_eq!(
            once.get("c", || async { Err::<u32, _>("no") }).await,
            Err("no")
        );
        assert_eq!(once.get("c", ask).await, Ok(2));
    }
}
