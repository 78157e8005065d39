"""Do the planted hotspots of the demo data come out with the trend they
were planted with? Measured over several seeds, as a recovery rate."""

import numpy as np
import pytest

from analysis.demo import generate_reports
from analysis.hotspots import cluster_reports, summarise, trend_statuses
from geo.reference import load_communes

SEEDS = (0, 1, 2, 3, 4, 5, 88)
# By Esri's definitions a run of hot weeks at the very end of the series,
# never hot before, is "consecutive"; "new" is a single final hot week and
# "intensifying" needs 90 % of the weeks hot. A spot that started 6-8 weeks
# ago is any of the three, "consecutive" most often.
EXPECTED = {
    "emerging": {"new", "consecutive", "intensifying"},
    "persistent": {"persistent"},
    "fading": {"diminishing"},
}
MIN_RECOVERY = 0.75


@pytest.fixture(scope="module")
def outcomes():
    communes = load_communes()
    found = {kind: [] for kind in EXPECTED}
    for seed in SEEDS:
        reports, truth = generate_reports(communes, seed=seed)
        reports["id"] = np.arange(len(reports))
        spots = summarise(reports, cluster_reports(reports))
        statuses = trend_statuses(reports, spots)
        index = dict(zip(reports["agency_ref"], reports["id"]))
        for planted in truth["hotspots"]:
            # The demo's dormant places (en sommeil) have no Esri category;
            # places with fewer reports than two DBSCAN cores cannot be a
            # hotspot of their own.
            if planted["kind"] not in EXPECTED or len(planted["agency_refs"]) < 10:
                continue
            members = {index[ref] for ref in planted["agency_refs"]}
            best = max(range(len(spots)), key=lambda i: len(members & set(spots[i].report_ids)))
            # Clustering recovers the planted reports almost whole...
            assert len(members & set(spots[best].report_ids)) >= 0.9 * len(members), (seed, planted["id"])
            found[planted["kind"]].append(statuses[best])
    return found


# The harder demo of #11 plants places at only 2-5 times their background,
# in town centres: DBSCAN's fixed eps merges them into the town's cluster,
# whose status is the town's, not the planted place's (measured on these
# seeds: emerging 0/5, persistent 8/28, fading 2/17). History-aware statuses
# and the risk option (#11, the other half) are what must bring this back;
# strict, so that the marker goes when they do.
@pytest.mark.xfail(strict=True, reason="planted places merge into town-centre clusters (#11, statuses and risk)")
@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_planted_trends_are_recovered(outcomes, kind):
    # ...and the trend test names most of them as planted.
    statuses = outcomes[kind]
    recovered = sum(status in EXPECTED[kind] for status in statuses) / len(statuses)
    assert recovered >= MIN_RECOVERY, (kind, statuses)
