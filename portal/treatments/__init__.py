"""Treatment reports: members say what they tried, the community sees the pooled picture.

Models          models (treatments, reports, side effects, the community's open dataset)
Services        services (curate the list, report, edit, withdraw, consent; never commit),
                aggregates (k-anonymous summaries), publication (consenting reports as a
                dataset version), charts (server-rendered SVG, no script)
Web             views (pages under /communities/<slug>/treatments, a JSON summary), forms
CLI / demo      commands (`portal treatments publish COMMUNITY`), demo (synthetic reports)

Setting: TREATMENT_MIN_REPORTERS (environment PORTAL_TREATMENT_MIN_REPORTERS, default 5):
no aggregate is shown until that many distinct members contributed to it.
"""
