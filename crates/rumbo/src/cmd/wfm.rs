//! `rumbo wfm …`: queueing maths and planning from the command line.
//!
//! Thin glue over `rumbo_wfm`: clap parses the flags, this module reads and validates
//! the CSV/TOML files (every error names the file, line and column), calls the pure
//! library and writes CSV/JSON. No computation happens here.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use rumbo_wfm::civil::{Date, DateTime};
use rumbo_wfm::schedule::{self, BreakKind, Person, Rules, WeeklyLimit};
use rumbo_wfm::staffing::{self, Model, Policy, SlDefinition, Target};
use rumbo_wfm::{erlang_a, erlang_c, forecast, holidays, Load};

#[derive(clap::Subcommand, Debug)]
pub enum WfmCmd {
    /// Erlang C (M/M/N) for one interval: P(wait), service level, ASA, occupancy.
    ErlangC(QueueArgs),
    /// Erlang A (M/M/N+M) for one interval: adds abandonment and the four SL definitions.
    ErlangA(ErlangAArgs),
    /// Required agents per interval from a CSV (`interval_start,calls,aht_s`).
    Staffing(StaffingArgs),
    /// Forecast contacts and AHT per interval from history, with a backtest report.
    Forecast(ForecastArgs),
    /// Build a weekly roster from required agents, people and rules.
    Schedule(ScheduleArgs),
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct QueueArgs {
    /// Calls offered in the interval.
    #[arg(long)]
    pub calls: f64,
    /// Interval length in seconds.
    #[arg(long, default_value_t = 900.0)]
    pub interval: f64,
    /// Average handling time in seconds.
    #[arg(long)]
    pub aht: f64,
    /// Agents on the phones.
    #[arg(long)]
    pub agents: u32,
    /// Service-level answer time T in seconds.
    #[arg(long, default_value_t = 20.0)]
    pub target: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(clap::Args, Debug)]
pub struct ErlangAArgs {
    #[command(flatten)]
    pub queue: QueueArgs,
    /// Mean patience (time to abandon) in seconds.
    #[arg(long)]
    pub patience: f64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelArg {
    ErlangC,
    ErlangA,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlDefArg {
    Offered,
    Answered,
    ExclShort,
    Virtual,
}

#[derive(clap::Args, Debug)]
pub struct StaffingArgs {
    /// Input CSV with columns interval_start,calls,aht_s.
    #[arg(long)]
    pub input: PathBuf,
    /// Interval length in seconds.
    #[arg(long, default_value_t = 900.0)]
    pub interval: f64,
    /// Service-level target (share answered within --target seconds).
    #[arg(long, default_value_t = 0.8)]
    pub sl: f64,
    /// Answer time T in seconds.
    #[arg(long, default_value_t = 20.0)]
    pub target: f64,
    /// Staff for an ASA target (seconds) instead of a service level.
    #[arg(long, conflicts_with = "abandon")]
    pub asa: Option<f64>,
    /// Staff for a maximum abandon rate (Erlang A only).
    #[arg(long)]
    pub abandon: Option<f64>,
    /// Maximum occupancy.
    #[arg(long, default_value_t = 1.0)]
    pub max_occupancy: f64,
    /// Shrinkage (share of paid time off the phones).
    #[arg(long, default_value_t = 0.0)]
    pub shrinkage: f64,
    /// Queueing model.
    #[arg(long, value_enum, default_value_t = ModelArg::ErlangC)]
    pub model: ModelArg,
    /// Mean patience in seconds (Erlang A).
    #[arg(long)]
    pub patience: Option<f64>,
    /// Service-level definition used with Erlang A.
    #[arg(long, value_enum, default_value_t = SlDefArg::Offered)]
    pub sl_definition: SlDefArg,
    /// Output CSV.
    #[arg(long)]
    pub output: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct ForecastArgs {
    /// History CSV with columns interval_start,calls[,aht_s].
    #[arg(long)]
    pub history: PathBuf,
    /// Horizon, e.g. `28d` or `4w`.
    #[arg(long, default_value = "28d")]
    pub horizon: String,
    /// Days held out for the backtest (0 to skip).
    #[arg(long, default_value_t = 28)]
    pub backtest_days: u32,
    /// Extra special days (e.g. election days), comma-separated YYYY-MM-DD.
    #[arg(long, value_delimiter = ',')]
    pub extra_holidays: Vec<String>,
    /// Output CSV (interval_start,calls,aht_s).
    #[arg(long)]
    pub output: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct ScheduleArgs {
    /// Requirements CSV: interval_start and `required` (or `raw_agents` from `wfm staffing`).
    #[arg(long)]
    pub requirements: PathBuf,
    /// People CSV: person_id,name,weekly_hours,hourly_cost[,unavailable] (dates `;`-separated).
    #[arg(long)]
    pub people: PathBuf,
    /// Rules TOML (missing keys take Chilean defaults).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Output directory (roster.csv, coverage.csv, summary.json).
    #[arg(long)]
    pub output: PathBuf,
}

pub fn run(cmd: WfmCmd) -> anyhow::Result<()> {
    match cmd {
        WfmCmd::ErlangC(a) => crate::write_out(format_args!("{}", erlang_c_report(&a)?)),
        WfmCmd::ErlangA(a) => crate::write_out(format_args!("{}", erlang_a_report(&a)?)),
        WfmCmd::Staffing(a) => {
            let n = staffing_file(&a)?;
            eprintln!("wrote {} intervals to {}", n, a.output.display());
        }
        WfmCmd::Forecast(a) => crate::write_out(format_args!("{}", forecast_file(&a)?)),
        WfmCmd::Schedule(a) => crate::write_out(format_args!("{}", schedule_files(&a)?)),
    }
    Ok(())
}

fn num(x: f64) -> serde_json::Value {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        serde_json::json!(x as i64)
    } else if x.is_finite() {
        serde_json::json!(x)
    } else {
        serde_json::json!(x.to_string())
    }
}

/// Text or JSON report of Erlang C.
pub fn erlang_c_report(a: &QueueArgs) -> anyhow::Result<String> {
    let load = Load::new(a.calls, a.interval, a.aht)?;
    let m = erlang_c::evaluate(&load, a.agents, a.target)?;
    let fields = [
        ("erlangs", m.erlangs),
        ("agents", f64::from(m.agents)),
        ("p_wait", m.p_wait),
        ("service_level", m.service_level),
        ("asa_s", m.asa_s),
        ("occupancy", m.occupancy),
    ];
    Ok(render(&fields, a.format))
}

/// Text or JSON report of Erlang A.
pub fn erlang_a_report(a: &ErlangAArgs) -> anyhow::Result<String> {
    let q = &a.queue;
    let load = Load::new(q.calls, q.interval, q.aht)?;
    let m = erlang_a::evaluate(&load, a.patience, q.agents, q.target)?;
    let fields = [
        ("erlangs", m.erlangs),
        ("agents", f64::from(m.agents)),
        ("p_wait", m.p_wait),
        ("p_abandon", m.p_abandon),
        ("p_abandon_within_t", m.p_abandon_within),
        ("sl_offered", m.sl_offered),
        ("sl_answered", m.sl_answered),
        ("sl_excluding_short_abandons", m.sl_excluding_short_abandons),
        ("sl_virtual", m.sl_virtual),
        ("asa_answered_s", m.asa_answered_s),
        ("avg_wait_all_s", m.avg_wait_all_s),
        ("occupancy", m.occupancy),
    ];
    Ok(render(&fields, q.format))
}

fn render(fields: &[(&str, f64)], format: Format) -> String {
    match format {
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> = fields
                .iter()
                .map(|(k, v)| (k.to_string(), num(*v)))
                .collect();
            format!("{}\n", serde_json::Value::Object(map))
        }
        Format::Text => {
            let mut s = String::new();
            for (k, v) in fields {
                let _ = writeln!(s, "{k:<28} {v}");
            }
            s
        }
    }
}

/// A CSV file read fully, with positions for error messages.
struct Table {
    path: String,
    headers: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    fn read(path: &Path) -> anyhow::Result<Self> {
        let name = path.display().to_string();
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
            .with_context(|| format!("{name}: cannot open"))?;
        let headers = rdr
            .headers()
            .with_context(|| format!("{name}:1: cannot read the header"))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                anyhow!("{name}:{line}: malformed CSV: {e}")
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            rows.push((line, rec));
        }
        Ok(Self {
            path: name,
            headers,
            rows,
        })
    }

    fn col(&self, name: &str) -> anyhow::Result<usize> {
        self.find(name).ok_or_else(|| {
            anyhow!(
                "{}:1: missing column `{name}` (found: {})",
                self.path,
                self.headers.join(",")
            )
        })
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }

    fn at<'a>(&self, row: &'a (u64, csv::StringRecord), col: usize) -> &'a str {
        row.1.get(col).unwrap_or("")
    }

    fn loc(&self, row: &(u64, csv::StringRecord), col: usize) -> String {
        format!(
            "{}:{}:{} (column `{}`)",
            self.path,
            row.0,
            col + 1,
            self.headers[col]
        )
    }

    fn f64(&self, row: &(u64, csv::StringRecord), col: usize) -> anyhow::Result<f64> {
        let s = self.at(row, col);
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => bail!("{}: `{s}` is not a number", self.loc(row, col)),
        }
    }

    fn non_negative(&self, row: &(u64, csv::StringRecord), col: usize) -> anyhow::Result<f64> {
        let v = self.f64(row, col)?;
        if v < 0.0 {
            bail!("{}: must be ≥ 0, got {v}", self.loc(row, col));
        }
        Ok(v)
    }

    fn positive(&self, row: &(u64, csv::StringRecord), col: usize) -> anyhow::Result<f64> {
        let v = self.f64(row, col)?;
        if v <= 0.0 {
            bail!("{}: must be > 0, got {v}", self.loc(row, col));
        }
        Ok(v)
    }

    fn datetime(&self, row: &(u64, csv::StringRecord), col: usize) -> anyhow::Result<DateTime> {
        let s = self.at(row, col);
        s.parse::<DateTime>().map_err(|e| {
            anyhow!(
                "{}: `{s}` is not a local date-time ({e})",
                self.loc(row, col)
            )
        })
    }
}

fn writer(path: &Path) -> anyhow::Result<csv::Writer<std::fs::File>> {
    csv::Writer::from_path(path).with_context(|| format!("{}: cannot create", path.display()))
}

/// Runs `wfm staffing`; returns the number of intervals written.
pub fn staffing_file(a: &StaffingArgs) -> anyhow::Result<usize> {
    let model = match a.model {
        ModelArg::ErlangC => Model::ErlangC,
        ModelArg::ErlangA => Model::ErlangA {
            patience_s: a
                .patience
                .ok_or_else(|| anyhow!("--model erlang-a needs --patience SECONDS"))?,
        },
    };
    let definition = match a.sl_definition {
        SlDefArg::Offered => SlDefinition::Offered,
        SlDefArg::Answered => SlDefinition::Answered,
        SlDefArg::ExclShort => SlDefinition::ExcludingShortAbandons,
        SlDefArg::Virtual => SlDefinition::Virtual,
    };
    let target = match (a.asa, a.abandon) {
        (Some(max_s), _) => Target::Asa { max_s },
        (None, Some(max_rate)) => Target::Abandon { max_rate },
        (None, None) => Target::ServiceLevel {
            answer_s: a.target,
            fraction: a.sl,
            definition,
        },
    };
    let policy = Policy::new(target, a.max_occupancy, a.shrinkage, model)?;
    if !(a.interval.is_finite() && a.interval > 0.0) {
        bail!("--interval must be > 0 seconds");
    }
    let t = Table::read(&a.input)?;
    let c_start = t.col("interval_start")?;
    let c_calls = t.col("calls")?;
    let c_aht = t.col("aht_s")?;
    let mut loads = Vec::with_capacity(t.rows.len());
    for row in &t.rows {
        let calls = t.non_negative(row, c_calls)?;
        let aht = t.positive(row, c_aht)?;
        loads.push(
            Load::new(calls, a.interval, aht)
                .map_err(|e| anyhow!("{}: {e}", t.loc(row, c_calls)))?,
        );
    }
    let reqs = staffing::required_all(&loads, &policy);
    let mut w = writer(&a.output)?;
    w.write_record([
        "interval_start",
        "calls",
        "aht_s",
        "erlangs",
        "agents_sl",
        "raw_agents",
        "positions",
        "sl",
        "pw",
        "asa_s",
        "occupancy",
        "positions_fractional",
        "p_abandon",
    ])?;
    for ((row, load), r) in t.rows.iter().zip(&loads).zip(&reqs) {
        w.write_record([
            t.at(row, c_start).to_string(),
            load.arrivals().to_string(),
            load.aht_s().to_string(),
            r.erlangs.to_string(),
            r.agents_target.to_string(),
            r.raw_agents.to_string(),
            r.positions.to_string(),
            r.service_level.to_string(),
            r.p_wait.to_string(),
            r.asa_s.to_string(),
            r.occupancy.to_string(),
            r.fractional_positions.to_string(),
            r.p_abandon.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(reqs.len())
}

fn parse_horizon(s: &str) -> anyhow::Result<u32> {
    let s = s.trim();
    let (n, mult) = if let Some(n) = s.strip_suffix('d') {
        (n, 1)
    } else if let Some(n) = s.strip_suffix('w') {
        (n, 7)
    } else {
        (s, 1)
    };
    let n: u32 = n.parse().map_err(|_| {
        anyhow!("--horizon `{s}`: expected a number of days like `28d` or weeks like `4w`")
    })?;
    if n == 0 || n > 3660 {
        bail!("--horizon `{s}`: must be between 1 and 3660 days");
    }
    Ok(n * mult)
}

/// Runs `wfm forecast`; returns the report printed to stdout.
pub fn forecast_file(a: &ForecastArgs) -> anyhow::Result<String> {
    let days = parse_horizon(&a.horizon)?;
    let t = Table::read(&a.history)?;
    let c_start = t.col("interval_start")?;
    let c_calls = t.col("calls")?;
    let c_aht = t.find("aht_s");
    let mut obs = Vec::with_capacity(t.rows.len());
    for row in &t.rows {
        let aht_s = match c_aht {
            Some(c) if !t.at(row, c).is_empty() => Some(t.positive(row, c)?),
            _ => None,
        };
        obs.push(forecast::Observation {
            start: t.datetime(row, c_start)?,
            calls: t.non_negative(row, c_calls)?,
            aht_s,
        });
    }
    let (first, last) = match (
        obs.iter().map(|o| o.start).min(),
        obs.iter().map(|o| o.start).max(),
    ) {
        (Some(f), Some(l)) => (f.date(), l.date()),
        _ => bail!("{}: no data rows", t.path),
    };
    let last_year = last.year() + i16::try_from(days / 365 + 1).unwrap_or(10);
    let mut special = holidays::chile_dates(first.year(), last_year)?;
    for s in &a.extra_holidays {
        special.push(
            s.parse::<Date>()
                .map_err(|e| anyhow!("--extra-holidays `{s}`: {e}"))?,
        );
    }
    let model = forecast::Model::fit(&obs, &special).with_context(|| t.path.clone())?;
    let rows = model.forecast(days)?;
    let mut w = writer(&a.output)?;
    w.write_record(["interval_start", "calls", "aht_s"])?;
    for r in &rows {
        w.write_record([
            r.start.to_string(),
            format!("{:.4}", r.calls),
            format!("{:.2}", r.aht_s),
        ])?;
    }
    w.flush()?;
    let mut report = String::new();
    let (al, be, ga) = model.params;
    let _ = writeln!(
        report,
        "forecast: {} intervals ({} days of {} min) written to {}; Holt-Winters α={al} β={be} γ={ga}",
        rows.len(),
        days,
        model.interval_minutes(),
        a.output.display()
    );
    if a.backtest_days > 0 {
        match forecast::backtest(&obs, &special, a.backtest_days) {
            Ok(bt) => {
                let _ = writeln!(
                    report,
                    "backtest on the last {} days (per interval):",
                    bt.holdout_days
                );
                let _ = writeln!(
                    report,
                    "  model           WAPE {:.4}  MASE {:.4}",
                    bt.wape_model, bt.mase_model
                );
                let _ = writeln!(
                    report,
                    "  seasonal-naive  WAPE {:.4}  MASE {:.4}",
                    bt.wape_naive, bt.mase_naive
                );
            }
            Err(e) => {
                let _ = writeln!(report, "backtest skipped: {e}");
            }
        }
    }
    Ok(report)
}

/// Rules file: every key optional; missing keys keep the Chilean defaults.
#[derive(serde::Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct RulesToml {
    daily_max_hours: Option<f64>,
    min_rest_hours: Option<f64>,
    min_days_off: Option<u32>,
    lunch_minutes: Option<u32>,
    lunch_if_work_over_hours: Option<f64>,
    pause_minutes: Option<u32>,
    pause_is_work_time: Option<bool>,
    shift_hours: Option<Vec<f64>>,
    start_step_minutes: Option<u32>,
    shortfall_penalty_per_hour: Option<f64>,
    weekly_limits: Option<Vec<WeeklyLimitToml>>,
}

#[derive(serde::Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct WeeklyLimitToml {
    from: String,
    hours: f64,
}

fn read_rules(path: Option<&Path>) -> anyhow::Result<Rules> {
    let mut r = Rules::chile();
    let Some(path) = path else { return Ok(r) };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("{name}: cannot read"))?;
    let t: RulesToml = toml::from_str(&text).map_err(|e| {
        let pos = e.span().map(|s| {
            let before = &text[..s.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!(":{line}:{col}")
        });
        anyhow!("{name}{}: {}", pos.unwrap_or_default(), e.message())
    })?;
    macro_rules! set {
        ($($f:ident),*) => { $( if let Some(v) = t.$f { r.$f = v; } )* };
    }
    set!(
        daily_max_hours,
        min_rest_hours,
        min_days_off,
        lunch_minutes,
        lunch_if_work_over_hours,
        pause_minutes,
        pause_is_work_time,
        shift_hours,
        start_step_minutes,
        shortfall_penalty_per_hour
    );
    if let Some(limits) = t.weekly_limits {
        r.weekly_limits = limits
            .into_iter()
            .map(|l| {
                let from = l
                    .from
                    .parse::<Date>()
                    .map_err(|e| anyhow!("{name}: weekly_limits.from `{}`: {e}", l.from))?;
                Ok(WeeklyLimit {
                    from,
                    hours: l.hours,
                })
            })
            .collect::<anyhow::Result<_>>()?;
    }
    Ok(r)
}

fn read_people(path: &Path) -> anyhow::Result<Vec<Person>> {
    let t = Table::read(path)?;
    let c_id = t.col("person_id")?;
    let c_name = t.find("name");
    let c_hours = t.col("weekly_hours")?;
    let c_cost = t.col("hourly_cost")?;
    let c_unav = t.find("unavailable");
    let mut out = Vec::with_capacity(t.rows.len());
    for row in &t.rows {
        let mut unavailable = Vec::new();
        if let Some(c) = c_unav {
            for part in t
                .at(row, c)
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                unavailable.push(
                    part.parse::<Date>()
                        .map_err(|e| anyhow!("{}: `{part}` is not a date ({e})", t.loc(row, c)))?,
                );
            }
        }
        let id = t.at(row, c_id).to_string();
        if id.is_empty() {
            bail!("{}: empty person_id", t.loc(row, c_id));
        }
        out.push(Person {
            name: c_name.map_or_else(|| id.clone(), |c| t.at(row, c).to_string()),
            id,
            max_weekly_hours: t.non_negative(row, c_hours)?,
            hourly_cost: t.non_negative(row, c_cost)?,
            unavailable,
        });
    }
    Ok(out)
}

/// Runs `wfm schedule`; returns the summary printed to stdout.
pub fn schedule_files(a: &ScheduleArgs) -> anyhow::Result<String> {
    let rules = read_rules(a.rules.as_deref())?;
    let people = read_people(&a.people)?;
    let t = Table::read(&a.requirements)?;
    let c_start = t.col("interval_start")?;
    let c_req = match t.find("required").or_else(|| t.find("raw_agents")) {
        Some(c) => c,
        None => t.col("required")?,
    };
    let mut reqs = Vec::with_capacity(t.rows.len());
    for row in &t.rows {
        reqs.push(schedule::Requirement {
            start: t.datetime(row, c_start)?,
            required: t.non_negative(row, c_req)?,
        });
    }
    let roster = schedule::build(&reqs, &people, &rules).with_context(|| t.path.clone())?;
    let violations = schedule::check(&roster, &people, &rules);
    std::fs::create_dir_all(&a.output)
        .with_context(|| format!("{}: cannot create", a.output.display()))?;

    let mut w = writer(&a.output.join("roster.csv"))?;
    w.write_record([
        "person_id",
        "name",
        "date",
        "start",
        "end",
        "work_hours",
        "lunch_start",
        "lunch_minutes",
        "pauses",
        "cost",
    ])?;
    for s in &roster.shifts {
        let p = &people[s.person];
        let lunch = s.breaks.iter().find(|b| b.kind == BreakKind::Lunch);
        let pauses: Vec<String> = s
            .breaks
            .iter()
            .filter(|b| b.kind == BreakKind::Pause)
            .map(|b| format!("{}+{}", b.start.time(), b.minutes))
            .collect();
        w.write_record([
            p.id.clone(),
            p.name.clone(),
            s.start.date().to_string(),
            s.start.to_string(),
            s.end.to_string(),
            s.work_hours.to_string(),
            lunch.map_or(String::new(), |b| b.start.to_string()),
            lunch.map_or(String::new(), |b| b.minutes.to_string()),
            pauses.join(";"),
            format!("{:.2}", s.cost),
        ])?;
    }
    w.flush()?;

    let mut w = writer(&a.output.join("coverage.csv"))?;
    w.write_record(["interval_start", "required", "scheduled", "under", "over"])?;
    for c in &roster.coverage {
        w.write_record([
            c.start.to_string(),
            c.required.to_string(),
            format!("{:.4}", c.scheduled),
            format!("{:.4}", c.under),
            format!("{:.4}", c.over),
        ])?;
    }
    w.flush()?;

    let summary = serde_json::json!({
        "people": people.len(),
        "shifts": roster.shifts.len(),
        "interval_minutes": roster.interval_minutes,
        "total_cost": roster.total_cost,
        "shortfall_agent_hours": roster.shortfall_agent_hours,
        "over_agent_hours": roster.over_agent_hours,
        "shortfall_penalty_per_hour": roster.shortfall_penalty_per_hour,
        "objective": roster.objective,
        "lower_bound": roster.lower_bound,
        "gap": roster.gap(),
        "rule_violations": violations.iter().map(|v| format!("{}: {}", people[v.person].id, v.message)).collect::<Vec<_>>(),
    });
    let path = a.output.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(format!(
        "schedule: {} shifts for {} people; cost {:.0}; shortfall {:.1} agent-h; over {:.1} agent-h; objective {:.0} ≥ lower bound {:.0} (gap {:.1} %); {} rule violations; files in {}\n",
        roster.shifts.len(),
        people.len(),
        roster.total_cost,
        roster.shortfall_agent_hours,
        roster.over_agent_hours,
        roster.objective,
        roster.lower_bound,
        100.0 * roster.gap(),
        violations.len(),
        a.output.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn queue(agents: u32, format: Format) -> QueueArgs {
        QueueArgs {
            calls: 500.0,
            interval: 1800.0,
            aht: 180.0,
            agents,
            target: 20.0,
            format,
        }
    }

    fn staffing_args(input: PathBuf, output: PathBuf) -> StaffingArgs {
        StaffingArgs {
            input,
            interval: 900.0,
            sl: 0.8,
            target: 20.0,
            asa: None,
            abandon: None,
            max_occupancy: 0.9,
            shrinkage: 0.3,
            model: ModelArg::ErlangC,
            patience: None,
            sl_definition: SlDefArg::Offered,
            output,
        }
    }

    #[test]
    fn erlang_c_json_matches_library_values() {
        let out = erlang_c_report(&queue(55, Format::Json)).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let load = Load::new(500.0, 1800.0, 180.0).unwrap();
        let m = erlang_c::evaluate(&load, 55, 20.0).unwrap();
        assert_eq!(v["p_wait"].as_f64().unwrap(), m.p_wait);
        assert_eq!(v["service_level"].as_f64().unwrap(), m.service_level);
    }

    #[test]
    fn erlang_c_overload_prints_infinite_asa_without_failing() {
        let out = erlang_c_report(&queue(10, Format::Json)).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["asa_s"], "inf");
        assert_eq!(v["p_wait"].as_f64().unwrap(), 1.0);
    }

    #[test]
    fn erlang_a_text_lists_all_service_level_definitions() {
        let out = erlang_a_report(&ErlangAArgs {
            queue: queue(45, Format::Text),
            patience: 120.0,
        })
        .unwrap();
        for k in [
            "sl_offered",
            "sl_answered",
            "sl_excluding_short_abandons",
            "sl_virtual",
            "p_abandon",
        ] {
            assert!(out.contains(k), "{out}");
        }
    }

    #[test]
    fn staffing_writes_exact_positions_per_row() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        let output = dir.path().join("out.csv");
        fs::write(&input, "interval_start,calls,aht_s\n2026-05-04T08:00,120,300\n2026-05-04T08:15,0,300\n2026-05-04T08:30,240,280\n").unwrap();
        assert_eq!(
            staffing_file(&staffing_args(input, output.clone())).unwrap(),
            3
        );
        let mut rdr = csv::Reader::from_path(&output).unwrap();
        let h = rdr.headers().unwrap().clone();
        for col in [
            "erlangs",
            "agents_sl",
            "raw_agents",
            "positions",
            "sl",
            "pw",
            "asa_s",
            "occupancy",
        ] {
            assert!(h.iter().any(|x| x == col), "missing {col}");
        }
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        let pos = h.iter().position(|x| x == "positions").unwrap();
        let policy = Policy::service_level(20.0, 0.8, 0.9, 0.3).unwrap();
        let want = staffing::required(&Load::new(120.0, 900.0, 300.0).unwrap(), &policy).positions;
        assert_eq!(rows[0][pos].parse::<u32>().unwrap(), want);
        assert_eq!(&rows[1][pos], "0");
    }

    #[test]
    fn staffing_with_erlang_a_abandon_target_meets_it_and_needs_patience() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        fs::write(
            &input,
            "interval_start,calls,aht_s\n2026-05-04T08:00,300,240\n",
        )
        .unwrap();
        let mut args = staffing_args(input, dir.path().join("out.csv"));
        args.model = ModelArg::ErlangA;
        args.abandon = Some(0.03);
        let e = format!("{:#}", staffing_file(&args).unwrap_err());
        assert!(e.contains("--patience"), "{e}");
        args.patience = Some(90.0);
        staffing_file(&args).unwrap();
        let mut rdr = csv::Reader::from_path(&args.output).unwrap();
        let h = rdr.headers().unwrap().clone();
        let row = rdr.records().next().unwrap().unwrap();
        let col = |name: &str| {
            row[h.iter().position(|x| x == name).unwrap()]
                .parse::<f64>()
                .unwrap()
        };
        let load = Load::new(300.0, 900.0, 240.0).unwrap();
        let n = col("agents_sl") as u32;
        assert!(erlang_a::evaluate(&load, 90.0, n, 20.0).unwrap().p_abandon <= 0.03);
        assert!(
            erlang_a::evaluate(&load, 90.0, n - 1, 20.0)
                .unwrap()
                .p_abandon
                > 0.03
        );
        assert!(col("p_abandon") <= 0.03);
    }

    fn staffing_error(content: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("bad.csv");
        fs::write(&input, content).unwrap();
        let err = staffing_file(&staffing_args(input, dir.path().join("o.csv"))).unwrap_err();
        format!("{err:#}")
    }

    #[test]
    fn staffing_rejects_missing_column_naming_file_and_column() {
        let e = staffing_error("interval_start,calls\n2026-05-04T08:00,10\n");
        assert!(e.contains("bad.csv:1") && e.contains("aht_s"), "{e}");
    }

    #[test]
    fn staffing_rejects_negative_calls_with_line_and_column() {
        let e = staffing_error(
            "interval_start,calls,aht_s\n2026-05-04T08:00,10,300\n2026-05-04T08:15,-5,300\n",
        );
        assert!(e.contains("bad.csv:3:2") && e.contains("calls"), "{e}");
    }

    #[test]
    fn staffing_rejects_non_numeric_value_with_line_and_column() {
        let e = staffing_error("interval_start,calls,aht_s\n2026-05-04T08:00,10,abc\n");
        assert!(
            e.contains("bad.csv:2:3") && e.contains("aht_s") && e.contains("abc"),
            "{e}"
        );
    }

    #[test]
    fn forecast_writes_horizon_and_reports_backtest() {
        let dir = tempfile::tempdir().unwrap();
        let history = dir.path().join("h.csv");
        let mut s = String::from("interval_start,calls,aht_s\n");
        let start: Date = "2025-03-03".parse().unwrap();
        for day in 0..63i64 {
            let date = start.checked_add(jiff_days(day)).unwrap();
            let wd = date.weekday().to_monday_zero_offset();
            for slot in 0..48 {
                let h = f64::from(slot) / 2.0;
                let base = if wd >= 5 { 20.0 } else { 50.0 };
                let calls = (base * (0.1 + (-((h - 12.0) / 3.0).powi(2)).exp())).round();
                let _ = writeln!(
                    s,
                    "{}T{:02}:{:02},{calls},{}",
                    date,
                    slot / 2,
                    (slot % 2) * 30,
                    200 + slot
                );
            }
        }
        fs::write(&history, s).unwrap();
        let output = dir.path().join("f.csv");
        let report = forecast_file(&ForecastArgs {
            history,
            horizon: "14d".into(),
            backtest_days: 14,
            extra_holidays: vec![],
            output: output.clone(),
        })
        .unwrap();
        assert!(
            report.contains("WAPE") && report.contains("seasonal-naive"),
            "{report}"
        );
        let n = csv::Reader::from_path(&output).unwrap().records().count();
        assert_eq!(n, 14 * 48);
    }

    fn jiff_days(n: i64) -> rumbo_wfm::civil::Span {
        rumbo_wfm::civil::Span::new().days(n)
    }

    #[test]
    fn forecast_rejects_bad_timestamp_with_location() {
        let dir = tempfile::tempdir().unwrap();
        let history = dir.path().join("h.csv");
        fs::write(
            &history,
            "interval_start,calls\n2025-03-03T08:00,5\nyesterday,7\n",
        )
        .unwrap();
        let err = forecast_file(&ForecastArgs {
            history,
            horizon: "7d".into(),
            backtest_days: 0,
            extra_holidays: vec![],
            output: dir.path().join("f.csv"),
        })
        .unwrap_err();
        let e = format!("{err:#}");
        assert!(e.contains("h.csv:3:1") && e.contains("yesterday"), "{e}");
    }

    #[test]
    fn schedule_writes_roster_coverage_and_summary_without_violations() {
        let dir = tempfile::tempdir().unwrap();
        let req = dir.path().join("req.csv");
        let mut s = String::from("interval_start,required\n");
        let start: Date = "2026-05-04".parse().unwrap();
        for day in 0..7i64 {
            let date = start.checked_add(jiff_days(day)).unwrap();
            for slot in 0..48 {
                let h = f64::from(slot) / 2.0;
                let r = if (8.0..20.0).contains(&h) { 6.0 } else { 0.0 };
                let _ = writeln!(s, "{}T{:02}:{:02},{r}", date, slot / 2, (slot % 2) * 30);
            }
        }
        fs::write(&req, s).unwrap();
        let people = dir.path().join("people.csv");
        let mut p = String::from("person_id,name,weekly_hours,hourly_cost,unavailable\n");
        for i in 0..14 {
            let _ = writeln!(
                p,
                "P{i},Agent {i},42,5000,{}",
                if i == 0 { "2026-05-05;2026-05-06" } else { "" }
            );
        }
        fs::write(&people, p).unwrap();
        let rules = dir.path().join("rules.toml");
        fs::write(&rules, "min_rest_hours = 12\nshift_hours = [8, 9]\n").unwrap();
        let out = dir.path().join("out");
        let summary = schedule_files(&ScheduleArgs {
            requirements: req,
            people,
            rules: Some(rules),
            output: out.clone(),
        })
        .unwrap();
        assert!(summary.contains("0 rule violations"), "{summary}");
        let json: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        assert!(json["total_cost"].as_f64().unwrap() > 0.0);
        assert!(json["lower_bound"].as_f64().unwrap() <= json["objective"].as_f64().unwrap());
        assert_eq!(
            csv::Reader::from_path(out.join("coverage.csv"))
                .unwrap()
                .records()
                .count(),
            7 * 48
        );
        assert!(
            csv::Reader::from_path(out.join("roster.csv"))
                .unwrap()
                .records()
                .count()
                > 0
        );
    }

    #[test]
    fn schedule_rejects_unknown_rule_key_with_position() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules.toml");
        fs::write(&rules, "min_rest_hours = 12\nlunch_minuts = 30\n").unwrap();
        let e = format!("{:#}", read_rules(Some(&rules)).unwrap_err());
        assert!(
            e.contains("rules.toml:2:") && e.contains("lunch_minuts"),
            "{e}"
        );
    }
}
