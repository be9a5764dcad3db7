"""Mail out and in (#16): the intake page (triage, uploads), a message's page, confirming the
step a reply suggests, sending letters by email and the mail-merge download."""

from flask import Blueprint

bp = Blueprint("mail", __name__, url_prefix="/mail")

from . import send_views, views  # noqa: E402,F401
