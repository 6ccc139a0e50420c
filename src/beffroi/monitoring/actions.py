"""Every write of the monitoring app: ingestion and threshold evaluation, indicators, proposals.

The stable facade other apps and the tests import: the code lives in ``ingestion``, ``evaluation``
(levels, proposals, staleness), ``indicator_editing`` and ``on_call``.
"""

from beffroi.monitoring.evaluation import (  # noqa: F401  (re-exported)
    _evaluate,
    _thresholds,
    do_accept_proposal,
    do_check_staleness,
    do_dismiss_proposal,
    level_colour,
    level_label,
    proposal_event,
)
from beffroi.monitoring.indicator_editing import do_save_indicator  # noqa: F401  (re-exported)
from beffroi.monitoring.ingestion import (  # noqa: F401  (re-exported)
    CONVERSIONS,
    FUTURE_TOLERANCE,
    INGESTERS,
    MAX_FORECAST_AHEAD,
    do_ingest_points,
    max_age,
    validate_points,
)
from beffroi.monitoring.on_call import MONITOR, on_call_users  # noqa: F401  (re-exported)
