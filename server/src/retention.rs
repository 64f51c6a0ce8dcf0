//! The retention sweep: at start and then every hour, each school's records
//! older than its retention period are purged (see `store::retention`).

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::http::now_unix;
use crate::store::Store;

/// How often the sweep runs. Retention is counted in days, so an hour late
/// is still on time.
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// Sweeps now, then starts the hourly sweep in the background; abort the
/// handle to stop it (a purge cut short rolls back whole). The first sweep
/// runs before this returns, so a server starts with nothing overdue.
pub async fn start(store: Store) -> JoinHandle<()> {
    sweep(&store, now_unix()).await;
    tokio::spawn(async move {
        let first = tokio::time::Instant::now() + SWEEP_EVERY;
        let mut every = tokio::time::interval_at(first, SWEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            sweep(&store, now_unix()).await;
        }
    })
}

/// Purges every school's expired records as of `now`. A school that fails is
/// logged and tried again at the next sweep; the others go on.
pub async fn sweep(store: &Store, now: i64) {
    let schools = match store.school_ids().await {
        Ok(schools) => schools,
        Err(error) => {
            tracing::warn!(%error, "retention sweep: cannot list schools; trying again next hour");
            return;
        }
    };
    for school in schools {
        match store.purge_expired_records(school, now).await {
            Ok(purged) if purged != Default::default() => {
                tracing::info!(%school, ?purged, "retention sweep: purged records older than the school's retention period");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%school, %error, "retention sweep failed; trying again next hour"),
        }
    }
}
