"""Deal storage: SQLModel tables, engine and sessions, queries. The only package that speaks SQL."""
