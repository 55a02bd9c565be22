//! The staffing calculator (Planning → Staffing): one interval's required agents under Erlang C
//! or Erlang A, the "what if N agents" metrics, and the service-level-vs-agents curve as SVG.
//! Served as a page (`/planning/staffing`, a GET form: it changes nothing) and as JSON
//! (`/api/v1/wfm/staffing`, `/api/v1/wfm/staffing/intervals`).

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{html, Markup};
use rumbo_charts::{line_chart, Frame, LineChart, Series, Target as ChartTarget};
use rumbo_domain::{Invalid, Invalids};
use rumbo_wfm::staffing::{self, Model, Policy, Requirement, SlDefinition, Target};
use rumbo_wfm::{erlang_a, erlang_c, Load};
use serde::{Deserialize, Serialize};

use crate::http::ctx::{ApiJson, Ctx};
use crate::http::error::AppError;
use crate::view::i18n::Lang;
use crate::view::{field_errors, layout, svg, Section};
use crate::AppState;

pub fn page_router() -> Router<AppState> {
    Router::new().route("/planning/staffing", get(page))
}

pub fn api_router() -> Router<AppState> {
    Router::new()
        .route("/wfm/staffing", get(api_one))
        .route("/wfm/staffing/intervals", post(api_many))
}

/// Calculator input as typed (query string or JSON); percentages as 0–100.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct CalcInput {
    pub calls: String,
    pub interval_s: String,
    pub aht_s: String,
    /// Service-level target in percent (80 for 80/20).
    pub sl: String,
    /// Answer-time threshold T in seconds (20 for 80/20).
    pub target_s: String,
    pub max_occupancy: String,
    pub shrinkage: String,
    /// `erlang_c` or `erlang_a`.
    pub model: String,
    pub patience_s: String,
    /// Optional: evaluate with this many agents ("what if").
    pub agents: String,
}

impl Default for CalcInput {
    fn default() -> Self {
        CalcInput {
            calls: "250".into(),
            interval_s: "1800".into(),
            aht_s: "240".into(),
            sl: "80".into(),
            target_s: "20".into(),
            max_occupancy: "90".into(),
            shrinkage: "30".into(),
            model: "erlang_c".into(),
            patience_s: "120".into(),
            agents: String::new(),
        }
    }
}

/// A validated calculation.
#[derive(Debug)]
struct Calc {
    load: Load,
    policy: Policy,
    target_s: f64,
    sl: f64,
    patience_s: Option<f64>,
    what_if: Option<u32>,
}

fn number(errors: &mut Vec<Invalid>, field: &'static str, s: &str) -> f64 {
    match s.trim().replace(',', ".").parse::<f64>() {
        Ok(v) if v.is_finite() => v,
        _ => {
            errors.push(Invalid::new(field, "error.wfm.number"));
            f64::NAN
        }
    }
}

fn wfm_error(e: rumbo_wfm::Error) -> Invalid {
    let text = e.to_string();
    let field = [
        "calls",
        "interval_s",
        "aht_s",
        "target_s",
        "max_occupancy",
        "shrinkage",
        "patience",
        "sl",
        "agents",
        "erlangs",
    ]
    .into_iter()
    .find(|f| text.contains(f))
    .unwrap_or("calls");
    let field: &'static str = match field {
        "patience" => "patience_s",
        "erlangs" => "calls",
        f => f,
    };
    let key = match field {
        "calls" => "error.wfm.calls",
        "interval_s" => "error.wfm.interval",
        "aht_s" => "error.wfm.aht",
        "target_s" => "error.wfm.target",
        "max_occupancy" => "error.wfm.occupancy",
        "shrinkage" => "error.wfm.shrinkage",
        "patience_s" => "error.wfm.patience",
        "agents" => "error.wfm.agents",
        _ => "error.wfm.sl",
    };
    Invalid::new(field, key)
}

impl CalcInput {
    fn parse(&self) -> Result<Calc, Invalids> {
        let mut errors = Vec::new();
        let calls = number(&mut errors, "calls", &self.calls);
        let interval_s = number(&mut errors, "interval_s", &self.interval_s);
        let aht_s = number(&mut errors, "aht_s", &self.aht_s);
        let sl = number(&mut errors, "sl", &self.sl) / 100.0;
        let target_s = number(&mut errors, "target_s", &self.target_s);
        let occ = number(&mut errors, "max_occupancy", &self.max_occupancy) / 100.0;
        let shrink = number(&mut errors, "shrinkage", &self.shrinkage) / 100.0;
        let model = match self.model.as_str() {
            "erlang_a" => {
                let p = number(&mut errors, "patience_s", &self.patience_s);
                Model::ErlangA { patience_s: p }
            }
            "erlang_c" | "" => Model::ErlangC,
            _ => {
                errors.push(Invalid::new("model", "error.wfm.model"));
                Model::ErlangC
            }
        };
        let what_if = match self.agents.trim() {
            "" => None,
            s => match s.parse::<u32>() {
                Ok(n) if n <= 20_000 => Some(n),
                _ => {
                    errors.push(Invalid::new("agents", "error.wfm.agents"));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(Invalids(errors));
        }
        let load = Load::new(calls, interval_s, aht_s).map_err(|e| Invalids(vec![wfm_error(e)]))?;
        let target = Target::ServiceLevel {
            answer_s: target_s,
            fraction: sl,
            definition: SlDefinition::Offered,
        };
        let policy =
            Policy::new(target, occ, shrink, model).map_err(|e| Invalids(vec![wfm_error(e)]))?;
        let patience_s = match model {
            Model::ErlangA { patience_s } => Some(patience_s),
            Model::ErlangC => None,
        };
        Ok(Calc {
            load,
            policy,
            target_s,
            sl,
            patience_s,
            what_if,
        })
    }
}

/// One point of the SL-vs-agents curve.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub agents: u32,
    pub service_level: f64,
    pub asa_s: Option<f64>,
    pub occupancy: f64,
    pub p_abandon: f64,
}

/// The calculator's answer.
#[derive(Debug, Clone, Serialize)]
pub struct CalcResult {
    pub erlangs: f64,
    pub agents_for_target: u32,
    pub agents_for_occupancy: u32,
    pub raw_agents: u32,
    pub positions: u32,
    pub fractional_positions: f64,
    pub service_level: f64,
    pub p_wait: f64,
    pub asa_s: Option<f64>,
    pub occupancy: f64,
    pub p_abandon: f64,
    /// Metrics with the "what if" number of agents, when asked.
    pub what_if: Option<CurvePoint>,
    pub curve: Vec<CurvePoint>,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn points(c: &Calc, lo: u32, hi: u32) -> Result<Vec<CurvePoint>, AppError> {
    let internal = |e: rumbo_wfm::Error| AppError::Internal(e.to_string());
    Ok(match c.patience_s {
        None => erlang_c::curve(&c.load, c.target_s, lo..=hi)
            .map_err(internal)?
            .into_iter()
            .map(|m| CurvePoint {
                agents: m.agents,
                service_level: m.service_level,
                asa_s: finite(m.asa_s),
                occupancy: m.occupancy,
                p_abandon: 0.0,
            })
            .collect(),
        Some(p) => erlang_a::curve(&c.load, p, c.target_s, lo..=hi)
            .map_err(internal)?
            .into_iter()
            .map(|m| CurvePoint {
                agents: m.agents,
                service_level: m.sl_offered,
                asa_s: finite(m.asa_answered_s),
                occupancy: m.occupancy,
                p_abandon: m.p_abandon,
            })
            .collect(),
    })
}

fn compute(c: &Calc) -> Result<CalcResult, AppError> {
    let r: Requirement = staffing::required(&c.load, &c.policy);
    let a = c.load.erlangs();
    let lo = (a.floor() as u32).max(1).saturating_sub(2).max(1);
    let hi = (r.raw_agents + 8).max(lo + 10).min(20_000);
    let curve = points(c, lo, hi)?;
    let what_if = match c.what_if {
        Some(n) => points(c, n, n)?.into_iter().next(),
        None => None,
    };
    Ok(CalcResult {
        erlangs: r.erlangs,
        agents_for_target: r.agents_target,
        agents_for_occupancy: r.agents_occupancy,
        raw_agents: r.raw_agents,
        positions: r.positions,
        fractional_positions: r.fractional_positions,
        service_level: r.service_level,
        p_wait: r.p_wait,
        asa_s: finite(r.asa_s),
        occupancy: r.occupancy,
        p_abandon: r.p_abandon,
        what_if,
        curve,
    })
}

fn pct(lang: Lang, v: f64) -> String {
    crate::view::fmt_pct(lang, v)
}

fn dec(lang: Lang, v: Option<f64>, digits: usize) -> String {
    v.map(|v| crate::view::fmt_dec(lang, v, digits))
        .unwrap_or_else(|| "∞".into())
}

fn chart(ctx: &Ctx, c: &Calc, r: &CalcResult) -> String {
    let es = ctx.lang == Lang::Es;
    line_chart(&LineChart {
        frame: Frame {
            width: 720,
            height: 340,
            title: ctx.t("staffing.chart_title").to_string(),
            description: ctx.t("staffing.chart_description").to_string(),
            x_label: ctx.t("staffing.agents").to_string(),
            y_label: ctx.t("staffing.sl_percent").to_string(),
            decimal_separator: if es { ',' } else { '.' },
            thousands_separator: Some(if es { '.' } else { ',' }),
        },
        series: vec![Series {
            name: ctx.t("staffing.service_level").to_string(),
            points: r
                .curve
                .iter()
                .map(|p| (f64::from(p.agents), p.service_level * 100.0))
                .collect(),
        }],
        target: Some(ChartTarget {
            value: c.sl * 100.0,
            label: ctx.t("staffing.target").to_string(),
        }),
        x_ticks: vec![],
        y_from_zero: true,
    })
}

fn num_input(ctx: &Ctx, errors: &[Invalid], field: &str, label: &str, value: &str) -> Markup {
    let bad = errors.iter().any(|e| e.field == field);
    html! {
        div.field {
            label for=(field) { (ctx.t(label)) }
            input id=(field) name=(field) type="text" inputmode="decimal" value=(value)
                aria-invalid=[bad.then_some("true")];
            (field_errors(ctx, errors, field))
        }
    }
}

async fn page(
    State(_): State<AppState>,
    ctx: Ctx,
    Query(q): Query<CalcInput>,
) -> Result<Markup, AppError> {
    ctx.user()?;
    let (errors, result) = match q.parse() {
        Ok(c) => {
            let r = compute(&c)?;
            (vec![], Some((c, r)))
        }
        Err(e) => (e.0, None),
    };
    let l = ctx.lang;
    Ok(layout(
        &ctx,
        Section::Planning,
        ctx.t("staffing.title"),
        html! {
            p { (ctx.t("staffing.intro")) }
            form method="get" action="/planning/staffing" {
                div.grid {
                    (num_input(&ctx, &errors, "calls", "staffing.calls", &q.calls))
                    (num_input(&ctx, &errors, "interval_s", "staffing.interval_s", &q.interval_s))
                    (num_input(&ctx, &errors, "aht_s", "staffing.aht_s", &q.aht_s))
                    (num_input(&ctx, &errors, "sl", "staffing.sl", &q.sl))
                    (num_input(&ctx, &errors, "target_s", "staffing.target_s", &q.target_s))
                    (num_input(&ctx, &errors, "max_occupancy", "staffing.max_occupancy", &q.max_occupancy))
                    (num_input(&ctx, &errors, "shrinkage", "staffing.shrinkage", &q.shrinkage))
                    div.field {
                        label for="model" { (ctx.t("staffing.model")) }
                        select id="model" name="model" {
                            option value="erlang_c" selected[q.model != "erlang_a"] { (ctx.t("staffing.erlang_c")) }
                            option value="erlang_a" selected[q.model == "erlang_a"] { (ctx.t("staffing.erlang_a")) }
                        }
                        (field_errors(&ctx, &errors, "model"))
                    }
                    (num_input(&ctx, &errors, "patience_s", "staffing.patience_s", &q.patience_s))
                    (num_input(&ctx, &errors, "agents", "staffing.what_if", &q.agents))
                }
                button type="submit" { (ctx.t("staffing.calculate")) }
            }
            @if let Some((c, r)) = &result {
                h2 { (ctx.t("staffing.result")) }
                div.grid {
                    div.card { p { (ctx.t("staffing.erlangs")) } p { strong { (dec(l, Some(r.erlangs), 2)) } } }
                    div.card { p { (ctx.t("staffing.raw_agents")) } p { strong { (r.raw_agents) } } }
                    div.card { p { (ctx.t("staffing.positions")) } p { strong { (r.positions) } } " (" (dec(l, Some(r.fractional_positions), 2)) ")" }
                    div.card { p { (ctx.t("staffing.service_level")) } p { strong { (pct(l, r.service_level)) } } }
                }
                p.notice.explain role="status" { (explain(&ctx, c, r)) }
                table {
                    tbody {
                        tr { th scope="row" { (ctx.t("staffing.agents_for_target")) } td.num { (r.agents_for_target) } }
                        tr { th scope="row" { (ctx.t("staffing.agents_for_occupancy")) } td.num { (r.agents_for_occupancy) } }
                        tr { th scope="row" { (ctx.t("staffing.p_wait")) } td.num { (pct(l, r.p_wait)) } }
                        tr { th scope="row" { (ctx.t("staffing.asa")) } td.num { (dec(l, r.asa_s, 1)) } }
                        tr { th scope="row" { (ctx.t("staffing.occupancy")) } td.num { (pct(l, r.occupancy)) } }
                        @if c.patience_s.is_some() { tr { th scope="row" { (ctx.t("staffing.p_abandon")) } td.num { (pct(l, r.p_abandon)) } } }
                    }
                }
                @if let Some(w) = &r.what_if {
                    h2 { (ctx.tf("staffing.what_if_title", &[("n", &w.agents.to_string())])) }
                    p.notice {
                        (ctx.t("staffing.service_level")) ": " strong { (pct(l, w.service_level)) } " · "
                        (ctx.t("staffing.asa")) ": " strong { (dec(l, w.asa_s, 1)) } " · "
                        (ctx.t("staffing.occupancy")) ": " strong { (pct(l, w.occupancy)) }
                    }
                }
                figure { (svg(chart(&ctx, c, r))) }
                h2 { (ctx.t("staffing.curve")) }
                table {
                    thead { tr {
                        th.num scope="col" { (ctx.t("staffing.agents")) }
                        th.num scope="col" { (ctx.t("staffing.service_level")) }
                        th.num scope="col" { (ctx.t("staffing.asa")) }
                        th.num scope="col" { (ctx.t("staffing.occupancy")) }
                        @if c.patience_s.is_some() { th.num scope="col" { (ctx.t("staffing.p_abandon")) } }
                    } }
                    tbody { @for p in &r.curve { tr.chosen[p.agents == r.agents_for_target] aria-current=[(p.agents == r.agents_for_target).then_some("true")] {
                        td.num { (p.agents) }
                        td.num { (pct(l, p.service_level)) }
                        td.num { (dec(l, p.asa_s, 1)) }
                        td.num { (pct(l, p.occupancy)) }
                        @if c.patience_s.is_some() { td.num { (pct(l, p.p_abandon)) } }
                    } } }
                }
            }
        },
    ))
}

/// Why this many agents: the service level one agent fewer reaches falls short of the target
/// ("13 agentes dan 79,6 % < 80 %, así que 14").
fn explain(ctx: &Ctx, c: &Calc, r: &CalcResult) -> String {
    let l = ctx.lang;
    let n = r.agents_for_target;
    let target = pct(l, c.sl);
    let reached = r
        .curve
        .iter()
        .find(|p| p.agents == n)
        .map(|p| p.service_level);
    match r.curve.iter().find(|p| p.agents + 1 == n) {
        Some(fewer) => ctx.tf(
            "roles.staffing.explain",
            &[
                ("fewer", &fewer.agents.to_string()),
                ("fewer_sl", &pct(l, fewer.service_level)),
                ("target", &target),
                ("n", &n.to_string()),
                ("n_sl", &reached.map(|v| pct(l, v)).unwrap_or_default()),
            ],
        ),
        None => ctx.tf(
            "roles.staffing.explain_first",
            &[("n", &n.to_string()), ("target", &target)],
        ),
    }
}

async fn api_one(ctx: Ctx, Query(q): Query<CalcInput>) -> Result<Json<CalcResult>, AppError> {
    ctx.user()?;
    let c = q.parse()?;
    Ok(Json(compute(&c)?))
}

/// Many intervals under one policy (e.g. a day or a week of volumes).
#[derive(Debug, Deserialize)]
pub struct ManyInput {
    #[serde(flatten)]
    pub policy: CalcInput,
    pub intervals: Vec<IntervalIn>,
}

#[derive(Debug, Deserialize)]
pub struct IntervalIn {
    pub interval_start: String,
    pub calls: f64,
    pub aht_s: f64,
}

#[derive(Debug, Serialize)]
pub struct IntervalOut {
    pub interval_start: String,
    pub erlangs: f64,
    pub agents_sl: u32,
    pub raw_agents: u32,
    pub positions: u32,
    pub sl: f64,
    pub pw: f64,
    pub asa_s: Option<f64>,
    pub occupancy: f64,
}

async fn api_many(
    ctx: Ctx,
    ApiJson(body): ApiJson<ManyInput>,
) -> Result<Json<Vec<IntervalOut>>, AppError> {
    ctx.user()?;
    if body.intervals.len() > 100_000 {
        return Err(AppError::BadRequest(
            "at most 100,000 intervals per request".into(),
        ));
    }
    let c = body.policy.parse()?;
    let interval_s = c.load.interval_s();
    let mut out = Vec::with_capacity(body.intervals.len());
    for (i, iv) in body.intervals.iter().enumerate() {
        let load = Load::new(iv.calls, interval_s, iv.aht_s)
            .map_err(|e| AppError::BadRequest(format!("intervals[{i}]: {e}")))?;
        let r = staffing::required(&load, &c.policy);
        out.push(IntervalOut {
            interval_start: iv.interval_start.clone(),
            erlangs: r.erlangs,
            agents_sl: r.agents_target,
            raw_agents: r.raw_agents,
            positions: r.positions,
            sl: r.service_level,
            pw: r.p_wait,
            asa_s: finite(r.asa_s),
            occupancy: r.occupancy,
        });
    }
    Ok(Json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(calls: &str) -> CalcInput {
        CalcInput {
            calls: calls.into(),
            interval_s: "1800".into(),
            aht_s: "180".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_calculator_matches_the_engine_and_draws_the_target_line() {
        let c = input("500").parse().unwrap();
        let r = compute(&c).unwrap();
        let engine = staffing::required(&Load::new(500.0, 1800.0, 180.0).unwrap(), &c.policy);
        assert_eq!(r.raw_agents, engine.raw_agents);
        assert_eq!(r.positions, engine.positions);
        assert!(r.service_level >= 0.8);
        // The curve is monotone and crosses the target exactly at agents_for_target.
        let at = |n: u32| {
            r.curve
                .iter()
                .find(|p| p.agents == n)
                .unwrap()
                .service_level
        };
        assert!(at(r.agents_for_target) >= 0.8 && at(r.agents_for_target - 1) < 0.8);
        assert!(r
            .curve
            .windows(2)
            .all(|w| w[1].service_level >= w[0].service_level));
        let ctx = Ctx {
            view: crate::view::ViewCx {
                lang: Lang::Es,
                ..Default::default()
            },
            user: None,
            session_hash: None,
            is_api: false,
            client_addr: String::new(),
        };
        let svg = chart(&ctx, &c, &r);
        assert!(svg.contains("<svg") && svg.contains("Objetivo"));
    }

    #[test]
    fn what_if_reports_the_metrics_for_the_given_agents() {
        let mut i = input("500");
        i.agents = "45".into();
        let r = compute(&i.parse().unwrap()).unwrap();
        let w = r.what_if.unwrap();
        let direct =
            erlang_c::evaluate(&Load::new(500.0, 1800.0, 180.0).unwrap(), 45, 20.0).unwrap();
        assert_eq!(w.agents, 45);
        assert!((w.service_level - direct.service_level).abs() < 1e-12);
    }

    #[test]
    fn erlang_a_reports_abandonment() {
        let mut i = input("500");
        i.model = "erlang_a".into();
        i.patience_s = "60".into();
        let r = compute(&i.parse().unwrap()).unwrap();
        assert!(r.p_abandon > 0.0 && r.p_abandon < 0.1);
    }

    #[test]
    fn bad_inputs_name_their_fields() {
        let mut i = input("-5");
        i.aht_s = "abc".into();
        let e = i.parse().unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|x| x.field).collect();
        assert_eq!(fields, vec!["aht_s"], "non-numbers first");
        let e = input("-5").parse().unwrap_err();
        assert_eq!(e.0[0].key, "error.wfm.calls");
        let mut i = input("10");
        i.shrinkage = "100".into();
        assert_eq!(i.parse().unwrap_err().0[0].key, "error.wfm.shrinkage");
    }
}
