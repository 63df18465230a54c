"""`python -m bot`: the same as `crm run`."""

import sys

from bot.app import main

sys.exit(main())
