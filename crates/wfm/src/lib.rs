//! rumbo-wfm: workforce-management mathematics for contact centres.
//!
//! Pure computations, no IO: queueing models (Erlang C = M/M/N, Erlang A = M/M/N+M),
//! staffing per interval with exact ceilings, a discrete-event simulator to cross-check
//! the models, forecasting of contacts/AHT with Chilean public holidays, and weekly
//! shift scheduling under Chilean labour rules.
//!
//! Every input that can be wrong enters through a constructor returning [`Error`]
//! (parse, don't validate): [`Load::new`], [`staffing::Policy::new`], ….
//! Numerical kernels never panic and never return probabilities outside `[0, 1]`.

pub mod civil;
pub mod erlang_a;
pub mod erlang_c;
pub mod forecast;
pub mod holidays;
mod numeric;
pub mod rng;
pub mod schedule;
pub mod sim;
pub mod staffing;

pub use numeric::ceil_exact;

/// The one error type of this crate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A numeric parameter is outside its domain (negative, NaN, zero where positive is needed…).
    #[error("invalid {name}: {value} ({reason})")]
    InvalidParameter {
        /// Parameter name as the user knows it (`calls`, `aht_s`, …).
        name: &'static str,
        /// The offending value.
        value: f64,
        /// Human-readable constraint that was violated.
        reason: &'static str,
    },
    /// Input data is structurally unusable (empty history, inconsistent intervals…).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

/// Largest offered load accepted (keeps every search bounded).
pub const MAX_ERLANGS: f64 = 1e7;
/// Largest agent count accepted by the evaluators.
pub const MAX_AGENTS: u32 = 20_000_000;

pub(crate) fn check_agents(agents: u32) -> Result<()> {
    check_param(
        "agents",
        f64::from(agents),
        agents <= MAX_AGENTS,
        "must be ≤ 20,000,000",
    )
}

/// Shorthand result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn check_param(
    name: &'static str,
    value: f64,
    ok: bool,
    reason: &'static str,
) -> Result<()> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value,
            reason,
        })
    }
}

/// Offered traffic of one interval: `arrivals` calls of mean handling time `aht_s`
/// seconds spread over `interval_s` seconds.
///
/// The offered load A = arrivals·AHT/interval (Erlangs) is kept as the exact
/// product `arrivals·aht_s` over `interval_s` so that `N − A` and `n/A` are computed
/// with a single rounding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    arrivals: f64,
    interval_s: f64,
    aht_s: f64,
    /// arrivals · aht_s (work content in seconds).
    work_s: f64,
}

impl Load {
    /// Validates and builds a load. `arrivals ≥ 0`, `interval_s > 0`, `aht_s > 0`, all finite.
    pub fn new(arrivals: f64, interval_s: f64, aht_s: f64) -> Result<Self> {
        check_param("calls", arrivals, arrivals >= 0.0, "must be ≥ 0")?;
        check_param("interval_s", interval_s, interval_s > 0.0, "must be > 0")?;
        check_param("aht_s", aht_s, aht_s > 0.0, "must be > 0")?;
        let erlangs = arrivals * aht_s / interval_s;
        check_param(
            "erlangs",
            erlangs,
            erlangs <= MAX_ERLANGS,
            "offered load above 10,000,000 Erlangs",
        )?;
        Ok(Self {
            arrivals,
            interval_s,
            aht_s,
            work_s: arrivals * aht_s,
        })
    }

    /// Builds a load directly from Erlangs (interval 1 s scaled so that A is exact).
    pub fn from_erlangs(erlangs: f64, aht_s: f64) -> Result<Self> {
        check_param("erlangs", erlangs, erlangs >= 0.0, "must be ≥ 0")?;
        check_param("aht_s", aht_s, aht_s > 0.0, "must be > 0")?;
        Self::new(erlangs, aht_s, aht_s)
    }

    /// Calls offered in the interval.
    pub fn arrivals(&self) -> f64 {
        self.arrivals
    }
    /// Interval length in seconds.
    pub fn interval_s(&self) -> f64 {
        self.interval_s
    }
    /// Mean handling time in seconds.
    pub fn aht_s(&self) -> f64 {
        self.aht_s
    }
    /// Offered load A in Erlangs.
    pub fn erlangs(&self) -> f64 {
        self.work_s / self.interval_s
    }
    /// Arrival rate λ in calls per second.
    pub fn arrival_rate(&self) -> f64 {
        self.arrivals / self.interval_s
    }
    /// `n − A`, computed as `(n·interval − arrivals·aht)/interval` (one rounding when the
    /// inputs are integers).
    pub(crate) fn excess(&self, n: f64) -> f64 {
        (n * self.interval_s - self.work_s) / self.interval_s
    }
    /// `n / A`, computed with a single rounding.
    #[inline]
    pub(crate) fn ratio(&self, n: f64) -> f64 {
        n * self.interval_s / self.work_s
    }
    /// `1 / A` (interval / work content).
    #[inline]
    pub(crate) fn inv_erlangs(&self) -> f64 {
        self.interval_s / self.work_s
    }
    /// True when no traffic is offered.
    pub fn is_zero(&self) -> bool {
        self.work_s == 0.0
    }
}
