//! Deleting a programme that holds data: the code must be typed, the programme is archived
//! (gone from every list and page), an admin restores it within 30 days; success messages and
//! counts read right in Spanish.

use axum::http::{Method, StatusCode};

use crate::helpers::TestApp;

/// A programme with a plan item (so it holds data), owned by a manager.
async fn with_data(app: &TestApp) -> crate::helpers::Who {
    let owner = app.user("owner@x.cl", "manager", None).await;
    app.programme("ARC1", app.client_a, &owner).await;
    let res = app
        .api(
            Some(&owner),
            Method::POST,
            "/programs/ARC1/objectives",
            Some(serde_json::json!({ "title": "Atender bien" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    owner
}

#[tokio::test]
async fn a_programme_with_data_is_archived_only_when_its_code_is_typed_and_an_admin_restores_it() {
    let app = TestApp::spawn().await;
    let owner = with_data(&app).await;
    let admin = app.user("admin@x.cl", "admin", None).await;

    // Without the code: the form again, with the message beside the field and what was typed.
    let page = app
        .post_form(Some(&owner), "/programs/ARC1/delete", &[("confirm", "ARC")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("Escriba el código del programa"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"ARC\""), "{}", page.body);
    let api = app
        .api(Some(&owner), Method::DELETE, "/programs/ARC1", None)
        .await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", api.body);
    assert_eq!(api.json()["errors"][0]["code"], "error.roles.confirm_code");

    // With the code: archived, gone from lists and pages, with a success message.
    let done = app
        .post_form(
            Some(&owner),
            "/programs/ARC1/delete",
            &[("confirm", "arc1")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), "/programs?done=archived");
    let list = app.get_page(Some(&owner), "/programs?done=archived").await;
    assert!(list.body.contains("Programa archivado"), "{}", list.body);
    assert!(list.body.contains("0 programas"), "{}", list.body);
    assert!(!list.body.contains("/programs/ARC1\""));
    assert_eq!(
        app.get_page(Some(&owner), "/programs/ARC1").await.status,
        StatusCode::NOT_FOUND
    );

    // The owner cannot restore it; an admin sees it in the archive and restores it.
    let refused = app
        .api(Some(&owner), Method::POST, "/archive/ARC1/restore", None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let archive = app
        .api(Some(&admin), Method::GET, "/archive", None)
        .await
        .json();
    assert_eq!(archive[0]["code"], "ARC1", "{archive}");
    assert_eq!(archive[0]["days_left"], 30, "{archive}");
    let page = app.get_page(Some(&admin), "/admin/archive").await;
    assert!(page.body.contains("30 días"), "{}", page.body);
    let restored = app
        .post_form(Some(&admin), "/admin/archive/ARC1/restore", &[])
        .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER);
    let page = app.get_page(Some(&owner), "/programs").await;
    assert!(page.body.contains("/programs/ARC1\""));
    assert!(page.body.contains("1 programa<"), "{}", page.body);
    let objectives = app
        .api(Some(&owner), Method::GET, "/programs/ARC1/objectives", None)
        .await
        .json();
    assert_eq!(objectives.as_array().unwrap().len(), 1, "nothing was lost");
    // The history names both steps.
    let hist = app
        .api(Some(&owner), Method::GET, "/programs/ARC1/audit", None)
        .await
        .json();
    let actions: Vec<&str> = hist
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["entity"] == "programme")
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"archive") && actions.contains(&"restore"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn an_empty_programme_is_deleted_at_once_and_only_by_its_owner_or_an_admin() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner@x.cl", "manager", None).await;
    let pid = app.programme("EMP1", app.client_a, &owner).await;
    let colleague = app.user("otra@x.cl", "manager", None).await;
    app.store
        .add_member(&rumbo_store::Actor::system("test"), pid, colleague.user.id)
        .await
        .unwrap();
    assert_eq!(
        app.api(Some(&colleague), Method::DELETE, "/programs/EMP1", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let res = app
        .api(Some(&owner), Method::DELETE, "/programs/EMP1", None)
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let admin = app.user("admin@x.cl", "admin", None).await;
    let archive = app
        .api(Some(&admin), Method::GET, "/archive", None)
        .await
        .json();
    assert_eq!(archive.as_array().unwrap().len(), 0, "{archive}");
}

#[tokio::test]
async fn a_client_viewer_sees_no_audit_log_no_staff_emails_and_no_budget() {
    let app = TestApp::spawn().await;
    let owner = with_data(&app).await;
    let res = app
        .api(
            Some(&owner),
            Method::POST,
            "/programs/ARC1/risks",
            Some(serde_json::json!({ "title": "Rotación alta", "probability": 3, "impact": 4 })),
        )
        .await;
    assert!(res.status.is_success() || res.status == StatusCode::UNPROCESSABLE_ENTITY);
    let viewer = app
        .user("cliente@x.cl", "client_viewer", Some(app.client_a))
        .await;
    let page = app.get_page(Some(&viewer), "/programs/ARC1").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("owner@x.cl"), "staff e-mail shown");
    assert!(!page.body.contains("id=\"history\""), "audit log shown");
    for path in [
        "/programs/ARC1/audit",
        "/programs/ARC1/members",
        "/programs/ARC1/risks",
    ] {
        assert_eq!(
            app.api(Some(&viewer), Method::GET, path, None).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    // What the client may see: the objectives.
    assert_eq!(
        app.api(
            Some(&viewer),
            Method::GET,
            "/programs/ARC1/objectives",
            None
        )
        .await
        .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_history_is_paged() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner@x.cl", "manager", None).await;
    app.programme("HIS1", app.client_a, &owner).await;
    for i in 0..55 {
        let res = app
            .api(
                Some(&owner),
                Method::PATCH,
                "/programs/HIS1",
                Some(serde_json::json!({ "name": format!("Nombre {i}") })),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
    }
    let first = app.get_page(Some(&owner), "/programs/HIS1").await.body;
    assert!(first.contains("?page=2#history"), "no link to page 2");
    assert!(first.contains("Nombre 54") && !first.contains("Nombre 3<"));
    let second = app
        .get_page(Some(&owner), "/programs/HIS1?page=2")
        .await
        .body;
    assert!(second.contains("Página 2"));
    assert!(second.contains("?page=1#history"));
    assert!(!second.contains("?page=3#history"));
}

#[tokio::test]
async fn the_staffing_calculator_explains_its_answer_and_marks_the_chosen_row() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let page = app
        .get_page(
            Some(&m),
            "/planning/staffing?calls=250&interval_s=1800&aht_s=240&sl=80&target_s=20&max_occupancy=100&shrinkage=0&model=erlang_c",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    // "N agentes dan x % < 80,0 %, así que N+1", with the chosen row marked.
    let i = body.find("agentes dan").expect("an explanation");
    let sentence: String = body[i - 4..].chars().take(120).collect();
    assert!(
        sentence.contains("&lt; 80,0 %") && sentence.contains("así que"),
        "{sentence}"
    );
    assert_eq!(
        body.matches("class=\"chosen\"").count(),
        1,
        "one chosen row"
    );
}
