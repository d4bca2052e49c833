//! The page frame, and small pieces every page uses. Everything interpolated is escaped
//! by maud; nothing is marked pre-escaped but the frame's own constants.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use crate::app::{Ctx, value};

/// A whole page: the header with the member, the navigation and the lock button, then
/// `body`. It leaves for the unlock form a little after the idle time, so a record left
/// on screen goes when the session locks (no script: a refresh).
pub(crate) fn layout(title: &str, ctx: &Ctx, body: Markup) -> Markup {
    framed(title, ctx, Some(ctx.idle.as_secs() + 5), body)
}

/// [`layout`] for a page the clinician types into (the note editor): it does not leave
/// by itself, so no text being written is lost; it holds nothing of the record but
/// what is typed.
pub(crate) fn layout_editing(title: &str, ctx: &Ctx, body: Markup) -> Markup {
    framed(title, ctx, None, body)
}

fn framed(title: &str, ctx: &Ctx, leave_after: Option<u64>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(secs) = leave_after {
                    meta http-equiv="refresh" content={ (secs) ";url=/unlock" };
                }
                title { (title) " · casevault" }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                header {
                    nav aria-label="Main" {
                        a href="/caseload" { "Caseload" }
                        a href="/clients/new" { "New client" }
                        a href="/audit" { "Audit trail" }
                    }
                    div.who {
                        span { "Signed in as " strong { (ctx.member) } }
                        form method="post" action="/lock" {
                            (csrf(ctx))
                            button type="submit" { "Lock" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A bare page, for the unlock form and refusals: no navigation.
pub(crate) fn bare(title: &str, body: Markup) -> Markup {
    bare_moving(title, None, body)
}

/// [`bare`], moving on to `to` at once.
pub(crate) fn bare_moving(title: &str, to: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(to) = to {
                    meta http-equiv="refresh" content={ "0;url=" (to) };
                }
                title { (title) " · casevault" }
                link rel="stylesheet" href="/assets/app.css";
            }
            body { main { (body) } }
        }
    }
}

/// The hidden CSRF field every form carries.
pub(crate) fn csrf(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf); }
}

/// A page as an HTML response.
pub(crate) fn page_response(markup: Markup) -> Response {
    (
        [(header::CONTENT_TYPE, value("text/html; charset=utf-8"))],
        markup.into_string(),
    )
        .into_response()
}

/// A refusal or a missing page, with its status.
pub(crate) fn status_page(status: StatusCode, title: &str, text: &str) -> Response {
    let mut response = page_response(bare(
        title,
        html! {
            h1 { (title) }
            p role="alert" { (text) }
        },
    ));
    *response.status_mut() = status;
    response
}

/// A time in the offset the app shows times in.
pub(crate) fn local(at: casevault::Timestamp, ctx: &Ctx) -> String {
    let t = at.to_offset_date_time().to_offset(ctx.offset);
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute] [offset_hour sign:mandatory]:[offset_minute]"
    );
    t.format(&format).unwrap_or_else(|_| at.to_string())
}
