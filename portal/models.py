"""Every mapped model, imported so that Base.metadata knows the whole schema.

Alembic's autogenerate and the migration test read the metadata from here.
"""
from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.community.models import Community, Membership
from portal.db import Base

__all__ = ["AuditEvent", "Base", "Community", "Membership", "User"]
