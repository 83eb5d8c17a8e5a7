//! Opening a widget session: which conversation it continues, and what a sign-in does with
//! the visitor's anonymous conversation.

use concierge_domain::{Handler, Priority};
use sqlx::Transaction;

use super::conversations::{set_conversation_handler, CONVERSATION_COLUMNS, MESSAGE_COLUMNS};
use super::{Arg, Backend};
use crate::{
    new_id, Conversation, Ended, EndedSessions, Error, HandlerChange, Message, OpenSession, OpenedSession, Result,
    ResultExt, Session, VisitorOutcome,
};

/// In `tx`, which the backend began and this commits. `row_lock` is the clause that locks
/// the rows read before writing them (the backend says why it needs one or not).
pub(crate) async fn open_session<DB: Backend>(
    mut tx: Transaction<'_, DB>,
    open: &OpenSession<'_>,
    row_lock: &str,
) -> Result<OpenedSession> {
    if let Some(contact_id) = open.contact_id {
        let select = format!("SELECT id FROM contacts WHERE id = $1 AND bot_id = $2{row_lock}");
        let known: Option<(String,)> =
            DB::optional(DB::on(&mut *tx), sqlx::query(&select).arg(contact_id).arg(open.bot_id)).await?;
        if known.is_none() {
            return Err(Error::NotFound("contact"));
        }
    }

    let visitor = match open.visitor_token_hash {
        Some(visitor_token_hash) => visitor_conversation(&mut tx, open, visitor_token_hash, row_lock).await?,
        None => None,
    };
    let (conversation, visitor, ended) = match (visitor, open.contact_id) {
        (Some((visitor, _)), Some(contact_id)) => {
            // Whatever becomes of the conversation, no anonymous session reads it any more.
            let ended = EndedSessions { conversation_id: visitor.id.clone(), which: Ended::Anonymous };
            let (conversation, outcome) = sign_in(&mut tx, visitor, open.bot_id, contact_id, open.now).await?;
            (conversation, outcome, Some(ended))
        }
        (Some((visitor, revoked)), None) => {
            let ended =
                revoked.map(|id| EndedSessions { conversation_id: visitor.id.clone(), which: Ended::Session(id) });
            (visitor, VisitorOutcome::Continued, ended)
        }
        (None, Some(contact_id)) => {
            (contact_conversation(&mut tx, open.bot_id, contact_id, open.now).await?, VisitorOutcome::None, None)
        }
        (None, None) => (new_conversation(&mut tx, open.bot_id, None, open.now).await?, VisitorOutcome::None, None),
    };

    let session = Session {
        id: new_id(),
        bot_id: open.bot_id.to_owned(),
        contact_id: open.contact_id.map(str::to_owned),
        conversation_id: conversation.id.clone(),
        created_at: open.now,
        expires_at: open.expires_at,
    };
    let insert = sqlx::query(
        "INSERT INTO sessions (id, token_hash, bot_id, contact_id, conversation_id, created_at,
             expires_at, refused, refused_proof)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .arg(session.id.as_str())
    .arg(open.token_hash)
    .arg(open.bot_id)
    .arg(open.contact_id)
    .arg(session.conversation_id.as_str())
    .arg(open.now)
    .arg(open.expires_at)
    .arg(open.refused)
    .arg(open.proof_hash.filter(|_| open.refused));
    DB::execute(DB::on(&mut *tx), insert).await.on_unique("session_token").on_foreign_key("bot")?;

    tx.commit().await?;
    Ok(OpenedSession { session, conversation, visitor, ended })
}

/// The anonymous conversation proved by a live visitor session of this bot, opened without
/// an access token or refused one that this start presents again; any other token proves
/// nothing. The visitor session is revoked (its id is the second value), except by a
/// refused sign-in, which leaves it to prove the conversation at the next try. Of two concurrent callers with the same visitor token only
/// one revokes it: the other waits on the row lock (PostgreSQL) or the writer (SQLite) and
/// then finds it gone.
async fn visitor_conversation<DB: Backend>(
    tx: &mut Transaction<'_, DB>,
    open: &OpenSession<'_>,
    visitor_token_hash: &str,
    row_lock: &str,
) -> Result<Option<(Conversation, Option<String>)>> {
    let keep = open.refused && open.contact_id.is_none();
    // A NULL proof equals nothing, so without an access token only an unrefused session proves.
    let statement = if keep {
        "SELECT id, bot_id, contact_id, conversation_id, created_at, expires_at FROM sessions
         WHERE token_hash = $1 AND bot_id = $2 AND contact_id IS NULL AND expires_at > $3
           AND (NOT refused OR refused_proof = $4)"
    } else {
        "DELETE FROM sessions
         WHERE token_hash = $1 AND bot_id = $2 AND contact_id IS NULL AND expires_at > $3
           AND (NOT refused OR refused_proof = $4)
         RETURNING id, bot_id, contact_id, conversation_id, created_at, expires_at"
    };
    let statement = sqlx::query(statement).arg(visitor_token_hash).arg(open.bot_id).arg(open.now).arg(open.proof_hash);
    let Some(visitor): Option<Session> = DB::optional(DB::on(&mut **tx), statement).await? else {
        return Ok(None);
    };
    // Locked when revoking, until the transaction ends, so that a message written to it
    // meanwhile waits, and then either joins the merge or finds the conversation gone;
    // never lost with it.
    let lock = if keep { "" } else { row_lock };
    let select = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1 AND contact_id IS NULL{lock}");
    let statement = sqlx::query(&select).arg(visitor.conversation_id.as_str());
    let conversation: Option<Conversation> = DB::optional(DB::on(&mut **tx), statement).await?;
    Ok(conversation.map(|c| (c, (!keep).then_some(visitor.id))))
}

/// A visitor signed in as `contact_id`. See [`VisitorOutcome`] for what happens to their
/// anonymous conversation.
async fn sign_in<DB: Backend>(
    tx: &mut Transaction<'_, DB>,
    visitor: Conversation,
    bot_id: &str,
    contact_id: &str,
    now: i64,
) -> Result<(Conversation, VisitorOutcome)> {
    let spoke = "SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = $1 AND author = 'visitor')";
    let (spoke,): (bool,) = DB::one(DB::on(&mut **tx), sqlx::query(spoke).arg(visitor.id.as_str())).await?;
    if !spoke {
        delete_conversation(tx, &visitor.id).await?;
        let conversation = contact_conversation(tx, bot_id, contact_id, now).await?;
        return Ok((conversation, VisitorOutcome::Discarded));
    }
    // Other anonymous sessions on it (a refused sign-in's) must not read the contact's
    // conversation from now on.
    let revoke = sqlx::query("DELETE FROM sessions WHERE conversation_id = $1 AND contact_id IS NULL");
    DB::execute(DB::on(&mut **tx), revoke.arg(visitor.id.as_str())).await?;
    let Some(target) = latest_conversation(tx, bot_id, contact_id).await? else {
        let conversation = hand_over(tx, &visitor.id, contact_id, now).await?.ok_or(Error::NotFound("conversation"))?;
        return Ok((conversation, VisitorOutcome::HandedOver));
    };
    let messages = join_messages(tx, &visitor.id, &target.id).await?;
    let handler = target.merged_handler(&visitor);
    let change = HandlerChange {
        handled_by: handler.handled_by,
        priority: handler.priority,
        agent_name: handler.agent_name.as_deref(),
        agent_id: handler.agent_id.as_deref(),
        expected: None,
        now,
    };
    let conversation = set_conversation_handler(DB::on(&mut **tx), &target.id, &change)
        .await?
        .ok_or(Error::NotFound("conversation"))?;
    delete_conversation(tx, &visitor.id).await?;
    Ok((conversation, VisitorOutcome::Merged { from: visitor.id, messages, handler_changed: handler.changed }))
}

/// Writes the visitor conversation's messages into the contact's, in their order, as its
/// newest: each gets a new seq. Kept, their older seqs would sit below what the person's
/// other devices have read already, and a device that was asleep at the sign-in, catching
/// up "after" its last seq, would never get them. The originals go with their conversation;
/// an unanswered question follows its message. The contact's conversation is locked first
/// (an UPDATE locks on both databases), as a message written to it is, so that the copies'
/// seqs follow every message committed to it.
async fn join_messages<DB: Backend>(tx: &mut Transaction<'_, DB>, from: &str, into: &str) -> Result<Vec<Message>> {
    let lock = sqlx::query("UPDATE conversations SET last_seq = last_seq WHERE id = $1").arg(into);
    DB::execute(DB::on(&mut **tx), lock).await?;
    let old = sqlx::query("SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq").arg(from);
    let seqs: Vec<(i64,)> = DB::all(DB::on(&mut **tx), old).await?;
    // A widget's id for a message is unique per conversation: one the contact's conversation
    // has already (only a client that chose to repeat it) is dropped from the copy rather
    // than make the sign-in fail.
    let copy = format!(
        "INSERT INTO messages (conversation_id, author, author_name, text, styles, created_at, client_id)
         SELECT $1, author, author_name, text, styles, created_at,
                CASE WHEN EXISTS (SELECT 1 FROM messages other WHERE other.conversation_id = $1
                                                                AND other.client_id = old.client_id)
                     THEN NULL ELSE client_id END
         FROM messages old WHERE seq = $2
         RETURNING {MESSAGE_COLUMNS}"
    );
    let mut joined = Vec::with_capacity(seqs.len());
    for (seq,) in seqs {
        let message: Message = DB::one(DB::on(&mut **tx), sqlx::query(&copy).arg(into).arg(seq)).await?;
        let follow = sqlx::query("UPDATE unanswered_questions SET message_seq = $1 WHERE message_seq = $2");
        DB::execute(DB::on(&mut **tx), follow.arg(message.seq).arg(seq)).await?;
        joined.push(message);
    }
    Ok(joined)
}

/// Deletes a conversation with its sessions and messages (by cascade).
async fn delete_conversation<DB: Backend>(tx: &mut Transaction<'_, DB>, conversation_id: &str) -> Result<()> {
    DB::execute(DB::on(&mut **tx), sqlx::query("DELETE FROM conversations WHERE id = $1").arg(conversation_id)).await?;
    Ok(())
}

/// The contact's most recently active conversation, or a new one.
async fn contact_conversation<DB: Backend>(
    tx: &mut Transaction<'_, DB>,
    bot_id: &str,
    contact_id: &str,
    now: i64,
) -> Result<Conversation> {
    match latest_conversation(tx, bot_id, contact_id).await? {
        Some(conversation) => Ok(conversation),
        None => new_conversation(tx, bot_id, Some(contact_id), now).await,
    }
}

/// Gives an anonymous conversation to `contact_id`; `None` if it already has a contact.
async fn hand_over<DB: Backend>(
    tx: &mut Transaction<'_, DB>,
    conversation_id: &str,
    contact_id: &str,
    now: i64,
) -> Result<Option<Conversation>> {
    let update = format!(
        "UPDATE conversations SET contact_id = $1, updated_at = $2
         WHERE id = $3 AND contact_id IS NULL
         RETURNING {CONVERSATION_COLUMNS}"
    );
    DB::optional(DB::on(&mut **tx), sqlx::query(&update).arg(contact_id).arg(now).arg(conversation_id)).await
}

async fn latest_conversation<DB: Backend>(
    tx: &mut Transaction<'_, DB>,
    bot_id: &str,
    contact_id: &str,
) -> Result<Option<Conversation>> {
    let select = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations
         WHERE bot_id = $1 AND contact_id = $2
         ORDER BY updated_at DESC, id DESC LIMIT 1"
    );
    DB::optional(DB::on(&mut **tx), sqlx::query(&select).arg(bot_id).arg(contact_id)).await
}

async fn new_conversation<DB: Backend>(
    tx: &mut Transaction<'_, DB>,
    bot_id: &str,
    contact_id: Option<&str>,
    now: i64,
) -> Result<Conversation> {
    let conversation = Conversation {
        id: new_id(),
        bot_id: bot_id.to_owned(),
        contact_id: contact_id.map(str::to_owned),
        handled_by: Handler::Bot,
        priority: Priority::Normal,
        agent_name: None,
        agent_id: None,
        created_at: now,
        updated_at: now,
    };
    let insert = sqlx::query(
        "INSERT INTO conversations (id, bot_id, contact_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .arg(conversation.id.as_str())
    .arg(bot_id)
    .arg(contact_id)
    .arg(now);
    DB::execute(DB::on(&mut **tx), insert).await.on_foreign_key("bot")?;
    Ok(conversation)
}
