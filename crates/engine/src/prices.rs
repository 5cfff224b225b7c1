//! What a model's tokens cost: USD per million input and per million output tokens, for
//! a few well-known models. A dated variant of a model (`gpt-4o-mini-2024-07-18`) costs
//! what the model costs; a model with no price records its tokens with no cost.

/// `(model, USD per million input tokens, USD per million output tokens)`.
const BUILT_IN: &[(&str, f64, f64)] = &[
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1", 2.00, 8.00),
    ("o4-mini", 1.10, 4.40),
];

/// What `prompt_tokens` in and `completion_tokens` out of `model` cost, when its price is
/// known: the longest built-in name the model's name starts with.
pub fn cost_usd(model: &str, prompt_tokens: i64, completion_tokens: i64) -> Option<f64> {
    let (_, input, output) = BUILT_IN
        .iter()
        .filter(|(name, ..)| model == *name || model.starts_with(&format!("{name}-")))
        .max_by_key(|(name, ..)| name.len())?;
    let per_token = |tokens: i64, per_million: f64| tokens as f64 * per_million / 1_000_000.0;
    Some(per_token(prompt_tokens, *input) + per_token(completion_tokens, *output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_and_its_dated_variants_cost_its_price() {
        let cost = cost_usd("gpt-4o-mini", 1_000_000, 1_000_000).expect("known");
        assert!((cost - 0.75).abs() < 1e-9, "{cost}");
        let dated = cost_usd("gpt-4o-mini-2024-07-18", 2_000, 1_000).expect("a variant");
        assert!((dated - (0.0003 + 0.0006)).abs() < 1e-12, "{dated}");
        let bigger = cost_usd("gpt-4o-2024-08-06", 1_000_000, 0).expect("gpt-4o itself");
        assert!(
            (bigger - 2.5).abs() < 1e-9,
            "not gpt-4o-mini's price: {bigger}"
        );
        assert_eq!(cost_usd("local-llama", 10, 10), None);
        assert_eq!(
            cost_usd("gpt-4omni", 10, 10),
            None,
            "a prefix is not a variant"
        );
    }
}
