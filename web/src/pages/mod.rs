//! The pages: each a thin handler over one or two library calls.

use axum::http::header;
use axum::response::IntoResponse;

use crate::app::value;

pub(crate) mod caseload;
pub(crate) mod client;
pub(crate) mod consent;
pub(crate) mod notes;
pub(crate) mod records;
pub(crate) mod release;
pub(crate) mod unlock;

/// The stylesheet, embedded in the binary.
pub(crate) async fn asset_css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, value("text/css; charset=utf-8"))],
        include_str!("../../assets/app.css"),
    )
}

/// Today, for the library's calls that take it.
pub(crate) fn today() -> casevault::Date {
    casevault::Date::today()
}
