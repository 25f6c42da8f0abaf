from tests.browser.page_check import browser

__all__ = ["browser"]
