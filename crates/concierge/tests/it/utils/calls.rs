//! What a test asks a running server: the admin API, and a widget's session start.

use serde_json::{json, Value};

use super::{TestApp, ADMIN_TOKEN, DEADLINE};

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.admin_as(ADMIN_TOKEN, method, path, body).await
    }

    pub async fn admin_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(&format!("/api/admin/v1{path}"))).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.admin(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.admin(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.admin(reqwest::Method::PUT, path, Some(body)).await
    }

    /// A new bot; returns its id.
    pub async fn bot(&self) -> String {
        let (status, bot) = self.post("/bots", json!({"name": "Support"})).await;
        assert_eq!(status, 201, "{bot}");
        bot["id"].as_str().expect("id").to_owned()
    }

    /// Fills the bot's knowledge base to its cap, straight through the store (the admin
    /// API's rate limit would take minutes).
    pub async fn fill_knowledge_base(&self, bot: &str) {
        for i in 0..concierge_core::MAX_ARTICLES {
            let title = format!("Article {i}");
            let new = concierge_store::NewArticle {
                bot_id: bot,
                title: &title,
                body: "Some answer.",
                asked_as: &Vec::new(),
                at_most: concierge_core::MAX_ARTICLES,
                now: i as i64,
            };
            self.services.store.create_article(new).await.expect("an article below the cap");
        }
    }

    /// A bot with Custom Authentication enabled against `url`, plus `extra` settings.
    pub async fn bot_with_auth(&self, url: &str, extra: Value) -> String {
        let bot = self.bot().await;
        let mut settings = json!({"enabled": true, "url": url});
        if let (Some(s), Some(e)) = (settings.as_object_mut(), extra.as_object()) {
            s.extend(e.clone());
        }
        let (status, body) = self.put(&format!("/bots/{bot}/custom-auth"), settings).await;
        assert_eq!(status, 200, "{body}");
        bot
    }

    pub async fn start_session(&self, body: Value) -> (u16, Value) {
        self.start_session_on(None, body).await
    }

    /// A session start from a page of `origin` (the browser's `Origin` header).
    pub async fn start_session_on(&self, origin: Option<&str>, body: Value) -> (u16, Value) {
        let mut request = self.http.post(self.url("/api/widget/v1/sessions")).json(&body);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let resp = request.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("json body"))
    }

    pub async fn contacts(&self, bot: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/bots/{bot}/contacts?limit=200")).await;
        assert_eq!(status, 200, "{body}");
        body["items"].as_array().expect("items").clone()
    }

    /// Waits until the bot is done with `n` visitor messages on this server, whatever it did
    /// with them: everything it would have said about them has been said.
    pub async fn bot_done_with(&self, n: u64) {
        let mut turns = self.services.bot_turns();
        let done = tokio::time::timeout(DEADLINE, turns.wait_for(|turns| *turns >= n)).await;
        assert!(done.is_ok_and(|r| r.is_ok()), "the bot was not done with {n} visitor messages in time");
    }

    pub async fn attempts(&self, bot: &str, query: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/bots/{bot}/auth-attempts{query}")).await;
        assert_eq!(status, 200, "{body}");
        body["items"].as_array().expect("items").clone()
    }
}
