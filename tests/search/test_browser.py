"""The /search/ page in a real headless Chromium: results with thumbnails, the plate highlighted, facets."""

from __future__ import annotations

import shutil
import tempfile
import time

import pytest

from search.backends import get_backend
from search.bench import chromium_driver
from search.documents import all_documents
from tests.search import factories as f
from tests.search.behaviour import when


@pytest.fixture
def driver(tmp_path):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("chromium and chromium-driver (Debian packages) are not installed")
    browser = chromium_driver(tempfile.mkdtemp(prefix="chromium-", dir=tmp_path))
    yield browser
    browser.quit()


def wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the page")


@pytest.mark.browser
def test_search_page_in_chromium(live_server, transactional_db, settings, driver):
    from selenium.webdriver.common.by import By

    settings.SEARCH_BACKEND = "embedded"
    alice, bob = f.user("alice"), f.user("bob")
    gate1 = f.asset(alice, camera_id="gate-1", timestamp=when("2024-04-01"), with_file=True)
    f.reading(gate1, "XAB-1234")
    gate2 = f.asset(alice, camera_id="gate-2", timestamp=when("2024-04-02"), with_file=True)
    f.reading(gate2, "AB1299")
    f.reading(f.asset(bob, camera_id="gate-1", with_file=True), "AB1200")
    get_backend().rebuild(all_documents())

    driver.get(f"{live_server.url}/accounts/login/?next=/search/")
    driver.find_element(By.NAME, "username").send_keys("alice")
    driver.find_element(By.NAME, "password").send_keys("pw-alice")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    box = wait_for(lambda: driver.find_elements(By.ID, "q"))[0]
    # The first view lists alice's newest readings (both, no highlight) before anything is typed.
    wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#results .hit")) == 2)
    assert not driver.find_elements(By.CSS_SELECTOR, "#results mark")
    box.send_keys("ab12")
    driver.find_element(By.ID, "search-button").click()

    wait_for(
        lambda: "q=ab12" in driver.current_url and driver.find_elements(By.CSS_SELECTOR, "#results mark")
    )
    hits = driver.find_elements(By.CSS_SELECTOR, "#results .hit")
    assert len(hits) == 2  # bob's AB1200 is not alice's
    assert driver.find_element(By.ID, "result-count").text == "2 readings found"
    marks = [hit.find_element(By.TAG_NAME, "mark").text for hit in hits]
    assert marks == ["AB12", "AB-12"]  # newest first; the highlight spans the dash in XAB-1234
    plates = [hit.find_element(By.CSS_SELECTOR, ".plate").text for hit in hits]
    assert plates == ["AB1299", "XAB-1234"]
    image = hits[0].find_element(By.TAG_NAME, "img")
    assert str(gate2.request_uuid) in image.get_attribute("src")
    wait_for(
        lambda: driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image)
    )

    driver.find_element(By.CSS_SELECTOR, '#facets a[data-facet="camera_id"][data-value="gate-1"]').click()
    wait_for(lambda: "camera_id=gate-1" in driver.current_url)
    hits = driver.find_elements(By.CSS_SELECTOR, "#results .hit")
    assert [hit.get_attribute("data-asset") for hit in hits] == [str(gate1.request_uuid)]
