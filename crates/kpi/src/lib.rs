//! rumbo-kpi (work in progress).
