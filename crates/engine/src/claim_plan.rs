//! [`ClaimPlan`]: the claims a worker makes. Its types without a concurrency limit of their
//! own go in one claim of a whole batch, those without a `prepare` step apart (claimed,
//! applied and completed in one transaction, unless the worker claims visibly); each
//! limited type (a handler that calls a rate-limited service) in one of its own, capped
//! at the room it has left.

use std::collections::BTreeMap;

/// See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct ClaimPlan {
    /// Unlimited types without a `prepare` step.
    in_tx: Vec<String>,
    /// Unlimited types with one.
    leased: Vec<String>,
    limited: BTreeMap<String, usize>,
}

/// One claim to make: its types, the most tasks, and whether it is made inside the
/// transaction that applies the tasks (`claim_locked`) rather than under leases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    pub types: Vec<String>,
    pub limit: u32,
    pub in_one_transaction: bool,
}

impl ClaimPlan {
    /// `types` with the limit `limit_of` gives each (`None`: no limit of its own) and
    /// whether `prepares` says each has a `prepare` step.
    pub(crate) fn new(
        types: Vec<String>,
        limit_of: impl Fn(&str) -> Option<usize>,
        prepares: impl Fn(&str) -> bool,
    ) -> Self {
        let mut plan = Self {
            in_tx: Vec::new(),
            leased: Vec::new(),
            limited: BTreeMap::new(),
        };
        for kind in types {
            match limit_of(&kind) {
                Some(limit) => {
                    plan.limited.insert(kind, limit.max(1));
                }
                None if prepares(&kind) => plan.leased.push(kind),
                None => plan.in_tx.push(kind),
            }
        }
        plan
    }

    /// Every type the worker runs.
    pub(crate) fn types(&self) -> Vec<String> {
        let mut all = self.in_tx.clone();
        all.extend(self.leased.iter().cloned());
        all.extend(self.limited.keys().cloned());
        all.sort();
        all
    }

    /// The claims to make now: `held(kind)` is how many tasks of `kind` the worker holds;
    /// `one_transaction: false` claims every type under leases.
    pub(crate) fn claims(
        &self,
        batch_size: u32,
        held: impl Fn(&str) -> usize,
        one_transaction: bool,
    ) -> Vec<Claim> {
        let mut claims = Vec::new();
        let mut leased = self.leased.clone();
        if one_transaction && !self.in_tx.is_empty() {
            claims.push(Claim {
                types: self.in_tx.clone(),
                limit: batch_size,
                in_one_transaction: true,
            });
        } else {
            leased.extend(self.in_tx.iter().cloned());
            leased.sort();
        }
        if !leased.is_empty() {
            claims.push(Claim {
                types: leased,
                limit: batch_size,
                in_one_transaction: false,
            });
        }
        for (kind, &limit) in &self.limited {
            let room = limit.saturating_sub(held(kind));
            if room > 0 {
                claims.push(Claim {
                    types: vec![kind.clone()],
                    limit: u32::try_from(room).unwrap_or(u32::MAX).min(batch_size),
                    in_one_transaction: false,
                });
            }
        }
        claims
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> ClaimPlan {
        let types = ["a", "b", "fetch", "slow"].map(String::from).to_vec();
        ClaimPlan::new(
            types,
            |kind| (kind == "slow").then_some(2),
            |kind| kind == "fetch",
        )
    }

    fn claim(types: &[&str], limit: u32, in_one_transaction: bool) -> Claim {
        Claim {
            types: types.iter().map(|t| (*t).to_owned()).collect(),
            limit,
            in_one_transaction,
        }
    }

    #[test]
    fn types_without_prepare_share_a_claim_in_one_transaction_and_a_limited_one_gets_its_room() {
        assert_eq!(
            plan().claims(50, |_| 0, true),
            [
                claim(&["a", "b"], 50, true),
                claim(&["fetch"], 50, false),
                claim(&["slow"], 2, false)
            ]
        );
        let one_held = plan().claims(50, |kind| usize::from(kind == "slow"), true);
        assert_eq!(one_held[2], claim(&["slow"], 1, false));
    }

    #[test]
    fn claiming_visibly_puts_every_free_type_under_leases() {
        assert_eq!(
            plan().claims(50, |_| 0, false),
            [
                claim(&["a", "b", "fetch"], 50, false),
                claim(&["slow"], 2, false)
            ]
        );
    }

    #[test]
    fn a_full_type_is_not_claimed() {
        let claims = plan().claims(50, |kind| if kind == "slow" { 2 } else { 100 }, true);
        assert_eq!(claims.len(), 2);
        assert_eq!(plan().types(), ["a", "b", "fetch", "slow"]);
    }
}
