//! Budget figures (variance, cost per contact) and KPI targets of the plan.

use std::collections::BTreeMap;

use rumbo_domain::plan::budget::{BudgetLine, Currency, GroupBy};
use rumbo_domain::plan::objectives::{KpiTarget, Rag};
use serde_json::Value;

use super::compute::{self, BudgetData};
use super::docs::{reparse, AmountDoc, Check, ContactsDoc, Doc, RateDoc, TargetDoc};
use super::{corrupt, PlanCx, PlanItem};
use crate::{App, Error, Result};

/// A KPI target judged against an actual value.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub item: PlanItem,
    pub target: KpiTarget,
    pub actual: f64,
    pub rag: Rag,
}

impl App {
    /// Budget lines, planned and actual amounts, contacts per month and the latest UF rate.
    pub async fn budget(&self, cx: &PlanCx) -> Result<BudgetData> {
        let check = self.plan_check(cx).await?;
        self.budget_with(cx, &check).await
    }

    pub(super) async fn budget_with(&self, cx: &PlanCx, check: &Check) -> Result<BudgetData> {
        let pid = Some(cx.id());
        let mut lines = Vec::new();
        for i in self.store.plan_items(pid, "budget_line").await? {
            let d = &i.data;
            let line = BudgetLine::parse(
                i.id,
                d["category"].as_str().unwrap_or_default(),
                d["description"].as_str().unwrap_or_default(),
            )
            .map_err(|_| corrupt("budget_line", i.id))?;
            lines.push(line);
        }
        let (mut planned, mut actual) = (Vec::new(), Vec::new());
        for i in self.store.plan_items(pid, "budget_amount").await? {
            let (a, is_actual) = reparse::<AmountDoc>(&i.data)
                .and_then(|d| d.parse(check).ok())
                .ok_or_else(|| corrupt("budget_amount", i.id))?;
            if is_actual {
                actual.push(a);
            } else {
                planned.push(a);
            }
        }
        let mut contacts = BTreeMap::new();
        for i in self.store.plan_items(pid, "contacts").await? {
            let (m, n) = reparse::<ContactsDoc>(&i.data)
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| corrupt("contacts", i.id))?;
            contacts.insert(m, n);
        }
        let mut rates = Vec::new();
        for i in self.store.plan_items(pid, "rate").await? {
            let r = reparse::<RateDoc>(&i.data)
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| corrupt("rate", i.id))?;
            rates.push(r);
        }
        let uf_rate = rates
            .into_iter()
            .filter(|r| r.base() == Currency::Clf && r.quote() == Currency::Clp)
            .max_by_key(|r| r.date());
        Ok(BudgetData {
            uf_rate,
            lines,
            planned,
            actual,
            contacts,
        })
    }

    /// Planned vs actual grouped as asked (`line`, `month`, `category` or `total`), with cost
    /// per contact by month and in total.
    pub async fn budget_variance(&self, cx: &PlanCx, by: &str) -> Result<Value> {
        let by = match by {
            "line" => GroupBy::Line,
            "month" => GroupBy::Month,
            "category" => GroupBy::Category,
            "total" => GroupBy::Total,
            _ => return Err(Error::invalid("by", "error.budget.group_by")),
        };
        let data = self.budget(cx).await?;
        compute::variance_json(&data, by)
    }

    /// The programme's KPI targets, stored and parsed (targets that no longer parse against
    /// the programme are left out).
    pub async fn kpi_targets(&self, cx: &PlanCx) -> Result<Vec<(PlanItem, KpiTarget)>> {
        let check = self.plan_check(cx).await?;
        let items = self
            .store
            .plan_items(Some(cx.id()), TargetDoc::KIND)
            .await?;
        Ok(items
            .into_iter()
            .filter_map(|i| {
                let (_, t) = reparse::<TargetDoc>(&i.data).and_then(|d| d.parse(&check).ok())?;
                Some((i, t))
            })
            .collect())
    }

    /// Judges an actual value (text, `82,5` or `82.5`) against KPI target `id`: green, amber
    /// (within tolerance) or red.
    pub async fn judge_target(&self, cx: &PlanCx, id: i64, actual: &str) -> Result<Judgement> {
        let item = self
            .store
            .plan_item(Some(cx.id()), TargetDoc::KIND, id)
            .await?;
        let check = self.plan_check(cx).await?;
        let (_, target) = reparse::<TargetDoc>(&item.data)
            .and_then(|d| d.parse(&check).ok())
            .ok_or_else(|| corrupt("target", id))?;
        let actual: f64 = actual
            .trim()
            .replace(',', ".")
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| Error::invalid("actual", "error.kpi_target.value"))?;
        let rag = target.judge(actual);
        Ok(Judgement {
            item,
            target,
            actual,
            rag,
        })
    }
}
