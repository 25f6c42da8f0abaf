"""Pages looked at as a person would: headless Chromium (Debian's, driven by Playwright)."""
