//! What is late in a programme's plan (overdue activities, late milestones and gates), flagged
//! with a word and a colour; shown on the plan page and the programme page.

use jiff::civil::Date;
use maud::{html, Markup};
use rumbo_app::plan::calendar::PlanFlags;

use super::{fmt_date, ViewCx};

fn date_text(ctx: &ViewCx, d: Date) -> String {
    fmt_date(ctx, &d)
}

/// What is late in the plan today: overdue activities, late milestones and gates, each flagged
/// with a word and a colour.
pub fn late_flags(ctx: &ViewCx, flags: &PlanFlags) -> Markup {
    if flags.is_empty() {
        return html! {};
    }
    html! {
        div.late-flags role="status" {
            p { strong { (ctx.t("pf.late.title")) } }
            ul {
                @for a in &flags.overdue_activities {
                    li { span.badge.state-late { (ctx.t("pf.state.overdue")) } " "
                        (ctx.tf("pf.late.activity", &[("id", &a.id), ("name", &a.name), ("finish", &date_text(ctx, a.finish)), ("progress", &a.progress.to_string())])) }
                }
                @for (name, d) in &flags.late_milestones {
                    li { span.badge.state-late { (ctx.t("pf.state.late")) } " "
                        (ctx.tf("pf.late.milestone", &[("name", name), ("date", &date_text(ctx, *d))])) }
                }
                @for (name, d) in &flags.late_gates {
                    li { span.badge.state-late { (ctx.t("pf.state.gate_late")) } " "
                        (ctx.tf("pf.late.gate", &[("name", name), ("date", &date_text(ctx, *d))])) }
                }
            }
        }
    }
}
