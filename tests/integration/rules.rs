//! One test per AWS behaviour, each backed by a fixture directory under
//! fixtures/rules/ whose expect.toml holds the verdicts AWS would give.

use crate::support::{check_fixture, root};

macro_rules! rule {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let dir = root().join("fixtures/rules").join(stringify!($name));
                assert!(check_fixture(&dir) > 0);
            }
        )*
    };
}

rule!(
    local_route_same_vpc,
    unassociated_subnet_uses_main_table,
    peering_two_way,
    return_path_needs_its_own_route,
    peering_is_not_transitive,
    peering_with_overlapping_cidrs_cannot_exist,
    pending_peering_is_blackhole,
    cross_account_peering_needs_accepter,
    cross_account_peering_with_accepter,
    longest_prefix_match_splits_subnet,
    route_to_igw_does_not_reach_other_vpc,
    route_to_deleted_nat_is_blackhole,
    greenfield_modules_for_each_count,
    ipv6_family_is_routed_separately,
    state_document,
    raw_tfstate_v4,
    plan_deletes_peering,
);

#[test]
fn bundled_example_tells_its_story() {
    assert!(check_fixture(&root().join("fixtures/example")) > 0);
}

#[test]
fn every_rule_fixture_has_a_test() {
    let src = include_str!("rules.rs");
    for e in std::fs::read_dir(root().join("fixtures/rules")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            src.contains(&format!("    {name},")),
            "fixtures/rules/{name} has no test"
        );
    }
}
