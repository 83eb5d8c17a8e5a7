//! Delivery of conversation events to the sockets that watch them. In-process broadcast
//! per conversation; a Redis-backed bus takes its place when several instances serve one
//! database (scale-out).

use std::collections::HashMap;
use std::sync::Mutex;

use concierge_store::Message;
use tokio::sync::broadcast;

/// How many events a slow socket may fall behind before it re-reads from the store.
const CAPACITY: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message was stored.
    Message(Message),
    /// `author` (`bot` or `agent`) is composing an answer.
    Typing { author: String },
    /// The conversation is now handled by `handled_by` (`bot`, `waiting` or `agent`).
    Handler { conversation_id: String, handled_by: String, agent_name: Option<String>, priority: String },
    /// A piece of a bot answer that a language model is writing; `stream` names the answer.
    Delta { stream: String, text: String },
    /// The answer `stream` is complete or abandoned; its stored message follows.
    StreamEnd { stream: String },
    /// A visitor signed in and the messages of their anonymous conversation `from` joined
    /// the contact's conversation `into`. Watchers of `into` get every moved message, even
    /// those older than the newest they have: they are history that was somewhere else.
    Merged { from: String, into: String, messages: Vec<Message> },
}

/// The topic of everything that happens in a bot's conversations: the inbox listens here.
pub fn bot_topic(bot_id: &str) -> String {
    format!("bot:{bot_id}")
}

#[derive(Default)]
pub struct Bus {
    channels: Mutex<HashMap<String, broadcast::Sender<Event>>>,
}

impl Bus {
    pub fn subscribe(&self, conversation_id: &str) -> broadcast::Receiver<Event> {
        let mut channels = self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        channels.entry(conversation_id.to_owned()).or_insert_with(|| broadcast::channel(CAPACITY).0).subscribe()
    }

    /// Delivers to every current subscriber; nobody listening is not an error. Channels
    /// nobody listens to any more are dropped here, so the map stays as small as the set of
    /// open conversations.
    pub fn publish(&self, conversation_id: &str, event: Event) {
        let mut channels = self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(sender) = channels.get(conversation_id) {
            if sender.send(event).is_err() {
                channels.remove(conversation_id);
            }
        }
        channels.retain(|_, sender| sender.receiver_count() > 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(seq: i64) -> Event {
        Event::Message(Message {
            seq,
            conversation_id: "c".into(),
            author: "visitor".into(),
            author_name: None,
            text: "hi".into(),
            styles: None,
            created_at: 0,
        })
    }

    #[tokio::test]
    async fn subscribers_of_a_conversation_get_its_events_only() {
        let bus = Bus::default();
        let mut a = bus.subscribe("c");
        let mut other = bus.subscribe("d");
        bus.publish("c", message(1));
        assert_eq!(a.recv().await.unwrap(), message(1));
        assert!(other.try_recv().is_err());
    }

    #[test]
    fn channels_without_listeners_are_dropped() {
        let bus = Bus::default();
        drop(bus.subscribe("c"));
        bus.publish("c", message(1));
        assert!(bus.channels.lock().unwrap().is_empty());
    }
}
