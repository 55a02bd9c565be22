//! The demo installation: on first start of an empty database, a realistic Chilean BPO with two
//! clients, their programmes and one account per role, so a newcomer sees a working app.
//!
//! Demo accounts share the password [`DEMO_PASSWORD`]; `rumbo serve` prints it when it seeds.

use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::{check_digit, Rut};
use rumbo_store::users::NewUser;
use rumbo_store::{Actor, Store, StoreError};

pub const DEMO_PASSWORD: &str = "rumbo-demo-2026";

/// (email, name, role, client index)
pub const DEMO_USERS: &[(&str, &str, &str, Option<usize>)] = &[
    ("admin@demo.rumbo.cl", "Administración Rumbo", "admin", None),
    ("jefa@demo.rumbo.cl", "Carolina Muñoz", "manager", None),
    (
        "supervisor@demo.rumbo.cl",
        "Jorge Pérez",
        "supervisor",
        None,
    ),
    ("analista@demo.rumbo.cl", "Valentina Rojas", "analyst", None),
    (
        "cliente@demo.rumbo.cl",
        "Andrés Soto (Los Andes Seguros)",
        "client_viewer",
        Some(0),
    ),
];

fn rut(body: u32) -> Result<Rut, StoreError> {
    Rut::parse(&format!("{body}-{}", check_digit(body)))
        .map_err(|e| StoreError::Corrupt(e.key.into()))
}

/// Seeds the demo data if the database has no programme and no user yet. Returns whether it did.
pub async fn seed_if_empty(store: &Store) -> Result<bool, StoreError> {
    if !store.users().await?.is_empty() || !store.programmes_for(None).await?.is_empty() {
        return Ok(false);
    }
    let sys = Actor::system("demo");
    let insurer = store
        .create_client(&sys, "Los Andes Seguros de Vida S.A.", rut(96_812_960)?)
        .await?;
    let bank = store
        .create_client(&sys, "Banco Austral S.A.", rut(97_036_000)?)
        .await?;
    let life = store
        .create_product(
            &sys,
            insurer.id,
            "Seguro de Vida Protección Familiar",
            "Venta telefónica de seguro de vida a clientes pre-aprobados",
        )
        .await?;
    let cards = store
        .create_product(
            &sys,
            bank.id,
            "Tarjeta de crédito Oro",
            "Retención de clientes que solicitan cierre de tarjeta",
        )
        .await?;
    let hash = crate::auth::hash_password(DEMO_PASSWORD)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let clients = [insurer.id, bank.id];
    let mut user_ids = Vec::new();
    for (email, name, role, client) in DEMO_USERS {
        let u = store
            .create_user(
                &sys,
                NewUser {
                    email,
                    name,
                    password_hash: &hash,
                    role,
                    client_id: client.map(|i| clients[i]),
                    lang: "es",
                },
            )
            .await?;
        user_ids.push(u);
    }
    let manager = &user_ids[1];
    let supervisor = &user_ids[2];
    let as_manager = Actor::user(manager.id, &manager.email);
    let programmes = [
        ProgrammeInput {
            code: "VIDA-2026".into(),
            name: "Campaña de venta Seguro de Vida 2026".into(),
            client_id: Some(insurer.id),
            product_id: Some(life.id),
            channels: vec!["voice_outbound".into(), "whatsapp".into()],
            start_date: "2026-03-02".into(),
            end_date: Some("2026-12-31".into()),
            status: Some("running".into()),
            time_zone: None,
            description: Some(
                "Venta outbound de seguro de vida a 120.000 clientes pre-aprobados de la base de Los Andes, \
                 con meta de conversión 6 % y calidad ≥ 85 puntos."
                    .into(),
            ),
        },
        ProgrammeInput {
            code: "RET-TC-2026".into(),
            name: "Retención Tarjeta Oro".into(),
            client_id: Some(bank.id),
            product_id: Some(cards.id),
            channels: vec!["voice_inbound".into(), "chat".into()],
            start_date: "2026-01-05".into(),
            end_date: Some("2027-01-04".into()),
            status: Some("running".into()),
            time_zone: None,
            description: Some(
                "Línea de retención inbound 80/20 para clientes que piden cerrar su tarjeta; meta de retención 35 %.".into(),
            ),
        },
        ProgrammeInput {
            code: "VIDA-2027".into(),
            name: "Renovación Seguro de Vida 2027".into(),
            client_id: Some(insurer.id),
            product_id: Some(life.id),
            channels: vec!["voice_outbound".into()],
            start_date: "2027-01-04".into(),
            end_date: Some("2027-06-30".into()),
            status: Some("draft".into()),
            time_zone: None,
            description: Some("Borrador de la campaña de renovación del próximo año.".into()),
        },
    ];
    for input in programmes {
        let p = NewProgramme::try_from(input).map_err(|e| StoreError::Corrupt(format!("{e:?}")))?;
        let created = store.create_programme(&as_manager, &p).await?;
        if created.code != "VIDA-2027" {
            store
                .add_member(&as_manager, created.id, supervisor.id)
                .await?;
        }
    }
    for (name, email, role) in [
        (
            "Carolina Muñoz",
            "jefa@demo.rumbo.cl",
            "Jefa de Call Center",
        ),
        ("Jorge Pérez", "supervisor@demo.rumbo.cl", "Supervisor"),
        ("Valentina Rojas", "analista@demo.rumbo.cl", "Analista WFM"),
        (
            "Camila Fuentes",
            "cfuentes@demo.rumbo.cl",
            "Ejecutiva de ventas",
        ),
        (
            "Matías González",
            "mgonzalez@demo.rumbo.cl",
            "Ejecutivo de retención",
        ),
    ] {
        store.create_person(&sys, name, Some(email), role).await?;
    }
    crate::plan::demo::seed(store, &as_manager, manager.id).await?;
    Ok(true)
}

/// Seeds 14 days of realistic inbound call history (ending yesterday) into `RET-TC-2026`
/// through the real import pipeline, so the Control page has figures on first start.
/// Does nothing if the programme already has import batches.
pub async fn seed_calls(store: &Store, data_dir: &std::path::Path) -> Result<bool, String> {
    let p = match store.programme_for("RET-TC-2026", None).await {
        Ok(p) => p.programme,
        Err(StoreError::NotFound) => return Ok(false),
        Err(e) => return Err(e.to_string()),
    };
    if !store
        .import_batches(p.id)
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(false);
    }
    let tz = jiff::tz::TimeZone::get(&p.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::now().to_zoned(tz.clone()).date();
    let csv = demo_call_csv(today, &tz, 14, 2026);
    std::fs::create_dir_all(data_dir).map_err(|e| e.to_string())?;
    let path = data_dir.join("demo-llamadas-retencion.csv");
    std::fs::write(&path, csv).map_err(|e| e.to_string())?;
    let app = rumbo_app::App::new(
        store.clone(),
        rumbo_app::Settings {
            data_dir: data_dir.to_path_buf(),
        },
    );
    let req = rumbo_app::imports::ImportRequest {
        programme_code: &p.code,
        path: &path,
        source: rumbo_app::imports::Source::Calls,
        mapping: None,
        mapping_name: None,
        actor: Actor::system("demo"),
    };
    let r = app.import_file(req, |_| {}).await;
    let _ = std::fs::remove_file(&path);
    r.map(|_| true).map_err(|e| format!("{e:?}"))
}

/// A seeded standard call CSV: two queues, 09:00–21:00 local, a midday peak, weekends lighter,
/// waits growing with load and impatient callers abandoning.
pub fn demo_call_csv(
    today: jiff::civil::Date,
    tz: &jiff::tz::TimeZone,
    days: i64,
    seed: u64,
) -> String {
    use std::fmt::Write as _;
    let mut rng = rumbo_wfm::rng::Rng::seed_from_u64(seed);
    let mut out = String::from("call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    let mut id = 0u64;
    for d in (1..=days).rev() {
        let Ok(day) = today.checked_sub(jiff::Span::new().days(d)) else {
            continue;
        };
        let weekend = matches!(
            day.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        );
        for (queue, base, aht) in [("retencion", 36.0, 330.0), ("consultas", 22.0, 210.0)] {
            for slot in 0..48 {
                // 15-minute slots from 09:00 to 21:00.
                let minutes = 9 * 60 + slot * 15;
                let Ok(start) = day
                    .at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
                    .to_zoned(tz.clone())
                else {
                    continue;
                };
                let hour = f64::from(minutes) / 60.0;
                let shape = 0.55
                    + 0.9 * (-((hour - 12.5) / 2.2).powi(2)).exp()
                    + 0.35 * (-((hour - 17.5) / 1.5).powi(2)).exp();
                let mean = base * shape * if weekend { 0.45 } else { 1.0 };
                let n = rng.poisson(mean);
                let busy = (mean / base).min(1.6);
                for _ in 0..n {
                    id += 1;
                    let enter = start.timestamp().as_second() + (rng.uniform() * 900.0) as i64;
                    let wait = if rng.uniform() < 0.75 - 0.35 * (busy - 0.5) {
                        rng.exponential(4.0)
                    } else {
                        rng.exponential(25.0 + 40.0 * busy)
                    };
                    let patience = rng.exponential(240.0);
                    if patience < wait {
                        let _ = writeln!(
                            out,
                            "D{id},{queue},{enter},{:.0},0,0,abandoned",
                            patience.min(wait)
                        );
                    } else {
                        let talk = (aht * 0.8 * (0.35 + rng.exponential(0.65))).round();
                        let wrap = (aht * 0.2 * (0.5 + rng.uniform())).round();
                        let _ = writeln!(
                            out,
                            "D{id},{queue},{enter},{wait:.0},{talk},{wrap},answered"
                        );
                    }
                }
            }
        }
    }
    out
}
