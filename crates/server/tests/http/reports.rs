//! Reports over HTTP: downloads from the page and the API in every format, the forms that
//! re-render with the user's input and the message beside the field, and the access matrix of
//! the report routes (client viewers get the client report only).

use axum::http::{Method, StatusCode};

use crate::helpers::{TestApp, Who};

async fn setup() -> (TestApp, Who) {
    let app = TestApp::spawn().await;
    let manager = app.user("jefa@x.cl", "manager", None).await;
    app.programme("R1", app.client_a, &manager).await;
    (app, manager)
}

#[tokio::test]
async fn every_report_downloads_from_the_api_and_the_page_in_every_format() {
    let (app, m) = setup().await;
    for kind in ["status", "kpi", "actions", "client"] {
        for (format, media) in [
            ("pdf", "application/pdf"),
            (
                "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            ("csv", "text/csv; charset=utf-8"),
        ] {
            let r = app
                .api(
                    Some(&m),
                    Method::GET,
                    &format!("/programs/R1/reports/{kind}?format={format}&lang=en&from=2026-01-01&to=2026-01-31"),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{kind} {format}: {}", r.body);
            assert_eq!(r.content_type(), media);
            let disposition = r.headers["content-disposition"].to_str().unwrap();
            assert_eq!(
                disposition,
                format!("attachment; filename=\"R1-{kind}-2026-01-01-2026-01-31.{format}\"")
            );
        }
    }
    let page = app
        .get_page(
            Some(&m),
            "/programs/R1/reports/download?kind=kpi&format=pdf&lang=es",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.starts_with("%PDF"));
    // The close-out and lessons reports are built too (by the close-out module).
    for kind in ["closeout", "lessons"] {
        let r = app
            .api(
                Some(&m),
                Method::GET,
                &format!("/programs/R1/reports/{kind}"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.body);
    }
}

#[tokio::test]
async fn report_forms_re_render_with_the_input_and_the_message_beside_the_field() {
    let (app, m) = setup().await;
    let r = app
        .get_page(
            Some(&m),
            "/programs/R1/reports/download?kind=kpi&format=doc&from=2026-02-30&to=2026-01-01",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"err-format\""), "{}", r.body);
    assert!(r.body.contains("id=\"err-from\""));
    assert!(r.body.contains("value=\"2026-02-30\""), "the input is kept");
    let r = app
        .post_form(
            Some(&m),
            "/programs/R1/report-schedules",
            &[
                ("kind", "kpi"),
                ("format", "pdf"),
                ("lang", "es"),
                ("frequency", "weekly"),
                ("areas", "finanzas@bpo.cl"),
                ("client_contacts", "gerente@cliente.cl"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"err-client_contacts\""), "{}", r.body);
    assert!(
        r.body.contains("gerente@cliente.cl</textarea>"),
        "the input is kept"
    );
    assert!(
        r.body.contains("Solo") || r.body.contains("solo"),
        "the message is in Spanish"
    );
    let ok = app
        .post_form(
            Some(&m),
            "/programs/R1/report-schedules",
            &[
                ("kind", "client"),
                ("format", "pdf"),
                ("lang", "es"),
                ("frequency", "monthly"),
                ("client_contacts", "gerente@cliente.cl"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = app.get_page(Some(&m), "/programs/R1/reports").await;
    assert!(
        page.body.contains("gerente@cliente.cl (cliente)"),
        "{}",
        page.body
    );
    let list = app
        .api(Some(&m), Method::GET, "/programs/R1/report-schedules", None)
        .await
        .json();
    assert_eq!(list[0]["frequency"], "monthly");
    assert_eq!(list[0]["recipients"][0]["audience"], "client");
}

#[tokio::test]
async fn report_routes_follow_the_access_matrix() {
    // (role, member, own client) → read, update.
    let ok = StatusCode::OK;
    let no = StatusCode::FORBIDDEN;
    let hidden = StatusCode::NOT_FOUND;
    for (role, member, own, read, update) in [
        ("admin", false, false, ok, ok),
        ("manager", true, false, ok, ok),
        ("manager", false, false, ok, no),
        ("supervisor", true, false, ok, ok),
        ("supervisor", false, false, hidden, hidden),
        ("analyst", true, false, ok, no),
        // Analysts see only the programmes whose team they are on.
        ("analyst", false, false, hidden, hidden),
        ("client_viewer", false, true, ok, no),
        ("client_viewer", false, false, hidden, hidden),
    ] {
        let app = TestApp::spawn().await;
        let owner = app.user("owner@x.cl", "manager", None).await;
        let pid = app.programme("P1", app.client_a, &owner).await;
        let client = match (role, own) {
            ("client_viewer", true) => Some(app.client_a),
            ("client_viewer", false) => Some(app.client_b),
            _ => None,
        };
        let who = app.user("who@x.cl", role, client).await;
        if member {
            app.store
                .add_member(&rumbo_store::Actor::system("test"), pid, who.user.id)
                .await
                .unwrap();
        }
        let l = format!("{role} member={member} own={own}");
        assert_eq!(
            app.get_page(Some(&who), "/programs/P1/reports")
                .await
                .status,
            read,
            "{l} page"
        );
        let client_report = app
            .api(
                Some(&who),
                Method::GET,
                "/programs/P1/reports/client?format=csv",
                None,
            )
            .await;
        assert_eq!(client_report.status, read, "{l} client report");
        let kpi = app
            .api(
                Some(&who),
                Method::GET,
                "/programs/P1/reports/kpi?format=csv",
                None,
            )
            .await;
        let expect = if role == "client_viewer" && read == ok {
            no
        } else {
            read
        };
        assert_eq!(kpi.status, expect, "{l} kpi report");
        for path in [
            "/programs/P1/report-schedules",
            "/programs/P1/distributions",
        ] {
            let r = app.api(Some(&who), Method::GET, path, None).await;
            assert_eq!(r.status, read, "{l} GET {path}");
        }
        let create = app
            .api(
                Some(&who),
                Method::POST,
                "/programs/P1/report-schedules",
                Some(serde_json::json!({})),
            )
            .await;
        let expect = if update == ok {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            update
        };
        assert_eq!(create.status, expect, "{l} new schedule: {}", create.body);
        let form = app
            .post_form(Some(&who), "/programs/P1/report-schedules", &[])
            .await;
        assert_eq!(form.status, expect, "{l} schedule form");
        assert_eq!(
            app.get_page(Some(&who), "/programs/P1/distributions/1")
                .await
                .status,
            if read == ok { hidden } else { read },
            "{l} unknown stored copy"
        );
    }
    let anonymous = TestApp::spawn().await;
    let r = anonymous
        .api(None, Method::GET, "/programs/P1/reports/kpi", None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn managers_set_the_company_name_and_logo_that_head_every_report() {
    let (app, m) = setup().await;
    let analyst = app.user("analista@x.cl", "analyst", None).await;
    let body = serde_json::json!({ "organisation": "Contacto Sur SpA" });
    let r = app
        .api(
            Some(&analyst),
            Method::PUT,
            "/report-identity",
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let bad = app
        .api(
            Some(&m),
            Method::PUT,
            "/report-identity",
            Some(serde_json::json!({ "organisation": "X", "logo_base64": "R0lGODlh" })),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a GIF is refused"
    );
    let r = app
        .api(Some(&m), Method::PUT, "/report-identity", Some(body))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let got = app
        .api(Some(&m), Method::GET, "/report-identity", None)
        .await
        .json();
    assert_eq!(got["organisation"], "Contacto Sur SpA");
    let pdf = app
        .api(
            Some(&m),
            Method::GET,
            "/programs/R1/reports/kpi?format=pdf",
            None,
        )
        .await;
    let author: String = "Contacto Sur SpA"
        .encode_utf16()
        .map(|u| format!("{u:04X}"))
        .collect();
    assert!(
        pdf.body.contains(&format!("/Author <FEFF{author}>")),
        "the PDF names the company"
    );
    assert_eq!(
        app.get_page(Some(&m), "/reports/identity").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get_page(Some(&analyst), "/reports/identity")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
