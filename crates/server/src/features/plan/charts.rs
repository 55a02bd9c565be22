//! The plan's charts as SVG, labels in the user's language: the Gantt chart of the work plan
//! and the risk heat-map.

use jiff::civil::Date;
use rumbo_app::plan::compute::today;
use rumbo_app::plan::PlanCx;
use rumbo_charts::{
    gantt_chart, risk_heat_map, Frame, Gantt, GanttBar, GanttLabels, HeatMap, Tone,
};
use rumbo_domain::plan::strategy::{HeatMap as RiskGrid, RiskLevel};
use rumbo_domain::plan::workplan::{Schedule, WorkPlan};

use super::pages::{date_text, short_date};
use crate::http::ctx::Ctx;

fn offset(from: Date, to: Date) -> i64 {
    i64::from((to - from).get_days())
}

/// The Gantt chart of the work plan, labels in the user's language.
pub fn gantt_svg(ctx: &Ctx, cx: &PlanCx, plan: &WorkPlan, s: &Schedule) -> String {
    let start = cx.dates().start();
    let index = |id: &str| plan.activities().iter().position(|a| a.id.as_str() == id);
    let bars: Vec<GanttBar> = plan
        .activities()
        .iter()
        .filter_map(|a| s.get(a.id.as_str()).map(|r| (a, r)))
        .map(|(a, r)| GanttBar {
            label: format!("{} {}", a.id, a.name),
            description: ctx.tf(
                "plan.gantt.bar",
                &[
                    ("name", &a.name),
                    ("start", &date_text(ctx, r.start)),
                    ("finish", &date_text(ctx, r.finish)),
                    ("progress", &a.progress.to_string()),
                    ("slack", &r.slack.to_string()),
                ],
            ),
            // Bars sit on the calendar: a working-day plan skips weekends and holidays.
            start: offset(start, r.start),
            days: if a.duration_days == 0 {
                0
            } else {
                offset(r.start, r.finish) + 1
            },
            progress: a.progress,
            critical: r.is_critical(),
            milestone: a.milestone,
        })
        .collect();
    let dependencies = plan
        .activities()
        .iter()
        .enumerate()
        .flat_map(|(to, a)| {
            a.dependencies
                .iter()
                .filter_map(move |d| index(d.predecessor.as_str()).map(|from| (from, to)))
        })
        .collect();
    // One tick per week (Mondays), at most 16 labels.
    let span = offset(start, s.finish) + 1;
    let weeks = (span / 7 + 1).max(1);
    let step = (weeks / 16 + 1) * 7;
    let first_monday = i64::from(7 - start.weekday().to_monday_zero_offset()) % 7;
    let axis = (0..)
        .map(|k| first_monday + k * step)
        .take_while(|o| *o <= span)
        .map(|o| {
            let d = start
                .checked_add(jiff::Span::new().days(o))
                .unwrap_or(start);
            (o, short_date(ctx, d))
        })
        .collect();
    let today = today(cx);
    let today_offset = cx.dates().contains(today).then(|| offset(start, today));
    gantt_chart(&Gantt {
        frame: Frame {
            width: 960,
            title: ctx.tf("plan.gantt.title", &[("code", &cx.programme().code)]),
            description: ctx.t("plan.gantt.description").to_string(),
            ..Frame::default()
        },
        bars,
        dependencies,
        today: today_offset,
        axis,
        labels: GanttLabels {
            critical: ctx.t("plan.gantt.critical").into(),
            normal: ctx.t("plan.gantt.activity").into(),
            milestone: ctx.t("plan.gantt.milestone").into(),
            today: ctx.t("plan.gantt.today").into(),
        },
    })
}

/// The heat-map chart, labels in the user's language.
pub fn heat_svg(ctx: &Ctx, grid: &RiskGrid) -> String {
    let tone = |score: u8| match RiskLevel::from_score(score) {
        RiskLevel::Low => Tone::Low,
        RiskLevel::Medium => Tone::Medium,
        RiskLevel::High => Tone::High,
        RiskLevel::Critical => Tone::Critical,
    };
    let label = |p: u8, i: u8, n: u32| {
        ctx.tf(
            "plan.heatmap.cell",
            &[
                ("p", &p.to_string()),
                ("i", &i.to_string()),
                ("n", &n.to_string()),
            ],
        )
    };
    risk_heat_map(&HeatMap {
        frame: Frame {
            width: 380,
            height: 400,
            title: ctx.t("plan.heatmap.title").into(),
            description: ctx.t("plan.heatmap.description").into(),
            x_label: ctx.t("plan.risk.probability").into(),
            y_label: ctx.t("plan.risk.impact").into(),
            ..Frame::default()
        },
        counts: grid.cells,
        tone: &tone,
        tone_labels: [
            ctx.t("plan.risk.level.low").into(),
            ctx.t("plan.risk.level.medium").into(),
            ctx.t("plan.risk.level.high").into(),
            ctx.t("plan.risk.level.critical").into(),
        ],
        cell_label: &label,
    })
}
