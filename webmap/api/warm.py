"""The map page's first view computed ahead of its first visitor.

At a million reports, the hotspots of the whole département and period
take seconds to compute (README, "PostgreSQL"), and the first user after an
import would wait for them. :func:`warm_first_view` asks the questions of
the page's first view, with no filter (the page's default state), as one
active user of each agency: their answers then wait in the instance
folder's ``answers/`` for every server process, keyed by the data version
like any answer. Need-to-know is that of each agency's own user, so nothing
is computed for an agency that the API would not give it.

Run by ``crossmap warm``, by ``crossmap import`` and after an import from
the page when the database holds more than ``WARM_ABOVE`` reports."""

import threading
import time

from flask_login import login_user
from sqlalchemy import func, select

from webmap.db import get_session
from webmap.db.models import User
from webmap.services.store import count_reports

#: What the page asks first, beside ``/api/reports`` (counted in SQL at
#: any size) and ``/api/zones``.
FIRST_VIEW = ("/api/hotspots", "/api/emerging", "/api/backtest", "/api/communes")


def warm_first_view(app):
    """Compute the first view's answers for one active user of each
    agency; return the agencies done."""
    with app.app_context():
        session = get_session()
        users = session.execute(select(func.min(User.id), User.agency).where(User.active).group_by(User.agency)).all()
    adapter = app.url_map.bind("localhost")
    for user_id, _agency in users:
        for path in FIRST_VIEW:
            # A fresh application context too: within the command's own,
            # a request context would share its ``g`` (the signed-in user,
            # the viewer's agency) with the previous request's.
            with app.app_context(), app.test_request_context(path):
                login_user(get_session().get(User, user_id))
                endpoint, arguments = adapter.match(path)
                app.view_functions[endpoint](**arguments)
    return sorted(agency for _, agency in users)


def warm_if_large(app, *, background):
    """After an import: :func:`warm_first_view` when the database holds
    more than ``WARM_ABOVE`` reports (below, a first answer takes well
    under a second). In a thread with ``background`` (an import from the
    page answers at once); returns the seconds it took otherwise, or
    None."""
    with app.app_context():
        if count_reports(get_session()) <= app.config["WARM_ABOVE"]:
            return None
    if background:
        threading.Thread(target=warm_first_view, args=(app,), name="crossmap-warm", daemon=True).start()
        return None
    start = time.perf_counter()
    warm_first_view(app)
    return time.perf_counter() - start
