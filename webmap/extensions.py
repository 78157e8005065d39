"""Flask extensions shared by the app: created here, bound in ``create_app``."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from analysis.calendar import TIMEZONE

babel = Babel()
# Every state-changing request (forms and API alike) must carry the token.
csrf = CSRFProtect()
login_manager = LoginManager()
# Where counts live comes from RATELIMIT_STORAGE_URI (webmap.config): memory
# for one process (waitress' threads), the database when several share them.
limiter = Limiter(key_func=lambda: request.remote_addr or "", default_limits=[])


def init_app(app):
    if app.config.get("RATELIMIT_STORAGE_URI") == "database":
        from webmap.security import rate_limits

        app.config["RATELIMIT_STORAGE_URI"] = rate_limits.SCHEME + "://"
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {"url": app.config["DATABASE_URL"]}
    babel.init_app(app, locale_selector=lambda: "fr", timezone_selector=lambda: TIMEZONE)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
