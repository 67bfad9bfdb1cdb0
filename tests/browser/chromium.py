"""How Debian's chromium is launched, for the browser tests and scripts/screenshots.py: never
a downloaded browser, nothing that calls home (the machines are offline)."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
