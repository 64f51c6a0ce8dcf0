//! Browser test support: headless Chromium at a phone's screen size, driven
//! through ChromeDriver (W3C WebDriver) with fantoccini.
//!
//! Each [`Browser`] is one phone: its own ChromeDriver process on a free
//! port, its own Chromium profile in a temporary directory (its own
//! IndexedDB, cache and service workers), its own language. A test can hold
//! two at once (a child's phone and a parent's).
//!
//! Without Chromium or ChromeDriver, [`Browser::open`] prints that the test
//! was skipped and why and returns `None`; the test then returns early and
//! passes. Under `CI=true` a missing browser fails the test instead, so CI
//! cannot silently skip them. `.ci/run` installs `chromium` and
//! `chromium-driver` with apt-get, and axe-core with `npm ci` in
//! `web-tests/`.
//!
//! `CHROME_PATH` and `CHROMEDRIVER` override `/usr/bin/chromium` and
//! `/usr/bin/chromedriver`.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

/// How long a wait for an element, a text or a script may take before the
/// test fails: generous, since the machine may be busy; a passing test
/// does not wait it out.
pub const WAIT_LIMIT: Duration = Duration::from_secs(30);

/// How often a wait looks again.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// The language a phone's browser asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// Dutch (`nl`).
    Dutch,
    /// English (`en`).
    English,
}

impl Language {
    /// The language tag sent in `Accept-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::Dutch => "nl",
            Language::English => "en",
        }
    }
}

/// The screen a phone's browser shows, in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Screen {
    pub width: u32,
    pub height: u32,
}

impl Screen {
    /// A common phone (390 × 844, an iPhone 12 to 15).
    pub const PHONE: Screen = Screen {
        width: 390,
        height: 844,
    };
    /// The narrowest screen every page must work on (320 × 640).
    pub const NARROW: Screen = Screen {
        width: 320,
        height: 640,
    };
    /// A desk's laptop (1280 × 800), where communications staff and
    /// administrators use the console.
    pub const DESKTOP: Screen = Screen {
        width: 1280,
        height: 800,
    };
}

/// A headless Chromium with its own profile, emulating a phone.
pub struct Browser {
    /// The WebDriver session, for anything the helpers below do not cover.
    pub client: Client,
    /// The test's name: screenshots go to `target/screenshots/<test>/`.
    test: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// Whether a missing prerequisite must fail the test (`CI=true`) rather
/// than skip it.
fn required() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}

/// Skips (prints why, returns `None`) or, under `CI=true`, fails.
fn skip<T>(why: &str) -> Option<T> {
    assert!(!required(), "browser test cannot run under CI=true: {why}");
    // Straight to stderr: the test harness hides `eprintln!` of passing tests.
    let _ = writeln!(std::io::stderr(), "SKIPPED browser test: {why}");
    None
}

fn program(variable: &str, default: &str) -> PathBuf {
    std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free local port");
    listener.local_addr().expect("bound address").port()
}

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lies in the workspace")
        .to_path_buf()
}

impl Browser {
    /// Opens a phone's browser for test `test` (its name, for screenshots),
    /// asking for `language`, showing `screen`; or `None` (printed) when
    /// Chromium or ChromeDriver is missing and `CI` is not `true`.
    pub async fn open(test: &str, language: Language, screen: Screen) -> Option<Browser> {
        Self::open_with(test, language, screen, &[], None).await
    }

    /// As [`Browser::open`], with more Chromium `arguments` (a fake camera
    /// playing a file, for example), saving downloads in `downloads`
    /// without asking.
    pub async fn open_with(
        test: &str,
        language: Language,
        screen: Screen,
        arguments: &[String],
        downloads: Option<&Path>,
    ) -> Option<Browser> {
        let chromium = program("CHROME_PATH", "/usr/bin/chromium");
        let chromedriver = program("CHROMEDRIVER", "/usr/bin/chromedriver");
        for (path, package) in [(&chromium, "chromium"), (&chromedriver, "chromium-driver")] {
            if !path.exists() {
                return skip(&format!(
                    "{} is missing (apt-get install {package}, or set {})",
                    path.display(),
                    if package == "chromium" {
                        "CHROME_PATH"
                    } else {
                        "CHROMEDRIVER"
                    }
                ));
            }
        }

        let port = free_port();
        // Its own process group, which Chromium joins: dropping the
        // browser ends them all, even when a failing test never closes it.
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let url = format!("http://127.0.0.1:{port}");
        wait_until_listening(&url).await;

        let profile = tempfile::tempdir().expect("a temporary profile folder");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-crash-reporter",
                    "--disable-breakpad",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--lang={}", language.tag()),
                    format!("--window-size={},{}", screen.width, screen.height),
                ],
                "prefs": { "intl.accept_languages": language.tag() },
                "mobileEmulation": {
                    "deviceMetrics": {
                        "width": screen.width,
                        "height": screen.height,
                        "pixelRatio": 2.0,
                        "mobile": true,
                        "touch": true,
                    },
                },
            },
        });
        let mut capabilities = capabilities;
        if let Some(Value::Array(args)) = capabilities.pointer_mut("/goog:chromeOptions/args") {
            args.extend(arguments.iter().cloned().map(Value::String));
        }
        if let (Some(folder), Some(Value::Object(prefs))) =
            (downloads, capabilities.pointer_mut("/goog:chromeOptions/prefs"))
        {
            prefs.insert("download.default_directory".into(), json!(folder));
            prefs.insert("download.prompt_for_download".into(), json!(false));
        }
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .unwrap_or_else(|e| panic!("opening a Chromium session through ChromeDriver: {e}"));
        Some(Browser {
            client,
            test: test.to_owned(),
            driver,
            _profile: profile,
        })
    }

    /// Loads `url` and waits for it to finish loading.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("loading {url}: {e}"));
    }

    /// Waits until an element matches the CSS `selector`, and returns it.
    pub async fn wait_for(&self, selector: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(WAIT_LIMIT)
            .every(POLL_EVERY)
            .for_element(Locator::Css(selector))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => panic!(
                "waited for {selector:?}: {e}; the page shows:\n{}",
                self.visible_text().await
            ),
        }
    }

    /// Waits for the element matching `selector`, then clicks it.
    pub async fn click(&self, selector: &str) {
        self.wait_for(selector)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {selector:?}: {e}"));
    }

    /// Waits for the field matching `selector`, empties it and types `text`.
    pub async fn fill(&self, selector: &str, text: &str) {
        let field = self.wait_for(selector).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("emptying {selector:?}: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {selector:?}: {e}"));
    }

    /// Signs in to the staff console with a one-time sign-in code's `link`
    /// (as an administrator hands it over) and waits for the console.
    pub async fn sign_in_to_console(&self, link: &str) {
        self.goto(link).await;
        self.click("form[action='/console/sign-in'] button[type=submit]")
            .await;
        self.wait_for("meta[name='csrf-token']").await;
    }

    /// Loads the current page again.
    pub async fn reload(&self) {
        self.client
            .refresh()
            .await
            .unwrap_or_else(|e| panic!("reloading: {e}"));
    }

    /// The current URL's path and query (`/enroll?code=...`).
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the page's visible text contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        let deadline = Instant::now() + WAIT_LIMIT;
        loop {
            let shown = self.visible_text().await;
            if shown.contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited {WAIT_LIMIT:?} for the text {text:?}; the page shows:\n{shown}"
            );
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// The page's visible text (`document.body.innerText`).
    pub async fn visible_text(&self) -> String {
        let text = self
            .client
            .execute("return document.body ? document.body.innerText : '';", vec![])
            .await
            .unwrap_or(Value::Null);
        text.as_str().unwrap_or("").to_owned()
    }

    /// Runs `body` as an async function in the page and returns what it
    /// returns (as JSON). `body` may `await` (for example a dynamic
    /// `import("/assets/js/protocol.js")`) and reads its arguments from
    /// `args`. A thrown error fails the test with its message; return
    /// `{error: ...}` instead to inspect failures.
    pub async fn run(&self, body: &str, args: Vec<Value>) -> Value {
        let script = format!(
            "const done = arguments[arguments.length - 1];\n\
             const args = Array.prototype.slice.call(arguments, 0, -1);\n\
             (async (...args) => {{ {body} \n}})(...args).then(\n\
               (value) => done({{ ok: value === undefined ? null : value }}),\n\
               (error) => done({{ thrown: String(error && error.stack || error) }}));"
        );
        let answer = self
            .client
            .execute_async(&script, args)
            .await
            .unwrap_or_else(|e| panic!("running a script in the page: {e}"));
        if let Some(thrown) = answer.get("thrown") {
            panic!("the script threw: {}", thrown.as_str().unwrap_or_default());
        }
        answer.get("ok").cloned().unwrap_or(Value::Null)
    }

    /// Saves a screenshot of the viewport as
    /// `target/screenshots/<test>/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("taking screenshot {name}: {e}"));
        let folder = screenshot_folder().join(&self.test);
        std::fs::create_dir_all(&folder).expect("create the screenshot folder");
        let path = folder.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Runs axe-core on the page as it is now and returns its violations
    /// (each axe's JSON: `id`, `impact`, `help`, `nodes`, ...), or `None`
    /// (printed) when axe-core is not installed and `CI` is not `true`.
    pub async fn axe_violations(&self) -> Option<Vec<Value>> {
        let path = axe_script();
        let Ok(source) = std::fs::read_to_string(&path) else {
            return skip(&format!(
                "accessibility check: {} is missing (run `npm ci` in web-tests/)",
                path.display()
            ));
        };
        self.client
            .execute(&source, vec![])
            .await
            .unwrap_or_else(|e| panic!("loading axe-core into the page: {e}"));
        let violations = self
            .run(
                "const results = await axe.run(document); return results.violations;",
                vec![],
            )
            .await;
        Some(violations.as_array().cloned().unwrap_or_default())
    }

    /// Fails the test, listing each problem, when axe-core finds any
    /// accessibility violation on the page as it is now.
    pub async fn assert_accessible(&self, what: &str) {
        let Some(violations) = self.axe_violations().await else {
            return;
        };
        let report: Vec<String> = violations
            .iter()
            .map(|violation| {
                let targets: Vec<String> = violation["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|node| node["target"].to_string())
                    .collect();
                format!(
                    "{} ({}): {} at {}",
                    violation["id"].as_str().unwrap_or("?"),
                    violation["impact"].as_str().unwrap_or("?"),
                    violation["help"].as_str().unwrap_or("?"),
                    targets.join(", ")
                )
            })
            .collect();
        assert!(
            report.is_empty(),
            "axe-core found {} accessibility violations on {what}:\n{}",
            report.len(),
            report.join("\n")
        );
    }

    /// Ends the session and the browser.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(group) = self.driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{group}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Where screenshots go: `target/screenshots/` (or under `CARGO_TARGET_DIR`).
pub fn screenshot_folder() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
        .join("screenshots")
}

/// The axe-core script `npm ci` installs in `web-tests/`.
pub fn axe_script() -> PathBuf {
    workspace_root().join("web-tests/node_modules/axe-core/axe.min.js")
}

/// Waits until ChromeDriver answers its status endpoint.
async fn wait_until_listening(url: &str) {
    let deadline = Instant::now() + WAIT_LIMIT;
    let client = reqwest::Client::new();
    loop {
        if client
            .get(format!("{url}/status"))
            .send()
            .await
            .is_ok_and(|answer| answer.status().is_success())
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "ChromeDriver did not start listening at {url}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}
