"""The control room page in a real browser: Debian's chromium driven by Playwright (no browser
download), against the real local stack (`controlroom up` serves the page on CONTROLROOM_PAGE_URL).

CONTROLROOM_CHROMIUM names the browser binary (default /usr/bin/chromium, installed by scripts/setup).
CONTROLROOM_PAGE_SCREENSHOTS=<dir> also saves a screenshot of each view there (docs/screenshots is
refreshed that way)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.cli.conftest import plane, specs  # noqa: F401  (fixtures shared with the CLI tests)
from tests.worker.conftest import start_worker  # noqa: F401

CHROMIUM = os.environ.get("CONTROLROOM_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup installs Debian's chromium (or set CONTROLROOM_CHROMIUM)")
    # Root (CI containers) cannot use chromium's user-namespace sandbox.
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"the page threw: {errors}"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    target = os.environ.get("CONTROLROOM_PAGE_SCREENSHOTS")
    folder = Path(target) if target else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder
