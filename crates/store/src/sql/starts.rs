//! Session starts without a visitor session, several in one transaction and in a fixed
//! number of statements whatever their number: one upsert of their contacts, one lookup of
//! those contacts' conversations, one insert of the conversations to create, one insert of
//! the sessions, one read of the continued conversations' latest messages.

use std::collections::HashMap;

use concierge_domain::{Handler, Priority};
use sqlx::types::Json;
use sqlx::Transaction;

use super::contacts::CONTACT_COLUMNS;
use super::conversations::{CONVERSATION_COLUMNS, MESSAGE_COLUMNS};
use super::{placeholders, Arg, Backend};
use crate::{
    clamp_limit, new_id, Contact, ContactProfile, Conversation, Message, NewStart, Result, ResultExt, Session,
    StartedSession,
};

/// A contact's unique key.
type Key<'a> = (&'a str, &'a str, &'a str);

fn key<'a>(bot_id: &'a str, profile: &'a ContactProfile) -> Key<'a> {
    (bot_id, profile.identify_method.as_str(), profile.identifier.as_str())
}

fn contact_of<'a>(contacts: &'a HashMap<Key<'a>, Contact>, start: &'a NewStart) -> Option<&'a Contact> {
    contacts.get(&key(&start.bot_id, start.contact.as_ref()?))
}

/// In `tx`, which the backend began and this commits. The answers are in the order of
/// `starts`.
pub(crate) async fn start_sessions<DB: Backend>(
    mut tx: Transaction<'_, DB>,
    starts: &[NewStart],
    history: u32,
) -> Result<Vec<StartedSession>> {
    let contacts = upsert_contacts(&mut tx, starts).await?;

    let contact_ids: Vec<&str> = contacts.values().map(|c| c.id.as_str()).collect();
    let mut conversations = latest_conversations(&mut tx, &contact_ids).await?;
    // One new conversation per contact without one (however many of its starts are in the
    // batch), and one per anonymous start.
    let mut created: Vec<Conversation> = Vec::new();
    let mut conversation_of: Vec<(Conversation, bool)> = Vec::with_capacity(starts.len());
    for start in starts {
        let contact = contact_of(&contacts, start);
        let known = contact.and_then(|c| conversations.get(&c.id));
        let (conversation, new) = match known {
            Some(conversation) => (conversation.clone(), created.iter().any(|n| n.id == conversation.id)),
            None => {
                let conversation = Conversation {
                    id: new_id(),
                    bot_id: start.bot_id.clone(),
                    contact_id: contact.map(|c| c.id.clone()),
                    handled_by: Handler::Bot,
                    priority: Priority::Normal,
                    agent_name: None,
                    agent_id: None,
                    created_at: start.now,
                    updated_at: start.now,
                };
                if let Some(contact) = contact {
                    conversations.insert(contact.id.clone(), conversation.clone());
                }
                created.push(conversation.clone());
                (conversation, true)
            }
        };
        conversation_of.push((conversation, new));
    }
    insert_conversations(&mut tx, &created).await?;

    let continued: Vec<&str> =
        conversations.values().filter(|c| !created.iter().any(|n| n.id == c.id)).map(|c| c.id.as_str()).collect();
    let histories = latest_messages(&mut tx, &continued, history).await?;

    let started: Vec<StartedSession> = starts
        .iter()
        .zip(conversation_of)
        .map(|(start, (conversation, new_conversation))| {
            let contact = contact_of(&contacts, start).cloned();
            let messages = histories.get(&conversation.id).cloned().unwrap_or_default();
            StartedSession {
                session: Session {
                    id: new_id(),
                    bot_id: start.bot_id.clone(),
                    contact_id: contact.as_ref().map(|c| c.id.clone()),
                    conversation_id: conversation.id.clone(),
                    created_at: start.now,
                    expires_at: start.expires_at,
                },
                contact,
                conversation,
                new_conversation,
                messages,
            }
        })
        .collect();
    insert_sessions(&mut tx, starts, &started).await?;
    tx.commit().await?;
    Ok(started)
}

/// Creates or updates each distinct contact once (the last start's profile wins), in the
/// order of their keys: two transactions upserting the same contacts lock them in the same
/// order and so never deadlock. Same rules as [`super::contacts::upsert_contact`].
async fn upsert_contacts<'s, DB: Backend>(
    tx: &mut Transaction<'_, DB>,
    starts: &'s [NewStart],
) -> Result<HashMap<Key<'s>, Contact>> {
    let mut latest: HashMap<Key<'s>, &'s NewStart> = HashMap::new();
    for start in starts {
        if let Some(profile) = &start.contact {
            latest.insert(key(&start.bot_id, profile), start);
        }
    }
    if latest.is_empty() {
        return Ok(HashMap::new());
    }
    let mut rows: Vec<(Key<'s>, &NewStart)> = latest.into_iter().collect();
    rows.sort_by_key(|(key, _)| *key);

    let insert = format!(
        "INSERT INTO contacts ({CONTACT_COLUMNS}) VALUES {}
         ON CONFLICT (bot_id, identify_method, identifier) DO UPDATE SET
             external_id = excluded.external_id, email = excluded.email, name = excluded.name,
             phone_number = excluded.phone_number, metadata = excluded.metadata,
             updated_at = excluded.updated_at, last_authenticated_at = excluded.last_authenticated_at
         RETURNING {CONTACT_COLUMNS}",
        placeholders::<DB>(rows.len(), 12)
    );
    let ids: Vec<String> = rows.iter().map(|_| new_id()).collect();
    let mut statement = sqlx::query(&insert);
    for ((_, start), id) in rows.iter().zip(&ids) {
        let p = start.contact.as_ref().expect("only starts with a contact have a key");
        statement = statement
            .arg(id.as_str())
            .arg(start.bot_id.as_str())
            .arg(p.identify_method.as_str())
            .arg(p.identifier.as_str())
            .arg(p.external_id.as_deref())
            .arg(p.email.as_deref())
            .arg(p.name.as_deref())
            .arg(p.phone_number.as_deref())
            .arg(Json(&p.metadata))
            .arg(start.now)
            .arg(start.now)
            .arg(start.now);
    }
    let upserted: Vec<Contact> = DB::all(DB::on(&mut **tx), statement).await.on_foreign_key("bot")?;
    let mut contacts = HashMap::with_capacity(upserted.len());
    for contact in upserted {
        let (key, _) = rows
            .iter()
            .find(|((bot, method, identifier), _)| {
                *bot == contact.bot_id && *method == contact.identify_method && *identifier == contact.identifier
            })
            .ok_or_else(|| crate::Error::Corrupt("an upserted contact matches no start".into()))?;
        contacts.insert(*key, contact);
    }
    Ok(contacts)
}

/// Each contact's most recently active conversation, by contact id.
async fn latest_conversations<DB: Backend>(
    tx: &mut Transaction<'_, DB>,
    contact_ids: &[&str],
) -> Result<HashMap<String, Conversation>> {
    if contact_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let list: Vec<String> = (1..=contact_ids.len()).map(DB::placeholder).collect();
    let select = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM (
             SELECT {CONVERSATION_COLUMNS},
                    ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY updated_at DESC, id DESC) AS recency
             FROM conversations WHERE contact_id IN ({})
         ) AS latest WHERE recency = 1",
        list.join(", ")
    );
    let mut statement = sqlx::query(&select);
    for id in contact_ids {
        statement = statement.arg(*id);
    }
    let found: Vec<Conversation> = DB::all(DB::on(&mut **tx), statement).await?;
    Ok(found.into_iter().filter_map(|c| Some((c.contact_id.clone()?, c))).collect())
}

/// The newest `limit` messages of each conversation, oldest first: one statement of one
/// indexed range per conversation.
async fn latest_messages<DB: Backend>(
    tx: &mut Transaction<'_, DB>,
    conversation_ids: &[&str],
    limit: u32,
) -> Result<HashMap<String, Vec<Message>>> {
    if conversation_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ranges: Vec<String> = (0..conversation_ids.len())
        .map(|n| {
            format!(
                "SELECT {MESSAGE_COLUMNS} FROM (
                     SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = {} ORDER BY seq DESC LIMIT {}
                 ) AS recent{n}",
                DB::placeholder(2 * n + 1),
                DB::placeholder(2 * n + 2)
            )
        })
        .collect();
    let select = ranges.join(" UNION ALL ");
    let mut statement = sqlx::query(&select);
    for id in conversation_ids {
        statement = statement.arg(*id).arg(clamp_limit(limit));
    }
    let found: Vec<Message> = DB::all(DB::on(&mut **tx), statement).await?;
    let mut by_conversation: HashMap<String, Vec<Message>> = HashMap::new();
    for message in found {
        by_conversation.entry(message.conversation_id.clone()).or_default().push(message);
    }
    for messages in by_conversation.values_mut() {
        messages.sort_by_key(|m| m.seq);
    }
    Ok(by_conversation)
}

async fn insert_conversations<DB: Backend>(tx: &mut Transaction<'_, DB>, created: &[Conversation]) -> Result<()> {
    if created.is_empty() {
        return Ok(());
    }
    let insert = format!(
        "INSERT INTO conversations (id, bot_id, contact_id, created_at, updated_at) VALUES {}",
        placeholders::<DB>(created.len(), 5)
    );
    let mut statement = sqlx::query(&insert);
    for c in created {
        statement = statement.arg(c.id.as_str()).arg(c.bot_id.as_str()).arg(c.contact_id.as_deref()).arg(c.created_at);
        statement = statement.arg(c.updated_at);
    }
    DB::execute(DB::on(&mut **tx), statement).await.on_foreign_key("bot")?;
    Ok(())
}

async fn insert_sessions<DB: Backend>(
    tx: &mut Transaction<'_, DB>,
    starts: &[NewStart],
    started: &[StartedSession],
) -> Result<()> {
    let insert = format!(
        "INSERT INTO sessions (id, token_hash, bot_id, contact_id, conversation_id, created_at, expires_at, refused,
             refused_proof)
         VALUES {}",
        placeholders::<DB>(started.len(), 9)
    );
    let mut statement = sqlx::query(&insert);
    for (start, s) in starts.iter().zip(started) {
        let session = &s.session;
        statement = statement
            .arg(session.id.as_str())
            .arg(start.token_hash.as_str())
            .arg(session.bot_id.as_str())
            .arg(session.contact_id.as_deref())
            .arg(session.conversation_id.as_str())
            .arg(session.created_at)
            .arg(session.expires_at)
            .arg(start.refused)
            .arg(start.proof_hash.as_deref().filter(|_| start.refused));
    }
    DB::execute(DB::on(&mut **tx), statement).await.on_unique("session_token").on_foreign_key("bot")?;
    Ok(())
}
