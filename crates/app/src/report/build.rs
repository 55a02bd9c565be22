//! The reports a programme offers, built as [`Document`]s from the same use cases the pages
//! read: programme status (the cockpit's view of it), KPIs for a period (summary against
//! targets, daily charts and table, per-queue totals, the 15-minute detail), corrective actions,
//! and the client's monthly report, which carries service figures only (no budget, costs,
//! risks, alarms or internal actions), so it is the one report a client viewer may have.
//!
//! Words come from the caller's catalogues through [`Words`] (the server's, in the reader's
//! language); every figure comes from the stored aggregates under the definition the Control
//! page shows by default, so a report and the page agree.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use rumbo_charts::{line_chart, Frame, LineChart, Series, Target};
use rumbo_domain::access::{Action, Role};
use rumbo_domain::plan::objectives::{Direction, KpiTarget, Rag};
use rumbo_kpi::{Agg, Granularity, KpiDefinition};

use super::{
    render, Block, Cell, Chart, ChartKind, ChartSeries, Chrome, Document, Figure, Format, Lang,
    Logo, Section, Table,
};
use crate::kpis::KpiQuery;
use crate::model::Programme;
use crate::plan::PlanCx;
use crate::{App, Error, Principal, Result};

/// The words of reports in a language, by catalogue key (the server's catalogues).
pub trait Words: Send + Sync {
    fn t(&self, lang: Lang, key: &str) -> String;
}

/// Shared [`Words`] for the settings; by default every key stands for itself (tests of figures).
#[derive(Clone)]
pub struct WordsHandle(pub Arc<dyn Words>);

struct KeysAsWords;

impl Words for KeysAsWords {
    fn t(&self, _lang: Lang, key: &str) -> String {
        key.to_string()
    }
}

impl Default for WordsHandle {
    fn default() -> Self {
        WordsHandle(Arc::new(KeysAsWords))
    }
}

impl fmt::Debug for WordsHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WordsHandle")
    }
}

/// The reports a programme offers (`closeout` and `lessons` are built in `report::closeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Status,
    Kpi,
    Actions,
    Closeout,
    Lessons,
    Client,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Status,
        Kind::Kpi,
        Kind::Actions,
        Kind::Closeout,
        Kind::Lessons,
        Kind::Client,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::Kpi => "kpi",
            Kind::Actions => "actions",
            Kind::Closeout => "closeout",
            Kind::Lessons => "lessons",
            Kind::Client => "client",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Kinds that can be produced today (all of them).
    pub fn available(self) -> bool {
        Kind::ALL.contains(&self)
    }

    /// Client-safe: may be shown to the client's viewers and sent to client contacts.
    pub fn client_safe(self) -> bool {
        self == Kind::Client
    }
}

/// What to produce.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub kind: Kind,
    /// First and last day (inclusive, programme time zone); by default the last 30 days of
    /// data (the client report: the last full month).
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub format: Format,
    pub lang: Lang,
}

/// Raw request parameters (page, API, CLI): parsed into a [`Request`] with catalogued errors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestInput {
    pub kind: String,
    pub from: String,
    pub to: String,
    pub format: String,
    pub lang: String,
}

impl RequestInput {
    /// Parses every field, reporting each bad one beside its name.
    pub fn parse(&self) -> Result<Request> {
        let mut bad = Vec::new();
        let kind = Kind::parse(&self.kind);
        if kind.is_none() {
            bad.push(rumbo_domain::Invalid::new("kind", "error.report.kind"));
        }
        let day = |field: &'static str, s: &str, bad: &mut Vec<rumbo_domain::Invalid>| {
            if s.trim().is_empty() {
                return None;
            }
            match s.trim().parse::<Date>() {
                Ok(d) => Some(d),
                Err(_) => {
                    bad.push(rumbo_domain::Invalid::new(field, "error.report.date"));
                    None
                }
            }
        };
        let from = day("from", &self.from, &mut bad);
        let to = day("to", &self.to, &mut bad);
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                bad.push(rumbo_domain::Invalid::new("to", "error.report.period"));
            }
        }
        let format = if self.format.trim().is_empty() {
            Some(Format::Pdf)
        } else {
            Format::parse(&self.format)
        };
        if format.is_none() {
            bad.push(rumbo_domain::Invalid::new("format", "error.report.format"));
        }
        let lang = if self.lang.trim().is_empty() {
            Some(Lang::Es)
        } else {
            Lang::parse(&self.lang)
        };
        if lang.is_none() {
            bad.push(rumbo_domain::Invalid::new("lang", "error.report.lang"));
        }
        match (kind, format, lang) {
            (Some(kind), Some(format), Some(lang)) if bad.is_empty() => Ok(Request {
                kind,
                from,
                to,
                format,
                lang,
            }),
            _ => Err(Error::Invalid(rumbo_domain::Invalids(bad))),
        }
    }
}

/// A rendered report.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub kind: Kind,
    pub format: Format,
    pub lang: Lang,
    pub from: Date,
    pub to: Date,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

/// The settings keys of the BPO's name and logo (base64 of a JPEG or PNG file).
pub const ORGANISATION_KEY: &str = "report.organisation";
pub const LOGO_KEY: &str = "report.logo";

fn pct(x: Option<f64>) -> Cell {
    x.map_or(Cell::Empty, |v| Cell::percent(v, 1))
}

fn secs(x: Option<f64>, decimals: u8) -> Cell {
    x.map_or(Cell::Empty, |v| Cell::num(v, decimals))
}

/// The definition the Control page shows by default (the latest standard version).
pub fn report_definition() -> KpiDefinition {
    KpiDefinition::standard_v2()
}

/// A KPI figure in the unit its target is written in (percentages as 0–100).
fn indicator(ind: &str, a: &Agg, def: &KpiDefinition) -> Option<f64> {
    crate::control::indicator_of(ind, a, def)
}

/// Period totals: per day, per queue and over everything (calls counted once over queues).
struct KpiData {
    def: KpiDefinition,
    total: Agg,
    daily: BTreeMap<Date, Agg>,
    queues: BTreeMap<String, Agg>,
    /// 15-minute rows over all queues, by interval start (empty in the client report, which
    /// has no interval detail).
    intervals: Arc<BTreeMap<i64, Agg>>,
}

impl App {
    pub(crate) fn words(&self) -> &dyn Words {
        self.settings().report_words.0.as_ref()
    }

    /// Renders a report of `code` for `who`. Client viewers may only have client-safe reports.
    pub async fn report(&self, who: &Principal, code: &str, req: &Request) -> Result<Rendered> {
        let p = self.programme_for(who, code, Action::Read).await?.programme;
        if who.role == Role::ClientViewer && !req.kind.client_safe() {
            return Err(Error::Forbidden);
        }
        self.render_report(&p, req).await
    }

    /// Renders a report for the operator at the console (`rumbo report`).
    pub async fn report_as_operator(&self, code: &str, req: &Request) -> Result<Rendered> {
        let p = self.programme_for_operator(code).await?;
        self.render_report(&p, req).await
    }

    pub(crate) async fn render_report(&self, p: &Programme, req: &Request) -> Result<Rendered> {
        if !req.kind.available() {
            return Err(Error::invalid("kind", "error.report.not_available"));
        }
        let (from, to) = self.report_period(p, req).await?;
        let doc = self
            .report_document(p, req.kind, from, to, req.lang)
            .await?;
        let bytes = render(&doc, req.format).map_err(Error::internal)?;
        Ok(Rendered {
            kind: req.kind,
            format: req.format,
            lang: req.lang,
            from,
            to,
            file_name: format!(
                "{}-{}-{}-{}.{}",
                p.code,
                req.kind.as_str(),
                from,
                to,
                req.format.extension()
            ),
            sha256: super::sha256_hex(&bytes),
            bytes,
        })
    }

    /// The period: as asked, else the last 30 days up to the latest imported day (the client
    /// report: the last full month before it).
    async fn report_period(&self, p: &Programme, req: &Request) -> Result<(Date, Date)> {
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let latest = self.store().data_span(p.id).await?.map(|(_, hi)| hi);
        let last_day = match latest {
            Some(ts) => jiff::Timestamp::from_second(ts)
                .map_err(Error::internal)?
                .to_zoned(tz)
                .date(),
            None => jiff::Timestamp::now().to_zoned(tz).date(),
        };
        let (from, to) = match (req.from, req.to) {
            (Some(f), Some(t)) => (f, t),
            (Some(f), None) => (f, last_day.max(f)),
            (None, Some(t)) => (
                t.checked_sub(jiff::Span::new().days(29))
                    .map_err(Error::internal)?,
                t,
            ),
            (None, None) if req.kind == Kind::Client => {
                let first = last_day.first_of_month();
                let prev_last = first.yesterday().map_err(Error::internal)?;
                (prev_last.first_of_month(), prev_last)
            }
            (None, None) => (
                last_day
                    .checked_sub(jiff::Span::new().days(29))
                    .map_err(Error::internal)?,
                last_day,
            ),
        };
        Ok((from, to))
    }

    async fn organisation(&self) -> Result<(String, Option<Logo>)> {
        let name = self
            .store()
            .setting(ORGANISATION_KEY)
            .await?
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "Rumbo".to_string());
        let logo = match self.store().setting(LOGO_KEY).await? {
            Some(b64) => crate::report::base64_decode(&b64).map(|bytes| Logo { bytes }),
            None => None,
        };
        Ok((name, logo))
    }

    /// Sets the BPO's name and logo shown in every report's header (managers and admins).
    pub async fn set_report_identity(
        &self,
        who: &Principal,
        name: &str,
        logo: Option<&[u8]>,
    ) -> Result<()> {
        who.require_role(crate::access::MANAGERS)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(Error::invalid("organisation", "error.report.organisation"));
        }
        if let Some(bytes) = logo {
            if super::pdf::logo_supported(bytes).is_none() {
                return Err(Error::invalid("logo", "error.report.logo"));
            }
            self.store()
                .set_setting(LOGO_KEY, &crate::report::base64_encode(bytes))
                .await?;
        }
        self.store().set_setting(ORGANISATION_KEY, name).await?;
        Ok(())
    }

    /// The BPO's name as reports show it.
    pub async fn report_organisation(&self) -> Result<String> {
        Ok(self.organisation().await?.0)
    }

    /// The document of a report (before rendering), for tests and further report kinds.
    pub async fn report_document(
        &self,
        p: &Programme,
        kind: Kind,
        from: Date,
        to: Date,
        lang: Lang,
    ) -> Result<Document> {
        let w = self.words();
        let t = |k: &str| w.t(lang, k);
        let (organisation, logo) = self.organisation().await?;
        let period = format!(
            "{} – {}",
            super::text::date(from, lang),
            super::text::date(to, lang)
        );
        let now = jiff::Timestamp::now()
            .to_zoned(TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC))
            .datetime();
        let chrome = Chrome {
            page_of: t("report.page_of"),
            generated: t("report.generated").replace("{at}", &super::text::datetime(now, lang)),
            figures_sheet: t("report.figures_sheet"),
            figure_label: t("report.figure"),
            figure_value: t("report.value"),
        };
        let sections = match kind {
            Kind::Status => self.status_sections(p, lang).await?,
            Kind::Kpi => self.kpi_sections(p, from, to, lang, false).await?,
            Kind::Client => self.kpi_sections(p, from, to, lang, true).await?,
            Kind::Actions => self.action_sections(p, from, to, lang).await?,
            Kind::Closeout => self.closeout_sections(p, lang).await?,
            Kind::Lessons => self.lessons_sections(p, lang).await?,
        };
        Ok(Document {
            lang,
            organisation,
            logo,
            title: format!(
                "{} · {}",
                t(&format!("report.kind.{}", kind.as_str())),
                p.name
            ),
            subtitle: format!(
                "{} {} · {} {} · {} {}",
                t("report.programme"),
                p.code,
                t("report.client"),
                p.client_name,
                t("report.period"),
                period
            ),
            chrome,
            sections,
        })
    }

    /// The report's figures: the summary, charts, daily and per-queue tables from the KPI API's
    /// daily figures (read from the daily rollups when every batch has them, and cached), the
    /// 15-minute detail (`intervals`) from the 15-minute rows merged over queues a week at a
    /// time (both cached). Exact sums make both equal to merging every (queue, 15-minute) row.
    async fn kpi_data(
        &self,
        p: &Programme,
        from: Date,
        to: Date,
        intervals: bool,
    ) -> Result<KpiData> {
        let def = report_definition();
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let k = self
            .programme_kpis_shared(KpiQuery {
                programme_code: &p.code,
                definition: &def,
                granularity: Granularity::Day,
                from: Some(from),
                to: Some(to),
            })
            .await?;
        let mut data = KpiData {
            total: Agg::default(),
            daily: BTreeMap::new(),
            queues: BTreeMap::new(),
            intervals: Arc::default(),
            def,
        };
        let mut d = from;
        while d <= to {
            data.daily.insert(d, Agg::default());
            d = d.tomorrow().map_err(Error::internal)?;
        }
        for ((queue, start), agg) in k.aggregation.sorted_rows() {
            let calls = agg.calls_view();
            data.total.merge(&calls);
            let day = jiff::Timestamp::from_second(*start)
                .map_err(Error::internal)?
                .to_zoned(tz.clone())
                .date();
            data.daily.entry(day).or_default().merge(&calls);
            if !queue.is_empty() {
                data.queues.entry(queue.clone()).or_default().merge(agg);
            }
        }
        if intervals {
            data.intervals = self
                .programme_interval_totals(&p.code, &data.def, from, to)
                .await?;
        }
        Ok(data)
    }

    async fn kpi_sections(
        &self,
        p: &Programme,
        from: Date,
        to: Date,
        lang: Lang,
        client: bool,
    ) -> Result<Vec<Section>> {
        let w = self.words();
        let t = |k: &str| w.t(lang, k);
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let data = self.kpi_data(p, from, to, !client).await?;
        let def = &data.def;
        let cx = PlanCx::system(p.clone())?;
        let targets: Vec<KpiTarget> = self
            .kpi_targets(&cx)
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| t.period_end >= from && t.period_start <= to)
            .collect();
        let target_of = |ind: &str| targets.iter().find(|t| t.indicator == ind);
        let f = data.total.figures(def);
        let note = |ind: &str, value: Option<f64>| -> String {
            match (target_of(ind), value) {
                (Some(tg), Some(v)) => {
                    let rag = tg.judge(v);
                    let shown = if matches!(ind, "service_level" | "abandon_rate" | "occupancy") {
                        format!("{} %", super::text::number(tg.target, 1, lang))
                    } else {
                        super::text::number(tg.target, 1, lang)
                    };
                    format!(
                        "{} {} · {}",
                        t("report.target"),
                        shown,
                        t(&format!("report.rag.{}", rag.as_str()))
                    )
                }
                _ => String::new(),
            }
        };
        let mut summary = vec![
            Figure {
                label: t("report.kpi.offered"),
                value: Cell::Int(data.total.offered as i64),
                note: String::new(),
            },
            Figure {
                label: t("report.kpi.answered"),
                value: Cell::Int(data.total.answered as i64),
                note: String::new(),
            },
            Figure {
                label: t("report.kpi.abandoned"),
                value: Cell::Int(data.total.caller_abandons() as i64),
                note: String::new(),
            },
            Figure {
                label: t("report.kpi.sl"),
                value: pct(f.sl),
                note: note("service_level", f.sl.map(|x| x * 100.0)),
            },
            Figure {
                label: t("report.kpi.asa"),
                value: secs(f.asa_s, 1),
                note: note("asa", f.asa_s),
            },
            Figure {
                label: t("report.kpi.aht"),
                value: secs(f.aht_s, 0),
                note: note("aht", f.aht_s),
            },
            Figure {
                label: t("report.kpi.abandon_rate"),
                value: pct(f.abandon_rate),
                note: note("abandon_rate", f.abandon_rate.map(|x| x * 100.0)),
            },
        ];
        if !client {
            summary.insert(
                3,
                Figure {
                    label: t("report.kpi.system_exits"),
                    value: Cell::Int(data.total.system_exits as i64),
                    note: String::new(),
                },
            );
        }
        let mut first = vec![
            Block::Paragraph(t("report.kpi.intro").replace("{definition}", &def.id().to_string())),
            Block::Figures(summary),
        ];
        if !targets.is_empty() {
            let rows = targets
                .iter()
                .map(|tg| {
                    let actual = indicator(&tg.indicator, &data.total, def);
                    vec![
                        Cell::text(t(&format!("kpi.{}", tg.indicator))),
                        Cell::num(tg.target, 1),
                        Cell::text(match tg.direction {
                            Direction::HigherIsBetter => t("report.direction.higher"),
                            Direction::LowerIsBetter => t("report.direction.lower"),
                        }),
                        actual.map_or(Cell::Empty, |a| Cell::num(a, 1)),
                        actual.map_or(Cell::Empty, |a| {
                            Cell::text(t(&format!("report.rag.{}", tg.judge(a).as_str())))
                        }),
                    ]
                })
                .collect();
            first.push(Block::Table(Table {
                title: t("report.targets"),
                columns: vec![
                    t("report.col.indicator"),
                    t("report.col.target"),
                    t("report.col.direction"),
                    t("report.col.actual"),
                    t("report.col.judgement"),
                ],
                rows,
            }));
        }
        let mut sections = vec![Section {
            heading: t("report.section.summary"),
            blocks: first,
        }];

        // Daily: charts and table.
        let days: Vec<(&Date, &Agg)> = data.daily.iter().collect();
        let categories: Vec<String> = days
            .iter()
            .map(|(d, _)| super::text::date(**d, lang))
            .collect();
        let sl_daily: Vec<Option<f64>> = days.iter().map(|(_, a)| a.figures(def).sl).collect();
        let sl_target = target_of("service_level").map(|t| t.target);
        let frame = |title: String, y: String| Frame {
            width: 680,
            height: 300,
            title,
            x_label: t("report.col.day"),
            y_label: y,
            decimal_separator: if lang == Lang::Es { ',' } else { '.' },
            thousands_separator: Some(if lang == Lang::Es { '.' } else { ',' }),
            ..Frame::default()
        };
        let step = (days.len() / 8).max(1);
        let x_ticks: Vec<(f64, String)> = categories
            .iter()
            .enumerate()
            .step_by(step)
            .map(|(i, c)| (i as f64, c.chars().take(5).collect()))
            .collect();
        let sl_title = t("report.chart.sl");
        let sl_svg = line_chart(&LineChart {
            frame: frame(sl_title.clone(), "%".into()),
            series: vec![Series {
                name: t("report.kpi.sl"),
                points: sl_daily
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (i as f64, v.map_or(f64::NAN, |v| v * 100.0)))
                    .collect(),
            }],
            target: sl_target.map(|v| Target {
                value: v,
                label: t("report.target"),
            }),
            x_ticks: x_ticks.clone(),
            y_from_zero: true,
        });
        let vol_title = t("report.chart.volume");
        let offered: Vec<Option<f64>> = days.iter().map(|(_, a)| Some(a.offered as f64)).collect();
        let answered: Vec<Option<f64>> =
            days.iter().map(|(_, a)| Some(a.answered as f64)).collect();
        let vol_svg = line_chart(&LineChart {
            frame: frame(vol_title.clone(), t("report.kpi.calls")),
            series: vec![
                Series {
                    name: t("report.kpi.offered"),
                    points: offered
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (i as f64, v.unwrap_or(f64::NAN)))
                        .collect(),
                },
                Series {
                    name: t("report.kpi.answered"),
                    points: answered
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (i as f64, v.unwrap_or(f64::NAN)))
                        .collect(),
                },
            ],
            target: None,
            x_ticks,
            y_from_zero: true,
        });
        let kpi_columns = |first: &str| {
            vec![
                t(first),
                t("report.kpi.offered"),
                t("report.kpi.answered"),
                t("report.kpi.abandoned"),
                t("report.kpi.sl"),
                t("report.kpi.asa"),
                t("report.kpi.aht"),
                t("report.kpi.abandon_rate"),
            ]
        };
        let kpi_cells = |a: &Agg| {
            let f = a.figures(def);
            vec![
                Cell::Int(a.offered as i64),
                Cell::Int(a.answered as i64),
                Cell::Int(a.caller_abandons() as i64),
                pct(f.sl),
                secs(f.asa_s, 1),
                secs(f.aht_s, 0),
                pct(f.abandon_rate),
            ]
        };
        let daily_rows = days
            .iter()
            .map(|(d, a)| {
                let mut r = vec![Cell::Date(**d)];
                r.extend(kpi_cells(a));
                r
            })
            .collect();
        sections.push(Section {
            heading: t("report.section.daily"),
            blocks: vec![
                Block::Chart(Chart {
                    title: sl_title,
                    kind: ChartKind::Line,
                    svg: sl_svg,
                    categories: categories.clone(),
                    series: vec![ChartSeries {
                        name: t("report.kpi.sl"),
                        values: sl_daily,
                    }],
                    percent: true,
                }),
                Block::Chart(Chart {
                    title: vol_title,
                    kind: ChartKind::Line,
                    svg: vol_svg,
                    categories,
                    series: vec![
                        ChartSeries {
                            name: t("report.kpi.offered"),
                            values: offered,
                        },
                        ChartSeries {
                            name: t("report.kpi.answered"),
                            values: answered,
                        },
                    ],
                    percent: false,
                }),
                Block::Table(Table {
                    title: t("report.table.daily"),
                    columns: kpi_columns("report.col.day"),
                    rows: daily_rows,
                }),
            ],
        });
        if !client {
            let queue_rows = data
                .queues
                .iter()
                .map(|(q, a)| {
                    let mut r = vec![Cell::text(q.clone())];
                    r.extend(kpi_cells(a));
                    r
                })
                .collect();
            sections.push(Section {
                heading: t("report.section.queues"),
                blocks: vec![Block::Table(Table {
                    title: t("report.table.queues"),
                    columns: kpi_columns("report.col.queue"),
                    rows: queue_rows,
                })],
            });
            let mut interval_rows = Vec::with_capacity(data.intervals.len());
            for (start, a) in data.intervals.iter() {
                let local = jiff::Timestamp::from_second(*start)
                    .map_err(Error::internal)?
                    .to_zoned(tz.clone())
                    .datetime();
                let mut r = vec![Cell::DateTime(local)];
                r.extend(kpi_cells(a));
                interval_rows.push(r);
            }
            sections.push(Section {
                heading: t("report.section.intervals"),
                blocks: vec![Block::Table(Table {
                    title: t("report.table.intervals"),
                    columns: kpi_columns("report.col.interval"),
                    rows: interval_rows,
                })],
            });
        }
        Ok(sections)
    }

    async fn status_sections(&self, p: &Programme, lang: Lang) -> Result<Vec<Section>> {
        let w = self.words();
        let t = |k: &str| w.t(lang, k);
        let c = self.cockpit_programme(p.clone()).await?;
        let mut facts = vec![
            Figure {
                label: t("report.status.state"),
                value: Cell::text(t(&format!("status.{}", p.status.as_str()))),
                note: String::new(),
            },
            Figure {
                label: t("report.status.start"),
                value: Cell::Date(p.start_date),
                note: String::new(),
            },
            Figure {
                label: t("report.status.end"),
                value: p.end_date.map_or(Cell::Empty, Cell::Date),
                note: String::new(),
            },
            Figure {
                label: t("report.status.open_alarms"),
                value: Cell::Int(c.alarms.len() as i64),
                note: String::new(),
            },
            Figure {
                label: t("report.status.overdue"),
                value: Cell::Int(c.overdue.len() as i64),
                note: String::new(),
            },
        ];
        if let Some((a, b)) = c.period {
            facts.push(Figure {
                label: t("report.status.figures_period"),
                value: Cell::text(format!(
                    "{} – {}",
                    super::text::date(a, lang),
                    super::text::date(b, lang)
                )),
                note: String::new(),
            });
        }
        let mut sections = vec![Section {
            heading: t("report.section.programme"),
            blocks: vec![Block::Figures(facts)],
        }];
        let kpi_rows: Vec<Vec<Cell>> = c
            .kpis
            .iter()
            .map(|k| {
                vec![
                    Cell::text(t(&format!("kpi.{}", k.indicator))),
                    Cell::num(k.target, 1),
                    k.actual.map_or(Cell::Empty, |a| Cell::num(a, 1)),
                    k.rag.map_or(Cell::Empty, |r: Rag| {
                        Cell::text(t(&format!("report.rag.{}", r.as_str())))
                    }),
                ]
            })
            .collect();
        sections.push(Section {
            heading: t("report.section.kpis"),
            blocks: vec![if kpi_rows.is_empty() {
                Block::Paragraph(t("report.none"))
            } else {
                Block::Table(Table {
                    title: t("report.targets"),
                    columns: vec![
                        t("report.col.indicator"),
                        t("report.col.target"),
                        t("report.col.actual"),
                        t("report.col.judgement"),
                    ],
                    rows: kpi_rows,
                })
            }],
        });
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let when = |ts: i64| {
            jiff::Timestamp::from_second(ts)
                .map(|x| Cell::DateTime(x.to_zoned(tz.clone()).datetime()))
                .unwrap_or(Cell::Empty)
        };
        let alarm_rows: Vec<Vec<Cell>> = c
            .alarms
            .iter()
            .map(|a| {
                vec![
                    Cell::text(t(&format!("alarm.kind.{}", a.kind))),
                    Cell::text(if crate::plan::INDICATORS.contains(&a.metric.as_str()) {
                        t(&format!("kpi.{}", a.metric))
                    } else {
                        a.metric.clone()
                    }),
                    Cell::text(a.subject.clone()),
                    Cell::num(a.observed, 1),
                    Cell::num(a.expected, 1),
                    when(a.raised_at),
                ]
            })
            .collect();
        sections.push(Section {
            heading: t("report.section.alarms"),
            blocks: vec![if alarm_rows.is_empty() {
                Block::Paragraph(t("report.none"))
            } else {
                Block::Table(Table {
                    title: t("report.table.alarms"),
                    columns: vec![
                        t("report.col.kind"),
                        t("report.col.metric"),
                        t("report.col.subject"),
                        t("report.col.observed"),
                        t("report.col.expected"),
                        t("report.col.raised"),
                    ],
                    rows: alarm_rows,
                })
            }],
        });
        let mut work = Vec::new();
        if c.overdue.is_empty() && c.milestones.is_empty() {
            work.push(Block::Paragraph(t("report.none")));
        }
        if !c.overdue.is_empty() {
            work.push(Block::Table(Table {
                title: t("report.table.overdue"),
                columns: vec![
                    t("report.col.activity"),
                    t("report.col.finish"),
                    t("report.col.progress"),
                    t("report.col.days_late"),
                ],
                rows: c
                    .overdue
                    .iter()
                    .map(|o| {
                        vec![
                            Cell::text(format!("{} {}", o.id, o.name)),
                            Cell::Date(o.finish),
                            Cell::percent(f64::from(o.progress) / 100.0, 0),
                            Cell::Int(o.days_late),
                        ]
                    })
                    .collect(),
            }));
        }
        if !c.milestones.is_empty() {
            work.push(Block::Table(Table {
                title: t("report.table.milestones"),
                columns: vec![
                    t("report.col.milestone"),
                    t("report.col.date"),
                    t("report.col.at_risk"),
                ],
                rows: c
                    .milestones
                    .iter()
                    .map(|m| {
                        vec![
                            Cell::text(format!("{} {}", m.id, m.name)),
                            Cell::Date(m.date),
                            Cell::text(if m.at_risk {
                                t("report.yes")
                            } else {
                                t("report.no")
                            }),
                        ]
                    })
                    .collect(),
            }));
        }
        sections.push(Section {
            heading: t("report.section.work"),
            blocks: work,
        });
        if let Some(b) = &c.budget {
            let exponent = rumbo_domain::plan::budget::Currency::parse(b.currency)
                .map_or(0, |c| c.decimals() as u8);
            let money = |minor: i64| Cell::Money {
                minor,
                currency: b.currency.to_string(),
                exponent,
            };
            sections.push(Section {
                heading: t("report.section.budget"),
                blocks: vec![Block::Figures(vec![
                    Figure {
                        label: t("report.budget.planned_total"),
                        value: money(b.planned_total),
                        note: String::new(),
                    },
                    Figure {
                        label: t("report.budget.planned_to_date"),
                        value: money(b.planned_to_date),
                        note: String::new(),
                    },
                    Figure {
                        label: t("report.budget.actual_to_date"),
                        value: money(b.actual_to_date),
                        note: String::new(),
                    },
                    Figure {
                        label: t("report.budget.projected"),
                        value: money(b.projected_total),
                        note: String::new(),
                    },
                ])],
            });
        }
        Ok(sections)
    }

    async fn action_sections(
        &self,
        p: &Programme,
        from: Date,
        to: Date,
        lang: Lang,
    ) -> Result<Vec<Section>> {
        let w = self.words();
        let t = |k: &str| w.t(lang, k);
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let actions = self.store().actions(p.id).await?;
        let mut rows = Vec::new();
        let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
        for a in &actions {
            let created = jiff::Timestamp::from_second(a.created_at)
                .map_err(Error::internal)?
                .to_zoned(tz.clone())
                .datetime();
            if created.date() < from || created.date() > to {
                continue;
            }
            let s = |k: &str| a.data[k].as_str().unwrap_or_default().to_string();
            let status = s("status");
            *by_status.entry(status.clone()).or_default() += 1;
            let verdict = a.data["effect"]["verdict"]
                .as_str()
                .map(|v| t(&format!("action.verdict.{v}")));
            rows.push(vec![
                Cell::Int(a.id),
                Cell::DateTime(created),
                Cell::text(s("cause")),
                Cell::text(s("action")),
                Cell::text(t(&format!("action.priority.{}", s("priority")))),
                s("due_date")
                    .parse::<Date>()
                    .map_or(Cell::Empty, Cell::Date),
                Cell::text(t(&format!("action.status.{status}"))),
                verdict.map_or(Cell::Empty, Cell::Text),
            ]);
        }
        let figures = crate::control::STATUSES
            .iter()
            .map(|s| Figure {
                label: t(&format!("action.status.{s}")),
                value: Cell::Int(by_status.get(*s).copied().unwrap_or(0)),
                note: String::new(),
            })
            .collect();
        Ok(vec![
            Section {
                heading: t("report.section.summary"),
                blocks: vec![Block::Figures(figures)],
            },
            Section {
                heading: t("report.section.actions"),
                blocks: vec![if rows.is_empty() {
                    Block::Paragraph(t("report.none"))
                } else {
                    Block::Table(Table {
                        title: t("report.table.actions"),
                        columns: vec![
                            t("report.col.number"),
                            t("report.col.created"),
                            t("report.col.cause"),
                            t("report.col.action"),
                            t("report.col.priority"),
                            t("report.col.due"),
                            t("report.col.status"),
                            t("report.col.effect"),
                        ],
                        rows,
                    })
                }],
            },
        ])
    }
}
