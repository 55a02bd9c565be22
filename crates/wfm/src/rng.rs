//! rng (in progress).
