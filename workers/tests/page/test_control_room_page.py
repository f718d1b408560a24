"""The on-call questions answered on the page, in a real browser, as a signed-in member (RLS)."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import yaml
from playwright.sync_api import Page, expect

from controlroom.client.control_plane import ControlPlane
from tests.cli.conftest import SpecFiles, invoke, publish, run_cli, wait_for_status

TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}
DENIED = "permission denied: s3://raw/2026"
FIRST_LINE = "loading 42 partitions"  # the first stderr line of the failing phase, 41 lines before its end


def submit(path: Path) -> str:
    done = invoke("submit", str(path), "--json")
    assert done.exit_code == 0, done.output
    return str(json.loads(done.stdout)["id"])


def test_an_on_call_engineer_answers_the_questions_on_the_page(
    page: Page,
    specs: SpecFiles,
    plane: ControlPlane,
    start_worker: Callable[..., subprocess.Popen[str]],
    shots: Path,
) -> None:
    failing = specs.write(
        "nightly-load",
        phases=[
            {"name": "extract", "kind": "shell", "argv": ["echo", "extracted 120 rows"]},
            {
                "name": "load",
                "kind": "shell",
                "argv": [
                    "sh",
                    "-c",
                    f"echo '{FIRST_LINE}' >&2; seq 1 40 >&2; echo 'permission denied: s3://raw/2026' >&2; exit 2",
                ],
            },
        ],
        retries={"max_attempts": 1},
    )
    ok = specs.write("hourly-report")
    stuck = specs.write("gpu-train", labels={"gpu": "a100"})
    for path in (failing, ok, stuck):
        publish(path)
    # Who is paged: failures of this workspace open an alert (the test stack's dispatcher is off, so
    # nothing is sent; the alert and its escalation state are what the page shows).
    routes = specs.folder / "routes.yaml"
    routes.write_text(
        yaml.safe_dump(
            {
                "workspace": specs.workspace,
                "targets": {
                    # a variable name, not a secret
                    "oncall": {"kind": "webhook", "url_secret": "PAGE_TEST_WEBHOOK_URL"}  # pragma: allowlist secret
                },
                "routes": [
                    {
                        "name": "failures",
                        "match": {"signal_type": ["run_failed"]},
                        "escalation": [
                            {"targets": ["oncall"], "after_seconds": 0},
                            {"targets": ["oncall"], "after_seconds": 3600},
                        ],
                    }
                ],
            }
        )
    )
    published = invoke("routes", "publish", str(routes))
    assert published.exit_code == 0, published.output
    failed_id, ok_id = submit(failing), submit(ok)
    worker = start_worker(specs.pool, "--once")
    assert worker.wait(timeout=120) == 0
    assert wait_for_status(plane, failed_id, TERMINAL) == "failed"
    assert wait_for_status(plane, ok_id, TERMINAL) == "succeeded"
    stuck_id = submit(stuck)

    # Sign in: `controlroom open` mints a short-lived token for a local member of this workspace only.
    email = f"oncall-{uuid.uuid4().hex[:8]}@localhost"
    opened = run_cli("open", "--no-browser", "--email", email, "--workspace", specs.workspace, "--role", "operator")
    assert opened.code == 0, opened.stderr
    page.goto(opened.stdout.strip())
    expect(page.locator(".who")).to_have_text(email)
    board = page.locator("#board tbody")
    expect(board.locator("tr")).to_have_count(3)  # RLS: this member sees only its workspace's runs
    page.screenshot(path=str(shots / "runs.png"))

    # Search the board (server-side: run_board.search_text): the stuck run by its spec name.
    page.keyboard.press("/")
    page.keyboard.type("gpu-tr")
    expect(board.locator("tr")).to_have_count(1)
    expect(board).to_contain_text(stuck_id[:8])
    page.locator("#search").fill("")
    expect(board.locator("tr")).to_have_count(3)

    # Filter the board: failed runs only.
    page.get_by_label("failed", exact=True).check()
    expect(board.locator("tr")).to_have_count(1)
    expect(board).to_contain_text(failed_id[:8])
    expect(board).to_contain_text("NonZeroExit")

    # Open the failed run and read its stderr tail, phase by phase.
    board.get_by_role("link", name=failed_id[:8]).click()
    expect(page.locator("h1")).to_contain_text(failed_id)
    expect(page.locator("[data-phase=load] pre.log-stderr")).to_contain_text(DENIED)
    expect(page.locator("#gantt")).to_contain_text("exit 2")

    # The full log on demand: the artifact-download Edge Function, called through /functions/v1 with the
    # session's token, returns the object once its SHA-256 matched the record. Its first line is not in
    # the tail the executor reported.
    load = page.locator("[data-phase=load]")
    expect(load.locator("pre.log-stderr")).not_to_contain_text(FIRST_LINE)
    load.get_by_role("button", name="show stderr.log").click()
    panel = load.locator(".fulllog")
    expect(panel.locator(".fulllog-note")).to_contain_text("sha256 verified")
    expect(panel.locator("pre")).to_contain_text(FIRST_LINE)
    expect(panel.locator("pre")).to_contain_text(DENIED)
    page.screenshot(path=str(shots / "run-detail.png"), full_page=True)

    # A queued run says why it waits: the control plane's answer (explain_wait). The worker above ran
    # with --once and reported itself stopped when it exited, so nothing serves the pool now.
    page.goto(re.sub(r"#.*", f"#/run/{stuck_id}", page.url))
    expect(page.locator("#wait-reason")).to_contain_text(f"no live executor in pool {specs.pool}")

    # Queues: the head of the pool and its wait reason.
    page.keyboard.press("2")
    expect(page.locator("h1")).to_have_text("Queues per pool")
    expect(page.locator("main tbody")).to_contain_text(specs.pool)
    expect(page.locator("main tbody")).to_contain_text(f"no live executor in pool {specs.pool}")
    page.screenshot(path=str(shots / "queues.png"))

    # Executors: what RLS shows a member. The worker above is a shared executor (no workspace),
    # which members do not see; the view says so rather than showing an empty table.
    page.keyboard.press("3")
    expect(page.locator("h1")).to_have_text("Executors")
    expect(page.locator("main tbody")).to_contain_text("no executors visible to you")
    page.screenshot(path=str(shots / "executors.png"))

    # Alerts: the failed run's alert, open at tier 1 and escalating; Ack stops the escalation.
    page.keyboard.press("4")
    expect(page.locator("h1")).to_have_text("Alerts")
    alert_row = page.locator("main tbody tr", has_text=f"run {failed_id[:8]}")
    expect(alert_row).to_contain_text("run_failed")
    expect(alert_row).to_contain_text("open")
    expect(alert_row).to_contain_text("tier 1, next")
    page.screenshot(path=str(shots / "alerts.png"))
    alert_row.get_by_role("button", name="Ack").click()
    expect(alert_row).to_contain_text("acknowledged")
    expect(alert_row).to_contain_text("stopped (acked by user:")
    expect(page.locator("#alert-error")).to_be_empty()

    # Usage: today's run time of this workspace, as a chart and a table.
    page.keyboard.press("5")
    expect(page.locator("h1")).to_contain_text("Usage")
    expect(page.locator("#usage-chart svg rect")).not_to_have_count(0)
    expect(page.locator("main tbody")).to_contain_text(specs.workspace)
    page.screenshot(path=str(shots / "usage.png"))


def test_the_board_updates_without_a_reload(page: Page, specs: SpecFiles, plane: ControlPlane) -> None:
    path = specs.write("live-one")
    publish(path)
    first = submit(path)
    opened = run_cli(
        "open", "--no-browser", "--email", f"live-{uuid.uuid4().hex[:8]}@localhost", "--workspace", specs.workspace
    )
    page.goto(opened.stdout.strip())
    board = page.locator("#board tbody")
    expect(board).to_contain_text(first[:8])
    # The board reserves the height of a full page of rows: the filters above and the pager below
    # stay where they are while rows arrive.
    boxes = [page.locator(sel).bounding_box() for sel in (".filters", ".board-body", ".pager")]
    second = submit(path)
    expect(board).to_contain_text(second[:8], timeout=15_000)  # the 5 s poll, no reload
    assert [page.locator(sel).bounding_box() for sel in (".filters", ".board-body", ".pager")] == boxes
