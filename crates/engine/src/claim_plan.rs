//! [`ClaimPlan`]: the claims a worker makes. Its types without a concurrency limit of their
//! own go in one claim of a whole batch; each limited type (a handler that calls a
//! rate-limited service) in one of its own, capped at the room it has left.

use std::collections::BTreeMap;

/// See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct ClaimPlan {
    free: Vec<String>,
    limited: BTreeMap<String, usize>,
}

impl ClaimPlan {
    /// `types` with the limit `limit_of` gives each (`None`: no limit of its own).
    pub(crate) fn new(types: Vec<String>, limit_of: impl Fn(&str) -> Option<usize>) -> Self {
        let mut free = Vec::new();
        let mut limited = BTreeMap::new();
        for kind in types {
            match limit_of(&kind) {
                Some(limit) => {
                    limited.insert(kind, limit.max(1));
                }
                None => free.push(kind),
            }
        }
        Self { free, limited }
    }

    /// Every type the worker runs.
    pub(crate) fn types(&self) -> Vec<String> {
        let mut all = self.free.clone();
        all.extend(self.limited.keys().cloned());
        all.sort();
        all
    }

    /// The claims to make now, as (types, most tasks): `held(kind)` is how many tasks of
    /// `kind` the worker holds.
    pub(crate) fn claims(
        &self,
        batch_size: u32,
        held: impl Fn(&str) -> usize,
    ) -> Vec<(Vec<String>, u32)> {
        let mut claims = Vec::new();
        if !self.free.is_empty() {
            claims.push((self.free.clone(), batch_size));
        }
        for (kind, &limit) in &self.limited {
            let room = limit.saturating_sub(held(kind));
            if room > 0 {
                let most = u32::try_from(room).unwrap_or(u32::MAX).min(batch_size);
                claims.push((vec![kind.clone()], most));
            }
        }
        claims
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> ClaimPlan {
        let types = ["a", "b", "slow"].map(String::from).to_vec();
        ClaimPlan::new(types, |kind| (kind == "slow").then_some(2))
    }

    #[test]
    fn free_types_share_a_claim_and_a_limited_one_gets_its_room() {
        let claims = plan().claims(50, |_| 0);
        assert_eq!(
            claims,
            [
                (vec!["a".to_owned(), "b".to_owned()], 50),
                (vec!["slow".to_owned()], 2)
            ]
        );
        let one_held = plan().claims(50, |kind| usize::from(kind == "slow"));
        assert_eq!(one_held[1], (vec!["slow".to_owned()], 1));
    }

    #[test]
    fn a_full_type_is_not_claimed() {
        let claims = plan().claims(50, |kind| if kind == "slow" { 2 } else { 100 });
        assert_eq!(claims, [(vec!["a".to_owned(), "b".to_owned()], 50)]);
        assert_eq!(plan().types(), ["a", "b", "slow"]);
    }
}
