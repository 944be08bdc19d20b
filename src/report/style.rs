//! Colour for terminal text: the styles that verdicts, severities, rule
//! outcomes and the hop that drops a packet are drawn in.
//!
//! Whether to colour at all is the caller's choice (`main` decides from
//! `--color`, `NO_COLOR`, `CLICOLOR_FORCE` and the terminal): reporters
//! are handed [`Styles`], and with [`Styles::PLAIN`] they write exactly the
//! text they would write without colour support.

use std::fmt;

use anstyle::{AnsiColor, Effects, Style};

use super::{Severity, Verdict};
use crate::diff::Status;
use crate::policy::Outcome;

/// The palette of one run: every method returns the plain style when
/// colour is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Styles {
    enabled: bool,
}

/// Text with a style; written as the style's escape codes, the text and a
/// reset (nothing but the text when the style is plain).
pub struct Painted<T> {
    style: Style,
    text: T,
}

impl<T: fmt::Display> fmt::Display for Painted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.style;
        write!(f, "{s}{}{s:#}", self.text)
    }
}

fn fg(c: AnsiColor) -> Style {
    Style::new().fg_color(Some(c.into()))
}

impl Styles {
    /// No colour at all.
    pub const PLAIN: Styles = Styles { enabled: false };
    /// The colours of a terminal.
    pub const COLORED: Styles = Styles { enabled: true };

    pub fn new(enabled: bool) -> Styles {
        Styles { enabled }
    }

    pub fn enabled(self) -> bool {
        self.enabled
    }

    fn pick(self, style: Style) -> Style {
        if self.enabled {
            style
        } else {
            Style::new()
        }
    }

    /// `text` in `style`.
    pub fn paint<T: fmt::Display>(self, style: Style, text: T) -> Painted<T> {
        Painted { style, text }
    }

    /// `text` in `style`, padded with spaces to `width` characters outside
    /// the escape codes, so columns line up whether or not colour is on.
    pub fn pad(self, style: Style, text: &str, width: usize) -> String {
        let fill = width.saturating_sub(text.chars().count());
        format!("{}{:fill$}", self.paint(style, text), "")
    }

    /// A verdict: green when traffic makes the round trip, red when none
    /// arrives, yellow or magenta in between, cyan when it is not known.
    pub fn verdict(self, v: Verdict) -> Style {
        self.pick(match v {
            Verdict::Reachable => fg(AnsiColor::Green),
            Verdict::Partial => fg(AnsiColor::Yellow),
            Verdict::OneWay => fg(AnsiColor::Magenta),
            Verdict::Blocked => fg(AnsiColor::Red),
            Verdict::Unknown => fg(AnsiColor::Cyan),
        })
    }

    /// A verdict in a diff, where a subnet may be absent on one side.
    pub fn status(self, s: Status) -> Style {
        match s {
            Status::Is(v) => self.verdict(v),
            Status::Absent => self.pick(Style::new().effects(Effects::DIMMED)),
        }
    }

    /// A finding's severity.
    pub fn severity(self, s: Severity) -> Style {
        self.pick(match s {
            Severity::Error => fg(AnsiColor::Red).effects(Effects::BOLD),
            Severity::Warning => fg(AnsiColor::Yellow),
            Severity::Info => fg(AnsiColor::Blue),
        })
    }

    /// A policy rule's outcome.
    pub fn outcome(self, o: Outcome) -> Style {
        self.pick(match o {
            Outcome::Pass => fg(AnsiColor::Green),
            Outcome::Fail => fg(AnsiColor::Red).effects(Effects::BOLD),
            Outcome::Skip => fg(AnsiColor::Yellow),
        })
    }

    /// The hop where a packet is dropped, or its fate becomes unknown.
    pub fn dropped(self) -> Style {
        self.pick(fg(AnsiColor::Red).effects(Effects::BOLD))
    }

    /// A heading: a VPC pair, a section title.
    pub fn heading(self) -> Style {
        self.pick(Style::new().effects(Effects::BOLD))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_styles_write_only_the_text() {
        let s = Styles::PLAIN;
        assert_eq!(
            s.paint(s.verdict(Verdict::Blocked), "blocked").to_string(),
            "blocked"
        );
        assert_eq!(s.pad(s.dropped(), "x", 3), "x  ");
    }

    #[test]
    fn coloured_text_is_wrapped_in_escape_codes_and_padded_outside_them() {
        let s = Styles::COLORED;
        let red = s.paint(s.verdict(Verdict::Blocked), "blocked").to_string();
        assert_eq!(red, "\u{1b}[31mblocked\u{1b}[0m");
        let padded = s.pad(s.verdict(Verdict::Reachable), "ok", 4);
        assert_eq!(padded, "\u{1b}[32mok\u{1b}[0m  ");
        assert_ne!(s.severity(Severity::Error), s.severity(Severity::Warning));
    }
}
