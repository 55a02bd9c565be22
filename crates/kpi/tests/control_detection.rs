//! The alarm maths on generated data: planted problems (a volume surge, an AHT drift, a data
//! gap, a slipped critical activity, a budget overrun, a target breach) are each raised once
//! with the right period and magnitude, and ordinary weeks raise no statistical alarm.
//!
//! The data are generated here with a seeded generator: a queue open 08:00–20:00 UTC with a
//! midday peak, Poisson-like counts, a weekday-dependent AHT with 1 % daily noise.

use std::collections::BTreeSet;

use jiff::civil::{date, Date};
use jiff::ToSpan;
use rumbo_kpi::control::{
    budget_overrun, data_gaps, delays, drifts, target_breaches, volume_anomalies, ActivityState,
    BaselineConfig, BudgetBurn, DayValue, DriftConfig, IntervalFigure, Kind, Period, SlotValue,
    TargetRule, SLOT_S,
};

/// A small xorshift generator with a Box–Muller normal: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u = self.next().max(1e-12);
        let v = self.next();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    fn poisson(&mut self, lambda: f64) -> f64 {
        (lambda + lambda.sqrt() * self.normal()).round().max(0.0)
    }
}

const OPEN_SLOTS: std::ops::Range<u16> = 32..80;

/// Expected calls per 15 minutes: 150 at the edges of the day, 300 at midday.
fn lambda(slot: u16) -> f64 {
    let x = (f64::from(slot) - 56.0) / 24.0;
    150.0 + 150.0 * (1.0 - x * x).max(0.0)
}

fn start_of(day: Date, slot: u16) -> i64 {
    day.to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second()
        + i64::from(slot) * SLOT_S
}

/// Generated weeks of one queue: per-interval volumes, daily AHT, per-interval SL.
struct Data {
    volumes: Vec<SlotValue>,
    aht: Vec<DayValue>,
    sl: Vec<IntervalFigure>,
    observed: BTreeSet<i64>,
    expected_open: Vec<i64>,
}

/// First day of the generated data: a Monday.
fn first_day() -> Date {
    let d = date(2026, 3, 2);
    assert_eq!(d.weekday(), jiff::civil::Weekday::Monday);
    d
}

#[derive(Default)]
struct Plant {
    /// (day, first slot, slots, factor) applied to volume.
    surge: Option<(Date, u16, u16, f64)>,
    /// First day of a one-week linear AHT ramp to +`factor`.
    drift: Option<(Date, f64)>,
    /// (day, first slot, slots) without data.
    gap: Option<(Date, u16, u16)>,
    /// (day, first slot, slots, SL %) below target.
    breach: Option<(Date, u16, u16, f64)>,
    /// A day with a fraction of the usual volume (a holiday).
    holiday: Option<(Date, f64)>,
}

fn generate(weeks: i64, seed: u64, plant: &Plant) -> Data {
    let mut rng = Rng(seed);
    let mut d = Data {
        volumes: Vec::new(),
        aht: Vec::new(),
        sl: Vec::new(),
        observed: BTreeSet::new(),
        expected_open: Vec::new(),
    };
    for i in 0..weeks * 7 {
        let day = first_day().checked_add(i.days()).unwrap();
        let mut aht = 280.0 + 5.0 * f64::from(day.weekday().to_monday_zero_offset());
        if let Some((from, factor)) = plant.drift {
            let k = (day - from).get_days();
            if k >= 0 {
                aht *= 1.0 + factor * f64::from((k + 1).min(7)) / 7.0;
            }
        }
        d.aht.push(DayValue {
            day,
            value: aht * (1.0 + 0.01 * rng.normal()),
        });
        for slot in OPEN_SLOTS {
            let start = start_of(day, slot);
            d.expected_open.push(start);
            let mut l = lambda(slot);
            if let Some((hd, f)) = plant.holiday {
                if hd == day {
                    l *= f;
                }
            }
            if let Some((sd, s0, n, f)) = plant.surge {
                if sd == day && (s0..s0 + n).contains(&slot) {
                    l *= f;
                }
            }
            let offered = rng.poisson(l);
            if let Some((gd, g0, n)) = plant.gap {
                if gd == day && (g0..g0 + n).contains(&slot) {
                    continue;
                }
            }
            let mut sl = 86.0 + 2.0 * rng.normal();
            if let Some((bd, b0, n, v)) = plant.breach {
                if bd == day && (b0..b0 + n).contains(&slot) {
                    sl = v;
                }
            }
            d.observed.insert(start);
            d.volumes.push(SlotValue {
                start,
                day,
                slot,
                value: offered,
            });
            d.sl.push(IntervalFigure {
                start,
                value: Some(sl),
                volume: offered as u64,
            });
        }
    }
    d
}

fn sl_rule() -> TargetRule {
    TargetRule {
        indicator: "service_level".into(),
        target: 80.0,
        higher_is_better: true,
        tolerance: 5.0,
        min_volume: 20,
        persistence: 2,
    }
}

#[test]
fn four_ordinary_weeks_after_eight_weeks_of_history_raise_no_statistical_alarm() {
    for seed in [1, 2, 3] {
        let d = generate(12, seed, &Plant::default());
        let from_day = first_day().checked_add(56.days()).unwrap();
        let from = start_of(from_day, 0);
        let none = BTreeSet::new();
        let v = volume_anomalies("q", &d.volumes, &none, from, &BaselineConfig::default());
        assert!(v.is_empty(), "seed {seed}: {v:?}");
        let a = drifts("aht", "q", &d.aht, &none, from_day, &DriftConfig::default());
        assert!(a.is_empty(), "seed {seed}: {a:?}");
        assert!(target_breaches("q", &d.sl, &sl_rule()).is_empty());
        assert!(data_gaps("q", &d.expected_open, &d.observed, 4).is_empty());
    }
}

#[test]
fn a_holiday_is_excluded_from_judgement_and_from_baselines() {
    let holiday = first_day().checked_add(65.days()).unwrap();
    let d = generate(
        12,
        7,
        &Plant {
            holiday: Some((holiday, 0.3)),
            ..Plant::default()
        },
    );
    let from = start_of(first_day().checked_add(56.days()).unwrap(), 0);
    let excluded: BTreeSet<Date> = [holiday].into();
    let cfg = BaselineConfig::default();
    assert!(volume_anomalies("q", &d.volumes, &excluded, from, &cfg).is_empty());
    // Without the calendar, the quiet holiday is an anomaly: the exclusion is what keeps it out.
    let raised = volume_anomalies("q", &d.volumes, &BTreeSet::new(), from, &cfg);
    assert!(!raised.is_empty());
    assert!(raised.iter().all(|f| f.magnitude < -0.5));
}

#[test]
fn each_planted_problem_is_raised_once_with_its_period_and_magnitude() {
    // Eight ordinary weeks, then a week with the problems.
    let week9 = first_day().checked_add(56.days()).unwrap();
    let tuesday = week9.checked_add(1.days()).unwrap();
    let thursday = week9.checked_add(3.days()).unwrap();
    let friday = week9.checked_add(4.days()).unwrap();
    let plant = Plant {
        // (a) +40 % from 10:00 to 12:00.
        surge: Some((tuesday, 40, 8, 1.4)),
        // (b) AHT +15 % over the week.
        drift: Some((week9, 0.15)),
        // (c) no data from 13:00 to 16:00.
        gap: Some((thursday, 52, 12)),
        // (f) SL 60 % from 15:00 to 16:30.
        breach: Some((friday, 60, 6, 60.0)),
        holiday: None,
    };
    for seed in [42, 43, 44, 45, 46] {
        planted_week(seed, &plant, week9, tuesday, thursday, friday);
    }
    delays_and_budget();
}

fn planted_week(
    seed: u64,
    plant: &Plant,
    week9: Date,
    tuesday: Date,
    thursday: Date,
    friday: Date,
) {
    let d = generate(9, seed, plant);
    let from = start_of(week9, 0);
    let none = BTreeSet::new();

    let v = volume_anomalies("q", &d.volumes, &none, from, &BaselineConfig::default());
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        v[0].period,
        Period::Instants {
            start: start_of(tuesday, 40),
            end: start_of(tuesday, 48)
        }
    );
    assert!((v[0].magnitude - 0.40).abs() < 0.05, "{}", v[0].magnitude);

    let a = drifts("aht", "q", &d.aht, &none, week9, &DriftConfig::default());
    assert_eq!(a.len(), 1, "{a:?}");
    let Period::Days {
        from: a_from,
        to: a_to,
    } = a[0].period
    else {
        panic!("a drift is dated")
    };
    assert!(a_from >= week9 && a_from <= week9.checked_add(2.days()).unwrap());
    assert_eq!(a_to, week9.checked_add(6.days()).unwrap());
    assert!((a[0].magnitude - 0.15).abs() < 0.03, "{}", a[0].magnitude);
    assert!(a[0].observed > a[0].expected);

    let g = data_gaps("q", &d.expected_open, &d.observed, 4);
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(
        g[0].period,
        Period::Instants {
            start: start_of(thursday, 52),
            end: start_of(thursday, 64)
        }
    );
    assert_eq!(g[0].magnitude, 3.0);

    let b = target_breaches("q", &d.sl, &sl_rule());
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(
        b[0].period,
        Period::Instants {
            start: start_of(friday, 60),
            end: start_of(friday, 66)
        }
    );
    assert!((b[0].magnitude - 20.0).abs() < 1e-9);
}

fn delays_and_budget() {
    // (d) A critical activity of 10 days, due in 4 days, only 30 % done: 7 days of work left
    // in 5 days, so it finishes 2 days late and so does the programme; the milestone after
    // it is pushed by as much.
    let today = date(2026, 5, 6);
    let acts = vec![
        ActivityState {
            id: "A1".into(),
            start: date(2026, 5, 1),
            finish: date(2026, 5, 10),
            duration_days: 10,
            progress: 30,
            slack: 0,
            milestone: false,
            predecessors: vec![],
        },
        ActivityState {
            id: "A2".into(),
            start: date(2026, 5, 1),
            finish: date(2026, 5, 6),
            duration_days: 6,
            progress: 90,
            slack: 4,
            milestone: false,
            predecessors: vec![],
        },
        ActivityState {
            id: "M1".into(),
            start: date(2026, 5, 11),
            finish: date(2026, 5, 11),
            duration_days: 0,
            progress: 0,
            slack: 0,
            milestone: true,
            predecessors: vec!["A1".into(), "A2".into()],
        },
    ];
    let f = delays(&acts, today);
    let slips: Vec<_> = f.iter().filter(|f| f.kind == Kind::Slip).collect();
    assert_eq!(slips.len(), 1, "{f:?}");
    assert_eq!(slips[0].subject, "A1");
    assert_eq!(slips[0].magnitude, 2.0);
    assert_eq!(slips[0].score, 2.0, "days added to the end date");
    let at_risk: Vec<_> = f
        .iter()
        .filter(|f| f.kind == Kind::MilestoneAtRisk)
        .collect();
    assert_eq!(at_risk.len(), 1);
    assert_eq!(
        (at_risk[0].subject.as_str(), at_risk[0].metric.as_str()),
        ("M1", "A1")
    );
    assert!(f.iter().all(|f| f.kind != Kind::Overdue));

    // (e) 45 % of the budget spent in the first third of the programme: 135 % projected.
    let burn = BudgetBurn {
        planned_total: 90_000_000,
        actual_to_date: 40_500_000,
        start: date(2026, 1, 1),
        end: date(2026, 3, 31),
        today: date(2026, 1, 30),
        tolerance_bp: 500,
    };
    let o = budget_overrun(&burn).expect("an overrun");
    assert_eq!(o.observed, 121_500_000.0);
    assert_eq!(o.magnitude, 31_500_000.0);
}
