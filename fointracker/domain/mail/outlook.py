"""Outlook .msg files (uploaded by people who saved a council's reply from Outlook) as RFC 822
bytes, so they go through the same intake as any other message (#16). extract-msg reads the
OLE compound file; anything it cannot read is an UnparseableMessage with the reason."""

from __future__ import annotations

import logging
from email import policy

import extract_msg

from .parsing import UnparseableMessage

MAX_MSG_BYTES = 30 * 1024 * 1024  # as MailLimits.max_bytes
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # every compound file (.msg, .doc, .xls) starts so


def msg_file_to_rfc822(data: bytes) -> bytes:
    """The message in an Outlook .msg file, as RFC 822 bytes; UnparseableMessage if it is not one."""
    if not data:
        raise UnparseableMessage("the .msg file is empty")
    if len(data) > MAX_MSG_BYTES:
        raise UnparseableMessage(
            f"the .msg file is {len(data) / (1024 * 1024):.1f} MB, over the {MAX_MSG_BYTES // (1024 * 1024)} MB limit"
        )
    if not data.startswith(OLE_SIGNATURE):
        raise UnparseableMessage("not an Outlook .msg file (it is not an OLE compound file)")
    # extract-msg logs loudly (at CRITICAL) about oddities it works around; the reason we raise is enough.
    logging.getLogger("extract_msg").setLevel(logging.ERROR)
    message = None
    try:
        message = extract_msg.openMsg(bytes(data), strict=True, delayAttachments=False)
        if not hasattr(message, "asEmailMessage"):
            kind = getattr(message, "classType", None) or "unknown"
            raise UnparseableMessage(f"the .msg file holds an Outlook item of type {kind!r}, not an email")
        return message.asEmailMessage().as_bytes(policy=policy.SMTP)
    except UnparseableMessage:
        raise
    except Exception as exc:  # extract-msg and olefile raise many kinds on damaged files
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise UnparseableMessage(f"the Outlook .msg file could not be read: {reason}") from exc
    finally:
        if message is not None:
            try:
                message.close()
            except Exception:
                pass
