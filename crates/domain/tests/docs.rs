//! The task types' reference (`docs/TASK_TYPES.md`) stays whole: every type the domain
//! registers has a section, and every alias is named beside its type.

fn reference() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/TASK_TYPES.md");
    std::fs::read_to_string(path).expect("docs/TASK_TYPES.md is readable")
}

#[test]
fn every_type_has_its_section_and_every_alias_is_named() {
    let text = reference();
    let headings: Vec<&str> = text.lines().filter(|l| l.starts_with("### ")).collect();
    let registry = zora_domain::registry(zora_domain::all(&zora_domain::ModelAccess::default()));
    let mut missing = Vec::new();
    for (name, _) in registry.entries() {
        let named = match registry.alias_of(name) {
            None => headings
                .iter()
                .any(|h| h.split([' ', ',']).any(|word| word == name)),
            Some(_) => text.contains(&format!("alias `{name}`")),
        };
        if !named {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "docs/TASK_TYPES.md lacks: {missing:?}");
}
