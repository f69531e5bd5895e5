"""axe-core (bundled in the axe-playwright-python wheel: no CDN, no npm) on a Playwright page.

`assert_accessible(page)` fails with one readable line per violation and element:
rule id, impact, the element's selector and what to fix. Tests reach it through the
`assert_accessible` fixture in tests/conftest.py.

axe-core needs timers, and a page in a context with JavaScript disabled runs none (an
evaluated promise that waits on setTimeout never settles). For such a page axe runs on a
copy: the page's DOM as the browser built it without scripts, served at the same address
to a sibling tab of the same size with the page's own scripts blocked, so the styles
load from the server as they did and <noscript> content is shown as it was.
"""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe

# WCAG 2.2 level AA, which includes 2.0 and 2.1 A and AA (2.2 adds no A rule in axe).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_axe = Axe()


_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

# Fragment parsing follows the document's scripting flag: with scripts off, the content
# of <noscript> is parsed as elements; with scripts on, as text.
_SCRIPTS_OFF = """() => {
  const probe = document.createElement("div");
  probe.innerHTML = "<noscript><p></p></noscript>";
  return probe.querySelector("noscript p") !== null;
}"""
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>.*?</script>", re.S | re.I)


def axe_violations(page) -> list[dict]:
    """The raw axe-core violations of the page as it is now."""
    if not page.evaluate(_SCRIPTS_OFF):
        return _axe.run(page, options=_OPTIONS).response["violations"]
    return _violations_of_copy(page)


class _CopyTab:
    """The sibling tab axe runs in for pages without scripts, reused until
    `close_copy_tab()` (at the end of each test): a new context per check costs a new
    renderer process and a cold compile of axe-core, about a second a page. The copy
    itself is rebuilt from the page every time."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.url = ""
        self.html = ""
        self.page.route("**/*", self._serve)

    def _serve(self, route) -> None:
        request = route.request
        if request.url.split("#")[0] == self.url and request.resource_type == "document":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=self.html)
        elif request.resource_type == "script":
            route.abort()
        else:
            route.continue_()

    def close(self) -> None:
        if self.browser.is_connected():
            self.context.close()

    def usable_for(self, browser) -> bool:
        return self.browser is browser and browser.is_connected() and not self.page.is_closed()

    def violations(self, url: str, html: str, viewport) -> list[dict]:
        self.url, self.html = url, html
        self.page.set_viewport_size(viewport or {"width": 1280, "height": 720})  # as new
        self.page.goto(url)
        return _axe.run(self.page, options=_OPTIONS).response["violations"]


_copy_tab: _CopyTab | None = None


def _violations_of_copy(page) -> list[dict]:
    global _copy_tab
    url = page.url.split("#")[0]
    html = page.content().replace("<noscript>", "<div>").replace("</noscript>", "</div>")
    html = _INLINE_SCRIPT.sub("", html)
    browser = page.context.browser
    if _copy_tab is None or not _copy_tab.usable_for(browser):
        _copy_tab = _CopyTab(browser)
    return _copy_tab.violations(url, html, page.viewport_size)


def close_copy_tab() -> None:
    """Close the sibling tab (and its connections to the test's server), if one is open."""
    global _copy_tab
    if _copy_tab is not None:
        tab, _copy_tab = _copy_tab, None
        tab.close()


def violations_report(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(
                f"- {violation['id']} ({violation.get('impact') or 'n/a'}) at {target}: "
                f"{violation['help']}. {node.get('failureSummary', '')}".replace("\n", " ")
            )
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Zero axe-core WCAG 2.2 AA violations on the page as it is now."""
    violations = axe_violations(page)
    if violations:
        count = sum(len(v["nodes"]) for v in violations)
        raise AssertionError(
            f"{count} accessibility violation(s) on {page.url}:\n" + violations_report(violations)
        )
