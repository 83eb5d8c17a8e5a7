//! A dashboard user signed in over HTTP, posting forms as a browser does.

use super::no_redirects;
use crate::utils::TestApp;

/// A signed-in dashboard user: the cookie and the CSRF token its forms carry.
pub struct Signed {
    pub http: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
}

impl Signed {
    pub fn from_response(http: reqwest::Client, resp: &reqwest::Response) -> Signed {
        let cookie = resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let csrf = concierge_core::csrf_token(cookie.split_once('=').unwrap().1);
        Signed { http, cookie, csrf }
    }

    /// The first account, through the setup link; it belongs to the default workspace,
    /// where `app.bot()` creates bots.
    pub async fn first_user(app: &TestApp) -> Signed {
        let link = app.services.setup_link_if_needed().await.unwrap().expect("a link");
        let http = no_redirects();
        let form = [("token", link.as_str()), ("email", "owner@example.com"), ("password", "a long password")];
        let resp = http.post(app.url("/setup")).form(&form).send().await.unwrap();
        assert_eq!(resp.status(), 303);
        Signed::from_response(http, &resp)
    }

    pub async fn sign_in(app: &TestApp, email: &str) -> Signed {
        let http = no_redirects();
        let form = [("email", email), ("password", "a long password"), ("next", "/bots")];
        let resp = http.post(app.url("/login")).form(&form).send().await.unwrap();
        assert_eq!(resp.status(), 303);
        Signed::from_response(http, &resp)
    }

    pub async fn page(&self, app: &TestApp, path: &str) -> (u16, String) {
        let resp = self.http.get(app.url(path)).header("cookie", &self.cookie).send().await.unwrap();
        (resp.status().as_u16(), unescaped(resp.text().await.unwrap()))
    }

    /// Posts a form with the CSRF token; the status and the redirect or the page.
    pub async fn post(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &self.csrf));
        self.post_raw(app, path, &form).await
    }

    pub async fn post_raw(&self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let resp = self.http.post(app.url(path)).header("cookie", &self.cookie).form(form).send().await.unwrap();
        let status = resp.status().as_u16();
        let location = resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        (status, location.unwrap_or(unescaped(resp.text().await.unwrap())))
    }
}

/// minijinja escapes `/`, quotes and `&` in text; the assertions read the page as a person does.
pub fn unescaped(html: String) -> String {
    html.replace("&#x2f;", "/").replace("&quot;", "\"").replace("&#x27;", "'").replace("&amp;", "&")
}
