//! Single pairs of an analysis, by groups of subnets that share their
//! verdict, for the consumers that compare or check pairs (`diff`,
//! `policy`) without holding all of them.
//!
//! An analysis that lists every pair answers from its list, each subnet a
//! group of its own. One that lists none answers from its classes and the
//! model: a group is a class, a verdict is one evaluation per class pair,
//! and the reasons of a member pair are the class pair's, rewritten for it.
//! Either way the answers are the same; only the cost differs.

use foldhash::{HashMap, HashMapExt};
use std::hash::Hash;

use crate::model::Model;
use crate::model::Verdict;

use super::classes::member_reasons;
use super::{Analysis, PairResult};

/// Where the verdicts and reasons of an analysis's pairs come from.
pub struct Lookup<'a> {
    pub analysis: &'a Analysis,
    /// `None`: the analysis lists every pair.
    model: Option<&'a Model>,
    /// `0..n`, the members of the one-subnet groups of a listed analysis.
    ids: Vec<usize>,
}

impl<'a> Lookup<'a> {
    /// Answers from the pairs the analysis lists.
    ///
    /// # Panics
    ///
    /// When the analysis does not list every ordered pair.
    pub fn listed(analysis: &'a Analysis) -> Lookup<'a> {
        let n = analysis.subnets.len();
        assert!(
            analysis.pairs.len() == n * n.saturating_sub(1),
            "the analysis lists {} of its {} pairs; analyse with PairsFilter::All",
            analysis.pairs.len(),
            n * n.saturating_sub(1)
        );
        Lookup {
            analysis,
            model: None,
            ids: (0..n).collect(),
        }
    }

    /// Answers from the analysis's classes and the model it was made from
    /// (the analysis need list no pair).
    pub fn computed(analysis: &'a Analysis, model: &'a Model) -> Lookup<'a> {
        Lookup {
            analysis,
            model: Some(model),
            ids: Vec::new(),
        }
    }

    /// How many groups there are.
    pub fn groups(&self) -> usize {
        match self.model {
            None => self.ids.len(),
            Some(_) => self.analysis.classes.members.len(),
        }
    }

    /// The group of subnet `i` (a position in [`Analysis::subnets`]).
    pub fn group_of(&self, i: usize) -> usize {
        match self.model {
            None => i,
            Some(_) => self.analysis.classes.class_of[i],
        }
    }

    /// The subnets of group `g`, ascending.
    pub fn members(&self, g: usize) -> &[usize] {
        match self.model {
            None => &self.ids[g..=g],
            Some(_) => &self.analysis.classes.members[g],
        }
    }

    /// The verdict from group `g` to every group (`None` where the two
    /// hold no pair of distinct subnets).
    pub fn row(&self, g: usize) -> Vec<Option<Verdict>> {
        let a = self.analysis;
        match self.model {
            None => (0..self.ids.len())
                .map(|h| (h != g).then(|| a.pairs[pair_position(self.ids.len(), g, h)].verdict))
                .collect(),
            Some(model) => a.classes.verdict_row(model, &a.model_index, g),
        }
    }

    /// Hands every pair (s, d), s != d, of `from` x `to` to `f`, with its
    /// verdict and reasons; every subnet of `from` is in group `g` and every
    /// one of `to` in group `h`, so their shared result is computed once.
    pub fn each_pair_between(
        &self,
        (g, from): (usize, &[usize]),
        (h, to): (usize, &[usize]),
        f: &mut dyn FnMut(PairResult),
    ) {
        let a = self.analysis;
        match self.model {
            None => {
                let n = self.ids.len();
                for &s in from {
                    for &d in to.iter().filter(|&&d| d != s) {
                        f(a.pairs[pair_position(n, s, d)].clone());
                    }
                }
            }
            Some(model) => {
                let order = &a.model_index;
                let Some(r) = a.classes.result(model, order, g, h) else {
                    return;
                };
                for &s in from {
                    for &d in to.iter().filter(|&&d| d != s) {
                        f(PairResult {
                            from: s,
                            to: d,
                            verdict: r.verdict,
                            reasons: member_reasons(model, order, &r, s, d),
                            traffic: r.traffic.clone(),
                        });
                    }
                }
            }
        }
    }
}

/// Position of the ordered pair (i, j), i != j, in a list of every pair of
/// `n` subnets sorted by (from, to).
pub fn pair_position(n: usize, i: usize, j: usize) -> usize {
    i * (n - 1) + j - usize::from(j > i)
}

/// Splits sorted subnet positions by group: (group, its subnets among
/// them), groups in order of their first subnet.
pub fn by_group(lookup: &Lookup, subnets: &[usize]) -> Vec<(usize, Vec<usize>)> {
    group_in_order(subnets.iter().copied(), |i| lookup.group_of(i))
}

/// Splits items by a key: (key, its items in order), keys in order of
/// their first item.
pub fn group_in_order<K: Hash + Eq + Copy>(
    items: impl IntoIterator<Item = usize>,
    key: impl Fn(usize) -> K,
) -> Vec<(K, Vec<usize>)> {
    let mut index = HashMap::new();
    let mut out: Vec<(K, Vec<usize>)> = Vec::new();
    for i in items {
        let k = key(i);
        let at = *index.entry(k).or_insert_with(|| {
            out.push((k, Vec::new()));
            out.len() - 1
        });
        out[at].1.push(i);
    }
    out
}
