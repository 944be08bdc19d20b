//! CSV exports of the matrix: the long list `from,to,verdict,reason` (one
//! row per ordered pair), the square matrix (`--square`: a row per source,
//! a column per destination), and the VPC aggregate (`--by-vpc`).
//!
//! Quoting is the csv crate's. A cell that a spreadsheet would read as a
//! formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets
//! a leading `'`; Terraform addresses never start that way, so this only
//! changes crafted input.

use std::borrow::Cow;
use std::io::{self, Write};

use super::doc::{MatrixDoc, VpcMatrix};
use super::{Direction, Reason, Verdict};
use crate::analysis::endpoints::EndpointGrid;

/// A cell a spreadsheet will not run as a formula.
pub fn safe(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The reasons of a pair as one cell: `CODE at RESOURCE: message`, the
/// return path marked, joined by `; `.
pub fn reasons_cell(reasons: &[Reason]) -> String {
    reasons
        .iter()
        .map(|r| {
            let dir = match r.direction {
                Direction::Forward => "",
                Direction::Return => "return: ",
            };
            match &r.resource {
                Some(res) => format!("{dir}{} at {res}: {}", r.code, r.message),
                None => format!("{dir}{}: {}", r.code, r.message),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A verdict cell (empty when there is none).
fn cell(v: Option<Verdict>) -> &'static str {
    v.map_or("", Verdict::as_str)
}

fn err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Writes the CSV the options ask for.
pub fn write_matrix(out: &mut dyn Write, m: &MatrixDoc) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let a = m.analysis;
    if m.by_vpc {
        let vm = VpcMatrix::of_doc(m)?;
        w.write_record([
            "from_vpc",
            "to_vpc",
            "pairs",
            "reachable",
            "partial",
            "one_way",
            "blocked",
            "unknown",
        ])
        .map_err(err)?;
        for c in &vm.cells {
            let s = &c.counts;
            w.write_record([
                safe(&vm.vpcs[c.from].address).as_ref(),
                safe(&vm.vpcs[c.to].address).as_ref(),
                &s.pairs.to_string(),
                &s.reachable.to_string(),
                &s.partial.to_string(),
                &s.one_way.to_string(),
                &s.blocked.to_string(),
                &s.unknown.to_string(),
            ])
            .map_err(err)?;
        }
    } else if m.square {
        let eg = EndpointGrid::of(a);
        let mut header = vec![Cow::Borrowed("from\\to")];
        header.extend(a.subnets.iter().map(|s| safe(&s.address)));
        header.extend(eg.names.iter().map(|e| safe(e)));
        w.write_record(header.iter().map(|c| c.as_ref()))
            .map_err(err)?;
        m.each_row(&mut |from, row| {
            let mut rec = vec![safe(&a.subnets[from].address)];
            rec.extend(row.iter().enumerate().map(|(to, v)| {
                Cow::Borrowed(match v {
                    _ if to == from => "-",
                    Some(v) => v.as_str(),
                    None => "",
                })
            }));
            rec.extend(eg.to[from].iter().map(|v| Cow::Borrowed(cell(*v))));
            w.write_record(rec.iter().map(|c| c.as_ref())).map_err(err)
        })?;
        // A row per endpoint, towards each subnet.
        for (k, name) in eg.names.iter().enumerate() {
            let mut rec = vec![safe(name)];
            rec.extend(eg.from[k].iter().map(|v| Cow::Borrowed(cell(*v))));
            rec.extend(eg.names.iter().map(|_| Cow::Borrowed("-")));
            w.write_record(rec.iter().map(|c| c.as_ref()))
                .map_err(err)?;
        }
    } else {
        w.write_record(["from", "to", "verdict", "reason"])
            .map_err(err)?;
        m.each_pair(&mut |p| {
            let reason = reasons_cell(&p.reasons);
            w.write_record([
                safe(&a.subnets[p.from].address).as_ref(),
                safe(&a.subnets[p.to].address).as_ref(),
                p.verdict.as_str(),
                safe(&reason).as_ref(),
            ])
            .map_err(err)
        })?;
        for p in &a.endpoints {
            let reason = reasons_cell(&p.reasons);
            w.write_record([
                safe(&p.from).as_ref(),
                safe(&p.to).as_ref(),
                p.verdict.as_str(),
                safe(&reason).as_ref(),
            ])
            .map_err(err)?;
        }
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe("aws_subnet.a"), "aws_subnet.a");
    }
}
