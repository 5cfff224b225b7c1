//! A headless Chromium driven over the W3C WebDriver protocol, for the admin console's
//! tests: Debian's `chromium` and `chromedriver` (which `scripts/test-deps` installs), a
//! driver process and a browser profile of the test's own, dropped with it.
//!
//! The protocol's few calls a test needs (a session, navigation, elements, clicks, keys,
//! scripts, screenshots, the window's size) are JSON over the HTTP client the project
//! already builds. `fantoccini` speaks the same protocol, but brings the `webdriver` crate
//! with ICU 1.x segmenters, a second `cookie` and `time`, into a tree that has none of
//! them.

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// How long a test waits for the page to show what it expects.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// W3C WebDriver's key of an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running browser session; the driver is killed on drop.
#[derive(Debug)]
pub struct Browser {
    client: reqwest::Client,
    session: String,
    driver: Child,
    /// The browser's profile: a fresh directory, removed on drop (the one the SQLite
    /// harness gives each test).
    _profile: crate::TestSqlite,
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}

/// A free port on 127.0.0.1 (bound, then released for the driver to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium of `width` × `height`; fails the test
    /// with the command that installs them when they are missing.
    pub async fn start(width: u32, height: u32) -> Self {
        let (Some(chromium), Some(chromedriver)) = (which("chromium"), which("chromedriver"))
        else {
            panic!(
                "the console's browser tests need Debian's Chromium and ChromeDriver: run \
                 scripts/test-deps as root, or `sudo apt-get install -y chromium chromium-driver`"
            );
        };
        let port = free_port();
        // A process group of its own, which the browser joins: dropping the `Browser`
        // ends them all, even when a failed test never reaches `quit`.
        let driver = Command::new(chromedriver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let client = zora_engine::http_client();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + PATIENCE;
        while client.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not answer");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = crate::TestSqlite::new();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--user-data-dir={}", profile.dir().display()),
                    format!("--window-size={width},{height}"),
                ],
            },
        }}});
        let answer: Value = client
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session JSON");
        let id = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {answer}"))
            .to_owned();
        Self {
            client,
            session: format!("{base}/session/{id}"),
            driver,
            _profile: profile,
        }
    }

    /// A WebDriver call's `value`, an error's too.
    async fn try_call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.session))
            .timeout(PATIENCE * 2);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request
            .send()
            .await
            .expect("WebDriver call")
            .json()
            .await
            .expect("WebDriver JSON");
        answer["value"].clone()
    }

    /// A WebDriver call's `value`; an error fails the test.
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let value = self.try_call(method, path, body).await;
        if value["error"].is_string() {
            panic!("WebDriver {path}: {value}");
        }
        value
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub async fn eval(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// Waits until `condition` (a JavaScript expression) is truthy; fails naming `what`
    /// and showing the page's text.
    pub async fn wait_for(&self, condition: &str, what: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let value = self
                .eval(
                    &format!("try {{ return !!({condition}); }} catch (e) {{ return false; }}"),
                    json!([]),
                )
                .await;
            if value == Value::Bool(true) {
                return;
            }
            if Instant::now() > deadline {
                let text = self.eval("return document.body.innerText", json!([])).await;
                panic!("waited {PATIENCE:?} for {what} ({condition}); the page says:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The element `css` selects, once there is one.
    async fn element(&self, css: &str) -> String {
        self.wait_for(
            &format!("document.querySelector({})", json!(css)),
            &format!("an element {css}"),
        )
        .await;
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT_KEY]
            .as_str()
            .expect("an element reference")
            .to_owned()
    }

    /// Clicks the element `css` selects (as a user would: scrolled into view, with the
    /// pointer's events). A live page may draw the element again between finding and
    /// clicking it: then the new one is found and clicked.
    pub async fn click(&self, css: &str) {
        for _ in 0..5 {
            let id = self.element(css).await;
            let answer = self
                .try_call(
                    reqwest::Method::POST,
                    &format!("/element/{id}/click"),
                    Some(json!({})),
                )
                .await;
            match answer["error"].as_str() {
                None => return,
                Some("stale element reference") => continue,
                Some(_) => panic!("WebDriver click on {css}: {answer}"),
            }
        }
        panic!("{css} was drawn again at every click");
    }

    /// Types `text` into the element `css` selects, after clearing it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// The visible text of the element `css` selects, read in one script (a live page may
    /// draw the element again at any moment: a reference found first could be stale).
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(
            &format!("document.querySelector({})", json!(css)),
            &format!("an element {css}"),
        )
        .await;
        self.eval(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
            json!([css]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Answers every `confirm` with yes and every `prompt` with `reply`, on this page.
    pub async fn answer_dialogs(&self, reply: &str) {
        self.eval(
            "window.confirm = () => true; window.prompt = () => arguments[0];",
            json!([reply]),
        )
        .await;
    }

    /// Resizes the window.
    pub async fn resize(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Saves a PNG of the page as it is at `path` (its directory made if need be).
    pub async fn screenshot(&self, path: &Path) {
        let data = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("base64 PNG"))
            .expect("a PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot directory");
        }
        std::fs::write(path, png).expect("write the screenshot");
    }

    /// Ends the session (the driver closes its browser), then the driver.
    pub async fn quit(self) {
        let _ = self.client.delete(&self.session).send().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // After `quit`, or a failed test: the driver and every browser process it
        // started (its process group) go in any case.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
