"""Set-up shared by every page of the static book."""

import plotly.io as pio


def setup_page() -> None:
    """Render plotly figures so the built HTML keeps them (no CDN: the site serves plotly.js)."""
    pio.renderers.default = "plotly_mimetype"
