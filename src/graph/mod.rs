//! The network as a graph (petgraph), for the questions a route lookup does
//! not answer on its own.
//!
//! [`reach`] is the forwarding graph of VPCs and transit gateway route
//! tables: where the traffic leaving a VPC can be delivered at all. The
//! class engine reads it to count the pairs towards every other VPC
//! `blocked` without walking them.

pub mod reach;
