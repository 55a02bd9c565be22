//! The cockpit: for each programme a person is responsible for, every KPI target against its
//! actual value over the last week of data (with its daily trend), the open alarms, overdue
//! work, budget burn against plan, and the next milestones.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use rumbo_domain::plan::objectives::{Direction, Rag};
use rumbo_domain::programme::Status as ProgrammeStatus;
use rumbo_kpi::control::{days_between, projected_total};
use rumbo_kpi::{Agg, KpiDefinition};
use rumbo_store::control::{ActionRow, Alarm};

use super::evaluate::{indicator_value, local_start};
use crate::model::Programme;
use crate::plan::{compute, PlanCx};
use crate::{App, Principal, Result};

/// Days of data the cockpit's figures cover, ending with the latest imported day.
pub const COCKPIT_DAYS: i64 = 7;

/// A KPI target judged over the cockpit's days.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiStatus {
    pub indicator: String,
    pub target: f64,
    pub tolerance: f64,
    pub higher_is_better: bool,
    /// The value over the period; `None` when the data cannot tell.
    pub actual: Option<f64>,
    pub rag: Option<Rag>,
    /// The value per day of the period, oldest first.
    pub trend: Vec<Option<f64>>,
}

/// An activity past its finish date and not complete.
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueWork {
    pub id: String,
    pub name: String,
    pub finish: Date,
    pub progress: u8,
    pub days_late: i64,
}

/// A coming milestone and whether a delayed predecessor puts it at risk.
#[derive(Debug, Clone, PartialEq)]
pub struct NextMilestone {
    pub id: String,
    pub name: String,
    pub date: Date,
    pub at_risk: bool,
}

/// Spending against plan, in minor units of the plan's currency.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetStatus {
    pub currency: &'static str,
    pub planned_total: i64,
    /// Planned up to the current month.
    pub planned_to_date: i64,
    pub actual_to_date: i64,
    /// The total at the current burn rate.
    pub projected_total: i64,
}

/// One programme in the cockpit.
#[derive(Debug, Clone)]
pub struct CockpitProgramme {
    pub programme: Programme,
    /// First and last day of the figures (`None` without imported data).
    pub period: Option<(Date, Date)>,
    pub kpis: Vec<KpiStatus>,
    pub alarms: Vec<Alarm>,
    pub overdue: Vec<OverdueWork>,
    pub budget: Option<BudgetStatus>,
    pub milestones: Vec<NextMilestone>,
    /// Corrective actions not cancelled, newest first, with their effectiveness verdict.
    pub actions: Vec<ActionRow>,
}

/// A hash of every field of a programme's row.
fn row_hash(p: &Programme) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{p:?}").hash(&mut h);
    h.finish()
}

/// The part of a programme's cockpit that does not come from its figures.
#[derive(Debug, Clone)]
struct CockpitPlan {
    alarms: Vec<Alarm>,
    overdue: Vec<OverdueWork>,
    budget: Option<BudgetStatus>,
    milestones: Vec<NextMilestone>,
    actions: Vec<ActionRow>,
}

/// The cockpit of one person.
#[derive(Debug, Clone)]
pub struct Cockpit {
    pub programmes: Vec<CockpitProgramme>,
    /// Names this cockpit's content: the programmes shown, each with its row, data and state
    /// versions, and the day. Equal versions mean equal cockpits, so a view rendered from one
    /// may be kept under it (with its language).
    pub version: String,
}

impl App {
    /// The cockpit of `who`: the running or planned programmes they are on the team of (every
    /// programme they may see when they are on no team, e.g. an admin).
    pub async fn cockpit(&self, who: &Principal) -> Result<Cockpit> {
        let visible: Vec<_> = self
            .visible_programmes_with_versions(who)
            .await?
            .into_iter()
            .filter(|(p, _)| p.programme.status != ProgrammeStatus::Closed)
            .collect();
        let mine: Vec<_> = visible.iter().filter(|(p, _)| p.member).cloned().collect();
        let chosen = if mine.is_empty() { visible } else { mine };
        let mut programmes = Vec::with_capacity(chosen.len());
        let mut version = String::new();
        for (p, versions) in chosen {
            let today = compute::today(&PlanCx::system(p.programme.clone())?);
            version.push_str(&format!(
                "{}:{:x}:{}:{}:{today};",
                p.programme.id,
                row_hash(&p.programme),
                versions.0,
                versions.1,
            ));
            programmes.push(
                self.cockpit_programme_at(p.programme, versions, today)
                    .await?,
            );
        }
        Ok(Cockpit {
            programmes,
            version,
        })
    }

    /// Programme totals per day over `first..=last` (each call once, however many queues it
    /// passed through), from the daily rollups when every batch has them; cached under the
    /// programme's data version.
    async fn daily_totals(
        &self,
        p: &Programme,
        tz: &TimeZone,
        first: Date,
        last: Date,
    ) -> Result<std::sync::Arc<BTreeMap<Date, Agg>>> {
        let def = KpiDefinition::standard();
        let key = crate::cache::CacheKey {
            programme_id: p.id,
            data_version: self.store.data_version(p.id).await?,
            kind: "cockpit_daily",
            params: format!("{first}|{last}|{}", p.time_zone),
        };
        if let Some(hit) = self.cache.get::<BTreeMap<Date, Agg>>(&key) {
            return Ok(hit);
        }
        let mut daily: BTreeMap<Date, Agg> = BTreeMap::new();
        let mut d = first;
        while d <= last {
            daily.insert(d, Agg::default());
            d = d.tomorrow().map_err(crate::Error::internal)?;
        }
        let (from, end) = (
            local_start(first, tz)?,
            local_start(last.tomorrow().map_err(crate::Error::internal)?, tz)?,
        );
        let rows = match self
            .kpi_rollups(p.id, def.id(), &p.time_zone, "day", Some(from), Some(end))
            .await?
        {
            Some(rows) => rows,
            None => {
                self.store
                    .kpi_aggregates(p.id, def.id(), Some(from), Some(end))
                    .await?
            }
        };
        for r in rows {
            let day = jiff::Timestamp::from_second(r.interval_start)
                .map_err(crate::Error::internal)?
                .to_zoned(tz.clone())
                .date();
            // Programme totals: each call once, however many queues it passed through.
            if let Some(a) = daily.get_mut(&day) {
                a.merge(&r.agg.calls_view());
            }
        }
        let daily = std::sync::Arc::new(daily);
        self.cache.put(key, daily.clone());
        Ok(daily)
    }

    /// One programme's cockpit. Kept in the result cache in two parts: the figures under
    /// the data version (with the state version, for the targets), and the rest (alarms,
    /// work plan, budget, actions) under the state version and the day. Both versions come
    /// from one read, so a cockpit served again costs that read and a copy, and is never
    /// older than the database.
    pub(crate) async fn cockpit_programme(&self, p: Programme) -> Result<CockpitProgramme> {
        let versions = self.store.versions(p.id).await?;
        let today = compute::today(&PlanCx::system(p.clone())?);
        self.cockpit_programme_at(p, versions, today).await
    }

    /// [`App::cockpit_programme`] with the programme's (data, state) versions already read
    /// (with the programme list, in the same query).
    async fn cockpit_programme_at(
        &self,
        p: Programme,
        (data_version, state_version): (i64, i64),
        today: Date,
    ) -> Result<CockpitProgramme> {
        let cx = PlanCx::system(p.clone())?;
        // The programme row itself (dates, time zone, status) is read on every request: its
        // every field is part of the key.
        let row = row_hash(&p);
        let figures = self
            .cache
            .get_or_compute(
                crate::cache::CacheKey {
                    programme_id: p.id,
                    data_version,
                    kind: "cockpit_figures",
                    params: format!("{state_version}|{row:x}"),
                },
                || self.cockpit_figures(&p, &cx),
            )
            .await?;
        let plan = self
            .cache
            .get_or_compute(
                crate::cache::CacheKey {
                    programme_id: p.id,
                    data_version: 0,
                    kind: "cockpit_plan",
                    params: format!("{state_version}|{today}|{row:x}"),
                },
                || self.cockpit_plan(&p, &cx, today),
            )
            .await?;
        let (period, kpis) = (*figures).clone();
        let plan = (*plan).clone();
        Ok(CockpitProgramme {
            programme: p,
            period,
            kpis,
            alarms: plan.alarms,
            overdue: plan.overdue,
            budget: plan.budget,
            milestones: plan.milestones,
            actions: plan.actions,
        })
    }

    /// The KPI targets against the last days of data.
    async fn cockpit_figures(
        &self,
        p: &Programme,
        cx: &PlanCx,
    ) -> Result<(Option<(Date, Date)>, Vec<KpiStatus>)> {
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let latest = self.store.data_span(p.id).await?.map(|(_, hi)| hi);
        let mut kpis = Vec::new();
        let Some(latest) = latest else {
            return Ok((None, kpis));
        };
        let last = jiff::Timestamp::from_second(latest)
            .map_err(crate::Error::internal)?
            .to_zoned(tz.clone())
            .date();
        let first = last
            .checked_sub(jiff::Span::new().days(COCKPIT_DAYS - 1))
            .map_err(crate::Error::internal)?;
        let def = KpiDefinition::standard();
        let daily = self.daily_totals(p, &tz, first, last).await?;
        let mut total = Agg::default();
        for a in daily.values() {
            total.merge(a);
        }
        for (_, t) in self.kpi_targets(cx).await? {
            if t.period_end < first || t.period_start > last {
                continue;
            }
            let actual = indicator_value(&t.indicator, &total, &def);
            kpis.push(KpiStatus {
                rag: actual.map(|a| t.judge(a)),
                trend: daily
                    .values()
                    .map(|a| indicator_value(&t.indicator, a, &def))
                    .collect(),
                higher_is_better: t.direction == Direction::HigherIsBetter,
                indicator: t.indicator,
                target: t.target,
                tolerance: t.tolerance,
                actual,
            });
        }
        Ok((Some((first, last)), kpis))
    }

    /// Alarms, the work plan's overdue activities and next milestones, budget burn and
    /// corrective actions, as of `today`.
    async fn cockpit_plan(&self, p: &Programme, cx: &PlanCx, today: Date) -> Result<CockpitPlan> {
        let alarms = self.store.alarms(p.id, true).await?;
        // Work plan: overdue activities and the next milestones.
        let mut overdue = Vec::new();
        let mut milestones = Vec::new();
        let acts: Vec<_> = self
            .activities(cx)
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        if !acts.is_empty() {
            let calendar = self.work_calendar(cx).await?;
            let plan = compute::work_plan(cx.dates(), acts)?.with_calendar(calendar);
            let schedule = plan.schedule();
            for a in plan.activities() {
                let Some(s) = schedule.get(a.id.as_str()) else {
                    continue;
                };
                if !a.milestone && a.progress < 100 && s.finish < today {
                    overdue.push(OverdueWork {
                        id: a.id.as_str().to_string(),
                        name: a.name.clone(),
                        finish: s.finish,
                        progress: a.progress,
                        days_late: days_between(s.finish, today),
                    });
                }
                if a.milestone && a.progress < 100 && s.finish >= today {
                    milestones.push(NextMilestone {
                        id: a.id.as_str().to_string(),
                        name: a.name.clone(),
                        date: s.finish,
                        at_risk: alarms.iter().any(|al| {
                            al.kind == "milestone_at_risk" && al.subject == a.id.as_str()
                        }),
                    });
                }
            }
            overdue.sort_by_key(|o| std::cmp::Reverse(o.days_late));
            milestones.sort_by_key(|m| m.date);
            milestones.truncate(3);
        }

        // Budget burn against plan.
        let rules = self.rules_of(p.id).await?;
        let budget = match self.budget_burn(cx, today, &rules.rules).await? {
            Some((b, c)) => {
                let data = self.budget(cx).await?;
                let this_month = rumbo_domain::plan::budget::YearMonth::of(today);
                Some(BudgetStatus {
                    currency: c.code(),
                    planned_total: b.planned_total,
                    planned_to_date: data
                        .planned
                        .iter()
                        .filter(|a| a.amount.currency() == c && a.month <= this_month)
                        .map(|a| a.amount.minor())
                        .sum(),
                    actual_to_date: b.actual_to_date,
                    projected_total: projected_total(&b),
                })
            }
            None => None,
        };
        let mut actions: Vec<ActionRow> = self
            .store
            .actions(p.id)
            .await?
            .into_iter()
            .filter(|a| a.data["status"] != "cancelled")
            .collect();
        actions.truncate(5);
        Ok(CockpitPlan {
            alarms,
            overdue,
            budget,
            milestones,
            actions,
        })
    }
}
