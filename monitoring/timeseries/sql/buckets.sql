{# The bucket starts of the window, in order, as a JSON array. #}
{% from "macros.sql" import grid %}
SELECT CAST(json_agg(grid.bucket ORDER BY grid.bucket) AS text) FROM {{ grid() }}
