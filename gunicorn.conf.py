"""gunicorn's configuration in a checkout (`gunicorn -c gunicorn.conf.py wsgi:app`): the
package's own, `partner_api/gunicorn_conf.py`."""

from partner_api.gunicorn_conf import *  # noqa: F403 - gunicorn reads the module's names
