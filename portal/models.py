"""Every mapped model, imported so that Base.metadata knows the whole schema.

Alembic's autogenerate and the migration test read the metadata from here.
"""

from portal.accounts.models import User
from portal.accounts.tokens import ApiToken
from portal.audit import AuditEvent
from portal.community.links.models import QuestionDataset, QuestionRun
from portal.community.models import Community, Membership
from portal.community.moderation.models import Appeal, ContentFlag, ModerationDecision
from portal.community.notifications.models import Notification, QuestionWatch
from portal.community.questions.models import EvidenceReview, Question, QuestionVote
from portal.community.rounds.models import (
    Comparison,
    PriorityRound,
    RoundParticipant,
    RoundQuestion,
)
from portal.community.support.models import (
    DigestPreference,
    HelpedReaction,
    SupportPost,
    ThreadFollow,
)
from portal.community.threads.models import Comment
from portal.data.models import Dataset, DatasetTag, DatasetVersion, ScreeningReview
from portal.db import Base
from portal.jobs.models import Job
from portal.play.models import AlignmentChange, AlignmentSource, Badge, Puzzle, Solution
from portal.reanalysis.models import AnalysisInput, AnalysisRun
from portal.treatments.models import (
    ReportSideEffect,
    Treatment,
    TreatmentDataset,
    TreatmentRelease,
    TreatmentReport,
)

__all__ = [
    "DigestPreference",
    "HelpedReaction",
    "SupportPost",
    "ThreadFollow",
    "AlignmentChange",
    "AlignmentSource",
    "AnalysisInput",
    "AnalysisRun",
    "ApiToken",
    "Appeal",
    "AuditEvent",
    "Base",
    "Comment",
    "Community",
    "Comparison",
    "ContentFlag",
    "Dataset",
    "DatasetTag",
    "DatasetVersion",
    "Job",
    "EvidenceReview",
    "Membership",
    "ModerationDecision",
    "Notification",
    "PriorityRound",
    "Question",
    "QuestionDataset",
    "QuestionRun",
    "QuestionVote",
    "QuestionWatch",
    "RoundParticipant",
    "RoundQuestion",
    "ScreeningReview",
    "User",
    "Puzzle",
    "Solution",
    "Badge",
    "ReportSideEffect",
    "Treatment",
    "TreatmentDataset",
    "TreatmentRelease",
    "TreatmentReport",
]
