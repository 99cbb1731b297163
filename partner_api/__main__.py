"""`python -m partner_api …`: the `partner-api` command, for a checkout that is not installed."""

import sys

from partner_api.cli import main

sys.exit(main())
