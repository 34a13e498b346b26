"""How the browser tests start Debian's Chromium: headless, and without the web pages of its own
that every window would otherwise load."""

from __future__ import annotations

PLAYWRIGHT_DISABLED_FEATURES = [
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
]
"""The features Playwright's own ``--disable-features`` switch turns off (Playwright 1.65).

Chromium reads only the last ``--disable-features`` on its command line, so the one below,
which comes after Playwright's, has to repeat them; ``tests/web/test_browser_flags.py`` fails
when a Playwright upgrade adds one this list lacks.
"""
WINDOW_WEB_UI = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]
"""The address bar's pop-ups, web pages of their own that Chromium loads in a renderer for every
window it opens, headless too: with them, each browser context a test opens cost about 0.7 s
of CPU, without them about 0.2 s."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-features=" + ",".join(PLAYWRIGHT_DISABLED_FEATURES + WINDOW_WEB_UI),
]
