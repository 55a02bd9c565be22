//! Every text a user reads comes from the catalogues: internal failures and malformed requests
//! answer with catalogued messages (never a parser's or the database's own words), and the demo
//! programme's pages, rendered in Spanish and English, show no raw keys, JSON or missing texts.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};

use crate::helpers::TestApp;

/// Catalogued titles and details of the errors these tests provoke.
const CATALOGUED: [&str; 6] = [
    "Solicitud mal formada",
    "La solicitud no se pudo leer.",
    "Algo salió mal",
    "Ocurrió un error inesperado. Ya quedó registrado; inténtelo de nuevo en unos minutos.",
    "Servicio no disponible por un momento",
    "La base de datos no respondió a tiempo. Inténtelo de nuevo en unos segundos.",
];

/// Fails if a problem+json body holds text other than the catalogue's.
fn assert_catalogued_problem(what: &str, body: &str) {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: {e}"));
    for field in ["title", "detail"] {
        let text = v[field].as_str().unwrap_or_default();
        assert!(
            CATALOGUED.contains(&text),
            "{what}: {field} is not catalogued text: {text:?}"
        );
    }
}

#[tokio::test]
async fn malformed_requests_answer_with_catalogued_messages_only() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    app.programme("TXT1", app.client_a, &m).await;
    let api = |method: Method, path: &str, ct: &str, body: &'static str| {
        Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", m.bearer))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let cases = [
        (
            "malformed JSON",
            api(Method::POST, "/programs", "application/json", "{not json"),
        ),
        (
            "JSON of the wrong shape",
            api(Method::POST, "/programs", "application/json", "[1, 2]"),
        ),
        (
            "a path id that is not a number",
            api(Method::GET, "/programs/TXT1/imports/abc", "text/plain", ""),
        ),
    ];
    for (what, req) in cases {
        let res = app.send(req).await;
        assert!(res.status.is_client_error(), "{what}: {}", res.status);
        assert_eq!(res.content_type(), "application/problem+json", "{what}");
        assert_eq!(res.json()["status"], res.status.as_u16(), "{what}");
        assert_catalogued_problem(what, &res.body);
    }
    // A broken multipart upload on the page: the friendly page, in Spanish, without axum's text.
    let page = app
        .send(
            Request::post("/programs/TXT1/imports")
                .header(header::COOKIE, &m.cookie)
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XYZ")
                .body(Body::from("--XYZ\r\nContent-Disposition: form-da"))
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(page.body.contains("La solicitud no se pudo leer."));
    for raw in ["multipart", "boundary", "Error parsing", "EOF"] {
        assert!(!page.body.contains(raw), "{raw} shown: {}", page.body);
    }
    // Without a boundary the multipart extractor itself refuses, in English unless caught.
    let page = app
        .send(
            Request::post("/programs/TXT1/imports")
                .header(header::COOKIE, &m.cookie)
                .header(header::CONTENT_TYPE, "multipart/form-data")
                .body(Body::from("x"))
                .unwrap(),
        )
        .await;
    assert!(page.status.is_client_error(), "{}", page.status);
    assert!(page.body.contains("<main") && page.body.contains("Solicitud mal formada"));
    assert!(!page.body.contains("boundary"), "{}", page.body);
}

#[tokio::test]
async fn an_unreachable_database_answers_503_with_retry_after_and_hides_the_cause() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    // A closed database: every query fails with the driver's own words.
    app.store.close().await;
    let res = app.api(Some(&m), Method::GET, "/programs", None).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers["retry-after"], "2");
    assert_catalogued_problem("closed database (API)", &res.body);
    let page = app.get_page(Some(&m), "/programs").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.headers["retry-after"], "2");
    assert!(page.body.contains("no disponible"), "{}", page.body);
    for raw in ["pool", "closed", "sqlx", "Pool", "database"] {
        assert!(!page.body.contains(raw), "{raw} shown: {}", page.body);
        assert!(
            !res.body.contains(raw),
            "{raw} in the API body: {}",
            res.body
        );
    }
}

/// A page's visible text: tags dropped (attributes are not text), entities decoded.
fn visible_text(html: &str) -> String {
    // Style sheets and scripts are not text a person reads.
    let mut html = html.to_string();
    for tag in ["style", "script"] {
        while let Some(open) = html.find(&format!("<{tag}")) {
            let close = format!("</{tag}>");
            let Some(end) = html[open..].find(&close) else {
                break;
            };
            html.replace_range(open..open + end + close.len(), "");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Words of visible text that look like catalogue keys (`plan.key.activity_start`) or wire
/// names (`service_level`); `queue_log` is the name of an Asterisk file, not a key.
fn raw_keys(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map(|w| w.trim_matches('.'))
        .filter(|w| {
            let lower = w.chars().all(|c| !c.is_ascii_uppercase());
            let snake = w.contains('_') && w.split(['_', '.']).all(|p| !p.is_empty());
            let dotted_key = w.contains('.')
                && w.split('.').count() >= 2
                && w.split('.')
                    .all(|p| p.chars().next().is_some_and(|c| c.is_ascii_lowercase()));
            lower && *w != "queue_log" && (snake || (dotted_key && w.contains('_')))
        })
        .map(str::to_string)
        .collect()
}

/// English words that must not appear in the Spanish rendering (whole words).
const ENGLISH: [&str; 16] = [
    "the", "and", "with", "line", "expected", "unknown", "found", "call", "for", "null", "true",
    "false", "Created", "Changed", "Deleted", "answered",
];

/// The page without the elements marked as written in English (`lang="en"`: a notice shown in
/// both languages on purpose).
fn without_english_parts(html: &str) -> String {
    let mut out = html.to_string();
    while let Some(at) = out.find(" lang=\"en\"") {
        let Some(open) = out[..at].rfind('<') else {
            break;
        };
        let name: String = out[open + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let close = format!("</{name}>");
        let Some(end) = out[at..].find(&close) else {
            break;
        };
        out.replace_range(open..at + end + close.len(), "");
    }
    out
}

fn assert_clean(what: &str, lang: &str, html: &str) {
    let html = &if lang == "es" {
        without_english_parts(html)
    } else {
        html.to_string()
    };
    let text = visible_text(html);
    let keys = raw_keys(&text);
    assert!(keys.is_empty(), "{what} ({lang}) shows raw keys: {keys:?}");
    for bad in [
        "(texto no disponible)",
        "(text not available)",
        "{",
        "}",
        "\"",
    ] {
        if let Some(i) = text.find(bad) {
            let around: String = text[i..].chars().take(80).collect();
            panic!("{what} ({lang}) shows {bad:?}: …{around}…");
        }
    }
    if lang == "es" {
        let iso = text.as_bytes().windows(10).position(|w| {
            w.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            })
        });
        if let Some(i) = iso {
            let around: String = text[i..].chars().take(40).collect();
            panic!("{what} (es) shows an ISO date: {around}…");
        }
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| ENGLISH.contains(w))
            .collect();
        assert!(words.is_empty(), "{what} (es) shows English: {words:?}");
    }
}

/// A demo account, logged in (session cookie) and with an API token, in `lang`.
async fn demo_login(app: &TestApp, email: &str, lang: &str) -> crate::helpers::Who {
    use rumbo_app::credentials as auth;
    let user = app.store.user_by_email(email).await.unwrap().user;
    app.store.set_user_lang(user.id, lang).await.unwrap();
    let (token, csrf, bearer) = (auth::new_token(), auth::new_token(), auth::new_token());
    app.store
        .create_session(&auth::token_hash(&token), user.id, &csrf, 3600)
        .await
        .unwrap();
    app.store
        .create_api_token(
            &rumbo_store::Actor::system("test"),
            user.id,
            &auth::token_hash(&bearer),
            lang,
        )
        .await
        .unwrap();
    crate::helpers::Who {
        user,
        cookie: format!("{}={token}", rumbo_server::http::auth::SESSION_COOKIE),
        csrf,
        bearer,
    }
}

/// 2026-04-15 13:00 UTC onwards: three calls, a garbage line, a bad timestamp and a call that
/// never ends, so the batch page has issues of several kinds.
const QUEUE_LOG: &str = "\
1776258000|2001.1|ventas|NONE|ENTERQUEUE||+56912345678|1
1776258010|2001.1|ventas|SIP/201|CONNECT|10|2001.2|3
1776258190|2001.1|ventas|SIP/201|COMPLETECALLER|10|180|1
this line is garbage
abc|2002.1|ventas|NONE|ENTERQUEUE||+56911112222|1
1776258300|2003.1|ventas|NONE|ENTERQUEUE||+56933334444|1
1776258400|2004.1|ventas|NONE|ENTERQUEUE||+56955556666|1
1776258420|2004.1|ventas|NONE|ABANDON|1|1|20
";

#[tokio::test]
async fn the_demo_programme_pages_show_only_catalogued_text_in_both_languages() {
    let app = TestApp::spawn().await;
    let demo = rumbo_app::App::new(app.store.clone(), rumbo_app::Settings::default());
    assert!(demo.seed_demo_if_empty().await.unwrap());
    let manager = demo_login(&app, "jefa@demo.rumbo.cl", "es").await;
    let import = app
        .send(
            Request::post("/api/v1/programs/VIDA-2026/imports?source=queue-log&file_name=cola.log")
                .header(header::AUTHORIZATION, format!("Bearer {}", manager.bearer))
                .body(Body::from(QUEUE_LOG))
                .unwrap(),
        )
        .await;
    assert_eq!(import.status, StatusCode::CREATED, "{}", import.body);
    let batch = import.json()["batch_id"].as_i64().unwrap();

    // The batch API: a localized message per issue, the parser's words only as `detail`.
    let detail = app
        .api(
            Some(&manager),
            Method::GET,
            &format!("/programs/VIDA-2026/imports/{batch}"),
            None,
        )
        .await
        .json();
    let issues = detail["issues"].as_array().unwrap();
    assert!(issues.len() >= 2, "{detail}");
    for i in issues {
        let kind = i["kind"].as_str().unwrap();
        assert_eq!(
            i["message"].as_str(),
            rumbo_server::view::i18n::Lang::Es.t_opt(&format!("import.issue.{kind}")),
            "{i}"
        );
        assert!(i["detail"].is_string(), "{i}");
    }
    assert!(
        issues.iter().any(|i| i["excerpt"] == "abc"),
        "the bad timestamp is quoted: {detail}"
    );

    let start = detail["batch"]["min_ts"].as_i64().unwrap();
    let job = import.json()["job_id"].as_i64().unwrap();
    // A rights request and a breach, so their pages are rendered too.
    let admin = demo_login(&app, "admin@demo.rumbo.cl", "es").await;
    let req = app
        .post_form(
            Some(&admin),
            "/privacy/requests",
            &[
                ("kind", "access"),
                ("subject", "+56 9 8765 1234"),
                ("channel", "correo"),
                ("received_on", "2026-11-02"),
                ("identity_checked", "true"),
            ],
        )
        .await;
    assert_eq!(req.status, StatusCode::SEE_OTHER, "{}", req.body);
    let breach = app
        .api(
            Some(&admin),
            Method::POST,
            "/privacy/breaches",
            Some(serde_json::json!({
                "what": "Planilla enviada a un destinatario equivocado",
                "occurred_on": "2026-11-20", "detected_on": "2026-11-21",
                "data_classes": "nombre, RUT", "people_affected": 240,
                "measures": "Se pidió eliminar el correo",
                "risk": true, "sensitive": false, "children": false, "financial": false
            })),
        )
        .await;
    assert_eq!(breach.status, StatusCode::CREATED, "{}", breach.body);
    let job_page = format!("/imports/jobs/{job}");
    let pages = [
        "/programs".to_string(),
        "/planning".to_string(),
        "/planning/staffing".to_string(),
        "/control".to_string(),
        "/reports".to_string(),
        "/programs/VIDA-2026/mappings".to_string(),
        format!("/programs/VIDA-2026/control/calls?queue=ventas&by=day&start={start}"),
        "/programs/VIDA-2026".to_string(),
        "/programs/VIDA-2026/plan".to_string(),
        "/programs/VIDA-2026/control?by=day&from=2026-04-01&to=2026-04-30".to_string(),
        "/programs/VIDA-2026/imports".to_string(),
        format!("/programs/VIDA-2026/imports/{batch}"),
        "/programs/VIDA-2026/closeout".to_string(),
        "/programs/VIDA-2026/lessons".to_string(),
        "/programs/VIDA-2027".to_string(),
        "/programs/VIDA-2027/suggestions".to_string(),
        "/library".to_string(),
        "/library?q=cierre".to_string(),
    ];
    for lang in ["es", "en"] {
        let manager = demo_login(&app, "jefa@demo.rumbo.cl", lang).await;
        let admin = demo_login(&app, "admin@demo.rumbo.cl", lang).await;
        for path in &pages {
            let page = app.get_page(Some(&manager), path).await;
            assert_eq!(page.status, StatusCode::OK, "{path} ({lang})");
            assert_clean(path, lang, &page.body);
        }
        let login = app
            .send(
                Request::get("/login")
                    .header(
                        header::COOKIE,
                        format!("{}={lang}", rumbo_server::http::auth::LANG_COOKIE),
                    )
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "/login ({lang})");
        assert_clean("/login", lang, &login.body);
        let page = app.get_page(Some(&admin), "/admin").await;
        assert_eq!(page.status, StatusCode::OK, "/admin ({lang})");
        assert_clean("/admin", lang, &page.body);
        every_page_of_the_demo(&app, &manager, &admin, lang, &pages, &job_page).await;
    }
    // Every field any stored snapshot holds has a label, and every audited action and entity a
    // name: the demo's audit log (every plan kind, programme, people, batch) is the inventory.
    for lang in rumbo_server::view::i18n::Lang::ALL {
        let cx = rumbo_server::view::ViewCx {
            lang,
            ..Default::default()
        };
        let missing = lang.t("i18n.missing");
        let mut unlabelled = std::collections::BTreeSet::new();
        for a in app.store.audit_recent(100_000).await.unwrap() {
            let what = rumbo_server::view::changes::audit_what(&cx, &a.action, &a.entity, "");
            assert!(
                !what.contains(missing),
                "{} {} ({lang:?})",
                a.action,
                a.entity
            );
            for side in [a.before.as_ref(), a.after.as_ref()].into_iter().flatten() {
                // Listing a snapshot against nothing labels each of its fields.
                for f in rumbo_server::view::changes::audit_changes(
                    &cx,
                    &a.entity,
                    "update",
                    None,
                    Some(side),
                ) {
                    if f.label == missing {
                        unlabelled.insert(format!("{}: {}", a.entity, side));
                    }
                }
            }
        }
        assert!(
            unlabelled.is_empty(),
            "unlabelled fields ({lang:?}): {unlabelled:#?}"
        );
    }
    // The plan's approved change reads in words on the plan page and in the history.
    let es = demo_login(&app, "jefa@demo.rumbo.cl", "es").await;
    let plan = visible_text(
        &app.get_page(Some(&es), "/programs/VIDA-2026/plan")
            .await
            .body,
    );
    assert!(plan.contains("Duración de la actividad A11"), "{plan}");
    let control = visible_text(
        &app.get_page(
            Some(&es),
            "/programs/VIDA-2026/control?by=day&from=2026-04-01&to=2026-04-30",
        )
        .await
        .body,
    );
    assert!(control.contains("Estándar Rumbo"), "{control}");
}

/// Pages the demo cannot reach: a template that needs an id no demo page links to. Keep short;
/// a new page belongs in the demo instead.
const NOT_IN_DEMO: &[&str] = &[
    // The stored copy of a sent report: a file download, and the demo has sent none.
    "/programs/{code}/distributions/{id}",
];

/// Renders every GET page route of the server (enumerated from the routers, so pages added
/// later are covered) for the demo programme, as its manager (as the admin where only admins
/// may look; without a session for the public ones), and checks each. A template with an id
/// is filled from the links the other pages show; one no page links to fails unless listed in
/// [`NOT_IN_DEMO`].
async fn every_page_of_the_demo(
    app: &TestApp,
    manager: &crate::helpers::Who,
    admin: &crate::helpers::Who,
    lang: &str,
    explicit: &[String],
    job_page: &str,
) {
    use crate::routes::{fill, has_id, page_routes};
    let gets: Vec<String> = page_routes()
        .into_iter()
        // Event streams (they never end), downloads (they need their query) and static files
        // are not pages.
        .filter(|r| {
            r.method == "GET"
                && !r.path.ends_with("/events")
                && !r.path.ends_with("/download")
                && !r.path.starts_with("/static/")
        })
        .map(|r| r.path)
        .collect();
    let mut links: std::collections::BTreeSet<String> = explicit
        .iter()
        .map(|e| e.split('?').next().unwrap_or("").to_string())
        .collect();
    links.insert(job_page.to_string());
    let render = |path: String| async move {
        let mut page = app.get_page(Some(manager), &path).await;
        if page.status == StatusCode::FORBIDDEN {
            page = app.get_page(Some(admin), &path).await;
        }
        if page.status == StatusCode::SEE_OTHER && !path.starts_with("/login") {
            // A finished job's page sends on to its batch.
            let to = page.location().to_string();
            page = app.get_page(Some(manager), &to).await;
        }
        if page.status == StatusCode::SEE_OTHER && !page.location().starts_with("/login") {
            // A page for visitors (the login form) sends a signed-in user on.
            page = app
                .send(
                    Request::get(&path)
                        .header(
                            header::COOKIE,
                            format!("{}={lang}", rumbo_server::http::auth::LANG_COOKIE),
                        )
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
        }
        assert_eq!(
            page.status,
            StatusCode::OK,
            "{path} ({lang}): {}",
            &page.body.chars().take(300).collect::<String>()
        );
        assert_clean(&path, lang, &page.body);
        assert_numbers_in_locale(&path, lang, &page.body);
        page.body
    };
    let mut rendered = 0;
    for template in gets.iter().filter(|t| !has_id(t)) {
        let filled = fill(template, "VIDA-2026", "");
        // Pages that need a query (a period, a queue) are rendered with the one given above.
        let path = explicit
            .iter()
            .find(|e| e.starts_with(&format!("{filled}?")))
            .cloned()
            .unwrap_or(filled);
        let body = render(path).await;
        rendered += 1;
        for (i, _) in body.match_indices("href=\"/") {
            let rest = &body[i + 6..];
            let end = rest.find('"').unwrap_or(0);
            links.insert(
                rest[..end]
                    .split(['?', '#'])
                    .next()
                    .unwrap_or("")
                    .to_string(),
            );
        }
    }
    let mut unreached = Vec::new();
    for template in gets.iter().filter(|t| has_id(t)) {
        let prefix = fill(template, "VIDA-2026", "\u{0}");
        let parts: Vec<&str> = prefix.split('\u{0}').collect();
        let found = links.iter().find(|l| {
            // Literal parts in order, digits (or a code) between them.
            let mut rest = l.as_str();
            for (k, part) in parts.iter().enumerate() {
                if k == 0 {
                    match rest.strip_prefix(part) {
                        Some(r) => rest = r,
                        None => return false,
                    }
                    continue;
                }
                let id_len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                    .unwrap_or(rest.len());
                if id_len == 0 {
                    return false;
                }
                rest = &rest[id_len..];
                match rest.strip_prefix(part) {
                    Some(r) => rest = r,
                    None => return false,
                }
            }
            rest.is_empty()
        });
        match found {
            Some(link) => {
                render(link.clone()).await;
                rendered += 1;
            }
            None if NOT_IN_DEMO.contains(&template.as_str()) => {}
            None => unreached.push(template.clone()),
        }
    }
    assert!(
        unreached.is_empty(),
        "page routes no demo page links to ({lang}); link them from a demo page or list them in NOT_IN_DEMO: {unreached:#?}"
    );
    assert!(rendered > 25, "only {rendered} pages rendered");
}

/// Numbers in the language's format: in Spanish no decimal point (`79.6`) and no comma
/// grouping (`1,234`), and long numbers grouped (`12.345`); in English no decimal comma.
fn assert_numbers_in_locale(what: &str, lang: &str, html: &str) {
    let text = visible_text(&if lang == "es" {
        without_english_parts(html)
    } else {
        html.to_string()
    });
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_digit());
    let word = |i: usize| {
        b.get(i).is_some_and(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'#' | b'/' | b'_' | b':')
        })
    };
    for i in 1..b.len().saturating_sub(1) {
        if !(digit(i - 1) && digit(i + 1)) {
            continue;
        }
        // The digits after the separator, and whether a letter or code sticks to the number.
        let after = (i + 1..b.len()).take_while(|&j| digit(j)).count();
        let mut start = i - 1;
        while start > 0 && digit(start - 1) {
            start -= 1;
        }
        let stuck = (start > 0 && word(start - 1)) || word(i + 1 + after);
        if stuck {
            continue;
        }
        let bad = match (lang, b[i]) {
            ("es", b'.') => after != 3,
            ("es", b',') => after == 3 && b.get(i + 4) == Some(&b','),
            // English pages still show what users typed in Spanish ("0,45 UF"): only the
            // figures Rumbo formats (percentages) are held to the English style.
            ("en", b',') => after != 3 && text[i + 1 + after..].trim_start().starts_with('%'),
            _ => false,
        };
        if bad {
            let from = text[..i]
                .char_indices()
                .rev()
                .nth(20)
                .map(|(k, _)| k)
                .unwrap_or(0);
            let around: String = text[from..].chars().take(50).collect();
            panic!("{what} ({lang}) shows a number not in the locale's format: …{around}…");
        }
    }
    // Five or more digits in a row want a thousands separator.
    let mut run = 0;
    for (i, c) in b.iter().enumerate() {
        if c.is_ascii_digit() {
            run += 1;
            continue;
        }
        if run >= 5 {
            let start = i - run;
            let stuck = (start > 0 && word(start - 1)) || word(i) || matches!(b[i], b'.' | b',');
            if !stuck {
                let from = text[..start]
                    .char_indices()
                    .rev()
                    .nth(20)
                    .map(|(k, _)| k)
                    .unwrap_or(0);
                let around: String = text[from..].chars().take(50).collect();
                panic!("{what} ({lang}) shows an ungrouped number: …{around}…");
            }
        }
        run = 0;
    }
}
