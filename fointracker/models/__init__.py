"""Database models, one module per area. Import from here."""

from .api_token import ApiToken
from .audit import AuditEntry
from .authority import Authority
from .calendar import ClosureDay
from .campaign import Campaign, campaign_coordinators, campaign_members
from .campaign_version import CampaignVersion
from .contacts import CampaignContact
from .figures import Answer, FileMapping, Question, SecondEntry
from .foi_request import Attachment, FoiRequest, RequestEvent
from .mail import MailAttachment, MailMessage
from .publishing import PublishedReport, PublishedReportVersion
from .reminder import Reminder, SchedulerLease
from .stored_file import StoredFile
from .user import LoginAttempt, Role, User, UserSession

__all__ = [
    "ApiToken",
    "Answer",
    "FileMapping",
    "SecondEntry",
    "Question",
    "Attachment",
    "AuditEntry",
    "Authority",
    "Campaign",
    "CampaignVersion",
    "CampaignContact",
    "ClosureDay",
    "campaign_coordinators",
    "campaign_members",
    "FoiRequest",
    "LoginAttempt",
    "MailAttachment",
    "MailMessage",
    "PublishedReport",
    "PublishedReportVersion",
    "Reminder",
    "RequestEvent",
    "SchedulerLease",
    "StoredFile",
    "Role",
    "User",
    "UserSession",
]
