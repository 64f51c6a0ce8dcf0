//! The staff console without a browser: signing in as a browser does (a
//! form post), then pages and API calls with the session cookie and, for
//! changes, the CSRF token the pages carry.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::{answer, Answer};

/// A signed-in console session: its cookie and the CSRF token its pages
/// carry.
pub struct ConsoleSession {
    base: String,
    client: reqwest::Client,
    /// The `Set-Cookie` line the sign-in answered with.
    pub set_cookie: String,
    /// `name=value` of the session cookie.
    pub cookie: String,
    /// The CSRF token, as the console's pages carry it.
    pub csrf: String,
}

/// What the console answered a page request with.
#[derive(Debug)]
pub struct ConsolePage {
    pub status: StatusCode,
    /// Where a redirect leads.
    pub location: Option<String>,
    pub html: String,
}

/// A client that shows redirects rather than following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Posts the sign-in form with `fields`; answers the page or redirect.
pub async fn post_sign_in(
    base: &str,
    fields: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> (ConsolePage, Option<String>) {
    let mut request = client().post(format!("{base}/console/sign-in")).form(fields);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let set_cookie = response
        .headers()
        .get(SET_COOKIE)
        .map(|value| value.to_str().unwrap().to_owned());
    (page_of(response).await, set_cookie)
}

async fn page_of(response: reqwest::Response) -> ConsolePage {
    ConsolePage {
        status: response.status(),
        location: response
            .headers()
            .get(LOCATION)
            .map(|value| value.to_str().unwrap().to_owned()),
        html: response.text().await.unwrap(),
    }
}

/// A page of the console as a browser without a session gets it.
pub async fn page_without_session(base: &str, path: &str) -> ConsolePage {
    page_of(client().get(format!("{base}{path}")).send().await.unwrap()).await
}

impl ConsoleSession {
    /// Signs in with an API token or a one-time code (`field` is `token` or
    /// `code`), and reads the CSRF token off the console's home page.
    pub async fn sign_in(base: &str, field: &str, secret: &str) -> ConsoleSession {
        let (page, set_cookie) = post_sign_in(base, &[(field, secret), ("next", "/console")], &[]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{page:?}");
        let set_cookie = set_cookie.expect("a session cookie");
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let mut session = ConsoleSession {
            base: base.to_owned(),
            client: client(),
            set_cookie,
            cookie,
            csrf: String::new(),
        };
        let home = session.page("/console").await;
        assert_eq!(home.status, StatusCode::OK, "{home:?}");
        session.csrf = home
            .html
            .split("<meta name=\"csrf-token\" content=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the page carries the CSRF token")
            .to_owned();
        session
    }

    /// A console page, with the session.
    pub async fn page(&self, path: &str) -> ConsolePage {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        page_of(response).await
    }

    /// An API call with the session cookie, and the CSRF token if `csrf`.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>, csrf: Option<&str>) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie);
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.unwrap()).await
    }

    /// A read through the API, as a console page makes it.
    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None, None).await
    }

    /// A change through the API, as a console page makes it (with the CSRF
    /// token).
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body), Some(&self.csrf)).await
    }

    /// Signs out with the form every console page has.
    pub async fn sign_out(&self, csrf: &str) -> ConsolePage {
        let response = self
            .client
            .post(format!("{}/console/sign-out", self.base))
            .header(COOKIE, &self.cookie)
            .form(&[("csrf", csrf)])
            .send()
            .await
            .unwrap();
        page_of(response).await
    }
}
