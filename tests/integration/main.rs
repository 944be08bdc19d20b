//! One integration-test binary: rule fixtures, real plans, the command line.

mod cli;
mod real;
mod rules;
mod sharing;
mod support;
