//! Control: imports through the API and the upload form, the data-quality report, idempotent
//! re-imports, KPIs per interval, and who may import.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};

use crate::helpers::{programme_json, TestApp, Who};

/// 2026-01-01 10:00 UTC is 07:00 in Santiago (summer time, UTC−3).
const QUEUE_LOG: &str = "\
1767261600|1001.1|ventas|NONE|ENTERQUEUE||+56912345678|1
1767261610|1001.1|ventas|SIP/201|CONNECT|10|1001.2|3
1767261790|1001.1|ventas|SIP/201|COMPLETECALLER|10|180|1
1767261800|1002.1|ventas|NONE|ENTERQUEUE||+56987654321|1
1767261830|1002.1|ventas|NONE|ABANDON|1|1|30
this line is garbage
1767261900|1003.1|soporte|NONE|ENTERQUEUE||+56911112222|1
1767261905|1003.1|soporte|SIP/301|CONNECT|5|1003.2|2
1767262205|1003.1|soporte|SIP/301|COMPLETEAGENT|5|300|1
";

async fn import(app: &TestApp, who: &Who, code: &str, body: &str) -> crate::helpers::Resp {
    app.send(
        Request::post(format!(
            "/api/v1/programs/{code}/imports?source=queue-log&file_name=queue_log"
        ))
        .header(header::AUTHORIZATION, format!("Bearer {}", who.bearer))
        .body(Body::from(body.to_string()))
        .unwrap(),
    )
    .await
}

async fn setup() -> (TestApp, Who) {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let res = app
        .api(
            Some(&m),
            Method::POST,
            "/programs",
            Some(programme_json("CTRL1", app.client_a)),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    (app, m)
}

#[tokio::test]
async fn an_imported_queue_log_gives_kpis_and_a_report_and_reimporting_adds_nothing() {
    let (app, m) = setup().await;
    let first = import(&app, &m, "CTRL1", QUEUE_LOG).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let r = first.json();
    assert_eq!(r["imported"], 3, "{r}");
    assert!(
        r["rejected"].as_u64().unwrap() >= 1,
        "the garbage line is rejected: {r}"
    );
    let batch = r["batch_id"].as_i64().unwrap();

    let again = import(&app, &m, "CTRL1", QUEUE_LOG).await.json();
    assert_eq!(again["imported"], 0, "{again}");
    assert_eq!(again["duplicates"], 3, "{again}");

    let kpis = app
        .api(
            Some(&m),
            Method::GET,
            "/programs/CTRL1/kpis?by=day&from=2026-01-01&to=2026-01-01",
            None,
        )
        .await;
    assert_eq!(kpis.status, StatusCode::OK, "{}", kpis.body);
    let rows = kpis.json();
    let ventas = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["queue"] == "ventas")
        .expect("ventas row");
    assert_eq!(
        (
            ventas["offered"].as_u64(),
            ventas["answered"].as_u64(),
            ventas["abandoned"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(ventas["asa_s"], 10.0);
    assert!(ventas["definition"]
        .as_str()
        .unwrap()
        .starts_with("rumbo-standard@v"));
    assert_eq!(
        ventas["batches"],
        serde_json::json!([batch]),
        "the figure names its batch, not the empty re-import"
    );
    let soporte = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["queue"] == "soporte")
        .unwrap();
    assert_eq!(soporte["answered"], 1);

    let detail = app
        .api(
            Some(&m),
            Method::GET,
            &format!("/programs/CTRL1/imports/{batch}"),
            None,
        )
        .await
        .json();
    let lines: Vec<i64> = detail["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["line"].as_i64().unwrap())
        .collect();
    assert!(
        lines.contains(&6),
        "the garbage line is reported with its number: {detail}"
    );

    let page = app
        .get_page(Some(&m), &format!("/programs/CTRL1/imports/{batch}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("queue_log:6"),
        "file and line on the report page"
    );
    let control = app
        .get_page(
            Some(&m),
            "/programs/CTRL1/control?by=1h&from=2026-01-01&to=2026-01-01",
        )
        .await;
    assert_eq!(
        control.status,
        StatusCode::OK,
        "{}",
        control.body.chars().take(400).collect::<String>()
    );
    assert!(control.body.contains("ventas") && control.body.contains("<svg"));
    assert!(
        control
            .body
            .contains(&format!("/programs/CTRL1/imports/{batch}")),
        "rows link to their batches"
    );
}

#[tokio::test]
async fn read_only_roles_cannot_import_and_bad_parameters_are_explained() {
    let (app, _m) = setup().await;
    // An analyst off the programme's team does not even see it; its client reads, never imports.
    let analyst = app.user("ana@x.cl", "analyst", None).await;
    assert_eq!(
        import(&app, &analyst, "CTRL1", QUEUE_LOG).await.status,
        StatusCode::NOT_FOUND
    );
    let own = app
        .user("own@x.cl", "client_viewer", Some(app.client_a))
        .await;
    assert_eq!(
        import(&app, &own, "CTRL1", QUEUE_LOG).await.status,
        StatusCode::FORBIDDEN
    );
    let viewer = app
        .user("cli@x.cl", "client_viewer", Some(app.client_b))
        .await;
    assert_eq!(
        import(&app, &viewer, "CTRL1", QUEUE_LOG).await.status,
        StatusCode::NOT_FOUND
    );
    let bad = app
        .api(Some(&own), Method::GET, "/programs/CTRL1/kpis?by=7m", None)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["errors"][0]["code"], "error.kpi.granularity");
    assert_eq!(
        app.store
            .import_batches(
                app.store
                    .programme_for("CTRL1", None)
                    .await
                    .unwrap()
                    .programme
                    .id
            )
            .await
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn extreme_or_malformed_periods_are_refused_never_a_server_error() {
    let (app, m) = setup().await;
    import(&app, &m, "CTRL1", QUEUE_LOG).await;
    for query in [
        "from=2026-01-01&to=9999-12-31",
        "from=-009999-01-01&to=2026-01-01",
        "from=2026-02-30",
        "to=2026-13-01",
        "from=2026-03-01&to=2026-01-01",
        "from=yesterday",
        "start=99999999999999999999",
    ] {
        for path in [
            format!("/programs/CTRL1/kpis?by=day&{query}"),
            format!("/programs/CTRL1/kpis/calls?by=15m&{query}"),
        ] {
            let api = app.api(Some(&m), Method::GET, &path, None).await;
            assert!(
                api.status.is_success() || api.status.is_client_error(),
                "{path}: {} {}",
                api.status,
                api.body
            );
            let page = app
                .get_page(Some(&m), &format!("/programs/CTRL1/control?by=day&{query}"))
                .await;
            assert!(
                page.status.is_success() || page.status.is_client_error(),
                "control page with {query}: {}",
                page.status
            );
        }
    }
}

fn multipart(csrf: &str, source: &str, file: &str) -> (String, String) {
    let b = "XxRumboBoundaryxX";
    let mut body = String::new();
    for (name, value) in [("_csrf", csrf), ("source", source), ("mapping", "")] {
        body.push_str(&format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"queue_log\"\r\nContent-Type: text/plain\r\n\r\n{file}\r\n--{b}--\r\n"
    ));
    (format!("multipart/form-data; boundary={b}"), body)
}

#[tokio::test]
async fn the_upload_form_needs_its_csrf_token_and_ends_on_the_batch_page() {
    let (app, m) = setup().await;
    let post = |csrf: String| {
        let (ct, body) = multipart(&csrf, "queue-log", QUEUE_LOG);
        Request::post("/programs/CTRL1/imports")
            .header(header::CONTENT_TYPE, ct)
            .header(header::COOKIE, &m.cookie)
            .body(Body::from(body))
            .unwrap()
    };
    let forged = app.send(post("not-the-token".into())).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let ok = app.send(post(m.csrf.clone())).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let job = ok.location().to_string();
    assert!(job.starts_with("/imports/jobs/"));
    let mut location = String::new();
    for _ in 0..200 {
        let res = app.get_page(Some(&m), &job).await;
        if res.status == StatusCode::SEE_OTHER {
            location = res.location().to_string();
            break;
        }
        assert_eq!(res.status, StatusCode::OK);
        assert!(
            !res.body.contains("problems"),
            "import failed: {}",
            res.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        location.starts_with("/programs/CTRL1/imports/"),
        "{location}"
    );
    let page = app.get_page(Some(&m), &location).await;
    assert!(page.body.contains("queue_log"));
    // Whoever may read the programme can watch the job, from the page or the API; nobody else
    // learns it exists.
    let reader = app.user("admin@x.cl", "admin", None).await;
    assert_eq!(app.get_page(Some(&reader), &job).await.location(), location);
    let id = job.trim_start_matches("/imports/jobs/");
    let api = app
        .api(
            Some(&reader),
            Method::GET,
            &format!("/imports/jobs/{id}"),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let v = api.json();
    assert_eq!(v["status"], "done");
    assert_eq!(v["programme_code"], "CTRL1");
    assert_eq!(
        format!("/programs/CTRL1/imports/{}", v["batch_id"]),
        location
    );
    let other = app
        .user("otro@x.cl", "client_viewer", Some(app.client_b))
        .await;
    assert_eq!(
        app.get_page(Some(&other), &job).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(
            Some(&other),
            Method::GET,
            &format!("/imports/jobs/{id}"),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_api_import_without_waiting_answers_with_the_queued_job_and_a_bad_file_fails_with_a_key()
{
    let (app, m) = setup().await;
    let res = app
        .send(
            Request::post("/api/v1/programs/CTRL1/imports?source=queue-log&file_name=q&wait=false")
                .header(header::AUTHORIZATION, format!("Bearer {}", m.bearer))
                .body(Body::from(QUEUE_LOG.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let job = res.json();
    let location = res.location().to_string();
    assert_eq!(location, format!("/api/v1/imports/jobs/{}", job["id"]));
    assert_eq!(job["progress_total"], QUEUE_LOG.len());
    let mut done = serde_json::Value::Null;
    for _ in 0..200 {
        let v = app
            .api(
                Some(&m),
                Method::GET,
                location.trim_start_matches("/api/v1"),
                None,
            )
            .await
            .json();
        if v["status"] == "done" {
            done = v;
            break;
        }
        assert_ne!(v["status"], "failed", "{v}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(done["batch_id"].as_i64().is_some(), "{done}");
    assert_eq!(done["progress_done"], done["progress_total"]);

    // A file without the standard header: the waiting API answers 422 with the job's key.
    let bad = app
        .send(
            Request::post("/api/v1/programs/CTRL1/imports?source=calls&file_name=x.csv")
                .header(header::AUTHORIZATION, format!("Bearer {}", m.bearer))
                .body(Body::from(String::new()))
                .unwrap(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.json()["errors"][0]["code"], "error.import.empty");
}

const VENDOR_CSV: &str = "ID Llamada;Fecha;Cola;Espera;Conversación;ACW;Estado;ANI
A1;01/01/2026 07:00:10;ventas;12;200;20;Atendida;+56912345678
A2;01/01/2026 07:05:00;ventas;45;0;0;Abandonada;+56987654321
A3;fecha mala;ventas;1;1;1;Atendida;+56911112222
";

#[tokio::test]
async fn a_mapping_built_from_a_preview_imports_a_vendor_export() {
    let (app, m) = setup().await;
    // 1. Preview the sample: the header and first rows are shown with a field-by-field form.
    let b = "XxRumboBoundaryxX";
    let mut body = String::new();
    for (name, value) in [
        ("_csrf", m.csrf.as_str()),
        ("kind", "calls"),
        ("delimiter", ";"),
    ] {
        body.push_str(&format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"muestra.csv\"\r\n\r\n{VENDOR_CSV}\r\n--{b}--\r\n"));
    let preview = app
        .send(
            Request::post("/programs/CTRL1/mappings/preview")
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={b}"),
                )
                .header(header::COOKIE, &m.cookie)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("ID Llamada") && preview.body.contains("01/01/2026 07:00:10"));
    // Caller numbers are masked in the preview: at most their last four digits.
    assert!(preview.body.contains("***** 5678"), "{}", preview.body);
    for number in ["+56912345678", "912345678", "12345678", "98765"] {
        assert!(
            !preview.body.contains(number),
            "{number} shown in the preview"
        );
    }

    // 2. A mapping missing a required field is refused with a message; a complete one is saved.
    let header = [
        "ID Llamada",
        "Fecha",
        "Cola",
        "Espera",
        "Conversación",
        "ACW",
        "Estado",
        "ANI",
    ];
    let mut fields: Vec<(&str, &str)> = vec![
        ("kind", "calls"),
        ("delimiter", ";"),
        ("name", "proveedor-x"),
    ];
    for h in header {
        fields.push(("header", h));
    }
    let incomplete = app
        .post_form(Some(&m), "/programs/CTRL1/mappings", &fields)
        .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(incomplete.body.contains("Faltan campos obligatorios"));
    fields.extend([
        ("col.call_id", "ID Llamada"),
        ("col.start", "Fecha"),
        ("col.queue", "Cola"),
        ("col.wait", "Espera"),
        ("col.talk", "Conversación"),
        ("col.wrap", "ACW"),
        ("col.outcome", "Estado"),
        ("col.caller", "ANI"),
        ("date_format", "%d/%m/%Y %H:%M:%S"),
        ("timezone", "America/Santiago"),
        ("answered_values", "Atendida"),
        ("abandoned_values", "Abandonada"),
    ]);
    let saved = app
        .post_form(Some(&m), "/programs/CTRL1/mappings", &fields)
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.body.chars().take(500).collect::<String>()
    );
    let list = app
        .api(Some(&m), Method::GET, "/programs/CTRL1/mappings", None)
        .await
        .json();
    assert_eq!(list[0]["name"], "proveedor-x");

    // 3. Import the vendor export with it: 2 calls in, the bad date reported on line 4.
    let res = app
        .send(
            Request::post("/api/v1/programs/CTRL1/imports?source=calls&mapping=proveedor-x&file_name=export.csv")
                .header(header::AUTHORIZATION, format!("Bearer {}", m.bearer))
                .body(Body::from(VENDOR_CSV))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let r = res.json();
    assert_eq!(
        (r["imported"].as_u64(), r["rejected"].as_u64()),
        (Some(2), Some(1)),
        "{r}"
    );
    let detail = app
        .api(
            Some(&m),
            Method::GET,
            &format!("/programs/CTRL1/imports/{}", r["batch_id"]),
            None,
        )
        .await
        .json();
    assert_eq!(detail["issues"][0]["line"], 4, "{detail}");
    let kpis = app
        .api(
            Some(&m),
            Method::GET,
            "/programs/CTRL1/kpis?by=day&from=2026-01-01&to=2026-01-01",
            None,
        )
        .await
        .json();
    assert_eq!(kpis[0]["offered"], 2);
    assert_eq!(kpis[0]["abandoned"], 1);
}

#[tokio::test]
async fn plan_targets_are_judged_against_the_imported_figures() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let mut p = programme_json("CTRL2", app.client_a);
    p["start_date"] = "2025-12-01".into();
    p["end_date"] = "2026-12-31".into();
    assert_eq!(
        app.api(Some(&m), Method::POST, "/programs", Some(p))
            .await
            .status,
        StatusCode::CREATED
    );
    let o = app
        .api(
            Some(&m),
            Method::POST,
            "/programs/CTRL2/objectives",
            Some(serde_json::json!({ "title": "Atender bien" })),
        )
        .await;
    assert_eq!(o.status, StatusCode::CREATED, "{}", o.body);
    let oid = o.json()["id"].as_i64().unwrap();
    let owner = app
        .api(
            Some(&m),
            Method::POST,
            "/people",
            Some(serde_json::json!({ "name": "Jefa", "org_role": "Jefa de Call Center" })),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    for (ind, target, tol) in [("service_level", 80.0, 5.0), ("contacts_handled", 2.0, 0.0)] {
        let t = app
            .api(
                Some(&m),
                Method::POST,
                "/programs/CTRL2/targets",
                Some(serde_json::json!({
                    "objective_id": oid, "indicator": ind, "target": target, "direction": "higher",
                    "tolerance": tol, "granularity": "day", "period_start": "2025-12-01",
                    "period_end": "2026-12-31", "owner_id": owner
                })),
            )
            .await;
        assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    }
    assert_eq!(
        import(&app, &m, "CTRL2", QUEUE_LOG).await.status,
        StatusCode::CREATED
    );
    let page = app
        .get_page(
            Some(&m),
            "/programs/CTRL2/control?by=day&from=2026-01-01&to=2026-01-01",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Metas del plan en este período"));
    // SL = 2 answered within 20 s / 3 offered (no short abandons) = 66.67 % < 80 − 5: red.
    assert!(page.body.contains("66,67"), "actual SL shown");
    assert!(page.body.contains("rag-red") && page.body.contains("Fuera de meta"));
    // 2 contacts handled ≥ 2: green.
    assert!(page.body.contains("rag-green") && page.body.contains("En meta"));
}

/// Follows a job page until it redirects (done) or shows its failure; returns the last answer.
async fn follow_job(app: &TestApp, who: &Who, job: &str) -> crate::helpers::Resp {
    for _ in 0..200 {
        let res = app.get_page(Some(who), job).await;
        if res.status == StatusCode::SEE_OTHER || res.body.contains("problems") {
            return res;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {job} did not finish")
}

#[tokio::test]
async fn an_upload_recognised_by_content_names_its_layout_and_an_unknown_one_links_to_a_mapping() {
    let (app, m) = setup().await;
    let upload = |file: &str| {
        let (ct, body) = multipart(&m.csrf, "auto", file);
        Request::post("/programs/CTRL1/imports")
            .header(header::CONTENT_TYPE, ct)
            .header(header::COOKIE, &m.cookie)
            .body(Body::from(body))
            .unwrap()
    };
    let form = app.get_page(Some(&m), "/programs/CTRL1/imports").await;
    assert!(
        form.body
            .contains("<option value=\"auto\">Reconocer por el contenido</option>"),
        "{}",
        form.body
    );
    let ok = app.send(upload(QUEUE_LOG)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let done = follow_job(&app, &m, ok.location()).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = app.get_page(Some(&m), done.location()).await;
    assert!(page.body.contains("Formato reconocido"), "{}", page.body);
    assert!(
        page.body
            .contains("Asterisk queue_log (archivo con campos separados por |)"),
        "{}",
        page.body
    );

    let junk = app.send(upload("<html><body>informe</body></html>")).await;
    assert_eq!(junk.status, StatusCode::SEE_OTHER, "{}", junk.body);
    let failed = follow_job(&app, &m, junk.location()).await;
    assert_eq!(failed.status, StatusCode::OK);
    assert!(
        failed
            .body
            .contains("la primera línea con datos es HTML o XML"),
        "{}",
        failed.body
    );
    assert!(
        failed.body.contains("href=\"/programs/CTRL1/mappings\""),
        "{}",
        failed.body
    );
    let batches = app
        .api(Some(&m), Method::GET, "/programs/CTRL1/imports", None)
        .await;
    let list = batches.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{}", batches.body);
    assert_eq!(list[0]["layout"], "queue-log-pipe");
}

/// An attended transfer from `ventas` to `soporte` under one call id (2026-01-01 10:00 UTC):
/// Ana answers in ventas after 5 s and talks 70 s; Bob answers in soporte after 10 s and
/// talks 130 s.
const ATTENDED_TWO_QUEUES: &str = "\
1767261600|x1|ventas|NONE|ENTERQUEUE||+56911112222|1
1767261605|x1|ventas|Ana|CONNECT|5|x1.2|3
1767261660|x1|soporte|NONE|ENTERQUEUE||+56911112222|1
1767261670|x1|soporte|Bob|CONNECT|10|x1.3|2
1767261675|x1|ventas|Ana|ATTENDEDTRANSFER|BRIDGE|x1.3|5|70|1
1767261800|x1|soporte|Bob|COMPLETECALLER|10|130|1
";

#[tokio::test]
async fn a_call_through_two_queues_is_a_stint_per_queue_row_and_one_call_in_the_programme_total() {
    let (app, m) = setup().await;
    let r = import(&app, &m, "CTRL1", ATTENDED_TWO_QUEUES).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["imported"], 1);
    let get = |path: String| {
        let app = &app;
        let m = &m;
        async move {
            let res = app.api(Some(m), Method::GET, &path, None).await;
            assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
            res.json()
        }
    };
    let period = "from=2026-01-01&to=2026-01-01";
    let rows = get(format!("/programs/CTRL1/kpis?by=day&{period}")).await;
    let row = |q: &str| {
        let r = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["queue"] == q)
            .unwrap_or_else(|| panic!("{q} row in {rows}"));
        (
            r["offered"].as_u64(),
            r["asa_s"].as_f64(),
            r["aht_s"].as_f64(),
        )
    };
    assert_eq!(row("ventas"), (Some(1), Some(5.0), Some(70.0)));
    assert_eq!(row("soporte"), (Some(1), Some(10.0), Some(130.0)));

    let all = get(format!("/programs/CTRL1/kpis/total?{period}")).await;
    assert_eq!(
        (&all["offered"], &all["answered"], &all["abandoned"]),
        (
            &serde_json::json!(1),
            &serde_json::json!(1),
            &serde_json::json!(0)
        ),
        "one call over all queues: {all}"
    );
    assert_eq!(
        (all["asa_s"].as_f64(), all["aht_s"].as_f64()),
        (Some(15.0), Some(200.0))
    );
    let one = get(format!("/programs/CTRL1/kpis/total?{period}&queue=soporte")).await;
    assert_eq!(
        (one["offered"].as_u64(), one["aht_s"].as_f64()),
        (Some(1), Some(130.0)),
        "{one}"
    );

    let drill =
        get("/programs/CTRL1/kpis/calls?by=15m&queue=soporte&start=1767261600".into()).await;
    assert_eq!(drill["offered"], 1, "{drill}");
    assert_eq!(drill["calls"][0]["queue"], "soporte", "{drill}");
    assert_eq!(drill["calls"][0]["talk_s"], 130.0, "{drill}");

    let control = app
        .get_page(Some(&m), &format!("/programs/CTRL1/control?by=1h&{period}"))
        .await;
    assert_eq!(control.status, StatusCode::OK);
    assert!(
        control
            .body
            .contains("<p>Ofrecidas</p><p><strong>1</strong></p>"),
        "the summary card counts the call once: {}",
        control.body
    );
    assert!(
        control.body.contains("01-01-2026 07:00: 1</title>")
            && !control.body.contains("01-01-2026 07:00: 2</title>"),
        "the volume chart counts the call once: {}",
        control.body
    );
}

#[tokio::test]
async fn an_analyst_on_the_team_imports_data_but_does_not_change_the_programme() {
    let (app, _m) = setup().await;
    let analyst = app.user("ana@x.cl", "analyst", None).await;
    let pid = app
        .store
        .programme_for("CTRL1", None)
        .await
        .unwrap()
        .programme
        .id;
    app.store
        .add_member(&rumbo_store::Actor::system("test"), pid, analyst.user.id)
        .await
        .unwrap();
    let res = import(&app, &analyst, "CTRL1", QUEUE_LOG).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let rename = app
        .api(
            Some(&analyst),
            Method::PATCH,
            "/programs/CTRL1",
            Some(serde_json::json!({ "name": "Otro" })),
        )
        .await;
    assert_eq!(rename.status, StatusCode::FORBIDDEN);
}
