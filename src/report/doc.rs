//! What the matrix, diff and check reporters render, and the aggregates
//! they share.
//!
//! Every reporter of a document exposes the same shape,
//! `fn write_matrix(&mut dyn Write, &MatrixDoc)`,
//! `fn write_diff(&mut dyn Write, &DiffDoc)` or
//! `fn write_check(&mut dyn Write, &CheckDoc)`, for the documents its
//! format supports; `main` picks one by the `--format` value. A document
//! holds what its reporter renders, computed beforehand by the command
//! (`crate::commands`) or computed as it is read, through a [`PairSource`].

use std::collections::BTreeMap;
use std::io;

use super::{InputInfo, PairSource};
use crate::analysis::{address_order, Analysis, PairResult, Summary};
use crate::diff::Diff;
use crate::explain::Explanation;
use crate::policy::locate::Sources;
use crate::policy::CheckReport;
use crate::report::Verdict;

/// The largest pull-request comment GitHub accepts, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// The name reports give to subnets whose VPC is not known.
pub const NO_VPC: &str = "(unknown VPC)";

/// A reachability matrix to export.
pub struct MatrixDoc<'a> {
    pub input: &'a InputInfo,
    /// The subnets, the summary and the findings; the pairs a grid of
    /// subnets lays out (table, DOT, the HTML page) are held here too.
    pub analysis: &'a Analysis,
    /// Every ordered pair, held or computed as it is read: what CSV and
    /// JSON stream and VPC-by-VPC counts are made of.
    pub pairs: &'a dyn PairSource,
    /// HTML: the hop-by-hop path of each pair the analysis holds, in the
    /// same order, when the page embeds them.
    pub traces: Option<&'a [Explanation]>,
    /// CSV: the square matrix instead of the long list.
    pub square: bool,
    /// VPC by VPC counts instead of subnet pairs.
    pub by_vpc: bool,
}

/// Takes one source subnet's row of verdicts (see [`MatrixDoc::each_row`]).
pub type RowSink<'f> = dyn FnMut(usize, &[Option<Verdict>]) -> io::Result<()> + 'f;

impl MatrixDoc<'_> {
    /// Hands every ordered pair to `f`, in (from, to) order, as the source
    /// gives them.
    pub fn each_pair(&self, f: &mut dyn FnMut(&PairResult) -> io::Result<()>) -> io::Result<()> {
        self.pairs.each_pair(f)
    }

    /// Hands the verdict of every ordered pair to `f` as (from, to,
    /// verdict), in (from, to) order: [`MatrixDoc::each_pair`] without the
    /// reasons, which is much cheaper when the pairs are computed.
    pub fn each_verdict(
        &self,
        f: &mut dyn FnMut(usize, usize, Verdict) -> io::Result<()>,
    ) -> io::Result<()> {
        self.pairs.each_verdict(f)
    }

    /// Hands `f` every source subnet's row of verdicts, in order:
    /// `row[to]` is the verdict from `from` to `to` (`None` on the
    /// diagonal). One row is held at a time.
    pub fn each_row(&self, f: &mut RowSink<'_>) -> io::Result<()> {
        let n = self.analysis.subnets.len();
        let mut row: Vec<Option<Verdict>> = vec![None; n];
        let mut current = 0;
        let mut flush_to = |end: usize, row: &mut Vec<Option<Verdict>>, current: &mut usize| {
            while *current < end {
                f(*current, row)?;
                row.fill(None);
                *current += 1;
            }
            Ok::<(), io::Error>(())
        };
        self.each_verdict(&mut |from, to, v| {
            flush_to(from, &mut row, &mut current)?;
            row[to] = Some(v);
            Ok(())
        })?;
        flush_to(n, &mut row, &mut current)
    }
}

/// The changes between two views or documents.
pub struct DiffDoc<'a> {
    pub before: &'a InputInfo,
    pub after: &'a InputInfo,
    pub diff: &'a Diff,
    /// Markdown: the most characters to write.
    pub max_chars: usize,
}

/// The result of a policy check.
pub struct CheckDoc<'a> {
    pub input: &'a InputInfo,
    /// The document `no_new_path` rules compared against, when not the
    /// plan's own prior state.
    pub baseline: Option<&'a InputInfo>,
    pub report: &'a CheckReport,
    pub summary: &'a Summary,
    /// Which document each resource is in and, where a document's
    /// configuration was given, where it is declared (SARIF and JUnit
    /// locations).
    pub sources: &'a Sources,
    /// Markdown: the most characters to write.
    pub max_chars: usize,
}

/// A VPC in an aggregate matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcInfo {
    pub address: String,
    /// Indices into [`Analysis::subnets`], in address order.
    pub subnets: Vec<usize>,
}

/// Verdict counts for the ordered pairs from one VPC's subnets to
/// another's (the same VPC included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VpcCell {
    pub from: usize,
    pub to: usize,
    pub counts: Summary,
}

/// The VPC-by-VPC matrix of an analysis.
#[derive(Debug, Clone)]
pub struct VpcMatrix {
    /// VPCs in address order, the unknown VPC last.
    pub vpcs: Vec<VpcInfo>,
    /// VPC of each subnet (index into `vpcs`).
    pub vpc_of: Vec<usize>,
    /// Cells with at least one pair, sorted by (from, to).
    pub cells: Vec<VpcCell>,
}

/// The VPC a subnet is in, as reports name it.
pub fn vpc_name(a: &Analysis, subnet: usize) -> &str {
    a.subnets[subnet].vpc.as_deref().unwrap_or(NO_VPC)
}

/// Orders VPC names by address, the unknown VPC last.
pub fn vpc_order(a: &str, b: &str) -> std::cmp::Ordering {
    (a == NO_VPC)
        .cmp(&(b == NO_VPC))
        .then_with(|| address_order(a, b))
}

impl VpcMatrix {
    /// Aggregates the pairs of an analysis (which must list every pair for
    /// the counts to be complete).
    pub fn of(a: &Analysis) -> VpcMatrix {
        let m = VpcMatrix::empty(a);
        // Pairs held in memory are read without I/O: counting cannot fail.
        let cells = super::count_groups(&a.pairs, &m.vpc_of).unwrap_or_default();
        m.fill(cells)
    }

    /// Aggregates every pair of a matrix document, as its source counts
    /// them.
    pub fn of_doc(d: &MatrixDoc) -> io::Result<VpcMatrix> {
        let m = VpcMatrix::empty(d.analysis);
        let cells = d.pairs.group_counts(&m.vpc_of)?;
        Ok(m.fill(cells))
    }

    /// Sets the cells, given in (from, to) order.
    fn fill(mut self, cells: impl IntoIterator<Item = ((usize, usize), Summary)>) -> VpcMatrix {
        self.cells = cells
            .into_iter()
            .map(|((from, to), counts)| VpcCell { from, to, counts })
            .collect();
        self
    }

    /// The VPCs of an analysis, without counts.
    pub fn empty(a: &Analysis) -> VpcMatrix {
        let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for i in 0..a.subnets.len() {
            by_name.entry(vpc_name(a, i)).or_default().push(i);
        }
        let mut vpcs: Vec<VpcInfo> = by_name
            .into_iter()
            .map(|(k, v)| VpcInfo {
                address: k.to_string(),
                subnets: v,
            })
            .collect();
        vpcs.sort_by(|x, y| vpc_order(&x.address, &y.address));
        let mut vpc_of = vec![0; a.subnets.len()];
        for (v, info) in vpcs.iter().enumerate() {
            for &s in &info.subnets {
                vpc_of[s] = v;
            }
        }
        VpcMatrix {
            vpcs,
            vpc_of,
            cells: Vec::new(),
        }
    }
}

/// Cuts a string to at most `max` characters, marking the cut.
pub fn clip(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.chars().count() <= max {
        std::borrow::Cow::Borrowed(s)
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        std::borrow::Cow::Owned(out)
    }
}

/// FNV-1a, 64 bits: a hash that stays the same across builds and
/// platforms (for fingerprints and ids, not for security).
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{PairResult, SubnetInfo};
    use crate::report::Verdict;

    #[test]
    fn vpc_matrix_counts_every_pair_once() {
        let s = |a: &str, v: Option<&str>| SubnetInfo {
            address: a.into(),
            vpc: v.map(String::from),
            cidr: None,
            ipv6_cidr: None,
            availability_zone: None,
        };
        let subnets = vec![
            s("aws_subnet.a", Some("aws_vpc.b")),
            s("aws_subnet.b", Some("aws_vpc.a")),
            s("aws_subnet.c", None),
        ];
        let mut pairs = Vec::new();
        for i in 0..3 {
            for j in 0..3 {
                if i != j {
                    pairs.push(PairResult {
                        traffic: None,
                        from: i,
                        to: j,
                        verdict: if i < j {
                            Verdict::Reachable
                        } else {
                            Verdict::Blocked
                        },
                        reasons: vec![],
                    });
                }
            }
        }
        let mut a = crate::diff::tests::blank();
        a.subnets = subnets;
        a.model_index = vec![0, 1, 2];
        a.pairs = pairs;
        let m = VpcMatrix::of(&a);
        let names: Vec<_> = m.vpcs.iter().map(|v| v.address.as_str()).collect();
        assert_eq!(names, ["aws_vpc.a", "aws_vpc.b", NO_VPC]);
        assert_eq!(m.cells.len(), 6);
        let total: u64 = m.cells.iter().map(|c| c.counts.pairs).sum();
        assert_eq!(total, 6);
        // aws_subnet.a (in aws_vpc.b) -> aws_subnet.b (in aws_vpc.a) is reachable.
        let c = m.cells.iter().find(|c| c.from == 1 && c.to == 0).unwrap();
        assert_eq!(c.counts.reachable, 1);
    }

    #[test]
    fn clip_marks_the_cut() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }

    #[test]
    fn stable_hash_is_stable() {
        // Pinned: fingerprints in SARIF files must not move between releases.
        assert_eq!(stable_hash(&["a", "b"]), 0xd2b3_7181_9297_f98a);
        assert_ne!(stable_hash(&["ab", ""]), stable_hash(&["a", "b"]));
    }
}
