//! rumbo-kpi: the pure KPI engine.
//!
//! Turns standard call records (and agent time, QA evaluations, survey answers,
//! sales) into mergeable per-(queue, interval) aggregates, and aggregates into
//! figures under a named, versioned [`KpiDefinition`]. Nothing here does IO: the
//! ingest crate produces records, the store keeps aggregates, the binary prints.
//!
//! **Invariant:** aggregates hold only counts and exact sums, so batches merge
//! exactly and every figure can be recomputed; every figure names its definition.

pub mod aggregate;
pub mod control;
pub mod definition;
mod error;
pub mod exact;
pub mod fcr;
pub mod format;
pub mod fxhash;
pub mod interval;
pub mod live;
pub mod record;

pub use aggregate::{attribution_ts, Agg, AggKey, Aggregator, CallTally, Figures};
pub use definition::{
    Attribution, DefinitionId, KpiDefinition, Registry, SlDenominator, SlNumerator,
};
pub use error::KpiError;
pub use exact::ExactSum;
pub use interval::{Bucketer, Granularity};
pub use record::{CallFacts, CallRecord, Outcome};
