"""Fixtures shared by the import tests."""

from awda.common.tests.test_browser import browser_page  # noqa: F401 (for the browser test)
