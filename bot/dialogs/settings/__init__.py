"""Settings: language and time zone."""
