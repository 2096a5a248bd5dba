"""How communities are founded and governed.

A member proposes a community (founding); a site admin approves it (its founder
becomes its first moderator), merges it into an existing one or declines it with a
reason, and may later archive it. The community's moderators appoint and remove
moderators from its members (moderators) and choose its settings (choices): who
proposes questions, its stakeholder groups, a raised privacy floor, whether
membership shows by default, and its rules. Every decision is written to the audit
log with the community's id, from which the public moderation log is read (log).

codes      the shape of ICD-10 and ICD-11 condition codes
founding   propose, approve, merge, decline, archive
moderators appoint and remove community moderators
choices    the settings a community's moderators choose
log        the public moderation log of a community, read from the audit log
notices    what the founder is told of a decision (on the site and by e-mail)
views, forms, commands (portal communities create|list|archive)
"""
