"""What every JSON route shares: the blueprint, parameter errors as 400s,
JSON responses (gzipped when large) and answers cached per question,
viewer agency and data version."""

import gzip
from pathlib import Path

import orjson
from flask import Blueprint, Response, abort, current_app, request

from webmap.config import agency_codes
from webmap.db import get_session
from webmap.security.need_to_know import (
    WITHHELD_COLUMNS,
    coarse_filter,
    viewer_agency,
    visible_reports,
    withheld_counts,
)
from webmap.services import hotspots as service
from webmap.services import runs
from webmap.services.cache import data_version, memo, shared_memo
from webmap.services.filters import PARAMETERS, FilterError, parse_filter
from webmap.services.runs import filtered_frame, selected_reports

bp = Blueprint("api", __name__, url_prefix="/api")

CLUSTER_PARAMETERS = service.CLUSTER_PARAMETERS


class BadParameter(Exception):
    def __init__(self, parameter, message):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@bp.errorhandler(BadParameter)
@bp.errorhandler(FilterError)
def bad_parameter(error):
    return json_response({"error": f"{error.parameter} : {error.message}", "parameter": error.parameter}, status=400)


@bp.errorhandler(404)
def not_found(error):
    return json_response({"error": "introuvable avec ces filtres"}, status=404)


def check_known(args, own=()):
    known = set(PARAMETERS) | set(CLUSTER_PARAMETERS) | set(own)
    for name in args:
        if name not in known:
            raise BadParameter(name, f"paramètre inconnu (attendus : {', '.join(sorted(known))})")


def _question(ignored=()):
    """What identifies an answer: the database, the parameters (but the
    ``ignored`` ones) and the data version, which database triggers raise on
    any change to reports."""
    version = data_version(get_session())
    args = tuple(sorted((k, v) for k, v in request.args.items(multi=True) if k not in ignored))
    return current_app.config["DATABASE_URL"], args, version


def cluster_params():
    """The clustering parameters of the request, from the configured defaults."""
    return service.parse_cluster_params(request.args, current_app.config["CLUSTERING"])


def cached_answer(name, build, own=(), columns=None, withheld=False, ignored=()):
    """Answer from the cache when the same question was asked of the same
    data by a user who may see the same reports (``viewer_agency``: the
    same agency, or any agency that restricts nothing). ``own`` names the parameters only
    this endpoint takes; ``columns`` narrows the reports read (see
    ``select_reports``).

    Need-to-know: ``build(frame, params)`` receives only the reports the
    viewer may see; with ``withheld``, it is called as ``build(frame, params,
    withheld)`` where ``withheld`` is :func:`~webmap.security.need_to_know.withheld_counts`
    (other agencies' restricted reports, per commune, in groups of k).
    ``ignored`` names parameters the answer does not depend on: questions
    differing only by them share one answer."""
    check_known(request.args, own)
    report_filter = current_filter()
    params = cluster_params()
    agency = viewer_agency()

    def compute():
        frame = visible_reports(filtered_frame(report_filter, columns), agency)
        if not withheld:
            result = build(frame, params)
        else:
            result = build(frame, params, _withheld(report_filter, agency))
        return None if result is None else orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS)

    key = answer_key(name, ignored)
    body = shared_memo(key, compute, answers_folder())
    if body is None:
        abort(404)
    if _accepts_gzip(body):
        # Compressing 2 MB costs more than answering from the cache: keep
        # the compressed answer beside the plain one.
        return _gzipped(memo(("gzip", *key), lambda: gzip.compress(body, compresslevel=5)))
    return json_body(body)


def answer_key(name, ignored=()):
    """What identifies ``name``'s answer to this request: what the viewer
    may see (``viewer_agency``), the database, the parameters but the ``ignored`` ones, and the
    data version."""
    return (name, viewer_agency(), *_question(ignored))


def answers_folder():
    """Where answers are kept for every worker process of the server."""
    return Path(current_app.instance_path) / "answers"


def shared_answer(name, compute):
    """``compute()`` (JSON bytes) kept for this request's question, in this
    process and for the server's other worker processes."""
    return shared_memo(answer_key(name), compute, answers_folder())


def _withheld(report_filter, agency):
    coarse = coarse_filter(report_filter)
    if coarse is None:
        return {}
    reports = selected_reports(coarse, WITHHELD_COLUMNS)
    return withheld_counts(reports, agency, current_app.config["NEED_TO_KNOW_K"])


def current_filter():
    """The filter of this request's parameters."""
    return parse_filter(request.args, known_agencies=agency_codes(current_app.config))


# The runs of webmap.services.runs for this request's filter.


def hotspot_run(frame, params):
    return runs.hotspot_run(frame, params, current_filter())


def history_frame(frame, columns=None):
    return runs.history_frame(frame, current_filter(), columns)


def history_reports(columns=None):
    return runs.history_reports(current_filter(), columns)


def period_end():
    """The last day of the period asked, or None for "up to the latest report"."""
    return current_filter().end


def json_response(data, status=200):
    return json_body(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), status)


def _accepts_gzip(body):
    return len(body) > 1024 and "gzip" in request.headers.get("Accept-Encoding", "")


def json_body(body, status=200):
    """A response of JSON bytes already made, gzipped when it pays."""
    if _accepts_gzip(body):
        return _gzipped(gzip.compress(body, compresslevel=5), status)
    response = Response(body, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _gzipped(compressed, status=200):
    response = Response(compressed, status=status, mimetype="application/json")
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "no-store"
    return response
