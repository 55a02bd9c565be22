//! First-contact resolution from repeat calls of the same (hashed) caller.
//!
//! A contact is resolved when the same caller does not contact again within the
//! definition's window. The decision for a call depends on later calls, so FCR is
//! computed over a set of calls and then added to the aggregates of the interval
//! of each first call with [`crate::Agg::add_fcr`].

/// For each contact `(caller key, enter_ts)`, whether the same caller contacted
/// again within `window_s` seconds after it (strictly later, at most `window_s`).
pub fn repeat_flags<K: Ord>(contacts: &[(K, i64)], window_s: i64) -> Vec<bool> {
    let mut idx: Vec<usize> = (0..contacts.len()).collect();
    idx.sort_by(|&a, &b| {
        contacts[a]
            .0
            .cmp(&contacts[b].0)
            .then(contacts[a].1.cmp(&contacts[b].1))
            .then(a.cmp(&b))
    });
    let mut out = vec![false; contacts.len()];
    for w in idx.windows(2) {
        let (a, b) = (&contacts[w[0]], &contacts[w[1]]);
        if a.0 == b.0 && b.1 - a.1 <= window_s {
            out[w[0]] = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_inside_the_window_marks_the_earlier_call_unresolved() {
        let day = 86_400;
        let calls = [
            ("a", 0),
            ("b", 10),
            ("a", day),
            ("a", 3 * day),
            ("b", 10 + day + 1),
        ];
        assert_eq!(
            repeat_flags(&calls, day),
            vec![true, false, false, false, false]
        );
    }
}
