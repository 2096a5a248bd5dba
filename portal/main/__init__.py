"""The home page, section landing pages, health checks and error pages."""
