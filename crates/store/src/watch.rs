//! Watch fan-out shared by the backends.
//!
//! Every committed event is published once, as an `Arc<Event>`, on one
//! `tokio::sync::broadcast` channel; each watcher holds a receiver and filters by prefix,
//! so a write costs one pointer push however many watchers there are.
//!
//! A watch from revision `after` joins two sources without a gap or duplicate:
//! 1. the backend subscribes to the channel *first*,
//! 2. then takes its replay snapshot: the stored events in `(after, replayed_upto]`,
//! 3. then the stream yields the replay, and after it only live events with a revision
//!    above `max(after, replayed_upto)`.
//!
//! An event committed before the subscription is in the snapshot; one committed after the
//! snapshot was taken arrives on the channel; one in between arrives on both and the
//! revision threshold drops the live copy. A watcher whose receiver overflows gets
//! `Err(WatchLagged)` and its stream ends.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::backend::{Event, Result, StoreError, WatchStream};

/// Default number of events a watcher may fall behind before it is dropped.
pub const DEFAULT_WATCH_CAPACITY: usize = 8192;

/// Replayed history, in revision order, already filtered by prefix and revision.
pub(crate) type Replay = BoxStream<'static, Result<Arc<Event>>>;

/// The publishing side of the fan-out.
#[derive(Debug)]
pub(crate) struct WatchHub {
    sender: broadcast::Sender<Arc<Event>>,
}

impl WatchHub {
    pub(crate) fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        WatchHub { sender }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }

    /// Publishes one committed event. Callers publish in revision order.
    pub(crate) fn publish(&self, event: Arc<Event>) {
        // `send` only fails when nobody is watching, which is fine.
        let _ = self.sender.send(event);
    }

    /// A clone of the sender, for a writer thread that publishes on its own.
    pub(crate) fn sender(&self) -> broadcast::Sender<Arc<Event>> {
        self.sender.clone()
    }
}

enum Phase {
    Replay(Replay),
    Live,
    Done,
}

struct JoinState {
    phase: Phase,
    live: broadcast::Receiver<Arc<Event>>,
    prefix: String,
    /// Live events at or below this revision were (or would have been) replayed.
    threshold: i64,
}

/// Builds the watch stream from a replay and a receiver subscribed before the replay
/// snapshot was taken (see the module docs).
pub(crate) fn join_replay_and_live(
    prefix: &str,
    after: i64,
    replayed_upto: i64,
    replay: Replay,
    live: broadcast::Receiver<Arc<Event>>,
) -> WatchStream {
    let state = JoinState {
        phase: Phase::Replay(replay),
        live,
        prefix: prefix.to_owned(),
        threshold: after.max(replayed_upto),
    };
    futures::stream::unfold(state, next_item).boxed()
}

async fn next_item(mut st: JoinState) -> Option<(Result<Event>, JoinState)> {
    loop {
        match &mut st.phase {
            Phase::Replay(replay) => match replay.next().await {
                Some(Ok(event)) => return Some((Ok(Arc::unwrap_or_clone(event)), st)),
                Some(Err(err)) => {
                    st.phase = Phase::Done;
                    return Some((Err(err), st));
                }
                None => st.phase = Phase::Live,
            },
            Phase::Live => match st.live.recv().await {
                Ok(event) => {
                    if event.revision() > st.threshold && event.key().starts_with(&st.prefix) {
                        return Some((Ok(Arc::unwrap_or_clone(event)), st));
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(prefix = %st.prefix, missed, "watcher lagged, closing it");
                    st.phase = Phase::Done;
                    return Some((Err(StoreError::WatchLagged), st));
                }
                Err(RecvError::Closed) => return None,
            },
            Phase::Done => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::KeyValue;

    fn put(key: &str, rev: i64) -> Arc<Event> {
        Arc::new(Event::Put {
            kv: KeyValue {
                key: key.into(),
                value: vec![],
                create_revision: rev,
                mod_revision: rev,
            },
            prev: None,
        })
    }

    #[tokio::test]
    async fn drops_live_duplicates_of_the_replay() {
        let hub = WatchHub::new(16);
        let rx = hub.subscribe();
        // Revision 2 is both in the snapshot and on the channel.
        hub.publish(put("/a/x", 2));
        hub.publish(put("/b/x", 3));
        hub.publish(put("/a/y", 4));
        let replay = futures::stream::iter(vec![Ok(put("/a/w", 1)), Ok(put("/a/x", 2))]).boxed();
        let stream = join_replay_and_live("/a/", 0, 2, replay, rx);
        let got: Vec<i64> = stream
            .take(3)
            .map(|e| e.map(|e| e.revision()).unwrap_or(-1))
            .collect()
            .await;
        assert_eq!(got, vec![1, 2, 4]);
    }

    #[tokio::test]
    async fn lag_ends_the_stream() {
        let hub = WatchHub::new(2);
        let rx = hub.subscribe();
        for rev in 1..=5 {
            hub.publish(put("/a", rev));
        }
        let mut stream = join_replay_and_live("", 0, 0, futures::stream::empty().boxed(), rx);
        assert!(matches!(
            stream.next().await,
            Some(Err(StoreError::WatchLagged))
        ));
        assert!(stream.next().await.is_none());
    }
}
