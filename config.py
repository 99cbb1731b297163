"""The settings module for forks that `import config`: it is `partner_api.settings` itself
(one module object, one source of truth), which the installed package uses."""

import sys

from partner_api import settings

sys.modules[__name__] = settings
