//! Batches that were not understood, bounded reports and batch deletion, through the pages
//! and the API: the mark shows in the list, the page and the JSON; deleting needs the
//! confirmation box and the right to import, and takes the batch's figures with it.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};

use crate::helpers::{programme_json, TestApp, Who};

const T: i64 = 1_767_261_600;

async fn import_csv(app: &TestApp, who: &Who, body: String) -> serde_json::Value {
    let res = app
        .send(
            Request::post("/api/v1/programs/SAFE1/imports?source=calls&file_name=x.csv")
                .header(header::AUTHORIZATION, format!("Bearer {}", who.bearer))
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()
}

fn calls(prefix: &str, n: usize, junk: usize) -> String {
    let mut s = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    for i in 0..n {
        s.push_str(&format!(
            "{prefix}{i},Ventas,{},3,60,5,answered\n",
            T + i as i64
        ));
    }
    for i in 0..junk {
        s.push_str(&format!("basura {i}\n"));
    }
    s
}

async fn offered(app: &TestApp, who: &Who) -> u64 {
    let res = app
        .api(Some(who), Method::GET, "/programs/SAFE1/kpis?by=day", None)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["offered"].as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn a_mostly_unintelligible_batch_is_marked_and_a_batch_is_deleted_only_when_confirmed() {
    let app = TestApp::spawn().await;
    let m = app.user("jefa@x.cl", "manager", None).await;
    let analyst = app.user("ana@x.cl", "analyst", None).await;
    let res = app
        .api(
            Some(&m),
            Method::POST,
            "/programs",
            Some(programme_json("SAFE1", app.client_a)),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let good = import_csv(&app, &m, calls("a", 5, 0)).await;
    assert_eq!(good["mostly_not_understood"], false);
    let bad = import_csv(&app, &m, calls("b", 1, 2500)).await;
    assert_eq!(bad["mostly_not_understood"], true, "{bad}");
    let bad_id = bad["batch_id"].as_i64().unwrap();

    let detail = app
        .api(
            Some(&m),
            Method::GET,
            &format!("/programs/SAFE1/imports/{bad_id}"),
            None,
        )
        .await
        .json();
    assert_eq!(detail["batch"]["mostly_not_understood"], true);
    assert_eq!(detail["issue_totals"][0]["total"], 2500, "{detail}");
    assert_eq!(detail["issue_totals"][0]["listed"], 1000);
    assert_eq!(detail["issues"].as_array().unwrap().len(), 1000);

    let list = app.get_page(Some(&m), "/programs/SAFE1/imports").await;
    assert!(
        list.body.contains("Mayormente no entendido"),
        "{}",
        list.body
    );
    let page = app
        .get_page(Some(&m), &format!("/programs/SAFE1/imports/{bad_id}"))
        .await;
    assert!(page.body.contains("Mayormente no entendido"));
    assert!(page.body.contains("2500"));
    assert!(page.body.contains("Borrar lote"));
    assert_eq!(offered(&app, &m).await, 6);

    // Without the confirmation box nothing is deleted.
    let path = format!("/programs/SAFE1/imports/{bad_id}/delete");
    let res = app.post_form(Some(&m), &path, &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    // An analyst may read but not delete.
    let res = app
        .post_form(Some(&analyst), &path, &[("confirm", "yes")])
        .await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&res.status),
        "{}",
        res.status
    );
    let res = app.post_form(Some(&m), &path, &[("confirm", "yes")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/programs/SAFE1/imports");
    assert_eq!(offered(&app, &m).await, 5);

    let good_id = good["batch_id"].as_i64().unwrap();
    let res = app
        .api(
            Some(&m),
            Method::DELETE,
            &format!("/programs/SAFE1/imports/{good_id}"),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["id"], good_id);
    assert_eq!(offered(&app, &m).await, 0);
    let res = app
        .api(
            Some(&m),
            Method::DELETE,
            &format!("/programs/SAFE1/imports/{good_id}"),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}
