//! What a reason says, as text that knows which of its words name a subnet.
//!
//! Subnets that behave alike share one evaluation (`analysis::classes`), and
//! the reasons found for the representative pair are then told for every
//! member pair. A [`Text`] keeps, beside its words, where it names a subnet,
//! one of a subnet's blocks, or the reason a subnet's link is not known
//! ([`Named`]). Telling it for another pair ([`Text::retold`]) replaces
//! exactly those spans with the member's own words; nothing is searched for
//! in the text, so a block or an address that only looks like the
//! representative's is never touched.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, Range};

use serde::{Serialize, Serializer};

/// What of a subnet may be unknown, with the model's own words for why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubnetPart {
    Vpc,
    RouteTable,
    NetworkAcl,
    /// Its CIDR blocks.
    Blocks,
}

/// What a span of a [`Text`] names. Subnets are positions in the model's
/// subnet list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Named {
    /// The subnet's address.
    Subnet(usize),
    /// The subnet's block number `k` (in `Cidrs::all` order), exactly.
    Block(usize, usize),
    /// Why a part of the subnet is not known (the model's text for it).
    Unresolved(usize, SubnetPart),
}

impl Named {
    /// The subnet named.
    pub fn subnet(self) -> usize {
        match self {
            Named::Subnet(s) | Named::Block(s, _) | Named::Unresolved(s, _) => s,
        }
    }

    /// The same thing of subnet `s`.
    pub fn of(self, s: usize) -> Named {
        match self {
            Named::Subnet(_) => Named::Subnet(s),
            Named::Block(_, k) => Named::Block(s, k),
            Named::Unresolved(_, l) => Named::Unresolved(s, l),
        }
    }
}

#[derive(Debug, Clone)]
struct Mark {
    span: Range<usize>,
    named: Named,
}

/// Text with the spans that name subnets marked. It reads, compares, orders
/// and serializes as its words alone.
#[derive(Clone, Default)]
pub struct Text {
    words: String,
    marks: Vec<Mark>,
}

impl Text {
    pub fn new() -> Text {
        Text::default()
    }

    /// Appends plain words.
    pub fn push(&mut self, words: &str) {
        self.words.push_str(words);
    }

    /// Appends `words`, which spell `named`.
    pub fn push_named(&mut self, named: Named, words: &str) {
        let start = self.words.len();
        self.words.push_str(words);
        self.marks.push(Mark {
            span: start..self.words.len(),
            named,
        });
    }

    /// Appends another text, keeping its marks.
    pub fn append(&mut self, other: &Text) {
        let base = self.words.len();
        self.words.push_str(&other.words);
        self.marks.extend(other.marks.iter().map(|m| Mark {
            span: m.span.start + base..m.span.end + base,
            named: m.named,
        }));
    }

    pub fn as_str(&self) -> &str {
        &self.words
    }

    /// What the text names, in order.
    pub fn named(&self) -> impl Iterator<Item = Named> + '_ {
        self.marks.iter().map(|m| m.named)
    }

    /// The text told of other subnets: each marked span for which `tell`
    /// gives new words (and what they name) is replaced by them; the rest
    /// stays as it is.
    pub fn retold(&self, mut tell: impl FnMut(Named) -> Option<(Named, String)>) -> Text {
        let mut out = Text {
            words: String::with_capacity(self.words.len() + 8),
            marks: Vec::with_capacity(self.marks.len()),
        };
        let mut at = 0;
        for m in &self.marks {
            out.push(&self.words[at..m.span.start]);
            match tell(m.named) {
                Some((named, words)) => out.push_named(named, &words),
                None => out.push_named(m.named, &self.words[m.span.clone()]),
            }
            at = m.span.end;
        }
        out.push(&self.words[at..]);
        out
    }
}

/// Pieces a `text!` is made of.
pub trait Piece {
    fn put(self, t: &mut Text);
}

impl Piece for &str {
    fn put(self, t: &mut Text) {
        t.push(self);
    }
}

impl Piece for String {
    fn put(self, t: &mut Text) {
        t.push(&self);
    }
}

impl Piece for &String {
    fn put(self, t: &mut Text) {
        t.push(self);
    }
}

impl Piece for Text {
    fn put(self, t: &mut Text) {
        if t.words.is_empty() && t.marks.is_empty() {
            *t = self;
        } else {
            t.append(&self);
        }
    }
}

impl Piece for &Text {
    fn put(self, t: &mut Text) {
        t.append(self);
    }
}

/// Builds a [`Text`] from pieces in order: words (`&str`, `String`) and
/// texts with their marks.
macro_rules! text {
    ($($piece:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut t = $crate::model::Text::new();
        $( $crate::model::text::Piece::put($piece, &mut t); )*
        t
    }};
}
pub(crate) use text;

impl From<String> for Text {
    fn from(words: String) -> Text {
        Text {
            words,
            marks: Vec::new(),
        }
    }
}

impl From<&String> for Text {
    fn from(words: &String) -> Text {
        Text::from(words.clone())
    }
}

impl From<&str> for Text {
    fn from(words: &str) -> Text {
        Text::from(words.to_string())
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.words
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.words
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.words
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.words
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.words, f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.words == other.words
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.words == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.words == *other
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> Ordering {
        self.words.cmp(&other.words)
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.words.hash(state);
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retelling_replaces_marked_spans_only() {
        let mut t = Text::new();
        t.push("no route in aws_route_table.a matches ");
        t.push_named(Named::Block(3, 0), "10.1.1.0/24");
        t.push(" (10.1.1.0/24 is also a route of ");
        t.push_named(Named::Subnet(3), "aws_subnet.a[1]");
        t.push(")");
        let told = t.retold(|n| {
            (n.subnet() == 3).then(|| {
                let words = match n {
                    Named::Subnet(_) => "aws_subnet.a[2]",
                    _ => "10.1.2.0/24",
                };
                (n.of(4), words.to_string())
            })
        });
        assert_eq!(
            told.as_str(),
            "no route in aws_route_table.a matches 10.1.2.0/24 (10.1.1.0/24 is also a route of aws_subnet.a[2])"
        );
        assert_eq!(
            told.named().collect::<Vec<_>>(),
            vec![Named::Block(4, 0), Named::Subnet(4)]
        );
    }

    #[test]
    fn texts_compare_as_their_words() {
        let mut a = Text::new();
        a.push_named(Named::Subnet(1), "b");
        let b = Text::from("b");
        assert_eq!(a, b);
        let lesser = Text::from("a");
        assert!(lesser < a);
        let joined = text!["x ", &a, " y"];
        assert_eq!(joined.as_str(), "x b y");
        assert_eq!(joined.named().collect::<Vec<_>>(), vec![Named::Subnet(1)]);
        assert_eq!(serde_json::to_string(&joined).unwrap(), "\"x b y\"");
    }
}
