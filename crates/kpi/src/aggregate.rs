//! Mergeable interval aggregates and the figures computed from them.
//!
//! An [`Agg`] holds only counts and exact sums, never means or ratios, so two
//! partial aggregates of the same (queue, interval) merge exactly and every
//! figure can be recomputed from the stored aggregate. [`Figures`] are derived
//! on demand from an aggregate and the [`KpiDefinition`] that built it.
//!
//! A call that passes through several queues is one *stint* in each: a queue's figures
//! count its own stints (the flat call fields of [`Agg`]), while figures over all queues
//! count each call once ([`Agg::calls`], a [`CallTally`] held in the row of the call's first
//! queue and entry interval; [`Agg::calls_view`] reads it). For a call with one stint both
//! are the same.

use std::collections::HashMap;

use crate::definition::{Attribution, DefinitionId, KpiDefinition, SlDenominator, SlNumerator};
use crate::exact::ExactSum;
use crate::fxhash::FxBuildHasher;
use crate::interval::Bucketer;
use crate::record::{CallFacts, CallRecord, Outcome};
use crate::KpiError;

/// Counts and exact sums for one (queue, interval) under one definition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Agg {
    /// Calls offered (answered + abandoned, system exits included).
    pub offered: u64,
    /// Calls answered (= handled).
    pub answered: u64,
    /// Calls not answered: caller abandons *and* system exits (see `system_exits`), so
    /// aggregates stored before system exits were told apart keep their meaning.
    pub abandoned: u64,
    /// Answered with wait ≤ T.
    pub answered_within_t: u64,
    /// Abandoned with wait ≤ T.
    pub abandoned_within_t: u64,
    /// Abandoned with wait ≤ S (short abandons).
    pub short_abandons: u64,
    /// Sum of waits of answered calls.
    pub wait_answered: ExactSum,
    /// Sum of waits of abandoned calls.
    pub wait_abandoned: ExactSum,
    /// Sum of talk time of answered calls.
    pub talk: ExactSum,
    /// Sum of hold time of answered calls.
    pub hold: ExactSum,
    /// Sum of after-call work of answered calls.
    pub wrap: ExactSum,
    /// Sales (calls flagged as sale plus sales results imported separately).
    pub sales: u64,
    /// Agent logged-in seconds in the interval.
    pub staffed: ExactSum,
    /// Agent paused seconds in the interval.
    pub paused: ExactSum,
    /// Agent handle seconds (talk + hold + wrap) measured from agent states.
    pub busy: ExactSum,
    /// Calls from an identified caller that are first contacts, for FCR.
    pub fcr_contacts: u64,
    /// Of those, calls followed by a repeat call within the FCR window.
    pub fcr_repeats: u64,
    /// QA evaluations and the sum of their scores (0–100).
    pub qa_count: u64,
    /// Sum of QA scores.
    pub qa_sum: ExactSum,
    /// CSAT answers and top-box answers.
    pub csat_answers: u64,
    /// CSAT answers in the top box.
    pub csat_top: u64,
    /// NPS answers, promoters and detractors.
    pub nps_answers: u64,
    /// NPS promoters.
    pub nps_promoters: u64,
    /// NPS detractors.
    pub nps_detractors: u64,
    /// System exits (queue timeout, empty queue, exit key): a subset of `abandoned`.
    pub system_exits: u64,
    /// System exits with wait ≤ T (a subset of `abandoned_within_t`).
    pub system_exits_within_t: u64,
    /// System exits with wait ≤ S (a subset of `short_abandons`).
    pub short_system_exits: u64,
    /// The calls that entered in this row's queue and interval, each counted once over all
    /// the queues it passed through (the fields above count stints).
    pub calls: CallTally,
}

/// Counts and exact sums of whole calls: the call-level twin of [`Agg`]'s call fields
/// (same meanings), so figures over all queues count a call with several stints once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallTally {
    /// Calls offered.
    pub offered: u64,
    /// Calls answered.
    pub answered: u64,
    /// Calls not answered (system exits included).
    pub abandoned: u64,
    /// Answered with wait ≤ T.
    pub answered_within_t: u64,
    /// Not answered with wait ≤ T.
    pub abandoned_within_t: u64,
    /// Not answered with wait ≤ S.
    pub short_abandons: u64,
    /// System exits.
    pub system_exits: u64,
    /// System exits with wait ≤ T.
    pub system_exits_within_t: u64,
    /// System exits with wait ≤ S.
    pub short_system_exits: u64,
    /// Sum of waits of answered calls.
    pub wait_answered: ExactSum,
    /// Sum of waits of calls not answered.
    pub wait_abandoned: ExactSum,
    /// Sum of talk time of answered calls.
    pub talk: ExactSum,
    /// Sum of hold time of answered calls.
    pub hold: ExactSum,
    /// Sum of after-call work of answered calls.
    pub wrap: ExactSum,
}

/// Counts one call's facts into a tally with the call fields (`offered`, `answered`, the
/// within-T and short counts, system exits and the exact sums): the one rule shared by a
/// queue's stints ([`Agg::add_stint`]) and whole calls ([`CallTally::add`]).
macro_rules! count_call {
    ($t:expr, $def:expr, $c:expr) => {{
        $t.offered += 1;
        let within_t = $c.wait_s <= $def.sl_threshold_s;
        match $c.outcome {
            Outcome::Answered => {
                $t.answered += 1;
                $t.answered_within_t += u64::from(within_t);
                $t.wait_answered.add($c.wait_s);
                $t.talk.add($c.talk_s);
                $t.hold.add($c.hold_s);
                $t.wrap.add($c.wrap_s);
            }
            Outcome::Abandoned | Outcome::SystemExit => {
                let short = $c.wait_s <= $def.short_abandon_s;
                $t.abandoned += 1;
                $t.abandoned_within_t += u64::from(within_t);
                $t.short_abandons += u64::from(short);
                $t.wait_abandoned.add($c.wait_s);
                if $c.outcome == Outcome::SystemExit {
                    $t.system_exits += 1;
                    $t.system_exits_within_t += u64::from(within_t);
                    $t.short_system_exits += u64::from(short);
                }
            }
        }
    }};
}

impl CallTally {
    /// Adds one whole call under a definition.
    #[inline]
    pub fn add(&mut self, def: &KpiDefinition, c: &CallFacts) {
        count_call!(self, def, c);
    }

    /// Merges another tally; exact and order-independent.
    pub fn merge(&mut self, o: &CallTally) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.abandoned += o.abandoned;
        self.answered_within_t += o.answered_within_t;
        self.abandoned_within_t += o.abandoned_within_t;
        self.short_abandons += o.short_abandons;
        self.system_exits += o.system_exits;
        self.system_exits_within_t += o.system_exits_within_t;
        self.short_system_exits += o.short_system_exits;
        self.wait_answered.merge(o.wait_answered);
        self.wait_abandoned.merge(o.wait_abandoned);
        self.talk.merge(o.talk);
        self.hold.merge(o.hold);
        self.wrap.merge(o.wrap);
    }
}

/// The fraction bits of a 64.64 fixed-point sum.
const FRACTION_BITS: i128 = (1 << 64) - 1;

impl Agg {
    /// The row of calls that each had one stint, counted in a tally (with [`CallTally::add`])
    /// and with `sales` sales: exactly the row [`Agg::add_call`] builds from the same calls,
    /// for readers that keep only the tally per row (a third of the memory, half the work).
    pub fn of_whole_calls(t: CallTally, sales: u64) -> Agg {
        Agg {
            sales,
            calls: t,
            ..Agg::default()
        }
        .calls_view()
    }

    /// Adds one call with a single stint under a definition: the stint in this queue and
    /// the whole call.
    #[inline]
    pub fn add_call(&mut self, def: &KpiDefinition, c: &CallFacts) {
        self.add_stint(def, c);
        self.add_whole_call(def, c);
    }

    /// Adds one stint of a call with several stints: counted in this queue's figures only.
    #[inline]
    pub fn add_stint(&mut self, def: &KpiDefinition, c: &CallFacts) {
        count_call!(self, def, c);
    }

    /// Adds one whole call (its stints stitched together) to the call-level tally, with its
    /// sale: counted once in figures over all queues.
    #[inline]
    pub fn add_whole_call(&mut self, def: &KpiDefinition, c: &CallFacts) {
        self.calls.add(def, c);
        self.sales += u64::from(c.sale);
    }

    /// The stint fields as a tally (what a row from before call tallies holds for calls).
    fn stint_tally(&self) -> CallTally {
        CallTally {
            offered: self.offered,
            answered: self.answered,
            abandoned: self.abandoned,
            answered_within_t: self.answered_within_t,
            abandoned_within_t: self.abandoned_within_t,
            short_abandons: self.short_abandons,
            system_exits: self.system_exits,
            system_exits_within_t: self.system_exits_within_t,
            short_system_exits: self.short_system_exits,
            wait_answered: self.wait_answered,
            wait_abandoned: self.wait_abandoned,
            talk: self.talk,
            hold: self.hold,
            wrap: self.wrap,
        }
    }

    /// This aggregate with its call fields counting whole calls instead of stints: what
    /// figures over all queues are computed from (merge the views of every queue's rows).
    pub fn calls_view(&self) -> Agg {
        let t = self.calls;
        Agg {
            offered: t.offered,
            answered: t.answered,
            abandoned: t.abandoned,
            answered_within_t: t.answered_within_t,
            abandoned_within_t: t.abandoned_within_t,
            short_abandons: t.short_abandons,
            system_exits: t.system_exits,
            system_exits_within_t: t.system_exits_within_t,
            short_system_exits: t.short_system_exits,
            wait_answered: t.wait_answered,
            wait_abandoned: t.wait_abandoned,
            talk: t.talk,
            hold: t.hold,
            wrap: t.wrap,
            ..*self
        }
    }

    /// Adds agent-state time (already split to this interval).
    pub fn add_agent_time(&mut self, staffed_s: f64, paused_s: f64, busy_s: f64) {
        self.staffed.add(staffed_s);
        self.paused.add(paused_s);
        self.busy.add(busy_s);
    }

    /// Adds one first contact for FCR; `repeated` if the caller called again within the window.
    pub fn add_fcr(&mut self, repeated: bool) {
        self.fcr_contacts += 1;
        self.fcr_repeats += u64::from(repeated);
    }

    /// Adds one QA evaluation score (0–100).
    pub fn add_qa(&mut self, score: f64) {
        self.qa_count += 1;
        self.qa_sum.add(score);
    }

    /// Adds one CSAT answer on the definition's scale.
    pub fn add_csat(&mut self, def: &KpiDefinition, answer: u8) {
        self.csat_answers += 1;
        self.csat_top += u64::from(answer >= def.csat_top_box_min);
    }

    /// Adds one NPS answer (0–10).
    pub fn add_nps(&mut self, def: &KpiDefinition, answer: u8) {
        self.nps_answers += 1;
        self.nps_promoters += u64::from(answer >= def.nps_promoter_min);
        self.nps_detractors += u64::from(answer <= def.nps_detractor_max);
    }

    /// Adds sales recorded outside the call records (sales results file).
    pub fn add_sales(&mut self, n: u64) {
        self.sales += n;
    }

    /// Merges another partial aggregate of the same key; exact and order-independent.
    pub fn merge(&mut self, o: &Agg) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.abandoned += o.abandoned;
        self.answered_within_t += o.answered_within_t;
        self.abandoned_within_t += o.abandoned_within_t;
        self.short_abandons += o.short_abandons;
        self.wait_answered.merge(o.wait_answered);
        self.wait_abandoned.merge(o.wait_abandoned);
        self.talk.merge(o.talk);
        self.hold.merge(o.hold);
        self.wrap.merge(o.wrap);
        self.sales += o.sales;
        self.staffed.merge(o.staffed);
        self.paused.merge(o.paused);
        self.busy.merge(o.busy);
        self.fcr_contacts += o.fcr_contacts;
        self.fcr_repeats += o.fcr_repeats;
        self.qa_count += o.qa_count;
        self.qa_sum.merge(o.qa_sum);
        self.csat_answers += o.csat_answers;
        self.csat_top += o.csat_top;
        self.nps_answers += o.nps_answers;
        self.nps_promoters += o.nps_promoters;
        self.nps_detractors += o.nps_detractors;
        self.system_exits += o.system_exits;
        self.system_exits_within_t += o.system_exits_within_t;
        self.short_system_exits += o.short_system_exits;
        self.calls.merge(&o.calls);
    }

    /// Caller abandons: the calls not answered that were not system exits.
    pub fn caller_abandons(&self) -> u64 {
        self.abandoned.saturating_sub(self.system_exits)
    }

    /// Encodes the aggregate for storage as two comma-separated texts: the counts
    /// and the 64.64 exact sums, in a fixed order (new fields are appended: the call
    /// tally's counts after the system exits, its sums after the QA sum). A sum of whole
    /// units is written as the number of units followed by `u` (`774u`); any other sum as
    /// its raw fixed-point integer (what every sum was written as before, and still read).
    pub fn encode(&self) -> (String, String) {
        let counts = [
            self.offered,
            self.answered,
            self.abandoned,
            self.answered_within_t,
            self.abandoned_within_t,
            self.short_abandons,
            self.sales,
            self.fcr_contacts,
            self.fcr_repeats,
            self.qa_count,
            self.csat_answers,
            self.csat_top,
            self.nps_answers,
            self.nps_promoters,
            self.nps_detractors,
            self.system_exits,
            self.system_exits_within_t,
            self.short_system_exits,
            self.calls.offered,
            self.calls.answered,
            self.calls.abandoned,
            self.calls.answered_within_t,
            self.calls.abandoned_within_t,
            self.calls.short_abandons,
            self.calls.system_exits,
            self.calls.system_exits_within_t,
            self.calls.short_system_exits,
        ];
        let sums = [
            self.wait_answered,
            self.wait_abandoned,
            self.talk,
            self.hold,
            self.wrap,
            self.staffed,
            self.paused,
            self.busy,
            self.qa_sum,
            self.calls.wait_answered,
            self.calls.wait_abandoned,
            self.calls.talk,
            self.calls.hold,
            self.calls.wrap,
        ];
        use std::fmt::Write as _;
        // One buffer per text (an import encodes tens of thousands of rows); a sum that fits
        // in 64 bits is written through the shorter integer, the same digits.
        let mut c = String::with_capacity(4 * counts.len());
        for (i, n) in counts.iter().enumerate() {
            if i > 0 {
                c.push(',');
            }
            let _ = write!(c, "{n}");
        }
        let mut s = String::with_capacity(8 * sums.len());
        for (i, x) in sums.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let raw = x.to_raw();
            let _ = if raw & FRACTION_BITS == 0 {
                // Whole units: a few digits instead of twenty or more.
                write!(s, "{}u", raw >> 64)
            } else {
                match i64::try_from(raw) {
                    Ok(small) => write!(s, "{small}"),
                    Err(_) => write!(s, "{raw}"),
                }
            };
        }
        (c, s)
    }

    /// Decodes [`Agg::encode`]'s output; missing trailing fields are zero, except a missing
    /// call tally: rows stored before it counted each call once in its queue, so their
    /// tally is their call fields.
    pub fn decode(counts: &str, sums: &str) -> Result<Agg, KpiError> {
        let bad = || {
            KpiError::InvalidDefinition(format!("corrupt stored aggregate {counts:?} / {sums:?}"))
        };
        let c: Vec<u64> = counts
            .split(',')
            .filter(|x| !x.is_empty())
            .map(|x| x.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        let s: Vec<ExactSum> = sums
            .split(',')
            .filter(|x| !x.is_empty())
            .map(|x| match x.strip_suffix('u') {
                Some(units) => units
                    .parse::<i64>()
                    .map(|n| ExactSum::from_raw(i128::from(n) << 64))
                    .map_err(|_| bad()),
                None => x.parse::<i128>().map(ExactSum::from_raw).map_err(|_| bad()),
            })
            .collect::<Result<_, _>>()?;
        let cn = |i: usize| c.get(i).copied().unwrap_or(0);
        let sn = |i: usize| s.get(i).copied().unwrap_or_default();
        let mut agg = Agg {
            offered: cn(0),
            answered: cn(1),
            abandoned: cn(2),
            answered_within_t: cn(3),
            abandoned_within_t: cn(4),
            short_abandons: cn(5),
            sales: cn(6),
            fcr_contacts: cn(7),
            fcr_repeats: cn(8),
            qa_count: cn(9),
            csat_answers: cn(10),
            csat_top: cn(11),
            nps_answers: cn(12),
            nps_promoters: cn(13),
            nps_detractors: cn(14),
            system_exits: cn(15),
            system_exits_within_t: cn(16),
            short_system_exits: cn(17),
            wait_answered: sn(0),
            wait_abandoned: sn(1),
            talk: sn(2),
            hold: sn(3),
            wrap: sn(4),
            staffed: sn(5),
            paused: sn(6),
            busy: sn(7),
            qa_sum: sn(8),
            calls: CallTally {
                offered: cn(18),
                answered: cn(19),
                abandoned: cn(20),
                answered_within_t: cn(21),
                abandoned_within_t: cn(22),
                short_abandons: cn(23),
                system_exits: cn(24),
                system_exits_within_t: cn(25),
                short_system_exits: cn(26),
                wait_answered: sn(9),
                wait_abandoned: sn(10),
                talk: sn(11),
                hold: sn(12),
                wrap: sn(13),
            },
        };
        if c.len() <= 18 {
            agg.calls = agg.stint_tally();
        }
        Ok(agg)
    }

    /// Computes the figures of this aggregate under the definition that built it.
    pub fn figures(&self, def: &KpiDefinition) -> Figures {
        let ratio = |num: f64, den: u64| (den > 0).then(|| num / den as f64);
        // What the definition calls abandons: with or without the system exits. Stored
        // counts may be inconsistent only if damaged, so subtractions saturate.
        let (abandoned, abandoned_within_t, short) = if def.system_exits_as_abandons {
            (self.abandoned, self.abandoned_within_t, self.short_abandons)
        } else {
            (
                self.caller_abandons(),
                self.abandoned_within_t
                    .saturating_sub(self.system_exits_within_t),
                self.short_abandons.saturating_sub(self.short_system_exits),
            )
        };
        // The offered count of the SL denominator, with or without the system exits, and
        // the short abandons removed from it in the "minus short abandons" variant (short
        // system exits only when they count as abandons and are in the denominator).
        let exits_in_sl = def.system_exits_in_sl_denominator;
        let offered_for_sl = self.answered
            + self.caller_abandons()
            + if exits_in_sl { self.system_exits } else { 0 };
        let short_in_sl = if def.system_exits_as_abandons && exits_in_sl {
            self.short_abandons
        } else {
            self.short_abandons.saturating_sub(self.short_system_exits)
        };
        let sl_num = match def.sl_numerator {
            SlNumerator::AnsweredWithin => self.answered_within_t,
            SlNumerator::AnsweredOrAbandonedWithin => self.answered_within_t + abandoned_within_t,
        };
        let sl_den = match def.sl_denominator {
            SlDenominator::Answered => self.answered,
            SlDenominator::Offered => offered_for_sl,
            SlDenominator::OfferedMinusShortAbandons => offered_for_sl.saturating_sub(short_in_sl),
        };
        let mut handle = self.talk;
        if def.aht_includes_hold {
            handle.merge(self.hold);
        }
        handle.merge(self.wrap);
        let staffed = self.staffed.to_f64();
        let occ_den = if def.occupancy_excludes_pause {
            staffed - self.paused.to_f64()
        } else {
            staffed
        };
        let hours = staffed / 3600.0;
        Figures {
            definition: def.id().clone(),
            sl: ratio(sl_num as f64, sl_den),
            asa_s: ratio(self.wait_answered.to_f64(), self.answered),
            aht_s: ratio(handle.to_f64(), self.answered),
            abandon_rate: ratio(abandoned as f64, self.offered),
            abandon_rate_excl_short: ratio(
                abandoned.saturating_sub(short) as f64,
                self.offered.saturating_sub(short),
            ),
            occupancy: (occ_den > 0.0).then(|| self.busy.to_f64() / occ_den),
            fcr: ratio(
                (self.fcr_contacts - self.fcr_repeats) as f64,
                self.fcr_contacts,
            ),
            conversion: ratio(self.sales as f64, self.answered),
            sph: (hours > 0.0).then(|| self.sales as f64 / hours),
            qa_score: ratio(self.qa_sum.to_f64(), self.qa_count),
            csat: ratio(self.csat_top as f64, self.csat_answers),
            nps: (self.nps_answers > 0).then(|| {
                100.0 * (self.nps_promoters as f64 - self.nps_detractors as f64)
                    / self.nps_answers as f64
            }),
        }
    }
}

/// Ratios and means of one aggregate; `None` where the denominator is zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// The definition (name + version) that produced these figures.
    pub definition: DefinitionId,
    /// Service level (0–1).
    pub sl: Option<f64>,
    /// Average speed of answer (mean wait of answered calls), seconds.
    pub asa_s: Option<f64>,
    /// Average handle time of answered calls, seconds.
    pub aht_s: Option<f64>,
    /// Abandoned / offered.
    pub abandon_rate: Option<f64>,
    /// (Abandoned − short) / (offered − short).
    pub abandon_rate_excl_short: Option<f64>,
    /// Busy / (logged-in − paused) (or / logged-in, per definition).
    pub occupancy: Option<f64>,
    /// Share of first contacts without a repeat call within the window.
    pub fcr: Option<f64>,
    /// Sales / handled calls.
    pub conversion: Option<f64>,
    /// Sales per logged-in hour.
    pub sph: Option<f64>,
    /// Mean QA score.
    pub qa_score: Option<f64>,
    /// Share of CSAT answers in the top box.
    pub csat: Option<f64>,
    /// Net promoter score (−100..100).
    pub nps: Option<f64>,
}

/// Where a call falls in time under a definition's attribution rule.
#[inline]
pub fn attribution_ts(def: &KpiDefinition, c: &CallFacts) -> i64 {
    match def.attribution {
        Attribution::Enter => c.enter_ts,
        Attribution::Answer => c.enter_ts + c.wait_s.floor() as i64,
        Attribution::End => {
            let hold = if def.aht_includes_hold { c.hold_s } else { 0.0 };
            c.enter_ts + (c.wait_s + c.talk_s + hold).floor() as i64
        }
    }
}

/// Key of an aggregate row: queue name and interval start (epoch seconds).
pub type AggKey = (String, i64);

/// An aggregation of call records (and agent time, QA, surveys, sales) per (queue, interval)
/// under one definition. Queues are interned, so adding a call allocates nothing once its
/// (queue, interval) row exists: the import pipeline and the report both build on it.
#[derive(Debug, Clone)]
pub struct Aggregator {
    def: KpiDefinition,
    bucketer: Bucketer,
    queues: HashMap<String, u32, FxBuildHasher>,
    /// Where each (queue id, interval start) row sits in `rows`: a small map over a dense
    /// vector, so a year of rows touches no more memory than the rows themselves.
    index: HashMap<(u32, i64), u32, FxBuildHasher>,
    rows: Vec<(AggKey, Agg)>,
}

impl Aggregator {
    /// A new empty aggregation.
    pub fn new(def: KpiDefinition, bucketer: Bucketer) -> Self {
        Aggregator {
            def,
            bucketer,
            queues: HashMap::default(),
            index: HashMap::default(),
            rows: Vec::new(),
        }
    }

    /// The definition used.
    pub fn definition(&self) -> &KpiDefinition {
        &self.def
    }

    /// Start of the interval containing `ts` at this aggregation's granularity.
    pub fn start_of(&mut self, ts: i64) -> Result<i64, KpiError> {
        self.bucketer.start_of(ts)
    }

    /// Adds one call record.
    pub fn add(&mut self, rec: &CallRecord) -> Result<(), KpiError> {
        self.add_facts(&rec.queue, &rec.facts)
    }

    /// Adds one call given its queue and facts.
    pub fn add_facts(&mut self, queue: &str, facts: &CallFacts) -> Result<(), KpiError> {
        self.add_call(queue, facts).map(|_| ())
    }

    /// Adds one call given its queue and facts; returns the start of the interval the
    /// definition's attribution puts it in.
    pub fn add_call(&mut self, queue: &str, facts: &CallFacts) -> Result<i64, KpiError> {
        let start = self.bucketer.start_of(attribution_ts(&self.def, facts))?;
        let (def, row) = self.def_and_row(queue, start);
        row.add_call(def, facts);
        Ok(start)
    }

    /// Adds one stint of a call with several stints in its own queue (see
    /// [`Agg::add_stint`]); returns the start of its interval.
    pub fn add_stint(&mut self, queue: &str, facts: &CallFacts) -> Result<i64, KpiError> {
        let start = self.bucketer.start_of(attribution_ts(&self.def, facts))?;
        let (def, row) = self.def_and_row(queue, start);
        row.add_stint(def, facts);
        Ok(start)
    }

    /// Adds a whole call with several stints (stitched by [`CallFacts::of_stints`]) to the
    /// call tally of its first queue's row (see [`Agg::add_whole_call`]); returns the
    /// start of its interval.
    pub fn add_whole_call(
        &mut self,
        first_queue: &str,
        facts: &CallFacts,
    ) -> Result<i64, KpiError> {
        let start = self.bucketer.start_of(attribution_ts(&self.def, facts))?;
        let (def, row) = self.def_and_row(first_queue, start);
        row.add_whole_call(def, facts);
        Ok(start)
    }

    /// The definition and the row of (queue, start), created empty if missing.
    fn def_and_row(&mut self, queue: &str, start: i64) -> (&KpiDefinition, &mut Agg) {
        let i = self.slot(queue, start);
        (&self.def, &mut self.rows[i].1)
    }

    /// The position of the row of (queue, start) in `rows`, created empty if missing.
    #[inline]
    fn slot(&mut self, queue: &str, start: i64) -> usize {
        let q = intern(&mut self.queues, queue);
        let rows = &mut self.rows;
        *self.index.entry((q, start)).or_insert_with(|| {
            rows.push(((queue.to_string(), start), Agg::default()));
            (rows.len() - 1) as u32
        }) as usize
    }

    /// The aggregate row for a key, created empty if missing (for agent time, QA, surveys).
    pub fn row_mut(&mut self, queue: &str, ts: i64) -> Result<&mut Agg, KpiError> {
        let start = self.bucketer.start_of(ts)?;
        Ok(self.row_at(queue, start))
    }

    /// The aggregate row of an interval start (as returned by [`Aggregator::add_call`]),
    /// created empty if missing.
    pub fn row_at(&mut self, queue: &str, start: i64) -> &mut Agg {
        let i = self.slot(queue, start);
        &mut self.rows[i].1
    }

    /// Merges another aggregation built with the same definition and granularity.
    pub fn merge(&mut self, other: &Aggregator) {
        for ((queue, start), v) in &other.rows {
            self.row_at(queue, *start).merge(v);
        }
    }

    /// Merges one already-built row.
    pub fn merge_row(&mut self, key: AggKey, agg: &Agg) {
        let (queue, start) = key;
        self.row_at(&queue, start).merge(agg);
    }

    /// Number of (queue, interval) rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// All rows sorted by queue name (bytewise) then interval start.
    pub fn sorted_rows(&self) -> Vec<(&AggKey, &Agg)> {
        let mut v: Vec<_> = self.rows.iter().map(|(k, a)| (k, a)).collect();
        // Keys are unique, so an unstable sort gives the one order.
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// Makes room for `additional` more rows (a caller that knows how many it will merge
    /// saves the map's regrowth).
    pub fn reserve(&mut self, additional: usize) {
        self.index.reserve(additional);
        self.rows.reserve_exact(additional);
    }

    /// Consumes the aggregation into its rows.
    pub fn into_rows(self) -> HashMap<AggKey, Agg> {
        self.rows.into_iter().collect()
    }

    /// Consumes the aggregation into its rows sorted by queue name (bytewise) then interval
    /// start, the order [`Aggregator::sorted_rows`] gives.
    pub fn into_sorted_rows(self) -> Vec<(AggKey, Agg)> {
        let mut rows = self.rows;
        // Keys are unique, so an unstable sort gives the one order.
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        rows
    }
}

fn intern(queues: &mut HashMap<String, u32, FxBuildHasher>, queue: &str) -> u32 {
    match queues.get(queue) {
        Some(&q) => q,
        None => {
            let q = queues.len() as u32;
            queues.insert(queue.to_string(), q);
            q
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(wait: f64, outcome: Outcome) -> CallFacts {
        CallFacts {
            enter_ts: 0,
            wait_s: wait,
            talk_s: 100.0,
            hold_s: 10.0,
            wrap_s: 20.0,
            outcome,
            sale: false,
        }
    }

    use crate::{Bucketer, Granularity};
    use jiff::tz::TimeZone;
    use std::collections::BTreeMap;

    fn agg(calls: &[CallFacts], def: &KpiDefinition) -> Agg {
        let mut a = Agg::default();
        for c in calls {
            a.add_call(def, c);
        }
        a
    }

    #[test]
    fn a_tally_of_whole_calls_gives_the_row_add_call_builds() {
        let calls = [
            call(20.0, Outcome::Answered),
            call(21.5, Outcome::Answered),
            call(3.0, Outcome::Abandoned),
            call(60.0, Outcome::SystemExit),
        ];
        let def = KpiDefinition::standard();
        let mut tally = CallTally::default();
        for c in &calls {
            tally.add(&def, c);
        }
        assert_eq!(Agg::of_whole_calls(tally, 0), agg(&calls, &def));
        let mut sold = agg(&calls, &def);
        sold.sales = 2;
        assert_eq!(Agg::of_whole_calls(tally, 2), sold);
    }

    #[test]
    fn sl_denominator_variants_differ_as_documented() {
        // 2 answered (one within 20 s), one short abandon (3 s), one long abandon (30 s).
        let calls = [
            call(20.0, Outcome::Answered),
            call(21.0, Outcome::Answered),
            call(3.0, Outcome::Abandoned),
            call(30.0, Outcome::Abandoned),
        ];
        let r = crate::Registry::builtin();
        let sl = |n: &str| {
            let d = r.latest(n).unwrap();
            agg(&calls, d).figures(d).sl.unwrap()
        };
        assert_eq!(sl("answered-sl"), 1.0 / 2.0);
        assert_eq!(sl("offered-sl"), 1.0 / 4.0);
        assert_eq!(sl("rumbo-standard"), 1.0 / 3.0);
        assert_eq!(sl("met-incl-abandons-sl"), 2.0 / 3.0);
    }

    #[test]
    fn system_exits_count_as_abandons_in_version_1_and_apart_in_version_2() {
        // 2 answered (one within 20 s), a caller abandon at 30 s, a queue timeout at 60 s
        // and an exit key pressed at 3 s (short).
        let calls = [
            call(20.0, Outcome::Answered),
            call(21.0, Outcome::Answered),
            call(30.0, Outcome::Abandoned),
            call(60.0, Outcome::SystemExit),
            call(3.0, Outcome::SystemExit),
        ];
        let r = crate::Registry::builtin();
        let fig = |spec: &str| {
            let d = r.resolve(spec).unwrap();
            let a = agg(&calls, d);
            assert_eq!((a.offered, a.abandoned, a.system_exits), (5, 3, 2));
            assert_eq!(a.caller_abandons(), 1);
            a.figures(d)
        };
        // Version 1: exits are abandons (one of them short).
        let v1 = fig("rumbo-standard@v1");
        assert_eq!(v1.sl, Some(1.0 / 4.0));
        assert_eq!(v1.abandon_rate, Some(3.0 / 5.0));
        assert_eq!(v1.abandon_rate_excl_short, Some(2.0 / 4.0));
        // Version 2: exits are not abandons (so none is short) but stay in the SL denominator.
        let v2 = fig("rumbo-standard@v2");
        assert_eq!(v2.sl, Some(1.0 / 5.0));
        assert_eq!(v2.abandon_rate, Some(1.0 / 5.0));
        assert_eq!(v2.abandon_rate_excl_short, Some(1.0 / 5.0));
        assert_eq!(fig("offered-sl@v1").sl, fig("offered-sl@v2").sl);
        assert_eq!(fig("answered-sl@v2").sl, Some(1.0 / 2.0));
        // Abandons within T exclude system exits once they are apart.
        assert_eq!(fig("met-incl-abandons-sl@v1").sl, Some(2.0 / 4.0));
        assert_eq!(fig("met-incl-abandons-sl@v2").sl, Some(1.0 / 5.0));
        // Out of the SL denominator: only answered and caller abandons remain.
        let mut d = crate::KpiDefinition::standard_v2();
        d.system_exits_in_sl_denominator = false;
        assert_eq!(agg(&calls, &d).figures(&d).sl, Some(1.0 / 3.0));
        d.system_exits_as_abandons = true;
        let f = agg(&calls, &d).figures(&d);
        assert_eq!(f.sl, Some(1.0 / 3.0));
        assert_eq!(f.abandon_rate, Some(3.0 / 5.0));
    }

    #[test]
    fn abandon_rate_excluding_short_abandons_drops_them_from_both_sides() {
        let d = KpiDefinition::standard();
        let a = agg(
            &[
                call(1.0, Outcome::Answered),
                call(5.0, Outcome::Abandoned),
                call(6.0, Outcome::Abandoned),
            ],
            &d,
        );
        let f = a.figures(&d);
        assert_eq!(f.abandon_rate, Some(2.0 / 3.0));
        assert_eq!(f.abandon_rate_excl_short, Some(1.0 / 2.0));
    }

    #[test]
    fn aht_can_exclude_hold() {
        let mut d = KpiDefinition::standard();
        let a = agg(&[call(1.0, Outcome::Answered)], &d);
        assert_eq!(a.figures(&d).aht_s, Some(130.0));
        d.aht_includes_hold = false;
        assert_eq!(a.figures(&d).aht_s, Some(120.0));
    }

    #[test]
    fn encoded_aggregates_decode_to_the_same_values() {
        let d = KpiDefinition::standard();
        let mut a = agg(
            &[
                call(19.999, Outcome::Answered),
                call(3.0, Outcome::Abandoned),
            ],
            &d,
        );
        a.add_agent_time(3600.0, 60.0, 1800.5);
        a.add_qa(77.5);
        a.add_nps(&d, 10);
        a.add_call(&d, &call(4.0, Outcome::SystemExit));
        assert_eq!(a.short_system_exits, 1);
        let (c, s) = a.encode();
        assert_eq!(Agg::decode(&c, &s).unwrap(), a);
        assert!(Agg::decode("1,x", "").is_err());
        assert!(Agg::decode("1", "12uu").is_err());
    }

    #[test]
    fn whole_sums_are_stored_short_and_read_back_as_the_raw_text_of_before() {
        let mut a = Agg {
            offered: 2,
            ..Agg::default()
        };
        a.wait_answered.add(774.0);
        a.wait_abandoned.add(12.5);
        a.talk.add(-3.0);
        a.hold = ExactSum::from_raw(i128::MIN);
        a.wrap = ExactSum::from_raw(i128::MAX);
        let (c, s) = a.encode();
        let fields: Vec<&str> = s.split(',').collect();
        assert_eq!(fields[0], "774u");
        assert_eq!(fields[1], (25i128 << 63).to_string());
        assert_eq!(fields[2], "-3u");
        assert_eq!(fields[3], format!("{}u", i64::MIN));
        assert_eq!(fields[4], i128::MAX.to_string());
        assert_eq!(fields[5], "0u");
        assert_eq!(Agg::decode(&c, &s).unwrap(), a);
        // Rows written before hold every sum as its raw integer: the same aggregate.
        let before: Vec<String> = [a.wait_answered, a.wait_abandoned, a.talk, a.hold, a.wrap]
            .iter()
            .map(|x| x.to_raw().to_string())
            .collect();
        let rest = fields[5..].iter().map(|f| match f.strip_suffix('u') {
            Some(n) => (i128::from(n.parse::<i64>().unwrap()) << 64).to_string(),
            None => (*f).to_string(),
        });
        let before: Vec<String> = before.into_iter().chain(rest).collect();
        assert_eq!(Agg::decode(&c, &before.join(",")).unwrap(), a);
    }

    #[test]
    fn undefined_figures_are_none_not_nan() {
        let d = KpiDefinition::standard();
        let f = Agg::default().figures(&d);
        assert_eq!(f.sl, None);
        assert_eq!(f.asa_s, None);
        assert_eq!(f.occupancy, None);
        assert_eq!(f.nps, None);
    }

    #[test]
    fn occupancy_sph_qa_csat_nps_and_fcr_follow_the_definitions() {
        let d = KpiDefinition::standard();
        let mut a = Agg::default();
        a.add_agent_time(3600.0, 600.0, 2400.0);
        a.add_sales(3);
        a.add_qa(80.0);
        a.add_qa(90.0);
        for x in [5, 4, 3, 1] {
            a.add_csat(&d, x);
        }
        for x in [10, 9, 8, 6, 0] {
            a.add_nps(&d, x);
        }
        a.add_fcr(false);
        a.add_fcr(true);
        let f = a.figures(&d);
        assert_eq!(f.occupancy, Some(2400.0 / 3000.0));
        assert_eq!(f.sph, Some(3.0));
        assert_eq!(f.qa_score, Some(85.0));
        assert_eq!(f.csat, Some(0.5));
        assert_eq!(f.nps, Some(0.0));
        assert_eq!(f.fcr, Some(0.5));
    }

    #[test]
    fn attribution_moves_a_call_to_its_answer_or_end_interval() {
        let mut d = KpiDefinition::standard();
        let c = CallFacts {
            enter_ts: 890,
            wait_s: 15.5,
            ..call(0.0, Outcome::Answered)
        };
        assert_eq!(attribution_ts(&d, &c), 890);
        d.attribution = Attribution::Answer;
        assert_eq!(attribution_ts(&d, &c), 905);
        d.attribution = Attribution::End;
        assert_eq!(attribution_ts(&d, &c), 890 + 125);
    }

    #[test]
    fn a_call_through_two_queues_is_a_stint_in_each_and_one_call_over_all() {
        let d = KpiDefinition::standard();
        let mut ag = Aggregator::new(
            d.clone(),
            Bucketer::new(Granularity::Minutes(15), TimeZone::UTC),
        );
        // Answered in "ventas" after 10 s (talk 100 s), transferred to "soporte", answered
        // there after 30 s (talk 100 s): the call waited 40 s and talked 200 s.
        let a = CallFacts {
            enter_ts: 0,
            ..call(10.0, Outcome::Answered)
        };
        let b = CallFacts {
            enter_ts: 120,
            ..call(30.0, Outcome::Answered)
        };
        ag.add_stint("ventas", &a).unwrap();
        ag.add_stint("soporte", &b).unwrap();
        let whole = CallFacts::of_stints(&[a, b]).unwrap();
        assert_eq!(
            (whole.enter_ts, whole.wait_s, whole.talk_s),
            (0, 40.0, 200.0)
        );
        ag.add_whole_call("ventas", &whole).unwrap();
        // A call with one stint in "soporte", abandoned.
        ag.add_call(
            "soporte",
            &CallFacts {
                enter_ts: 60,
                ..call(5.0, Outcome::Abandoned)
            },
        )
        .unwrap();
        let mut per_queue = BTreeMap::new();
        let mut all = Agg::default();
        for ((q, _), agg) in ag.sorted_rows() {
            per_queue
                .entry(q.clone())
                .or_insert_with(Agg::default)
                .merge(agg);
            all.merge(&agg.calls_view());
        }
        let v = &per_queue["ventas"];
        let s = &per_queue["soporte"];
        assert_eq!((v.offered, v.answered, v.talk.to_f64()), (1, 1, 100.0));
        assert_eq!((s.offered, s.answered, s.abandoned), (2, 1, 1));
        assert_eq!(s.wait_answered.to_f64(), 30.0);
        assert_eq!((all.offered, all.answered, all.abandoned), (2, 1, 1));
        assert_eq!(
            (all.talk.to_f64(), all.wait_answered.to_f64()),
            (200.0, 40.0)
        );
        // SL over all queues: the call waited 40 s in all (> 20 s), the abandon 5 s.
        assert_eq!(all.figures(&d).sl, Some(0.0));
    }

    #[test]
    fn rows_stored_before_call_tallies_count_each_of_their_calls_once() {
        let d = KpiDefinition::standard();
        let a = agg(
            &[
                call(4.0, Outcome::Answered),
                call(40.0, Outcome::SystemExit),
            ],
            &d,
        );
        assert_eq!(a.calls_view(), a);
        let (c, s) = a.encode();
        // The first 18 counts and 9 sums are what rows stored before the tally hold.
        let old_c: Vec<&str> = c.split(',').take(18).collect();
        let old_s: Vec<&str> = s.split(',').take(9).collect();
        let old = Agg::decode(&old_c.join(","), &old_s.join(",")).unwrap();
        assert_eq!(old, a);
        let mut stint_only = Agg::default();
        stint_only.add_stint(&d, &call(4.0, Outcome::Answered));
        let (c, s) = stint_only.encode();
        assert_eq!(Agg::decode(&c, &s).unwrap().calls.offered, 0);
    }
}
