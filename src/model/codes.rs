//! The stable reason and finding codes, each with what it means.
//!
//! Codes that name the same thing as an AWS Reachability Analyzer
//! explanation code use its name. Reports, SARIF rules and the policy file
//! all read this one table.

use super::words::Severity;

/// One code and its documentation.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    pub code: &'static str,
    /// Severity when the code is a finding (pair reasons have none).
    pub severity: Severity,
    /// One line: what happened.
    pub summary: &'static str,
    /// What to do about it.
    pub help: &'static str,
}

macro_rules! codes {
    ($($name:ident = $code:literal, $sev:ident, $summary:literal, $help:literal;)*) => {
        $(pub const $name: &str = $code;)*
        /// Every code tfreach emits.
        pub const ALL: &[Code] = &[
            $(Code { code: $code, severity: Severity::$sev, summary: $summary, help: $help },)*
        ];
    };
}

codes! {
    NO_ROUTE_TO_DESTINATION = "NO_ROUTE_TO_DESTINATION", Warning,
        "The route table has no route that matches the destination address.",
        "Add a route for the destination's CIDR block to the route table, pointing at the peering connection or transit gateway that leads there.";
    BAD_STATE = "BAD_STATE", Warning,
        "The peering connection a route uses will not be active, so the route is a blackhole.",
        "Accept the peering: set auto_accept (same account and Region only) or add an aws_vpc_peering_connection_accepter on the peer side; a peering between overlapping CIDR blocks can never be active.";
    BAD_STATE_ROUTE = "BAD_STATE_ROUTE", Warning,
        "The route's target will not exist or is not usable, so the route is a blackhole.",
        "Point the route at a target that exists after apply, or remove the route.";
    PCX_REQUIRES_ADDRESS_IN_VPC_CIDR = "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR", Warning,
        "Traffic crossed a peering connection towards an address outside the peer VPC's CIDR blocks; AWS drops it (peering is not transitive).",
        "Peer the two VPCs directly, or connect them through a transit gateway; a peering only carries traffic between its own two VPCs.";
    CANNOT_ROUTE = "CANNOT_ROUTE", Warning,
        "The route sends the traffic to a gateway that cannot deliver it to a private address in another VPC.",
        "Route the destination's CIDR block through a peering connection or transit gateway instead of an internet, NAT, egress-only or VPN gateway.";
    REPLY_SOURCE_TRANSLATED = "REPLY_SOURCE_TRANSLATED", Warning,
        "The replies pass a NAT gateway that the connection did not go through; it gives them its own address as the source, so they no longer match the connection.",
        "Route the replies back the way the connection came: the return route for the client's range must not lead through a NAT gateway the forward path does not use.";
    NO_INTERNET_GATEWAY = "NO_INTERNET_GATEWAY", Warning,
        "No internet gateway is attached to the subnet's VPC, so no connection from the internet can come in.",
        "Attach an internet gateway to the VPC (aws_internet_gateway with vpc_id) if the subnet is meant to be reached from the internet.";
    NO_PUBLIC_ADDRESS = "NO_PUBLIC_ADDRESS", Warning,
        "No instance of the subnet has a public IPv4 address, so the internet cannot address any of them.",
        "Set map_public_ip_on_launch on the subnet, associate_public_ip_address on the instance, or bind an Elastic IP (aws_eip) to the instance or its network interface; put private workloads behind a load balancer instead.";
    INTERNET_REPLY_ROUTE = "INTERNET_REPLY_ROUTE", Warning,
        "The replies to a connection from the internet do not leave through the internet gateway that carried it in (no route, a NAT gateway, an egress-only gateway, a transit gateway), so the client never gets them.",
        "Route the internet's addresses (0.0.0.0/0, ::/0) of the subnet's route table to the VPC's internet gateway, or do not expect the subnet to be reached from the internet.";
    IGW_SOURCE_NOT_IN_VPC = "IGW_SOURCE_NOT_IN_VPC", Warning,
        "The traffic reaches an internet gateway of another VPC without passing a NAT gateway; an internet gateway only translates the addresses of its own VPC's instances, so it drops the traffic.",
        "Send the traffic through a NAT gateway in the VPC that owns the internet gateway (the central egress pattern), or give the subnet's VPC its own internet gateway.";
    VPC_LOCAL_ROUTE_CIDR_RESTRICTION = "VPC_LOCAL_ROUTE_CIDR_RESTRICTION", Warning,
        "The destination address lies inside the source VPC's own CIDR blocks, so the local route keeps the traffic in the source VPC.",
        "Give the VPCs CIDR blocks that do not overlap.";
    NO_SUBNET_AT_DESTINATION = "NO_SUBNET_AT_DESTINATION", Warning,
        "The traffic arrived in a VPC where the destination subnet is not.",
        "Check which VPC owns the destination range; overlapping CIDR blocks send traffic to the wrong VPC.";
    ROUTING_LOOP = "ROUTING_LOOP", Warning,
        "The traffic passes the same route table twice.",
        "Break the loop between the appliances or gateways that forward to each other.";
    UNSUPPORTED_HOP = "UNSUPPORTED_HOP", Info,
        "The path goes through a device tfreach does not model yet (Cloud WAN, a gateway it cannot classify), so its fate is unknown.",
        "Check this path by hand until tfreach models the device.";
    NO_COMMON_ADDRESS_FAMILY = "NO_COMMON_ADDRESS_FAMILY", Warning,
        "The two subnets share no address family (one is IPv4-only, the other IPv6-only).",
        "Give both subnets a block of the same family.";
    UNRESOLVED_REFERENCE = "UNRESOLVED_REFERENCE", Warning,
        "A value this verdict depends on is not known until apply and could not be resolved through the configuration.",
        "Reference the resource directly (aws_x.name.id) or through module outputs, so the link is visible in the plan.";
    ASSUMED_REFERENCE = "ASSUMED_REFERENCE", Warning,
        "A link not known until apply goes through a value the plan does not record (a local value); tfreach assumed its target (the only candidate in the module, or the instance with the same key in a block with the same instances).",
        "Check the assumption named in the message; pass the ID through a variable or output, or index with count.index or each.key, to make the link explicit.";
    ASSUMED_TGW_DEFAULT_ROUTE_TABLE = "ASSUMED_TGW_DEFAULT_ROUTE_TABLE", Info,
        "A transit gateway's default association or propagation route table is not in the input; tfreach assumed it holds only what the input propagates into it and the static routes the input adds.",
        "Add the table to the input (a data source aws_ec2_transit_gateway_route_table for its ID) if other attachments or routes may be in it.";
    ASSUMED_MAIN_ROUTE_TABLE = "ASSUMED_MAIN_ROUTE_TABLE", Info,
        "An existing VPC's main route table is not in the input; tfreach takes it to be as AWS creates it (the local routes only; a default VPC's also sends 0.0.0.0/0 to its internet gateway) for the subnets without an explicit association.",
        "Manage the table with aws_default_route_table, or associate the subnets with route tables of the configuration, so the routes are known.";
    CONFLICTING_DOCUMENTS = "CONFLICTING_DOCUMENTS", Error,
        "Two documents of the estate manage the same AWS object with different values; tfreach keeps the first document's and leaves the other out.",
        "Give each object once: drop the out-of-date document, or stop managing the object in one of the two configurations (read it with a data source there).";
    UNKNOWN_CIDR = "UNKNOWN_CIDR", Warning,
        "A CIDR block this verdict depends on is not known until apply.",
        "Set the CIDR block in the configuration instead of allocating it at apply time, or accept an unknown verdict for this plan.";
    EXTERNAL_RESOURCE = "EXTERNAL_RESOURCE", Info,
        "The path uses a resource that is not in the input, so its behaviour cannot be known.",
        "Add the resource (or a data source for it) to the configuration, or analyse a plan that includes it.";
    TRANSITIVE_PEERING = "TRANSITIVE_PEERING", Error,
        "A route sends traffic for a third VPC's CIDR block into a peering connection; AWS peering is not transitive and drops it.",
        "Peer the VPCs directly or use a transit gateway, and remove the route that relies on the peer VPC to forward traffic.";
    PEERING_ROUTE_BEYOND_PEER = "PEERING_ROUTE_BEYOND_PEER", Warning,
        "A route sends addresses outside the peer VPC into a peering connection; that traffic is dropped (no transit, no use of the peer's gateways).",
        "Narrow the route to the peer VPC's CIDR blocks.";
    PEERING_CIDR_OVERLAP = "PEERING_CIDR_OVERLAP", Error,
        "The two VPCs of a peering connection have overlapping CIDR blocks; AWS refuses such a peering.",
        "Renumber one VPC, or connect them another way (PrivateLink, a transit gateway with NAT).";
    PEERING_NOT_ACTIVE = "PEERING_NOT_ACTIVE", Warning,
        "A route uses a peering connection that will not be active after apply.",
        "Accept the peering (auto_accept within one account and Region, or an aws_vpc_peering_connection_accepter).";
    PEERING_UNDETERMINED = "PEERING_UNDETERMINED", Info,
        "Whether a peering connection will be accepted cannot be told from the input (cross-account or cross-Region without an accepter here).",
        "Add the accepter resource to this configuration, or accept the request in the peer account.";
    PEERING_ROUTE_ONE_SIDED = "PEERING_ROUTE_ONE_SIDED", Warning,
        "A peering connection is routed from one VPC only; replies from the other side have no way back.",
        "Add routes to the requester's CIDR blocks in the peer VPC's route tables.";
    DUPLICATE_PEERING = "DUPLICATE_PEERING", Error,
        "Two peering connections join the same two VPCs; AWS allows only one.",
        "Remove one of the peering connections.";
    REFUSED_BY_AWS = "REFUSED_BY_AWS", Error,
        "AWS (or the provider) will refuse to create this resource as configured, so terraform apply fails on it and it never exists: for example a route inside the VPC's own CIDR blocks to a target other than a NAT gateway, network interface, instance or Gateway Load Balancer endpoint, or a peering that sets both auto_accept and peer_region. The analysis goes on without it.",
        "Change the resource as the message says (remove the route or point it at a target AWS accepts; accept a cross-Region peering with an aws_vpc_peering_connection_accepter instead of auto_accept).";
    DUPLICATE_ROUTE = "DUPLICATE_ROUTE", Warning,
        "Two routes in one route table have the same destination; AWS refuses the second.",
        "Keep one route per destination in each route table.";
    INVALID_RESOURCE = "INVALID_RESOURCE", Error,
        "A resource has a value tfreach cannot read (for example a malformed CIDR block); it was skipped.",
        "Fix the value; AWS would refuse it as well.";
    UNSUPPORTED_RESOURCE = "UNSUPPORTED_RESOURCE", Info,
        "A network resource type that tfreach does not model yet; it was skipped.",
        "Verdicts that depend on it may be incomplete.";
    SUBNET_ACL_RESTRICTION = "SUBNET_ACL_RESTRICTION", Warning,
        "A network ACL denies the traffic where it leaves or enters a subnet (the message names the ACL and the rule that decided).",
        "Add an allow rule with a lower number than the deny that decides, for the traffic and for its replies (network ACLs are stateless: replies go to ephemeral ports 1024-65535).";
    TGW_ROUTE_AZ_RESTRICTION = "TGW_ROUTE_AZ_RESTRICTION", Warning,
        "The source subnet is in an Availability Zone where its VPC's transit gateway attachment has no subnet, so the transit gateway does not take its traffic.",
        "Add a subnet in that Availability Zone to the VPC attachment's subnet_ids.";
    TGW_ATTACH_VPC_AZ_RESTRICTION = "TGW_ATTACH_VPC_AZ_RESTRICTION", Info,
        "The attachment the traffic leaves the transit gateway by has no subnet in the zone it came from, and its subnets in other zones behave differently, so the path depends on the zone AWS picks.",
        "Give the attachment a subnet in every zone traffic comes from, or make its subnets use the same route table and network ACL.";
    TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION = "TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION", Warning,
        "The attachment the traffic enters the transit gateway by is associated with no transit gateway route table.",
        "Associate the attachment with a route table (aws_ec2_transit_gateway_route_table_association), or enable the transit gateway's default association.";
    TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT = "TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT", Warning,
        "The transit gateway route table associated with the ingress attachment has no route for the destination.",
        "Propagate the destination VPC's attachment into that route table, or add a static route (aws_ec2_transit_gateway_route).";
    TGW_RTB_BAD_STATE_ROUTE = "TGW_RTB_BAD_STATE_ROUTE", Warning,
        "The transit gateway route that matches the destination is a blackhole route, which drops the traffic.",
        "Remove the blackhole route, or make it less specific than the traffic that should pass.";
    TGW_RTB_ROUTES_ARE_UNKNOWN = "TGW_RTB_ROUTES_ARE_UNKNOWN", Warning,
        "A route of the transit gateway route table is not known until apply.",
        "Set the route's destination in the configuration, or accept an unknown verdict for this plan.";
    BAD_STATE_ATTACHMENT = "BAD_STATE_ATTACHMENT", Warning,
        "The transit gateway attachment will not be available (not accepted, or deleted).",
        "Accept the attachment (an accepter resource on the other side) or keep it.";
    TGW_APPLIANCE_MODE_DISABLED = "TGW_APPLIANCE_MODE_DISABLED", Warning,
        "An inspection VPC's transit gateway attachment does not enable appliance mode, and its zones hand traffic to different appliances: the two directions of a flow between zones can cross different appliances, which stateful appliances drop. Verdicts are not changed for it.",
        "Set appliance_mode_support = \"enable\" on the attachment, so the transit gateway keeps both directions of a flow on one appliance.";
    TGW_ATTACHMENT_IPV6_DISABLED = "TGW_ATTACHMENT_IPV6_DISABLED", Warning,
        "The transit gateway VPC attachment does not carry IPv6 traffic.",
        "Set ipv6_support = \"enable\" on the VPC attachments that IPv6 traffic crosses.";
    UNKNOWN_AVAILABILITY_ZONE = "UNKNOWN_AVAILABILITY_ZONE", Warning,
        "The Availability Zone of a subnet the path depends on is not known until apply.",
        "Set availability_zone (or availability_zone_id) on the subnet.";
    TGW_PROPAGATION_CONFLICT = "TGW_PROPAGATION_CONFLICT", Warning,
        "Several attachments propagate the same CIDR block into one transit gateway route table; AWS keeps only the route of the first, so which VPC gets the traffic depends on the order of creation.",
        "Give the VPCs distinct CIDR blocks, or use separate route tables.";
    TGW_PROPAGATED_ROUTES = "TGW_PROPAGATED_ROUTES", Info,
        "A VPN, Direct Connect or Connect attachment propagates routes into a transit gateway route table; their prefixes are not in the input and are assumed not to cover the input's VPCs.",
        "Check the on-premises prefixes announced to the transit gateway.";
    TRANSITIVE_GATEWAY_ENDPOINT = "TRANSITIVE_GATEWAY_ENDPOINT", Error,
        "A route sends an AWS service's traffic towards another VPC's gateway endpoint; a gateway endpoint serves only its own VPC, never traffic arriving over a peering connection, transit gateway or VPN.",
        "Create a gateway endpoint for the service in this VPC too (they cost nothing), or reach the service through an interface endpoint.";
    ENI_SG_RULES_MISMATCH = "ENI_SG_RULES_MISMATCH", Warning,
        "The security groups of the interface endpoint do not admit the traffic (HTTPS, tcp 443) from the subnet.",
        "Add an inbound rule for tcp 443 from the subnet's CIDR block to a security group of the endpoint.";
    VPCE_PRIVATELINK_ONE_WAY = "VPCE_PRIVATELINK_ONE_WAY", Info,
        "An interface endpoint connects a consumer VPC to an endpoint service of a provider VPC: the consumer can open connections to the service, the provider cannot open any to the consumer, and overlapping CIDR blocks do not matter.",
        "Nothing to fix; use a second endpoint service in the other direction if the provider must call the consumer.";
    ENDPOINT_NOT_MODELLED = "ENDPOINT_NOT_MODELLED", Info,
        "The path or service depends on something tfreach does not model (a load balancer behind an endpoint service, a security group whose members are outside the input).",
        "Check this part by hand.";
    ONPREM_RANGES_LEARNED_BY_BGP = "ONPREM_RANGES_LEARNED_BY_BGP", Info,
        "The on-premises network's address ranges are learned over BGP once the connection is up (a dynamic VPN, a Direct Connect gateway), so the input does not hold them and the pair cannot be decided.",
        "Name the network's ranges (--on-prem NAME=CIDR,...), or give the VPN static routes (static_routes_only with aws_vpn_connection_route, or transit gateway static routes to its attachment).";
    ONPREM_NO_STATIC_ROUTES = "ONPREM_NO_STATIC_ROUTES", Warning,
        "The VPN connection uses static routes only and the input gives it none, so nothing is routed to the on-premises network.",
        "Add aws_vpn_connection_route resources (virtual private gateway) or aws_ec2_transit_gateway_route entries to the VPN attachment (transit gateway) for the on-premises ranges.";
    ONPREM_GATEWAY_NOT_IN_VPC = "ONPREM_GATEWAY_NOT_IN_VPC", Warning,
        "The virtual private gateway of the on-premises connection is not attached to the subnet's VPC, so traffic between them has no way in or out.",
        "Attach the gateway to the VPC (vpc_id, or aws_vpn_gateway_attachment), or connect the VPC through a transit gateway that carries the connection.";
    ONPREM_FAMILY_NOT_CARRIED = "ONPREM_FAMILY_NOT_CARRIED", Warning,
        "The connection does not carry this address family: a VPN on a virtual private gateway carries IPv4 only, and a transit gateway VPN carries the family of its tunnels.",
        "Use a transit gateway VPN with tunnel_inside_ip_version = \"ipv6\" for IPv6 traffic, or Direct Connect.";
    ONPREM_PREFIX_NOT_ADVERTISED = "ONPREM_PREFIX_NOT_ADVERTISED", Warning,
        "The Direct Connect gateway association does not advertise the subnet's addresses to the on-premises network (allowed_prefixes), so on-premises has no route to them.",
        "Add a prefix that covers the VPC's block (virtual private gateway) or the subnet (transit gateway) to allowed_prefixes.";
    SG_EGRESS_DENIES = "SG_EGRESS_DENIES", Warning,
        "No outbound rule of the source workload's security groups admits the traffic to the destination (security groups only allow; what no rule names is refused).",
        "Add an egress rule to one of the source's groups for the protocol and port, naming the destination's group or its subnet's block.";
    SG_INGRESS_DENIES = "SG_INGRESS_DENIES", Warning,
        "No inbound rule of the destination workload's security groups admits the traffic from the source.",
        "Add an ingress rule to one of the destination's groups for the protocol and port, naming the source's group or its subnet's block.";
    SG_NOT_KNOWN = "SG_NOT_KNOWN", Info,
        "Whether a security group admits the traffic depends on something not known until apply or not in the input: a group, a rule, a prefix list's entries, or the address AWS gives the workload inside its subnet.",
        "Reference groups and prefix lists of the same configuration directly, or write rules for whole subnet blocks.";
    SG_REFERENCE_NEVER_MATCHES = "SG_REFERENCE_NEVER_MATCHES", Warning,
        "A security group rule names a group in another VPC that it cannot reference: such a reference works only within a VPC, over an active peering connection in the same Region, or over a transit gateway with security group referencing enabled on the gateway and on both attachments (inbound rules only). The rule never matches.",
        "Peer the VPCs in one Region, enable security_group_referencing_support on the transit gateway and its attachments, or name the other VPC's blocks instead.";
    SG_RULE_WIDER_THAN_ROUTES = "SG_RULE_WIDER_THAN_ROUTES", Info,
        "A security group rule names a block the routes of its workloads' subnets cannot deliver: no route leads to any address of it (the rule serves no connection), or it admits internet addresses inbound while the subnets route no public address back except through a NAT gateway or egress-only gateway (the internet can never open a connection it admits). Routes decide before security groups do.",
        "Narrow the rule to the blocks the routes reach (the VPC, its peers, on-premises ranges), or add the route the rule is meant for.";
    DEFAULT_SECURITY_GROUP = "DEFAULT_SECURITY_GROUP", Info,
        "A workload names no security group, so AWS gives it its VPC's default group (unless the input manages that group: all traffic in from the group's own members, all traffic out).",
        "Name the security groups the workload should have; the default group is shared by everything else that names none.";
    DEFAULT_EGRESS_REMOVED = "DEFAULT_EGRESS_REMOVED", Warning,
        "The workload's security groups have no outbound rule: AWS adds an allow-all egress rule to every new group, but the Terraform provider deletes it from each aws_security_group it creates, so the workload can open no connection.",
        "Write the egress the workload needs (an egress block, aws_vpc_security_group_egress_rule or aws_security_group_rule with type = \"egress\").";
    WORKLOAD_PLACE_UNKNOWN = "WORKLOAD_PLACE_UNKNOWN", Info,
        "Which subnets the workload is in is not known until apply (or they are not in the input), so pairs with it cannot be decided there.",
        "Reference the subnets (or the subnet group) directly, so that the plan shows the link.";
    PROPAGATED_ROUTES = "PROPAGATED_ROUTES", Info,
        "Route propagation from a virtual private gateway is on; the propagated prefixes are not in the input and are assumed not to cover other VPCs.",
        "Check the on-premises prefixes announced over the VPN or Direct Connect.";
}

/// Looks up a code's documentation.
pub fn lookup(code: &str) -> Option<&'static Code> {
    ALL.iter().find(|c| c.code == code)
}
