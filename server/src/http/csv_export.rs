//! Every CSV the server writes, written one way: a cell that a spreadsheet
//! would run as a formula is neutralised first (CSV injection: a group named
//! `=HYPERLINK(...)` must reach the spreadsheet as text, not as a formula).

use std::borrow::Cow;

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, ApiResult};

/// What a spreadsheet reads as the start of a formula: `=`, `+`, `-` and `@`,
/// and tab and carriage return, which some programs skip before looking
/// (OWASP, "CSV Injection").
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` as a spreadsheet shows it and never runs it: with a leading
/// apostrophe when it starts like a formula, which spreadsheets hide and
/// take as "this is text". Every other cell is unchanged.
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A `text/csv` answer: the header, then the rows, every cell neutralised.
pub fn csv_response(header_row: &[&str], rows: &[Vec<String>]) -> ApiResult<Response> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| ApiError::Internal(e.into());
    writer
        .write_record(header_row.iter().map(|cell| neutralised(cell).into_owned()))
        .map_err(failed)?;
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| neutralised(cell).into_owned()))
            .map_err(failed)?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_that_starts_like_a_formula_is_text() {
        for attack in [
            "=HYPERLINK(\"http://evil.example\",\"3B\")",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "+31 6 1234",
            "-2+3",
            "\t=1+1",
            "\r=1+1",
        ] {
            assert_eq!(neutralised(attack), format!("'{attack}"), "{attack:?}");
        }
    }

    #[test]
    fn an_ordinary_cell_is_unchanged() {
        for cell in ["3B", "Sam de Groot", "27", "", "de Groot-Jansen", "a=b"] {
            assert_eq!(neutralised(cell), cell);
        }
    }
}
