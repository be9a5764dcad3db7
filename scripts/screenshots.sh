#!/usr/bin/env bash
# Take the guides' screenshots again (docs/images), on the demo campaign as each role sees it:
# the browser test tests/browser/test_guide_screenshots_browser.py takes them. Needs Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/images
FOINTRACKER_SCREENSHOTS="$PWD/docs/images" .venv/bin/python -m pytest -q -p no:cacheprovider \
  tests/browser/test_guide_screenshots_browser.py "$@"
