//! Delivery of conversation events to whoever watches them: a conversation's widgets, a
//! bot's inbox. One seam, [`Bus`], with one implementation per deployment: in-process
//! broadcast for a single instance ([`Bus::Local`]), and the same plus Redis pub/sub
//! between several instances on one database ([`Bus::Redis`]).

mod redis;

pub use self::redis::{RedisBus, RedisHealth};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use concierge_domain::{Author, BotId, ConversationId, Handler, Priority};
use concierge_store::{Ended, InboxItem, Message, Posted};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

pub use tokio::sync::broadcast::error::RecvError;

/// Where an event is delivered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Topic {
    /// The widgets (every tab and device) of one conversation.
    Conversation(ConversationId),
    /// Everything that happens in a bot's conversations: the inbox listens here.
    Bot(BotId),
    /// Every open widget socket of a bot: what decides whether a page may stay connected.
    Widgets(BotId),
}

impl Topic {
    /// A flat name for the topic, e.g. for a channel of a message broker.
    pub fn channel(&self) -> String {
        match self {
            Topic::Conversation(id) => format!("conversation:{id}"),
            Topic::Bot(id) => format!("bot:{id}"),
            Topic::Widgets(id) => format!("widgets:{id}"),
        }
    }

    /// How many events a subscriber may fall behind before it re-reads from the store
    /// ([`RecvError::Lagged`]). A channel holds this many slots from its first subscriber
    /// on, and there is one per watched conversation, so a conversation's is small: its
    /// sockets write each event out as it comes. A bot's carries all its conversations to
    /// its inbox streams; a bot's widgets hear only of settings changes.
    fn capacity(&self) -> usize {
        match self {
            Topic::Conversation(_) => 32,
            Topic::Bot(_) => 1024,
            Topic::Widgets(_) => 8,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A message was stored, after the conversation's message `prev_seq`.
    Message(Posted),
    /// `author` (the bot or an agent) is composing an answer.
    Typing { author: Author },
    /// The conversation is now handled by `handled_by`.
    Handler { conversation_id: String, handled_by: Handler, agent_name: Option<String>, priority: Priority },
    /// A piece of a bot answer that a language model is writing; `stream` names the answer,
    /// `at` is where in it the piece starts, in UTF-16 code units (as JavaScript counts), so
    /// that a widget that joins mid-answer (a reload) or missed a piece does not show an
    /// answer that starts mid-sentence or has a hole. None from instances before it, whose
    /// pieces the widget shows as they come.
    Delta {
        stream: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<usize>,
    },
    /// The answer `stream` is complete or abandoned; its stored message follows.
    StreamEnd { stream: String },
    /// A conversation as the inbox lists it changed other than by a message (who answers,
    /// its contact, a merge): for the bot's inbox only, which shows it without a read.
    Listed(InboxItem),
    /// A visitor signed in and the messages of their anonymous conversation `from` joined
    /// the contact's conversation `into`. Watchers of `into` get every moved message, even
    /// those older than the newest they have: they are history that was somewhere else.
    Merged { from: String, into: String, messages: Vec<Message> },
    /// Some of the conversation's sessions stopped working (a logout, a sign-in): their
    /// sockets close.
    SessionsEnded { sessions: Ended },
    /// The bot's widgets may be used from these page origins only (none: any page).
    AllowedOrigins { origins: Vec<String> },
    /// Events may have been missed (the bus between instances was down): re-read what is
    /// stored, as after falling behind.
    Resync,
}

/// The bus of this deployment.
pub enum Bus {
    /// One instance: events go to this process's subscribers.
    Local(LocalBus),
    /// Several instances: this process's subscribers at once, the others through Redis.
    Redis(RedisBus),
}

impl Default for Bus {
    fn default() -> Self {
        Bus::Local(LocalBus::default())
    }
}

impl Bus {
    pub fn subscribe(&self, topic: &Topic) -> Subscription {
        match self {
            Bus::Local(bus) => bus.subscribe(topic),
            Bus::Redis(bus) => bus.local.subscribe(topic),
        }
    }

    /// Delivers to every current subscriber of `topic`; nobody listening is not an error.
    pub fn publish(&self, topic: &Topic, event: Event) {
        match self {
            Bus::Local(bus) => bus.publish(topic, event),
            Bus::Redis(bus) => bus.publish(topic, event),
        }
    }

    /// Whether events reach the other instances: `None` for a single instance, else whether
    /// the Redis subscription is up.
    pub fn shared(&self) -> Option<bool> {
        match self {
            Bus::Local(_) => None,
            Bus::Redis(bus) => Some(bus.health().connected()),
        }
    }

    /// Delivers to a conversation's widgets and to its bot's inbox.
    pub fn publish_conversation(&self, bot: &BotId, conversation: &ConversationId, event: Event) {
        self.publish(&Topic::Conversation(conversation.clone()), event.clone());
        self.publish(&Topic::Bot(bot.clone()), event);
    }
}

/// One subscriber's events. A channel's slots hold the events behind an `Arc`: each slot
/// costs a pointer, not a whole event, until every subscriber has taken it.
pub struct Subscription(broadcast::Receiver<Arc<Event>>);

impl Subscription {
    pub async fn recv(&mut self) -> Result<Event, RecvError> {
        self.0.recv().await.map(|event| Event::clone(&event))
    }
}

/// In-process broadcast, one channel per topic that someone listens to.
#[derive(Default)]
pub struct LocalBus {
    channels: Mutex<Channels>,
}

/// Below this many channels, nobody sweeps: the map is small whatever it holds.
const SWEEP_FLOOR: usize = 64;

#[derive(Default)]
struct Channels {
    by_topic: HashMap<Topic, broadcast::Sender<Arc<Event>>>,
    /// The size at which the next subscription sweeps out channels nobody listens to.
    sweep_at: usize,
}

impl LocalBus {
    /// Channels whose listeners all left are swept here, when the map has doubled since
    /// the last sweep: the map stays within twice the watched topics, and neither
    /// subscribing nor publishing scans it on every call.
    fn subscribe(&self, topic: &Topic) -> Subscription {
        let mut channels = self.lock();
        if channels.by_topic.len() >= channels.sweep_at {
            channels.by_topic.retain(|_, sender| sender.receiver_count() > 0);
            channels.sweep_at = (channels.by_topic.len() * 2).max(SWEEP_FLOOR);
        }
        let sender = channels.by_topic.entry(topic.clone()).or_insert_with(|| broadcast::channel(topic.capacity()).0);
        Subscription(sender.subscribe())
    }

    /// Touches the topic's own channel only, and holds the lock for the look-up alone:
    /// waking the subscribers (every open widget of a bot, for a settings change) happens
    /// after it. A channel nobody listens to any more goes.
    fn publish(&self, topic: &Topic, event: Event) {
        let sender = self.lock().by_topic.get(topic).cloned();
        let Some(sender) = sender else { return };
        if sender.send(Arc::new(event)).is_err() {
            let mut channels = self.lock();
            // Unless somebody subscribed meanwhile.
            if channels.by_topic.get(topic).is_some_and(|current| current.receiver_count() == 0) {
                channels.by_topic.remove(topic);
            }
        }
    }

    /// Tells every subscriber to re-read what is stored.
    fn resync_all(&self) {
        let senders: Vec<_> = self.lock().by_topic.values().cloned().collect();
        let resync = Arc::new(Event::Resync);
        for sender in senders {
            let _ = sender.send(resync.clone());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Channels> {
        self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(seq: i64) -> InboxItem {
        InboxItem {
            id: "c".into(),
            bot_id: "b".into(),
            contact_id: None,
            handled_by: Handler::Bot,
            priority: Priority::Normal,
            agent_name: None,
            updated_at: 0,
            contact_name: None,
            contact_email: None,
            contact_identifier: None,
            last_author: Author::Visitor,
            last_text: "hi".into(),
            last_seq: seq,
        }
    }

    fn message(seq: i64) -> Event {
        let prev_seq = seq - 1;
        Event::Message(Posted {
            prev_seq,
            message: Message {
                seq,
                conversation_id: "c".into(),
                author: Author::Visitor,
                author_name: None,
                text: "hi".into(),
                styles: None,
                created_at: 0,
            },
            inbox: listed(seq),
        })
    }

    fn conversation(id: &str) -> Topic {
        Topic::Conversation(id.into())
    }

    #[tokio::test]
    async fn subscribers_of_a_topic_get_its_events_only() {
        let bus = Bus::default();
        let mut a = bus.subscribe(&conversation("c"));
        let mut other = bus.subscribe(&conversation("d"));
        let mut inbox = bus.subscribe(&Topic::Bot("b".into()));
        let mut same_id_other_kind = bus.subscribe(&Topic::Bot("c".into()));
        bus.publish_conversation(&"b".into(), &"c".into(), message(1));
        assert_eq!(a.recv().await.unwrap(), message(1));
        assert_eq!(inbox.recv().await.unwrap(), message(1));
        assert!(other.0.try_recv().is_err());
        assert!(same_id_other_kind.0.try_recv().is_err());
    }

    #[test]
    fn channels_without_listeners_are_dropped() {
        let Bus::Local(local) = Bus::default() else { unreachable!("the default bus is local") };
        drop(local.subscribe(&conversation("c")));
        local.publish(&conversation("c"), message(1));
        assert!(local.channels.lock().unwrap().by_topic.is_empty());
    }

    /// Sockets come and go without their topics ever seeing an event: the map still stays
    /// within twice what is watched.
    #[test]
    fn topics_left_without_a_single_event_do_not_pile_up() {
        let Bus::Local(local) = Bus::default() else { unreachable!("the default bus is local") };
        let watched: Vec<_> = (0..100).map(|i| local.subscribe(&conversation(&format!("kept-{i}")))).collect();
        for i in 0..10_000 {
            drop(local.subscribe(&conversation(&format!("left-{i}"))));
        }
        let size = local.channels.lock().unwrap().by_topic.len();
        assert!((watched.len()..=2 * watched.len() + 1).contains(&size), "{size} channels for 100 watched topics");
        assert!(watched.iter().all(|r| r.0.is_empty()));
    }

    /// What a bus between instances carries: every event and topic survives JSON.
    #[test]
    fn events_and_topics_round_trip_through_json() {
        let events = [
            message(7),
            Event::Typing { author: Author::Bot },
            Event::Handler {
                conversation_id: "c".into(),
                handled_by: Handler::Agent,
                agent_name: Some("Sam".into()),
                priority: Priority::High,
            },
            Event::Delta { stream: "s".into(), text: "Hel".into(), at: Some(0) },
            Event::StreamEnd { stream: "s".into() },
            Event::Merged { from: "a".into(), into: "c".into(), messages: vec![] },
            Event::Listed(listed(7)),
            Event::SessionsEnded { sessions: Ended::Session("s".into()) },
            Event::SessionsEnded { sessions: Ended::Anonymous },
            Event::AllowedOrigins { origins: vec!["https://shop.example".into()] },
            Event::Resync,
        ];
        for event in events {
            let json = serde_json::to_string(&event).unwrap();
            assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event, "{json}");
        }
        for topic in [conversation("c"), Topic::Bot("b".into()), Topic::Widgets("b".into())] {
            let json = serde_json::to_string(&topic).unwrap();
            assert_eq!(serde_json::from_str::<Topic>(&json).unwrap(), topic);
        }
        assert_eq!(conversation("c").channel(), "conversation:c");
    }

    /// A piece from an instance from before `at` (a rolling upgrade) says nothing of where it
    /// starts, rather than that every piece starts the answer.
    #[test]
    fn a_piece_from_an_older_instance_has_no_place() {
        let older = r#"{"type":"delta","stream":"s","text":"Hel"}"#;
        let piece = serde_json::from_str::<Event>(older).unwrap();
        assert_eq!(piece, Event::Delta { stream: "s".into(), text: "Hel".into(), at: None });
        assert_eq!(serde_json::to_string(&piece).unwrap(), older, "nor does it say one to older instances");
    }
}
