# The real-Chromium fixture of the main journeys, for this app's browser test.
from awda.common.tests.test_browser import browser_page  # noqa: F401
