//! Programme planning: objectives, strategy, risks, budget, work plan, roles, coordination (issue 5).
