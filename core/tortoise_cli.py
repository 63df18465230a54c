"""Config for the developer-only `tortoise` CLI (makemigrations): `TORTOISE_ORM`.

Kept apart from the app, which builds its config in `core.db` from the settings.
"""

import os

from core.db import tortoise_config

TORTOISE_ORM = tortoise_config(os.environ.get("CRM_DATABASE_URL", "sqlite://:memory:"))
