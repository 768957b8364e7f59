"""The dashboard: server-rendered pages over a workspace, and the self-contained HTML report.

- `journeylens.web.routes`: the FastAPI router (pages under ``/``), included by the live
  API's app (``journeylens serve``) and by `journeylens.web.app.create_app`;
- `journeylens.web.pages`: one module per page, calling workspace methods and result objects;
- `journeylens.web.report`: ``journeylens report``, one HTML file that opens offline.

Plotly.js ships inside the plotly package and the dashboard's CSS and script inside this one:
nothing is fetched from the network.
"""
