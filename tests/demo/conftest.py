from tests.browser.page_check import browser

__all__ = ["browser"]  # the page of the real tour, looked at in Chromium (test_demo.py)
