//! Sessions, conversations, messages and the inbox ([`Conversations`]) on SQLite: reads on
//! the reader pool, writes on the writer.

use async_trait::async_trait;

use super::{SqliteStore, BEGIN, ROW_LOCK};
use crate::sql;
use crate::{
    Added, Conversation, Conversations, HandlerChange, InboxItem, InboxPlace, Message, NewMessage, NewStart,
    OpenSession, OpenedSession, Posted, Result, Session, StartedSession,
};

#[async_trait]
impl Conversations for SqliteStore {
    #[tracing::instrument(skip_all, fields(bot_id = %open.bot_id))]
    async fn open_session(&self, open: OpenSession<'_>) -> Result<OpenedSession> {
        sql::sessions::open_session(self.writer.begin_with(BEGIN).await?, &open, ROW_LOCK).await
    }

    #[tracing::instrument(skip_all, fields(starts = starts.len()))]
    async fn start_sessions(&self, starts: &[NewStart], history: u32) -> Result<Vec<StartedSession>> {
        sql::starts::start_sessions(self.writer.begin_with(BEGIN).await?, starts, history).await
    }

    #[tracing::instrument(skip_all)]
    async fn find_session(&self, token_hash: &str, now: i64) -> Result<Option<Session>> {
        sql::conversations::find_session(&self.reader, token_hash, now).await
    }

    #[tracing::instrument(skip_all, fields(conversation_id = %message.conversation_id))]
    async fn add_message(&self, message: NewMessage<'_>) -> Result<Posted> {
        sql::conversations::add_message(self.writer.begin_with(BEGIN).await?, &message, None, ROW_LOCK).await?.posted()
    }

    #[tracing::instrument(skip_all, fields(conversation_id = %message.conversation_id))]
    async fn add_message_once(&self, message: NewMessage<'_>, client_id: &str) -> Result<Added> {
        sql::conversations::add_message(self.writer.begin_with(BEGIN).await?, &message, Some(client_id), ROW_LOCK).await
    }

    #[tracing::instrument(skip_all, fields(conversation_id = %conversation_id))]
    async fn list_messages(&self, conversation_id: &str, after: i64, limit: u32) -> Result<Vec<Message>> {
        sql::conversations::list_messages(&self.reader, conversation_id, after, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_inbox(&self, bot_id: &str, after: Option<&InboxPlace>, limit: u32) -> Result<Vec<InboxItem>> {
        sql::conversations::list_inbox(&self.reader, bot_id, after, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn inbox_item(&self, conversation_id: &str) -> Result<Option<InboxItem>> {
        sql::conversations::inbox_item(&self.reader, conversation_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn get_conversation(&self, conversation_id: &str) -> Result<Option<Conversation>> {
        sql::conversations::get_conversation(&self.reader, conversation_id).await
    }

    #[tracing::instrument(skip_all, fields(conversation_id = %conversation_id, handled_by = %change.handled_by))]
    async fn set_conversation_handler(
        &self,
        conversation_id: &str,
        change: &HandlerChange<'_>,
    ) -> Result<Option<Conversation>> {
        sql::conversations::set_conversation_handler(&self.writer, conversation_id, change).await
    }

    #[tracing::instrument(skip_all)]
    async fn contact_history(
        &self,
        contact_id: &str,
        per_conversation: u32,
    ) -> Result<Vec<(Conversation, Vec<Message>)>> {
        sql::conversations::contact_history(&self.reader, contact_id, per_conversation).await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_session(&self, token_hash: &str) -> Result<Option<Session>> {
        sql::conversations::delete_session(&self.writer, token_hash).await
    }

    #[tracing::instrument(skip_all)]
    async fn page_fields(&self, conversation_id: &str) -> Result<Option<serde_json::Value>> {
        sql::conversations::page_fields(&self.reader, conversation_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn set_page_fields(&self, conversation_id: &str, fields: &serde_json::Value) -> Result<bool> {
        sql::conversations::set_page_fields(&self.writer, conversation_id, fields).await
    }

    #[tracing::instrument(skip_all)]
    async fn latest_messages(&self, conversation_id: &str, limit: u32) -> Result<Vec<Message>> {
        sql::conversations::messages_before(&self.reader, conversation_id, i64::MAX, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn messages_before(&self, conversation_id: &str, before: i64, limit: u32) -> Result<Vec<Message>> {
        sql::conversations::messages_before(&self.reader, conversation_id, before, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn purge_sessions(&self, now: i64) -> Result<u64> {
        sql::conversations::purge_sessions(&self.writer, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn awaiting_the_bot(&self, written_from: i64, written_before: i64, limit: u32) -> Result<Vec<Conversation>> {
        sql::conversations::awaiting_the_bot(&self.reader, written_from, written_before, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn purge_abandoned_conversations(&self) -> Result<u64> {
        sql::conversations::purge_abandoned_conversations(&self.writer).await
    }
}
