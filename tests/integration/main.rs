//! One integration-test binary: rule fixtures, real plans, the command line.

mod alike;
mod check;
mod cli;
mod commands;
mod diff;
mod differential;
mod ecosystem;
mod estates;
mod estates_many;
mod fixes;
mod hostile;
mod internet;
mod matrix;
mod metamorphic;
mod reach;
mod real;
mod reference;
mod rules;
mod schemas;
mod sharing;
mod support;
mod topology;
mod workloads;
