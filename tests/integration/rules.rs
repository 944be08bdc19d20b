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
    security_group_blocks_port_between_reachable_subnets,
    security_group_reference_allows_members,
    security_group_self_reference,
    security_group_prefix_list_peer_uses_its_entries,
    workload_without_ipv6_address_is_not_reached_over_ipv6,
    security_group_prefix_list_created_by_the_plan_is_followed_through_configuration,
    eks_node_group_shares_the_cluster_security_group,
    eks_node_group_remote_access_opens_ssh,
    security_group_reference_across_unpeered_vpcs_never_matches,
    security_group_replies_are_stateful_but_acl_is_not,
    default_egress_removed_by_terraform,
    lambda_in_two_subnets_is_one_workload,
    rds_through_db_subnet_group,
    alb_listener_port_to_ecs_service,
    three_tier_greenfield_plan,
    internet_reaches_a_workload_only_through_its_group,
    plan_exposes_workloads_to_internet,
    security_group_rule_wider_than_routes,
    workload_and_onprem_network_through_security_group,
    public_subnet_reaches_and_is_reached_from_internet,
    private_subnet_egress_through_nat_gateway,
    nat_gateway_in_subnet_without_internet_route,
    egress_only_gateway_carries_ipv6_out_only,
    central_egress_through_transit_gateway,
    nacl_blocks_internet_replies,
    ingress_replies_must_leave_by_internet_gateway,
    ingress_routing_through_an_appliance_is_unknown,
    reply_route_not_known_until_apply_is_unknown,
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
    tgw_uses_table_associated_with_ingress_attachment,
    subnet_in_az_without_attachment_cannot_reach_tgw,
    tgw_return_path_needs_spoke_route,
    tgw_static_blackhole_beats_propagated_route,
    tgw_inspection_vpc_follows_attachment_subnet_table,
    tgw_attachment_without_association_cannot_route,
    tgw_ipv6_needs_attachment_support,
    gwlb_endpoint_is_a_bump_in_the_wire,
    tgw_peering_attachment_uses_static_routes,
    tgw_attachment_subnet_nacl_applies_to_traffic_from_instances,
    tgw_delivery_into_attachment_subnet_crosses_no_acl,
    tgw_delivery_into_attachment_subnet_first_in_block_order,
    gateway_endpoint_serves_associated_route_tables,
    gateway_endpoint_not_usable_across_peering,
    gateway_endpoint_not_usable_across_transit_gateway,
    interface_endpoint_reachable_across_peering,
    privatelink_reaches_service_one_way_despite_overlap,
    vpn_with_static_routes_reaches_subnets,
    vpn_with_propagation_only_is_unknown,
    vpn_on_transit_gateway_uses_its_route_table,
    direct_connect_gateway_association,
    vpn_gateway_carries_no_ipv6,
    vpn_supernet_is_routed_around_the_vpc_block,
    nacl_lowest_rule_number_wins,
    nacl_reply_needs_ephemeral_ports,
    nacl_not_applied_within_subnet,
    default_nacl_allows_all,
    managed_default_nacl_without_rules_denies_all,
    nacl_rule_cidr_splits_subnet,
    nacl_ipv6_rules_are_separate,
    awscc_resources_map_to_the_same_model,
    unmanaged_main_route_table_holds_local_routes,
    unmanaged_main_route_table_in_raw_tfstate,
    unmanaged_main_route_table_in_plan_of_existing_vpcs,
    route_inside_own_vpc_block_is_refused,
    ipv4_route_to_egress_only_gateway_is_refused,
    peering_with_auto_accept_and_peer_region_is_refused,
    overlapping_third_vpc_makes_no_route_transitive,
    private_nat_gateway_replies_return_to_its_address,
    public_nat_gateway_does_not_reach_other_vpcs,
    customer_prefix_list_route_is_expanded,
    cidr_route_beats_prefix_list_route_at_equal_length,
    prefix_list_outside_input_is_unknown,
    tgw_inspection_without_appliance_mode_warns,
    counted_blocks_linked_through_locals_are_not_aligned,
    one_to_one_count_layout_aligns_keys,
    assumed_link_that_aws_cannot_have_is_dropped,
    tgw_distinct_default_tables_are_two_tables,
    recorded_for_each_value_names_the_instance,
    fix_route_into_active_peering,
    fix_route_into_shared_transit_gateway,
    fix_accept_pending_peering,
    fix_network_acl_rule,
    fix_transitive_peering_options,
    fix_tgw_route_table_association,
    fix_tgw_route_propagation,
    fix_tgw_static_route_across_peering,
    fix_route_table_association,
    fix_internet_gateway_default_route,
    fix_nat_gateway_route_for_private_subnet,
    fix_security_group_rule_for_workload_pair,
    fix_vpn_routes_for_subnet,
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
