//! The petgraph view of the model: VPCs, subnets, route tables, peerings
//! and gateways as nodes; membership, association and routes as edges.
//!
//! The path walk reads the model directly (a route lookup needs the routes,
//! not the edges); this view serves the questions that are about the shape
//! of the network: which VPCs are joined at all, and the DOT picture.

pub mod reach;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::unionfind::UnionFind;

use crate::model::{Link, Model, PeeringState, Target};

/// A node of the topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Vpc(usize),
    Subnet(usize),
    RouteTable(usize),
    Peering(usize),
    Gateway(usize),
}

/// An edge of the topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edge {
    /// A subnet or route table belongs to a VPC.
    InVpc,
    /// A subnet uses a route table.
    UsesTable,
    /// A route table sends traffic to a peering or gateway (route index).
    Route(usize),
    /// A peering joins a VPC (requester or accepter side).
    Joins,
}

/// The topology graph and where each model object sits in it.
pub struct Topology {
    pub graph: DiGraph<Node, Edge>,
    pub vpc_nodes: Vec<NodeIndex>,
    pub subnet_nodes: Vec<NodeIndex>,
}

impl Topology {
    pub fn build(model: &Model) -> Topology {
        let mut g = DiGraph::new();
        let vpc_nodes: Vec<_> = (0..model.vpcs.len())
            .map(|i| g.add_node(Node::Vpc(i)))
            .collect();
        let subnet_nodes: Vec<_> = (0..model.subnets.len())
            .map(|i| g.add_node(Node::Subnet(i)))
            .collect();
        let rt_nodes: Vec<_> = (0..model.route_tables.len())
            .map(|i| g.add_node(Node::RouteTable(i)))
            .collect();
        let pcx_nodes: Vec<_> = (0..model.peerings.len())
            .map(|i| g.add_node(Node::Peering(i)))
            .collect();
        let gw_nodes: Vec<_> = (0..model.gateways.len())
            .map(|i| g.add_node(Node::Gateway(i)))
            .collect();
        for (i, s) in model.subnets.iter().enumerate() {
            if let Link::To(v) = s.vpc {
                g.add_edge(subnet_nodes[i], vpc_nodes[v], Edge::InVpc);
            }
            if let Link::To(t) = s.route_table {
                g.add_edge(subnet_nodes[i], rt_nodes[t], Edge::UsesTable);
            }
        }
        for (i, t) in model.route_tables.iter().enumerate() {
            if let Link::To(v) = t.vpc {
                g.add_edge(rt_nodes[i], vpc_nodes[v], Edge::InVpc);
            }
            for (ri, r) in t.routes.iter().enumerate() {
                match &r.target {
                    Target::Peering(Link::To(p)) => {
                        g.add_edge(rt_nodes[i], pcx_nodes[*p], Edge::Route(ri));
                    }
                    Target::Gateway {
                        link: Link::To(gw), ..
                    } => {
                        g.add_edge(rt_nodes[i], gw_nodes[*gw], Edge::Route(ri));
                    }
                    _ => {}
                }
            }
        }
        for (i, p) in model.peerings.iter().enumerate() {
            for side in [&p.requester, &p.accepter] {
                if let Link::To(v) = side {
                    g.add_edge(pcx_nodes[i], vpc_nodes[*v], Edge::Joins);
                }
            }
        }
        Topology {
            graph: g,
            vpc_nodes,
            subnet_nodes,
        }
    }

    /// Groups of VPCs joined by peerings that can be active: VPCs in
    /// different groups cannot reach each other through peering at all.
    /// Returns a group label per VPC.
    pub fn peering_groups(&self, model: &Model) -> Vec<usize> {
        let mut uf = UnionFind::new(model.vpcs.len());
        for p in &model.peerings {
            if matches!(p.state, PeeringState::Inactive(_)) {
                continue;
            }
            if let (Link::To(a), Link::To(b)) = (&p.requester, &p.accepter) {
                uf.union(*a, *b);
            }
        }
        uf.into_labeling()
    }
}
