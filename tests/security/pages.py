"""What every response of the app must look like, and helpers shared by the security tests:
URLs for every rule, a whole-database snapshot, the CSRF token of a logged-in client."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask import url_for
from sqlalchemy import select

from fointracker.extensions import db

# Attributes whose value the browser may load or navigate to.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data"}
CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]+")


def rule_url(app, rule, params: dict) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: params[name] for name in rule.arguments})


def methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def header_problems(response) -> list[str]:
    """The security headers every response carries, whatever its status or type."""
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    scripts = directives.get("script-src", directives.get("default-src"))
    if not scripts:
        problems.append("no Content-Security-Policy script-src (or default-src)")
    elif {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(scripts):
        problems.append(f"script-src allows too much: {' '.join(scripts)}")
    if directives.get("object-src") != ["'none'"]:
        problems.append("object-src is not 'none'")
    framing_denied = response.headers.get("X-Frame-Options", "").upper() == "DENY" or directives.get(
        "frame-ancestors"
    ) == ["'none'"]
    if not framing_denied:
        problems.append("the page may be framed (no X-Frame-Options DENY or frame-ancestors 'none')")
    if response.headers.get("X-Content-Type-Options", "").lower() != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    return problems


class _PageScan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.forms: list[dict] = []  # {"method", "action", "csrf"}
        self.links: list[str] = []  # every <a href>
        self.form_buttons: list[tuple[str, str]] = []  # (method, formaction) of buttons that override their form's
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>: an inline event handler")
            if name == "style":
                self.problems.append(f"<{tag} style=...>: an inline style (the CSP forbids it)")
            if name in URL_ATTRIBUTES and value:
                scheme = CONTROL_OR_SPACE.sub("", value).split(":", 1)[0].lower()
                if (
                    ":" in CONTROL_OR_SPACE.sub("", value)
                    and scheme in ("javascript", "vbscript", "data")
                    and not (tag == "img" and scheme == "data")
                ):
                    self.problems.append(f"<{tag} {name}={value[:60]!r}>: a script URL")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        submits = tag == "button" and values.get("type", "submit") == "submit"
        submits = submits or (tag == "input" and values.get("type") in ("submit", "image"))
        if submits and values.get("formaction"):
            method = (values.get("formmethod") or (self._form or {}).get("method") or "get").lower()
            self.form_buttons.append((method, values["formaction"]))
        elif submits and self._form is not None:
            self._form["submits"] = True
        if submits and self._form is not None:
            self._form["buttons"] = True
        if tag == "script":
            if not values.get("src"):
                self.problems.append("<script> without src: an inline script")
        elif tag == "style":
            self.problems.append("<style>: an inline stylesheet (the CSP forbids it)")
        elif tag == "form":
            self._form = {
                "method": (values.get("method") or "get").lower(),
                "action": values.get("action", ""),
                "csrf": False,
                "submits": False,  # has a submit button of its own (not one with a formaction)
                "buttons": False,
            }
            self.forms.append(self._form)
        elif (
            tag == "input"
            and self._form is not None
            and (values.get("name") or "").endswith("csrf_token")
            and values.get("type") == "hidden"
            and values.get("value")
        ):
            self._form["csrf"] = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


@functools.lru_cache(maxsize=4)
def _scanned(html: str) -> _PageScan:
    """The page parsed once: the access matrix asks html_problems, post_forms and offered_actions
    of each page in turn. Read only; never changed after parsing."""
    scan = _PageScan()
    scan.feed(html)
    scan.close()
    return scan


def html_problems(html: str) -> list[str]:
    """Inline scripts, event handlers, inline styles, script URLs, and POST forms without a CSRF token."""
    scan = _scanned(html)
    problems = list(scan.problems)
    for form in scan.forms:
        if form["method"] == "post" and not form["csrf"]:
            problems.append(f"<form method=post action={form['action']!r}> has no csrf_token hidden input")
    return problems


def post_forms(html: str) -> int:
    scan = _scanned(html)
    return sum(1 for form in scan.forms if form["method"] == "post")


def offered_actions(html: str, page: str) -> list[tuple[str, str]]:
    """(method, path) of every link, form and form button on a page that leads into the app:
    what the page offers the person reading it. A form without an action posts to the page itself."""
    scan = _scanned(html)
    found = [("get", href) for href in scan.links]
    # A form leads to its action when a button of its own submits it, or Enter does (no buttons at all).
    found += [(form["method"], form["action"] or page) for form in scan.forms if form["submits"] or not form["buttons"]]
    found += scan.form_buttons
    actions = []
    for method, url in found:
        parts = urlsplit(urljoin(page, url))
        if parts.scheme in ("", "http") and parts.netloc in ("", "localhost") and not url.startswith("#"):
            actions.append(("POST" if method == "post" else "GET", parts.path))
    return actions


def snapshot(app) -> dict[str, list]:
    """Every row of every table, to show that a refused request wrote nothing."""
    with app.app_context():
        state = {
            table.name: sorted(map(repr, db.session.execute(select(table)).all()))
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def session_csrf_token(client, page: str = "/account/password") -> str:
    """The session's CSRF token, from the meta tag every page carries (anonymous: page="/login")."""
    match = CSRF_META.search(client.get(page).get_data(as_text=True))
    assert match, "no csrf-token meta tag"
    return match.group(1)
