//! The built-in catalogue of weekly climate actions ORACLE suggests from, one list for
//! households (person profiles) and one for businesses (brands, organizations), and the
//! deterministic choice among them: the same profile, week and open categories always
//! give the same items.

use crate::ids::ProfileId;
use chrono::NaiveDate;

/// One action of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Action {
    pub title: &'static str,
    pub description: &'static str,
    pub category: &'static str,
    pub estimated_impact_kgco2: f64,
}

const fn action(
    category: &'static str,
    title: &'static str,
    description: &'static str,
    estimated_impact_kgco2: f64,
) -> Action {
    Action {
        title,
        description,
        category,
        estimated_impact_kgco2,
    }
}

/// Household actions: two per category, categories in a fixed order.
pub const HOUSEHOLD: &[Action] = &[
    action(
        "energy",
        "Switch to a green electricity tariff",
        "Move the household's electricity contract to a certified renewable tariff.",
        45.0,
    ),
    action(
        "energy",
        "Lower the thermostat by 1 °C",
        "Heat one degree less this week and check the difference on the meter.",
        12.0,
    ),
    action(
        "transport",
        "Cycle or walk trips under 5 km",
        "Leave the car at home for every short trip this week.",
        18.0,
    ),
    action(
        "transport",
        "Take public transport for one commute",
        "Replace one car commute with the train or bus.",
        10.0,
    ),
    action(
        "food",
        "Cook three plant-based dinners",
        "Plan and cook three dinners without meat or dairy.",
        9.0,
    ),
    action(
        "food",
        "Shop seasonal and local produce",
        "Buy this week's fruit and vegetables from seasonal, local sources.",
        4.0,
    ),
    action(
        "waste",
        "Start composting food scraps",
        "Set up a compost bin or use the municipal organic waste collection.",
        6.0,
    ),
    action(
        "waste",
        "Repair one item instead of replacing it",
        "Fix a broken item (clothes, electronics, furniture) rather than buying new.",
        8.0,
    ),
    action(
        "water",
        "Keep showers to five minutes",
        "Time showers this week; hot water is most of a household's water energy.",
        5.0,
    ),
    action(
        "water",
        "Wash laundry at 30 °C",
        "Run every laundry load this week at 30 °C with a full drum.",
        3.0,
    ),
    action(
        "shopping",
        "Buy nothing new for a week",
        "Postpone every non-essential purchase for seven days.",
        15.0,
    ),
    action(
        "shopping",
        "Choose second-hand for the next purchase",
        "Look for the next thing you need on a second-hand market first.",
        12.0,
    ),
];

/// Business actions: two per category, categories in a fixed order.
pub const BUSINESS: &[Action] = &[
    action(
        "energy",
        "Audit standby power in the office",
        "Walk the office after hours and switch off or schedule every idle device.",
        30.0,
    ),
    action(
        "energy",
        "Move hosting to a renewable-powered provider",
        "Choose a data centre or cloud region run on renewable electricity.",
        120.0,
    ),
    action(
        "transport",
        "Replace one business trip with a video call",
        "Hold this week's planned visit as a video meeting.",
        250.0,
    ),
    action(
        "transport",
        "Offer a cycle-to-work scheme",
        "Give staff a way to lease or buy bicycles for commuting.",
        40.0,
    ),
    action(
        "supply_chain",
        "Ask the top three suppliers for emissions data",
        "Request product-level footprint data from the largest suppliers.",
        50.0,
    ),
    action(
        "supply_chain",
        "Consolidate shipments",
        "Group this week's outgoing orders into fewer deliveries.",
        60.0,
    ),
    action(
        "waste",
        "Remove single-use items from the office",
        "Replace disposable cups, cutlery and bottles with reusable ones.",
        10.0,
    ),
    action(
        "waste",
        "Set up e-waste recycling",
        "Collect old electronics for certified recycling or refurbishment.",
        20.0,
    ),
    action(
        "operations",
        "Switch office lighting to LED",
        "Replace the remaining fluorescent or halogen lights.",
        35.0,
    ),
    action(
        "operations",
        "Print double-sided by default",
        "Set every printer to duplex and monochrome by default.",
        5.0,
    ),
    action(
        "community",
        "Run a team climate workshop",
        "Spend an hour with the team choosing the next reduction targets.",
        15.0,
    ),
    action(
        "community",
        "Publish a climate commitment",
        "State the company's reduction targets publicly, with dates.",
        5.0,
    ),
];

/// The catalogue for a profile type: businesses for `brand` and `organization`,
/// households otherwise.
pub fn for_profile_type(profile_type: &str) -> &'static [Action] {
    match profile_type {
        "brand" | "organization" => BUSINESS,
        _ => HOUSEHOLD,
    }
}

/// A stable 64-bit FNV-1a hash (not std's hasher, whose output may change between Rust
/// releases): the seed of the choice.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.iter().flat_map(|part| part.iter()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// 4 or 5 actions for `profile` in the week starting `monday`, from `catalogue`, none in
/// a category of `skipped`: one per category first (starting at a category the seed
/// picks), then the other action of the categories already used, when fewer than four
/// categories are left. Empty when every category is skipped.
pub fn choose(
    catalogue: &'static [Action],
    profile: ProfileId,
    monday: NaiveDate,
    skipped: &[String],
) -> Vec<Action> {
    let seed = fnv1a(&[profile.0.as_bytes(), monday.to_string().as_bytes()]);
    let wanted = 4 + usize::from(seed % 2 == 1);
    let mut categories: Vec<&str> = Vec::new();
    for action in catalogue {
        if !categories.contains(&action.category) && !skipped.iter().any(|s| s == action.category) {
            categories.push(action.category);
        }
    }
    if categories.is_empty() {
        return Vec::new();
    }
    let offset = usize::try_from((seed >> 8) % categories.len() as u64).unwrap_or(0);
    categories.rotate_left(offset);
    let pick = usize::try_from((seed >> 16) % 2).unwrap_or(0);
    let of = |category: &str, nth: usize| {
        catalogue
            .iter()
            .filter(|a| a.category == category)
            .nth(nth)
            .copied()
    };
    let mut chosen: Vec<Action> = categories
        .iter()
        .filter_map(|c| of(c, pick))
        .take(wanted)
        .collect();
    for category in &categories {
        if chosen.len() >= 4 {
            break;
        }
        if let Some(other) = of(category, 1 - pick) {
            chosen.push(other);
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monday() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).expect("date")
    }

    #[test]
    fn the_same_inputs_give_the_same_items() {
        let profile = ProfileId(uuid::Uuid::from_u128(42));
        let a = choose(HOUSEHOLD, profile, monday(), &[]);
        assert_eq!(a, choose(HOUSEHOLD, profile, monday(), &[]));
        assert!((4..=5).contains(&a.len()), "{}", a.len());
        let categories: std::collections::BTreeSet<_> = a.iter().map(|x| x.category).collect();
        assert_eq!(categories.len(), a.len(), "one per category");
    }

    #[test]
    fn skipped_categories_are_left_out_and_few_left_still_give_four() {
        let profile = ProfileId(uuid::Uuid::from_u128(7));
        let skipped: Vec<String> = ["energy", "transport", "food", "waste"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let items = choose(HOUSEHOLD, profile, monday(), &skipped);
        assert_eq!(items.len(), 4, "two categories left, both actions of each");
        assert!(
            items
                .iter()
                .all(|a| !skipped.iter().any(|s| s == a.category))
        );
        let all: Vec<String> = HOUSEHOLD.iter().map(|a| a.category.to_owned()).collect();
        assert!(choose(HOUSEHOLD, profile, monday(), &all).is_empty());
    }

    #[test]
    fn weeks_and_profiles_vary_the_choice() {
        let distinct: std::collections::BTreeSet<Vec<&str>> = (0..20u128)
            .map(|i| {
                choose(BUSINESS, ProfileId(uuid::Uuid::from_u128(i)), monday(), &[])
                    .iter()
                    .map(|a| a.title)
                    .collect()
            })
            .collect();
        assert!(distinct.len() > 3, "{distinct:?}");
        assert_eq!(for_profile_type("brand"), BUSINESS);
        assert_eq!(for_profile_type("person"), HOUSEHOLD);
    }
}
