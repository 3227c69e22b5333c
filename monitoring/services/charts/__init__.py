"""Charts: chart parameters (``window``), the catalogue and series made into chart JSON and CSV
(``builder``), a device's detail with its charts (``device``), the dashboard."""
