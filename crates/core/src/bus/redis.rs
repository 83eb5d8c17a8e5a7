//! The bus of several instances: every event is delivered in this process at once, and
//! published once through Redis, from which every other instance delivers it to its own
//! subscribers. Two Redis connections per instance, whatever the load: one subscriber, and
//! one multiplexed connection (reconnecting by itself) that publishes.
//!
//! Every instance receives every event on one channel and drops those nobody here watches:
//! simpler and cheaper for Redis than a subscription per conversation, and the events are
//! small. Redis being away stops only the delivery between instances; each instance keeps
//! delivering its own events, and the widgets and inbox streams catch up from the database.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::io::tcp::{socket2, TcpSettings};
use redis::IntoConnectionInfo;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{Event, LocalBus, Topic};

/// Events waiting to be published while Redis is slow; past this they are dropped (and
/// counted): the database still has every message, only the live push of those is lost.
const OUTBOX: usize = 10_000;

/// How often an instance publishes a beat to itself through Redis, proving that its
/// subscription still hears the channel.
const BEAT_EVERY: Duration = Duration::from_secs(5);
/// A subscription that heard nothing for this long, this instance's own beats included, is
/// taken for dead (a host gone, a connection a middlebox dropped without a word, a Redis that
/// stopped answering): it is replaced, and every local subscriber catches up.
const SILENT_FOR: Duration = Duration::from_secs(15);

/// What travels between instances. `from` lets an instance skip its own events, which it
/// delivered already.
#[derive(Serialize)]
struct Outgoing<'a> {
    from: &'a str,
    topic: &'a Topic,
    event: &'a Event,
}

#[derive(Deserialize)]
struct Incoming {
    from: String,
    topic: Topic,
    event: Event,
}

/// Whether the subscriber is connected, and how often it had to reconnect.
#[derive(Default)]
pub struct RedisHealth {
    connected: AtomicBool,
    reconnects: AtomicU64,
}

impl RedisHealth {
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    pub fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }
}

pub struct RedisBus {
    pub(super) local: Arc<LocalBus>,
    namespace: String,
    publisher: ConnectionManager,
    instance: String,
    outbox: mpsc::Sender<String>,
    health: Arc<RedisHealth>,
}

impl RedisBus {
    /// Starts the publishing and the listening tasks on Redis at `url`. A URL that cannot
    /// be read, or a Redis that refuses this instance (an untrusted certificate, a wrong
    /// password), stops the start. A Redis that cannot be reached does not: the instance
    /// starts with the bus degraded, as a running one carries on when Redis goes away, and
    /// joins the others once it answers. An instance restarted during a Redis outage (a
    /// deploy, a crash) must not stay down for as long as Redis. `namespace` names the
    /// deployment: instances of one database share it, and another deployment on the same
    /// Redis hears nothing of theirs.
    pub async fn connect(url: &str, namespace: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url.into_connection_info()?.set_tcp_settings(tcp_settings()))?;
        let publisher = ConnectionManager::new_lazy_with_config(client.clone(), ConnectionManagerConfig::new())?;
        let channel = format!("concierge:{namespace}:bus");
        // Beats on a channel of their own: instances from before them never see one.
        let beats = format!("concierge:{namespace}:beat");
        let subscriber = match subscribe(&client, &channel, &beats).await {
            Ok(subscriber) => Some(subscriber),
            Err(e) if !unreachable(&e) => return Err(e.into()),
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "Redis does not answer; serving with the bus degraded until it does"
                );
                None
            }
        };
        let local = Arc::new(LocalBus::default());
        let instance = uuid::Uuid::now_v7().to_string();
        let health = Arc::new(RedisHealth::default());
        health.connected.store(subscriber.is_some(), Ordering::Relaxed);
        let (outbox, queued) = mpsc::channel(OUTBOX);
        tokio::spawn(publish_all(publisher.clone(), channel.clone(), queued));
        let listening = Listening {
            client,
            channel,
            beats,
            local: local.clone(),
            instance: instance.clone(),
            health: health.clone(),
        };
        tokio::spawn(listen(listening, subscriber, publisher.clone()));
        Ok(Self { local, namespace: namespace.to_owned(), publisher, instance, outbox, health })
    }

    /// The multiplexed connection, for other uses of Redis (the cluster's rate limits): it
    /// adds no connection.
    pub fn connection(&self) -> ConnectionManager {
        self.publisher.clone()
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn health(&self) -> &RedisHealth {
        &self.health
    }

    pub(super) fn publish(&self, topic: &Topic, event: Event) {
        // Serialised once, for every other instance.
        let outgoing = serde_json::to_string(&Outgoing { from: &self.instance, topic, event: &event });
        self.local.publish(topic, event);
        match outgoing {
            Ok(payload) => {
                if self.outbox.try_send(payload).is_err() {
                    metrics::counter!("concierge_bus_dropped_total").increment(1);
                }
            }
            Err(e) => tracing::error!(error = %e, "a bus event could not be serialised"),
        }
    }
}

/// A connection whose peer is gone without a word (a host that died, a flow a middlebox
/// dropped) fails within about half a minute instead of waiting forever: keepalive probes
/// while it is idle, and a limit on how long sent data may stay unacknowledged. Both
/// connections then reconnect by themselves.
fn tcp_settings() -> TcpSettings {
    let keepalive =
        socket2::TcpKeepalive::new().with_time(Duration::from_secs(10)).with_interval(Duration::from_secs(5));
    #[cfg(target_os = "linux")]
    let keepalive = keepalive.with_retries(3);
    let settings = TcpSettings::default().set_nodelay(true).set_keepalive(keepalive);
    #[cfg(target_os = "linux")]
    let settings = settings.set_user_timeout(Duration::from_secs(20));
    settings
}

/// Whether Redis could not be reached at all (down, restarting, not listening yet), as
/// opposed to a setting that can never work (an untrusted certificate, a wrong password, a
/// host name that does not resolve), which must stop the start rather than degrade it.
fn unreachable(e: &redis::RedisError) -> bool {
    use std::io::ErrorKind::{HostUnreachable, NetworkUnreachable};
    e.is_connection_refusal()
        || e.is_timeout()
        || e.is_connection_dropped()
        || std::error::Error::source(e)
            .and_then(|cause| cause.downcast_ref::<std::io::Error>())
            .is_some_and(|io| matches!(io.kind(), HostUnreachable | NetworkUnreachable))
}

async fn subscribe(client: &redis::Client, channel: &str, beats: &str) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(&[channel, beats]).await?;
    Ok(pubsub)
}

/// Publishes in order. A failed PUBLISH is tried again a few times, briefly: the first one
/// after Redis returns may meet the connection still reconnecting. Then it is given up (the
/// other instances' streams catch up from the database when their subscription returns).
async fn publish_all(mut connection: ConnectionManager, channel: String, mut queued: mpsc::Receiver<String>) {
    while let Some(payload) = queued.recv().await {
        let mut wait = Duration::from_millis(100);
        for attempt in 1..=3 {
            let sent: redis::RedisResult<i64> =
                redis::cmd("PUBLISH").arg(&channel).arg(&payload).query_async(&mut connection).await;
            match sent {
                Ok(_) => break,
                Err(e) if attempt == 3 => {
                    metrics::counter!("concierge_bus_publish_failures_total").increment(1);
                    tracing::debug!(error = %e, "an event did not reach the other instances");
                }
                Err(_) => {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        }
    }
}

/// What the listening task needs besides its connections.
struct Listening {
    client: redis::Client,
    channel: String,
    /// Where the instances' beats go, which only prove that the subscription hears.
    beats: String,
    local: Arc<LocalBus>,
    instance: String,
    health: Arc<RedisHealth>,
}

impl Listening {
    fn deliver(&self, message: &redis::Msg) {
        if message.get_channel_name() == self.beats {
            return;
        }
        let Ok(payload) = message.get_payload::<String>() else { return };
        match serde_json::from_str::<Incoming>(&payload) {
            Ok(incoming) if incoming.from != self.instance => self.local.publish(&incoming.topic, incoming.event),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "an unreadable event on the bus was dropped"),
        }
    }

    /// Subscribes, with backoff, until Redis answers; then every local subscriber catches
    /// up from the database.
    async fn subscribe_again(&self) -> redis::aio::PubSub {
        let mut wait = Duration::from_millis(100);
        let pubsub = loop {
            tokio::time::sleep(wait).await;
            match subscribe(&self.client, &self.channel, &self.beats).await {
                Ok(pubsub) => break pubsub,
                Err(e) if unreachable(&e) => {
                    tracing::debug!(error = %e, "Redis is still unreachable");
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
                // Redis answers but refuses this instance (a wrong password, an untrusted
                // certificate): a setting to fix, which waiting will not.
                Err(e) => {
                    tracing::error!(error = %e, "Redis refuses this instance; the bus stays degraded until it is fixed");
                    wait = Duration::from_secs(30);
                }
            }
        };
        self.health.connected.store(true, Ordering::Relaxed);
        self.health.reconnects.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("concierge_bus_reconnects_total").increment(1);
        tracing::info!("the Redis bus is connected");
        self.local.resync_all();
        pubsub
    }

    /// One beat, sent to every instance's subscription and heard back by this one's.
    async fn beat(&self, publisher: &mut ConnectionManager) {
        let sent: redis::RedisResult<i64> =
            redis::cmd("PUBLISH").arg(&self.beats).arg(&self.instance).query_async(publisher).await;
        if let Err(e) = sent {
            tracing::debug!(error = %e, "a beat did not reach Redis");
        }
    }
}

/// Delivers the other instances' events here, reconnecting with backoff when Redis goes
/// away or the subscription falls silent (or subscribing first, if Redis did not answer at
/// the start). After a reconnect, every local subscriber is told to catch up from the
/// database: what was published meanwhile did not reach this instance.
async fn listen(l: Listening, subscribed: Option<redis::aio::PubSub>, mut publisher: ConnectionManager) {
    let mut pubsub = match subscribed {
        Some(pubsub) => pubsub,
        None => l.subscribe_again().await,
    };
    loop {
        let mut messages = pubsub.into_on_message();
        let mut beats = tokio::time::interval(BEAT_EVERY);
        let mut heard = tokio::time::Instant::now();
        loop {
            tokio::select! {
                message = messages.next() => {
                    let Some(message) = message else {
                        tracing::warn!("the Redis bus connection was lost; reconnecting");
                        break;
                    };
                    heard = tokio::time::Instant::now();
                    l.deliver(&message);
                }
                _ = beats.tick() => {
                    if heard.elapsed() >= SILENT_FOR {
                        tracing::warn!(
                            silent_secs = heard.elapsed().as_secs(),
                            "the Redis bus subscription heard nothing, not even this instance's beats; reconnecting"
                        );
                        break;
                    }
                    l.beat(&mut publisher).await;
                }
            }
        }
        drop(messages);
        l.health.connected.store(false, Ordering::Relaxed);
        pubsub = l.subscribe_again().await;
    }
}
