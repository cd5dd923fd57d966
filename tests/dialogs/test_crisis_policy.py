"""Crisis resources by region: a known time zone picks its region's texts, else the general."""

import pytest
from pydantic import ValidationError

from peerbot.dialogs.policy import CrisisPolicy

POLICY = CrisisPolicy(regions_by_time_zone={"Europe/Madrid": "spain", "Asia/Tokyo": "japan"})
TEXTS = {"crisis.resources", "crisis.resources.spain"}


@pytest.mark.parametrize(
    ("time_zone", "key"),
    [
        ("Europe/Madrid", "crisis.resources.spain"),
        ("Asia/Tokyo", "crisis.resources"),  # a region without its own texts
        ("America/Lima", "crisis.resources"),
        (None, "crisis.resources"),
    ],
)
def test_region_texts_replace_the_general_ones_only_where_they_exist(time_zone, key):
    assert POLICY.resources_key(time_zone, TEXTS.__contains__) == key


def test_region_names_are_short_identifiers():
    with pytest.raises(ValidationError):
        CrisisPolicy(regions_by_time_zone={"Europe/Madrid": "Spain!"})
