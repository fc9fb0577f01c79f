"""Help-centre search and ticket tools for the support-agent assistant."""
