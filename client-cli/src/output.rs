//! Printing for people (aligned tables) and for scripts (JSON).

use std::io::Write;

use anyhow::Result;
use consent_protocol::Outcome;
use serde::Serialize;

/// Why consent signed on a lost device no longer counts, in the words every
/// surface uses.
pub const DEVICE_LOST: &str =
    "signed on a device that was reported lost; give consent again from the new phone";

/// Why a parent's consent for a student who has come of age no longer counts.
pub const STUDENT_MUST_CONFIRM: &str =
    "given by a parent alone; the student is now old enough to decide and must give consent themselves";

/// A check's outcome in words.
pub fn outcome_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Allowed => "allowed",
        Outcome::NoConsent => "no consent given",
        Outcome::Revoked => "consent withdrawn",
        Outcome::Expired => "consent expired",
        Outcome::NotYetValid => "consent not valid yet",
        Outcome::WrongMediaKind => "consent does not cover this kind of media",
        Outcome::WrongPurpose => "consent does not cover this purpose",
        Outcome::GuardianMissing => "under the age of digital consent and no guardian signed",
        Outcome::DeviceLost => DEVICE_LOST,
        Outcome::StudentMustConfirm => STUDENT_MUST_CONFIRM,
    }
}

/// A standing's status word (`valid`, or an outcome's code) in words.
pub fn standing_text(status: &str) -> String {
    match serde_json::from_value::<Outcome>(serde_json::Value::from(status)) {
        Ok(outcome) => outcome_text(outcome).to_owned(),
        Err(_) => status.to_owned(),
    }
}

/// Prints `value` as pretty JSON on standard output. A reader that stops
/// early (`consent ... --json | head`) is not an error.
pub fn json(value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
        _ => Ok(()),
    }
}

/// A table printed with aligned columns.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|title| (*title).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, one line per row, with a two-space indent.
    pub fn render(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|title| title.chars().count()).collect();
        for row in &self.rows {
            for (index, cell) in row.iter().enumerate().take(columns) {
                widths[index] = widths[index].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut text = String::from("  ");
            for (index, cell) in cells.iter().enumerate().take(columns) {
                if index + 1 == columns {
                    text.push_str(cell);
                } else {
                    text.push_str(&format!("{cell:<width$}  ", width = widths[index]));
                }
            }
            text.trim_end().to_owned()
        };
        let mut out = line(&self.header);
        for row in &self.rows {
            out.push('\n');
            out.push_str(&line(row));
        }
        out
    }

    /// Prints the table.
    pub fn print(&self) {
        println!("{}", self.render());
    }

    /// Prints the table indented by `extra` more spaces (a table within a section).
    pub fn print_indented(&self, extra: usize) {
        for line in self.render().lines() {
            println!("{:extra$}{line}", "");
        }
    }
}

/// The first characters of a long hex id, enough to tell ids apart on screen.
pub fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up() {
        let mut table = Table::new(&["GROUP", "ALLOWED"]);
        table.row(vec!["3B".into(), "27 of 30".into()]);
        table.row(vec!["10HAVO".into(), "1 of 2".into()]);
        assert_eq!(
            table.render(),
            "  GROUP   ALLOWED\n  3B      27 of 30\n  10HAVO  1 of 2"
        );
    }
}
