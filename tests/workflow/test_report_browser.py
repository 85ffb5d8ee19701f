"""The small run's report as a person sees it, in headless Chromium (marked slow).

Every page the report's navigation offers shows something, nothing on any page logs an
error, and the reconstruction video plays. Playwright drives Debian's `chromium` on PATH:
its own browser builds are never downloaded (they cannot be here, and they play no H.264).
Screenshots of each page go to the test's folder, and to ``$KILLIPOSE_SCREENSHOTS`` too
when it names one, for a person to look at.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import timeout

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="needs playwright (pip install -e '.[dev]')"
)
CHROMIUM = shutil.which("chromium")

pytestmark = [
    pytest.mark.slow(seconds=30),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="needs Debian's chromium on PATH (apt-get install chromium); "
        "playwright's own browsers are not downloaded",
    ),
]

#: What a view shows: its visible text, and its pictures, videos and plots that have a
#: size on the screen and something in them (an image decoded, a video's first frame); and
#: the errors docutils wrote into it where a caption's reStructuredText did not parse.
SHOWN = """root => {
    const drawn = [...root.querySelectorAll("img, video, canvas, svg")].filter(el => {
        const box = el.getBoundingClientRect();
        if (box.width < 10 || box.height < 10) return false;
        if (el.tagName === "IMG") return el.complete && el.naturalWidth > 0;
        if (el.tagName === "VIDEO") return el.videoWidth > 0;
        return true;
    });
    const rst = [...root.querySelectorAll(".system-message")].map(el => el.innerText);
    return {text: root.innerText.trim().length, drawn: drawn.map(el => el.tagName), rst};
}"""

#: Play a video muted from its start and wait (at most ``limit`` ms) until it has played
#: 0.2 s; what the element then says about itself. A video whose every source failed has
#: no ``error`` (its ``<source>`` has), only networkState 3, and its play() never settles.
PLAY = """async (video, limit) => {
    video.muted = true;
    video.pause();
    video.currentTime = 0;
    const start = performance.now();
    let refused = null, settled = false;
    const failed = new Promise((_, reject) => {
        const poll = () => {
            if (settled) return;
            if (video.networkState === 3) reject("no source it can play");
            else if (performance.now() - start > limit) reject("play() did not settle");
            else setTimeout(poll, 50);
        };
        poll();
    });
    try {
        await Promise.race([video.play(), failed]);
    } catch (error) {
        refused = String(error);
    }
    settled = true;
    while (!refused && video.currentTime <= 0.2 && performance.now() - start < limit) {
        await new Promise(resolve => setTimeout(resolve, 50));
    }
    return {
        refused,
        currentTime: video.currentTime,
        error: video.error && `${video.error.code}: ${video.error.message}`,
        networkState: video.networkState,
        readyState: video.readyState,
        size: [video.videoWidth, video.videoHeight],
    };
}"""


class Walk:
    """One browser page on the report: the views seen so far, the errors logged (each
    with the view last opened: the browser reports them a moment later)."""

    def __init__(self, page, shots: Path):
        self.page, self.shots = page, shots
        self.views: list[str] = []
        self.now = "opening the report"
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(self._at(m.text)))
        page.on("pageerror", lambda error: self.errors.append(self._at(f"uncaught {error}")))
        self.menu = page.locator("#app nav").first
        self.content = page.locator("#app > div > div").last  # right of the menu

    def _at(self, message: str) -> str:
        return f"{self.now}: {message}"

    def seen(self, name: str) -> None:
        """Note the view ``name`` and keep a screenshot of it."""
        self.views.append(name)
        slug = re.sub(r"[^A-Za-z0-9.]+", "-", name).strip("-")
        self.page.screenshot(
            path=self.shots / f"{len(self.views):02d}-{slug}.png", animations="disabled"
        )

    def click(self, label: str) -> None:
        """Click the menu's link named ``label``."""
        self.now = label
        self.menu.get_by_role("link", name=label, exact=True).click()

    def open_results(self, category: str, subcategory: str):
        """From anywhere, through the menu, the rows of the results in ``subcategory``."""
        self.menu.locator("ol a").first.click()  # the first breadcrumb: home
        self.click("Results" if self.page.evaluate("isSingleCategory()") else category)
        if not self.page.evaluate("c => isSingleSubcategory(c)", category):
            self.click(subcategory)
        return self.menu.locator("tbody tr")


def assert_shown(where, name: str) -> list[str]:
    """``where`` (an element's locator) shows text or media, and no reStructuredText
    error; the tags of its media."""
    shown = where.evaluate(SHOWN)
    assert shown["text"] > 0 or shown["drawn"], f"{name}: nothing shown ({shown})"
    assert not shown["rst"], f"{name}: reStructuredText errors {shown['rst']}"
    return shown["drawn"]


def assert_plays(video, name: str, limit_ms: float) -> None:
    """``video`` (a locator) plays: 0.2 s of it within ``limit_ms``, with no error."""
    state = video.evaluate(PLAY, limit_ms)
    assert state["refused"] is None and state["error"] is None, f"{name}: {state}"
    assert state["readyState"] >= 2 and min(state["size"]) > 0, f"{name}: {state}"
    assert state["currentTime"] > 0.2, f"{name}: did not play ({state})"


def visit_general_pages(walk: Walk) -> None:
    """The landing page and the menu's Workflow, Statistics and About."""
    expect = sync_api.expect
    assert_shown(walk.content, "landing page")
    walk.seen("landing page")
    walk.click("Workflow")
    expect(walk.page.locator("#app #rulegraph :is(canvas, svg)").first).to_be_visible()
    assert_shown(walk.page.locator("#app #rulegraph"), "Workflow")
    walk.seen("workflow")
    walk.click("Statistics")
    for plot in ("#runtimes", "#timeline"):
        expect(walk.page.locator(f"#app {plot} :is(canvas, svg)").first).to_be_visible()
        assert_shown(walk.page.locator(f"#app {plot}"), f"Statistics {plot}")
    walk.seen("statistics")
    walk.click("About")  # the packages embedded in the report; each opens its licence
    packages = walk.menu.locator("ul a")
    expect(packages).to_have_count(walk.page.evaluate("Object.keys(packages).length"))
    packages.first.click()  # Snakemake's own; the other licences are the same view
    assert_shown(walk.content.locator("pre"), "About: licence")
    walk.seen("about")


def visit_results(walk: Walk, category: str, subcategory: str, limit_ms: float) -> set[str]:
    """Open each result of ``subcategory`` (its eye button) and beside it its caption (its
    (i) button); play every video in them. The paths of the results with a video."""
    expect = sync_api.expect
    paths = walk.page.evaluate("categories")[category][subcategory]
    rows = walk.open_results(category, subcategory)
    expect(rows).to_have_count(len(paths))
    walk.seen(f"{category} {subcategory}")
    opened, videos = [], set()
    for i in range(len(paths)):
        walk.now = f"{subcategory}: the result in row {i + 1}"
        rows.nth(i).locator("a").first.click()  # the eye
        shown = walk.content.locator(":is(img, iframe)")
        expect(shown).to_be_visible()
        walk.now = path = walk.page.evaluate("app.state.resultPath")
        opened.append(path)
        assert shown.evaluate("(el, p) => el.src === results[p].data_uri", path), path
        if shown.evaluate("el => el.tagName") == "IMG":
            shown.evaluate("img => img.decode()")
            assert "IMG" in assert_shown(walk.content, path), f"{path}: image not drawn"
        else:  # an HTML page, in an iframe of its own
            frame = shown.element_handle().content_frame()
            frame.wait_for_load_state()
            assert_shown(frame.locator("body"), path)
            for j in range(frame.locator("video").count()):
                assert_plays(frame.locator("video").nth(j), path, limit_ms)
                videos.add(path)
        rows.nth(i).locator("a").nth(1).click()  # the (i): the caption replaces the rows
        caption = walk.menu.locator(".prose")
        expect(caption).to_be_visible()
        assert_shown(caption, f"{path} (caption)")
        walk.seen(path)
        walk.menu.locator("ol a").nth(-2).click()  # the breadcrumb back to the rows
    assert sorted(opened) == sorted(paths), "the eye buttons open each result once"
    return videos


def search(page, report: Path, term: str) -> str:
    """The report's search results for ``term``, as text, from a fresh load."""
    page.goto(report.as_uri())
    box = page.get_by_placeholder("Search...")
    box.press_sequentially(term)
    box.press("Enter")
    results = page.locator("#app nav").first
    sync_api.expect(results.locator("tbody tr").first).to_be_visible()
    return results.inner_text()


def test_every_page_of_the_report_shows_something_and_the_video_plays(small_run, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    limit_ms = timeout("report_browser_step") * 1000
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic"],  # as root, no GPU
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(limit_ms)
            # The report is one file: whatever it asks of the network is a fault, refused at
            # once (a console error) rather than waited on.
            page.route(re.compile(r"^(https?|wss?)://"), lambda route: route.abort())
            walk = Walk(page, shots)
            page.goto((small_run / "report.html").as_uri())
            visit_general_pages(walk)
            videos = set()
            for category, subcategories in page.evaluate("categories").items():
                for subcategory in subcategories:
                    videos |= visit_results(walk, category, subcategory, limit_ms)
            found = search(page, small_run / "report.html", "nonlinear")
        finally:
            browser.close()
            if os.environ.get("KILLIPOSE_SCREENSHOTS"):
                shutil.copytree(shots, os.environ["KILLIPOSE_SCREENSHOTS"], dirs_exist_ok=True)
    assert not walk.errors, "errors in the browser:\n" + "\n".join(walk.errors)
    # Search finds a model's own figures by its name as the config writes it (Snakemake's
    # search matches result paths, case-sensitive; it never reads the labels).
    assert "latent traversal\t3. nonlinear AE" in found and "latent trajectory" in found
    assert any("reconstruction" in path for path in videos), videos
