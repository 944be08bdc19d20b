//! Fix hints: one test per kind of change, each named after its fixture
//! under fixtures/rules/. Every hint's HCL is parsed (hcl-rs), every
//! resource it names must exist in the input (or be added by the same
//! fix), and the HCL itself, read back and applied to the model by the
//! small interpreter below, must make the pair reachable.

use tfreach::analysis::fix::{
    fixes, fixes_of_pairs, internet_fixes, onprem_fixes, workload_fixes, Fix,
};
use tfreach::analysis::internet::Gathered;
use tfreach::analysis::{evaluate_pair_flow, Detail};
use tfreach::ingest::View;
use tfreach::model::tgw::RouteIndex;
use tfreach::model::{
    AclRule, AttachmentKind, Dest, GatewayKind, Link, Model, Origin, Peering, PeeringState, Route,
    SgRule, Target, TgwRoute, TgwTarget, Verdict,
};
use tfreach::net::Prefix;

use crate::support::root;

fn model(name: &str) -> Model {
    let path = root().join("fixtures/rules").join(name).join("plan.json");
    let bytes = std::fs::read(&path).unwrap();
    let doc = tfreach::ingest::parse(&bytes, "fixture").unwrap();
    tfreach::model::build(&doc, View::Planned).model
}

fn subnet(m: &Model, address: &str) -> usize {
    m.subnets
        .iter()
        .position(|s| s.address == address)
        .unwrap_or_else(|| panic!("no subnet {address}"))
}

fn verdict(m: &Model, s: usize, d: usize) -> Verdict {
    evaluate_pair_flow(m, s, d, Detail::Reasons, None).verdict
}

/// Every resource address the model knows.
fn addresses(m: &Model) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(m.vpcs.iter().map(|x| x.address.clone()));
    out.extend(m.subnets.iter().map(|x| x.address.clone()));
    out.extend(m.route_tables.iter().map(|x| x.address.clone()));
    out.extend(m.peerings.iter().map(|x| x.address.clone()));
    out.extend(m.gateways.iter().map(|x| x.address.clone()));
    out.extend(m.network_acls.iter().map(|x| x.address.clone()));
    out.extend(m.transit_gateways.iter().map(|x| x.address.clone()));
    out.extend(m.tgw_route_tables.iter().map(|x| x.address.clone()));
    out.extend(m.tgw_attachments.iter().map(|x| x.address.clone()));
    out.extend(m.security_groups.iter().map(|x| x.address.clone()));
    out.extend(m.workloads.iter().map(|x| x.address.clone()));
    out.extend(
        m.route_tables
            .iter()
            .flat_map(|t| t.routes.iter().map(|r| r.resource.clone())),
    );
    out
}

/// The text of an expression: a string literal's value, or the expression
/// as HCL (`aws_route_table.a.id`).
fn text(e: &hcl::Expression) -> String {
    match e {
        hcl::Expression::String(s) => s.clone(),
        other => hcl::format::to_string(other).unwrap(),
    }
}

/// The address a reference names (`aws_vpc.a.id` -> `aws_vpc.a`, in the
/// change's module), checked to exist or to be new in the same fix.
fn referent(expr: &str, module: &str, known: &[String]) -> String {
    let (base, attr) = expr.rsplit_once('.').expect("a reference has an attribute");
    assert!(
        !base.starts_with("var."),
        "{expr}: a variable, not a resource"
    );
    if attr == "cluster_security_group_id" {
        // The group EKS creates for a cluster.
        let cluster = base
            .strip_suffix(".vpc_config[0]")
            .expect("the cluster group is read from vpc_config");
        let c = referent(&format!("{cluster}.id"), module, known);
        return format!("{c} (cluster security group)");
    }
    if attr == "default_security_group_id" {
        let vpc = referent(&format!("{base}.id"), module, known);
        return format!("{vpc} (default security group)");
    }
    if attr == "main_route_table_id" {
        let vpc = referent(&format!("{base}.id"), module, known);
        return format!("{vpc} (main route table)");
    }
    if let Some(role) = attr.strip_suffix("_default_route_table_id") {
        // The gateway's default table: one table, or one per role.
        let tgw = referent(&format!("{base}.id"), module, known);
        let one = format!("{tgw} (default route table)");
        return if known.contains(&one) {
            one
        } else {
            format!("{tgw} (default {role} route table)")
        };
    }
    let full = if module.is_empty() {
        base.to_string()
    } else {
        format!("{module}.{base}")
    };
    assert!(
        known.contains(&full),
        "the hint names {full}, which is neither in the input nor added by the fix"
    );
    full
}

fn attr(body: &hcl::Body, key: &str) -> Option<String> {
    body.attributes()
        .find(|a| a.key() == key)
        .map(|a| text(a.expr()))
}

/// Applies a fix by reading its HCL, as Terraform would, and returns the
/// changed model. Panics when the HCL does not parse or names a resource
/// that does not exist.
fn apply_hcl(base: &Model, fix: &Fix) -> Model {
    let mut m = base.clone();
    let mut known = addresses(&m);
    for c in &fix.changes {
        let body = hcl::parse(&c.hcl).unwrap_or_else(|e| panic!("{}: {e}\n{}", c.kind, c.hcl));
        // New resources first, so that later changes may name them.
        for b in body.blocks().filter(|b| b.identifier() == "resource") {
            let labels: Vec<&str> = b.labels().iter().map(|l| l.as_str()).collect();
            let local = format!("{}.{}", labels[0], labels[1]);
            let address = if c.module.is_empty() {
                local
            } else {
                format!("{}.{local}", c.module)
            };
            known.push(address);
        }
        let full = |address: &str| -> String {
            if c.module.is_empty() {
                address.to_string()
            } else {
                format!("{}.{address}", c.module)
            }
        };
        let target = |m: &Model, body: &hcl::Body, known: &[String]| -> Target {
            if let Some(p) = attr(body, "vpc_peering_connection_id") {
                let a = referent(&p, &c.module, known);
                let i = m.peerings.iter().position(|x| x.address == a).unwrap();
                Target::Peering(Link::To(i))
            } else if let Some((_, g)) = ["gateway_id", "nat_gateway_id", "egress_only_gateway_id"]
                .iter()
                .find_map(|k| Some((k, attr(body, k)?)))
            {
                let a = referent(&g, &c.module, known);
                let i = m.gateways.iter().position(|x| x.address == a).unwrap();
                Target::Gateway {
                    kind: m.gateways[i].kind,
                    link: Link::To(i),
                    label: a,
                }
            } else {
                let t = attr(body, "transit_gateway_id").expect("a target");
                let a = referent(&t, &c.module, known);
                let g = m.gateways.iter().position(|x| x.address == a).unwrap();
                Target::Gateway {
                    kind: GatewayKind::TransitGateway,
                    link: Link::To(g),
                    label: a,
                }
            }
        };
        match c.kind {
            "add_peering" => {
                let b = body.blocks().next().unwrap();
                let labels: Vec<&str> = b.labels().iter().map(|l| l.as_str()).collect();
                assert_eq!(labels[0], "aws_vpc_peering_connection");
                assert_eq!(attr(b.body(), "auto_accept").as_deref(), Some("true"));
                let vpc = |k: &str| {
                    let a = referent(&attr(b.body(), k).unwrap(), &c.module, &known);
                    m.vpcs.iter().position(|v| v.address == a).unwrap()
                };
                let (x, y) = (vpc("vpc_id"), vpc("peer_vpc_id"));
                for p in m.vpcs[x].cidrs.all() {
                    for q in m.vpcs[y].cidrs.all() {
                        assert!(!p.overlaps(q), "a peering between overlapping VPCs");
                    }
                }
                m.peerings.push(Peering {
                    address: full(&format!("{}.{}", labels[0], labels[1])),
                    aws_id: None,
                    requester: Link::To(x),
                    accepter: Link::To(y),
                    state: PeeringState::Active,
                    accepter_resource: None,
                });
            }
            "add_route" => {
                let b = body.blocks().next().unwrap();
                let (ti, dest) = if b.identifier() == "route" {
                    // An inline block for the table the description names.
                    let ti = m
                        .route_tables
                        .iter()
                        .position(|t| c.description.contains(&format!("to {} (", t.address)))
                        .unwrap();
                    let d =
                        attr(b.body(), "cidr_block").or_else(|| attr(b.body(), "ipv6_cidr_block"));
                    (ti, d.unwrap())
                } else {
                    let t = referent(
                        &attr(b.body(), "route_table_id").unwrap(),
                        &c.module,
                        &known,
                    );
                    let ti = m.route_tables.iter().position(|x| x.address == t).unwrap();
                    let d = attr(b.body(), "destination_cidr_block")
                        .or_else(|| attr(b.body(), "destination_ipv6_cidr_block"));
                    (ti, d.unwrap())
                };
                let dest: Prefix = dest.parse().unwrap();
                let vpc = m.route_tables[ti].vpc.index().unwrap();
                assert!(
                    !m.vpcs[vpc].cidrs.all().any(|own| own.contains(&dest)),
                    "a route inside the VPC's own block, which AWS refuses"
                );
                assert!(
                    !m.route_tables[ti]
                        .routes
                        .iter()
                        .any(|r| r.dest == Dest::Cidr(dest)),
                    "a second route for one destination, which AWS refuses"
                );
                let target = target(&m, b.body(), &known);
                m.route_tables[ti].routes.push(Route {
                    resource: full("aws_route.hint"),
                    dest: Dest::Cidr(dest),
                    target,
                    origin: Origin::Static,
                });
            }
            "change_route_target" => {
                // The route to change is the one the description names.
                let (ti, ri) = m
                    .route_tables
                    .iter()
                    .enumerate()
                    .flat_map(|(ti, t)| t.routes.iter().enumerate().map(move |(ri, r)| (ti, ri, r)))
                    .find(|(_, _, r)| {
                        let Dest::Cidr(p) = r.dest else { return false };
                        let named = [",", " ("]
                            .iter()
                            .any(|end| c.description.contains(&format!("in {}{end}", r.resource)));
                        let dest = [" ", ")"]
                            .iter()
                            .any(|end| c.description.contains(&format!("for {p}{end}")));
                        named && dest
                    })
                    .map(|(ti, ri, _)| (ti, ri))
                    .unwrap_or_else(|| panic!("no route matches: {}", c.description));
                let inner = body.blocks().find(|b| b.identifier() == "route");
                let t = target(&m, inner.map_or(&body, |b| b.body()), &known);
                m.route_tables[ti].routes[ri].target = t;
            }
            "accept_peering" => {
                let i = m
                    .peerings
                    .iter()
                    .position(|p| c.description.contains(&p.address))
                    .unwrap();
                match body.blocks().next() {
                    None => assert_eq!(attr(&body, "auto_accept").as_deref(), Some("true")),
                    Some(b) => {
                        let a = referent(
                            &attr(b.body(), "vpc_peering_connection_id").unwrap(),
                            &c.module,
                            &known,
                        );
                        assert_eq!(a, m.peerings[i].address);
                    }
                }
                m.peerings[i].state = PeeringState::Active;
            }
            "change_peering" => {
                // Goes with an accepter in the same fix; alone it accepts
                // nothing.
                assert_eq!(attr(&body, "auto_accept").as_deref(), Some("false"));
                assert!(fix.changes.iter().any(|x| x.kind == "accept_peering"));
            }
            "add_network_acl_rule" => {
                let (acl, egress, rb, num, action) = match body.blocks().next() {
                    Some(b) if b.identifier() == "resource" => {
                        let a = referent(
                            &attr(b.body(), "network_acl_id").unwrap(),
                            &c.module,
                            &known,
                        );
                        (
                            a,
                            attr(b.body(), "egress").as_deref() == Some("true"),
                            b.body().clone(),
                            "rule_number",
                            "rule_action",
                        )
                    }
                    Some(b) => {
                        let a = m
                            .network_acls
                            .iter()
                            .find(|a| c.description.contains(&format!("to {} ", a.address)))
                            .unwrap()
                            .address
                            .clone();
                        (
                            a,
                            b.identifier() == "egress",
                            b.body().clone(),
                            "rule_no",
                            "action",
                        )
                    }
                    None => panic!("an ACL rule without a block"),
                };
                assert_eq!(attr(&rb, action).as_deref(), Some("allow"));
                let number: u32 = attr(&rb, num).unwrap().parse().unwrap();
                let protocol = attr(&rb, "protocol").unwrap();
                let lo: u16 = attr(&rb, "from_port").unwrap().parse().unwrap();
                let hi: u16 = attr(&rb, "to_port").unwrap().parse().unwrap();
                let cidr: Prefix = attr(&rb, "cidr_block")
                    .or_else(|| attr(&rb, "ipv6_cidr_block"))
                    .unwrap()
                    .parse()
                    .unwrap();
                let flows = match protocol.as_str() {
                    "-1" => tfreach::model::FlowSet::all(),
                    "tcp" => tfreach::model::FlowSet::ports(6, lo, hi),
                    "udp" => tfreach::model::FlowSet::ports(17, lo, hi),
                    "icmp" => tfreach::model::FlowSet::protocol(1),
                    "icmpv6" => tfreach::model::FlowSet::protocol(58),
                    other => panic!("protocol {other}"),
                };
                let ai = m
                    .network_acls
                    .iter()
                    .position(|a| a.address == acl)
                    .unwrap();
                let list = if egress {
                    &mut m.network_acls[ai].egress
                } else {
                    &mut m.network_acls[ai].ingress
                };
                assert!(list.iter().all(|r| r.number != number), "rule number taken");
                list.push(AclRule {
                    number,
                    allow: true,
                    cidr: Some(cidr),
                    flows,
                    unknown: None,
                    resource: acl.clone(),
                });
                list.sort_by_key(|r| r.number);
            }
            "associate_tgw_route_table" => {
                let b = body.blocks().next().unwrap();
                let at = |k: &str| referent(&attr(b.body(), k).unwrap(), &c.module, &known);
                let (att, table) = (
                    at("transit_gateway_attachment_id"),
                    at("transit_gateway_route_table_id"),
                );
                let a = tgw_attachment(&m, &att);
                let t = tgw_table(&m, &table);
                let g = m.tgw_route_tables[t].tgw.unwrap();
                assert_eq!(
                    *m.tgw_attachments[a].association(g),
                    Link::None,
                    "an attachment associated with a second table, which AWS refuses"
                );
                let list = &mut m.tgw_attachments[a].associations;
                list.retain(|(x, _)| *x != g);
                list.push((g, Link::To(t)));
            }
            "add_tgw_propagation" | "add_tgw_route" => {
                let b = body.blocks().next().unwrap();
                let at = |k: &str| referent(&attr(b.body(), k).unwrap(), &c.module, &known);
                let a = tgw_attachment(&m, &at("transit_gateway_attachment_id"));
                let t = tgw_table(&m, &at("transit_gateway_route_table_id"));
                let propagated = c.kind == "add_tgw_propagation";
                let dests: Vec<Prefix> = if propagated {
                    assert_eq!(m.tgw_attachments[a].kind, AttachmentKind::Vpc);
                    let v = m.tgw_attachments[a].vpc.index().unwrap();
                    m.vpcs[v].cidrs.v4.clone()
                } else {
                    let d: Prefix = attr(b.body(), "destination_cidr_block")
                        .unwrap()
                        .parse()
                        .unwrap();
                    assert!(
                        !m.tgw_route_tables[t]
                            .routes
                            .iter()
                            .any(|r| !r.propagated && r.dest == Dest::Cidr(d)),
                        "a second static route for one destination, which AWS refuses"
                    );
                    vec![d]
                };
                let table = &mut m.tgw_route_tables[t];
                for d in dests {
                    table.routes.push(TgwRoute {
                        resource: full("hint"),
                        dest: Dest::Cidr(d),
                        target: TgwTarget::Attachment(a),
                        propagated,
                    });
                }
                table.index = RouteIndex::build(&table.routes);
            }
            "associate_route_table" => {
                let b = body.blocks().next().unwrap();
                let at = |k: &str| referent(&attr(b.body(), k).unwrap(), &c.module, &known);
                let (sn, table) = (at("subnet_id"), at("route_table_id"));
                let s = subnet(&m, &sn);
                assert!(
                    !m.subnets[s].explicit_association,
                    "a second association for one subnet, which AWS refuses"
                );
                let t = m
                    .route_tables
                    .iter()
                    .position(|x| x.address == table)
                    .unwrap();
                assert_eq!(m.route_tables[t].vpc, m.subnets[s].vpc);
                m.subnets[s].route_table = Link::To(t);
                m.subnets[s].explicit_association = true;
            }
            "add_security_group_rule" => {
                let b = body.blocks().next().unwrap();
                let inline = b.identifier() != "resource";
                let (group, egress) = if inline {
                    // A block for the group the description names.
                    let g = m
                        .security_groups
                        .iter()
                        .position(|g| c.description.starts_with(&format!("let {} ", g.address)))
                        .unwrap();
                    (g, b.identifier() == "egress")
                } else {
                    let labels: Vec<&str> = b.labels().iter().map(|l| l.as_str()).collect();
                    let a = referent(
                        &attr(b.body(), "security_group_id").unwrap(),
                        &c.module,
                        &known,
                    );
                    let g = m
                        .security_groups
                        .iter()
                        .position(|g| g.address == a)
                        .unwrap();
                    (g, labels[0] == "aws_vpc_security_group_egress_rule")
                };
                let rb = b.body();
                let protocol = attr(rb, "ip_protocol")
                    .or_else(|| attr(rb, "protocol"))
                    .unwrap();
                let port = |k: &str| attr(rb, k).map(|v| v.parse::<u16>().unwrap());
                let flows = match protocol.as_str() {
                    "-1" => tfreach::model::FlowSet::all(),
                    "tcp" => tfreach::model::FlowSet::ports(
                        6,
                        port("from_port").unwrap(),
                        port("to_port").unwrap(),
                    ),
                    "udp" => tfreach::model::FlowSet::ports(
                        17,
                        port("from_port").unwrap(),
                        port("to_port").unwrap(),
                    ),
                    other => panic!("protocol {other}"),
                };
                let peer_group = attr(rb, "referenced_security_group_id")
                    .or_else(|| attr(rb, "security_groups").map(|l| list_item(&l)));
                let (cidr, group_link, peer) = match peer_group {
                    Some(r) => {
                        let a = referent(&r, &c.module, &known);
                        let i = m
                            .security_groups
                            .iter()
                            .position(|g| g.address == a)
                            .unwrap();
                        (None, Some(Link::To(i)), Some(a))
                    }
                    None => {
                        let c = attr(rb, "cidr_ipv4")
                            .or_else(|| attr(rb, "cidr_ipv6"))
                            .or_else(|| {
                                attr(rb, "cidr_blocks")
                                    .map(|l| l.trim_matches(['[', ']', ' ', '"']).to_string())
                            })
                            .unwrap();
                        (Some(c.parse::<Prefix>().unwrap()), None, None)
                    }
                };
                let g = &mut m.security_groups[group];
                let list = if egress {
                    &mut g.egress
                } else {
                    &mut g.ingress
                };
                list.push(SgRule {
                    cidr,
                    peer,
                    group: group_link,
                    self_ref: false,
                    prefix_list: None,
                    flows,
                    unknown: None,
                    resource: full("hint"),
                });
            }
            other => panic!("unknown kind {other}"),
        }
    }
    m
}

fn tgw_attachment(m: &Model, address: &str) -> usize {
    m.tgw_attachments
        .iter()
        .position(|x| x.address == address)
        .unwrap_or_else(|| panic!("no attachment {address}"))
}

fn tgw_table(m: &Model, address: &str) -> usize {
    m.tgw_route_tables
        .iter()
        .position(|x| x.address == address)
        .unwrap_or_else(|| panic!("no transit gateway route table {address}"))
}

/// The fixes of a pair; each, applied through its HCL, makes the pair
/// reachable.
fn checked(name: &str, from: &str, to: &str) -> (Model, Vec<Fix>) {
    let m = model(name);
    let (s, d) = (subnet(&m, from), subnet(&m, to));
    assert_ne!(verdict(&m, s, d), Verdict::Reachable, "{from} -> {to}");
    let list = fixes(&m, s, d, None);
    assert!(!list.is_empty(), "{name}: no fix for {from} -> {to}");
    for w in list.windows(2) {
        assert!(w[0].cost <= w[1].cost, "cheapest first");
    }
    for f in &list {
        assert_eq!(f.cost, f.changes.len());
        let fixed = apply_hcl(&m, f);
        assert_eq!(
            verdict(&fixed, s, d),
            Verdict::Reachable,
            "{name}: {from} -> {to}: {} leaves the pair unreachable",
            f.summary
        );
    }
    (m, list)
}

fn egress(m: &Model, s: usize) -> Verdict {
    let g = Gathered::of(m);
    tfreach::analysis::internet::egress(m, s, &g, None, Detail::Reasons)
        .0
        .verdict
}

/// The fixes of a subnet towards the internet; each, applied through its
/// HCL, makes the pair reachable.
fn checked_internet(name: &str, from: &str) -> (Model, Vec<Fix>) {
    let m = model(name);
    let s = subnet(&m, from);
    assert_ne!(egress(&m, s), Verdict::Reachable, "{from} -> internet");
    let list = internet_fixes(&m, s, None);
    assert!(!list.is_empty(), "{name}: no fix for {from} -> internet");
    for f in &list {
        let fixed = apply_hcl(&m, f);
        assert_eq!(
            egress(&fixed, s),
            Verdict::Reachable,
            "{name}: {from} -> internet: {} leaves the pair unreachable",
            f.summary
        );
    }
    (m, list)
}

/// The one item of a list expression's text (`[x]`, over several lines).
fn list_item(list: &str) -> String {
    let item = list.trim_matches(|c: char| c == '[' || c == ']' || c == ',' || c.is_whitespace());
    assert!(!item.contains(','), "one item: {list}");
    item.to_string()
}

fn workload(m: &Model, address: &str) -> usize {
    m.workloads
        .iter()
        .position(|w| w.address == address)
        .unwrap_or_else(|| panic!("no workload {address}"))
}

fn workload_verdict(m: &Model, a: usize, b: usize) -> Verdict {
    tfreach::analysis::workloads::evaluate(m, &[a], &[b], None)
        .pop()
        .unwrap()
        .verdict
}

fn kinds(f: &Fix) -> Vec<&'static str> {
    f.changes.iter().map(|c| c.kind).collect()
}

#[test]
fn fix_route_into_active_peering() {
    // The return route is missing: one route in B's table.
    let (_, list) = checked(
        "fix_route_into_active_peering",
        "aws_subnet.a_app",
        "aws_subnet.b_app",
    );
    assert_eq!(kinds(&list[0]), ["add_route"]);
    assert!(list[0].changes[0]
        .hcl
        .contains("route_table_id            = aws_route_table.b.id"));
    assert!(list[0].changes[0].hcl.contains("\"10.0.0.0/16\""));
    assert!(list[0].changes[0]
        .hcl
        .contains("aws_vpc_peering_connection.a_b.id"));
    // The forward route is missing the other way: the same route.
    let (_, back) = checked(
        "fix_route_into_active_peering",
        "aws_subnet.b_app",
        "aws_subnet.a_app",
    );
    assert_eq!(back[0].changes[0].hcl, list[0].changes[0].hcl);
}

#[test]
fn fix_route_into_shared_transit_gateway() {
    let (_, list) = checked(
        "fix_route_into_shared_transit_gateway",
        "aws_subnet.a_app",
        "aws_subnet.b_app",
    );
    assert_eq!(kinds(&list[0]), ["add_route"]);
    assert!(list[0].changes[0]
        .hcl
        .contains("aws_ec2_transit_gateway.main.id"));
    assert!(list[0].changes[0].hcl.contains("aws_route_table.b.id"));
}

#[test]
fn fix_accept_pending_peering() {
    let (_, list) = checked(
        "fix_accept_pending_peering",
        "aws_subnet.a_app",
        "aws_subnet.b_app",
    );
    assert_eq!(kinds(&list[0]), ["accept_peering"]);
    assert_eq!(list[0].changes[0].hcl, "auto_accept = true\n");
    assert!(list[0].changes[0]
        .description
        .contains("aws_vpc_peering_connection.a_b"));
    // The other direction gains from the same change, and says so.
    assert!(list[0]
        .alters
        .iter()
        .any(|a| a.from == "aws_subnet.b_app" && a.after == Verdict::Reachable));
}

#[test]
fn fix_network_acl_rule() {
    let (_, list) = checked("fix_network_acl_rule", "aws_subnet.client", "aws_subnet.db");
    let best = &list[0];
    assert!(kinds(best).iter().all(|k| *k == "add_network_acl_rule"));
    let hcl: String = best.changes.iter().map(|c| c.hcl.as_str()).collect();
    // The client's standalone rules get a standalone rule before its deny
    // (50); the database's inline rules an inline block before its deny
    // (100), and the replies' ephemeral ports on the way out.
    assert!(hcl.contains("resource \"aws_network_acl_rule\""), "{hcl}");
    assert!(hcl.contains("rule_number    = 49"), "{hcl}");
    assert!(hcl.contains("ingress {"), "{hcl}");
    assert!(hcl.contains("rule_no    = 99"), "{hcl}");
    assert!(hcl.contains("from_port  = 1024"), "{hcl}");
    assert!(hcl.contains("to_port    = 65535"), "{hcl}");
}

#[test]
fn fix_transitive_peering_options() {
    let (_, list) = checked(
        "fix_transitive_peering_options",
        "aws_subnet.a_app",
        "aws_subnet.c_app",
    );
    // The two honest options: the transit gateway all three share (two
    // routes changed), and a direct peering with routes both sides.
    let tgw = list
        .iter()
        .find(|f| {
            f.changes
                .iter()
                .all(|c| c.hcl.contains("transit_gateway_id"))
        })
        .expect("the transit gateway option");
    assert_eq!(tgw.cost, 2);
    let peer = list
        .iter()
        .find(|f| kinds(f).contains(&"add_peering"))
        .expect("the direct peering option");
    assert_eq!(peer.cost, 3);
    assert!(peer.changes[0].hcl.contains("vpc_id      = aws_vpc.a.id"));
    assert!(peer.changes[0].hcl.contains("peer_vpc_id = aws_vpc.c.id"));
    // No hint keeps relying on B: no route into a peering with B.
    for f in &list {
        for c in &f.changes {
            assert!(
                !c.hcl.contains("aws_vpc_peering_connection.a_b"),
                "{}",
                c.hcl
            );
            assert!(
                !c.hcl.contains("aws_vpc_peering_connection.b_c"),
                "{}",
                c.hcl
            );
        }
    }
}

#[test]
fn fix_tgw_route_table_association() {
    // A's attachment is associated with no route table: associate it with
    // the table both attachments propagate into.
    let (_, list) = checked(
        "fix_tgw_route_table_association",
        "aws_subnet.a_app",
        "aws_subnet.b_app",
    );
    assert_eq!(kinds(&list[0]), ["associate_tgw_route_table"]);
    let hcl = &list[0].changes[0].hcl;
    assert!(
        hcl.contains("aws_ec2_transit_gateway_vpc_attachment.a.id"),
        "{hcl}"
    );
    assert!(
        hcl.contains("aws_ec2_transit_gateway_route_table.main.id"),
        "{hcl}"
    );
    // The reply direction is repaired by the same association.
    assert!(list[0]
        .alters
        .iter()
        .any(|a| a.from == "aws_subnet.b_app" && a.after == Verdict::Reachable));
}

#[test]
fn fix_tgw_route_propagation() {
    // The table has no route to B: propagate B's attachment into it, or
    // (the other hint) a static route for B's block.
    let (_, list) = checked(
        "fix_tgw_route_propagation",
        "aws_subnet.a_app",
        "aws_subnet.b_app",
    );
    assert_eq!(kinds(&list[0]), ["add_tgw_propagation"]);
    assert!(list[0].changes[0]
        .hcl
        .contains("aws_ec2_transit_gateway_vpc_attachment.b.id"));
    let stat = list
        .iter()
        .find(|f| kinds(f) == ["add_tgw_route"])
        .expect("the static route option");
    assert!(stat.changes[0].hcl.contains("\"10.1.0.0/16\""));
}

#[test]
fn fix_tgw_static_route_across_peering() {
    // A peering attachment takes static routes only: a route for B's block
    // into it in east's default table; never a propagation of it.
    let (_, list) = checked(
        "fix_tgw_static_route_across_peering",
        "aws_subnet.a_app",
        "aws_subnet.b_app",
    );
    assert_eq!(kinds(&list[0]), ["add_tgw_route"]);
    let hcl = &list[0].changes[0].hcl;
    assert!(
        hcl.contains("aws_ec2_transit_gateway_peering_attachment.east_west.id"),
        "{hcl}"
    );
    assert!(
        hcl.contains("aws_ec2_transit_gateway.east.association_default_route_table_id"),
        "{hcl}"
    );
    assert!(list
        .iter()
        .all(|f| !kinds(f).contains(&"add_tgw_propagation")));
}

#[test]
fn fix_route_table_association() {
    // The new subnet sits on the VPC's main table, which has no route to
    // B: associate it with A's table (the other hint adds the route to
    // the main table).
    let (m, list) = checked(
        "fix_route_table_association",
        "aws_subnet.a_new",
        "aws_subnet.b_app",
    );
    let assoc = list
        .iter()
        .find(|f| kinds(f) == ["associate_route_table"])
        .expect("the association option");
    let hcl = &assoc.changes[0].hcl;
    assert!(
        hcl.contains("subnet_id      = aws_subnet.a_new.id"),
        "{hcl}"
    );
    assert!(
        hcl.contains("route_table_id = aws_route_table.a.id"),
        "{hcl}"
    );
    // The reverse pair (the reply leaves by the main table) gets the same
    // association; no hint anywhere associates a subnet twice (apply_hcl
    // asserts it).
    let (s, d) = (
        subnet(&m, "aws_subnet.b_app"),
        subnet(&m, "aws_subnet.a_new"),
    );
    assert!(fixes(&m, s, d, None)
        .iter()
        .any(|f| f.changes[0].hcl == *hcl));
}

#[test]
fn fix_internet_gateway_default_route() {
    let (_, list) = checked_internet("fix_internet_gateway_default_route", "aws_subnet.public");
    assert_eq!(kinds(&list[0]), ["add_route"]);
    let hcl = &list[0].changes[0].hcl;
    assert!(
        hcl.contains("destination_cidr_block = \"0.0.0.0/0\""),
        "{hcl}"
    );
    assert!(
        hcl.contains("gateway_id             = aws_internet_gateway.main.id"),
        "{hcl}"
    );
    assert!(
        hcl.contains("route_table_id         = aws_route_table.public.id"),
        "{hcl}"
    );
}

#[test]
fn fix_nat_gateway_route_for_private_subnet() {
    // The internet gateway is a candidate too, but a subnet without public
    // addresses stays blocked behind it: only the NAT gateway route is
    // offered.
    let (_, list) = checked_internet(
        "fix_nat_gateway_route_for_private_subnet",
        "aws_subnet.private",
    );
    assert_eq!(list.len(), 1);
    let hcl = &list[0].changes[0].hcl;
    assert!(
        hcl.contains("nat_gateway_id         = aws_nat_gateway.main.id"),
        "{hcl}"
    );
    assert!(!hcl.contains("aws_internet_gateway"), "{hcl}");
}

#[test]
fn fix_security_group_rule_for_workload_pair() {
    // One inbound rule in the database's group, for the port it serves,
    // referencing the app's group (one VPC: AWS allows the reference).
    let m = model("fix_security_group_rule_for_workload_pair");
    let (a, b) = (
        workload(&m, "aws_instance.app"),
        workload(&m, "aws_db_instance.main"),
    );
    assert_eq!(workload_verdict(&m, a, b), Verdict::Blocked);
    let list = workload_fixes(&m, a, b, None);
    assert_eq!(list.len(), 1);
    assert_eq!(kinds(&list[0]), ["add_security_group_rule"]);
    let hcl = &list[0].changes[0].hcl;
    assert!(
        hcl.contains("resource \"aws_vpc_security_group_ingress_rule\""),
        "{hcl}"
    );
    assert!(
        hcl.contains("referenced_security_group_id = aws_security_group.app.id"),
        "{hcl}"
    );
    assert!(hcl.contains("from_port                    = 5432"), "{hcl}");
    let fixed = apply_hcl(&m, &list[0]);
    assert_eq!(workload_verdict(&fixed, a, b), Verdict::Reachable);
}

#[test]
fn fix_vpn_routes_for_subnet() {
    // One route per office range to the VPC's virtual private gateway; one
    // alone leaves the pair partial, so the fix holds both.
    let m = model("fix_vpn_routes_for_subnet");
    let s = subnet(&m, "aws_subnet.app");
    let n = m
        .on_prem
        .iter()
        .position(|n| n.address == "aws_vpn_connection.office")
        .unwrap();
    let to_office = |m: &Model| {
        tfreach::analysis::onprem::to_onprem(m, s, n, None, Detail::Reasons)
            .0
            .verdict
    };
    assert_eq!(to_office(&m), Verdict::Blocked);
    let list = onprem_fixes(&m, s, n, None);
    assert_eq!(list.len(), 1);
    assert_eq!(kinds(&list[0]), ["add_route", "add_route"]);
    for c in &list[0].changes {
        assert!(
            c.hcl
                .contains("gateway_id             = aws_vpn_gateway.main.id"),
            "{}",
            c.hcl
        );
    }
    let fixed = apply_hcl(&m, &list[0]);
    assert_eq!(to_office(&fixed), Verdict::Reachable);
}

#[test]
fn fix_hints_are_empty_for_a_reachable_pair() {
    let m = model("fix_route_into_active_peering");
    let (s, d) = (
        subnet(&m, "aws_subnet.a_app"),
        subnet(&m, "aws_subnet.b_app"),
    );
    let fixed = fixes(&m, s, d, None);
    let repaired = apply_hcl(&m, &fixed[0]);
    assert!(fixes(&repaired, s, d, None).is_empty());
}

/// The hints of many pairs, searched one after the other on one working
/// copy of the model (one thread), are the hints of each pair searched
/// alone: every search leaves the copy as it found it.
#[test]
fn hints_searched_in_turn_equal_hints_searched_alone() {
    let mut compared = 0;
    for name in [
        "fix_transitive_peering_options",
        "fix_network_acl_rule",
        "fix_tgw_route_table_association",
        "fix_tgw_static_route_across_peering",
        "fix_route_table_association",
        "fix_nat_gateway_route_for_private_subnet",
    ] {
        let m = model(name);
        let n = m.subnets.len();
        let mut pairs: Vec<(usize, Option<usize>)> = (0..n)
            .flat_map(|s| (0..n).filter(move |&d| d != s).map(move |d| (s, Some(d))))
            .collect();
        pairs.extend((0..n).map(|s| (s, None)));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let together = pool.install(|| fixes_of_pairs(&m, &pairs, None));
        for (&(s, d), got) in pairs.iter().zip(&together) {
            let alone = match d {
                Some(d) => fixes(&m, s, d, None),
                None => internet_fixes(&m, s, None),
            };
            assert_eq!(got, &alone, "{name}: {s} -> {d:?}");
            compared += alone.len();
        }
    }
    assert!(compared >= 10, "only {compared} hints compared");
}

/// Every hint tfreach gives on the rule fixtures (up to a few pairs each)
/// parses as HCL, names only resources of the input or of the same fix, and
/// makes its pair reachable when read back and applied.
#[test]
fn every_hint_on_the_rule_fixtures_parses_and_applies() {
    let mut checked_fixes = 0;
    let mut dirs: Vec<_> = std::fs::read_dir(root().join("fixtures/rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("plan.json").exists())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let m = model(&name);
        let n = m.subnets.len();
        let pairs = (0..n)
            .flat_map(|s| (0..n).map(move |d| (s, d)))
            .filter(|&(s, d)| s != d && verdict(&m, s, d) != Verdict::Reachable)
            .take(6);
        // Workload pairs that are not reachable.
        let nw = m.workloads.len();
        let wpairs: Vec<(usize, usize)> = (0..nw)
            .flat_map(|a| (0..nw).map(move |b| (a, b)))
            .filter(|&(a, b)| a != b && workload_verdict(&m, a, b) != Verdict::Reachable)
            .take(6)
            .collect();
        for (a, b) in wpairs {
            for f in workload_fixes(&m, a, b, None) {
                let fixed = apply_hcl(&m, &f);
                assert_eq!(
                    workload_verdict(&fixed, a, b),
                    Verdict::Reachable,
                    "{name}: {} -> {}: {}",
                    m.workloads[a].address,
                    m.workloads[b].address,
                    f.summary
                );
                checked_fixes += 1;
            }
        }
        // Subnets that cannot reach the internet, where the input has one.
        if tfreach::analysis::internet::present(&m) {
            let out = (0..n)
                .filter(|&s| egress(&m, s) != Verdict::Reachable)
                .take(3);
            for s in out {
                for f in internet_fixes(&m, s, None) {
                    if f.note.as_deref().is_some_and(|n| n.contains("as variable")) {
                        continue;
                    }
                    let fixed = apply_hcl(&m, &f);
                    assert_eq!(
                        egress(&fixed, s),
                        Verdict::Reachable,
                        "{name}: {} -> internet: {}",
                        m.subnets[s].address,
                        f.summary
                    );
                    checked_fixes += 1;
                }
            }
        }
        for (s, d) in pairs {
            for f in fixes(&m, s, d, None) {
                // A hint that passes an ID into a module as a variable
                // cannot be applied here; it still has to parse.
                if f.note.as_deref().is_some_and(|n| n.contains("as variable")) {
                    for c in &f.changes {
                        hcl::parse(&c.hcl).unwrap_or_else(|e| panic!("{name}: {e}"));
                    }
                    continue;
                }
                let fixed = apply_hcl(&m, &f);
                assert_eq!(
                    verdict(&fixed, s, d),
                    Verdict::Reachable,
                    "{name}: {} -> {}: {}",
                    m.subnets[s].address,
                    m.subnets[d].address,
                    f.summary
                );
                checked_fixes += 1;
            }
        }
    }
    assert!(checked_fixes >= 20, "only {checked_fixes} hints checked");
}

/// In an estate of several documents, every hint's HCL parses, names no
/// document label (a reference reaches only its own configuration: a
/// resource of another document is named by its ID or a variable), and
/// each change says which document's configuration it goes in.
#[test]
fn estate_hints_stay_within_one_documents_configuration() {
    let mut seen = 0;
    let mut dirs: Vec<_> = std::fs::read_dir(root().join("fixtures/estates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let docs: Vec<(String, tfreach::ingest::Document)> = files
            .iter()
            .map(|p| {
                let bytes = std::fs::read(p).unwrap();
                let label = p.file_stem().unwrap().to_string_lossy().to_string();
                (label, tfreach::ingest::parse(&bytes, "fixture").unwrap())
            })
            .collect();
        if docs.len() < 2 {
            continue;
        }
        let refs: Vec<(&str, &tfreach::ingest::Document)> =
            docs.iter().map(|(l, d)| (l.as_str(), d)).collect();
        let m = tfreach::model::build_many(&refs, View::Planned).model;
        let n = m.subnets.len();
        for s in 0..n {
            for d in (0..n).filter(|&d| d != s) {
                for f in fixes(&m, s, d, None) {
                    for c in &f.changes {
                        let body = hcl::parse(&c.hcl).unwrap_or_else(|e| panic!("{e}\n{}", c.hcl));
                        let text = hcl::format::to_string(&body).unwrap();
                        for (label, _) in &docs {
                            assert!(
                                !text.contains(&format!("{label}:")),
                                "{}: {}",
                                dir.display(),
                                c.hcl
                            );
                        }
                        assert!(c.document.is_some(), "{}: {}", dir.display(), c.description);
                        seen += 1;
                    }
                }
            }
        }
    }
    assert!(seen >= 3, "only {seen} changes checked");
}
